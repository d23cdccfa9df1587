#include "leasewire/lease/lease.h"

#include <algorithm>
#include <cstdlib>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace leasewire::lease {

std::string_view LeaseStateName(LeaseState state) {
  switch (state) {
    case LeaseState::kOffered:
      return "offered";
    case LeaseState::kBound:
      return "bound";
    case LeaseState::kReleased:
      return "released";
    case LeaseState::kDeclined:
      return "declined";
    case LeaseState::kExpired:
      return "expired";
  }
  return "unknown";
}

uint32_t HashClientKey(const ClientKey& key) {
  // absl's own string_view hashes with its fast low-level hash.
  const absl::string_view bytes(reinterpret_cast<const char*>(key.bytes.data()),
                                key.bytes.size());
  const size_t h = absl::HashOf(key.is_client_id, key.htype, bytes);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

uint8_t* LeaseBytes::Resize(size_t old_size, size_t new_size) {
  if (new_size <= kInline) {
    Reset(old_size);
    return storage_;
  }
  if (old_size > kInline && HeapCapacity() >= new_size) return HeapPtr();
  Reset(old_size);
  auto* p = static_cast<uint8_t*>(std::malloc(new_size));
  if (p == nullptr) std::abort();
  const auto capacity = static_cast<uint32_t>(new_size);
  std::memcpy(storage_, &p, sizeof(p));
  std::memcpy(storage_ + sizeof(p), &capacity, sizeof(capacity));
  return p;
}

void LeaseBytes::Reset(size_t size) {
  if (size > kInline) std::free(HeapPtr());
  // Leaves the storage as an empty inline area.
  std::memset(storage_, 0, sizeof(storage_));
}

void Lease::ClearFields() {
  bytes.Reset(bytes_size());
  client_id_len = hlen = circuit_id_len = remote_id_len = hostname_len = 0;
}

void Lease::SetFields(const LeaseFields& f) {
  const auto cap = [](size_t n) { return std::min<size_t>(n, 255); };
  const size_t id = cap(f.client_id.size());
  const size_t hw = std::min<size_t>(f.chaddr.size(), 16);
  const size_t circuit = cap(f.circuit_id.size());
  const size_t remote = cap(f.remote_id.size());
  const size_t host = cap(f.hostname.size());
  uint8_t* p = bytes.Resize(bytes_size(), id + hw + circuit + remote + host);
  const auto put = [&p](const void* src, size_t n) {
    if (n > 0) std::memcpy(p, src, n);
    p += n;
  };
  put(f.client_id.data(), id);
  put(f.chaddr.data(), hw);
  put(f.circuit_id.data(), circuit);
  put(f.remote_id.data(), remote);
  put(f.hostname.data(), host);
  client_id_len = static_cast<uint8_t>(id);
  htype = f.htype;
  hlen = static_cast<uint8_t>(hw);
  circuit_id_len = static_cast<uint8_t>(circuit);
  remote_id_len = static_cast<uint8_t>(remote);
  hostname_len = static_cast<uint8_t>(host);
  if (f.key_hash != 0) {
    key_hash = f.key_hash;
  } else {
    const ClientKey k = client_id_len > 0
                            ? ClientKey{true, 0, client_id(), 0}
                            : ClientKey{false, htype, chaddr(), 0};
    key_hash = HashClientKey(k);
  }
}

}  // namespace leasewire::lease
