// File: leasewire/lease/lease_table.h
//
// LeaseTable holds one shard's lease records and indexes them by address
// and by client key. Records live in fixed-size chunks that never move, so
// growing the table allocates one chunk now and then and never copies; a
// Slot (a 32-bit index) names a record for as long as it exists.
//
// Index invariants:
//   1. Every record has a distinct address, and FindByAddress(r.address)
//      is its slot.
//   2. At most one record per client key is in the client index;
//      FindByClient(k) returns it. A record may be out of the client index
//      (UnindexClient) when its client moved to another record.
//
// Thread safety: thread-compatible. Exactly one worker (the shard's owner)
// reads and writes a table; there are no locks and no atomics.

#ifndef LEASEWIRE_LEASE_LEASE_TABLE_H_
#define LEASEWIRE_LEASE_LEASE_TABLE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "leasewire/lease/huge_page_allocator.h"
#include "leasewire/lease/lease.h"

namespace leasewire::lease {

using Slot = uint32_t;
inline constexpr Slot kNoSlot = 0xffffffff;

class LeaseTable {
 public:
  LeaseTable();
  LeaseTable(const LeaseTable&) = delete;
  LeaseTable& operator=(const LeaseTable&) = delete;

  // Declares that addresses [first, last] will be leased, so that the
  // address index for them is a flat array (4 octets per address). Other
  // addresses go to a hash index.
  // REQUIRES: ranges do not overlap; called before any Insert().
  void AddRange(Ipv4Address first, Ipv4Address last);

  // Sizes the client index for `records` records, so that a table that
  // never holds more (the addresses of its pools bound the records) never
  // rehashes while serving: no stall of the worker in a lease storm, and no
  // page faults for a growing index. Costs 8-16 octets per record, touched
  // now.
  void Reserve(size_t records);

  Slot FindByAddress(Ipv4Address address) const;
  Slot FindByClient(const ClientKey& key) const;

  // Creates a record for `address` (which has none) in state `state`,
  // with fields `f`, indexed by address and by client key (replacing the
  // client index entry of any other record with the same key).
  Slot Insert(Ipv4Address address, uint16_t subnet, LeaseState state,
              const LeaseFields& f);
  // Replaces the fields (and so possibly the client key) of a record and
  // re-indexes it.
  void Update(Slot slot, const LeaseFields& f);
  // Makes `slot` the record its client key finds (replacing any other).
  void IndexClient(Slot slot);
  // Removes the record's client-index entry, if it is the indexed one.
  void UnindexClient(Slot slot);
  // Whether `slot` is the record its client key finds.
  bool IsIndexedClient(Slot slot) const;
  // Destroys the record and its index entries.
  void Erase(Slot slot);

  Lease& at(Slot slot) {
    return chunks_[slot >> kChunkShift].get()[slot & kMask];
  }
  const Lease& at(Slot slot) const {
    return chunks_[slot >> kChunkShift].get()[slot & kMask];
  }
  bool live(Slot slot) const;

  size_t size() const {
    size_t n = 0;
    for (const size_t c : by_state_) n += c;
    return n;
  }
  // Changes a record's state; use it instead of writing Lease::state, so
  // that count() stays right.
  void SetState(Lease& lease, LeaseState state) {
    --by_state_[static_cast<size_t>(lease.state)];
    ++by_state_[static_cast<size_t>(state)];
    lease.state = state;
  }
  // Records in `state`, kept as they change: O(1), for the once-a-second
  // statistics that must not walk millions of records on a worker.
  size_t count(LeaseState state) const {
    return by_state_[static_cast<size_t>(state)];
  }
  // Calls f(slot, lease) for every record, in slot order.
  template <typename F>
  void ForEach(F f) const {
    for (Slot s = 0; s < next_slot_; ++s) {
      if (live(s)) f(s, at(s));
    }
  }

  // Heap bytes held by records, indexes and chunk headers.
  size_t MemoryUsage() const;
  // Buckets of the client index (it rehashes when 3/4 full).
  size_t client_buckets() const { return clients_.size(); }

  // Records are allocated this many at a time: 32,768 records of 64
  // octets fill one 2 MiB block.
  static constexpr uint32_t kChunkShift = 15;
  static constexpr uint32_t kRecordsPerChunk = uint32_t{1} << kChunkShift;

 private:
  static constexpr uint32_t kMask = kRecordsPerChunk - 1;

  struct Range {
    uint32_t first;
    uint32_t last;
    HugeVector<Slot> slots;
  };
  // Destroys a chunk's records and frees it.
  struct ChunkDeleter {
    void operator()(Lease* chunk) const;
  };

  Slot* AddressEntry(Ipv4Address address);
  const Slot* AddressEntry(Ipv4Address address) const;
  Slot NewSlot();

  std::vector<std::unique_ptr<Lease, ChunkDeleter>> chunks_;
  std::vector<uint64_t> live_;  // bit per slot
  std::vector<Slot> free_slots_;
  Slot next_slot_ = 0;
  // Live records by LeaseState value (1..5); their sum is size().
  std::array<size_t, 6> by_state_{};
  std::vector<Range> ranges_;  // sorted by first
  absl::flat_hash_map<uint32_t, Slot> other_addresses_;
  // The client index: open addressing with linear probing over a
  // power-of-two array of (key hash << 32 | slot) entries, kNoSlot in the
  // low half when free. The hash beside the slot lets a probe skip other
  // keys, and a resize move entries, without reading their records; a
  // probe reads one cache line where a separate control array would cost
  // two.
  static constexpr size_t kNoEntry = ~size_t{0};
  size_t FindClientEntry(Slot slot) const;  // kNoEntry: not indexed
  void EraseClientEntry(size_t i);
  void GrowClients();
  void RehashClients(size_t buckets);  // buckets: a power of two
  HugeVector<uint64_t> clients_;
  size_t client_count_ = 0;
};

}  // namespace leasewire::lease

#endif  // LEASEWIRE_LEASE_LEASE_TABLE_H_
