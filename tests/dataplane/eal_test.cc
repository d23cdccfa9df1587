// Tests for PlanEal(): the EAL command line leasewired derives from its
// config. PlanEal is a pure function, so no EAL is started here.

#include "leasewire/dataplane/eal.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leasewire/config/config.h"

namespace leasewire::dataplane {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Args = std::vector<std::string>;

constexpr int kPid = 4242;

config::Config ConfigWith(const std::vector<std::string>& names) {
  config::Config c;
  for (const std::string& name : names) {
    config::Interface i;
    i.name = name;
    c.interfaces.push_back(i);
  }
  return c;
}

EalSettings Settings(uint32_t workers, std::vector<std::string> devices,
                     std::vector<std::string> eal_args = {}) {
  EalSettings s;
  s.workers = workers;
  s.devices = std::move(devices);
  s.eal_args = std::move(eal_args);
  return s;
}

// Plans for one interface "lan0" on `device`; fails the test on an error.
EalPlan Plan(const EalSettings& settings, const std::vector<int>& cpus = {0}) {
  const absl::StatusOr<EalPlan> plan =
      PlanEal(ConfigWith({"lan0"}), settings, cpus, kPid);
  EXPECT_TRUE(plan.ok()) << plan.status();
  return plan.ok() ? *plan : EalPlan{};
}

// The arguments starting with `prefix`.
Args Matching(const Args& args, const std::string& prefix) {
  Args out;
  for (const std::string& a : args) {
    if (a.starts_with(prefix)) out.push_back(a);
  }
  return out;
}

// The argument after the first `flag`, or "" when there is none.
std::string After(const Args& args, const std::string& flag) {
  const auto it = std::find(args.begin(), args.end(), flag);
  if (it == args.end() || it + 1 == args.end()) return "";
  return *(it + 1);
}

std::string Lcores(const EalPlan& plan) {
  const Args l = Matching(plan.args, "--lcores=");
  EXPECT_EQ(l.size(), 1u) << "exactly one --lcores";
  return l.empty() ? "" : l[0].substr(std::string("--lcores=").size());
}

const char kAfPacket[] = "net_af_packet0,iface=veth0";

TEST(PlanEalTest, ProgramNameComesFirstAndMainLcoreIsZero) {
  const EalPlan plan = Plan(Settings(1, {kAfPacket}));
  ASSERT_FALSE(plan.args.empty());
  EXPECT_EQ(plan.args[0], "leasewired");
  EXPECT_THAT(Matching(plan.args, "--main-lcore"),
              ElementsAre("--main-lcore=0"));
}

// lcore 0 is the main lcore, 1..N the workers; they go round robin over
// the CPUs this process may use.
TEST(PlanEalTest, LcoresMapMainAndWorkersOntoCpus) {
  struct Case {
    uint32_t workers;
    std::vector<int> cpus;
    std::string lcores;
  };
  const std::vector<Case> cases = {
      {1, {0}, "0@0,1@0"},
      {2, {0}, "0@0,1@0,2@0"},
      {3, {0}, "0@0,1@0,2@0,3@0"},
      {1, {0, 1}, "0@0,1@1"},
      {2, {0, 1}, "0@0,1@1,2@0"},
      {3, {0, 1}, "0@0,1@1,2@0,3@1"},
      // The CPU numbers come from the affinity mask, not 0..n-1.
      {1, {3}, "0@3,1@3"},
      {3, {2, 5}, "0@2,1@5,2@2,3@5"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message()
                 << c.workers << " workers over " << c.cpus.size() << " CPUs");
    EXPECT_EQ(Lcores(Plan(Settings(c.workers, {kAfPacket}), c.cpus)), c.lcores);
  }
}

TEST(PlanEalTest, FilePrefixIsPerProcessByDefault) {
  const EalPlan plan = Plan(Settings(1, {kAfPacket}));
  EXPECT_EQ(plan.file_prefix, "leasewired-4242");
  EXPECT_THAT(Matching(plan.args, "--file-prefix"),
              ElementsAre("--file-prefix=leasewired-4242"));
}

TEST(PlanEalTest, GivenFilePrefixWithEqualsIsKept) {
  const EalPlan plan = Plan(Settings(1, {kAfPacket}, {"--file-prefix=lab7"}));
  EXPECT_EQ(plan.file_prefix, "lab7");
  EXPECT_THAT(Matching(plan.args, "--file-prefix"),
              ElementsAre("--file-prefix=lab7"));
}

TEST(PlanEalTest, GivenFilePrefixAsTwoArgumentsIsKept) {
  const EalPlan plan =
      Plan(Settings(1, {kAfPacket}, {"--no-huge", "--file-prefix", "lab8"}));
  EXPECT_EQ(plan.file_prefix, "lab8");
  EXPECT_THAT(Matching(plan.args, "--file-prefix"),
              ElementsAre("--file-prefix"));
  EXPECT_EQ(After(plan.args, "--file-prefix"), "lab8");
}

// A flag that merely starts with the same letters is not a file prefix.
TEST(PlanEalTest, SimilarFlagDoesNotCountAsFilePrefix) {
  const EalPlan plan =
      Plan(Settings(1, {kAfPacket}, {"--file-prefixes-are-not-a-flag"}));
  EXPECT_EQ(plan.file_prefix, "leasewired-4242");
  EXPECT_THAT(Matching(plan.args, "--file-prefix="),
              ElementsAre("--file-prefix=leasewired-4242"));
}

TEST(PlanEalTest, ExtraEalArgumentsAreKeptInOrder) {
  const Args extra = {"--no-huge", "--no-pci", "-m", "512"};
  const EalPlan plan = Plan(Settings(2, {kAfPacket}, extra));
  const auto it = std::search(plan.args.begin(), plan.args.end(), extra.begin(),
                              extra.end());
  EXPECT_NE(it, plan.args.end()) << "eal_args must appear contiguously";
}

// Each worker transmits on its own TX queue, so net_af_packet needs
// qpairs >= workers; an operator's own qpairs= is respected.
TEST(PlanEalTest, AfPacketGetsQpairsOnlyWhenAbsent) {
  for (uint32_t workers : {1u, 2u, 3u}) {
    SCOPED_TRACE(testing::Message() << workers << " workers");
    const EalPlan plan = Plan(Settings(workers, {kAfPacket}));
    EXPECT_EQ(After(plan.args, "--vdev"),
              std::string(kAfPacket) + ",qpairs=" + std::to_string(workers));
    EXPECT_THAT(plan.port_names, ElementsAre("net_af_packet0"));
  }
  const std::string given = "net_af_packet0,iface=veth0,qpairs=4";
  const EalPlan plan = Plan(Settings(3, {given}));
  EXPECT_EQ(After(plan.args, "--vdev"), given);
  EXPECT_EQ(Matching(plan.args, "net_af_packet").size(), 1u);
}

TEST(PlanEalTest, OtherVirtualDevicesAreNotGivenQpairs) {
  const EalPlan plan = Plan(Settings(3, {"net_ring0"}));
  EXPECT_EQ(After(plan.args, "--vdev"), "net_ring0");
  EXPECT_THAT(plan.port_names, ElementsAre("net_ring0"));
}

TEST(PlanEalTest, PciAddressIsAllowListed) {
  const EalPlan plan = Plan(Settings(2, {"0000:03:00.0"}));
  EXPECT_EQ(After(plan.args, "-a"), "0000:03:00.0");
  EXPECT_EQ(std::count(plan.args.begin(), plan.args.end(), "--vdev"), 0);
  EXPECT_THAT(plan.port_names, ElementsAre("0000:03:00.0"));
}

// port_names follows the config's interface order, whatever the kinds.
TEST(PlanEalTest, PortNamesFollowInterfaceOrder) {
  const absl::StatusOr<EalPlan> plan =
      PlanEal(ConfigWith({"lan0", "uplink", "lab"}),
              Settings(2, {"net_af_packet1,iface=v1", "0000:81:00.1",
                           "net_af_packet0,iface=v0,qpairs=2"}),
              {0, 1}, kPid);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->port_names,
              ElementsAre("net_af_packet1", "0000:81:00.1", "net_af_packet0"));
  EXPECT_THAT(Matching(plan->args, "net_af_packet"),
              ElementsAre("net_af_packet1,iface=v1,qpairs=2",
                          "net_af_packet0,iface=v0,qpairs=2"));
  EXPECT_EQ(After(plan->args, "-a"), "0000:81:00.1");
}

