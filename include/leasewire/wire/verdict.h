// File: leasewire/wire/verdict.h
//
// The verdict of parsing one received frame: kOk, or the one reason it is
// dropped. Later layers keep a counter per verdict, and the names below are
// the label values of those counters in metrics, so both the numbers and the
// names are stable: append new reasons before kCount, never renumber.

#ifndef LEASEWIRE_WIRE_VERDICT_H_
#define LEASEWIRE_WIRE_VERDICT_H_

#include <cstdint>
#include <string_view>

namespace leasewire::wire {

enum class Verdict : uint8_t {
  kOk = 0,

  // Layer 2.
  kTruncatedFrame = 1,   // shorter than the headers it announces
  kTooManyVlanTags = 2,  // more than two 802.1Q/802.1ad tags
  kNotIpv4 = 3,          // EtherType is not IPv4 (ARP is classified earlier)

  // IPv4 (RFC 791).
  kBadIpVersion = 4,
  kBadIpHeaderLength = 5,  // IHL < 5 or past the frame
  kBadIpTotalLength = 6,   // total length < header or > frame
  kBadIpChecksum = 7,
  kIpFragment = 8,  // MF set or non-zero offset: DHCP is never fragmented
  kNotUdp = 9,

  // UDP (RFC 768).
  kBadUdpLength = 10,
  kBadUdpChecksum = 11,  // checked only when non-zero
  kNotDhcpPort = 12,     // destination port is not 67

  // BOOTP / DHCP structure (RFC 951, 2131, 2132, 3396).
  kTruncatedBootp = 13,      // less than the 236-octet fixed header
  kBadOp = 14,               // op is neither BOOTREQUEST nor BOOTREPLY
  kBadHardwareAddress = 15,  // hlen > 16, or htype 1 with hlen != 6
  kBadMagicCookie = 16,      // no RFC 1048 cookie: plain BOOTP or junk
  kOptionOverrun = 17,       // an option runs past the end of its field
  kOptionsTooLong = 18,      // RFC 3396 concatenations exceed the scratch
  kBadOptionLength = 19,     // a fixed-length option (50, 51, 54, 57, 118)
  kBadMessageType = 20,      // option 53 is not exactly one octet
  kBadRelayAgentInfo = 21,   // option 82 sub-options do not parse

  // Server-side acceptance (RFC 2131 §2, §4.3): well formed, not for us.
  kBootReply = 22,               // op = BOOTREPLY
  kOpTypeMismatch = 23,          // BOOTREPLY carrying a client message type
  kMissingMessageType = 24,      // no option 53: BOOTP, not DHCP
  kServerMessageType = 25,       // OFFER/ACK/NAK/... sent to a server
  kUnsupportedMessageType = 26,  // leasequery family: not served
  kUnknownMessageType = 27,      // unassigned message type

  kCount
};

inline constexpr int kVerdictCount = static_cast<int>(Verdict::kCount);

// Stable snake_case name ("bad_ip_checksum"); "unknown" outside the enum.
std::string_view VerdictName(Verdict verdict);

}  // namespace leasewire::wire

#endif  // LEASEWIRE_WIRE_VERDICT_H_
