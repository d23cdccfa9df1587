// Tests for engine::Engine and engine::SelectSubnet, one rule at a time.
// Each test names the rule it checks: the test suite names the RFC and
// section (Rfc2131S431... is RFC 2131 §4.3.1), and a comment cites it.
//
// Requests are built as bytes and parsed (engine_test_util.h), so the engine
// sees what a worker hands it; replies are parsed back the same way.

#include "leasewire/engine/engine.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/engine_test_util.h"
#include "gtest/gtest.h"
#include "leasewire/config/config.h"
#include "leasewire/engine/mutation.h"
#include "leasewire/wire/options.h"

namespace leasewire::engine {
namespace {

namespace option = wire::option;
using lease::LeaseState;
using lease::Seconds;
using test::Bytes;
using test::ClientIdFor;
using test::EngineHarness;
using test::Ip;
using test::Mac;
using test::MacBytes;
using test::Packet;
using test::RelayAgentInfo;
using test::Reply;
using test::RequestBuilder;
using test::TestClient;
using test::ToBytes;
using wire::Ipv4Address;
using wire::MacAddress;
using wire::MessageType;

constexpr Seconds kT0 = 1000;

// ---------------------------------------------------------------------------
// Configurations.

struct ConfigSpec {
  std::string globals;  // extra top-level members, each followed by ','
  std::string pool1 = "192.0.2.10 - 192.0.2.19";
  std::string reservations1 = R"(
       {"hw-address": "02:00:00:00:00:a1", "ip-address": "192.0.2.101",
        "option-data": [{"name": "domain-name", "data": "vip.example.net"}]},
       {"client-id": "01:02:00:00:00:00:a2", "ip-address": "192.0.2.102"},
       {"hw-address": "02:00:00:00:00:a6", "ip-address": "192.0.2.106",
        "valid-lifetime": "infinite"},
       {"hw-address": "02:00:00:00:00:a7", "ip-address": "192.0.2.107",
        "valid-lifetime": 900})";
  uint32_t offer_lifetime = 30;
  uint32_t probation = 600;
};

// Subnet 1 (192.0.2.0/24) is on the server's port eth0; subnet 2
// (10.1.0.0/24) is behind a relay (giaddr 10.1.0.1 or its loopback
// 10.255.0.1); subnet 3 (10.2.0.0/24) is reachable by link selection.
std::string MakeConfig(const ConfigSpec& spec) {
  return "{" + spec.globals + R"(
  "interfaces": [{"name": "eth0", "address": "192.0.2.1/24"}],
  "valid-lifetime": 3600,
  "min-valid-lifetime": 600,
  "max-valid-lifetime": 7200,
  "offer-lifetime": )" +
         std::to_string(spec.offer_lifetime) + R"(,
  "decline-probation-period": )" +
         std::to_string(spec.probation) + R"(,
  "option-data": [
    {"name": "domain-name-servers", "data": "192.0.2.53"},
    {"name": "domain-name", "data": "example.net"},
    {"name": "ntp-servers", "data": "192.0.2.123"}
  ],
  "subnets": [
    {"id": 1, "subnet": "192.0.2.0/24",
     "pools": [{"pool": ")" +
         spec.pool1 + R"("}],
     "option-data": [{"name": "routers", "data": "192.0.2.1"}],
     "reservations": [)" +
         spec.reservations1 + R"(]},
    {"id": 2, "subnet": "10.1.0.0/24",
     "pools": [{"pool": "10.1.0.100 - 10.1.0.109"}],
     "relay": {"ip-addresses": ["10.255.0.1"]},
     "option-data": [{"name": "routers", "data": "10.1.0.1"}],
     "reservations": [
       {"circuit-id": "olt7-1/1/3", "ip-address": "10.1.0.50",
        "valid-lifetime": 1800,
        "option-data": [{"name": "domain-name", "data": "port.example.net"}]},
       {"remote-id": "0x00aabbcc00", "ip-address": "10.1.0.51"}
     ]},
    {"id": 3, "subnet": "10.2.0.0/24",
     "pools": [{"pool": "10.2.0.100 - 10.2.0.109"}]}
  ]
})";
}

std::string DefaultConfig() { return MakeConfig(ConfigSpec()); }

const Ipv4Address kServer = Ip("192.0.2.1");
const Ipv4Address kRelay = Ip("10.1.0.1");
const Ipv4Address kRelayLoopback = Ip("10.255.0.1");

bool InPool1(Ipv4Address a) {
  return a >= Ip("192.0.2.10") && a <= Ip("192.0.2.19");
}
bool InPool2(Ipv4Address a) {
  return a >= Ip("10.1.0.100") && a <= Ip("10.1.0.109");
}

uint64_t ReasonCount(const Engine& e, Reason r) {
  return e.counters().reasons[static_cast<int>(r)];
}

class EngineTest : public testing::Test {
 protected:
  EngineTest() : h_(DefaultConfig()) {}
  EngineHarness h_;
};

// ---------------------------------------------------------------------------
// RFC 2131 §4.3.1: DHCPDISCOVER.

using Rfc2131S431DiscoverTest = EngineTest;

// §4.3.1: a new client gets an address from the pool, with the lease time,
// T1 and T2 (§4.4.5 defaults 50% and 87.5%) and the server identifier.
TEST_F(Rfc2131S431DiscoverTest, OffersNewAddressFromPool) {
  TestClient c(&h_, Mac(1));
  const Reply r = c.Discover(kT0);
  ASSERT_EQ(r.decision.action, Action::kReply);
  EXPECT_EQ(r.decision.reply_type, MessageType::kOffer);
  EXPECT_EQ(r.type(), MessageType::kOffer);
  EXPECT_TRUE(InPool1(r.yiaddr())) << r.yiaddr().ToString();
  EXPECT_EQ(r.server_id(), kServer);
  EXPECT_EQ(r.GetUint32(option::kLeaseTime), 3600u);
  EXPECT_EQ(r.GetUint32(option::kRenewalTime), 1800u);
  EXPECT_EQ(r.GetUint32(option::kRebindingTime), 3150u);
  EXPECT_EQ(r.msg->op(), wire::kBootReply);
  EXPECT_EQ(r.msg->xid(),
            c.Builder(MessageType::kDiscover).Build().msg().xid());
  EXPECT_TRUE(r.msg->ciaddr().IsZero());  // Table 3: OFFER ciaddr 0
  // An OFFER is not persisted (design brief §2, durability contract).
  EXPECT_TRUE(h_.TakeMutations().empty());
}

// §4.3.1: "the client's current address as recorded in the client's current
// binding" comes before the requested address.
TEST_F(Rfc2131S431DiscoverTest, OffersCurrentBindingBeforeRequestedAddress) {
  TestClient c(&h_, Mac(1));
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  const Ipv4Address bound = c.address();
  const Ipv4Address other = Ip("192.0.2.18");
  ASSERT_NE(bound, other);
  const Reply r = c.Discover(kT0 + 10, other);
  EXPECT_EQ(r.type(), MessageType::kOffer);
  EXPECT_EQ(r.yiaddr(), bound);
}

// §4.3.1: "ELSE the client's previous address as recorded in the client's
// (now expired or released) binding, if that address is ... not already
// allocated" (address affinity).
TEST_F(Rfc2131S431DiscoverTest, OffersPreviousAddressAfterRelease) {
  TestClient c(&h_, Mac(1));
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  const Ipv4Address first = c.address();
  EXPECT_EQ(c.Release(kT0 + 5).decision.action, Action::kSilent);
  // Other clients come and go; the cursor moves past `first`.
  for (uint8_t i = 2; i < 6; ++i) {
    TestClient o(&h_, Mac(i));
    ASSERT_EQ(o.Dora(kT0 + 6).type(), MessageType::kAck);
  }
  const Reply r = c.Discover(kT0 + 10, Ip("192.0.2.19"));
  EXPECT_EQ(r.yiaddr(), first);
}

// §4.3.1, previous binding: expired rather than released.
TEST_F(Rfc2131S431DiscoverTest, OffersPreviousAddressAfterExpiry) {
  TestClient c(&h_, Mac(1));
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  const Ipv4Address first = c.address();
  h_.Tick(kT0 + 3600);
  TestClient o(&h_, Mac(2));
  ASSERT_EQ(o.Dora(kT0 + 3601).type(), MessageType::kAck);
  EXPECT_NE(o.address(), first);
  EXPECT_EQ(c.Discover(kT0 + 3602).yiaddr(), first);
}

// §4.3.1 as configured here: a reservation comes before the address the
// client asks for.
TEST_F(Rfc2131S431DiscoverTest, OffersReservationBeforeRequestedAddress) {
  TestClient c(&h_, MacAddress({0x02, 0, 0, 0, 0, 0xa1}));
  const Reply r = c.Discover(kT0, Ip("192.0.2.12"));
  EXPECT_EQ(r.yiaddr(), Ip("192.0.2.101"));
}

// §4.3.1 as configured here: a current binding (restored from the store,
// made before the reservation existed) comes before the reservation.
TEST_F(Rfc2131S431DiscoverTest, OffersCurrentBindingBeforeReservation) {
  const MacAddress mac({0x02, 0, 0, 0, 0, 0xa1});
  const Bytes chaddr = MacBytes(mac);
  LeaseImage img;
  img.address = Ip("192.0.2.12");
  img.subnet_id = 1;
  img.state = LeaseState::kBound;
  img.start = kT0 - 100;
  img.expiry = kT0 + 3500;
  img.htype = wire::kHtypeEthernet;
  img.chaddr = chaddr;
  ASSERT_TRUE(h_.engine().Restore(img));
  TestClient c(&h_, mac);
  EXPECT_EQ(c.Discover(kT0).yiaddr(), Ip("192.0.2.12"));
}

// §4.3.1: "ELSE the address requested in the 'Requested IP Address'
// option, if that address is valid and not already allocated".
TEST_F(Rfc2131S431DiscoverTest, OffersRequestedAddressWhenFree) {
  TestClient c(&h_, Mac(1));
  EXPECT_EQ(c.Discover(kT0, Ip("192.0.2.15")).yiaddr(), Ip("192.0.2.15"));
}

// §4.3.1: a requested address that is not available gives a new address.
TEST_F(Rfc2131S431DiscoverTest, RequestedAddressNotAvailableGivesNewAddress) {
  TestClient a(&h_, Mac(1));
  ASSERT_EQ(a.Dora(kT0).type(), MessageType::kAck);
  struct Case {
    const char* what;
    Ipv4Address asked;
  };
  const Case cases[] = {
      {"bound to another client", a.address()},
      {"outside the subnet", Ip("10.2.0.100")},
      {"in the subnet, outside every pool", Ip("192.0.2.200")},
      {"reserved for another client", Ip("192.0.2.101")},
      {"the server's own address", kServer},
      {"the network address", Ip("192.0.2.0")},
  };
  uint8_t mac = 10;
  for (const Case& c : cases) {
    TestClient b(&h_, Mac(mac++));
    const Reply r = b.Discover(kT0 + 1, c.asked);
    ASSERT_EQ(r.type(), MessageType::kOffer) << c.what;
    EXPECT_NE(r.yiaddr(), c.asked) << c.what;
    EXPECT_TRUE(InPool1(r.yiaddr())) << c.what << ": " << r.yiaddr().ToString();
  }
}

