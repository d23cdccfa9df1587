#include "config/option_value.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "leasewire/wire/options.h"

namespace leasewire::config {
namespace {

using Bytes = std::vector<uint8_t>;
using wire::OptionType;

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(what);
}

std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", text, "\"");
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// An even number of hex digits, no separators.
bool AppendHexRun(absl::string_view text, Bytes* out) {
  if (text.empty() || text.size() % 2 != 0) return false;
  for (size_t i = 0; i < text.size(); i += 2) {
    const int hi = HexDigit(text[i]);
    const int lo = HexDigit(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return true;
}

// Decimal digits only (no sign, no blanks), at most `max`.
std::optional<uint64_t> ParseDecimal(absl::string_view text, uint64_t max) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > max) return std::nullopt;
  }
  return v;
}

// Comma-separated items with blanks around them ignored.
absl::StatusOr<std::vector<absl::string_view>> SplitList(
    absl::string_view text) {
  std::vector<absl::string_view> items;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) {
      return Invalid(absl::StrCat("empty item in the list ", Quote(text)));
    }
    items.push_back(item);
  }
  return items;
}

absl::StatusOr<Ipv4Address> ParseAddress(absl::string_view text) {
  const std::optional<Ipv4Address> a =
      Ipv4Address::Parse(internal::ToStd(text));
  if (!a) return Invalid(absl::StrCat(Quote(text), " is not an IPv4 address"));
  return *a;
}

void AppendAddress(Ipv4Address a, Bytes* out) {
  uint8_t octets[4];
  a.Store(octets);
  out->insert(out->end(), octets, octets + 4);
}

absl::Status EncodeAddressList(absl::string_view text, Bytes* out) {
  absl::StatusOr<std::vector<absl::string_view>> items = SplitList(text);
  if (!items.ok()) return items.status();
  for (absl::string_view item : *items) {
    absl::StatusOr<Ipv4Address> a = ParseAddress(item);
    if (!a.ok()) return a.status();
    AppendAddress(*a, out);
  }
  return absl::OkStatus();
}

absl::Status EncodeUint(absl::string_view text, int octets, Bytes* out) {
  const uint64_t max = (uint64_t{1} << (8 * octets)) - 1;
  const std::optional<uint64_t> v = ParseDecimal(text, max);
  if (!v) {
    return Invalid(
        absl::StrCat(Quote(text), " is not a number in [0, ", max, "]"));
  }
  for (int i = octets - 1; i >= 0; --i) {
    out->push_back(static_cast<uint8_t>(*v >> (8 * i)));
  }
  return absl::OkStatus();
}

absl::Status EncodeFlag(absl::string_view text, Bytes* out) {
  if (absl::EqualsIgnoreCase(text, "true") || text == "1") {
    out->push_back(1);
  } else if (absl::EqualsIgnoreCase(text, "false") || text == "0") {
    out->push_back(0);
  } else {
    return Invalid(absl::StrCat(Quote(text), " is not true, false, 1 or 0"));
  }
  return absl::OkStatus();
}

absl::Status EncodeCodeList(absl::string_view text, Bytes* out) {
  absl::StatusOr<std::vector<absl::string_view>> items = SplitList(text);
  if (!items.ok()) return items.status();
  for (absl::string_view item : *items) {
    const std::optional<uint64_t> code = ParseDecimal(item, 255);
    if (!code) {
      return Invalid(absl::StrCat(Quote(item), " is not an option code"));
    }
    out->push_back(static_cast<uint8_t>(*code));
  }
  return absl::OkStatus();
}

absl::Status EncodeDomainList(absl::string_view text, Bytes* out) {
  absl::StatusOr<std::vector<absl::string_view>> items = SplitList(text);
  if (!items.ok()) return items.status();
  std::vector<std::string> names(items->begin(), items->end());
  for (const std::string& name : names) {
    // EncodeDomainList() checks lengths; spaces would pass it unnoticed.
    if (std::any_of(name.begin(), name.end(), [](char c) {
          return absl::ascii_isspace(static_cast<unsigned char>(c));
        })) {
      return Invalid(absl::StrCat(Quote(name), " is not a domain name"));
    }
  }
  std::optional<Bytes> encoded = wire::EncodeDomainList(names);
  if (!encoded) {
    return Invalid(absl::StrCat(
        Quote(text),
        " is not a list of domain names (labels of 1-63 octets, names of "
        "at most 253)"));
  }
  *out = *std::move(encoded);
  return absl::OkStatus();
}

