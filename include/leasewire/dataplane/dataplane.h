// File: leasewire/dataplane/dataplane.h
//
// The DPDK data plane: ports, packet pools, hand-off rings and the worker
// lcores that run the engine. Each worker owns the subnets whose id has
// id % workers == its number (ids are stable across reloads, so is
// ownership); it polls its RX queue of
// every port and its hand-off ring, and per poll cycle:
//
//   rx_burst -> ClassifyFrame (packet_path.h): ARP / ping answered in place,
//   DHCP parsed, subnet selected -> owned here? engine : enqueue on the
//   owner's ring -> engine decision -> reply framed into a fresh mbuf ->
//   replies whose decision changed a lease are held; the cycle's mutations
//   go to the store as one Submit() -> held replies leave once their commit
//   is done -> tx_burst on the worker's own TX queue of the arrival port.
//
// Nothing on that path allocates from the heap, locks or logs; it counts
// (WorkerCounters). The engine's timers run on the owning worker, once per
// engine second.
//
// Lifetime: Create() (EAL initialised, ports probed), Recover() (tables
// rebuilt from the store before any packet is answered), Start(), Stop().
//
// The control plane never reads a worker's state from its own thread: it
// hands a function to RunOnWorker(), which the worker runs between two
// poll cycles with a WorkerAccess to its engine, counters and mutation log.
//
// Thread safety: every method is for one control thread. counters() and
// TotalCounters() only after Stop() (or before Start()); while running, ask
// the workers with RunOnWorker().

#ifndef LEASEWIRE_DATAPLANE_DATAPLANE_H_
#define LEASEWIRE_DATAPLANE_DATAPLANE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "leasewire/config/config.h"
#include "leasewire/dataplane/packet_path.h"
#include "leasewire/engine/engine.h"
#include "leasewire/store/store.h"
#include "leasewire/wire/verdict.h"

namespace leasewire::dataplane {

// A probed DPDK port and the configured interface it serves.
struct PortBinding {
  uint16_t port_id = 0;
  const config::Interface* interface = nullptr;  // from the same config
};

struct WorkerCounters {
  uint64_t rx = 0;          // frames received from ports
  uint64_t tx = 0;          // frames the ports accepted
  uint64_t handed_off = 0;  // DHCP requests sent to their owner
  uint64_t from_peers = 0;  // DHCP requests taken from the ring
  uint64_t arp_replies = 0;
  uint64_t icmp_replies = 0;
  uint64_t commits = 0;      // store submissions
  uint64_t held = 0;         // replies that waited for a commit
  uint64_t cycles = 0;       // poll cycles
  uint64_t busy_cycles = 0;  // cycles that found work
  // Time in TSC ticks: all of the worker's polling, and the part spent in
  // cycles that found work. Their ratio is the worker's load: a worker
  // at full load runs few, long cycles, so cycle counts under-read it.
  uint64_t tsc = 0;
  uint64_t busy_tsc = 0;
  std::array<uint64_t, kDropCount> drops{};
  std::array<uint64_t, wire::kVerdictCount> verdicts{};
  std::array<uint64_t, engine::kReasonCount> no_subnet{};  // by reason
  engine::Counters engine;  // of the worker's engine

  WorkerCounters& operator+=(const WorkerCounters& other);
};

// A worker's state as a control task sees it, on the worker's thread.
class WorkerAccess {
 public:
  virtual size_t index() const = 0;
  // The worker's engine; null when it owns no subnet.
  virtual engine::Engine* engine() = 0;
  virtual const config::Config& config() const = 0;
  virtual WorkerCounters counters() const = 0;
  virtual lease::Seconds now() const = 0;
  // Mutations appended here are committed with the worker's poll cycle;
  // RunOnWorker() returns that commit's ticket.
  virtual engine::MutationLog& log() = 0;

