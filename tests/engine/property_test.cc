// A randomised, seeded, bounded property test of the engine: thousands of
// simulated clients on 21 subnets (one on the server's own link, 20 behind
// relays, small pools so that they run dry) run DORA, renew, rebind,
// release, decline, INIT-REBOOT, DISCOVER-only and REQUEST-to-another-
// server sequences, move between subnets, and now and then leave option 61
// out of a renewal (shared/cases CLI-01/c), while engine time moves on;
// the engine is restarted from its mutation log now and then ([restart]:
// a new Engine that Restore()s the last image of every address, in a
// random order, as a store would hand them back). After every step the
// reply is checked; every 100 steps the whole lease table is checked
// against the pools, the indexes and what the clients believe.
//
// The seed is printed. Re-run one with
//   LEASEWIRE_PROPERTY_SEED=<seed> ./engine_property_test
// and a failure names the seed, the step, the client and the scenario.
//
// Properties (RFC 2131 unless said otherwise):
//   * No address is held (offered, bound, declined) by two records, and no
//     client has two offered/bound records.
//   * Every record's address lies in its subnet's prefix, in a pool or a
//     reservation, and is not an excluded (infrastructure) address; a
//     reserved address is held only by the client it is reserved for.
//   * Every offered/bound record is found by address and by client key;
//     bound leases end after now (expiry timers run, §4.4.5 / §3.3).
//   * Pools never leak: free addresses per SubnetUtilization() == pool
//     size - excluded - reserved-in-pool - records holding a dynamic one.
//   * An ACK for A to client C means C holds A; no two clients ever hold
//     the same address with both leases unexpired (the durability
//     contract: never hand out an address while its lease is valid).
//   * A client whose lease is valid gets it ACKed again on RENEWING,
//     REBINDING and INIT-REBOOT (§4.3.2) and offered again on DISCOVER
//     (§4.3.1); a REQUEST in answer to a live OFFER is ACKed.
//   * RELEASE, DECLINE and a REQUEST naming another server get no reply
//     (§4.3.4, §4.3.3, §3.1 step 4); a DISCOVER is dropped only when the
//     pool has no free address (§4.3.1).
//   * Replies: yiaddr inside the client's subnet; T1 < T2 < lease time;
//     61 echoed (RFC 6842); 82 echoed last (RFC 3046 §2.2); addressed per
//     §4.1 (NAKs via a relay with B set).
//   * Replaying the mutation log into a fresh engine (Restore(), in any
//     order) yields the same bound and declined leases, and a table that
//     keeps every property above. (An OFFER may hold a client's own
//     binding past its end in memory only, like any offer.)
//
// The regression tests at the end reduce failures this test found.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gtest/gtest.h"
#include "leasewire/config/config.h"
#include "leasewire/engine/engine.h"
#include "leasewire/engine/mutation.h"
#include "leasewire/lease/lease.h"
#include "leasewire/wire/dhcp_message.h"
#include "leasewire/wire/options.h"
#include "leasewire/wire/reply_builder.h"
#include "leasewire/wire/types.h"
#include "leasewire/wire/verdict.h"

namespace leasewire::wire {
// Readable gtest failure messages (found by argument-dependent lookup).
void PrintTo(const Ipv4Address& a, std::ostream* os) { *os << a.ToString(); }
void PrintTo(MessageType t, std::ostream* os) { *os << MessageTypeName(t); }
}  // namespace leasewire::wire

namespace leasewire::engine {
void PrintTo(Action a, std::ostream* os) {
  *os << (a == Action::kReply    ? "reply"
          : a == Action::kSilent ? "silent"
                                 : "drop");
}

namespace {

using lease::LeaseState;
using lease::Slot;
using wire::DhcpMessage;
using wire::MessageType;
namespace opt = wire::option;
using Bytes = std::vector<uint8_t>;

constexpr uint64_t kDefaultSeed = 20240611;
constexpr Seconds kStart = 1000;
constexpr uint32_t kOfferLifetime = 10;
constexpr uint32_t kProbation = 120;
constexpr int kClients = 3000;
constexpr int kReservedClients = 85;  // 0..84, see ConfigJson()
constexpr size_t kPortMtu = 1500;

const Ipv4Address kServer = Ipv4Address::FromOctets(192, 0, 2, 1);
const Ipv4Address kOtherServer = Ipv4Address::FromOctets(192, 0, 2, 254);
const MacAddress kRelayMac({0x02, 0, 0, 0, 0, 0x02});
const MacAddress kRouterMac({0x02, 0, 0, 0, 0, 0x03});

// Text from mixed parts (Debian's Abseil has its own string_view, so
// absl::StrCat does not take std::string_view).
template <typename T>
void Put(std::ostringstream& os, const T& v) {
  if constexpr (std::is_same_v<T, uint8_t>) {
    os << static_cast<int>(v);
  } else if constexpr (std::is_same_v<T, Ipv4Address> ||
                       std::is_same_v<T, MacAddress>) {
    os << v.ToString();
  } else {
    os << v;
  }
}
template <typename... A>
std::string Cat(const A&... parts) {
  std::ostringstream os;
  (Put(os, parts), ...);
  return os.str();
}

std::string Hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (const uint8_t b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

Bytes ToBytes(std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); }
bool Same(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

uint64_t SeedFromEnvironment() {
  const char* text = std::getenv("LEASEWIRE_PROPERTY_SEED");
  if (text == nullptr || *text == '\0') return kDefaultSeed;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 0);
  if (end == nullptr || *end != '\0') {
    std::fprintf(stderr, "LEASEWIRE_PROPERTY_SEED=%s is not a number\n", text);
    std::abort();
  }
  return v;
}

// Deterministic on every standard library (no std::*_distribution).
class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  uint64_t Next() { return g_(); }
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(g_() % n); }
  bool Chance(uint32_t percent) { return Below(100) < percent; }

 private:
  std::mt19937_64 g_;
};

// ---------------------------------------------------------------------------
// The configuration. Subnet id 100 is the server's own link; ids 1..20 sit
// behind relays (giaddr = network + 1), with /24, /25 and /26 prefixes,
// pools of 16 to 47 addresses (a second pool of 8 on every third), a router
// inside the pool on every fourth (so the pool has an excluded address),
// fixed 60 s lifetimes on every fifth and authoritative on every seventh.
// Clients 0..79 have reservations on subnets 1..20 (four each: by MAC in
// the pool, by MAC outside it, by client-id, by circuit-id); clients 80..84
// on subnet 100 (one infinite, one without an address).

uint32_t PoolASize(int i) { return 16 + static_cast<uint32_t>(i * 7 % 32); }
Ipv4Address Net(int i, int host) {
  return Ipv4Address::FromOctets(10, static_cast<uint8_t>(i), 0,
                                 static_cast<uint8_t>(host));
}
MacAddress ClientMac(int c) {
  return MacAddress({0x02, 0x01, 0x00, 0x00, static_cast<uint8_t>(c >> 8),
                     static_cast<uint8_t>(c)});
}
Bytes ClientIdFromMac(int c) {
  const MacAddress mac = ClientMac(c);
  Bytes id = {0x01};
  id.insert(id.end(), mac.bytes().begin(), mac.bytes().end());
  return id;
}
std::string HexColons(std::span<const uint8_t> b) {
  std::string s;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i > 0) s += ':';
    s += Hex(b.subspan(i, 1));
  }
  return s;
}
std::string CircuitId(int c) { return Cat("ckt-", c); }

