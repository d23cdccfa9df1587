// File: leasewire/engine/engine.h
//
// The server's decisions. Engine owns one shard: the lease table, pools,
// reservations index and timers of a set of subnets. Given a parsed request,
// where it came from and the time, Process() decides the reply (written into
// the caller's buffer, with its addressing per RFC 2131 §4.1) and appends the
// lease changes to persist to a MutationLog. Nothing here does I/O, reads a
// clock or takes a lock; the same inputs give the same outputs.
//
// Time is engine seconds (lease::Seconds): a monotonic count chosen by the
// owner. Wall-clock steps never reach the engine (shared/cases LEA-04).
//
// Thread safety: thread-compatible. One worker owns an Engine; other
// threads talk to it through that worker (docs/architecture.md).
//
// Example:
//   Engine engine(config, config->subnets_owned_by(worker), now);
//   Decision d = engine.Handle(msg, ingress, now, reply_buf, &log);
//   if (d.action == Action::kReply) Transmit(reply_buf, d.reply_size, d.route);

#ifndef LEASEWIRE_ENGINE_ENGINE_H_
#define LEASEWIRE_ENGINE_ENGINE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "leasewire/config/config.h"
#include "leasewire/engine/mutation.h"
#include "leasewire/lease/lease_table.h"
#include "leasewire/lease/pool_bitmap.h"
#include "leasewire/lease/timer_wheel.h"
#include "leasewire/wire/dhcp_message.h"
#include "leasewire/wire/frame.h"

namespace leasewire::engine {

using lease::Seconds;
using wire::Ipv4Address;
using wire::MacAddress;

// Where a request came from, as the data plane saw it.
struct Ingress {
  // The receiving port's own address and link; nullptr when the port has
  // none (a relay-only uplink).
  const config::Interface* interface = nullptr;
  MacAddress eth_src;
  Ipv4Address ip_src;
  Ipv4Address ip_dst;
  uint16_t src_port = wire::kDhcpClientPort;
};

enum class Action : uint8_t {
  kReply,   // transmit reply_size octets to `route`
  kSilent,  // the protocol wants no reply (RELEASE, DECLINE, another
            // server's REQUEST, INIT-REBOOT from an unknown client)
  kDrop,    // refused; `reason` says why
};

// Why a request got no reply. Stable: counters are labelled with the
// names; append before kCount.
enum class Reason : uint8_t {
  kNone = 0,
  kNoSubnet,            // no subnet for giaddr / link / interface
  kUntrustedRelayInfo,  // option 82 with giaddr 0, not trusted (REL-08)
  kNoClientIdentity,    // no client-id and no usable chaddr
  kPoolExhausted,       // no free address (RFC 2131 §4.3.1)
  kNotForUs,            // REQUEST naming another server (§4.3.2)
  kUnknownClient,       // INIT-REBOOT/RENEW with no record, not
                        // authoritative (§4.3.2)
  kMalformedRequest,    // REQUEST that is none of the §4.3.2 states
  kNoAddressToAnswer,   // INFORM with neither ciaddr nor IP source
  kReplyTooLarge,       // mandatory options do not fit
  kReleaseIgnored,      // RELEASE of an address the client does not
                        // hold (§4.3.4; CLI-11)
  kDeclineIgnored,      // DECLINE of an address the client does not
                        // hold (§4.3.3)
  kWrongShard,          // the subnet belongs to another worker
  kReleased,            // RELEASE handled (no reply by design)
  kDeclined,            // DECLINE handled (no reply by design)
  kCount
};
inline constexpr int kReasonCount = static_cast<int>(Reason::kCount);
std::string_view ReasonName(Reason reason);

// Where the reply goes (RFC 2131 §4.1, RFC 8357).
struct Route {
  MacAddress eth_dst;
  Ipv4Address ip_dst;
  uint16_t dst_port = wire::kDhcpClientPort;
};

struct Decision {
  Action action = Action::kDrop;
  Reason reason = Reason::kNone;
  wire::MessageType reply_type = wire::MessageType::kOffer;
  size_t reply_size = 0;  // BOOTP payload octets written
  Route route;
};

// The subnet a request belongs to, chosen before the shard owner is known.
struct SubnetChoice {
  const config::Subnet* subnet = nullptr;  // nullptr: dropped for `reason`
  Reason reason = Reason::kNone;
};

// Subnet selection: option 82.5 link-selection (RFC 3527) or option 118
// (RFC 3011) when trusted, then giaddr, then ciaddr for a client renewing
// by unicast, then the receiving interface's link.
SubnetChoice SelectSubnet(const config::Config& config,
                          const wire::DhcpMessage& request,
                          const Ingress& ingress);

// Per-engine counters; one writer (the owning worker).
struct Counters {
  std::array<uint64_t, 19> received{};  // by message type
  std::array<uint64_t, 19> sent{};      // by message type
  std::array<uint64_t, kReasonCount> reasons{};
  uint64_t options_dropped = 0;  // optional options left out for size
  uint64_t expired = 0;          // leases whose lifetime ran out
  uint64_t offers_timed_out = 0;
  uint64_t probation_ended = 0;
};

struct EngineOptions {
  uint16_t port_mtu = 1500;  // caps replies with the client's option 57
};

class Engine {
 public:
  // Serves the subnets of `config` whose indexes are in `owned` (all of
  // them when empty). `now`: the current engine time.
  Engine(std::shared_ptr<const config::Config> config,
         std::span<const uint32_t> owned, Seconds now,
         EngineOptions options = {});
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine();

  // SelectSubnet() then Process().
  Decision Handle(const wire::DhcpMessage& request, const Ingress& ingress,
                  Seconds now, std::span<uint8_t> reply, MutationLog* log);