// §4.3.1: "the server SHOULD ... reserve the offered address": nobody else
// gets it during offer-lifetime; afterwards Tick() returns it to the pool.
TEST(Rfc2131S431DiscoverOfferTest, OfferHeldForOfferLifetimeThenReturned) {
  ConfigSpec spec;
  spec.pool1 = "192.0.2.10 - 192.0.2.10";
  EngineHarness h(MakeConfig(spec));
  TestClient a(&h, Mac(1));
  ASSERT_EQ(a.Discover(kT0).yiaddr(), Ip("192.0.2.10"));
  TestClient b(&h, Mac(2));
  Reply r = b.Discover(kT0 + 1);
  EXPECT_EQ(r.decision.action, Action::kDrop);
  EXPECT_EQ(r.decision.reason, Reason::kPoolExhausted);
  h.Tick(kT0 + 29);
  EXPECT_EQ(b.Discover(kT0 + 29).decision.reason, Reason::kPoolExhausted);
  h.Tick(kT0 + 30);
  EXPECT_EQ(h.engine().counters().offers_timed_out, 1u);
  r = b.Discover(kT0 + 30);
  EXPECT_EQ(r.type(), MessageType::kOffer);
  EXPECT_EQ(r.yiaddr(), Ip("192.0.2.10"));
  EXPECT_TRUE(h.TakeMutations().empty());  // offers are never persisted
}

// §4.3.1: a repeated DISCOVER renews the hold on the same offer.
TEST(Rfc2131S431DiscoverOfferTest, RepeatedDiscoverExtendsTheOffer) {
  ConfigSpec spec;
  spec.pool1 = "192.0.2.10 - 192.0.2.10";
  EngineHarness h(MakeConfig(spec));
  TestClient a(&h, Mac(1));
  ASSERT_EQ(a.Discover(kT0).yiaddr(), Ip("192.0.2.10"));
  ASSERT_EQ(a.Discover(kT0 + 20).yiaddr(), Ip("192.0.2.10"));
  h.Tick(kT0 + 30);
  TestClient b(&h, Mac(2));
  EXPECT_EQ(b.Discover(kT0 + 30).decision.reason, Reason::kPoolExhausted);
  h.Tick(kT0 + 50);
  EXPECT_EQ(b.Discover(kT0 + 50).yiaddr(), Ip("192.0.2.10"));
}

// §4.3.1: "If no address is available, the server MAY choose to report the
// problem to the system administrator": dropped and counted.
TEST(Rfc2131S431DiscoverOfferTest, NoFreeAddressIsDroppedAndCounted) {
  ConfigSpec spec;
  spec.pool1 = "192.0.2.10 - 192.0.2.12";
  EngineHarness h(MakeConfig(spec));
  for (uint8_t i = 1; i <= 3; ++i) {
    TestClient c(&h, Mac(i));
    ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  }
  TestClient late(&h, Mac(9));
  for (int i = 0; i < 2; ++i) {
    const Reply r = late.Discover(kT0 + 1);
    EXPECT_EQ(r.decision.action, Action::kDrop);
    EXPECT_EQ(r.decision.reason, Reason::kPoolExhausted);
    EXPECT_FALSE(r.is_reply());
  }
  EXPECT_EQ(ReasonCount(h.engine(), Reason::kPoolExhausted), 2u);
  EXPECT_EQ(ReasonName(Reason::kPoolExhausted), "pool_exhausted");
}

// §4.3.1 (lease time): "the server may ... grant the requested lease time
// (option 51) within policy": clamped to [min, max]; default without 51.
// T1 and T2 (§4.4.5) are 50% and 87.5% of it, rounded down.
TEST_F(Rfc2131S431DiscoverTest, LeaseTimeFromOption51ClampedToPolicy) {
  struct Case {
    std::optional<uint32_t> asked;
    uint32_t granted;
    uint32_t t1;
    uint32_t t2;
  };
  const Case cases[] = {
      {std::nullopt, 3600, 1800, 3150},
      {1, 600, 300, 525},
      {599, 600, 300, 525},
      {600, 600, 300, 525},
      {1001, 1001, 500, 875},
      {5000, 5000, 2500, 4375},
      {7200, 7200, 3600, 6300},
      {7201, 7200, 3600, 6300},
      {0xffffffff, 7200, 3600, 6300},  // infinite is not granted
  };
  uint8_t mac = 1;
  for (const Case& k : cases) {
    TestClient c(&h_, Mac(mac++));
    c.WithLeaseTime(k.asked);
    const std::string what =
        k.asked ? std::to_string(*k.asked) : std::string("none");
    const Reply offer = c.Discover(kT0);
    EXPECT_EQ(offer.GetUint32(option::kLeaseTime), k.granted) << what;
    const Reply ack = c.Select(kT0);
    ASSERT_EQ(ack.type(), MessageType::kAck) << what;
    EXPECT_EQ(ack.GetUint32(option::kLeaseTime), k.granted) << what;
    EXPECT_EQ(ack.GetUint32(option::kRenewalTime), k.t1) << what;
    EXPECT_EQ(ack.GetUint32(option::kRebindingTime), k.t2) << what;
    const auto m = h_.TakeMutations();
    ASSERT_EQ(m.size(), 1u) << what;
    EXPECT_EQ(m[0].expiry, kT0 + k.granted) << what;
  }
}

// §4.2 / §4.3.1: a client is known by option 61 or chaddr; with neither
// there is nobody to offer to.
TEST_F(Rfc2131S431DiscoverTest, NoClientIdentityIsDropped) {
  RequestBuilder b(MessageType::kDiscover);
  b.Hardware(wire::kHtypeEthernet, Bytes(6, 0));
  const Reply r = h_.Send(b.Build(), h_.Direct(Mac(0)), kT0);
  EXPECT_EQ(r.decision.action, Action::kDrop);
  EXPECT_EQ(r.decision.reason, Reason::kNoClientIdentity);
}

// ---------------------------------------------------------------------------
// RFC 2131 §4.3.2: DHCPREQUEST.

using Rfc2131S432RequestTest = EngineTest;

// §4.3.2 SELECTING: a REQUEST naming us and the offered address is ACKed
// with the lease time, T1 = 50%, T2 = 87.5% (§4.4.5) and a bind mutation.
TEST_F(Rfc2131S432RequestTest, SelectingOursIsAcked) {
  TestClient c(&h_, Mac(1));
  const Reply offer = c.Discover(kT0);
  const Reply ack = c.Select(kT0 + 1);
  ASSERT_EQ(ack.type(), MessageType::kAck);
  EXPECT_EQ(ack.yiaddr(), offer.yiaddr());
  EXPECT_EQ(ack.server_id(), kServer);
  EXPECT_EQ(ack.GetUint32(option::kLeaseTime), 3600u);
  EXPECT_EQ(ack.GetUint32(option::kRenewalTime), 1800u);
  EXPECT_EQ(ack.GetUint32(option::kRebindingTime), 3150u);
  const auto m = h_.TakeMutations();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, MutationKind::kBind);
  EXPECT_EQ(m[0].address, offer.yiaddr());
  EXPECT_EQ(m[0].state, LeaseState::kBound);
  EXPECT_EQ(m[0].start, kT0 + 1);
  EXPECT_EQ(m[0].expiry, kT0 + 1 + 3600);
}

// §4.3.2 SELECTING: the address was offered to someone else: DHCPNAK.
TEST_F(Rfc2131S432RequestTest, SelectingOursButAddressTakenIsNaked) {
  TestClient a(&h_, Mac(1));
  const Ipv4Address x = a.Discover(kT0).yiaddr();
  TestClient b(&h_, Mac(2));
  const Reply r = b.Select(kT0 + 1, x, kServer);
  ASSERT_EQ(r.type(), MessageType::kNak);
  EXPECT_TRUE(r.yiaddr().IsZero());
  EXPECT_FALSE(r.GetUint32(option::kLeaseTime).has_value());
  // A still gets it.
  EXPECT_EQ(a.Select(kT0 + 2).type(), MessageType::kAck);
  EXPECT_EQ(a.address(), x);
}

// §4.3.2 SELECTING / §3.1 step 4: a REQUEST naming another server tells us
// our offer was declined: no reply, and the address is free again at once.
TEST(Rfc2131S432SelectingTest, OtherServerIdIsSilentAndWithdrawsOffer) {
  ConfigSpec spec;
  spec.pool1 = "192.0.2.10 - 192.0.2.10";
  EngineHarness h(MakeConfig(spec));
  TestClient a(&h, Mac(1));
  ASSERT_EQ(a.Discover(kT0).yiaddr(), Ip("192.0.2.10"));
  const Reply r = a.Select(kT0 + 1, Ip("198.51.100.7"), Ip("198.51.100.1"));
  EXPECT_EQ(r.decision.action, Action::kSilent);
  EXPECT_EQ(r.decision.reason, Reason::kNotForUs);
  EXPECT_FALSE(r.is_reply());
  EXPECT_EQ(ReasonCount(h.engine(), Reason::kNotForUs), 1u);
  // No Tick: the address is offerable immediately.
  TestClient b(&h, Mac(2));
  EXPECT_EQ(b.Discover(kT0 + 1).yiaddr(), Ip("192.0.2.10"));
  EXPECT_TRUE(h.TakeMutations().empty());
}

// §4.3.2 SELECTING: the offer timed out but the address is still free:
// the server may still grant it.
TEST_F(Rfc2131S432RequestTest,
       SelectingAfterOfferTimedOutStillAcksFreeAddress) {
  TestClient c(&h_, Mac(1));
  const Ipv4Address x = c.Discover(kT0).yiaddr();
  h_.Tick(kT0 + 100);
  const Reply r = c.Select(kT0 + 100);
  ASSERT_EQ(r.type(), MessageType::kAck);
  EXPECT_EQ(r.yiaddr(), x);
}

// §4.3.2 SELECTING: asking for an address reserved for someone else.
TEST_F(Rfc2131S432RequestTest, SelectingAddressReservedForOtherIsNaked) {
  TestClient c(&h_, Mac(1));
  EXPECT_EQ(c.Select(kT0, Ip("192.0.2.101"), kServer).type(),
            MessageType::kNak);
}

