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

namespace {

// Adds the native 64-bit words of p[0, n) (n a multiple of 8) with
// end-around carry; returns the sum and adds the lost carries to *carries.
uint64_t SumWords(const uint8_t* p, size_t n, uint64_t* carries) {
#if defined(__x86_64__)
  // One add-with-carry per word, the carry folded back in at the end of
  // each 32-octet block (as Linux's csum_partial does); compilers do not
  // keep such a carry chain in the flags on their own.
  uint64_t sum = 0;
  for (; n >= 32; p += 32, n -= 32) {
    asm("addq 0(%[p]), %[s]\n\t"
        "adcq 8(%[p]), %[s]\n\t"
        "adcq 16(%[p]), %[s]\n\t"
        "adcq 24(%[p]), %[s]\n\t"
        "adcq $0, %[s]"
        : [s] "+r"(sum)
        : [p] "r"(p), "m"(*reinterpret_cast<const uint8_t(*)[32]>(p))
        : "cc");
  }
  for (; n >= 8; p += 8, n -= 8) {
    asm("addq %[w], %[s]\n\t"
        "adcq $0, %[s]"
        : [s] "+r"(sum)
        : [w] "m"(*reinterpret_cast<const uint64_t*>(p))
        : "cc");
  }
  (void)carries;
  return sum;
#else
  unsigned __int128 wide = 0;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    wide += w;
  }
  *carries += static_cast<uint64_t>(wide >> 64);
  return static_cast<uint64_t>(wide);
#endif
}

}  // namespace

uint64_t ChecksumAdd(std::span<const uint8_t> data, uint64_t sum) {
  // The one's-complement sum does not depend on byte order (RFC 1071
  // §2(B)): add native 64-bit words, fold, and swap into network order
  // once. 2^64 = 1 (mod 2^16 - 1), so lost carries simply add back in.
  const uint8_t* p = data.data();
  size_t n = data.size();
  uint64_t carries = 0;
  const size_t words = n & ~size_t{7};
  const uint64_t wide = SumWords(p, words, &carries);
  p += words;
  n -= words;
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
  native = Fold16(native) + Fold16(wide) + carries;
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