// "10.0.0.0/8 - 192.0.2.1": RFC 3442 §2 destination descriptor (width,
// significant octets of the destination) followed by the router.
absl::Status EncodeClasslessRoute(absl::string_view item, Bytes* out) {
  const size_t dash = item.find('-');
  if (dash == absl::string_view::npos) {
    return Invalid(
        absl::StrCat(Quote(item), " is not a route \"a.b.c.d/n - router\""));
  }
  const absl::string_view dest =
      absl::StripAsciiWhitespace(item.substr(0, dash));
  const absl::string_view router =
      absl::StripAsciiWhitespace(item.substr(dash + 1));
  const std::optional<Prefix> prefix = Prefix::Parse(internal::ToStd(dest));
  if (!prefix) {
    return Invalid(absl::StrCat(
        Quote(dest),
        " is not a route destination a.b.c.d/n without host bits"));
  }
  absl::StatusOr<Ipv4Address> gateway = ParseAddress(router);
  if (!gateway.ok()) return gateway.status();
  uint8_t octets[4];
  prefix->network.Store(octets);
  out->push_back(prefix->length);
  out->insert(out->end(), octets, octets + (prefix->length + 7) / 8);
  AppendAddress(*gateway, out);
  return absl::OkStatus();
}

absl::Status EncodeClasslessRoutes(absl::string_view text, Bytes* out) {
  absl::StatusOr<std::vector<absl::string_view>> items = SplitList(text);
  if (!items.ok()) return items.status();
  for (absl::string_view item : *items) {
    LW_RETURN_IF_ERROR(EncodeClasslessRoute(item, out));
  }
  return absl::OkStatus();
}

absl::Status EncodeHex(absl::string_view text, Bytes* out) {
  std::optional<Bytes> bytes = internal::ParseHex(text);
  if (!bytes) {
    return Invalid(absl::StrCat(
        Quote(text), " is not hex octets (\"0x0a0b\", \"0a:0b\" or \"0a0b\")"));
  }
  *out = *std::move(bytes);
  return absl::OkStatus();
}

absl::Status EncodeByType(OptionType type, absl::string_view text, Bytes* out) {
  if (type != OptionType::kString) text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return Invalid("empty value");
  switch (type) {
    case OptionType::kAddress: {
      absl::StatusOr<Ipv4Address> a = ParseAddress(text);
      if (!a.ok()) return a.status();
      AppendAddress(*a, out);
      return absl::OkStatus();
    }
    case OptionType::kAddressList:
      return EncodeAddressList(text, out);
    case OptionType::kUint8:
      return EncodeUint(text, 1, out);
    case OptionType::kUint16:
      return EncodeUint(text, 2, out);
    case OptionType::kUint32:
      return EncodeUint(text, 4, out);
    case OptionType::kFlag:
      return EncodeFlag(text, out);
    case OptionType::kString:
      out->assign(text.begin(), text.end());
      return absl::OkStatus();
    case OptionType::kCodeList:
      return EncodeCodeList(text, out);
    case OptionType::kDomainList:
      return EncodeDomainList(text, out);
    case OptionType::kClasslessRoutes:
      return EncodeClasslessRoutes(text, out);
    case OptionType::kBytes:
    case OptionType::kSubOptions:
    case OptionType::kUserClass:
      return EncodeHex(text, out);
  }
  return Invalid("unknown option type");
}

// Hex for messages: long values are cut after 16 octets.
std::string ShortHex(std::span<const uint8_t> value) {
  if (value.size() <= 16) return internal::ToHex(value);
  return absl::StrCat(internal::ToHex(value.first(16)), "... (", value.size(),
                      " octets)");
}

std::string OptionLabel(uint8_t code) {
  const wire::OptionDef* def = wire::FindOptionDef(code);
  if (code == wire::option::kPad) return "option 0 (pad)";
  if (code == wire::option::kEnd) return "option 255 (end)";
  if (def == nullptr) return absl::StrCat("option ", code);
  return absl::StrCat("option ", code, " (", internal::ToAbsl(def->name), ")");
}

