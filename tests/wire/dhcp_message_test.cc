// Tests for DhcpMessage: the BOOTP fixed header (RFC 951, RFC 2131 §2),
// option areas (RFC 2132), RFC 3396 concatenation and the server-side
// acceptance checks (RFC 2131 §4.3).

#include "leasewire/wire/dhcp_message.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "leasewire/wire/options.h"
#include "leasewire/wire/types.h"
#include "leasewire/wire/verdict.h"

namespace leasewire::wire {

// Let gtest print verdicts by name and addresses as dotted quads.
void PrintTo(Verdict v, std::ostream* os) { *os << VerdictName(v); }
void PrintTo(const Ipv4Address& a, std::ostream* os) {
  const uint32_t v = a.value();
  *os << (v >> 24) << '.' << ((v >> 16) & 0xff) << '.' << ((v >> 8) & 0xff)
      << '.' << (v & 0xff);
}

namespace {

using Bytes = std::vector<uint8_t>;

Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes SpanBytes(std::span<const uint8_t> s) {
  return Bytes(s.begin(), s.end());
}

// The fixed header of a BOOTREQUEST (RFC 2131 Figure 1): Ethernet,
// chaddr 02:00:00:aa:bb:cc, xid 3903f326, broadcast flag set, every
// address zero; sname and file zero.
Bytes FixedHeader() {
  Bytes b = {
      0x01, 0x01, 0x06, 0x00,                          // op, htype, hlen, hops
      0x39, 0x03, 0xf3, 0x26,                          // xid
      0x00, 0x00, 0x80, 0x00,                          // secs, flags
      0x00, 0x00, 0x00, 0x00,                          // ciaddr
      0x00, 0x00, 0x00, 0x00,                          // yiaddr
      0x00, 0x00, 0x00, 0x00,                          // siaddr
      0x00, 0x00, 0x00, 0x00,                          // giaddr
      0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc, 0x00, 0x00,  // chaddr
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  b.resize(kFixedHeaderSize, 0x00);  // sname (64) and file (128)
  return b;
}

// FixedHeader(), the RFC 1048 magic cookie, then `options` as given.
Bytes Message(const Bytes& options) {
  Bytes b = FixedHeader();
  const Bytes cookie = {0x63, 0x82, 0x53, 0x63};
  b.insert(b.end(), cookie.begin(), cookie.end());
  b.insert(b.end(), options.begin(), options.end());
  return b;
}

// One option: code, length, value.
Bytes Opt(uint8_t code, const Bytes& value) {
  Bytes b = {code, static_cast<uint8_t>(value.size())};
  b.insert(b.end(), value.begin(), value.end());
  return b;
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const Bytes& p : parts) b.insert(b.end(), p.begin(), p.end());
  return b;
}

// RFC 2131 §4.4.1: a client's DHCPDISCOVER, written octet by octet.
Bytes HandWrittenDiscover() {
  return Message({
      53,  1, 1,                                         // DHCPDISCOVER
      61,  7, 0x01, 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc,  // client id
      50,  4, 192,  0,    2,    10,                      // requested address
      57,  2, 0x05, 0xdc,                        // max message size 1500
      12,  4, 'c',  'p',  'e',  '1',             // host name
      55,  6, 1,    3,    6,    15,   51,   54,  // parameter request list
      255,                                       // END
  });
}

// A REQUEST carrying every option the server reads, one instance each.
Bytes AllOptionsRequest() {
  return Message(Cat({
      Opt(1, {255, 255, 255, 0}),
      Opt(3, {192, 0, 2, 1, 192, 0, 2, 2}),
      Opt(6, {198, 51, 100, 53, 198, 51, 100, 54}),
      Opt(12, ToBytes("host1")),
      Opt(15, ToBytes("example.net")),
      Opt(26, {0x05, 0xdc}),
      Opt(28, {192, 0, 2, 255}),
      Opt(42, {192, 0, 2, 123}),
      Opt(43, {1, 1, 0xff}),
      Opt(50, {192, 0, 2, 10}),
      Opt(51, {0x00, 0x00, 0x0e, 0x10}),
      Opt(53, {3}),
      Opt(54, {192, 0, 2, 1}),
      Opt(55, {1, 3, 6, 15, 119, 121}),
      Opt(57, {0x05, 0x78}),
      Opt(58, {0x00, 0x00, 0x07, 0x08}),
      Opt(59, {0x00, 0x00, 0x0c, 0x4e}),
      Opt(60, ToBytes("MSFT 5.0")),
      Opt(61, {0x01, 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc}),
      Opt(77, {5, 'a', 'l', 'p', 'h', 'a', 3, 'b', 'o', 'x'}),
      Opt(82, {1, 6, 'e', 't', 'h', '0', '/', 0x00, 2, 2, 0x0a, 0x0b, 5, 4, 10,
               20, 30, 0}),
      Opt(116, {1}),
      Opt(118, {10, 20, 30, 0}),
      Opt(119, {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0}),
      Opt(121, {0, 192, 0, 2, 1, 24, 10, 27, 129, 192, 0, 2, 2}),
      Bytes{255},
  }));
}

Verdict ParseOnly(const Bytes& payload) {
  DhcpMessage msg;
  return msg.Parse(payload);
}

// ---- The fixed header.

// RFC 2131 §4.4.1: a DISCOVER from an unconfigured client.
TEST(DhcpMessageTest, HandWrittenDiscoverParses) {
  const Bytes payload = HandWrittenDiscover();
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_EQ(msg.op(), kBootRequest);
  EXPECT_EQ(msg.htype(), kHtypeEthernet);
  EXPECT_EQ(msg.hlen(), 6);
  EXPECT_EQ(msg.hops(), 0);
  EXPECT_EQ(msg.xid(), 0x3903f326u);
  EXPECT_EQ(msg.secs(), 0);
  EXPECT_EQ(msg.flags(), kBroadcastFlag);
  EXPECT_TRUE(msg.broadcast());
  EXPECT_TRUE(msg.ciaddr().IsZero());
  EXPECT_TRUE(msg.yiaddr().IsZero());
  EXPECT_TRUE(msg.siaddr().IsZero());
  EXPECT_TRUE(msg.giaddr().IsZero());
  EXPECT_EQ(SpanBytes(msg.chaddr()),
            (Bytes{0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc}));
  EXPECT_EQ(msg.chaddr_field().size(), kChaddrSize);
  EXPECT_EQ(msg.sname().size(), kSnameSize);
  EXPECT_EQ(msg.file().size(), kFileSize);
  EXPECT_EQ(msg.payload().data(), payload.data());
  EXPECT_EQ(msg.payload().size(), payload.size());

  EXPECT_EQ(msg.message_type(), MessageType::kDiscover);
  ASSERT_TRUE(msg.client_identifier().has_value());
  EXPECT_EQ(SpanBytes(*msg.client_identifier()),
            (Bytes{0x01, 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc}));
  EXPECT_EQ(msg.requested_address(), Ipv4Address::FromOctets(192, 0, 2, 10));
  EXPECT_EQ(msg.max_message_size(), 1500);
  EXPECT_EQ(msg.host_name(), "cpe1");
  EXPECT_EQ(SpanBytes(msg.parameter_request_list()),
            (Bytes{1, 3, 6, 15, 51, 54}));
  EXPECT_FALSE(msg.Has(option::kServerIdentifier));
  EXPECT_FALSE(msg.server_identifier().has_value());
  EXPECT_EQ(msg.overload(), 0);
  EXPECT_EQ(msg.instances(option::kMessageType), 1);
  EXPECT_EQ(msg.instances(option::kServerIdentifier), 0);
}

// RFC 2131 §2: every field at its offset, with distinct values.
TEST(DhcpMessageTest, FixedHeaderFields) {
  Bytes payload = HandWrittenDiscover();
  payload[3] = 2;                       // hops
  StoreBe16(&payload[8], 0x1234);       // secs
  StoreBe16(&payload[10], 0x0000);      // flags
  StoreBe32(&payload[12], 0xc000020a);  // ciaddr 192.0.2.10
  StoreBe32(&payload[16], 0xc000020b);  // yiaddr
  StoreBe32(&payload[20], 0xc000020c);  // siaddr
  StoreBe32(&payload[24], 0x0a000001);  // giaddr 10.0.0.1
  payload[kChaddrOffset + 15] = 0x77;   // chaddr padding
  payload[kSnameOffset] = 's';
  payload[kFileOffset + kFileSize - 1] = 'f';
  DhcpMessage msg;
  ASSERT_EQ(msg.Parse(payload), Verdict::kOk);
  EXPECT_EQ(msg.hops(), 2);
  EXPECT_EQ(msg.secs(), 0x1234);
  EXPECT_EQ(msg.flags(), 0);
  EXPECT_FALSE(msg.broadcast());
  EXPECT_EQ(msg.ciaddr(), Ipv4Address::FromOctets(192, 0, 2, 10));
  EXPECT_EQ(msg.yiaddr(), Ipv4Address::FromOctets(192, 0, 2, 11));
  EXPECT_EQ(msg.siaddr(), Ipv4Address::FromOctets(192, 0, 2, 12));
  EXPECT_EQ(msg.giaddr(), Ipv4Address::FromOctets(10, 0, 0, 1));
  EXPECT_EQ(msg.chaddr().size(), 6u);
  EXPECT_EQ(msg.chaddr_field()[15], 0x77);
  EXPECT_EQ(msg.sname()[0], 's');
  EXPECT_EQ(msg.file()[kFileSize - 1], 'f');
}

// RFC 2131 §2 / RFC 951: the fixed header is 236 octets.
TEST(DhcpMessageTest, ShortPayloadIsTruncatedBootp) {
  const Bytes full = HandWrittenDiscover();
  for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{235}}) {
    const Bytes prefix(full.begin(), full.begin() + n);
    EXPECT_EQ(ParseOnly(prefix), Verdict::kTruncatedBootp) << n;
  }
}

