// File: leasewire/wire/dhcp_message.h
//
// DhcpMessage is a parsed view of one BOOTP/DHCP message (RFC 2131 §2): the
// fixed header read in place, and an index of the options found in the
// options field and, when option 52 says so, in `file` and `sname`
// (RFC 2132 §9.3). An option that appears several times is the
// concatenation of its instances in order (RFC 3396 §7); such values are
// copied into a scratch area inside the object, every other value points into
// the caller's buffer.
//
// Thread safety: thread-compatible. A worker keeps one DhcpMessage and
// re-parses into it for each packet; Parse() does not allocate.
//
// Lifetime: spans returned by accessors point into the parsed buffer or into
// this object. Both must outlive their use, and a new Parse() invalidates
// them.
//
// Example:
//   DhcpMessage msg;
//   Verdict v = msg.ParseRequest(udp_payload);
//   if (v != Verdict::kOk) return v;
//   if (msg.message_type() == MessageType::kDiscover) ...

#ifndef LEASEWIRE_WIRE_DHCP_MESSAGE_H_
#define LEASEWIRE_WIRE_DHCP_MESSAGE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "leasewire/wire/options.h"
#include "leasewire/wire/types.h"
#include "leasewire/wire/verdict.h"

namespace leasewire::wire {

inline constexpr uint8_t kBootRequest = 1;
inline constexpr uint8_t kBootReply = 2;
inline constexpr uint8_t kHtypeEthernet = 1;
inline constexpr uint8_t kHtypeInfiniband = 32;  // RFC 4390
inline constexpr uint16_t kBroadcastFlag = 0x8000;
inline constexpr uint32_t kMagicCookie = 0x63825363;
inline constexpr uint32_t kInfiniteLease = 0xffffffff;

// Offsets in the fixed header (RFC 2131 Figure 1).
inline constexpr size_t kChaddrOffset = 28;
inline constexpr size_t kChaddrSize = 16;
inline constexpr size_t kSnameOffset = 44;
inline constexpr size_t kSnameSize = 64;
inline constexpr size_t kFileOffset = 108;
inline constexpr size_t kFileSize = 128;
inline constexpr size_t kFixedHeaderSize = 236;
inline constexpr size_t kOptionsOffset = 240;  // after the magic cookie

// Smallest IP datagram every DHCP client accepts (RFC 2131 §2), and hence
// the floor of option 57.
inline constexpr uint16_t kMinMaxMessageSize = 576;

// The bound on the total length of all options that occur more than once
// (RFC 3396 concatenation). Larger messages are dropped as
// kOptionsTooLong; no frame of a 1500-octet MTU can reach it.
inline constexpr size_t kConcatScratchSize = 2048;

class DhcpMessage {
 public:
  DhcpMessage() = default;
  DhcpMessage(const DhcpMessage&) = delete;
  DhcpMessage& operator=(const DhcpMessage&) = delete;

  // Parses the UDP payload `payload` as a BOOTP/DHCP message of either
  // direction: fixed header, cookie, hardware address sanity, every option
  // area, RFC 3396 concatenation, option 52, and the lengths of the options
  // whose misreading would change a decision (50, 51, 53, 54, 57, 118, 82).
  // A missing option 53 is not an error here (see CheckServerBound()).
  Verdict Parse(std::span<const uint8_t> payload);

  // What a server must check after Parse() (RFC 2131 §2, §4.3, RFC 951):
  // a BOOTREQUEST carrying DISCOVER, REQUEST, DECLINE, RELEASE or INFORM.
  // REQUIRES: Parse() returned kOk.
  Verdict CheckServerBound() const;

  // Parse() then CheckServerBound().
  Verdict ParseRequest(std::span<const uint8_t> payload) {
    const Verdict v = Parse(payload);
    return v == Verdict::kOk ? CheckServerBound() : v;
  }

