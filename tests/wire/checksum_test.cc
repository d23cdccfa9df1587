// Tests for the Internet checksum (RFC 1071) and its IPv4 / UDP uses
// (RFC 791 §3.1, RFC 768).

#include "leasewire/wire/checksum.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "gtest/gtest.h"
#include "leasewire/wire/types.h"

namespace leasewire::wire {
namespace {

// A deliberately naive reference: 16-bit words, end-around carry after
// every addition, complement at the end.
uint16_t ReferenceChecksum(std::span<const uint8_t> data) {
  uint32_t sum = 0;
  for (size_t i = 0; i < data.size(); i += 2) {
    uint32_t word = uint32_t{data[i]} << 8;
    if (i + 1 < data.size()) word |= data[i + 1];
    sum += word;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum & 0xffff);
}

// Deterministic pseudo-random bytes (a small LCG), so failures reproduce.
std::vector<uint8_t> PseudoRandomBytes(size_t n, uint32_t seed) {
  std::vector<uint8_t> out(n);
  for (auto& b : out) {
    seed = seed * 1103515245u + 12345u;
    b = static_cast<uint8_t>(seed >> 16);
  }
  return out;
}

// RFC 1071 §3 numerical example: the words 0001 f203 f4f5 f6f7 sum to
// ddf2, so the checksum is its complement 220d.
TEST(ChecksumTest, Rfc1071Example) {
  const std::vector<uint8_t> data = {0x00, 0x01, 0xf2, 0x03,
                                     0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(ChecksumFinish(ChecksumAdd(data)), 0x220d);
}

// RFC 1071 §2 (B): the sum is independent of the byte order of the words,
// and §1: summing data together with its own checksum yields zero.
TEST(ChecksumTest, Rfc1071DataWithChecksumSumsToZero) {
  const std::vector<uint8_t> data = {0x00, 0x01, 0xf2, 0x03, 0xf4,
                                     0xf5, 0xf6, 0xf7, 0x22, 0x0d};
  EXPECT_EQ(ChecksumFinish(ChecksumAdd(data)), 0x0000);
}

TEST(ChecksumTest, EmptyInputIsAllOnes) {
  EXPECT_EQ(ChecksumFinish(ChecksumAdd({})), 0xffff);
  EXPECT_EQ(ChecksumFinish(0), 0xffff);
}

// RFC 1071 §4.1: an odd last octet is padded with a zero octet.
TEST(ChecksumTest, OddLengthPadsLastOctetWithZero) {
  const std::vector<uint8_t> one = {0x01};
  EXPECT_EQ(ChecksumFinish(ChecksumAdd(one)), 0xfeff);

  const std::vector<uint8_t> three = {0x00, 0x01, 0xf2};
  const std::vector<uint8_t> three_padded = {0x00, 0x01, 0xf2, 0x00};
  EXPECT_EQ(ChecksumFinish(ChecksumAdd(three)), 0x0dfe);
  EXPECT_EQ(ChecksumFinish(ChecksumAdd(three)),
            ChecksumFinish(ChecksumAdd(three_padded)));
}

TEST(ChecksumTest, MatchesReferenceForManyLengths) {
  for (size_t n = 0; n <= 300; ++n) {
    const std::vector<uint8_t> data = PseudoRandomBytes(n, 7 + n);
    EXPECT_EQ(ChecksumFinish(ChecksumAdd(data)), ReferenceChecksum(data))
        << "length " << n;
  }
}

// Sums over more than 64 KiB of 0xff must fold every carry back in.
TEST(ChecksumTest, LargeAllOnesInputFoldsCarries) {
  const std::vector<uint8_t> data(70001, 0xff);
  EXPECT_EQ(ChecksumFinish(ChecksumAdd(data)), ReferenceChecksum(data));
}

// RFC 1071 §2 (C): partial sums of even-length blocks can be chained.
TEST(ChecksumTest, ChainingPartialSumsEqualsOneSum) {
  const std::vector<uint8_t> data = PseudoRandomBytes(257, 42);
  const std::span<const uint8_t> all(data);
  const uint16_t whole = ChecksumFinish(ChecksumAdd(all));
  for (size_t split = 0; split <= data.size(); split += 2) {
    const uint64_t first = ChecksumAdd(all.first(split));
    EXPECT_EQ(ChecksumFinish(ChecksumAdd(all.subspan(split), first)), whole)
        << "split at " << split;
  }
  // Three blocks: even, even, odd last.
  const uint64_t s1 = ChecksumAdd(all.subspan(0, 100));
  const uint64_t s2 = ChecksumAdd(all.subspan(100, 56), s1);
  EXPECT_EQ(ChecksumFinish(ChecksumAdd(all.subspan(156), s2)), whole);
}

// RFC 791 §3.1: a real header, 192.168.0.1 -> 192.168.0.199, UDP, whose
// checksum is b861.
TEST(ChecksumTest, Ipv4HeaderKnownChecksum) {
  std::vector<uint8_t> header = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
                                 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
                                 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  // Already holding the right checksum: the same value again.
  EXPECT_EQ(Ipv4HeaderChecksum(header), 0xb861);
  // Whatever the checksum field holds, it is treated as zero.
  header[10] = 0x00;
  header[11] = 0x00;
  EXPECT_EQ(Ipv4HeaderChecksum(header), 0xb861);
  header[10] = 0x12;
  header[11] = 0x34;
  EXPECT_EQ(Ipv4HeaderChecksum(header), 0xb861);
  header[10] = 0xff;
  header[11] = 0xff;
  EXPECT_EQ(Ipv4HeaderChecksum(header), 0xb861);
  // A receiver summing the whole header with the checksum gets zero.
  header[10] = 0xb8;
  header[11] = 0x61;
  EXPECT_EQ(ChecksumFinish(ChecksumAdd(header)), 0);
}

// RFC 791 §3.1: the checksum covers the options too (IHL = 6).
TEST(ChecksumTest, Ipv4HeaderWithOptions) {
  std::vector<uint8_t> header = {
      0x46, 0x00, 0x00, 0x2c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
      0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x0a, 0x94, 0x04, 0x00, 0x00};
  std::vector<uint8_t> zeroed = header;
  const uint16_t expected = ReferenceChecksum(zeroed);
  header[10] = 0xab;
  header[11] = 0xcd;
  EXPECT_EQ(Ipv4HeaderChecksum(header), expected);
}

// RFC 768: the UDP checksum covers a pseudo-header (source, destination,
// zero, protocol 17, UDP length) and the datagram. 192.0.2.1:67 ->
// 192.0.2.10:67 carrying "hello!" has checksum 374d.
TEST(ChecksumTest, UdpChecksumWithPseudoHeader) {
  std::vector<uint8_t> datagram = {0x00, 0x43, 0x00, 0x43, 0x00, 0x0e, 0x00,
                                   0x00, 'h',  'e',  'l',  'l',  'o',  '!'};
  const Ipv4Address src = Ipv4Address::FromOctets(192, 0, 2, 1);
  const Ipv4Address dst = Ipv4Address::FromOctets(192, 0, 2, 10);
  EXPECT_EQ(UdpChecksum(src, dst, datagram), 0x374d);
  // The checksum field is treated as zero.
  datagram[6] = 0x37;
  datagram[7] = 0x4d;
  EXPECT_EQ(UdpChecksum(src, dst, datagram), 0x374d);
  datagram[6] = 0xde;
  datagram[7] = 0xad;
  EXPECT_EQ(UdpChecksum(src, dst, datagram), 0x374d);
  // Addresses belong to the sum: swapping them keeps it (addition is
  // commutative), changing one does not.
  EXPECT_EQ(UdpChecksum(dst, src, datagram), 0x374d);
  EXPECT_NE(UdpChecksum(Ipv4Address::FromOctets(192, 0, 2, 2), dst, datagram),
            0x374d);
}

// RFC 768 with an odd-length payload ("hello"): padded with a zero octet,
// which is not sent and not counted in the length.
TEST(ChecksumTest, UdpChecksumOddLength) {
  const std::vector<uint8_t> datagram = {
      0x00, 0x43, 0x00, 0x43, 0x00, 0x0d, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(UdpChecksum(Ipv4Address::FromOctets(192, 0, 2, 1),
                        Ipv4Address::FromOctets(192, 0, 2, 10), datagram),
            0x3770);
}

// RFC 768: "If the computed checksum is zero, it is transmitted as all
// ones" (zero means "no checksum"). This datagram's sum is exactly ffff.
TEST(ChecksumTest, UdpComputedZeroIsSentAsAllOnes) {
  const std::vector<uint8_t> datagram = {0x00, 0x43, 0x00, 0x43, 0x00,
                                         0x0a, 0x00, 0x00, 0x7b, 0x48};
  const Ipv4Address src = Ipv4Address::FromOctets(192, 0, 2, 1);
  const Ipv4Address dst = Ipv4Address::FromOctets(192, 0, 2, 10);
  EXPECT_EQ(UdpChecksum(src, dst, datagram), 0xffff);
}

// RFC 768: a receiver re-summing the pseudo-header and the datagram with
// the stored checksum gets zero.
TEST(ChecksumTest, UdpChecksumVerifiesToZero) {
  const Ipv4Address src = Ipv4Address::FromOctets(10, 1, 2, 3);
  const Ipv4Address dst = Ipv4Address::FromOctets(10, 9, 8, 7);
  for (size_t payload = 0; payload < 40; ++payload) {
    std::vector<uint8_t> datagram = PseudoRandomBytes(8 + payload, 99);
    StoreBe16(&datagram[4], static_cast<uint16_t>(datagram.size()));
    const uint16_t checksum = UdpChecksum(src, dst, datagram);
    EXPECT_NE(checksum, 0);
    StoreBe16(&datagram[6], checksum);
    std::vector<uint8_t> pseudo(12);
    src.Store(&pseudo[0]);
    dst.Store(&pseudo[4]);
    pseudo[8] = 0;
    pseudo[9] = 17;
    StoreBe16(&pseudo[10], static_cast<uint16_t>(datagram.size()));
    const uint64_t sum = ChecksumAdd(datagram, ChecksumAdd(pseudo));
    EXPECT_EQ(ChecksumFinish(sum), 0) << "payload " << payload;
  }
}

}  // namespace
}  // namespace leasewire::wire
