#include "leasewire/lease/lease_table.h"

#include <algorithm>

namespace leasewire::lease {

LeaseTable::LeaseTable() : clients_(0, KeyHash{this}, KeyEq{this}) {}

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
  const auto it = clients_.find(key);
  return it == clients_.end() ? kNoSlot : *it;
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
    chunks_.push_back(std::make_unique<Lease[]>(kChunkSize));
    live_.resize((size_t{next_slot_} + kChunkSize) / 64, 0);
  }
  return next_slot_++;
}

void LeaseTable::IndexClient(Slot slot) {
  // A key has one entry: the newest record with it replaces the old one.
  const auto [it, inserted] = clients_.insert(slot);
  if (!inserted && *it != slot) {
    clients_.erase(it);
    clients_.insert(slot);
  }
}

bool LeaseTable::IsIndexedClient(Slot slot) const {
  return FindByClient(at(slot).key()) == slot;
}

void LeaseTable::UnindexClient(Slot slot) {
  if (IsIndexedClient(slot)) clients_.erase(slot);
}

Slot LeaseTable::Insert(Ipv4Address address, uint16_t subnet, LeaseState state,
                        const LeaseFields& f) {
  const Slot slot = NewSlot();
  live_[slot >> 6] |= uint64_t{1} << (slot & 63);
  ++size_;
  Lease& lease = at(slot);
  lease.address = address;
  lease.subnet = subnet;
  lease.state = state;
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
  lease.ClearFields();
  live_[slot >> 6] &= ~(uint64_t{1} << (slot & 63));
  free_slots_.push_back(slot);
  --size_;
}

size_t LeaseTable::MemoryUsage() const {
  size_t bytes = chunks_.size() * kChunkSize * sizeof(Lease) +
                 chunks_.capacity() * sizeof(chunks_[0]) +
                 live_.capacity() * sizeof(uint64_t) +
                 free_slots_.capacity() * sizeof(Slot);
  for (const Range& r : ranges_) bytes += r.slots.capacity() * sizeof(Slot);
  // flat_hash_set: one slot and one control byte per bucket.
  bytes += clients_.bucket_count() * (sizeof(Slot) + 1);
  bytes +=
      other_addresses_.bucket_count() * (sizeof(std::pair<uint32_t, Slot>) + 1);
  ForEach([&bytes](Slot, const Lease& l) {
    bytes += l.bytes.HeapBytes(l.bytes_size());
  });
  return bytes;
}

}  // namespace leasewire::lease
