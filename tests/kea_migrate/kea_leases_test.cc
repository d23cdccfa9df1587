// Tests of the Kea lease import (tools/kea-migrate/kea_leases.h): parsing
// a memfile CSV fixture with malformed lines, deciding what to import, and
// writing through the Store, read back the way leasewired recovers.

#include "kea_leases.h"

#include <stdlib.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "leasewire/config/config.h"
#include "leasewire/engine/engine.h"
#include "leasewire/store/store.h"

namespace leasewire::kea_migrate {
namespace {

using wire::Ipv4Address;

constexpr int64_t kNow = 1800000000;  // the fixture's "now"

constexpr char kConfig[] = R"({
  "server-id": "192.0.2.1",
  "subnets": [
    {"id": 10, "subnet": "192.0.2.0/24",
     "pools": [{"pool": "192.0.2.100 - 192.0.2.200"}],
     "option-data": [{"name": "routers", "data": "192.0.2.150"}]},
    {"id": 20, "subnet": "198.51.100.0/24",
     "pools": [{"pool": "198.51.100.10 - 198.51.100.250"}]}
  ]})";

std::shared_ptr<const config::Config> Config() {
  absl::StatusOr<std::shared_ptr<const config::Config>> c =
      config::LoadConfig(kConfig);
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(LEASEWIRE_KEA_DATA) + "/" + name);
  EXPECT_TRUE(in) << name;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<uint8_t> Bytes(std::string_view s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

const PlannedLease* Planned(const std::vector<PlannedLease>& leases,
                            const char* address) {
  for (const PlannedLease& l : leases) {
    if (l.address.ToString() == address) return &l;
  }
  return nullptr;
}

class KeaLeaseFixtureTest : public testing::Test {
 protected:
  void SetUp() override {
    config_ = Config();
    ASSERT_TRUE(ParseKeaLeaseCsv(Fixture("leases4.csv"), "leases4.csv", &rows_,
                                 &report_, &counts_)
                    .ok());
    planned_ = PlanImport(rows_, *config_, kNow, &report_, &counts_);
  }

  std::shared_ptr<const config::Config> config_;
  LeaseRows rows_;
  Report report_;
  ImportCounts counts_;
  std::vector<PlannedLease> planned_;
};

TEST_F(KeaLeaseFixtureTest, Counts) {
  EXPECT_EQ(counts_.rows, 13u);
  EXPECT_EQ(counts_.malformed, 4u);
  EXPECT_EQ(counts_.addresses, 11u);
  EXPECT_EQ(counts_.imported, 6u);
  EXPECT_EQ(counts_.declined, 1u);
  EXPECT_EQ(counts_.removed, 1u);
  EXPECT_EQ(counts_.expired, 1u);
  EXPECT_EQ(counts_.released, 1u);
  EXPECT_EQ(counts_.not_in_subnet, 1u);
  EXPECT_EQ(counts_.unusable, 1u);
  EXPECT_EQ(counts_.subnet_moved, 6u);
  EXPECT_EQ(planned_.size(), 6u);
}

TEST_F(KeaLeaseFixtureTest, MalformedLinesAreReportedByNumber) {
  for (const char* where : {"leases4.csv:13", "leases4.csv:14",
                            "leases4.csv:15", "leases4.csv:16"}) {
    const ReportItem* item = report_.Find(where);
    ASSERT_NE(item, nullptr) << where << "\n" << report_.ToJson().dump(2);
    EXPECT_EQ(item->severity, Severity::kDropped);
    EXPECT_NE(item->reason.find("malformed"), std::string::npos);
  }
  EXPECT_NE(report_.Find("leases4.csv:14")
                ->reason.find("8 columns, the header has 11"),
            std::string::npos);
}

TEST_F(KeaLeaseFixtureTest, BoundLeases) {
  const PlannedLease* l = Planned(planned_, "192.0.2.100");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->subnet_id, 10u);  // Kea's subnet 1, placed by address
  EXPECT_EQ(l->state, lease::LeaseState::kBound);
  EXPECT_EQ(l->expiry, 1800001000);
  EXPECT_EQ(l->start, 1800001000 - 3600);
  EXPECT_EQ(l->htype, 1);
  EXPECT_EQ(l->chaddr, (std::vector<uint8_t>{2, 0, 0, 0, 0, 1}));
  EXPECT_TRUE(l->client_id.empty());
  EXPECT_EQ(l->hostname, "cpe-1");

  l = Planned(planned_, "192.0.2.101");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->client_id, (std::vector<uint8_t>{1, 2, 0, 0, 0, 0, 2}));
  EXPECT_EQ(l->hostname, "host,with,commas");  // &#x2c unescaped

  // The later row of an address wins.
  l = Planned(planned_, "192.0.2.102");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->expiry, 1800003000);
  EXPECT_EQ(l->hostname, "renewed");

  // Relay agent information kept by store-extended-info.
  l = Planned(planned_, "198.51.100.10");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->subnet_id, 20u);
  EXPECT_EQ(l->circuit_id, Bytes("port1"));
  EXPECT_EQ(l->remote_id, (std::vector<uint8_t>{0x0a, 0x0b, 0x0c}));

  l = Planned(planned_, "198.51.100.11");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->expiry, store::TimeBase::kWallNever);
  EXPECT_EQ(l->start, 1800000000);  // expire - 0xffffffff: Kea's cltt
}