// RFC 2131 §3: the options field starts with the RFC 1048 cookie
// 99.130.83.99; without it the message is plain BOOTP (or junk).
TEST(DhcpMessageTest, MissingOrWrongCookie) {
  const Bytes full = HandWrittenDiscover();
  for (size_t n = 236; n < 240; ++n) {
    const Bytes prefix(full.begin(), full.begin() + n);
    EXPECT_EQ(ParseOnly(prefix), Verdict::kBadMagicCookie) << n;
  }
  for (size_t i = 0; i < 4; ++i) {
    Bytes wrong = full;
    wrong[kFixedHeaderSize + i] ^= 0x01;
    EXPECT_EQ(ParseOnly(wrong), Verdict::kBadMagicCookie) << i;
  }
}

// RFC 2131 §2: cookie and nothing else is well formed; it is not DHCP
// until option 53 says so (RFC 2131 §3).
TEST(DhcpMessageTest, CookieOnly) {
  const Bytes payload = Message({});
  ASSERT_EQ(payload.size(), kOptionsOffset);
  DhcpMessage msg;
  ASSERT_EQ(msg.Parse(payload), Verdict::kOk);
  for (int code = 0; code < 256; ++code) {
    EXPECT_FALSE(msg.Has(static_cast<uint8_t>(code))) << code;
  }
  EXPECT_FALSE(msg.message_type().has_value());
  EXPECT_EQ(msg.CheckServerBound(), Verdict::kMissingMessageType);
  EXPECT_EQ(msg.ParseRequest(payload), Verdict::kMissingMessageType);
}

// RFC 2131 §2: op is 1 (BOOTREQUEST) or 2 (BOOTREPLY).
TEST(DhcpMessageTest, BadOp) {
  for (uint8_t op : {0, 3, 255}) {
    Bytes payload = HandWrittenDiscover();
    payload[0] = op;
    EXPECT_EQ(ParseOnly(payload), Verdict::kBadOp) << int{op};
  }
}

// RFC 2131 §2: chaddr holds at most 16 octets; Ethernet (htype 1, RFC
// 1700) addresses are 6.
TEST(DhcpMessageTest, BadHardwareAddress) {
  Bytes payload = HandWrittenDiscover();
  payload[2] = 17;
  EXPECT_EQ(ParseOnly(payload), Verdict::kBadHardwareAddress);
  payload[1] = 6;  // IEEE 802 networks
  EXPECT_EQ(ParseOnly(payload), Verdict::kBadHardwareAddress);
  payload[2] = 255;
  EXPECT_EQ(ParseOnly(payload), Verdict::kBadHardwareAddress);
  payload[2] = 16;
  EXPECT_EQ(ParseOnly(payload), Verdict::kOk);

  for (uint8_t hlen : {0, 5, 7, 16}) {
    Bytes ethernet = HandWrittenDiscover();
    ethernet[2] = hlen;
    EXPECT_EQ(ParseOnly(ethernet), Verdict::kBadHardwareAddress) << int{hlen};
  }
}

