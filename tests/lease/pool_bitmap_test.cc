// Tests for lease::PoolBitmap: sizes at word and summary boundaries, the
// Take/Release contract, the rotating allocation cursor and a randomised
// comparison against a std::vector<bool> model.

#include "leasewire/lease/pool_bitmap.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace leasewire::lease {
namespace {

// Allocates until the pool is full; checks every offset is new and in
// range, and returns how many were handed out.
uint64_t AllocateAll(PoolBitmap& pool) {
  std::vector<bool> seen(pool.size(), false);
  uint64_t n = 0;
  while (const std::optional<uint32_t> offset = pool.Allocate()) {
    EXPECT_LT(*offset, pool.size());
    if (*offset >= pool.size()) break;
    EXPECT_FALSE(seen[*offset]) << "offset " << *offset << " handed out twice";
    seen[*offset] = true;
    EXPECT_FALSE(pool.IsFree(*offset));
    ++n;
    if (n > pool.size()) break;  // never loop forever on a broken pool
  }
  return n;
}

class PoolBitmapSizeTest : public testing::TestWithParam<uint32_t> {};

TEST_P(PoolBitmapSizeTest, StartsAllFree) {
  const uint32_t size = GetParam();
  PoolBitmap pool(size);
  EXPECT_EQ(pool.size(), size);
  EXPECT_EQ(pool.free_count(), size);
  for (uint32_t i = 0; i < size; ++i) ASSERT_TRUE(pool.IsFree(i)) << i;
}

TEST_P(PoolBitmapSizeTest, AllocatesEveryAddressOnceThenReportsFull) {
  const uint32_t size = GetParam();
  PoolBitmap pool(size);
  EXPECT_EQ(AllocateAll(pool), size);
  EXPECT_EQ(pool.free_count(), 0u);
  EXPECT_EQ(pool.Allocate(), std::nullopt);
  EXPECT_EQ(pool.Allocate(), std::nullopt);
}

TEST_P(PoolBitmapSizeTest, FirstAllocationsAreInOrder) {
  const uint32_t size = GetParam();
  PoolBitmap pool(size);
  for (uint32_t i = 0; i < std::min<uint32_t>(size, 200); ++i) {
    ASSERT_EQ(pool.Allocate(), std::optional<uint32_t>(i));
  }
}

TEST_P(PoolBitmapSizeTest, ReleasedAddressIsFoundWhenItIsTheOnlyFreeOne) {
  const uint32_t size = GetParam();
  PoolBitmap pool(size);
  if (size == 0) {
    EXPECT_EQ(pool.Allocate(), std::nullopt);  // nothing to release
    return;
  }
  ASSERT_EQ(AllocateAll(pool), size);
  // Each offset in turn becomes the only free one, wherever the cursor is.
  for (uint32_t i : {0u, size / 2, size - 1, 63u, 64u, 65u}) {
    if (i >= size) continue;
    ASSERT_TRUE(pool.Release(i));
    EXPECT_EQ(pool.Allocate(), std::optional<uint32_t>(i)) << "size " << size;
    EXPECT_EQ(pool.Allocate(), std::nullopt);
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, PoolBitmapSizeTest,
                         testing::Values(0u, 1u, 2u, 63u, 64u, 65u, 127u, 128u,
                                         1000u, 4095u, 4096u, 4097u,
                                         64u * 64u * 2u + 1u));

TEST(PoolBitmapTest, TenMillionAddresses) {
  constexpr uint32_t kSize = 10'000'000;
  PoolBitmap pool(kSize);
  EXPECT_EQ(pool.free_count(), kSize);
  // One bit per address plus the summary: well under 2 MB.
  EXPECT_LT(pool.MemoryUsage(), 2u * 1024 * 1024);
  uint32_t expected = 0;
  while (const std::optional<uint32_t> offset = pool.Allocate()) {
    ASSERT_EQ(*offset, expected);  // an empty pool fills in order
    ++expected;
  }
  EXPECT_EQ(expected, kSize);
  EXPECT_EQ(pool.free_count(), 0u);
  EXPECT_EQ(pool.Allocate(), std::nullopt);
  // One free address deep inside a full pool is still found.
  ASSERT_TRUE(pool.Release(7'654'321));
  EXPECT_EQ(pool.Allocate(), std::optional<uint32_t>(7'654'321));
  EXPECT_EQ(pool.Allocate(), std::nullopt);
}

TEST(PoolBitmapTest, TakeAndReleaseReportWhetherTheyChangedAnything) {
  PoolBitmap pool(100);
  EXPECT_TRUE(pool.Take(5));
  EXPECT_FALSE(pool.IsFree(5));
  EXPECT_EQ(pool.free_count(), 99u);
  EXPECT_FALSE(pool.Take(5));  // already taken: no change
  EXPECT_EQ(pool.free_count(), 99u);

  EXPECT_TRUE(pool.Release(5));
  EXPECT_TRUE(pool.IsFree(5));
  EXPECT_EQ(pool.free_count(), 100u);
  EXPECT_FALSE(pool.Release(5));  // already free: no change
  EXPECT_EQ(pool.free_count(), 100u);

  EXPECT_FALSE(pool.Release(99));  // never taken
  EXPECT_TRUE(pool.Take(99));
  EXPECT_TRUE(pool.Take(0));
  EXPECT_EQ(pool.free_count(), 98u);
}

TEST(PoolBitmapTest, AllocateSkipsTakenAddresses) {
  PoolBitmap pool(10);
  ASSERT_TRUE(pool.Take(0));
  ASSERT_TRUE(pool.Take(1));
  ASSERT_TRUE(pool.Take(3));
  EXPECT_EQ(pool.Allocate(), std::optional<uint32_t>(2));
  EXPECT_EQ(pool.Allocate(), std::optional<uint32_t>(4));
  EXPECT_EQ(pool.free_count(), 5u);
}

TEST(PoolBitmapTest, TakeOfAllocatedAddressFails) {
  PoolBitmap pool(10);
  const std::optional<uint32_t> a = pool.Allocate();
  ASSERT_TRUE(a.has_value());
  EXPECT_FALSE(pool.Take(*a));
  EXPECT_TRUE(pool.Release(*a));
}

TEST(PoolBitmapTest, JustReleasedAddressIsNotReturnedWhileOthersAreFree) {
  PoolBitmap pool(1000);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(pool.Allocate().has_value());
  ASSERT_TRUE(pool.Release(3));
  // The cursor moves on: the next allocations continue after offset 9.
  for (uint32_t want = 10; want < 20; ++want) {
    EXPECT_EQ(pool.Allocate(), std::optional<uint32_t>(want));
  }
  EXPECT_TRUE(pool.IsFree(3));
}

TEST(PoolBitmapTest, AllocationsSpreadOverThePool) {
  // Allocate/release pairs: a churning client population must walk the
  // whole pool rather than reuse one address.
  PoolBitmap pool(256);
  std::set<uint32_t> handed_out;
  for (int i = 0; i < 256; ++i) {
    const std::optional<uint32_t> a = pool.Allocate();
    ASSERT_TRUE(a.has_value());
    handed_out.insert(*a);
    ASSERT_TRUE(pool.Release(*a));
  }
  EXPECT_EQ(handed_out.size(), 256u);
  EXPECT_EQ(pool.free_count(), 256u);
}

TEST(PoolBitmapTest, CursorWrapsAroundToTheStart) {
  PoolBitmap pool(130);
  for (uint32_t i = 0; i < 130; ++i) ASSERT_TRUE(pool.Allocate().has_value());
  // Free two low addresses: the cursor is past the end and wraps.
  ASSERT_TRUE(pool.Release(70));
  ASSERT_TRUE(pool.Release(2));
  EXPECT_EQ(pool.Allocate(), std::optional<uint32_t>(2));
  EXPECT_EQ(pool.Allocate(), std::optional<uint32_t>(70));
  EXPECT_EQ(pool.Allocate(), std::nullopt);
}

TEST(PoolBitmapTest, WrapsToBitsBeforeTheCursorInTheSameWord) {
  PoolBitmap pool(64);
  for (uint32_t i = 0; i < 40; ++i) ASSERT_TRUE(pool.Allocate().has_value());
  for (uint32_t i = 40; i < 64; ++i) ASSERT_TRUE(pool.Take(i));
  ASSERT_TRUE(pool.Release(10));  // before the cursor (40), same word
  EXPECT_EQ(pool.Allocate(), std::optional<uint32_t>(10));
}

TEST(PoolBitmapTest, WrapsAcrossSummaryWords) {
  // 3 summary words (64 * 64 addresses each); free addresses only in the
  // first one while the cursor is in the last.
  constexpr uint32_t kSize = 64 * 64 * 2 + 100;
  PoolBitmap pool(kSize);
  for (uint32_t i = 0; i < kSize - 50; ++i) {
    ASSERT_TRUE(pool.Allocate().has_value());
  }
  for (uint32_t i = kSize - 50; i < kSize; ++i) ASSERT_TRUE(pool.Take(i));
  ASSERT_TRUE(pool.Release(4000));
  ASSERT_TRUE(pool.Release(17));
  EXPECT_EQ(pool.Allocate(), std::optional<uint32_t>(17));
  EXPECT_EQ(pool.Allocate(), std::optional<uint32_t>(4000));
  EXPECT_EQ(pool.Allocate(), std::nullopt);
}

TEST(PoolBitmapTest, NeverReturnsOffsetsPastTheEnd) {
  for (uint32_t size : {1u, 3u, 63u, 65u, 100u, 4097u}) {
    PoolBitmap pool(size);
    for (int round = 0; round < 3; ++round) {
      std::vector<uint32_t> got;
      while (const std::optional<uint32_t> a = pool.Allocate()) {
        ASSERT_LT(*a, size);
        got.push_back(*a);
        ASSERT_LE(got.size(), size);
      }
      ASSERT_EQ(got.size(), size);
      for (uint32_t a : got) ASSERT_TRUE(pool.Release(a));
    }
  }
}

// Random Take/Release/Allocate steps checked against a plain model. The
// model cannot predict which offset Allocate() picks, only that it was
// free, and that nullopt means the pool was full.
TEST(PoolBitmapTest, RandomOperationsMatchModel) {
  for (uint32_t size : {1u, 64u, 65u, 777u, 5000u}) {
    std::mt19937 rng(size);
    PoolBitmap pool(size);
    std::vector<bool> is_free(size, true);
    uint32_t free = size;
    for (int step = 0; step < 20000; ++step) {
      const uint32_t offset = rng() % size;
      switch (rng() % 3) {
        case 0: {
          const bool was_free = is_free[offset];
          ASSERT_EQ(pool.Take(offset), was_free) << step;
          if (was_free) --free;
          is_free[offset] = false;
          break;
        }
        case 1: {
          const bool was_free = is_free[offset];
          ASSERT_EQ(pool.Release(offset), !was_free) << step;
          if (!was_free) ++free;
          is_free[offset] = true;
          break;
        }
        default: {
          const std::optional<uint32_t> a = pool.Allocate();
          if (free == 0) {
            ASSERT_EQ(a, std::nullopt) << step;
          } else {
            ASSERT_TRUE(a.has_value()) << step;
            ASSERT_LT(*a, size);
            ASSERT_TRUE(is_free[*a]) << "step " << step << " got " << *a;
            is_free[*a] = false;
            --free;
          }
          break;
        }
      }
      ASSERT_EQ(pool.free_count(), free) << step;
    }
    for (uint32_t i = 0; i < size; ++i) {
      ASSERT_EQ(pool.IsFree(i), is_free[i]) << "size " << size << " @" << i;
    }
  }
}

// A nearly full pool with the free addresses scattered: allocation finds
// all of them and stops.
TEST(PoolBitmapTest, FindsScatteredFreeAddressesInNearlyFullPool) {
  constexpr uint32_t kSize = 100'000;
  PoolBitmap pool(kSize);
  for (uint32_t i = 0; i < kSize; ++i) ASSERT_TRUE(pool.Take(i));
  std::set<uint32_t> freed;
  std::mt19937 rng(42);
  while (freed.size() < 37) {
    const uint32_t a = rng() % kSize;
    if (freed.insert(a).second) {
      ASSERT_TRUE(pool.Release(a));
    }
  }
  std::set<uint32_t> got;
  while (const std::optional<uint32_t> a = pool.Allocate()) got.insert(*a);
  EXPECT_EQ(got, freed);
}

}  // namespace
}  // namespace leasewire::lease
