// File: leasewire/lease/lease.h
//
// The in-memory lease record and the client key. A Lease is 64 bytes: fixed
// fields plus up to 40 octets of variable data (client identifier, hardware
// address, relay circuit-id and remote-id, host name) kept inline; longer
// data moves to one heap block owned by the record. Typical CPEs (a 7-octet
// client-id, 6-octet MAC, a circuit-id of 10-20 octets) stay inline.
//
// Times are engine seconds: a monotonic clock chosen by the owner (see
// engine/engine.h); kNever marks an infinite lease (RFC 2131 §3.3).
//
// Thread safety: thread-compatible; a record belongs to one shard.

#ifndef LEASEWIRE_LEASE_LEASE_H_
#define LEASEWIRE_LEASE_LEASE_H_

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "leasewire/wire/types.h"

namespace leasewire::lease {

using wire::Ipv4Address;

// Engine time in seconds.
using Seconds = uint32_t;
inline constexpr Seconds kNever = 0xffffffff;

enum class LeaseState : uint8_t {
  kOffered = 1,   // in memory only, until offer_lifetime runs out
  kBound = 2,     // ACKed
  kReleased = 3,  // ended by DHCPRELEASE; kept for affinity
  kDeclined = 4,  // DHCPDECLINE: address in probation until `expiry`
  kExpired = 5,   // lifetime ran out; kept for affinity
};

std::string_view LeaseStateName(LeaseState state);  // "bound"

// Whether the address is held (not available to anyone else).
inline bool HoldsAddress(LeaseState s) {
  return s == LeaseState::kOffered || s == LeaseState::kBound ||
         s == LeaseState::kDeclined;
}

// Who a client is (RFC 2131 §4.2): its client identifier (option 61) when it
// sent one, else its hardware type and address. A view: the bytes belong to
// the caller.
struct ClientKey {
  bool is_client_id = false;
  uint8_t htype = 0;  // when !is_client_id
  std::span<const uint8_t> bytes;
  uint32_t hash = 0;  // HashClientKey() of the above; see MakeClientKey()

  friend bool operator==(const ClientKey& a, const ClientKey& b) {
    return a.is_client_id == b.is_client_id && a.htype == b.htype &&
           a.bytes.size() == b.bytes.size() &&
           (a.bytes.empty() ||
            std::memcmp(a.bytes.data(), b.bytes.data(), a.bytes.size()) == 0);
  }
};

// The hash of a key's identity (its `hash` field is not an input).
uint32_t HashClientKey(const ClientKey& key);

// A key with its hash filled in, so that look-ups and inserts hash once.
inline ClientKey MakeClientKey(bool is_client_id, uint8_t htype,
                               std::span<const uint8_t> bytes) {
  ClientKey k{is_client_id, htype, bytes, 0};
  k.hash = HashClientKey(k);
  return k;
}

// The variable-length part of a lease: inline up to kInline octets, else
// one heap block whose pointer and capacity live in the inline storage. The
// size is kept by the owner (Lease), which keeps the record at 64 bytes.
class LeaseBytes {
 public:
  static constexpr size_t kInline = 38;

  LeaseBytes() = default;
  LeaseBytes(const LeaseBytes&) = delete;
  LeaseBytes& operator=(const LeaseBytes&) = delete;

  // Changes the size from `old_size` to `new_size` (contents undefined)
  // and returns the storage. Allocates only when new_size > kInline and
  // the current heap block, if any, is smaller.
  uint8_t* Resize(size_t old_size, size_t new_size);
  const uint8_t* data(size_t size) const {
    return size > kInline ? HeapPtr() : storage_;
  }
  // Frees the heap block, if any. REQUIRES: `size` is the current size.
  void Reset(size_t size);
  size_t HeapBytes(size_t size) const {
    return size > kInline ? HeapCapacity() : 0;
  }

 private:
  uint8_t* HeapPtr() const {
    uint8_t* p;
    std::memcpy(&p, storage_, sizeof(p));
    return p;
  }
  uint32_t HeapCapacity() const {
    uint32_t c;
    std::memcpy(&c, storage_ + sizeof(uint8_t*), sizeof(c));
    return c;
  }

  uint8_t storage_[kInline];
};

// The fields of a lease a caller sets in one go (the variable parts are
// views, copied into the record).
struct LeaseFields {
  std::span<const uint8_t> client_id;  // empty when the client sent none
  uint8_t htype = 0;
  std::span<const uint8_t> chaddr;  // hlen octets
  std::span<const uint8_t> circuit_id;
  std::span<const uint8_t> remote_id;
  std::string_view hostname;
  // HashClientKey() of the key these fields make, when the caller has it;
  // 0: compute it.
  uint32_t key_hash = 0;
};

struct Lease {
  Lease() = default;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { bytes.Reset(bytes_size()); }

  Ipv4Address address;
  Seconds start = 0;   // cltt: when the lease was last granted or renewed
  Seconds expiry = 0;  // end of the lifetime (or of the offer/probation)
  uint32_t key_hash = 0;
  uint16_t subnet = 0;  // shard-local subnet index
  LeaseState state = LeaseState::kOffered;
  uint8_t flags = 0;
  uint8_t htype = 0;
  uint8_t hlen = 0;
  uint8_t client_id_len = 0;
  uint8_t circuit_id_len = 0;
  uint8_t remote_id_len = 0;
  uint8_t hostname_len = 0;
  LeaseBytes bytes;  // client_id | chaddr | circuit_id | remote_id | hostname

  static constexpr uint8_t kFlagReserved = 1;   // address from a reservation
  static constexpr uint8_t kFlagEverBound = 2;  // was ACKed at least once

  // Octets of variable data held.
  size_t bytes_size() const {
    return size_t{client_id_len} + hlen + circuit_id_len + remote_id_len +
           hostname_len;
  }
  const uint8_t* data() const { return bytes.data(bytes_size()); }
  // Frees the variable data and clears the lengths.
  void ClearFields();

  // Copies `f` into the record. Values longer than 255 octets are cut to
  // 255 (a DHCP option cannot be longer without RFC 3396 splitting, and no
  // identifier needs more).
  // REQUIRES: `f` does not point into this record.
  void SetFields(const LeaseFields& f);

  std::span<const uint8_t> client_id() const { return {data(), client_id_len}; }
  std::span<const uint8_t> chaddr() const {
    return {data() + client_id_len, hlen};
  }
  std::span<const uint8_t> circuit_id() const {
    return {data() + client_id_len + hlen, circuit_id_len};
  }
  std::span<const uint8_t> remote_id() const {
    return {data() + client_id_len + hlen + circuit_id_len, remote_id_len};
  }
  std::string_view hostname() const {
    return {reinterpret_cast<const char*>(data()) + client_id_len + hlen +
                circuit_id_len + remote_id_len,
            hostname_len};
  }
  ClientKey key() const {
    if (client_id_len > 0) return {true, 0, client_id(), key_hash};
    return {false, htype, chaddr(), key_hash};
  }
  bool infinite() const { return expiry == kNever; }
};

static_assert(sizeof(Lease) <= 64, "keep the lease record compact");

}  // namespace leasewire::lease

#endif  // LEASEWIRE_LEASE_LEASE_H_
