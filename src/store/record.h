// File: src/store/record.h
//
// Keys and values of the lease database (docs/store-format.md): a 5-octet
// key ('L' and the address, big endian) and a versioned value ending in
// the batch sequence number and a checksum. The value is built in two
// steps so that the part that costs something is done before the sequence
// number is known:
//
//   std::string v;
//   EncodeBody(image, kind, base, server_id, &v);  // outside the lock
//   uint32_t h = Checksum(v.data(), v.size());
//   AppendTrailer(h, sequence, &v);                // under the lock
//
// Internal to the store.
//
// Thread safety: stateless functions.

#ifndef LEASEWIRE_STORE_RECORD_H_
#define LEASEWIRE_STORE_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "leasewire/engine/mutation.h"
#include "leasewire/store/store.h"

namespace leasewire::store::internal {

inline constexpr char kLeasePrefix = 'L';
// Runtime reservations: 'R' + the control layer's key; value: JSON.
inline constexpr char kReservationPrefix = 'R';
inline constexpr char kMetaPrefix = 'M';
inline constexpr size_t kLeaseKeySize = 5;
// Meta keys: the schema version (u32 LE) and the last sequence (u64 LE).
inline constexpr std::string_view kSchemaKey = "M\x01";
inline constexpr std::string_view kSequenceKey = "M\x02";

inline constexpr uint8_t kRecordVersion = 1;
inline constexpr size_t kFixedSize = 34;    // before the variable octets
inline constexpr size_t kTrailerSize = 12;  // sequence u64, checksum u32
inline constexpr uint32_t kChecksumSeed = 2166136261u;

// Writes the key of `address` to out[0..5).
void EncodeKey(lease::Ipv4Address address, char* out);

// Appends the body of the value for `image` after a mutation of `kind`
// (everything but the trailer), with times converted to wall seconds by
// `base`.
void EncodeBody(const engine::LeaseImage& image, engine::MutationKind kind,
                const TimeBase& base, uint32_t server_id, std::string* out);

// Appends the sequence number and the checksum; `body_hash` is
// Checksum() of the body.
void AppendTrailer(uint32_t body_hash, uint64_t sequence, std::string* out);

// A decoded record; spans point into the value.
struct Record {
  engine::LeaseImage image;  // start/expiry unset: see the wall fields
  RecordMeta meta;
  int64_t start_wall = 0;
  int64_t expiry_wall = 0;
};

// False when the key or value is damaged (wrong size, unknown version or
// state, lengths that do not add up, bad checksum, impossible times).
bool DecodeRecord(std::string_view key, std::string_view value, Record* out);

// 32-bit FNV-1a, continuing from `seed`.
uint32_t Checksum(const void* p, size_t n, uint32_t seed = kChecksumSeed);

}  // namespace leasewire::store::internal

#endif  // LEASEWIRE_STORE_RECORD_H_
