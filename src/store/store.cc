#include "leasewire/store/store.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/iterator.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"
#include "spdlog/spdlog.h"
#include "store/record.h"

namespace leasewire::store {
namespace {

// In the encoded stream Submit() builds: a body length meaning "delete the
// record" (kDelete); real bodies are a few hundred octets at most.
constexpr size_t kDeleteMarker = 0xffff;

using internal::kLeaseKeySize;

constexpr size_t kRing = 1 << 16;  // resolved tickets remembered

std::string Le(uint64_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
  return s;
}

uint64_t FromLe(const std::string& s) {
  uint64_t v = 0;
  for (size_t i = 0; i < s.size() && i < 8; ++i) {
    v |= uint64_t{static_cast<uint8_t>(s[i])} << (8 * i);
  }
  return v;
}

// RocksDB's own LOG file lives in the database directory; on a full disk
// its writer asserts (Debian builds RocksDB with assertions), so warnings
// and errors go to the server's log instead and the rest is dropped.
class SpdlogLogger : public rocksdb::Logger {
 public:
  SpdlogLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, ap);
    // A checkpoint (backup) pauses file deletions and RocksDB 7.8 reports
    // that, and its nesting, as warnings: routine, not worth an alarm.
    if (std::strstr(line, "File Deletions") != nullptr) {
      spdlog::debug("lease database (rocksdb): {}", line);
      return;
    }
    spdlog::warn("lease database (rocksdb): {}", line);
  }
};

absl::Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  const std::string msg = what + ": " + s.ToString();
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  return absl::InternalError(msg);
}

// Bytes of SST and WAL files in `directory`.
uint64_t DirectoryBytes(const std::string& directory) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(directory, ec)) {
    const std::string name = e.path().filename().string();
    if (name.ends_with(".sst") || name.ends_with(".log")) {
      total += e.file_size(ec);
    }
  }
  return total;
}

// Options for a database of small records (about 60 octets) keyed by
// address, written in groups and read back in full at start-up; the
// reasons are in docs/store-format.md.
rocksdb::Options MakeOptions(const StoreOptions& o) {
  rocksdb::Options opt;
  opt.create_if_missing = true;
  opt.max_background_jobs = 2;
  opt.write_buffer_size = o.write_buffer_bytes;
  opt.max_write_buffer_number = 3;
  opt.max_total_wal_size = 4 * o.write_buffer_bytes;
  opt.level_compaction_dynamic_level_bytes = true;
  opt.bytes_per_sync = 1 << 20;
  opt.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  opt.info_log = std::make_shared<SpdlogLogger>();
  // L0 and L1 are rewritten soon; compress only what stays.
  opt.compression_per_level = {rocksdb::kNoCompression,
                               rocksdb::kNoCompression};
  for (int i = 2; i < opt.num_levels; ++i) {
    opt.compression_per_level.push_back(rocksdb::kLZ4Compression);
  }
  rocksdb::BlockBasedTableOptions t;
  t.block_size = 16 << 10;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.cache_index_and_filter_blocks = true;
  opt.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return opt;
}

}  // namespace

int64_t TimeBase::ToWall(Seconds engine) const {
  if (engine == lease::kNever) return kWallNever;
  return wall_at_zero + int64_t{engine};
}

class Store::Impl {
 public:
  Impl(const StoreOptions& options, std::unique_ptr<rocksdb::DB> db,
       uint64_t last_seq)
      : options_(options),
        rocks_options_(MakeOptions(options)),
        dir_(options.directory),
        db_(std::move(db)),
        next_ticket_(last_seq) {
    last_seq_.store(last_seq);
    resolved_through_.store(last_seq);
    for (auto& s : status_) s.store(0, std::memory_order_relaxed);
    write_options_.sync = options.durability == Durability::kSync;
    committer_ = std::thread([this] { CommitLoop(); });
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    work_.notify_one();
    committer_.join();
    if (db_ != nullptr) db_->Close();
  }

