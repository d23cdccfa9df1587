#include "leasewire/lease/lease_table.h"

#include <algorithm>
#include <memory>

namespace leasewire::lease {

namespace {

constexpr uint64_t kFreeEntry = ~uint64_t{0};

uint64_t MakeEntry(uint32_t hash, Slot slot) {
  return (uint64_t{hash} << 32) | slot;
}
Slot EntrySlot(uint64_t e) { return static_cast<Slot>(e); }
uint32_t EntryHash(uint64_t e) { return static_cast<uint32_t>(e >> 32); }
bool IsFree(uint64_t e) { return EntrySlot(e) == kNoSlot; }

}  // namespace

LeaseTable::LeaseTable() = default;

void LeaseTable::ChunkDeleter::operator()(Lease* chunk) const {
  for (uint32_t i = 0; i < kRecordsPerChunk; ++i) chunk[i].~Lease();
  FreeHuge(chunk, kRecordsPerChunk * sizeof(Lease));
}

void LeaseTable::AddRange(Ipv4Address first, Ipv4Address last) {
  Range r{first.value(), last.value(), {}};
  r.slots.assign(size_t{r.last} - r.first + 1, kNoSlot);
  const auto pos =
      std::lower_bound(ranges_.begin(), ranges_.end(), r.first,
                       [](const Range& x, uint32_t v) { return x.first < v; });
  ranges_.insert(pos, std::move(r));
}

const Slot* LeaseTable::AddressEntry(Ipv4Address address) const {
  const uint32_t a = address.value();
  auto it =
      std::upper_bound(ranges_.begin(), ranges_.end(), a,
                       [](uint32_t v, const Range& x) { return v < x.first; });
  if (it != ranges_.begin()) {
    --it;
    if (a <= it->last) return &it->slots[a - it->first];
  }
  return nullptr;
}

Slot* LeaseTable::AddressEntry(Ipv4Address address) {
  return const_cast<Slot*>(std::as_const(*this).AddressEntry(address));
}

Slot LeaseTable::FindByAddress(Ipv4Address address) const {
  if (const Slot* e = AddressEntry(address)) return *e;
  const auto it = other_addresses_.find(address.value());
  return it == other_addresses_.end() ? kNoSlot : it->second;
}

Slot LeaseTable::FindByClient(const ClientKey& key) const {
  if (clients_.empty()) return kNoSlot;
  const uint32_t hash = key.hash != 0 ? key.hash : HashClientKey(key);
  const size_t mask = clients_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint64_t e = clients_[i];
    if (IsFree(e)) return kNoSlot;
    if (EntryHash(e) == hash && at(EntrySlot(e)).key() == key) {
      return EntrySlot(e);
    }
  }
}

size_t LeaseTable::FindClientEntry(Slot slot) const {
  if (clients_.empty()) return kNoEntry;
  const uint32_t hash = at(slot).key_hash;
  const size_t mask = clients_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint64_t e = clients_[i];
    if (IsFree(e)) return kNoEntry;
    if (EntrySlot(e) == slot) return i;
  }
}

void LeaseTable::EraseClientEntry(size_t i) {
  // Backward-shift deletion: later entries of the probe run move up so
  // that no look-up stops early at the hole.
  const size_t mask = clients_.size() - 1;
  size_t hole = i;
  for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
    const uint64_t e = clients_[j];
    if (IsFree(e)) break;
    const size_t home = EntryHash(e) & mask;
    // Move e into the hole unless its home lies cyclically in (hole, j].
    const bool stays =
        hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      clients_[hole] = e;
      hole = j;
    }
  }
  clients_[hole] = kFreeEntry;
  --client_count_;
}

void LeaseTable::GrowClients() {
  RehashClients(clients_.empty() ? 16 : clients_.size() * 2);
}

void LeaseTable::Reserve(size_t records) {
  // At most 3/4 full, as IndexClient() keeps it.
  size_t buckets = 16;
  while (buckets * 3 < records * 4) buckets *= 2;
  if (buckets > clients_.size()) RehashClients(buckets);
}