// RFC 4390 §2.1: InfiniBand uses htype 32, hlen 0 and a zero chaddr (the
// client identifier carries the address).
TEST(DhcpMessageTest, InfinibandHlenZero) {
  Bytes payload = HandWrittenDiscover();
  payload[1] = kHtypeInfiniband;
  payload[2] = 0;
  for (size_t i = 0; i < kChaddrSize; ++i) payload[kChaddrOffset + i] = 0;
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_EQ(msg.htype(), kHtypeInfiniband);
  EXPECT_EQ(msg.hlen(), 0);
  EXPECT_TRUE(msg.chaddr().empty());
}

// ---- Options.

TEST(DhcpMessageTest, TypedAccessorsForEveryOption) {
  const Bytes payload = AllOptionsRequest();
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);

  EXPECT_EQ(msg.subnet_mask(), Ipv4Address::FromOctets(255, 255, 255, 0));
  ASSERT_TRUE(msg.routers().has_value());
  ASSERT_EQ(msg.routers()->size(), 2u);
  EXPECT_EQ((*msg.routers())[0], Ipv4Address::FromOctets(192, 0, 2, 1));
  EXPECT_EQ((*msg.routers())[1], Ipv4Address::FromOctets(192, 0, 2, 2));
  ASSERT_TRUE(msg.domain_name_servers().has_value());
  ASSERT_EQ(msg.domain_name_servers()->size(), 2u);
  EXPECT_EQ((*msg.domain_name_servers())[1],
            Ipv4Address::FromOctets(198, 51, 100, 54));
  EXPECT_EQ(msg.host_name(), "host1");
  EXPECT_EQ(msg.domain_name(), "example.net");
  EXPECT_EQ(msg.interface_mtu(), 1500);
  EXPECT_EQ(msg.broadcast_address(), Ipv4Address::FromOctets(192, 0, 2, 255));
  ASSERT_TRUE(msg.ntp_servers().has_value());
  ASSERT_EQ(msg.ntp_servers()->size(), 1u);
  EXPECT_EQ((*msg.ntp_servers())[0], Ipv4Address::FromOctets(192, 0, 2, 123));
  ASSERT_TRUE(msg.vendor_specific().has_value());
  EXPECT_EQ(SpanBytes(*msg.vendor_specific()), (Bytes{1, 1, 0xff}));
  EXPECT_EQ(msg.requested_address(), Ipv4Address::FromOctets(192, 0, 2, 10));
  EXPECT_EQ(msg.lease_time(), 3600u);
  EXPECT_EQ(msg.message_type(), MessageType::kRequest);
  EXPECT_EQ(msg.server_identifier(), Ipv4Address::FromOctets(192, 0, 2, 1));
  EXPECT_EQ(SpanBytes(msg.parameter_request_list()),
            (Bytes{1, 3, 6, 15, 119, 121}));
  EXPECT_EQ(msg.max_message_size(), 1400);
  EXPECT_EQ(msg.renewal_time(), 1800u);
  EXPECT_EQ(msg.rebinding_time(), 3150u);
  ASSERT_TRUE(msg.vendor_class().has_value());
  EXPECT_EQ(SpanBytes(*msg.vendor_class()), ToBytes("MSFT 5.0"));
  ASSERT_TRUE(msg.client_identifier().has_value());
  EXPECT_EQ(SpanBytes(*msg.client_identifier()),
            (Bytes{0x01, 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc}));

  ASSERT_TRUE(msg.user_class().has_value());
  EXPECT_TRUE(msg.user_class()->Valid());
  std::vector<std::string> classes;
  msg.user_class()->ForEach([&](std::span<const uint8_t> item) {
    classes.emplace_back(item.begin(), item.end());
  });
  EXPECT_EQ(classes, (std::vector<std::string>{"alpha", "box"}));

  // RFC 3046 §2.1: the circuit-id with its trailing 0x00, byte for byte.
  ASSERT_TRUE(msg.relay_agent_info().has_value());
  const RelayAgentInfo relay = *msg.relay_agent_info();
  ASSERT_TRUE(relay.circuit_id().has_value());
  EXPECT_EQ(SpanBytes(*relay.circuit_id()),
            (Bytes{'e', 't', 'h', '0', '/', 0x00}));
  ASSERT_TRUE(relay.remote_id().has_value());
  EXPECT_EQ(SpanBytes(*relay.remote_id()), (Bytes{0x0a, 0x0b}));
  EXPECT_EQ(relay.link_selection(), Ipv4Address::FromOctets(10, 20, 30, 0));
  EXPECT_EQ(relay.raw().size(), 18u);

  EXPECT_EQ(msg.auto_configure(), 1);
  EXPECT_EQ(msg.subnet_selection(), Ipv4Address::FromOctets(10, 20, 30, 0));
  ASSERT_TRUE(msg.domain_search().has_value());
  EXPECT_EQ(SpanBytes(*msg.domain_search()),
            (Bytes{7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0}));
  ASSERT_TRUE(msg.classless_static_routes().has_value());
  std::vector<ClasslessRoute> routes;
  msg.classless_static_routes()->ForEach(
      [&](const ClasslessRoute& r) { routes.push_back(r); });
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].prefix_length, 0);
  EXPECT_EQ(routes[0].router, Ipv4Address::FromOctets(192, 0, 2, 1));
  EXPECT_EQ(routes[1].destination, Ipv4Address::FromOctets(10, 27, 129, 0));
  EXPECT_EQ(routes[1].prefix_length, 24);

  // The generic accessors agree.
  EXPECT_EQ(msg.GetAddress(option::kSubnetMask), msg.subnet_mask());
  EXPECT_EQ(msg.GetUint8(option::kMessageType), 3);
  EXPECT_EQ(msg.GetUint16(option::kInterfaceMtu), 1500);
  EXPECT_EQ(msg.GetUint32(option::kLeaseTime), 3600u);
  EXPECT_EQ(msg.GetString(option::kHostName), "host1");
  ASSERT_TRUE(msg.GetBytes(option::kHostName).has_value());
  EXPECT_EQ(SpanBytes(*msg.GetBytes(option::kHostName)), ToBytes("host1"));
  // Values point into the caller's buffer when not concatenated.
  const auto host = msg.Find(option::kHostName);
  ASSERT_TRUE(host.has_value());
  EXPECT_GE(host->data(), payload.data());
  EXPECT_LT(host->data(), payload.data() + payload.size());

  EXPECT_FALSE(msg.Has(option::kOverload));
  EXPECT_FALSE(msg.Find(option::kTftpServerName).has_value());
  EXPECT_FALSE(msg.GetAddress(option::kTftpServerName).has_value());
  EXPECT_FALSE(msg.Has(option::kPad));
  EXPECT_FALSE(msg.Has(option::kEnd));
}

