// File: leasewire/dataplane/eal.h
//
// Bringing up DPDK for leasewired: the EAL command line derived from the
// config (lcores from the worker count, one device argument per interface,
// a per-process runtime folder), EAL initialisation, and finding the probed
// port of each interface.
//
// Example:
//   EalPlan plan = PlanEal(config, settings, AvailableCpus(), getpid());
//   absl::Status s = InitEal(plan);
//   absl::StatusOr<std::vector<PortBinding>> ports = FindPorts(config, plan);
//   ...
//   CleanupEal(plan);

#ifndef LEASEWIRE_DATAPLANE_EAL_H_
#define LEASEWIRE_DATAPLANE_EAL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "leasewire/config/config.h"
#include "leasewire/dataplane/dataplane.h"

namespace leasewire::dataplane {

struct EalPlan {
  std::vector<std::string> args;  // argv, starting with the program name
  // The ethdev name of each config interface, in config order: the
  // virtual device's name ("net_af_packet0") or the PCI address.
  std::vector<std::string> port_names;
  std::string file_prefix;  // runtime folder /var/run/dpdk/<file_prefix>
};

// What leasewired runs with: the config's "dataplane" section and
// interface devices after command-line overrides.
struct EalSettings {
  uint32_t workers = 1;
  std::vector<std::string> eal_args;
  std::vector<std::string> devices;  // one per config interface, in order
};

// The EAL arguments: the program name, --file-prefix=leasewired-<pid>
// (unless eal_args has one), --lcores mapping the main lcore and each
// worker onto `cpus` round robin, eal_args, and per interface --vdev SPEC
// (for "net_..." devices, with qpairs= added for net_af_packet when absent
// so that each worker gets a TX queue) or -a PCI-ADDRESS. Fails when an
// interface has no device.
absl::StatusOr<EalPlan> PlanEal(const config::Config& config,
                                const EalSettings& settings,
                                const std::vector<int>& cpus, int pid);

// The CPUs this process may run on.
std::vector<int> AvailableCpus();

// rte_eal_init with the plan's arguments.
absl::Status InitEal(const EalPlan& plan);

// Each interface's port, after InitEal().
absl::StatusOr<std::vector<PortBinding>> FindPorts(const config::Config& config,
                                                   const EalPlan& plan);

// rte_eal_cleanup and removal of the runtime folder.
void CleanupEal(const EalPlan& plan);

}  // namespace leasewire::dataplane

#endif  // LEASEWIRE_DATAPLANE_EAL_H_
