#include "leasewire/lease/lease.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

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

namespace {

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

uint64_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// The 128-bit product of a and b, folded to 64 bits: every input bit
// reaches most output bits in one multiplication.
uint64_t Fold(uint64_t a, uint64_t b) {
  const unsigned __int128 m = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
}

// memcpy for the few octets of an identity: overlapping word moves
// instead of a library call per field.
[[gnu::always_inline]] inline void CopyShort(uint8_t* d, const uint8_t* s,
                                             size_t n) {
  if (n > 16) {
    std::memcpy(d, s, n);
  } else if (n >= 8) {
    const uint64_t a = Load64(s), b = Load64(s + n - 8);
    std::memcpy(d, &a, 8);
    std::memcpy(d + n - 8, &b, 8);
  } else if (n >= 4) {
    const auto a = static_cast<uint32_t>(Load32(s));
    const auto b = static_cast<uint32_t>(Load32(s + n - 4));
    std::memcpy(d, &a, 4);
    std::memcpy(d + n - 4, &b, 4);
  } else if (n > 0) {
    d[0] = s[0];
    d[n >> 1] = s[n >> 1];
    d[n - 1] = s[n - 1];
  }
}

}  // namespace

uint32_t HashClientKey(const ClientKey& key) {
  // Keys are short (a 6-octet MAC, a 7-octet client-id), and the hash is
  // taken once per request: two word loads and two multiplications instead
  // of a general-purpose string hash. The hash lives in memory only (never
  // persisted), so its values may change between versions.
  constexpr uint64_t kA = 0x9e3779b97f4a7c15ull;
  constexpr uint64_t kB = 0xd6e8feb86659fd93ull;
  constexpr uint64_t kC = 0xa0761d6478bd642full;
  const uint8_t* p = key.bytes.data();
  const size_t n = key.bytes.size();
  uint64_t seed =
      kC ^ (uint64_t{key.is_client_id} << 40) ^ (uint64_t{key.htype} << 32) ^ n;
  uint64_t a = 0, b = 0;
  if (n <= 16) {
    if (n >= 8) {
      a = Load64(p);
      b = Load64(p + n - 8);
    } else if (n >= 4) {
      a = Load32(p);
      b = Load32(p + n - 4);
    } else if (n > 0) {
      a = (uint64_t{p[0]} << 16) | (uint64_t{p[n >> 1]} << 8) | p[n - 1];
    }
  } else {
    size_t rest = n;
    while (rest > 16) {
      seed = Fold(Load64(p) ^ kA, Load64(p + 8) ^ seed);
      p += 16;
      rest -= 16;
    }
    a = Load64(p + rest - 16);
    b = Load64(p + rest - 8);
  }
  const uint64_t h = Fold(kB ^ n, Fold(a ^ kA, b ^ seed));
  return static_cast<uint32_t>(h ^ (h >> 32));
}

uint8_t* LeaseBytes::Resize(size_t old_size, size_t new_size) {
  if (new_size <= kInline) {
    // Inline to inline: the caller overwrites what it uses, and octets
    // past the size are never read.
    if (old_size > kInline) Reset(old_size);
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
    CopyShort(p, static_cast<const uint8_t*>(src), n);
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
