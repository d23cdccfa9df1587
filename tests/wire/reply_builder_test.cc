// Tests for MessageWriter and BuildReply: header (RFC 2131 Table 3),
// option order (RFC 2132 §3.3, RFC 3046 §2.2, RFC 6842 §3), size limits
// (RFC 2132 §9.10) and long options (RFC 3396).

#include "leasewire/wire/reply_builder.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "leasewire/wire/dhcp_message.h"
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

constexpr uint8_t kGuard = 0xa5;

Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes SpanBytes(std::span<const uint8_t> s) {
  return Bytes(s.begin(), s.end());
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const Bytes& p : parts) b.insert(b.end(), p.begin(), p.end());
  return b;
}

Bytes Opt(uint8_t code, const Bytes& value) {
  Bytes b = {code, static_cast<uint8_t>(value.size())};
  b.insert(b.end(), value.begin(), value.end());
  return b;
}

// The 44 octets before sname (RFC 2131 Figure 1), with sname, file and
// the magic cookie appended.
Bytes Header(const Bytes& first44) {
  Bytes b = first44;
  b.resize(kFixedHeaderSize, 0x00);
  const Bytes cookie = {0x63, 0x82, 0x53, 0x63};
  b.insert(b.end(), cookie.begin(), cookie.end());
  return b;
}

// RFC 2131 §4.4.1: a client's DHCPDISCOVER, unrelayed.
Bytes HandWrittenDiscover() {
  return Cat({Header({
                  0x01, 0x01, 0x06, 0x00,  // op, htype, hlen, hops
                  0x39, 0x03, 0xf3, 0x26,  // xid
                  0x00, 0x00, 0x80, 0x00,  // secs, flags
                  0,    0,    0,    0,    0,    0,    0, 0,
                  0,    0,    0,    0,    0,    0,    0, 0,
                  0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc, 0, 0,  // chaddr
                  0,    0,    0,    0,    0,    0,    0, 0,
              }),
              {
                  53,  1, 1,                                         //
                  61,  7, 0x01, 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc,  //
                  50,  4, 192,  0,    2,    10,                      //
                  57,  2, 0x05, 0xdc,                                //
                  12,  4, 'c',  'p',  'e',  '1',                     //
                  55,  6, 1,    3,    6,    15,   51,   54,          //
                  255,
              }});
}

const Bytes kRelayInfo = {1,    6, 'e', 't',  'h',  '0',  '/',
                          0x00, 2, 4,   0x0a, 0x0b, 0x0c, 0x0d};

// RFC 2131 §4.4.1 via a relay (RFC 1542 §4.1.1: giaddr set, hops 1), with
// option 82 (RFC 3046) and a parameter request list that also names
// options the server sends anyway (51, 54, 58) and one it lacks (119).
Bytes RelayedDiscover(const Bytes& prl = {3, 1, 6, 15, 51, 54, 58, 119, 42}) {
  return Cat({Header({
                  0x01, 0x01, 0x06, 0x01,  // op, htype, hlen, hops
                  0x39, 0x03, 0xf3, 0x26,  // xid
                  0x00, 0x04, 0x80, 0x00,  // secs 4, broadcast
                  0,    0,    0,    0,     // ciaddr
                  0,    0,    0,    0,     // yiaddr
                  0,    0,    0,    0,     // siaddr
                  10,   0,    0,    1,     // giaddr
                  0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc, 0, 0,  // chaddr
                  0,    0,    0,    0,    0,    0,    0, 0,
              }),
              Opt(53, {1}), Opt(61, {0x01, 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc}),
              Opt(57, {0x05, 0xdc}), Opt(55, prl), Opt(82, kRelayInfo),
              Bytes{255}});
}

// The operator's configured options: a typical set, or none at all (for
// tests whose request list does not name 1, so that whether an unrequested
// subnet mask goes out does not matter).
class Config {
 public:
  explicit Config(bool defaults = true) {
    if (!defaults) return;
    values_[1] = {255, 255, 255, 0};
    values_[3] = {192, 0, 2, 1};
    values_[6] = {192, 0, 2, 53, 192, 0, 2, 54};
    values_[15] = ToBytes("example.net");
    values_[26] = {0x05, 0xdc};
    values_[28] = {192, 0, 2, 255};
    values_[42] = {192, 0, 2, 123};
  }
  void Set(uint8_t code, Bytes value) { values_[code] = std::move(value); }
  std::span<const uint8_t> operator()(uint8_t code) const {
    const auto it = values_.find(code);
    if (it == values_.end()) return {};
    return it->second;
  }

