#include "leasewire/control/snapshot.h"

#include <map>

#include "absl/strings/str_cat.h"

namespace leasewire::control {

dataplane::WorkerCounters Snapshot::TotalCounters() const {
  dataplane::WorkerCounters total;
  for (const WorkerSnapshot& w : workers) total += w.counters;
  return total;
}

LeaseCounts Snapshot::TotalLeases() const {
  LeaseCounts t;
  for (const WorkerSnapshot& w : workers) {
    t.offered += w.leases.offered;
    t.bound += w.leases.bound;
    t.released += w.leases.released;
    t.declined += w.leases.declined;
    t.expired += w.leases.expired;
  }
  return t;
}

absl::StatusOr<Snapshot> Collect(dataplane::Dataplane& plane,
                                 absl::Duration timeout) {
  Snapshot snap;
  snap.taken = absl::Now();
  const config::Config& config = *plane.config();
  std::map<uint32_t, engine::Engine::Utilization> utilization;
  for (size_t w = 0; w < plane.workers(); ++w) {
    WorkerSnapshot ws;
    ws.index = w;
    ws.lcore = plane.lcore_of(w);
    absl::StatusOr<store::CommitTicket> done = plane.RunOnWorker(
        w,
        [&](dataplane::WorkerAccess& access) {
          ws.counters = access.counters();
          const engine::Engine* engine = access.engine();
          if (engine == nullptr) return;
          // Running counts kept by the table: O(1), so a snapshot never
          // stalls a worker holding millions of leases.
          const lease::LeaseTable& t = engine->table();
          ws.leases.offered = t.count(lease::LeaseState::kOffered);
          ws.leases.bound = t.count(lease::LeaseState::kBound);
          ws.leases.released = t.count(lease::LeaseState::kReleased);
          ws.leases.declined = t.count(lease::LeaseState::kDeclined);
          ws.leases.expired = t.count(lease::LeaseState::kExpired);
          for (const config::Subnet& s : access.config().subnets) {
            if (engine->Owns(s))
              utilization[s.id] = engine->SubnetUtilization(s.id);
          }
        },
        timeout);
    if (!done.ok()) return done.status();
    snap.workers.push_back(std::move(ws));
  }
  for (const config::Subnet& s : config.subnets) {
    SubnetSnapshot ss;
    ss.id = s.id;
    ss.prefix = s.prefix.ToString();
    ss.worker = plane.OwnerOf(s.id);
    const auto it = utilization.find(s.id);
    if (it != utilization.end()) {
      ss.total = it->second.total;
      ss.free = it->second.free;
    }
    snap.subnets.push_back(std::move(ss));
  }
  snap.store = plane.store().stats();
  return snap;
}

}  // namespace leasewire::control
