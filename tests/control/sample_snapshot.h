// A hand-made control::Snapshot with a distinct value in every counter the
// metrics use, so that a test can tell which field a series was read from.
// Shared by metrics_test and metrics_sample (the input of promtool and of
// the dashboard check).

#ifndef LEASEWIRE_TESTS_CONTROL_SAMPLE_SNAPSHOT_H_
#define LEASEWIRE_TESTS_CONTROL_SAMPLE_SNAPSHOT_H_

#include "leasewire/control/snapshot.h"

namespace leasewire::control {

// Two workers (lcores 1 and 2), three subnets (one with an empty pool),
// store statistics with a latency sample in several buckets.
Snapshot SampleSnapshot();

// The same server one second earlier: every worker ran `cycles` fewer
// poll cycles, `busy` of them busy.
Snapshot EarlierSnapshot(const Snapshot& now, uint64_t cycles, uint64_t busy);

}  // namespace leasewire::control

#endif  // LEASEWIRE_TESTS_CONTROL_SAMPLE_SNAPSHOT_H_