  CommitTicket Submit(const engine::MutationLog& log) {
    // Encode outside the lock: per record [5-octet key][u16 body length]
    // [body][u32 body checksum]; the sequence number is added under it.
    thread_local std::string scratch;
    thread_local std::string value;
    scratch.clear();
    for (size_t i = 0; i < log.size(); ++i) {
      const engine::Mutation m = log[i];
      const size_t at = scratch.size();
      scratch.resize(at + kLeaseKeySize + 2);
      internal::EncodeKey(m.lease.address, scratch.data() + at);
      if (m.kind == engine::MutationKind::kDelete) {
        scratch[at + kLeaseKeySize] = static_cast<char>(0xff);
        scratch[at + kLeaseKeySize + 1] = static_cast<char>(0xff);
        continue;
      }
      internal::EncodeBody(m.lease, m.kind, options_.time_base,
                           options_.server_id, &scratch);
      const size_t body = at + kLeaseKeySize + 2;
      const size_t n = scratch.size() - body;
      scratch[at + kLeaseKeySize] = static_cast<char>(n & 0xff);
      scratch[at + kLeaseKeySize + 1] = static_cast<char>(n >> 8);
      const uint32_t h = internal::Checksum(scratch.data() + body, n);
      const char hb[4] = {static_cast<char>(h), static_cast<char>(h >> 8),
                          static_cast<char>(h >> 16),
                          static_cast<char>(h >> 24)};
      scratch.append(hb, 4);
    }
    std::lock_guard<std::mutex> l(mu_);
    const CommitTicket t = ++next_ticket_;
    if (open_.Count() == 0) group_start_ = std::chrono::steady_clock::now();
    for (size_t at = 0; at < scratch.size();) {
      const char* k = scratch.data() + at;
      const size_t n = static_cast<uint8_t>(k[kLeaseKeySize]) |
                       size_t{static_cast<uint8_t>(k[kLeaseKeySize + 1])} << 8;
      if (n == kDeleteMarker) {
        open_.Delete(rocksdb::Slice(k, kLeaseKeySize));
        at += kLeaseKeySize + 2;
        continue;
      }
      const char* body = k + kLeaseKeySize + 2;
      uint32_t h = 0;
      for (int i = 0; i < 4; ++i) {
        h |= uint32_t{static_cast<uint8_t>(body[n + i])} << (8 * i);
      }
      value.assign(body, n);
      internal::AppendTrailer(h, t, &value);
      open_.Put(rocksdb::Slice(k, kLeaseKeySize), value);
      at += kLeaseKeySize + 2 + n + 4;
    }
    stats_.submitted++;
    stats_.mutations += log.size();
    if (!work_pending_) {
      work_pending_ = true;
      work_.notify_one();
    }
    return t;
  }

  CommitState Poll(CommitTicket t) const {
    if (t > resolved_through_.load(std::memory_order_acquire)) {
      return CommitState::kPending;
    }
    const uint64_t s = status_[t % kRing].load(std::memory_order_relaxed);
    if ((s >> 1) == t && (s & 1) == 0) return CommitState::kDone;
    return CommitState::kFailed;
  }

  CommitState Wait(CommitTicket t) {
    std::unique_lock<std::mutex> l(mu_);
    done_.wait(l, [&] {
      return resolved_through_.load(std::memory_order_acquire) >= t;
    });
    l.unlock();
    return Poll(t);
  }

  StoreStats stats() const {
    std::lock_guard<std::mutex> l(mu_);
    return stats_;
  }

  uint64_t last_sequence() const { return last_seq_.load(); }

