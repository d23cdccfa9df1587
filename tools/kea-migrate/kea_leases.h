// File: tools/kea-migrate/kea_leases.h
//
// Imports a Kea memfile lease file (CSV, Kea 2.2 columns address, hwaddr,
// client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev,
// hostname, state, user_context) into leasewire's lease database, through
// the same Store API and record format leasewired recovers from
// (docs/store-format.md).
//
// Three steps, so each can be tested on its own:
//   ParseKeaLeaseCsv()  text -> rows, malformed lines reported;
//   PlanImport()        rows -> the leases to keep (memfile is append-only:
//                       the last row of an address wins), placed in the
//                       converted config's subnets by address;
//   WriteLeases()       leases -> RocksDB, then read back with Recover().
//
// Thread safety: stateless functions; safe from any thread.

#ifndef LEASEWIRE_TOOLS_KEA_MIGRATE_KEA_LEASES_H_
#define LEASEWIRE_TOOLS_KEA_MIGRATE_KEA_LEASES_H_

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "leasewire/config/config.h"
#include "leasewire/lease/lease.h"
#include "leasewire/wire/types.h"
#include "nlohmann/json.hpp"
#include "report.h"

namespace leasewire::kea_migrate {

// Kea's lease states (Lease::STATE_* in Kea).
inline constexpr uint32_t kKeaStateDefault = 0;
inline constexpr uint32_t kKeaStateDeclined = 1;
inline constexpr uint32_t kKeaStateExpiredReclaimed = 2;
inline constexpr uint32_t kKeaStateReleased = 3;  // newer Kea versions
inline constexpr uint32_t kKeaInfinite = 0xffffffff;

// One row of the lease file.
struct KeaLease {
  wire::Ipv4Address address;
  std::vector<uint8_t> hwaddr;
  std::vector<uint8_t> client_id;
  uint32_t valid_lifetime = 0;
  int64_t expire = 0;  // Unix seconds: cltt + valid_lifetime
  uint32_t subnet_id = 0;
  std::string hostname;
  uint32_t state = kKeaStateDefault;
  // From user_context "ISC"."relay-agent-info" (store-extended-info).
  std::vector<uint8_t> circuit_id;
  std::vector<uint8_t> remote_id;
  std::string where;  // "FILE:LINE"
};

struct ImportCounts {
  uint64_t rows = 0;           // well-formed rows read
  uint64_t malformed = 0;      // lines skipped as malformed
  uint64_t addresses = 0;      // distinct addresses after the last row won
  uint64_t removed = 0;        // last row has valid_lifetime 0 (deleted in Kea)
  uint64_t released = 0;       // state 2 (expired-reclaimed) or 3 (released)
  uint64_t expired = 0;        // lifetime or probation over at import time
  uint64_t not_in_subnet = 0;  // in no subnet of the converted config
  uint64_t unusable = 0;       // a subnet's own address (router, ...)
  uint64_t imported = 0;       // leases to write: bound + declined
  uint64_t declined = 0;       // of which declined (probation)
  uint64_t subnet_moved = 0;   // Kea subnet id differs from leasewire's

  nlohmann::ordered_json ToJson() const;
};

// A lease as it goes into the store, owning its bytes.
struct PlannedLease {
  wire::Ipv4Address address;
  uint32_t subnet_id = 0;
  lease::LeaseState state = lease::LeaseState::kBound;
  int64_t start = 0;   // Unix seconds
  int64_t expiry = 0;  // Unix seconds; INT64_MAX: infinite
  uint8_t htype = 0;
  std::vector<uint8_t> client_id;
  std::vector<uint8_t> chaddr;
  std::vector<uint8_t> circuit_id;
  std::vector<uint8_t> remote_id;
  std::string hostname;
};

// At most this many report items per kind of problem (malformed line,
// address in no subnet, ...); the counts are always complete.
inline constexpr size_t kMaxItemsPerKind = 1000;

// The lease file's rows as memfile replays them: the last row read for an
// address replaces the earlier ones, so memory grows with the addresses,
// not with the rows (a file between cleanups holds a row per renewal).
class LeaseRows {
 public:
  void Add(KeaLease row);
  // One row per address, in the order addresses were first seen.
  const std::vector<KeaLease>& rows() const { return rows_; }
  size_t size() const { return rows_.size(); }

 private:
  std::vector<KeaLease> rows_;
  absl::flat_hash_map<uint32_t, size_t> index_;  // address -> rows_ index
};

// Reads one lease file line by line into `rows` (`name` is used in report
// paths). InvalidArgument when the header is missing or lacks a needed
// column; malformed lines are skipped, counted and reported with their
// number.
absl::Status ParseKeaLeaseCsv(std::istream& in, std::string_view name,
                              LeaseRows* rows, Report* report,
                              ImportCounts* counts);
// The same for a file's text.
absl::Status ParseKeaLeaseCsv(std::string_view text, std::string_view name,
                              LeaseRows* rows, Report* report,
                              ImportCounts* counts);

// The leases to import, in address order. `now` is Unix seconds.
std::vector<PlannedLease> PlanImport(const LeaseRows& rows,
                                     const config::Config& config, int64_t now,
                                     Report* report, ImportCounts* counts);

struct WriteOptions {
  std::string directory;
  // Import into a database that already holds leases (rows overwrite the
  // records of the same address). Off: such a database is refused.
  bool allow_existing = false;
  bool sync = true;  // fsync each batch
};

struct WriteStats {
  uint64_t written = 0;    // records written
  uint64_t recovered = 0;  // records Recover() read back afterwards
  uint64_t existing = 0;   // records found before the import
};

// Writes `leases` through store::Store and reads the database back.
absl::Status WriteLeases(const std::vector<PlannedLease>& leases,
                         const WriteOptions& options, WriteStats* stats);

}  // namespace leasewire::kea_migrate

#endif  // LEASEWIRE_TOOLS_KEA_MIGRATE_KEA_LEASES_H_