// §4.3.2 INIT-REBOOT: "Server SHOULD send a DHCPNAK message to the client if
// the 'requested IP address' ... is on the wrong network", broadcast (§4.1).
TEST_F(Rfc2131S432RequestTest, InitRebootOnWrongNetworkIsNakedBroadcast) {
  TestClient c(&h_, Mac(1));
  c.WithClientId(ClientIdFor(Mac(1)));
  const Reply r = c.InitReboot(kT0, Ip("10.9.9.9"));
  ASSERT_EQ(r.type(), MessageType::kNak);
  EXPECT_EQ(r.decision.route.ip_dst, Ipv4Address::Broadcast());
  EXPECT_EQ(r.decision.route.eth_dst, MacAddress::Broadcast());
  EXPECT_EQ(r.decision.route.dst_port, wire::kDhcpClientPort);
  EXPECT_TRUE(r.yiaddr().IsZero());
  EXPECT_TRUE(r.msg->ciaddr().IsZero());
  EXPECT_EQ(r.server_id(), kServer);
  // RFC 2131 Table 3: a NAK has no lease time and no configuration.
  for (const uint8_t code : r.OptionOrder()) {
    EXPECT_TRUE(code == option::kMessageType ||
                code == option::kServerIdentifier || code == option::kMessage ||
                code == option::kClientIdentifier)
        << "option " << int{code} << " in a NAK";
  }
  EXPECT_EQ(r.Option(option::kClientIdentifier), ClientIdFor(Mac(1)));
}

// §4.3.2 INIT-REBOOT: "If the DHCP server has no record of this client,
// then it MUST remain silent" (non-authoritative server).
TEST_F(Rfc2131S432RequestTest, InitRebootUnknownClientIsSilent) {
  TestClient c(&h_, Mac(1));
  const Reply r = c.InitReboot(kT0, Ip("192.0.2.14"));
  EXPECT_EQ(r.decision.action, Action::kSilent);
  EXPECT_EQ(r.decision.reason, Reason::kUnknownClient);
  EXPECT_EQ(ReasonCount(h_.engine(), Reason::kUnknownClient), 1u);
}

// §4.3.2 INIT-REBOOT on an authoritative server: the server owns the
// network, so an unknown binding is wrong: DHCPNAK.
TEST(Rfc2131S432InitRebootTest, AuthoritativeNaksUnknownClient) {
  ConfigSpec spec;
  spec.globals = R"("authoritative": true,)";
  EngineHarness h(MakeConfig(spec));
  TestClient c(&h, Mac(1));
  const Reply r = c.InitReboot(kT0, Ip("192.0.2.14"));
  EXPECT_EQ(r.type(), MessageType::kNak);
  EXPECT_EQ(r.decision.route.ip_dst, Ipv4Address::Broadcast());
}

// §4.3.2 INIT-REBOOT: a known client asking for its own address is ACKed;
// asking for another one is NAKed ("requested IP address is incorrect").
TEST_F(Rfc2131S432RequestTest, InitRebootKnownClient) {
  TestClient c(&h_, Mac(1));
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  const Ipv4Address bound = c.address();
  h_.TakeMutations();
  const Reply ack = c.InitReboot(kT0 + 100, bound);
  ASSERT_EQ(ack.type(), MessageType::kAck);
  EXPECT_EQ(ack.yiaddr(), bound);
  const auto m = h_.TakeMutations();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].expiry, kT0 + 100 + 3600);

  const Ipv4Address other =
      bound == Ip("192.0.2.18") ? Ip("192.0.2.17") : Ip("192.0.2.18");
  EXPECT_EQ(c.InitReboot(kT0 + 101, other).type(), MessageType::kNak);
}

// §4.3.2 INIT-REBOOT: an address bound to another client is "incorrect".
TEST_F(Rfc2131S432RequestTest, InitRebootForAddressOfAnotherClientIsNaked) {
  TestClient a(&h_, Mac(1));
  ASSERT_EQ(a.Dora(kT0).type(), MessageType::kAck);
  TestClient b(&h_, Mac(2));
  EXPECT_EQ(b.InitReboot(kT0 + 1, a.address()).type(), MessageType::kNak);
}

// §4.3.2 RENEWING: unicast with ciaddr; the lease is extended (extend
// mutation) and the ACK goes to ciaddr:68 (§4.1), with ciaddr copied
// (Table 3).
TEST_F(Rfc2131S432RequestTest, RenewingExtendsAndRepliesToCiaddr) {
  TestClient c(&h_, Mac(1));
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  h_.TakeMutations();
  const Reply r = c.Renew(kT0 + 1800);
  ASSERT_EQ(r.type(), MessageType::kAck);
  EXPECT_EQ(r.yiaddr(), c.address());
  EXPECT_EQ(r.msg->ciaddr(), c.address());
  EXPECT_EQ(r.decision.route.ip_dst, c.address());
  EXPECT_EQ(r.decision.route.dst_port, wire::kDhcpClientPort);
  EXPECT_EQ(r.decision.route.eth_dst, c.mac());
  const auto m = h_.TakeMutations();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, MutationKind::kExtend);
  EXPECT_EQ(m[0].start, kT0 + 1800);
  EXPECT_EQ(m[0].expiry, kT0 + 1800 + 3600);
  // The old expiry no longer ends the lease.
  h_.Tick(kT0 + 3600);
  EXPECT_TRUE(h_.TakeMutations().empty());
  EXPECT_EQ(h_.engine().counters().expired, 0u);
  h_.Tick(kT0 + 1800 + 3600);
  EXPECT_EQ(h_.engine().counters().expired, 1u);
}

// §4.3.2 REBINDING: broadcast with ciaddr; extended, reply to ciaddr:68.
TEST_F(Rfc2131S432RequestTest, RebindingExtendsAndRepliesToCiaddr) {
  TestClient c(&h_, Mac(1));
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  h_.TakeMutations();
  const Reply r = c.Rebind(kT0 + 3200);
  ASSERT_EQ(r.type(), MessageType::kAck);
  EXPECT_EQ(r.decision.route.ip_dst, c.address());
  EXPECT_EQ(r.decision.route.dst_port, wire::kDhcpClientPort);
  const auto m = h_.TakeMutations();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, MutationKind::kExtend);
  EXPECT_EQ(m[0].expiry, kT0 + 3200 + 3600);
}

// §4.3.2 RENEWING: ciaddr bound to another client: DHCPNAK.
TEST_F(Rfc2131S432RequestTest, RenewingAddressOfAnotherClientIsNaked) {
  TestClient a(&h_, Mac(1));
  ASSERT_EQ(a.Dora(kT0).type(), MessageType::kAck);
  TestClient b(&h_, Mac(2));
  b.set_address(a.address());
  const Reply r = b.Renew(kT0 + 10);
  EXPECT_EQ(r.type(), MessageType::kNak);
  EXPECT_EQ(h_.TakeMutations().size(), 1u);  // only A's bind
  // A's lease is untouched.
  EXPECT_EQ(a.Renew(kT0 + 20).type(), MessageType::kAck);
}

// §4.3.2 REBINDING through a relay (the broadcast reaches the relay, which
// forwards it with giaddr): extended, and answered through the relay
// (§4.1: giaddr first).
TEST_F(Rfc2131S432RequestTest, RelayedRebindingIsAnsweredThroughTheRelay) {
  TestClient c(&h_, Mac(1));
  c.Relay(kRelay, RelayAgentInfo({{1, ToBytes("port-1")}}));
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  h_.TakeMutations();
  const Reply r = c.Rebind(kT0 + 3200);
  ASSERT_EQ(r.type(), MessageType::kAck);
  EXPECT_EQ(r.decision.route.ip_dst, kRelay);
  EXPECT_EQ(r.decision.route.dst_port, wire::kDhcpServerPort);
  const auto m = h_.TakeMutations();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, MutationKind::kExtend);
}

// §4.3.2 RENEWING with no record (non-authoritative): silent.
TEST_F(Rfc2131S432RequestTest, RenewingUnknownLeaseIsSilent) {
  TestClient c(&h_, Mac(1));
  c.set_address(Ip("192.0.2.14"));
  const Reply r = c.Renew(kT0);
  EXPECT_EQ(r.decision.action, Action::kSilent);
  EXPECT_EQ(r.decision.reason, Reason::kUnknownClient);
}

// §4.2: "the client identifier ... or, if not present, chaddr": a client
// that bound with option 61 and renews without it (same chaddr) is still
// the same client (shared/cases CLI-01).
TEST_F(Rfc2131S432RequestTest, RenewalWithoutClientIdBySameChaddrWorks) {
  TestClient c(&h_, Mac(1));
  c.WithClientId(ClientIdFor(Mac(1)));
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  c.WithClientId({});
  const Reply r = c.Renew(kT0 + 1800);
  ASSERT_EQ(r.type(), MessageType::kAck);
  EXPECT_EQ(r.yiaddr(), c.address());
}

// §4.3.2: a REQUEST with neither ciaddr nor option 50 is none of the
// states of the section.
TEST_F(Rfc2131S432RequestTest, RequestWithoutAddressIsMalformed) {
  TestClient c(&h_, Mac(1));
  const Reply r = c.Send(c.Builder(MessageType::kRequest), kT0);
  EXPECT_EQ(r.decision.action, Action::kDrop);
  EXPECT_EQ(r.decision.reason, Reason::kMalformedRequest);
}

// ---------------------------------------------------------------------------
// RFC 2131 §4.3.3: DHCPDECLINE.

// §4.3.3: "the server MUST mark the network address as not available": the
// address is kept from everybody for decline-probation-period, then comes
// back; the declining client gets another address at once.
TEST(Rfc2131S433DeclineTest, DeclinedAddressIsInProbationThenReturns) {
  ConfigSpec spec;
  spec.pool1 = "192.0.2.10 - 192.0.2.11";
  spec.probation = 600;
  EngineHarness h(MakeConfig(spec));
  TestClient a(&h, Mac(1));
  ASSERT_EQ(a.Dora(kT0).type(), MessageType::kAck);
  const Ipv4Address x = a.address();
  h.TakeMutations();

  const Reply d = a.Decline(kT0 + 1, x);
  EXPECT_EQ(d.decision.action, Action::kSilent);
  EXPECT_EQ(d.decision.reason, Reason::kDeclined);
  EXPECT_FALSE(d.is_reply());
  auto m = h.TakeMutations();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, MutationKind::kDecline);
  EXPECT_EQ(m[0].address, x);
  EXPECT_EQ(m[0].state, LeaseState::kDeclined);
  EXPECT_EQ(m[0].start, kT0 + 1);
  EXPECT_EQ(m[0].expiry, kT0 + 1 + 600);

  // The client gets the other address.
  ASSERT_EQ(a.Dora(kT0 + 2).type(), MessageType::kAck);
  EXPECT_NE(a.address(), x);
  // Nobody gets the declined one during probation, not even by asking.
  TestClient b(&h, Mac(2));
  EXPECT_EQ(b.Discover(kT0 + 3, x).decision.reason, Reason::kPoolExhausted);
  EXPECT_EQ(b.Select(kT0 + 3, x, kServer).type(), MessageType::kNak);
  h.Tick(kT0 + 600);
  EXPECT_EQ(b.Discover(kT0 + 600).decision.reason, Reason::kPoolExhausted);
  h.TakeMutations();
  h.Tick(kT0 + 601);
  EXPECT_EQ(h.engine().counters().probation_ended, 1u);
  m = h.TakeMutations();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, MutationKind::kExpire);
  EXPECT_EQ(m[0].address, x);
  EXPECT_EQ(m[0].state, LeaseState::kExpired);
  EXPECT_EQ(b.Discover(kT0 + 601).yiaddr(), x);
}

