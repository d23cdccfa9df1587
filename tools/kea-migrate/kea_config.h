// File: tools/kea-migrate/kea_config.h
//
// Converts a Kea 2.2 kea-dhcp4 configuration (JSON with #, // and /* */
// comments; top level "Dhcp4") into a leasewire configuration
// (docs/configuration.md). What has no leasewire equivalent is reported
// item by item (report.h); the result is checked with leasewire's own
// loader, config::LoadConfig(), so a config that converts is one that
// leasewired accepts. docs/migrating-from-kea.md lists every mapping.
//
// Example:
//   Report report;
//   absl::StatusOr<ConvertResult> r = ConvertKeaConfig(text, {}, &report);
//   if (r.ok() && r->validation.ok()) write r->config.dump(2);
//
// Thread safety: stateless functions; safe from any thread.

#ifndef LEASEWIRE_TOOLS_KEA_MIGRATE_KEA_CONFIG_H_
#define LEASEWIRE_TOOLS_KEA_MIGRATE_KEA_CONFIG_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "report.h"

namespace leasewire::kea_migrate {

struct ConvertOptions {
  // The server's own address on each interface, "a.b.c.d/n", by Kea
  // interface name. Kea takes addresses from the kernel; leasewire owns
  // its address on a DPDK port, so it must be given (or appear in Kea's
  // "eth0/192.0.2.1" form).
  std::map<std::string, std::string> interface_addresses;
};

struct ConvertResult {
  nlohmann::ordered_json config;  // leasewire's format
  // What config::LoadConfig() said about `config`; not OK means leasewired
  // would refuse it (the message names the leasewire JSON path).
  absl::Status validation;
};

// Kea's text without comments; newlines are kept so that JSON parse errors
// still name the right line. InvalidArgument for an <?include?> directive
// or an unterminated block comment.
absl::StatusOr<std::string> StripKeaComments(std::string_view text);

// Errors (InvalidArgument): the text is not JSON, or has no "Dhcp4"
// object. Everything else is converted or reported into `report`.
absl::StatusOr<ConvertResult> ConvertKeaConfig(std::string_view kea_text,
                                               const ConvertOptions& options,
                                               Report* report);

}  // namespace leasewire::kea_migrate

#endif  // LEASEWIRE_TOOLS_KEA_MIGRATE_KEA_CONFIG_H_
