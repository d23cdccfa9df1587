// File: leasewire/control/runtime_config.h
//
// The configuration a running leasewired serves: the file as an operator
// wrote it plus the reservations added at run time (leasewirectl
// reservation-add, persisted in the lease database). The two are merged as
// JSON (each runtime reservation appended to its subnet's "reservations")
// and the result goes through config::LoadConfig(), so a runtime
// reservation gets exactly the validation a reservation in the file gets.
//
// Thread safety: the functions are pure.

#ifndef LEASEWIRE_CONTROL_RUNTIME_CONFIG_H_
#define LEASEWIRE_CONTROL_RUNTIME_CONFIG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "leasewire/config/config.h"
#include "nlohmann/json.hpp"

namespace leasewire::control {

// A reservation added at run time.
struct RuntimeReservation {
  // "<subnet id>/<kind>/<identifier octets in hex, colon-separated>", e.g.
  // "7/hw-address/02:00:00:00:00:01": the key in the lease database.
  std::string key;
  uint32_t subnet_id = 0;
  nlohmann::json object;  // the reservation as in the file
};

// The identifier kinds, as the file spells them.
inline constexpr std::string_view kReservationKinds[] = {
    "hw-address", "client-id", "circuit-id", "remote-id"};

// The octets of an identifier of `kind`, read as the config file reads
// it. InvalidArgument with the loader's message when malformed.
absl::StatusOr<std::vector<uint8_t>> ParseIdentifier(std::string_view kind,
                                                     std::string_view text);

// The key of the reservation for `subnet_id` whose identifier is `kind`:
// `identifier` (read as the file reads it: "02-00-..." and "02:00:..." are
// one MAC). InvalidArgument with the loader's message when malformed.
absl::StatusOr<std::string> ReservationKey(uint32_t subnet_id,
                                           std::string_view kind,
                                           std::string_view identifier);

// Checks the shape of `object` (an object with exactly one identifier) and
// makes the runtime reservation. Validation against the subnet happens in
// MergeConfig().
absl::StatusOr<RuntimeReservation> MakeRuntimeReservation(
    uint32_t subnet_id, const nlohmann::json& object);

// Reads a record of Store::ForEachReservation(); InvalidArgument when the
// JSON or key is damaged.
absl::StatusOr<RuntimeReservation> ParseStoredReservation(
    std::string_view key, std::string_view json);

struct MergedConfig {
  std::shared_ptr<const config::Config> config;
  std::string text;  // the merged JSON the config was loaded from
  // Runtime reservations left out, one message each (subnet gone from the
  // file, or refused by the loader when `drop_refused`).
  std::vector<std::string> left_out;
  // How many runtime reservations `config` has.
  size_t applied = 0;
};

// Loads `file_text` (errors are the file's own) and then the file with
// `runtime` merged in. A runtime reservation for a subnet the file does
// not have is left out. One the loader refuses (duplicate identifier or
// address, address outside the subnet, ...) is left out when
// `drop_refused`, else the whole merge fails with the loader's message
// naming the reservation by its key.
absl::StatusOr<MergedConfig> MergeConfig(
    std::string_view file_text, const std::vector<RuntimeReservation>& runtime,
    bool drop_refused);

// SHA-256 of `text`, lower-case hex.
std::string Sha256Hex(std::string_view text);

}  // namespace leasewire::control

#endif  // LEASEWIRE_CONTROL_RUNTIME_CONFIG_H_
