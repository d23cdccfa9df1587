// Tests for lease::TimerWheel: entries fire once, at their deadline and not
// before, across the span, across big jumps, and for past deadlines; plus a
// randomised comparison against a multimap of deadlines.

#include "leasewire/lease/timer_wheel.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace leasewire::lease {
namespace {

using Fired = std::vector<std::pair<Slot, Seconds>>;

Fired AdvanceTo(TimerWheel& wheel, Seconds now) {
  Fired fired;
  wheel.Advance(now, [&](Slot s, Seconds d) { fired.emplace_back(s, d); });
  return fired;
}

// Advances one second at a time from `from` to `to` (inclusive) and
// returns (slot, deadline, second it fired).
struct Firing {
  Slot slot;
  Seconds deadline;
  Seconds at;
};
std::vector<Firing> StepTo(TimerWheel& wheel, Seconds from, Seconds to) {
  std::vector<Firing> out;
  for (uint64_t t = from; t <= to; ++t) {
    const Seconds now = static_cast<Seconds>(t);
    wheel.Advance(now, [&](Slot s, Seconds d) { out.push_back({s, d, now}); });
  }
  return out;
}

TEST(TimerWheelTest, FiresExactlyOnceAtTheDeadline) {
  TimerWheel wheel(1000);
  wheel.Schedule(1, 1005);
  EXPECT_EQ(wheel.pending(), 1u);
  const std::vector<Firing> fired = StepTo(wheel, 1000, 1100);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].slot, 1u);
  EXPECT_EQ(fired[0].deadline, 1005u);
  EXPECT_EQ(fired[0].at, 1005u);
  EXPECT_EQ(wheel.pending(), 0u);
}

TEST(TimerWheelTest, NotBeforeTheDeadline) {
  TimerWheel wheel(0);
  wheel.Schedule(7, 10);
  EXPECT_TRUE(AdvanceTo(wheel, 9).empty());
  EXPECT_EQ(wheel.pending(), 1u);
  EXPECT_EQ(AdvanceTo(wheel, 10), (Fired{{7, 10}}));
  EXPECT_TRUE(AdvanceTo(wheel, 11).empty());
}

TEST(TimerWheelTest, DeadlineAtNowFiresOnAdvanceToNow) {
  TimerWheel wheel(50);
  wheel.Schedule(3, 50);
  EXPECT_EQ(AdvanceTo(wheel, 50), (Fired{{3, 50}}));
}

TEST(TimerWheelTest, SkippedSecondsStillFire) {
  TimerWheel wheel(0);
  wheel.Schedule(1, 5);
  wheel.Schedule(2, 6);
  wheel.Schedule(3, 20);
  const Fired fired = AdvanceTo(wheel, 10);  // jumps over 5 and 6
  EXPECT_EQ(fired, (Fired{{1, 5}, {2, 6}}));
  EXPECT_EQ(wheel.pending(), 1u);
  EXPECT_EQ(AdvanceTo(wheel, 20), (Fired{{3, 20}}));
}

TEST(TimerWheelTest, ManyEntriesInOneSecond) {
  TimerWheel wheel(0);
  for (Slot s = 0; s < 1000; ++s) wheel.Schedule(s, 30);
  EXPECT_EQ(wheel.pending(), 1000u);
  EXPECT_TRUE(AdvanceTo(wheel, 29).empty());
  EXPECT_EQ(AdvanceTo(wheel, 30).size(), 1000u);
  EXPECT_EQ(wheel.pending(), 0u);
}

TEST(TimerWheelTest, SameSlotScheduledTwiceFiresTwice) {
  // Lazy deletion: the wheel reports both; the caller drops the stale one.
  TimerWheel wheel(0);
  wheel.Schedule(4, 10);
  wheel.Schedule(4, 20);
  EXPECT_EQ(AdvanceTo(wheel, 15), (Fired{{4, 10}}));
  EXPECT_EQ(AdvanceTo(wheel, 25), (Fired{{4, 20}}));
}

TEST(TimerWheelTest, NeverIsIgnored) {
  TimerWheel wheel(0);
  wheel.Schedule(1, kNever);
  EXPECT_EQ(wheel.pending(), 0u);
  EXPECT_TRUE(AdvanceTo(wheel, kNever - 1).empty());
}

TEST(TimerWheelTest, DeadlinesBeyondTheSpanFireOnTime) {
  constexpr Seconds kStart = 100;
  TimerWheel wheel(kStart);
  const std::vector<Seconds> deadlines = {
      kStart + TimerWheel::kSpan - 1,      kStart + TimerWheel::kSpan,
      kStart + TimerWheel::kSpan + 1,      kStart + 2 * TimerWheel::kSpan,
      kStart + 3 * TimerWheel::kSpan + 17, kStart + 86400};
  for (size_t i = 0; i < deadlines.size(); ++i) {
    wheel.Schedule(static_cast<Slot>(i), deadlines[i]);
  }
  const std::vector<Firing> fired = StepTo(wheel, kStart, kStart + 90000);
  ASSERT_EQ(fired.size(), deadlines.size());
  for (const Firing& f : fired) {
    EXPECT_EQ(f.deadline, deadlines[f.slot]);
    EXPECT_EQ(f.at, f.deadline) << "slot " << f.slot;
  }
  EXPECT_EQ(wheel.pending(), 0u);
}

TEST(TimerWheelTest, DeadlineOneSpanAheadIsNotFiredWhenItsBucketRunsEarly) {
  TimerWheel wheel(0);
  wheel.Schedule(1, TimerWheel::kSpan);  // same bucket as second 0
  EXPECT_TRUE(AdvanceTo(wheel, 0).empty());
  EXPECT_TRUE(AdvanceTo(wheel, TimerWheel::kSpan - 1).empty());
  EXPECT_EQ(AdvanceTo(wheel, TimerWheel::kSpan),
            (Fired{{1, TimerWheel::kSpan}}));
}