// Values of the wrong size read as absent through typed accessors, while
// the raw bytes stay available; Parse() rejects only the options whose
// misreading would change a decision.
TEST(DhcpMessageTest, MalformedValuesReadAsAbsent) {
  const Bytes payload = Message(Cat({
      Opt(53, {1}),
      Opt(1, {255, 255, 255}),
      Opt(3, {192, 0, 2, 1, 192, 0}),
      Opt(26, {0x05}),
      Opt(58, {0, 0, 7}),
      Opt(116, {1, 0}),
      Opt(121, {33, 10, 0, 0, 0, 0, 192, 0, 2, 1}),
      Bytes{255},
  }));
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_FALSE(msg.subnet_mask().has_value());
  ASSERT_TRUE(msg.Find(option::kSubnetMask).has_value());
  EXPECT_EQ(msg.Find(option::kSubnetMask)->size(), 3u);
  EXPECT_FALSE(msg.routers().has_value());
  EXPECT_FALSE(msg.interface_mtu().has_value());
  EXPECT_FALSE(msg.renewal_time().has_value());
  EXPECT_FALSE(msg.auto_configure().has_value());
  EXPECT_FALSE(msg.classless_static_routes().has_value());
  EXPECT_FALSE(msg.GetUint32(option::kRouter).has_value());
  EXPECT_FALSE(msg.GetAddress(option::kRouter).has_value());
  EXPECT_FALSE(msg.GetUint16(option::kMessageType).has_value());
}

TEST(DhcpMessageTest, ParameterRequestListEmptyWhenAbsent) {
  const Bytes payload = Message({53, 1, 1, 255});
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_TRUE(msg.parameter_request_list().empty());
}

// RFC 2132 §9.10: the minimum legal value is 576; absent means 576.
TEST(DhcpMessageTest, MaxMessageSize) {
  struct Case {
    std::optional<uint16_t> sent;
    uint16_t expected;
  };
  for (const Case& c :
       {Case{std::nullopt, 576}, Case{0, 576}, Case{500, 576}, Case{575, 576},
        Case{576, 576}, Case{1500, 1500}, Case{65535, 65535}}) {
    Bytes options = {53, 1, 1};
    if (c.sent) {
      options.insert(options.end(), {57, 2, static_cast<uint8_t>(*c.sent >> 8),
                                     static_cast<uint8_t>(*c.sent)});
    }
    options.push_back(255);
    const Bytes payload = Message(options);
    DhcpMessage msg;
    ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
    EXPECT_EQ(msg.max_message_size(), c.expected)
        << "sent " << (c.sent ? int{*c.sent} : -1);
  }
}

// RFC 2132 §9.14: the client identifier has a minimum length of 2.
TEST(DhcpMessageTest, ClientIdentifierMinimumLength) {
  for (const Bytes& value : {Bytes{}, Bytes{0x01}}) {
    const Bytes payload = Message(Cat({Opt(53, {1}), Opt(61, value), {255}}));
    DhcpMessage msg;
    ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
    EXPECT_TRUE(msg.Has(option::kClientIdentifier));
    EXPECT_FALSE(msg.client_identifier().has_value()) << value.size();
  }
  const Bytes payload = Message(Cat({Opt(53, {1}), Opt(61, {0, 'x'}), {255}}));
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  ASSERT_TRUE(msg.client_identifier().has_value());
  EXPECT_EQ(SpanBytes(*msg.client_identifier()), (Bytes{0, 'x'}));
}

// RFC 2132 §2: "Options containing NVT ASCII data SHOULD NOT include a
// trailing NULL; however, the receiver of such options MUST be prepared
// to delete trailing nulls if they exist." §3.14: minimum length 1.
TEST(DhcpMessageTest, HostNameTrailingNulsStripped) {
  struct Case {
    Bytes value;
    std::optional<std::string_view> expected;
  };
  const Case cases[] = {
      {ToBytes("host"), "host"},
      {{'h', 'o', 's', 't', 0}, "host"},
      {{'h', 'o', 's', 't', 0, 0, 0}, "host"},
      {{'a', 'b', 0, 'c', 0}, std::string_view("ab\0c", 4)},
      {{0}, std::nullopt},
      {{0, 0, 0}, std::nullopt},
      {{}, std::nullopt},
  };
  for (const Case& c : cases) {
    const Bytes payload = Message(Cat({Opt(53, {1}), Opt(12, c.value), {255}}));
    DhcpMessage msg;
    ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
    EXPECT_TRUE(msg.Has(option::kHostName));
    EXPECT_EQ(msg.host_name(), c.expected) << c.value.size();
  }
}

// ---- RFC 3396: options split into several instances are concatenated.

// RFC 3396 §7: a host name in two instances reads as one value.
TEST(DhcpMessageTest, Rfc3396HostNameSplitInTwo) {
  const Bytes payload = Message(Cat({Opt(53, {1}),
                                     Opt(12, ToBytes("cpe-")),
                                     Opt(12, ToBytes("0042")),
                                     {255}}));
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_EQ(msg.instances(option::kHostName), 2);
  EXPECT_EQ(msg.host_name(), "cpe-0042");
  EXPECT_EQ(SpanBytes(*msg.Find(option::kHostName)), ToBytes("cpe-0042"));
}

