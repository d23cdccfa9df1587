#include "leasewire/wire/options.h"

#include <algorithm>
#include <array>

namespace leasewire::wire {
namespace {

using T = OptionType;

// Ordered by code. Names follow the IANA registry in the lower-case,
// hyphenated form operators know from Kea and ISC dhcpd configs.
constexpr OptionDef kDefs[] = {
    {1, "subnet-mask", T::kAddress, 4},
    {2, "time-offset", T::kUint32, 4},
    {3, "routers", T::kAddressList, 4},
    {4, "time-servers", T::kAddressList, 4},
    {5, "name-servers", T::kAddressList, 4},
    {6, "domain-name-servers", T::kAddressList, 4},
    {7, "log-servers", T::kAddressList, 4},
    {9, "lpr-servers", T::kAddressList, 4},
    {12, "host-name", T::kString, 1},
    {13, "boot-size", T::kUint16, 2},
    {15, "domain-name", T::kString, 1},
    {17, "root-path", T::kString, 1},
    {19, "ip-forwarding", T::kFlag, 1},
    {23, "default-ip-ttl", T::kUint8, 1},
    {26, "interface-mtu", T::kUint16, 2},
    {28, "broadcast-address", T::kAddress, 4},
    {33, "static-routes", T::kAddressList, 8},
    {40, "nis-domain", T::kString, 1},
    {41, "nis-servers", T::kAddressList, 4},
    {42, "ntp-servers", T::kAddressList, 4},
    {43, "vendor-encapsulated-options", T::kBytes, 1},
    {44, "netbios-name-servers", T::kAddressList, 4},
    {46, "netbios-node-type", T::kUint8, 1},
    {50, "dhcp-requested-address", T::kAddress, 4},
    {51, "dhcp-lease-time", T::kUint32, 4},
    {52, "dhcp-option-overload", T::kUint8, 1},
    {53, "dhcp-message-type", T::kUint8, 1},
    {54, "dhcp-server-identifier", T::kAddress, 4},
    {55, "dhcp-parameter-request-list", T::kCodeList, 1},
    {56, "dhcp-message", T::kString, 1},
    {57, "dhcp-max-message-size", T::kUint16, 2},
    {58, "dhcp-renewal-time", T::kUint32, 4},
    {59, "dhcp-rebinding-time", T::kUint32, 4},
    {60, "vendor-class-identifier", T::kBytes, 1},
    {61, "dhcp-client-identifier", T::kBytes, 2},
    {66, "tftp-server-name", T::kString, 1},
    {67, "boot-file-name", T::kString, 1},
    {69, "smtp-server", T::kAddressList, 4},
    {77, "user-class", T::kUserClass, 2},
    {82, "dhcp-agent-options", T::kSubOptions, 2},
    {100, "pcode", T::kString, 1},
    {101, "tcode", T::kString, 1},
    {116, "auto-config", T::kFlag, 1},
    {118, "subnet-selection", T::kAddress, 4},
    {119, "domain-search", T::kDomainList, 1},
    {121, "classless-static-route", T::kClasslessRoutes, 5},
    {125, "vivso-suboptions", T::kBytes, 5},
    {138, "capwap-ac-v4", T::kAddressList, 4},
    {150, "tftp-server-address", T::kAddressList, 4},
    {252, "wpad-url", T::kString, 1},
};

constexpr std::array<std::string_view, 19> kMessageTypeNames = {
    "UNKNOWN",
    "DHCPDISCOVER",
    "DHCPOFFER",
    "DHCPREQUEST",
    "DHCPDECLINE",
    "DHCPACK",
    "DHCPNAK",
    "DHCPRELEASE",
    "DHCPINFORM",
    "DHCPFORCERENEW",
    "DHCPLEASEQUERY",
    "DHCPLEASEUNASSIGNED",
    "DHCPLEASEUNKNOWN",
    "DHCPLEASEACTIVE",
    "DHCPBULKLEASEQUERY",
    "DHCPLEASEQUERYDONE",
    "DHCPACTIVELEASEQUERY",
    "DHCPLEASEQUERYSTATUS",
    "DHCPTLS",
};

// Reads one RFC 1035 name starting at `pos` into `out` (labels joined by
// dots). Compression pointers may only point backwards, which bounds the
// walk. Returns the offset after the name in the original position, or
// nullopt.
std::optional<size_t> ReadName(std::span<const uint8_t> v, size_t pos,
                               std::string* out) {
  size_t next = 0;  // where the caller continues; set at the first pointer
  bool jumped = false;
  size_t limit = pos;  // pointers must go strictly below this
  size_t name_length = 0;
  out->clear();
  while (true) {
    if (pos >= v.size()) return std::nullopt;
    const uint8_t len = v[pos];
    if (len == 0) {
      if (!jumped) next = pos + 1;
      return next;
    }
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= v.size()) return std::nullopt;
      const size_t target = (size_t{len & 0x3fu} << 8) | v[pos + 1];
      if (target >= limit) return std::nullopt;
      if (!jumped) next = pos + 2;
      jumped = true;
      limit = target;
      pos = target;
      continue;
    }
    if ((len & 0xc0) != 0) return std::nullopt;
    if (pos + 1 + len > v.size()) return std::nullopt;
    // RFC 1035 §2.3.4: 255 octets with the length octets and the root.
    name_length += len + 1;
    if (name_length + 1 > 255) return std::nullopt;
    if (!out->empty()) out->push_back('.');
    out->append(reinterpret_cast<const char*>(&v[pos + 1]), len);
    pos += 1 + len;
  }
}

}  // namespace

