// File: tools/loadgen/report.h
//
// What one lw-loadgen run measured, and its two renderings: the summary
// text and the JSON document (--json).

#ifndef LEASEWIRE_TOOLS_LOADGEN_REPORT_H_
#define LEASEWIRE_TOOLS_LOADGEN_REPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "generator.h"
#include "nlohmann/json.hpp"

namespace leasewire::loadgen {

struct RunReport {
  std::string target;  // "ring", "bare" or the device spec
  uint32_t workers = 0;
  std::string durability;  // ring only
  std::string mode;        // "closed" or "open"
  uint32_t clients = 0;
  uint32_t relays = 0;
  uint32_t window = 0;
  double rate = 0;
  uint32_t renewals = 0;
  bool release = false;
  Results results;
  // The server side, when it ran in this process.
  bool has_server = false;
  uint64_t server_rx = 0;
  uint64_t server_tx = 0;
  std::map<std::string, uint64_t> server_drops;  // non-zero only
  uint64_t server_commits = 0;
  // bare: time in bursts that carried frames / all time; ring: poll
  // cycles that found work / all poll cycles.
  double server_busy = 0;
  // CPU time the server lcore(s) got / their wall time (0: unknown).
  double server_cpu_share = 0;
  // CPU seconds of the whole process (generator, server lcores, store
  // threads) during the run.
  double process_cpu_s = 0;
};

double LeasesPerSecond(const RunReport& r);
// The summary of one run, several lines, no trailing newline.
std::string SummaryText(const RunReport& r);
nlohmann::json ToJson(const RunReport& r);
// {"command": ..., "runs": [...]} plus "fraction_of_bare" when the runs
// hold a bare loop and a ring run.
nlohmann::json ToJson(const std::vector<RunReport>& runs,
                      const std::string& command);

}  // namespace leasewire::loadgen

#endif  // LEASEWIRE_TOOLS_LOADGEN_REPORT_H_