std::string ConfigJson() {
  std::ostringstream j;
  j << R"({
  "server-id": "192.0.2.1",
  "interfaces": [{"name": "port0", "address": "192.0.2.1/24"}],
  "valid-lifetime": 120, "min-valid-lifetime": 60,
  "max-valid-lifetime": 300,
  "offer-lifetime": )"
    << kOfferLifetime << R"(,
  "decline-probation-period": )"
    << kProbation << R"(,
  "option-data": [{"name": "domain-name-servers", "data": "192.0.2.53"}],
  "subnets": [
    {"id": 100, "subnet": "192.0.2.0/24",
     "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}],
     "option-data": [{"name": "routers", "data": "192.0.2.1"}],
     "reservations": [
       {"hw-address": ")"
    << ClientMac(80).ToString() << R"(", "ip-address": "192.0.2.120"},
       {"hw-address": ")"
    << ClientMac(81).ToString() << R"(", "ip-address": "192.0.2.200"},
       {"client-id": ")"
    << HexColons(ClientIdFromMac(82)) << R"(", "ip-address": "192.0.2.201"},
       {"hw-address": ")"
    << ClientMac(83).ToString()
    << R"(", "ip-address": "192.0.2.202", "valid-lifetime": "infinite"},
       {"hw-address": ")"
    << ClientMac(84).ToString() << R"(", "hostname": "no-address"}]})";
  for (int i = 1; i <= 20; ++i) {
    const int length = i % 3 == 0 ? 24 : i % 3 == 1 ? 25 : 26;
    const uint32_t a_last = 10 + PoolASize(i) - 1;
    j << ",\n    {\"id\": " << i << ", \"subnet\": \"" << Net(i, 0).ToString()
      << "/" << length << "\",\n     \"pools\": [{\"pool\": \""
      << Net(i, 10).ToString() << " - "
      << Net(i, static_cast<int>(a_last)).ToString() << "\"}";
    if (i % 3 == 0) {
      j << ", {\"pool\": \"" << Net(i, 100).ToString() << " - "
        << Net(i, 107).ToString() << "\"}";
    }
    j << "],\n     \"option-data\": [{\"name\": \"routers\", \"data\": \""
      << Net(i, i % 4 == 0 ? 12 : 1).ToString() << "\"}]";
    if (i % 5 == 0) {
      j << ", \"valid-lifetime\": 60, \"min-valid-lifetime\": 60, "
           "\"max-valid-lifetime\": 60";
    }
    if (i % 7 == 0) j << ", \"authoritative\": true";
    const int c = 4 * (i - 1);
    j << ",\n     \"reservations\": [\n"
      << "       {\"hw-address\": \"" << ClientMac(c).ToString()
      << "\", \"ip-address\": \"" << Net(i, static_cast<int>(a_last)).ToString()
      << "\"},\n"
      << "       {\"hw-address\": \"" << ClientMac(c + 1).ToString()
      << "\", \"ip-address\": \"" << Net(i, 60).ToString() << "\"},\n"
      << "       {\"client-id\": \"" << HexColons(ClientIdFromMac(c + 2))
      << "\", \"ip-address\": \"" << Net(i, 61).ToString() << "\"},\n"
      << "       {\"circuit-id\": \"" << CircuitId(c + 3)
      << "\", \"ip-address\": \""
      << Net(i, static_cast<int>(a_last - 1)).ToString() << "\"}]}";
  }
  j << "\n  ]\n}\n";
  return j.str();
}

// ---------------------------------------------------------------------------
// Clients.

enum class ClientState { kInit, kSelecting, kBound };

struct Client {
  int index = 0;
  MacAddress mac;
  Bytes client_id;   // empty: none sent
  Bytes circuit_id;  // sent by the relay (option 82) when non-empty
  Bytes remote_id;
  std::string hostname;
  bool broadcast = false;
  std::optional<uint32_t> asks_lease_time;
  bool reserved = false;  // never moves subnets
  uint32_t subnet_id = 0;

  ClientState state = ClientState::kInit;
  // kSelecting: the OFFER taken.
  Ipv4Address offered;
  Ipv4Address offer_server;
  Seconds offer_time = 0;
  uint64_t offer_epoch = 0;
  // kBound: the lease as the client sees it.
  Ipv4Address address;
  Seconds expiry = 0;  // lease::kNever: infinite
  // The last address held, for an INIT-REBOOT after expiry.
  Ipv4Address last_address;
  uint32_t xid = 0;

  bool Holds(Seconds now) const {
    return state == ClientState::kBound &&
           (expiry == lease::kNever || now < expiry);
  }
};

// What the client sends.
enum class Act {
  kDiscover,
  kSelect,
  kSelectOther,
  kRenew,
  kRebind,
  kInitReboot,
  kStaleReboot,
  kLateRenew,   // RENEWING after the lease ended
  kLateRebind,  // REBINDING after the lease ended
  kRelease,
  kDecline,
  kMove,
  kIdle,
};

const char* ActName(Act a) {
  switch (a) {
    case Act::kDiscover:
      return "DISCOVER";
    case Act::kSelect:
      return "REQUEST (SELECTING)";
    case Act::kSelectOther:
      return "REQUEST naming another server";
    case Act::kRenew:
      return "REQUEST (RENEWING, unicast)";
    case Act::kRebind:
      return "REQUEST (REBINDING, broadcast)";
    case Act::kInitReboot:
      return "REQUEST (INIT-REBOOT)";
    case Act::kStaleReboot:
      return "REQUEST (INIT-REBOOT for a random address)";
    case Act::kLateRenew:
      return "REQUEST (RENEWING after the lease ended)";
    case Act::kLateRebind:
      return "REQUEST (REBINDING after the lease ended)";
    case Act::kRelease:
      return "RELEASE";
    case Act::kDecline:
      return "DECLINE";
    case Act::kMove:
      return "move to another subnet";
    case Act::kIdle:
      return "idle";
  }
  return "?";
}

// Whether record `l` is client `c`'s (RFC 2131 §4.2: client-id, else
// chaddr).
bool IsClient(const lease::Lease& l, const Client& c) {
  return c.client_id.empty()
             ? l.client_id().empty() && Same(l.chaddr(), c.mac.bytes())
             : Same(l.client_id(), c.client_id);
}

// One request as the engine will see it.
struct Outgoing {
  MessageType type = MessageType::kDiscover;
  Ipv4Address ciaddr;
  std::optional<Ipv4Address> requested;  // option 50
  std::optional<Ipv4Address> server_id;  // option 54
  bool unicast = false;            // client to server directly (RENEW, RELEASE)
  bool without_client_id = false;  // leave option 61 out this time
};

// ---------------------------------------------------------------------------
// The simulation.

struct Options {
  uint64_t seed = kDefaultSeed;
  int steps = 200000;
  int check_every = 100;        // whole-table checks
  int log_check_every = 20000;  // mutation log replay
  // CLI-01/c: now and then a client leaves option 61 out of a RENEW.
  bool omit_client_id = true;
};

class Simulation {
 public:
  explicit Simulation(const Options& o) : o_(o), rng_(o.seed) {}

  // Runs until the end or the first failed property.
  void Run();
  int steps_run() const { return step_; }
  int restarts() const { return restarts_; }
  const std::map<std::string, uint64_t>& tally() const { return tally_; }

 private:
  bool Setup();
  void Step();
  Act Choose(Client& c);
  void Perform(Client& c, Act act);
  void Exchange(Client& c, Act act, const Outgoing& out);
  void CheckReply(const Client& c, const Outgoing& out, const Decision& d,
                  std::span<const uint8_t> reply);
  void OnReply(Client& c, Act act, const Outgoing& out, const Decision& d,
               std::span<const uint8_t> reply);
  void Granted(Client& c, Ipv4Address a, uint32_t lease_time);
  void Forget(Client& c);
  void CheckInvariants(const Engine& e);
  void CheckClientsAgainstTable();
  void CheckLogReplay(bool restart);
  std::unique_ptr<Engine> Rebuild(MutationLog* startup);

  const config::Subnet& SubnetOf(const Client& c) const {
    return *config_->FindSubnetById(c.subnet_id);
  }
  bool Relayed(const Client& c) const { return c.subnet_id != 100; }
  Ipv4Address Giaddr(const Client& c) const {
    return Relayed(c) ? Ipv4Address(SubnetOf(c).prefix.network.value() + 1)
                      : Ipv4Address();
  }

  // Records a failure with the whole context and stops the run.
  template <typename... A>
  bool Expect(bool ok, const A&... what) {
    if (ok || failed_) return ok;
    failed_ = true;
    ADD_FAILURE() << "property violated: " << Cat(what...) << "\n  " << context_
                  << "\n  re-run: LEASEWIRE_PROPERTY_SEED=" << o_.seed;
    return false;
  }

