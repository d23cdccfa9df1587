// Tests of the Kea configuration converter (tools/kea-migrate/kea_config.h)
// against Kea fixtures written for them (tests/data/kea/).

#include "kea_config.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "leasewire/config/config.h"

namespace leasewire::kea_migrate {
namespace {

using J = nlohmann::ordered_json;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(LEASEWIRE_KEA_DATA) + "/" + name);
  EXPECT_TRUE(in) << name;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Asserts an item at `path` with `severity` whose reason contains `text`.
void ExpectItem(const Report& report, const std::string& path,
                Severity severity, const std::string& text = "") {
  const ReportItem* item = report.Find(path);
  ASSERT_NE(item, nullptr) << "no report item at " << path;
  EXPECT_EQ(SeverityName(item->severity), SeverityName(severity)) << path;
  EXPECT_NE(item->reason.find(text), std::string::npos)
      << path << ": " << item->reason;
}

// The option-data entry of `list` with `name` (or code), or null.
J OptionNamed(const J& list, const std::string& name) {
  for (const J& o : list) {
    if (o.value("name", "") == name) return o;
    if (o.contains("code") && std::to_string(o["code"].get<int>()) == name) {
      return o;
    }
  }
  return J();
}

J SubnetWithId(const J& config, int id) {
  for (const J& s : config["subnets"]) {
    if (s["id"] == id) return s;
  }
  return J();
}

TEST(KeaConfigTest, MinimalConvertsCleanlyAndLoads) {
  Report report;
  absl::StatusOr<ConvertResult> r =
      ConvertKeaConfig(Fixture("minimal.json"), {}, &report);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->validation.ok()) << r->validation << "\n" << r->config.dump(2);
  EXPECT_FALSE(report.lossy()) << report.ToJson().dump(2);
  const J& c = r->config;
  ASSERT_EQ(c["interfaces"].size(), 1u);
  EXPECT_EQ(c["interfaces"][0]["name"], "eth0");
  EXPECT_EQ(c["interfaces"][0]["address"], "10.20.0.2/24");
  EXPECT_EQ(c["valid-lifetime"], 3600);
  EXPECT_EQ(c["min-valid-lifetime"], 3600);
  EXPECT_EQ(c["max-valid-lifetime"], 3600);
  EXPECT_EQ(c["renew-timer-percent"], 50.0);
  EXPECT_EQ(c["rebind-timer-percent"], 87.5);
  EXPECT_EQ(c["authoritative"], false);
  const J s = SubnetWithId(c, 1);
  EXPECT_EQ(s["subnet"], "10.20.0.0/24");
  EXPECT_EQ(s["pools"][0]["pool"], "10.20.0.100 - 10.20.0.199");
  EXPECT_EQ(OptionNamed(s["option-data"], "routers")["data"], "10.20.0.1");
  // The timers were exact: the lifetime is fixed.
  ExpectItem(report, "Dhcp4.renew-timer", Severity::kInfo, "exact");
}

class KeaFullConfigTest : public testing::Test {
 protected:
  void SetUp() override {
    ConvertOptions options;
    options.interface_addresses["eth1"] = "198.51.100.1/24";
    absl::StatusOr<ConvertResult> r =
        ConvertKeaConfig(Fixture("full.json"), options, &report_);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->validation.ok()) << r->validation << "\n"
                                    << r->config.dump(2);
    config_ = r->config;
  }

  Report report_;
  J config_;
};

