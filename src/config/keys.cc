#include "leasewire/config/keys.h"

#include <array>

namespace leasewire::config {
namespace {

constexpr std::array kKeys = {
    // Top level.
    ConfigKey{"", "server-id"},
    ConfigKey{"", "interfaces"},
    ConfigKey{"", "authoritative"},
    ConfigKey{"", "valid-lifetime"},
    ConfigKey{"", "min-valid-lifetime"},
    ConfigKey{"", "max-valid-lifetime"},
    ConfigKey{"", "renew-timer-percent"},
    ConfigKey{"", "rebind-timer-percent"},
    ConfigKey{"", "offer-lifetime"},
    ConfigKey{"", "decline-probation-period"},
    ConfigKey{"", "trust"},
    ConfigKey{"", "option-data"},
    ConfigKey{"", "subnets"},
    ConfigKey{"", "dataplane"},
    ConfigKey{"", "lease-database"},
    ConfigKey{"", "control"},
    // The server's ports.
    ConfigKey{"interfaces[]", "name"},
    ConfigKey{"interfaces[]", "address"},
    ConfigKey{"interfaces[]", "device"},
    ConfigKey{"trust", "link-selection"},
    ConfigKey{"trust", "subnet-selection"},
    ConfigKey{"trust", "relay-info-without-giaddr"},
    ConfigKey{"trust", "server-id-override"},
    ConfigKey{"dataplane", "workers"},
    ConfigKey{"dataplane", "eal-args"},
    ConfigKey{"dataplane", "mbufs-per-worker"},
    ConfigKey{"lease-database", "directory"},
    ConfigKey{"lease-database", "durability"},
    ConfigKey{"control", "socket"},
    ConfigKey{"control", "socket-mode"},
    ConfigKey{"control", "metrics"},
    ConfigKey{"control", "tcp"},
    // A subnet and what it holds.
    ConfigKey{"subnets[]", "id"},
    ConfigKey{"subnets[]", "subnet"},
    ConfigKey{"subnets[]", "pools"},
    ConfigKey{"subnets[]", "relay"},
    ConfigKey{"subnets[]", "server-id"},
    ConfigKey{"subnets[]", "authoritative"},
    ConfigKey{"subnets[]", "valid-lifetime"},
    ConfigKey{"subnets[]", "min-valid-lifetime"},
    ConfigKey{"subnets[]", "max-valid-lifetime"},
    ConfigKey{"subnets[]", "renew-timer-percent"},
    ConfigKey{"subnets[]", "rebind-timer-percent"},
    ConfigKey{"subnets[]", "option-data"},
    ConfigKey{"subnets[]", "reservations"},
    ConfigKey{"subnets[].relay", "ip-addresses"},
    ConfigKey{"subnets[].pools[]", "pool"},
    ConfigKey{"subnets[].pools[]", "option-data"},
    ConfigKey{"subnets[].reservations[]", "hw-address"},
    ConfigKey{"subnets[].reservations[]", "client-id"},
    ConfigKey{"subnets[].reservations[]", "circuit-id"},
    ConfigKey{"subnets[].reservations[]", "remote-id"},
    ConfigKey{"subnets[].reservations[]", "ip-address"},
    ConfigKey{"subnets[].reservations[]", "hostname"},
    ConfigKey{"subnets[].reservations[]", "valid-lifetime"},
    ConfigKey{"subnets[].reservations[]", "option-data"},
    // An entry of any option-data list.
    ConfigKey{"option-data[]", "name"},
    ConfigKey{"option-data[]", "code"},
    ConfigKey{"option-data[]", "data"},
    ConfigKey{"option-data[]", "hex"},
    ConfigKey{"option-data[]", "always-send"},
};

}  // namespace

std::span<const ConfigKey> KnownKeys() { return kKeys; }

std::vector<std::string_view> KeysOf(std::string_view object) {
  std::vector<std::string_view> keys;
  for (const ConfigKey& k : kKeys) {
    if (k.object == object) keys.push_back(k.key);
  }
  return keys;
}

}  // namespace leasewire::config
