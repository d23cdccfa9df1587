#include "store/record.h"

namespace leasewire::store::internal {
namespace {

void PutLe(uint64_t v, int n, std::string* out) {
  for (int i = 0; i < n; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetLe(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

void PutBytes(std::span<const uint8_t> b, std::string* out) {
  out->append(reinterpret_cast<const char*>(b.data()), b.size());
}

// Unix seconds from 1970 to about year 36800, or "never": anything else
// would overflow the arithmetic of recovery.
bool PlausibleWall(int64_t w) {
  return (w >= 0 && w < (int64_t{1} << 40)) || w == TimeBase::kWallNever;
}

uint8_t Len(size_t n) { return static_cast<uint8_t>(n > 255 ? 255 : n); }

}  // namespace

uint32_t Checksum(const void* data, size_t n, uint32_t seed) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t h = seed;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

void EncodeKey(lease::Ipv4Address address, char* out) {
  out[0] = kLeasePrefix;
  address.Store(reinterpret_cast<uint8_t*>(out + 1));
}

void EncodeBody(const engine::LeaseImage& image, engine::MutationKind kind,
                const TimeBase& base, uint32_t server_id, std::string* out) {
  out->push_back(static_cast<char>(kRecordVersion));
  out->push_back(static_cast<char>(kind));
  out->push_back(static_cast<char>(image.state));
  out->push_back(static_cast<char>(image.flags));
  PutLe(image.subnet_id, 4, out);
  PutLe(static_cast<uint64_t>(base.ToWall(image.start)), 8, out);
  PutLe(static_cast<uint64_t>(base.ToWall(image.expiry)), 8, out);
  PutLe(server_id, 4, out);
  out->push_back(static_cast<char>(image.htype));
  const uint8_t lens[5] = {
      Len(image.client_id.size()), Len(image.chaddr.size()),
      Len(image.circuit_id.size()), Len(image.remote_id.size()),
      Len(image.hostname.size())};
  out->append(reinterpret_cast<const char*>(lens), 5);
  PutBytes(image.client_id.first(lens[0]), out);
  PutBytes(image.chaddr.first(lens[1]), out);
  PutBytes(image.circuit_id.first(lens[2]), out);
  PutBytes(image.remote_id.first(lens[3]), out);
  out->append(image.hostname.data(), lens[4]);
}

void AppendTrailer(uint32_t body_hash, uint64_t sequence, std::string* out) {
  char seq[8];
  for (int i = 0; i < 8; ++i) seq[i] = static_cast<char>(sequence >> (8 * i));
  out->append(seq, 8);
  PutLe(Checksum(seq, 8, body_hash), 4, out);
}

bool DecodeRecord(std::string_view key, std::string_view value, Record* out) {
  if (key.size() != kLeaseKeySize || key[0] != kLeasePrefix) return false;
  if (value.size() < kFixedSize + kTrailerSize) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(value.data());
  if (p[0] != kRecordVersion) return false;
  const size_t body = value.size() - kTrailerSize;
  size_t var = 0;
  for (int i = 29; i < 34; ++i) var += p[i];
  if (kFixedSize + var != body) return false;
  if (Checksum(p, body + 8) != static_cast<uint32_t>(GetLe(p + body + 8, 4))) {
    return false;
  }
  if (p[1] < 1 || p[1] > 5 || p[2] < 1 || p[2] > 5) return false;
  out->start_wall = static_cast<int64_t>(GetLe(p + 8, 8));
  out->expiry_wall = static_cast<int64_t>(GetLe(p + 16, 8));
  if (!PlausibleWall(out->start_wall) || !PlausibleWall(out->expiry_wall)) {
    return false;
  }
  out->meta.last_kind = static_cast<engine::MutationKind>(p[1]);
  out->meta.server_id = static_cast<uint32_t>(GetLe(p + 24, 4));
  out->meta.sequence = GetLe(p + body, 8);
  engine::LeaseImage& im = out->image;
  im.address = lease::Ipv4Address::Load(
      reinterpret_cast<const uint8_t*>(key.data()) + 1);
  im.state = static_cast<lease::LeaseState>(p[2]);
  im.flags = p[3];
  im.subnet_id = static_cast<uint32_t>(GetLe(p + 4, 4));
  im.htype = p[28];
  const uint8_t* d = p + kFixedSize;
  im.client_id = {d, p[29]};
  d += p[29];
  im.chaddr = {d, p[30]};
  d += p[30];
  im.circuit_id = {d, p[31]};
  d += p[31];
  im.remote_id = {d, p[32]};
  d += p[32];
  im.hostname = {reinterpret_cast<const char*>(d), p[33]};
  return true;
}

}  // namespace leasewire::store::internal