TEST_F(KeaFullConfigTest, GlobalSettings) {
  const J& c = config_;
  EXPECT_EQ(c["server-id"], "192.0.2.1");
  EXPECT_EQ(c["authoritative"], true);
  EXPECT_EQ(c["valid-lifetime"], 4000);
  EXPECT_EQ(c["min-valid-lifetime"], 2000);
  EXPECT_EQ(c["max-valid-lifetime"], 8000);
  // calculate-tee-times false and no timers: Kea sent none.
  EXPECT_EQ(c["renew-timer-percent"], 50.0);
  EXPECT_EQ(c["rebind-timer-percent"], 87.5);
  ExpectItem(report_, "Dhcp4.calculate-tee-times", Severity::kInfo, "no T1/T2");
  EXPECT_EQ(c["decline-probation-period"], 600);
  EXPECT_EQ(c["control"]["socket"], "/run/kea/kea4-ctrl-socket");
  ExpectItem(report_, "Dhcp4.control-socket", Severity::kInfo);
  ExpectItem(report_, "Dhcp4.lease-database", Severity::kInfo,
             "/var/lib/kea/kea-leases4.csv");
}

TEST_F(KeaFullConfigTest, Interfaces) {
  const J& ifs = config_["interfaces"];
  ASSERT_EQ(ifs.size(), 2u) << ifs.dump();
  // "eth0/192.0.2.1": the prefix length comes from the subnet.
  EXPECT_EQ(ifs[0]["name"], "eth0");
  EXPECT_EQ(ifs[0]["address"], "192.0.2.1/24");
  // eth1 from --interface-address.
  EXPECT_EQ(ifs[1]["name"], "eth1");
  EXPECT_EQ(ifs[1]["address"], "198.51.100.1/24");
  ExpectItem(report_, "Dhcp4.interfaces-config.interfaces[2]",
             Severity::kDropped, "--interface-address eth2=");
  ExpectItem(report_, "Dhcp4.interfaces-config.dhcp-socket-type",
             Severity::kInfo);
}

TEST_F(KeaFullConfigTest, GlobalOptions) {
  const J& o = config_["option-data"];
  EXPECT_EQ(OptionNamed(o, "domain-name-servers")["data"],
            "192.0.2.53, 192.0.2.54");
  // By code, written by name.
  EXPECT_EQ(OptionNamed(o, "domain-name")["data"], "example.net");
  EXPECT_EQ(OptionNamed(o, "ntp-servers")["always-send"], true);
  // Kea's hex integers are written in decimal.
  EXPECT_EQ(OptionNamed(o, "default-ip-ttl")["data"], "64");
  // csv-format false: hex, by code.
  EXPECT_EQ(OptionNamed(o, "224")["hex"], "0a0b0c");
  // boot-file-name (the BOOTP field) becomes option 67.
  EXPECT_EQ(OptionNamed(o, "boot-file-name")["data"], "pxelinux.0");
  EXPECT_EQ(OptionNamed(o, "boot-file-name")["always-send"], true);
  ExpectItem(report_, "Dhcp4.boot-file-name", Severity::kApproximated,
             "option 67");
  ExpectItem(report_, "Dhcp4.option-data[2]", Severity::kInfo, "server-id");
  ExpectItem(report_, "Dhcp4.option-data[5]", Severity::kDropped,
             "no type in leasewire's table");
  ExpectItem(report_, "Dhcp4.option-data[7]", Severity::kDropped,
             "valid-lifetime");
  ExpectItem(report_, "Dhcp4.option-data[8]", Severity::kDropped,
             "vendor-encapsulated-options-space");
  ExpectItem(report_, "Dhcp4.option-data[9]", Severity::kDropped,
             "192.0.2.300");
  EXPECT_TRUE(OptionNamed(o, "routers").is_null());
  EXPECT_TRUE(OptionNamed(o, "dhcp-lease-time").is_null());
  ExpectItem(report_, "Dhcp4.next-server", Severity::kDropped, "siaddr");
}

