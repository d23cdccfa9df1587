// File: leasewire/lease/timer_wheel.h
//
// TimerWheel schedules lease deadlines (offer timeouts, lease expiry, end
// of decline probation) in one-second buckets over a span of kSpan
// seconds. A deadline further away than the span sits in the bucket of
// (deadline mod span) and is put back each time its bucket comes round,
// so the wheel never needs more than one level.
//
// Entries are never removed when a lease changes: Advance() hands each due
// (slot, deadline) pair to the caller, which ignores those that no longer
// match its record (lazy deletion). Buckets keep their capacity, so a
// steady-state wheel does not allocate.
//
// Thread safety: thread-compatible; owned by one shard's worker.

#ifndef LEASEWIRE_LEASE_TIMER_WHEEL_H_
#define LEASEWIRE_LEASE_TIMER_WHEEL_H_

#include <cstdint>
#include <vector>

#include "leasewire/lease/lease.h"
#include "leasewire/lease/lease_table.h"

namespace leasewire::lease {

class TimerWheel {
 public:
  static constexpr uint32_t kSpan = 4096;  // seconds, a power of two

  // `now`: the current engine time; nothing is due before it.
  explicit TimerWheel(Seconds now);

  // Schedules `slot` for `deadline` (kNever is ignored). A deadline in the
  // past is due at the next Advance().
  void Schedule(Slot slot, Seconds deadline);

  // Calls f(slot, deadline) for every entry with deadline <= now, and
  // moves the wheel to `now`. f must not call Schedule() for a deadline
  // <= now.
  template <typename F>
  void Advance(Seconds now, F f);

  size_t pending() const { return pending_; }
  size_t MemoryUsage() const;

 private:
  struct Entry {
    Slot slot;
    Seconds deadline;
  };
  std::vector<std::vector<Entry>> buckets_;
  std::vector<Entry> due_;      // scratch for the bucket being run
  std::vector<Entry> overdue_;  // scheduled for a second already run
  Seconds current_;             // buckets before this second have been run
  size_t pending_ = 0;
};

template <typename F>
void TimerWheel::Advance(Seconds now, F f) {
  // Deadlines that were already past when scheduled run first.
  if (!overdue_.empty()) {
    due_.swap(overdue_);
    for (const Entry& e : due_) {
      if (e.deadline <= now) {
        --pending_;
        f(e.slot, e.deadline);
      } else {
        overdue_.push_back(e);  // `now` went backwards: keep waiting
      }
    }
    due_.clear();
  }
  // A jump longer than the span runs every bucket once.
  uint64_t steps = now >= current_ ? uint64_t{now} - current_ + 1 : 0;
  if (steps > kSpan) steps = kSpan;
  for (uint64_t i = 0; i < steps; ++i) {
    auto& bucket = buckets_[(current_ + i) & (kSpan - 1)];
    if (bucket.empty()) continue;
    due_.swap(bucket);
    for (const Entry& e : due_) {
      if (e.deadline <= now) {
        --pending_;
        f(e.slot, e.deadline);
      } else {
        bucket.push_back(e);  // beyond the span: next time round
      }
    }
    due_.clear();
  }
  if (now >= current_) current_ = now + 1;
}

}  // namespace leasewire::lease

#endif  // LEASEWIRE_LEASE_TIMER_WHEEL_H_
