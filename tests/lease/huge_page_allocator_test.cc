// Tests for HugePageAllocator: large blocks aligned for a huge page, small
// ones ordinary, and both usable by std::vector.

#include "leasewire/lease/huge_page_allocator.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace leasewire::lease {
namespace {

TEST(HugePageAllocatorTest, LargeBlocksAreAlignedToAHugePage) {
  HugePageAllocator<uint64_t> alloc;
  const size_t n = (3 * kHugePageBytes) / sizeof(uint64_t) + 5;
  uint64_t* p = alloc.allocate(n);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kHugePageBytes, 0u);
  p[0] = 1;
  p[n - 1] = 2;  // the whole block is usable
  EXPECT_EQ(p[0] + p[n - 1], 3u);
  alloc.deallocate(p, n);
}

TEST(HugePageAllocatorTest, SmallBlocksComeFromTheOrdinaryHeap) {
  HugePageAllocator<uint32_t> alloc;
  uint32_t* p = alloc.allocate(10);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignof(uint32_t), 0u);
  p[9] = 7;
  EXPECT_EQ(p[9], 7u);
  alloc.deallocate(p, 10);
}

TEST(HugePageAllocatorTest, VectorGrowsAcrossTheThreshold) {
  HugeVector<uint32_t> v;
  const size_t n = kHugePageBytes / sizeof(uint32_t) * 2;
  for (uint32_t i = 0; i < n; ++i) v.push_back(i);
  for (uint32_t i = 0; i < n; i += 4099) ASSERT_EQ(v[i], i);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data()) % kHugePageBytes, 0u);
  HugeVector<uint32_t> copy = v;
  EXPECT_EQ(copy, v);
}

}  // namespace
}  // namespace leasewire::lease