TEST_F(KeaFullConfigTest, DirectSubnetPoolsAndReservations) {
  const J s = SubnetWithId(config_, 10);
  ASSERT_FALSE(s.is_null());
  ASSERT_EQ(s["pools"].size(), 2u);
  EXPECT_EQ(s["pools"][1]["pool"], "192.0.2.200/29");
  EXPECT_EQ(OptionNamed(s["pools"][1]["option-data"], "domain-name")["data"],
            "guest.example.net");
  ExpectItem(report_, "Dhcp4.subnet4[0].pools[1].client-class",
             Severity::kDropped, "client classes");
  // Absolute timers at a varying lifetime (2000-8000) are shares.
  EXPECT_EQ(s["renew-timer-percent"], 25.0);
  EXPECT_EQ(s["rebind-timer-percent"], 75.0);
  ExpectItem(report_, "Dhcp4.subnet4[0].renew-timer", Severity::kApproximated,
             "share");
  ExpectItem(report_, "Dhcp4.subnet4[0].match-client-id", Severity::kDropped);
  ExpectItem(report_, "Dhcp4.subnet4[0].interface", Severity::kInfo);
  ExpectItem(report_, "Dhcp4.subnet4[0].user-context", Severity::kInfo);

  const J& r = s["reservations"];
  ASSERT_EQ(r.size(), 4u) << r.dump(2);
  EXPECT_EQ(r[0]["hw-address"], "1a:1b:1c:1d:1e:1f");
  EXPECT_EQ(r[0]["ip-address"], "192.0.2.20");
  EXPECT_EQ(r[0]["hostname"], "printer");
  EXPECT_EQ(r[1]["client-id"], "01:11:22:33:44:55:66");
  EXPECT_EQ(OptionNamed(r[1]["option-data"], "boot-file-name")["data"],
            "nas.bin");
  // flex-id with identifier-expression relay4[2].hex is a remote-id.
  EXPECT_EQ(r[2]["remote-id"], "cpe-remote-7");
  ExpectItem(report_, "Dhcp4.subnet4[0].reservations[2].flex-id",
             Severity::kInfo, "remote-id");
  ExpectItem(report_, "Dhcp4.subnet4[0].reservations[3].duid",
             Severity::kDropped, "DUID");
  EXPECT_EQ(r[3]["hw-address"], "1a:1b:1c:1d:1e:20");
  ExpectItem(report_, "Dhcp4.subnet4[0].reservations[4].client-classes",
             Severity::kDropped);
  ExpectItem(report_, "Dhcp4.subnet4[0].reservations[4].next-server",
             Severity::kDropped);
}

TEST_F(KeaFullConfigTest, RelayedSubnetWithoutId) {
  // Kea numbered it; the converter picks the lowest unused id.
  const J s = SubnetWithId(config_, 1);
  ASSERT_FALSE(s.is_null());
  EXPECT_EQ(s["subnet"], "198.51.100.0/24");
  ExpectItem(report_, "Dhcp4.subnet4[1].id", Severity::kApproximated,
             "assigned 1");
  EXPECT_EQ(s["relay"]["ip-addresses"], J({"10.255.0.1", "10.255.0.2"}));
  EXPECT_EQ(s["valid-lifetime"], 600);
  EXPECT_EQ(s["min-valid-lifetime"], 600);
  EXPECT_EQ(s["max-valid-lifetime"], 600);
  EXPECT_EQ(s["renew-timer-percent"], 40.0);
  EXPECT_EQ(s["rebind-timer-percent"], 80.0);
  const J& r = s["reservations"];
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0]["circuit-id"], "olt-7 xpon 0/1/3:12");
  EXPECT_EQ(r[1]["circuit-id"], "0x010203");
  // circuit-id is not in host-reservation-identifiers: Kea ignored it.
  ExpectItem(report_, "Dhcp4.subnet4[1].reservations[0].circuit-id",
             Severity::kApproximated, "host-reservation-identifiers");
  EXPECT_EQ(OptionNamed(r[1]["option-data"], "tftp-server-name")["data"],
            "tftp.example.net");
  ExpectItem(report_, "Dhcp4.subnet4[1].ddns-send-updates", Severity::kDropped,
             "DNS");
  ExpectItem(report_, "Dhcp4.subnet4[1].cache-threshold",
             Severity::kApproximated);
}

