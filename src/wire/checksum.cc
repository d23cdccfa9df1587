#include "leasewire/wire/checksum.h"

#include <bit>
#include <cstring>

namespace leasewire::wire {

namespace {

// Folds a sum of 16-bit words to 16 bits with end-around carries.
uint64_t Fold16(uint64_t sum) {
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (sum & 0xffff) + (sum >> 16);
}

}  // namespace

uint64_t ChecksumAdd(std::span<const uint8_t> data, uint64_t sum) {
  // The one's-complement sum does not depend on byte order (RFC 1071
  // §2(B)): add native 64-bit loads into a 128-bit accumulator (an add and
  // an add-with-carry each), fold, and swap into network order once.
  const uint8_t* p = data.data();
  size_t n = data.size();
  unsigned __int128 wide = 0;
  while (n >= 32) {
    uint64_t a, b, c, d;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    std::memcpy(&c, p + 16, 8);
    std::memcpy(&d, p + 24, 8);
    wide += a;
    wide += b;
    wide += c;
    wide += d;
    p += 32;
    n -= 32;
  }
  while (n >= 8) {
    uint64_t a;
    std::memcpy(&a, p, 8);
    wide += a;
    p += 8;
    n -= 8;
  }
  uint64_t native = 0;
  if (n >= 4) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    native += v;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    native += v;
    p += 2;
    n -= 2;
  }
  // 2^64 = 1 (mod 2^16 - 1): the carries out of the low word add in.
  const auto lo = static_cast<uint64_t>(wide);
  const auto hi = static_cast<uint64_t>(wide >> 64);
  native = Fold16(native) + Fold16(lo) + hi;
  auto folded = static_cast<uint16_t>(Fold16(native));
  if constexpr (std::endian::native == std::endian::little) {
    folded = static_cast<uint16_t>((folded >> 8) | (folded << 8));
  }
  sum += folded;
  if (n == 1) sum += uint32_t{p[0]} << 8;
  return sum;
}

uint16_t ChecksumFinish(uint64_t sum) {
  return static_cast<uint16_t>(~Fold16(sum) & 0xffff);
}

uint16_t Ipv4HeaderChecksum(std::span<const uint8_t> header) {
  // The checksum field (octets 10-11) counts as zero.
  uint64_t sum = ChecksumAdd(header.first(10));
  sum = ChecksumAdd(header.subspan(12), sum);
  return ChecksumFinish(sum);
}

uint16_t UdpChecksum(Ipv4Address src, Ipv4Address dst,
                     std::span<const uint8_t> datagram) {
  uint64_t sum =
      uint64_t{src.value()} + dst.value() + 17 /* protocol */ + datagram.size();
  sum = ChecksumAdd(datagram.first(6), sum);  // ports and length
  sum = ChecksumAdd(datagram.subspan(8), sum);
  const uint16_t c = ChecksumFinish(sum);
  return c == 0 ? 0xffff : c;
}

}  // namespace leasewire::wire
