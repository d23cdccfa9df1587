#include "leasewire/control/control_server.h"

#include <rte_ethdev.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <utility>

#include "control/socket_server.h"
#include "control/text.h"
#include "leasewire/control/metrics.h"
#include "leasewire/lease/lease.h"
#include "leasewire/wire/options.h"
#include "spdlog/spdlog.h"

namespace leasewire::control {

using internal::Cat;
using internal::Join;
namespace {

using dataplane::WorkerCounters;
using wire::Ipv4Address;

// Mutating commands are logged at info (an audit trail), the rest at debug.
bool Mutates(std::string_view command) {
  return command == "stats-reset" || command == "lease-delete" ||
         command == "reservation-add" || command == "reservation-delete" ||
         command == "config-reload" || command == "backup" ||
         command == "shutdown";
}

Failure Fail(ErrorCode code, std::string message) {
  return Failure{code, std::move(message)};
}

// ---------------------------------------------------------------------
// Counters.

template <typename T>
void SubtractArrays(T& into, const T& minus) {
  for (size_t i = 0; i < into.size(); ++i) {
    into[i] = into[i] > minus[i] ? into[i] - minus[i] : 0;
  }
}

uint64_t Sub(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

// a - b, each field clamped at zero.
WorkerCounters Minus(WorkerCounters a, const WorkerCounters& b) {
  a.rx = Sub(a.rx, b.rx);
  a.tx = Sub(a.tx, b.tx);
  a.handed_off = Sub(a.handed_off, b.handed_off);
  a.from_peers = Sub(a.from_peers, b.from_peers);
  a.arp_replies = Sub(a.arp_replies, b.arp_replies);
  a.icmp_replies = Sub(a.icmp_replies, b.icmp_replies);
  a.commits = Sub(a.commits, b.commits);
  a.held = Sub(a.held, b.held);
  a.cycles = Sub(a.cycles, b.cycles);
  a.busy_cycles = Sub(a.busy_cycles, b.busy_cycles);
  a.tsc = Sub(a.tsc, b.tsc);
  a.busy_tsc = Sub(a.busy_tsc, b.busy_tsc);
  SubtractArrays(a.drops, b.drops);
  SubtractArrays(a.verdicts, b.verdicts);
  SubtractArrays(a.no_subnet, b.no_subnet);
  SubtractArrays(a.engine.received, b.engine.received);
  SubtractArrays(a.engine.sent, b.engine.sent);
  SubtractArrays(a.engine.reasons, b.engine.reasons);
  a.engine.options_dropped =
      Sub(a.engine.options_dropped, b.engine.options_dropped);
  a.engine.expired = Sub(a.engine.expired, b.engine.expired);
  a.engine.offers_timed_out =
      Sub(a.engine.offers_timed_out, b.engine.offers_timed_out);
  a.engine.probation_ended =
      Sub(a.engine.probation_ended, b.engine.probation_ended);
  return a;
}

store::StoreStats Minus(store::StoreStats a, const store::StoreStats& b) {
  a.submitted = Sub(a.submitted, b.submitted);
  a.committed = Sub(a.committed, b.committed);
  a.failed = Sub(a.failed, b.failed);
  a.writes = Sub(a.writes, b.writes);
  a.write_failures = Sub(a.write_failures, b.write_failures);
  a.mutations = Sub(a.mutations, b.mutations);
  a.reclaimed = Sub(a.reclaimed, b.reclaimed);
  a.reclaim_passes = Sub(a.reclaim_passes, b.reclaim_passes);
  SubtractArrays(a.latency_buckets, b.latency_buckets);
  a.latency_sum_us = Sub(a.latency_sum_us, b.latency_sum_us);
  return a;
}

std::string MessageName(size_t type) {
  std::string name(wire::MessageTypeName(static_cast<wire::MessageType>(type)));
  if (name.empty()) name = Cat("type-", type);
  return name;
}

// Message types 1-8 always (scripts rely on the keys), others when seen.
Json ByMessageType(const std::array<uint64_t, 19>& counts) {
  Json out = Json::object();
  for (size_t t = 1; t < counts.size(); ++t) {
    if (t <= 8 || counts[t] != 0) out[MessageName(t)] = counts[t];
  }
  return out;
}

template <typename Array, typename NameFn>
Json Named(const Array& counts, NameFn name) {
  Json out = Json::object();
  for (size_t i = 0; i < counts.size(); ++i)
    out[std::string(name(i))] = counts[i];
  return out;
}

uint64_t Sum(const auto& array) {
  uint64_t s = 0;
  for (uint64_t v : array) s += v;
  return s;
}

Json CountersJson(const WorkerCounters& c) {
  return Json{
      {"rx", c.rx},
      {"tx", c.tx},
      {"handed-off", c.handed_off},
      {"from-peers", c.from_peers},
      {"arp-replies", c.arp_replies},
      {"icmp-replies", c.icmp_replies},
      {"commits", c.commits},
      {"held", c.held},
      {"cycles", c.cycles},
      {"busy-cycles", c.busy_cycles},
      {"received", ByMessageType(c.engine.received)},
      {"sent", ByMessageType(c.engine.sent)},
      {"drops", Named(c.drops,
                      [](size_t i) {
                        return dataplane::DropName(
                            static_cast<dataplane::Drop>(i));
                      })},
      {"verdicts", Named(c.verdicts,
                         [](size_t i) {
                           return wire::VerdictName(
                               static_cast<wire::Verdict>(i));
                         })},
      {"no-subnet", Named(c.no_subnet,
                          [](size_t i) {
                            return engine::ReasonName(
                                static_cast<engine::Reason>(i));
                          })},
      {"engine", Named(c.engine.reasons,
                       [](size_t i) {
                         return engine::ReasonName(
                             static_cast<engine::Reason>(i));
                       })},
      {"options-dropped", c.engine.options_dropped},
      {"expired", c.engine.expired},
      {"offers-timed-out", c.engine.offers_timed_out},
      {"probation-ended", c.engine.probation_ended},
  };
}

Json LeaseCountsJson(const LeaseCounts& l) {
  return Json{{"offered", l.offered},
              {"bound", l.bound},
              {"released", l.released},
              {"declined", l.declined},
              {"expired", l.expired}};
}

Json StoreJson(const store::StoreStats& s) {
  Json buckets = Json::array();
  for (size_t i = 0; i < s.latency_buckets.size(); ++i) {
    buckets.push_back({{"le-us", i < store::kCommitLatencyBoundsUs.size()
                                     ? Json(store::kCommitLatencyBoundsUs[i])
                                     : Json("inf")},
                       {"count", s.latency_buckets[i]}});
  }
  const uint64_t writes = Sum(s.latency_buckets);
  return Json{{"submitted", s.submitted},
              {"committed", s.committed},
              {"failed", s.failed},
              {"writes", s.writes},
              {"write-failures", s.write_failures},
              {"mutations", s.mutations},
              {"reclaimed", s.reclaimed},
              {"latency-avg-us", writes == 0 ? 0 : s.latency_sum_us / writes},
              {"latency", buckets},
              {"last-error", s.last_error}};
}

// ---------------------------------------------------------------------
// Leases.

std::string Hex(std::span<const uint8_t> b) {
  std::string out;
  for (size_t i = 0; i < b.size(); ++i) {
    char t[4];
    std::snprintf(t, sizeof(t), "%s%02x", i == 0 ? "" : ":", b[i]);
    out += t;
  }
  return out;
}

// Relay identifiers as the config file writes them: text when printable,
// else "0x" and hex, so that an answer can be pasted into a reservation.
Json RelayId(std::span<const uint8_t> b) {
  if (b.empty()) return nullptr;
  const bool printable = std::all_of(
      b.begin(), b.end(), [](uint8_t c) { return c >= 0x20 && c < 0x7f; });
  if (printable && !(b.size() >= 2 && b[0] == '0' && (b[1] == 'x'))) {
    return std::string(b.begin(), b.end());
  }
  std::string out = "0x";
  for (uint8_t c : b) {
    char t[3];
    std::snprintf(t, sizeof(t), "%02x", c);
    out += t;
  }
  return out;
}

struct LeaseContext {
  store::TimeBase time_base;
  int64_t now_wall = 0;
  lease::Seconds now = 0;
  size_t worker = 0;
};

// Runs on the worker thread: a copy of the record as JSON.
Json LeaseJson(const lease::Lease& l, uint32_t subnet_id,
               const LeaseContext& ctx) {
  Json j{{"address", l.address.ToString()},
         {"state", std::string(lease::LeaseStateName(l.state))},
         {"subnet-id", subnet_id},
         {"worker", ctx.worker}};
  if (l.hlen == 6 && (l.htype == 1 || l.htype == 0)) {
    j["hw-address"] = Hex(l.chaddr());
  } else {
    j["hw-address"] = l.hlen == 0 ? Json(nullptr) : Json(Hex(l.chaddr()));
  }
  j["htype"] = l.htype;
  j["client-id"] =
      l.client_id_len == 0 ? Json(nullptr) : Json(Hex(l.client_id()));
  j["circuit-id"] = RelayId(l.circuit_id());
  j["remote-id"] = RelayId(l.remote_id());
  j["hostname"] =
      l.hostname_len == 0 ? Json(nullptr) : Json(std::string(l.hostname()));
  j["start"] = ctx.time_base.ToWall(l.start);
  if (l.infinite()) {
    j["expires"] = nullptr;
    j["remaining"] = nullptr;
  } else {
    const int64_t expires = ctx.time_base.ToWall(l.expiry);
    j["expires"] = expires;
    j["remaining"] = std::max<int64_t>(0, expires - ctx.now_wall);
  }
  j["reserved"] = (l.flags & lease::Lease::kFlagReserved) != 0;
  return j;
}

LeaseContext ContextOf(dataplane::WorkerAccess& w, const store::TimeBase& tb) {
  LeaseContext ctx;
  ctx.time_base = tb;
  ctx.now = w.now();
  ctx.now_wall = tb.ToWall(ctx.now);
  ctx.worker = w.index();
  return ctx;
}

Failure WorkerFailure(size_t worker, const absl::Status& s) {
  return Fail(ErrorCode::kUnavailable,
              Cat("worker ", worker, " did not answer: ", s.message(),
                  " (overloaded or stuck; try again, and check the "
                  "server log)"));
}

std::optional<Ipv4Address> ParseAddress(std::string_view text) {
  return Ipv4Address::Parse(text);
}

// The address `text` names and the configured subnet holding it (lease
// get and delete by address); on failure, what to answer.
std::optional<Failure> LocateAddress(const config::Config& config,
                                     const std::string& text,
                                     Ipv4Address* address,
                                     const config::Subnet** subnet) {
  const std::optional<Ipv4Address> a = ParseAddress(text);
  if (!a) return BadArguments(Cat("\"", text, "\" is not an IPv4 address"));
  *subnet = config.FindSubnetContaining(*a);
  if (*subnet == nullptr) {
    return Fail(ErrorCode::kNotFound,
                Cat("no configured subnet contains ", text,
                    "; `leasewirectl subnets` lists them"));
  }
  *address = *a;
  return std::nullopt;
}

std::string IdentifierText(config::ReservationKey kind,
                           const std::vector<uint8_t>& key) {
  switch (kind) {
    case config::ReservationKey::kHwAddress:
    case config::ReservationKey::kClientId:
      return Hex(key);
    case config::ReservationKey::kCircuitId:
    case config::ReservationKey::kRemoteId:
      return RelayId(key).get<std::string>();
  }
  return Hex(key);
}

std::string_view KindName(config::ReservationKey kind) {
  switch (kind) {
    case config::ReservationKey::kHwAddress:
      return "hw-address";
    case config::ReservationKey::kClientId:
      return "client-id";
    case config::ReservationKey::kCircuitId:
      return "circuit-id";
    case config::ReservationKey::kRemoteId:
      return "remote-id";
  }
  return "hw-address";
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        Cat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Settings a reload cannot change, named when they differ.
std::vector<std::string> RestartOnly(const config::Config& old_config,
                                     const config::Config& new_config) {
  std::vector<std::string> out;
  if (old_config.dataplane.workers != new_config.dataplane.workers ||
      old_config.dataplane.eal_args != new_config.dataplane.eal_args ||
      old_config.dataplane.mbufs_per_worker !=
          new_config.dataplane.mbufs_per_worker) {
    out.push_back("dataplane");
  }
  if (old_config.lease_database.directory !=
          new_config.lease_database.directory ||
      old_config.lease_database.sync != new_config.lease_database.sync) {
    out.push_back("lease-database");
  }
  const config::Control& a = old_config.control;
  const config::Control& b = new_config.control;
  if (a.socket != b.socket || a.socket_mode != b.socket_mode ||
      a.metrics != b.metrics || a.tcp != b.tcp) {
    out.push_back("control");
  }
  return out;
}

constexpr uint64_t kDefaultPage = 100;
constexpr uint64_t kMaxPage = 1000;
// Addresses one lease-list request looks at, so that a worker is never
// held long (a /8 takes several pages even when empty).
constexpr uint32_t kListScanBudget = 65536;
// Slots one scan step looks at (lease-get by hw-address, circuit-id,
// remote-id): about a millisecond of a worker's time.
constexpr uint32_t kScanStep = 131072;
constexpr size_t kMaxMatches = 256;

}  // namespace

// ---------------------------------------------------------------------

ControlServer::ControlServer(ControlServerOptions options,
                             dataplane::Dataplane* plane)
    : options_(std::move(options)), plane_(plane) {
  runtime_ = options_.runtime_reservations;
  left_out_ = options_.left_out;
  config_sha256_ = Sha256Hex(options_.config_text);
  config_loaded_ = absl::Now();
  carry_.resize(plane_->workers());
  next_snapshot_ = absl::Now();
}

ControlServer::~ControlServer() = default;

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(
    ControlServerOptions options, dataplane::Dataplane* plane) {
  std::unique_ptr<ControlServer> s(
      new ControlServer(std::move(options), plane));
  SocketServerOptions so;
  so.unix_path = s->options_.socket_path;
  so.mode = s->options_.socket_mode;
  so.tcp = s->options_.tcp;
  ControlServer* self = s.get();
  absl::StatusOr<std::unique_ptr<SocketServer>> socket = SocketServer::Start(
      std::move(so), [self](std::string_view request, const Peer& peer) {
        return self->Handle(request, peer.description);
      });
  if (!socket.ok()) return socket.status();
  s->socket_ = *std::move(socket);
  if (!s->options_.metrics.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsServer>> m =
        MetricsServer::Start(s->options_.metrics);
    if (!m.ok()) {
      return absl::Status(m.status().code(),
                          Cat("metrics endpoint ", s->options_.metrics, ": ",
                              m.status().message(),
                              " (change control.metrics, or null to disable)"));
    }
    s->metrics_ = *std::move(m);
  }
  return s;
}

int ControlServer::tcp_port() const { return socket_->tcp_port(); }

void ControlServer::Poll(absl::Duration timeout) {
  const absl::Time now = absl::Now();
  if (now >= next_snapshot_) {
    PeriodicSnapshot();
    next_snapshot_ = now + options_.snapshot_interval;
  }
  socket_->Poll(std::min(timeout, next_snapshot_ - absl::Now()));
}

absl::StatusOr<Snapshot> ControlServer::TakeSnapshot() {
  absl::StatusOr<Snapshot> s = Collect(*plane_);
  if (!s.ok()) return s;
  for (WorkerSnapshot& w : s->workers) {
    if (w.index < carry_.size()) w.counters += carry_[w.index];
  }
  return s;
}

void ControlServer::PeriodicSnapshot() {
  absl::StatusOr<Snapshot> s = TakeSnapshot();
  if (!s.ok()) {
    spdlog::warn("control: snapshot failed: {}",
                 std::string(s.status().message()));
    return;
  }
  previous_ = std::move(latest_);
  latest_ = *std::move(s);
  if (metrics_ != nullptr) {
    metrics_->Publish(
        RenderMetrics(*latest_, previous_ ? &*previous_ : nullptr));
  }
}

absl::Status ControlServer::Apply(const MergedConfig& merged) {
  // A reload rebuilds the engines and so their counters: carry what they
  // had, so that stats and Prometheus counters never go backwards.
  absl::StatusOr<Snapshot> before = Collect(*plane_);
  if (absl::Status s = plane_->Reload(merged.config); !s.ok()) return s;
  absl::StatusOr<Snapshot> after = Collect(*plane_);
  if (before.ok() && after.ok() &&
      before->workers.size() == after->workers.size()) {
    for (size_t i = 0; i < before->workers.size() && i < carry_.size(); ++i) {
      carry_[i] +=
          Minus(before->workers[i].counters, after->workers[i].counters);
    }
  }
  return absl::OkStatus();
}

std::string ControlServer::Handle(std::string_view text,
                                  std::string_view peer) {
  ParsedRequest parsed = ParseRequest(text);
  if (!parsed.request) {
    spdlog::info("control: refused a request from {}: {}", peer,
                 parsed.failure.message);
    return ErrorResponse(parsed.failure);
  }
  const Request& request = *parsed.request;
  const std::string args =
      request.arguments.empty()
          ? std::string()
          : request.arguments.dump(-1, ' ', false,
                                   Json::error_handler_t::replace);
  if (Mutates(request.command)) {
    spdlog::info("control: {} {} from {}", request.command, args, peer);
  } else {
    spdlog::debug("control: {} {} from {}", request.command, args, peer);
  }
  Result r;
  try {
    r = Dispatch(request);
  } catch (const std::exception& e) {
    // A handler bug must not take the DHCP server down with it.
    spdlog::error("control: {} failed: {}", request.command, e.what());
    r.failure =
        Fail(ErrorCode::kInternal, Cat(request.command, " failed: ", e.what(),
                                       " (a bug: please report it with the "
                                       "request)"));
  }
  if (r.failure) {
    if (Mutates(request.command)) {
      spdlog::info("control: {} refused: {}", request.command,
                   r.failure->message);
    }
    return ErrorResponse(*r.failure);
  }
  return OkResponse(r.data);
}

ControlServer::Result ControlServer::Dispatch(const Request& request) {
  const Arguments args(request.arguments);
  const std::string& c = request.command;
  if (c == "status") return Status(args);
  if (c == "stats") return Stats(args);
  if (c == "stats-reset") return StatsReset(args);
  if (c == "lease-get") return LeaseGet(args);
  if (c == "lease-list") return LeaseList(args);
  if (c == "lease-delete") return LeaseDelete(args);
  if (c == "subnets") return Subnets(args);
  if (c == "reservation-list") return ReservationList(args);
  if (c == "reservation-add") return ReservationAdd(args);
  if (c == "reservation-delete") return ReservationDelete(args);
  if (c == "config-test") return ConfigTest(args);
  if (c == "config-reload") return ConfigReload(args);
  if (c == "backup") return Backup(args);
  if (c == "shutdown") return Shutdown(args);
  if (c == "commands") return ListCommands(args);
  return {{}, Fail(ErrorCode::kUnknownCommand, "unknown command " + c)};
}

#define LW_CHECK_ARGS(expr)                   \
  do {                                        \
    std::optional<Failure> lw_f_ = (expr);    \
    if (lw_f_) return {{}, std::move(lw_f_)}; \
  } while (0)

ControlServer::Result ControlServer::ListCommands(const Arguments& args) {
  LW_CHECK_ARGS(args.ExpectOnly({}));
  Json list = Json::array();
  for (const CommandInfo& c : Commands()) {
    list.push_back({{"command", c.name}, {"summary", c.summary}});
  }
  return {Json{{"commands", list}}, std::nullopt};
}

ControlServer::Result ControlServer::Shutdown(const Arguments& args) {
  LW_CHECK_ARGS(args.ExpectOnly({}));
  shutdown_requested_ = true;
  return {Json{{"stopping", true},
               {"message",
                "leasewired is stopping: workers finish their commits, the "
                "lease database is closed"}},
          std::nullopt};
}

ControlServer::Result ControlServer::Status(const Arguments& args) {
  LW_CHECK_ARGS(args.ExpectOnly({}));
  const config::Config& config = *plane_->config();
  const absl::Time now = absl::Now();
  Json data;
  data["version"] = options_.version;
  data["pid"] = getpid();
  data["started"] = absl::ToUnixSeconds(options_.started);
  data["uptime"] = absl::ToInt64Seconds(now - options_.started);

  Json cfg{{"path", options_.config_path},
           {"sha256", config_sha256_},
           {"loaded", absl::ToUnixSeconds(config_loaded_)},
           {"subnets", config.subnets.size()},
           {"runtime-reservations", runtime_.size()},
           {"left-out", left_out_}};
  absl::StatusOr<std::string> on_disk = ReadFile(options_.config_path);
  if (on_disk.ok()) {
    cfg["changed-on-disk"] = Sha256Hex(*on_disk) != config_sha256_;
  } else {
    cfg["changed-on-disk"] = nullptr;
    cfg["file-error"] = std::string(on_disk.status().message());
  }
  data["config"] = cfg;

  std::vector<size_t> owned(plane_->workers(), 0);
  for (const config::Subnet& s : config.subnets) {
    const size_t w = plane_->OwnerOf(s.id);
    if (w < owned.size()) ++owned[w];
  }
  Json workers = Json::array();
  for (size_t w = 0; w < plane_->workers(); ++w) {
    workers.push_back(
        {{"index", w}, {"lcore", plane_->lcore_of(w)}, {"subnets", owned[w]}});
  }
  data["workers"] = workers;

  Json ports = Json::array();
  for (const dataplane::PortBinding& p : plane_->ports()) {
    Json port{{"port-id", p.port_id}};
    if (p.interface != nullptr) {
      port["interface"] = p.interface->name;
      port["address"] =
          Cat(p.interface->address.ToString(), "/", p.interface->prefix.length);
    }
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(p.port_id, &link) == 0) {
      port["link"] = link.link_status == RTE_ETH_LINK_UP ? "up" : "down";
      port["speed-mbps"] = link.link_speed;
      port["duplex"] =
          link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full" : "half";
    } else {
      port["link"] = "unknown";
    }
    rte_ether_addr mac{};
    if (rte_eth_macaddr_get(p.port_id, &mac) == 0) {
      port["mac"] = Hex(mac.addr_bytes);
    }
    ports.push_back(port);
  }
  data["ports"] = ports;

  store::Store& st = plane_->store();
  const store::StoreStats ss = st.stats();
  data["store"] = {
      {"directory", st.options().directory},
      {"durability",
       st.options().durability == store::Durability::kSync ? "sync" : "async"},
      {"last-sequence", st.last_sequence()},
      {"committed", ss.committed},
      {"failed", ss.failed},
      {"disk-bytes", st.DiskBytes()},
      {"state", ss.last_error.empty() ? "ok" : "failing"},
      {"last-error", ss.last_error}};
  data["control"] = {
      {"socket", options_.socket_path},
      {"tcp", options_.tcp.empty() ? Json(nullptr) : Json(options_.tcp)},
      {"metrics",
       options_.metrics.empty() ? Json(nullptr) : Json(options_.metrics)}};
  return {data, std::nullopt};
}

ControlServer::Result ControlServer::Stats(const Arguments& args) {
  LW_CHECK_ARGS(args.ExpectOnly({"workers"}));
  bool per_worker = true;
  if (args.Has("workers")) LW_CHECK_ARGS(args.Bool("workers", &per_worker));
  absl::StatusOr<Snapshot> now = TakeSnapshot();
  if (!now.ok()) {
    return {{},
            Fail(ErrorCode::kUnavailable,
                 Cat("could not collect counters: ", now.status().message(),
                     " (a worker is stuck or overloaded)"))};
  }
  const absl::Time since = baseline_ ? baseline_->taken : options_.started;
  Json data;
  data["since"] = absl::ToUnixSeconds(since);
  data["seconds"] = absl::ToDoubleSeconds(now->taken - since);
  data["reset"] = baseline_.has_value();

  WorkerCounters total;
  Json workers = Json::array();
  for (const WorkerSnapshot& w : now->workers) {
    WorkerCounters c = w.counters;
    if (baseline_) {
      for (const WorkerSnapshot& b : baseline_->workers) {
        if (b.index == w.index) c = Minus(c, b.counters);
      }
    }
    total += c;
    if (per_worker) {
      Json wj = CountersJson(c);
      wj["index"] = w.index;
      wj["lcore"] = w.lcore;
      wj["leases"] = LeaseCountsJson(w.leases);
      workers.push_back(wj);
    }
  }
  data["total"] = CountersJson(total);
  data["leases"] = LeaseCountsJson(now->TotalLeases());
  data["store"] =
      StoreJson(baseline_ ? Minus(now->store, baseline_->store) : now->store);
  if (per_worker) data["workers"] = workers;

  // Rates over the last snapshot interval.
  Json rates = nullptr;
  if (previous_ && latest_ &&
      previous_->workers.size() == latest_->workers.size()) {
    const double dt = absl::ToDoubleSeconds(latest_->taken - previous_->taken);
    if (dt > 0) {
      const WorkerCounters d =
          Minus(latest_->TotalCounters(), previous_->TotalCounters());
      const auto per_s = [dt](uint64_t v) {
        return static_cast<double>(v) / dt;
      };
      Json received = Json::object();
      Json sent = Json::object();
      for (size_t t = 1; t <= 8; ++t) {
        received[MessageName(t)] = per_s(d.engine.received[t]);
        sent[MessageName(t)] = per_s(d.engine.sent[t]);
      }
      rates = {{"interval", dt},
               {"rx", per_s(d.rx)},
               {"tx", per_s(d.tx)},
               {"drops", per_s(Sum(d.drops))},
               {"commits", per_s(Sub(latest_->store.committed,
                                     previous_->store.committed))},
               {"received", received},
               {"sent", sent},
               {"busy-ratio", d.tsc == 0 ? 0.0
                                         : static_cast<double>(d.busy_tsc) /
                                               static_cast<double>(d.tsc)}};
    }
  }
  data["rates"] = rates;
  return {data, std::nullopt};
}

ControlServer::Result ControlServer::StatsReset(const Arguments& args) {
  LW_CHECK_ARGS(args.ExpectOnly({}));
  absl::StatusOr<Snapshot> now = TakeSnapshot();
  if (!now.ok()) {
    return {{},
            Fail(ErrorCode::kUnavailable,
                 Cat("could not collect counters: ", now.status().message()))};
  }
  baseline_ = *std::move(now);
  return {Json{{"since", absl::ToUnixSeconds(baseline_->taken)},
               {"message",
                "stats counts from now on; Prometheus counters are not "
                "reset"}},
          std::nullopt};
}

ControlServer::Result ControlServer::LeaseGet(const Arguments& args) {
  LW_CHECK_ARGS(args.ExpectOnly(
      {"address", "hw-address", "client-id", "circuit-id", "remote-id"}));
  const std::vector<std::string> given = args.Present(
      {"address", "hw-address", "client-id", "circuit-id", "remote-id"});
  if (given.size() != 1) {
    return {
        {},
        BadArguments(Cat("give exactly one of address, hw-address, client-id, "
                         "circuit-id, remote-id (got ",
                         given.empty() ? "none" : Join(given, " and "), ")"))};
  }
  const std::string& kind = given[0];
  std::string text;
  LW_CHECK_ARGS(args.String(kind, &text));
  const store::TimeBase tb = plane_->store().options().time_base;
  Json leases = Json::array();

  if (kind == "address") {
    Ipv4Address address;
    const config::Subnet* subnet = nullptr;
    if (std::optional<Failure> f =
            LocateAddress(*plane_->config(), text, &address, &subnet)) {
      return {{}, std::move(*f)};
    }
    const size_t owner = plane_->OwnerOf(subnet->id);
    auto out = std::make_shared<Json>(Json::array());
    absl::StatusOr<store::CommitTicket> t = plane_->RunOnWorker(
        owner, [out, address, tb](dataplane::WorkerAccess& w) {
          engine::Engine* e = w.engine();
          if (e == nullptr) return;
          const lease::Slot s = e->table().FindByAddress(address);
          if (s == lease::kNoSlot) return;
          const lease::Lease& l = e->table().at(s);
          out->push_back(LeaseJson(l, e->SubnetIdOf(l), ContextOf(w, tb)));
        });
    if (!t.ok()) return {{}, WorkerFailure(owner, t.status())};
    leases = *out;
  } else {
    absl::StatusOr<std::vector<uint8_t>> id = ParseIdentifier(kind, text);
    if (!id.ok()) {
      return {{}, BadArguments(Cat(kind, ": ", id.status().message()))};
    }
    auto key = std::make_shared<const std::vector<uint8_t>>(*std::move(id));
    for (size_t w = 0; w < plane_->workers(); ++w) {
      if (kind == "client-id") {
        auto out = std::make_shared<Json>(Json::array());
        absl::StatusOr<store::CommitTicket> t = plane_->RunOnWorker(
            w, [out, key, tb](dataplane::WorkerAccess& access) {
              engine::Engine* e = access.engine();
              if (e == nullptr) return;
              const lease::Slot s =
                  e->table().FindByClient(lease::MakeClientKey(true, 0, *key));
              if (s == lease::kNoSlot) return;
              const lease::Lease& l = e->table().at(s);
              out->push_back(
                  LeaseJson(l, e->SubnetIdOf(l), ContextOf(access, tb)));
            });
        if (!t.ok()) return {{}, WorkerFailure(w, t.status())};
        for (Json& l : *out) leases.push_back(std::move(l));
        continue;
      }
      // No index for these: scan the table a step at a time, so that the
      // worker goes back to its packets between steps.
      struct ScanState {
        Json found = Json::array();
        uint64_t live_seen = 0;
        uint64_t size = 0;
        bool no_engine = false;
      };
      const int field = kind == "hw-address" ? 0 : kind == "circuit-id" ? 1 : 2;
      uint64_t seen_total = 0;
      for (uint64_t from = 0; from <= 0xffffffffu; from += kScanStep) {
        auto st = std::make_shared<ScanState>();
        absl::StatusOr<store::CommitTicket> t = plane_->RunOnWorker(
            w, [st, key, field, from, tb](dataplane::WorkerAccess& access) {
              engine::Engine* e = access.engine();
              if (e == nullptr) {
                st->no_engine = true;
                return;
              }
              const lease::LeaseTable& table = e->table();
              st->size = table.size();
              const LeaseContext ctx = ContextOf(access, tb);
              const uint64_t end =
                  std::min<uint64_t>(from + kScanStep, uint64_t{0xffffffff});
              for (uint64_t s = from; s < end; ++s) {
                if (!table.live(static_cast<lease::Slot>(s))) continue;
                ++st->live_seen;
                const lease::Lease& l = table.at(static_cast<lease::Slot>(s));
                const std::span<const uint8_t> v = field == 0   ? l.chaddr()
                                                   : field == 1 ? l.circuit_id()
                                                                : l.remote_id();
                if (v.size() == key->size() &&
                    std::equal(v.begin(), v.end(), key->begin()) &&
                    st->found.size() < kMaxMatches) {
                  st->found.push_back(LeaseJson(l, e->SubnetIdOf(l), ctx));
                }
              }
            });
        if (!t.ok()) return {{}, WorkerFailure(w, t.status())};
        if (st->no_engine) break;
        for (Json& l : st->found) leases.push_back(std::move(l));
        seen_total += st->live_seen;
        if (seen_total >= st->size || leases.size() >= kMaxMatches) break;
      }
    }
  }
  if (leases.empty()) {
    return {{},
            Fail(ErrorCode::kNotFound,
                 Cat("no lease for ", kind, " ", text,
                     kind == "address" ? " (the address is free)"
                                       : " (check the spelling; hw-address "
                                         "and client-id are hex octets)"))};
  }
  return {Json{{"leases", leases}, {"truncated", leases.size() >= kMaxMatches}},
          std::nullopt};
}

ControlServer::Result ControlServer::LeaseList(const Arguments& args) {
  LW_CHECK_ARGS(args.ExpectOnly({"subnet-id", "cursor", "limit"}));
  uint64_t id = 0;
  LW_CHECK_ARGS(args.Uint("subnet-id", 1, 0xffffffff, &id));
  uint64_t limit = kDefaultPage;
  if (args.Has("limit")) LW_CHECK_ARGS(args.Uint("limit", 1, kMaxPage, &limit));
  const config::Subnet* subnet =
      plane_->config()->FindSubnetById(static_cast<uint32_t>(id));
  if (subnet == nullptr) {
    return {
        {},
        Fail(ErrorCode::kNotFound, Cat("no subnet with id ", id,
                                       "; `leasewirectl subnets` lists them"))};
  }
  Ipv4Address from = subnet->prefix.network;
  if (args.Has("cursor")) {
    std::string text;
    LW_CHECK_ARGS(args.String("cursor", &text));
    const std::optional<Ipv4Address> a = ParseAddress(text);
    if (!a || !subnet->prefix.Contains(*a)) {
      return {{},
              BadArguments(Cat("cursor \"", text, "\" is not an address of ",
                               subnet->prefix.ToString(),
                               "; pass the \"next\" of the previous page"))};
    }
    from = *a;
  }
  struct Page {
    Json leases = Json::array();
    std::optional<uint32_t> next;
  };
  auto page = std::make_shared<Page>();
  const uint32_t first = from.value();
  const uint32_t last = subnet->prefix.broadcast().value();
  const store::TimeBase tb = plane_->store().options().time_base;
  const size_t owner = plane_->OwnerOf(subnet->id);
  absl::StatusOr<store::CommitTicket> t = plane_->RunOnWorker(
      owner, [page, first, last, limit, tb](dataplane::WorkerAccess& w) {
        engine::Engine* e = w.engine();
        if (e == nullptr) return;
        const LeaseContext ctx = ContextOf(w, tb);
        uint64_t a = first;
        uint32_t scanned = 0;
        for (; a <= last; ++a) {
          if (page->leases.size() >= limit || scanned >= kListScanBudget) {
            page->next = static_cast<uint32_t>(a);
            return;
          }
          ++scanned;
          const lease::Slot s =
              e->table().FindByAddress(Ipv4Address(static_cast<uint32_t>(a)));
          if (s == lease::kNoSlot) continue;
          const lease::Lease& l = e->table().at(s);
          page->leases.push_back(LeaseJson(l, e->SubnetIdOf(l), ctx));
        }
      });
  if (!t.ok()) return {{}, WorkerFailure(owner, t.status())};
  Json data{{"subnet-id", id},
            {"subnet", subnet->prefix.ToString()},
            {"leases", page->leases},
            {"next", page->next ? Json(Ipv4Address(*page->next).ToString())
                                : Json(nullptr)}};
  return {data, std::nullopt};
}

ControlServer::Result ControlServer::LeaseDelete(const Arguments& args) {
  LW_CHECK_ARGS(args.ExpectOnly({"address"}));
  std::string text;
  LW_CHECK_ARGS(args.String("address", &text));
  Ipv4Address address;
  const config::Subnet* subnet = nullptr;
  if (std::optional<Failure> f =
          LocateAddress(*plane_->config(), text, &address, &subnet)) {
    return {{}, std::move(*f)};
  }
  struct Outcome {
    Json lease;
    bool deleted = false;
  };
  auto out = std::make_shared<Outcome>();
  const store::TimeBase tb = plane_->store().options().time_base;
  const size_t owner = plane_->OwnerOf(subnet->id);
  absl::StatusOr<store::CommitTicket> t = plane_->RunOnWorker(
      owner, [out, address, tb](dataplane::WorkerAccess& w) {
        engine::Engine* e = w.engine();
        if (e == nullptr) return;
        const lease::Slot s = e->table().FindByAddress(address);
        if (s == lease::kNoSlot) return;
        const lease::Lease& l = e->table().at(s);
        out->lease = LeaseJson(l, e->SubnetIdOf(l), ContextOf(w, tb));
        out->deleted = e->DeleteLease(address, &w.log());
      });
  if (!t.ok()) return {{}, WorkerFailure(owner, t.status())};
  if (!out->deleted) {
    return {{},
            Fail(ErrorCode::kNotFound,
                 Cat("no lease for ", text, "; nothing to delete"))};
  }
  if (*t != 0 && plane_->store().Wait(*t) != store::CommitState::kDone) {
    return {{},
            Fail(ErrorCode::kUnavailable,
                 Cat("the lease of ", text,
                     " is gone from memory but its deletion was "
                     "not written to the lease database (",
                     plane_->store().stats().last_error,
                     "); it may come back at restart: delete it "
                     "again once the disk works"))};
  }
  return {Json{{"deleted", out->lease}, {"persisted", true}}, std::nullopt};
}

ControlServer::Result ControlServer::Subnets(const Arguments& args) {
  LW_CHECK_ARGS(args.ExpectOnly({"subnet-id"}));
  uint64_t only = 0;
  if (args.Has("subnet-id")) {
    LW_CHECK_ARGS(args.Uint("subnet-id", 1, 0xffffffff, &only));
    if (plane_->config()->FindSubnetById(static_cast<uint32_t>(only)) ==
        nullptr) {
      return {{}, Fail(ErrorCode::kNotFound, Cat("no subnet with id ", only))};
    }
  }
  absl::StatusOr<Snapshot> now = Collect(*plane_);
  if (!now.ok()) {
    return {{},
            Fail(ErrorCode::kUnavailable, Cat("could not collect utilisation: ",
                                              now.status().message()))};
  }
  Json list = Json::array();
  for (const SubnetSnapshot& s : now->subnets) {
    if (only != 0 && s.id != only) continue;
    const config::Subnet* cs = plane_->config()->FindSubnetById(s.id);
    const uint64_t used = s.total > s.free ? s.total - s.free : 0;
    list.push_back(
        {{"id", s.id},
         {"subnet", s.prefix},
         {"worker", s.worker},
         {"pools", cs ? cs->pools.size() : 0},
         {"reservations", cs ? cs->reservations.size() : 0},
         {"total", s.total},
         {"used", used},
         {"free", s.free},
         {"utilisation", s.total == 0 ? 0.0
                                      : static_cast<double>(used) * 100.0 /
                                            static_cast<double>(s.total)}});
  }
  return {Json{{"subnets", list}}, std::nullopt};
}

ControlServer::Result ControlServer::ReservationList(const Arguments& args) {
  LW_CHECK_ARGS(args.ExpectOnly({"subnet-id", "source", "cursor", "limit"}));
  uint64_t only = 0;
  if (args.Has("subnet-id")) {
    LW_CHECK_ARGS(args.Uint("subnet-id", 1, 0xffffffff, &only));
  }
  std::string source = "all";
  if (args.Has("source")) {
    LW_CHECK_ARGS(args.String("source", &source));
    if (source != "all" && source != "file" && source != "runtime") {
      return {{},
              BadArguments("\"source\" is \"all\", \"file\" or \"runtime\"")};
    }
  }
  uint64_t cursor = 0;
  uint64_t limit = 500;
  if (args.Has("cursor"))
    LW_CHECK_ARGS(args.Uint("cursor", 0, 1ull << 40, &cursor));
  if (args.Has("limit")) LW_CHECK_ARGS(args.Uint("limit", 1, 5000, &limit));

  std::set<std::string> runtime_keys;
  for (const RuntimeReservation& r : runtime_) runtime_keys.insert(r.key);
  Json list = Json::array();
  uint64_t index = 0;
  bool more = false;
  const auto emit = [&](Json entry) {
    if (index++ < cursor) return;
    if (list.size() >= limit) {
      more = true;
      return;
    }
    list.push_back(std::move(entry));
  };
  for (const config::Subnet& s : plane_->config()->subnets) {
    if (only != 0 && s.id != only) continue;
    for (const config::Reservation& r : s.reservations) {
      const std::string key =
          Cat(s.id, "/", KindName(r.key_type), "/", Hex(r.key));
      const bool runtime = runtime_keys.contains(key);
      if ((source == "file" && runtime) || (source == "runtime" && !runtime)) {
        continue;
      }
      Json e{
          {"subnet-id", s.id},
          {"source", runtime ? "runtime" : "file"},
          {std::string(KindName(r.key_type)),
           IdentifierText(r.key_type, r.key)},
          {"ip-address",
           r.address.IsZero() ? Json(nullptr) : Json(r.address.ToString())},
          {"hostname", r.hostname.empty() ? Json(nullptr) : Json(r.hostname)},
          {"valid-lifetime", !r.valid_lifetime ? Json(nullptr)
                             : *r.valid_lifetime == config::kInfinite
                                 ? Json("infinite")
                                 : Json(*r.valid_lifetime)}};
      if (runtime) e["key"] = key;
      emit(std::move(e));
    }
  }
  // Stored but not served: their subnet is gone or the file now refuses
  // them.
  if (source != "file") {
    std::set<std::string> served;
    for (const config::Subnet& s : plane_->config()->subnets) {
      for (const config::Reservation& r : s.reservations) {
        served.insert(Cat(s.id, "/", KindName(r.key_type), "/", Hex(r.key)));
      }
    }
    for (const RuntimeReservation& r : runtime_) {
      if (served.contains(r.key) || (only != 0 && r.subnet_id != only))
        continue;
      Json e = r.object;
      e["subnet-id"] = r.subnet_id;
      e["source"] = "runtime";
      e["key"] = r.key;
      e["inactive"] = true;
      emit(std::move(e));
    }
  }
  return {Json{{"reservations", list},
               {"next", more ? Json(cursor + list.size()) : Json(nullptr)}},
          std::nullopt};
}

ControlServer::Result ControlServer::ReservationAdd(const Arguments& args) {
  LW_CHECK_ARGS(args.ExpectOnly({"subnet-id", "reservation"}));
  uint64_t id = 0;
  LW_CHECK_ARGS(args.Uint("subnet-id", 1, 0xffffffff, &id));
  Json object;
  LW_CHECK_ARGS(args.Object("reservation", &object));
  if (plane_->config()->FindSubnetById(static_cast<uint32_t>(id)) == nullptr) {
    return {
        {},
        Fail(ErrorCode::kNotFound, Cat("no subnet with id ", id,
                                       "; `leasewirectl subnets` lists them"))};
  }
  absl::StatusOr<RuntimeReservation> r =
      MakeRuntimeReservation(static_cast<uint32_t>(id), object);
  if (!r.ok()) {
    return {{}, BadArguments(std::string(r.status().message()))};
  }
  for (const RuntimeReservation& have : runtime_) {
    if (have.key == r->key) {
      return {
          {},
          Fail(ErrorCode::kRefused, Cat("reservation ", r->key,
                                        " already exists (added at run time); "
                                        "delete it first to change it"))};
    }
  }
  std::vector<RuntimeReservation> next = runtime_;
  next.push_back(*r);
  absl::StatusOr<MergedConfig> merged =
      MergeConfig(options_.config_text, next, /*drop_refused=*/true);
  if (!merged.ok()) {
    return {{},
            Fail(ErrorCode::kRefused, std::string(merged.status().message()))};
  }
  for (const std::string& m : merged->left_out) {
    if (m.starts_with(Cat("runtime reservation ", r->key, ":"))) {
      return {{},
              Fail(ErrorCode::kRefused,
                   m.substr(0, m.find(" (left out"))
                       .append("; the reservation was not added"))};
    }
  }
  const std::string json =
      object.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (absl::Status s = plane_->store().PutReservation(r->key, json); !s.ok()) {
    return {{},
            Fail(ErrorCode::kUnavailable,
                 Cat("could not store the reservation: ", s.message(),
                     "; nothing changed"))};
  }
  if (absl::Status s = Apply(*merged); !s.ok()) {
    (void)plane_->store().DeleteReservation(r->key);
    return {{},
            Fail(ErrorCode::kRefused,
                 Cat("the workers refused the new config: ", s.message(),
                     "; nothing changed"))};
  }
  runtime_ = std::move(next);
  left_out_ = merged->left_out;
  return {Json{{"key", r->key}, {"subnet-id", id}, {"reservation", object}},
          std::nullopt};
}

ControlServer::Result ControlServer::ReservationDelete(const Arguments& args) {
  LW_CHECK_ARGS(args.ExpectOnly(
      {"subnet-id", "hw-address", "client-id", "circuit-id", "remote-id"}));
  uint64_t id = 0;
  LW_CHECK_ARGS(args.Uint("subnet-id", 1, 0xffffffff, &id));
  const std::vector<std::string> given =
      args.Present({"hw-address", "client-id", "circuit-id", "remote-id"});
  if (given.size() != 1) {
    return {{},
            BadArguments("give exactly one identifier: hw-address, client-id, "
                         "circuit-id or remote-id")};
  }
  std::string text;
  LW_CHECK_ARGS(args.String(given[0], &text));
  absl::StatusOr<std::string> key =
      ReservationKey(static_cast<uint32_t>(id), given[0], text);
  if (!key.ok()) {
    return {{}, BadArguments(Cat(given[0], ": ", key.status().message()))};
  }
  auto it =
      std::find_if(runtime_.begin(), runtime_.end(),
                   [&](const RuntimeReservation& r) { return r.key == *key; });
  if (it == runtime_.end()) {
    const config::Subnet* s =
        plane_->config()->FindSubnetById(static_cast<uint32_t>(id));
    if (s != nullptr) {
      for (const config::Reservation& r : s->reservations) {
        if (Cat(s->id, "/", KindName(r.key_type), "/", Hex(r.key)) == *key) {
          return {{},
                  Fail(ErrorCode::kRefused,
                       Cat("reservation ", *key, " is in the config file ",
                           options_.config_path,
                           "; remove it there and run "
                           "`leasewirectl config reload`"))};
        }
      }
    }
    return {{},
            Fail(ErrorCode::kNotFound,
                 Cat("no reservation ", *key,
                     "; `leasewirectl reservations list` shows "
                     "them"))};
  }
  const RuntimeReservation removed = *it;
  std::vector<RuntimeReservation> next;
  for (const RuntimeReservation& r : runtime_) {
    if (r.key != *key) next.push_back(r);
  }
  absl::StatusOr<MergedConfig> merged =
      MergeConfig(options_.config_text, next, /*drop_refused=*/true);
  if (!merged.ok()) {
    return {{},
            Fail(ErrorCode::kRefused, std::string(merged.status().message()))};
  }
  if (absl::Status s = plane_->store().DeleteReservation(*key);
      !s.ok() && !absl::IsNotFound(s)) {
    return {{},
            Fail(ErrorCode::kUnavailable,
                 Cat("could not delete the stored reservation: ", s.message(),
                     "; nothing changed"))};
  }
  if (absl::Status s = Apply(*merged); !s.ok()) {
    (void)plane_->store().PutReservation(
        *key,
        removed.object.dump(-1, ' ', false, Json::error_handler_t::replace));
    return {{},
            Fail(ErrorCode::kRefused,
                 Cat("the workers refused the new config: ", s.message(),
                     "; nothing changed"))};
  }
  runtime_ = std::move(next);
  left_out_ = merged->left_out;
  return {Json{{"deleted", *key}}, std::nullopt};
}

// Runs on this (the control) thread: the workers go on answering and
// committing meanwhile; other control requests wait until it is done.
ControlServer::Result ControlServer::Backup(const Arguments& args) {
  LW_CHECK_ARGS(args.ExpectOnly({"directory"}));
  std::string directory;
  LW_CHECK_ARGS(args.String("directory", &directory));
  if (directory.empty() || directory.front() != '/') {
    return {{},
            BadArguments(Cat("directory \"", directory,
                             "\" must be absolute: the server does not share "
                             "your working directory"))};
  }
  store::Store& st = plane_->store();
  const absl::Time started = absl::Now();
  absl::StatusOr<store::DirectoryReport> report = st.Checkpoint(directory);
  if (!report.ok()) {
    const absl::StatusCode code = report.status().code();
    const ErrorCode answer =
        code == absl::StatusCode::kInvalidArgument ? ErrorCode::kBadArguments
        : code == absl::StatusCode::kUnavailable   ? ErrorCode::kUnavailable
                                                   : ErrorCode::kRefused;
    return {{},
            Fail(answer, Cat("backup to ", directory,
                             " failed: ", report.status().message(),
                             "; the lease database is unchanged and "
                             "leasewired serves on"))};
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  spdlog::info(
      "control: backup of lease database {} to {}: {} lease records, {} "
      "runtime reservations, sequence {}, {} bytes, {:.3f} s",
      st.options().directory, report->directory, report->lease_records,
      report->reservations, report->last_sequence, report->disk_bytes, seconds);
  return {Json{{"directory", report->directory},
               {"source", st.options().directory},
               {"schema-version", report->schema_version},
               {"last-sequence", report->last_sequence},
               {"lease-records", report->lease_records},
               {"damaged-records", report->damaged_records},
               {"reservations", report->reservations},
               {"disk-bytes", report->disk_bytes},
               {"seconds", seconds}},
          std::nullopt};
}

ControlServer::Result ControlServer::ConfigTest(const Arguments& args) {
  LW_CHECK_ARGS(args.ExpectOnly({"path"}));
  std::string path = options_.config_path;
  if (args.Has("path")) {
    LW_CHECK_ARGS(args.String("path", &path));
    if (path.empty() || path.front() != '/') {
      return {{},
              BadArguments(
                  Cat("path \"", path,
                      "\" must be absolute: the server does not share your "
                      "working directory"))};
    }
  }
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return {{},
            Fail(ErrorCode::kNotFound,
                 Cat(text.status().message(),
                     " (the server reads the file, as its own "
                     "user)"))};
  }
  absl::StatusOr<MergedConfig> merged =
      MergeConfig(*text, runtime_, /*drop_refused=*/true);
  if (!merged.ok()) {
    return {
        {},
        Fail(ErrorCode::kRefused, Cat(path, ": ", merged.status().message()))};
  }
  const config::Config& c = *merged->config;
  size_t pools = 0;
  size_t reservations = 0;
  for (const config::Subnet& s : c.subnets) {
    pools += s.pools.size();
    reservations += s.reservations.size();
  }
  std::vector<std::string> restart = RestartOnly(*plane_->config(), c);
  // The same rule Dataplane::Reload() applies.
  std::vector<std::string> interfaces;
  if (!config::SameInterfaces(*plane_->config(), c)) {
    interfaces.push_back("interfaces");
  }
  return {Json{{"path", path},
               {"valid", true},
               {"sha256", Sha256Hex(*text)},
               {"subnets", c.subnets.size()},
               {"pools", pools},
               {"reservations", reservations},
               {"runtime-reservations", merged->applied},
               {"left-out", merged->left_out},
               {"restart-needed", restart},
               {"reload-refused-for", interfaces}},
          std::nullopt};
}

ControlServer::Result ControlServer::ConfigReload(const Arguments& args) {
  LW_CHECK_ARGS(args.ExpectOnly({}));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> text = ReadFile(options_.config_path);
  if (!text.ok()) {
    return {{},
            Fail(ErrorCode::kNotFound,
                 Cat(text.status().message(), "; the running config stays"))};
  }
  absl::StatusOr<MergedConfig> merged =
      MergeConfig(*text, runtime_, /*drop_refused=*/true);
  if (!merged.ok()) {
    return {{},
            Fail(ErrorCode::kRefused,
                 Cat(options_.config_path, ": ", merged.status().message(),
                     "; the running config stays (check with "
                     "`leasewirectl config test`)"))};
  }
  absl::StatusOr<Snapshot> before = Collect(*plane_);
  const std::vector<std::string> restart =
      RestartOnly(*plane_->config(), *merged->config);
  if (absl::Status s = Apply(*merged); !s.ok()) {
    return {{},
            Fail(ErrorCode::kRefused, Cat("reload refused: ", s.message(),
                                          "; the running config stays"))};
  }
  absl::StatusOr<Snapshot> after = Collect(*plane_);
  options_.config_text = *std::move(text);
  config_sha256_ = Sha256Hex(options_.config_text);
  config_loaded_ = absl::Now();
  ++reloads_;
  left_out_ = merged->left_out;
  for (const std::string& m : left_out_) spdlog::warn("control: {}", m);
  for (const std::string& r : restart) {
    spdlog::warn(
        "control: config reloaded; changes to \"{}\" take effect at "
        "restart",
        r);
  }
  Json data{{"sha256", config_sha256_},
            {"subnets", merged->config->subnets.size()},
            {"runtime-reservations", merged->applied},
            {"left-out", left_out_},
            {"restart-needed", restart},
            {"seconds", absl::ToDoubleSeconds(absl::Now() - start)}};
  if (before.ok() && after.ok()) {
    data["bound-before"] = before->TotalLeases().bound;
    data["bound-after"] = after->TotalLeases().bound;
  }
  return {data, std::nullopt};
}

#undef LW_CHECK_ARGS

}  // namespace leasewire::control