TEST_F(KeaFullConfigTest, SharedNetworkIsFlattened) {
  const J a = SubnetWithId(config_, 20);
  const J b = SubnetWithId(config_, 21);
  ASSERT_FALSE(a.is_null());
  ASSERT_FALSE(b.is_null());
  // Inherited from the network.
  for (const J& s : {a, b}) {
    EXPECT_EQ(s["authoritative"], false);
    EXPECT_EQ(s["valid-lifetime"], 1800);
  }
  EXPECT_EQ(OptionNamed(a["option-data"], "domain-name")["data"],
            "cable.example.net");
  EXPECT_EQ(OptionNamed(b["option-data"], "domain-name")["data"],
            "cable2.example.net");
  EXPECT_EQ(OptionNamed(b["option-data"], "routers")["data"], "203.0.113.129");
  // One relay selects one subnet.
  EXPECT_EQ(a["relay"]["ip-addresses"], J({"10.255.1.1"}));
  EXPECT_FALSE(b.contains("relay"));
  ExpectItem(report_, "Dhcp4.shared-networks[0].relay.ip-addresses[0]",
             Severity::kApproximated, "one subnet only");
  ExpectItem(report_, "Dhcp4.shared-networks[0]", Severity::kApproximated,
             "flattened into 2");
  ExpectItem(report_, "Dhcp4.shared-networks[0].client-class",
             Severity::kDropped);
  // The global reservation with an address moved into its subnet.
  ASSERT_TRUE(b.contains("reservations"));
  EXPECT_EQ(b["reservations"][0]["hostname"], "global-1");
  ExpectItem(report_, "Dhcp4.reservations[0]", Severity::kApproximated,
             "Dhcp4.shared-networks[0].subnet4[1]");
  ExpectItem(report_, "Dhcp4.reservations[1]", Severity::kDropped,
             "without an address");
}

TEST_F(KeaFullConfigTest, EverythingElseIsReported) {
  for (const char* path :
       {"Dhcp4.hooks-libraries[0]", "Dhcp4.client-classes[0]",
        "Dhcp4.option-def[0]", "Dhcp4.dhcp-ddns", "Dhcp4.echo-client-id",
        "Dhcp4.hosts-database", "Dhcp4.unknown-future-key"}) {
    ExpectItem(report_, path, Severity::kDropped);
  }
  for (const char* path :
       {"Dhcp4.hooks-libraries[1]", "Dhcp4.host-reservation-identifiers",
        "Dhcp4.loggers", "Dhcp4.expired-leases-processing",
        "Dhcp4.multi-threading", "Dhcp4.server-tag"}) {
    ExpectItem(report_, path, Severity::kInfo);
  }
  EXPECT_TRUE(report_.lossy());
}

