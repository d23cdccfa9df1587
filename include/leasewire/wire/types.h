// File: leasewire/wire/types.h
//
// Value types shared by the wire layer and everything above it: IPv4 and
// MAC addresses, and loads/stores in network byte order. All are trivially
// copyable and never allocate, except the ToString() helpers meant for logs
// and tests.

#ifndef LEASEWIRE_WIRE_TYPES_H_
#define LEASEWIRE_WIRE_TYPES_H_

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace leasewire::wire {

inline uint16_t LoadBe16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t LoadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void StoreBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// An IPv4 address held in host byte order, so that comparisons and
// arithmetic (pool offsets, prefix masks) are plain integer operations.
class Ipv4Address {
 public:
  constexpr Ipv4Address() = default;
  constexpr explicit Ipv4Address(uint32_t host_order) : value_(host_order) {}

  static constexpr Ipv4Address FromOctets(uint8_t a, uint8_t b, uint8_t c,
                                          uint8_t d) {
    return Ipv4Address((uint32_t{a} << 24) | (uint32_t{b} << 16) |
                       (uint32_t{c} << 8) | uint32_t{d});
  }
  // Reads four octets in network order.
  static Ipv4Address Load(const uint8_t* p) { return Ipv4Address(LoadBe32(p)); }
  // Parses dotted-quad notation; nullopt on anything else.
  static std::optional<Ipv4Address> Parse(std::string_view text);

  static constexpr Ipv4Address Broadcast() { return Ipv4Address(0xffffffff); }

  constexpr uint32_t value() const { return value_; }
  constexpr bool IsZero() const { return value_ == 0; }
  void Store(uint8_t* p) const { StoreBe32(p, value_); }
  std::string ToString() const;

  friend constexpr auto operator<=>(Ipv4Address, Ipv4Address) = default;

 private:
  uint32_t value_ = 0;
};

// An Ethernet (EUI-48) address.
class MacAddress {
 public:
  constexpr MacAddress() = default;
  constexpr explicit MacAddress(const std::array<uint8_t, 6>& bytes)
      : bytes_(bytes) {}
  static MacAddress Load(const uint8_t* p) {
    MacAddress m;
    for (size_t i = 0; i < 6; ++i) m.bytes_[i] = p[i];
    return m;
  }
  // Parses "02:00:00:00:00:01"; nullopt on anything else.
  static std::optional<MacAddress> Parse(std::string_view text);
  static constexpr MacAddress Broadcast() {
    return MacAddress({0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  }

  const std::array<uint8_t, 6>& bytes() const { return bytes_; }
  void Store(uint8_t* p) const {
    for (size_t i = 0; i < 6; ++i) p[i] = bytes_[i];
  }
  bool IsBroadcast() const { return *this == Broadcast(); }
  std::string ToString() const;

  friend constexpr bool operator==(const MacAddress&,
                                   const MacAddress&) = default;

 private:
  std::array<uint8_t, 6> bytes_{};
};

}  // namespace leasewire::wire

#endif  // LEASEWIRE_WIRE_TYPES_H_
