#include "leasewire/dataplane/packet_path.h"

#include <array>
#include <cstring>

#include "leasewire/wire/checksum.h"
#include "leasewire/wire/dhcp_message.h"

namespace leasewire::dataplane {
namespace {

using wire::LoadBe16;
using wire::StoreBe16;

constexpr size_t kArpSize = 28;  // Ethernet/IPv4 ARP (RFC 826)
constexpr uint16_t kArpRequest = 1;
constexpr uint16_t kArpReply = 2;
constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kIcmpEchoRequest = 8;
constexpr size_t kIcmpHeaderSize = 8;

// The Ethernet header of an in-place reply: to `to`, from us.
void AddressEthernet(std::span<uint8_t> frame, const uint8_t* to,
                     const MacAddress& ours) {
  std::memmove(frame.data(), to, 6);
  ours.Store(frame.data() + 6);
}

// Whether IPv4 options hold nothing but NOP and END, which an echo reply
// may carry back unchanged. Source routes must be reversed and record
// route / timestamp updated (RFC 1122 §3.2.2.6); leasewired does not
// implement that and leaves such pings unanswered.
bool OnlyPaddingOptions(std::span<const uint8_t> options) {
  for (const uint8_t o : options) {
    if (o != 0 && o != 1) return false;
  }
  return true;
}

// RFC 826: an Ethernet/IPv4 request whose target is our address becomes
// the reply, in place.
Classification HandleArp(std::span<uint8_t> frame, const PortIdentity& port,
                         Classification c) {
  c.drop = Drop::kArpNotForUs;
  const size_t at = c.view.l3_offset;
  if (port.address.IsZero() || frame.size() < at + kArpSize) return c;
  uint8_t* arp = frame.data() + at;
  if (LoadBe16(arp) != wire::kHtypeEthernet ||
      LoadBe16(arp + 2) != wire::kEtherTypeIpv4 || arp[4] != 6 || arp[5] != 4 ||
      LoadBe16(arp + 6) != kArpRequest ||
      Ipv4Address::Load(arp + 24) != port.address) {
    return c;
  }
  StoreBe16(arp + 6, kArpReply);
  std::memcpy(arp + 18, arp + 8, 10);  // target := sender (MAC and IP)
  port.mac.Store(arp + 8);
  port.address.Store(arp + 14);
  // RFC 826: the reply goes to the requester's hardware address as the
  // ARP packet gives it (it differs from the Ethernet source behind
  // proxies and bridges that rewrite it).
  AddressEthernet(frame, arp + 18, port.mac);
  c.kind = FrameKind::kArpReply;
  return c;
}

// RFC 792: an echo request to our address becomes the echo reply, in
// place (payload and padding-only IP options kept). Checksums are always
// verified: NIC offload flags cover UDP, not ICMP, and ping is not the
// hot path.
Classification HandleIcmp(std::span<uint8_t> frame, const PortIdentity& port,
                          Classification c) {
  c.drop = Drop::kIcmpNotForUs;
  uint8_t* ip = frame.data() + c.view.l3_offset;
  const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
  const size_t total = LoadBe16(ip + 2);
  // RFC 1122 §3.2.1.1: a datagram whose version is not 4 is discarded.
  if ((ip[0] >> 4) != 4 || ihl < wire::kIpv4HeaderSize ||
      total < ihl + kIcmpHeaderSize ||
      c.view.l3_offset + total > frame.size() ||
      (LoadBe16(ip + 6) & 0x3fff) != 0 || port.address.IsZero() ||
      Ipv4Address::Load(ip + 16) != port.address) {
    return c;
  }
  uint8_t* icmp = ip + ihl;
  const std::span<uint8_t> message(icmp, total - ihl);
  if (icmp[0] != kIcmpEchoRequest || icmp[1] != 0 ||
      !OnlyPaddingOptions(
          {ip + wire::kIpv4HeaderSize, ihl - wire::kIpv4HeaderSize}) ||
      wire::ChecksumFinish(wire::ChecksumAdd({ip, ihl})) != 0 ||
      wire::ChecksumFinish(wire::ChecksumAdd(message)) != 0) {
    return c;
  }
  icmp[0] = kIcmpEchoReply;
  StoreBe16(icmp + 2, 0);
  StoreBe16(icmp + 2, wire::ChecksumFinish(wire::ChecksumAdd(message)));
  std::memcpy(ip + 16, ip + 12, 4);
  port.address.Store(ip + 12);
  ip[8] = 64;  // TTL
  StoreBe16(ip + 10, wire::Ipv4HeaderChecksum({ip, ihl}));
  AddressEthernet(frame, frame.data() + 6, port.mac);
  c.kind = FrameKind::kIcmpReply;
  return c;
}

}  // namespace

std::string_view DropName(Drop drop) {
  static constexpr std::array<std::string_view, kDropCount> kNames = {
      "other_ethertype",   "arp_not_for_us", "icmp_not_for_us",
      "other_ip_protocol", "not_dhcp",       "segmented",
      "handoff_full",      "commit_failed",  "tx_full",
      "no_mbuf",           "config_changed"};
  const size_t i = static_cast<size_t>(drop);
  return i < kNames.size() ? kNames[i] : "unknown";
}

Classification ClassifyFrame(std::span<uint8_t> frame, const PortIdentity& port,
                             wire::ChecksumCheck check) {
  Classification c;
  c.verdict = wire::ParseEthernet(frame, &c.view);
  if (c.verdict != wire::Verdict::kOk) {
    c.drop = Drop::kNotDhcp;
    return c;
  }
  if (c.view.ether_type == wire::kEtherTypeArp) {
    return HandleArp(frame, port, c);
  }
  if (c.view.ether_type != wire::kEtherTypeIpv4) {
    c.drop = Drop::kOtherEtherType;
    return c;
  }
  // The protocol octet decides between ping and DHCP; the UDP parser
  // validates the header properly.
  const size_t protocol_at = c.view.l3_offset + 9;
  if (protocol_at < frame.size() && frame[protocol_at] == wire::kIpProtoIcmp &&
      frame.size() >= c.view.l3_offset + wire::kIpv4HeaderSize) {
    return HandleIcmp(frame, port, c);
  }
  c.verdict = wire::ParseIpv4Udp(frame, check, &c.view);
  if (c.verdict == wire::Verdict::kOk &&
      c.view.dst_port != wire::kDhcpServerPort) {
    c.verdict = wire::Verdict::kNotDhcpPort;
  }
  if (c.verdict == wire::Verdict::kNotUdp) {
    c.drop = Drop::kOtherIpProtocol;
    return c;
  }
  if (c.verdict != wire::Verdict::kOk) {
    c.drop = Drop::kNotDhcp;
    return c;
  }
  c.kind = FrameKind::kDhcp;
  return c;
}

size_t FrameReply(const wire::FrameView& request, const engine::Route& route,
                  const PortIdentity& port, Ipv4Address server_id,
                  std::span<uint8_t> frame, size_t payload_size) {
  wire::FrameSpec spec;
  spec.eth_dst = route.eth_dst;
  spec.eth_src = port.mac;
  spec.nb_vlan = request.nb_vlan;
  spec.vlan_tpid = request.vlan_tpid;
  spec.vlan_tci = request.vlan_tci;
  spec.ip_src = port.address.IsZero() ? server_id : port.address;
  spec.ip_dst = route.ip_dst;
  spec.src_port = wire::kDhcpServerPort;
  spec.dst_port = route.dst_port;
  return wire::WriteFrameHeaders(spec, frame, payload_size);
}

}  // namespace leasewire::dataplane
