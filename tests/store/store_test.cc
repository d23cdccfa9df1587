#include "leasewire/store/store.h"

#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leasewire/engine/engine.h"
#include "rocksdb/db.h"
#include "store/store_test_util.h"

namespace leasewire::store {
namespace {

using namespace std::string_literals;  // NOLINT(build/namespaces)
using engine::MutationKind;
using engine::MutationLog;
using lease::LeaseState;
using test::Append;
using test::Bytes;
using test::Cpe;
using test::LeaseValues;
using test::TempDir;
using ::testing::HasSubstr;

constexpr int64_t kWall = 1'700'000'000;  // wall second of engine second 0

StoreOptions Options(const TempDir& dir, Durability d = Durability::kSync) {
  StoreOptions o;
  o.directory = dir.db();
  o.durability = d;
  o.time_base.wall_at_zero = kWall;
  return o;
}

std::unique_ptr<Store> OpenOrDie(const StoreOptions& o) {
  absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(o);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

// Recovers into a map by address.
std::map<uint32_t, LeaseValues> RecoverAll(Store& s, lease::Seconds now,
                                           RecoverStats* st = nullptr) {
  std::map<uint32_t, LeaseValues> out;
  absl::Status r = s.Recover(
      now,
      [&](const engine::LeaseImage& im) {
        EXPECT_FALSE(out.contains(im.address.value()));
        out[im.address.value()] = test::ValuesOf(im);
      },
      st);
  EXPECT_TRUE(r.ok()) << r;
  return out;
}

void Commit(Store& s, const MutationLog& log) {
  const CommitTicket t = s.Submit(log);
  ASSERT_EQ(s.Wait(t), CommitState::kDone) << s.stats().last_error;
}

class DurabilityTest : public ::testing::TestWithParam<Durability> {};

TEST_P(DurabilityTest, WritesAndRecoversEveryField) {
  TempDir dir;
  std::vector<LeaseValues> want;
  LeaseValues odd = Cpe(7);
  odd.circuit_id = {0x00, 'x', 0x00};  // leading and trailing NULs
  odd.remote_id = {0x00};
  odd.client_id = {0xff, 0x00, 0x00};
  odd.hostname = std::string("a\0b", 3);
  odd.flags = lease::Lease::kFlagReserved | lease::Lease::kFlagEverBound;
  odd.subnet_id = 0xfedcba98;
  odd.htype = 32;
  odd.chaddr = Bytes(16, 0xab);
  want.push_back(odd);
  LeaseValues empty = Cpe(8);
  empty.client_id.clear();
  empty.circuit_id.clear();
  empty.remote_id.clear();
  empty.hostname.clear();
  want.push_back(empty);
  LeaseValues declined = Cpe(9);
  declined.state = LeaseState::kDeclined;
  want.push_back(declined);
  for (uint32_t i = 10; i < 100; ++i) want.push_back(Cpe(i));
  {
    auto s = OpenOrDie(Options(dir, GetParam()));
    ASSERT_NE(s, nullptr);
    MutationLog log;
    for (const LeaseValues& v : want) Append(&log, MutationKind::kBind, v);
    Commit(*s, log);
    EXPECT_EQ(s->stats().committed, 1u);
    EXPECT_EQ(s->stats().mutations, want.size());
  }
  auto s = OpenOrDie(Options(dir, GetParam()));
  ASSERT_NE(s, nullptr);
  RecoverStats st;
  std::map<uint32_t, LeaseValues> got = RecoverAll(*s, 100, &st);
  EXPECT_EQ(st.records, want.size());
  EXPECT_EQ(st.delivered, want.size());
  EXPECT_EQ(st.damaged, 0u);
  EXPECT_EQ(st.expired, 0u);
  ASSERT_EQ(got.size(), want.size());
  for (const LeaseValues& v : want) {
    ASSERT_TRUE(got.contains(v.address));
    EXPECT_TRUE(got[v.address] == v) << "address " << v.address;
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, DurabilityTest,
                         ::testing::Values(Durability::kSync,
                                           Durability::kAsync),
                         [](const auto& info) {
                           return info.param == Durability::kSync ? "Sync"
                                                                  : "Async";
                         });

TEST(StoreTest, ClientIdsOfEveryLength) {
  TempDir dir;
  std::vector<LeaseValues> want;
  MutationLog log;
  for (uint32_t n = 1; n <= 255; ++n) {
    LeaseValues v = Cpe(n);
    v.client_id.assign(n, 0);
    for (uint32_t i = 0; i < n; ++i) v.client_id[i] = (i * 7 + n) & 0xff;
    v.client_id.back() = 0x00;
    v.circuit_id = Bytes(n % 256, 0x00);
    v.hostname = std::string(n % 64, '\0');
    want.push_back(v);
    Append(&log, MutationKind::kBind, v);
  }
  auto s = OpenOrDie(Options(dir));
  ASSERT_NE(s, nullptr);
  Commit(*s, log);
  std::map<uint32_t, LeaseValues> got = RecoverAll(*s, 100);
  ASSERT_EQ(got.size(), want.size());
  for (const LeaseValues& v : want) {
    EXPECT_TRUE(got[v.address] == v)
        << "client-id length " << v.client_id.size();
  }
}

TEST(StoreTest, LaterMutationReplacesRecordAndReleaseIsKept) {
  TempDir dir;
  auto s = OpenOrDie(Options(dir));
  ASSERT_NE(s, nullptr);
  MutationLog log;
  Append(&log, MutationKind::kBind, Cpe(1));
  Append(&log, MutationKind::kBind, Cpe(2));
  Commit(*s, log);
  log.Clear();
  LeaseValues renewed = Cpe(1, 1000);
  Append(&log, MutationKind::kExtend, renewed);
  LeaseValues released = Cpe(2);
  released.state = LeaseState::kReleased;
  released.expiry = 500;
  Append(&log, MutationKind::kRelease, released);
  Commit(*s, log);
  std::map<uint32_t, LeaseValues> got = RecoverAll(*s, 1000);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[renewed.address] == renewed);
  EXPECT_EQ(got[released.address].state, LeaseState::kReleased);
}

TEST(StoreTest, SequenceNumbersIncreaseAcrossRestarts) {
  TempDir dir;
  CommitTicket last = 0;
  {
    auto s = OpenOrDie(Options(dir));
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->last_sequence(), 0u);
    MutationLog log;
    Append(&log, MutationKind::kBind, Cpe(1));
    for (int i = 0; i < 5; ++i) {
      const CommitTicket t = s->Submit(log);
      EXPECT_GT(t, last);
      last = t;
    }
    EXPECT_EQ(s->Wait(last), CommitState::kDone);
    EXPECT_EQ(s->Poll(last), CommitState::kDone);
    EXPECT_EQ(s->Poll(last - 4), CommitState::kDone);
    EXPECT_EQ(s->Poll(last + 1), CommitState::kPending);
    EXPECT_EQ(s->last_sequence(), last);
  }
  auto s = OpenOrDie(Options(dir));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->last_sequence(), last);
  MutationLog empty;
  const CommitTicket t = s->Submit(empty);
  EXPECT_EQ(t, last + 1);
  EXPECT_EQ(s->Wait(t), CommitState::kDone);
}

TEST(StoreTest, RecordsCarrySequenceAndServer) {
  TempDir dir;
  StoreOptions o = Options(dir);
  o.server_id = 0xa1b2c3d4;
  auto s = OpenOrDie(o);
  ASSERT_NE(s, nullptr);
  MutationLog log;
  Append(&log, MutationKind::kBind, Cpe(1));
  Append(&log, MutationKind::kBind, Cpe(2));
  const CommitTicket first = s->Submit(log);
  log.Clear();
  LeaseValues released = Cpe(2);
  released.state = LeaseState::kReleased;
  Append(&log, MutationKind::kRelease, released);
  const CommitTicket second = s->Submit(log);
  ASSERT_EQ(s->Wait(second), CommitState::kDone);
  ASSERT_EQ(s->Poll(first), CommitState::kDone);
  std::map<uint32_t, RecordMeta> meta;
  ASSERT_TRUE(
      s->Recover(100, [&](const engine::LeaseImage& im, const RecordMeta& m) {
         meta[im.address.value()] = m;
       }).ok());
  ASSERT_EQ(meta.size(), 2u);
  EXPECT_EQ(meta[Cpe(1).address].sequence, first);
  EXPECT_EQ(meta[Cpe(1).address].last_kind, MutationKind::kBind);
  EXPECT_EQ(meta[Cpe(2).address].sequence, second);
  EXPECT_EQ(meta[Cpe(2).address].last_kind, MutationKind::kRelease);
  EXPECT_EQ(meta[Cpe(2).address].server_id, 0xa1b2c3d4u);
}

TEST(StoreTest, SchemaVersionIsStoredAndNewerOneRefused) {
  TempDir dir;
  { ASSERT_NE(OpenOrDie(Options(dir)), nullptr); }
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir.db(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string v;
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "M\x01", &v).ok());
  EXPECT_EQ(v, std::string("\x01\x00\x00\x00", 4));
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "M\x01",
                      std::string("\x02\x00\x00\x00", 4))
                  .ok());
  db.reset();
  absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(Options(dir));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("has schema version 2, newer than"));
}

