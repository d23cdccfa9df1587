// File: leasewire/wire/options.h
//
// DHCP option codes, the table that defines their types (RFC 2132 and
// later), and zero-copy views over structured option values: address lists,
// type-length-value sub-options (option 82), classless static routes (121)
// and user classes (77). Views never allocate and check every length before
// reading; a view over a malformed value reports it through Valid().

#ifndef LEASEWIRE_WIRE_OPTIONS_H_
#define LEASEWIRE_WIRE_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "leasewire/wire/types.h"

namespace leasewire::wire {

// Option codes, named as in the IANA registry.
namespace option {
inline constexpr uint8_t kPad = 0;
inline constexpr uint8_t kSubnetMask = 1;
inline constexpr uint8_t kRouter = 3;
inline constexpr uint8_t kDomainNameServer = 6;
inline constexpr uint8_t kHostName = 12;
inline constexpr uint8_t kDomainName = 15;
inline constexpr uint8_t kInterfaceMtu = 26;
inline constexpr uint8_t kBroadcastAddress = 28;
inline constexpr uint8_t kNtpServers = 42;
inline constexpr uint8_t kVendorSpecific = 43;
inline constexpr uint8_t kRequestedAddress = 50;
inline constexpr uint8_t kLeaseTime = 51;
inline constexpr uint8_t kOverload = 52;
inline constexpr uint8_t kMessageType = 53;
inline constexpr uint8_t kServerIdentifier = 54;
inline constexpr uint8_t kParameterRequestList = 55;
inline constexpr uint8_t kMessage = 56;
inline constexpr uint8_t kMaxMessageSize = 57;
inline constexpr uint8_t kRenewalTime = 58;
inline constexpr uint8_t kRebindingTime = 59;
inline constexpr uint8_t kVendorClass = 60;
inline constexpr uint8_t kClientIdentifier = 61;
inline constexpr uint8_t kTftpServerName = 66;
inline constexpr uint8_t kBootfileName = 67;
inline constexpr uint8_t kUserClass = 77;
inline constexpr uint8_t kRelayAgentInfo = 82;
inline constexpr uint8_t kAutoConfigure = 116;
inline constexpr uint8_t kSubnetSelection = 118;
inline constexpr uint8_t kDomainSearch = 119;
inline constexpr uint8_t kClasslessStaticRoute = 121;
inline constexpr uint8_t kEnd = 255;
}  // namespace option

// Sub-options of the Relay Agent Information option (82).
namespace relay {
inline constexpr uint8_t kCircuitId = 1;          // RFC 3046
inline constexpr uint8_t kRemoteId = 2;           // RFC 3046
inline constexpr uint8_t kLinkSelection = 5;      // RFC 3527
inline constexpr uint8_t kSubscriberId = 6;       // RFC 3993
inline constexpr uint8_t kVendorSpecific = 9;     // RFC 4243
inline constexpr uint8_t kServerIdOverride = 11;  // RFC 5107
inline constexpr uint8_t kRelaySourcePort = 19;   // RFC 8357
}  // namespace relay

// DHCP message types (option 53; RFC 2132 §9.6, RFC 4388, 6926, 7724).
enum class MessageType : uint8_t {
  kDiscover = 1,
  kOffer = 2,
  kRequest = 3,
  kDecline = 4,
  kAck = 5,
  kNak = 6,
  kRelease = 7,
  kInform = 8,
  kForceRenew = 9,
  kLeaseQuery = 10,
  kLeaseUnassigned = 11,
  kLeaseUnknown = 12,
  kLeaseActive = 13,
  kBulkLeaseQuery = 14,
  kLeaseQueryDone = 15,
  kActiveLeaseQuery = 16,
  kLeaseQueryStatus = 17,
  kTls = 18,
};

std::string_view MessageTypeName(MessageType type);  // "DHCPDISCOVER"

// How an option's value is laid out.
enum class OptionType : uint8_t {
  kBytes,        // opaque
  kString,       // NVT ASCII text
  kAddress,      // one IPv4 address
  kAddressList,  // one or more IPv4 addresses
  kUint8,
  kUint16,
  kUint32,
  kFlag,             // one octet, 0 or 1
  kCodeList,         // option codes (55)
  kSubOptions,       // code-length-value sub-options (82)
  kDomainList,       // RFC 1035 names, compression allowed (119)
  kClasslessRoutes,  // RFC 3442 (121)
  kUserClass,        // RFC 3004 (77)
};

// One entry of the option table.
struct OptionDef {
  uint8_t code;
  std::string_view name;  // e.g. "domain-name-servers"
  OptionType type;
  uint8_t min_length;  // shortest valid value
};

// The definition for `code`, or nullptr for codes the table does not know
// (they are still parsed and can be configured as opaque bytes).
const OptionDef* FindOptionDef(uint8_t code);
const OptionDef* FindOptionDef(std::string_view name);
// Every defined option, ordered by code.
std::span<const OptionDef> OptionDefs();

// Whether `value` is well formed for `def` (length and inner structure).
bool IsValidOptionValue(const OptionDef& def, std::span<const uint8_t> value);

// A list of IPv4 addresses (options 3, 6, 42, ...).
class AddressList {
 public:
  explicit AddressList(std::span<const uint8_t> value) : value_(value) {}
  bool Valid() const { return !value_.empty() && value_.size() % 4 == 0; }
  size_t size() const { return value_.size() / 4; }
  Ipv4Address operator[](size_t i) const {
    return Ipv4Address::Load(value_.data() + 4 * i);
  }

