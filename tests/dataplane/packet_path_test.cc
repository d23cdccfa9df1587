// Tests for the data plane's per-frame decisions (packet_path.h): ARP and
// ICMP echo answered in place, DHCP handed on, everything else dropped
// with its reason, and the headers of DHCP replies. No EAL is needed: the
// functions work on byte spans.
//
// DHCP frames are built with the wire layer's writers; ARP and ICMP frames
// by hand, with their checksums from an independent RFC 1071 sum so that a
// fault in wire::ChecksumAdd cannot hide a fault in the answers.

#include "leasewire/dataplane/packet_path.h"

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine_test_util.h"
#include "gtest/gtest.h"
#include "leasewire/wire/checksum.h"
#include "leasewire/wire/dhcp_message.h"
#include "leasewire/wire/frame.h"
#include "leasewire/wire/options.h"
#include "leasewire/wire/reply_builder.h"

namespace leasewire::wire {
void PrintTo(Verdict v, std::ostream* os) { *os << VerdictName(v); }
}  // namespace leasewire::wire

namespace leasewire::dataplane {

void PrintTo(Drop drop, std::ostream* os) { *os << DropName(drop); }
void PrintTo(FrameKind kind, std::ostream* os) {
  switch (kind) {
    case FrameKind::kDhcp:
      *os << "dhcp";
      return;
    case FrameKind::kArpReply:
      *os << "arp_reply";
      return;
    case FrameKind::kIcmpReply:
      *os << "icmp_reply";
      return;
    case FrameKind::kDrop:
      *os << "drop";
      return;
  }
  *os << "kind " << static_cast<int>(kind);
}

namespace {

using engine::test::Bytes;
using engine::test::Ip;
using engine::test::Mac;
using engine::test::RequestBuilder;
using wire::ChecksumCheck;
using wire::LoadBe16;
using wire::MessageType;
using wire::Verdict;

// 802.1Q / 802.1ad tags, outermost first: (TPID, TCI).
using Tags = std::vector<std::pair<uint16_t, uint16_t>>;

const MacAddress kOurMac = MacAddress({0x02, 0x00, 0x00, 0x00, 0x00, 0xfe});
const Ipv4Address kOurIp = Ip("192.0.2.1");
const MacAddress kPeerMac = Mac(0x11);
const Ipv4Address kPeerIp = Ip("192.0.2.50");
const PortIdentity kPort{kOurMac, kOurIp};
const PortIdentity kPortWithoutAddress{kOurMac, Ipv4Address()};

const Tags kNoTags = {};
const Tags kOneTag = {{wire::kEtherTypeVlan, 0x0064}};
const Tags kTwoTags = {{wire::kEtherTypeQinQ, 0x2005},
                       {wire::kEtherTypeVlan, 0x0c01}};
const std::vector<Tags> kAllTagSets = {kNoTags, kOneTag, kTwoTags};

constexpr uint8_t kIpProtoTcp = 6;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;

void Put16(Bytes* b, uint16_t v) {
  b->push_back(static_cast<uint8_t>(v >> 8));
  b->push_back(static_cast<uint8_t>(v));
}
void PutMac(Bytes* b, const MacAddress& m) {
  b->insert(b->end(), m.bytes().begin(), m.bytes().end());
}
void PutIp(Bytes* b, Ipv4Address a) {
  uint8_t o[4];
  a.Store(o);
  b->insert(b->end(), o, o + 4);
}

// RFC 1071, written independently of wire::ChecksumAdd.
uint16_t RefChecksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i < n; i += 2) {
    sum += uint32_t{p[i]} << 8;
    if (i + 1 < n) sum += p[i + 1];
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Whether the octets hold a correct Internet checksum, per the wire layer.
bool ChecksumOk(std::span<const uint8_t> data) {
  return wire::ChecksumFinish(wire::ChecksumAdd(data)) == 0;
}

Bytes EthernetHeader(const MacAddress& dst, const MacAddress& src,
                     const Tags& tags, uint16_t ether_type) {
  Bytes b;
  PutMac(&b, dst);
  PutMac(&b, src);
  for (const auto& [tpid, tci] : tags) {
    Put16(&b, tpid);
    Put16(&b, tci);
  }
  Put16(&b, ether_type);
  return b;
}

size_t L3Offset(const Tags& tags) {
  return wire::kEthernetHeaderSize + wire::kVlanTagSize * tags.size();
}

// An ARP packet (RFC 826) in an Ethernet frame. Defaults: a broadcast
// request from the peer asking for our address.
struct ArpSpec {
  MacAddress eth_dst = MacAddress::Broadcast();
  MacAddress eth_src = kPeerMac;
  Tags tags;
  uint16_t htype = 1;
  uint16_t ptype = wire::kEtherTypeIpv4;
  uint8_t hlen = 6;
  uint8_t plen = 4;
  uint16_t op = 1;
  MacAddress sha = kPeerMac;
  Ipv4Address spa = kPeerIp;
  MacAddress tha;  // zero in a request
  Ipv4Address tpa = kOurIp;
  size_t pad_to = 0;  // Ethernet minimum frames are padded to 60
};

Bytes ArpFrame(const ArpSpec& s) {
  Bytes b = EthernetHeader(s.eth_dst, s.eth_src, s.tags, wire::kEtherTypeArp);
  Put16(&b, s.htype);
  Put16(&b, s.ptype);
  b.push_back(s.hlen);
  b.push_back(s.plen);
  Put16(&b, s.op);
  PutMac(&b, s.sha);
  PutIp(&b, s.spa);
  PutMac(&b, s.tha);
  PutIp(&b, s.tpa);
  if (b.size() < s.pad_to) b.resize(s.pad_to, 0);
  return b;
}

// An IPv4 datagram (ICMP by default) in an Ethernet frame. Defaults: an
// echo request from the peer to our address with 11 octets of data (odd,
// so the checksum's padding rule is exercised).
struct IpSpec {
  MacAddress eth_dst = kOurMac;
  MacAddress eth_src = kPeerMac;
  Tags tags;
  uint8_t version = 4;
  Bytes options;  // a multiple of 4 octets
  uint16_t id = 0x1c46;
  uint16_t frag = 0x4000;  // DF
  uint8_t ttl = 57;
  uint8_t protocol = wire::kIpProtoIcmp;
  Ipv4Address src = kPeerIp;
  Ipv4Address dst = kOurIp;
  // ICMP (RFC 792): type, code, identifier, sequence number, data. When
  // protocol is not ICMP, `data` is the whole transport payload.
  uint8_t icmp_type = 8;
  uint8_t icmp_code = 0;
  uint16_t icmp_id = 0x4242;
  uint16_t icmp_seq = 7;
  Bytes data = {'l', 'e', 'a', 's', 'e', 'w', 'i', 'r', 'e', '!', '?'};
  bool corrupt_ip_checksum = false;
  bool corrupt_icmp_checksum = false;
  size_t pad_to = 0;
};

Bytes IpFrame(const IpSpec& s) {
  Bytes b = EthernetHeader(s.eth_dst, s.eth_src, s.tags, wire::kEtherTypeIpv4);
  const size_t l3 = b.size();
  const size_t ihl = wire::kIpv4HeaderSize + s.options.size();
  Bytes l4;
  if (s.protocol == wire::kIpProtoIcmp) {
    l4 = {s.icmp_type, s.icmp_code, 0, 0};
    Put16(&l4, s.icmp_id);
    Put16(&l4, s.icmp_seq);
    l4.insert(l4.end(), s.data.begin(), s.data.end());
    uint16_t sum = RefChecksum(l4.data(), l4.size());
    if (s.corrupt_icmp_checksum) sum ^= 0x0101;
    l4[2] = static_cast<uint8_t>(sum >> 8);
    l4[3] = static_cast<uint8_t>(sum);
  } else {
    l4 = s.data;
  }
  b.push_back(static_cast<uint8_t>((s.version << 4) | (ihl / 4)));
  b.push_back(0);  // TOS
  Put16(&b, static_cast<uint16_t>(ihl + l4.size()));
  Put16(&b, s.id);
  Put16(&b, s.frag);
  b.push_back(s.ttl);
  b.push_back(s.protocol);
  Put16(&b, 0);
  PutIp(&b, s.src);
  PutIp(&b, s.dst);
  b.insert(b.end(), s.options.begin(), s.options.end());
  uint16_t sum = RefChecksum(b.data() + l3, ihl);
  if (s.corrupt_ip_checksum) sum ^= 0x0101;
  b[l3 + 10] = static_cast<uint8_t>(sum >> 8);
  b[l3 + 11] = static_cast<uint8_t>(sum);
  b.insert(b.end(), l4.begin(), l4.end());
  if (b.size() < s.pad_to) b.resize(s.pad_to, 0);
  return b;
}

// A client's DHCPDISCOVER in a frame written by wire::WriteFrameHeaders.
struct DhcpSpec {
  Tags tags;
  uint16_t dst_port = wire::kDhcpServerPort;
  Ipv4Address ip_src;
  Ipv4Address ip_dst = Ipv4Address::Broadcast();
  MacAddress eth_dst = MacAddress::Broadcast();
};

Bytes DhcpPayload() {
  return RequestBuilder(MessageType::kDiscover)
      .Xid(0xfeedf00d)
      .Chaddr(kPeerMac)
      .ParameterRequestList({1, 3, 6})
      .Encode();
}

Bytes DhcpFrame(const DhcpSpec& s, const Bytes& payload = DhcpPayload()) {
  wire::FrameSpec spec;
  spec.eth_dst = s.eth_dst;
  spec.eth_src = kPeerMac;
  spec.nb_vlan = static_cast<uint8_t>(s.tags.size());
  for (size_t i = 0; i < s.tags.size(); ++i) {
    spec.vlan_tpid[i] = s.tags[i].first;
    spec.vlan_tci[i] = s.tags[i].second;
  }
  spec.ip_src = s.ip_src;
  spec.ip_dst = s.ip_dst;
  spec.src_port = wire::kDhcpClientPort;
  spec.dst_port = s.dst_port;
  const size_t header = wire::FrameHeaderSize(spec.nb_vlan);
  Bytes b(header + payload.size());
  std::copy(payload.begin(), payload.end(), b.begin() + header);
  const size_t n = wire::WriteFrameHeaders(spec, b, payload.size());
  EXPECT_EQ(n, b.size()) << "the wire writer refused the test frame";
  return b;
}

Classification Classify(Bytes& frame, const PortIdentity& port = kPort,
                        ChecksumCheck check = ChecksumCheck::kVerify) {
  return ClassifyFrame(frame, port, check);
}

// Checks that a frame was left alone and dropped for `drop`.
void ExpectDropped(Bytes frame, Drop drop, const PortIdentity& port = kPort) {
  const Bytes before = frame;
  const Classification c = Classify(frame, port);
  EXPECT_EQ(c.kind, FrameKind::kDrop);
  EXPECT_EQ(c.drop, drop);
  EXPECT_EQ(frame, before) << "a dropped frame must not be modified";
}

// ---------------------------------------------------------------------------
// ARP (RFC 826).

// RFC 826 "Packet Reception": a request whose target protocol address is
// ours becomes the reply: op REPLY, the sender fields move to the target
// fields, ours go into the sender fields, and it goes back to the
// requester. Tags and Ethernet padding are kept.
TEST(ArpTest, RequestForOurAddressIsAnsweredInPlaceRfc826) {
  for (const Tags& tags : kAllTagSets) {
    SCOPED_TRACE(testing::Message() << tags.size() << " VLAN tags");
    ArpSpec s;
    s.tags = tags;
    s.pad_to = 60 + 4 * tags.size();
    Bytes frame = ArpFrame(s);
    const Bytes request = frame;

    const Classification c = Classify(frame);
    ASSERT_EQ(c.kind, FrameKind::kArpReply);
    ASSERT_EQ(frame.size(), request.size());
    EXPECT_EQ(c.view.nb_vlan, tags.size());

    EXPECT_EQ(MacAddress::Load(&frame[0]), kPeerMac) << "Ethernet dst";
    EXPECT_EQ(MacAddress::Load(&frame[6]), kOurMac) << "Ethernet src";
    // Tags and EtherType untouched.
    EXPECT_TRUE(std::equal(frame.begin() + 12, frame.begin() + L3Offset(tags),
                           request.begin() + 12));
    const uint8_t* arp = &frame[L3Offset(tags)];
    EXPECT_EQ(LoadBe16(arp), 1) << "htype";
    EXPECT_EQ(LoadBe16(arp + 2), wire::kEtherTypeIpv4) << "ptype";
    EXPECT_EQ(arp[4], 6);
    EXPECT_EQ(arp[5], 4);
    EXPECT_EQ(LoadBe16(arp + 6), 2) << "op must be REPLY";
    EXPECT_EQ(MacAddress::Load(arp + 8), kOurMac) << "sender MAC";
    EXPECT_EQ(Ipv4Address::Load(arp + 14), kOurIp) << "sender IP";
    EXPECT_EQ(MacAddress::Load(arp + 18), kPeerMac) << "target MAC";
    EXPECT_EQ(Ipv4Address::Load(arp + 24), kPeerIp) << "target IP";
    // Ethernet padding after the ARP packet is not ours to change.
    EXPECT_TRUE(std::equal(frame.begin() + L3Offset(tags) + 28, frame.end(),
                           request.begin() + L3Offset(tags) + 28));
  }
}

// A unicast re-validation request (RFC 826 allows any destination; RFC
// 5227 §2.3 and Linux send them unicast) is answered the same way.
TEST(ArpTest, UnicastRequestIsAnsweredRfc826) {
  ArpSpec s;
  s.eth_dst = kOurMac;
  s.tha = kOurMac;
  Bytes frame = ArpFrame(s);
  ASSERT_EQ(Classify(frame).kind, FrameKind::kArpReply);
  EXPECT_EQ(MacAddress::Load(&frame[0]), kPeerMac);
  EXPECT_EQ(MacAddress::Load(&frame[14 + 18]), kPeerMac);
  EXPECT_EQ(Ipv4Address::Load(&frame[14 + 24]), kPeerIp);
}

// RFC 826: the reply is sent "to the (new) target hardware address", i.e.
// the requester's sender hardware address from the ARP packet, which need
// not be the Ethernet source (e.g. a request forwarded by a bridge that
// rewrote the source MAC).
TEST(ArpTest, ReplyGoesToSenderHardwareAddressRfc826) {
  ArpSpec s;
  s.eth_src = Mac(0x77);  // differs from s.sha
  Bytes frame = ArpFrame(s);
  ASSERT_EQ(Classify(frame).kind, FrameKind::kArpReply);
  EXPECT_EQ(MacAddress::Load(&frame[14 + 18]), kPeerMac) << "target MAC";
  EXPECT_EQ(MacAddress::Load(&frame[0]), kPeerMac)
      << "Ethernet dst should be the ARP sender hardware address";
}

// RFC 826: "Am I the target protocol address? No: discard".
TEST(ArpTest, RequestForAnotherAddressIsNotForUsRfc826) {
  ArpSpec s;
  s.tpa = Ip("192.0.2.2");
  ExpectDropped(ArpFrame(s), Drop::kArpNotForUs);
  s.tpa = kPeerIp;  // gratuitous ARP announcing the peer (RFC 5227 §3)
  s.spa = kPeerIp;
  ExpectDropped(ArpFrame(s), Drop::kArpNotForUs);
}

// RFC 826: only a REQUEST is answered; a reply (even one naming our
// address) and unknown opcodes are not.
TEST(ArpTest, RepliesAndOtherOpcodesAreNotAnsweredRfc826) {
  for (uint16_t op : {uint16_t{2}, uint16_t{0}, uint16_t{3}, uint16_t{8}}) {
    SCOPED_TRACE(testing::Message() << "op " << op);
    ArpSpec s;
    s.op = op;
    s.eth_dst = kOurMac;
    s.tha = kOurMac;
    ExpectDropped(ArpFrame(s), Drop::kArpNotForUs);
  }
}

// RFC 826: "?Do I have the hardware type in ar$hrd? ... ?Do I speak the
// protocol in ar$pro?": only Ethernet (1) / IPv4 (0x0800) with 6- and
// 4-octet addresses is ours.
TEST(ArpTest, NonEthernetOrNonIpv4ArpIsNotForUsRfc826) {
  {
    ArpSpec s;
    s.htype = 6;  // IEEE 802
    ExpectDropped(ArpFrame(s), Drop::kArpNotForUs);
  }
  {
    ArpSpec s;
    s.ptype = kEtherTypeIpv6;
    ExpectDropped(ArpFrame(s), Drop::kArpNotForUs);
  }
  {
    ArpSpec s;
    s.hlen = 8;
    ExpectDropped(ArpFrame(s), Drop::kArpNotForUs);
  }
  {
    ArpSpec s;
    s.plen = 16;
    ExpectDropped(ArpFrame(s), Drop::kArpNotForUs);
  }
}

// A port with no address of its own owns no address to answer for, not
// even 0.0.0.0 (an RFC 5227 probe's sender address).
TEST(ArpTest, PortWithoutAddressAnswersNothing) {
  ArpSpec s;
  ExpectDropped(ArpFrame(s), Drop::kArpNotForUs, kPortWithoutAddress);
  s.tpa = Ipv4Address();
  ExpectDropped(ArpFrame(s), Drop::kArpNotForUs, kPortWithoutAddress);
}

// ---------------------------------------------------------------------------
// ICMP echo (RFC 792, RFC 1122 §3.2.2.6).

// Checks `reply` is the RFC 792 echo reply to `request`: type 0, code 0,
// identifier, sequence and data echoed, valid ICMP and IPv4 checksums,
// addresses swapped, TTL 64, IP options and Ethernet padding kept, MACs
// back to the sender.
void ExpectEchoReply(const Bytes& request, const Bytes& reply,
                     const Tags& tags) {
  ASSERT_EQ(reply.size(), request.size());
  const size_t l3 = L3Offset(tags);
  EXPECT_EQ(MacAddress::Load(&reply[0]), MacAddress::Load(&request[6]));
  EXPECT_EQ(MacAddress::Load(&reply[6]), kOurMac);
  EXPECT_TRUE(
      std::equal(reply.begin() + 12, reply.begin() + l3, request.begin() + 12))
      << "VLAN tags and EtherType must be kept";

  const uint8_t* ip = &reply[l3];
  const uint8_t* req_ip = &request[l3];
  const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
  const size_t total = LoadBe16(ip + 2);
  ASSERT_EQ(ip[0], req_ip[0]) << "version and IHL kept";
  ASSERT_EQ(total, LoadBe16(req_ip + 2)) << "total length kept";
  ASSERT_LE(l3 + total, reply.size());
  EXPECT_TRUE(ChecksumOk({ip, ihl})) << "IPv4 header checksum";
  EXPECT_EQ(ip[8], 64) << "TTL";
  EXPECT_EQ(ip[9], wire::kIpProtoIcmp);
  EXPECT_EQ(Ipv4Address::Load(ip + 12), kOurIp) << "IP source";
  EXPECT_EQ(Ipv4Address::Load(ip + 16), Ipv4Address::Load(req_ip + 12))
      << "IP destination";
  EXPECT_TRUE(std::equal(ip + 20, ip + ihl, req_ip + 20)) << "IP options";

  const uint8_t* icmp = ip + ihl;
  const uint8_t* req_icmp = req_ip + ihl;
  EXPECT_EQ(icmp[0], 0) << "type echo reply";
  EXPECT_EQ(icmp[1], 0) << "code";
  EXPECT_TRUE(ChecksumOk({icmp, total - ihl})) << "ICMP checksum";
  EXPECT_TRUE(std::equal(icmp + 4, ip + total, req_icmp + 4))
      << "identifier, sequence number and data echoed";
  EXPECT_TRUE(std::equal(reply.begin() + l3 + total, reply.end(),
                         request.begin() + l3 + total))
      << "Ethernet padding untouched";
}

// RFC 792 "Echo or Echo Reply Message": addresses reversed, type 8 -> 0,
// checksum recomputed; RFC 1122 §3.2.2.6: data echoed whole. Tagged
// frames (1 and 2 tags) keep their tags.
TEST(IcmpTest, EchoRequestToUsIsAnsweredInPlaceRfc792) {
  for (const Tags& tags : kAllTagSets) {
    SCOPED_TRACE(testing::Message() << tags.size() << " VLAN tags");
    IpSpec s;
    s.tags = tags;
    Bytes frame = IpFrame(s);
    const Bytes request = frame;
    const Classification c = Classify(frame);
    ASSERT_EQ(c.kind, FrameKind::kIcmpReply);
    EXPECT_EQ(c.view.nb_vlan, tags.size());
    ExpectEchoReply(request, frame, tags);
  }
}

// RFC 1122 §3.2.2.6 / RFC 792: IP options of the request stay in the
// reply's header (here NOPs and END, which need no processing) and the
// header checksum covers them.
TEST(IcmpTest, EchoWithIpOptionsKeepsThemRfc792) {
  for (const Tags& tags : {kNoTags, kTwoTags}) {
    SCOPED_TRACE(testing::Message() << tags.size() << " VLAN tags");
    IpSpec s;
    s.tags = tags;
    s.options = {0x01, 0x01, 0x01, 0x00, 0x01, 0x01, 0x01, 0x00};
    Bytes frame = IpFrame(s);
    const Bytes request = frame;
    ASSERT_EQ(Classify(frame).kind, FrameKind::kIcmpReply);
    ExpectEchoReply(request, frame, tags);
  }
}

// RFC 1122 §3.2.2.6: a source route in an echo request must be reversed
// in the reply; leasewired does not implement that and stays silent
// rather than answer wrongly.
TEST(IcmpTest, EchoWithSourceRouteIsNotAnsweredRfc1122) {
  IpSpec s;
  // Loose source route (131), length 7, pointer 4, one hop; END.
  s.options = {131, 7, 4, 198, 51, 100, 7, 0};
  Bytes frame = IpFrame(s);
  const Bytes request = frame;
  const Classification c = Classify(frame);
  EXPECT_EQ(c.kind, FrameKind::kDrop);
  EXPECT_EQ(c.drop, Drop::kIcmpNotForUs);
  EXPECT_EQ(frame, request) << "a refused frame is not modified";
}

// ICMP checksums are checked even when the NIC vouched for the frame's
// checksums (its flags cover UDP, not ICMP).
TEST(IcmpTest, BadIcmpChecksumRefusedEvenWithOffloadRfc792) {
  IpSpec s;
  Bytes frame = IpFrame(s);
  frame[L3Offset(kNoTags) + 20 + 2] ^= 0xff;  // ICMP checksum
  const Classification c =
      ClassifyFrame(frame, kPort, wire::ChecksumCheck::kSkip);
  EXPECT_EQ(c.kind, FrameKind::kDrop);
  EXPECT_EQ(c.drop, Drop::kIcmpNotForUs);
}

// A minimum-size frame: the datagram is shorter than the Ethernet
// payload. The ICMP checksum covers the datagram only (RFC 792), and the
// padding stays as it was.
TEST(IcmpTest, PaddedEchoChecksumCoversDatagramOnlyRfc792) {
  IpSpec s;
  s.data = {};
  s.pad_to = 60;
  Bytes frame = IpFrame(s);
  std::fill(frame.begin() + 14 + 28, frame.end(), 0xa5);
  const Bytes request = frame;
  ASSERT_EQ(Classify(frame).kind, FrameKind::kIcmpReply);
  ExpectEchoReply(request, frame, kNoTags);
}

// Large echo data (a common 1472-octet ping) is echoed whole.
TEST(IcmpTest, LargeEchoIsEchoedWholeRfc1122) {
  IpSpec s;
  s.data.resize(1472 - 8);
  for (size_t i = 0; i < s.data.size(); ++i) {
    s.data[i] = static_cast<uint8_t>(i * 7);
  }
  Bytes frame = IpFrame(s);
  const Bytes request = frame;
  ASSERT_EQ(Classify(frame).kind, FrameKind::kIcmpReply);
  ExpectEchoReply(request, frame, kNoTags);
}

// RFC 1122 §3.2.2 / RFC 792: a message whose checksum is wrong is not
// answered (a reply would carry a freshly computed, valid checksum over
// corrupt data).
TEST(IcmpTest, BadIcmpChecksumIsNotAnsweredRfc792) {
  IpSpec s;
  s.corrupt_icmp_checksum = true;
  ExpectDropped(IpFrame(s), Drop::kIcmpNotForUs);
}

// RFC 1122 §3.2.1.2: a datagram with a bad header checksum is discarded.
TEST(IcmpTest, BadIpChecksumIsNotAnsweredRfc1122) {
  IpSpec s;
  s.corrupt_ip_checksum = true;
  ExpectDropped(IpFrame(s), Drop::kIcmpNotForUs);
}

// RFC 1122 §3.2.1.1: "A datagram whose version number is not 4 MUST be
// silently discarded."
TEST(IcmpTest, NonVersion4DatagramIsNotAnsweredRfc1122) {
  IpSpec s;
  s.version = 6;
  ExpectDropped(IpFrame(s), Drop::kIcmpNotForUs);
}

// A fragment cannot be answered from what it holds (RFC 791 §3.2:
// reassembly comes first, and the data plane does not reassemble): first
// fragments (MF), later fragments (offset) and both.
TEST(IcmpTest, FragmentsAreNotAnsweredRfc791) {
  for (uint16_t frag : {uint16_t{0x2000}, uint16_t{0x0001}, uint16_t{0x00b9},
                        uint16_t{0x2010}, uint16_t{0x6000}}) {
    SCOPED_TRACE(testing::Message() << "flags/offset " << frag);
    IpSpec s;
    s.frag = frag;
    ExpectDropped(IpFrame(s), Drop::kIcmpNotForUs);
  }
}

// RFC 1122 §3.2.2.6: only echo requests to our address; one to another
// host, to the broadcast address (MAY be discarded) or to an address
// when the port has none is left alone.
TEST(IcmpTest, EchoToAnotherAddressIsNotAnsweredRfc1122) {
  IpSpec s;
  s.dst = Ip("192.0.2.2");
  ExpectDropped(IpFrame(s), Drop::kIcmpNotForUs);
  s.dst = Ipv4Address::Broadcast();
  s.eth_dst = MacAddress::Broadcast();
  ExpectDropped(IpFrame(s), Drop::kIcmpNotForUs);
}

TEST(IcmpTest, PortWithoutAddressAnswersNoEcho) {
  IpSpec s;
  ExpectDropped(IpFrame(s), Drop::kIcmpNotForUs, kPortWithoutAddress);
  s.dst = Ipv4Address();
  ExpectDropped(IpFrame(s), Drop::kIcmpNotForUs, kPortWithoutAddress);
}

// RFC 792: echo reply (0), destination unreachable (3), timestamp (13),
// and an echo request with a non-zero code are not echo requests.
TEST(IcmpTest, OtherIcmpMessagesAreNotAnsweredRfc792) {
  for (const auto& [type, code] : std::vector<std::pair<uint8_t, uint8_t>>{
           {0, 0}, {3, 3}, {13, 0}, {11, 0}, {8, 1}}) {
    SCOPED_TRACE(testing::Message()
                 << "type " << int{type} << " code " << int{code});
    IpSpec s;
    s.icmp_type = type;
    s.icmp_code = code;
    ExpectDropped(IpFrame(s), Drop::kIcmpNotForUs);
  }
}

// ---------------------------------------------------------------------------
// DHCP and the other drops.

// RFC 2131 §4.1: clients send to UDP port 67; such a datagram goes to the
// engine with the parsed headers (tags included) and the BOOTP message.
TEST(ClassifyTest, UdpToPort67IsDhcpRfc2131) {
  const Bytes payload = DhcpPayload();
  for (const Tags& tags : kAllTagSets) {
    SCOPED_TRACE(testing::Message() << tags.size() << " VLAN tags");
    DhcpSpec s;
    s.tags = tags;
    Bytes frame = DhcpFrame(s, payload);
    const Bytes before = frame;
    const Classification c = Classify(frame);
    ASSERT_EQ(c.kind, FrameKind::kDhcp);
    EXPECT_EQ(c.verdict, Verdict::kOk);
    EXPECT_EQ(frame, before) << "DHCP frames are not modified";
    EXPECT_EQ(c.view.nb_vlan, tags.size());
    for (size_t i = 0; i < tags.size(); ++i) {
      EXPECT_EQ(c.view.vlan_tpid[i], tags[i].first);
      EXPECT_EQ(c.view.vlan_tci[i], tags[i].second);
    }
    EXPECT_EQ(c.view.eth_src, kPeerMac);
    EXPECT_EQ(c.view.eth_dst, MacAddress::Broadcast());
    EXPECT_EQ(c.view.ip_src, Ipv4Address());
    EXPECT_EQ(c.view.ip_dst, Ipv4Address::Broadcast());
    EXPECT_EQ(c.view.src_port, wire::kDhcpClientPort);
    EXPECT_EQ(c.view.dst_port, wire::kDhcpServerPort);
    ASSERT_EQ(c.view.udp_payload.size(), payload.size());
    EXPECT_TRUE(
        std::equal(payload.begin(), payload.end(), c.view.udp_payload.begin()));
    EXPECT_EQ(c.view.udp_payload.data(),
              frame.data() + wire::FrameHeaderSize(c.view.nb_vlan))
        << "the view points into the frame";
  }
}

// RFC 1542 §4.1: a relay forwards to the server's port 67 by unicast; the
// frame is addressed to our MAC and IP and is DHCP all the same.
TEST(ClassifyTest, RelayedUnicastToPort67IsDhcpRfc1542) {
  DhcpSpec s;
  s.ip_src = Ip("10.1.0.1");
  s.ip_dst = kOurIp;
  s.eth_dst = kOurMac;
  Bytes frame = DhcpFrame(s);
  EXPECT_EQ(Classify(frame).kind, FrameKind::kDhcp);
}

TEST(ClassifyTest, UdpToAnotherPortIsNotDhcp) {
  for (uint16_t port : {uint16_t{68}, uint16_t{53}, uint16_t{547}}) {
    SCOPED_TRACE(testing::Message() << "port " << port);
    DhcpSpec s;
    s.dst_port = port;
    Bytes frame = DhcpFrame(s);
    const Classification c = Classify(frame);
    EXPECT_EQ(c.kind, FrameKind::kDrop);
    EXPECT_EQ(c.drop, Drop::kNotDhcp);
    EXPECT_EQ(c.verdict, Verdict::kNotDhcpPort);
  }
}

// RFC 768: a non-zero UDP checksum is checked unless the NIC did it.
TEST(ClassifyTest, BadUdpChecksumIsNotDhcpUnlessOffloadedRfc768) {
  DhcpSpec s;
  Bytes frame = DhcpFrame(s);
  frame.back() ^= 0x5a;  // payload octet: the UDP checksum no longer holds
  Classification c = Classify(frame);
  EXPECT_EQ(c.kind, FrameKind::kDrop);
  EXPECT_EQ(c.drop, Drop::kNotDhcp);
  EXPECT_EQ(c.verdict, Verdict::kBadUdpChecksum);
  c = Classify(frame, kPort, ChecksumCheck::kSkip);
  EXPECT_EQ(c.kind, FrameKind::kDhcp);
}

TEST(ClassifyTest, Ipv6IsOtherEtherType) {
  Bytes frame = EthernetHeader(kOurMac, kPeerMac, {}, kEtherTypeIpv6);
  frame.resize(14 + 40 + 8, 0);
  frame[14] = 0x60;
  ExpectDropped(frame, Drop::kOtherEtherType);
  Bytes tagged = EthernetHeader(kOurMac, kPeerMac, kOneTag, kEtherTypeIpv6);
  tagged.resize(18 + 40 + 8, 0);
  ExpectDropped(tagged, Drop::kOtherEtherType);
}

TEST(ClassifyTest, TcpIsOtherIpProtocol) {
  IpSpec s;
  s.protocol = kIpProtoTcp;
  s.data = Bytes(20, 0);
  s.data[12] = 0x50;
  Bytes frame = IpFrame(s);
  const Bytes before = frame;
  const Classification c = Classify(frame);
  EXPECT_EQ(c.kind, FrameKind::kDrop);
  EXPECT_EQ(c.drop, Drop::kOtherIpProtocol);
  EXPECT_EQ(c.verdict, Verdict::kNotUdp);
  EXPECT_EQ(frame, before);
}

// Three tags is one more than the parser takes (wire::kMaxVlanTags).
TEST(ClassifyTest, ThreeVlanTagsAreNotDhcp) {
  Tags three = kTwoTags;
  three.push_back({wire::kEtherTypeVlan, 0x0002});
  ArpSpec s;
  s.tags = three;
  Bytes frame = ArpFrame(s);
  const Classification c = Classify(frame);
  EXPECT_EQ(c.kind, FrameKind::kDrop);
  EXPECT_EQ(c.drop, Drop::kNotDhcp);
  EXPECT_EQ(c.verdict, Verdict::kTooManyVlanTags);
}

// Every proper prefix of every valid frame is dropped, and none is read
// or written past its end: each prefix lives in a heap block of exactly
// its size, so the ASan build reports any stray access.
TEST(ClassifyTest, TruncatedFramesAreDroppedWithoutOverreads) {
  std::vector<std::pair<std::string, Bytes>> frames;
  for (const Tags& tags : kAllTagSets) {
    const std::string n = std::to_string(tags.size()) + " tags";
    ArpSpec arp;
    arp.tags = tags;
    frames.emplace_back("ARP request, " + n, ArpFrame(arp));
    IpSpec echo;
    echo.tags = tags;
    frames.emplace_back("echo request, " + n, IpFrame(echo));
    echo.options = {0x01, 0x01, 0x01, 0x00};
    frames.emplace_back("echo request with options, " + n, IpFrame(echo));
    DhcpSpec dhcp;
    dhcp.tags = tags;
    frames.emplace_back("DHCPDISCOVER, " + n, DhcpFrame(dhcp));
    IpSpec tcp;
    tcp.tags = tags;
    tcp.protocol = kIpProtoTcp;
    tcp.data = Bytes(20, 0);
    frames.emplace_back("TCP, " + n, IpFrame(tcp));
  }
  for (const auto& [name, full] : frames) {
    SCOPED_TRACE(name);
    {
      // The full frame is answered or handed on: the sweep below starts
      // from frames that are valid.
      Bytes copy = full;
      const FrameKind kind = Classify(copy).kind;
      if (name.starts_with("TCP")) {
        EXPECT_EQ(kind, FrameKind::kDrop);
      } else {
        EXPECT_NE(kind, FrameKind::kDrop);
      }
    }
    for (size_t len = 0; len < full.size(); ++len) {
      Bytes prefix(full.begin(), full.begin() + len);
      prefix.shrink_to_fit();
      const Bytes before = prefix;
      for (ChecksumCheck check :
           {ChecksumCheck::kVerify, ChecksumCheck::kSkip}) {
        const Classification c = ClassifyFrame(prefix, kPort, check);
        EXPECT_EQ(c.kind, FrameKind::kDrop) << "length " << len;
        EXPECT_EQ(prefix, before) << "length " << len;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Drop names.

// The names label counters in metrics, so each enumerator's name is
// pinned, and every enumerator has one.
TEST(DropNameTest, NamesAreStableDistinctSnakeCase) {
  const std::vector<std::pair<Drop, std::string_view>> expected = {
      {Drop::kOtherEtherType, "other_ethertype"},
      {Drop::kArpNotForUs, "arp_not_for_us"},
      {Drop::kIcmpNotForUs, "icmp_not_for_us"},
      {Drop::kOtherIpProtocol, "other_ip_protocol"},
      {Drop::kNotDhcp, "not_dhcp"},
      {Drop::kSegmented, "segmented"},
      {Drop::kHandoffFull, "handoff_full"},
      {Drop::kCommitFailed, "commit_failed"},
      {Drop::kTxFull, "tx_full"},
      {Drop::kNoMbuf, "no_mbuf"},
      {Drop::kConfigChanged, "config_changed"},
  };
  ASSERT_EQ(expected.size(), static_cast<size_t>(kDropCount))
      << "a Drop was added or removed: pin its name here";
  for (const auto& [drop, name] : expected) {
    EXPECT_EQ(DropName(drop), name);
  }
  std::set<std::string_view> seen;
  for (int i = 0; i < kDropCount; ++i) {
    const std::string_view name = DropName(static_cast<Drop>(i));
    EXPECT_TRUE(seen.insert(name).second) << "duplicate name " << name;
    ASSERT_FALSE(name.empty());
    EXPECT_NE(name, "unknown") << "drop " << i;
    EXPECT_NE(name.front(), '_');
    EXPECT_NE(name.back(), '_');
    for (char ch : name) {
      EXPECT_TRUE((ch >= 'a' && ch <= 'z') || ch == '_') << name;
    }
    EXPECT_EQ(name.find("__"), std::string_view::npos) << name;
  }
  EXPECT_EQ(DropName(Drop::kCount), "unknown");
  EXPECT_EQ(DropName(static_cast<Drop>(200)), "unknown");
}

// ---------------------------------------------------------------------------
// FrameReply: the headers of a DHCP reply (RFC 2131 §4.1 routes).

// The reply the engine would have written, at the offset FrameReply
// expects, into a buffer of `capacity` octets.
struct ReplyBuffer {
  Bytes frame;
  size_t payload_size = 0;
};

ReplyBuffer EngineReply(uint8_t nb_vlan, Ipv4Address yiaddr, Ipv4Address giaddr,
                        Ipv4Address server_id, size_t capacity = 1514) {
  ReplyBuffer r;
  r.frame.assign(capacity, 0xee);  // stale mbuf contents
  const size_t at = wire::FrameHeaderSize(nb_vlan);
  wire::BootpHeader h;
  h.op = wire::kBootReply;
  h.xid = 0xfeedf00d;
  h.yiaddr = yiaddr;
  h.giaddr = giaddr;
  std::copy(kPeerMac.bytes().begin(), kPeerMac.bytes().end(), h.chaddr.begin());
  wire::MessageWriter w(std::span<uint8_t>(r.frame).subspan(at),
                        r.frame.size() - at);
  EXPECT_TRUE(w.Begin(h));
  EXPECT_TRUE(w.AddUint8(wire::option::kMessageType,
                         static_cast<uint8_t>(MessageType::kOffer)));
  EXPECT_TRUE(w.AddAddress(wire::option::kServerIdentifier, server_id));
  EXPECT_TRUE(w.AddUint32(wire::option::kLeaseTime, 3600));
  r.payload_size = w.Finish();
  return r;
}

// The request a reply answers: parsed from a real frame so that the view
// is what ClassifyFrame hands the worker.
struct Request {
  Bytes frame;
  Classification c;
};

Request ClassifiedRequest(const Tags& tags, Ipv4Address giaddr = {}) {
  Request r;
  DhcpSpec s;
  s.tags = tags;
  if (!giaddr.IsZero()) {
    s.ip_src = giaddr;
    s.ip_dst = kOurIp;
    s.eth_dst = kOurMac;
  }
  r.frame = DhcpFrame(s);
  r.c = ClassifyFrame(r.frame, kPort, ChecksumCheck::kVerify);
  EXPECT_EQ(r.c.kind, FrameKind::kDhcp);
  return r;
}

struct RouteCase {
  std::string name;
  engine::Route route;
  Ipv4Address giaddr;
};

// RFC 2131 §4.1, the four destinations of a server's reply.
std::vector<RouteCase> Routes() {
  const Ipv4Address yiaddr = Ip("192.0.2.77");
  const Ipv4Address giaddr = Ip("10.1.0.1");
  const MacAddress relay_mac = Mac(0x42);
  return {
      {"broadcast (flag set, or no address to unicast to)",
       {MacAddress::Broadcast(), Ipv4Address::Broadcast(),
        wire::kDhcpClientPort},
       {}},
      {"unicast to yiaddr at chaddr",
       {kPeerMac, yiaddr, wire::kDhcpClientPort},
       {}},
      {"unicast to ciaddr", {kPeerMac, Ip("192.0.2.60"), 68}, {}},
      {"to the relay's port 67", {relay_mac, giaddr, 67}, giaddr},
  };
}

// Parses the reply back and checks every header field FrameReply sets.
void ExpectReply(std::span<const uint8_t> reply, const engine::Route& route,
                 const Tags& tags, Ipv4Address ip_src,
                 const ReplyBuffer& engine_reply) {
  wire::FrameView v;
  Verdict verdict = wire::ParseDhcpFrame(reply, ChecksumCheck::kVerify, &v);
  if (route.dst_port != wire::kDhcpServerPort) {
    // ParseDhcpFrame checks IPv4 and UDP (checksums verified) before it
    // looks at the port; a reply to a client is "not to a server".
    ASSERT_EQ(verdict, Verdict::kNotDhcpPort);
    verdict = wire::ParseIpv4Udp(reply, ChecksumCheck::kVerify, &v);
  }
  ASSERT_EQ(verdict, Verdict::kOk);
  EXPECT_EQ(v.eth_dst, route.eth_dst);
  EXPECT_EQ(v.eth_src, kOurMac);
  ASSERT_EQ(v.nb_vlan, tags.size());
  for (size_t i = 0; i < tags.size(); ++i) {
    EXPECT_EQ(v.vlan_tpid[i], tags[i].first) << "tag " << i;
    EXPECT_EQ(v.vlan_tci[i], tags[i].second) << "tag " << i;
  }
  EXPECT_EQ(v.ether_type, wire::kEtherTypeIpv4);
  EXPECT_EQ(v.ip_src, ip_src);
  EXPECT_EQ(v.ip_dst, route.ip_dst);
  EXPECT_EQ(v.ip_protocol, wire::kIpProtoUdp);
  EXPECT_GT(v.ip_ttl, 1);
  EXPECT_EQ(v.src_port, wire::kDhcpServerPort);
  EXPECT_EQ(v.dst_port, route.dst_port);
  EXPECT_NE(LoadBe16(&reply[v.l4_offset + 6]), 0)
      << "the UDP checksum is computed";
  ASSERT_EQ(v.udp_payload.size(), engine_reply.payload_size);
  const size_t at = wire::FrameHeaderSize(v.nb_vlan);
  EXPECT_TRUE(std::equal(v.udp_payload.begin(), v.udp_payload.end(),
                         engine_reply.frame.begin() + at));
  wire::DhcpMessage msg;
  ASSERT_EQ(msg.Parse(v.udp_payload), Verdict::kOk);
  EXPECT_EQ(msg.op(), wire::kBootReply);
  EXPECT_EQ(msg.xid(), 0xfeedf00du);
  EXPECT_EQ(msg.message_type(), MessageType::kOffer);
}

TEST(FrameReplyTest, EveryRouteGetsItsHeadersRfc2131Section4_1) {
  const Ipv4Address server_id = Ip("192.0.2.254");
  for (const Tags& tags : kAllTagSets) {
    for (const RouteCase& rc : Routes()) {
      SCOPED_TRACE(testing::Message()
                   << rc.name << ", " << tags.size() << " VLAN tags");
      const Request req = ClassifiedRequest(tags, rc.giaddr);
      ReplyBuffer r = EngineReply(static_cast<uint8_t>(tags.size()),
                                  rc.route.ip_dst, rc.giaddr, server_id);
      const size_t n = FrameReply(req.c.view, rc.route, kPort, server_id,
                                  r.frame, r.payload_size);
      ASSERT_EQ(n, wire::FrameHeaderSize(static_cast<uint8_t>(tags.size())) +
                       r.payload_size);
      ExpectReply(std::span<const uint8_t>(r.frame).first(n), rc.route, tags,
                  kOurIp, r);
    }
  }
}

// RFC 2131 §4.1 has the server send from an address of its own; a port
// without one sends from its server identifier (option 54), which is
// where clients address their unicasts.
TEST(FrameReplyTest, PortWithoutAddressSendsFromServerIdRfc2131) {
  const Ipv4Address server_id = Ip("198.51.100.9");
  for (const Tags& tags : {kNoTags, kTwoTags}) {
    for (const RouteCase& rc : Routes()) {
      SCOPED_TRACE(testing::Message()
                   << rc.name << ", " << tags.size() << " VLAN tags");
      const Request req = ClassifiedRequest(tags, rc.giaddr);
      ReplyBuffer r = EngineReply(static_cast<uint8_t>(tags.size()),
                                  rc.route.ip_dst, rc.giaddr, server_id);
      const size_t n = FrameReply(req.c.view, rc.route, kPortWithoutAddress,
                                  server_id, r.frame, r.payload_size);
      ASSERT_GT(n, 0u);
      ExpectReply(std::span<const uint8_t>(r.frame).first(n), rc.route, tags,
                  server_id, r);
    }
  }
}

TEST(FrameReplyTest, BufferTooSmallWritesNothing) {
  const Request req = ClassifiedRequest(kOneTag);
  ReplyBuffer r = EngineReply(1, Ip("192.0.2.77"), {}, kOurIp, 400);
  const engine::Route route = Routes()[0].route;
  const size_t needed = wire::FrameHeaderSize(1) + r.payload_size;
  ASSERT_LE(needed, r.frame.size());
  Bytes small(r.frame.begin(), r.frame.begin() + needed - 1);
  const Bytes before = small;
  EXPECT_EQ(FrameReply(req.c.view, route, kPort, kOurIp, small, r.payload_size),
            0u);
  EXPECT_EQ(small, before);
}

}  // namespace
}  // namespace leasewire::dataplane