  absl::Status PutReservation(std::string_view key, std::string_view json) {
    std::lock_guard<std::mutex> l(db_mu_);
    if (db_ == nullptr) return absl::UnavailableError(ClosedMessage());
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db_->Put(wo, ReservationKey(key),
                              rocksdb::Slice(json.data(), json.size())),
                     "cannot store reservation " + std::string(key));
  }

  absl::Status DeleteReservation(std::string_view key) {
    std::lock_guard<std::mutex> l(db_mu_);
    if (db_ == nullptr) return absl::UnavailableError(ClosedMessage());
    std::string value;
    const std::string k = ReservationKey(key);
    rocksdb::Status g = db_->Get(rocksdb::ReadOptions(), k, &value);
    if (g.IsNotFound()) {
      return absl::NotFoundError("no runtime reservation " + std::string(key));
    }
    if (!g.ok()) return FromRocks(g, "cannot read reservation");
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db_->Delete(wo, k),
                     "cannot delete reservation " + std::string(key));
  }

  absl::Status ForEachReservation(
      const std::function<void(std::string_view, std::string_view)>& fn) {
    std::lock_guard<std::mutex> l(db_mu_);
    if (db_ == nullptr) return absl::UnavailableError(ClosedMessage());
    const char upper_key[1] = {internal::kReservationPrefix + 1};
    rocksdb::Slice upper(upper_key, 1);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    for (it->Seek(rocksdb::Slice(&internal::kReservationPrefix, 1));
         it->Valid(); it->Next()) {
      const rocksdb::Slice k = it->key();
      const rocksdb::Slice v = it->value();
      fn(std::string_view(k.data() + 1, k.size() - 1),
         std::string_view(v.data(), v.size()));
    }
    return FromRocks(it->status(), "cannot list reservations");
  }
  // Under db_mu_, so that the committer does not replace db_ meanwhile;
  // commits go on (RocksDB takes the checkpoint beside them).
  absl::Status Checkpoint(const std::string& directory) {
    std::lock_guard<std::mutex> l(db_mu_);
    if (db_ == nullptr) return absl::UnavailableError(ClosedMessage());
    rocksdb::Checkpoint* raw = nullptr;
    rocksdb::Status s = rocksdb::Checkpoint::Create(db_.get(), &raw);
    if (!s.ok()) return FromRocks(s, "cannot start a checkpoint");
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    // 0: always flush the memtable first, so the copy is mostly SST files
    // (hard links on the same filesystem) and opens without a long WAL
    // replay.
    return FromRocks(
        checkpoint->CreateCheckpoint(directory,
                                     /*log_size_for_flush=*/0),
        "cannot write a copy of lease database " + dir_ + " to " + directory);
  }
  rocksdb::DB* db() { return db_.get(); }
  const rocksdb::WriteOptions& write_options() const { return write_options_; }

 private:
  void PinCommitter() {
    if (options_.committer_cpus.empty()) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : options_.committer_cpus) CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }

  // After a failed write the database is closed and opened again: RocksDB
  // 7.8's own recovery (Resume(), or its automatic one for a full disk)
  // can write on to the WAL file that failed, which its assertion-enabled
  // Debian build aborts on. Reopening replays the WAL, flushes it and
  // starts a new one. At most one attempt a second; until one succeeds,
  // commits fail with the last error.
  rocksdb::Status ReopenIfBroken() {
    if (!broken_) return rocksdb::Status::OK();
    const auto now = std::chrono::steady_clock::now();
    if (now < next_reopen_) return last_failure_;
    next_reopen_ = now + std::chrono::seconds(1);
    std::lock_guard<std::mutex> db_lock(db_mu_);
    if (db_ != nullptr) {
      db_->Close();
      db_.reset();
    }
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(rocks_options_, dir_, &raw);
    if (!s.ok()) {
      last_failure_ = s;
      return s;
    }
    db_.reset(raw);
    broken_ = false;
    return s;
  }

  int64_t WallNow() const {
    return options_.wall_clock ? options_.wall_clock()
                               : static_cast<int64_t>(std::time(nullptr));
  }

  // One step of background reclaiming: up to kReclaimStep records from
  // where the last step stopped. The committer is the only writer, so a
  // record read here is still the latest written one; a commit submitted
  // meanwhile is written after these deletes and wins.
  void ReclaimStep() {
    constexpr int kReclaimStep = 4096;
    const auto now = std::chrono::steady_clock::now();
    if (broken_ || db_ == nullptr) {
      next_reclaim_ = now + std::chrono::seconds(1);
      return;
    }
    const int64_t now_wall = WallNow();
    const char upper_key[1] = {internal::kLeasePrefix + 1};
    rocksdb::Slice upper(upper_key, 1);
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    if (reclaim_from_.empty()) reclaim_from_ = internal::kLeasePrefix;
    rocksdb::WriteBatch deletes;
    internal::Record r;
    int n = 0;
    for (it->Seek(reclaim_from_); it->Valid() && n < kReclaimStep;
         it->Next(), ++n) {
      const rocksdb::Slice k = it->key();
      const rocksdb::Slice v = it->value();
      if (!internal::DecodeRecord({k.data(), k.size()}, {v.data(), v.size()},
                                  &r)) {
        continue;  // damaged: left for recovery to count
      }
      if (!lease::HoldsAddress(r.image.state) &&
          r.expiry_wall != TimeBase::kWallNever &&
          now_wall - r.expiry_wall > options_.reclaim_after) {
        deletes.Delete(k);
      }
    }
    const bool pass_done = !it->Valid();
    if (!pass_done) reclaim_from_ = it->key().ToString();
    it.reset();
    uint64_t deleted = 0;
    if (deletes.Count() > 0) {
      // Not synced: a lost delete is redone by the next pass.
      if (db_->Write(rocksdb::WriteOptions(), &deletes).ok()) {
        deleted = deletes.Count();
      }
    }
    if (pass_done) {
      reclaim_from_.clear();
      next_reclaim_ = now + std::chrono::seconds(options_.reclaim_interval);
    } else {
      next_reclaim_ = now + std::chrono::milliseconds(10);
    }
    std::lock_guard<std::mutex> l(mu_);
    stats_.reclaimed += deleted;
    if (pass_done) stats_.reclaim_passes++;
  }

  void CommitLoop() {
    PinCommitter();
    rocksdb::WriteBatch batch;
    for (;;) {
      uint64_t lo, hi;
      std::chrono::steady_clock::time_point started;
      {
        std::unique_lock<std::mutex> l(mu_);
        const auto ready = [&] {
          return stop_ || next_ticket_ > taken_through_;
        };
        if (options_.reclaim_interval <= 0) {
          work_.wait(l, ready);
        } else if (!work_.wait_until(l, next_reclaim_, ready)) {
          l.unlock();
          ReclaimStep();
          continue;
        }
        if (next_ticket_ == taken_through_) return;  // stopping, drained
        std::swap(batch, open_);
        started = group_start_;
        work_pending_ = false;
        lo = taken_through_ + 1;
        hi = next_ticket_;
        taken_through_ = hi;
      }
      batch.Put(rocksdb::Slice(internal::kSequenceKey.data(),
                               internal::kSequenceKey.size()),
                Le(hi, 8));
      rocksdb::Status s = ReopenIfBroken();
      if (s.ok()) s = db_->Write(write_options_, &batch);
      if (!s.ok()) broken_ = true;
      batch.Clear();
      const uint64_t latency_us = static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(
              std::chrono::steady_clock::now() - started)
              .count());
      const uint64_t fail = s.ok() ? 0 : 1;
      for (uint64_t t = lo; t <= hi; ++t) {
        status_[t % kRing].store(t << 1 | fail, std::memory_order_relaxed);
      }
      if (s.ok()) last_seq_.store(hi);
      if (!s.ok()) last_failure_ = s;
      {
        std::lock_guard<std::mutex> l(mu_);
        resolved_through_.store(hi, std::memory_order_release);
        stats_.writes++;
        size_t bucket = 0;
        while (bucket < kCommitLatencyBoundsUs.size() &&
               latency_us > kCommitLatencyBoundsUs[bucket]) {
          ++bucket;
        }
        stats_.latency_buckets[bucket]++;
        stats_.latency_sum_us += latency_us;
        if (s.ok()) {
          stats_.committed += hi - lo + 1;
        } else {
          stats_.failed += hi - lo + 1;
          stats_.write_failures++;
          stats_.last_error = s.ToString();
        }
      }
      done_.notify_all();
    }
  }

  const StoreOptions options_;
  const rocksdb::Options rocks_options_;
  const std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;  // null after a failed reopen
  // Held by the committer while it replaces db_, and by control-thread
  // calls while they use it.
  std::mutex db_mu_;

  std::string ClosedMessage() const {
    return "lease database " + dir_ +
           " is not open after a failed write: " + last_failure_.ToString();
  }
  static std::string ReservationKey(std::string_view key) {
    std::string k(1, internal::kReservationPrefix);
    k.append(key);
    return k;
  }
  // Committer thread only:
  bool broken_ = false;
  rocksdb::Status last_failure_;
  std::chrono::steady_clock::time_point next_reopen_;
  std::string reclaim_from_;  // key where the next reclaim step starts
  std::chrono::steady_clock::time_point next_reclaim_ =
      std::chrono::steady_clock::now() + std::chrono::seconds(1);
  rocksdb::WriteOptions write_options_;

  mutable std::mutex mu_;
  std::condition_variable work_;
  std::condition_variable done_;
  rocksdb::WriteBatch open_;  // guarded by mu_
  // When the first Submit() of the batch in open_ came.
  std::chrono::steady_clock::time_point group_start_;  // mu_
  CommitTicket next_ticket_;                   // last ticket handed out; mu_
  CommitTicket taken_through_ = next_ticket_;  // mu_
  bool work_pending_ = false;                  // mu_
  bool stop_ = false;                          // mu_
  StoreStats stats_;                           // mu_

  std::atomic<uint64_t> resolved_through_;
  std::atomic<uint64_t> last_seq_;
  std::array<std::atomic<uint64_t>, kRing> status_;
  std::thread committer_;
};

