#include "report.h"

#include <algorithm>

namespace leasewire::kea_migrate {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kApproximated:
      return "approximated";
    case Severity::kDropped:
      return "dropped";
  }
  return "?";
}

void Report::Add(Severity severity, std::string path, std::string reason) {
  items_.push_back({severity, std::move(path), std::move(reason)});
}

bool Report::lossy() const {
  return std::any_of(items_.begin(), items_.end(), [](const ReportItem& i) {
    return i.severity != Severity::kInfo;
  });
}

size_t Report::Count(Severity s) const {
  return static_cast<size_t>(
      std::count_if(items_.begin(), items_.end(),
                    [s](const ReportItem& i) { return i.severity == s; }));
}

const ReportItem* Report::Find(std::string_view path) const {
  for (const ReportItem& i : items_) {
    if (i.path == path) return &i;
  }
  return nullptr;
}

nlohmann::ordered_json Report::ToJson() const {
  nlohmann::ordered_json j;
  j["dropped"] = Count(Severity::kDropped);
  j["approximated"] = Count(Severity::kApproximated);
  j["info"] = Count(Severity::kInfo);
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const ReportItem& i : items_) {
    list.push_back({{"severity", std::string(SeverityName(i.severity))},
                    {"path", i.path},
                    {"reason", i.reason}});
  }
  j["items"] = std::move(list);
  return j;
}

void Report::Print(std::ostream& out) const {
  for (const ReportItem& i : items_) {
    out << SeverityName(i.severity) << ": " << i.path << ": " << i.reason
        << "\n";
  }
}

}  // namespace leasewire::kea_migrate