absl::Status CheckValue(uint8_t code, const Bytes& value) {
  if (value.empty()) return Invalid("empty value");
  const wire::OptionDef* def = wire::FindOptionDef(code);
  if (def != nullptr && !wire::IsValidOptionValue(*def, value)) {
    return Invalid(absl::StrCat(ShortHex(value), " is not a valid value for ",
                                OptionLabel(code)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> EncodeOptionValue(uint8_t code,
                                                       std::string_view text) {
  const wire::OptionDef* def = wire::FindOptionDef(code);
  if (def == nullptr) {
    return Invalid(absl::StrCat(OptionLabel(code),
                                " is not in the option table; give its value "
                                "as \"hex\""));
  }
  Bytes value;
  LW_RETURN_IF_ERROR(EncodeByType(def->type, internal::ToAbsl(text), &value));
  LW_RETURN_IF_ERROR(CheckValue(code, value));
  return value;
}

namespace internal {
namespace {

std::string ManagedMessage(uint8_t code) {
  switch (code) {
    case wire::option::kLeaseTime:
    case wire::option::kRenewalTime:
    case wire::option::kRebindingTime:
      return absl::StrCat(OptionLabel(code),
                          " is set by the server; use valid-lifetime, "
                          "renew-timer-percent and rebind-timer-percent");
    case wire::option::kServerIdentifier:
      return absl::StrCat(OptionLabel(code),
                          " is set by the server; use \"server-id\"");
    default:
      return absl::StrCat(OptionLabel(code),
                          " is managed by the server and cannot be "
                          "configured");
  }
}

bool IsNumeric(OptionType type) {
  return type == OptionType::kUint8 || type == OptionType::kUint16 ||
         type == OptionType::kUint32 || type == OptionType::kFlag;
}

bool IsList(OptionType type) {
  return type == OptionType::kAddressList || type == OptionType::kCodeList ||
         type == OptionType::kDomainList ||
         type == OptionType::kClasslessRoutes;
}

// The text form of a "data" value: a string as it is; for numeric types a
// JSON number (and true/false for flags); for list types a JSON array of
// items.
absl::StatusOr<std::string> DataText(const Node& data, OptionType type) {
  const Json& v = data.value();
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean() && type == OptionType::kFlag) {
    return std::string(v.get<bool>() ? "true" : "false");
  }
  if (v.is_number() && IsNumeric(type)) return v.dump();
  if (v.is_array() && IsList(type)) {
    std::vector<std::string> items;
    for (size_t i = 0; i < v.size(); ++i) {
      const Node item = data.Element(i);
      if (item.value().is_string()) {
        items.push_back(item.value().get<std::string>());
      } else if (item.value().is_number_unsigned()) {
        items.push_back(item.value().dump());
      } else {
        return item.Error("expected a string");
      }
    }
    if (items.empty()) return data.Error("empty list");
    return absl::StrJoin(items, ", ");
  }
  std::string expected = "a string";
  if (IsNumeric(type)) absl::StrAppend(&expected, " or a number");
  if (type == OptionType::kFlag) absl::StrAppend(&expected, " or a boolean");
  if (IsList(type)) absl::StrAppend(&expected, " or an array");
  return data.Error(absl::StrCat("expected ", expected));
}

// Which option an entry configures ("name" and/or "code").
absl::Status ReadOptionCode(const Node& entry, uint8_t* code) {
  const std::optional<Node> name = entry.Get("name");
  const std::optional<Node> number = entry.Get("code");
  if (!name && !number) return entry.Error("missing \"name\" (or \"code\")");
  const wire::OptionDef* def = nullptr;
  std::string where;
  if (name) {
    std::string text;
    LW_RETURN_IF_ERROR(name->Read(&text));
    def = wire::FindOptionDef(text);
    if (def == nullptr) {
      return name->Error(absl::StrCat("unknown option ", Quote(text),
                                      "; give it by \"code\" and \"hex\""));
    }
    *code = def->code;
    where = name->path();
  }
  if (number) {
    uint32_t c = 0;
    LW_RETURN_IF_ERROR(number->ReadUint32(0, 255, &c));
    if (def != nullptr && def->code != c) {
      return entry.Error(absl::StrCat("\"name\" ", Quote(ToAbsl(def->name)),
                                      " is option ", def->code, ", not ", c));
    }
    *code = static_cast<uint8_t>(c);
    where = number->path();
  }
  if (IsManagedOption(*code)) return PathError(where, ManagedMessage(*code));
  return absl::OkStatus();
}

absl::Status ReadOptionValue(const Node& entry, uint8_t code, Bytes* out) {
  const std::optional<Node> data = entry.Get("data");
  const std::optional<Node> hex = entry.Get("hex");
  if (data && hex) {
    return entry.Error("give either \"data\" or \"hex\", not both");
  }
  if (!data && !hex) return entry.Error("missing \"data\" (or \"hex\")");
  if (hex) {
    std::string text;
    LW_RETURN_IF_ERROR(hex->Read(&text));
    absl::Status s = EncodeHex(text, out);
    if (s.ok()) s = CheckValue(code, *out);
    return s.ok() ? s : hex->Error(s.message());
  }
  const wire::OptionDef* def = wire::FindOptionDef(code);
  if (def == nullptr) {
    return data->Error(absl::StrCat(OptionLabel(code),
                                    " is not in the option table; give its "
                                    "value as \"hex\""));
  }
  absl::StatusOr<std::string> text = DataText(*data, def->type);
  if (!text.ok()) return text.status();
  absl::StatusOr<Bytes> value = EncodeOptionValue(code, *text);
  if (!value.ok()) return data->Error(value.status().message());
  *out = *std::move(value);
  return absl::OkStatus();
}

}  // namespace

std::optional<std::vector<uint8_t>> ParseHex(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  Bytes out;
  if (absl::ConsumePrefix(&text, "0x") || absl::ConsumePrefix(&text, "0X")) {
    if (!AppendHexRun(text, &out)) return std::nullopt;
    return out;
  }
  if (text.find(':') == absl::string_view::npos) {
    if (!AppendHexRun(text, &out)) return std::nullopt;
    return out;
  }
  for (const absl::string_view piece : absl::StrSplit(text, ':')) {
    if (piece.empty() || piece.size() > 2) return std::nullopt;
    int value = 0;
    for (const char c : piece) {
      const int digit = HexDigit(c);
      if (digit < 0) return std::nullopt;
      value = value * 16 + digit;
    }
    out.push_back(static_cast<uint8_t>(value));
  }
  return out;
}

std::string ToHex(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (size_t i = 0; i < bytes.size(); ++i) {
    char buf[4];
    std::snprintf(buf, sizeof(buf), i == 0 ? "%02x" : ":%02x", bytes[i]);
    out += buf;
  }
  return out;
}

std::optional<AddressWithLength> ParseAddressWithLength(
    absl::string_view text) {
  const size_t slash = text.find('/');
  if (slash == absl::string_view::npos) return std::nullopt;
  const std::optional<Ipv4Address> address =
      Ipv4Address::Parse(ToStd(text.substr(0, slash)));
  const std::optional<uint64_t> length =
      ParseDecimal(text.substr(slash + 1), 32);
  if (!address || !length || text.size() - slash - 1 > 2) return std::nullopt;
  return AddressWithLength{*address, static_cast<uint8_t>(*length)};
}

bool IsManagedOption(uint8_t code) {
  namespace o = wire::option;
  switch (code) {
    case o::kPad:
    case o::kRequestedAddress:
    case o::kLeaseTime:
    case o::kOverload:
    case o::kMessageType:
    case o::kServerIdentifier:
    case o::kParameterRequestList:
    case o::kMaxMessageSize:
    case o::kRenewalTime:
    case o::kRebindingTime:
    case o::kClientIdentifier:
    case o::kRelayAgentInfo:
    case o::kEnd:
      return true;
    default:
      return false;
  }
}

absl::Status ReadOptionData(const Node& list, OptionSet* out) {
  LW_RETURN_IF_ERROR(list.ExpectArray());
  // Where each code was set, to report a repeat.
  std::vector<std::pair<uint8_t, size_t>> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    const Node entry = list.Element(i);
    LW_RETURN_IF_ERROR(entry.ExpectObject("option-data[]"));
    uint8_t code = 0;
    LW_RETURN_IF_ERROR(ReadOptionCode(entry, &code));
    for (const auto& [c, index] : seen) {
      if (c == code) {
        return entry.Error(absl::StrCat(
            OptionLabel(code), " is already set by option-data[", index, "]"));
      }
    }
    seen.emplace_back(code, i);
    Bytes value;
    LW_RETURN_IF_ERROR(ReadOptionValue(entry, code, &value));
    bool always_send = false;
    LW_RETURN_IF_ERROR(ReadOptional(entry, "always-send", &always_send));
    out->Set(code, std::move(value), always_send);
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace leasewire::config