  // Decides on `request` for `subnet` (chosen by SelectSubnet()). Writes
  // the BOOTP reply into `reply` and appends lease changes to `log`.
  // REQUIRES: request passed DhcpMessage::ParseRequest().
  Decision Process(const wire::DhcpMessage& request, const Ingress& ingress,
                   const config::Subnet& subnet, Seconds now,
                   std::span<uint8_t> reply, MutationLog* log);

  // Runs the timers due by `now`: ends offers, expires leases, ends decline
  // probation. Appends kExpire mutations.
  void Tick(Seconds now, MutationLog* log);

  // Loads a persisted lease (start-up recovery). Returns false, and loads
  // nothing, when its subnet or address is not served here or the address
  // is taken.
  bool Restore(const LeaseImage& image);

  // Operator's delete (control plane): the lease on `address` ends now,
  // the address returns to its pool, and a kDelete mutation removes the
  // record from the store. Returns false when there is no record.
  bool DeleteLease(Ipv4Address address, MutationLog* log);
  // The config id of the subnet a lease of this engine's table is in.
  uint32_t SubnetIdOf(const lease::Lease& l) const;

  bool Owns(const config::Subnet& subnet) const;
  const lease::LeaseTable& table() const { return table_; }
  const Counters& counters() const { return counters_; }
  const config::Config& config() const { return *config_; }

  // Free and total addresses over the pools of the subnet with `id`.
  struct Utilization {
    uint64_t total = 0;
    uint64_t free = 0;
  };
  Utilization SubnetUtilization(uint32_t subnet_id) const;

  // Heap bytes of lease records, indexes, pools and timers.
  size_t MemoryUsage() const;

 private:
  struct SubnetState;
  struct Request;

  Decision Discover(Request& r);
  Decision RequestMessage(Request& r);
  Decision Decline(Request& r);
  Decision Release(Request& r);
  Decision Inform(Request& r);

  Decision Ack(Request& r, lease::Slot slot, uint32_t lifetime);
  Decision Nak(Request& r);
  Decision Reply(Request& r, wire::MessageType type, Ipv4Address yiaddr,
                 uint32_t lifetime, const config::OptionSet& options);
  Decision Silent(Request& r, Reason reason);
  Decision Drop(Request& r, Reason reason);

  lease::Slot FindClientLease(Request& r) const;
  bool BelongsTo(const lease::Lease& l, const Request& r) const;
  bool BelongsTo(const lease::Lease& l, const Request& r, bool same_key) const;
  const config::Reservation* FindReservation(Request& r) const;
  const config::Reservation* LookUpReservation(const Request& r) const;
  lease::Slot Allocate(Request& r, const config::Reservation* res);
  // `taken_in`: the pool whose bit `taken_offset` (the address's)
  // Allocate() has taken for this claim.
  lease::Slot Claim(Request& r, Ipv4Address address, bool reserved,
                    lease::PoolBitmap* taken_in = nullptr,
                    uint32_t taken_offset = 0);
  uint32_t Lifetime(const Request& r, const config::Reservation* res) const;
  bool IsOurServerId(const Request& r, Ipv4Address id) const;
  const config::OptionSet& OptionsFor(Request& r, Ipv4Address address) const;

  // Marks `a` held or free in its pool (no-op for reserved addresses and
  // addresses outside the pools).
  void SetHeld(SubnetState& s, Ipv4Address a, bool held);
  bool AddressIsFree(const SubnetState& s, Ipv4Address a) const;
  void Schedule(lease::Slot slot) {
    wheel_.Schedule(slot, table_.at(slot).expiry);
  }
  void Log(MutationLog* log, MutationKind kind, lease::Slot slot);

  // Options rendered for a (option set, parameter request list) pair, so
  // that the many clients sending the same list get a copy (CPEs of one
  // model ask for the same options).
  // `bytes` holds option 1 as sent before 61 (mask_size octets, 0 when not
  // sent), then the options sent after 61 (size octets), so that a reply
  // needs no option look-up at all (WriteCachedReply()).
  struct RenderedOptions {
    const config::OptionSet* set = nullptr;
    const SubnetState* subnet = nullptr;  // its netmask is option 1's default
    uint8_t prl_size = 0;
    uint8_t mask_size = 0;
    uint16_t size = 0;
    std::array<uint8_t, 32> prl;
    std::array<uint8_t, 480> bytes;
  };
  static constexpr size_t kRenderedSlots = 64;
  RenderedOptions* FindRendered(const config::OptionSet& set,
                                const SubnetState& subnet,
                                std::span<const uint8_t> prl);
  size_t WriteCachedReply(const Request& r, wire::MessageType type,
                          Ipv4Address yiaddr, uint32_t lifetime,
                          uint32_t renewal, uint32_t rebinding,
                          const RenderedOptions& c, size_t max_size) const;

  std::shared_ptr<const config::Config> config_;
  EngineOptions options_;
  std::vector<RenderedOptions> rendered_;
  RenderedOptions* last_rendered_ = nullptr;  // FindRendered()'s last slot
  std::vector<std::unique_ptr<SubnetState>> subnets_;  // shard-local index
  absl::flat_hash_map<uint32_t, uint16_t> by_subnet_id_;
  // Process()'s look-up of by_subnet_id_, kept for the next request.
  uint32_t last_subnet_id_ = 0;
  SubnetState* last_subnet_ = nullptr;
  lease::LeaseTable table_;
  lease::TimerWheel wheel_;
  Counters counters_;
};

}  // namespace leasewire::engine

#endif  // LEASEWIRE_ENGINE_ENGINE_H_
