// leasewire-kea-migrate: moves a Kea kea-dhcp4 server to leasewire.
//
//   leasewire-kea-migrate config KEA.json [-o OUT.json] [--report R.json]
//       [--interface-address NAME=A.B.C.D/N ...]
//   leasewire-kea-migrate leases LEASES.csv [MORE.csv ...] --config LW.json
//       --lease-dir DIR [--report R.json] [--merge] [--now UNIX]
//
// Exit status: 0 everything converted, 1 converted with losses (each one
// is listed on stderr and in --report), 2 error (nothing written).
// docs/migrating-from-kea.md describes every mapping.

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "kea_config.h"
#include "kea_leases.h"
#include "leasewire/config/config.h"
#include "report.h"

namespace {

using leasewire::kea_migrate::Report;

constexpr int kExitClean = 0;
constexpr int kExitLossy = 1;
constexpr int kExitError = 2;

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = s.str();
  return true;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

int Fail(const std::string& message) {
  std::cerr << "leasewire-kea-migrate: error: " << message << "\n";
  return kExitError;
}

// Writes the report file (when asked) with `extra` merged in.
bool WriteReport(const std::string& path, const Report& report,
                 const nlohmann::ordered_json& extra) {
  if (path.empty()) return true;
  nlohmann::ordered_json j = extra;
  const nlohmann::ordered_json items = report.ToJson();
  for (const auto& [k, v] : items.items()) j[k] = v;
  if (!WriteFile(path, j.dump(2) + "\n")) {
    std::cerr << "leasewire-kea-migrate: error: cannot write " << path << "\n";
    return false;
  }
  return true;
}

int RunConfig(const std::string& input, const std::string& output,
              const std::string& report_path,
              const std::vector<std::string>& interface_addresses) {
  std::string text;
  if (!ReadFile(input, &text)) return Fail("cannot read " + input);
  leasewire::kea_migrate::ConvertOptions options;
  for (const std::string& spec : interface_addresses) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Fail("--interface-address " + spec + ": expected NAME=A.B.C.D/N");
    }
    options.interface_addresses[spec.substr(0, eq)] = spec.substr(eq + 1);
  }
  Report report;
  absl::StatusOr<leasewire::kea_migrate::ConvertResult> result =
      leasewire::kea_migrate::ConvertKeaConfig(text, options, &report);
  if (!result.ok()) {
    return Fail(input + ": " + std::string(result.status().message()));
  }
  report.Print(std::cerr);
  nlohmann::ordered_json extra = {{"input", input}, {"output", output}};
  if (!result->validation.ok()) {
    const std::string why(result->validation.message());
    extra["error"] = why;
    WriteReport(report_path, report, extra);
    return Fail("the converted configuration is not valid for leasewire: " +
                why + " (nothing written; see the items above)");
  }
  const std::string json = result->config.dump(2) + "\n";
  if (output.empty() || output == "-") {
    std::cout << json;
  } else if (!WriteFile(output, json)) {
    return Fail("cannot write " + output);
  }
  if (!WriteReport(report_path, report, extra)) return kExitError;
  std::cerr << "leasewire-kea-migrate: " << input << ": "
            << result->config["subnets"].size() << " subnets converted; "
            << report.Count(leasewire::kea_migrate::Severity::kDropped)
            << " dropped, "
            << report.Count(leasewire::kea_migrate::Severity::kApproximated)
            << " approximated, "
            << report.Count(leasewire::kea_migrate::Severity::kInfo)
            << " notes\n";
  return report.lossy() ? kExitLossy : kExitClean;
}