 protected:
  ~WorkerAccess() = default;
};

struct DataplaneOptions {
  std::shared_ptr<const config::Config> config;
  std::vector<PortBinding> ports;
  // Worker lcore ids, one worker each; empty: every lcore except the main.
  std::vector<unsigned> worker_lcores;
  store::Store* store = nullptr;  // required; outlives the Dataplane
  uint32_t mbufs_per_worker = 8191;
  uint16_t burst = 32;
  uint32_t handoff_ring_size = 4096;  // power of two
  uint32_t held_capacity = 4096;      // replies waiting for commits
};

class Dataplane {
 public:
  static absl::StatusOr<std::unique_ptr<Dataplane>> Create(
      DataplaneOptions options);
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;
  ~Dataplane();  // Stop()s, stops the ports, frees pools and rings

  // Loads every lease record of the store into the engine that owns its
  // subnet. Records of subnets no longer configured are counted in
  // `orphans` and left in the database.
  struct RecoverResult {
    store::RecoverStats store;
    uint64_t restored = 0;
    uint64_t orphans = 0;
  };
  absl::StatusOr<RecoverResult> Recover();

  // Configures and starts the ports, then launches the workers.
  absl::Status Start();
  // Workers stop receiving, wait (bounded) for their commits, send what
  // is held and return. Idempotent.
  void Stop();

  // Runs `fn` on worker `worker`'s thread between two poll cycles and
  // waits for it (at most `timeout`; a task that timed out still runs
  // later). Returns the ticket of the commit holding the mutations `fn`
  // appended to the log (0: none); store().Wait() it for durability.
  // Before Start() (or after Stop()) `fn` runs on the calling thread and
  // its mutations are submitted at once.
  absl::StatusOr<store::CommitTicket> RunOnWorker(
      size_t worker, std::function<void(WorkerAccess&)> fn,
      absl::Duration timeout = absl::Seconds(5));

  // Switches every worker to `config`: each rebuilds its engine for the
  // subnets it owns under `config` and carries its leases over (bound,
  // declined, released and expired records; pending offers are dropped).
  // Leases of subnets `config` no longer has stay in the store but leave
  // memory. Refused (nothing changes) when the interfaces differ by name
  // or order: ports are bound at start-up.
  absl::Status Reload(std::shared_ptr<const config::Config> config);
  // Lease records the last Reload() could not carry over.
  uint64_t last_reload_dropped() const { return last_reload_dropped_; }

  // The config the workers serve (the control thread's copy).
  const std::shared_ptr<const config::Config>& config() const {
    return options_.config;
  }
  const std::vector<PortBinding>& ports() const { return options_.ports; }
  store::Store& store() const { return *options_.store; }
  size_t workers() const;
  unsigned lcore_of(size_t worker) const;
  // The worker that owns the subnet with `subnet_id`: subnet ids are
  // stable across reloads, and so is ownership.
  size_t OwnerOf(uint32_t subnet_id) const;
  // Counters of one worker; REQUIRES: stopped (or not started).
  WorkerCounters counters(size_t worker) const;
  WorkerCounters TotalCounters() const;
  // The engine second the workers run at (seconds since Create()).
  lease::Seconds Now() const;

 private:
  // Engine time at TSC reading `tsc` (a worker reads the TSC once a cycle).
  lease::Seconds SecondsAt(uint64_t tsc) const;
  class Worker;
  struct Task;
  explicit Dataplane(DataplaneOptions options);
  absl::Status Init();
  absl::Status StartPort(size_t port_index);

  DataplaneOptions options_;
  std::vector<std::unique_ptr<Worker>> workers_;
  // Interface index in the config of each port (ports_[i].interface is
  // only valid for the config at start-up).
  std::vector<size_t> port_interface_;
  std::vector<std::shared_ptr<Task>> abandoned_;  // see RunOnWorker()
  uint64_t last_reload_dropped_ = 0;
  uint64_t tsc_origin_ = 0;
  uint64_t tsc_hz_ = 1;
  bool started_ = false;  // ports started
  bool running_ = false;  // workers launched and not stopped
};

}  // namespace leasewire::dataplane

#endif  // LEASEWIRE_DATAPLANE_DATAPLANE_H_
