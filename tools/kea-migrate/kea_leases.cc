#include "kea_leases.h"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "leasewire/engine/mutation.h"
#include "leasewire/store/store.h"

namespace leasewire::kea_migrate {
namespace {

using wire::Ipv4Address;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Kea's hwaddr and client_id columns: "01:02:0a" (one or two digits per
// octet); empty for none.
std::optional<std::vector<uint8_t>> ParseColonHex(absl::string_view text) {
  std::vector<uint8_t> out;
  if (text.empty()) return out;
  for (absl::string_view piece : absl::StrSplit(text, ':')) {
    if (piece.empty() || piece.size() > 2) return std::nullopt;
    int v = 0;
    for (char c : piece) {
      const int d = HexDigit(c);
      if (d < 0) return std::nullopt;
      v = v * 16 + d;
    }
    out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

// Kea escapes commas (and its escape tag) in text columns as "&#xHH".
std::string Unescape(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.substr(i, 3) == "&#x" && i + 4 < text.size() &&
        HexDigit(text[i + 3]) >= 0 && HexDigit(text[i + 4]) >= 0) {
      out +=
          static_cast<char>(HexDigit(text[i + 3]) * 16 + HexDigit(text[i + 4]));
      i += 4;
      continue;
    }
    out += text[i];
  }
  return out;
}

// Sub-options 1 (circuit-id) and 2 (remote-id) of a relay agent option
// given as hex ("0x0104...").
void RelayIds(absl::string_view hex, KeaLease* l) {
  if (hex.substr(0, 2) == "0x" || hex.substr(0, 2) == "0X") {
    hex.remove_prefix(2);
  }
  if (hex.size() % 2 != 0) return;
  std::vector<uint8_t> b;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexDigit(hex[i]);
    const int lo = HexDigit(hex[i + 1]);
    if (hi < 0 || lo < 0) return;
    b.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  for (size_t i = 0; i + 2 <= b.size();) {
    const uint8_t code = b[i];
    const size_t len = b[i + 1];
    if (i + 2 + len > b.size()) return;
    std::vector<uint8_t> value(b.begin() + i + 2, b.begin() + i + 2 + len);
    if (code == 1) l->circuit_id = std::move(value);
    if (code == 2) l->remote_id = std::move(value);
    i += 2 + len;
  }
}

// user_context: {"ISC": {"relay-agent-info": "0x..."}} (Kea 2.2) or
// {"ISC": {"relay-agent-info": {"sub-options": "0x..."}}} (later).
void UserContext(const std::string& text, KeaLease* l) {
  if (text.empty()) return;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("ISC") || !j["ISC"].is_object()) return;
  const nlohmann::json& isc = j["ISC"];
  if (!isc.contains("relay-agent-info")) return;
  const nlohmann::json& rai = isc["relay-agent-info"];
  if (rai.is_string()) RelayIds(rai.get<std::string>(), l);
  if (rai.is_object() && rai.contains("sub-options") &&
      rai["sub-options"].is_string()) {
    RelayIds(rai["sub-options"].get<std::string>(), l);
  }
}

// Adds an item unless `kind` already has kMaxItemsPerKind of them.
class Capped {
 public:
  explicit Capped(Report* report) : report_(*report) {}
  void Add(const std::string& kind, Severity s, std::string path,
           std::string reason) {
    size_t& n = counts_[kind];
    if (++n <= kMaxItemsPerKind) {
      report_.Add(s, std::move(path), std::move(reason));
    }
  }
  void Finish() {
    for (const auto& [kind, n] : counts_) {
      if (n > kMaxItemsPerKind) {
        report_.Info(kind, absl::StrCat(n - kMaxItemsPerKind,
                                        " more not listed (see the counts)"));
      }
    }
  }

 private:
  Report& report_;
  std::map<std::string, size_t> counts_;
};

}  // namespace

nlohmann::ordered_json ImportCounts::ToJson() const {
  return {{"rows", rows},
          {"malformed", malformed},
          {"addresses", addresses},
          {"imported", imported},
          {"declined", declined},
          {"removed", removed},
          {"released", released},
          {"expired", expired},
          {"not-in-subnet", not_in_subnet},
          {"unusable", unusable},
          {"subnet-moved", subnet_moved}};
}