TEST(StoreTest, DamagedRecordsAreSkippedAndCounted) {
  TempDir dir;
  {
    auto s = OpenOrDie(Options(dir));
    ASSERT_NE(s, nullptr);
    MutationLog log;
    for (uint32_t i = 1; i <= 4; ++i) Append(&log, MutationKind::kBind, Cpe(i));
    Commit(*s, log);
  }
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir.db(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    const rocksdb::WriteOptions wo;
    std::string good;
    ASSERT_TRUE(
        db->Get(rocksdb::ReadOptions(), "L\x0a\x00\x00\x01"s, &good).ok());
    // Garbage, a truncated record, a flipped octet, a bad key length.
    ASSERT_TRUE(db->Put(wo, "L\x0a\x00\x00\x02"s, "garbage").ok());
    ASSERT_TRUE(
        db->Put(wo, "L\x0a\x00\x00\x03"s, good.substr(0, good.size() - 1))
            .ok());
    std::string flipped = good;
    flipped[12] ^= 0x40;
    ASSERT_TRUE(db->Put(wo, "L\x0a\x00\x00\x04"s, flipped).ok());
    ASSERT_TRUE(db->Put(wo, "L\x0a\x00"s, good).ok());
    ASSERT_TRUE(db->Put(wo, "L\x0b\x00\x00\x00"s, "").ok());
  }
  auto s = OpenOrDie(Options(dir));
  ASSERT_NE(s, nullptr);
  RecoverStats st;
  std::map<uint32_t, LeaseValues> got = RecoverAll(*s, 100, &st);
  EXPECT_EQ(st.records, 6u);
  EXPECT_EQ(st.damaged, 5u);
  EXPECT_EQ(st.delivered, 1u);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got.begin()->second == Cpe(1));
}