TEST(KeaConfigTest, ReportedFeatures) {
  Report report;
  absl::StatusOr<ConvertResult> r =
      ConvertKeaConfig(Fixture("reported.json"), {}, &report);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->validation.ok()) << r->validation << "\n" << r->config.dump(2);
  struct Expected {
    const char* path;
    Severity severity;
    const char* text;
  };
  for (const Expected& e : std::initializer_list<Expected>{
           {"Dhcp4.interfaces-config.interfaces[0]", Severity::kDropped,
            "\"*\""},
           {"Dhcp4.interfaces-config.interfaces[2]", Severity::kDropped,
            "prefix length is unknown"},
           {"Dhcp4.lease-database", Severity::kDropped, "kea-admin"},
           {"Dhcp4.hosts-databases", Severity::kDropped, "database"},
           {"Dhcp4.hooks-libraries[0]", Severity::kDropped, "substring"},
           {"Dhcp4.hooks-libraries[1]", Severity::kDropped, "libdhcp_ha"},
           {"Dhcp4.control-socket", Severity::kDropped, "absolute"},
           {"Dhcp4.renew-timer", Severity::kDropped, "cannot be expressed"},
           {"Dhcp4.rebind-timer", Severity::kApproximated, "83.33 %"},
           {"Dhcp4.subnet4[0].option-data[0]", Severity::kDropped,
            "not in leasewire's option table"},
           {"Dhcp4.subnet4[0].option-data[1]", Severity::kDropped,
            "code 3, not 6"},
           {"Dhcp4.subnet4[0].option-data[2].never-send", Severity::kDropped,
            "never-send"},
           {"Dhcp4.subnet4[0].option-data[3]", Severity::kDropped, "RFC 6842"},
           {"Dhcp4.subnet4[0].pools[0].option-data[0]", Severity::kDropped,
            "per subnet only"},
           {"Dhcp4.subnet4[0].reservations[0].flex-id", Severity::kDropped,
            "no leasewire equivalent"},
           {"Dhcp4.subnet4[0].reservations[1].hw-address", Severity::kDropped,
            "6-octet"},
           {"Dhcp4.subnet4[0].reservations[2].client-id", Severity::kDropped,
            "at least 2 octets"},
           {"Dhcp4.subnet4[0].reservations[3]", Severity::kDropped,
            "no identifier"},
           {"Dhcp4.subnet4[0].reservations[4].option-data[0]",
            Severity::kDropped, "per subnet only"},
       }) {
    ExpectItem(report, e.path, e.severity, e.text);
  }
  // Each timer problem is reported once, not again for every subnet.
  size_t renew = 0;
  for (const ReportItem& i : report.items()) {
    renew += i.path == "Dhcp4.renew-timer" ? 1 : 0;
  }
  EXPECT_EQ(renew, 1u);
  const J& c = r->config;
  EXPECT_EQ(c["renew-timer-percent"], 50.0);
  EXPECT_EQ(c["rebind-timer-percent"], 83.33);
  EXPECT_FALSE(c.contains("control"));
  EXPECT_FALSE(c.contains("server-id"));
  const J s = SubnetWithId(c, 1);
  EXPECT_FALSE(s.contains("server-id"));
  ASSERT_EQ(s["reservations"].size(), 1u);
  EXPECT_EQ(s["reservations"][0]["hw-address"], "02:00:00:00:00:09");
  EXPECT_FALSE(s["reservations"][0].contains("option-data"));
  // Only the valid options of the subnet are left.
  EXPECT_FALSE(s.contains("option-data")) << s.dump();
}

TEST(KeaConfigTest, KeaDefaultsAreWrittenOut) {
  Report report;
  absl::StatusOr<ConvertResult> r = ConvertKeaConfig(
      R"({"Dhcp4": {"option-data": [{"name": "dhcp-server-identifier",
                                     "data": "192.0.2.1"}],
                    "subnet4": [{"id": 3, "subnet": "192.0.2.0/24"}]}})",
      {}, &report);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->validation.ok()) << r->validation;
  EXPECT_EQ(r->config["valid-lifetime"], 7200);
  EXPECT_EQ(r->config["min-valid-lifetime"], 7200);
  EXPECT_EQ(r->config["max-valid-lifetime"], 7200);
  ExpectItem(report, "Dhcp4.valid-lifetime", Severity::kInfo, "7200");
  EXPECT_FALSE(report.lossy()) << report.ToJson().dump(2);
}

TEST(KeaConfigTest, LifetimeThatIsNotANumberIsReported) {
  Report report;
  absl::StatusOr<ConvertResult> r = ConvertKeaConfig(
      R"({"Dhcp4": {"valid-lifetime": "7200",
                    "option-data": [{"code": 54, "data": "192.0.2.1"}],
                    "subnet4": [{"id": 3, "subnet": "192.0.2.0/24",
                                 "max-valid-lifetime": "x"}]}})",
      {}, &report);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->validation.ok()) << r->validation;
  EXPECT_FALSE(r->config.contains("valid-lifetime"));
  ExpectItem(report, "Dhcp4", Severity::kDropped, "not integers");
  ExpectItem(report, "Dhcp4.subnet4[0]", Severity::kDropped, "not integers");
}