TEST_F(KeaLeaseFixtureTest, DeclinedRemovedExpiredAndForeign) {
  const PlannedLease* d = Planned(planned_, "192.0.2.105");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->state, lease::LeaseState::kDeclined);
  EXPECT_EQ(d->expiry, 1800000500);
  // Deleted (valid_lifetime 0 last), expired, reclaimed: not imported.
  EXPECT_EQ(Planned(planned_, "192.0.2.103"), nullptr);
  EXPECT_EQ(Planned(planned_, "192.0.2.104"), nullptr);
  EXPECT_EQ(Planned(planned_, "192.0.2.106"), nullptr);
  EXPECT_EQ(Planned(planned_, "10.99.0.5"), nullptr);
  const ReportItem* item = report_.Find("leases4.csv:11");
  ASSERT_NE(item, nullptr);
  EXPECT_NE(item->reason.find("10.99.0.5 lies in no subnet"),
            std::string::npos);
  item = report_.Find("leases4.csv:12");
  ASSERT_NE(item, nullptr);
  EXPECT_NE(item->reason.find("never handed out"), std::string::npos);
  ASSERT_NE(report_.Find("subnet_id 1"), nullptr);
  EXPECT_NE(report_.Find("subnet_id 1")->reason.find("4 leases"),
            std::string::npos);
}

TEST(KeaLeaseTest, RouterInsidePoolIsNotImported) {
  LeaseRows rows;
  Report report;
  ImportCounts counts;
  ASSERT_TRUE(ParseKeaLeaseCsv(
                  "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,"
                  "fqdn_fwd,fqdn_rev,hostname,state,user_context\n"
                  "192.0.2.150,02:00:00:00:00:01,,3600,1800001000,1,0,0,,0,\n",
                  "f.csv", &rows, &report, &counts)
                  .ok());
  std::vector<PlannedLease> p =
      PlanImport(rows, *Config(), kNow, &report, &counts);
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(counts.unusable, 1u);
  ASSERT_NE(report.Find("f.csv:2"), nullptr);
}

TEST(KeaLeaseTest, OlderHeaderWithoutStateAndUserContext) {
  // Kea before 1.1 wrote no state column; every row is then "default".
  LeaseRows rows;
  Report report;
  ImportCounts counts;
  ASSERT_TRUE(ParseKeaLeaseCsv(
                  "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,"
                  "fqdn_fwd,fqdn_rev,hostname\n"
                  "192.0.2.120,02:00:00:00:00:01,,3600,1800001000,1,0,0,h\n",
                  "old.csv", &rows, &report, &counts)
                  .ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.rows()[0].state, kKeaStateDefault);
  EXPECT_EQ(rows.rows()[0].hostname, "h");
}