// The operator must learn which interface lacks a device and how to give
// one on the command line.
TEST(PlanEalTest, MissingDeviceNamesInterfaceAndDeviceFlag) {
  const absl::StatusOr<EalPlan> plan =
      PlanEal(ConfigWith({"lan0", "uplink7"}),
              Settings(1, {"net_af_packet0,iface=v0", ""}), {0}, kPid);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(), HasSubstr("uplink7"));
  EXPECT_THAT(plan.status().message(), HasSubstr("--device"));
}

TEST(PlanEalTest, ImpossibleSettingsAreErrors) {
  const config::Config one = ConfigWith({"lan0"});
  EXPECT_FALSE(PlanEal(one, Settings(1, {kAfPacket}), {}, kPid).ok())
      << "no CPU";
  EXPECT_FALSE(PlanEal(one, Settings(0, {kAfPacket}), {0}, kPid).ok())
      << "no worker";
  EXPECT_FALSE(PlanEal(one, Settings(1, {}), {0}, kPid).ok())
      << "fewer devices than interfaces";
  EXPECT_FALSE(
      PlanEal(one, Settings(1, {kAfPacket, "net_ring0"}), {0}, kPid).ok())
      << "more devices than interfaces";
  EXPECT_FALSE(PlanEal(ConfigWith({}), Settings(1, {}), {0}, kPid).ok())
      << "no interface";
}

}  // namespace
}  // namespace leasewire::dataplane
