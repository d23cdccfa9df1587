#include "leasewire/wire/types.h"

#include <arpa/inet.h>

#include <cstdio>
#include <string>

namespace leasewire::wire {

std::optional<Ipv4Address> Ipv4Address::Parse(std::string_view text) {
  if (text.size() > INET_ADDRSTRLEN - 1) return std::nullopt;
  char buf[INET_ADDRSTRLEN] = {};
  text.copy(buf, text.size());
  uint8_t octets[4];
  if (inet_pton(AF_INET, buf, octets) != 1) return std::nullopt;
  return Ipv4Address::Load(octets);
}

std::string Ipv4Address::ToString() const {
  char buf[INET_ADDRSTRLEN];
  uint8_t octets[4];
  Store(octets);
  inet_ntop(AF_INET, octets, buf, sizeof(buf));
  return buf;
}

std::optional<MacAddress> MacAddress::Parse(std::string_view text) {
  // Exactly "xx:xx:xx:xx:xx:xx", hex digits in either case.
  if (text.size() != 17) return std::nullopt;
  std::array<uint8_t, 6> bytes{};
  for (size_t i = 0; i < 6; ++i) {
    if (i > 0 && text[3 * i - 1] != ':') return std::nullopt;
    unsigned value = 0;
    for (size_t k = 0; k < 2; ++k) {
      const char c = text[3 * i + k];
      unsigned digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return std::nullopt;
      }
      value = value * 16 + digit;
    }
    bytes[i] = static_cast<uint8_t>(value);
  }
  return MacAddress(bytes);
}

std::string MacAddress::ToString() const {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", bytes_[0],
                bytes_[1], bytes_[2], bytes_[3], bytes_[4], bytes_[5]);
  return buf;
}

}  // namespace leasewire::wire
