// File: leasewire/engine/mutation.h
//
// Lease changes the engine decided, as plain values for the store: each
// Mutation carries a full image of the lease after the change, so the
// store can write it without looking at the engine's tables. A MutationLog
// collects the mutations of one poll cycle; Clear() keeps its capacity, so
// a worker that reuses one log does not allocate in steady state.
//
// Thread safety: thread-compatible.

#ifndef LEASEWIRE_ENGINE_MUTATION_H_
#define LEASEWIRE_ENGINE_MUTATION_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "leasewire/lease/lease.h"

namespace leasewire::engine {

enum class MutationKind : uint8_t {
  kBind = 1,     // a new lease was ACKed (or an old one ACKed anew)
  kExtend = 2,   // a bound lease was renewed or rebound
  kRelease = 3,  // DHCPRELEASE (RFC 2131 §4.3.4)
  kDecline = 4,  // DHCPDECLINE: address in probation (§4.3.3)
  kExpire = 5,   // lifetime or probation ran out
  kDelete = 6,   // removed by the operator: the record is deleted
};
std::string_view MutationKindName(MutationKind kind);

// A lease as persisted; spans point into the owning log or the caller's
// buffers.
struct LeaseImage {
  lease::Ipv4Address address;
  uint32_t subnet_id = 0;
  lease::LeaseState state = lease::LeaseState::kBound;
  uint8_t flags = 0;
  lease::Seconds start = 0;
  lease::Seconds expiry = 0;
  uint8_t htype = 0;
  std::span<const uint8_t> client_id;
  std::span<const uint8_t> chaddr;
  std::span<const uint8_t> circuit_id;
  std::span<const uint8_t> remote_id;
  std::string_view hostname;
};

struct Mutation {
  MutationKind kind;
  LeaseImage lease;
};

class MutationLog {
 public:
  // Appends a mutation with an image of `l`.
  void Append(MutationKind kind, const lease::Lease& l, uint32_t subnet_id);
  void Clear();

  size_t size() const { return headers_.size(); }
  bool empty() const { return headers_.empty(); }
  // The i-th mutation; its spans are valid until the next Append/Clear.
  Mutation operator[](size_t i) const;

 private:
  struct Header {
    MutationKind kind;
    lease::LeaseState state;
    uint8_t flags;
    uint8_t htype;
    lease::Ipv4Address address;
    uint32_t subnet_id;
    lease::Seconds start;
    lease::Seconds expiry;
    uint32_t offset;  // into bytes_
    uint8_t client_id_len, hlen, circuit_id_len, remote_id_len, hostname_len;
  };
  std::vector<Header> headers_;
  std::vector<uint8_t> bytes_;
};

}  // namespace leasewire::engine

#endif  // LEASEWIRE_ENGINE_MUTATION_H_