TEST(KeaLeaseTest, NotALeaseFile) {
  LeaseRows rows;
  Report report;
  ImportCounts counts;
  absl::Status s = ParseKeaLeaseCsv("address,duid,iaid\n", "v6.csv", &rows,
                                    &report, &counts);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("hwaddr"), std::string::npos) << s;
  EXPECT_FALSE(ParseKeaLeaseCsv("", "empty.csv", &rows, &report, &counts).ok());
}

class KeaLeaseStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kea_migrate_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
};

TEST_F(KeaLeaseStoreTest, WrittenLeasesAreRecoveredByTheEngine) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const std::string csv = absl::StrCat(
      "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,"
      "fqdn_rev,hostname,state,user_context\n",
      "192.0.2.100,02:00:00:00:00:01,,3600,", now + 3000, ",1,0,0,a,0,\n",
      "192.0.2.101,02:00:00:00:00:02,01:02:00:00:00:00:02,3600,", now + 3500,
      ",1,0,0,,0,\n", "192.0.2.102,,,600,", now + 500, ",1,0,0,,1,\n",
      "198.51.100.11,02:00:00:00:00:0f,,4294967295,", now + 4294967295LL - 100,
      ",2,0,0,,0,\n");
  LeaseRows rows;
  Report report;
  ImportCounts counts;
  ASSERT_TRUE(ParseKeaLeaseCsv(csv, "t.csv", &rows, &report, &counts).ok());
  std::shared_ptr<const config::Config> config = Config();
  std::vector<PlannedLease> planned =
      PlanImport(rows, *config, now, &report, &counts);
  ASSERT_EQ(planned.size(), 4u) << report.ToJson().dump(2);

  WriteStats stats;
  WriteOptions wo;
  wo.directory = dir_;
  ASSERT_TRUE(WriteLeases(planned, wo, &stats).ok());
  EXPECT_EQ(stats.written, 4u);
  EXPECT_EQ(stats.recovered, 4u);
  EXPECT_EQ(stats.existing, 0u);

  // What leasewired does at start-up: Recover() into Engine::Restore().
  store::StoreOptions so;
  so.directory = dir_;
  so.time_base.wall_at_zero = now;
  so.reclaim_interval = 0;
  absl::StatusOr<std::unique_ptr<store::Store>> db = store::Store::Open(so);
  ASSERT_TRUE(db.ok()) << db.status();
  engine::Engine engine(config, {}, 0);
  std::map<std::string, engine::LeaseImage> seen;
  std::map<std::string, std::vector<uint8_t>> chaddr;
  int restored = 0;
  ASSERT_TRUE((*db)
                  ->Recover(0,
                            [&](const engine::LeaseImage& image) {
                              seen[image.address.ToString()] = image;
                              chaddr[image.address.ToString()].assign(
                                  image.chaddr.begin(), image.chaddr.end());
                              restored += engine.Restore(image) ? 1 : 0;
                            })
                  .ok());
  EXPECT_EQ(restored, 4);
  ASSERT_EQ(seen.size(), 4u);
  const engine::LeaseImage& a = seen["192.0.2.100"];
  EXPECT_EQ(a.state, lease::LeaseState::kBound);
  EXPECT_EQ(a.subnet_id, 10u);
  EXPECT_EQ(a.expiry, 3000u);  // engine seconds from `now`
  EXPECT_EQ(chaddr["192.0.2.100"], (std::vector<uint8_t>{2, 0, 0, 0, 0, 1}));
  EXPECT_EQ(seen["192.0.2.102"].state, lease::LeaseState::kDeclined);
  EXPECT_EQ(seen["198.51.100.11"].expiry, lease::kNever);
  EXPECT_EQ(seen["198.51.100.11"].subnet_id, 20u);
  db->reset();

  // A second import into the same database needs --merge.
  absl::Status again = WriteLeases(planned, wo, &stats);
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition) << again;
  wo.allow_existing = true;
  ASSERT_TRUE(WriteLeases(planned, wo, &stats).ok());
  EXPECT_EQ(stats.existing, 4u);
  EXPECT_EQ(stats.recovered, 4u);
}

}  // namespace
}  // namespace leasewire::kea_migrate