  Options o_;
  Rng rng_;
  std::shared_ptr<const config::Config> config_;
  const config::Interface* port0_ = nullptr;
  std::unique_ptr<Engine> engine_;
  MutationLog log_;  // everything since the start
  std::vector<Client> clients_;
  std::deque<int> follow_ups_;  // clients that just got an OFFER
  // Address -> the client that was last ACKed it (the model's view).
  std::unordered_map<uint32_t, int> holder_;
  Seconds now_ = kStart;
  int step_ = 0;
  uint64_t epoch_ = 0;  // bumped by each restart (offers are lost)
  int restarts_ = 0;
  int next_restart_ = 0;
  bool failed_ = false;
  std::string context_;
  std::map<std::string, uint64_t> tally_;
  DhcpMessage msg_;
  std::vector<uint8_t> request_buf_ = std::vector<uint8_t>(1024);
  std::vector<uint8_t> reply_buf_ = std::vector<uint8_t>(kPortMtu);
};

bool Simulation::Setup() {
  absl::StatusOr<std::shared_ptr<const config::Config>> c =
      config::LoadConfig(ConfigJson());
  if (!c.ok()) {
    ADD_FAILURE() << "config: " << c.status() << "\n" << ConfigJson();
    return false;
  }
  config_ = *std::move(c);
  port0_ = config_->FindInterface("port0");
  engine_ =
      std::make_unique<Engine>(config_, std::span<const uint32_t>(), now_);
  clients_.resize(kClients);
  for (int i = 0; i < kClients; ++i) {
    Client& c = clients_[i];
    c.index = i;
    c.mac = ClientMac(i);
    c.xid = static_cast<uint32_t>(rng_.Next());
    c.reserved = i < kReservedClients;
    if (i < 80) {
      c.subnet_id = 1 + i / 4;
    } else if (i < kReservedClients) {
      c.subnet_id = 100;
    } else {
      c.subnet_id = rng_.Chance(25) ? 100 : 1 + rng_.Below(20);
    }
    switch (i % 3) {
      case 0:
        break;  // identified by chaddr
      case 1:
        c.client_id = ClientIdFromMac(i);
        break;
      case 2:  // RFC 4361: type 255, IAID, DUID-LL
        c.client_id = {0xff, 0, 0, 0, 1, 0, 3, 0, 1};
        c.client_id.insert(c.client_id.end(), c.mac.bytes().begin(),
                           c.mac.bytes().end());
        break;
    }
    const bool by_client_id = (i < 80 && i % 4 == 2) || i == 82;
    if (by_client_id) c.client_id = ClientIdFromMac(i);
    const bool by_circuit = i < 80 && i % 4 == 3;
    if (by_circuit || i % 2 == 0) {
      const std::string id = CircuitId(i);
      c.circuit_id.assign(id.begin(), id.end());
      c.remote_id = {0x02, static_cast<uint8_t>(i % 97), 0x00};
    }
    if (i % 5 == 0) c.hostname = Cat("host-", i);
    c.broadcast = i % 4 == 1;
    if (i % 6 == 0) c.asks_lease_time = 1000;
  }
  next_restart_ = 3000 + static_cast<int>(rng_.Below(5000));
  return true;
}

void Simulation::Run() {
  const auto t0 = std::chrono::steady_clock::now();
  if (!Setup()) return;
  for (step_ = 0; step_ < o_.steps && !failed_; ++step_) {
    Step();
    if (failed_) break;
    if (step_ % o_.check_every == 0) {
      context_ = Cat("seed=", o_.seed, " step=", step_, " now=", now_,
                     " (whole-table check)");
      CheckInvariants(*engine_);
      CheckClientsAgainstTable();
    }
    if (step_ > 0 && step_ % o_.log_check_every == 0) {
      context_ = Cat("seed=", o_.seed, " step=", step_, " now=", now_,
                     " (mutation log replay)");
      CheckLogReplay(false);
    }
    if (step_ == next_restart_) {
      context_ =
          Cat("seed=", o_.seed, " step=", step_, " now=", now_, " ([restart])");
      CheckLogReplay(true);
      ++restarts_;
      next_restart_ = step_ + 3000 + static_cast<int>(rng_.Below(6000));
    }
  }
  if (!failed_) {
    context_ = Cat("seed=", o_.seed, " at the end, now=", now_);
    CheckInvariants(*engine_);
    CheckClientsAgainstTable();
    CheckLogReplay(false);
  }
  const double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  std::printf(
      "[ property ] seed=%llu steps=%d restarts=%d engine time "
      "%u s, %zu mutations, %.2f s\n",
      static_cast<unsigned long long>(o_.seed), step_, restarts_, now_ - kStart,
      log_.size(), s);
}

void Simulation::Step() {
  // Time: mostly standing still (many clients per second), now and then a
  // jump past lifetimes and probation.
  if (rng_.Below(32) == 0) ++now_;
  if (rng_.Below(6000) == 0) now_ += 60 + rng_.Below(340);
  engine_->Tick(now_, &log_);

  int who;
  if (!follow_ups_.empty() && rng_.Chance(60)) {
    who = follow_ups_.front();
    follow_ups_.pop_front();
  } else if (rng_.Chance(30)) {
    who = static_cast<int>(rng_.Below(300));  // a busy neighbourhood
  } else {
    who = static_cast<int>(rng_.Below(kClients));
  }
  Client& c = clients_[who];
  const Act act = Choose(c);
  context_ = Cat("seed=", o_.seed, " step=", step_, " now=", now_,
                 " client=", c.index, " (mac ", c.mac,
                 c.client_id.empty() ? std::string(" no client-id")
                                     : " client-id " + Hex(c.client_id),
                 c.circuit_id.empty() ? "" : " circuit " + Hex(c.circuit_id),
                 ", subnet ", c.subnet_id, ") action=", ActName(act));
  Perform(c, act);
}

Act Simulation::Choose(Client& c) {
  if (c.state == ClientState::kBound && !c.Holds(now_)) {
    // The lease ran out (the client slept through it): a late RENEW or
    // REBIND of the old address, an INIT-REBOOT, or a fresh DISCOVER.
    const uint32_t r = rng_.Below(100);
    if (r < 10) return Act::kLateRenew;
    if (r < 20) return Act::kLateRebind;
    Forget(c);
    return r < 50 ? Act::kInitReboot : Act::kDiscover;
  }
  const uint32_t r = rng_.Below(100);
  switch (c.state) {
    case ClientState::kInit:
      if (r < 75) return Act::kDiscover;
      if (r < 80) return Act::kStaleReboot;
      if (r < 85) {
        return c.last_address.IsZero() ? Act::kDiscover : Act::kInitReboot;
      }
      if (r < 90 && !c.reserved) return Act::kMove;
      return Act::kIdle;
    case ClientState::kSelecting:
      if (r < 72) return Act::kSelect;
      if (r < 80) return Act::kSelectOther;
      if (r < 88) return Act::kDiscover;
      return Act::kIdle;  // the offer may time out
    case ClientState::kBound:
      if (r < 25) return Act::kRenew;
      if (r < 37) return Act::kRebind;
      if (r < 45) return Act::kInitReboot;
      if (r < 53) return Act::kRelease;
      if (r < 57) return Act::kDecline;
      if (r < 62) return Act::kDiscover;
      if (r < 64 && !c.reserved) return Act::kMove;
      return Act::kIdle;
  }
  return Act::kIdle;
}

void Simulation::Forget(Client& c) {
  if (c.state == ClientState::kBound) c.last_address = c.address;
  const auto it = holder_.find(c.address.value());
  if (c.state == ClientState::kBound && it != holder_.end() &&
      it->second == c.index) {
    holder_.erase(it);
  }
  c.state = ClientState::kInit;
  c.address = Ipv4Address();
  c.expiry = 0;
}