// §4.3.3: only the client holding the address can decline it.
TEST_F(EngineTest, Rfc2131S433DeclineByAnotherClientIsIgnored) {
  TestClient a(&h_, Mac(1));
  ASSERT_EQ(a.Dora(kT0).type(), MessageType::kAck);
  h_.TakeMutations();
  TestClient b(&h_, Mac(2));
  b.Discover(kT0);  // learns the server id
  const Reply r = b.Decline(kT0 + 1, a.address());
  EXPECT_EQ(r.decision.action, Action::kSilent);
  EXPECT_EQ(r.decision.reason, Reason::kDeclineIgnored);
  EXPECT_TRUE(h_.TakeMutations().empty());
  EXPECT_EQ(a.Renew(kT0 + 2).type(), MessageType::kAck);
}

// ---------------------------------------------------------------------------
// RFC 2131 §4.3.4: DHCPRELEASE.

using Rfc2131S434ReleaseTest = EngineTest;

// §4.3.4: "the server marks the network address as not allocated"; no
// reply is ever sent; a release mutation is logged.
TEST_F(Rfc2131S434ReleaseTest, ReleaseFreesTheAddressSilently) {
  TestClient c(&h_, Mac(1));
  c.WithHostName("cpe-1");
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  const auto before = h_.engine().SubnetUtilization(1);
  h_.TakeMutations();
  const Reply r = c.Release(kT0 + 50);
  EXPECT_EQ(r.decision.action, Action::kSilent);
  EXPECT_EQ(r.decision.reason, Reason::kReleased);
  EXPECT_FALSE(r.is_reply());
  EXPECT_EQ(h_.engine().SubnetUtilization(1).free, before.free + 1);
  const auto m = h_.TakeMutations();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, MutationKind::kRelease);
  EXPECT_EQ(m[0].address, c.address());
  EXPECT_EQ(m[0].state, LeaseState::kReleased);
  EXPECT_EQ(m[0].hostname, "cpe-1");
  // A later renewal by another client cannot claim the old binding, but a
  // new client asking for it gets it (the affinity record yields).
  TestClient o(&h_, Mac(2));
  EXPECT_EQ(o.Discover(kT0 + 60, c.address()).yiaddr(), c.address());
}

// §4.3.4 (and shared/cases CLI-11): a RELEASE for an address the sender
// does not hold changes nothing.
TEST_F(Rfc2131S434ReleaseTest, ReleaseFromAnotherClientIsIgnored) {
  TestClient a(&h_, Mac(1));
  ASSERT_EQ(a.Dora(kT0).type(), MessageType::kAck);
  h_.TakeMutations();
  TestClient b(&h_, Mac(2));
  b.Discover(kT0);
  b.set_address(a.address());
  const auto before = h_.engine().SubnetUtilization(1);
  const Reply r = b.Release(kT0 + 1);
  EXPECT_EQ(r.decision.action, Action::kSilent);
  EXPECT_EQ(r.decision.reason, Reason::kReleaseIgnored);
  EXPECT_EQ(h_.engine().SubnetUtilization(1).free, before.free);
  EXPECT_TRUE(h_.TakeMutations().empty());
  EXPECT_EQ(a.Renew(kT0 + 2).type(), MessageType::kAck);
}

// §4.3.4: a repeated RELEASE (clients retransmit) is a no-op.
TEST_F(Rfc2131S434ReleaseTest, DuplicateReleaseIsNoOp) {
  TestClient c(&h_, Mac(1));
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  EXPECT_EQ(c.Release(kT0 + 1).decision.reason, Reason::kReleased);
  h_.TakeMutations();
  const auto before = h_.engine().SubnetUtilization(1);
  const Reply r = c.Release(kT0 + 2);
  EXPECT_EQ(r.decision.action, Action::kSilent);
  EXPECT_EQ(r.decision.reason, Reason::kReleaseIgnored);
  EXPECT_TRUE(h_.TakeMutations().empty());
  EXPECT_EQ(h_.engine().SubnetUtilization(1).free, before.free);
}

// §4.3.4 + §4.3.1: after a release the same client gets the same address
// back when it is still free.
TEST_F(Rfc2131S434ReleaseTest, SameClientGetsSameAddressBack) {
  TestClient c(&h_, Mac(1));
  c.WithClientId(ClientIdFor(Mac(1)));
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  const Ipv4Address first = c.address();
  c.Release(kT0 + 1);
  ASSERT_EQ(c.Dora(kT0 + 2).type(), MessageType::kAck);
  EXPECT_EQ(c.address(), first);
}

// §4.3.4: a RELEASE naming another server is not ours to act on.
TEST_F(Rfc2131S434ReleaseTest, ReleaseNamingAnotherServerIsIgnored) {
  TestClient c(&h_, Mac(1));
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  h_.TakeMutations();
  RequestBuilder b(MessageType::kRelease);
  b.Chaddr(c.mac()).Ciaddr(c.address()).ServerId(Ip("198.51.100.1"));
  const Reply r =
      h_.Send(b.Build(), h_.Direct(c.mac(), c.address(), kServer), kT0 + 1);
  EXPECT_EQ(r.decision.action, Action::kSilent);
  EXPECT_EQ(r.decision.reason, Reason::kNotForUs);
  EXPECT_TRUE(h_.TakeMutations().empty());
}

// ---------------------------------------------------------------------------
// RFC 2131 §4.3.5: DHCPINFORM.

using Rfc2131S435InformTest = EngineTest;

// §4.3.5: "The server responds to a DHCPINFORM message by sending a DHCPACK
// message directly to the address given in the 'ciaddr' field ... The
// server MUST NOT send a lease expiration time to the client and SHOULD NOT
// fill in 'yiaddr'."
TEST_F(Rfc2131S435InformTest, AckWithoutLeaseTimesToCiaddr) {
  TestClient c(&h_, Mac(1));
  c.WithParameterRequestList({1, 3, 6, 15, 51, 58, 59});
  const Ipv4Address own = Ip("192.0.2.150");  // configured by hand
  const Reply r = c.Inform(kT0, own);
  ASSERT_EQ(r.type(), MessageType::kAck);
  EXPECT_TRUE(r.yiaddr().IsZero());
  EXPECT_EQ(r.msg->ciaddr(), own);
  EXPECT_FALSE(r.GetUint32(option::kLeaseTime).has_value());
  EXPECT_FALSE(r.GetUint32(option::kRenewalTime).has_value());
  EXPECT_FALSE(r.GetUint32(option::kRebindingTime).has_value());
  EXPECT_TRUE(r.Option(option::kDomainNameServer).has_value());
  EXPECT_EQ(r.decision.route.ip_dst, own);
  EXPECT_EQ(r.decision.route.dst_port, wire::kDhcpClientPort);
  EXPECT_EQ(r.decision.route.eth_dst, c.mac());
  // Never a lease check, never a lease.
  EXPECT_EQ(h_.engine().table().size(), 0u);
  EXPECT_TRUE(h_.TakeMutations().empty());
}

// §4.3.5: the server does not check the address: an INFORM from an address
// leased to someone else (or out of every pool) is still ACKed, never NAKed.
TEST_F(Rfc2131S435InformTest, NeverNakedNeverLeaseChecked) {
  TestClient a(&h_, Mac(1));
  ASSERT_EQ(a.Dora(kT0).type(), MessageType::kAck);
  h_.TakeMutations();
  TestClient b(&h_, Mac(2));
  for (const Ipv4Address from : {a.address(), Ip("192.0.2.250")}) {
    const Reply r = b.Inform(kT0 + 1, from);
    EXPECT_EQ(r.type(), MessageType::kAck) << from.ToString();
    EXPECT_TRUE(r.yiaddr().IsZero());
  }
  EXPECT_TRUE(h_.TakeMutations().empty());
  EXPECT_EQ(a.Renew(kT0 + 2).type(), MessageType::kAck);
}

// §4.3.5 with nowhere to send the ACK: dropped.
TEST_F(Rfc2131S435InformTest, NoAddressToAnswerIsDropped) {
  TestClient c(&h_, Mac(1));
  const Reply r = c.Send(c.Builder(MessageType::kInform), kT0);
  EXPECT_EQ(r.decision.action, Action::kDrop);
  EXPECT_EQ(r.decision.reason, Reason::kNoAddressToAnswer);
}

// ---------------------------------------------------------------------------
// Reply contents: RFC 2131 §4.3.1 / RFC 2132 §9.8, RFC 3046, RFC 6842.

using ReplyOptionsTest = EngineTest;

// RFC 2132 §9.8 / RFC 2131 §4.3.1: requested options in the order of the
// parameter request list, subnet mask before routers (RFC 2132 §3.3), after
// 53, 54 and the lease times; option 54 is the server identifier.
TEST_F(ReplyOptionsTest, Rfc2132S98OptionsFollowParameterRequestListOrder) {
  TestClient c(&h_, Mac(1));
  c.WithParameterRequestList({42, 15, 3, 6, 1});
  const Reply r = c.Discover(kT0);
  ASSERT_EQ(r.type(), MessageType::kOffer);
  const std::vector<uint8_t> order = r.OptionOrder();
  ASSERT_GE(order.size(), 2u);
  EXPECT_EQ(order[0], option::kMessageType);
  EXPECT_EQ(order[1], option::kServerIdentifier);
  std::vector<uint8_t> configured;
  for (const uint8_t code : order) {
    if (code == 1 || code == 3 || code == 6 || code == 15 || code == 42) {
      configured.push_back(code);
    }
  }
  EXPECT_EQ(configured, (std::vector<uint8_t>{1, 42, 15, 3, 6}));
  EXPECT_EQ(r.Option(option::kSubnetMask), (Bytes{255, 255, 255, 0}));
  EXPECT_EQ(r.Option(option::kRouter), test::AddressBytes(kServer));
  EXPECT_EQ(r.Option(option::kDomainName), ToBytes("example.net"));
  // Nothing that was not asked for.
  EXPECT_FALSE(r.Option(option::kHostName).has_value());
}

// RFC 3046 §2.2: "the DHCP server ... MUST copy the Relay Agent
// Information option ... into the reply", and puts it last (§2.1.1 relays
// strip it from the end).
TEST_F(ReplyOptionsTest, Rfc3046S22RelayInfoEchoedByteForByteAndLast) {
  const Bytes option82 = RelayAgentInfo({{1, {'x', 0x00, 'y', 0x00}},
                                         {2, {0x00, 0x01, 0x02}},
                                         {9, {0, 0, 0, 9}}});
  TestClient c(&h_, Mac(1));
  c.Relay(kRelay, option82);
  c.WithClientId(ClientIdFor(Mac(1)));
  const Reply offer = c.Discover(kT0);
  ASSERT_EQ(offer.type(), MessageType::kOffer);
  EXPECT_EQ(offer.Option(option::kRelayAgentInfo), option82);
  EXPECT_EQ(offer.OptionOrder().back(), option::kRelayAgentInfo);
  const Reply ack = c.Select(kT0);
  ASSERT_EQ(ack.type(), MessageType::kAck);
  EXPECT_EQ(ack.Option(option::kRelayAgentInfo), option82);
  EXPECT_EQ(ack.OptionOrder().back(), option::kRelayAgentInfo);
  const Reply nak = c.InitReboot(kT0 + 1, Ip("192.0.2.14"));  // wrong net
  ASSERT_EQ(nak.type(), MessageType::kNak);
  EXPECT_EQ(nak.Option(option::kRelayAgentInfo), option82);
  EXPECT_EQ(nak.OptionOrder().back(), option::kRelayAgentInfo);
}

