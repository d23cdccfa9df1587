// File: tests/store/store_test_util.h
//
// Helpers for store tests: a temporary directory removed on destruction,
// leases built from plain values, and recovered images copied out.
//
// Thread safety: thread-compatible.

#ifndef LEASEWIRE_TESTS_STORE_STORE_TEST_UTIL_H_
#define LEASEWIRE_TESTS_STORE_STORE_TEST_UTIL_H_

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "leasewire/engine/mutation.h"
#include "leasewire/lease/lease.h"

namespace leasewire::store::test {

using Bytes = std::vector<uint8_t>;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/leasewire-store-XXXXXX";
    const char* p = mkdtemp(tmpl);
    path_ = p != nullptr ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string db() const { return path_ + "/leases"; }

 private:
  std::string path_;
};

// Everything a lease record holds, by value.
struct LeaseValues {
  uint32_t address = 0;
  uint32_t subnet_id = 1;
  lease::LeaseState state = lease::LeaseState::kBound;
  uint8_t flags = 0;
  lease::Seconds start = 0;
  lease::Seconds expiry = 0;
  uint8_t htype = 1;
  Bytes client_id, chaddr, circuit_id, remote_id;
  std::string hostname;

  friend bool operator==(const LeaseValues&, const LeaseValues&) = default;
};

inline void Append(engine::MutationLog* log, engine::MutationKind kind,
                   const LeaseValues& v) {
  lease::Lease l;
  l.address = lease::Ipv4Address(v.address);
  l.state = v.state;
  l.flags = v.flags;
  l.start = v.start;
  l.expiry = v.expiry;
  lease::LeaseFields f;
  f.client_id = v.client_id;
  f.htype = v.htype;
  f.chaddr = v.chaddr;
  f.circuit_id = v.circuit_id;
  f.remote_id = v.remote_id;
  f.hostname = v.hostname;
  l.SetFields(f);
  log->Append(kind, l, v.subnet_id);
}

inline LeaseValues ValuesOf(const engine::LeaseImage& im) {
  LeaseValues v;
  v.address = im.address.value();
  v.subnet_id = im.subnet_id;
  v.state = im.state;
  v.flags = im.flags;
  v.start = im.start;
  v.expiry = im.expiry;
  v.htype = im.htype;
  v.client_id.assign(im.client_id.begin(), im.client_id.end());
  v.chaddr.assign(im.chaddr.begin(), im.chaddr.end());
  v.circuit_id.assign(im.circuit_id.begin(), im.circuit_id.end());
  v.remote_id.assign(im.remote_id.begin(), im.remote_id.end());
  v.hostname.assign(im.hostname);
  return v;
}

// A typical CPE lease for address 10.0.0.0 + i.
inline LeaseValues Cpe(uint32_t i, lease::Seconds start = 100,
                       lease::Seconds lifetime = 3600) {
  LeaseValues v;
  v.address = 0x0a000000u + i;
  v.start = start;
  v.expiry = start + lifetime;
  v.chaddr = {0x02,
              0,
              static_cast<uint8_t>(i >> 24),
              static_cast<uint8_t>(i >> 16),
              static_cast<uint8_t>(i >> 8),
              static_cast<uint8_t>(i)};
  v.client_id = {1};
  v.client_id.insert(v.client_id.end(), v.chaddr.begin(), v.chaddr.end());
  v.circuit_id = {'o', 'l', 't', '1', '/', static_cast<uint8_t>('0' + i % 10)};
  v.remote_id = {0xde, 0xad, 0xbe, 0xef};
  v.hostname = "cpe-" + std::to_string(i);
  return v;
}

}  // namespace leasewire::store::test

#endif  // LEASEWIRE_TESTS_STORE_STORE_TEST_UTIL_H_