void Simulation::Perform(Client& c, Act act) {
  Outgoing out;
  switch (act) {
    case Act::kIdle:
      return;
    case Act::kMove: {
      Forget(c);  // keeps last_address: an INIT-REBOOT may ask for it
      uint32_t id = rng_.Chance(25) ? 100 : 1 + rng_.Below(20);
      if (id == c.subnet_id) id = id == 100 ? 1 : 100;
      c.subnet_id = id;
      return;
    }
    case Act::kDiscover:
      out.type = MessageType::kDiscover;
      if (!c.last_address.IsZero() && rng_.Chance(50)) {
        out.requested = c.last_address;  // §4.3.1: a hint
      }
      break;
    case Act::kSelect:
    case Act::kSelectOther:
      out.type = MessageType::kRequest;
      out.requested = c.offered;
      out.server_id = act == Act::kSelect ? c.offer_server : kOtherServer;
      break;
    case Act::kLateRenew:
    case Act::kRenew:
      out.type = MessageType::kRequest;
      out.ciaddr = c.address;
      out.unicast = true;
      // CLI-01/c: a client that leaves option 61 out of one renewal.
      out.without_client_id =
          o_.omit_client_id && !c.client_id.empty() && rng_.Chance(5);
      break;
    case Act::kLateRebind:
    case Act::kRebind:
      out.type = MessageType::kRequest;
      out.ciaddr = c.address;
      break;
    case Act::kInitReboot:
      out.type = MessageType::kRequest;
      out.requested =
          c.state == ClientState::kBound ? c.address : c.last_address;
      if (out.requested->IsZero()) return;  // nothing to ask for
      break;
    case Act::kStaleReboot: {
      const config::Prefix& p = SubnetOf(c).prefix;
      const uint32_t hosts = (1u << (32 - p.length)) - 2;
      out.type = MessageType::kRequest;
      out.requested = Ipv4Address(p.network.value() + 1 + rng_.Below(hosts));
      break;
    }
    case Act::kRelease:
      out.type = MessageType::kRelease;
      out.ciaddr = c.address;
      out.server_id = kServer;
      out.unicast = true;
      break;
    case Act::kDecline:
      out.type = MessageType::kDecline;
      out.requested = c.address;
      out.server_id = kServer;
      break;
  }
  Exchange(c, act, out);
}

// Writes the BOOTP payload of `out` as client `c` sends it; `giaddr` is
// set when a relay forwards it (and adds option 82 when the client sits
// behind a circuit-id). Returns its size, 0 when it does not fit.
size_t WriteRequest(const Client& c, const Outgoing& out, Ipv4Address giaddr,
                    std::span<uint8_t> buf) {
  const bool relayed = !giaddr.IsZero();
  wire::BootpHeader h;
  h.op = wire::kBootRequest;
  h.hops = relayed ? 1 : 0;
  h.xid = c.xid;
  h.flags = c.broadcast ? wire::kBroadcastFlag : 0;
  h.ciaddr = out.ciaddr;
  h.giaddr = giaddr;
  std::copy(c.mac.bytes().begin(), c.mac.bytes().end(), h.chaddr.begin());
  wire::MessageWriter w(buf, buf.size());
  bool ok = w.Begin(h);
  ok = ok && w.AddUint8(opt::kMessageType, static_cast<uint8_t>(out.type));
  if (!c.client_id.empty() && !out.without_client_id) {
    ok = ok && w.Add(opt::kClientIdentifier, c.client_id);
  }
  if (out.requested) {
    ok = ok && w.AddAddress(opt::kRequestedAddress, *out.requested);
  }
  if (out.server_id) {
    ok = ok && w.AddAddress(opt::kServerIdentifier, *out.server_id);
  }
  if (c.asks_lease_time && (out.type == MessageType::kDiscover ||
                            out.type == MessageType::kRequest)) {
    ok = ok && w.AddUint32(opt::kLeaseTime, *c.asks_lease_time);
  }
  if (!c.hostname.empty()) {
    ok = ok && w.Add(opt::kHostName,
                     {reinterpret_cast<const uint8_t*>(c.hostname.data()),
                      c.hostname.size()});
  }
  const uint8_t prl[] = {opt::kSubnetMask, opt::kRouter,
                         opt::kDomainNameServer};
  ok = ok && w.Add(opt::kParameterRequestList, prl);
  if (relayed && !c.circuit_id.empty()) {
    Bytes rai = {wire::relay::kCircuitId,
                 static_cast<uint8_t>(c.circuit_id.size())};
    rai.insert(rai.end(), c.circuit_id.begin(), c.circuit_id.end());
    rai.push_back(wire::relay::kRemoteId);
    rai.push_back(static_cast<uint8_t>(c.remote_id.size()));
    rai.insert(rai.end(), c.remote_id.begin(), c.remote_id.end());
    ok = ok && w.Add(opt::kRelayAgentInfo, rai);
  }
  return ok ? w.Finish() : 0;
}

// Where the data plane sees `out` come from: the relay, the client itself
// (broadcast, or unicast on the server's link) or the router in front of
// the server (a routed unicast).
Ingress IngressFor(const Client& c, const Outgoing& out, Ipv4Address giaddr,
                   bool on_server_link, const config::Interface* port) {
  Ingress in;
  in.interface = port;
  if (!giaddr.IsZero()) {
    in.eth_src = kRelayMac;
    in.ip_src = giaddr;
    in.ip_dst = kServer;
    in.src_port = wire::kDhcpServerPort;
  } else if (out.unicast) {
    in.eth_src = on_server_link ? c.mac : kRouterMac;
    in.ip_src = out.ciaddr;
    in.ip_dst = kServer;
  } else {
    in.eth_src = c.mac;
    in.ip_src = out.ciaddr;  // 0.0.0.0 unless REBINDING
    in.ip_dst = Ipv4Address::Broadcast();
  }
  return in;
}

// Sends `out` for client `c` (through its relay unless unicast), runs the
// engine and checks the outcome.
void Simulation::Exchange(Client& c, Act act, const Outgoing& out) {
  const bool relayed = Relayed(c) && !out.unicast;
  const Ipv4Address giaddr = relayed ? Giaddr(c) : Ipv4Address();
  ++c.xid;
  const size_t size = WriteRequest(c, out, giaddr, request_buf_);
  if (!Expect(size > 0, "could not build the request")) return;
  const wire::Verdict v = msg_.ParseRequest({request_buf_.data(), size});
  if (!Expect(v == wire::Verdict::kOk,
              "own request does not parse: ", wire::VerdictName(v))) {
    return;
  }
  const Ingress in = IngressFor(c, out, giaddr, !Relayed(c), port0_);
  const Decision d = engine_->Handle(msg_, in, now_, reply_buf_, &log_);
  const std::span<const uint8_t> reply =
      d.action == Action::kReply
          ? std::span<const uint8_t>(reply_buf_.data(), d.reply_size)
          : std::span<const uint8_t>();
  if (d.action == Action::kReply) {
    CheckReply(c, out, d, reply);
    if (!failed_) {
      // The route (RFC 2131 §4.1).
      Route want;
      const bool nak = d.reply_type == MessageType::kNak;
      const Ipv4Address yiaddr = Ipv4Address::Load(&reply[16]);
      if (relayed) {
        want = {kRelayMac, Giaddr(c), wire::kDhcpServerPort};
      } else if (nak) {
        want = {MacAddress::Broadcast(), Ipv4Address::Broadcast(),
                wire::kDhcpClientPort};
      } else if (!out.ciaddr.IsZero()) {
        want = {in.eth_src, out.ciaddr, wire::kDhcpClientPort};
      } else if (c.broadcast) {
        want = {MacAddress::Broadcast(), Ipv4Address::Broadcast(),
                wire::kDhcpClientPort};
      } else {
        want = {c.mac, yiaddr, wire::kDhcpClientPort};
      }
      Expect(d.route.eth_dst == want.eth_dst && d.route.ip_dst == want.ip_dst &&
                 d.route.dst_port == want.dst_port,
             "reply routed to ", d.route.eth_dst, " ", d.route.ip_dst, ":",
             d.route.dst_port, "; expected ", want.eth_dst, " ", want.ip_dst,
             ":", want.dst_port);
    }
  }
  if (!failed_) OnReply(c, act, out, d, reply);
}

