#include "leasewire/lease/pool_bitmap.h"

#include <bit>

namespace leasewire::lease {

PoolBitmap::PoolBitmap(uint32_t size)
    : words_((uint64_t{size} + 63) / 64, ~uint64_t{0}),
      summary_((words_.size() + 63) / 64, ~uint64_t{0}),
      size_(size),
      free_(size) {
  // Clear the bits past the end so they are never allocated.
  if (size % 64 != 0) words_.back() = (uint64_t{1} << (size % 64)) - 1;
  if (words_.size() % 64 != 0) {
    summary_.back() = (uint64_t{1} << (words_.size() % 64)) - 1;
  }
  if (size == 0) {
    words_.clear();
    summary_.clear();
  }
}

void PoolBitmap::SetSummary(uint32_t word) {
  const uint64_t bit = uint64_t{1} << (word & 63);
  if (words_[word] != 0) {
    summary_[word >> 6] |= bit;
  } else {
    summary_[word >> 6] &= ~bit;
  }
}

bool PoolBitmap::Take(uint32_t offset) {
  const uint32_t w = offset >> 6;
  const uint64_t bit = uint64_t{1} << (offset & 63);
  if ((words_[w] & bit) == 0) return false;
  words_[w] &= ~bit;
  --free_;
  SetSummary(w);
  return true;
}

bool PoolBitmap::Release(uint32_t offset) {
  const uint32_t w = offset >> 6;
  const uint64_t bit = uint64_t{1} << (offset & 63);
  if ((words_[w] & bit) != 0) return false;
  words_[w] |= bit;
  ++free_;
  SetSummary(w);
  return true;
}

std::optional<uint32_t> PoolBitmap::Allocate() {
  if (free_ == 0) return std::nullopt;
  if (cursor_ >= size_) cursor_ = 0;
  // First the cursor's own word, masked to bits at or after the cursor.
  const uint32_t start_word = cursor_ >> 6;
  uint64_t bits = words_[start_word] & (~uint64_t{0} << (cursor_ & 63));
  uint32_t word = start_word;
  if (bits == 0) {
    // Then the next word with a free bit, found through the summary,
    // wrapping around (which may come back to the cursor's word).
    const uint32_t nb_words = static_cast<uint32_t>(words_.size());
    const uint32_t nb_summary = static_cast<uint32_t>(summary_.size());
    const uint32_t next = start_word + 1 == nb_words ? 0 : start_word + 1;
    uint32_t s = next >> 6;
    uint64_t sbits = summary_[s] & (~uint64_t{0} << (next & 63));
    // free_ > 0, so some summary bit is set: at most nb_summary steps.
    while (sbits == 0) {
      s = s + 1 == nb_summary ? 0 : s + 1;
      sbits = summary_[s];
    }
    word = (s << 6) + static_cast<uint32_t>(std::countr_zero(sbits));
    bits = words_[word];
  }
  const uint32_t offset =
      (word << 6) + static_cast<uint32_t>(std::countr_zero(bits));
  Take(offset);
  cursor_ = offset + 1;
  return offset;
}

}  // namespace leasewire::lease
