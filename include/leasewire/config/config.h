// File: leasewire/config/config.h
//
// The server's configuration: one JSON file (comments allowed) turned into
// one immutable, validated snapshot. Everything a worker needs per packet
// is resolved here, at load time: option values are encoded to wire bytes,
// option sets are merged (global < subnet < pool < reservation, inner
// wins), and lookup structures (subnets by address, relays, reservations)
// are built.
//
// Thread safety: a Config is immutable after LoadConfig() returns and may
// be read from any thread. Reloading makes a new snapshot.
//
// Example:
//   absl::StatusOr<std::shared_ptr<const Config>> config =
//       LoadConfigFile("/etc/leasewire/leasewire.json");
//   if (!config.ok()) { std::cerr << config.status(); return 2; }

#ifndef LEASEWIRE_CONFIG_CONFIG_H_
#define LEASEWIRE_CONFIG_CONFIG_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "leasewire/wire/types.h"

namespace leasewire::config {

using wire::Ipv4Address;
using wire::MacAddress;

// An IPv4 prefix such as 192.0.2.0/24. `network` has no host bits set.
struct Prefix {
  Ipv4Address network;
  uint8_t length = 0;

  static std::optional<Prefix> Parse(std::string_view text);  // "a.b.c.d/n"
  uint32_t mask() const {
    return length == 0 ? 0 : ~uint32_t{0} << (32 - length);
  }
  Ipv4Address netmask() const { return Ipv4Address(mask()); }
  Ipv4Address broadcast() const {
    return Ipv4Address(network.value() | ~mask());
  }
  bool Contains(Ipv4Address a) const {
    return (a.value() & mask()) == network.value();
  }
  std::string ToString() const;
};

// Option values, already in wire form, keyed by code.
// Thread-compatible; immutable inside a Config.
class OptionSet {
 public:
  // Adds or replaces the value of `code`.
  void Set(uint8_t code, std::vector<uint8_t> value, bool always_send);
  // The value of `code`; empty when not set.
  std::span<const uint8_t> Find(uint8_t code) const;
  bool Has(uint8_t code) const;
  // Codes flagged "always-send", ascending.
  std::span<const uint8_t> always_send() const { return always_send_; }
  // `inner` values replace this set's.
  void MergeFrom(const OptionSet& inner);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint8_t code;
    std::vector<uint8_t> value;
  };
  std::vector<Entry> entries_;  // sorted by code
  // entries_ position + 1 of each code, 0 when absent. At most 254
  // options can be set (codes 1-254), so a position fits.
  std::array<uint8_t, 256> index_{};
  std::vector<uint8_t> always_send_;
};

// Lease lifetimes in seconds (RFC 2131 §3.3). kInfinite is 0xffffffff.
inline constexpr uint32_t kInfinite = 0xffffffff;
struct Lifetimes {
  uint32_t valid = 3600;
  uint32_t min_valid = 60;
  uint32_t max_valid = 86400;
  double renew_percent = 50.0;   // T1 = valid * renew_percent / 100
  double rebind_percent = 87.5;  // T2
};

// How a reservation recognises its client.
enum class ReservationKey : uint8_t {
  kHwAddress,  // chaddr of an Ethernet client
  kClientId,   // option 61 bytes, exactly
  kCircuitId,  // option 82 sub-option 1, exactly (binary)
  kRemoteId,   // option 82 sub-option 2, exactly (binary)
};

struct Reservation {
  ReservationKey key_type = ReservationKey::kHwAddress;
  std::vector<uint8_t> key;  // 6 octets for kHwAddress
  Ipv4Address address;       // zero: options only, address from the pools
  std::string hostname;
  // Lifetime granted regardless of what the client asks; kInfinite allowed.
  std::optional<uint32_t> valid_lifetime;
  OptionSet options;     // merged: global < subnet < pool < reservation
  bool in_pool = false;  // `address` lies inside one of the subnet's pools
};

struct Pool {
  Ipv4Address first;
  Ipv4Address last;   // inclusive
  OptionSet options;  // merged: global < subnet < pool
  uint32_t size() const { return last.value() - first.value() + 1; }
  bool Contains(Ipv4Address a) const { return a >= first && a <= last; }
};

struct Subnet {
  uint32_t id = 0;  // operator-chosen, unique, stable across reloads
  Prefix prefix;
  std::vector<Pool> pools;  // sorted, non-overlapping
  // giaddrs outside `prefix` that also select this subnet (relay
  // loopbacks).
  std::vector<Ipv4Address> relay_addresses;
  Ipv4Address server_id;  // option 54 for this subnet
  Lifetimes lifetimes;
  bool authoritative = false;
  OptionSet options;  // merged: global < subnet
  std::vector<Reservation> reservations;
  // Addresses never handed out: routers, relay and server addresses that
  // fall inside the pools (besides network and broadcast addresses).
  std::vector<Ipv4Address> excluded;
};

