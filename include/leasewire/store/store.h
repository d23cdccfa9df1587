// File: leasewire/store/store.h
//
// The durable lease store: one RocksDB database holding one record per
// address (docs/store-format.md). A worker hands the mutations of one poll
// cycle to Submit(), keeps polling, and releases its held ACKs once Poll()
// says the commit is done; a committer thread merges everything submitted
// since its last write into one WriteBatch (group commit). At start-up
// Recover() reads every record back for Engine::Restore().
//
// Times: records hold absolute wall-clock seconds; the engine counts
// "engine seconds" from an origin its owner chooses. TimeBase ties the two
// together for one run of the process.
//
// Example:
//   StoreOptions opt;
//   opt.time_base.wall_at_zero = absl::ToUnixSeconds(absl::Now());
//   auto store = Store::Open(opt);          // refuses a second opener
//   (*store)->Recover(0, [&](const engine::LeaseImage& l) {
//     engine.Restore(l);
//   });
//   CommitTicket t = (*store)->Submit(log);
//   ... while ((*store)->Poll(t) == CommitState::kPending) keep polling;
//
// Thread safety: Submit(), Poll(), stats() and Wait() may be called from
// any thread. Recover() must finish before the first Submit().

#ifndef LEASEWIRE_STORE_STORE_H_
#define LEASEWIRE_STORE_STORE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "leasewire/engine/mutation.h"
#include "leasewire/lease/lease.h"

namespace leasewire::store {

using lease::Seconds;

inline constexpr char kDefaultDirectory[] = "/var/lib/leasewire/leases";
// The record layout this build writes (docs/store-format.md).
inline constexpr uint32_t kSchemaVersion = 1;

enum class Durability : uint8_t {
  kSync,   // WAL fsynced before a commit is done (the default)
  kAsync,  // in the WAL (survives kill -9, not a power cut)
};

// Engine second 0 is wall-clock second `wall_at_zero` (Unix time).
struct TimeBase {
  int64_t wall_at_zero = 0;

  int64_t ToWall(Seconds engine) const;  // kNever -> kWallNever
  static constexpr int64_t kWallNever = INT64_MAX;
};

// What a record holds beyond the lease image (design brief §5: each lease
// carries its owning server and a version, for a later change stream).
struct RecordMeta {
  uint64_t sequence = 0;   // ticket of the batch that wrote the record
  uint32_t server_id = 0;  // StoreOptions::server_id of the writer
  engine::MutationKind last_kind = engine::MutationKind::kBind;
};

struct StoreOptions {
  std::string directory = kDefaultDirectory;
  Durability durability = Durability::kSync;
  TimeBase time_base;
  // Written into every record (RecordMeta::server_id).
  uint32_t server_id = 0;
  // Recover() deletes released/expired records (and held ones whose
  // lifetime ran out) that ended more than this many seconds ago; they
  // are still reported, for address affinity.
  int64_t reclaim_after = 7 * 86400;
  // While running, the committer thread deletes released and expired
  // records (never held ones) that ended more than `reclaim_after` seconds
  // ago: a pass over the database every `reclaim_interval` seconds (0: never),
  // in steps of a few thousand records taken only while no commit waits.
  int64_t reclaim_interval = 600;
  // The wall clock for background reclaiming (Unix seconds); null: time().
  std::function<int64_t()> wall_clock;
  // RocksDB memtable size; tests on a small filesystem lower it.
  size_t write_buffer_bytes = 64 << 20;
  // CPUs for the committer thread; empty: inherited. RocksDB's own
  // background threads inherit the affinity of the thread that opens the
  // store: leasewired opens it on the main lcore, after rte_eal_init.
  std::vector<int> committer_cpus;
};

// One Submit(); tickets are the batch sequence numbers, increasing by one
// per Submit() across restarts.
using CommitTicket = uint64_t;

enum class CommitState : uint8_t { kPending, kDone, kFailed };

// Upper bounds (microseconds) of the commit latency histogram buckets; a
// last bucket counts everything slower.
inline constexpr std::array<uint64_t, 13> kCommitLatencyBoundsUs = {
    100,   250,   500,    1000,   2500,   5000,   10000,
    25000, 50000, 100000, 250000, 500000, 1000000};

struct StoreStats {
  uint64_t submitted = 0;       // Submit() calls
  uint64_t committed = 0;       // tickets done
  uint64_t failed = 0;          // tickets failed
  uint64_t writes = 0;          // RocksDB writes (groups)
  uint64_t write_failures = 0;  // failed RocksDB writes
  uint64_t mutations = 0;       // records written or deleted
  uint64_t reclaimed = 0;       // records deleted by background reclaiming
  uint64_t reclaim_passes = 0;  // complete passes
  std::string last_error;       // of the last failed write; "" if none
  // Commit latency of each write: from the first Submit() it carries to
  // the end of the write (fsync included under kSync). Not cumulative per
  // bucket: bucket i counts latencies <= kCommitLatencyBoundsUs[i] and
  // above the previous bound; the last one those above all bounds.
  std::array<uint64_t, kCommitLatencyBoundsUs.size() + 1> latency_buckets{};
  uint64_t latency_sum_us = 0;
};

// What a lease database directory holds: Store::Inspect() of a directory,
// and what Store::Checkpoint() found in the copy it made.
struct DirectoryReport {
  std::string directory;
  uint32_t schema_version = 0;  // 0: no schema record (an empty database)
  uint64_t last_sequence = 0;   // the last batch committed in it
  uint64_t lease_records = 0;   // records that decode
  uint64_t damaged_records = 0;
  uint64_t reservations = 0;  // reservations added at run time
  uint64_t disk_bytes = 0;    // SST and WAL files
};

struct RecoverStats {
  uint64_t records = 0;    // lease records read
  uint64_t delivered = 0;  // passed to the callback
  uint64_t damaged = 0;    // skipped: bad encoding or key
  uint64_t expired = 0;    // held records whose lifetime had run out
  uint64_t reclaimed = 0;  // records deleted (see reclaim_after)
};

class Store {
 public:
  // Opens (creating if needed) the database in options.directory. Fails
  // when another process or Store has it open, or when its schema is newer
  // than kSchemaVersion.
  static absl::StatusOr<std::unique_ptr<Store>> Open(StoreOptions options);

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  // Commits what was submitted, then closes the database.
  ~Store();

