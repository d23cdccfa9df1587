#include "leasewire/control/metrics.h"

#include <httplib.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "leasewire/dataplane/packet_path.h"
#include "leasewire/engine/engine.h"
#include "leasewire/store/store.h"
#include "leasewire/wire/options.h"
#include "leasewire/wire/verdict.h"

namespace leasewire::control {
namespace {

using Label = std::pair<std::string_view, std::string_view>;

// Shortest decimal that reads back as `v`, never in exponent notation so
// that `le` labels look like the bounds operators expect ("0.00025").
std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::array<char, 400> buf;
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v,
                               std::chars_format::fixed);
  if (r.ec != std::errc()) return absl::StrCat(v);
  return std::string(buf.data(), r.ptr);
}

// Label values may hold any UTF-8; the format reserves these three.
void AppendEscapedLabelValue(std::string_view value, std::string* out) {
  for (const char c : value) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

// Writes one metric family at a time: HELP and TYPE, then its samples,
// which the format requires to stay together. The header waits for the
// first sample so that a family without series (no worker, no subnet) is
// left out instead of declared empty.
class Exposition {
 public:
  void Family(std::string_view name, std::string_view type,
              std::string_view help) {
    header_.clear();
    Append(&header_, {"# HELP ", name, " "});
    for (const char c : help) {
      if (c == '\\') {
        header_.append("\\\\");
      } else if (c == '\n') {
        header_.append("\\n");
      } else {
        header_.push_back(c);
      }
    }
    Append(&header_, {"\n# TYPE ", name, " ", type, "\n"});
  }

  void Sample(std::string_view name, std::initializer_list<Label> labels,
              std::string_view value) {
    out_.append(header_);
    header_.clear();
    out_.append(name);
    if (labels.size() > 0) {
      out_.push_back('{');
      bool first = true;
      for (const auto& [key, val] : labels) {
        if (!first) out_.push_back(',');
        first = false;
        Append(&out_, {key, "=\""});
        AppendEscapedLabelValue(val, &out_);
        out_.push_back('"');
      }
      out_.push_back('}');
    }
    Append(&out_, {" ", value, "\n"});
  }
  void Sample(std::string_view name, std::initializer_list<Label> labels,
              uint64_t value) {
    Sample(name, labels, absl::StrCat(value));
  }
  void Sample(std::string_view name, std::initializer_list<Label> labels,
              double value) {
    Sample(name, labels, FormatDouble(value));
  }

  std::string Take() { return std::move(out_); }

 private:
  // absl::StrAppend here takes absl::string_view, which Debian's Abseil
  // does not alias to std::string_view.
  static void Append(std::string* out,
                     std::initializer_list<std::string_view> parts) {
    for (const std::string_view p : parts) out->append(p);
  }

  std::string header_;  // of the current family, until its first sample
  std::string out_;
};

// The message types of RFC 2131 get their own series; the leasequery
// family (not served) and unassigned codes are summed into "other".
constexpr int kNamedMessageTypes = 8;

std::string MessageTypeLabel(int type) {
  std::string_view name =
      wire::MessageTypeName(static_cast<wire::MessageType>(type));
  if (name.substr(0, 4) == "DHCP") name.remove_prefix(4);
  std::string lower(name);
  for (char& c : lower) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return lower;
}

void MessagesByType(Exposition& e, std::string_view name,
                    const std::vector<WorkerSnapshot>& workers, bool received) {
  for (const WorkerSnapshot& w : workers) {
    const std::string worker = absl::StrCat(w.index);
    const auto& counts =
        received ? w.counters.engine.received : w.counters.engine.sent;
    uint64_t other = 0;
    for (size_t t = 0; t < counts.size(); ++t) {
      if (t >= 1 && t <= kNamedMessageTypes) {
        e.Sample(name,
                 {{"worker", worker},
                  {"type", MessageTypeLabel(static_cast<int>(t))}},
                 counts[t]);
      } else {
        other += counts[t];
      }
    }
    e.Sample(name, {{"worker", worker}, {"type", "other"}}, other);
  }
}

// One counter per worker, read from its counters by `get`.
template <typename Get>
void PerWorker(Exposition& e, std::string_view name, std::string_view help,
               const std::vector<WorkerSnapshot>& workers, Get get) {
  e.Family(name, "counter", help);
  for (const WorkerSnapshot& w : workers) {
    e.Sample(name, {{"worker", absl::StrCat(w.index)}},
             static_cast<uint64_t>(get(w.counters)));
  }
}

void Traffic(Exposition& e, const Snapshot& s) {
  e.Family("leasewire_dhcp_received_total", "counter",
           "DHCP requests the engine processed, by message type and by the "
           "worker that owns the subnet.");
  MessagesByType(e, "leasewire_dhcp_received_total", s.workers, true);
  e.Family("leasewire_dhcp_sent_total", "counter",
           "DHCP replies built by the engine, by message type and worker.");
  MessagesByType(e, "leasewire_dhcp_sent_total", s.workers, false);

  using C = dataplane::WorkerCounters;
  PerWorker(e, "leasewire_frames_received_total",
            "Ethernet frames the worker received from its ports.", s.workers,
            [](const C& c) { return c.rx; });
  PerWorker(e, "leasewire_frames_sent_total",
            "Ethernet frames the ports accepted for transmission.", s.workers,
            [](const C& c) { return c.tx; });
  PerWorker(e, "leasewire_arp_replies_total",
            "ARP requests for the server's addresses answered.", s.workers,
            [](const C& c) { return c.arp_replies; });
  PerWorker(e, "leasewire_ping_replies_total",
            "ICMP echo requests to the server's addresses answered.", s.workers,
            [](const C& c) { return c.icmp_replies; });
  PerWorker(e, "leasewire_handoffs_sent_total",
            "DHCP requests passed to the worker owning their subnet.",
            s.workers, [](const C& c) { return c.handed_off; });
  PerWorker(e, "leasewire_handoffs_received_total",
            "DHCP requests taken from other workers for subnets owned here.",
            s.workers, [](const C& c) { return c.from_peers; });
  PerWorker(e, "leasewire_replies_held_total",
            "Replies that waited for their lease change to be committed.",
            s.workers, [](const C& c) { return c.held; });
  PerWorker(e, "leasewire_store_submissions_total",
            "Batches of lease changes the worker handed to the store.",
            s.workers, [](const C& c) { return c.commits; });
}

void Drops(Exposition& e, const Snapshot& s) {
  e.Family("leasewire_dataplane_drops_total", "counter",
           "Frames the data plane dropped, by reason (reason=\"not_dhcp\" is "
           "broken down in leasewire_malformed_packets_total).");
  for (const WorkerSnapshot& w : s.workers) {
    const std::string worker = absl::StrCat(w.index);
    for (int d = 0; d < dataplane::kDropCount; ++d) {
      e.Sample(
          "leasewire_dataplane_drops_total",
          {{"worker", worker},
           {"reason", dataplane::DropName(static_cast<dataplane::Drop>(d))}},
          w.counters.drops[d]);
    }
  }

  e.Family("leasewire_malformed_packets_total", "counter",
           "Frames to the DHCP path that failed parsing or are not DHCP "
           "requests for a server, by the parser's verdict.");
  for (const WorkerSnapshot& w : s.workers) {
    const std::string worker = absl::StrCat(w.index);
    for (int v = 1; v < wire::kVerdictCount; ++v) {
      e.Sample("leasewire_malformed_packets_total",
               {{"worker", worker},
                {"verdict", wire::VerdictName(static_cast<wire::Verdict>(v))}},
               w.counters.verdicts[v]);
    }
  }

  // SelectSubnet() only yields these two today; any other non-zero reason
  // is still shown rather than lost.
  e.Family("leasewire_subnet_selection_failures_total", "counter",
           "Valid DHCP requests dropped because no configured subnet matched "
           "their relay, link or interface, by reason.");
  for (const WorkerSnapshot& w : s.workers) {
    const std::string worker = absl::StrCat(w.index);
    for (int r = 1; r < engine::kReasonCount; ++r) {
      const auto reason = static_cast<engine::Reason>(r);
      if (reason != engine::Reason::kNoSubnet &&
          reason != engine::Reason::kUntrustedRelayInfo &&
          w.counters.no_subnet[r] == 0) {
        continue;
      }
      e.Sample("leasewire_subnet_selection_failures_total",
               {{"worker", worker}, {"reason", engine::ReasonName(reason)}},
               w.counters.no_subnet[r]);
    }
  }

  e.Family("leasewire_requests_unanswered_total", "counter",
           "DHCP requests the engine did not answer, by reason; "
           "reason=\"released\" and \"declined\" are normal (RFC 2131 "
           "sends no reply to RELEASE and DECLINE).");
  for (const WorkerSnapshot& w : s.workers) {
    const std::string worker = absl::StrCat(w.index);
    for (int r = 1; r < engine::kReasonCount; ++r) {
      e.Sample("leasewire_requests_unanswered_total",
               {{"worker", worker},
                {"reason", engine::ReasonName(static_cast<engine::Reason>(r))}},
               w.counters.engine.reasons[r]);
    }
  }
}

void Leases(Exposition& e, const Snapshot& s) {
  e.Family("leasewire_leases", "gauge",
           "Lease records in memory, by state and owning worker.");
  for (const WorkerSnapshot& w : s.workers) {
    const std::string worker = absl::StrCat(w.index);
    const LeaseCounts& l = w.leases;
    for (const auto& [state, n] :
         {std::pair<std::string_view, uint64_t>{"offered", l.offered},
          {"bound", l.bound},
          {"released", l.released},
          {"declined", l.declined},
          {"expired", l.expired}}) {
      e.Sample("leasewire_leases", {{"worker", worker}, {"state", state}}, n);
    }
  }

  using C = dataplane::WorkerCounters;
  PerWorker(e, "leasewire_leases_expired_total",
            "Leases whose lifetime ran out.", s.workers,
            [](const C& c) { return c.engine.expired; });
  PerWorker(e, "leasewire_offers_timed_out_total",
            "Offers withdrawn because no REQUEST followed in time.", s.workers,
            [](const C& c) { return c.engine.offers_timed_out; });
  PerWorker(e, "leasewire_decline_probation_ended_total",
            "Declined addresses returned to the pool after probation.",
            s.workers, [](const C& c) { return c.engine.probation_ended; });
  PerWorker(e, "leasewire_reply_options_omitted_total",
            "Optional options left out of replies for lack of room.", s.workers,
            [](const C& c) { return c.engine.options_dropped; });
}

void Subnets(Exposition& e, const Snapshot& s) {
  struct Gauge {
    std::string_view name;
    std::string_view help;
  };
  static constexpr Gauge kGauges[] = {
      {"leasewire_subnet_addresses",
       "Addresses in the subnet's pools (pool size)."},
      {"leasewire_subnet_free_addresses",
       "Pool addresses neither leased, offered, declined nor reserved."},
      {"leasewire_subnet_utilization_ratio",
       "Share of the pool in use: (addresses - free) / addresses; 0 for an "
       "empty pool."},
  };
  for (size_t g = 0; g < std::size(kGauges); ++g) {
    e.Family(kGauges[g].name, "gauge", kGauges[g].help);
    for (const SubnetSnapshot& sub : s.subnets) {
      const std::string id = absl::StrCat(sub.id);
      const std::initializer_list<Label> labels = {{"subnet_id", id},
                                                   {"prefix", sub.prefix}};
      switch (g) {
        case 0:
          e.Sample(kGauges[g].name, labels, sub.total);
          break;
        case 1:
          e.Sample(kGauges[g].name, labels, sub.free);
          break;
        default: {
          const uint64_t used = sub.total > sub.free ? sub.total - sub.free : 0;
          const double ratio =
              sub.total == 0
                  ? 0.0
                  : static_cast<double>(used) / static_cast<double>(sub.total);
          e.Sample(kGauges[g].name, labels, ratio);
        }
      }
    }
  }
}

void Store(Exposition& e, const store::StoreStats& st) {
  const struct {
    std::string_view name;
    std::string_view help;
    uint64_t value;
  } kCounters[] = {
      {"leasewire_store_commits_total",
       "Lease-change batches committed to the database.", st.committed},
      {"leasewire_store_commit_failures_total",
       "Lease-change batches whose commit failed (their replies were "
       "dropped).",
       st.failed},
      {"leasewire_store_writes_total",
       "Database writes (one write carries a group of batches).", st.writes},
      {"leasewire_store_write_failures_total", "Database writes that failed.",
       st.write_failures},
      {"leasewire_store_records_written_total",
       "Lease records written or deleted.", st.mutations},
      {"leasewire_store_records_reclaimed_total",
       "Expired lease records deleted by background reclaiming.", st.reclaimed},
  };
  for (const auto& c : kCounters) {
    e.Family(c.name, "counter", c.help);
    e.Sample(c.name, {}, c.value);
  }

  constexpr std::string_view kName = "leasewire_store_commit_latency_seconds";
  e.Family(kName, "histogram",
           "Time from a write's first submitted batch to the end of the "
           "database write (fsync included in sync mode).");
  const std::string bucket = std::string(kName) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < store::kCommitLatencyBoundsUs.size(); ++i) {
    cumulative += st.latency_buckets[i];
    const double le =
        static_cast<double>(store::kCommitLatencyBoundsUs[i]) / 1e6;
    e.Sample(bucket, {{"le", FormatDouble(le)}}, cumulative);
  }
  cumulative += st.latency_buckets.back();
  e.Sample(bucket, {{"le", "+Inf"}}, cumulative);
  e.Sample(std::string(kName) + "_sum", {},
           static_cast<double>(st.latency_sum_us) / 1e6);
  e.Sample(std::string(kName) + "_count", {}, cumulative);
}