// A port of the server and its own address on the attached link.
struct Interface {
  std::string name;
  Ipv4Address address;
  Prefix prefix;  // the attached link
  // The DPDK device behind the port: a virtual device with its arguments
  // ("net_af_packet0,iface=eth1") or a PCI address ("0000:03:00.0").
  // Empty: not given (leasewired --device NAME=SPEC must name it).
  std::string device;
};

// How leasewired runs its data plane ("dataplane" in the file).
struct Dataplane {
  uint32_t workers = 1;  // worker lcores, each owning a share of subnets
  // EAL arguments besides the lcores, which leasewired derives from
  // `workers`. The default suits labs and CI; production adds hugepages.
  std::vector<std::string> eal_args = {"--no-huge", "--no-pci", "-m", "512"};
  uint32_t mbufs_per_worker = 8191;  // packet buffers per worker pool
};

// Where and how leases are kept ("lease-database" in the file).
struct LeaseDatabase {
  std::string directory = "/var/lib/leasewire/leases";
  bool sync = true;  // "durability": "sync" (fsync the WAL) or "async"
};

// How the server is operated and watched ("control" in the file).
struct Control {
  // The Unix socket leasewirectl talks to. `leasewired --control-socket`
  // overrides.
  std::string socket = "/run/leasewire/leasewired.sock";
  uint32_t socket_mode = 0600;  // permission bits of the socket file
  // "host:port" of the Prometheus endpoint; empty: no endpoint.
  std::string metrics = "127.0.0.1:9167";
  // "address:port" of a JSON control port over TCP (the same protocol as
  // the socket); empty: none. Given as a bare port, the address is
  // 127.0.0.1.
  std::string tcp;
};

// Which client- or relay-supplied selectors the server believes.
struct Trust {
  bool link_selection = true;              // option 82.5 (RFC 3527)
  bool subnet_selection = true;            // option 118 (RFC 3011)
  bool relay_info_without_giaddr = false;  // option 82 with giaddr 0
  bool server_id_override = true;          // option 82.11 (RFC 5107)
};

struct Config {
  Ipv4Address server_id;  // default option 54
  std::vector<Interface> interfaces;
  Lifetimes lifetimes;
  uint32_t offer_lifetime = 30;        // seconds an OFFER is held
  uint32_t decline_probation = 86400;  // seconds
  bool authoritative = false;
  Trust trust;
  OptionSet options;            // global
  std::vector<Subnet> subnets;  // sorted by prefix
  Dataplane dataplane;
  LeaseDatabase lease_database;
  Control control;

  // The subnet whose prefix contains `a`, or nullptr. O(log n).
  const Subnet* FindSubnetContaining(Ipv4Address a) const;
  // The subnet selected by a relay with this giaddr: its prefix contains
  // it or it is one of the subnet's relay_addresses. O(1)/O(log n).
  const Subnet* FindSubnetForRelay(Ipv4Address giaddr) const;
  const Subnet* FindSubnetById(uint32_t id) const;
  // The interface named `name`, or nullptr.
  const Interface* FindInterface(std::string_view name) const;

  // Built by LoadConfig().
  absl::flat_hash_map<uint32_t, uint32_t> relay_index;  // giaddr -> subnet
  absl::flat_hash_map<uint32_t, uint32_t> id_index;     // id -> subnet
};

// Parses and validates JSON text. Errors name the place and the problem,
// e.g. "subnets[2].pools[0].pool: start 10.0.0.9 is after end 10.0.0.5".
absl::StatusOr<std::shared_ptr<const Config>> LoadConfig(
    std::string_view json_text);
absl::StatusOr<std::shared_ptr<const Config>> LoadConfigFile(
    const std::string& path);

// Whether two configs bind the same ports: the same interfaces in the same
// order, with the same name, address, link prefix and device. Ports are
// bound at start-up, so a reload that changes any of these is refused
// (and `config test` says so beforehand).
bool SameInterfaces(const Config& a, const Config& b);

// Encodes an option value given in the config's text form (see
// docs/configuration.md) for option `code`.
absl::StatusOr<std::vector<uint8_t>> EncodeOptionValue(uint8_t code,
                                                       std::string_view text);

}  // namespace leasewire::config

#endif  // LEASEWIRE_CONFIG_CONFIG_H_