 private:
  std::map<uint8_t, Bytes> values_;
};

struct RawOption {
  uint8_t code;
  Bytes value;
};

// The options of a written message in wire order, up to END, with PADs
// skipped; `end` is END's offset. Fails the test on a malformed area.
std::vector<RawOption> ScanOptions(std::span<const uint8_t> msg,
                                   size_t* end = nullptr) {
  std::vector<RawOption> out;
  size_t i = kOptionsOffset;
  while (true) {
    if (i >= msg.size()) {
      ADD_FAILURE() << "no END";
      return out;
    }
    const uint8_t code = msg[i];
    if (code == 0) {
      ++i;
      continue;
    }
    if (code == 255) {
      if (end != nullptr) *end = i;
      return out;
    }
    if (i + 2 > msg.size() || i + 2 + msg[i + 1] > msg.size()) {
      ADD_FAILURE() << "option " << int{code} << " overruns";
      return out;
    }
    out.push_back(
        {code, Bytes(msg.begin() + i + 2, msg.begin() + i + 2 + msg[i + 1])});
    i += 2 + msg[i + 1];
  }
}

// Option codes as ints, so that gtest prints them as numbers.
std::vector<int> Codes(const std::vector<RawOption>& options) {
  std::vector<int> codes;
  for (const RawOption& o : options) codes.push_back(o.code);
  return codes;
}

bool GuardIntact(const Bytes& buf, size_t from) {
  return std::all_of(buf.begin() + from, buf.end(),
                     [](uint8_t b) { return b == kGuard; });
}

ReplyParams OfferParams(const DhcpMessage& request) {
  ReplyParams p;
  p.header = ReplyHeaderFor(request);
  p.header.yiaddr = Ipv4Address::FromOctets(192, 0, 2, 10);
  p.type = MessageType::kOffer;
  p.server_id = Ipv4Address::FromOctets(192, 0, 2, 1);
  p.lease_time = 3600;
  p.renewal_time = 1800;
  p.rebinding_time = 3150;
  p.max_size = 1500 - 28;
  return p;
}

// ---- ReplyHeaderFor.

// RFC 2131 Table 3 (§4.3.1): op BOOTREPLY; htype, hlen, xid, flags,
// giaddr and chaddr from the request; hops, secs, ciaddr, yiaddr, siaddr
// zero until the server fills them.
TEST(ReplyHeaderForTest, CopiesWhatRfc2131Table3Says) {
  Bytes payload = RelayedDiscover();
  payload[3] = 3;                       // hops
  StoreBe16(&payload[8], 10);           // secs
  StoreBe32(&payload[12], 0xc0000263);  // ciaddr 192.0.2.99
  StoreBe32(&payload[16], 0x01020304);  // yiaddr (nonsense in a request)
  StoreBe32(&payload[20], 0x05060708);  // siaddr
  payload[kChaddrOffset + 10] = 0x5a;   // beyond hlen: still copied
  DhcpMessage request;
  ASSERT_EQ(request.ParseRequest(payload), Verdict::kOk);

  const BootpHeader h = ReplyHeaderFor(request);
  EXPECT_EQ(h.op, kBootReply);
  EXPECT_EQ(h.htype, kHtypeEthernet);
  EXPECT_EQ(h.hlen, 6);
  EXPECT_EQ(h.hops, 0);
  EXPECT_EQ(h.xid, 0x3903f326u);
  EXPECT_EQ(h.secs, 0);
  EXPECT_EQ(h.flags, kBroadcastFlag);
  EXPECT_TRUE(h.ciaddr.IsZero());
  EXPECT_TRUE(h.yiaddr.IsZero());
  EXPECT_TRUE(h.siaddr.IsZero());
  EXPECT_EQ(h.giaddr, Ipv4Address::FromOctets(10, 0, 0, 1));
  EXPECT_EQ(SpanBytes(h.chaddr), SpanBytes(request.chaddr_field()));
  EXPECT_EQ(h.chaddr[0], 0x02);
  EXPECT_EQ(h.chaddr[5], 0xcc);
}

TEST(ReplyHeaderForTest, NoBroadcastFlagStaysClear) {
  Bytes payload = RelayedDiscover();
  StoreBe16(&payload[10], 0);
  StoreBe32(&payload[24], 0);
  DhcpMessage request;
  ASSERT_EQ(request.ParseRequest(payload), Verdict::kOk);
  const BootpHeader h = ReplyHeaderFor(request);
  EXPECT_EQ(h.flags, 0);
  EXPECT_TRUE(h.giaddr.IsZero());
}

// ---- MessageWriter.