 private:
  std::span<const uint8_t> value_;
};

// Code-length-value items, as in option 82 (RFC 3046 §2.0).
class SubOptions {
 public:
  struct Item {
    uint8_t code;
    std::span<const uint8_t> value;
  };
  class Iterator {
   public:
    Iterator(std::span<const uint8_t> rest) : rest_(rest) {}
    Item operator*() const { return {rest_[0], rest_.subspan(2, rest_[1])}; }
    Iterator& operator++() {
      rest_ = rest_.subspan(2 + size_t{rest_[1]});
      return *this;
    }
    bool operator==(const Iterator& o) const {
      return rest_.size() == o.rest_.size();
    }

   private:
    std::span<const uint8_t> rest_;
  };

  explicit SubOptions(std::span<const uint8_t> value) : value_(value) {}
  // Every item lies wholly inside the value. Iterate only valid values.
  bool Valid() const;
  // The first item with `code`; nullopt when absent.
  // REQUIRES: Valid().
  std::optional<std::span<const uint8_t>> Find(uint8_t code) const;
  Iterator begin() const { return Iterator(value_); }
  Iterator end() const { return Iterator(value_.last(0)); }
  std::span<const uint8_t> raw() const { return value_; }

 private:
  std::span<const uint8_t> value_;
};

// The Relay Agent Information option (82), with typed sub-option access.
class RelayAgentInfo : public SubOptions {
 public:
  using SubOptions::SubOptions;
  std::optional<std::span<const uint8_t>> circuit_id() const {
    return Find(relay::kCircuitId);
  }
  std::optional<std::span<const uint8_t>> remote_id() const {
    return Find(relay::kRemoteId);
  }
  std::optional<std::span<const uint8_t>> subscriber_id() const {
    return Find(relay::kSubscriberId);
  }
  std::optional<std::span<const uint8_t>> vendor_specific() const {
    return Find(relay::kVendorSpecific);
  }
  // RFC 3527; nullopt when absent or not 4 octets.
  std::optional<Ipv4Address> link_selection() const;
  // RFC 5107; nullopt when absent or not 4 octets.
  std::optional<Ipv4Address> server_id_override() const;
  // RFC 8357: present with length 0 (the only valid form).
  bool relay_source_port() const;
};

// One route of option 121 (RFC 3442).
struct ClasslessRoute {
  Ipv4Address destination;
  uint8_t prefix_length;
  Ipv4Address router;
};

// Option 121: destination descriptors and routers (RFC 3442 §2).
class ClasslessRoutes {
 public:
  explicit ClasslessRoutes(std::span<const uint8_t> value) : value_(value) {}
  bool Valid() const;
  // Calls f(route) for each route; stops at the first malformed one.
  template <typename F>
  void ForEach(F f) const {
    size_t i = 0;
    while (i < value_.size()) {
      const uint8_t width = value_[i];
      const size_t octets = (width + 7u) / 8u;
      if (width > 32 || i + 1 + octets + 4 > value_.size()) return;
      uint8_t dest[4] = {0, 0, 0, 0};
      for (size_t k = 0; k < octets; ++k) dest[k] = value_[i + 1 + k];
      f(ClasslessRoute{Ipv4Address::Load(dest), width,
                       Ipv4Address::Load(&value_[i + 1 + octets])});
      i += 1 + octets + 4;
    }
  }

 private:
  std::span<const uint8_t> value_;
};

// Option 77 (RFC 3004 §4): length-prefixed user class data items.
class UserClasses {
 public:
  explicit UserClasses(std::span<const uint8_t> value) : value_(value) {}
  // RFC 3004 form: every item has length >= 1 and fits. Some clients send a
  // bare string instead; callers then use the raw value.
  bool Valid() const;
  template <typename F>
  void ForEach(F f) const {
    size_t i = 0;
    while (i < value_.size()) {
      const size_t n = value_[i];
      if (n == 0 || i + 1 + n > value_.size()) return;
      f(value_.subspan(i + 1, n));
      i += 1 + n;
    }
  }
  std::span<const uint8_t> raw() const { return value_; }

 private:
  std::span<const uint8_t> value_;
};

// RFC 1035 §3.1 name lists, as in option 119 (RFC 3397). These allocate and
// belong on the control path (configuration, tests), never per packet.
//
// Encodes names such as "example.net" (a trailing dot is allowed) with
// compression of repeated suffixes; nullopt when a label is empty or longer
// than 63 octets, or a name longer than 255.
std::optional<std::vector<uint8_t>> EncodeDomainList(
    std::span<const std::string> names);
// Decodes an encoded list, following compression pointers backwards only;
// nullopt when malformed.
std::optional<std::vector<std::string>> DecodeDomainList(
    std::span<const uint8_t> value);

}  // namespace leasewire::wire

#endif  // LEASEWIRE_WIRE_OPTIONS_H_