absl::StatusOr<std::unique_ptr<Store>> Store::Open(StoreOptions options) {
  const std::string& dir = options.directory;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError("cannot create lease database " + dir +
                                         ": " + ec.message());
  }
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(MakeOptions(options), dir, &raw);
  if (!s.ok()) {
    const std::string text = s.ToString();
    if (s.IsIOError() && text.find("lock") != std::string::npos) {
      return absl::FailedPreconditionError(
          "lease database " + dir + " is in use by another leasewired (" +
          text + ")");
    }
    return FromRocks(s, "cannot open lease database " + dir);
  }
  std::unique_ptr<rocksdb::DB> db(raw);

  std::string value;
  rocksdb::Status g = db->Get(
      rocksdb::ReadOptions(),
      rocksdb::Slice(internal::kSchemaKey.data(), internal::kSchemaKey.size()),
      &value);
  if (g.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    g = db->Put(wo,
                rocksdb::Slice(internal::kSchemaKey.data(),
                               internal::kSchemaKey.size()),
                Le(kSchemaVersion, 4));
    if (!g.ok()) return FromRocks(g, "cannot write schema version in " + dir);
  } else if (!g.ok()) {
    return FromRocks(g, "cannot read schema version in " + dir);
  } else if (value.size() != 4) {
    return absl::DataLossError("lease database " + dir +
                               ": damaged schema version record");
  } else if (FromLe(value) > kSchemaVersion) {
    return absl::FailedPreconditionError(
        "lease database " + dir + " has schema version " +
        std::to_string(FromLe(value)) + ", newer than this leasewired (" +
        std::to_string(kSchemaVersion) + "); refusing to open it");
  }

  uint64_t last_seq = 0;
  g = db->Get(rocksdb::ReadOptions(),
              rocksdb::Slice(internal::kSequenceKey.data(),
                             internal::kSequenceKey.size()),
              &value);
  if (g.ok()) {
    last_seq = FromLe(value);
  } else if (!g.IsNotFound()) {
    return FromRocks(g, "cannot read sequence in " + dir);
  }
  auto impl = std::make_unique<Impl>(options, std::move(db), last_seq);
  return std::unique_ptr<Store>(new Store(std::move(options), std::move(impl)));
}

