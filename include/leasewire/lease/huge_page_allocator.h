// File: leasewire/lease/huge_page_allocator.h
//
// HugePageAllocator<T> is a std::allocator replacement for the shard's large
// arrays (the client index, the per-pool address index, the record chunks):
// an allocation of 2 MiB or more is aligned to 2 MiB and advised
// MADV_HUGEPAGE, so that the kernel backs it with transparent huge pages
// where they are enabled ("madvise" or "always" in
// /sys/kernel/mm/transparent_hugepage/enabled). A table of millions of
// leases is read at random addresses: with 4 KiB pages nearly every look-up
// also misses the TLB, and growing the table takes a page fault per 4 KiB.
// Smaller allocations, and kernels without THP, get ordinary memory; the
// advice is only a hint and never fails an allocation.
//
// Thread safety: stateless; as thread-safe as malloc.

#ifndef LEASEWIRE_LEASE_HUGE_PAGE_ALLOCATOR_H_
#define LEASEWIRE_LEASE_HUGE_PAGE_ALLOCATOR_H_

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace leasewire::lease {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// Allocates `bytes` (a multiple of kHugePageBytes when large) advised for
// huge pages; throws std::bad_alloc when out of memory.
inline void* AllocateHuge(size_t bytes) {
  if (bytes < kHugePageBytes) {
    return ::operator new(bytes);
  }
  const size_t rounded = (bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  void* p = std::aligned_alloc(kHugePageBytes, rounded);
  if (p == nullptr) throw std::bad_alloc();
  // Best effort: EINVAL on kernels without THP is not an error here.
  (void)madvise(p, rounded, MADV_HUGEPAGE);
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