TEST(StoreTest, SecondOpenInTheSameProcessIsRefused) {
  TempDir dir;
  auto first = OpenOrDie(Options(dir));
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::unique_ptr<Store>> second = Store::Open(Options(dir));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("lease database " + dir.db() +
                        " is in use by another leasewired"));
}

// Run by SecondOpenByAnotherProcessIsRefused in a child process.
TEST(StoreTest, DISABLED_ChildOpen) {
  const char* dir = std::getenv("LEASEWIRE_STORE_CHILD_DIR");
  if (dir == nullptr) GTEST_SKIP() << "helper for another test";
  StoreOptions o;
  o.directory = dir;
  absl::StatusOr<std::unique_ptr<Store>> s = Store::Open(o);
  const bool refused = !s.ok() && s.status().message().find(
                                      "is in use by another "
                                      "leasewired") != std::string::npos;
  _exit(refused ? 42 : 1);
}

TEST(StoreTest, SecondOpenByAnotherProcessIsRefused) {
  TempDir dir;
  auto first = OpenOrDie(Options(dir));
  ASSERT_NE(first, nullptr);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("LEASEWIRE_STORE_CHILD_DIR", dir.db().c_str(), 1);
    execl("/proc/self/exe", "store_test", "--gtest_also_run_disabled_tests",
          "--gtest_filter=StoreTest.DISABLED_ChildOpen",
          static_cast<char*>(nullptr));
    _exit(2);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 42);
}