TEST(KeaConfigTest, SubnetServerIdAndRelayInsideAnotherSubnet) {
  Report report;
  absl::StatusOr<ConvertResult> r = ConvertKeaConfig(
      R"({"Dhcp4": {"interfaces-config": {"interfaces": ["p0/10.0.0.2"]},
          "subnet4": [
            {"id": 1, "subnet": "10.0.0.0/24"},
            {"id": 2, "subnet": "10.1.0.0/24",
             "relay": {"ip-address": "10.0.0.1"},
             "option-data": [{"code": 54, "data": "10.0.0.2"}]}]}})",
      {}, &report);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->validation.ok()) << r->validation;
  const J s = SubnetWithId(r->config, 2);
  EXPECT_EQ(s["server-id"], "10.0.0.2");
  EXPECT_FALSE(s.contains("relay"));
  ExpectItem(report, "Dhcp4.subnet4[1].relay", Severity::kDropped,
             "lies inside Dhcp4.subnet4[0]");
}

TEST(KeaConfigTest, OutputRejectedByLeasewireIsAnError) {
  // No interface and no server identifier: leasewire needs a server-id.
  Report report;
  absl::StatusOr<ConvertResult> r = ConvertKeaConfig(
      R"({"Dhcp4": {"interfaces-config": {"interfaces": ["eth0"]},
          "subnet4": [{"id": 1, "subnet": "10.0.0.0/24"}]}})",
      {}, &report);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->validation.ok());
  EXPECT_NE(r->validation.message().find("server-id"), std::string::npos)
      << r->validation;
  ExpectItem(report, "Dhcp4.interfaces-config.interfaces[0]",
             Severity::kDropped, "--interface-address eth0=");
}

TEST(KeaConfigTest, PortsFromTheCommandLineAreAdded) {
  // Debian's shipped kea-dhcp4.conf lists no interfaces at all.
  Report report;
  ConvertOptions options;
  options.interface_addresses["port0"] = "10.0.0.2/24";
  absl::StatusOr<ConvertResult> r = ConvertKeaConfig(
      R"({"Dhcp4": {"interfaces-config": {"interfaces": []},
          "subnet4": [{"id": 1, "subnet": "10.0.0.0/24"}]}})",
      options, &report);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->validation.ok()) << r->validation;
  EXPECT_EQ(r->config["interfaces"],
            J::parse(R"([{"name": "port0", "address": "10.0.0.2/24"}])"));
  ExpectItem(report, "--interface-address port0", Severity::kInfo, "added");
}

TEST(KeaConfigTest, InputErrors) {
  Report report;
  absl::StatusOr<ConvertResult> r =
      ConvertKeaConfig("{\n\"Dhcp4\": {\"a\" 1}}", {}, &report);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos)
      << r.status();
  r = ConvertKeaConfig(R"({"Dhcp6": {}})", {}, &report);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Dhcp4"), std::string::npos);
  r = ConvertKeaConfig("{\"Dhcp4\": <?include \"x.json\"?>}", {}, &report);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("include"), std::string::npos);
  r = ConvertKeaConfig("{\"Dhcp4\": {}} /* open", {}, &report);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unterminated"), std::string::npos);
}

TEST(KeaConfigTest, CommentMarkersInsideStringsAreKept) {
  absl::StatusOr<std::string> s = StripKeaComments(
      "{\"a\": \"x#y\", # gone\n \"b\": \"http://w/\\\"q\" // gone\n}");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "{\"a\": \"x#y\", \n \"b\": \"http://w/\\\"q\" \n}");
}

TEST(KeaConfigTest, TrailingCommasAreAcceptedLikeKeaDoes) {
  absl::StatusOr<std::string> s =
      StripKeaComments("{\"a\": [1, 2, ], \"b\": \"x, }\", // c\n}");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "{\"a\": [1, 2 ], \"b\": \"x, }\" \n}");
}

}  // namespace
}  // namespace leasewire::kea_migrate