// RFC 6842 §3: "the server MUST ... include the Client Identifier option
// in DHCPOFFER, DHCPACK and DHCPNAK messages".
TEST_F(ReplyOptionsTest, Rfc6842S3ClientIdEchoed) {
  const Bytes id = {0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00};
  TestClient c(&h_, Mac(1));
  c.WithClientId(id);
  const Reply offer = c.Discover(kT0);
  EXPECT_EQ(offer.Option(option::kClientIdentifier), id);
  const Reply ack = c.Select(kT0);
  EXPECT_EQ(ack.Option(option::kClientIdentifier), id);
  const Reply nak = c.InitReboot(kT0, Ip("10.9.9.9"));
  ASSERT_EQ(nak.type(), MessageType::kNak);
  EXPECT_EQ(nak.Option(option::kClientIdentifier), id);
  const Reply inform = c.Inform(kT0, c.address());
  EXPECT_EQ(inform.Option(option::kClientIdentifier), id);
}

// RFC 2132 §9.10: option 57 lets a client take a longer reply; without it
// the reply fits 576 octets of IP datagram.
TEST_F(ReplyOptionsTest, Rfc2132S910ReplyFitsMaxMessageSize) {
  TestClient c(&h_, Mac(1));
  const Reply r = c.Discover(kT0);
  ASSERT_TRUE(r.is_reply());
  EXPECT_LE(r.decision.reply_size, 576u - 28);
  EXPECT_GE(r.decision.reply_size, wire::kMinBootpSize);  // RFC 1542 §2.1
}

// RFC 2132 §9.10 and the reply builder's contract: optional options that
// do not fit are left out and counted; the mandatory ones (53, 54, lease
// times, 61, 82) are never dropped, and a reply they cannot fit is not
// sent (kReplyTooLarge).
TEST_F(ReplyOptionsTest, OptionalOptionsDroppedMandatoryNever) {
  TestClient c(&h_, Mac(1));
  c.WithClientId(Bytes(250, 0x07)).WithParameterRequestList({1, 42, 15, 3, 6});
  Reply r = c.Discover(kT0);
  ASSERT_EQ(r.type(), MessageType::kOffer);
  EXPECT_LE(r.decision.reply_size, 576u - 28);
  EXPECT_EQ(r.Option(option::kClientIdentifier), Bytes(250, 0x07));
  EXPECT_TRUE(r.GetUint32(option::kLeaseTime).has_value());
  EXPECT_GT(h_.engine().counters().options_dropped, 0u);

  // 61 and 82 of 250 octets each cannot fit in 576 octets.
  TestClient big(&h_, Mac(2));
  big.WithClientId(Bytes(250, 0x08))
      .Relay(kRelay, RelayAgentInfo({{1, Bytes(240, 0x01)}}));
  r = big.Discover(kT0);
  EXPECT_EQ(r.decision.action, Action::kDrop);
  EXPECT_EQ(r.decision.reason, Reason::kReplyTooLarge);
  EXPECT_EQ(ReasonCount(h_.engine(), Reason::kReplyTooLarge), 1u);

  // With option 57 the client takes a larger reply.
  RequestBuilder b = big.Builder(MessageType::kDiscover);
  b.MaxMessageSize(1500);
  r = big.Send(b, kT0);
  ASSERT_EQ(r.type(), MessageType::kOffer);
  EXPECT_GT(r.decision.reply_size, 576u - 28);
}

// Option sets merge global < subnet < pool < reservation (config.h); the
// engine answers a reserved client with its reservation's set.
TEST_F(ReplyOptionsTest, ReservationOptionsOutrankSubnetOptions) {
  TestClient vip(&h_, MacAddress({0x02, 0, 0, 0, 0, 0xa1}));
  TestClient plain(&h_, Mac(1));
  EXPECT_EQ(vip.Discover(kT0).Option(option::kDomainName),
            ToBytes("vip.example.net"));
  EXPECT_EQ(plain.Discover(kT0).Option(option::kDomainName),
            ToBytes("example.net"));
  EXPECT_EQ(vip.Select(kT0).Option(option::kRouter),
            test::AddressBytes(kServer));  // inherited from the subnet
}

// ---------------------------------------------------------------------------
// Reply addressing: RFC 2131 §4.1.

using Rfc2131S41AddressingTest = EngineTest;

// §4.1: "If the 'giaddr' field ... is non-zero, the server sends any return
// messages to the 'DHCP server' port on the BOOTP relay agent whose address
// appears in 'giaddr'"; at L2 to the hop the request came from.
TEST_F(Rfc2131S41AddressingTest, RelayedReplyGoesToGiaddrPort67) {
  TestClient c(&h_, Mac(1));
  c.Relay(kRelay);
  const Reply r = c.Discover(kT0);
  ASSERT_EQ(r.type(), MessageType::kOffer);
  EXPECT_TRUE(InPool2(r.yiaddr())) << r.yiaddr().ToString();
  EXPECT_EQ(r.decision.route.ip_dst, kRelay);
  EXPECT_EQ(r.decision.route.dst_port, wire::kDhcpServerPort);
  EXPECT_EQ(r.decision.route.eth_dst, Mac(0xfe));  // the relay's MAC
  EXPECT_EQ(r.msg->giaddr(), kRelay);
  EXPECT_EQ(r.msg->flags() & wire::kBroadcastFlag, 0);
}

// §4.1: "If ... giaddr ... is non-zero ... the server ... sets the
// broadcast bit in the DHCPNAK".
TEST_F(Rfc2131S41AddressingTest, RelayedNakSetsBroadcastBit) {
  TestClient c(&h_, Mac(1));
  c.Relay(kRelay);
  const Reply r = c.InitReboot(kT0, Ip("192.0.2.14"));
  ASSERT_EQ(r.type(), MessageType::kNak);
  EXPECT_EQ(r.decision.route.ip_dst, kRelay);
  EXPECT_EQ(r.decision.route.dst_port, wire::kDhcpServerPort);
  EXPECT_NE(r.msg->flags() & wire::kBroadcastFlag, 0);
}

// §4.1: "If the broadcast bit is set, the server broadcasts DHCPOFFER and
// DHCPACK messages to 0xffffffff."
TEST_F(Rfc2131S41AddressingTest, BroadcastBitGivesBroadcast) {
  TestClient c(&h_, Mac(1));
  c.WithBroadcastFlag(true);
  for (const Reply& r : {c.Discover(kT0), c.Select(kT0)}) {
    ASSERT_TRUE(r.is_reply());
    EXPECT_EQ(r.decision.route.ip_dst, Ipv4Address::Broadcast());
    EXPECT_EQ(r.decision.route.eth_dst, MacAddress::Broadcast());
    EXPECT_EQ(r.decision.route.dst_port, wire::kDhcpClientPort);
    EXPECT_NE(r.msg->flags() & wire::kBroadcastFlag, 0);
  }
}

// §4.1: "If the broadcast bit is not set ... the server unicasts DHCPOFFER
// and DHCPACK messages to the client's hardware address and 'yiaddr'".
TEST_F(Rfc2131S41AddressingTest, NoBroadcastBitGivesUnicastToYiaddr) {
  TestClient c(&h_, Mac(1));
  for (const Reply& r : {c.Discover(kT0), c.Select(kT0)}) {
    ASSERT_TRUE(r.is_reply());
    EXPECT_EQ(r.decision.route.ip_dst, r.yiaddr());
    EXPECT_EQ(r.decision.route.eth_dst, Mac(1));
    EXPECT_EQ(r.decision.route.dst_port, wire::kDhcpClientPort);
  }
}

// §4.1: "In all cases, when 'giaddr' is zero, the server broadcasts any
// DHCPNAK messages"; even to a renewing client with ciaddr set.
TEST_F(Rfc2131S41AddressingTest, DirectNakIsBroadcastEvenWithCiaddr) {
  TestClient a(&h_, Mac(1));
  ASSERT_EQ(a.Dora(kT0).type(), MessageType::kAck);
  TestClient b(&h_, Mac(2));
  b.set_address(a.address());
  const Reply r = b.Rebind(kT0 + 1);
  ASSERT_EQ(r.type(), MessageType::kNak);
  EXPECT_EQ(r.decision.route.ip_dst, Ipv4Address::Broadcast());
  EXPECT_EQ(r.decision.route.eth_dst, MacAddress::Broadcast());
}

// §4.1 with RFC 4390 §2.1: an IPoIB client (htype 32, hlen 0) has no
// hardware address to unicast to: broadcast.
TEST_F(Rfc2131S41AddressingTest, Rfc4390InfinibandClientGetsBroadcast) {
  RequestBuilder b(MessageType::kDiscover);
  const Bytes id = {0xff, 0x00, 0x00, 0x00, 0x20, 0x00, 0x03, 0x00, 0x02};
  b.Hardware(wire::kHtypeInfiniband, {}).ClientId(id);
  const Reply r = h_.Send(b.Build(), h_.Direct(Mac(0x33)), kT0);
  ASSERT_EQ(r.type(), MessageType::kOffer);
  EXPECT_EQ(r.decision.route.ip_dst, Ipv4Address::Broadcast());
  EXPECT_EQ(r.decision.route.eth_dst, MacAddress::Broadcast());
}

// RFC 8357 §5.1: with the Relay Source Port sub-option (82.19, length 0)
// the server replies to the relay's source port instead of 67.
TEST_F(Rfc2131S41AddressingTest, Rfc8357RelaySourcePort) {
  TestClient with(&h_, Mac(1));
  with.Relay(kRelay, RelayAgentInfo({{1, ToBytes("p1")}, {19, {}}}), 4067);
  Reply r = with.Discover(kT0);
  ASSERT_EQ(r.type(), MessageType::kOffer);
  EXPECT_EQ(r.decision.route.dst_port, 4067);
  EXPECT_EQ(r.decision.route.ip_dst, kRelay);

  TestClient without(&h_, Mac(2));
  without.Relay(kRelay, RelayAgentInfo({{1, ToBytes("p2")}}), 4067);
  r = without.Discover(kT0);
  ASSERT_EQ(r.type(), MessageType::kOffer);
  EXPECT_EQ(r.decision.route.dst_port, wire::kDhcpServerPort);
}

// ---------------------------------------------------------------------------
// RFC 5107: server identifier override.