TEST(MessageWriterTest, EncodedSize) {
  EXPECT_EQ(MessageWriter::EncodedSize(0), 2u);
  EXPECT_EQ(MessageWriter::EncodedSize(1), 3u);
  EXPECT_EQ(MessageWriter::EncodedSize(255), 257u);
  EXPECT_EQ(MessageWriter::EncodedSize(256), 260u);
  EXPECT_EQ(MessageWriter::EncodedSize(510), 514u);
  EXPECT_EQ(MessageWriter::EncodedSize(511), 517u);
}

// The writer reproduces the hand-written DISCOVER octet for octet (END,
// then zero padding to 300 octets, RFC 1542 §2.1).
TEST(MessageWriterTest, WritesTheHandWrittenDiscover) {
  Bytes expected = HandWrittenDiscover();
  ASSERT_LT(expected.size(), kMinBootpSize);
  expected.resize(kMinBootpSize, 0x00);

  BootpHeader h;
  h.op = kBootRequest;
  h.xid = 0x3903f326;
  h.flags = kBroadcastFlag;
  h.chaddr = {0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc};
  Bytes buf(600, kGuard);
  MessageWriter w(buf, 576);
  ASSERT_TRUE(w.Begin(h));
  EXPECT_EQ(w.size(), kOptionsOffset);
  ASSERT_TRUE(w.AddUint8(option::kMessageType, 1));
  ASSERT_TRUE(w.Add(option::kClientIdentifier,
                    Bytes{0x01, 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc}));
  ASSERT_TRUE(w.AddAddress(option::kRequestedAddress,
                           Ipv4Address::FromOctets(192, 0, 2, 10)));
  ASSERT_TRUE(w.AddUint16(option::kMaxMessageSize, 1500));
  ASSERT_TRUE(w.Add(option::kHostName, ToBytes("cpe1")));
  ASSERT_TRUE(w.Add(option::kParameterRequestList, Bytes{1, 3, 6, 15, 51, 54}));
  EXPECT_EQ(w.Finish(), kMinBootpSize);
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + kMinBootpSize), expected);
  EXPECT_TRUE(GuardIntact(buf, kMinBootpSize));
}

TEST(MessageWriterTest, IntegerEncodings) {
  Bytes buf(400, kGuard);
  MessageWriter w(buf, 400);
  ASSERT_TRUE(w.Begin(BootpHeader{}));
  ASSERT_TRUE(w.AddUint8(116, 1));
  ASSERT_TRUE(w.AddUint16(26, 0x1234));
  ASSERT_TRUE(w.AddUint32(51, 0xdeadbeef));
  ASSERT_TRUE(w.AddAddress(54, Ipv4Address::FromOctets(10, 1, 2, 3)));
  ASSERT_TRUE(w.Add(80, {}));  // RFC 4039 rapid commit: empty value
  const size_t size = w.Finish();
  ASSERT_EQ(size, kMinBootpSize);
  const Bytes expected = {116, 1, 1,                       //
                          26,  2, 0x12, 0x34,              //
                          51,  4, 0xde, 0xad, 0xbe, 0xef,  //
                          54,  4, 10,   1,    2,    3,     //
                          80,  0, 255};
  EXPECT_EQ(Bytes(buf.begin() + kOptionsOffset,
                  buf.begin() + kOptionsOffset + expected.size()),
            expected);
  // Zero padding after END.
  EXPECT_TRUE(std::all_of(buf.begin() + kOptionsOffset + expected.size(),
                          buf.begin() + size,
                          [](uint8_t b) { return b == 0; }));
  // The default header: a BOOTREPLY for Ethernet, RFC 1048 cookie.
  EXPECT_EQ(buf[0], kBootReply);
  EXPECT_EQ(buf[1], kHtypeEthernet);
  EXPECT_EQ(buf[2], 6);
  EXPECT_EQ(LoadBe32(&buf[kFixedHeaderSize]), kMagicCookie);
}

