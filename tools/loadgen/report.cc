#include "report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace leasewire::loadgen {
namespace {

double Micros(const Results& r, uint64_t ticks) {
  return static_cast<double>(ticks) * 1e6 / static_cast<double>(r.tsc_hz);
}

nlohmann::json Latency(const Results& r, const Histogram& h) {
  return {{"count", h.count()},
          {"p50", Micros(r, h.Quantile(0.5))},
          {"p99", Micros(r, h.Quantile(0.99))},
          {"p999", Micros(r, h.Quantile(0.999))},
          {"max", Micros(r, h.max())},
          {"mean", Micros(r, static_cast<uint64_t>(h.mean()))}};
}

std::string LatencyText(const Results& r, const Histogram& h) {
  return absl::StrFormat("p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us",
                         Micros(r, h.Quantile(0.5)),
                         Micros(r, h.Quantile(0.99)),
                         Micros(r, h.Quantile(0.999)), Micros(r, h.max()));
}

double Rate(uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

}  // namespace

double LeasesPerSecond(const RunReport& r) {
  return Rate(r.results.leases, r.results.elapsed_s);
}

std::string SummaryText(const RunReport& r) {
  const Results& x = r.results;
  std::string s = absl::StrFormat(
      "target %s%s%s: %u clients behind %u relays, %s loop", r.target,
      r.workers > 0 ? absl::StrCat(", ", r.workers, " worker(s)") : "",
      r.durability.empty() ? "" : absl::StrCat(", durability ", r.durability),
      r.clients, r.relays,
      r.mode == "open" ? absl::StrFormat("open (%.0f/s)", r.rate)
                       : absl::StrCat("closed (window ", r.window, ")"));
  absl::StrAppendFormat(&s, "\n  leases      %llu in %.3f s: %.0f leases/s",
                        x.leases, x.elapsed_s, LeasesPerSecond(r));
  absl::StrAppendFormat(&s, "\n  latency     %s",
                        LatencyText(x, x.lease_latency));
  if (r.renewals > 0) {
    absl::StrAppendFormat(&s, "\n  renewals    %llu: %.0f/s; %s", x.renewals,
                          Rate(x.renewals, x.elapsed_s),
                          LatencyText(x, x.renew_latency));
  }
  if (r.release) absl::StrAppendFormat(&s, "\n  releases    %llu", x.releases);
  absl::StrAppendFormat(
      &s,
      "\n  clients     %llu started, %llu done, %llu failed, %llu in flight "
      "at the end%s",
      x.started, x.done, x.failed, x.outstanding,
      x.hit_duration ? " (stopped by --duration)" : "");
  absl::StrAppendFormat(
      &s,
      "\n  problems    %llu timeouts (%llu retransmitted), %llu NAKs, %llu "
      "unexpected, %llu mismatched, %llu duplicate addresses, %llu bad frames",
      x.timeouts, x.retransmits, x.naks, x.unexpected, x.mismatched,
      x.duplicates, x.bad_frames);
  absl::StrAppendFormat(
      &s,
      "\n  frames      %llu sent, %llu received (%.0f octets per reply), "
      "%llu other, %llu ARP answered, %llu TX stalls, %llu TX dropped",
      x.tx_frames, x.rx_frames,
      x.leases + x.renewals > 0
          ? static_cast<double>(x.rx_bytes) /
                static_cast<double>(2 * x.leases + x.renewals)
          : 0.0,
      x.other_frames, x.arp_replies, x.tx_stalls, x.tx_dropped);
  absl::StrAppendFormat(&s,
                        "\n  generator   busy %.0f %% of its time; it ran %.0f "
                        "%% of the wall time",
                        100 * x.busy,
                        x.wall_s > 0 ? 100 * x.cpu_s / x.wall_s : 0.0);
  if (r.process_cpu_s > 0 && x.leases > 0) {
    absl::StrAppendFormat(
        &s, "\n  cpu         %.2f CPU-s for the process: %.2f CPU-us per lease",
        r.process_cpu_s, 1e6 * r.process_cpu_s / static_cast<double>(x.leases));
  }
  if (x.untimed > 0) {
    absl::StrAppendFormat(&s, "\n  WARNING     %llu sends had no timer",
                          x.untimed);
  }
  if (r.has_server) {
    absl::StrAppendFormat(
        &s,
        "\n  server      rx %llu, tx %llu, %llu commits, busy %.0f %%, lcore "
        "ran %.0f %% of the wall time",
        r.server_rx, r.server_tx, r.server_commits, 100 * r.server_busy,
        100 * r.server_cpu_share);
    for (const auto& [name, n] : r.server_drops) {
      absl::StrAppendFormat(&s, ", dropped %s %llu", name, n);
    }
  }
  return s;
}

nlohmann::json ToJson(const RunReport& r) {
  const Results& x = r.results;
  nlohmann::json j = {
      {"target", r.target},
      {"workers", r.workers},
      {"durability", r.durability},
      {"mode", r.mode},
      {"clients", r.clients},
      {"relays", r.relays},
      {"window", r.window},
      {"rate", r.rate},
      {"renewals_per_client", r.renewals},
      {"release", r.release},
      {"elapsed_s", x.elapsed_s},
      {"leases", x.leases},
      {"leases_per_s", LeasesPerSecond(r)},
      {"renewals", x.renewals},
      {"renewals_per_s", Rate(x.renewals, x.elapsed_s)},
      {"releases", x.releases},
      {"started", x.started},
      {"done", x.done},
      {"failed", x.failed},
      {"outstanding", x.outstanding},
      {"timeouts", x.timeouts},
      {"retransmits", x.retransmits},
      {"naks", x.naks},
      {"unexpected", x.unexpected},
      {"mismatched", x.mismatched},
      {"duplicates", x.duplicates},
      {"bad_frames", x.bad_frames},
      {"other_frames", x.other_frames},
      {"arp_replies", x.arp_replies},
      {"tx_frames", x.tx_frames},
      {"rx_frames", x.rx_frames},
      {"tx_stalls", x.tx_stalls},
      {"tx_dropped", x.tx_dropped},
      {"untimed", x.untimed},
      {"generator_busy", x.busy},
      {"process_cpu_s", r.process_cpu_s},
      {"generator_cpu_share", x.wall_s > 0 ? x.cpu_s / x.wall_s : 0.0},
      {"hit_duration", x.hit_duration},
      {"latency_us", Latency(x, x.lease_latency)},
      {"renew_latency_us", Latency(x, x.renew_latency)},
  };
  if (r.has_server) {
    j["server"] = {{"rx", r.server_rx},
                   {"tx", r.server_tx},
                   {"commits", r.server_commits},
                   {"busy", r.server_busy},
                   {"cpu_share", r.server_cpu_share},
                   {"drops", r.server_drops}};
  }
  return j;
}

nlohmann::json ToJson(const std::vector<RunReport>& runs,
                      const std::string& command) {
  nlohmann::json j = {{"command", command}, {"runs", nlohmann::json::array()}};
  const RunReport* bare = nullptr;
  const RunReport* ring = nullptr;
  for (const RunReport& r : runs) {
    j["runs"].push_back(ToJson(r));
    if (r.target == "bare") bare = &r;
    if (r.target == "ring") ring = &r;
  }
  if (bare != nullptr && ring != nullptr && LeasesPerSecond(*bare) > 0) {
    j["fraction_of_bare"] = LeasesPerSecond(*ring) / LeasesPerSecond(*bare);
  }
  return j;
}

}  // namespace leasewire::loadgen
