// File: tools/kea-migrate/report.h
//
// What the Kea migration could not carry over, item by item: the place in
// the Kea input (a JSON path such as "Dhcp4.subnet4[0].client-class", or
// "FILE:LINE" for a lease file) and why. Printed on stderr and written as
// JSON with --report.
//
// Thread safety: thread-compatible.

#ifndef LEASEWIRE_TOOLS_KEA_MIGRATE_REPORT_H_
#define LEASEWIRE_TOOLS_KEA_MIGRATE_REPORT_H_

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"

namespace leasewire::kea_migrate {

enum class Severity {
  kInfo,          // nothing lost: not needed in leasewire, or a hint
  kApproximated,  // converted, but leasewire behaves differently
  kDropped,       // not converted at all
};

std::string_view SeverityName(Severity s);  // "info", "approximated", ...

struct ReportItem {
  Severity severity;
  std::string path;
  std::string reason;
};

class Report {
 public:
  void Add(Severity severity, std::string path, std::string reason);
  void Info(std::string path, std::string reason) {
    Add(Severity::kInfo, std::move(path), std::move(reason));
  }
  void Approximated(std::string path, std::string reason) {
    Add(Severity::kApproximated, std::move(path), std::move(reason));
  }
  void Dropped(std::string path, std::string reason) {
    Add(Severity::kDropped, std::move(path), std::move(reason));
  }

  const std::vector<ReportItem>& items() const { return items_; }
  // Whether anything was dropped or approximated.
  bool lossy() const;
  size_t Count(Severity s) const;
  // The first item at `path`, or nullptr (tests).
  const ReportItem* Find(std::string_view path) const;

  // {"items": [{"severity", "path", "reason"}, ...], "dropped": N, ...}
  nlohmann::ordered_json ToJson() const;
  // One line per item: "dropped: PATH: REASON".
  void Print(std::ostream& out) const;

 private:
  std::vector<ReportItem> items_;
};

}  // namespace leasewire::kea_migrate

#endif  // LEASEWIRE_TOOLS_KEA_MIGRATE_REPORT_H_