// RFC 3396 §5: a value over 255 octets goes out as consecutive instances.
TEST(MessageWriterTest, LongValueSplitIntoInstances) {
  Bytes value(600);
  for (size_t i = 0; i < value.size(); ++i) {
    value[i] = static_cast<uint8_t>(i);
  }
  Bytes buf(1100, kGuard);
  MessageWriter w(buf, 1000);
  ASSERT_TRUE(w.Begin(BootpHeader{}));
  ASSERT_TRUE(w.Add(224, value));
  EXPECT_EQ(w.size(), kOptionsOffset + 606);
  const size_t size = w.Finish();
  EXPECT_EQ(size, kOptionsOffset + 607);
  const std::vector<RawOption> options =
      ScanOptions(std::span<const uint8_t>(buf.data(), size));
  ASSERT_EQ(options.size(), 3u);
  EXPECT_EQ(options[0].value.size(), 255u);
  EXPECT_EQ(options[1].value.size(), 255u);
  EXPECT_EQ(options[2].value.size(), 90u);
  EXPECT_EQ(Cat({options[0].value, options[1].value, options[2].value}), value);
  EXPECT_TRUE(GuardIntact(buf, 1000));

  DhcpMessage msg;
  ASSERT_EQ(msg.Parse(std::span<const uint8_t>(buf.data(), size)),
            Verdict::kOk);
  EXPECT_EQ(msg.instances(224), 3);
  ASSERT_TRUE(msg.Find(224).has_value());
  EXPECT_EQ(SpanBytes(*msg.Find(224)), value);
}

// Reserve() keeps room for AddReserved(); END's octet is always kept.
TEST(MessageWriterTest, ReserveAndAddReserved) {
  Bytes buf(340, kGuard);
  MessageWriter w(buf, 300);
  ASSERT_TRUE(w.Begin(BootpHeader{}));
  ASSERT_EQ(w.size(), 240u);
  w.Reserve(10);
  // 300 - 240 - 10 reserved - 1 END = 49 octets for Add().
  EXPECT_FALSE(w.Add(12, Bytes(48, 'x')));  // 50 octets
  EXPECT_EQ(w.size(), 240u);
  EXPECT_TRUE(w.Add(12, Bytes(47, 'x')));  // 49 octets
  EXPECT_EQ(w.size(), 289u);
  EXPECT_FALSE(w.AddUint8(53, 2));
  EXPECT_FALSE(w.Add(80, {}));
  EXPECT_EQ(w.size(), 289u);
  EXPECT_TRUE(w.AddReserved(82, Bytes(8, 'r')));  // 10 octets
  EXPECT_EQ(w.size(), 299u);
  EXPECT_EQ(w.Finish(), 300u);
  EXPECT_EQ(buf[299], 255);
  EXPECT_EQ(buf[289], 82);
  EXPECT_EQ(buf[290], 8);
  EXPECT_TRUE(GuardIntact(buf, 300));
}

// A failed Add() writes nothing, and nothing lands past the limit.
TEST(MessageWriterTest, FailedAddWritesNothing) {
  Bytes buf(300, kGuard);
  MessageWriter w(buf, 260);
  ASSERT_TRUE(w.Begin(BootpHeader{}));
  const Bytes before(buf.begin(), buf.end());
  EXPECT_FALSE(w.Add(12, Bytes(300, 'x')));  // split, and too big
  EXPECT_FALSE(w.Add(12, Bytes(18, 'x')));   // 20 > 260 - 240 - 1
  EXPECT_EQ(w.size(), 240u);
  EXPECT_EQ(Bytes(buf.begin(), buf.end()), before);
  EXPECT_TRUE(w.Add(12, Bytes(17, 'x')));  // 19 = 260 - 240 - 1
  EXPECT_EQ(w.Finish(), 260u);             // padded only up to the limit
  EXPECT_EQ(buf[259], 255);
  EXPECT_TRUE(GuardIntact(buf, 260));
}

// The limit is min(out.size(), limit).
TEST(MessageWriterTest, BufferSmallerThanLimit) {
  Bytes storage(320, kGuard);
  const std::span<uint8_t> out(storage.data(), 280);
  MessageWriter w(out, 1000);
  ASSERT_TRUE(w.Begin(BootpHeader{}));
  EXPECT_FALSE(w.Add(12, Bytes(39, 'x')));  // 41 > 280 - 240 - 1
  EXPECT_TRUE(w.Add(12, Bytes(37, 'x')));
  EXPECT_EQ(w.Finish(), 280u);
  EXPECT_TRUE(GuardIntact(storage, 280));
}

TEST(MessageWriterTest, BeginFailsWhenHeaderDoesNotFit) {
  Bytes buf(200, kGuard);
  MessageWriter w(buf, 100);
  EXPECT_FALSE(w.Begin(BootpHeader{}));
  EXPECT_TRUE(GuardIntact(buf, 100));
  MessageWriter tiny(std::span<uint8_t>(buf.data(), 0), 576);
  EXPECT_FALSE(tiny.Begin(BootpHeader{}));
}

// ---- BuildReply.