// RFC 3396 §7: instances need not be adjacent; order is preserved.
TEST(DhcpMessageTest, Rfc3396NonAdjacentInstances) {
  const Bytes payload = Message(Cat({Opt(55, {1, 3}),
                                     Opt(53, {1}),
                                     Opt(12, ToBytes("x")),
                                     Opt(55, {6, 15}),
                                     Opt(55, {121}),
                                     {255}}));
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_EQ(msg.instances(option::kParameterRequestList), 3);
  EXPECT_EQ(SpanBytes(msg.parameter_request_list()), (Bytes{1, 3, 6, 15, 121}));
  EXPECT_EQ(msg.instances(option::kHostName), 1);
}

// RFC 3396 §7: a fixed-length option split 2 + 2 is checked after joining.
TEST(DhcpMessageTest, Rfc3396RequestedAddressSplit) {
  const Bytes payload =
      Message(Cat({Opt(53, {1}), Opt(50, {192, 0}), Opt(50, {2, 10}), {255}}));
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_EQ(msg.instances(option::kRequestedAddress), 2);
  EXPECT_EQ(msg.requested_address(), Ipv4Address::FromOctets(192, 0, 2, 10));
}

// RFC 3396 §7 and RFC 3046: option 82 split in two joins before its
// sub-options are read.
TEST(DhcpMessageTest, Rfc3396RelayAgentInfoSplit) {
  const Bytes payload = Message(Cat(
      {Opt(53, {1}), Opt(82, {1, 4, 'p', 'o'}), Opt(82, {'r', 't'}), {255}}));
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  ASSERT_TRUE(msg.relay_agent_info().has_value());
  ASSERT_TRUE(msg.relay_agent_info()->circuit_id().has_value());
  EXPECT_EQ(SpanBytes(*msg.relay_agent_info()->circuit_id()), ToBytes("port"));
}

// RFC 3396 §7 + RFC 2132 §9.6: two message-type instances join into a
// 2-octet value, which is not a message type.
TEST(DhcpMessageTest, Rfc3396TwoMessageTypesRejected) {
  const Bytes payload = Message({53, 1, 1, 53, 1, 1, 255});
  EXPECT_EQ(ParseOnly(payload), Verdict::kBadMessageType);
}

// RFC 3396 §7: the joined values of one message stay bounded by the
// scratch area; past it the message is dropped, not truncated.
TEST(DhcpMessageTest, Rfc3396ConcatenationBound) {
  Bytes fits = {53, 1, 1};
  for (int i = 0; i < 8; ++i) {
    const Bytes part = Opt(12, Bytes(255, static_cast<uint8_t>('a' + i)));
    fits.insert(fits.end(), part.begin(), part.end());
  }
  fits.push_back(255);
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(Message(fits)), Verdict::kOk);
  EXPECT_EQ(msg.instances(option::kHostName), 8);
  ASSERT_TRUE(msg.Find(option::kHostName).has_value());
  EXPECT_EQ(msg.Find(option::kHostName)->size(), 8u * 255u);
  EXPECT_EQ((*msg.Find(option::kHostName))[255], 'b');

  Bytes too_long = {53, 1, 1};
  for (int i = 0; i < 9; ++i) {
    const Bytes part = Opt(12, Bytes(255, 'a'));
    too_long.insert(too_long.end(), part.begin(), part.end());
  }
  too_long.push_back(255);
  EXPECT_EQ(ParseOnly(Message(too_long)), Verdict::kOptionsTooLong);
}

// A DhcpMessage is reused per packet: nothing of the previous message may
// survive a new Parse().
TEST(DhcpMessageTest, ReparseResetsState) {
  DhcpMessage msg;
  const Bytes first = Message(Cat({Opt(53, {1}),
                                   Opt(12, ToBytes("ab")),
                                   Opt(12, ToBytes("cd")),
                                   Opt(52, {3}),
                                   {255}}));
  ASSERT_EQ(msg.ParseRequest(first), Verdict::kOk);
  EXPECT_EQ(msg.host_name(), "abcd");
  EXPECT_EQ(msg.overload(), 3);

  const Bytes second =
      Message(Cat({Opt(53, {3}), Opt(15, ToBytes("x")), {255}}));
  ASSERT_EQ(msg.ParseRequest(second), Verdict::kOk);
  EXPECT_FALSE(msg.Has(option::kHostName));
  EXPECT_EQ(msg.instances(option::kHostName), 0);
  EXPECT_FALSE(msg.host_name().has_value());
  EXPECT_EQ(msg.overload(), 0);
  EXPECT_EQ(msg.message_type(), MessageType::kRequest);
  EXPECT_EQ(msg.domain_name(), "x");

  // And after a rejected message, a good one parses cleanly.
  ASSERT_EQ(msg.Parse(Message({53, 1, 1, 53, 1, 1})), Verdict::kBadMessageType);
  const Bytes discover = HandWrittenDiscover();
  ASSERT_EQ(msg.ParseRequest(discover), Verdict::kOk);
  EXPECT_EQ(msg.message_type(), MessageType::kDiscover);
  EXPECT_FALSE(msg.Has(option::kDomainName));
}

// Parse() takes any span. A payload over 64 KiB cannot come from a UDP
// datagram (RFC 768: 16-bit length), but must still be either rejected or
// read correctly: here an option past offset 65535 must not be read from
// the wrong place.
TEST(DhcpMessageTest, PayloadOver64KiBIsNeverMisread) {
  Bytes payload = Message({53, 1, 1});
  payload.resize(70000, 0);  // PADs
  const Bytes late = {12, 4, 'l', 'a', 't', 'e', 255};
  payload.insert(payload.end(), late.begin(), late.end());
  DhcpMessage msg;
  if (msg.Parse(payload) == Verdict::kOk) {
    EXPECT_EQ(msg.host_name(), "late");
    EXPECT_EQ(msg.message_type(), MessageType::kDiscover);
  }
}

// ---- Option overload (RFC 2132 §9.3) and RFC 3396 order.

// Writes `options` at the start of the sname (64) or file (128) field.
void PutField(Bytes& payload, size_t offset, const Bytes& options) {
  std::copy(options.begin(), options.end(), payload.begin() + offset);
}

// Bytes that make an option overrun if the field they sit in is parsed.
const Bytes kOverrunIfParsed = {12, 200};