Store::Store(StoreOptions options, std::unique_ptr<Impl> impl)
    : options_(std::move(options)), impl_(std::move(impl)) {}

Store::~Store() = default;

CommitTicket Store::Submit(const engine::MutationLog& log) {
  return impl_->Submit(log);
}
CommitState Store::Poll(CommitTicket ticket) const {
  return impl_->Poll(ticket);
}
CommitState Store::Wait(CommitTicket ticket) { return impl_->Wait(ticket); }
StoreStats Store::stats() const { return impl_->stats(); }
uint64_t Store::last_sequence() const { return impl_->last_sequence(); }

absl::Status Store::PutReservation(std::string_view key,
                                   std::string_view json) {
  return impl_->PutReservation(key, json);
}
absl::Status Store::DeleteReservation(std::string_view key) {
  return impl_->DeleteReservation(key);
}
absl::Status Store::ForEachReservation(
    const std::function<void(std::string_view key, std::string_view json)>& fn)
    const {
  return impl_->ForEachReservation(fn);
}

uint64_t Store::DiskBytes() const { return DirectoryBytes(options_.directory); }

absl::StatusOr<DirectoryReport> Store::Checkpoint(
    const std::string& directory) {
  namespace fs = std::filesystem;
  fs::path target = fs::path(directory).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "a/b/"
  if (!target.is_absolute()) {
    return absl::InvalidArgumentError("\"" + directory +
                                      "\" is not an absolute path");
  }
  const fs::path live =
      fs::absolute(fs::path(options_.directory)).lexically_normal();
  const fs::path rel = target.lexically_relative(live);
  if (!rel.empty() && *rel.begin() != "..") {
    return absl::InvalidArgumentError(
        directory + " is inside the lease database " + options_.directory +
        "; give a directory outside it");
  }
  std::error_code ec;
  if (fs::symlink_status(target, ec).type() != fs::file_type::not_found) {
    return absl::AlreadyExistsError(
        directory +
        " already exists; give a new name (a backup never overwrites one)");
  }
  const fs::path parent = target.parent_path();
  if (!fs::is_directory(parent, ec)) {
    return absl::FailedPreconditionError(
        parent.string() +
        " is not a directory; create it first (writable by leasewired)");
  }
  const absl::Status made = impl_->Checkpoint(target.string());
  if (!made.ok()) return made;
  return Inspect(target.string());
}