// RFC 2131 §4.3.1 OFFER with the documented order: 53, 54, 51, 58, 59,
// 1 before 3 (RFC 2132 §3.3), 61 echoed (RFC 6842 §3), the parameter
// request list's order (RFC 2131 §4.3.1), the always-sent ones, then 82
// last and byte for byte (RFC 3046 §2.2), END. Written out by hand.
TEST(BuildReplyTest, OfferMatchesHandWrittenBytes) {
  const Bytes request_bytes = RelayedDiscover();
  DhcpMessage request;
  ASSERT_EQ(request.ParseRequest(request_bytes), Verdict::kOk);
  ReplyParams params = OfferParams(request);
  const Bytes always = {28, 26, 6};
  params.always_send = always;
  const Config config;
  Bytes out(params.max_size + 64, kGuard);
  const ReplyResult result = BuildReply(request, params, config, out);

  const Bytes expected = Cat({
      Header({
          0x02, 0x01, 0x06, 0x00,                    // op, htype, hlen, hops
          0x39, 0x03, 0xf3, 0x26,                    // xid
          0x00, 0x00, 0x80, 0x00,                    // secs, flags
          0,    0,    0,    0,                       // ciaddr
          192,  0,    2,    10,                      // yiaddr
          0,    0,    0,    0,                       // siaddr
          10,   0,    0,    1,                       // giaddr
          0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc, 0, 0,  // chaddr
          0,    0,    0,    0,    0,    0,    0, 0,
      }),
      {
          53,  1,   2,                                             // OFFER
          54,  4,   192,  0,    2,    1,                           //
          51,  4,   0x00, 0x00, 0x0e, 0x10,                        // 3600
          58,  4,   0x00, 0x00, 0x07, 0x08,                        // 1800
          59,  4,   0x00, 0x00, 0x0c, 0x4e,                        // 3150
          1,   4,   255,  255,  255,  0,                           //
          61,  7,   0x01, 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc,      //
          3,   4,   192,  0,    2,    1,                           //
          6,   8,   192,  0,    2,    53,   192,  0,    2,    54,  //
          15,  11,  'e',  'x',  'a',  'm',  'p',  'l',  'e',       // "example
          '.', 'n', 'e',  't',                                     // .net"
          42,  4,   192,  0,    2,    123,                         //
          28,  4,   192,  0,    2,    255,                         //
          26,  2,   0x05, 0xdc,                                    //
      },
      Opt(82, kRelayInfo),
      {255},
  });
  ASSERT_EQ(result.size, expected.size());
  EXPECT_EQ(result.dropped, 0);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + result.size), expected);
  EXPECT_TRUE(GuardIntact(out, params.max_size));
}

// The same OFFER, read back: each option once, 82 last, and a parse as a
// BOOTREPLY gives back every field.
TEST(BuildReplyTest, OfferRoundTrip) {
  const Bytes request_bytes = RelayedDiscover();
  DhcpMessage request;
  ASSERT_EQ(request.ParseRequest(request_bytes), Verdict::kOk);
  ReplyParams params = OfferParams(request);
  const Bytes always = {28, 26, 6};
  params.always_send = always;
  const Config config;
  Bytes out(params.max_size + 64, kGuard);
  const ReplyResult result = BuildReply(request, params, config, out);
  ASSERT_GT(result.size, 0u);
  const std::span<const uint8_t> reply(out.data(), result.size);

  size_t end = 0;
  const std::vector<RawOption> options = ScanOptions(reply, &end);
  EXPECT_EQ(Codes(options), (std::vector<int>{53, 54, 51, 58, 59, 1, 61, 3, 6,
                                              15, 42, 28, 26, 82}));
  ASSERT_FALSE(options.empty());
  EXPECT_EQ(options.back().code, option::kRelayAgentInfo);
  EXPECT_EQ(options.back().value, kRelayInfo);
  EXPECT_EQ(end + 1, result.size);  // over 300 octets: no padding

  DhcpMessage reply_msg;
  ASSERT_EQ(reply_msg.Parse(reply), Verdict::kOk);
  EXPECT_EQ(reply_msg.CheckServerBound(), Verdict::kBootReply);
  EXPECT_EQ(reply_msg.op(), kBootReply);
  EXPECT_EQ(reply_msg.htype(), request.htype());
  EXPECT_EQ(reply_msg.hlen(), request.hlen());
  EXPECT_EQ(reply_msg.hops(), 0);
  EXPECT_EQ(reply_msg.xid(), request.xid());
  EXPECT_EQ(reply_msg.flags(), request.flags());
  EXPECT_EQ(reply_msg.giaddr(), request.giaddr());
  EXPECT_EQ(reply_msg.yiaddr(), Ipv4Address::FromOctets(192, 0, 2, 10));
  EXPECT_EQ(SpanBytes(reply_msg.chaddr_field()),
            SpanBytes(request.chaddr_field()));
  EXPECT_EQ(reply_msg.message_type(), MessageType::kOffer);
  EXPECT_EQ(reply_msg.server_identifier(), params.server_id);
  EXPECT_EQ(reply_msg.lease_time(), 3600u);
  EXPECT_EQ(reply_msg.renewal_time(), 1800u);
  EXPECT_EQ(reply_msg.rebinding_time(), 3150u);
  EXPECT_EQ(reply_msg.subnet_mask(), Ipv4Address::FromOctets(255, 255, 255, 0));
  ASSERT_TRUE(reply_msg.domain_name_servers().has_value());
  EXPECT_EQ(reply_msg.domain_name_servers()->size(), 2u);
  EXPECT_EQ(reply_msg.domain_name(), "example.net");
  EXPECT_EQ(reply_msg.interface_mtu(), 1500);
  ASSERT_TRUE(reply_msg.client_identifier().has_value());
  EXPECT_EQ(SpanBytes(*reply_msg.client_identifier()),
            SpanBytes(*request.client_identifier()));
  ASSERT_TRUE(reply_msg.relay_agent_info().has_value());
  EXPECT_EQ(SpanBytes(reply_msg.relay_agent_info()->raw()), kRelayInfo);
  for (int code = 1; code < 255; ++code) {
    EXPECT_LE(reply_msg.instances(static_cast<uint8_t>(code)), 1) << code;
  }
  EXPECT_FALSE(reply_msg.Has(option::kDomainSearch));  // not configured
  EXPECT_FALSE(reply_msg.Has(option::kParameterRequestList));
  EXPECT_FALSE(reply_msg.Has(option::kMaxMessageSize));
}