// RFC 2132 §9.3: value 1, the file field holds options; sname does not.
TEST(DhcpMessageTest, OverloadFile) {
  Bytes payload = Message(Cat({Opt(53, {1}), Opt(52, {1}), {255}}));
  PutField(payload, kFileOffset, Cat({Opt(15, ToBytes("in.file")), {255}}));
  PutField(payload, kSnameOffset, kOverrunIfParsed);
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_EQ(msg.overload(), 1);
  EXPECT_EQ(msg.domain_name(), "in.file");
  EXPECT_FALSE(msg.Has(option::kHostName));
}

// RFC 2132 §9.3: value 2, the sname field holds options; file does not.
TEST(DhcpMessageTest, OverloadSname) {
  Bytes payload = Message(Cat({Opt(53, {1}), Opt(52, {2}), {255}}));
  PutField(payload, kSnameOffset, Cat({Opt(15, ToBytes("in.sname")), {255}}));
  PutField(payload, kFileOffset, kOverrunIfParsed);
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_EQ(msg.overload(), 2);
  EXPECT_EQ(msg.domain_name(), "in.sname");
  EXPECT_FALSE(msg.Has(option::kHostName));
}

// RFC 2132 §9.3 and RFC 3396 §7: value 3, both; an option split over the
// three areas is joined options field first, then file, then sname.
TEST(DhcpMessageTest, OverloadBothJoinsInRfc3396Order) {
  Bytes payload = Message(
      Cat({Opt(12, ToBytes("opt-")), Opt(53, {1}), Opt(52, {3}), {255}}));
  PutField(payload, kFileOffset, Cat({Opt(12, ToBytes("file-")), {255}}));
  PutField(payload, kSnameOffset, Cat({Opt(12, ToBytes("sname")), {255}}));
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_EQ(msg.overload(), 3);
  EXPECT_EQ(msg.instances(option::kHostName), 3);
  EXPECT_EQ(msg.host_name(), "opt-file-sname");
}

// RFC 2132 §9.3: the fields need no END when the option fills them up,
// nor when PADs fill the rest.
TEST(DhcpMessageTest, OverloadFieldsWithoutEnd) {
  Bytes payload = Message(Cat({Opt(53, {1}), Opt(52, {3}), {255}}));
  PutField(payload, kSnameOffset, Opt(12, Bytes(62, 'n')));  // fills all 64
  PutField(payload, kFileOffset, Opt(15, ToBytes("f")));     // PADs follow
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_EQ(msg.host_name(), std::string(62, 'n'));
  EXPECT_EQ(msg.domain_name(), "f");
}

// RFC 2132 §9.3: option 52 belongs in the options field. One found inside
// sname or file is ignored, never followed into another field.
TEST(DhcpMessageTest, OverloadInsideSnameIgnored) {
  Bytes payload = Message(Cat({Opt(53, {1}), Opt(52, {2}), {255}}));
  PutField(payload, kSnameOffset,
           Cat({Opt(52, {3}), Opt(15, ToBytes("s")), {255}}));
  PutField(payload, kFileOffset, kOverrunIfParsed);
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_EQ(msg.overload(), 2);
  EXPECT_EQ(msg.domain_name(), "s");
  EXPECT_FALSE(msg.Has(option::kHostName));
}

TEST(DhcpMessageTest, OverloadInsideFileIgnored) {
  Bytes payload = Message(Cat({Opt(53, {1}), Opt(52, {1}), {255}}));
  PutField(payload, kFileOffset, Cat({Opt(52, {3}), {255}}));
  PutField(payload, kSnameOffset, kOverrunIfParsed);
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_EQ(msg.overload(), 1);
  EXPECT_FALSE(msg.Has(option::kHostName));
}

// RFC 2132 §9.3 defines only 1, 2 and 3: any other value is ignored and
// neither field is parsed.
TEST(DhcpMessageTest, InvalidOverloadValueIgnored) {
  for (uint8_t value : {0, 4, 255}) {
    Bytes payload = Message(Cat({Opt(53, {1}), Opt(52, {value}), {255}}));
    PutField(payload, kSnameOffset, kOverrunIfParsed);
    PutField(payload, kFileOffset, kOverrunIfParsed);
    DhcpMessage msg;
    ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk) << int{value};
    EXPECT_EQ(msg.overload(), 0) << int{value};
    EXPECT_FALSE(msg.Has(option::kHostName));
  }
}

// RFC 2132 §9.3: options in sname/file are bounded by their field; one
// running past the end of sname (into file) or of file (into the cookie)
// is an overrun even though the octets exist.
TEST(DhcpMessageTest, OptionOverrunningField) {
  {
    Bytes payload = Message(Cat({Opt(53, {1}), Opt(52, {2}), {255}}));
    payload[kSnameOffset + 60] = 12;
    payload[kSnameOffset + 61] = 5;  // 2 octets left in sname
    EXPECT_EQ(ParseOnly(payload), Verdict::kOptionOverrun);
  }
  {
    Bytes payload = Message(Cat({Opt(53, {1}), Opt(52, {2}), {255}}));
    payload[kSnameOffset + 63] = 12;  // code in the last octet, no length
    EXPECT_EQ(ParseOnly(payload), Verdict::kOptionOverrun);
  }
  {
    Bytes payload = Message(Cat({Opt(53, {1}), Opt(52, {1}), {255}}));
    payload[kFileOffset + 126] = 12;
    payload[kFileOffset + 127] = 10;
    EXPECT_EQ(ParseOnly(payload), Verdict::kOptionOverrun);
  }
  {
    Bytes payload = Message(Cat({Opt(53, {1}), Opt(52, {3}), {255}}));
    payload[kFileOffset + 127] = 12;
    EXPECT_EQ(ParseOnly(payload), Verdict::kOptionOverrun);
  }
}

// ---- PAD, END and overruns in the options field (RFC 2132 §3.1, §3.2).

// RFC 2131 §4.1 / RFC 2132 §3.2: some clients omit END; the options field
// then ends with the message.
TEST(DhcpMessageTest, MissingEndAccepted) {
  const Bytes payload = Message({53, 1, 1, 12, 2, 'h', 'i'});
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_EQ(msg.host_name(), "hi");
}