// Stores one lease granted at engine 100 for 3600 s (wall kWall + 100)
// and one infinite lease, then recovers with `base` at engine `now`.
std::map<uint32_t, LeaseValues> RecoverWithBase(int64_t base,
                                                lease::Seconds now,
                                                RecoverStats* st) {
  TempDir dir;
  {
    auto s = OpenOrDie(Options(dir));
    MutationLog log;
    Append(&log, MutationKind::kBind, Cpe(1, 100, 3600));
    LeaseValues inf = Cpe(2, 100);
    inf.expiry = lease::kNever;
    Append(&log, MutationKind::kBind, inf);
    Commit(*s, log);
  }
  StoreOptions o = Options(dir);
  o.time_base.wall_at_zero = base;
  auto s = OpenOrDie(o);
  return RecoverAll(*s, now, st);
}

TEST(StoreTest, TimeBaseSameClock) {
  RecoverStats st;
  auto got = RecoverWithBase(kWall, 200, &st);
  EXPECT_EQ(got[0x0a000001].start, 100u);
  EXPECT_EQ(got[0x0a000001].expiry, 3700u);
  EXPECT_EQ(got[0x0a000001].state, LeaseState::kBound);
  EXPECT_EQ(got[0x0a000002].expiry, lease::kNever);
  EXPECT_EQ(st.expired, 0u);
}

TEST(StoreTest, TimeBaseRestartWithNewOrigin) {
  // The process restarted 1000 s of wall time later and counts from 0.
  RecoverStats st;
  auto got = RecoverWithBase(kWall + 1000, 0, &st);
  EXPECT_EQ(got[0x0a000001].start, 0u);  // clamped: engine time >= 0
  EXPECT_EQ(got[0x0a000001].expiry, 2700u);
  EXPECT_EQ(got[0x0a000001].state, LeaseState::kBound);
}

TEST(StoreTest, ClockSteppedForwardExpiresLeases) {
  RecoverStats st;
  auto got = RecoverWithBase(kWall + 2 * 86400, 200, &st);
  EXPECT_EQ(got[0x0a000001].state, LeaseState::kExpired);
  EXPECT_EQ(got[0x0a000001].expiry, 200u);
  EXPECT_EQ(got[0x0a000001].start, 0u);
  EXPECT_EQ(got[0x0a000002].state, LeaseState::kBound);
  EXPECT_EQ(got[0x0a000002].expiry, lease::kNever);
  EXPECT_EQ(st.expired, 1u);
  EXPECT_EQ(st.reclaimed, 0u);
}

TEST(StoreTest, ClockSteppedBackNeverLengthensLeases) {
  // LEA-04/c: -1 day; the remaining lifetime must not become 3600 s + 1 day.
  RecoverStats st;
  auto got = RecoverWithBase(kWall - 86400, 200, &st);
  EXPECT_EQ(got[0x0a000001].state, LeaseState::kBound);
  EXPECT_EQ(got[0x0a000001].start, 200u);
  EXPECT_EQ(got[0x0a000001].expiry, 200u + 3600u);
  EXPECT_EQ(got[0x0a000002].expiry, lease::kNever);
}

TEST(StoreTest, ClockAtEndOfEngineTimeStaysFinite) {
  RecoverStats st;
  auto got = RecoverWithBase(kWall - 0xffff0000LL, 0xfffffff0u, &st);
  EXPECT_NE(got[0x0a000001].expiry, lease::kNever);
  EXPECT_GE(got[0x0a000001].expiry, 0xfffffff0u);
}