void LeaseRows::Add(KeaLease row) {
  const auto [it, added] =
      index_.try_emplace(row.address.value(), rows_.size());
  if (added) {
    rows_.push_back(std::move(row));
  } else {
    rows_[it->second] = std::move(row);
  }
}

absl::Status ParseKeaLeaseCsv(std::string_view text, std::string_view name,
                              LeaseRows* rows, Report* report,
                              ImportCounts* counts) {
  std::istringstream in{std::string(text)};
  return ParseKeaLeaseCsv(in, name, rows, report, counts);
}

absl::Status ParseKeaLeaseCsv(std::istream& in, std::string_view std_name,
                              LeaseRows* rows, Report* report,
                              ImportCounts* counts) {
  const std::string name(std_name);
  Capped capped(report);
  std::map<std::string, size_t> column;
  size_t ncolumns = 0;
  size_t line_no = 0;
  std::string buffer;
  while (std::getline(in, buffer)) {
    absl::string_view line = buffer;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    const std::vector<absl::string_view> cells = absl::StrSplit(line, ',');
    if (ncolumns == 0) {
      for (size_t i = 0; i < cells.size(); ++i) {
        column[std::string(absl::StripAsciiWhitespace(cells[i]))] = i;
      }
      for (const char* need : {"address", "hwaddr", "client_id",
                               "valid_lifetime", "expire", "subnet_id"}) {
        if (!column.contains(need)) {
          return absl::InvalidArgumentError(
              absl::StrCat(name, ":", line_no,
                           ": not a Kea DHCPv4 lease file: the "
                           "header has no \"",
                           need, "\" column"));
        }
      }
      ncolumns = cells.size();
      continue;
    }
    const std::string where = absl::StrCat(name, ":", line_no);
    auto bad = [&](std::string why) {
      ++counts->malformed;
      capped.Add(absl::StrCat(name, ": malformed lines"), Severity::kDropped,
                 where, absl::StrCat("malformed line skipped: ", why));
    };
    if (cells.size() != ncolumns) {
      bad(absl::StrCat(cells.size(), " columns, the header has ", ncolumns));
      continue;
    }
    auto cell = [&](const char* key) -> absl::string_view {
      const auto it = column.find(key);
      return it == column.end() ? absl::string_view() : cells[it->second];
    };
    KeaLease l;
    l.where = where;
    std::optional<Ipv4Address> a =
        Ipv4Address::Parse(std::string(cell("address")));
    if (!a) {
      bad(absl::StrCat("address \"", cell("address"), "\""));
      continue;
    }
    l.address = *a;
    std::optional<std::vector<uint8_t>> hw = ParseColonHex(cell("hwaddr"));
    std::optional<std::vector<uint8_t>> cid = ParseColonHex(cell("client_id"));
    if (!hw || hw->size() > 20) {
      bad(absl::StrCat("hwaddr \"", cell("hwaddr"), "\""));
      continue;
    }
    if (!cid || cid->size() > 255) {
      bad(absl::StrCat("client_id \"", cell("client_id"), "\""));
      continue;
    }
    l.hwaddr = *std::move(hw);
    l.client_id = *std::move(cid);
    int64_t expire = 0;
    if (!absl::SimpleAtoi(cell("valid_lifetime"), &l.valid_lifetime)) {
      bad(absl::StrCat("valid_lifetime \"", cell("valid_lifetime"), "\""));
      continue;
    }
    if (!absl::SimpleAtoi(cell("expire"), &expire) || expire < 0 ||
        (l.valid_lifetime != kKeaInfinite &&
         (expire < int64_t{l.valid_lifetime} ||
          expire >= int64_t{lease::kNever}))) {
      bad(absl::StrCat("expire \"", cell("expire"), "\""));
      continue;
    }
    l.expire = expire;
    if (!absl::SimpleAtoi(cell("subnet_id"), &l.subnet_id)) {
      bad(absl::StrCat("subnet_id \"", cell("subnet_id"), "\""));
      continue;
    }
    const absl::string_view state = cell("state");
    if (!state.empty() && !absl::SimpleAtoi(state, &l.state)) {
      bad(absl::StrCat("state \"", state, "\""));
      continue;
    }
    l.hostname = Unescape(cell("hostname"));
    if (l.hostname.size() > 255) l.hostname.resize(255);
    UserContext(Unescape(cell("user_context")), &l);
    ++counts->rows;
    rows->Add(std::move(l));
  }
  if (ncolumns == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": empty (no header line)"));
  }
  capped.Finish();
  return absl::OkStatus();
}