std::string_view MessageTypeName(MessageType type) {
  const auto i = static_cast<size_t>(type);
  return i < kMessageTypeNames.size() ? kMessageTypeNames[i] : "UNKNOWN";
}

const OptionDef* FindOptionDef(uint8_t code) {
  const auto* it = std::lower_bound(
      std::begin(kDefs), std::end(kDefs), code,
      [](const OptionDef& d, uint8_t c) { return d.code < c; });
  return it != std::end(kDefs) && it->code == code ? it : nullptr;
}

const OptionDef* FindOptionDef(std::string_view name) {
  for (const OptionDef& d : kDefs) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

std::span<const OptionDef> OptionDefs() { return kDefs; }

bool IsValidOptionValue(const OptionDef& def, std::span<const uint8_t> value) {
  if (value.size() < def.min_length) return false;
  switch (def.type) {
    case T::kAddress:
      return value.size() == 4;
    case T::kAddressList:
      return value.size() % std::max<size_t>(def.min_length, 4) == 0;
    case T::kUint8:
      return value.size() == 1;
    case T::kFlag:
      return value.size() == 1 && value[0] <= 1;
    case T::kUint16:
      return value.size() == 2;
    case T::kUint32:
      return value.size() == 4;
    case T::kSubOptions:
      return SubOptions(value).Valid();
    case T::kClasslessRoutes:
      return ClasslessRoutes(value).Valid();
    case T::kUserClass:
      return UserClasses(value).Valid();
    case T::kDomainList:
      return DecodeDomainList(value).has_value();
    case T::kBytes:
    case T::kString:
    case T::kCodeList:
      return true;
  }
  return false;
}

bool SubOptions::Valid() const {
  size_t i = 0;
  while (i < value_.size()) {
    if (i + 2 > value_.size()) return false;
    i += 2 + size_t{value_[i + 1]};
  }
  return i == value_.size();
}

std::optional<std::span<const uint8_t>> SubOptions::Find(uint8_t code) const {
  for (const Item item : *this) {
    if (item.code == code) return item.value;
  }
  return std::nullopt;
}

std::optional<Ipv4Address> RelayAgentInfo::link_selection() const {
  const auto v = Find(relay::kLinkSelection);
  if (!v || v->size() != 4) return std::nullopt;
  return Ipv4Address::Load(v->data());
}

std::optional<Ipv4Address> RelayAgentInfo::server_id_override() const {
  const auto v = Find(relay::kServerIdOverride);
  if (!v || v->size() != 4) return std::nullopt;
  return Ipv4Address::Load(v->data());
}

bool RelayAgentInfo::relay_source_port() const {
  const auto v = Find(relay::kRelaySourcePort);
  return v && v->empty();
}

bool ClasslessRoutes::Valid() const {
  if (value_.empty()) return false;
  size_t i = 0;
  while (i < value_.size()) {
    const uint8_t width = value_[i];
    if (width > 32) return false;
    i += 1 + (width + 7u) / 8u + 4;
  }
  return i == value_.size();
}

bool UserClasses::Valid() const {
  if (value_.empty()) return false;
  size_t i = 0;
  while (i < value_.size()) {
    const size_t n = value_[i];
    if (n == 0) return false;
    i += 1 + n;
  }
  return i == value_.size();
}

std::optional<std::vector<uint8_t>> EncodeDomainList(
    std::span<const std::string> names) {
  std::vector<uint8_t> out;
  // Offsets of every suffix already written, for compression.
  std::vector<std::pair<std::string, size_t>> suffixes;
  for (std::string name : names) {
    if (!name.empty() && name.back() == '.') name.pop_back();
    if (name.empty() || name.size() > 253) return std::nullopt;
    size_t pos = 0;
    while (true) {
      const std::string suffix = name.substr(pos);
      const auto known =
          std::find_if(suffixes.begin(), suffixes.end(),
                       [&](const auto& s) { return s.first == suffix; });
      if (known != suffixes.end() && known->second < 0x4000) {
        out.push_back(static_cast<uint8_t>(0xc0 | (known->second >> 8)));
        out.push_back(static_cast<uint8_t>(known->second));
        break;
      }
      size_t dot = name.find('.', pos);
      if (dot == std::string::npos) dot = name.size();
      const size_t len = dot - pos;
      if (len == 0 || len > 63) return std::nullopt;
      suffixes.emplace_back(suffix, out.size());
      out.push_back(static_cast<uint8_t>(len));
      out.insert(out.end(), name.begin() + pos, name.begin() + dot);
      if (dot == name.size()) {
        out.push_back(0);
        break;
      }
      pos = dot + 1;
    }
  }
  return out;
}

std::optional<std::vector<std::string>> DecodeDomainList(
    std::span<const uint8_t> value) {
  if (value.empty()) return std::nullopt;
  std::vector<std::string> names;
  size_t pos = 0;
  std::string name;
  while (pos < value.size()) {
    const auto next = ReadName(value, pos, &name);
    if (!next || name.empty()) return std::nullopt;
    names.push_back(name);
    pos = *next;
  }
  return names;
}

}  // namespace leasewire::wire
