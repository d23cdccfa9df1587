#include "kea_config.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "leasewire/config/config.h"
#include "leasewire/wire/options.h"
#include "leasewire/wire/types.h"

namespace leasewire::kea_migrate {
namespace {

using J = nlohmann::ordered_json;
using wire::Ipv4Address;

// Kea's built-in default lease time (kea-dhcp4, SimpleParser4).
constexpr uint32_t kKeaDefaultValid = 7200;
constexpr double kKeaDefaultT1 = 0.5;
constexpr double kKeaDefaultT2 = 0.875;

std::string Sub(const std::string& path, std::string_view key) {
  return path + "." + std::string(key);
}
std::string Idx(const std::string& path, size_t i) {
  return absl::StrCat(path, "[", i, "]");
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Kea's hex forms: "01:02:03", "01-02-03", "01 02 03", "0x010203",
// "010203".
std::optional<std::vector<uint8_t>> ParseKeaHex(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (absl::StartsWith(text, "0x") || absl::StartsWith(text, "0X")) {
    text.remove_prefix(2);
  }
  std::vector<uint8_t> out;
  if (text.find_first_of(":- ") != absl::string_view::npos) {
    for (absl::string_view piece :
         absl::StrSplit(text, absl::ByAnyChar(":- "), absl::SkipEmpty())) {
      if (piece.size() > 2) return std::nullopt;
      int v = 0;
      for (char c : piece) {
        const int d = HexDigit(c);
        if (d < 0) return std::nullopt;
        v = v * 16 + d;
      }
      out.push_back(static_cast<uint8_t>(v));
    }
    if (out.empty()) return std::nullopt;
    return out;
  }
  if (text.empty() || text.size() % 2 != 0) return std::nullopt;
  for (size_t i = 0; i < text.size(); i += 2) {
    const int hi = HexDigit(text[i]);
    const int lo = HexDigit(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return out;
}

std::string Hex(const std::vector<uint8_t>& bytes, std::string_view sep) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out += sep;
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

// A Kea host identifier: 'text in single quotes' or hex.
std::optional<std::vector<uint8_t>> ParseKeaIdentifier(absl::string_view text) {
  if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
    text = text.substr(1, text.size() - 2);
    if (text.empty()) return std::nullopt;
    return std::vector<uint8_t>(text.begin(), text.end());
  }
  return ParseKeaHex(text);
}

// leasewire's form of a relay identifier (circuit-id, remote-id): the text
// itself when printable, else "0x..." hex.
std::string RelayIdText(const std::vector<uint8_t>& bytes) {
  const bool printable = std::all_of(bytes.begin(), bytes.end(), [](uint8_t c) {
    return c >= 0x20 && c < 0x7f;
  });
  std::string text(bytes.begin(), bytes.end());
  if (printable && !absl::StartsWith(text, "0x")) return text;
  return "0x" + Hex(bytes, "");
}

std::string Describe(const J& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// One level of Kea's inheritance: the object and its path.
struct Level {
  const J* obj;
  std::string path;
};
// Innermost first: {subnet, shared network, Dhcp4}.
using Scope = std::vector<Level>;

// The innermost level that has `key`, or nullptr.
const Level* Find(const Scope& scope, std::string_view key) {
  for (const Level& l : scope) {
    if (l.obj->contains(key)) return &l;
  }
  return nullptr;
}

std::optional<uint32_t> GetU32(const J& obj, std::string_view key) {
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return std::nullopt;
  const int64_t v = it->get<int64_t>();
  if (v < 0 || v > int64_t{0xffffffff}) return std::nullopt;
  return static_cast<uint32_t>(v);
}

// Options leasewire fills in itself (docs/configuration.md, "Options the
// server manages"), with what to use instead.
std::optional<std::string_view> ManagedOption(uint8_t code) {
  switch (code) {
    case 0:
    case 255:
      return "pad and end are framing";
    case 50:
    case 55:
    case 57:
      return "comes from the client";
    case 51:
    case 58:
    case 59:
      return "set by the server from valid-lifetime, renew-timer-percent "
             "and rebind-timer-percent";
    case 52:
      return "set by the reply builder";
    case 53:
      return "set by the engine";
    case 61:
      return "echoed from the client (RFC 6842)";
    case 82:
      return "echoed from the relay (RFC 3046)";
    default:
      return std::nullopt;
  }
}

struct Option {
  uint8_t code;
  J entry;  // leasewire's option-data entry
};

void MergeOption(std::vector<Option>* into, Option o) {
  for (Option& x : *into) {
    if (x.code == o.code) {
      x = std::move(o);
      return;
    }
  }
  into->push_back(std::move(o));
}

J OptionList(const std::vector<Option>& opts) {
  J list = J::array();
  for (const Option& o : opts) list.push_back(o.entry);
  return list;
}

// How a flex_id hook's identifier-expression maps to a leasewire
// reservation key.
struct FlexMapping {
  std::string key;  // "circuit-id", "remote-id", "client-id", "hw-address"
  std::string expression;
};

struct SubnetOut {
  J json;
  config::Prefix prefix;
  std::string kea_path;
  std::vector<Option> options;  // its own level, not yet in json
  std::set<uint32_t> reserved;  // reserved addresses
};

class Converter {
 public:
  Converter(const ConvertOptions& options, Report* report)
      : options_(options), report_(*report) {}

  absl::StatusOr<J> Run(const J& root);

 private:
  void TopLevel(const J& root);
  void Hooks(const J& list, const std::string& path);
  void Identifiers(const J& list, const std::string& path);
  std::vector<Option> Options(const J& list, const std::string& path,
                              std::optional<Ipv4Address>* server_id);
  std::optional<Option> OneOption(const J& o, const std::string& path,
                                  std::optional<Ipv4Address>* server_id);
  // Boot fields of one level (next-server, server-hostname,
  // boot-file-name) as options 66 and 67 when the level does not set
  // them.
  void BootFields(const J& obj, const std::string& path,
                  std::vector<Option>* opts);
  void Lifetimes(const Scope& scope, bool global, J* out);
  void Timers(const Scope& scope, bool global, J* out);
  void Subnet(const J& s, const std::string& path, const J* network,
              const std::string& network_path);
  void Network(const J& n, const std::string& path);
  std::optional<J> Reservation(const J& r, const std::string& path);
  void GlobalReservations(const J& list, const std::string& path);
  void Interfaces(const J& ic, const std::string& path);
  void ControlSocket(const J& cs, const std::string& path);
  void LeaseDatabase(const J& db, const std::string& path);
  // Reports a key no converter step took (comments, classes, DNS updates,
  // unknown keys).
  void Unhandled(const J& obj, const std::string& path,
                 const std::set<std::string_view>& handled);
  void CheckRelays();

  const ConvertOptions& options_;
  Report& report_;
  J dhcp4_;
  std::optional<FlexMapping> flex_;
  std::vector<std::string> identifiers_ = {"hw-address", "duid", "circuit-id",
                                           "client-id"};
  std::vector<SubnetOut> subnets_;
  std::set<uint32_t> used_ids_;
  std::map<uint32_t, std::string> relay_owner_;  // relay -> kea path
  // Effective global values, for subnets to compare against.
  uint32_t global_valid_ = kKeaDefaultValid;
  double global_renew_ = 50;
  double global_rebind_ = 87.5;
  bool global_authoritative_ = false;
  std::optional<Ipv4Address> server_id_;
  std::vector<Option> global_options_;
  J interfaces_ = J::array();
  J control_;
  J out_;
  std::set<std::string> timer_reported_;
  bool tee_note_done_ = false;
};

// Keys every object may carry that have a fixed verdict.
bool CommonKey(std::string_view std_key, const std::string& path,
               Report& report) {
  const absl::string_view key(std_key.data(), std_key.size());
  if (key == "comment") {
    report.Info(path, "comment not carried over");
    return true;
  }
  if (key == "user-context") {
    report.Info(path,
                "user context (read by Kea hooks only) not carried "
                "over");
    return true;
  }
  if (key == "client-class" || key == "require-client-classes" ||
      key == "client-classes") {
    report.Dropped(path,
                   "leasewire has no client classes; without the class "
                   "restriction this serves every client");
    return true;
  }
  if (absl::StartsWith(key, "ddns-") || key == "hostname-char-set" ||
      key == "hostname-char-replacement" || key == "dhcp-ddns") {
    report.Dropped(path,
                   "leasewire sends no DNS updates and does not "
                   "rewrite host names");
    return true;
  }
  if (key == "store-extended-info") {
    report.Info(path,
                "leasewire always keeps the relay's circuit-id and "
                "remote-id with the lease");
    return true;
  }
  if (key == "reservation-mode" || key == "reservations-global" ||
      key == "reservations-in-subnet" || key == "reservations-out-of-pool" ||
      key == "early-global-reservations-lookup" ||
      key == "reservations-lookup-first" || key == "ip-reservations-unique") {
    report.Info(path,
                "leasewire always looks up reservations in the "
                "client's subnet, in and out of the pools");
    return true;
  }
  if (key == "cache-threshold" || key == "cache-max-age") {
    report.Approximated(path,
                        "leasewire does not reuse leases: every "
                        "renewal is granted a fresh lifetime");
    return true;
  }
  if (absl::StartsWith(key, "4o6-")) {
    report.Dropped(path, "DHCPv4-over-DHCPv6 is not supported");
    return true;
  }
  if (key == "interface") {
    report.Info(path,
                "leasewire serves a directly attached subnet on the "
                "port whose address lies inside it");
    return true;
  }
  return false;
}

void Converter::Unhandled(const J& obj, const std::string& path,
                          const std::set<std::string_view>& handled) {
  for (const auto& [key, value] : obj.items()) {
    if (handled.contains(key)) continue;
    const std::string p = Sub(path, key);
    if (key == "match-client-id") {
      if (value.is_boolean() && !value.get<bool>()) {
        report_.Dropped(p,
                        "leasewire always identifies a client by its "
                        "client identifier when it sends one");
      } else {
        report_.Info(p, "leasewire's behaviour (the default)");
      }
      continue;
    }
    if (CommonKey(key, p, report_)) continue;
    report_.Dropped(p, "no leasewire equivalent; not converted");
  }
}

void Converter::Hooks(const J& list, const std::string& path) {
  if (!list.is_array()) {
    report_.Dropped(path, "expected a list");
    return;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string p = Idx(path, i);
    const J& h = list[i];
    const std::string lib = h.value("library", "");
    if (absl::StrContains(lib, "flex_id")) {
      const std::string expr =
          h.contains("parameters")
              ? h["parameters"].value("identifier-expression", "")
              : "";
      std::string key;
      if (expr == "relay4[1].hex") key = "circuit-id";
      if (expr == "relay4[2].hex") key = "remote-id";
      if (expr == "option[61].hex") key = "client-id";
      if (expr == "pkt4.mac") key = "hw-address";
      if (!key.empty()) {
        flex_ = FlexMapping{key, expr};
        report_.Info(p, absl::StrCat("flex_id with \"", expr,
                                     "\": flex-id reservations become ", key,
                                     " reservations"));
      } else {
        flex_ = FlexMapping{"", expr};
        report_.Dropped(p,
                        absl::StrCat("flex_id identifier-expression \"", expr,
                                     "\" has no leasewire equivalent; "
                                     "flex-id reservations are dropped"));
      }
      continue;
    }
    if (absl::StrContains(lib, "lease_cmds")) {
      report_.Dropped(p, absl::StrCat(lib,
                                      ": hooks are not supported; "
                                      "leasewirectl lease get/list/delete "
                                      "covers the lease commands"));
      continue;
    }
    report_.Dropped(p, absl::StrCat(lib.empty() ? "hook" : lib,
                                    ": hook libraries are not supported"));
  }
}

void Converter::Identifiers(const J& list, const std::string& path) {
  if (!list.is_array()) return;
  identifiers_.clear();
  for (const J& v : list) {
    if (v.is_string()) identifiers_.push_back(v.get<std::string>());
  }
  report_.Info(path,
               "leasewire matches every reservation identifier "
               "(hw-address, client-id, circuit-id, remote-id); it "
               "has no lookup order");
}

std::optional<Option> Converter::OneOption(
    const J& o, const std::string& path,
    std::optional<Ipv4Address>* server_id) {
  if (!o.is_object()) {
    report_.Dropped(path, "not an object");
    return std::nullopt;
  }
  const std::string space = o.value("space", "dhcp4");
  if (space != "dhcp4") {
    report_.Dropped(path, absl::StrCat("option space \"", space,
                                       "\" (encapsulated options) is not "
                                       "supported; send it as hex"));
    return std::nullopt;
  }
  const wire::OptionDef* def = nullptr;
  std::optional<int> code;
  if (o.contains("code")) {
    if (!o["code"].is_number_integer() || o["code"].get<int>() < 0 ||
        o["code"].get<int>() > 255) {
      report_.Dropped(path, "code is not 0-255");
      return std::nullopt;
    }
    code = o["code"].get<int>();
    def = wire::FindOptionDef(static_cast<uint8_t>(*code));
  }
  std::string label = code ? absl::StrCat("option ", *code) : "option";
  if (o.contains("name")) {
    const std::string name = Describe(o["name"]);
    label = absl::StrCat("option \"", name, "\"");
    const wire::OptionDef* by_name = wire::FindOptionDef(name);
    if (by_name == nullptr && !code) {
      report_.Dropped(path, absl::StrCat(label,
                                         " is not in leasewire's option "
                                         "table; give it by code with "
                                         "csv-format false (hex)"));
      return std::nullopt;
    }
    if (by_name != nullptr) {
      if (code && *code != by_name->code) {
        report_.Dropped(path, absl::StrCat(label, " is code ", by_name->code,
                                           ", not ", *code));
        return std::nullopt;
      }
      def = by_name;
      code = by_name->code;
    }
  }
  if (!code) {
    report_.Dropped(path, "neither name nor code");
    return std::nullopt;
  }
  const uint8_t c = static_cast<uint8_t>(*code);
  const bool csv = o.value("csv-format", true);
  const std::string data = o.contains("data") ? Describe(o["data"]) : "";
  if (c == 54) {
    std::optional<Ipv4Address> a =
        Ipv4Address::Parse(std::string(absl::StripAsciiWhitespace(data)));
    if (server_id == nullptr) {
      report_.Dropped(path,
                      "leasewire sets the server identifier globally or per "
                      "subnet only (\"server-id\")");
    } else if (csv && a) {
      *server_id = *a;
      report_.Info(path, "dhcp-server-identifier becomes \"server-id\"");
    } else {
      report_.Dropped(path, "dhcp-server-identifier is not one address");
    }
    return std::nullopt;
  }
  if (std::optional<std::string_view> why = ManagedOption(c)) {
    report_.Dropped(path, absl::StrCat(label, ": ", std::string(*why)));
    return std::nullopt;
  }
  for (const auto& [key, value] : o.items()) {
    if (key == "never-send" && value.is_boolean() && value.get<bool>()) {
      report_.Dropped(Sub(path, key), "never-send is not supported");
      return std::nullopt;
    }
    if (key != "name" && key != "code" && key != "data" &&
        key != "csv-format" && key != "always-send" && key != "space" &&
        key != "never-send" && !CommonKey(key, Sub(path, key), report_)) {
      report_.Dropped(Sub(path, key), "no leasewire equivalent");
    }
  }
  J entry;
  if (def != nullptr) {
    entry["name"] = std::string(def->name);
  } else {
    entry["code"] = c;
  }
  if (!csv || def == nullptr) {
    if (csv) {
      report_.Dropped(path, absl::StrCat(label,
                                         " has no type in leasewire's table: "
                                         "only hex data (csv-format false) "
                                         "converts"));
      return std::nullopt;
    }
    std::optional<std::vector<uint8_t>> bytes = ParseKeaHex(data);
    if (!bytes) {
      report_.Dropped(path, absl::StrCat(label, ": \"", data,
                                         "\" is not hex (csv-format false)"));
      return std::nullopt;
    }
    if (def != nullptr) {
      if (!wire::IsValidOptionValue(*def, *bytes)) {
        report_.Dropped(path, absl::StrCat(label, ": 0x", Hex(*bytes, ""),
                                           " is not a valid ",
                                           std::string(def->name), " value"));
        return std::nullopt;
      }
      entry.erase("name");
      entry["code"] = c;
    }
    entry["hex"] = Hex(*bytes, "");
  } else {
    std::string text = data;
    // Kea also takes integers in hex ("0xf0"); leasewire in decimal.
    const bool integer = def->type == wire::OptionType::kUint8 ||
                         def->type == wire::OptionType::kUint16 ||
                         def->type == wire::OptionType::kUint32;
    uint64_t number = 0;
    if (integer && absl::StartsWithIgnoreCase(text, "0x") &&
        absl::SimpleHexAtoi(absl::string_view(text).substr(2), &number)) {
      text = std::to_string(number);
    }
    absl::StatusOr<std::vector<uint8_t>> encoded =
        config::EncodeOptionValue(c, text);
    if (!encoded.ok()) {
      report_.Dropped(path,
                      absl::StrCat(label, ": ", encoded.status().message()));
      return std::nullopt;
    }
    entry["data"] = text;
  }
  if (o.value("always-send", false)) entry["always-send"] = true;
  return Option{c, std::move(entry)};
}

std::vector<Option> Converter::Options(const J& list, const std::string& path,
                                       std::optional<Ipv4Address>* server_id) {
  std::vector<Option> out;
  if (!list.is_array()) {
    report_.Dropped(path, "expected a list");
    return out;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    if (std::optional<Option> o = OneOption(list[i], Idx(path, i), server_id)) {
      MergeOption(&out, *std::move(o));
    }
  }
  return out;
}

void Converter::BootFields(const J& obj, const std::string& path,
                           std::vector<Option>* opts) {
  auto has = [&](uint8_t code) {
    return std::any_of(opts->begin(), opts->end(),
                       [code](const Option& o) { return o.code == code; });
  };
  if (obj.contains("next-server")) {
    const std::string v = Describe(obj["next-server"]);
    if (v != "0.0.0.0" && !v.empty()) {
      report_.Dropped(Sub(path, "next-server"),
                      "leasewire leaves siaddr 0; give network-boot clients "
                      "tftp-server-name (66) or tftp-server-address (150)");
    }
  }
  struct Field {
    std::string_view key;
    uint8_t code;
    std::string_view name;
  };
  for (const Field f : {Field{"server-hostname", 66, "tftp-server-name"},
                        Field{"boot-file-name", 67, "boot-file-name"}}) {
    if (!obj.contains(f.key)) continue;
    const std::string v = Describe(obj[f.key]);
    const std::string p = Sub(path, f.key);
    if (v.empty()) continue;
    if (has(f.code)) {
      report_.Dropped(p, absl::StrCat("option ", std::string(f.name),
                                      " is set too; leasewire has no BOOTP "
                                      "header field for it"));
      continue;
    }
    J entry{{"name", std::string(f.name)}, {"data", v}, {"always-send", true}};
    opts->push_back({f.code, std::move(entry)});
    report_.Approximated(
        p, absl::StrCat("sent as option ", f.code, " (", std::string(f.name),
                        ", always-send), not in the BOOTP "
                        "header"));
  }
}

void Converter::Lifetimes(const Scope& scope, bool global, J* out) {
  const Level* level = nullptr;
  for (const Level& l : scope) {
    if (l.obj->contains("valid-lifetime") ||
        l.obj->contains("min-valid-lifetime") ||
        l.obj->contains("max-valid-lifetime")) {
      level = &l;
      break;
    }
  }
  if (level == nullptr) {
    if (global) {
      (*out)["valid-lifetime"] = kKeaDefaultValid;
      (*out)["min-valid-lifetime"] = kKeaDefaultValid;
      (*out)["max-valid-lifetime"] = kKeaDefaultValid;
      report_.Info(Sub(scope[0].path, "valid-lifetime"),
                   "not set: Kea's default 7200 written out (leasewire's "
                   "default is 3600)");
    }
    return;
  }
  // The triplet is inherited as a whole in Kea: a level that sets any of
  // the three defines all of them.
  if (global || level->obj != scope.back().obj) {
    std::optional<uint32_t> v = GetU32(*level->obj, "valid-lifetime");
    std::optional<uint32_t> mn = GetU32(*level->obj, "min-valid-lifetime");
    std::optional<uint32_t> mx = GetU32(*level->obj, "max-valid-lifetime");
    if (!v && !mn && !mx) {
      report_.Dropped(level->path,
                      "valid-lifetime, min-valid-lifetime and "
                      "max-valid-lifetime are not integers of 0-4294967295; "
                      "inherited instead");
      return;
    }
    if (!v) {
      v = mn ? *mn : *mx;
      report_.Approximated(
          Sub(level->path, "valid-lifetime"),
          absl::StrCat("not set while min/max are: taken as ", *v));
    }
    (*out)["valid-lifetime"] = *v;
    (*out)["min-valid-lifetime"] = mn ? *mn : *v;
    (*out)["max-valid-lifetime"] = mx ? *mx : *v;
    if (global) global_valid_ = *v;
  }
}

void Converter::Timers(const Scope& scope, bool global, J* out) {
  // The lease time the timers are a share of: the innermost level's
  // triplet. A fixed one (min = max) makes the share exact.
  uint32_t valid = global_valid_;
  bool fixed = false;
  for (const Level& l : scope) {
    std::optional<uint32_t> v = GetU32(*l.obj, "valid-lifetime");
    std::optional<uint32_t> mn = GetU32(*l.obj, "min-valid-lifetime");
    std::optional<uint32_t> mx = GetU32(*l.obj, "max-valid-lifetime");
    if (v || mn || mx) {
      valid = v ? *v : mn ? *mn : *mx;
      fixed = mn.value_or(valid) == mx.value_or(valid);
      break;
    }
  }
  if (!Find(scope, "valid-lifetime") && !Find(scope, "min-valid-lifetime") &&
      !Find(scope, "max-valid-lifetime")) {
    fixed = true;  // Kea's default triplet: 7200 for everyone
  }
  const Level* calc_level = Find(scope, "calculate-tee-times");
  const bool calc = calc_level != nullptr &&
                    calc_level->obj->value("calculate-tee-times", false);
  double pct[2] = {50, 87.5};
  bool explicit_timer[2] = {false, false};
  const char* timer_key[2] = {"renew-timer", "rebind-timer"};
  const char* pct_key[2] = {"t1-percent", "t2-percent"};
  const double pct_default[2] = {kKeaDefaultT1, kKeaDefaultT2};
  for (int t = 0; t < 2; ++t) {
    if (const Level* l = Find(scope, timer_key[t])) {
      std::optional<uint32_t> secs = GetU32(*l->obj, timer_key[t]);
      const std::string p = Sub(l->path, timer_key[t]);
      if (!secs || valid == config::kInfinite || *secs >= valid || *secs == 0) {
        if (!timer_reported_.insert(p).second) continue;
        report_.Dropped(p, absl::StrCat("cannot be expressed as a share of "
                                        "valid-lifetime ",
                                        valid, "; leasewire's default used"));
      } else {
        const uint64_t basis = uint64_t{*secs} * 10000;
        pct[t] = static_cast<double>(basis / valid) / 100.0;
        explicit_timer[t] = true;
        const bool exact = fixed && basis % valid == 0;
        if ((global || l->obj != &dhcp4_) && timer_reported_.insert(p).second) {
          report_.Add(
              exact ? Severity::kInfo : Severity::kApproximated, p,
              absl::StrCat(*secs, " s of valid-lifetime ", valid, " is ",
                           pct[t], " %",
                           exact ? " (exact: the lifetime is fixed)"
                                 : "; leasewire sets the timer as a share "
                                   "of the lifetime granted, rounded to "
                                   "0.01 %"));
        }
      }
    } else if (calc) {
      const Level* l = Find(scope, pct_key[t]);
      const double share = l != nullptr && (*l->obj)[pct_key[t]].is_number()
                               ? (*l->obj)[pct_key[t]].get<double>()
                               : pct_default[t];
      pct[t] = std::round(share * 10000.0) / 100.0;
    }
  }
  if (!calc && !(explicit_timer[0] && explicit_timer[1]) && !tee_note_done_) {
    tee_note_done_ = true;
    report_.Info(Sub(scope.back().path, "calculate-tee-times"),
                 "Kea sends no T1/T2 without renew-timer, rebind-timer or "
                 "calculate-tee-times; leasewire always sends them (50 % "
                 "and 87.5 % unless set), which clients assume anyway "
                 "(RFC 2131 §4.4.5)");
  }
  if (!(pct[0] > 0 && pct[0] < pct[1] && pct[1] < 100)) {
    report_.Dropped(scope[0].path,
                    absl::StrCat("T1 ", pct[0], " % and T2 ", pct[1],
                                 " % are not 0 < T1 < T2 < 100; leasewire's "
                                 "defaults used"));
    pct[0] = global ? 50 : global_renew_;
    pct[1] = global ? 87.5 : global_rebind_;
  }
  if (global) {
    global_renew_ = pct[0];
    global_rebind_ = pct[1];
    (*out)["renew-timer-percent"] = pct[0];
    (*out)["rebind-timer-percent"] = pct[1];
    return;
  }
  if (pct[0] != global_renew_ || pct[1] != global_rebind_) {
    (*out)["renew-timer-percent"] = pct[0];
    (*out)["rebind-timer-percent"] = pct[1];
  }
}

std::optional<J> Converter::Reservation(const J& r, const std::string& path) {
  if (!r.is_object()) {
    report_.Dropped(path, "not an object");
    return std::nullopt;
  }
  J out;
  std::string kind;
  std::string kea_kind;
  std::vector<uint8_t> id;
  for (const char* k :
       {"hw-address", "client-id", "circuit-id", "flex-id", "duid"}) {
    if (!r.contains(k)) continue;
    kea_kind = k;
    std::optional<std::vector<uint8_t>> bytes =
        ParseKeaIdentifier(Describe(r[k]));
    if (!bytes) {
      report_.Dropped(Sub(path, k), absl::StrCat("\"", Describe(r[k]),
                                                 "\" is not an identifier; "
                                                 "reservation dropped"));
      return std::nullopt;
    }
    id = *std::move(bytes);
    kind = k;
    break;
  }
  if (kind.empty()) {
    report_.Dropped(path, "no identifier; reservation dropped");
    return std::nullopt;
  }
  if (kind == "duid") {
    report_.Dropped(Sub(path, "duid"),
                    "a DUID reservation matches part of an RFC 4361 client "
                    "identifier, which leasewire cannot express; "
                    "reservation dropped");
    return std::nullopt;
  }
  if (kind == "flex-id") {
    if (!flex_ || flex_->key.empty()) {
      report_.Dropped(
          Sub(path, "flex-id"),
          flex_ ? absl::StrCat("flex_id expression \"", flex_->expression,
                               "\" has no leasewire equivalent; "
                               "reservation dropped")
                : "flex-id without the flex_id hook; "
                  "reservation dropped");
      return std::nullopt;
    }
    kind = flex_->key;
    report_.Info(
        Sub(path, "flex-id"),
        absl::StrCat("flex-id (", flex_->expression, ") becomes ", kind));
  }
  if (std::find(identifiers_.begin(), identifiers_.end(), kea_kind) ==
      identifiers_.end()) {
    report_.Approximated(Sub(path, kea_kind),
                         absl::StrCat(kea_kind,
                                      " is not in host-reservation-"
                                      "identifiers, so Kea ignored this "
                                      "reservation; leasewire uses it"));
  }
  if (kind == "hw-address") {
    if (id.size() != 6) {
      report_.Dropped(Sub(path, kea_kind),
                      "leasewire reserves 6-octet (Ethernet) hardware "
                      "addresses only; reservation dropped");
      return std::nullopt;
    }
    out["hw-address"] = Hex(id, ":");
  } else if (kind == "client-id") {
    if (id.size() < 2) {
      report_.Dropped(Sub(path, kea_kind),
                      "a client identifier has at least 2 octets; "
                      "reservation dropped");
      return std::nullopt;
    }
    out["client-id"] = Hex(id, ":");
  } else {
    out[kind] = RelayIdText(id);
  }
  std::set<std::string_view> handled = {
      "hw-address",  "client-id",       "circuit-id",    "flex-id",
      "duid",        "ip-address",      "hostname",      "option-data",
      "next-server", "server-hostname", "boot-file-name"};
  if (r.contains("ip-address")) {
    const std::string a = Describe(r["ip-address"]);
    if (a != "0.0.0.0") out["ip-address"] = a;
  }
  if (r.contains("hostname")) {
    const std::string h = Describe(r["hostname"]);
    if (!h.empty() && h.size() <= 255) {
      out["hostname"] = h;
    } else if (!h.empty()) {
      report_.Dropped(Sub(path, "hostname"), "longer than 255 characters");
    }
  }
  std::vector<Option> opts;
  if (r.contains("option-data")) {
    opts = Options(r["option-data"], Sub(path, "option-data"), nullptr);
  }
  BootFields(r, path, &opts);
  if (!opts.empty()) out["option-data"] = OptionList(opts);
  Unhandled(r, path, handled);
  return out;
}

void Converter::Subnet(const J& s, const std::string& path, const J* network,
                       const std::string& network_path) {
  if (!s.is_object()) {
    report_.Dropped(path, "not an object");
    return;
  }
  const std::string text = s.value("subnet", "");
  std::optional<config::Prefix> prefix = config::Prefix::Parse(text);
  if (!prefix) {
    report_.Dropped(path, absl::StrCat("\"subnet\" ", text,
                                       " is not an IPv4 prefix; subnet "
                                       "dropped"));
    return;
  }
  Scope scope = {{&s, path}};
  if (network != nullptr) scope.push_back({network, network_path});
  Scope with_global = scope;
  with_global.push_back({&dhcp4_, "Dhcp4"});

  SubnetOut out;
  out.prefix = *prefix;
  out.kea_path = path;
  J& j = out.json;
  std::optional<uint32_t> id = GetU32(s, "id");
  if (id && *id > 0) {
    j["id"] = *id;
  } else {
    j["id"] = nullptr;  // assigned once every explicit id is known
  }
  j["subnet"] = text;

  // Relays: the subnet's, else its shared network's.
  if (const Level* l = Find(scope, "relay")) {
    const J& relay = (*l->obj)["relay"];
    std::vector<std::string> addrs;
    if (relay.contains("ip-addresses") && relay["ip-addresses"].is_array()) {
      for (const J& a : relay["ip-addresses"]) addrs.push_back(Describe(a));
    }
    if (relay.contains("ip-address")) {
      addrs.push_back(Describe(relay["ip-address"]));
    }
    J list = J::array();
    for (size_t i = 0; i < addrs.size(); ++i) {
      const std::string p = Idx(Sub(Sub(l->path, "relay"), "ip-addresses"), i);
      std::optional<Ipv4Address> a = Ipv4Address::Parse(addrs[i]);
      if (!a) {
        report_.Dropped(p, absl::StrCat(addrs[i], " is not an address"));
        continue;
      }
      const auto [it, added] = relay_owner_.try_emplace(a->value(), path);
      if (!added) {
        report_.Approximated(
            p, absl::StrCat("relay ", addrs[i], " already selects ", it->second,
                            "; leasewire lets a relay select one subnet "
                            "only (shared networks are flattened)"));
        continue;
      }
      list.push_back(addrs[i]);
    }
    if (!list.empty()) j["relay"] = {{"ip-addresses", list}};
  }
  if (const Level* l = Find(scope, "authoritative")) {
    j["authoritative"] = (*l->obj)["authoritative"];
  }
  Lifetimes(with_global, /*global=*/false, &j);
  Timers(with_global, /*global=*/false, &j);

  // Options: the shared network's, then the subnet's own.
  std::optional<Ipv4Address> sid;
  std::vector<Option> opts;
  if (network != nullptr) {
    if (network->contains("option-data")) {
      opts = Options((*network)["option-data"],
                     Sub(network_path, "option-data"), &sid);
    }
  }
  if (s.contains("option-data")) {
    for (Option& o :
         Options(s["option-data"], Sub(path, "option-data"), &sid)) {
      MergeOption(&opts, std::move(o));
    }
  }
  if (network != nullptr) BootFields(*network, network_path, &opts);
  BootFields(s, path, &opts);
  if (sid) j["server-id"] = sid->ToString();
  if (!opts.empty()) j["option-data"] = OptionList(opts);

  J pools = J::array();
  if (s.contains("pools") && s["pools"].is_array()) {
    for (size_t i = 0; i < s["pools"].size(); ++i) {
      const J& p = s["pools"][i];
      const std::string pp = Idx(Sub(path, "pools"), i);
      if (!p.is_object() || !p.contains("pool")) {
        report_.Dropped(pp, "no \"pool\"; dropped");
        continue;
      }
      J pool{{"pool", Describe(p["pool"])}};
      if (p.contains("option-data")) {
        std::vector<Option> po =
            Options(p["option-data"], Sub(pp, "option-data"), nullptr);
        if (!po.empty()) pool["option-data"] = OptionList(po);
      }
      Unhandled(p, pp, {"pool", "option-data"});
      pools.push_back(std::move(pool));
    }
  }
  j["pools"] = std::move(pools);

  J reservations = J::array();
  if (s.contains("reservations") && s["reservations"].is_array()) {
    for (size_t i = 0; i < s["reservations"].size(); ++i) {
      if (std::optional<J> r = Reservation(s["reservations"][i],
                                           Idx(Sub(path, "reservations"), i))) {
        reservations.push_back(*std::move(r));
      }
    }
  }
  if (!reservations.empty()) j["reservations"] = std::move(reservations);

  Unhandled(s, path,
            {"id", "subnet", "relay", "authoritative", "valid-lifetime",
             "min-valid-lifetime", "max-valid-lifetime", "renew-timer",
             "rebind-timer", "calculate-tee-times", "t1-percent", "t2-percent",
             "option-data", "pools", "reservations", "next-server",
             "server-hostname", "boot-file-name"});
  if (id) used_ids_.insert(*id);
  subnets_.push_back(std::move(out));
}

void Converter::Network(const J& n, const std::string& path) {
  if (!n.is_object()) {
    report_.Dropped(path, "not an object");
    return;
  }
  const std::string name = n.value("name", "");
  size_t count = 0;
  if (n.contains("subnet4") && n["subnet4"].is_array()) {
    count = n["subnet4"].size();
    for (size_t i = 0; i < count; ++i) {
      Subnet(n["subnet4"][i], Idx(Sub(path, "subnet4"), i), &n, path);
    }
  }
  if (count > 1) {
    report_.Approximated(
        path,
        absl::StrCat("shared network \"", name, "\" flattened into ", count,
                     " independent subnets: a client is served from "
                     "the one subnet its relay or port selects, never "
                     "from another subnet of the network when that "
                     "one is full"));
  } else {
    report_.Info(path, absl::StrCat("shared network \"", name, "\" with ",
                                    count, " subnet flattened"));
  }
  // Keys the subnets inherited are handled there; the rest is reported
  // once, here.
  Unhandled(
      n, path,
      {"name", "subnet4", "relay", "authoritative", "valid-lifetime",
       "min-valid-lifetime", "max-valid-lifetime", "renew-timer",
       "rebind-timer", "calculate-tee-times", "t1-percent", "t2-percent",
       "option-data", "next-server", "server-hostname", "boot-file-name"});
}

void Converter::GlobalReservations(const J& list, const std::string& path) {
  if (!list.is_array()) return;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string p = Idx(path, i);
    const J& r = list[i];
    std::optional<Ipv4Address> a =
        r.contains("ip-address") ? Ipv4Address::Parse(Describe(r["ip-address"]))
                                 : std::nullopt;
    if (!a) {
      report_.Dropped(p,
                      "a global reservation without an address applies "
                      "in every subnet; leasewire has per-subnet "
                      "reservations only");
      continue;
    }
    SubnetOut* home = nullptr;
    for (SubnetOut& s : subnets_) {
      if (s.prefix.Contains(*a)) home = &s;
    }
    if (home == nullptr) {
      report_.Dropped(
          p, absl::StrCat(a->ToString(), " lies in no converted subnet"));
      continue;
    }
    std::optional<J> out = Reservation(r, p);
    if (!out) continue;
    report_.Approximated(
        p, absl::StrCat("global reservation moved into ", home->kea_path, " (",
                        home->prefix.ToString(), ")"));
    home->json["reservations"].push_back(*std::move(out));
  }
}

void Converter::Interfaces(const J& ic, const std::string& path) {
  const std::string list_path = Sub(path, "interfaces");
  std::vector<std::string> names;
  if (ic.contains("interfaces") && ic["interfaces"].is_array()) {
    for (const J& n : ic["interfaces"]) names.push_back(Describe(n));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string p = Idx(list_path, i);
    std::string name = names[i];
    std::string address;
    if (name == "*") {
      report_.Dropped(p,
                      "\"*\" (every interface): leasewire serves named "
                      "ports; pass --interface-address NAME=A.B.C.D/N "
                      "for each");
      continue;
    }
    if (const size_t slash = name.find('/'); slash != std::string::npos) {
      address = name.substr(slash + 1);
      name = name.substr(0, slash);
    }
    std::string cidr;
    if (const auto it = options_.interface_addresses.find(name);
        it != options_.interface_addresses.end()) {
      cidr = it->second;
    } else if (!address.empty()) {
      std::optional<Ipv4Address> a = Ipv4Address::Parse(address);
      for (const SubnetOut& s : subnets_) {
        if (a && s.prefix.Contains(*a)) {
          cidr = absl::StrCat(address, "/", s.prefix.length);
        }
      }
      if (cidr.empty()) {
        report_.Dropped(
            p, absl::StrCat(address,
                            " lies in no subnet, so its prefix length is "
                            "unknown; pass --interface-address ",
                            name, "=", address, "/N"));
        continue;
      }
    } else {
      report_.Dropped(p, absl::StrCat("no address for ", name,
                                      ": Kea takes it from the kernel; pass "
                                      "--interface-address ",
                                      name, "=A.B.C.D/N"));
      continue;
    }
    interfaces_.push_back({{"name", name}, {"address", cidr}});
    report_.Info(
        p, absl::StrCat("port \"", name, "\" with address ", cidr,
                        "; give its DPDK device with \"device\" or "
                        "leasewired --device ",
                        name, "=SPEC (net_af_packet0,iface=", name,
                        " in a lab, a PCI address for a NIC), and keep the "
                        "address off the kernel's side of the interface"));
  }
  // Ports given on the command line that Kea's list lacks.
  for (const auto& [name, cidr] : options_.interface_addresses) {
    bool listed = false;
    for (const J& i : interfaces_) listed = listed || i["name"] == name;
    if (listed) continue;
    interfaces_.push_back({{"name", name}, {"address", cidr}});
    report_.Info(absl::StrCat("--interface-address ", name),
                 absl::StrCat("port \"", name,
                              "\" added; Kea's interfaces-config does not "
                              "list it"));
  }
  for (const auto& [key, value] : ic.items()) {
    if (key == "interfaces") continue;
    report_.Info(Sub(path, key),
                 "not needed: leasewire sends and receives "
                 "through DPDK");
  }
}

void Converter::ControlSocket(const J& cs, const std::string& path) {
  const std::string type = cs.value("socket-type", "unix");
  const std::string name = cs.value("socket-name", "");
  if (type != "unix" || name.empty() || name[0] != '/' || name.size() > 107) {
    report_.Dropped(path, absl::StrCat("\"", name,
                                       "\" is not an absolute Unix socket "
                                       "path of at most 107 characters"));
    return;
  }
  control_["socket"] = name;
  report_.Info(path,
               "the control socket of leasewirectl; it speaks "
               "leasewire's commands, not Kea's");
}

void Converter::LeaseDatabase(const J& db, const std::string& path) {
  const std::string type = db.value("type", "memfile");
  if (type != "memfile") {
    report_.Dropped(path, absl::StrCat("leases in ", type,
                                       ": dump them to a CSV file (kea-admin "
                                       "lease-dump) and import that with "
                                       "leasewire-kea-migrate leases"));
    return;
  }
  const std::string name = db.value("name", "");
  report_.Info(
      path,
      absl::StrCat("memfile ", name.empty() ? "(Kea's default path)" : name,
                   ": import it with leasewire-kea-migrate leases "
                   "FILE --config OUT.json --lease-dir DIR"));
  if (db.contains("persist") && db["persist"].is_boolean() &&
      !db["persist"].get<bool>()) {
    report_.Info(Sub(path, "persist"),
                 "Kea kept leases in memory only; leasewire always writes "
                 "them to its lease database");
  }
}

void Converter::CheckRelays() {
  for (SubnetOut& s : subnets_) {
    if (!s.json.contains("relay")) continue;
    J kept = J::array();
    for (const J& a : s.json["relay"]["ip-addresses"]) {
      std::optional<Ipv4Address> addr = Ipv4Address::Parse(Describe(a));
      const SubnetOut* inside = nullptr;
      for (const SubnetOut& o : subnets_) {
        if (&o != &s && o.prefix.Contains(*addr)) inside = &o;
      }
      if (inside != nullptr) {
        report_.Dropped(
            Sub(s.kea_path, "relay"),
            absl::StrCat("relay ", a.get<std::string>(), " lies inside ",
                         inside->kea_path, " (", inside->prefix.ToString(),
                         "), which it selects in leasewire"));
        continue;
      }
      kept.push_back(a);
    }
    if (kept.empty()) {
      s.json.erase("relay");
    } else {
      s.json["relay"]["ip-addresses"] = kept;
    }
  }
}

void Converter::TopLevel(const J& d) {
  std::set<std::string_view> handled;
  auto take = [&](std::string_view key) -> const J* {
    handled.insert(key);
    const auto it = d.find(key);
    return it == d.end() ? nullptr : &*it;
  };
  if (const J* h = take("hooks-libraries")) {
    Hooks(*h, "Dhcp4.hooks-libraries");
  }
  if (const J* h = take("host-reservation-identifiers")) {
    Identifiers(*h, "Dhcp4.host-reservation-identifiers");
  }
  J out_scalars;
  const Scope global = {{&d, "Dhcp4"}};
  for (std::string_view k :
       {"valid-lifetime", "min-valid-lifetime", "max-valid-lifetime",
        "renew-timer", "rebind-timer", "calculate-tee-times", "t1-percent",
        "t2-percent"}) {
    take(k);
  }
  Lifetimes(global, /*global=*/true, &out_scalars);
  Timers(global, /*global=*/true, &out_scalars);
  if (const J* a = take("authoritative")) {
    global_authoritative_ = a->is_boolean() && a->get<bool>();
  }
  std::optional<uint32_t> probation;
  if (take("decline-probation-period")) {
    probation = GetU32(d, "decline-probation-period");
  }
  if (const J* o = take("option-data")) {
    global_options_ = Options(*o, "Dhcp4.option-data", &server_id_);
  }
  take("next-server");
  take("server-hostname");
  take("boot-file-name");
  BootFields(d, "Dhcp4", &global_options_);
  if (const J* l = take("subnet4")) {
    for (size_t i = 0; i < l->size(); ++i) {
      Subnet((*l)[i], Idx("Dhcp4.subnet4", i), nullptr, "");
    }
  }
  if (const J* l = take("shared-networks")) {
    for (size_t i = 0; i < l->size(); ++i) {
      Network((*l)[i], Idx("Dhcp4.shared-networks", i));
    }
  }
  // Kea numbers subnets without an id itself; leasewire needs one.
  uint32_t next_id = 1;
  for (SubnetOut& s : subnets_) {
    if (!s.json["id"].is_null()) continue;
    while (used_ids_.contains(next_id)) ++next_id;
    s.json["id"] = next_id;
    used_ids_.insert(next_id);
    report_.Approximated(Sub(s.kea_path, "id"),
                         absl::StrCat("not set (Kea numbers it itself); "
                                      "assigned ",
                                      next_id,
                                      ". Leases are imported by address, "
                                      "so this is safe for the import"));
  }
  CheckRelays();
  if (const J* r = take("reservations")) {
    GlobalReservations(*r, "Dhcp4.reservations");
  }
  if (const J* ic = take("interfaces-config")) {
    Interfaces(*ic, "Dhcp4.interfaces-config");
  } else {
    Interfaces(J::object(), "Dhcp4.interfaces-config");
  }
  if (const J* cs = take("control-socket")) {
    ControlSocket(*cs, "Dhcp4.control-socket");
  }
  if (const J* db = take("lease-database")) {
    LeaseDatabase(*db, "Dhcp4.lease-database");
  }
  for (std::string_view k : {"hosts-database", "hosts-databases"}) {
    if (take(k)) {
      report_.Dropped(absl::StrCat("Dhcp4.", std::string(k)),
                      "reservations in a database are not read; add them "
                      "to the config (or with leasewirectl) by hand");
    }
  }
  if (const J* cc = take("client-classes")) {
    for (size_t i = 0; cc->is_array() && i < cc->size(); ++i) {
      report_.Dropped(Idx("Dhcp4.client-classes", i),
                      absl::StrCat("class \"", (*cc)[i].value("name", ""),
                                   "\": leasewire has no client classes"));
    }
  }
  if (const J* od = take("option-def")) {
    for (size_t i = 0; od->is_array() && i < od->size(); ++i) {
      report_.Dropped(Idx("Dhcp4.option-def", i),
                      absl::StrCat("definition of option ",
                                   Describe((*od)[i].value("code", J())),
                                   ": custom option types are not supported; "
                                   "its data can be sent as hex"));
    }
  }
  if (const J* e = take("echo-client-id")) {
    if (e->is_boolean() && !e->get<bool>()) {
      report_.Dropped("Dhcp4.echo-client-id",
                      "leasewire always echoes the client identifier "
                      "(RFC 6842)");
    }
  }
  struct Note {
    std::string_view key;
    std::string_view reason;
  };
  for (const Note n : {
           Note{"loggers", "leasewired logs to stderr (the journal)"},
           Note{"multi-threading", "leasewire's threads are dataplane.workers"},
           Note{"expired-leases-processing",
                "leasewire expires leases on time and reclaims released "
                "and expired records after 7 days"},
           Note{"sanity-checks", "leasewire checks leases on recovery"},
           Note{"server-tag", "only used by Kea's config backend"},
           Note{"dhcp4o6-port", "DHCPv4-over-DHCPv6 is not supported"},
           Note{"statistic-default-sample-count",
                "leasewire's statistics are Prometheus counters"},
           Note{"statistic-default-sample-age",
                "leasewire's statistics are Prometheus counters"},
           Note{"dhcp-queue-control",
                "leasewire has no packet queue to configure"},
           Note{"parked-packet-limit", "leasewire parks no packets"},
       }) {
    if (take(n.key))
      report_.Info(absl::StrCat("Dhcp4.", std::string(n.key)),
                   std::string(n.reason));
  }
  Unhandled(d, "Dhcp4", handled);

  // Assemble in the order of docs/configuration.md.
  J& out = out_;
  if (server_id_) out["server-id"] = server_id_->ToString();
  if (!interfaces_.empty()) out["interfaces"] = interfaces_;
  out["authoritative"] = global_authoritative_;
  for (const auto& [k, v] : out_scalars.items()) out[k] = v;
  if (probation) out["decline-probation-period"] = *probation;
  if (!global_options_.empty())
    out["option-data"] = OptionList(global_options_);
  J subnets = J::array();
  for (SubnetOut& s : subnets_) subnets.push_back(std::move(s.json));
  out["subnets"] = std::move(subnets);
  if (!control_.is_null()) out["control"] = control_;
}

absl::StatusOr<J> Converter::Run(const J& root) {
  if (!root.is_object() || !root.contains("Dhcp4") ||
      !root["Dhcp4"].is_object()) {
    return absl::InvalidArgumentError(
        "not a kea-dhcp4 configuration: no \"Dhcp4\" object at the top");
  }
  for (const auto& [key, value] : root.items()) {
    if (key != "Dhcp4") {
      report_.Dropped(key, "not the kea-dhcp4 section; ignored");
    }
  }
  dhcp4_ = root["Dhcp4"];
  TopLevel(dhcp4_);
  return out_;
}

}  // namespace

namespace {

// Appends the JSON string literal that opens at text[open] (a '"'),
// escapes included, to *out; returns the index of its closing quote (or
// of the last character when it is unterminated).
size_t CopyStringLiteral(std::string_view text, size_t open, std::string* out) {
  *out += text[open];
  size_t i = open + 1;
  for (; i < text.size(); ++i) {
    *out += text[i];
    if (text[i] == '\\' && i + 1 < text.size()) {
      *out += text[++i];
    } else if (text[i] == '"') {
      break;
    }
  }
  return i < text.size() ? i : text.size() - 1;
}

// Kea's parser accepts a comma before a closing bracket (Debian's shipped
// kea-dhcp4.conf has them once its comments are gone); JSON does not.
// REQUIRES: `text` has no comments.
std::string DropTrailingCommas(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      i = CopyStringLiteral(text, i, &out);
      continue;
    }
    if (c == ',') {
      size_t k = i + 1;
      while (k < text.size() && absl::ascii_isspace(text[k])) ++k;
      if (k < text.size() && (text[k] == '}' || text[k] == ']')) continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> StripKeaComments(std::string_view std_text) {
  const absl::string_view text(std_text.data(), std_text.size());
  std::string out;
  out.reserve(text.size());
  size_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      const size_t end = CopyStringLiteral(std_text, i, &out);
      line += std::count(std_text.begin() + i, std_text.begin() + end, '\n');
      i = end;
      continue;
    }
    if (c == '#' || (c == '/' && i + 1 < text.size() && text[i + 1] == '/')) {
      while (i < text.size() && text[i] != '\n') ++i;
      if (i < text.size()) {
        out += '\n';
        ++line;
      }
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      const size_t start_line = line;
      const size_t end = text.find("*/", i + 2);
      if (end == absl::string_view::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", start_line, ": unterminated /* comment"));
      }
      for (size_t k = i; k < end; ++k) {
        if (text[k] == '\n') {
          out += '\n';
          ++line;
        }
      }
      i = end + 1;
      continue;
    }
    if (c == '<' && text.substr(i, 9) == "<?include") {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", line,
          ": <?include?> is not supported; merge the included file "
          "into one (kea-dhcp4 -t shows the merged configuration)"));
    }
    if (c == '\n') ++line;
    out += c;
  }
  return DropTrailingCommas(out);
}

absl::StatusOr<ConvertResult> ConvertKeaConfig(std::string_view kea_text,
                                               const ConvertOptions& options,
                                               Report* report) {
  absl::StatusOr<std::string> text = StripKeaComments(kea_text);
  if (!text.ok()) return text.status();
  J root = J::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    // Parse again with exceptions for nlohmann's message (line, column).
    try {
      const J again = J::parse(*text);
      (void)again;
    } catch (const J::parse_error& e) {
      return absl::InvalidArgumentError(absl::StrCat("not JSON: ", e.what()));
    }
    return absl::InvalidArgumentError("not JSON");
  }
  Converter converter(options, report);
  absl::StatusOr<J> config = converter.Run(root);
  if (!config.ok()) return config.status();
  ConvertResult result;
  result.config = *std::move(config);
  absl::StatusOr<std::shared_ptr<const config::Config>> loaded =
      config::LoadConfig(result.config.dump());
  result.validation = loaded.status();
  return result;
}

}  // namespace leasewire::kea_migrate