TEST(StoreTest, OldEndedRecordsAreReclaimed) {
  TempDir dir;
  {
    auto s = OpenOrDie(Options(dir));
    MutationLog log;
    Append(&log, MutationKind::kBind, Cpe(1, 100, 3600));
    Append(&log, MutationKind::kBind, Cpe(2, 100, 30 * 86400));
    Commit(*s, log);
  }
  StoreOptions o = Options(dir);
  o.time_base.wall_at_zero = kWall + 10 * 86400;
  {
    auto s = OpenOrDie(o);
    RecoverStats st;
    auto got = RecoverAll(*s, 0, &st);
    EXPECT_EQ(st.expired, 1u);
    EXPECT_EQ(st.reclaimed, 1u);
    EXPECT_EQ(got.size(), 2u);  // still reported, for affinity
  }
  auto s = OpenOrDie(o);
  RecoverStats st;
  auto got = RecoverAll(*s, 0, &st);
  EXPECT_EQ(st.records, 1u);
  EXPECT_TRUE(got.contains(0x0a000002));
}

TEST(StoreTest, BackgroundReclaimDeletesOnlyOldEndedRecords) {
  TempDir dir;
  StoreOptions o = Options(dir);
  o.reclaim_interval = 1;
  // Wall time: 30 days after engine second 0.
  o.wall_clock = [] { return kWall + 30 * 86400; };
  auto s = OpenOrDie(o);
  ASSERT_NE(s, nullptr);
  MutationLog log;
  LeaseValues old_release = Cpe(1, 100, 3600);
  old_release.state = LeaseState::kReleased;
  LeaseValues old_expired = Cpe(2, 100, 3600);
  old_expired.state = LeaseState::kExpired;
  LeaseValues old_bound = Cpe(3, 100, 3600);  // held: never reclaimed
  LeaseValues recent_release = Cpe(4, 29 * 86400, 3600);
  recent_release.state = LeaseState::kReleased;
  LeaseValues infinite_release = Cpe(5, 100, 3600);
  infinite_release.state = LeaseState::kReleased;
  infinite_release.expiry = lease::kNever;
  for (const LeaseValues* v : {&old_release, &old_expired, &old_bound,
                               &recent_release, &infinite_release}) {
    Append(&log, MutationKind::kBind, *v);
  }
  Commit(*s, log);
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (s->stats().reclaim_passes == 0 &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(s->stats().reclaim_passes, 1u);
  EXPECT_EQ(s->stats().reclaimed, 2u);
  // Commits go on as before.
  log.Clear();
  Append(&log, MutationKind::kBind, Cpe(1, 30 * 86400, 3600));
  Commit(*s, log);
  auto got = RecoverAll(*s, 30 * 86400);
  EXPECT_EQ(got.size(), 4u);
  EXPECT_EQ(got[Cpe(1).address].state, LeaseState::kBound);
  EXPECT_FALSE(got.contains(Cpe(2).address));
  EXPECT_TRUE(got.contains(Cpe(3).address));
  EXPECT_TRUE(got.contains(Cpe(4).address));
  EXPECT_TRUE(got.contains(Cpe(5).address));
}

constexpr char kConfig[] = R"({
  "interfaces": [{"name": "eth0", "address": "192.0.2.1/24"}],
  "valid-lifetime": 3600,
  "subnets": [
    {"id": 1, "subnet": "192.0.2.0/24",
     "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}]}
  ]
})";