// RFC 2132 §3.2: END marks the end of valid information; what follows is
// ignored, even if it would not parse.
TEST(DhcpMessageTest, DataAfterEndIgnored) {
  const Bytes payload =
      Message({53, 1, 1, 255, 53, 1, 5, 12, 3, 'b', 'a', 'd', 15, 200});
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_EQ(msg.message_type(), MessageType::kDiscover);
  EXPECT_EQ(msg.instances(option::kMessageType), 1);
  EXPECT_FALSE(msg.Has(option::kHostName));
  EXPECT_FALSE(msg.Has(option::kDomainName));
}

// RFC 2132 §3.1: PAD is one octet with no length, anywhere.
TEST(DhcpMessageTest, PadsSkipped) {
  const Bytes payload =
      Message({0, 0, 53, 1, 1, 0, 12, 2, 'h', 'i', 0, 0, 0, 255, 0, 0, 0});
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  EXPECT_EQ(msg.message_type(), MessageType::kDiscover);
  EXPECT_EQ(msg.host_name(), "hi");
  EXPECT_FALSE(msg.Has(option::kPad));

  // Only PADs: no options, not even a message type.
  const Bytes pads = Message(Bytes(60, 0));
  ASSERT_EQ(msg.Parse(pads), Verdict::kOk);
  EXPECT_EQ(msg.CheckServerBound(), Verdict::kMissingMessageType);
}

// RFC 2132 §2: every option but PAD and END has a length octet.
TEST(DhcpMessageTest, BareCodeAtEndIsOverrun) {
  EXPECT_EQ(ParseOnly(Message({53, 1, 1, 12})), Verdict::kOptionOverrun);
  EXPECT_EQ(ParseOnly(Message({53})), Verdict::kOptionOverrun);
}

// RFC 2132 §2: the value must fit in the options field.
TEST(DhcpMessageTest, LengthPastEndIsOverrun) {
  EXPECT_EQ(ParseOnly(Message({53, 1, 1, 12, 5, 'a', 'b'})),
            Verdict::kOptionOverrun);
  EXPECT_EQ(ParseOnly(Message({53, 1, 1, 12, 3, 'a', 'b'})),
            Verdict::kOptionOverrun);
  EXPECT_EQ(ParseOnly(Message({53, 2, 1})), Verdict::kOptionOverrun);
  EXPECT_EQ(ParseOnly(Message({53, 1, 1, 12, 255})), Verdict::kOptionOverrun);
}

// ---- Length checks of the options a decision depends on.

// RFC 2132 §9.1 (50), §9.2 (51), §9.7 (54), §9.10 (57), RFC 3011 §4 (118):
// fixed lengths.
TEST(DhcpMessageTest, FixedLengthOptionsChecked) {
  struct Case {
    uint8_t code;
    Bytes value;
  };
  const Case cases[] = {
      {50, {192, 0, 2}},
      {50, {192, 0, 2, 10, 0}},
      {50, {}},
      {54, {192, 0, 2, 1, 0}},
      {54, {192, 0, 2}},
      {51, {0, 0, 1}},
      {51, {0, 0, 0, 0, 1}},
      {57, {5}},
      {57, {0, 5, 0xdc}},
      {118, {10, 20, 30}},
      {118, {10, 20, 30, 0, 0}},
  };
  for (const Case& c : cases) {
    const Bytes payload =
        Message(Cat({Opt(53, {1}), Opt(c.code, c.value), {255}}));
    EXPECT_EQ(ParseOnly(payload), Verdict::kBadOptionLength)
        << "option " << int{c.code} << " length " << c.value.size();
  }
}

// RFC 2132 §9.6: option 53 has length 1.
TEST(DhcpMessageTest, MessageTypeLengthChecked) {
  EXPECT_EQ(ParseOnly(Message({53, 0, 255})), Verdict::kBadMessageType);
  EXPECT_EQ(ParseOnly(Message({53, 2, 1, 1, 255})), Verdict::kBadMessageType);
}

// RFC 3046 §2.0: option 82 is a sequence of sub-options that fit.
TEST(DhcpMessageTest, MalformedRelayAgentInfoRejected) {
  for (const Bytes& value : {Bytes{1, 5, 'a'}, Bytes{1}, Bytes{1, 1, 'a', 2},
                             Bytes{1, 1, 'a', 2, 4, 1, 2, 3}}) {
    const Bytes payload = Message(Cat({Opt(53, {1}), Opt(82, value), {255}}));
    EXPECT_EQ(ParseOnly(payload), Verdict::kBadRelayAgentInfo) << value.size();
  }
  const Bytes good = Message(Cat({Opt(53, {1}), Opt(82, {1, 1, 'a'}), {255}}));
  EXPECT_EQ(ParseOnly(good), Verdict::kOk);
}

// ---- CheckServerBound (RFC 2131 §4.3, RFC 951).

Bytes WithOpAndType(uint8_t op, std::optional<uint8_t> type) {
  Bytes options;
  if (type) options = {53, 1, *type};
  options.push_back(255);
  Bytes payload = Message(options);
  payload[0] = op;
  return payload;
}

Verdict ServerBound(uint8_t op, std::optional<uint8_t> type) {
  const Bytes payload = WithOpAndType(op, type);
  DhcpMessage msg;
  const Verdict v = msg.Parse(payload);
  if (v != Verdict::kOk) return v;
  EXPECT_EQ(msg.ParseRequest(payload), msg.CheckServerBound());
  return msg.CheckServerBound();
}

// RFC 2131 §4.3: the server acts on DISCOVER, REQUEST, DECLINE, RELEASE
// and INFORM sent as BOOTREQUEST.
TEST(CheckServerBoundTest, ClientMessagesAccepted) {
  for (uint8_t type : {1, 3, 4, 7, 8}) {
    EXPECT_EQ(ServerBound(kBootRequest, type), Verdict::kOk) << int{type};
  }
}

// RFC 2131 §4.1: servers ignore BOOTREPLY messages (those go to clients).
TEST(CheckServerBoundTest, BootReplyRejected) {
  EXPECT_EQ(ServerBound(kBootReply, std::nullopt), Verdict::kBootReply);
  for (uint8_t type : {2, 5, 6}) {
    EXPECT_EQ(ServerBound(kBootReply, type), Verdict::kBootReply) << int{type};
  }
}