// RFC 1542 §2.1 (via RFC 2131 §2): replies are padded to at least 300
// octets; a reply without 61, 82 or a parameter request list carries the
// fixed options and the always-sent ones only.
TEST(BuildReplyTest, ShortReplyPaddedTo300) {
  const Bytes request_bytes = HandWrittenDiscover();
  DhcpMessage request;
  ASSERT_EQ(request.ParseRequest(request_bytes), Verdict::kOk);
  ReplyParams params = OfferParams(request);
  const Bytes always = {1};
  params.always_send = always;
  Bytes out(params.max_size + 64, kGuard);
  // An empty configuration: nothing but what the server itself adds.
  const auto nothing = [](uint8_t) { return std::span<const uint8_t>(); };
  const ReplyResult result = BuildReply(request, params, nothing, out);
  ASSERT_EQ(result.size, kMinBootpSize);
  const std::span<const uint8_t> reply(out.data(), result.size);
  size_t end = 0;
  const std::vector<RawOption> options = ScanOptions(reply, &end);
  // 61 echoed (RFC 6842 §3); the request's PRL names 1, 3, 6, 15, 51, 54.
  EXPECT_EQ(Codes(options), (std::vector<int>{53, 54, 51, 58, 59, 61}));
  EXPECT_TRUE(std::all_of(out.begin() + end + 1, out.begin() + result.size,
                          [](uint8_t b) { return b == 0; }));
  DhcpMessage reply_msg;
  EXPECT_EQ(reply_msg.Parse(reply), Verdict::kOk);
  EXPECT_TRUE(GuardIntact(out, params.max_size));
}

// RFC 6842 §3 only echoes what was sent: no 61 or 82 out of nothing.
TEST(BuildReplyTest, NoClientIdOrRelayInfoWhenRequestHasNone) {
  Bytes request_bytes = Cat({Header({0x01, 0x01, 0x06, 0x00, 0, 0, 0, 7}),
                             {53, 1, 1, 55, 2, 3, 1, 255}});
  std::fill(request_bytes.begin() + kChaddrOffset,
            request_bytes.begin() + kChaddrOffset + 6, 0x02);
  DhcpMessage request;
  ASSERT_EQ(request.ParseRequest(request_bytes), Verdict::kOk);
  const ReplyParams params = OfferParams(request);
  const Config config;
  Bytes out(params.max_size);
  const ReplyResult result = BuildReply(request, params, config, out);
  ASSERT_GT(result.size, 0u);
  const std::vector<RawOption> options =
      ScanOptions(std::span<const uint8_t>(out.data(), result.size));
  EXPECT_EQ(Codes(options), (std::vector<int>{53, 54, 51, 58, 59, 1, 3}));
}