std::vector<PlannedLease> PlanImport(const LeaseRows& rows,
                                     const config::Config& config, int64_t now,
                                     Report* report, ImportCounts* counts) {
  Capped capped(report);
  // Memfile appends a row per change: the last row of an address (the one
  // LeaseRows kept) is the lease's state; valid_lifetime 0 deleted it.
  // Address order: the store writes sorted keys.
  std::vector<const KeaLease*> last;
  last.reserve(rows.size());
  for (const KeaLease& l : rows.rows()) last.push_back(&l);
  std::sort(last.begin(), last.end(), [](const KeaLease* a, const KeaLease* b) {
    return a->address < b->address;
  });
  counts->addresses = last.size();
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> moved;
  std::vector<PlannedLease> out;
  for (const KeaLease* lp : last) {
    const KeaLease& l = *lp;
    if (l.valid_lifetime == 0) {
      ++counts->removed;
      continue;
    }
    if (l.state == kKeaStateExpiredReclaimed || l.state == kKeaStateReleased) {
      ++counts->released;
      continue;
    }
    if (l.state != kKeaStateDefault && l.state != kKeaStateDeclined) {
      ++counts->malformed;
      capped.Add("unknown states", Severity::kDropped, l.where,
                 absl::StrCat(l.address.ToString(), ": unknown state ", l.state,
                              "; skipped"));
      continue;
    }
    const bool infinite = l.valid_lifetime == kKeaInfinite;
    if (!infinite && l.expire <= now) {
      ++counts->expired;
      continue;
    }
    const config::Subnet* subnet = config.FindSubnetContaining(l.address);
    if (subnet == nullptr) {
      ++counts->not_in_subnet;
      capped.Add("leases in no subnet", Severity::kDropped, l.where,
                 absl::StrCat(l.address.ToString(),
                              " lies in no subnet of the leasewire config "
                              "(Kea subnet id ",
                              l.subnet_id, "); not imported"));
      continue;
    }
    const bool edge =
        subnet->prefix.length < 31 && (l.address == subnet->prefix.network ||
                                       l.address == subnet->prefix.broadcast());
    if (edge || std::find(subnet->excluded.begin(), subnet->excluded.end(),
                          l.address) != subnet->excluded.end()) {
      ++counts->unusable;
      capped.Add("unusable addresses", Severity::kDropped, l.where,
                 absl::StrCat(l.address.ToString(),
                              " is never handed out in subnet ", subnet->id,
                              " (network, broadcast, router, relay or server "
                              "address); not imported"));
      continue;
    }
    const bool declined = l.state == kKeaStateDeclined;
    if (!declined && l.hwaddr.empty() && l.client_id.size() < 2) {
      ++counts->malformed;
      capped.Add("leases without a client", Severity::kDropped, l.where,
                 absl::StrCat(l.address.ToString(),
                              ": bound without hwaddr or client_id; "
                              "skipped"));
      continue;
    }
    if (subnet->id != l.subnet_id) {
      ++counts->subnet_moved;
      ++moved[{l.subnet_id, subnet->id}];
    }
    PlannedLease p;
    p.address = l.address;
    p.subnet_id = subnet->id;
    p.state =
        declined ? lease::LeaseState::kDeclined : lease::LeaseState::kBound;
    p.expiry = infinite ? store::TimeBase::kWallNever : l.expire;
    // cltt = expire - valid_lifetime, also for an infinite lease when it
    // fits the record's range.
    const int64_t cltt = l.expire - int64_t{l.valid_lifetime};
    p.start = cltt >= 0 && cltt < int64_t{lease::kNever} ? cltt : now;
    if (!declined) {
      p.client_id =
          l.client_id.size() >= 2 ? l.client_id : std::vector<uint8_t>();
      p.chaddr = l.hwaddr;
      p.htype = l.hwaddr.empty() ? 0 : 1;  // Kea's CSV keeps Ethernet only
      p.hostname = l.hostname;
      p.circuit_id = l.circuit_id;
      p.remote_id = l.remote_id;
    }
    ++counts->imported;
    if (declined) ++counts->declined;
    out.push_back(std::move(p));
  }
  for (const auto& [ids, n] : moved) {
    report->Info(absl::StrCat("subnet_id ", ids.first),
                 absl::StrCat(n, " leases placed in leasewire subnet ",
                              ids.second, " by address"));
  }
  capped.Finish();
  return out;
}