absl::StatusOr<DirectoryReport> Store::Inspect(const std::string& directory) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(directory) / "CURRENT",
                               ec)) {
    return absl::NotFoundError("no lease database in " + directory +
                               " (no CURRENT file)");
  }
  rocksdb::Options options = MakeOptions(StoreOptions{});
  options.create_if_missing = false;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(options, directory, &raw);
  if (!s.ok()) return FromRocks(s, "cannot open lease database " + directory);
  std::unique_ptr<rocksdb::DB> db(raw);

  DirectoryReport report;
  report.directory = directory;
  std::string value;
  const rocksdb::ReadOptions plain;
  s = db->Get(
      plain,
      rocksdb::Slice(internal::kSchemaKey.data(), internal::kSchemaKey.size()),
      &value);
  if (s.ok()) {
    report.schema_version = static_cast<uint32_t>(FromLe(value));
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "cannot read schema version in " + directory);
  }
  s = db->Get(plain,
              rocksdb::Slice(internal::kSequenceKey.data(),
                             internal::kSequenceKey.size()),
              &value);
  if (s.ok()) {
    report.last_sequence = FromLe(value);
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "cannot read sequence in " + directory);
  }

  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 4 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
  internal::Record r;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice k = it->key();
    const rocksdb::Slice v = it->value();
    if (k.empty()) continue;
    if (k[0] == internal::kLeasePrefix) {
      if (internal::DecodeRecord({k.data(), k.size()}, {v.data(), v.size()},
                                 &r)) {
        report.lease_records++;
      } else {
        report.damaged_records++;
      }
    } else if (k[0] == internal::kReservationPrefix) {
      report.reservations++;
    }
  }
  if (!it->status().ok()) {
    return FromRocks(it->status(), "reading lease database " + directory);
  }
  report.disk_bytes = DirectoryBytes(directory);
  return report;
}

