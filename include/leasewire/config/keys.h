// File: leasewire/config/keys.h
//
// Every key the configuration loader accepts, object by object. It is the
// one list the loader checks a file against (a key not listed for its
// object is an error naming its place: `subnets[0]: unknown key
// "valid-lifetme"`) and the one docs/configuration.md is tested against
// (tests/config/config_doc_test.cc), so the documentation cannot drift
// from the code.
//
// Objects are named by their path in the file, "[]" standing for every
// element of an array: "" (the top level), "interfaces[]", "trust",
// "dataplane", "lease-database", "control", "subnets[]",
// "subnets[].relay", "subnets[].pools[]", "subnets[].reservations[]" and
// "option-data[]" (an entry of any option-data list, at every level).
//
// Thread safety: the functions return immutable data.

#ifndef LEASEWIRE_CONFIG_KEYS_H_
#define LEASEWIRE_CONFIG_KEYS_H_

#include <span>
#include <string_view>
#include <vector>

namespace leasewire::config {

struct ConfigKey {
  std::string_view object;  // "subnets[].pools[]"
  std::string_view key;     // "option-data"
};

// Every accepted key, grouped by object.
std::span<const ConfigKey> KnownKeys();

// The keys of `object`, in KnownKeys() order; empty for an unknown object.
std::vector<std::string_view> KeysOf(std::string_view object);

}  // namespace leasewire::config

#endif  // LEASEWIRE_CONFIG_KEYS_H_