  // ---- Fixed header (RFC 2131 §2). REQUIRES: Parse() returned kOk.
  uint8_t op() const { return data_[0]; }
  uint8_t htype() const { return data_[1]; }
  uint8_t hlen() const { return data_[2]; }
  uint8_t hops() const { return data_[3]; }
  uint32_t xid() const { return LoadBe32(&data_[4]); }
  uint16_t secs() const { return LoadBe16(&data_[8]); }
  uint16_t flags() const { return LoadBe16(&data_[10]); }
  bool broadcast() const { return (flags() & kBroadcastFlag) != 0; }
  Ipv4Address ciaddr() const { return Ipv4Address::Load(&data_[12]); }
  Ipv4Address yiaddr() const { return Ipv4Address::Load(&data_[16]); }
  Ipv4Address siaddr() const { return Ipv4Address::Load(&data_[20]); }
  Ipv4Address giaddr() const { return Ipv4Address::Load(&data_[24]); }
  // The hlen octets of chaddr that hold the hardware address (hlen <= 16).
  std::span<const uint8_t> chaddr() const {
    return data_.subspan(kChaddrOffset, hlen());
  }
  // The whole 16-octet chaddr field.
  std::span<const uint8_t> chaddr_field() const {
    return data_.subspan(kChaddrOffset, kChaddrSize);
  }
  std::span<const uint8_t> sname() const {
    return data_.subspan(kSnameOffset, kSnameSize);
  }
  std::span<const uint8_t> file() const {
    return data_.subspan(kFileOffset, kFileSize);
  }
  // The whole UDP payload that was parsed.
  std::span<const uint8_t> payload() const { return data_; }

  // ---- Options, by code.
  bool Has(uint8_t code) const {
    return (present_[code >> 6] >> (code & 63)) & 1;
  }
  // The value of `code` (all instances joined); nullopt when absent.
  std::optional<std::span<const uint8_t>> Find(uint8_t code) const;
  // How many instances of `code` the message carried (0 when absent).
  uint8_t instances(uint8_t code) const {
    return Has(code) ? slots_[code].instances : 0;
  }
  // Option 52 as applied: 1 file, 2 sname, 3 both; 0 when absent or when
  // its value was invalid and therefore ignored.
  uint8_t overload() const { return overload_; }
  // Calls f(code, value) for every option present, in ascending code order.
  template <typename F>
  void ForEachOption(F f) const {
    for (int code = 1; code < 255; ++code) {
      if (Has(static_cast<uint8_t>(code))) {
        f(static_cast<uint8_t>(code), *Find(static_cast<uint8_t>(code)));
      }
    }
  }

  // ---- Typed accessors: nullopt when absent or malformed.
  std::optional<Ipv4Address> GetAddress(uint8_t code) const;
  std::optional<AddressList> GetAddressList(uint8_t code) const;
  std::optional<uint8_t> GetUint8(uint8_t code) const;
  std::optional<uint16_t> GetUint16(uint8_t code) const;
  std::optional<uint32_t> GetUint32(uint8_t code) const;
  // Text with trailing NULs removed (RFC 2132 §2); nullopt when empty.
  std::optional<std::string_view> GetString(uint8_t code) const;
  std::optional<std::span<const uint8_t>> GetBytes(uint8_t code) const {
    return Find(code);
  }

  std::optional<MessageType> message_type() const;
  std::optional<Ipv4Address> subnet_mask() const {
    return GetAddress(option::kSubnetMask);
  }
  std::optional<AddressList> routers() const {
    return GetAddressList(option::kRouter);
  }
  std::optional<AddressList> domain_name_servers() const {
    return GetAddressList(option::kDomainNameServer);
  }
  std::optional<std::string_view> host_name() const {
    return GetString(option::kHostName);
  }
  std::optional<std::string_view> domain_name() const {
    return GetString(option::kDomainName);
  }
  std::optional<uint16_t> interface_mtu() const {
    return GetUint16(option::kInterfaceMtu);
  }
  std::optional<Ipv4Address> broadcast_address() const {
    return GetAddress(option::kBroadcastAddress);
  }
  std::optional<AddressList> ntp_servers() const {
    return GetAddressList(option::kNtpServers);
  }
  std::optional<std::span<const uint8_t>> vendor_specific() const {
    return Find(option::kVendorSpecific);
  }
  std::optional<Ipv4Address> requested_address() const {
    return GetAddress(option::kRequestedAddress);
  }
  std::optional<uint32_t> lease_time() const {
    return GetUint32(option::kLeaseTime);
  }
  std::optional<Ipv4Address> server_identifier() const {
    return GetAddress(option::kServerIdentifier);
  }
  // Option 55; empty when absent.
  std::span<const uint8_t> parameter_request_list() const;
  // Option 57 clamped to at least 576; 576 when absent (RFC 2132 §9.10).
  uint16_t max_message_size() const;
  std::optional<uint32_t> renewal_time() const {
    return GetUint32(option::kRenewalTime);
  }
  std::optional<uint32_t> rebinding_time() const {
    return GetUint32(option::kRebindingTime);
  }
  std::optional<std::span<const uint8_t>> vendor_class() const {
    return Find(option::kVendorClass);
  }
  // Option 61 when it has the 2 octets RFC 2132 §9.14 requires; a shorter
  // one is treated as absent (a 0- or 1-octet key would collide).
  std::optional<std::span<const uint8_t>> client_identifier() const;
  std::optional<UserClasses> user_class() const;
  // Option 82 (validated by Parse()).
  std::optional<RelayAgentInfo> relay_agent_info() const;
  std::optional<uint8_t> auto_configure() const {
    return GetUint8(option::kAutoConfigure);
  }
  std::optional<Ipv4Address> subnet_selection() const {
    return GetAddress(option::kSubnetSelection);
  }
  std::optional<std::span<const uint8_t>> domain_search() const {
    return Find(option::kDomainSearch);
  }
  std::optional<ClasslessRoutes> classless_static_routes() const;