void Simulation::CheckReply(const Client& c, const Outgoing& out,
                            const Decision& d, std::span<const uint8_t> reply) {
  DhcpMessage r;
  if (!Expect(r.Parse(reply) == wire::Verdict::kOk,
              "the reply does not parse")) {
    return;
  }
  Expect(r.op() == wire::kBootReply && r.xid() == c.xid &&
             Same(r.chaddr(), c.mac.bytes()),
         "reply header does not match the request");
  Expect(r.message_type() == d.reply_type, "option 53 != decision type");
  Expect(r.server_identifier() == kServer, "option 54 is not 192.0.2.1");
  const size_t limit = std::min<size_t>(576, kPortMtu) - 28;
  Expect(d.reply_size <= limit, "reply of ", d.reply_size,
         " octets, over the 548 a client without option 57 accepts");
  // RFC 6842 §3.
  const auto cid = r.Find(opt::kClientIdentifier);
  Expect(c.client_id.empty() || out.without_client_id
             ? !cid
             : (cid && Same(*cid, c.client_id)),
         "option 61 not echoed unaltered");
  // RFC 3046 §2.2: option 82 echoed, last.
  const auto rai = msg_.Find(opt::kRelayAgentInfo);
  if (rai) {
    const auto echo = r.Find(opt::kRelayAgentInfo);
    Expect(echo && Same(*echo, *rai), "option 82 not echoed");
    // The last option: END follows 82's value at once.
    const size_t end_of_82 = [&] {
      size_t i = wire::kOptionsOffset, last = 0;
      while (i + 1 < reply.size() && reply[i] != opt::kEnd) {
        if (reply[i] == opt::kPad) {
          ++i;
          continue;
        }
        last = reply[i] == opt::kRelayAgentInfo ? i + 2 + reply[i + 1] : 0;
        i += 2 + size_t{reply[i + 1]};
      }
      return last == i ? last : 0;
    }();
    Expect(end_of_82 != 0, "option 82 is not the last option");
  }
  const Ipv4Address yiaddr = r.yiaddr();
  if (d.reply_type == MessageType::kNak) {
    Expect(yiaddr.IsZero() && !r.lease_time(), "NAK with yiaddr or lease");
    if (Relayed(c) && !out.unicast) {
      Expect(r.broadcast(), "relayed NAK without the B flag (§4.3.2)");
    }
    return;
  }
  if (d.reply_type != MessageType::kOffer &&
      d.reply_type != MessageType::kAck) {
    Expect(false, "unexpected reply type ",
           wire::MessageTypeName(d.reply_type));
    return;
  }
  // OFFER / ACK: yiaddr inside the client's subnet, in a pool or a
  // reservation of it, never an excluded address; lease times.
  const config::Subnet& s = SubnetOf(c);
  Expect(s.prefix.Contains(yiaddr), "yiaddr ", yiaddr, " outside the ",
         "client's subnet ", s.prefix.ToString());
  const bool in_pool =
      std::any_of(s.pools.begin(), s.pools.end(),
                  [&](const config::Pool& p) { return p.Contains(yiaddr); });
  const config::Reservation* res = nullptr;
  for (const config::Reservation& x : s.reservations) {
    if (x.address == yiaddr) res = &x;
  }
  Expect(in_pool || res != nullptr, "yiaddr ", yiaddr,
         " in no pool and no reservation");
  Expect(std::find(s.excluded.begin(), s.excluded.end(), yiaddr) ==
             s.excluded.end(),
         "yiaddr ", yiaddr, " is excluded");
  if (res != nullptr) {
    bool mine = false;
    switch (res->key_type) {
      case config::ReservationKey::kHwAddress:
        mine = Same(res->key, c.mac.bytes());
        break;
      case config::ReservationKey::kClientId:
        mine = Same(res->key, c.client_id);
        break;
      case config::ReservationKey::kCircuitId:
        mine = Same(res->key, c.circuit_id);
        break;
      case config::ReservationKey::kRemoteId:
        mine = Same(res->key, c.remote_id);
        break;
    }
    Expect(mine, "yiaddr ", yiaddr, " is reserved for another client");
  }
  const auto lt = r.lease_time();
  const auto t1 = r.renewal_time();
  const auto t2 = r.rebinding_time();
  if (Expect(lt && t1 && t2, "OFFER/ACK without 51/58/59")) {
    if (*lt != config::kInfinite) {
      Expect(*t1 < *t2 && *t2 < *lt, "not T1 < T2 < lease: ", *t1, " ", *t2,
             " ", *lt);
      Expect(*lt >= s.lifetimes.min_valid && *lt <= s.lifetimes.max_valid,
             "lease time ", *lt, " outside the subnet's bounds");
    } else {
      Expect(*t1 == config::kInfinite && *t2 == config::kInfinite,
             "infinite lease with finite T1/T2");
    }
  }
}

void Simulation::Granted(Client& c, Ipv4Address a, uint32_t lease_time) {
  // The durability contract: nobody else holds `a` with a valid lease.
  const auto it = holder_.find(a.value());
  if (it != holder_.end() && it->second != c.index) {
    const Client& other = clients_[it->second];
    Expect(!(other.address == a && other.Holds(now_)), "ACK of ", a,
           " to client ", c.index, " while client ", other.index,
           " holds it until ", other.expiry);
  }
  if (c.state == ClientState::kBound && c.address != a) Forget(c);
  holder_[a.value()] = c.index;
  c.state = ClientState::kBound;
  c.address = a;
  c.last_address = a;
  c.expiry = lease_time == config::kInfinite
                 ? lease::kNever
                 : static_cast<Seconds>(now_ + lease_time);
}

