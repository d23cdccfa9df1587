// File: leasewire/wire/frame.h
//
// Views over, and writers of, the headers that carry DHCP: Ethernet II with
// up to two 802.1Q / 802.1ad tags, IPv4 and UDP.
//
// Parsing never allocates, never throws and never reads outside the span it
// is given; it returns a Verdict and fills a FrameView whose spans point into
// the caller's buffer (so the view lives no longer than the buffer).
//
// Example:
//   FrameView view;
//   Verdict v = ParseDhcpFrame(frame, ChecksumCheck::kVerify, &view);
//   if (v != Verdict::kOk) { ++drops[static_cast<int>(v)]; return; }
//   DhcpMessage msg;
//   v = msg.ParseRequest(view.udp_payload);

#ifndef LEASEWIRE_WIRE_FRAME_H_
#define LEASEWIRE_WIRE_FRAME_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "leasewire/wire/types.h"
#include "leasewire/wire/verdict.h"

namespace leasewire::wire {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;  // 802.1Q C-tag
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;  // 802.1ad S-tag
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint16_t kDhcpServerPort = 67;
inline constexpr uint16_t kDhcpClientPort = 68;

inline constexpr size_t kEthernetHeaderSize = 14;
inline constexpr size_t kVlanTagSize = 4;
inline constexpr size_t kMaxVlanTags = 2;
inline constexpr size_t kIpv4HeaderSize = 20;  // without options
inline constexpr size_t kUdpHeaderSize = 8;

// Whether the UDP and IPv4 checksums must be verified in software, or were
// already verified by the NIC (DPDK RX offload flags said "good").
enum class ChecksumCheck : uint8_t { kVerify, kSkip };

// One parsed frame. Offsets are from the start of the frame.
struct FrameView {
  MacAddress eth_dst;
  MacAddress eth_src;
  uint8_t nb_vlan = 0;
  std::array<uint16_t, kMaxVlanTags> vlan_tpid{};  // outermost first
  std::array<uint16_t, kMaxVlanTags> vlan_tci{};
  uint16_t ether_type = 0;
  uint16_t l3_offset = 0;

  // Set by ParseIpv4Udp.
  Ipv4Address ip_src;
  Ipv4Address ip_dst;
  uint8_t ip_ttl = 0;
  uint8_t ip_protocol = 0;
  uint16_t l4_offset = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  std::span<const uint8_t> udp_payload;  // exactly the UDP length's worth
};

// Ethernet and VLAN tags. On kOk, `ether_type` is the inner EtherType and
// `l3_offset` where its header starts.
Verdict ParseEthernet(std::span<const uint8_t> frame, FrameView* view);

// IPv4 and UDP after ParseEthernet. Rejects anything but an unfragmented
// IPv4/UDP datagram that fits the frame (trailing Ethernet padding is
// allowed and ignored).
// REQUIRES: ParseEthernet(frame, view) returned kOk.
Verdict ParseIpv4Udp(std::span<const uint8_t> frame, ChecksumCheck check,
                     FrameView* view);

// Both of the above, then the destination port must be 67.
Verdict ParseDhcpFrame(std::span<const uint8_t> frame, ChecksumCheck check,
                       FrameView* view);

// What WriteFrameHeaders writes in front of a UDP payload.
struct FrameSpec {
  MacAddress eth_dst;
  MacAddress eth_src;
  uint8_t nb_vlan = 0;
  std::array<uint16_t, kMaxVlanTags> vlan_tpid{};  // outermost first
  std::array<uint16_t, kMaxVlanTags> vlan_tci{};
  Ipv4Address ip_src;
  Ipv4Address ip_dst;
  uint8_t ip_ttl = 64;
  uint8_t ip_tos = 0;
  uint16_t src_port = kDhcpServerPort;
  uint16_t dst_port = kDhcpClientPort;
  // kSkip leaves the UDP checksum 0 ("not computed", legal for IPv4 UDP)
  // for NICs without offload where the cost matters; kVerify computes it.
  ChecksumCheck udp_checksum = ChecksumCheck::kVerify;
};

// Octets of Ethernet, tags, IPv4 (no options) and UDP headers.
constexpr size_t FrameHeaderSize(uint8_t nb_vlan) {
  return kEthernetHeaderSize + kVlanTagSize * nb_vlan + kIpv4HeaderSize +
         kUdpHeaderSize;
}

// Writes the headers for a payload of `payload_size` octets that already
// sits at frame[FrameHeaderSize(spec.nb_vlan)], with correct IPv4 and UDP
// checksums. Returns the frame length, or 0 when `frame` is too small or
// spec.nb_vlan > kMaxVlanTags.
size_t WriteFrameHeaders(const FrameSpec& spec, std::span<uint8_t> frame,
                         size_t payload_size);

}  // namespace leasewire::wire

#endif  // LEASEWIRE_WIRE_FRAME_H_