absl::Status WriteLeases(const std::vector<PlannedLease>& leases,
                         const WriteOptions& options, WriteStats* stats) {
  {
    store::StoreOptions so;
    so.directory = options.directory;
    so.durability =
        options.sync ? store::Durability::kSync : store::Durability::kAsync;
    // Engine seconds are Unix seconds in this run: records hold wall time.
    so.time_base.wall_at_zero = 0;
    so.reclaim_interval = 0;
    absl::StatusOr<std::unique_ptr<store::Store>> db = store::Store::Open(so);
    if (!db.ok()) return db.status();
    store::RecoverStats before;
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    absl::Status s = (*db)->Recover(
        static_cast<lease::Seconds>(now), [](const engine::LeaseImage&) {},
        &before);
    if (!s.ok()) return s;
    stats->existing = before.records;
    if (before.records > 0 && !options.allow_existing) {
      return absl::FailedPreconditionError(absl::StrCat(
          "lease database ", options.directory, " already holds ",
          before.records,
          " lease records; import into an empty directory (or pass "
          "--merge)"));
    }
    constexpr size_t kBatch = 4096;
    engine::MutationLog log;
    lease::Lease l;
    store::CommitTicket last = 0;
    for (size_t i = 0; i < leases.size(); ++i) {
      const PlannedLease& p = leases[i];
      l.ClearFields();
      l.address = p.address;
      l.state = p.state;
      l.start = static_cast<lease::Seconds>(p.start);
      l.expiry = p.expiry == store::TimeBase::kWallNever
                     ? lease::kNever
                     : static_cast<lease::Seconds>(p.expiry);
      l.flags = p.state == lease::LeaseState::kBound
                    ? lease::Lease::kFlagEverBound
                    : 0;
      lease::LeaseFields f;
      f.client_id = p.client_id;
      f.htype = p.htype;
      f.chaddr = p.chaddr;
      f.circuit_id = p.circuit_id;
      f.remote_id = p.remote_id;
      f.hostname = p.hostname;
      l.SetFields(f);
      log.Append(p.state == lease::LeaseState::kDeclined
                     ? engine::MutationKind::kDecline
                     : engine::MutationKind::kBind,
                 l, p.subnet_id);
      if (log.size() == kBatch || i + 1 == leases.size()) {
        last = (*db)->Submit(log);
        log.Clear();
        // Keep a bounded amount in flight.
        if ((*db)->Wait(last) != store::CommitState::kDone) {
          return absl::DataLossError(
              absl::StrCat("writing to ", options.directory,
                           " failed: ", (*db)->stats().last_error));
        }
      }
    }
    stats->written = (*db)->stats().mutations;
  }
  // Read everything back the way leasewired does at start-up.
  store::StoreOptions so;
  so.directory = options.directory;
  so.time_base.wall_at_zero = static_cast<int64_t>(std::time(nullptr));
  so.reclaim_interval = 0;
  absl::StatusOr<std::unique_ptr<store::Store>> db = store::Store::Open(so);
  if (!db.ok()) return db.status();
  store::RecoverStats after;
  absl::Status s = (*db)->Recover(
      0, [](const engine::LeaseImage&) {}, &after);
  if (!s.ok()) return s;
  stats->recovered = after.delivered;
  if (after.damaged > 0) {
    return absl::DataLossError(
        absl::StrCat(after.damaged, " records read back damaged"));
  }
  return absl::OkStatus();
}

}  // namespace leasewire::kea_migrate
