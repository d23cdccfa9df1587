#include "leasewire/wire/frame.h"

#include <cstring>

#include "leasewire/wire/checksum.h"

namespace leasewire::wire {

Verdict ParseEthernet(std::span<const uint8_t> frame, FrameView* view) {
  if (frame.size() < kEthernetHeaderSize) return Verdict::kTruncatedFrame;
  const uint8_t* p = frame.data();
  view->eth_dst = MacAddress::Load(p);
  view->eth_src = MacAddress::Load(p + 6);
  size_t offset = 12;
  uint16_t type = LoadBe16(p + offset);
  uint8_t nb_vlan = 0;
  while (type == kEtherTypeVlan || type == kEtherTypeQinQ) {
    if (nb_vlan == kMaxVlanTags) return Verdict::kTooManyVlanTags;
    if (frame.size() < offset + kVlanTagSize + 2) {
      return Verdict::kTruncatedFrame;
    }
    view->vlan_tpid[nb_vlan] = type;
    view->vlan_tci[nb_vlan] = LoadBe16(p + offset + 2);
    ++nb_vlan;
    offset += kVlanTagSize;
    type = LoadBe16(p + offset);
  }
  view->nb_vlan = nb_vlan;
  view->ether_type = type;
  view->l3_offset = static_cast<uint16_t>(offset + 2);
  return Verdict::kOk;
}

Verdict ParseIpv4Udp(std::span<const uint8_t> frame, ChecksumCheck check,
                     FrameView* view) {
  if (view->ether_type != kEtherTypeIpv4) return Verdict::kNotIpv4;
  const size_t l3 = view->l3_offset;
  if (frame.size() < l3 + kIpv4HeaderSize) return Verdict::kTruncatedFrame;
  const uint8_t* ip = frame.data() + l3;
  if ((ip[0] >> 4) != 4) return Verdict::kBadIpVersion;
  const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
  if (ihl < kIpv4HeaderSize) return Verdict::kBadIpHeaderLength;
  if (frame.size() < l3 + ihl) return Verdict::kBadIpHeaderLength;
  const size_t total = LoadBe16(ip + 2);
  if (total < ihl + kUdpHeaderSize) return Verdict::kBadIpTotalLength;
  if (frame.size() < l3 + total) return Verdict::kBadIpTotalLength;
  if (check == ChecksumCheck::kVerify &&
      ChecksumFinish(ChecksumAdd({ip, ihl})) != 0) {
    return Verdict::kBadIpChecksum;
  }
  // More-fragments flag or a non-zero offset.
  if ((LoadBe16(ip + 6) & 0x3fff) != 0) return Verdict::kIpFragment;
  view->ip_protocol = ip[9];
  if (ip[9] != kIpProtoUdp) return Verdict::kNotUdp;
  view->ip_ttl = ip[8];
  view->ip_src = Ipv4Address::Load(ip + 12);
  view->ip_dst = Ipv4Address::Load(ip + 16);

  const uint8_t* udp = ip + ihl;
  const size_t udp_length = LoadBe16(udp + 4);
  if (udp_length < kUdpHeaderSize || udp_length > total - ihl) {
    return Verdict::kBadUdpLength;
  }
  if (check == ChecksumCheck::kVerify && LoadBe16(udp + 6) != 0) {
    // Sum the pseudo-header and the datagram, checksum field included: a
    // correct datagram folds to zero (RFC 1071 §1).
    uint64_t sum = uint64_t{view->ip_src.value()} + view->ip_dst.value() +
                   kIpProtoUdp + udp_length;
    sum = ChecksumAdd({udp, udp_length}, sum);
    if (ChecksumFinish(sum) != 0) return Verdict::kBadUdpChecksum;
  }
  view->l4_offset = static_cast<uint16_t>(l3 + ihl);
  view->src_port = LoadBe16(udp);
  view->dst_port = LoadBe16(udp + 2);
  view->udp_payload = {udp + kUdpHeaderSize, udp_length - kUdpHeaderSize};
  return Verdict::kOk;
}

Verdict ParseDhcpFrame(std::span<const uint8_t> frame, ChecksumCheck check,
                       FrameView* view) {
  Verdict v = ParseEthernet(frame, view);
  if (v != Verdict::kOk) return v;
  v = ParseIpv4Udp(frame, check, view);
  if (v != Verdict::kOk) return v;
  if (view->dst_port != kDhcpServerPort) return Verdict::kNotDhcpPort;
  return Verdict::kOk;
}

size_t WriteFrameHeaders(const FrameSpec& spec, std::span<uint8_t> frame,
                         size_t payload_size) {
  if (spec.nb_vlan > kMaxVlanTags) return 0;
  const size_t header_size = FrameHeaderSize(spec.nb_vlan);
  const size_t frame_size = header_size + payload_size;
  if (frame.size() < frame_size || payload_size > 0xffff - 28) return 0;
  uint8_t* p = frame.data();

  spec.eth_dst.Store(p);
  spec.eth_src.Store(p + 6);
  size_t offset = 12;
  for (uint8_t i = 0; i < spec.nb_vlan; ++i) {
    StoreBe16(p + offset, spec.vlan_tpid[i]);
    StoreBe16(p + offset + 2, spec.vlan_tci[i]);
    offset += kVlanTagSize;
  }
  StoreBe16(p + offset, kEtherTypeIpv4);
  offset += 2;

  uint8_t* ip = p + offset;
  const size_t udp_length = kUdpHeaderSize + payload_size;
  ip[0] = 0x45;
  ip[1] = spec.ip_tos;
  StoreBe16(ip + 2, static_cast<uint16_t>(kIpv4HeaderSize + udp_length));
  StoreBe16(ip + 4, 0);       // identification: atomic datagram (RFC 6864)
  StoreBe16(ip + 6, 0x4000);  // don't fragment
  ip[8] = spec.ip_ttl;
  ip[9] = kIpProtoUdp;
  spec.ip_src.Store(ip + 12);
  spec.ip_dst.Store(ip + 16);
  StoreBe16(ip + 10, Ipv4HeaderChecksum({ip, kIpv4HeaderSize}));

  uint8_t* udp = ip + kIpv4HeaderSize;
  StoreBe16(udp, spec.src_port);
  StoreBe16(udp + 2, spec.dst_port);
  StoreBe16(udp + 4, static_cast<uint16_t>(udp_length));
  StoreBe16(udp + 6, 0);
  if (spec.udp_checksum == ChecksumCheck::kVerify) {
    StoreBe16(udp + 6,
              UdpChecksum(spec.ip_src, spec.ip_dst, {udp, udp_length}));
  }
  return frame_size;
}

}  // namespace leasewire::wire
