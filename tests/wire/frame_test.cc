// Tests for the Ethernet / 802.1Q / IPv4 / UDP views and writer.

#include "leasewire/wire/frame.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "leasewire/wire/types.h"
#include "leasewire/wire/verdict.h"

namespace leasewire::wire {

// Lets gtest print verdicts by name.
void PrintTo(Verdict v, std::ostream* os) { *os << VerdictName(v); }

namespace {

static_assert(FrameHeaderSize(0) == 42);
static_assert(FrameHeaderSize(1) == 46);
static_assert(FrameHeaderSize(2) == 50);

// A client's broadcast, untagged: 02:00:00:00:00:01 -> ff:ff:ff:ff:ff:ff,
// 0.0.0.0:68 -> 255.255.255.255:67, TTL 64, carrying 8 octets (the start
// of a BOOTREQUEST). IP checksum 7aca and UDP checksum cc1c were computed
// by hand.
std::vector<uint8_t> BaseFrame() {
  return {// Ethernet II.
          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00,
          0x01, 0x08, 0x00,
          // IPv4: version 4, IHL 5, total length 36, id 0, no flags, TTL 64,
          // UDP, checksum, 0.0.0.0, 255.255.255.255.
          0x45, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0x7a,
          0xca, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
          // UDP: 68 -> 67, length 16, checksum.
          0x00, 0x44, 0x00, 0x43, 0x00, 0x10, 0xcc, 0x1c,
          // Payload.
          0x01, 0x01, 0x06, 0x00, 0x39, 0x03, 0xf3, 0x26};
}
constexpr size_t kBaseL3 = 14;
constexpr size_t kBaseL4 = 34;
constexpr size_t kBasePayload = 42;

// The payload of BaseFrame().
const std::vector<uint8_t> kPayload = {0x01, 0x01, 0x06, 0x00,
                                       0x39, 0x03, 0xf3, 0x26};

// Inserts 4-octet tags (TPID, TCI), outermost first, after the MACs.
std::vector<uint8_t> WithTags(std::vector<uint8_t> frame,
                              std::vector<std::pair<uint16_t, uint16_t>> tags) {
  std::vector<uint8_t> bytes;
  for (const auto& [tpid, tci] : tags) {
    bytes.push_back(static_cast<uint8_t>(tpid >> 8));
    bytes.push_back(static_cast<uint8_t>(tpid));
    bytes.push_back(static_cast<uint8_t>(tci >> 8));
    bytes.push_back(static_cast<uint8_t>(tci));
  }
  frame.insert(frame.begin() + 12, bytes.begin(), bytes.end());
  return frame;
}

// An independent RFC 1071 sum, so that these tests do not depend on the
// checksum code they exercise indirectly.
uint32_t RefSum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i < n; i += 2) {
    uint32_t word = uint32_t{p[i]} << 8;
    if (i + 1 < n) word |= p[i + 1];
    sum += word;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return sum;
}

// Recomputes the IPv4 header checksum of the header at `l3` (at least 20
// octets, more when IHL says so and the frame has them).
void FixIpChecksum(std::vector<uint8_t>& frame, size_t l3) {
  const size_t ihl = std::max<size_t>(20, (frame[l3] & 0x0f) * 4u);
  frame[l3 + 10] = 0;
  frame[l3 + 11] = 0;
  const uint16_t c = static_cast<uint16_t>(
      ~RefSum(&frame[l3], std::min(ihl, frame.size() - l3)) & 0xffff);
  StoreBe16(&frame[l3 + 10], c);
}

// Recomputes the UDP checksum from the IP header at `l3` (IHL honoured) and
// the UDP length field.
void FixUdpChecksum(std::vector<uint8_t>& frame, size_t l3) {
  const size_t l4 = l3 + (frame[l3] & 0x0f) * 4u;
  const uint16_t udp_len = LoadBe16(&frame[l4 + 4]);
  frame[l4 + 6] = 0;
  frame[l4 + 7] = 0;
  uint8_t pseudo[12];
  std::copy_n(&frame[l3 + 12], 8, pseudo);
  pseudo[8] = 0;
  pseudo[9] = frame[l3 + 9];
  StoreBe16(&pseudo[10], udp_len);
  uint32_t sum = RefSum(pseudo, sizeof(pseudo));
  sum = RefSum(&frame[l4], udp_len, sum);
  uint16_t c = static_cast<uint16_t>(~sum & 0xffff);
  if (c == 0) c = 0xffff;
  StoreBe16(&frame[l4 + 6], c);
}

void FixChecksums(std::vector<uint8_t>& frame, size_t l3) {
  FixIpChecksum(frame, l3);
  FixUdpChecksum(frame, l3);
}

Verdict Parse(const std::vector<uint8_t>& frame,
              ChecksumCheck check = ChecksumCheck::kVerify) {
  FrameView view;
  return ParseDhcpFrame(frame, check, &view);
}

// Both checksum modes give the same verdict for structural errors.
void ExpectVerdict(const std::vector<uint8_t>& frame, Verdict expected) {
  EXPECT_EQ(Parse(frame, ChecksumCheck::kVerify), expected);
  EXPECT_EQ(Parse(frame, ChecksumCheck::kSkip), expected);
}

TEST(FrameTest, HandWrittenChecksumsAreRight) {
  std::vector<uint8_t> frame = BaseFrame();
  const std::vector<uint8_t> original = frame;
  FixChecksums(frame, kBaseL3);
  EXPECT_EQ(frame, original);
}

// ---- Ethernet and 802.1Q / 802.1ad tags.

TEST(FrameTest, UntaggedEthernet) {
  const std::vector<uint8_t> frame = BaseFrame();
  FrameView view;
  ASSERT_EQ(ParseEthernet(frame, &view), Verdict::kOk);
  EXPECT_TRUE(view.eth_dst.IsBroadcast());
  EXPECT_EQ(view.eth_src, MacAddress({0x02, 0x00, 0x00, 0x00, 0x00, 0x01}));
  EXPECT_EQ(view.nb_vlan, 0);
  EXPECT_EQ(view.ether_type, kEtherTypeIpv4);
  EXPECT_EQ(view.l3_offset, kBaseL3);
}

// IEEE 802.1Q: one C-tag, TCI with priority 5 and VLAN 100 kept raw.
TEST(FrameTest, OneVlanTag) {
  const std::vector<uint8_t> frame =
      WithTags(BaseFrame(), {{kEtherTypeVlan, 0xa064}});
  FrameView view;
  ASSERT_EQ(ParseEthernet(frame, &view), Verdict::kOk);
  EXPECT_EQ(view.nb_vlan, 1);
  EXPECT_EQ(view.vlan_tpid[0], kEtherTypeVlan);
  EXPECT_EQ(view.vlan_tci[0], 0xa064);
  EXPECT_EQ(view.ether_type, kEtherTypeIpv4);
  EXPECT_EQ(view.l3_offset, 18);

  FrameView full;
  ASSERT_EQ(ParseDhcpFrame(frame, ChecksumCheck::kVerify, &full), Verdict::kOk);
  EXPECT_EQ(full.l4_offset, 38);
  ASSERT_EQ(full.udp_payload.size(), kPayload.size());
  EXPECT_EQ(full.udp_payload.data(), frame.data() + 46);
}

// IEEE 802.1ad (QinQ): an S-tag 0x88a8 outside a C-tag 0x8100.
TEST(FrameTest, QinQTags) {
  const std::vector<uint8_t> frame = WithTags(
      BaseFrame(), {{kEtherTypeQinQ, 0x000a}, {kEtherTypeVlan, 0x0064}});
  FrameView view;
  ASSERT_EQ(ParseDhcpFrame(frame, ChecksumCheck::kVerify, &view), Verdict::kOk);
  EXPECT_EQ(view.nb_vlan, 2);
  EXPECT_EQ(view.vlan_tpid[0], kEtherTypeQinQ);
  EXPECT_EQ(view.vlan_tci[0], 0x000a);
  EXPECT_EQ(view.vlan_tpid[1], kEtherTypeVlan);
  EXPECT_EQ(view.vlan_tci[1], 0x0064);
  EXPECT_EQ(view.ether_type, kEtherTypeIpv4);
  EXPECT_EQ(view.l3_offset, 22);
  EXPECT_EQ(view.l4_offset, 42);
  EXPECT_EQ(view.udp_payload.data(), frame.data() + 50);
}

TEST(FrameTest, DoubleCTagIsTwoTags) {
  const std::vector<uint8_t> frame = WithTags(
      BaseFrame(), {{kEtherTypeVlan, 0x0001}, {kEtherTypeVlan, 0x0002}});
  FrameView view;
  ASSERT_EQ(ParseDhcpFrame(frame, ChecksumCheck::kVerify, &view), Verdict::kOk);
  EXPECT_EQ(view.nb_vlan, 2);
  EXPECT_EQ(view.l3_offset, 22);
}

TEST(FrameTest, ThreeTagsRejected) {
  const std::vector<uint8_t> frame =
      WithTags(BaseFrame(), {{kEtherTypeQinQ, 0x000a},
                             {kEtherTypeVlan, 0x0064},
                             {kEtherTypeVlan, 0x0065}});
  FrameView view;
  EXPECT_EQ(ParseEthernet(frame, &view), Verdict::kTooManyVlanTags);
  ExpectVerdict(frame, Verdict::kTooManyVlanTags);

  const std::vector<uint8_t> ctags =
      WithTags(BaseFrame(), {{kEtherTypeVlan, 0x0001},
                             {kEtherTypeVlan, 0x0002},
                             {kEtherTypeVlan, 0x0003}});
  ExpectVerdict(ctags, Verdict::kTooManyVlanTags);
}

// ---- Truncation: every proper prefix of a valid frame is rejected, and
// no prefix is read past its end (each is an exactly-sized heap copy, so
// ASan reports any over-read).

void ExpectEveryPrefixRejected(const std::vector<uint8_t>& frame,
                               size_t l3_offset) {
  ASSERT_EQ(Parse(frame), Verdict::kOk);
  for (size_t n = 0; n < frame.size(); ++n) {
    const std::vector<uint8_t> prefix(frame.begin(), frame.begin() + n);
    for (ChecksumCheck check : {ChecksumCheck::kVerify, ChecksumCheck::kSkip}) {
      FrameView view;
      const Verdict v = ParseDhcpFrame(prefix, check, &view);
      EXPECT_NE(v, Verdict::kOk) << "prefix of " << n << " octets";
      if (n < l3_offset) {
        EXPECT_EQ(v, Verdict::kTruncatedFrame) << "prefix of " << n;
        FrameView eth;
        EXPECT_EQ(ParseEthernet(prefix, &eth), Verdict::kTruncatedFrame)
            << "prefix of " << n;
      } else {
        EXPECT_TRUE(v == Verdict::kTruncatedFrame ||
                    v == Verdict::kBadIpHeaderLength ||
                    v == Verdict::kBadIpTotalLength)
            << "prefix of " << n << ": " << VerdictName(v);
      }
    }
  }
}

TEST(FrameTest, EveryPrefixOfUntaggedFrameRejected) {
  ExpectEveryPrefixRejected(BaseFrame(), 14);
}

TEST(FrameTest, EveryPrefixOfTaggedFrameRejected) {
  ExpectEveryPrefixRejected(WithTags(BaseFrame(), {{kEtherTypeVlan, 100}}), 18);
}

TEST(FrameTest, EveryPrefixOfQinQFrameRejected) {
  ExpectEveryPrefixRejected(
      WithTags(BaseFrame(), {{kEtherTypeQinQ, 10}, {kEtherTypeVlan, 100}}), 22);
}

// ---- Layer 3.

TEST(FrameTest, NonIpv4EtherTypeRejected) {
  std::vector<uint8_t> arp = BaseFrame();
  arp[12] = 0x08;
  arp[13] = 0x06;
  ExpectVerdict(arp, Verdict::kNotIpv4);

  std::vector<uint8_t> ipv6 = BaseFrame();
  ipv6[12] = 0x86;
  ipv6[13] = 0xdd;
  ExpectVerdict(ipv6, Verdict::kNotIpv4);

  std::vector<uint8_t> tagged_ipv6 =
      WithTags(BaseFrame(), {{kEtherTypeVlan, 100}});
  tagged_ipv6[16] = 0x86;
  tagged_ipv6[17] = 0xdd;
  ExpectVerdict(tagged_ipv6, Verdict::kNotIpv4);
}

// RFC 791 §3.1: Version must be 4.
TEST(FrameTest, IpVersion6Rejected) {
  std::vector<uint8_t> frame = BaseFrame();
  frame[kBaseL3] = 0x65;
  FixIpChecksum(frame, kBaseL3);
  ExpectVerdict(frame, Verdict::kBadIpVersion);
}

// RFC 791 §3.1: IHL is at least 5 (20 octets).
TEST(FrameTest, IhlBelowFiveRejected) {
  for (uint8_t ihl = 0; ihl < 5; ++ihl) {
    std::vector<uint8_t> frame = BaseFrame();
    frame[kBaseL3] = static_cast<uint8_t>(0x40 | ihl);
    FixIpChecksum(frame, kBaseL3);
    ExpectVerdict(frame, Verdict::kBadIpHeaderLength);
  }
}

// RFC 791 §3.1: an IHL of 15 (60 octets) runs past this 36-octet datagram.
TEST(FrameTest, IhlPastFrameRejected) {
  std::vector<uint8_t> frame = BaseFrame();
  frame[kBaseL3] = 0x4f;
  ExpectVerdict(frame, Verdict::kBadIpHeaderLength);
  // Just past: the frame ends 1 octet before the end of a 24-octet header.
  const std::vector<uint8_t> base = BaseFrame();
  std::vector<uint8_t> short_frame(base.begin(), base.begin() + kBaseL3 + 23);
  short_frame[kBaseL3] = 0x46;
  ExpectVerdict(short_frame, Verdict::kBadIpHeaderLength);
}

// RFC 791 §3.1: Total Length beyond the frame.
TEST(FrameTest, TotalLengthBeyondFrameRejected) {
  std::vector<uint8_t> frame = BaseFrame();
  StoreBe16(&frame[kBaseL3 + 2], 37);
  FixIpChecksum(frame, kBaseL3);
  ExpectVerdict(frame, Verdict::kBadIpTotalLength);
  StoreBe16(&frame[kBaseL3 + 2], 0xffff);
  FixIpChecksum(frame, kBaseL3);
  ExpectVerdict(frame, Verdict::kBadIpTotalLength);
}

// RFC 791 §3.1: Total Length covers the header, so it is at least IHL * 4.
TEST(FrameTest, TotalLengthBelowHeaderRejected) {
  std::vector<uint8_t> frame = BaseFrame();
  StoreBe16(&frame[kBaseL3 + 2], 19);
  FixIpChecksum(frame, kBaseL3);
  ExpectVerdict(frame, Verdict::kBadIpTotalLength);
  StoreBe16(&frame[kBaseL3 + 2], 0);
  FixIpChecksum(frame, kBaseL3);
  ExpectVerdict(frame, Verdict::kBadIpTotalLength);

  // IHL 6 (24 octets) with a total length of 20.
  std::vector<uint8_t> ihl6 = BaseFrame();
  ihl6[kBaseL3] = 0x46;
  StoreBe16(&ihl6[kBaseL3 + 2], 20);
  FixIpChecksum(ihl6, kBaseL3);
  ExpectVerdict(ihl6, Verdict::kBadIpTotalLength);
}

// RFC 768: a datagram with no room for the 8-octet UDP header.
TEST(FrameTest, NoRoomForUdpHeaderRejected) {
  for (uint16_t total : {20, 21, 27}) {
    std::vector<uint8_t> frame = BaseFrame();
    StoreBe16(&frame[kBaseL3 + 2], total);
    FixIpChecksum(frame, kBaseL3);
    EXPECT_NE(Parse(frame), Verdict::kOk) << "total length " << total;
    EXPECT_NE(Parse(frame, ChecksumCheck::kSkip), Verdict::kOk);
  }
}

// RFC 791 §3.1: options (here Router Alert, RFC 2113) make IHL 6; UDP
// starts after them.
TEST(FrameTest, IpOptionsParse) {
  std::vector<uint8_t> frame = BaseFrame();
  const std::vector<uint8_t> router_alert = {0x94, 0x04, 0x00, 0x00};
  frame.insert(frame.begin() + kBaseL4, router_alert.begin(),
               router_alert.end());
  frame[kBaseL3] = 0x46;
  StoreBe16(&frame[kBaseL3 + 2], 40);
  FixIpChecksum(frame, kBaseL3);
  // The UDP checksum does not cover IP options: cc1c still holds.
  EXPECT_EQ(LoadBe16(&frame[kBaseL4 + 4 + 6]), 0xcc1c);
  FrameView view;
  ASSERT_EQ(ParseDhcpFrame(frame, ChecksumCheck::kVerify, &view), Verdict::kOk);
  EXPECT_EQ(view.l4_offset, 38);
  EXPECT_EQ(view.src_port, kDhcpClientPort);
  EXPECT_EQ(view.dst_port, kDhcpServerPort);
  ASSERT_EQ(view.udp_payload.size(), kPayload.size());
  EXPECT_EQ(view.udp_payload.data(), frame.data() + 46);
  EXPECT_TRUE(std::equal(view.udp_payload.begin(), view.udp_payload.end(),
                         kPayload.begin()));
}

// RFC 791 §3.1: Header Checksum.
TEST(FrameTest, BadIpChecksumRejected) {
  std::vector<uint8_t> frame = BaseFrame();
  frame[kBaseL3 + 11] ^= 0x01;
  EXPECT_EQ(Parse(frame), Verdict::kBadIpChecksum);
  EXPECT_EQ(Parse(frame, ChecksumCheck::kSkip), Verdict::kOk);

  // A changed TTL with the old checksum.
  std::vector<uint8_t> ttl = BaseFrame();
  ttl[kBaseL3 + 8] = 63;
  EXPECT_EQ(Parse(ttl), Verdict::kBadIpChecksum);
}

// RFC 791 §3.2: MF set or a non-zero fragment offset means a fragment;
// DHCP is never fragmented. DF alone is fine.
TEST(FrameTest, FragmentsRejected) {
  for (uint16_t flags_offset : {0x2000, 0x0001, 0x1fff, 0x2001, 0x4001}) {
    std::vector<uint8_t> frame = BaseFrame();
    StoreBe16(&frame[kBaseL3 + 6], flags_offset);
    FixIpChecksum(frame, kBaseL3);
    EXPECT_EQ(Parse(frame), Verdict::kIpFragment) << flags_offset;
    EXPECT_EQ(Parse(frame, ChecksumCheck::kSkip), Verdict::kIpFragment);
  }
  std::vector<uint8_t> df = BaseFrame();
  StoreBe16(&df[kBaseL3 + 6], 0x4000);
  FixIpChecksum(df, kBaseL3);
  EXPECT_EQ(Parse(df), Verdict::kOk);
}

TEST(FrameTest, NonUdpProtocolRejected) {
  for (uint8_t proto : {uint8_t{6}, kIpProtoIcmp}) {
    std::vector<uint8_t> frame = BaseFrame();
    frame[kBaseL3 + 9] = proto;
    FixIpChecksum(frame, kBaseL3);
    ExpectVerdict(frame, Verdict::kNotUdp);
  }
}

// ---- UDP (RFC 768).

// RFC 768: Length covers the header and data; it cannot exceed what IP
// carries, nor be below 8.
TEST(FrameTest, UdpLengthMismatchRejected) {
  for (uint16_t udp_length : {0, 7, 17, 0xffff}) {
    std::vector<uint8_t> frame = BaseFrame();
    StoreBe16(&frame[kBaseL4 + 4], udp_length);
    StoreBe16(&frame[kBaseL4 + 6], 0);  // no checksum: length decides
    ExpectVerdict(frame, Verdict::kBadUdpLength);
  }
}

// RFC 768: a non-zero checksum must verify.
TEST(FrameTest, BadUdpChecksumRejected) {
  std::vector<uint8_t> frame = BaseFrame();
  frame[kBaseL4 + 7] ^= 0x01;
  EXPECT_EQ(Parse(frame), Verdict::kBadUdpChecksum);

  std::vector<uint8_t> payload = BaseFrame();
  payload[kBasePayload + 3] ^= 0x80;
  EXPECT_EQ(Parse(payload), Verdict::kBadUdpChecksum);

  // The pseudo-header is covered: a changed IP source address (with a
  // fixed IP checksum) breaks the UDP checksum.
  std::vector<uint8_t> src = BaseFrame();
  src[kBaseL3 + 15] = 0x01;
  FixIpChecksum(src, kBaseL3);
  EXPECT_EQ(Parse(src), Verdict::kBadUdpChecksum);
}

// RFC 768: "An all zero transmitted checksum value means that the
// transmitter generated no checksum".
TEST(FrameTest, ZeroUdpChecksumAccepted) {
  std::vector<uint8_t> frame = BaseFrame();
  StoreBe16(&frame[kBaseL4 + 6], 0);
  EXPECT_EQ(Parse(frame), Verdict::kOk);
  frame[kBasePayload] ^= 0xff;  // nothing to notice it
  EXPECT_EQ(Parse(frame), Verdict::kOk);
}

// RFC 768: a computed checksum of zero is sent as ffff and verifies.
// 192.0.2.1:67 -> 192.0.2.10:67 with payload 7b 48 sums to exactly ffff.
TEST(FrameTest, AllOnesUdpChecksumAccepted) {
  std::vector<uint8_t> frame = {
      0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
      0x08, 0x00,
      // IPv4, total length 30.
      0x45, 0x00, 0x00, 0x1e, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
      0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x0a,
      // UDP 67 -> 67, length 10, checksum ffff.
      0x00, 0x43, 0x00, 0x43, 0x00, 0x0a, 0xff, 0xff, 0x7b, 0x48};
  FixIpChecksum(frame, kBaseL3);
  std::vector<uint8_t> recomputed = frame;
  FixUdpChecksum(recomputed, kBaseL3);
  ASSERT_EQ(recomputed, frame);  // the reference agrees: ffff
  EXPECT_EQ(Parse(frame), Verdict::kOk);
}

TEST(FrameTest, SkipIgnoresBothChecksums) {
  std::vector<uint8_t> frame = BaseFrame();
  frame[kBaseL3 + 10] ^= 0x55;
  frame[kBaseL4 + 6] ^= 0x55;
  EXPECT_EQ(Parse(frame, ChecksumCheck::kVerify), Verdict::kBadIpChecksum);
  FrameView view;
  ASSERT_EQ(ParseDhcpFrame(frame, ChecksumCheck::kSkip, &view), Verdict::kOk);
  EXPECT_EQ(view.udp_payload.size(), kPayload.size());

  std::vector<uint8_t> udp_only = BaseFrame();
  udp_only[kBaseL4 + 6] ^= 0x55;
  EXPECT_EQ(Parse(udp_only, ChecksumCheck::kVerify), Verdict::kBadUdpChecksum);
  EXPECT_EQ(Parse(udp_only, ChecksumCheck::kSkip), Verdict::kOk);
}

// IEEE 802.3 pads short frames to 60 octets; the padding after the IP
// datagram is not part of it (RFC 894) and is ignored.
TEST(FrameTest, EthernetPaddingIgnored) {
  for (uint8_t fill : {uint8_t{0x00}, uint8_t{0xee}}) {
    std::vector<uint8_t> frame = BaseFrame();
    frame.resize(60, fill);
    FrameView view;
    ASSERT_EQ(ParseDhcpFrame(frame, ChecksumCheck::kVerify, &view),
              Verdict::kOk);
    EXPECT_EQ(view.udp_payload.data(), frame.data() + kBasePayload);
    ASSERT_EQ(view.udp_payload.size(), kPayload.size());
    EXPECT_TRUE(std::equal(view.udp_payload.begin(), view.udp_payload.end(),
                           kPayload.begin()));
  }
}

TEST(FrameTest, AllFieldsOfValidFrame) {
  const std::vector<uint8_t> frame = BaseFrame();
  FrameView view;
  ASSERT_EQ(ParseDhcpFrame(frame, ChecksumCheck::kVerify, &view), Verdict::kOk);
  EXPECT_TRUE(view.eth_dst.IsBroadcast());
  EXPECT_EQ(view.eth_src, MacAddress({0x02, 0x00, 0x00, 0x00, 0x00, 0x01}));
  EXPECT_EQ(view.nb_vlan, 0);
  EXPECT_EQ(view.ether_type, kEtherTypeIpv4);
  EXPECT_EQ(view.l3_offset, kBaseL3);
  EXPECT_EQ(view.ip_src, Ipv4Address(0));
  EXPECT_EQ(view.ip_dst, Ipv4Address::Broadcast());
  EXPECT_EQ(view.ip_ttl, 64);
  EXPECT_EQ(view.ip_protocol, kIpProtoUdp);
  EXPECT_EQ(view.l4_offset, kBaseL4);
  EXPECT_EQ(view.src_port, kDhcpClientPort);
  EXPECT_EQ(view.dst_port, kDhcpServerPort);
  EXPECT_EQ(view.udp_payload.data(), frame.data() + kBasePayload);
  ASSERT_EQ(view.udp_payload.size(), kPayload.size());
  EXPECT_TRUE(std::equal(view.udp_payload.begin(), view.udp_payload.end(),
                         kPayload.begin()));
}

// RFC 2131 §4.1: servers listen on port 67; 68 is the client's.
TEST(FrameTest, ClientPortIsNotDhcpServerPort) {
  std::vector<uint8_t> frame = BaseFrame();
  StoreBe16(&frame[kBaseL4 + 2], kDhcpClientPort);
  FixUdpChecksum(frame, kBaseL3);
  EXPECT_EQ(Parse(frame), Verdict::kNotDhcpPort);
  EXPECT_EQ(Parse(frame, ChecksumCheck::kSkip), Verdict::kNotDhcpPort);

  // The lower layers accept it and report the port.
  FrameView view;
  ASSERT_EQ(ParseEthernet(frame, &view), Verdict::kOk);
  ASSERT_EQ(ParseIpv4Udp(frame, ChecksumCheck::kVerify, &view), Verdict::kOk);
  EXPECT_EQ(view.dst_port, kDhcpClientPort);
  EXPECT_EQ(view.src_port, kDhcpClientPort);
}

// ---- WriteFrameHeaders.

// The writer's bytes agree with BaseFrame(), except the IP identification
// (the writer's choice) and hence the IP checksum; the flags may say DF
// but never MF or an offset.
TEST(FrameTest, WriterMatchesHandWrittenFrame) {
  for (uint8_t nb_vlan = 0; nb_vlan <= 1; ++nb_vlan) {
    const std::vector<uint8_t> hand =
        nb_vlan == 0 ? BaseFrame()
                     : WithTags(BaseFrame(), {{kEtherTypeVlan, 0xa064}});
    const size_t l3 = 14 + 4 * nb_vlan;
    FrameSpec spec;
    spec.eth_dst = MacAddress::Broadcast();
    spec.eth_src = MacAddress({0x02, 0x00, 0x00, 0x00, 0x00, 0x01});
    spec.nb_vlan = nb_vlan;
    spec.vlan_tpid[0] = kEtherTypeVlan;
    spec.vlan_tci[0] = 0xa064;
    spec.ip_src = Ipv4Address(0);
    spec.ip_dst = Ipv4Address::Broadcast();
    spec.ip_ttl = 64;
    spec.src_port = kDhcpClientPort;
    spec.dst_port = kDhcpServerPort;
    std::vector<uint8_t> written(hand.size(), 0xcc);
    std::copy(kPayload.begin(), kPayload.end(),
              written.begin() + FrameHeaderSize(nb_vlan));
    ASSERT_EQ(WriteFrameHeaders(spec, written, kPayload.size()), hand.size());

    for (size_t i = 0; i < hand.size(); ++i) {
      if (i == l3 + 4 || i == l3 + 5) continue;    // identification
      if (i == l3 + 10 || i == l3 + 11) continue;  // header checksum
      if (i == l3 + 6) {
        EXPECT_EQ(written[i] & 0xbf, hand[i]) << "flags, offset " << i;
        continue;
      }
      EXPECT_EQ(written[i], hand[i]) << "offset " << i;
    }
    EXPECT_EQ(RefSum(&written[l3], 20), 0xffff) << "IP checksum";
  }
}

void ExpectWriteParseRoundTrip(uint8_t nb_vlan, ChecksumCheck udp_checksum) {
  FrameSpec spec;
  spec.eth_dst = MacAddress({0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc});
  spec.eth_src = MacAddress({0x02, 0x00, 0x00, 0x00, 0x00, 0x01});
  spec.nb_vlan = nb_vlan;
  spec.vlan_tpid = {kEtherTypeQinQ, kEtherTypeVlan};
  spec.vlan_tci = {0x2007, 0x0123};
  if (nb_vlan == 1) spec.vlan_tpid[0] = kEtherTypeVlan;
  spec.ip_src = Ipv4Address::FromOctets(192, 0, 2, 1);
  spec.ip_dst = Ipv4Address::FromOctets(192, 0, 2, 10);
  spec.ip_ttl = 17;
  spec.ip_tos = 0x10;
  spec.src_port = kDhcpServerPort;
  spec.dst_port = kDhcpServerPort;  // server to relay
  spec.udp_checksum = udp_checksum;

  const size_t header = FrameHeaderSize(nb_vlan);
  const size_t payload_size = 301;  // odd, to pad the checksum
  std::vector<uint8_t> frame(header + payload_size);
  for (size_t i = 0; i < payload_size; ++i) {
    frame[header + i] = static_cast<uint8_t>(i * 7 + 3);
  }
  ASSERT_EQ(WriteFrameHeaders(spec, frame, payload_size), frame.size());

  FrameView view;
  ASSERT_EQ(ParseDhcpFrame(frame, ChecksumCheck::kVerify, &view), Verdict::kOk);
  EXPECT_EQ(view.eth_dst, spec.eth_dst);
  EXPECT_EQ(view.eth_src, spec.eth_src);
  EXPECT_EQ(view.nb_vlan, nb_vlan);
  for (size_t i = 0; i < nb_vlan; ++i) {
    EXPECT_EQ(view.vlan_tpid[i], spec.vlan_tpid[i]) << i;
    EXPECT_EQ(view.vlan_tci[i], spec.vlan_tci[i]) << i;
  }
  EXPECT_EQ(view.ether_type, kEtherTypeIpv4);
  EXPECT_EQ(view.l3_offset, 14 + 4 * nb_vlan);
  EXPECT_EQ(frame[view.l3_offset + 1], spec.ip_tos);
  EXPECT_EQ(view.ip_src, spec.ip_src);
  EXPECT_EQ(view.ip_dst, spec.ip_dst);
  EXPECT_EQ(view.ip_ttl, spec.ip_ttl);
  EXPECT_EQ(view.ip_protocol, kIpProtoUdp);
  EXPECT_EQ(view.l4_offset, view.l3_offset + 20);
  EXPECT_EQ(view.src_port, spec.src_port);
  EXPECT_EQ(view.dst_port, spec.dst_port);
  EXPECT_EQ(view.udp_payload.data(), frame.data() + header);
  EXPECT_EQ(view.udp_payload.size(), payload_size);

  const uint16_t udp_sum = LoadBe16(&frame[view.l4_offset + 6]);
  if (udp_checksum == ChecksumCheck::kSkip) {
    EXPECT_EQ(udp_sum, 0);  // RFC 768: "no checksum"
  } else {
    EXPECT_NE(udp_sum, 0);
    std::vector<uint8_t> recomputed = frame;
    FixUdpChecksum(recomputed, view.l3_offset);
    EXPECT_EQ(LoadBe16(&recomputed[view.l4_offset + 6]), udp_sum);
  }
}

TEST(FrameTest, WriteThenParseUntagged) {
  ExpectWriteParseRoundTrip(0, ChecksumCheck::kVerify);
}
TEST(FrameTest, WriteThenParseOneTag) {
  ExpectWriteParseRoundTrip(1, ChecksumCheck::kVerify);
}
TEST(FrameTest, WriteThenParseTwoTags) {
  ExpectWriteParseRoundTrip(2, ChecksumCheck::kVerify);
}
TEST(FrameTest, WriteWithoutUdpChecksum) {
  ExpectWriteParseRoundTrip(0, ChecksumCheck::kSkip);
  ExpectWriteParseRoundTrip(2, ChecksumCheck::kSkip);
}

TEST(FrameTest, WriteIntoTooSmallBufferFails) {
  FrameSpec spec;
  spec.ip_src = Ipv4Address::FromOctets(192, 0, 2, 1);
  spec.ip_dst = Ipv4Address::FromOctets(192, 0, 2, 10);
  for (uint8_t nb_vlan = 0; nb_vlan <= 2; ++nb_vlan) {
    spec.nb_vlan = nb_vlan;
    spec.vlan_tpid = {kEtherTypeQinQ, kEtherTypeVlan};
    const size_t needed = FrameHeaderSize(nb_vlan) + 10;
    std::vector<uint8_t> exact(needed);
    EXPECT_EQ(WriteFrameHeaders(spec, exact, 10), needed);
    std::vector<uint8_t> small(needed - 1);
    EXPECT_EQ(WriteFrameHeaders(spec, small, 10), 0u) << int{nb_vlan};
    std::vector<uint8_t> tiny(FrameHeaderSize(nb_vlan) - 1);
    EXPECT_EQ(WriteFrameHeaders(spec, tiny, 0), 0u);
    EXPECT_EQ(WriteFrameHeaders(spec, {}, 0), 0u);
  }
  spec.nb_vlan = 3;
  std::vector<uint8_t> big(200);
  EXPECT_EQ(WriteFrameHeaders(spec, big, 10), 0u);
}

}  // namespace
}  // namespace leasewire::wire