int RunLeases(const std::vector<std::string>& inputs,
              const std::string& config_path, const std::string& lease_dir,
              const std::string& report_path, bool merge, int64_t now) {
  absl::StatusOr<std::shared_ptr<const leasewire::config::Config>> config =
      leasewire::config::LoadConfigFile(config_path);
  if (!config.ok()) {
    return Fail(config_path + ": " + std::string(config.status().message()));
  }
  Report report;
  leasewire::kea_migrate::ImportCounts counts;
  if (now == 0) now = static_cast<int64_t>(std::time(nullptr));
  std::vector<leasewire::kea_migrate::PlannedLease> leases;
  {
    // The rows are freed before the store is opened.
    // Every planned lease is held until it is written: 152 MB peak for
    // 200 k addresses (RocksDB's memtable included), so about 7 GB for
    // 10 M (a documented limit, docs/migrating-from-kea.md). Streaming
    // the plan into the store would bound it by the rows kept per
    // address (the last row of each wins, so those stay in memory).
    leasewire::kea_migrate::LeaseRows rows;
    for (const std::string& input : inputs) {
      std::ifstream in(input, std::ios::binary);
      if (!in) return Fail("cannot read " + input);
      absl::Status s = leasewire::kea_migrate::ParseKeaLeaseCsv(
          in, input, &rows, &report, &counts);
      if (!s.ok()) return Fail(std::string(s.message()));
    }
    leases = leasewire::kea_migrate::PlanImport(rows, **config, now, &report,
                                                &counts);
  }
  leasewire::kea_migrate::WriteOptions wo;
  wo.directory = lease_dir;
  wo.allow_existing = merge;
  leasewire::kea_migrate::WriteStats ws;
  absl::Status s = leasewire::kea_migrate::WriteLeases(leases, wo, &ws);
  report.Print(std::cerr);
  nlohmann::ordered_json extra = {
      {"inputs", inputs},       {"config", config_path},
      {"lease-dir", lease_dir}, {"counts", counts.ToJson()},
      {"written", ws.written},  {"read-back", ws.recovered}};
  if (!s.ok()) {
    extra["error"] = std::string(s.message());
    WriteReport(report_path, report, extra);
    return Fail(std::string(s.message()));
  }
  if (!WriteReport(report_path, report, extra)) return kExitError;
  std::fprintf(stderr,
               "leasewire-kea-migrate: %llu rows, %llu addresses: %llu "
               "imported (%llu declined), skipped %llu expired, %llu "
               "released or reclaimed, %llu deleted, %llu in no subnet, %llu "
               "unusable addresses, %llu malformed lines; %llu records read "
               "back from %s\n",
               static_cast<unsigned long long>(counts.rows),
               static_cast<unsigned long long>(counts.addresses),
               static_cast<unsigned long long>(counts.imported),
               static_cast<unsigned long long>(counts.declined),
               static_cast<unsigned long long>(counts.expired),
               static_cast<unsigned long long>(counts.released),
               static_cast<unsigned long long>(counts.removed),
               static_cast<unsigned long long>(counts.not_in_subnet),
               static_cast<unsigned long long>(counts.unusable),
               static_cast<unsigned long long>(counts.malformed),
               static_cast<unsigned long long>(ws.recovered),
               lease_dir.c_str());
  const bool lossy =
      counts.malformed + counts.not_in_subnet + counts.unusable > 0;
  return lossy ? kExitLossy : kExitClean;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Moves a Kea kea-dhcp4 server to leasewire: converts its "
      "configuration and imports its memfile leases. Exit status: 0 clean, "
      "1 converted with losses (listed on stderr), 2 error."};
  app.require_subcommand(1);

  CLI::App* cfg = app.add_subcommand(
      "config", "Convert a kea-dhcp4 configuration to leasewire's format");
  std::string kea_path, out_path, report_path;
  std::vector<std::string> iface_addrs;
  cfg->add_option("KEA", kea_path, "kea-dhcp4 configuration (JSON)")
      ->required();
  cfg->add_option("-o,--output", out_path,
                  "leasewire configuration to write (default: stdout)");
  cfg->add_option("--report", report_path,
                  "write what was not converted as JSON");
  cfg->add_option("--interface-address", iface_addrs,
                  "the server's address on a Kea interface, "
                  "NAME=A.B.C.D/N (repeatable)");

  CLI::App* lz = app.add_subcommand(
      "leases",
      "Import Kea memfile lease files into a leasewire lease "
      "database");
  std::vector<std::string> csv_paths;
  std::string lw_config, lease_dir, lease_report;
  bool merge = false;
  int64_t now = 0;
  lz->add_option("CSV", csv_paths,
                 "lease files, oldest first (leases4.csv.1 leases4.csv.2 "
                 "leases4.csv)")
      ->required();
  lz->add_option("--config", lw_config, "the converted leasewire configuration")
      ->required();
  lz->add_option("--lease-dir", lease_dir, "leasewire lease database")
      ->required();
  lz->add_option("--report", lease_report,
                 "write counts and what was not imported as JSON");
  lz->add_flag("--merge", merge,
               "import into a database that already holds leases");
  lz->add_option("--now", now,
                 "Unix time that decides what has expired (default: now)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitError;
  }
  if (cfg->parsed()) {
    return RunConfig(kea_path, out_path, report_path, iface_addrs);
  }
  return RunLeases(csv_paths, lw_config, lease_dir, lease_report, merge, now);
}