TEST(StoreTest, EngineRoundTrip) {
  TempDir dir;
  engine::test::EngineHarness h(kConfig, 1000);
  std::vector<uint32_t> bound;
  for (uint8_t i = 1; i <= 20; ++i) {
    engine::test::TestClient c(&h, engine::test::Mac(i));
    c.WithHostName("host" + std::to_string(i));
    if (i % 2 == 0) c.WithClientId({0xff, i, 0x00});
    engine::test::Reply ack = c.Dora(1000 + i);
    ASSERT_EQ(ack.type(), wire::MessageType::kAck);
    bound.push_back(ack.yiaddr().value());
  }
  ASSERT_FALSE(h.log().empty());
  {
    auto s = OpenOrDie(Options(dir));
    ASSERT_NE(s, nullptr);
    Commit(*s, h.log());
  }
  // Restart 100 s later with the same wall-clock origin.
  auto s = OpenOrDie(Options(dir));
  ASSERT_NE(s, nullptr);
  engine::Engine fresh(h.config_ptr(), {}, 1120);
  RecoverStats st;
  int restored = 0;
  ASSERT_TRUE(s->Recover(
                   1120,
                   [&](const engine::LeaseImage& im) {
                     restored += fresh.Restore(im) ? 1 : 0;
                   },
                   &st)
                  .ok());
  EXPECT_EQ(restored, 20);
  EXPECT_EQ(st.damaged, 0u);
  const lease::LeaseTable& a = h.engine().table();
  const lease::LeaseTable& b = fresh.table();
  for (uint32_t addr : bound) {
    const lease::Slot sa = a.FindByAddress(lease::Ipv4Address(addr));
    const lease::Slot sb = b.FindByAddress(lease::Ipv4Address(addr));
    ASSERT_NE(sa, lease::kNoSlot);
    ASSERT_NE(sb, lease::kNoSlot);
    const lease::Lease& x = a.at(sa);
    const lease::Lease& y = b.at(sb);
    EXPECT_EQ(x.state, y.state);
    EXPECT_EQ(x.start, y.start);
    EXPECT_EQ(x.expiry, y.expiry);
    EXPECT_EQ(x.hostname(), y.hostname());
    EXPECT_TRUE(std::ranges::equal(x.client_id(), y.client_id()));
    EXPECT_TRUE(std::ranges::equal(x.chaddr(), y.chaddr()));
    EXPECT_EQ(b.FindByClient(x.key()), sb);
  }
}

// Backups: Checkpoint() while another thread commits batch after batch.
// Batch b (ticket b, from 1 in a fresh database) binds addresses
// b * kPerBatch + 0 .. kPerBatch - 1.
constexpr uint32_t kPerBatch = 50;

MutationLog Batch(uint32_t b) {
  MutationLog log;
  for (uint32_t j = 0; j < kPerBatch; ++j) {
    Append(&log, MutationKind::kBind, Cpe(b * kPerBatch + j));
  }
  return log;
}