  // Copies the mutations of `log` for the committer; never blocks on I/O.
  CommitTicket Submit(const engine::MutationLog& log);
  // Non-blocking. A ticket is kPending until its group was written; then
  // kDone or kFailed. Tickets more than 65536 submissions old read as
  // kFailed unless they were done (nothing is reported done that was not
  // written).
  CommitState Poll(CommitTicket ticket) const;
  // Blocks until `ticket` is no longer pending (tests, shutdown).
  // REQUIRES: `ticket` came from Submit().
  CommitState Wait(CommitTicket ticket);

  // Reads every lease record. `now` is the current engine second; the
  // image's times are converted to engine seconds with the store's time
  // base and clamped (see docs/store-format.md, "Time"); held leases whose
  // lifetime ran out come back as kExpired. Damaged records are skipped and
  // counted. The image's spans are valid during the call only.
  absl::Status Recover(Seconds now,
                       const std::function<void(const engine::LeaseImage&)>& fn,
                       RecoverStats* stats = nullptr);
  // The same, with each record's RecordMeta.
  absl::Status Recover(Seconds now,
                       const std::function<void(const engine::LeaseImage&,
                                                const RecordMeta&)>& fn,
                       RecoverStats* stats = nullptr);

  StoreStats stats() const;

  // Reservations added at run time (leasewirectl), kept in the same
  // database as the leases so that they survive restarts and backups.
  // `key` names one reservation (the control layer uses "<subnet id>/<kind>
  // /<identifier>"), `json` is its config object. Writes are fsynced.
  absl::Status PutReservation(std::string_view key, std::string_view json);
  // NotFound when there is no such reservation.
  absl::Status DeleteReservation(std::string_view key);
  absl::Status ForEachReservation(
      const std::function<void(std::string_view key, std::string_view json)>&
          fn) const;
  const StoreOptions& options() const { return options_; }
  // Sequence number of the last committed batch (0: none yet).
  uint64_t last_sequence() const;
  // Bytes of SST and WAL files in the directory.
  uint64_t DiskBytes() const;

  // Writes a consistent copy of the database to `directory` while commits
  // go on (RocksDB Checkpoint: the memtable is flushed, the SST files are
  // hard-linked when `directory` is on the same filesystem and copied
  // otherwise, the WAL is copied up to the last write). The copy holds
  // every batch committed before the call and is a complete database:
  // Store::Open() of it (leasewired --lease-dir) serves from it. Then it
  // opens the copy read-only and reports what it holds. `directory` must
  // be an absolute path that does not exist yet, in an existing
  // directory. Blocks the caller for the duration (about a second per
  // million records); other threads' Submit() and Poll() do not wait.
  absl::StatusOr<DirectoryReport> Checkpoint(const std::string& directory);

  // Opens the database in `directory` read-only (no lock is taken, so it
  // works on a copy and on a directory a server has open) and counts what
  // it holds. NotFound when there is no database there.
  static absl::StatusOr<DirectoryReport> Inspect(const std::string& directory);

 private:
  class Impl;
  Store(StoreOptions options, std::unique_ptr<Impl> impl);

  StoreOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace leasewire::store

#endif  // LEASEWIRE_STORE_STORE_H_
