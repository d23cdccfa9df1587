#include "control/sample_snapshot.h"

#include <cstdint>

#include "absl/time/time.h"
#include "leasewire/dataplane/packet_path.h"
#include "leasewire/engine/engine.h"
#include "leasewire/wire/options.h"
#include "leasewire/wire/verdict.h"

namespace leasewire::control {
namespace {

// Worker w's counters: field values are multiples of 1000 * (w + 1) plus
// a per-field offset, so no two series of the sample are equal by chance.
dataplane::WorkerCounters Counters(uint64_t w) {
  const uint64_t base = 1000 * (w + 1);
  dataplane::WorkerCounters c;
  c.rx = base + 1;
  c.tx = base + 2;
  c.handed_off = base + 3;
  c.from_peers = base + 4;
  c.arp_replies = base + 5;
  c.icmp_replies = base + 6;
  c.commits = base + 7;
  c.held = base + 8;
  c.cycles = base * 100;
  c.busy_cycles = base * 10;
  c.tsc = base * 100'000;
  c.busy_tsc = base * 10'000;
  for (size_t i = 0; i < c.drops.size(); ++i) c.drops[i] = base + 100 + i;
  for (size_t i = 0; i < c.verdicts.size(); ++i) c.verdicts[i] = base + 200 + i;
  c.no_subnet[static_cast<int>(engine::Reason::kNoSubnet)] = base + 300;
  c.no_subnet[static_cast<int>(engine::Reason::kUntrustedRelayInfo)] =
      base + 301;
  for (size_t i = 0; i < c.engine.received.size(); ++i) {
    c.engine.received[i] = base + 400 + i;
    c.engine.sent[i] = base + 500 + i;
  }
  for (size_t i = 0; i < c.engine.reasons.size(); ++i) {
    c.engine.reasons[i] = base + 600 + i;
  }
  c.engine.options_dropped = base + 700;
  c.engine.expired = base + 701;
  c.engine.offers_timed_out = base + 702;
  c.engine.probation_ended = base + 703;
  return c;
}

}  // namespace

Snapshot SampleSnapshot() {
  Snapshot s;
  s.taken = absl::FromUnixSeconds(1700000000) + absl::Milliseconds(250);
  for (uint64_t w = 0; w < 2; ++w) {
    WorkerSnapshot ws;
    ws.index = w;
    ws.lcore = static_cast<unsigned>(w + 1);
    ws.counters = Counters(w);
    ws.leases = {.offered = 10 + w,
                 .bound = 20 + w,
                 .released = 30 + w,
                 .declined = 40 + w,
                 .expired = 50 + w};
    s.workers.push_back(ws);
  }
  s.subnets.push_back({.id = 1,
                       .prefix = "192.0.2.0/24",
                       .worker = 0,
                       .total = 200,
                       .free = 150});
  s.subnets.push_back({.id = 2,
                       .prefix = "198.51.100.0/25",
                       .worker = 1,
                       .total = 100,
                       .free = 0});
  s.subnets.push_back({.id = 3,
                       .prefix = "203.0.113.0/28",
                       .worker = 0,
                       .total = 0,
                       .free = 0});
  s.store.submitted = 9001;
  s.store.committed = 9000;
  s.store.failed = 3;
  s.store.writes = 4000;
  s.store.write_failures = 1;
  s.store.mutations = 12000;
  s.store.reclaimed = 77;
  s.store.reclaim_passes = 5;
  // 1000 + 2000 + 500 + 100 + 7 writes; 4 slower than every bound.
  s.store.latency_buckets[0] = 1000;
  s.store.latency_buckets[1] = 2000;
  s.store.latency_buckets[3] = 500;
  s.store.latency_buckets[6] = 100;
  s.store.latency_buckets[12] = 3;
  s.store.latency_buckets.back() = 4;
  s.store.latency_sum_us = 2'345'678;
  return s;
}

Snapshot EarlierSnapshot(const Snapshot& now, uint64_t cycles, uint64_t busy) {
  Snapshot before = now;
  before.taken = now.taken - absl::Seconds(1);
  for (WorkerSnapshot& w : before.workers) {
    w.counters.cycles -= cycles;
    w.counters.busy_cycles -= busy;
    // The same share of time as of cycles.
    w.counters.tsc -= cycles * 1000;
    w.counters.busy_tsc -= busy * 1000;
  }
  return before;
}

}  // namespace leasewire::control