void Workers(Exposition& e, const Snapshot& now, const Snapshot* before) {
  e.Family("leasewire_worker_info", "gauge",
           "Always 1; maps each worker to the DPDK lcore it runs on.");
  for (const WorkerSnapshot& w : now.workers) {
    e.Sample(
        "leasewire_worker_info",
        {{"worker", absl::StrCat(w.index)}, {"lcore", absl::StrCat(w.lcore)}},
        uint64_t{1});
  }

  using C = dataplane::WorkerCounters;
  PerWorker(e, "leasewire_worker_poll_cycles_total",
            "Poll cycles the worker ran.", now.workers,
            [](const C& c) { return c.cycles; });
  PerWorker(e, "leasewire_worker_busy_cycles_total",
            "Poll cycles that found work (frames, hand-offs or commits).",
            now.workers, [](const C& c) { return c.busy_cycles; });

  // Snapshots a control command reset in between, or of a different set
  // of workers (a restart), do not give a meaningful ratio: report 0.
  const bool comparable =
      before != nullptr && before->workers.size() == now.workers.size();
  e.Family("leasewire_worker_busy_ratio", "gauge",
           "Share of the worker's time spent in poll cycles that found "
           "work since the previous snapshot (about one second).");
  for (size_t i = 0; i < now.workers.size(); ++i) {
    const C& c = now.workers[i].counters;
    double ratio = 0.0;
    if (comparable && before->workers[i].index == now.workers[i].index) {
      const C& b = before->workers[i].counters;
      if (c.tsc > b.tsc && c.busy_tsc >= b.busy_tsc) {
        ratio = static_cast<double>(c.busy_tsc - b.busy_tsc) /
                static_cast<double>(c.tsc - b.tsc);
        if (ratio > 1.0) ratio = 1.0;
      }
    }
    e.Sample("leasewire_worker_busy_ratio",
             {{"worker", absl::StrCat(now.workers[i].index)}}, ratio);
  }
}

}  // namespace

