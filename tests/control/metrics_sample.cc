// Prints RenderMetrics() of the sample snapshot (with a previous one, so
// that every gauge has a non-trivial value): the input of
// `promtool check metrics` and of the dashboard's metric-name check.

#include <iostream>

#include "control/sample_snapshot.h"
#include "leasewire/control/metrics.h"

int main() {
  using leasewire::control::EarlierSnapshot;
  using leasewire::control::SampleSnapshot;
  const auto now = SampleSnapshot();
  const auto before = EarlierSnapshot(now, 1000, 250);
  std::cout << leasewire::control::RenderMetrics(now, &before);
  return std::cout.good() ? 0 : 1;
}
