// LoadConfig(): JSON text -> validated, merged, indexed Config.
//
// The work runs in four steps, each stopping at the first error:
//   1. global settings (interfaces, server-id, lifetimes, trust, options);
//   2. each subnet on its own (prefix, pools, relay, reservations);
//   3. subnets against each other (ids, overlaps, relay addresses);
//   4. finishing each subnet (merged option sets, in_pool, addresses that
//      must not be handed out), sorting, and building the indexes.

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "config/json_reader.h"
#include "config/option_value.h"
#include "leasewire/config/config.h"
#include "leasewire/wire/options.h"

namespace leasewire::config {
namespace {

using internal::Json;
using internal::Node;
using internal::PathError;
using internal::ReadOptional;

// The parts of a subnet, with where they came from in the file, until the
// subnet is finished. Option sets hold only their own "option-data" until
// then.
struct PoolDraft {
  Pool pool;
  size_t index = 0;  // position in "pools"
};

struct SubnetDraft {
  size_t index = 0;  // position in "subnets"
  std::string path;  // "subnets[3]"
  Subnet subnet;     // pools, reservations: filled in by FinishSubnet()
  std::vector<PoolDraft> pools;  // sorted
  std::vector<Reservation> reservations;
};

std::string RangeText(Ipv4Address first, Ipv4Address last) {
  return absl::StrCat(first.ToString(), " - ", last.ToString());
}

// ---------------------------------------------------------------------
// Step 1: global settings.

absl::Status ReadLifetimes(const Node& object, Lifetimes* lifetimes) {
  if (std::optional<Node> n = object.Get("valid-lifetime")) {
    LW_RETURN_IF_ERROR(n->ReadLifetime(&lifetimes->valid));
  }
  if (std::optional<Node> n = object.Get("min-valid-lifetime")) {
    LW_RETURN_IF_ERROR(n->ReadLifetime(&lifetimes->min_valid));
  }
  if (std::optional<Node> n = object.Get("max-valid-lifetime")) {
    LW_RETURN_IF_ERROR(n->ReadLifetime(&lifetimes->max_valid));
  }
  LW_RETURN_IF_ERROR(
      ReadOptional(object, "renew-timer-percent", &lifetimes->renew_percent));
  LW_RETURN_IF_ERROR(
      ReadOptional(object, "rebind-timer-percent", &lifetimes->rebind_percent));
  return absl::OkStatus();
}

// min <= default <= max and 0 < renew < rebind < 100, after inheritance.
absl::Status CheckLifetimes(const Node& scope, const Lifetimes& l) {
  if (l.min_valid > l.valid) {
    return scope.Error(absl::StrCat("min-valid-lifetime ", l.min_valid,
                                    " is above valid-lifetime ", l.valid));
  }
  if (l.valid > l.max_valid) {
    return scope.Error(absl::StrCat("valid-lifetime ", l.valid,
                                    " is above max-valid-lifetime ",
                                    l.max_valid));
  }
  if (!(l.renew_percent > 0)) {
    return scope.Error(absl::StrCat("renew-timer-percent ", l.renew_percent,
                                    " is not above 0"));
  }
  if (!(l.renew_percent < l.rebind_percent)) {
    return scope.Error(absl::StrCat("renew-timer-percent ", l.renew_percent,
                                    " is not below rebind-timer-percent ",
                                    l.rebind_percent));
  }
  if (!(l.rebind_percent < 100)) {
    return scope.Error(absl::StrCat("rebind-timer-percent ", l.rebind_percent,
                                    " is not below 100"));
  }
  return absl::OkStatus();
}

absl::Status ReadInterface(const Node& node, Interface* out) {
  LW_RETURN_IF_ERROR(node.ExpectObject("interfaces[]"));
  absl::StatusOr<Node> name = node.Require("name");
  if (!name.ok()) return name.status();
  LW_RETURN_IF_ERROR(name->Read(&out->name));
  if (out->name.empty()) return name->Error("empty name");
  absl::StatusOr<Node> address = node.Require("address");
  if (!address.ok()) return address.status();
  std::string text;
  LW_RETURN_IF_ERROR(address->Read(&text));
  const std::optional<internal::AddressWithLength> parsed =
      internal::ParseAddressWithLength(text);
  if (!parsed || parsed->address.IsZero()) {
    return address->Error(absl::StrCat(
        "\"", text, "\" is not an address with prefix length (192.0.2.1/24)"));
  }
  LW_RETURN_IF_ERROR(ReadOptional(node, "device", &out->device));
  out->address = parsed->address;
  out->prefix.length = parsed->length;
  out->prefix.network =
      Ipv4Address(parsed->address.value() & out->prefix.mask());
  if (out->prefix.length < 31 && (out->address == out->prefix.network ||
                                  out->address == out->prefix.broadcast())) {
    return address->Error(absl::StrCat(text, " is not a host address of ",
                                       out->prefix.ToString()));
  }
  return absl::OkStatus();
}

absl::Status ReadInterfaces(const Node& list, Config* config) {
  LW_RETURN_IF_ERROR(list.ExpectArray());
  for (size_t i = 0; i < list.size(); ++i) {
    const Node node = list.Element(i);
    Interface interface;
    LW_RETURN_IF_ERROR(ReadInterface(node, &interface));
    for (size_t k = 0; k < config->interfaces.size(); ++k) {
      const Interface& other = config->interfaces[k];
      if (other.name == interface.name) {
        return node.Error(absl::StrCat("name \"", interface.name,
                                       "\" is already used by interfaces[", k,
                                       "]"));
      }
      if (other.address == interface.address) {
        return node.Error(absl::StrCat("address ", interface.address.ToString(),
                                       " is already used by interfaces[", k,
                                       "]"));
      }
    }
    config->interfaces.push_back(std::move(interface));
  }
  return absl::OkStatus();
}

absl::Status ReadTrust(const Node& node, Trust* trust) {
  LW_RETURN_IF_ERROR(node.ExpectObject("trust"));
  LW_RETURN_IF_ERROR(
      ReadOptional(node, "link-selection", &trust->link_selection));
  LW_RETURN_IF_ERROR(
      ReadOptional(node, "subnet-selection", &trust->subnet_selection));
  LW_RETURN_IF_ERROR(ReadOptional(node, "relay-info-without-giaddr",
                                  &trust->relay_info_without_giaddr));
  LW_RETURN_IF_ERROR(
      ReadOptional(node, "server-id-override", &trust->server_id_override));
  return absl::OkStatus();
}

absl::Status ReadDataplane(const Node& node, Dataplane* out) {
  LW_RETURN_IF_ERROR(node.ExpectObject("dataplane"));
  if (std::optional<Node> n = node.Get("workers")) {
    LW_RETURN_IF_ERROR(n->ReadUint32(1, 64, &out->workers));
  }
  if (std::optional<Node> n = node.Get("mbufs-per-worker")) {
    LW_RETURN_IF_ERROR(n->ReadUint32(1023, 1 << 22, &out->mbufs_per_worker));
  }
  if (std::optional<Node> n = node.Get("eal-args")) {
    LW_RETURN_IF_ERROR(n->ExpectArray());
    out->eal_args.clear();
    for (size_t i = 0; i < n->size(); ++i) {
      std::string arg;
      LW_RETURN_IF_ERROR(n->Element(i).Read(&arg));
      if (arg == "-l" || arg == "--lcores" || arg.starts_with("--lcores=") ||
          arg == "-c" || arg == "--main-lcore") {
        return n->Element(i).Error(absl::StrCat(
            "\"", arg, "\" is set by leasewired from \"workers\"; remove it"));
      }
      out->eal_args.push_back(std::move(arg));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadLeaseDatabase(const Node& node, LeaseDatabase* out) {
  LW_RETURN_IF_ERROR(node.ExpectObject("lease-database"));
  if (std::optional<Node> n = node.Get("directory")) {
    LW_RETURN_IF_ERROR(n->Read(&out->directory));
    if (out->directory.empty()) return n->Error("empty directory");
  }
  if (std::optional<Node> n = node.Get("durability")) {
    std::string text;
    LW_RETURN_IF_ERROR(n->Read(&text));
    if (text != "sync" && text != "async") {
      return n->Error(
          absl::StrCat("\"", text, "\" is neither \"sync\" nor \"async\""));
    }
    out->sync = text == "sync";
  }
  return absl::OkStatus();
}

// "host:port" or "[v6]:port" with a port number 0-65535.
absl::Status CheckHostPort(const Node& node, const std::string& text) {
  const size_t colon = text.rfind(':');
  const std::string form =
      absl::StrCat("\"", text, "\" is not \"host:port\" (127.0.0.1:9167)");
  if (colon == std::string::npos || colon == 0) return node.Error(form);
  const std::string host = text.substr(0, colon);
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(),
                   [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoul(port) > 65535) {
    return node.Error(absl::StrCat(form, ": bad port \"", port, "\""));
  }
  if (host.front() == '[' ? host.back() != ']' || host.size() < 3
                          : host.find(':') != std::string::npos) {
    return node.Error(
        absl::StrCat(form, ": write an IPv6 address in brackets ([::1]:9167)"));
  }
  return absl::OkStatus();
}

absl::Status ReadControl(const Node& node, Control* out) {
  LW_RETURN_IF_ERROR(node.ExpectObject("control"));
  if (std::optional<Node> n = node.Get("socket")) {
    LW_RETURN_IF_ERROR(n->Read(&out->socket));
    if (out->socket.empty() || out->socket.front() != '/') {
      return n->Error(
          absl::StrCat("\"", out->socket, "\" is not an absolute path"));
    }
    // sockaddr_un::sun_path holds 108 octets with the terminating NUL.
    if (out->socket.size() > 107) {
      return n->Error(absl::StrCat("path has ", out->socket.size(),
                                   " characters; a Unix socket path may have "
                                   "at most 107"));
    }
  }
  if (std::optional<Node> n = node.Get("socket-mode")) {
    std::string text;
    LW_RETURN_IF_ERROR(n->Read(&text));
    const bool octal = !text.empty() && text.size() <= 4 &&
                       std::all_of(text.begin(), text.end(),
                                   [](char c) { return c >= '0' && c <= '7'; });
    if (!octal) {
      return n->Error(absl::StrCat(
          "\"", text, "\" is not an octal mode such as \"0600\" or \"0660\""));
    }
    out->socket_mode = static_cast<uint32_t>(std::stoul(text, nullptr, 8));
    if (out->socket_mode > 0777) {
      return n->Error(absl::StrCat("\"", text,
                                   "\" has bits beyond 0777 (no setuid, "
                                   "setgid or sticky bit on a socket)"));
    }
    if ((out->socket_mode & 0600) != 0600) {
      return n->Error(absl::StrCat("\"", text,
                                   "\" denies the owner read and write; the "
                                   "owner needs 0600"));
    }
    // Connecting takes write permission: o+w would let every local user
    // delete leases and stop the server.
    if ((out->socket_mode & 0002) != 0) {
      return n->Error(absl::StrCat(
          "\"", text,
          "\" lets every local user control the server; give access to a "
          "group instead (\"0660\" and chgrp the socket's directory)"));
    }
  }
  if (std::optional<Node> n = node.Get("metrics")) {
    if (n->value().is_null()) {
      out->metrics.clear();
    } else {
      LW_RETURN_IF_ERROR(n->Read(&out->metrics));
      if (!out->metrics.empty()) {
        LW_RETURN_IF_ERROR(CheckHostPort(*n, out->metrics));
      }
    }
  }
  if (std::optional<Node> n = node.Get("tcp")) {
    if (!n->value().is_null()) {
      LW_RETURN_IF_ERROR(n->Read(&out->tcp));
      if (!out->tcp.empty() &&
          std::all_of(out->tcp.begin(), out->tcp.end(),
                      [](char c) { return c >= '0' && c <= '9'; })) {
        out->tcp = absl::StrCat("127.0.0.1:", out->tcp);
      }
      if (!out->tcp.empty()) {
        LW_RETURN_IF_ERROR(CheckHostPort(*n, out->tcp));
        const std::string host = out->tcp.substr(0, out->tcp.rfind(':'));
        if (!Ipv4Address::Parse(host).has_value()) {
          return n->Error(absl::StrCat("\"", host,
                                       "\" is not an IPv4 address (the "
                                       "control port listens on IPv4 only)"));
        }
        if (out->tcp.substr(out->tcp.rfind(':') + 1) == "0") {
          return n->Error("port 0: give the port leasewirectl should use");
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ReadGlobals(const Node& root, Config* config) {
  if (std::optional<Node> n = root.Get("interfaces")) {
    LW_RETURN_IF_ERROR(ReadInterfaces(*n, config));
  }
  if (std::optional<Node> n = root.Get("server-id")) {
    LW_RETURN_IF_ERROR(n->Read(&config->server_id));
  } else if (!config->interfaces.empty()) {
    config->server_id = config->interfaces.front().address;
  } else {
    return root.Error(
        "\"server-id\" is not set and there is no interface to take it "
        "from");
  }
  LW_RETURN_IF_ERROR(
      ReadOptional(root, "authoritative", &config->authoritative));
  LW_RETURN_IF_ERROR(ReadLifetimes(root, &config->lifetimes));
  LW_RETURN_IF_ERROR(CheckLifetimes(root, config->lifetimes));
  if (std::optional<Node> n = root.Get("offer-lifetime")) {
    LW_RETURN_IF_ERROR(n->ReadUint32(1, 0xffffffff, &config->offer_lifetime));
  }
  if (std::optional<Node> n = root.Get("decline-probation-period")) {
    LW_RETURN_IF_ERROR(
        n->ReadUint32(0, 0xffffffff, &config->decline_probation));
  }
  if (std::optional<Node> n = root.Get("trust")) {
    LW_RETURN_IF_ERROR(ReadTrust(*n, &config->trust));
  }
  if (std::optional<Node> n = root.Get("option-data")) {
    LW_RETURN_IF_ERROR(internal::ReadOptionData(*n, &config->options));
  }
  if (std::optional<Node> n = root.Get("dataplane")) {
    LW_RETURN_IF_ERROR(ReadDataplane(*n, &config->dataplane));
  }
  if (std::optional<Node> n = root.Get("lease-database")) {
    LW_RETURN_IF_ERROR(ReadLeaseDatabase(*n, &config->lease_database));
  }
  if (std::optional<Node> n = root.Get("control")) {
    LW_RETURN_IF_ERROR(ReadControl(*n, &config->control));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------
// Step 2: each subnet on its own.

absl::Status ReadPrefix(const Node& node, Prefix* out) {
  std::string text;
  LW_RETURN_IF_ERROR(node.Read(&text));
  const std::optional<internal::AddressWithLength> parsed =
      internal::ParseAddressWithLength(text);
  if (!parsed) {
    return node.Error(
        absl::StrCat("\"", text, "\" is not a prefix (a.b.c.d/n)"));
  }
  Prefix masked{Ipv4Address(), parsed->length};
  masked.network = Ipv4Address(parsed->address.value() & masked.mask());
  if (masked.network != parsed->address) {
    return node.Error(absl::StrCat(text, " has host bits set (did you mean ",
                                   masked.ToString(), "?)"));
  }
  *out = masked;
  return absl::OkStatus();
}

// "a.b.c.d - e.f.g.h", "a.b.c.d-e.f.g.h" or a prefix "a.b.c.d/n" (all of
// it, network and broadcast addresses included).
absl::Status ReadPoolRange(const Node& node, Pool* pool) {
  std::string text;
  LW_RETURN_IF_ERROR(node.Read(&text));
  if (text.find('/') != std::string::npos) {
    Prefix prefix;
    LW_RETURN_IF_ERROR(ReadPrefix(node, &prefix));
    pool->first = prefix.network;
    pool->last = prefix.broadcast();
    return absl::OkStatus();
  }
  const size_t dash = text.find('-');
  std::optional<Ipv4Address> first;
  std::optional<Ipv4Address> last;
  if (dash != std::string::npos) {
    const absl::string_view view(text);
    first = Ipv4Address::Parse(
        internal::ToStd(absl::StripAsciiWhitespace(view.substr(0, dash))));
    last = Ipv4Address::Parse(
        internal::ToStd(absl::StripAsciiWhitespace(view.substr(dash + 1))));
  }
  if (!first || !last) {
    return node.Error(absl::StrCat(
        "\"", text,
        "\" is not a range (a.b.c.d - e.f.g.h) or a prefix (a.b.c.d/n)"));
  }
  if (*first > *last) {
    return node.Error(absl::StrCat("start ", first->ToString(),
                                   " is after end ", last->ToString()));
  }
  pool->first = *first;
  pool->last = *last;
  return absl::OkStatus();
}

absl::Status ReadPool(const Node& node, const Prefix& subnet, Pool* pool) {
  LW_RETURN_IF_ERROR(node.ExpectObject("subnets[].pools[]"));
  absl::StatusOr<Node> range = node.Require("pool");
  if (!range.ok()) return range.status();
  LW_RETURN_IF_ERROR(ReadPoolRange(*range, pool));
  if (!subnet.Contains(pool->first) || !subnet.Contains(pool->last)) {
    return range->Error(absl::StrCat(RangeText(pool->first, pool->last),
                                     " is outside subnet ", subnet.ToString()));
  }
  if (std::optional<Node> n = node.Get("option-data")) {
    LW_RETURN_IF_ERROR(internal::ReadOptionData(*n, &pool->options));
  }
  return absl::OkStatus();
}

absl::Status ReadPools(const Node& list, SubnetDraft* draft) {
  LW_RETURN_IF_ERROR(list.ExpectArray());
  for (size_t i = 0; i < list.size(); ++i) {
    PoolDraft pool;
    pool.index = i;
    LW_RETURN_IF_ERROR(
        ReadPool(list.Element(i), draft->subnet.prefix, &pool.pool));
    draft->pools.push_back(std::move(pool));
  }
  std::sort(draft->pools.begin(), draft->pools.end(),
            [](const PoolDraft& a, const PoolDraft& b) {
              return a.pool.first < b.pool.first;
            });
  for (size_t i = 1; i < draft->pools.size(); ++i) {
    const PoolDraft* a = &draft->pools[i - 1];
    const PoolDraft* b = &draft->pools[i];
    if (b->pool.first > a->pool.last) continue;
    if (a->index > b->index) std::swap(a, b);  // blame the later one
    return PathError(
        internal::ChildPath(internal::IndexPath(list.path(), b->index), "pool"),
        absl::StrCat(RangeText(b->pool.first, b->pool.last), " overlaps pools[",
                     a->index, "] (", RangeText(a->pool.first, a->pool.last),
                     ")"));
  }
  return absl::OkStatus();
}

absl::Status ReadRelay(const Node& node, Subnet* subnet) {
  LW_RETURN_IF_ERROR(node.ExpectObject("subnets[].relay"));
  absl::StatusOr<Node> list = node.Require("ip-addresses");
  if (!list.ok()) return list.status();
  LW_RETURN_IF_ERROR(list->ExpectArray());
  for (size_t i = 0; i < list->size(); ++i) {
    const Node element = list->Element(i);
    Ipv4Address address;
    LW_RETURN_IF_ERROR(element.Read(&address));
    const auto& seen = subnet->relay_addresses;
    const auto it = std::find(seen.begin(), seen.end(), address);
    if (it != seen.end()) {
      return element.Error(absl::StrCat(address.ToString(),
                                        " is already listed at [",
                                        it - seen.begin(), "]"));
    }
    subnet->relay_addresses.push_back(address);
  }
  return absl::OkStatus();
}

// How a reservation's identifier reads in messages.
std::string KeyText(const Reservation& r) {
  switch (r.key_type) {
    case ReservationKey::kHwAddress:
      return absl::StrCat("hw-address ", internal::ToHex(r.key));
    case ReservationKey::kClientId:
      return absl::StrCat("client-id ", internal::ToHex(r.key));
    case ReservationKey::kCircuitId:
      return absl::StrCat("circuit-id ", internal::ToHex(r.key));
    case ReservationKey::kRemoteId:
      return absl::StrCat("remote-id ", internal::ToHex(r.key));
  }
  return "";
}

// hw-address "02:00:00:00:00:01" (or with '-'); client-id in hex, at least
// two octets; circuit-id and remote-id in hex when they start with "0x",
// else the text's own octets.
absl::Status ReadReservationKey(const Node& entry, Reservation* r) {
  static constexpr std::array<std::pair<absl::string_view, ReservationKey>, 4>
      kKeys = {{{"hw-address", ReservationKey::kHwAddress},
                {"client-id", ReservationKey::kClientId},
                {"circuit-id", ReservationKey::kCircuitId},
                {"remote-id", ReservationKey::kRemoteId}}};
  std::optional<Node> key;
  absl::string_view key_name;
  for (const auto& [name, type] : kKeys) {
    std::optional<Node> n = entry.Get(name);
    if (!n) continue;
    if (key) {
      return entry.Error(absl::StrCat("has both ", key_name, " and ", name,
                                      "; give exactly one identifier"));
    }
    key = std::move(n);
    key_name = name;
    r->key_type = type;
  }
  if (!key) {
    return entry.Error(
        "needs one identifier: hw-address, client-id, circuit-id or "
        "remote-id");
  }
  std::string text;
  LW_RETURN_IF_ERROR(key->Read(&text));
  switch (r->key_type) {
    case ReservationKey::kHwAddress: {
      std::replace(text.begin(), text.end(), '-', ':');
      const std::optional<MacAddress> mac = MacAddress::Parse(text);
      if (!mac) {
        return key->Error(absl::StrCat(
            "\"", text, "\" is not a MAC address (02:00:00:00:00:01)"));
      }
      r->key.assign(mac->bytes().begin(), mac->bytes().end());
      return absl::OkStatus();
    }
    case ReservationKey::kClientId: {
      std::optional<std::vector<uint8_t>> bytes = internal::ParseHex(text);
      if (!bytes || bytes->size() < 2) {
        return key->Error(
            absl::StrCat("\"", text,
                         "\" is not a client-id: expected at least two hex "
                         "octets (01:02:00:00:00:00:01)"));
      }
      r->key = *std::move(bytes);
      return absl::OkStatus();
    }
    case ReservationKey::kCircuitId:
    case ReservationKey::kRemoteId:
      break;
  }
  if (absl::StartsWith(text, "0x")) {
    std::optional<std::vector<uint8_t>> bytes = internal::ParseHex(text);
    if (!bytes) {
      return key->Error(absl::StrCat("\"", text, "\" is not hex octets"));
    }
    r->key = *std::move(bytes);
  } else {
    r->key.assign(text.begin(), text.end());
  }
  if (r->key.empty() || r->key.size() > 255) {
    return key->Error("must have 1 to 255 octets");
  }
  return absl::OkStatus();
}

absl::Status ReadReservation(const Node& entry, const Prefix& subnet,
                             Reservation* r) {
  LW_RETURN_IF_ERROR(entry.ExpectObject("subnets[].reservations[]"));
  LW_RETURN_IF_ERROR(ReadReservationKey(entry, r));
  LW_RETURN_IF_ERROR(ReadOptional(entry, "ip-address", &r->address));
  if (!r->address.IsZero()) {
    const std::string a = r->address.ToString();
    if (!subnet.Contains(r->address)) {
      return entry.Error(absl::StrCat("ip-address ", a, " is outside subnet ",
                                      subnet.ToString()));
    }
    if (subnet.length < 31 && r->address == subnet.network) {
      return entry.Error(absl::StrCat(
          "ip-address ", a, " is the network address of ", subnet.ToString()));
    }
    if (subnet.length < 31 && r->address == subnet.broadcast()) {
      return entry.Error(absl::StrCat("ip-address ", a,
                                      " is the broadcast address of ",
                                      subnet.ToString()));
    }
  }
  if (std::optional<Node> n = entry.Get("hostname")) {
    LW_RETURN_IF_ERROR(n->Read(&r->hostname));
    if (r->hostname.empty() || r->hostname.size() > 255) {
      return n->Error("must have 1 to 255 characters");
    }
  }
  if (std::optional<Node> n = entry.Get("valid-lifetime")) {
    uint32_t seconds = 0;
    LW_RETURN_IF_ERROR(n->ReadLifetime(&seconds));
    r->valid_lifetime = seconds;
  }
  if (std::optional<Node> n = entry.Get("option-data")) {
    LW_RETURN_IF_ERROR(internal::ReadOptionData(*n, &r->options));
  }
  return absl::OkStatus();
}

absl::Status ReadReservations(const Node& list, SubnetDraft* draft) {
  LW_RETURN_IF_ERROR(list.ExpectArray());
  // Identifier (type octet + key) and address -> position, for repeats.
  absl::flat_hash_map<std::string, size_t> by_key;
  absl::flat_hash_map<uint32_t, size_t> by_address;
  for (size_t i = 0; i < list.size(); ++i) {
    const Node entry = list.Element(i);
    Reservation r;
    LW_RETURN_IF_ERROR(ReadReservation(entry, draft->subnet.prefix, &r));
    std::string key(1, static_cast<char>(r.key_type));
    key.append(r.key.begin(), r.key.end());
    const auto [k, key_added] = by_key.try_emplace(std::move(key), i);
    if (!key_added) {
      return entry.Error(absl::StrCat(
          KeyText(r), " is already used by reservations[", k->second, "]"));
    }
    if (!r.address.IsZero()) {
      const auto [a, added] = by_address.try_emplace(r.address.value(), i);
      if (!added) {
        return entry.Error(absl::StrCat("ip-address ", r.address.ToString(),
                                        " is already reserved by "
                                        "reservations[",
                                        a->second, "]"));
      }
    }
    draft->reservations.push_back(std::move(r));
  }
  return absl::OkStatus();
}

absl::Status ReadSubnet(const Node& node, const Config& globals,
                        SubnetDraft* draft) {
  LW_RETURN_IF_ERROR(node.ExpectObject("subnets[]"));
  Subnet& subnet = draft->subnet;
  absl::StatusOr<Node> id = node.Require("id");
  if (!id.ok()) return id.status();
  LW_RETURN_IF_ERROR(id->ReadUint32(1, 0xffffffff, &subnet.id));
  absl::StatusOr<Node> prefix = node.Require("subnet");
  if (!prefix.ok()) return prefix.status();
  LW_RETURN_IF_ERROR(ReadPrefix(*prefix, &subnet.prefix));

  subnet.lifetimes = globals.lifetimes;
  LW_RETURN_IF_ERROR(ReadLifetimes(node, &subnet.lifetimes));
  LW_RETURN_IF_ERROR(CheckLifetimes(node, subnet.lifetimes));
  subnet.server_id = globals.server_id;
  LW_RETURN_IF_ERROR(ReadOptional(node, "server-id", &subnet.server_id));
  subnet.authoritative = globals.authoritative;
  LW_RETURN_IF_ERROR(
      ReadOptional(node, "authoritative", &subnet.authoritative));
  if (std::optional<Node> n = node.Get("relay")) {
    LW_RETURN_IF_ERROR(ReadRelay(*n, &subnet));
  }
  if (std::optional<Node> n = node.Get("option-data")) {
    LW_RETURN_IF_ERROR(internal::ReadOptionData(*n, &subnet.options));
  }
  if (std::optional<Node> n = node.Get("pools")) {
    LW_RETURN_IF_ERROR(ReadPools(*n, draft));
  }
  if (std::optional<Node> n = node.Get("reservations")) {
    LW_RETURN_IF_ERROR(ReadReservations(*n, draft));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------
// Step 3: subnets against each other.

absl::Status CheckIds(const std::vector<SubnetDraft>& drafts) {
  absl::flat_hash_map<uint32_t, size_t> seen;
  for (const SubnetDraft& d : drafts) {
    const auto [it, added] = seen.try_emplace(d.subnet.id, d.index);
    if (!added) {
      return PathError(internal::ChildPath(d.path, "id"),
                       absl::StrCat(d.subnet.id, " is already used by subnets[",
                                    it->second, "]"));
    }
  }
  return absl::OkStatus();
}

// REQUIRES: `drafts` sorted by network, then prefix length.
absl::Status CheckOverlaps(const std::vector<SubnetDraft>& drafts) {
  for (size_t i = 1; i < drafts.size(); ++i) {
    const SubnetDraft* a = &drafts[i - 1];
    const SubnetDraft* b = &drafts[i];
    if (b->subnet.prefix.network > a->subnet.prefix.broadcast()) continue;
    if (a->index > b->index) std::swap(a, b);  // blame the later one
    return PathError(
        internal::ChildPath(b->path, "subnet"),
        absl::StrCat(b->subnet.prefix.ToString(), " overlaps subnets[",
                     a->index, "] (", a->subnet.prefix.ToString(), ")"));
  }
  return absl::OkStatus();
}

// The draft whose prefix contains `a`. REQUIRES: sorted, no overlaps.
const SubnetDraft* FindDraft(const std::vector<SubnetDraft>& drafts,
                             Ipv4Address a) {
  auto it = std::upper_bound(drafts.begin(), drafts.end(), a,
                             [](Ipv4Address x, const SubnetDraft& d) {
                               return x < d.subnet.prefix.network;
                             });
  if (it == drafts.begin()) return nullptr;
  --it;
  return it->subnet.prefix.Contains(a) ? &*it : nullptr;
}

// A relay address selects one subnet: it may not be listed by two, nor lie
// inside another subnet's prefix (that subnet would lose the relay).
// REQUIRES: `drafts` sorted, no overlaps.
absl::Status CheckRelays(const std::vector<SubnetDraft>& drafts) {
  absl::flat_hash_map<uint32_t, size_t> seen;
  for (const SubnetDraft& d : drafts) {
    const std::vector<Ipv4Address>& relays = d.subnet.relay_addresses;
    for (size_t k = 0; k < relays.size(); ++k) {
      const std::string path =
          internal::IndexPath(absl::StrCat(d.path, ".relay.ip-addresses"), k);
      const auto [it, added] = seen.try_emplace(relays[k].value(), d.index);
      if (!added) {
        return PathError(path, absl::StrCat(relays[k].ToString(),
                                            " is already used by subnets[",
                                            it->second, "]"));
      }
      const SubnetDraft* inside = FindDraft(drafts, relays[k]);
      if (inside != nullptr && inside != &d) {
        return PathError(
            path, absl::StrCat(relays[k].ToString(), " lies inside subnets[",
                               inside->index, "] (",
                               inside->subnet.prefix.ToString(), ")"));
      }
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------
// Step 4: finishing each subnet.

// Addresses of the subnet's infrastructure that no client may get, and
// what each one is (for messages).
absl::flat_hash_map<uint32_t, std::string> InfrastructureAddresses(
    const SubnetDraft& draft, const Config& config) {
  absl::flat_hash_map<uint32_t, std::string> out;
  const auto add = [&out](Ipv4Address a, std::string what) {
    out.try_emplace(a.value(), std::move(what));
  };
  add(draft.subnet.server_id, "the subnet's server-id");
  add(config.server_id, "the server-id");
  for (const Interface& i : config.interfaces) {
    add(i.address, absl::StrCat("the address of interface ", i.name));
  }
  for (const Ipv4Address a : draft.subnet.relay_addresses) {
    add(a, "a relay address of the subnet");
  }
  const auto add_routers = [&add](const OptionSet& options) {
    const wire::AddressList routers(options.Find(wire::option::kRouter));
    if (!routers.Valid()) return;
    for (size_t i = 0; i < routers.size(); ++i) {
      add(routers[i], "a router (option 3)");
    }
  };
  add_routers(draft.subnet.options);
  for (const Pool& p : draft.subnet.pools) add_routers(p.options);
  return out;
}

const Pool* FindPool(const std::vector<Pool>& pools, Ipv4Address a) {
  auto it = std::upper_bound(
      pools.begin(), pools.end(), a,
      [](Ipv4Address x, const Pool& p) { return x < p.first; });
  if (it == pools.begin()) return nullptr;
  --it;
  return it->Contains(a) ? &*it : nullptr;
}

// Merges option sets (global < subnet < pool < reservation), marks
// reservations in pools, checks reserved addresses against the subnet's
// infrastructure and lists the pool addresses never to hand out.
absl::Status FinishSubnet(const Config& config, SubnetDraft* draft) {
  Subnet& subnet = draft->subnet;
  OptionSet merged = config.options;
  merged.MergeFrom(subnet.options);
  subnet.options = std::move(merged);
  for (PoolDraft& d : draft->pools) {
    OptionSet pool_options = subnet.options;
    pool_options.MergeFrom(d.pool.options);
    d.pool.options = std::move(pool_options);
    subnet.pools.push_back(std::move(d.pool));
  }

  const absl::flat_hash_map<uint32_t, std::string> infrastructure =
      InfrastructureAddresses(*draft, config);
  for (size_t i = 0; i < draft->reservations.size(); ++i) {
    Reservation& r = draft->reservations[i];
    const Pool* pool =
        r.address.IsZero() ? nullptr : FindPool(subnet.pools, r.address);
    r.in_pool = pool != nullptr;
    OptionSet options = pool != nullptr ? pool->options : subnet.options;
    options.MergeFrom(r.options);
    r.options = std::move(options);
    const auto it = infrastructure.find(r.address.value());
    if (!r.address.IsZero() && it != infrastructure.end()) {
      return PathError(
          internal::IndexPath(absl::StrCat(draft->path, ".reservations"), i),
          absl::StrCat("ip-address ", r.address.ToString(), " is ",
                       it->second));
    }
  }
  subnet.reservations = std::move(draft->reservations);

  std::vector<Ipv4Address> excluded;
  for (const auto& [a, unused] : infrastructure) {
    excluded.push_back(Ipv4Address(a));
  }
  if (subnet.prefix.length < 31) {
    excluded.push_back(subnet.prefix.network);
    excluded.push_back(subnet.prefix.broadcast());
  }
  std::sort(excluded.begin(), excluded.end());
  excluded.erase(std::unique(excluded.begin(), excluded.end()), excluded.end());
  for (const Ipv4Address a : excluded) {
    if (FindPool(subnet.pools, a) != nullptr) subnet.excluded.push_back(a);
  }
  return absl::OkStatus();
}

absl::Status ReadSubnets(const Node& list, Config* config) {
  LW_RETURN_IF_ERROR(list.ExpectArray());
  std::vector<SubnetDraft> drafts(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    drafts[i].index = i;
    drafts[i].path = internal::IndexPath(list.path(), i);
    LW_RETURN_IF_ERROR(ReadSubnet(list.Element(i), *config, &drafts[i]));
  }
  LW_RETURN_IF_ERROR(CheckIds(drafts));
  std::sort(drafts.begin(), drafts.end(),
            [](const SubnetDraft& a, const SubnetDraft& b) {
              const Prefix& x = a.subnet.prefix;
              const Prefix& y = b.subnet.prefix;
              return x.network != y.network ? x.network < y.network
                                            : x.length < y.length;
            });
  LW_RETURN_IF_ERROR(CheckOverlaps(drafts));
  LW_RETURN_IF_ERROR(CheckRelays(drafts));
  config->subnets.reserve(drafts.size());
  for (SubnetDraft& d : drafts) {
    LW_RETURN_IF_ERROR(FinishSubnet(*config, &d));
    const uint32_t index = static_cast<uint32_t>(config->subnets.size());
    config->id_index.emplace(d.subnet.id, index);
    for (const Ipv4Address a : d.subnet.relay_addresses) {
      config->relay_index.emplace(a.value(), index);
    }
    config->subnets.push_back(std::move(d.subnet));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Config>> LoadConfig(
    std::string_view json_text) {
  absl::StatusOr<Json> doc = internal::ParseJson(internal::ToAbsl(json_text));
  if (!doc.ok()) return doc.status();
  const Node root(*doc, "");
  LW_RETURN_IF_ERROR(root.ExpectObject(""));
  auto config = std::make_shared<Config>();
  LW_RETURN_IF_ERROR(ReadGlobals(root, config.get()));
  if (std::optional<Node> n = root.Get("subnets")) {
    LW_RETURN_IF_ERROR(ReadSubnets(*n, config.get()));
  }
  return std::shared_ptr<const Config>(std::move(config));
}

}  // namespace leasewire::config
