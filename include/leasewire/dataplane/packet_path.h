// File: leasewire/dataplane/packet_path.h
//
// What a worker does with one received frame, without DPDK: classify it
// (DHCP for the engine, ARP or ICMP echo for one of the server's own
// addresses, or a drop with its reason), answer ARP and ping in place, and
// lay down the Ethernet/IPv4/UDP headers of a DHCP reply the engine wrote.
// Everything works on plain byte spans, so it is tested without an EAL;
// the worker loop (dataplane.h) feeds it mbuf data.
//
// Thread safety: stateless functions.

#ifndef LEASEWIRE_DATAPLANE_PACKET_PATH_H_
#define LEASEWIRE_DATAPLANE_PACKET_PATH_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "leasewire/engine/engine.h"
#include "leasewire/wire/frame.h"
#include "leasewire/wire/types.h"
#include "leasewire/wire/verdict.h"

namespace leasewire::dataplane {

using wire::Ipv4Address;
using wire::MacAddress;

// Why the data plane (not the wire parser, not the engine) dropped a frame.
// Stable: counters are labelled with the names; append before kCount.
enum class Drop : uint8_t {
  kOtherEtherType = 0,  // neither IPv4 nor ARP
  kArpNotForUs,         // ARP that is not a request for our address
  kIcmpNotForUs,        // ICMP that is not an echo request to us
  kOtherIpProtocol,     // IPv4 neither UDP nor ICMP
  kNotDhcp,             // parse failed; the wire verdict is counted too
  kSegmented,           // multi-segment mbuf (jumbo or scattered RX)
  kHandoffFull,         // the owner's ring was full
  kCommitFailed,        // a held reply whose commit failed
  kTxFull,              // the port's TX queue did not take the reply
  kNoMbuf,              // packet pool empty when building a reply
  kConfigChanged,       // handed off across a reload that moved the subnet
  kCount
};
inline constexpr int kDropCount = static_cast<int>(Drop::kCount);
std::string_view DropName(Drop drop);

enum class FrameKind : uint8_t {
  kDhcp,       // UDP to port 67: parse it and hand it to the engine
  kArpReply,   // answered in place: transmit the frame back
  kIcmpReply,  // answered in place: transmit the frame back
  kDrop,       // see `drop` (and `verdict` for kNotDhcp)
};

struct Classification {
  FrameKind kind = FrameKind::kDrop;
  Drop drop = Drop::kOtherEtherType;
  wire::Verdict verdict = wire::Verdict::kOk;
  wire::FrameView view;  // filled up to where parsing stopped
};

// What the data plane knows of the port a frame came in on.
struct PortIdentity {
  MacAddress mac;
  Ipv4Address address;  // zero: the port has no address of its own
};

// Classifies `frame`, answering ARP requests and ICMP echo requests for
// `port.address` in place (the frame then holds the reply: same length,
// VLAN tags kept). For kDhcp the view holds the parsed headers and
// `view.udp_payload` the BOOTP message. `check` applies to the IPv4 and UDP
// checksums of DHCP frames; ICMP checksums are always verified. Echo
// requests with IP options other than NOP/END are not answered (RFC 1122
// §3.2.2.6 would require reversing source routes).
Classification ClassifyFrame(std::span<uint8_t> frame, const PortIdentity& port,
                             wire::ChecksumCheck check);

// Writes the Ethernet (tags of the request kept), IPv4 and UDP headers of a
// reply in front of the `payload_size` octets the engine wrote at
// frame[wire::FrameHeaderSize(request.nb_vlan)]. Source: the port's MAC and
// address (the server identifier when the port has none). Returns the frame
// length, or 0 when it does not fit.
size_t FrameReply(const wire::FrameView& request, const engine::Route& route,
                  const PortIdentity& port, Ipv4Address server_id,
                  std::span<uint8_t> frame, size_t payload_size);

}  // namespace leasewire::dataplane

#endif  // LEASEWIRE_DATAPLANE_PACKET_PATH_H_