// RFC 2131 §3: client message types travel in BOOTREQUEST only.
TEST(CheckServerBoundTest, BootReplyWithClientTypeIsMismatch) {
  for (uint8_t type : {1, 3, 4, 7, 8}) {
    EXPECT_EQ(ServerBound(kBootReply, type), Verdict::kOpTypeMismatch)
        << int{type};
  }
}

// RFC 2131 §3 / RFC 1534: without option 53 it is BOOTP, not DHCP.
TEST(CheckServerBoundTest, MissingMessageType) {
  EXPECT_EQ(ServerBound(kBootRequest, std::nullopt),
            Verdict::kMissingMessageType);
}

// RFC 2131 §3.1: OFFER, ACK and NAK are sent by servers.
TEST(CheckServerBoundTest, ServerMessageTypesRejected) {
  for (uint8_t type : {2, 5, 6}) {
    EXPECT_EQ(ServerBound(kBootRequest, type), Verdict::kServerMessageType)
        << int{type};
  }
}

// RFC 4388 §6.1: DHCPLEASEQUERY is not served.
TEST(CheckServerBoundTest, LeaseQueryUnsupported) {
  EXPECT_EQ(ServerBound(kBootRequest, 10), Verdict::kUnsupportedMessageType);
}

// RFC 2132 §9.6 / IANA: 0 and unassigned values are not message types.
TEST(CheckServerBoundTest, UnknownMessageTypes) {
  EXPECT_EQ(ServerBound(kBootRequest, 0), Verdict::kUnknownMessageType);
  EXPECT_EQ(ServerBound(kBootRequest, 250), Verdict::kUnknownMessageType);
}

// ---- Robustness.

// Every prefix of a valid message, each an exactly-sized heap copy so
// that ASan catches any read past it, gets a verdict and never crashes.
TEST(DhcpMessageTest, EveryPrefixIsSafe) {
  const Bytes full = AllOptionsRequest();
  DhcpMessage msg;
  for (size_t n = 0; n <= full.size(); ++n) {
    const Bytes prefix(full.begin(), full.begin() + n);
    const Verdict v = msg.Parse(prefix);
    if (n < kFixedHeaderSize) {
      EXPECT_EQ(v, Verdict::kTruncatedBootp) << n;
    } else if (n < kOptionsOffset) {
      EXPECT_EQ(v, Verdict::kBadMagicCookie) << n;
    } else {
      EXPECT_TRUE(v == Verdict::kOk || v == Verdict::kOptionOverrun)
          << n << ": " << VerdictName(v);
    }
    if (v != Verdict::kOk) continue;
    // Touch every accessor.
    size_t total = 0;
    msg.ForEachOption([&](uint8_t, std::span<const uint8_t> value) {
      for (uint8_t b : value) total += b;
    });
    (void)msg.CheckServerBound();
    (void)msg.subnet_mask();
    (void)msg.routers();
    (void)msg.host_name();
    (void)msg.domain_name();
    (void)msg.interface_mtu();
    (void)msg.requested_address();
    (void)msg.lease_time();
    (void)msg.message_type();
    (void)msg.server_identifier();
    (void)msg.parameter_request_list();
    (void)msg.max_message_size();
    (void)msg.client_identifier();
    (void)msg.user_class();
    (void)msg.relay_agent_info();
    (void)msg.subnet_selection();
    (void)msg.classless_static_routes();
    (void)total;
  }
  // The full message is accepted.
  EXPECT_EQ(msg.ParseRequest(full), Verdict::kOk);
}

// Every prefix of the options field of a message using overload, too.
TEST(DhcpMessageTest, EveryPrefixWithOverloadIsSafe) {
  Bytes full = Message(Cat(
      {Opt(53, {1}), Opt(52, {3}), Opt(12, ToBytes("a")), Opt(61, {1, 2, 3})}));
  PutField(full, kFileOffset, Cat({Opt(12, ToBytes("b")), {255}}));
  PutField(full, kSnameOffset, Cat({Opt(12, ToBytes("c")), {255}}));
  DhcpMessage msg;
  for (size_t n = kOptionsOffset; n <= full.size(); ++n) {
    const Bytes prefix(full.begin(), full.begin() + n);
    const Verdict v = msg.Parse(prefix);
    EXPECT_TRUE(v == Verdict::kOk || v == Verdict::kOptionOverrun)
        << n << ": " << VerdictName(v);
  }
  ASSERT_EQ(msg.ParseRequest(full), Verdict::kOk);
  EXPECT_EQ(msg.host_name(), "abc");
}

// ForEachOption visits the present options in ascending code order,
// whatever their order in the message, with their joined values.
TEST(DhcpMessageTest, ForEachOptionInCodeOrder) {
  const Bytes payload = Message(Cat({Opt(61, {1, 2, 3}),
                                     Opt(12, ToBytes("h")),
                                     Opt(53, {1}),
                                     Opt(3, {192, 0, 2, 1}),
                                     Opt(12, ToBytes("2")),
                                     Opt(55, {1, 3}),
                                     {255}}));
  DhcpMessage msg;
  ASSERT_EQ(msg.ParseRequest(payload), Verdict::kOk);
  std::vector<int> codes;
  std::vector<Bytes> values;
  msg.ForEachOption([&](uint8_t code, std::span<const uint8_t> value) {
    codes.push_back(code);
    values.push_back(SpanBytes(value));
  });
  EXPECT_EQ(codes, (std::vector<int>{3, 12, 53, 55, 61}));
  EXPECT_EQ(values,
            (std::vector<Bytes>{
                {192, 0, 2, 1}, ToBytes("h2"), {1}, {1, 3}, {1, 2, 3}}));
}

// ---- Verdict names (stable metric labels).

TEST(VerdictNameTest, DistinctSnakeCaseNames) {
  std::set<std::string_view> names;
  for (int i = 0; i < kVerdictCount; ++i) {
    const std::string_view name = VerdictName(static_cast<Verdict>(i));
    EXPECT_FALSE(name.empty()) << i;
    EXPECT_NE(name, "unknown") << i;
    EXPECT_TRUE(names.insert(name).second) << "duplicate " << name;
    for (char c : name) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
          << name;
    }
  }
  EXPECT_EQ(VerdictName(Verdict::kBadIpChecksum), "bad_ip_checksum");
  EXPECT_EQ(VerdictName(static_cast<Verdict>(200)), "unknown");
}

}  // namespace
}  // namespace leasewire::wire