void LeaseTable::RehashClients(size_t buckets) {
  // At most 3/4 full, so that a miss probes a few entries.
  HugeVector<uint64_t> old(buckets, kFreeEntry);
  old.swap(clients_);
  const size_t mask = buckets - 1;
  for (const uint64_t e : old) {
    if (IsFree(e)) continue;
    size_t i = EntryHash(e) & mask;
    while (!IsFree(clients_[i])) i = (i + 1) & mask;
    clients_[i] = e;
  }
}

bool LeaseTable::live(Slot slot) const {
  return slot < next_slot_ && ((live_[slot >> 6] >> (slot & 63)) & 1);
}

Slot LeaseTable::NewSlot() {
  if (!free_slots_.empty()) {
    const Slot s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  if ((next_slot_ & kMask) == 0) {
    auto* chunk =
        static_cast<Lease*>(AllocateHuge(kRecordsPerChunk * sizeof(Lease)));
    std::uninitialized_default_construct_n(chunk, kRecordsPerChunk);
    chunks_.emplace_back(chunk);
    live_.resize((size_t{next_slot_} + kRecordsPerChunk) / 64, 0);
  }
  return next_slot_++;
}

void LeaseTable::IndexClient(Slot slot) {
  if ((client_count_ + 1) * 4 > clients_.size() * 3) GrowClients();
  // A key has one entry: the newest record with it replaces the old one.
  const ClientKey key = at(slot).key();
  const uint32_t hash = key.hash;
  const size_t mask = clients_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint64_t e = clients_[i];
    if (IsFree(e)) {
      clients_[i] = MakeEntry(hash, slot);
      ++client_count_;
      return;
    }
    if (EntryHash(e) == hash &&
        (EntrySlot(e) == slot || at(EntrySlot(e)).key() == key)) {
      clients_[i] = MakeEntry(hash, slot);
      return;
    }
  }
}

bool LeaseTable::IsIndexedClient(Slot slot) const {
  // At most one entry per key, so the record's own slot is in the index
  // exactly when a look-up of its key finds it.
  return FindClientEntry(slot) != kNoEntry;
}

void LeaseTable::UnindexClient(Slot slot) {
  const size_t i = FindClientEntry(slot);
  if (i != kNoEntry) EraseClientEntry(i);
}

Slot LeaseTable::Insert(Ipv4Address address, uint16_t subnet, LeaseState state,
                        const LeaseFields& f) {
  const Slot slot = NewSlot();
  live_[slot >> 6] |= uint64_t{1} << (slot & 63);
  Lease& lease = at(slot);
  lease.address = address;
  lease.subnet = subnet;
  lease.state = state;
  ++by_state_[static_cast<size_t>(state)];
  lease.flags = 0;
  lease.start = 0;
  lease.expiry = 0;
  lease.SetFields(f);
  if (Slot* e = AddressEntry(address)) {
    *e = slot;
  } else {
    other_addresses_[address.value()] = slot;
  }
  IndexClient(slot);
  return slot;
}

void LeaseTable::Update(Slot slot, const LeaseFields& f) {
  UnindexClient(slot);
  at(slot).SetFields(f);
  IndexClient(slot);
}

void LeaseTable::Erase(Slot slot) {
  UnindexClient(slot);
  Lease& lease = at(slot);
  if (Slot* e = AddressEntry(lease.address)) {
    *e = kNoSlot;
  } else {
    other_addresses_.erase(lease.address.value());
  }
  --by_state_[static_cast<size_t>(lease.state)];
  lease.ClearFields();
  live_[slot >> 6] &= ~(uint64_t{1} << (slot & 63));
  free_slots_.push_back(slot);
}

size_t LeaseTable::MemoryUsage() const {
  size_t bytes = chunks_.size() * kRecordsPerChunk * sizeof(Lease) +
                 chunks_.capacity() * sizeof(chunks_[0]) +
                 live_.capacity() * sizeof(uint64_t) +
                 free_slots_.capacity() * sizeof(Slot);
  for (const Range& r : ranges_) bytes += r.slots.capacity() * sizeof(Slot);
  bytes += clients_.capacity() * sizeof(uint64_t);
  bytes +=
      other_addresses_.bucket_count() * (sizeof(std::pair<uint32_t, Slot>) + 1);
  ForEach([&bytes](Slot, const Lease& l) {
    bytes += l.bytes.HeapBytes(l.bytes_size());
  });
  return bytes;
}

}  // namespace leasewire::lease