// RFC 5107 §4: the server puts the override address in option 54, and
// accepts REQUESTs naming it as its own.
TEST_F(EngineTest, Rfc5107ServerIdOverride) {
  const Bytes option82 = RelayAgentInfo(
      {{1, ToBytes("port-9")}, {11, test::AddressBytes(kRelay)}});
  TestClient c(&h_, Mac(1));
  c.Relay(kRelay, option82);
  const Reply offer = c.Discover(kT0);
  ASSERT_EQ(offer.type(), MessageType::kOffer);
  EXPECT_EQ(offer.server_id(), kRelay);
  const Reply ack = c.Select(kT0 + 1);  // names kRelay in option 54
  ASSERT_EQ(ack.type(), MessageType::kAck);
  EXPECT_EQ(ack.server_id(), kRelay);
}

// RFC 5107 §5 (security): an operator that does not trust 82.11 gets the
// configured server identifier, and REQUESTs naming the override are for
// some other server.
TEST(Rfc5107Test, OverrideIgnoredWhenNotTrusted) {
  ConfigSpec spec;
  spec.globals = R"("trust": {"server-id-override": false},)";
  EngineHarness h(MakeConfig(spec));
  const Bytes option82 = RelayAgentInfo({{11, test::AddressBytes(kRelay)}});
  TestClient c(&h, Mac(1));
  c.Relay(kRelay, option82);
  const Reply offer = c.Discover(kT0);
  ASSERT_EQ(offer.type(), MessageType::kOffer);
  EXPECT_EQ(offer.server_id(), kServer);
  const Reply r = c.Select(kT0, offer.yiaddr(), kRelay);
  EXPECT_EQ(r.decision.action, Action::kSilent);
  EXPECT_EQ(r.decision.reason, Reason::kNotForUs);
}

// ---------------------------------------------------------------------------
// Subnet selection (design brief §2; RFC 3527, RFC 3011, RFC 2131 §4.3.1).

class SubnetSelectionTest : public EngineTest {
 protected:
  uint32_t Selected(std::string_view json, const Packet& p, const Ingress& in) {
    EngineHarness h(json);
    const SubnetChoice c = SelectSubnet(h.config(), p.msg(), in);
    return c.subnet == nullptr ? 0 : c.subnet->id;
  }
};

// RFC 3527 §3: the link-selection sub-option names the client's link and
// outranks giaddr (trusted by default).
TEST_F(SubnetSelectionTest, Rfc3527LinkSelectionWhenTrusted) {
  TestClient c(&h_, Mac(1));
  c.Relay(kRelayLoopback,
          RelayAgentInfo({{5, test::AddressBytes(Ip("10.2.0.1"))}}));
  const Reply r = c.Discover(kT0);
  ASSERT_EQ(r.type(), MessageType::kOffer);
  EXPECT_GE(r.yiaddr(), Ip("10.2.0.100"));
  EXPECT_LE(r.yiaddr(), Ip("10.2.0.109"));
  // The reply still goes to the relay.
  EXPECT_EQ(r.decision.route.ip_dst, kRelayLoopback);
}

// RFC 3527 §5 (security): ignored unless the operator trusts it.
TEST_F(SubnetSelectionTest, Rfc3527LinkSelectionIgnoredWhenUntrusted) {
  ConfigSpec spec;
  spec.globals = R"("trust": {"link-selection": false},)";
  EngineHarness h(MakeConfig(spec));
  TestClient c(&h, Mac(1));
  c.Relay(kRelayLoopback,
          RelayAgentInfo({{5, test::AddressBytes(Ip("10.2.0.1"))}}));
  const Reply r = c.Discover(kT0);
  ASSERT_EQ(r.type(), MessageType::kOffer);
  EXPECT_TRUE(InPool2(r.yiaddr())) << r.yiaddr().ToString();
}

// RFC 3011 §3: option 118 names the subnet (trusted by default), ahead of
// the receiving interface.
TEST_F(SubnetSelectionTest, Rfc3011SubnetSelectionOption) {
  TestClient c(&h_, Mac(1));
  RequestBuilder b = c.Builder(MessageType::kDiscover);
  b.SubnetSelection(Ip("10.2.0.0"));
  EXPECT_EQ(Selected(DefaultConfig(), b.Build(), h_.Direct(Mac(1))), 3u);
  const Reply r = c.Send(b, kT0);
  ASSERT_EQ(r.type(), MessageType::kOffer);
  EXPECT_GE(r.yiaddr(), Ip("10.2.0.100"));

  ConfigSpec spec;
  spec.globals = R"("trust": {"subnet-selection": false},)";
  EXPECT_EQ(Selected(MakeConfig(spec), b.Build(), h_.Direct(Mac(1))), 1u);
}

// RFC 2131 §4.3.1: "the server chooses ... the subnet ... of the
// 'giaddr'": the relay's address inside the prefix, or one of the subnet's
// configured relay addresses.
TEST_F(SubnetSelectionTest, GiaddrInPrefixOrConfiguredRelayAddress) {
  for (const Ipv4Address giaddr : {kRelay, kRelayLoopback}) {
    RequestBuilder b(MessageType::kDiscover);
    b.Chaddr(Mac(1)).Giaddr(giaddr);
    EXPECT_EQ(Selected(DefaultConfig(), b.Build(), h_.Relayed(giaddr, Mac(2))),
              2u)
        << giaddr.ToString();
  }
}

// RFC 2131 §4.3.2 RENEWING: a unicast from ciaddr belongs to ciaddr's
// subnet, whatever port it arrived on.
TEST_F(SubnetSelectionTest, CiaddrOfUnicastRenewal) {
  TestClient c(&h_, Mac(1));
  c.Relay(kRelay);
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  ASSERT_TRUE(InPool2(c.address()));
  RequestBuilder b(MessageType::kRequest);
  b.Chaddr(Mac(1)).Ciaddr(c.address());
  // Arrives on eth0 (subnet 1's port), from the client's own address.
  const Ingress in = h_.Direct(Mac(0xfd), c.address(), kServer);
  EXPECT_EQ(Selected(DefaultConfig(), b.Build(), in), 2u);
  const Reply r = h_.Send(b.Build(), in, kT0 + 10);
  ASSERT_EQ(r.type(), MessageType::kAck);
  EXPECT_EQ(r.decision.route.ip_dst, c.address());
  EXPECT_EQ(r.decision.route.eth_dst, Mac(0xfd));
}

// RFC 2131 §4.3.2 REBINDING: the request is broadcast on the client's own
// link, and "the DHCP server SHOULD check 'ciaddr' for correctness": a
// client that moved to eth0's link still holding a subnet-2 address is
// judged by the link it is on, not by its ciaddr, and is not ACKed.
// (Only a unicast RENEWING request is placed by ciaddr; engine.h.)
TEST_F(SubnetSelectionTest, BroadcastRebindingIsPlacedByItsLinkNotCiaddr) {
  TestClient c(&h_, Mac(1));
  c.Relay(kRelay);
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  ASSERT_TRUE(InPool2(c.address()));
  // The client now sits on eth0's link and broadcasts a REBINDING request.
  RequestBuilder b(MessageType::kRequest);
  b.Chaddr(Mac(1)).Ciaddr(c.address());
  const Ingress in = h_.Direct(Mac(1), c.address(), Ipv4Address::Broadcast());
  EXPECT_EQ(Selected(DefaultConfig(), b.Build(), in), 1u);
  const Reply r = h_.Send(b.Build(), in, kT0 + 3200);
  EXPECT_NE(r.type(), MessageType::kAck)
      << "ACKed " << c.address().ToString() << " on 192.0.2.0/24's link";
}

// Directly attached clients: the receiving interface's subnet.
TEST_F(SubnetSelectionTest, InterfaceForDirectClients) {
  RequestBuilder b(MessageType::kDiscover);
  b.Chaddr(Mac(1));
  EXPECT_EQ(Selected(DefaultConfig(), b.Build(), h_.Direct(Mac(1))), 1u);
  Ingress none = h_.Direct(Mac(1));
  none.interface = nullptr;  // a relay-only uplink
  EXPECT_EQ(Selected(DefaultConfig(), b.Build(), none), 0u);
}

// No subnet for the giaddr: dropped as kNoSubnet and counted.
TEST_F(SubnetSelectionTest, UnknownGiaddrIsNoSubnet) {
  TestClient c(&h_, Mac(1));
  c.Relay(Ip("172.16.0.1"));
  const Reply r = c.Discover(kT0);
  EXPECT_EQ(r.decision.action, Action::kDrop);
  EXPECT_EQ(r.decision.reason, Reason::kNoSubnet);
  EXPECT_EQ(ReasonCount(h_.engine(), Reason::kNoSubnet), 1u);
  EXPECT_EQ(
      h_.engine().counters().received[static_cast<int>(MessageType::kDiscover)],
      1u);
}

// RFC 3046 §2.1 / §5: option 82 with giaddr 0 comes from an untrusted
// source (an L2 switch or the client itself) unless the operator says so
// (shared/cases REL-08).
TEST_F(SubnetSelectionTest, Rfc3046RelayInfoWithoutGiaddr) {
  const Bytes option82 = RelayAgentInfo({{1, ToBytes("sw1-port3")}});
  TestClient c(&h_, Mac(1));
  RequestBuilder b = c.Builder(MessageType::kDiscover);
  b.RelayInfo(option82);
  Reply r = c.Send(b, kT0);
  EXPECT_EQ(r.decision.action, Action::kDrop);
  EXPECT_EQ(r.decision.reason, Reason::kUntrustedRelayInfo);
  EXPECT_EQ(ReasonCount(h_.engine(), Reason::kUntrustedRelayInfo), 1u);

  ConfigSpec spec;
  spec.globals = R"("trust": {"relay-info-without-giaddr": true},)";
  EngineHarness h(MakeConfig(spec));
  TestClient t(&h, Mac(1));
  r = t.Send(b, kT0);
  ASSERT_EQ(r.type(), MessageType::kOffer);
  EXPECT_TRUE(InPool1(r.yiaddr()));
  EXPECT_EQ(r.Option(option::kRelayAgentInfo), option82);
}

// A shard serves only its own subnets.
TEST(ShardTest, SubnetOfAnotherShardIsWrongShard) {
  EngineHarness h(DefaultConfig());
  const config::Config& cfg = h.config();
  // Serve only subnet 2.
  uint32_t index = 0;
  for (uint32_t i = 0; i < cfg.subnets.size(); ++i) {
    if (cfg.subnets[i].id == 2) index = i;
  }
  const uint32_t owned[] = {index};
  Engine e(h.config_ptr(), owned, kT0);
  EXPECT_TRUE(e.Owns(*cfg.FindSubnetById(2)));
  EXPECT_FALSE(e.Owns(*cfg.FindSubnetById(1)));
  RequestBuilder b(MessageType::kDiscover);
  b.Chaddr(Mac(1));
  const Packet p = b.Build();
  std::vector<uint8_t> out(1500);
  MutationLog log;
  const Decision d = e.Handle(p.msg(), h.Direct(Mac(1)), kT0, out, &log);
  EXPECT_EQ(d.action, Action::kDrop);
  EXPECT_EQ(d.reason, Reason::kWrongShard);
}

