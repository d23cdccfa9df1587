// File: config/option_value.h (private to the config layer)
//
// The text forms of the configuration (hex strings, addresses with prefix
// lengths) and the "option-data" lists that become OptionSets. The text
// forms of option values are described in docs/configuration.md;
// EncodeOptionValue() (config.h) is the entry point for one value.

#ifndef LEASEWIRE_CONFIG_OPTION_VALUE_H_
#define LEASEWIRE_CONFIG_OPTION_VALUE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "config/json_reader.h"
#include "leasewire/config/config.h"

namespace leasewire::config::internal {

// Octets written in hex: "0x0a0b", "0a:0b" (one or two digits between
// colons) or "0a0b"; surrounding blanks are ignored. nullopt when the text
// is anything else or has no octets.
std::optional<std::vector<uint8_t>> ParseHex(absl::string_view text);
// "0a:0b", for messages.
std::string ToHex(std::span<const uint8_t> bytes);

// "a.b.c.d/n" where host bits may be set (an interface address).
struct AddressWithLength {
  Ipv4Address address;
  uint8_t length = 0;
};
std::optional<AddressWithLength> ParseAddressWithLength(absl::string_view text);

// Codes the server fills in itself (message type, lease times, server id,
// ...); configuring them is an error.
bool IsManagedOption(uint8_t code);

// Reads an "option-data" list (the node is the list) into `*out`. Each
// entry names its option by "name" or "code" and gives its value as "data"
// (text form of the option's type) or "hex" (raw octets), optionally with
// "always-send". A code may appear once per list.
absl::Status ReadOptionData(const Node& list, OptionSet* out);

}  // namespace leasewire::config::internal

#endif  // LEASEWIRE_CONFIG_OPTION_VALUE_H_