 private:
  // Where one option's value lives: payload offset, or scratch offset when
  // `concatenated`.
  struct Slot {
    uint16_t offset;
    uint16_t length;
    uint8_t instances;
    bool concatenated;
  };
  enum class Area : uint8_t { kOptions, kFile, kSname };

  Verdict ScanArea(size_t begin, size_t end, Area area);
  Verdict Concatenate();
  void CopyInstances(size_t begin, size_t end, Area area);
  Verdict CheckLengths() const;

  std::span<const uint8_t> data_;
  std::array<uint64_t, 4> present_{};
  std::array<uint64_t, 4> multiple_{};
  uint8_t overload_ = 0;
  bool any_multiple_ = false;
  std::array<Slot, 256> slots_;
  std::array<uint8_t, kConcatScratchSize> scratch_;
};

// The accessors the engine calls on every request, inline: each is a bit
// test and a load, cheaper than the call.

inline std::optional<std::span<const uint8_t>> DhcpMessage::Find(
    uint8_t code) const {
  if (!Has(code)) return std::nullopt;
  const Slot& slot = slots_[code];
  if (slot.concatenated) {
    return std::span<const uint8_t>(scratch_.data() + slot.offset, slot.length);
  }
  return data_.subspan(slot.offset, slot.length);
}

inline std::optional<Ipv4Address> DhcpMessage::GetAddress(uint8_t code) const {
  const auto v = Find(code);
  if (!v || v->size() != 4) return std::nullopt;
  return Ipv4Address::Load(v->data());
}

inline std::optional<uint8_t> DhcpMessage::GetUint8(uint8_t code) const {
  const auto v = Find(code);
  if (!v || v->size() != 1) return std::nullopt;
  return (*v)[0];
}

inline std::optional<uint16_t> DhcpMessage::GetUint16(uint8_t code) const {
  const auto v = Find(code);
  if (!v || v->size() != 2) return std::nullopt;
  return LoadBe16(v->data());
}

inline std::optional<uint32_t> DhcpMessage::GetUint32(uint8_t code) const {
  const auto v = Find(code);
  if (!v || v->size() != 4) return std::nullopt;
  return LoadBe32(v->data());
}

inline std::optional<MessageType> DhcpMessage::message_type() const {
  const auto v = GetUint8(option::kMessageType);
  if (!v) return std::nullopt;
  return static_cast<MessageType>(*v);
}

inline uint16_t DhcpMessage::max_message_size() const {
  const auto v = GetUint16(option::kMaxMessageSize);
  if (!v || *v < kMinMaxMessageSize) return kMinMaxMessageSize;
  return *v;
}

inline std::optional<std::span<const uint8_t>> DhcpMessage::client_identifier()
    const {
  const auto v = Find(option::kClientIdentifier);
  if (!v || v->size() < 2) return std::nullopt;
  return v;
}

}  // namespace leasewire::wire

#endif  // LEASEWIRE_WIRE_DHCP_MESSAGE_H_
