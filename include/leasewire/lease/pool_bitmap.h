// File: leasewire/lease/pool_bitmap.h
//
// PoolBitmap tracks which addresses of one pool are free: one bit per
// address, plus a summary bit per 64-bit word saying "this word has a free
// bit". Allocation scans summary words from a rotating cursor, so finding a
// free address costs words of words, not addresses, even in a nearly full
// pool of millions of addresses; the cursor spreads allocations so that a
// just-released address is not handed to the next client at once.
//
// Thread safety: thread-compatible; owned by one shard's worker.

#ifndef LEASEWIRE_LEASE_POOL_BITMAP_H_
#define LEASEWIRE_LEASE_POOL_BITMAP_H_

#include <cstdint>
#include <optional>
#include <vector>

namespace leasewire::lease {

class PoolBitmap {
 public:
  // A pool of `size` addresses, all free.
  explicit PoolBitmap(uint32_t size);

  uint32_t size() const { return size_; }
  uint32_t free_count() const { return free_; }
  bool IsFree(uint32_t offset) const {
    return (words_[offset >> 6] >> (offset & 63)) & 1;
  }

  // Marks `offset` used; returns false if it already was.
  // REQUIRES: offset < size().
  bool Take(uint32_t offset);
  // Marks `offset` free; returns false if it already was.
  // REQUIRES: offset < size().
  bool Release(uint32_t offset);

  // Takes the next free address at or after the cursor (wrapping around)
  // and moves the cursor past it; nullopt when the pool is full.
  std::optional<uint32_t> Allocate();

  // Heap bytes held.
  size_t MemoryUsage() const {
    return (words_.capacity() + summary_.capacity()) * sizeof(uint64_t);
  }

 private:
  void SetSummary(uint32_t word);

  std::vector<uint64_t> words_;    // bit i: address i is free
  std::vector<uint64_t> summary_;  // bit w: words_[w] != 0
  uint32_t size_;
  uint32_t free_;
  uint32_t cursor_ = 0;  // next offset to try
};

}  // namespace leasewire::lease

#endif  // LEASEWIRE_LEASE_POOL_BITMAP_H_