// ---------------------------------------------------------------------------
// Mutations and recovery (design brief §2, durability contract).

using MutationTest = EngineTest;

// Every lease change is logged with a full image of the lease after it.
TEST_F(MutationTest, BindImageCarriesEveryField) {
  const Bytes circuit = {'o', 'l', 't', '1', 0x00};
  const Bytes remote = {0x00, 0xaa, 0x00};
  TestClient c(&h_, Mac(1));
  c.WithClientId(ClientIdFor(Mac(1)))
      .WithHostName("cpe-one")
      .Relay(kRelay, RelayAgentInfo({{1, circuit}, {2, remote}}));
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  const auto m = h_.TakeMutations();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, MutationKind::kBind);
  EXPECT_EQ(MutationKindName(m[0].kind), "bind");
  EXPECT_EQ(m[0].address, c.address());
  EXPECT_EQ(m[0].subnet_id, 2u);
  EXPECT_EQ(m[0].state, LeaseState::kBound);
  EXPECT_NE(m[0].flags & lease::Lease::kFlagEverBound, 0);
  EXPECT_EQ(m[0].flags & lease::Lease::kFlagReserved, 0);
  EXPECT_EQ(m[0].start, kT0);
  EXPECT_EQ(m[0].expiry, kT0 + 3600);
  EXPECT_EQ(m[0].htype, wire::kHtypeEthernet);
  EXPECT_EQ(m[0].client_id, ClientIdFor(Mac(1)));
  EXPECT_EQ(m[0].chaddr, MacBytes(Mac(1)));
  EXPECT_EQ(m[0].circuit_id, circuit);
  EXPECT_EQ(m[0].remote_id, remote);
  EXPECT_EQ(m[0].hostname, "cpe-one");
}

// RFC 2131 §4.4.5 / brief §2: a lease whose time runs out is expired by
// Tick() at its expiry, logged, and its address returns to the pool.
TEST_F(MutationTest, ExpiryIsLoggedAndFreesTheAddress) {
  TestClient c(&h_, Mac(1));
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  h_.TakeMutations();
  const uint64_t free_bound = h_.engine().SubnetUtilization(1).free;
  h_.Tick(kT0 + 3599);
  EXPECT_TRUE(h_.TakeMutations().empty());
  h_.Tick(kT0 + 3600);
  const auto m = h_.TakeMutations();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, MutationKind::kExpire);
  EXPECT_EQ(m[0].address, c.address());
  EXPECT_EQ(m[0].state, LeaseState::kExpired);
  EXPECT_EQ(h_.engine().counters().expired, 1u);
  EXPECT_EQ(h_.engine().SubnetUtilization(1).free, free_bound + 1);
  // Another client may now ask for it.
  TestClient o(&h_, Mac(2));
  EXPECT_EQ(o.Discover(kT0 + 3601, c.address()).yiaddr(), c.address());
}

// A full life: bind, extend, release, decline, expire, each once.
TEST_F(MutationTest, KindsInOrder) {
  TestClient a(&h_, Mac(1));
  ASSERT_EQ(a.Dora(kT0).type(), MessageType::kAck);
  ASSERT_EQ(a.Renew(kT0 + 10).type(), MessageType::kAck);
  a.Release(kT0 + 20);
  TestClient b(&h_, Mac(2));
  ASSERT_EQ(b.Dora(kT0 + 30).type(), MessageType::kAck);
  b.Decline(kT0 + 31, b.address());
  TestClient c(&h_, Mac(3));
  ASSERT_EQ(c.Dora(kT0 + 40).type(), MessageType::kAck);
  h_.Tick(kT0 + 40 + 3600);
  std::vector<MutationKind> kinds;
  for (const auto& m : h_.TakeMutations()) kinds.push_back(m.kind);
  // b's probation (600 s) ends before c expires.
  EXPECT_EQ(kinds, (std::vector<MutationKind>{
                       MutationKind::kBind, MutationKind::kExtend,
                       MutationKind::kRelease, MutationKind::kBind,
                       MutationKind::kDecline, MutationKind::kBind,
                       MutationKind::kExpire, MutationKind::kExpire}));
}

// Restart: a fresh engine restored from the log's latest image per address
// knows every lease (brief §2: "no address is offered to a second client
// while its lease is valid").
TEST(RestoreTest, LeasesFromTheLogSurviveARestart) {
  const std::string json = DefaultConfig();
  EngineHarness before(json, kT0);
  TestClient a(&before, Mac(1));
  a.WithClientId(ClientIdFor(Mac(1))).WithHostName("a");
  ASSERT_EQ(a.Dora(kT0).type(), MessageType::kAck);
  TestClient b(&before, Mac(2));
  b.Relay(kRelay, RelayAgentInfo({{1, ToBytes("olt9-1/1/1")}}));
  ASSERT_EQ(b.Dora(kT0).type(), MessageType::kAck);
  TestClient c(&before, Mac(3));
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  c.Release(kT0 + 1);
  TestClient d(&before, Mac(4));
  ASSERT_EQ(d.Dora(kT0).type(), MessageType::kAck);
  d.Decline(kT0 + 2, d.address());
  TestClient r(&before, MacAddress({0x02, 0, 0, 0, 0, 0xa1}));  // reserved
  ASSERT_EQ(r.Dora(kT0).type(), MessageType::kAck);

  // The store keeps the latest image per address.
  const MutationLog& log = before.log();
  std::map<uint32_t, size_t> latest;
  for (size_t i = 0; i < log.size(); ++i) {
    latest[log[i].lease.address.value()] = i;
  }
  EngineHarness after(json, kT0 + 100);
  for (const auto& [address, i] : latest) {
    EXPECT_TRUE(after.engine().Restore(log[i].lease))
        << Ipv4Address(address).ToString();
  }
  EXPECT_EQ(after.engine().table().size(), latest.size());
  EXPECT_EQ(after.engine().SubnetUtilization(1).free,
            before.engine().SubnetUtilization(1).free);
  EXPECT_EQ(after.engine().SubnetUtilization(2).free,
            before.engine().SubnetUtilization(2).free);

  // Bound clients are ACKed on INIT-REBOOT (RFC 2131 §4.3.2).
  TestClient a2(&after, Mac(1));
  a2.WithClientId(ClientIdFor(Mac(1)));
  EXPECT_EQ(a2.InitReboot(kT0 + 101, a.address()).type(), MessageType::kAck);
  TestClient b2(&after, Mac(2));
  b2.Relay(kRelay, RelayAgentInfo({{1, ToBytes("olt9-1/1/1")}}));
  EXPECT_EQ(b2.InitReboot(kT0 + 101, b.address()).type(), MessageType::kAck);
  TestClient r2(&after, MacAddress({0x02, 0, 0, 0, 0, 0xa1}));
  EXPECT_EQ(r2.InitReboot(kT0 + 101, r.address()).type(), MessageType::kAck);
  // The released client keeps its affinity.
  TestClient c2(&after, Mac(3));
  EXPECT_EQ(c2.Discover(kT0 + 101).yiaddr(), c.address());
  // Nobody new gets a held address (bound or in probation).
  for (uint8_t i = 20; i < 27; ++i) {
    TestClient n(&after, Mac(i));
    const Reply o = n.Discover(kT0 + 102);
    ASSERT_EQ(o.type(), MessageType::kOffer);
    EXPECT_NE(o.yiaddr(), a.address());
    EXPECT_NE(o.yiaddr(), c.address());  // offered to c2 above
    EXPECT_NE(o.yiaddr(), d.address());
  }
  // The declined address ends its probation on the original schedule.
  after.Tick(kT0 + 2 + 600);
  bool probation_ended = false;
  for (const auto& m : after.TakeMutations()) {
    if (m.kind == MutationKind::kExpire && m.address == d.address()) {
      probation_ended = true;
    }
  }
  EXPECT_TRUE(probation_ended);
}

// Restore() refuses what it cannot serve and loads nothing.
TEST(RestoreTest, RejectsWhatItCannotServe) {
  EngineHarness h(DefaultConfig());
  const Bytes mac = MacBytes(Mac(1));
  LeaseImage img;
  img.address = Ip("192.0.2.12");
  img.subnet_id = 1;
  img.state = LeaseState::kBound;
  img.start = kT0;
  img.expiry = kT0 + 3600;
  img.htype = 1;
  img.chaddr = mac;

  LeaseImage unknown_subnet = img;
  unknown_subnet.subnet_id = 99;
  EXPECT_FALSE(h.engine().Restore(unknown_subnet));
  LeaseImage outside = img;
  outside.address = Ip("10.2.0.100");  // subnet 3's address under id 1
  EXPECT_FALSE(h.engine().Restore(outside));
  LeaseImage offered = img;
  offered.state = LeaseState::kOffered;  // offers are never persisted
  EXPECT_FALSE(h.engine().Restore(offered));
  EXPECT_EQ(h.engine().table().size(), 0u);

  EXPECT_TRUE(h.engine().Restore(img));
  EXPECT_FALSE(h.engine().Restore(img));  // the address is taken
  EXPECT_EQ(h.engine().table().size(), 1u);
  EXPECT_EQ(h.engine().SubnetUtilization(1).free, 9u);
}

// A restored lease that ran out while the server was down expires at the
// first Tick().
TEST(RestoreTest, LeaseExpiredWhileDownExpiresAtFirstTick) {
  EngineHarness h(DefaultConfig(), kT0 + 10000);
  const Bytes mac = MacBytes(Mac(1));
  LeaseImage img;
  img.address = Ip("192.0.2.12");
  img.subnet_id = 1;
  img.state = LeaseState::kBound;
  img.start = kT0;
  img.expiry = kT0 + 3600;
  img.htype = 1;
  img.chaddr = mac;
  ASSERT_TRUE(h.engine().Restore(img));
  h.Tick(kT0 + 10000);
  const auto m = h.TakeMutations();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, MutationKind::kExpire);
  EXPECT_EQ(h.engine().SubnetUtilization(1).free, 10u);
}

// ---------------------------------------------------------------------------
// Reservations.

using ReservationTest = EngineTest;