absl::Status Store::Recover(
    Seconds now, const std::function<void(const engine::LeaseImage&)>& fn,
    RecoverStats* stats) {
  return Recover(
      now, [&](const engine::LeaseImage& im, const RecordMeta&) { fn(im); },
      stats);
}

absl::Status Store::Recover(
    Seconds now,
    const std::function<void(const engine::LeaseImage&, const RecordMeta&)>& fn,
    RecoverStats* stats) {
  RecoverStats local;
  RecoverStats& st = stats != nullptr ? *stats : local;
  st = RecoverStats{};
  const int64_t now_wall = options_.time_base.ToWall(now);
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 4 << 20;
  const char upper_key[1] = {internal::kLeasePrefix + 1};
  rocksdb::Slice upper(upper_key, 1);
  ro.iterate_upper_bound = &upper;
  rocksdb::WriteBatch reclaim;
  if (impl_->db() == nullptr) {
    return absl::UnavailableError("lease database " + options_.directory +
                                  " is closed after a write failure");
  }
  std::unique_ptr<rocksdb::Iterator> it(impl_->db()->NewIterator(ro));
  internal::Record r;
  for (it->Seek(rocksdb::Slice(&internal::kLeasePrefix, 1)); it->Valid();
       it->Next()) {
    st.records++;
    const rocksdb::Slice k = it->key();
    const rocksdb::Slice v = it->value();
    if (!internal::DecodeRecord({k.data(), k.size()}, {v.data(), v.size()},
                                &r)) {
      st.damaged++;
      continue;
    }
    engine::LeaseImage& im = r.image;
    // Elapsed and remaining wall time, clamped so that a clock step never
    // yields a negative lifetime or one longer than was granted.
    int64_t elapsed = now_wall - r.start_wall;
    if (r.start_wall == TimeBase::kWallNever || elapsed < 0) elapsed = 0;
    elapsed = std::min<int64_t>(elapsed, now);
    im.start = static_cast<Seconds>(now - elapsed);
    bool ended = false;
    if (r.expiry_wall == TimeBase::kWallNever) {
      im.expiry = lease::kNever;
    } else {
      int64_t granted = r.expiry_wall - r.start_wall;
      if (r.start_wall == TimeBase::kWallNever || granted < 0) granted = 0;
      int64_t remaining = r.expiry_wall - now_wall;
      remaining = std::clamp<int64_t>(remaining, 0, granted);
      const int64_t room = int64_t{lease::kNever} - 1 - int64_t{now};
      remaining = std::min(remaining, room);
      im.expiry = static_cast<Seconds>(now + remaining);
      ended = remaining == 0;
      if (ended && lease::HoldsAddress(im.state)) {
        im.state = lease::LeaseState::kExpired;
        st.expired++;
      }
      if (ended && !lease::HoldsAddress(im.state) &&
          now_wall - r.expiry_wall > options_.reclaim_after) {
        reclaim.Delete(k);
        st.reclaimed++;
      }
    }
    fn(im, r.meta);
    st.delivered++;
  }
  if (!it->status().ok()) {
    return FromRocks(it->status(),
                     "reading lease database " + options_.directory);
  }
  it.reset();
  if (reclaim.Count() > 0) {
    const rocksdb::Status s =
        impl_->db()->Write(impl_->write_options(), &reclaim);
    if (!s.ok()) return FromRocks(s, "reclaiming expired leases");
  }
  return absl::OkStatus();
}

}  // namespace leasewire::store