void Simulation::OnReply(Client& c, Act act, const Outgoing& out,
                         const Decision& d, std::span<const uint8_t> reply) {
  const bool replied = d.action == Action::kReply;
  const MessageType type = d.reply_type;
  const Ipv4Address yiaddr =
      replied ? Ipv4Address::Load(&reply[16]) : Ipv4Address();
  const bool held = c.Holds(now_);
  DhcpMessage r;
  uint32_t lease_time = 0;
  if (replied && r.Parse(reply) == wire::Verdict::kOk) {
    lease_time = r.lease_time().value_or(0);
  }
  const std::string outcome =
      replied ? Cat(wire::MessageTypeName(type), " ", yiaddr)
              : Cat(d.action == Action::kDrop ? "drop" : "silent", " (",
                    ReasonName(d.reason), ")");
  ++tally_[Cat(ActName(act), held ? " [valid lease]" : "", " -> ",
               replied ? std::string(wire::MessageTypeName(type))
                       : Cat(d.action == Action::kDrop ? "drop" : "silent",
                             " (", ReasonName(d.reason), ")"))];

  switch (act) {
    case Act::kDiscover: {
      if (replied) {
        if (!Expect(type == MessageType::kOffer, "DISCOVER got ", outcome)) {
          return;
        }
        // §4.3.1: the client's current binding comes first.
        if (held) {
          Expect(yiaddr == c.address, "client holding ", c.address,
                 " was offered ", yiaddr);
        }
        if (held) Forget(c);  // the client restarted its DORA
        c.state = ClientState::kSelecting;
        c.offered = yiaddr;
        c.offer_server = kServer;
        c.offer_time = now_;
        c.offer_epoch = epoch_;
        if (rng_.Chance(85)) follow_ups_.push_back(c.index);
        return;
      }
      Expect(d.action == Action::kDrop && d.reason == Reason::kPoolExhausted,
             "DISCOVER got ", outcome);
      Expect(!held, "client holding ", c.address, " got ", outcome);
      Expect(engine_->SubnetUtilization(c.subnet_id).free == 0,
             "pool_exhausted with ",
             engine_->SubnetUtilization(c.subnet_id).free, " free");
      c.state = ClientState::kInit;
      return;
    }
    case Act::kSelect: {
      const bool live_offer =
          c.offer_epoch == epoch_ && now_ < c.offer_time + kOfferLifetime;
      if (replied && type == MessageType::kAck) {
        Expect(yiaddr == c.offered, "SELECTING for ", c.offered, " got ",
               outcome);
        Granted(c, yiaddr, lease_time);
        return;
      }
      Expect(!live_offer, "SELECTING REQUEST for the live offer of ", c.offered,
             " (made at ", c.offer_time, ") got ", outcome);
      Expect(!replied || type == MessageType::kNak, "SELECTING got ", outcome);
      c.state = ClientState::kInit;
      return;
    }
    case Act::kSelectOther: {
      Expect(d.action == Action::kSilent && d.reason == Reason::kNotForUs,
             "REQUEST naming another server got ", outcome);
      // §3.1 step 4: our offer is withdrawn at once (CLI-08).
      const Slot s = engine_->table().FindByAddress(c.offered);
      const lease::Lease* l =
          s == lease::kNoSlot ? nullptr : &engine_->table().at(s);
      Expect(
          l == nullptr || l->state != LeaseState::kOffered || !IsClient(*l, c),
          "offer of ", c.offered, " still held after the client chose ",
          "another server");
      c.state = ClientState::kInit;  // bound elsewhere: not our business
      c.last_address = Ipv4Address();
      return;
    }
    case Act::kRenew:
    case Act::kRebind:
    case Act::kInitReboot:
    case Act::kStaleReboot:
    case Act::kLateRenew:
    case Act::kLateRebind: {
      const Ipv4Address asked = out.requested ? *out.requested : out.ciaddr;
      const bool valid = held && asked == c.address;
      if (replied && type == MessageType::kAck) {
        Expect(yiaddr == asked, ActName(act), " for ", asked, " got ", outcome);
        Granted(c, yiaddr, lease_time);
        return;
      }
      // §4.3.2: a valid binding is confirmed, whatever the state.
      Expect(!valid, ActName(act), " for the valid lease ", asked, " (until ",
             c.expiry, ") got ", outcome);
      // §4.3.2 INIT-REBOOT: an address on the wrong network is NAKed.
      if (act == Act::kInitReboot && !SubnetOf(c).prefix.Contains(asked)) {
        Expect(replied && type == MessageType::kNak, ActName(act), " for ",
               asked, " from another network got ", outcome);
      }
      Expect(!replied || type == MessageType::kNak, ActName(act), " got ",
             outcome);
      if (replied || act != Act::kStaleReboot) Forget(c);
      return;
    }
    case Act::kRelease:
      Expect(d.action == Action::kSilent && d.reason == Reason::kReleased,
             "RELEASE of the valid lease ", c.address, " got ", outcome);
      Forget(c);
      c.last_address = Ipv4Address();
      return;
    case Act::kDecline:
      Expect(d.action == Action::kSilent && d.reason == Reason::kDeclined,
             "DECLINE of ", c.address, " got ", outcome);
      Forget(c);
      c.last_address = Ipv4Address();
      return;
    case Act::kMove:
    case Act::kIdle:
      return;
  }
}

// ---------------------------------------------------------------------------
// Whole-table checks.

bool ReservedHolderMatches(const config::Reservation& res,
                           const lease::Lease& l) {
  switch (res.key_type) {
    case config::ReservationKey::kHwAddress:
      return l.htype == wire::kHtypeEthernet && Same(res.key, l.chaddr());
    case config::ReservationKey::kClientId:
      return Same(res.key, l.client_id());
    case config::ReservationKey::kCircuitId:
      return Same(res.key, l.circuit_id());
    case config::ReservationKey::kRemoteId:
      return Same(res.key, l.remote_id());
  }
  return false;
}

void Simulation::CheckInvariants(const Engine& e) {
  const lease::LeaseTable& t = e.table();
  const std::vector<config::Subnet>& subnets = config_->subnets;
  std::vector<uint64_t> held_dynamic(subnets.size(), 0);
  std::unordered_set<uint32_t> seen;
  std::array<size_t, 6> by_state{};
  t.ForEach([&](Slot slot, const lease::Lease& l) {
    ++by_state[static_cast<size_t>(l.state)];
    if (failed_) return;
    const std::string what =
        Cat("record ", l.address, " (", lease::LeaseStateName(l.state),
            ", key ", Hex(l.client_id()), "/", Hex(l.chaddr()), ")");
    Expect(seen.insert(l.address.value()).second, "two records hold ",
           l.address);
    Expect(t.FindByAddress(l.address) == slot, what,
           " is not found by its address");
    if (!Expect(l.subnet < subnets.size(), what, ": bad subnet index")) {
      return;
    }
    const config::Subnet& s = subnets[l.subnet];
    Expect(s.prefix.Contains(l.address), what, " outside its subnet ",
           s.prefix.ToString());
    const bool in_pool = std::any_of(
        s.pools.begin(), s.pools.end(),
        [&](const config::Pool& p) { return p.Contains(l.address); });
    const config::Reservation* res = nullptr;
    for (const config::Reservation& x : s.reservations) {
      if (x.address == l.address) res = &x;
    }
    Expect(in_pool || res != nullptr, what, " in no pool and no reservation");
    Expect(std::find(s.excluded.begin(), s.excluded.end(), l.address) ==
               s.excluded.end(),
           what, " is an excluded address");
    const bool holds = lease::HoldsAddress(l.state);
    if (holds && res != nullptr) {
      Expect(ReservedHolderMatches(*res, l), what,
             " holds an address reserved for another client");
    }
    if (holds && in_pool && res == nullptr) ++held_dynamic[l.subnet];
    if (l.state == LeaseState::kBound || l.state == LeaseState::kOffered) {
      Expect(t.FindByClient(l.key()) == slot, what,
             " is not found by its client key");
    }
    switch (l.state) {
      case LeaseState::kBound:
        Expect(l.infinite() || l.expiry > now_, what, " bound past expiry ",
               l.expiry);
        break;
      case LeaseState::kOffered:
        Expect(l.expiry > now_ && l.expiry <= now_ + kOfferLifetime, what,
               " offered with expiry ", l.expiry);
        break;
      case LeaseState::kDeclined:
        Expect(l.expiry > now_ && l.expiry <= now_ + kProbation, what,
               " in probation until ", l.expiry);
        break;
      case LeaseState::kReleased:
      case LeaseState::kExpired:
        break;
    }
  });
  // The table's running counts by state (the statistics' source) match
  // a walk of its records.
  for (const LeaseState st :
       {LeaseState::kOffered, LeaseState::kBound, LeaseState::kReleased,
        LeaseState::kDeclined, LeaseState::kExpired}) {
    Expect(t.count(st) == by_state[static_cast<size_t>(st)], "table counts ",
           t.count(st), " ", lease::LeaseStateName(st), " records, has ",
           by_state[static_cast<size_t>(st)]);
  }
  // Pools never leak.
  for (size_t i = 0; i < subnets.size() && !failed_; ++i) {
    const config::Subnet& s = subnets[i];
    uint64_t total = 0;
    for (const config::Pool& p : s.pools) total += p.size();
    uint64_t reserved_in_pool = 0;
    for (const config::Reservation& r : s.reservations) {
      if (!r.address.IsZero() && r.in_pool) ++reserved_in_pool;
    }
    const uint64_t want =
        total - s.excluded.size() - reserved_in_pool - held_dynamic[i];
    const Engine::Utilization u = e.SubnetUtilization(s.id);
    Expect(u.total == total && u.free == want, "subnet ", s.id, " (",
           s.prefix.ToString(), "): utilization ", u.free, "/", u.total,
           " free; expected ", want, "/", total, " (", s.excluded.size(),
           " excluded, ", reserved_in_pool, " reserved, ", held_dynamic[i],
           " held)");
  }
}

