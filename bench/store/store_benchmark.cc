// Store benchmarks: group commits per second for batch sizes 1, 32 and 256
// under kSync and kAsync (items/s = leases/s), recovery rate, and bytes on
// disk per lease. The database lives on the disk that holds the build tree
// (a tmpfs would make fsync free): set LEASEWIRE_BENCH_DIR to choose.
//
//   store_benchmark                      # commits + recovery of 1 M leases
//   LEASEWIRE_BENCH_RECOVER=10000000 store_benchmark
//       --benchmark_filter=Recover       # the 10 M recovery (manual)
//   LEASEWIRE_BENCH_CHECKPOINT=10000000 store_benchmark
//       --benchmark_filter=Checkpoint    # a backup of 10 M leases (manual);
//   LEASEWIRE_BENCH_BACKUP_DIR=/other/fs: copy instead of hard links

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "benchmark/benchmark.h"
#include "leasewire/store/store.h"
#include "store/store_test_util.h"

namespace leasewire::store {
namespace {

std::string BenchRoot() {
  const char* env = std::getenv("LEASEWIRE_BENCH_DIR");
  std::string root = env != nullptr ? env : "/var/tmp";
  std::string tmpl = root + "/leasewire-store-bench-XXXXXX";
  const char* p = mkdtemp(tmpl.data());
  return p != nullptr ? p : "";
}

std::unique_ptr<Store> OpenAt(const std::string& dir, Durability d) {
  StoreOptions o;
  o.directory = dir;
  o.durability = d;
  o.time_base.wall_at_zero = 1'700'000'000;
  absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(o);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.status().message()).c_str());
    std::abort();
  }
  return *std::move(s);
}

// Batches of `n` typical CPE leases, addresses rotating over 1 M.
void Fill(engine::MutationLog* log, uint32_t* next, int n) {
  log->Clear();
  for (int i = 0; i < n; ++i) {
    test::Append(log, engine::MutationKind::kBind, test::Cpe(*next));
    *next = (*next + 1) % (1u << 20);
  }
}

// One worker: submits a batch each "poll cycle" and keeps up to `depth`
// commits in flight, as a worker holding ACKs does.
void BM_Commit(benchmark::State& state, Durability d) {
  const int batch = static_cast<int>(state.range(0));
  const size_t depth = static_cast<size_t>(state.range(1));
  const std::string dir = BenchRoot();
  uint64_t writes = 0;
  {
    auto s = OpenAt(dir, d);
    engine::MutationLog log;
    uint32_t next = 0;
    std::deque<CommitTicket> in_flight;
    for (auto _ : state) {
      Fill(&log, &next, batch);
      in_flight.push_back(s->Submit(log));
      while (!in_flight.empty() &&
             (in_flight.size() >= depth ||
              s->Poll(in_flight.front()) != CommitState::kPending)) {
        if (s->Wait(in_flight.front()) != CommitState::kDone) {
          state.SkipWithError("commit failed");
          break;
        }
        in_flight.pop_front();
      }
    }
    while (!in_flight.empty()) {
      s->Wait(in_flight.front());
      in_flight.pop_front();
    }
    writes = s->stats().writes;
  }
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["commits/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["fsyncs/s"] = benchmark::Counter(static_cast<double>(writes),
                                                  benchmark::Counter::kIsRate);
}

void CommitArgs(benchmark::internal::Benchmark* b) {
  for (int batch : {1, 32, 256}) {
    for (int depth : {1, 8}) b->Args({batch, depth});
  }
  b->ArgNames({"batch", "in_flight"})->UseRealTime()->MinTime(2.0);
}

BENCHMARK_CAPTURE(BM_Commit, sync, Durability::kSync)->Apply(CommitArgs);
BENCHMARK_CAPTURE(BM_Commit, async, Durability::kAsync)->Apply(CommitArgs);

// Binds leases 0 .. n-1 in batches of 4,096 and waits until all are
// committed.
void BindLeases(Store* s, uint32_t n) {
  engine::MutationLog log;
  CommitTicket t = 0;
  for (uint32_t i = 0; i < n; i += 4096) {
    log.Clear();
    for (uint32_t j = i; j < i + 4096 && j < n; ++j) {
      test::Append(&log, engine::MutationKind::kBind, test::Cpe(j));
    }
    t = s->Submit(log);
    if (i % (64 * 4096) == 0) s->Wait(t);
  }
  s->Wait(t);
}

