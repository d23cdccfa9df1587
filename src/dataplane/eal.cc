#include "leasewire/dataplane/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <sched.h>

#include <filesystem>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace leasewire::dataplane {
namespace {

bool IsVirtualDevice(std::string_view spec) {
  return spec.starts_with("net_") || spec.starts_with("eth_");
}

std::string_view DeviceName(std::string_view spec) {
  return spec.substr(0, spec.find(','));
}

bool HasArg(const std::vector<std::string>& args, std::string_view name) {
  for (const std::string& a : args) {
    if (a == name || (a.starts_with(name) && a.size() > name.size() &&
                      a[name.size()] == '=')) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<EalPlan> PlanEal(const config::Config& config,
                                const EalSettings& settings,
                                const std::vector<int>& cpus, int pid) {
  const std::vector<std::string>& devices = settings.devices;
  if (cpus.empty()) return absl::InvalidArgumentError("no CPU to run on");
  if (config.interfaces.empty()) {
    return absl::InvalidArgumentError(
        "the config has no \"interfaces\": leasewired needs a port to serve");
  }
  if (devices.size() != config.interfaces.size()) {
    return absl::InvalidArgumentError("one device per interface expected");
  }
  const uint32_t workers = settings.workers;
  if (workers == 0) return absl::InvalidArgumentError("no worker");
  EalPlan plan;
  plan.args.push_back("leasewired");
  const std::vector<std::string>& extra = settings.eal_args;
  if (!HasArg(extra, "--file-prefix")) {
    plan.file_prefix = absl::StrCat("leasewired-", pid);
    plan.args.push_back(absl::StrCat("--file-prefix=", plan.file_prefix));
  } else {
    for (size_t i = 0; i < extra.size(); ++i) {
      const std::string& a = extra[i];
      if (a.starts_with("--file-prefix=")) {
        plan.file_prefix = a.substr(a.find('=') + 1);
      } else if (a == "--file-prefix" && i + 1 < extra.size()) {
        plan.file_prefix = extra[i + 1];
      }
    }
  }
  // lcore 0 (main: control, store recovery) and workers 1..N, round robin
  // over the CPUs we may use; with fewer CPUs than lcores they share.
  std::vector<std::string> map;
  for (uint32_t lcore = 0; lcore <= workers; ++lcore) {
    map.push_back(absl::StrCat(lcore, "@", cpus[lcore % cpus.size()]));
  }
  plan.args.push_back(absl::StrCat("--lcores=", absl::StrJoin(map, ",")));
  plan.args.push_back("--main-lcore=0");
  plan.args.insert(plan.args.end(), extra.begin(), extra.end());
  for (size_t i = 0; i < devices.size(); ++i) {
    std::string spec = devices[i];
    if (spec.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "interfaces[", i, "] (\"", config.interfaces[i].name,
          "\") has no \"device\"; set it in the config or pass --device ",
          config.interfaces[i].name, "=net_af_packet0,iface=IFNAME"));
    }
    const std::string name(DeviceName(spec));
    if (IsVirtualDevice(spec)) {
      if (name.starts_with("net_af_packet") &&
          spec.find("qpairs=") == std::string::npos) {
        absl::StrAppend(&spec, ",qpairs=", workers);
      }
      plan.args.push_back("--vdev");
    } else {
      plan.args.push_back("-a");
    }
    plan.args.push_back(spec);
    plan.port_names.push_back(name);
  }
  return plan;
}

std::vector<int> AvailableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
  }
  if (cpus.empty()) cpus.push_back(0);
  return cpus;
}

absl::Status InitEal(const EalPlan& plan) {
  // rte_eal_init may keep pointers into argv: the strings live in `plan`.
  std::vector<char*> argv;
  for (const std::string& a : plan.args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  const int rc = rte_eal_init(static_cast<int>(plan.args.size()), argv.data());
  if (rc < 0) {
    return absl::UnavailableError(absl::StrCat(
        "DPDK EAL initialisation failed (", rte_strerror(rte_errno),
        ") with: ", absl::StrJoin(plan.args, " ")));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PortBinding>> FindPorts(const config::Config& config,
                                                   const EalPlan& plan) {
  std::vector<PortBinding> ports;
  for (size_t i = 0; i < plan.port_names.size(); ++i) {
    uint16_t id = 0;
    if (rte_eth_dev_get_port_by_name(plan.port_names[i].c_str(), &id) != 0) {
      // A vdev whose probe failed (e.g. no such interface) leaves no port
      // and rte_eal_init still succeeds.
      return absl::NotFoundError(
          absl::StrCat("interface \"", config.interfaces[i].name,
                       "\": DPDK device \"", plan.port_names[i],
                       "\" did not come up (see the EAL messages above; for "
                       "net_af_packet check that iface= names an existing, up "
                       "interface in this network namespace)"));
    }
    ports.push_back(PortBinding{id, &config.interfaces[i]});
  }
  return ports;
}

void CleanupEal(const EalPlan& plan) {
  // Root's runtime folder is /var/run/dpdk/<prefix>; any other user's is
  // under $XDG_RUNTIME_DIR (or /tmp): ask EAL before it is torn down.
  const std::filesystem::path runtime_dir = rte_eal_get_runtime_dir();
  rte_eal_cleanup();
  if (plan.file_prefix.empty()) return;
  std::error_code ignored;
  if (runtime_dir.filename() == plan.file_prefix) {
    std::filesystem::remove_all(runtime_dir, ignored);
  }
  std::filesystem::remove_all(
      std::filesystem::path("/var/run/dpdk") / plan.file_prefix, ignored);
}

}  // namespace leasewire::dataplane