// A reservation by hardware address, client identifier, circuit-id or
// remote-id (RFC 3046 §2.0 sub-options 1 and 2, binary) gives its address
// and marks the lease as reserved.
TEST_F(ReservationTest, ByEveryKind) {
  struct Case {
    const char* what;
    MacAddress mac;
    Bytes client_id;
    Bytes option82;  // relayed through kRelay when not empty
    Ipv4Address expected;
  };
  const Case cases[] = {
      {"hw-address",
       MacAddress({2, 0, 0, 0, 0, 0xa1}),
       {},
       {},
       Ip("192.0.2.101")},
      {"client-id",
       Mac(0x42),
       {0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0xa2},
       {},
       Ip("192.0.2.102")},
      {"circuit-id",
       Mac(0x43),
       {},
       RelayAgentInfo({{1, ToBytes("olt7-1/1/3")}}),
       Ip("10.1.0.50")},
      {"remote-id (binary, trailing zero)",
       Mac(0x44),
       {},
       RelayAgentInfo(
           {{1, ToBytes("other")}, {2, {0x00, 0xaa, 0xbb, 0xcc, 0x00}}}),
       Ip("10.1.0.51")},
  };
  for (const Case& k : cases) {
    TestClient c(&h_, k.mac);
    if (!k.client_id.empty()) c.WithClientId(k.client_id);
    if (!k.option82.empty()) c.Relay(kRelay, k.option82);
    const Reply offer = c.Discover(kT0);
    EXPECT_EQ(offer.yiaddr(), k.expected) << k.what;
    const Reply ack = c.Select(kT0);
    ASSERT_EQ(ack.type(), MessageType::kAck) << k.what;
    EXPECT_EQ(ack.yiaddr(), k.expected) << k.what;
    const auto m = h_.TakeMutations();
    ASSERT_EQ(m.size(), 1u) << k.what;
    EXPECT_NE(m[0].flags & lease::Lease::kFlagReserved, 0) << k.what;
  }
}

// RFC 2131 §4.3.2 RENEWING: "This message will be unicast, so no relay
// agents will be involved", so a renewal never carries option 82. The
// lease keeps the circuit-id and remote-id it was bound with (RFC 3046 §5:
// the server's record of the subscriber port; brief §1: "what does port
// 1/1/3 of OLT-7 hold"), and a reservation made by circuit-id still
// applies (its lifetime and options).
TEST_F(ReservationTest, Rfc3046RelayIdentitySurvivesUnicastRenewal) {
  const Bytes remote = {0x00, 0x11, 0x00};
  TestClient c(&h_, Mac(0x46));
  c.Relay(kRelay, RelayAgentInfo({{1, ToBytes("olt7-1/1/3")}, {2, remote}}));
  const Reply ack = c.Dora(kT0);
  ASSERT_EQ(ack.type(), MessageType::kAck);
  EXPECT_EQ(ack.yiaddr(), Ip("10.1.0.50"));
  EXPECT_EQ(ack.GetUint32(option::kLeaseTime), 1800u);
  EXPECT_EQ(ack.Option(option::kDomainName), ToBytes("port.example.net"));
  h_.TakeMutations();

  const Reply renew = c.Renew(kT0 + 900);  // unicast: no option 82
  ASSERT_EQ(renew.type(), MessageType::kAck);
  EXPECT_EQ(renew.yiaddr(), Ip("10.1.0.50"));
  const auto m = h_.TakeMutations();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, MutationKind::kExtend);
  EXPECT_EQ(m[0].circuit_id, ToBytes("olt7-1/1/3"));
  EXPECT_EQ(m[0].remote_id, remote);
  // The reservation's lifetime and options, as at binding time.
  EXPECT_EQ(renew.GetUint32(option::kLeaseTime), 1800u);
  EXPECT_EQ(m[0].expiry, kT0 + 900 + 1800);
  EXPECT_EQ(renew.Option(option::kDomainName), ToBytes("port.example.net"));
}

// A circuit-id that differs in one trailing octet is another port.
TEST_F(ReservationTest, CircuitIdMustMatchExactly) {
  TestClient c(&h_, Mac(0x45));
  Bytes id = ToBytes("olt7-1/1/3");
  id.push_back(0x00);
  c.Relay(kRelay, RelayAgentInfo({{1, id}}));
  const Reply r = c.Discover(kT0);
  ASSERT_EQ(r.type(), MessageType::kOffer);
  EXPECT_TRUE(InPool2(r.yiaddr())) << r.yiaddr().ToString();
}

// RFC 2131 §3.3: an infinite lease is 0xffffffff, and so are T1 and T2;
// the lease never expires.
TEST_F(ReservationTest, InfiniteLifetime) {
  TestClient c(&h_, MacAddress({2, 0, 0, 0, 0, 0xa6}));
  c.WithLeaseTime(600);  // the reservation outranks the client's hint
  const Reply offer = c.Discover(kT0);
  EXPECT_EQ(offer.GetUint32(option::kLeaseTime), 0xffffffffu);
  const Reply ack = c.Select(kT0);
  ASSERT_EQ(ack.type(), MessageType::kAck);
  EXPECT_EQ(ack.yiaddr(), Ip("192.0.2.106"));
  EXPECT_EQ(ack.GetUint32(option::kLeaseTime), 0xffffffffu);
  EXPECT_EQ(ack.GetUint32(option::kRenewalTime), 0xffffffffu);
  EXPECT_EQ(ack.GetUint32(option::kRebindingTime), 0xffffffffu);
  const auto m = h_.TakeMutations();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].expiry, lease::kNever);
  h_.Tick(0xfffffff0u);
  EXPECT_TRUE(h_.TakeMutations().empty());
  EXPECT_EQ(h_.engine().counters().expired, 0u);
}

// The reservation's lifetime outranks option 51 and the subnet's limits.
TEST_F(ReservationTest, ReservationLifetimeOutranksClientHint) {
  TestClient c(&h_, MacAddress({2, 0, 0, 0, 0, 0xa7}));
  c.WithLeaseTime(7200);
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  const Reply r = c.Renew(kT0 + 10);
  EXPECT_EQ(r.GetUint32(option::kLeaseTime), 900u);
  EXPECT_EQ(r.GetUint32(option::kRenewalTime), 450u);
  EXPECT_EQ(r.GetUint32(option::kRebindingTime), 787u);  // 787.5 floored
}

// A reserved address inside a pool is never handed out dynamically.
TEST(ReservationPoolTest, ReservedAddressInPoolIsNotDynamic) {
  ConfigSpec spec;
  spec.pool1 = "192.0.2.10 - 192.0.2.12";
  spec.reservations1 =
      R"({"hw-address": "02:00:00:00:00:b1", "ip-address": "192.0.2.11"})";
  EngineHarness h(MakeConfig(spec));
  EXPECT_EQ(h.engine().SubnetUtilization(1).total, 3u);
  EXPECT_EQ(h.engine().SubnetUtilization(1).free, 2u);
  for (uint8_t i = 1; i <= 2; ++i) {
    TestClient c(&h, Mac(i));
    ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
    EXPECT_NE(c.address(), Ip("192.0.2.11"));
  }
  TestClient late(&h, Mac(3));
  EXPECT_EQ(late.Discover(kT0, Ip("192.0.2.11")).decision.reason,
            Reason::kPoolExhausted);
  TestClient owner(&h, MacAddress({2, 0, 0, 0, 0, 0xb1}));
  ASSERT_EQ(owner.Dora(kT0).type(), MessageType::kAck);
  EXPECT_EQ(owner.address(), Ip("192.0.2.11"));
}

// The network address and the server's own address are never handed out,
// even inside a pool (config.h: Subnet::excluded).
TEST(ExcludedAddressTest, NetworkAndServerAddressesAreNeverOffered) {
  ConfigSpec spec;
  spec.pool1 = "192.0.2.0 - 192.0.2.3";
  spec.reservations1 = "";
  EngineHarness h(MakeConfig(spec));
  EXPECT_EQ(h.engine().SubnetUtilization(1).total, 4u);
  EXPECT_EQ(h.engine().SubnetUtilization(1).free, 2u);
  std::vector<Ipv4Address> got;
  for (uint8_t i = 1; i <= 2; ++i) {
    TestClient c(&h, Mac(i));
    ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
    got.push_back(c.address());
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<Ipv4Address>{Ip("192.0.2.2"), Ip("192.0.2.3")}));
  TestClient asks_network(&h, Mac(3));
  EXPECT_EQ(asks_network.Discover(kT0, Ip("192.0.2.0")).decision.reason,
            Reason::kPoolExhausted);
  EXPECT_EQ(asks_network.Select(kT0, kServer, kServer).type(),
            MessageType::kNak);
}

// ---------------------------------------------------------------------------
// Utilization and counters.

TEST_F(EngineTest, UtilizationCountsHeldAddresses) {
  EXPECT_EQ(h_.engine().SubnetUtilization(1).total, 10u);
  EXPECT_EQ(h_.engine().SubnetUtilization(1).free, 10u);
  EXPECT_EQ(h_.engine().SubnetUtilization(2).total, 10u);
  EXPECT_EQ(h_.engine().SubnetUtilization(99).total, 0u);
  std::vector<TestClient> clients;
  for (uint8_t i = 1; i <= 3; ++i) clients.emplace_back(&h_, Mac(i));
  for (TestClient& c : clients)
    ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  EXPECT_EQ(h_.engine().SubnetUtilization(1).free, 7u);
  TestClient offered(&h_, Mac(9));
  offered.Discover(kT0);
  EXPECT_EQ(h_.engine().SubnetUtilization(1).free, 6u);  // offers hold too
  clients[0].Release(kT0 + 1);
  EXPECT_EQ(h_.engine().SubnetUtilization(1).free, 7u);
  h_.Tick(kT0 + 30);  // the offer times out
  EXPECT_EQ(h_.engine().SubnetUtilization(1).free, 8u);
  EXPECT_GT(h_.engine().MemoryUsage(), 0u);
}

TEST_F(EngineTest, CountersByMessageTypeAndReason) {
  TestClient c(&h_, Mac(1));
  ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  c.InitReboot(kT0, Ip("10.9.9.9"));  // NAK
  c.Release(kT0);
  const Counters& k = h_.engine().counters();
  const auto idx = [](MessageType t) { return static_cast<int>(t); };
  EXPECT_EQ(k.received[idx(MessageType::kDiscover)], 1u);
  EXPECT_EQ(k.received[idx(MessageType::kRequest)], 2u);
  EXPECT_EQ(k.received[idx(MessageType::kRelease)], 1u);
  EXPECT_EQ(k.sent[idx(MessageType::kOffer)], 1u);
  EXPECT_EQ(k.sent[idx(MessageType::kAck)], 1u);
  EXPECT_EQ(k.sent[idx(MessageType::kNak)], 1u);
  EXPECT_EQ(k.reasons[static_cast<int>(Reason::kReleased)], 1u);
  for (int i = 0; i < kReasonCount; ++i) {
    EXPECT_NE(ReasonName(static_cast<Reason>(i)), "unknown") << i;
  }
}

// ---------------------------------------------------------------------------
// The client index sized up front.

// The client index is sized for one record per pool address (up to
// 262,144) when the engine starts, so serving a shard of that size never
// rehashes it (no stall of the worker in a storm).
TEST_F(EngineTest, ClientIndexSizedForEveryPoolAddress) {
  const size_t buckets = h_.engine().table().client_buckets();
  size_t addresses = 0;
  for (const auto& s : h_.config().subnets) {
    for (const auto& p : s.pools) addresses += p.size();
  }
  EXPECT_GE(buckets * 3, addresses * 4);
  for (uint8_t i = 1; i <= 10; ++i) {
    TestClient c(&h_, Mac(i));
    ASSERT_EQ(c.Dora(kT0).type(), MessageType::kAck);
  }
  EXPECT_EQ(h_.engine().table().client_buckets(), buckets);
}

}  // namespace
}  // namespace leasewire::engine