TEST(CheckpointTest, CopyWhileWritingHoldsEveryCommittedBatchAndOpens) {
  TempDir dir;
  StoreOptions o = Options(dir, Durability::kAsync);
  o.write_buffer_bytes = 256 << 10;  // several SST files before the copy
  auto s = OpenOrDie(o);
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->PutReservation("1/hw-address/02:00:00:00:00:01",
                                R"({"hw-address": "02:00:00:00:00:01"})")
                  .ok());

  std::atomic<uint32_t> committed{0};  // batches known done
  std::atomic<bool> copied{false};
  uint32_t written = 0;
  std::thread writer([&] {
    // Keeps committing until 50 batches after the copy, so the copy is
    // taken in the middle of the stream.
    uint32_t after = 0;
    for (uint32_t b = 1; after < 50 && b < 100000; ++b) {
      const CommitTicket t = s->Submit(Batch(b));
      if (t != b || s->Wait(t) != CommitState::kDone) {
        ADD_FAILURE() << "batch " << b << " (ticket " << t << ") failed";
        committed.store(UINT32_MAX);  // releases the main thread
        return;
      }
      committed.store(b);
      written = b;
      if (copied.load()) ++after;
    }
  });
  while (committed.load() < 100) std::this_thread::yield();
  const uint32_t before = committed.load();
  const std::string backup = dir.path() + "/backup";
  absl::StatusOr<DirectoryReport> report = s->Checkpoint(backup);
  copied.store(true);
  writer.join();
  ASSERT_TRUE(report.ok()) << report.status();

  // The copy: a prefix of the batches, at least those done before the
  // call, and consistent with its sequence number.
  const uint64_t in_copy = report->last_sequence;
  EXPECT_GE(in_copy, before);
  EXPECT_LT(in_copy, written);
  EXPECT_EQ(report->lease_records, in_copy * kPerBatch);
  EXPECT_EQ(report->damaged_records, 0u);
  EXPECT_EQ(report->reservations, 1u);
  EXPECT_EQ(report->schema_version, kSchemaVersion);
  EXPECT_GT(report->disk_bytes, 0u);
  EXPECT_EQ(report->directory, backup);

  // The live database went on: everything written is there.
  EXPECT_EQ(RecoverAll(*s, 100).size(), size_t{written} * kPerBatch);
  EXPECT_EQ(s->stats().failed, 0u);
  s.reset();

  // The copy opens as a lease directory (leasewired --lease-dir).
  StoreOptions restored = Options(dir);
  restored.directory = backup;
  auto r = OpenOrDie(restored);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->last_sequence(), in_copy);
  const std::map<uint32_t, LeaseValues> got = RecoverAll(*r, 100);
  ASSERT_EQ(got.size(), in_copy * kPerBatch);
  for (uint32_t b = 1; b <= in_copy; ++b) {
    for (uint32_t j = 0; j < kPerBatch; ++j) {
      const LeaseValues want = Cpe(b * kPerBatch + j);
      auto it = got.find(want.address);
      ASSERT_NE(it, got.end()) << "batch " << b << " lease " << j;
      EXPECT_TRUE(it->second == want) << "batch " << b << " lease " << j;
    }
  }
  int reservations = 0;
  ASSERT_TRUE(
      r->ForEachReservation([&](std::string_view key, std::string_view) {
         EXPECT_EQ(key, "1/hw-address/02:00:00:00:00:01");
         ++reservations;
       }).ok());
  EXPECT_EQ(reservations, 1);
  // And serves on: the next commit follows the copy's sequence.
  const CommitTicket next = r->Submit(Batch(static_cast<uint32_t>(in_copy)));
  EXPECT_EQ(next, in_copy + 1);
  EXPECT_EQ(r->Wait(next), CommitState::kDone);
}

TEST(CheckpointTest, RefusesPathsThatWouldOverwriteOrCannotWork) {
  TempDir dir;
  auto s = OpenOrDie(Options(dir));
  ASSERT_NE(s, nullptr);
  Commit(*s, Batch(1));
  const auto code = [&](const std::string& d) {
    return s->Checkpoint(d).status().code();
  };
  EXPECT_EQ(code("backup"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(dir.db() + "/backup"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(dir.db()), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(dir.path() + "/no/such/parent"),
            absl::StatusCode::kFailedPrecondition);
  std::filesystem::create_directory(dir.path() + "/exists");
  const absl::Status exists = s->Checkpoint(dir.path() + "/exists").status();
  EXPECT_EQ(exists.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(exists.message()), HasSubstr("never overwrites"));
  // Two backups in a row, each complete.
  ASSERT_TRUE(s->Checkpoint(dir.path() + "/one").ok());
  Commit(*s, Batch(2));
  absl::StatusOr<DirectoryReport> two = s->Checkpoint(dir.path() + "/two/");
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->lease_records, 2 * kPerBatch);
  EXPECT_EQ(two->last_sequence, 2u);
  absl::StatusOr<DirectoryReport> one = Store::Inspect(dir.path() + "/one");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->lease_records, kPerBatch);
  EXPECT_EQ(one->last_sequence, 1u);
}

TEST(CheckpointTest, InspectReadsAnOpenDatabaseAndRefusesNonDatabases) {
  TempDir dir;
  auto s = OpenOrDie(Options(dir));
  ASSERT_NE(s, nullptr);
  Commit(*s, Batch(1));
  // Read-only: no lock taken, so the server's own directory can be read.
  absl::StatusOr<DirectoryReport> live = Store::Inspect(dir.db());
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_EQ(live->lease_records, kPerBatch);
  EXPECT_EQ(live->last_sequence, 1u);
  const absl::Status none = Store::Inspect(dir.path()).status();
  EXPECT_EQ(none.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(none.message()), HasSubstr("no lease database"));
}