std::string RenderMetrics(const Snapshot& now, const Snapshot* before) {
  Exposition e;
  Traffic(e, now);
  Drops(e, now);
  Leases(e, now);
  Subnets(e, now);
  Store(e, now.store);
  Workers(e, now, before);
  e.Family("leasewire_snapshot_timestamp_seconds", "gauge",
           "Unix time at which these values were collected from the "
           "workers.");
  e.Sample(
      "leasewire_snapshot_timestamp_seconds", {},
      now.taken == absl::InfinitePast() || now.taken == absl::InfiniteFuture()
          ? 0.0
          : static_cast<double>(absl::ToUnixMicros(now.taken)) / 1e6);
  return e.Take();
}

// ---------------------------------------------------------------------------
// MetricsServer.

struct MetricsServer::Impl {
  httplib::Server http;
  std::thread thread;
  int port = 0;
  std::atomic<bool> exited{false};
  absl::Mutex mu;
  // Shared so that a scrape copies a pointer under the lock, not the text.
  std::shared_ptr<const std::string> text ABSL_GUARDED_BY(mu);
};

namespace {

struct HostPort {
  std::string host;
  int port = 0;
};

absl::StatusOr<HostPort> ParseAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address '", address,
                     "' is not host:port (e.g. 127.0.0.1:9167)"));
  }
  HostPort hp;
  hp.host = address.substr(0, colon);
  if (hp.host.front() == '[') {
    if (hp.host.size() < 3 || hp.host.back() != ']') {
      return absl::InvalidArgumentError(
          absl::StrCat("metrics address '", address, "': bad [IPv6] host"));
    }
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  if (!absl::SimpleAtoi(address.substr(colon + 1), &hp.port) || hp.port < 0 ||
      hp.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address '", address, "': bad port"));
  }
  return hp;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& address) {
  absl::StatusOr<HostPort> hp = ParseAddress(address);
  if (!hp.ok()) return hp.status();

  auto impl = std::make_unique<Impl>();
  Impl* raw = impl.get();
  httplib::Server& http = impl->http;
  // Two threads: a scraper stalling on one connection cannot block the
  // next scrape, and nothing heavier is needed for one small document.
  http.new_task_queue = [] { return new httplib::ThreadPool(2); };
  // httplib's default adds SO_REUSEPORT, which would let a second server
  // (or anyone else) bind the same port and answer half the scrapes.
  http.set_socket_options([](socket_t sock) {
    const int on = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  });
  http.set_read_timeout(5, 0);
  http.set_write_timeout(5, 0);
  http.set_keep_alive_timeout(10);
  http.set_payload_max_length(4096);
  http.Get("/metrics", [raw](const httplib::Request&, httplib::Response& res) {
    std::shared_ptr<const std::string> text;
    {
      absl::MutexLock lock(&raw->mu);
      text = raw->text;
    }
    if (text == nullptr) {
      res.status = 503;
      res.set_content("leasewired has not collected metrics yet\n",
                      "text/plain; charset=utf-8");
      return;
    }
    res.set_content(*text, kMetricsContentType);
  });
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) {
      res.set_content("not found: metrics are served at /metrics\n",
                      "text/plain; charset=utf-8");
    }
  });

  errno = 0;
  bool bound;
  if (hp->port == 0) {
    const int port = http.bind_to_any_port(hp->host);
    bound = port > 0;
    impl->port = port;
  } else {
    bound = http.bind_to_port(hp->host, hp->port);
    impl->port = hp->port;
  }
  if (!bound) {
    const int err = errno;
    return absl::UnavailableError(absl::StrCat(
        "cannot listen for metrics on ", address, ": ",
        err != 0 ? std::strerror(err) : "bind failed",
        " (is another process using the port, or is the host not a local "
        "address?)"));
  }
  impl->thread = std::thread([raw] {
    raw->http.listen_after_bind();
    raw->exited.store(true);
  });
  // httplib's stop() is a no-op until the accept loop runs; wait for it so
  // that the destructor can never miss it and hang in join().
  while (!http.is_running() && !impl->exited.load()) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  if (impl->exited.load()) {
    impl->thread.join();
    return absl::InternalError(
        absl::StrCat("metrics HTTP server on ", address, " stopped at once"));
  }
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

MetricsServer::~MetricsServer() {
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void MetricsServer::Publish(std::string text) {
  auto shared = std::make_shared<const std::string>(std::move(text));
  absl::MutexLock lock(&impl_->mu);
  impl_->text = std::move(shared);
}

int MetricsServer::port() const { return impl_->port; }

}  // namespace leasewire::control