// Every client that holds a valid lease has it in the table.
void Simulation::CheckClientsAgainstTable() {
  for (const Client& c : clients_) {
    if (failed_) return;
    if (!c.Holds(now_)) continue;
    const Slot s = engine_->table().FindByAddress(c.address);
    const lease::Lease* l =
        s == lease::kNoSlot ? nullptr : &engine_->table().at(s);
    const bool ok = l != nullptr && l->state == LeaseState::kBound &&
                    IsClient(*l, c) && l->expiry == c.expiry;
    Expect(ok, "client ", c.index, " holds ", c.address, " until ", c.expiry,
           " but the table has ",
           l == nullptr
               ? std::string("no record")
               : Cat(lease::LeaseStateName(l->state), " until ", l->expiry,
                     " for ", Hex(l->client_id()), "/", Hex(l->chaddr())));
  }
}

// A fresh engine from the last image of every address logged so far;
// kExpire'd addresses are left out (nothing holds them). The images are
// restored in a random order: a store returns them in its own key order,
// and Restore() must not depend on it. Then the start-up Tick(now) runs,
// as before the first packet, with its mutations going to `startup`.
std::unique_ptr<Engine> Simulation::Rebuild(MutationLog* startup) {
  auto fresh =
      std::make_unique<Engine>(config_, std::span<const uint32_t>(), now_);
  std::unordered_map<uint32_t, size_t> last;
  for (size_t i = 0; i < log_.size(); ++i) {
    last[log_[i].lease.address.value()] = i;
  }
  std::vector<size_t> order;
  order.reserve(last.size());
  for (const auto& [address, i] : last) order.push_back(i);
  std::sort(order.begin(), order.end());
  for (size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[rng_.Below(static_cast<uint32_t>(i))]);
  }
  for (const size_t i : order) {
    const Mutation m = log_[i];
    if (m.kind == MutationKind::kExpire) continue;
    Expect(fresh->Restore(m.lease), "Restore() refused ", m.lease.address, " (",
           MutationKindName(m.kind), ", ", lease::LeaseStateName(m.lease.state),
           ")");
  }
  fresh->Tick(now_, startup);
  return fresh;
}

// The durable part of a record: what the store keeps of bound and
// declined leases.
struct Durable {
  LeaseState state;
  Bytes client_id;
  Bytes chaddr;
  Seconds expiry;
  uint16_t subnet;
  friend bool operator==(const Durable&, const Durable&) = default;
};

std::map<uint32_t, Durable> DurableLeases(const Engine& e) {
  std::map<uint32_t, Durable> out;
  e.table().ForEach([&](Slot, const lease::Lease& l) {
    if (l.state == LeaseState::kBound || l.state == LeaseState::kDeclined) {
      out[l.address.value()] = {l.state, ToBytes(l.client_id()),
                                ToBytes(l.chaddr()), l.expiry, l.subnet};
    }
  });
  return out;
}

void Simulation::CheckLogReplay(bool restart) {
  // On a restart the start-up expiries are the new engine's first
  // mutations; otherwise they are thrown away with the copy.
  MutationLog scratch;
  std::unique_ptr<Engine> fresh = Rebuild(restart ? &log_ : &scratch);
  const std::map<uint32_t, Durable> live = DurableLeases(*engine_);
  const std::map<uint32_t, Durable> replayed = DurableLeases(*fresh);
  std::string diff;
  for (const auto& [address, l] : live) {
    const auto it = replayed.find(address);
    if (it != replayed.end() && it->second == l) continue;
    // An OFFER of a client's own binding may hold the address past the
    // lease's end, in memory only like any offer; the store still has
    // the lease's own end, so the replay has it ending sooner.
    const bool offer_hold =
        l.state == LeaseState::kBound && l.expiry <= now_ + kOfferLifetime &&
        (it == replayed.end() ||
         (it->second.state == LeaseState::kBound &&
          it->second.client_id == l.client_id && it->second.expiry < l.expiry));
    if (offer_hold) continue;
    diff += Cat("\n    live:     ", Ipv4Address(address), " ",
                lease::LeaseStateName(l.state), " until ", l.expiry, " for ",
                Hex(l.client_id), "/", Hex(l.chaddr));
    diff +=
        it == replayed.end()
            ? std::string("\n    replayed: (none)")
            : Cat("\n    replayed: ", lease::LeaseStateName(it->second.state),
                  " until ", it->second.expiry, " for ",
                  Hex(it->second.client_id), "/", Hex(it->second.chaddr));
  }
  for (const auto& [address, l] : replayed) {
    if (live.contains(address)) continue;
    diff += Cat("\n    live:     ", Ipv4Address(address), " (none)",
                "\n    replayed: ", lease::LeaseStateName(l.state), " until ",
                l.expiry, " for ", Hex(l.client_id), "/", Hex(l.chaddr));
  }
  if (!Expect(diff.empty(), "replaying the mutation log gives other bound ",
              "or declined leases than the live engine holds:", diff)) {
    return;
  }
  CheckInvariants(*fresh);
  if (restart) {
    engine_ = std::move(fresh);
    ++epoch_;
    follow_ups_.clear();
  }
}

// ---------------------------------------------------------------------------

TEST(EnginePropertyTest, RandomClients) {
  Options o;
  o.seed = SeedFromEnvironment();
  std::printf("[ seed     ] LEASEWIRE_PROPERTY_SEED=%llu\n",
              static_cast<unsigned long long>(o.seed));
  ::testing::Test::RecordProperty("seed", std::to_string(o.seed));
  Simulation sim(o);
  sim.Run();
  for (const auto& [name, n] : sim.tally()) {
    std::printf("[ property ]   %-66s %llu\n", name.c_str(),
                static_cast<unsigned long long>(n));
  }
  EXPECT_GT(sim.restarts(), 0);
}

// A few more seeds, shorter, so that one fixed seed does not hide a case.
TEST(EnginePropertyTest, MoreSeeds) {
  const uint64_t base = SeedFromEnvironment();
  for (uint64_t k = 1; k <= 3 && !HasFailure(); ++k) {
    Options o;
    o.seed = base + k;
    o.steps = 40000;
    std::printf("[ seed     ] LEASEWIRE_PROPERTY_SEED=%llu (40000 steps)\n",
                static_cast<unsigned long long>(o.seed));
    Simulation sim(o);
    sim.Run();
  }
}

// ---------------------------------------------------------------------------
// Regression tests: each reduces a failure the property test found to its
// few messages.

constexpr std::string_view kSmallConfig = R"({
  "server-id": "192.0.2.1",
  "interfaces": [{"name": "port0", "address": "192.0.2.1/24"}],
  "valid-lifetime": 3600, "offer-lifetime": 10,
  "subnets": [
    {"id": 1, "subnet": "192.0.2.0/24",
     "pools": [{"pool": "192.0.2.100 - 192.0.2.109"}]},
    {"id": 2, "subnet": "10.1.0.0/24",
     "pools": [{"pool": "10.1.0.10 - 10.1.0.19"}]},
    {"id": 3, "subnet": "10.2.0.0/30",
     "valid-lifetime": 60, "min-valid-lifetime": 60,
     "max-valid-lifetime": 60,
     "pools": [{"pool": "10.2.0.2 - 10.2.0.2"}]}
  ]
})";

// One engine and its mutation log, driven message by message.
class Bench {
 public:
  Bench() {
    absl::StatusOr<std::shared_ptr<const config::Config>> c =
        config::LoadConfig(kSmallConfig);
    EXPECT_TRUE(c.ok()) << c.status();
    if (c.ok()) config_ = *std::move(c);
    engine_ =
        std::make_unique<Engine>(config_, std::span<const uint32_t>(), kStart);
  }

  // Client `c` sends `out` at `now`, through a relay with `giaddr` when it
  // is not 0. Returns the decision; *yiaddr gets the reply's yiaddr.
  Decision Send(Client& c, const Outgoing& out, Seconds now,
                Ipv4Address giaddr = Ipv4Address(),
                Ipv4Address* yiaddr = nullptr) {
    engine_->Tick(now, &log_);
    ++c.xid;
    const size_t size = WriteRequest(c, out, giaddr, request_);
    EXPECT_GT(size, 0u);
    EXPECT_EQ(msg_.ParseRequest({request_.data(), size}), wire::Verdict::kOk);
    const Ingress in = IngressFor(c, out, giaddr, giaddr.IsZero(),
                                  config_->FindInterface("port0"));
    const Decision d = engine_->Handle(msg_, in, now, reply_, &log_);
    if (yiaddr != nullptr) {
      *yiaddr = d.action == Action::kReply ? Ipv4Address::Load(&reply_[16])
                                           : Ipv4Address();
    }
    return d;
  }

