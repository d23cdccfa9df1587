// File: leasewire/control/snapshot.h
//
// What the control plane knows of a running server at one moment: every
// worker's counters and lease counts, every subnet's utilisation and the
// lease database's statistics. Collect() asks each worker through
// Dataplane::RunOnWorker() (never reading worker state from the control
// thread); the control socket's `stats`/`subnets` commands and the
// Prometheus exporter are rendered from snapshots.
//
// Thread safety: Collect() on the control thread only; a Snapshot is a
// plain value that may then be copied to any thread.

#ifndef LEASEWIRE_CONTROL_SNAPSHOT_H_
#define LEASEWIRE_CONTROL_SNAPSHOT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "leasewire/dataplane/dataplane.h"
#include "leasewire/store/store.h"

namespace leasewire::control {

// Records of a worker's lease table by state.
struct LeaseCounts {
  uint64_t offered = 0;
  uint64_t bound = 0;
  uint64_t released = 0;
  uint64_t declined = 0;
  uint64_t expired = 0;
};

struct WorkerSnapshot {
  size_t index = 0;
  unsigned lcore = 0;
  dataplane::WorkerCounters counters;
  LeaseCounts leases;
};

struct SubnetSnapshot {
  uint32_t id = 0;
  std::string prefix;  // "192.0.2.0/24"
  size_t worker = 0;   // owner
  uint64_t total = 0;  // addresses in the pools
  uint64_t free = 0;   // of them, neither leased, offered, declined nor
                       // reserved
};

struct Snapshot {
  absl::Time taken;
  std::vector<WorkerSnapshot> workers;
  std::vector<SubnetSnapshot> subnets;  // in config order
  store::StoreStats store;

  dataplane::WorkerCounters TotalCounters() const;
  LeaseCounts TotalLeases() const;
};

// Asks every worker for its counters, lease counts and the utilisation of
// its subnets. Fails (DeadlineExceeded) when a worker does not answer
// within `timeout`.
absl::StatusOr<Snapshot> Collect(dataplane::Dataplane& plane,
                                 absl::Duration timeout = absl::Seconds(2));

}  // namespace leasewire::control

#endif  // LEASEWIRE_CONTROL_SNAPSHOT_H_