TEST(TimerWheelTest, BigJumpRunsEveryBucketOnce) {
  TimerWheel wheel(0);
  wheel.Schedule(1, 10);
  wheel.Schedule(2, 5000);
  wheel.Schedule(3, 20000);
  wheel.Schedule(4, 1'000'000);
  // One jump of many spans.
  Fired fired = AdvanceTo(wheel, 100'000);
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (Fired{{1, 10}, {2, 5000}, {3, 20000}}));
  EXPECT_EQ(wheel.pending(), 1u);
  // The far entry still fires exactly at its deadline.
  EXPECT_TRUE(AdvanceTo(wheel, 999'999).empty());
  EXPECT_EQ(AdvanceTo(wheel, 1'000'000), (Fired{{4, 1'000'000}}));
}

TEST(TimerWheelTest, ScheduleAfterBigJumpUsesTheNewTime) {
  TimerWheel wheel(0);
  EXPECT_TRUE(AdvanceTo(wheel, 50'000).empty());
  wheel.Schedule(9, 50'010);
  EXPECT_TRUE(AdvanceTo(wheel, 50'009).empty());
  EXPECT_EQ(AdvanceTo(wheel, 50'010), (Fired{{9, 50'010}}));
}

TEST(TimerWheelTest, PastDeadlineFiresAtTheNextAdvance) {
  TimerWheel wheel(1000);
  wheel.Schedule(1, 10);  // long before the wheel's start
  EXPECT_EQ(AdvanceTo(wheel, 1000), (Fired{{1, 10}}));
  EXPECT_TRUE(AdvanceTo(wheel, 1001).empty());

  wheel.Schedule(2, 900);  // in the past after running to 1001
  EXPECT_EQ(AdvanceTo(wheel, 1002), (Fired{{2, 900}}));
}

// Advance() promises every entry with deadline <= now; a deadline in the
// past scheduled between two Advance() calls at the same second is one.
TEST(TimerWheelTest, PastDeadlineFiresAtNextAdvanceInTheSameSecond) {
  TimerWheel wheel(0);
  EXPECT_TRUE(AdvanceTo(wheel, 100).empty());
  wheel.Schedule(5, 90);
  wheel.Schedule(6, 100);
  Fired fired = AdvanceTo(wheel, 100);
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (Fired{{5, 90}, {6, 100}}));
}

TEST(TimerWheelTest, AdvanceBackwardsFiresNothing) {
  TimerWheel wheel(100);
  wheel.Schedule(1, 105);
  EXPECT_TRUE(AdvanceTo(wheel, 50).empty());
  EXPECT_EQ(wheel.pending(), 1u);
  EXPECT_EQ(AdvanceTo(wheel, 105), (Fired{{1, 105}}));
}

TEST(TimerWheelTest, CallbackMayScheduleLaterDeadlines) {
  // Re-arming from inside Advance (an offer that turns into a lease).
  TimerWheel wheel(0);
  wheel.Schedule(1, 5);
  std::vector<Firing> fired;
  for (Seconds t = 0; t <= 30; ++t) {
    wheel.Advance(t, [&](Slot s, Seconds d) {
      fired.push_back({s, d, t});
      if (d < 25) wheel.Schedule(s, d + 10);
    });
  }
  ASSERT_EQ(fired.size(), 3u);
  EXPECT_EQ(fired[0].at, 5u);
  EXPECT_EQ(fired[1].at, 15u);
  EXPECT_EQ(fired[2].at, 25u);
}

TEST(TimerWheelTest, MemoryUsageIsReported) {
  TimerWheel wheel(0);
  const size_t empty = wheel.MemoryUsage();
  EXPECT_GE(empty, TimerWheel::kSpan * sizeof(std::vector<int>));
  for (Slot s = 0; s < 10000; ++s) wheel.Schedule(s, s % 5000);
  EXPECT_GT(wheel.MemoryUsage(), empty);
}

// Random schedules and advances against a multimap deadline -> slot.
TEST(TimerWheelTest, RandomScheduleMatchesModel) {
  std::mt19937 rng(4096);
  Seconds now = 12345;
  TimerWheel wheel(now);
  std::multimap<Seconds, Slot> model;
  for (int step = 0; step < 20000; ++step) {
    if (rng() % 3 != 0) {
      // Mostly near deadlines, some beyond the span, some in the past.
      Seconds deadline;
      switch (rng() % 4) {
        case 0:
          deadline = now + 1 + rng() % 60;
          break;
        case 1:
          deadline = now + 1 + rng() % (3 * TimerWheel::kSpan);
          break;
        case 2:
          deadline = now + 1 + rng() % 86400;
          break;
        default:
          deadline = now - rng() % 100;  // due at the next Advance
          break;
      }
      const Slot slot = static_cast<Slot>(step);
      wheel.Schedule(slot, deadline);
      model.emplace(deadline, slot);
    } else {
      // Small steps mostly, sometimes a jump longer than the span.
      const Seconds delta =
          rng() % 10 == 0 ? 1 + rng() % 20000 : 1 + rng() % 30;
      now += delta;
      Fired fired = AdvanceTo(wheel, now);
      Fired expected;
      for (auto it = model.begin(); it != model.end() && it->first <= now;) {
        expected.emplace_back(it->second, it->first);
        it = model.erase(it);
      }
      std::sort(fired.begin(), fired.end());
      std::sort(expected.begin(), expected.end());
      ASSERT_EQ(fired, expected) << "step " << step << " now " << now;
    }
    ASSERT_EQ(wheel.pending(), model.size()) << step;
  }
}

}  // namespace
}  // namespace leasewire::lease