  // DISCOVER then REQUEST; returns the address ACKed (0 when none).
  Ipv4Address Dora(Client& c, Seconds now, Ipv4Address giaddr = Ipv4Address()) {
    Outgoing discover;
    Ipv4Address offered;
    Send(c, discover, now, giaddr, &offered);
    if (offered.IsZero()) return offered;
    Outgoing request;
    request.type = MessageType::kRequest;
    request.requested = offered;
    request.server_id = kServer;
    Ipv4Address acked;
    const Decision d = Send(c, request, now, giaddr, &acked);
    return d.reply_type == MessageType::kAck ? acked : Ipv4Address();
  }

  // A new engine from the last image of each address, restored oldest
  // image first, or newest first when `reverse`.
  void Restart(Seconds now, bool reverse) {
    std::map<uint32_t, size_t> last;
    for (size_t i = 0; i < log_.size(); ++i) {
      last[log_[i].lease.address.value()] = i;
    }
    std::vector<size_t> order;
    for (const auto& [address, i] : last) order.push_back(i);
    std::sort(order.begin(), order.end());
    if (reverse) std::reverse(order.begin(), order.end());
    engine_ =
        std::make_unique<Engine>(config_, std::span<const uint32_t>(), now);
    for (const size_t i : order) {
      const Mutation m = log_[i];
      if (m.kind != MutationKind::kExpire) {
        EXPECT_TRUE(engine_->Restore(m.lease));
      }
    }
  }

  const Engine& engine() const { return *engine_; }
  const lease::Lease* Record(Ipv4Address a) const {
    const Slot s = engine_->table().FindByAddress(a);
    return s == lease::kNoSlot ? nullptr : &engine_->table().at(s);
  }

 private:
  std::shared_ptr<const config::Config> config_;
  std::unique_ptr<Engine> engine_;
  MutationLog log_;
  DhcpMessage msg_;
  std::vector<uint8_t> request_ = std::vector<uint8_t>(1024);
  std::vector<uint8_t> reply_ = std::vector<uint8_t>(kPortMtu);
};

Client MakeClient(int index, bool with_client_id) {
  Client c;
  c.index = index;
  c.mac = ClientMac(index);
  if (with_client_id) c.client_id = ClientIdFromMac(index);
  return c;
}

Outgoing Renewal(Ipv4Address a) {
  Outgoing o;
  o.type = MessageType::kRequest;
  o.ciaddr = a;
  o.unicast = true;
  return o;
}

// CLI-01/c, then the client sends its client-id again: the lenient ACK of
// the renewal without option 61 must not re-key the lease to chaddr, or
// the owner is NAKed while its lease is valid (RFC 2131 §4.2, §4.3.2).
// Found with seed 20240611, step 1100.
TEST(EngineRegressionTest, RenewalWithoutClientIdKeepsTheBinding) {
  Bench b;
  Client c = MakeClient(1, /*with_client_id=*/true);
  const Ipv4Address a = b.Dora(c, kStart);
  ASSERT_FALSE(a.IsZero());
  Outgoing quirk = Renewal(a);
  quirk.without_client_id = true;
  EXPECT_EQ(b.Send(c, quirk, kStart + 100).reply_type, MessageType::kAck);
  const lease::Lease* l = b.Record(a);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(Hex(l->client_id()), Hex(c.client_id))
      << "the lease lost its client identifier";
  const Decision d = b.Send(c, Renewal(a), kStart + 200);
  EXPECT_EQ(d.action, Action::kReply) << ReasonName(d.reason);
  EXPECT_EQ(d.reply_type, MessageType::kAck)
      << "the owner's renewal with its client-id was refused";
}

// A client that DISCOVERs in the last seconds of its lease is offered its
// own address; that address must stay promised for the offer lifetime, or
// the REQUEST answering the OFFER is NAKed because the address expired and
// went to someone else in between (RFC 2131 §3.1 step 2, §4.3.1; the
// engine's offer-lifetime). Found with seed 20240613, step 19753.
TEST(EngineRegressionTest, OfferOfTheBoundAddressIsHeldForTheOfferLifetime) {
  Bench b;
  const Ipv4Address giaddr = Ipv4Address::FromOctets(10, 2, 0, 1);
  Client a = MakeClient(1, true);
  Client other = MakeClient(2, true);
  const Ipv4Address address = b.Dora(a, kStart, giaddr);  // until +60
  ASSERT_EQ(address, Ipv4Address::FromOctets(10, 2, 0, 2));
  Ipv4Address offered;
  b.Send(a, Outgoing(), kStart + 59, giaddr, &offered);
  ASSERT_EQ(offered, address);
  // The lease ends at +60; the offer made at +59 lasts until +69.
  const Decision d = b.Send(other, Outgoing(), kStart + 61, giaddr);
  EXPECT_NE(d.action, Action::kReply)
      << "the address offered to its holder went to another client";
  Outgoing select;
  select.type = MessageType::kRequest;
  select.requested = address;
  select.server_id = kServer;
  EXPECT_EQ(b.Send(a, select, kStart + 62, giaddr).reply_type,
            MessageType::kAck);
}

// A client that moved from address A to B leaves a released image of A
// and a bound image of B. A store hands them back in its own (key) order;
// either way the client must find B after the restart (lease table
// invariant 2: one indexed record per client, and a bound one wins).
// Found with a shuffled restore order.
TEST(EngineRegressionTest, RestoreDoesNotDependOnTheOrder) {
  for (const bool reverse : {false, true}) {
    SCOPED_TRACE(reverse ? "newest image first" : "oldest image first");
    Bench b;
    Client c = MakeClient(1, true);
    const Ipv4Address first = b.Dora(c, kStart);
    ASSERT_FALSE(first.IsZero());
    // SELECTING for another free address: granted, `first` is released.
    const Ipv4Address second(first.value() + 1);
    Outgoing select;
    select.type = MessageType::kRequest;
    select.requested = second;
    select.server_id = kServer;
    ASSERT_EQ(b.Send(c, select, kStart + 10).reply_type, MessageType::kAck);
    b.Restart(kStart + 20, reverse);
    const Slot s = b.engine().table().FindByClient(
        {true, 0, std::span<const uint8_t>(c.client_id)});
    ASSERT_NE(s, lease::kNoSlot);
    EXPECT_EQ(b.engine().table().at(s).address, second)
        << "the client key finds its old, released record";
    Outgoing reboot;
    reboot.type = MessageType::kRequest;
    reboot.requested = second;
    EXPECT_EQ(b.Send(c, reboot, kStart + 21).reply_type, MessageType::kAck);
  }
}

// A RENEW is unicast from the client: it never passes the relay and has no
// option 82. The lease keeps the relay information it was bound with
// (RFC 4388 §6.1: the most recent option 82 of each address; operators
// look leases up by circuit-id). Found with seed 20240611, step 1501.
TEST(EngineRegressionTest, UnicastRenewalKeepsTheRelayAgentInformation) {
  Bench b;
  const Ipv4Address giaddr = Ipv4Address::FromOctets(10, 1, 0, 1);
  Client c = MakeClient(7, true);
  const std::string circuit = "ckt-7";
  c.circuit_id.assign(circuit.begin(), circuit.end());
  c.remote_id = {0x02, 0x07, 0x00};
  const Ipv4Address a = b.Dora(c, kStart, giaddr);
  ASSERT_FALSE(a.IsZero());
  EXPECT_EQ(b.Send(c, Renewal(a), kStart + 100).reply_type, MessageType::kAck);
  const lease::Lease* l = b.Record(a);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(Hex(l->circuit_id()), Hex(c.circuit_id));
  EXPECT_EQ(Hex(l->remote_id()), Hex(c.remote_id));
}

}  // namespace
}  // namespace leasewire::engine
