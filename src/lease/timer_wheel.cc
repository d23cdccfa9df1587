#include "leasewire/lease/timer_wheel.h"

namespace leasewire::lease {

TimerWheel::TimerWheel(Seconds now) : buckets_(kSpan), current_(now) {}

void TimerWheel::Schedule(Slot slot, Seconds deadline) {
  if (deadline == kNever) return;
  ++pending_;
  // A second that has been run already: due at the next Advance().
  if (deadline < current_) {
    overdue_.push_back({slot, deadline});
    return;
  }
  buckets_[deadline & (kSpan - 1)].push_back({slot, deadline});
}

size_t TimerWheel::MemoryUsage() const {
  size_t bytes = buckets_.capacity() * sizeof(buckets_[0]) +
                 (due_.capacity() + overdue_.capacity()) * sizeof(Entry);
  for (const auto& b : buckets_) bytes += b.capacity() * sizeof(Entry);
  return bytes;
}

}  // namespace leasewire::lease