// Recovery of `n` leases written beforehand (not timed), after a reopen
// (so they are in SST files, as after a restart).
void BM_Recover(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  const std::string dir = BenchRoot();
  BindLeases(OpenAt(dir, Durability::kAsync).get(), n);
  uint64_t disk = 0;
  {
    auto s = OpenAt(dir, Durability::kSync);  // reopen: WAL -> SST
    disk = s->DiskBytes();
    for (auto _ : state) {
      RecoverStats st;
      uint64_t sum = 0;
      absl::Status r = s->Recover(
          100, [&](const engine::LeaseImage& im) { sum += im.address.value(); },
          &st);
      if (!r.ok() || st.delivered != n) {
        state.SkipWithError("recovery incomplete");
        break;
      }
      benchmark::DoNotOptimize(sum);
    }
  }
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["disk_bytes/lease"] =
      static_cast<double>(disk) / static_cast<double>(n);
}

void RecoverArgs(benchmark::internal::Benchmark* b) {
  const char* env = std::getenv("LEASEWIRE_BENCH_RECOVER");
  b->Arg(env != nullptr ? std::atol(env) : 1'000'000);
  b->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
}
BENCHMARK(BM_Recover)->Apply(RecoverArgs);

// A backup (Store::Checkpoint(), the control command "backup") of `n`
// leases while one writer keeps committing batches of 32 under kSync, as
// workers do: the time of the backup, and the slowest commit that
// overlapped it (how much the backup held ACKs back), against the slowest
// in a second without a backup after each one.
void BM_Checkpoint(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  const std::string dir = BenchRoot();
  const char* env = std::getenv("LEASEWIRE_BENCH_BACKUP_DIR");
  const std::string backups = env != nullptr ? env : dir;
  auto s = OpenAt(dir + "/leases", Durability::kSync);
  BindLeases(s.get(), n);

  std::atomic<bool> stop{false};
  std::atomic<bool> during{false};
  std::atomic<int64_t> worst_us{0};
  std::atomic<int64_t> worst_other_us{0};  // commits outside any backup
  std::thread writer([&] {
    engine::MutationLog batch;
    uint32_t next = n;
    while (!stop.load()) {
      batch.Clear();
      for (int j = 0; j < 32; ++j) {
        test::Append(&batch, engine::MutationKind::kBind, test::Cpe(next++));
      }
      const bool overlapped = during.load();
      const auto t0 = std::chrono::steady_clock::now();
      s->Wait(s->Submit(batch));
      const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - t0)
                             .count();
      std::atomic<int64_t>& worst =
          overlapped || during.load() ? worst_us : worst_other_us;
      int64_t w = worst.load();
      while (us > w && !worst.compare_exchange_weak(w, us)) {
      }
    }
  });
  int i = 0;
  uint64_t copied = 0;
  for (auto _ : state) {
    const std::string target = backups + "/backup-" + std::to_string(i++);
    during.store(true);
    absl::StatusOr<DirectoryReport> r = s->Checkpoint(target);
    during.store(false);
    if (!r.ok() || r->lease_records < n) {
      state.SkipWithError("backup failed or incomplete");
      break;
    }
    copied = r->lease_records;
    state.PauseTiming();
    std::filesystem::remove_all(target);
    // As long again without a backup: the writer's baseline.
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    state.ResumeTiming();
  }
  stop.store(true);
  writer.join();
  s.reset();
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * copied));
  state.counters["slowest_commit_ms"] =
      static_cast<double>(worst_us.load()) / 1000.0;
  state.counters["slowest_commit_without_ms"] =
      static_cast<double>(worst_other_us.load()) / 1000.0;
}

void CheckpointArgs(benchmark::internal::Benchmark* b) {
  const char* env = std::getenv("LEASEWIRE_BENCH_CHECKPOINT");
  b->Arg(env != nullptr ? std::atol(env) : 1'000'000);
  b->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
}
BENCHMARK(BM_Checkpoint)->Apply(CheckpointArgs);

}  // namespace
}  // namespace leasewire::store

BENCHMARK_MAIN();
