// File: leasewire/lease/huge_page_allocator.h
//
// HugePageAllocator<T> is a std::allocator replacement for the shard's large
// arrays (the client index, the per-pool address index, the record chunks):
// an allocation of 2 MiB or more is aligned to 2 MiB and rounded up to a
// multiple of it, so that where transparent huge pages are on for every
// process ("always" in /sys/kernel/mm/transparent_hugepage/enabled) the
// kernel can back it with whole huge pages. It does not ask for them with
// MADV_HUGEPAGE: on the 2-vCPU VM of docs/benchmarks.md the advice made a
// growing table slower and its timing erratic (each 2 MiB fault clears a
// whole huge page; BM_EngineDora 0.95-1.98 M leases/s with it, 1.77-1.85
// M/s without) and gave nothing in steady state (the same returning-client
// and renewal rates with and without). Smaller allocations come from the
// ordinary heap.
//
// Thread safety: stateless; as thread-safe as malloc.

#ifndef LEASEWIRE_LEASE_HUGE_PAGE_ALLOCATOR_H_
#define LEASEWIRE_LEASE_HUGE_PAGE_ALLOCATOR_H_

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace leasewire::lease {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// Allocates `bytes` (2 MiB aligned, rounded up to a multiple of 2 MiB when
// large); throws std::bad_alloc when out of memory.
inline void* AllocateHuge(size_t bytes) {
  if (bytes < kHugePageBytes) {
    return ::operator new(bytes);
  }
  const size_t rounded = (bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  void* p = std::aligned_alloc(kHugePageBytes, rounded);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

inline void FreeHuge(void* p, size_t bytes) {
  if (bytes < kHugePageBytes) {
    ::operator delete(p);
  } else {
    std::free(p);
  }
}

template <typename T>
struct HugePageAllocator {
  using value_type = T;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: rebinding

  T* allocate(size_t n) { return static_cast<T*>(AllocateHuge(n * sizeof(T))); }
  void deallocate(T* p, size_t n) { FreeHuge(p, n * sizeof(T)); }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
};

template <typename T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace leasewire::lease

#endif  // LEASEWIRE_LEASE_HUGE_PAGE_ALLOCATOR_H_