// RFC 2131 §4.3.5: an ACK to an INFORM carries no lease times.
TEST(BuildReplyTest, InformAckHasNoLeaseTimes) {
  Bytes request_bytes = RelayedDiscover({1, 3, 51});
  request_bytes[kOptionsOffset + 2] = 8;  // DHCPINFORM
  DhcpMessage request;
  ASSERT_EQ(request.ParseRequest(request_bytes), Verdict::kOk);
  ASSERT_EQ(request.message_type(), MessageType::kInform);
  ReplyParams params = OfferParams(request);
  params.type = MessageType::kAck;
  params.header.yiaddr = Ipv4Address();
  params.lease_time.reset();
  params.renewal_time.reset();
  params.rebinding_time.reset();
  const Config config;
  Bytes out(params.max_size);
  const ReplyResult result = BuildReply(request, params, config, out);
  ASSERT_GT(result.size, 0u);
  const std::vector<RawOption> options =
      ScanOptions(std::span<const uint8_t>(out.data(), result.size));
  EXPECT_EQ(Codes(options), (std::vector<int>{53, 54, 1, 61, 3, 82}));
  EXPECT_EQ(options[0].value, (Bytes{5}));
}

// RFC 2131 Table 3: a DHCPNAK carries 53, 54, 56, 61 and 82 only, even
// when the client asks for more and the operator always sends more.
TEST(BuildReplyTest, NakCarriesOnlyTable3Options) {
  const Bytes request_bytes = RelayedDiscover();
  DhcpMessage request;
  ASSERT_EQ(request.ParseRequest(request_bytes), Verdict::kOk);
  ReplyParams params;
  params.header = ReplyHeaderFor(request);
  params.type = MessageType::kNak;
  params.server_id = Ipv4Address::FromOctets(192, 0, 2, 1);
  const Bytes text = ToBytes("wrong subnet");
  params.message = text;
  const Bytes always = {28, 26};
  params.always_send = always;
  const Config config;
  Bytes out(params.max_size + 64, kGuard);
  const ReplyResult result = BuildReply(request, params, config, out);
  ASSERT_EQ(result.size, kMinBootpSize);  // small: padded
  const std::span<const uint8_t> reply(out.data(), result.size);
  const std::vector<RawOption> options = ScanOptions(reply);
  const std::vector<int> codes = Codes(options);
  EXPECT_EQ(std::set<int>(codes.begin(), codes.end()),
            (std::set<int>{53, 54, 56, 61, 82}));
  EXPECT_EQ(codes.size(), 5u);
  ASSERT_FALSE(options.empty());
  EXPECT_EQ(options.front().code, 53);
  EXPECT_EQ(options.front().value, (Bytes{6}));
  EXPECT_EQ(options.back().code, 82);
  EXPECT_EQ(options.back().value, kRelayInfo);

  DhcpMessage reply_msg;
  ASSERT_EQ(reply_msg.Parse(reply), Verdict::kOk);
  EXPECT_EQ(reply_msg.message_type(), MessageType::kNak);
  EXPECT_EQ(reply_msg.GetString(option::kMessage), "wrong subnet");
  EXPECT_TRUE(GuardIntact(out, params.max_size));
}

// RFC 2131 Table 3: lease time, T1 and T2 are "MUST NOT" in a DHCPNAK;
// BuildReply() promises 53, 54, 56, 61 and 82 only, whatever the params.
TEST(BuildReplyTest, NakNeverCarriesLeaseTimes) {
  const Bytes request_bytes = RelayedDiscover();
  DhcpMessage request;
  ASSERT_EQ(request.ParseRequest(request_bytes), Verdict::kOk);
  ReplyParams params = OfferParams(request);
  params.type = MessageType::kNak;
  params.header.yiaddr = Ipv4Address();
  const Config config;
  Bytes out(params.max_size);
  const ReplyResult result = BuildReply(request, params, config, out);
  ASSERT_GT(result.size, 0u);
  const std::vector<int> codes =
      Codes(ScanOptions(std::span<const uint8_t>(out.data(), result.size)));
  EXPECT_EQ(codes, (std::vector<int>{53, 54, 61, 82}));
}

