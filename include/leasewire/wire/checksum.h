// File: leasewire/wire/checksum.h
//
// The Internet checksum (RFC 1071) for IPv4 headers and UDP datagrams.
// Partial sums can be chained, so a header and a payload in different
// places are summed without copying.

#ifndef LEASEWIRE_WIRE_CHECKSUM_H_
#define LEASEWIRE_WIRE_CHECKSUM_H_

#include <cstdint>
#include <span>

#include "leasewire/wire/types.h"

namespace leasewire::wire {

// Adds `data` to the running one's-complement sum `sum` as a sequence of
// big-endian 16-bit words (an odd last octet is padded with zero).
// REQUIRES: every chained block except the last has an even length.
uint64_t ChecksumAdd(std::span<const uint8_t> data, uint64_t sum = 0);

// Folds a running sum to 16 bits and complements it: the value to store.
uint16_t ChecksumFinish(uint64_t sum);

// The checksum to store in an IPv4 header (its checksum field may hold
// anything: it is treated as zero). A header that already holds a correct
// checksum yields the same value again.
uint16_t Ipv4HeaderChecksum(std::span<const uint8_t> header);

// The UDP checksum over the pseudo-header and `datagram` (UDP header plus
// payload, with its checksum field treated as zero). Never returns 0: a
// computed 0 is sent as 0xffff (RFC 768).
// REQUIRES: datagram.size() >= 8.
uint16_t UdpChecksum(Ipv4Address src, Ipv4Address dst,
                     std::span<const uint8_t> datagram);

}  // namespace leasewire::wire

#endif  // LEASEWIRE_WIRE_CHECKSUM_H_
