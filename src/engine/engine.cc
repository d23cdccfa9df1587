#include "leasewire/engine/engine.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cassert>
#include <cstring>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "leasewire/wire/reply_builder.h"

namespace leasewire::engine {

using config::OptionSet;
using config::Reservation;
using config::ReservationKey;
using config::Subnet;
using lease::kNoSlot;
using lease::Lease;
using lease::LeaseState;
using lease::Slot;
using wire::DhcpMessage;
using wire::MessageType;

namespace {

constexpr size_t kIpUdpHeaders = 28;

// Debian's Abseil has its own string_view type, used for map look-ups.
absl::string_view AsView(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

Decision MakeDecision(Action action, Reason reason) {
  Decision d;
  d.action = action;
  d.reason = reason;
  return d;
}

uint64_t LoadWord(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, p, n);
  return v;
}

// Equal contents of `n` octets. Identities are mostly 6-16 octets: two
// overlapping word compares instead of a call to memcmp.
bool SameOctets(const uint8_t* a, const uint8_t* b, size_t n) {
  if (n >= 8 && n <= 16) {
    return LoadWord(a, 8) == LoadWord(b, 8) &&
           LoadWord(a + n - 8, 8) == LoadWord(b + n - 8, 8);
  }
  if (n >= 4 && n < 8) {
    return LoadWord(a, 4) == LoadWord(b, 4) &&
           LoadWord(a + n - 4, 4) == LoadWord(b + n - 4, 4);
  }
  return n == 0 || std::memcmp(a, b, n) == 0;
}

// memcpy for the short, variable lengths of a reply (identities, option
// runs): overlapping word and 16-octet moves instead of a library call.
[[gnu::always_inline]] inline void CopyOctets(uint8_t* d, const uint8_t* s,
                                              size_t n) {
  if (n > 64) {
    std::memcpy(d, s, n);
  } else if (n >= 16) {
    struct Block {
      uint8_t b[16];
    };
    for (size_t i = 0; i + 16 < n; i += 16) {
      std::memcpy(d + i, s + i, sizeof(Block));
    }
    std::memcpy(d + n - 16, s + n - 16, sizeof(Block));
  } else if (n >= 8) {
    const uint64_t a = LoadWord(s, 8), b = LoadWord(s + n - 8, 8);
    std::memcpy(d, &a, 8);
    std::memcpy(d + n - 8, &b, 8);
  } else if (n >= 4) {
    const uint32_t a = static_cast<uint32_t>(LoadWord(s, 4));
    const uint32_t b = static_cast<uint32_t>(LoadWord(s + n - 4, 4));
    std::memcpy(d, &a, 4);
    std::memcpy(d + n - 4, &b, 4);
  } else if (n > 0) {
    d[0] = s[0];
    d[n >> 1] = s[n >> 1];
    d[n - 1] = s[n - 1];
  }
}

bool SameBytes(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && SameOctets(a.data(), b.data(), a.size());
}

// l.key() == key, rejecting on the stored hash first. Both hashes are
// HashClientKey() of their key (MakeClientKey(), Lease::SetFields()).
bool HasKey(const Lease& l, const lease::ClientKey& key) {
  if (l.key_hash != key.hash) return false;
  const lease::ClientKey k = l.key();
  return k.is_client_id == key.is_client_id && k.htype == key.htype &&
         SameBytes(k.bytes, key.bytes);
}

Seconds ExpiryAfter(Seconds now, uint32_t lifetime) {
  if (lifetime == config::kInfinite) return lease::kNever;
  const uint64_t t = uint64_t{now} + lifetime;
  return t >= lease::kNever ? lease::kNever - 1 : static_cast<Seconds>(t);
}

// `lifetime` * `basis_points` / 10000, rounded down (T1/T2, RFC 2131 §4.4.5).
uint32_t Fraction(uint32_t lifetime, uint32_t basis_points) {
  return static_cast<uint32_t>(uint64_t{lifetime} * basis_points / 10000);
}

}  // namespace

std::string_view ReasonName(Reason reason) {
  static constexpr std::string_view kNames[] = {
      "none",
      "no_subnet",
      "untrusted_relay_info",
      "no_client_identity",
      "pool_exhausted",
      "not_for_us",
      "unknown_client",
      "malformed_request",
      "no_address_to_answer",
      "reply_too_large",
      "release_ignored",
      "decline_ignored",
      "wrong_shard",
      "released",
      "declined",
  };
  static_assert(std::size(kNames) == kReasonCount);
  const auto i = static_cast<size_t>(reason);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

// ---------------------------------------------------------------------------
// Per-subnet state of a shard.

struct Engine::SubnetState {
  const Subnet* cfg = nullptr;
  uint16_t index = 0;
  std::vector<lease::PoolBitmap> pools;  // parallel to cfg->pools
  // Reservation lookups; values index cfg->reservations.
  absl::flat_hash_map<std::string, uint32_t> by_hw;
  absl::flat_hash_map<std::string, uint32_t> by_client_id;
  absl::flat_hash_map<std::string, uint32_t> by_circuit_id;
  absl::flat_hash_map<std::string, uint32_t> by_remote_id;
  absl::flat_hash_map<uint32_t, uint32_t> by_address;
  uint8_t netmask[4];         // option 1 when the operator set none
  uint32_t renew_bp = 5000;   // T1 in basis points of the lifetime
  uint32_t rebind_bp = 8750;  // T2

  // The pool holding `a`, or -1.
  int PoolOf(Ipv4Address a) const {
    const auto& p = cfg->pools;
    if (p.size() == 1) return p[0].Contains(a) ? 0 : -1;
    auto it = std::upper_bound(
        p.begin(), p.end(), a,
        [](Ipv4Address v, const config::Pool& x) { return v < x.first; });
    if (it == p.begin()) return -1;
    --it;
    return it->Contains(a) ? static_cast<int>(it - p.begin()) : -1;
  }
};

// Everything about the request being decided.
struct Engine::Request {
  Request(const DhcpMessage& m, const Ingress& i, SubnetState& st, Seconds t,
          std::span<uint8_t> o, MutationLog* l)
      : msg(m), in(i), s(st), now(t), out(o), log(l) {}

  const DhcpMessage& msg;
  const Ingress& in;
  SubnetState& s;
  Seconds now;
  std::span<uint8_t> out;
  MutationLog* log;
  bool has_identity = false;
  lease::ClientKey key;
  std::span<const uint8_t> client_id;  // empty unless >= 2 octets
  std::optional<wire::RelayAgentInfo> relay;
  std::span<const uint8_t> relay_info;  // option 82's value, as received
  Ipv4Address server_id;                // what goes into option 54
  std::optional<Ipv4Address> override_id;
  bool mine_known = false;  // `mine` caches FindClientLease()
  Slot mine = kNoSlot;
  MessageType type = MessageType::kDiscover;
  bool reservation_known = false;  // `reservation` caches FindReservation()
  const Reservation* reservation = nullptr;

  lease::LeaseFields Fields() const {
    lease::LeaseFields f;
    f.client_id = client_id;
    f.htype = msg.htype();
    f.chaddr = msg.chaddr();
    if (relay) {
      f.circuit_id = relay->circuit_id().value_or(std::span<const uint8_t>());
      f.remote_id = relay->remote_id().value_or(std::span<const uint8_t>());
    }
    f.hostname = msg.host_name().value_or(std::string_view());
    f.key_hash = key.hash;
    return f;
  }
};

// ---------------------------------------------------------------------------
// Subnet selection.

SubnetChoice SelectSubnet(const config::Config& config,
                          const DhcpMessage& request, const Ingress& ingress) {
  const Ipv4Address giaddr = request.giaddr();
  const auto relay = request.relay_agent_info();
  // RFC 3046 §2.1 / §5: option 82 without a relay is believed only when
  // the operator says so (L2 snooping switches insert it; REL-08).
  if (relay && giaddr.IsZero() && !config.trust.relay_info_without_giaddr) {
    return {nullptr, Reason::kUntrustedRelayInfo};
  }
  const Subnet* subnet = nullptr;
  if (relay && config.trust.link_selection) {
    if (const auto link = relay->link_selection()) {
      subnet = config.FindSubnetContaining(*link);
      if (subnet == nullptr) return {nullptr, Reason::kNoSubnet};
      return {subnet, Reason::kNone};
    }
  }
  if (config.trust.subnet_selection) {
    if (const auto sel = request.subnet_selection()) {
      subnet = config.FindSubnetContaining(*sel);
      if (subnet == nullptr) return {nullptr, Reason::kNoSubnet};
      return {subnet, Reason::kNone};
    }
  }
  if (!giaddr.IsZero()) {
    subnet = config.FindSubnetForRelay(giaddr);
  } else if (!request.ciaddr().IsZero() && !ingress.ip_src.IsZero() &&
             !ingress.ip_dst.IsZero() &&
             ingress.ip_dst != Ipv4Address::Broadcast()) {
    // A client renewing by unicast (RFC 2131 §4.3.2 RENEWING) is on the
    // subnet of its address, wherever the server's port is. A broadcast
    // (REBINDING) is placed by the link it arrived on, so that ciaddr is
    // checked against that link.
    subnet = config.FindSubnetContaining(request.ciaddr());
  } else if (ingress.interface != nullptr) {
    subnet = config.FindSubnetContaining(ingress.interface->address);
  }
  if (subnet == nullptr) return {nullptr, Reason::kNoSubnet};
  return {subnet, Reason::kNone};
}

// ---------------------------------------------------------------------------
// Construction, restore, timers.

Engine::Engine(std::shared_ptr<const config::Config> config,
               std::span<const uint32_t> owned, Seconds now,
               EngineOptions options)
    : config_(std::move(config)),
      options_(options),
      rendered_(kRenderedSlots),
      wheel_(now) {
  std::vector<uint32_t> all;
  if (owned.empty()) {
    for (uint32_t i = 0; i < config_->subnets.size(); ++i) all.push_back(i);
    owned = all;
  }
  for (const uint32_t i : owned) {
    const Subnet& cfg = config_->subnets[i];
    auto s = std::make_unique<SubnetState>();
    s->cfg = &cfg;
    s->index = static_cast<uint16_t>(subnets_.size());
    cfg.prefix.netmask().Store(s->netmask);
    s->renew_bp =
        static_cast<uint32_t>(cfg.lifetimes.renew_percent * 100 + 0.5);
    s->rebind_bp =
        static_cast<uint32_t>(cfg.lifetimes.rebind_percent * 100 + 0.5);
    for (const config::Pool& p : cfg.pools) {
      s->pools.emplace_back(p.size());
      table_.AddRange(p.first, p.last);
    }
    for (const Ipv4Address a : cfg.excluded) {
      const int pool = s->PoolOf(a);
      if (pool >= 0)
        s->pools[pool].Take(a.value() - cfg.pools[pool].first.value());
    }
    for (uint32_t r = 0; r < cfg.reservations.size(); ++r) {
      const Reservation& res = cfg.reservations[r];
      const std::string key(AsView(res.key));
      switch (res.key_type) {
        case ReservationKey::kHwAddress:
          s->by_hw.emplace(key, r);
          break;
        case ReservationKey::kClientId:
          s->by_client_id.emplace(key, r);
          break;
        case ReservationKey::kCircuitId:
          s->by_circuit_id.emplace(key, r);
          break;
        case ReservationKey::kRemoteId:
          s->by_remote_id.emplace(key, r);
          break;
      }
      if (res.address.IsZero()) continue;
      s->by_address.emplace(res.address.value(), r);
      // A reserved address is never handed out dynamically.
      const int pool = s->PoolOf(res.address);
      if (pool >= 0) {
        s->pools[pool].Take(res.address.value() -
                            cfg.pools[pool].first.value());
      }
    }
    by_subnet_id_.emplace(cfg.id, s->index);
    subnets_.push_back(std::move(s));
  }
  // A record per address at most (pools, plus reserved addresses outside
  // them): size the client index for that up front, so that a shard of
  // up to kReservedRecords addresses never rehashes while serving (no
  // stall of the worker in a lease storm). Larger shards start there and
  // grow: sizing the index for a /8 pool would spread a million clients
  // over 256 MiB, and each probe would miss every cache level.
  constexpr size_t kReservedRecords = size_t{1} << 18;
  size_t addresses = 0;
  for (const auto& s : subnets_) {
    for (const config::Pool& p : s->cfg->pools) addresses += p.size();
    addresses += s->by_address.size();
  }
  table_.Reserve(std::min(addresses, kReservedRecords));
}

Engine::~Engine() = default;

bool Engine::DeleteLease(Ipv4Address address, MutationLog* log) {
  const Slot slot = table_.FindByAddress(address);
  if (slot == kNoSlot) return false;
  const Lease& l = table_.at(slot);
  if (lease::HoldsAddress(l.state))
    SetHeld(*subnets_[l.subnet], address, false);
  Log(log, MutationKind::kDelete, slot);
  table_.Erase(slot);
  return true;
}

uint32_t Engine::SubnetIdOf(const lease::Lease& l) const {
  return subnets_[l.subnet]->cfg->id;
}

bool Engine::Owns(const Subnet& subnet) const {
  const auto it = by_subnet_id_.find(subnet.id);
  return it != by_subnet_id_.end() && subnets_[it->second]->cfg == &subnet;
}

bool Engine::AddressIsFree(const SubnetState& s, Ipv4Address a) const {
  const int pool = s.PoolOf(a);
  if (pool < 0) return false;
  return s.pools[pool].IsFree(a.value() - s.cfg->pools[pool].first.value());
}

// Pool bits follow whether a record holds its address; reserved and
// excluded addresses stay taken for good.
void Engine::SetHeld(SubnetState& s, Ipv4Address a, bool held) {
  if (!s.by_address.empty() && s.by_address.contains(a.value())) return;
  const int pool = s.PoolOf(a);
  if (pool < 0) return;
  const uint32_t offset = a.value() - s.cfg->pools[pool].first.value();
  if (held) {
    s.pools[pool].Take(offset);
  } else {
    s.pools[pool].Release(offset);
  }
}

void Engine::Log(MutationLog* log, MutationKind kind, Slot slot) {
  const Lease& l = table_.at(slot);
  log->Append(kind, l, subnets_[l.subnet]->cfg->id);
}

bool Engine::Restore(const LeaseImage& image) {
  const auto it = by_subnet_id_.find(image.subnet_id);
  if (it == by_subnet_id_.end()) return false;
  SubnetState& s = *subnets_[it->second];
  if (!s.cfg->prefix.Contains(image.address)) return false;
  if (table_.FindByAddress(image.address) != kNoSlot) return false;
  const bool held = lease::HoldsAddress(image.state);
  if (held && image.state == LeaseState::kOffered) return false;
  if (held && !s.by_address.contains(image.address.value()) &&
      s.PoolOf(image.address) >= 0 && !AddressIsFree(s, image.address)) {
    return false;
  }
  lease::LeaseFields f;
  f.client_id = image.client_id;
  f.htype = image.htype;
  f.chaddr = image.chaddr;
  f.circuit_id = image.circuit_id;
  f.remote_id = image.remote_id;
  f.hostname = image.hostname;
  const lease::ClientKey key =
      image.client_id.size() >= 2
          ? lease::MakeClientKey(true, 0, image.client_id)
          : lease::MakeClientKey(false, image.htype, image.chaddr);
  const Slot prev = table_.FindByClient(key);
  const Slot slot = table_.Insert(image.address, s.index, image.state, f);
  Lease& l = table_.at(slot);
  l.start = image.start;
  l.expiry = image.expiry;
  l.flags = image.flags | Lease::kFlagEverBound;
  if (held) {
    SetHeld(s, image.address, true);
    Schedule(slot);
  }
  if (image.state == LeaseState::kDeclined) {
    table_.UnindexClient(slot);
    if (prev != kNoSlot) table_.IndexClient(prev);
    return true;
  }
  if (prev != kNoSlot) {
    // Records arrive in any order (by address). A client keeps one: the
    // one holding its address, else the newer; a loser that holds nothing
    // is dropped (only its affinity is lost).
    const Lease& p = table_.at(prev);
    const bool p_held = lease::HoldsAddress(p.state);
    const bool prev_wins =
        (p_held && !held) || (p_held == held && p.start > l.start);
    const Slot loser = prev_wins ? slot : prev;
    if (prev_wins) {
      table_.IndexClient(prev);
    }
    if (!lease::HoldsAddress(table_.at(loser).state)) table_.Erase(loser);
  }
  return true;
}

void Engine::Tick(Seconds now, MutationLog* log) {
  wheel_.Advance(now, [&](Slot slot, Seconds deadline) {
    if (!table_.live(slot)) return;
    Lease& l = table_.at(slot);
    if (l.expiry != deadline) return;  // renewed or re-offered since
    SubnetState& s = *subnets_[l.subnet];
    switch (l.state) {
      case LeaseState::kOffered:
        // An offer nobody took: the address goes back to the pool; a
        // client that had a lease before keeps its affinity record.
        ++counters_.offers_timed_out;
        SetHeld(s, l.address, false);
        if (l.flags & Lease::kFlagEverBound) {
          table_.SetState(l, LeaseState::kExpired);
        } else {
          table_.Erase(slot);
        }
        break;
      case LeaseState::kBound:
        ++counters_.expired;
        table_.SetState(l, LeaseState::kExpired);
        SetHeld(s, l.address, false);
        Log(log, MutationKind::kExpire, slot);
        break;
      case LeaseState::kDeclined:
        ++counters_.probation_ended;
        table_.SetState(l, LeaseState::kExpired);
        SetHeld(s, l.address, false);
        Log(log, MutationKind::kExpire, slot);
        table_.Erase(slot);
        break;
      case LeaseState::kReleased:
      case LeaseState::kExpired:
        break;
    }
  });
}

// ---------------------------------------------------------------------------
// Dispatch.

Decision Engine::Handle(const DhcpMessage& request, const Ingress& ingress,
                        Seconds now, std::span<uint8_t> reply,
                        MutationLog* log) {
  const SubnetChoice choice = SelectSubnet(*config_, request, ingress);
  if (choice.subnet == nullptr) {
    if (const auto t = request.message_type()) {
      ++counters_.received[static_cast<uint8_t>(*t) % 19];
    }
    ++counters_.reasons[static_cast<int>(choice.reason)];
    return MakeDecision(Action::kDrop, choice.reason);
  }
  return Process(request, ingress, *choice.subnet, now, reply, log);
}

Decision Engine::Process(const DhcpMessage& msg, const Ingress& ingress,
                         const Subnet& subnet, Seconds now,
                         std::span<uint8_t> reply, MutationLog* log) {
  const MessageType type = *msg.message_type();
  ++counters_.received[static_cast<uint8_t>(type) % 19];
  // Requests come in runs for one subnet: the last id's state is kept.
  if (subnet.id != last_subnet_id_ || last_subnet_ == nullptr) {
    const auto it = by_subnet_id_.find(subnet.id);
    if (it == by_subnet_id_.end()) {
      ++counters_.reasons[static_cast<int>(Reason::kWrongShard)];
      return MakeDecision(Action::kDrop, Reason::kWrongShard);
    }
    last_subnet_id_ = subnet.id;
    last_subnet_ = subnets_[it->second].get();
  }
  Request r{msg, ingress, *last_subnet_, now, reply, log};
  r.type = type;
  if (const auto v = msg.Find(wire::option::kRelayAgentInfo)) {
    r.relay_info = *v;
    r.relay.emplace(*v);
  }
  if (const auto id = msg.client_identifier()) r.client_id = *id;
  if (!r.client_id.empty()) {
    r.key = lease::MakeClientKey(true, 0, r.client_id);
    r.has_identity = true;
  } else {
    const auto hw = msg.chaddr();
    r.key = lease::MakeClientKey(false, msg.htype(), hw);
    r.has_identity =
        std::any_of(hw.begin(), hw.end(), [](uint8_t b) { return b != 0; });
  }
  r.server_id = subnet.server_id;
  if (r.relay && config_->trust.server_id_override) {
    // RFC 5107: the relay wants to see the client's later unicasts.
    r.override_id = r.relay->server_id_override();
    if (r.override_id) r.server_id = *r.override_id;
  }
  switch (type) {
    case MessageType::kDiscover:
      return Discover(r);
    case MessageType::kRequest:
      return RequestMessage(r);
    case MessageType::kDecline:
      return Decline(r);
    case MessageType::kRelease:
      return Release(r);
    case MessageType::kInform:
      return Inform(r);
    default:
      return Drop(r, Reason::kMalformedRequest);
  }
}

// ---------------------------------------------------------------------------
// Helpers.

bool Engine::IsOurServerId(const Request& r, Ipv4Address id) const {
  if (id == r.s.cfg->server_id || id == config_->server_id) return true;
  if (r.override_id && id == *r.override_id) return true;
  for (const config::Interface& i : config_->interfaces) {
    if (id == i.address) return true;
  }
  return false;
}

// RFC 2131 §4.2: a client is its client identifier, else its chaddr. A
// client that stops sending option 61 (shared/cases CLI-01) is still
// recognised by its hardware address.
bool Engine::BelongsTo(const Lease& l, const Request& r) const {
  return r.has_identity && BelongsTo(l, r, HasKey(l, r.key));
}

// The same, given whether `l` has the request's key.
bool Engine::BelongsTo(const Lease& l, const Request& r, bool same_key) const {
  if (!r.has_identity) return false;
  if (same_key) return true;
  return r.client_id.empty() && l.htype == r.msg.htype() && l.hlen > 0 &&
         SameBytes(l.chaddr(), r.msg.chaddr());
}

// The client's record, looked up once per request (Claim() keeps it
// current).
Slot Engine::FindClientLease(Request& r) const {
  if (!r.has_identity) return kNoSlot;
  if (!r.mine_known) {
    r.mine = table_.FindByClient(r.key);
    r.mine_known = true;
  }
  return r.mine;
}

const Reservation* Engine::FindReservation(Request& r) const {
  if (!r.reservation_known) {
    r.reservation = LookUpReservation(r);
    r.reservation_known = true;
  }
  return r.reservation;
}

const Reservation* Engine::LookUpReservation(const Request& r) const {
  const SubnetState& s = r.s;
  if (s.cfg->reservations.empty()) return nullptr;
  const auto& res = s.cfg->reservations;
  const auto find = [&](const absl::flat_hash_map<std::string, uint32_t>& m,
                        std::span<const uint8_t> key) -> const Reservation* {
    if (m.empty() || key.empty()) return nullptr;
    const auto it = m.find(AsView(key));
    return it == m.end() ? nullptr : &res[it->second];
  };
  if (r.msg.htype() == wire::kHtypeEthernet) {
    if (const auto* x = find(s.by_hw, r.msg.chaddr())) return x;
  }
  if (const auto* x = find(s.by_client_id, r.client_id)) return x;
  // A unicast renewal carries no option 82: the relay identity recorded
  // with the client's lease stands for it.
  std::span<const uint8_t> circuit_id, remote_id;
  if (r.relay) {
    circuit_id = r.relay->circuit_id().value_or(std::span<const uint8_t>());
    remote_id = r.relay->remote_id().value_or(std::span<const uint8_t>());
  } else if (r.mine_known && r.mine != kNoSlot) {
    circuit_id = table_.at(r.mine).circuit_id();
    remote_id = table_.at(r.mine).remote_id();
  }
  if (const auto* x = find(s.by_circuit_id, circuit_id)) return x;
  if (const auto* x = find(s.by_remote_id, remote_id)) return x;
  return nullptr;
}

uint32_t Engine::Lifetime(const Request& r, const Reservation* res) const {
  // The operator's reservation outranks the client's hint (LEA-01).
  if (res != nullptr && res->valid_lifetime) return *res->valid_lifetime;
  const config::Lifetimes& lt = r.s.cfg->lifetimes;
  // RFC 2131 §4.3.1: grant the requested time only within policy.
  const auto asked = r.msg.lease_time();
  if (!asked) return lt.valid;
  return std::clamp(*asked, lt.min_valid, lt.max_valid);
}

const OptionSet& Engine::OptionsFor(Request& r, Ipv4Address address) const {
  if (const Reservation* res = FindReservation(r)) return res->options;
  const int pool = r.s.PoolOf(address);
  if (pool >= 0) return r.s.cfg->pools[pool].options;
  return r.s.cfg->options;
}

// Makes `address` the client's record, in state kOffered, unless another
// client holds it. The client's record elsewhere in this shard, if any, is
// retired, so that a client has one record. Returns kNoSlot when taken.
Slot Engine::Claim(Request& r, Ipv4Address address, bool reserved,
                   lease::PoolBitmap* taken_in, uint32_t taken_offset) {
  Slot slot = table_.FindByAddress(address);
  bool same_key = false;  // the record at `address` has the client's key
  if (slot != kNoSlot) {
    // A record is in the way: give the bit back first, as if Allocate()
    // had never taken it (the paths below decide on the record alone).
    if (taken_in != nullptr) {
      taken_in->Release(taken_offset);
      taken_in = nullptr;
    }
    Lease& l = table_.at(slot);
    same_key = HasKey(l, r.key);
    const bool mine = BelongsTo(l, r, same_key);
    // A reservation by MAC follows the MAC even when the client-id
    // changed (shared/cases CLI-01/d).
    const bool same_hw = reserved && l.hlen == r.msg.hlen() &&
                         SameBytes(l.chaddr(), r.msg.chaddr());
    if (lease::HoldsAddress(l.state) && !mine && !same_hw) return kNoSlot;
    if (l.state == LeaseState::kDeclined) return kNoSlot;
    if (!mine && !same_hw) {
      table_.Erase(slot);  // another client's affinity record
      slot = kNoSlot;
    }
  }
  // Retire the client's other record.
  const Slot other = FindClientLease(r);
  if (other != kNoSlot && other != slot) {
    Lease& o = table_.at(other);
    SubnetState& os = *subnets_[o.subnet];
    if (o.state == LeaseState::kBound) {
      table_.SetState(o, LeaseState::kReleased);
      SetHeld(os, o.address, false);
      Log(r.log, MutationKind::kRelease, other);
      table_.UnindexClient(other);
    } else if (o.state != LeaseState::kDeclined) {
      if (lease::HoldsAddress(o.state)) SetHeld(os, o.address, false);
      table_.Erase(other);
    }
  }
  if (slot == kNoSlot) {
    slot = table_.Insert(address, r.s.index, LeaseState::kOffered, r.Fields());
    // Allocate() took the bit already; taking it again would be a no-op.
    if (taken_in == nullptr) SetHeld(r.s, address, true);
  } else {
    Lease& l = table_.at(slot);
    if (!lease::HoldsAddress(l.state)) SetHeld(r.s, address, true);
    if (l.state != LeaseState::kBound) table_.SetState(l, LeaseState::kOffered);
    // The record's other fields are brought up to date by the ACK; only a
    // changed identity (CLI-01/d) is re-keyed now.
    if (!same_key) table_.Update(slot, r.Fields());
  }
  Lease& l = table_.at(slot);
  if (reserved) l.flags |= Lease::kFlagReserved;
  r.mine = slot;
  r.mine_known = true;
  return slot;
}

Slot Engine::Allocate(Request& r, const Reservation* res) {
  (void)res;
  SubnetState& s = r.s;
  for (size_t p = 0; p < s.pools.size(); ++p) {
    while (true) {
      const auto offset = s.pools[p].Allocate();
      if (!offset) break;
      const Ipv4Address a(s.cfg->pools[p].first.value() + *offset);
      // The bit stays taken for the new record; Claim() gives it back
      // when a record of the address is in its way.
      const Slot slot = Claim(r, a, false, &s.pools[p], *offset);
      if (slot != kNoSlot) return slot;
      s.pools[p].Take(*offset);  // a stray record holds it; skip
    }
  }
  return kNoSlot;
}

// ---------------------------------------------------------------------------
// Replies.

Decision Engine::Silent(Request& r, Reason reason) {
  (void)r;
  ++counters_.reasons[static_cast<int>(reason)];
  return MakeDecision(Action::kSilent, reason);
}

Decision Engine::Drop(Request& r, Reason reason) {
  (void)r;
  ++counters_.reasons[static_cast<int>(reason)];
  return MakeDecision(Action::kDrop, reason);
}

Decision Engine::Reply(Request& r, MessageType type, Ipv4Address yiaddr,
                       uint32_t lifetime, const OptionSet& options) {
  const DhcpMessage& msg = r.msg;
  const bool inform = r.type == MessageType::kInform;
  const bool lease_times =
      lifetime != 0 && type != MessageType::kNak && !inform;
  uint32_t renewal = 0, rebinding = 0;
  if (lease_times) {
    // RFC 2131 §3.3: an infinite lease has infinite T1 and T2 too.
    renewal = lifetime == config::kInfinite ? config::kInfinite
                                            : Fraction(lifetime, r.s.renew_bp);
    rebinding = lifetime == config::kInfinite
                    ? config::kInfinite
                    : Fraction(lifetime, r.s.rebind_bp);
  }
  const size_t limit =
      std::min<size_t>(msg.max_message_size(), options_.port_mtu);
  const size_t max_size = limit - kIpUdpHeaders;

  // Addressing, RFC 2131 §4.1 (and §4.3.5 for INFORM).
  Decision d = MakeDecision(Action::kReply, Reason::kNone);
  d.reply_type = type;
  uint16_t broadcast_flag = 0;  // set in the reply's flags
  const Ipv4Address giaddr = msg.giaddr();
  const Ipv4Address ciaddr = msg.ciaddr();
  const bool relayed = !giaddr.IsZero();
  const auto to_relay = [&] {
    d.route.ip_dst = giaddr;
    d.route.eth_dst = r.in.eth_src;
    // RFC 8357 §5.1: answer the relay's source port when it asks.
    d.route.dst_port = r.relay && r.relay->relay_source_port()
                           ? r.in.src_port
                           : wire::kDhcpServerPort;
  };
  const auto to_broadcast = [&] {
    d.route.ip_dst = Ipv4Address::Broadcast();
    d.route.eth_dst = MacAddress::Broadcast();
    d.route.dst_port = wire::kDhcpClientPort;
  };
  const auto to_unicast = [&](Ipv4Address ip, MacAddress mac) {
    d.route.ip_dst = ip;
    d.route.eth_dst = mac;
    d.route.dst_port = wire::kDhcpClientPort;
  };
  if (type == MessageType::kNak) {
    // A NAK is broadcast, or sent to the relay with B set (§4.3.2).
    if (relayed) {
      to_relay();
      broadcast_flag = wire::kBroadcastFlag;
    } else {
      to_broadcast();
    }
  } else if (inform) {
    if (!ciaddr.IsZero()) {
      to_unicast(ciaddr, r.in.eth_src);
    } else if (relayed) {
      to_relay();
      broadcast_flag = wire::kBroadcastFlag;
    } else {
      to_unicast(r.in.ip_src, r.in.eth_src);
    }
  } else if (relayed) {
    to_relay();
  } else if (!ciaddr.IsZero()) {
    to_unicast(ciaddr, r.in.eth_src);
  } else if (msg.broadcast() || msg.htype() != wire::kHtypeEthernet ||
             msg.hlen() != 6) {
    // No usable hardware address (RFC 4390 IPoIB): broadcast.
    to_broadcast();
  } else {
    to_unicast(yiaddr, MacAddress::Load(msg.chaddr().data()));
  }

  const SubnetState& s = r.s;
  const auto lookup = [&](uint8_t code) -> std::span<const uint8_t> {
    const auto v = options.Find(code);
    if (v.empty() && code == wire::option::kSubnetMask) return s.netmask;
    return v;
  };
  const auto params = [&] {
    wire::ReplyParams p;
    p.header = wire::ReplyHeaderFor(msg);
    p.header.yiaddr = yiaddr;
    p.header.flags |= broadcast_flag;
    p.type = type;
    p.server_id = r.server_id;
    if (type == MessageType::kAck) p.header.ciaddr = ciaddr;
    if (lease_times) {
      p.lease_time = lifetime;
      p.renewal_time = renewal;
      p.rebinding_time = rebinding;
    }
    p.always_send = options.always_send();
    p.max_size = max_size;
    return p;
  };

  RenderedOptions* cached = nullptr;
  if (type != MessageType::kNak) {
    cached = FindRendered(options, r.s, msg.parameter_request_list());
  }
  const bool hit = cached != nullptr && cached->set == &options;

  // The common case (an OFFER or ACK with lease times, options seen
  // before): the reply is laid out from the cached rendering.
  if (hit && lease_times && broadcast_flag == 0) {
    const size_t n = WriteCachedReply(r, type, yiaddr, lifetime, renewal,
                                      rebinding, *cached, max_size);
    if (n != 0) {
#ifndef NDEBUG
      // Debug builds (and so the sanitizer runs of every test) check that
      // the shortcut writes what BuildReply() would.
      std::vector<uint8_t> slow(r.out.size());
      const wire::ReplyResult check =
          wire::BuildReply(msg, params(), lookup, slow);
      assert(check.size == n && check.dropped == 0);
      assert(std::memcmp(slow.data(), r.out.data(), n) == 0);
#endif
      ++counters_.sent[static_cast<uint8_t>(type)];
      d.reply_size = n;
      return d;
    }
  }

  wire::ReplyParams p = params();
  if (hit) {
    p.rendered = {cached->bytes.data() + cached->mask_size, cached->size};
  }
  const wire::ReplyResult result = wire::BuildReply(msg, p, lookup, r.out);
  if (result.size == 0) return Drop(r, Reason::kReplyTooLarge);
  if (cached != nullptr && !hit && result.dropped == 0) {
    // Remember a complete rendering for the next client with this list:
    // option 1 (written before 61) and the requested options after it.
    const size_t n = result.rendered_end - result.rendered_begin;
    const auto prl = msg.parameter_request_list();
    const auto wanted = [&](uint8_t code) {
      return std::find(prl.begin(), prl.end(), code) != prl.end() ||
             std::find(p.always_send.begin(), p.always_send.end(), code) !=
                 p.always_send.end();
    };
    const std::span<const uint8_t> mask =
        wanted(wire::option::kSubnetMask) ? lookup(wire::option::kSubnetMask)
                                          : std::span<const uint8_t>();
    const size_t mask_size = mask.empty() ? 0 : mask.size() + 2;
    if (mask.size() <= 255 && mask_size + n <= cached->bytes.size()) {
      cached->set = &options;
      cached->subnet = &r.s;
      cached->prl_size = static_cast<uint8_t>(prl.size());
      std::copy(prl.begin(), prl.end(), cached->prl.begin());
      cached->mask_size = static_cast<uint8_t>(mask_size);
      if (mask_size != 0) {
        cached->bytes[0] = wire::option::kSubnetMask;
        cached->bytes[1] = static_cast<uint8_t>(mask.size());
        std::memcpy(cached->bytes.data() + 2, mask.data(), mask.size());
      }
      cached->size = static_cast<uint16_t>(n);
      std::memcpy(cached->bytes.data() + mask_size,
                  r.out.data() + result.rendered_begin, n);
    }
  }
  counters_.options_dropped += result.dropped;
  ++counters_.sent[static_cast<uint8_t>(type)];
  d.reply_size = result.size;
  return d;
}

// BuildReply()'s layout for an OFFER or ACK whose options are all in
// `c`: the request's header fields, 53, 54, 51, 58, 59, 1, 61 echoed, the
// rendered options, 82 echoed, END, padding. Returns 0, having written
// nothing that matters, when the reply would not fit whole in `max_size`
// (BuildReply() then decides what to leave out).
size_t Engine::WriteCachedReply(const Request& r, MessageType type,
                                Ipv4Address yiaddr, uint32_t lifetime,
                                uint32_t renewal, uint32_t rebinding,
                                const RenderedOptions& c,
                                size_t max_size) const {
  const DhcpMessage& msg = r.msg;
  const size_t relay_size = r.relay_info.size();
  const size_t id_size = r.client_id.size();
  if (relay_size > 255 || id_size > 255) return 0;  // RFC 3396 splitting
  constexpr size_t kFixedOptions = 3 + 6 + 3 * 6;   // 53, 54, 51, 58, 59
  const size_t end = wire::kOptionsOffset + kFixedOptions + c.mask_size +
                     (id_size != 0 ? id_size + 2 : 0) + c.size +
                     (r.relay ? relay_size + 2 : 0);
  const size_t room = std::min(r.out.size(), max_size);
  if (end + 1 > room) return 0;

  uint8_t* const out = r.out.data();
  const uint8_t* const in = msg.payload().data();
  // op .. chaddr: the request's, with op, hops, secs, ciaddr (kept for an
  // ACK only), yiaddr and siaddr rewritten (RFC 2131 Table 3).
  std::memcpy(out, in, wire::kSnameOffset);
  out[0] = wire::kBootReply;
  out[3] = 0;
  out[8] = out[9] = 0;
  if (type != MessageType::kAck) std::memset(out + 12, 0, 4);
  yiaddr.Store(out + 16);
  std::memset(out + 20, 0, 4);
  // sname and file: 192 zero octets in 16-octet stores (a memset of
  // this size becomes a `rep stos`, slower to start than the stores).
  static_assert(wire::kSnameSize + wire::kFileSize == 12 * 16);
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  auto* z = reinterpret_cast<__m128i*>(out + wire::kSnameOffset);
  // Written out: GCC turns a loop back into the memset.
  _mm_storeu_si128(z + 0, zero);
  _mm_storeu_si128(z + 1, zero);
  _mm_storeu_si128(z + 2, zero);
  _mm_storeu_si128(z + 3, zero);
  _mm_storeu_si128(z + 4, zero);
  _mm_storeu_si128(z + 5, zero);
  _mm_storeu_si128(z + 6, zero);
  _mm_storeu_si128(z + 7, zero);
  _mm_storeu_si128(z + 8, zero);
  _mm_storeu_si128(z + 9, zero);
  _mm_storeu_si128(z + 10, zero);
  _mm_storeu_si128(z + 11, zero);
#else
  std::memset(out + wire::kSnameOffset, 0, wire::kSnameSize + wire::kFileSize);
#endif
  wire::StoreBe32(out + wire::kFixedHeaderSize, wire::kMagicCookie);

  uint8_t* o = out + wire::kOptionsOffset;
  o[0] = wire::option::kMessageType;
  o[1] = 1;
  o[2] = static_cast<uint8_t>(type);
  o[3] = wire::option::kServerIdentifier;
  o[4] = 4;
  r.server_id.Store(o + 5);
  o[9] = wire::option::kLeaseTime;
  o[10] = 4;
  wire::StoreBe32(o + 11, lifetime);
  o[15] = wire::option::kRenewalTime;
  o[16] = 4;
  wire::StoreBe32(o + 17, renewal);
  o[21] = wire::option::kRebindingTime;
  o[22] = 4;
  wire::StoreBe32(o + 23, rebinding);
  o += kFixedOptions;
  // RFC 2132 §3.3: the mask before the routers; RFC 6842: 61 after it.
  CopyOctets(o, c.bytes.data(), c.mask_size);
  o += c.mask_size;
  if (id_size != 0) {
    o[0] = wire::option::kClientIdentifier;
    o[1] = static_cast<uint8_t>(id_size);
    CopyOctets(o + 2, r.client_id.data(), id_size);
    o += id_size + 2;
  }
  CopyOctets(o, c.bytes.data() + c.mask_size, c.size);
  o += c.size;
  if (r.relay) {
    // RFC 3046 §2.2: echoed whole, last.
    o[0] = wire::option::kRelayAgentInfo;
    o[1] = static_cast<uint8_t>(relay_size);
    CopyOctets(o + 2, r.relay_info.data(), relay_size);
    o += relay_size + 2;
  }
  *o++ = wire::option::kEnd;
  size_t size = static_cast<size_t>(o - out);
  const size_t padded = std::min(room, wire::kMinBootpSize);
  if (size < padded) {
    std::memset(o, 0, padded - size);
    size = padded;
  }
  return size;
}

// The cache slot for (set, subnet, prl): a hit when its `set` is `&set`,
// else the slot to fill. nullptr when the list is too long to cache.
Engine::RenderedOptions* Engine::FindRendered(const OptionSet& set,
                                              const SubnetState& subnet,
                                              std::span<const uint8_t> prl) {
  const size_t n = prl.size();
  if (n > RenderedOptions{}.prl.size()) return nullptr;
  const auto matches = [&](const RenderedOptions& e) {
    return e.set == &set && e.subnet == &subnet && e.prl_size == n &&
           SameOctets(e.prl.data(), prl.data(), n);
  };
  // Clients of one model come in runs (a lease storm after a power cut):
  // the slot of the previous reply usually matches without hashing.
  if (last_rendered_ != nullptr && matches(*last_rendered_)) {
    return last_rendered_;
  }
  // A multiplicative hash over the list in words, seeded with the set's
  // address; collisions only cost a re-render.
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;
  const uint8_t* p = prl.data();
  uint64_t h = (reinterpret_cast<uintptr_t>(&set) ^ n) * kMul;
  if (n >= 8) {
    for (size_t i = 0; i + 8 <= n; i += 8) h = (h ^ LoadWord(p + i, 8)) * kMul;
    h = (h ^ LoadWord(p + n - 8, 8)) * kMul;
  } else if (n >= 4) {
    h = (h ^ LoadWord(p, 4) ^ (LoadWord(p + n - 4, 4) << 32)) * kMul;
  } else {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * kMul;
  }
  RenderedOptions& e = rendered_[(h >> 32) % kRenderedSlots];
  last_rendered_ = &e;
  if (matches(e)) return &e;
  e.set = nullptr;  // a miss: the caller refills the slot
  return &e;
}

Decision Engine::Nak(Request& r) {
  static const OptionSet kNone;
  return Reply(r, MessageType::kNak, Ipv4Address(), 0, kNone);
}

Decision Engine::Ack(Request& r, Slot slot, uint32_t lifetime) {
  Lease& l = table_.at(slot);
  const bool renewal = l.state == LeaseState::kBound;
  if (!lease::HoldsAddress(l.state)) SetHeld(r.s, l.address, true);
  table_.SetState(l, LeaseState::kBound);
  l.flags |= Lease::kFlagEverBound;
  l.start = r.now;
  l.expiry = ExpiryAfter(r.now, lifetime);
  lease::LeaseFields f = r.Fields();
  // A renewal sent straight to the server has no option 82, and a client
  // may leave out option 12: keep what the lease recorded (copied, since
  // SetFields() must not read from the record it writes).
  std::array<uint8_t, 4 * 255> kept;
  size_t used = 0;
  const auto keep = [&](std::span<const uint8_t> v) {
    std::copy(v.begin(), v.end(), kept.begin() + used);
    used += v.size();
    return std::span<const uint8_t>(kept.data() + used - v.size(), v.size());
  };
  if (!r.relay) {
    f.circuit_id = keep(l.circuit_id());
    f.remote_id = keep(l.remote_id());
  }
  // A client that stops sending option 61 (CLI-01/c) keeps the identity
  // its lease was bound with.
  bool same_key = HasKey(l, r.key);
  if (r.client_id.empty() && l.client_id_len > 0) {
    f.client_id = keep(l.client_id());
    f.key_hash = l.key_hash;
    same_key = true;
  }
  if (f.hostname.empty() && l.hostname_len > 0) {
    const auto h = keep({reinterpret_cast<const uint8_t*>(l.hostname().data()),
                         l.hostname().size()});
    f.hostname = {reinterpret_cast<const char*>(h.data()), h.size()};
  }
  if (same_key) {
    l.SetFields(f);
  } else {
    table_.Update(slot, f);
    r.mine = slot;
    r.mine_known = true;
  }
  Schedule(slot);
  Log(r.log, renewal ? MutationKind::kExtend : MutationKind::kBind, slot);
  return Reply(r, MessageType::kAck, l.address, lifetime,
               OptionsFor(r, l.address));
}

// ---------------------------------------------------------------------------
// RFC 2131 §4.3.1: DHCPDISCOVER.

Decision Engine::Discover(Request& r) {
  if (!r.has_identity) return Drop(r, Reason::kNoClientIdentity);
  const Reservation* res = FindReservation(r);
  Slot slot = kNoSlot;
  // 1. The client's current or previous address, if still free for it.
  const Slot mine = FindClientLease(r);
  if (mine != kNoSlot) {
    const Lease& l = table_.at(mine);
    const bool usable =
        l.subnet == r.s.index &&
        (lease::HoldsAddress(l.state) ? l.state != LeaseState::kDeclined
                                      : AddressIsFree(r.s, l.address) ||
                                            (l.flags & Lease::kFlagReserved));
    if (usable) slot = Claim(r, l.address, l.flags & Lease::kFlagReserved);
  }
  // 2. Its reservation.
  if (slot == kNoSlot && res != nullptr && !res->address.IsZero()) {
    slot = Claim(r, res->address, true);
  }
  // 3. The address it asks for, if free in a pool of this subnet.
  if (slot == kNoSlot) {
    const auto asked = r.msg.requested_address();
    if (asked && AddressIsFree(r.s, *asked)) slot = Claim(r, *asked, false);
  }
  // 4. A new address.
  if (slot == kNoSlot) slot = Allocate(r, res);
  if (slot == kNoSlot) return Drop(r, Reason::kPoolExhausted);

  Lease& l = table_.at(slot);
  const Seconds offer_end = ExpiryAfter(r.now, config_->offer_lifetime);
  if (l.state == LeaseState::kOffered) {
    l.expiry = offer_end;
    Schedule(slot);
  } else if (l.state == LeaseState::kBound && l.expiry < offer_end) {
    // Offering a binding that ends sooner than the offer: hold the address
    // for the offer's life (in memory only, like any offer).
    l.expiry = offer_end;
    Schedule(slot);
  }
  return Reply(r, MessageType::kOffer, l.address, Lifetime(r, res),
               OptionsFor(r, l.address));
}

// ---------------------------------------------------------------------------
// RFC 2131 §4.3.2: DHCPREQUEST.

Decision Engine::RequestMessage(Request& r) {
  const DhcpMessage& msg = r.msg;
  const auto server_id = msg.server_identifier();
  const auto asked = msg.requested_address();
  const Ipv4Address ciaddr = msg.ciaddr();

  if (server_id && !IsOurServerId(r, *server_id)) {
    // §3.1 step 4: the client chose another server. Withdraw our offer at
    // once (CLI-08) and say nothing.
    const Slot mine = FindClientLease(r);
    if (mine != kNoSlot && table_.at(mine).state == LeaseState::kOffered) {
      Lease& l = table_.at(mine);
      SetHeld(*subnets_[l.subnet], l.address, false);
      if (l.flags & Lease::kFlagEverBound) {
        table_.SetState(l, LeaseState::kExpired);
      } else {
        table_.Erase(mine);
      }
    }
    return Silent(r, Reason::kNotForUs);
  }
  // An address on another network is refused whatever the state (§4.3.2
  // INIT-REBOOT; CLI-05).
  if (asked && !r.s.cfg->prefix.Contains(*asked)) return Nak(r);
  if (!r.has_identity) return Drop(r, Reason::kNoClientIdentity);
  const bool authoritative = r.s.cfg->authoritative;

  if (!ciaddr.IsZero()) {
    // RENEWING (unicast) or REBINDING (broadcast): the lease of ciaddr.
    const Slot slot = table_.FindByAddress(ciaddr);
    if (slot != kNoSlot) {
      const Lease& l = table_.at(slot);
      if (BelongsTo(l, r) && l.subnet == r.s.index &&
          l.state != LeaseState::kDeclined &&
          (lease::HoldsAddress(l.state) || AddressIsFree(r.s, l.address) ||
           (l.flags & Lease::kFlagReserved))) {
        r.mine = slot;  // the client's lease, even if keyed differently
        r.mine_known = true;
        return Ack(r, slot, Lifetime(r, FindReservation(r)));
      }
      if (lease::HoldsAddress(l.state) && !BelongsTo(l, r)) return Nak(r);
    }
    return authoritative ? Nak(r) : Silent(r, Reason::kUnknownClient);
  }

  if (!asked) return Drop(r, Reason::kMalformedRequest);
  FindClientLease(r);
  const Reservation* res = FindReservation(r);

  if (server_id) {
    // SELECTING: the client takes our offer of `asked`.
    const Slot mine = FindClientLease(r);
    if (mine != kNoSlot) {
      const Lease& l = table_.at(mine);
      if (l.address == *asked && l.subnet == r.s.index &&
          (lease::HoldsAddress(l.state) && l.state != LeaseState::kDeclined)) {
        return Ack(r, mine, Lifetime(r, res));
      }
    }
    // The offer is gone (timed out, or another server's restart): grant
    // the address if it is still free for this client, else refuse.
    const bool reserved_for_it = res != nullptr && res->address == *asked;
    const auto other = r.s.by_address.find(asked->value());
    const bool reserved_for_other =
        other != r.s.by_address.end() && !reserved_for_it;
    if (!reserved_for_other &&
        (reserved_for_it || AddressIsFree(r.s, *asked))) {
      const Slot slot = Claim(r, *asked, reserved_for_it);
      if (slot != kNoSlot) return Ack(r, slot, Lifetime(r, res));
    }
    return Nak(r);
  }

  // INIT-REBOOT: the client asks to keep `asked`.
  const Slot mine = FindClientLease(r);
  if (mine != kNoSlot && table_.at(mine).subnet == r.s.index) {
    const Lease& l = table_.at(mine);
    const bool usable =
        l.address == *asked && l.state != LeaseState::kDeclined &&
        (lease::HoldsAddress(l.state) || AddressIsFree(r.s, l.address) ||
         (l.flags & Lease::kFlagReserved));
    return usable ? Ack(r, mine, Lifetime(r, res)) : Nak(r);
  }
  const Slot holder = table_.FindByAddress(*asked);
  if (holder != kNoSlot && lease::HoldsAddress(table_.at(holder).state) &&
      !BelongsTo(table_.at(holder), r)) {
    return Nak(r);  // someone else has it
  }
  // §4.3.2: with no record of the client the server MUST stay silent,
  // unless it owns the network (authoritative).
  return authoritative ? Nak(r) : Silent(r, Reason::kUnknownClient);
}

// ---------------------------------------------------------------------------
// RFC 2131 §4.3.3: DHCPDECLINE.

Decision Engine::Decline(Request& r) {
  const auto server_id = r.msg.server_identifier();
  if (server_id && !IsOurServerId(r, *server_id)) {
    return Silent(r, Reason::kNotForUs);
  }
  const Ipv4Address address =
      r.msg.requested_address().value_or(r.msg.ciaddr());
  const Slot slot = table_.FindByAddress(address);
  if (slot == kNoSlot || !BelongsTo(table_.at(slot), r) ||
      !lease::HoldsAddress(table_.at(slot).state) ||
      table_.at(slot).state == LeaseState::kDeclined) {
    return Silent(r, Reason::kDeclineIgnored);
  }
  // The address is in use by someone unknown: keep it out of the pool for
  // the probation period, and let the client get another one.
  Lease& l = table_.at(slot);
  table_.SetState(l, LeaseState::kDeclined);
  l.start = r.now;
  l.expiry = ExpiryAfter(r.now, config_->decline_probation);
  table_.UnindexClient(slot);
  Schedule(slot);
  Log(r.log, MutationKind::kDecline, slot);
  return Silent(r, Reason::kDeclined);
}

// ---------------------------------------------------------------------------
// RFC 2131 §4.3.4: DHCPRELEASE.

Decision Engine::Release(Request& r) {
  const auto server_id = r.msg.server_identifier();
  if (server_id && !IsOurServerId(r, *server_id)) {
    return Silent(r, Reason::kNotForUs);
  }
  // Only the client that holds ciaddr may release it (CLI-11).
  const Slot slot = table_.FindByAddress(r.msg.ciaddr());
  if (slot == kNoSlot || table_.at(slot).state != LeaseState::kBound ||
      !BelongsTo(table_.at(slot), r)) {
    return Silent(r, Reason::kReleaseIgnored);
  }
  Lease& l = table_.at(slot);
  table_.SetState(l, LeaseState::kReleased);
  SetHeld(r.s, l.address, false);
  Log(r.log, MutationKind::kRelease, slot);
  return Silent(r, Reason::kReleased);
}

// ---------------------------------------------------------------------------
// RFC 2131 §4.3.5: DHCPINFORM: configuration only, never a lease check.

Decision Engine::Inform(Request& r) {
  const Ipv4Address ciaddr = r.msg.ciaddr();
  if (ciaddr.IsZero() && r.msg.giaddr().IsZero() && r.in.ip_src.IsZero()) {
    return Drop(r, Reason::kNoAddressToAnswer);
  }
  const Ipv4Address address = ciaddr.IsZero() ? r.in.ip_src : ciaddr;
  return Reply(r, MessageType::kAck, Ipv4Address(), 0, OptionsFor(r, address));
}

// ---------------------------------------------------------------------------
// Introspection.

Engine::Utilization Engine::SubnetUtilization(uint32_t subnet_id) const {
  Utilization u;
  const auto it = by_subnet_id_.find(subnet_id);
  if (it == by_subnet_id_.end()) return u;
  for (const lease::PoolBitmap& p : subnets_[it->second]->pools) {
    u.total += p.size();
    u.free += p.free_count();
  }
  return u;
}

size_t Engine::MemoryUsage() const {
  size_t bytes = table_.MemoryUsage() + wheel_.MemoryUsage();
  for (const auto& s : subnets_) {
    for (const lease::PoolBitmap& p : s->pools) bytes += p.MemoryUsage();
  }
  return bytes;
}

}  // namespace leasewire::engine