// Configured options that make the reply too large for max_size: optional
// ones are left out whole, later ones in the request list first, and
// counted; mandatory ones and 82 stay (RFC 2132 §9.10).
TEST(BuildReplyTest, OptionalOptionsDroppedToFitMaxSize) {
  const Bytes request_bytes = RelayedDiscover({224, 225, 226, 227});
  DhcpMessage request;
  ASSERT_EQ(request.ParseRequest(request_bytes), Verdict::kOk);
  ReplyParams params = OfferParams(request);
  params.max_size = 576 - 28;
  Config config(false);
  for (uint8_t code = 224; code <= 227; ++code)
    config.Set(code, Bytes(200, code));
  Bytes out(params.max_size + 64, kGuard);
  const ReplyResult result = BuildReply(request, params, config, out);
  // Mandatory: 240 + 3 + 6 + 3 * 6 + 9 (61) + 16 (82) + 1 (END) = 293,
  // leaving room for exactly one 202-octet option.
  ASSERT_GT(result.size, 0u);
  EXPECT_LE(result.size, params.max_size);
  EXPECT_EQ(result.dropped, 3);
  const std::span<const uint8_t> reply(out.data(), result.size);
  const std::vector<RawOption> options = ScanOptions(reply);
  EXPECT_EQ(Codes(options),
            (std::vector<int>{53, 54, 51, 58, 59, 61, 224, 82}));
  DhcpMessage reply_msg;
  ASSERT_EQ(reply_msg.Parse(reply), Verdict::kOk);
  ASSERT_TRUE(reply_msg.Find(224).has_value());
  EXPECT_EQ(reply_msg.Find(224)->size(), 200u);  // whole, not cut
  EXPECT_FALSE(reply_msg.Has(225));
  EXPECT_FALSE(reply_msg.Has(226));
  EXPECT_FALSE(reply_msg.Has(227));
  EXPECT_TRUE(GuardIntact(out, params.max_size));
}

// The buffer can be the tighter bound: out.size() below max_size.
TEST(BuildReplyTest, SmallOutputBufferHonoured) {
  const Bytes request_bytes = RelayedDiscover({224, 225});
  DhcpMessage request;
  ASSERT_EQ(request.ParseRequest(request_bytes), Verdict::kOk);
  const ReplyParams params = OfferParams(request);  // max_size 1472
  Config config(false);
  config.Set(224, Bytes(100, 1));
  config.Set(225, Bytes(100, 2));
  Bytes storage(500, kGuard);
  const std::span<uint8_t> out(storage.data(), 420);
  const ReplyResult result = BuildReply(request, params, config, out);
  ASSERT_GT(result.size, 0u);
  EXPECT_LE(result.size, 420u);
  EXPECT_EQ(result.dropped, 1);
  EXPECT_TRUE(GuardIntact(storage, 420));
}

// When even the mandatory options (and 82) do not fit, nothing is sent.
TEST(BuildReplyTest, MandatoryOptionsThatDoNotFitFail) {
  const Bytes request_bytes = RelayedDiscover();
  DhcpMessage request;
  ASSERT_EQ(request.ParseRequest(request_bytes), Verdict::kOk);
  ReplyParams params = OfferParams(request);
  params.max_size = 280;  // mandatory options need 293
  const Config config;
  Bytes out(400, kGuard);
  const ReplyResult result = BuildReply(request, params, config, out);
  EXPECT_EQ(result.size, 0u);
  EXPECT_TRUE(GuardIntact(out, 280));
}

// RFC 3396 §5: a configured value over 255 octets is split into several
// instances and parses back joined.
TEST(BuildReplyTest, LongOptionSplitAndJoinedBack) {
  const Bytes request_bytes = RelayedDiscover({3, 224});
  DhcpMessage request;
  ASSERT_EQ(request.ParseRequest(request_bytes), Verdict::kOk);
  const ReplyParams params = OfferParams(request);
  Bytes value(600);
  for (size_t i = 0; i < value.size(); ++i) {
    value[i] = static_cast<uint8_t>(i * 13);
  }
  Config config(false);
  config.Set(3, {192, 0, 2, 1});
  config.Set(224, value);
  Bytes out(params.max_size + 64, kGuard);
  const ReplyResult result = BuildReply(request, params, config, out);
  ASSERT_GT(result.size, 0u);
  EXPECT_EQ(result.dropped, 0);
  const std::span<const uint8_t> reply(out.data(), result.size);
  const std::vector<RawOption> options = ScanOptions(reply);
  EXPECT_EQ(Codes(options),
            (std::vector<int>{53, 54, 51, 58, 59, 61, 3, 224, 224, 224, 82}));
  DhcpMessage reply_msg;
  ASSERT_EQ(reply_msg.Parse(reply), Verdict::kOk);
  EXPECT_EQ(reply_msg.instances(224), 3);
  ASSERT_TRUE(reply_msg.Find(224).has_value());
  EXPECT_EQ(SpanBytes(*reply_msg.Find(224)), value);
  EXPECT_TRUE(GuardIntact(out, params.max_size));
}

}  // namespace
}  // namespace leasewire::wire