// A 2 MiB tmpfs of the test's own, filled until a commit fails.
class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mnt_ = dir_.path() + "/mnt";
    std::filesystem::create_directory(mnt_);
    if (mount("tmpfs", mnt_.c_str(), "tmpfs", 0, "size=2m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs (" << std::strerror(errno)
                   << "): the full-disk test needs root";
    }
    mounted_ = true;
  }
  void TearDown() override {
    store_.reset();
    if (mounted_) umount2(mnt_.c_str(), MNT_DETACH);
  }

  TempDir dir_;
  std::string mnt_;
  bool mounted_ = false;
  std::unique_ptr<Store> store_;
};

TEST_F(FullDiskTest, FailedCommitIsNeverDoneAndCommitsResume) {
  StoreOptions o;
  o.directory = mnt_ + "/leases";
  o.time_base.wall_at_zero = kWall;
  o.write_buffer_bytes = 256 << 10;
  store_ = OpenOrDie(o);
  ASSERT_NE(store_, nullptr);
  // Fill the filesystem, leaving a little room.
  const std::string filler = mnt_ + "/filler";
  {
    std::ofstream f(filler, std::ios::binary);
    const std::string block(4096, 'x');
    while (f.write(block.data(), block.size()) && f.flush()) {
    }
  }
  MutationLog log;
  CommitTicket failed = 0;
  uint32_t next = 0;
  uint32_t done_through = 0;  // leases [0, done_through) reported done
  for (int round = 0; round < 2000 && failed == 0; ++round) {
    log.Clear();
    for (int i = 0; i < 64; ++i) {
      LeaseValues v = Cpe(next++);
      v.hostname = std::string(200, 'h');
      Append(&log, MutationKind::kBind, v);
    }
    const CommitTicket t = store_->Submit(log);
    const CommitState st = store_->Wait(t);
    if (st == CommitState::kFailed) {
      failed = t;
    } else {
      ASSERT_EQ(st, CommitState::kDone);
      done_through = next;
    }
  }
  ASSERT_NE(failed, 0u) << "the filesystem never filled";
  EXPECT_EQ(store_->Poll(failed), CommitState::kFailed);
  StoreStats stats = store_->stats();
  EXPECT_GE(stats.write_failures, 1u);
  EXPECT_GE(stats.failed, 1u);
  EXPECT_FALSE(stats.last_error.empty());
  // Still full: a new commit fails too, and is not reported done.
  const CommitTicket again = store_->Submit(log);
  EXPECT_EQ(store_->Wait(again), CommitState::kFailed);
  // Free the space; commits succeed again.
  std::filesystem::remove(filler);
  // RocksDB notices the free space by itself within a few seconds.
  CommitState st = CommitState::kFailed;
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (st != CommitState::kDone &&
         std::chrono::steady_clock::now() < give_up) {
    st = store_->Wait(store_->Submit(log));
    if (st != CommitState::kDone) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  EXPECT_EQ(st, CommitState::kDone) << store_->stats().last_error;
  const uint64_t failures = store_->stats().write_failures;
  EXPECT_EQ(store_->Wait(store_->Submit(log)), CommitState::kDone);
  EXPECT_EQ(store_->stats().write_failures, failures);
  // What was reported done is there after a restart.
  store_.reset();
  store_ = OpenOrDie(o);
  ASSERT_NE(store_, nullptr);
  auto got = RecoverAll(*store_, 100);
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_TRUE(got.contains(log[i].lease.address.value()));
  }
  ASSERT_GT(done_through, 0u);
  for (uint32_t i = 0; i < done_through; ++i) {
    ASSERT_TRUE(got.contains(Cpe(i).address)) << "lease " << i << " lost";
  }
}

}  // namespace
}  // namespace leasewire::store
