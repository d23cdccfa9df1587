// Tests for the Prometheus exporter (metrics.h). The rendered text is read
// back by a strict parser of the text exposition format 0.0.4 written here
// from the format's description, independent of the renderer: grammar of
// names, labels and values, HELP/TYPE before samples, one block per family,
// no duplicate series, histogram shape. Values are then checked against
// the snapshot they came from. MetricsServer is driven over real HTTP on
// loopback.

#include "leasewire/control/metrics.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "control/sample_snapshot.h"
#include "gtest/gtest.h"
#include "leasewire/store/store.h"

namespace leasewire::control {
namespace {

using Labels = std::map<std::string, std::string>;

struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
};

struct Family {
  std::string name;
  std::string type;
  std::string help;
  std::vector<Sample> samples;
};

struct Parsed {
  std::vector<Family> families;
  std::string error;  // empty: the text is valid

  const Family* Find(const std::string& name) const {
    for (const Family& f : families) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
  std::optional<double> Value(const std::string& name,
                              const Labels& labels) const {
    for (const Family& f : families) {
      for (const Sample& s : f.samples) {
        if (s.name == name && s.labels == labels) return s.value;
      }
    }
    return std::nullopt;
  }
};

bool IsMetricName(const std::string& s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && c != ':' && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool IsLabelName(const std::string& s) {
  return IsMetricName(s) && s.find(':') == std::string::npos &&
         s.substr(0, 2) != "__";
}

std::optional<double> ParseValue(const std::string& s) {
  if (s == "+Inf") return HUGE_VAL;
  if (s == "-Inf") return -HUGE_VAL;
  if (s == "NaN") return std::nan("");
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  // strtod also takes "inf", "nan" and hex; the format does not.
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' ||
          c == 'e' || c == 'E')) {
      return std::nullopt;
    }
  }
  return v;
}

// Which family a sample name belongs to, for a family of `type`.
bool BelongsTo(const std::string& sample, const Family& f) {
  if (f.type != "histogram") return sample == f.name;
  return sample == f.name + "_bucket" || sample == f.name + "_sum" ||
         sample == f.name + "_count";
}

// Parses `name{a="x",b="y"} value` at `line`; fails on anything else
// (timestamps included: the renderer never writes them).
std::optional<Sample> ParseSampleLine(const std::string& line,
                                      std::string* error) {
  Sample s;
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  s.name = line.substr(0, i);
  if (!IsMetricName(s.name)) {
    *error = "bad metric name in: " + line;
    return std::nullopt;
  }
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      if (i >= line.size()) {
        *error = "unterminated labels: " + line;
        return std::nullopt;
      }
      if (line[i] == '}') {
        ++i;
        break;
      }
      const size_t eq = line.find('=', i);
      if (eq == std::string::npos) {
        *error = "label without '=': " + line;
        return std::nullopt;
      }
      const std::string key = line.substr(i, eq - i);
      if (!IsLabelName(key)) {
        *error = "bad label name '" + key + "' in: " + line;
        return std::nullopt;
      }
      if (eq + 1 >= line.size() || line[eq + 1] != '"') {
        *error = "unquoted label value: " + line;
        return std::nullopt;
      }
      std::string value;
      size_t j = eq + 2;
      bool closed = false;
      for (; j < line.size(); ++j) {
        const char c = line[j];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (++j >= line.size()) break;
          switch (line[j]) {
            case '\\':
              value.push_back('\\');
              break;
            case '"':
              value.push_back('"');
              break;
            case 'n':
              value.push_back('\n');
              break;
            default:
              *error = "bad escape in label value: " + line;
              return std::nullopt;
          }
        } else {
          value.push_back(c);
        }
      }
      if (!closed) {
        *error = "unterminated label value: " + line;
        return std::nullopt;
      }
      if (!s.labels.emplace(key, value).second) {
        *error = "repeated label '" + key + "': " + line;
        return std::nullopt;
      }
      i = j + 1;
      if (i < line.size() && line[i] == ',') {
        ++i;
        // A trailing comma before '}' is allowed by 0.0.4 but never written.
        if (i < line.size() && line[i] == '}') {
          *error = "trailing comma: " + line;
          return std::nullopt;
        }
      } else if (i >= line.size() || line[i] != '}') {
        *error = "expected ',' or '}' after a label: " + line;
        return std::nullopt;
      }
    }
  }
  if (i >= line.size() || line[i] != ' ') {
    *error = "no single space before the value: " + line;
    return std::nullopt;
  }
  const std::optional<double> v = ParseValue(line.substr(i + 1));
  if (!v) {
    *error = "bad value (or a timestamp) in: " + line;
    return std::nullopt;
  }
  s.value = *v;
  return s;
}

// Histogram rules: every _bucket has le, le increases strictly, counts
// never decrease, the last le is +Inf and equals _count; _sum and _count
// exactly once.
std::string CheckHistogram(const Family& f) {
  double last_le = -HUGE_VAL;
  double last_count = 0;
  int sums = 0;
  int counts = 0;
  double count = -1;
  bool inf_seen = false;
  for (const Sample& s : f.samples) {
    if (s.name == f.name + "_bucket") {
      const auto le = s.labels.find("le");
      if (le == s.labels.end()) return "bucket without le in " + f.name;
      const std::optional<double> bound = ParseValue(le->second);
      if (!bound) return "bad le '" + le->second + "' in " + f.name;
      if (inf_seen) return "bucket after +Inf in " + f.name;
      if (!(*bound > last_le)) return "le not increasing in " + f.name;
      if (s.value < last_count) return "bucket counts decrease in " + f.name;
      last_le = *bound;
      last_count = s.value;
      inf_seen = std::isinf(*bound);
    } else if (s.name == f.name + "_sum") {
      ++sums;
    } else {
      ++counts;
      count = s.value;
    }
  }
  if (!inf_seen) return "no +Inf bucket in " + f.name;
  if (sums != 1 || counts != 1) return "_sum/_count not once in " + f.name;
  if (count != last_count) return "_count differs from +Inf in " + f.name;
  return "";
}

Parsed ParseExposition(const std::string& text) {
  Parsed p;
  if (text.empty() || text.back() != '\n') {
    p.error = "text does not end with a newline";
    return p;
  }
  std::set<std::string> series;
  std::set<std::string> names;
  Family* current = nullptr;
  std::string pending_help_name;
  std::string pending_help;
  const std::vector<std::string> lines =
      absl::StrSplit(text.substr(0, text.size() - 1), '\n');
  for (const std::string& line : lines) {
    if (line.empty()) {
      p.error = "empty line";
      return p;
    }
    if (line.rfind("# HELP ", 0) == 0) {
      const std::string rest = line.substr(7);
      const size_t sp = rest.find(' ');
      pending_help_name = rest.substr(0, sp);
      pending_help = sp == std::string::npos ? "" : rest.substr(sp + 1);
      if (!IsMetricName(pending_help_name) || pending_help.empty()) {
        p.error = "bad HELP line: " + line;
        return p;
      }
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::vector<std::string> parts = absl::StrSplit(line.substr(7), ' ');
      if (parts.size() != 2 || parts[0] != pending_help_name) {
        p.error = "TYPE without a HELP just before it: " + line;
        return p;
      }
      static const std::set<std::string> kTypes = {
          "counter", "gauge", "histogram", "summary", "untyped"};
      if (kTypes.count(parts[1]) == 0) {
        p.error = "unknown type: " + line;
        return p;
      }
      if (!names.insert(parts[0]).second) {
        p.error = "family declared twice: " + parts[0];
        return p;
      }
      p.families.push_back({parts[0], parts[1], pending_help, {}});
      current = &p.families.back();
      pending_help_name.clear();
      continue;
    }
    if (line[0] == '#') {
      p.error = "unexpected comment: " + line;
      return p;
    }
    std::optional<Sample> s = ParseSampleLine(line, &p.error);
    if (!s) return p;
    if (current == nullptr || !BelongsTo(s->name, *current)) {
      p.error = "sample outside its family block: " + line;
      return p;
    }
    std::string key = s->name;
    for (const auto& [k, v] : s->labels) key += "|" + k + "=" + v;
    if (!series.insert(key).second) {
      p.error = "duplicate series: " + line;
      return p;
    }
    current->samples.push_back(std::move(*s));
  }
  for (const Family& f : p.families) {
    if (f.samples.empty()) {
      p.error = "family without samples: " + f.name;
      return p;
    }
    if (f.type == "histogram") {
      p.error = CheckHistogram(f);
      if (!p.error.empty()) return p;
    }
  }
  return p;
}

Parsed RenderAndParse(const Snapshot& now, const Snapshot* before) {
  Parsed p = ParseExposition(RenderMetrics(now, before));
  EXPECT_EQ(p.error, "");
  return p;
}

// The parser must refuse what it is meant to catch, or its approval of
// the renderer means nothing.
TEST(ExpositionParserTest, RejectsMalformedText) {
  const std::string head = "# HELP a_total x\n# TYPE a_total counter\n";
  EXPECT_EQ(ParseExposition(head + "a_total 1\n").error, "");
  for (const std::string& bad : {
           std::string("a_total 1\n"),             // no HELP/TYPE
           head + "a_total 1",                     // no final newline
           head + "a_total{x=\"1} 2\n",            // unterminated
           head + "a_total{x=\"a\\tb\"} 2\n",      // bad escape
           head + "a_total{x=\"1\",x=\"2\"} 2\n",  // repeated label
           head + "a_total{1x=\"1\"} 2\n",         // bad label name
           head + "a_total one\n",                 // bad value
           head + "a_total 1 1700000000\n",        // timestamp
           head + "a_total 1\na_total 2\n",        // duplicate series
           head + "b_total 1\n",                   // wrong family
           head + head + "a_total 1\n",            // declared twice
           head,                                   // no samples
           head + "\na_total 1\n",                 // empty line
           std::string("# HELP h x\n# TYPE h histogram\n"
                       "h_bucket{le=\"1\"} 5\nh_bucket{le=\"2\"} 4\n"
                       "h_bucket{le=\"+Inf\"} 5\nh_sum 1\nh_count 5\n"),
           std::string("# HELP h x\n# TYPE h histogram\n"
                       "h_bucket{le=\"1\"} 5\nh_sum 1\nh_count 5\n"),
       }) {
    EXPECT_NE(ParseExposition(bad).error, "") << bad;
  }
}

TEST(RenderMetricsTest, ParsesStrictlyAndFollowsNamingRules) {
  const Snapshot now = SampleSnapshot();
  const Snapshot before = EarlierSnapshot(now, 1000, 250);
  for (const Snapshot* b : {static_cast<const Snapshot*>(nullptr), &before}) {
    const Parsed p = RenderAndParse(now, b);
    ASSERT_GT(p.families.size(), 20u);
    for (const Family& f : p.families) {
      EXPECT_EQ(f.name.rfind("leasewire_", 0), 0u) << f.name;
      const bool total = f.name.size() > 6 &&
                         f.name.compare(f.name.size() - 6, 6, "_total") == 0;
      EXPECT_EQ(total, f.type == "counter") << f.name;
      for (const Sample& s : f.samples) {
        if (f.type == "counter") {
          EXPECT_GE(s.value, 0) << f.name;
        }
      }
    }
  }
}

TEST(RenderMetricsTest, MessagesByTypeAndWorker) {
  const Snapshot now = SampleSnapshot();
  const Parsed p = RenderAndParse(now, nullptr);
  for (const WorkerSnapshot& w : now.workers) {
    const std::string worker = std::to_string(w.index);
    const auto& e = w.counters.engine;
    EXPECT_EQ(p.Value("leasewire_dhcp_received_total",
                      {{"worker", worker}, {"type", "discover"}}),
              e.received[1]);
    EXPECT_EQ(p.Value("leasewire_dhcp_received_total",
                      {{"worker", worker}, {"type", "inform"}}),
              e.received[8]);
    EXPECT_EQ(p.Value("leasewire_dhcp_sent_total",
                      {{"worker", worker}, {"type", "offer"}}),
              e.sent[2]);
    EXPECT_EQ(p.Value("leasewire_dhcp_sent_total",
                      {{"worker", worker}, {"type", "ack"}}),
              e.sent[5]);
    EXPECT_EQ(p.Value("leasewire_dhcp_sent_total",
                      {{"worker", worker}, {"type", "nak"}}),
              e.sent[6]);
    // Unknown (0) and the leasequery family (9..18) are summed.
    uint64_t other = e.received[0];
    for (size_t t = 9; t < e.received.size(); ++t) other += e.received[t];
    EXPECT_EQ(p.Value("leasewire_dhcp_received_total",
                      {{"worker", worker}, {"type", "other"}}),
              other);
    const auto& c = w.counters;
    EXPECT_EQ(p.Value("leasewire_frames_received_total", {{"worker", worker}}),
              c.rx);
    EXPECT_EQ(p.Value("leasewire_frames_sent_total", {{"worker", worker}}),
              c.tx);
    EXPECT_EQ(p.Value("leasewire_arp_replies_total", {{"worker", worker}}),
              c.arp_replies);
    EXPECT_EQ(p.Value("leasewire_ping_replies_total", {{"worker", worker}}),
              c.icmp_replies);
    EXPECT_EQ(p.Value("leasewire_handoffs_sent_total", {{"worker", worker}}),
              c.handed_off);
    EXPECT_EQ(
        p.Value("leasewire_handoffs_received_total", {{"worker", worker}}),
        c.from_peers);
    EXPECT_EQ(
        p.Value("leasewire_store_submissions_total", {{"worker", worker}}),
        c.commits);
    EXPECT_EQ(p.Value("leasewire_replies_held_total", {{"worker", worker}}),
              c.held);
  }
  // 2 workers x (8 named types + other).
  EXPECT_EQ(p.Find("leasewire_dhcp_received_total")->samples.size(), 18u);
}

TEST(RenderMetricsTest, DropsByReasonWithTheLayersNames) {
  const Snapshot now = SampleSnapshot();
  const Parsed p = RenderAndParse(now, nullptr);
  const auto& c = now.workers[1].counters;
  for (int d = 0; d < dataplane::kDropCount; ++d) {
    const auto name = dataplane::DropName(static_cast<dataplane::Drop>(d));
    EXPECT_EQ(p.Value("leasewire_dataplane_drops_total",
                      {{"worker", "1"}, {"reason", std::string(name)}}),
              c.drops[d])
        << name;
  }
  for (int v = 1; v < wire::kVerdictCount; ++v) {
    const auto name = wire::VerdictName(static_cast<wire::Verdict>(v));
    EXPECT_EQ(p.Value("leasewire_malformed_packets_total",
                      {{"worker", "1"}, {"verdict", std::string(name)}}),
              c.verdicts[v])
        << name;
  }
  EXPECT_EQ(p.Value("leasewire_malformed_packets_total",
                    {{"worker", "1"}, {"verdict", "ok"}}),
            std::nullopt);
  for (int r = 1; r < engine::kReasonCount; ++r) {
    const auto name = engine::ReasonName(static_cast<engine::Reason>(r));
    EXPECT_EQ(p.Value("leasewire_requests_unanswered_total",
                      {{"worker", "1"}, {"reason", std::string(name)}}),
              c.engine.reasons[r])
        << name;
  }
  EXPECT_EQ(p.Value("leasewire_subnet_selection_failures_total",
                    {{"worker", "1"}, {"reason", "no_subnet"}}),
            c.no_subnet[static_cast<int>(engine::Reason::kNoSubnet)]);
  EXPECT_EQ(p.Value("leasewire_subnet_selection_failures_total",
                    {{"worker", "1"}, {"reason", "untrusted_relay_info"}}),
            c.no_subnet[static_cast<int>(engine::Reason::kUntrustedRelayInfo)]);
}

TEST(RenderMetricsTest, SubnetSelectionShowsUnexpectedReasons) {
  Snapshot now = SampleSnapshot();
  const Parsed quiet = RenderAndParse(now, nullptr);
  EXPECT_EQ(quiet.Value("leasewire_subnet_selection_failures_total",
                        {{"worker", "0"}, {"reason", "pool_exhausted"}}),
            std::nullopt);
  now.workers[0]
      .counters.no_subnet[static_cast<int>(engine::Reason::kPoolExhausted)] = 4;
  const Parsed p = RenderAndParse(now, nullptr);
  EXPECT_EQ(p.Value("leasewire_subnet_selection_failures_total",
                    {{"worker", "0"}, {"reason", "pool_exhausted"}}),
            4);
}

TEST(RenderMetricsTest, LeasesAndSubnets) {
  const Snapshot now = SampleSnapshot();
  const Parsed p = RenderAndParse(now, nullptr);
  EXPECT_EQ(p.Value("leasewire_leases", {{"worker", "0"}, {"state", "bound"}}),
            20);
  EXPECT_EQ(
      p.Value("leasewire_leases", {{"worker", "1"}, {"state", "offered"}}), 11);
  EXPECT_EQ(
      p.Value("leasewire_leases", {{"worker", "1"}, {"state", "declined"}}),
      41);
  EXPECT_EQ(
      p.Value("leasewire_leases", {{"worker", "0"}, {"state", "released"}}),
      30);
  EXPECT_EQ(
      p.Value("leasewire_leases", {{"worker", "0"}, {"state", "expired"}}), 50);
  EXPECT_EQ(p.Value("leasewire_leases_expired_total", {{"worker", "0"}}),
            now.workers[0].counters.engine.expired);
  EXPECT_EQ(p.Value("leasewire_offers_timed_out_total", {{"worker", "1"}}),
            now.workers[1].counters.engine.offers_timed_out);

  const Labels s1 = {{"subnet_id", "1"}, {"prefix", "192.0.2.0/24"}};
  const Labels s2 = {{"subnet_id", "2"}, {"prefix", "198.51.100.0/25"}};
  const Labels s3 = {{"subnet_id", "3"}, {"prefix", "203.0.113.0/28"}};
  EXPECT_EQ(p.Value("leasewire_subnet_addresses", s1), 200);
  EXPECT_EQ(p.Value("leasewire_subnet_free_addresses", s1), 150);
  EXPECT_EQ(p.Value("leasewire_subnet_utilization_ratio", s1), 0.25);
  EXPECT_EQ(p.Value("leasewire_subnet_utilization_ratio", s2), 1.0);
  EXPECT_EQ(p.Value("leasewire_subnet_utilization_ratio", s3), 0.0);
}

TEST(RenderMetricsTest, CommitLatencyHistogramIsCumulativeInSeconds) {
  const Snapshot now = SampleSnapshot();
  const Parsed p = RenderAndParse(now, nullptr);
  const Family* h = p.Find("leasewire_store_commit_latency_seconds");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->type, "histogram");
  // 13 bounds + +Inf + _sum + _count.
  ASSERT_EQ(h->samples.size(), store::kCommitLatencyBoundsUs.size() + 3);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < store::kCommitLatencyBoundsUs.size(); ++i) {
    cumulative += now.store.latency_buckets[i];
    const Sample& s = h->samples[i];
    EXPECT_EQ(std::strtod(s.labels.at("le").c_str(), nullptr),
              static_cast<double>(store::kCommitLatencyBoundsUs[i]) / 1e6);
    EXPECT_EQ(s.value, cumulative) << s.labels.at("le");
  }
  // The bounds as an operator writes them in PromQL, not 1e-04.
  EXPECT_EQ(h->samples[0].labels.at("le"), "0.0001");
  EXPECT_EQ(h->samples[1].labels.at("le"), "0.00025");
  EXPECT_EQ(h->samples[12].labels.at("le"), "1");
  EXPECT_EQ(p.Value("leasewire_store_commit_latency_seconds_bucket",
                    {{"le", "+Inf"}}),
            3607);
  EXPECT_EQ(p.Value("leasewire_store_commit_latency_seconds_count", {}), 3607);
  EXPECT_DOUBLE_EQ(*p.Value("leasewire_store_commit_latency_seconds_sum", {}),
                   2.345678);

  EXPECT_EQ(p.Value("leasewire_store_commits_total", {}), 9000);
  EXPECT_EQ(p.Value("leasewire_store_commit_failures_total", {}), 3);
  EXPECT_EQ(p.Value("leasewire_store_writes_total", {}), 4000);
  EXPECT_EQ(p.Value("leasewire_store_write_failures_total", {}), 1);
  EXPECT_EQ(p.Value("leasewire_store_records_written_total", {}), 12000);
  EXPECT_EQ(p.Value("leasewire_store_records_reclaimed_total", {}), 77);
}

TEST(RenderMetricsTest, EmptyHistogramAndNoWorkersStillParse) {
  Snapshot empty;
  const Parsed p = RenderAndParse(empty, nullptr);
  EXPECT_EQ(p.Value("leasewire_store_commit_latency_seconds_count", {}), 0);
  // Families without any series (no worker, no subnet) are left out rather
  // than declared empty.
  EXPECT_EQ(p.Find("leasewire_worker_busy_ratio"), nullptr);
  EXPECT_EQ(p.Value("leasewire_snapshot_timestamp_seconds", {}), 0);
}

TEST(RenderMetricsTest, LabelValuesAreEscaped) {
  Snapshot now = SampleSnapshot();
  const std::string nasty = "a\"b\\c\nd}e,f=\"g";
  now.subnets[0].prefix = nasty;
  const std::string text = RenderMetrics(now, nullptr);
  EXPECT_NE(text.find(R"(prefix="a\"b\\c\nd}e,f=\"g")"), std::string::npos);
  const Parsed p = ParseExposition(text);
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.Value("leasewire_subnet_addresses",
                    {{"subnet_id", "1"}, {"prefix", nasty}}),
            200);
}

// The ratio is of time (TSC ticks), not of cycles: a saturated worker runs
// few long cycles.
TEST(RenderMetricsTest, BusyRatioFromTimeDeltas) {
  const Snapshot now = SampleSnapshot();
  auto ratio = [](const Parsed& p, const char* worker) {
    return p.Value("leasewire_worker_busy_ratio", {{"worker", worker}});
  };
  // No previous snapshot: 0, though the lifetime ratio is 0.1.
  const Parsed first = RenderAndParse(now, nullptr);
  EXPECT_EQ(ratio(first, "0"), 0.0);
  EXPECT_EQ(ratio(first, "1"), 0.0);

  const Snapshot before = EarlierSnapshot(now, 1000, 250);
  const Parsed p = RenderAndParse(now, &before);
  EXPECT_EQ(ratio(p, "0"), 0.25);
  EXPECT_EQ(ratio(p, "1"), 0.25);
  EXPECT_EQ(p.Value("leasewire_worker_busy_cycles_total", {{"worker", "1"}}),
            now.workers[1].counters.busy_cycles);
  EXPECT_EQ(p.Value("leasewire_worker_poll_cycles_total", {{"worker", "1"}}),
            now.workers[1].counters.cycles);
  EXPECT_EQ(p.Value("leasewire_worker_info", {{"worker", "1"}, {"lcore", "2"}}),
            1);

  // An idle second: no cycle found work.
  const Parsed idle = RenderAndParse(now, &now);
  EXPECT_EQ(ratio(idle, "0"), 0.0);

  // Counters reset in between (stats reset): not a ratio, 0.
  Snapshot reset = now;
  reset.workers[0].counters.tsc += 500;
  reset.workers[0].counters.busy_tsc += 100;
  const Parsed after_reset = RenderAndParse(now, &reset);
  EXPECT_EQ(ratio(after_reset, "0"), 0.0);
  EXPECT_EQ(ratio(after_reset, "1"), 0.0);

  // Few cycles found work but they took most of the time: the ratio says
  // busy, where a ratio of cycles would read 1 %.
  Snapshot long_cycles = now;
  long_cycles.workers[0].counters.cycles -= 100;
  long_cycles.workers[0].counters.busy_cycles -= 1;
  long_cycles.workers[0].counters.tsc -= 1000;
  long_cycles.workers[0].counters.busy_tsc -= 900;
  EXPECT_EQ(ratio(RenderAndParse(now, &long_cycles), "0"), 0.9);

  // A different set of workers.
  Snapshot fewer = before;
  fewer.workers.pop_back();
  const Parsed other = RenderAndParse(now, &fewer);
  EXPECT_EQ(ratio(other, "0"), 0.0);
}

TEST(RenderMetricsTest, SnapshotTimestamp) {
  const Parsed p = RenderAndParse(SampleSnapshot(), nullptr);
  EXPECT_EQ(p.Value("leasewire_snapshot_timestamp_seconds", {}), 1700000000.25);
}

// ---------------------------------------------------------------------------
// MetricsServer over HTTP on loopback.

TEST(MetricsServerTest, ServesThePublishedText) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start("127.0.0.1:0");
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  ASSERT_GT(port, 0);
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(5, 0);

  httplib::Result before = client.Get("/metrics");
  ASSERT_TRUE(before) << httplib::to_string(before.error());
  EXPECT_EQ(before->status, 503);

  const std::string text = RenderMetrics(SampleSnapshot(), nullptr);
  (*server)->Publish(text);
  httplib::Result res = client.Get("/metrics");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, text);
  EXPECT_EQ(res->get_header_value("Content-Type"),
            "text/plain; version=0.0.4; charset=utf-8");

  (*server)->Publish("# HELP x_total y\n# TYPE x_total counter\nx_total 1\n");
  res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "# HELP x_total y\n# TYPE x_total counter\nx_total 1\n");

  for (const char* path : {"/", "/metrics/", "/favicon.ico", "/metricsx"}) {
    httplib::Result other = client.Get(path);
    ASSERT_TRUE(other) << path;
    EXPECT_EQ(other->status, 404) << path;
  }
  httplib::Result post = client.Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_NE(post->status, 200);
}

TEST(MetricsServerTest, PortInUseFailsClearly) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> first =
      MetricsServer::Start("127.0.0.1:0");
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string address = "127.0.0.1:" + std::to_string((*first)->port());
  absl::StatusOr<std::unique_ptr<MetricsServer>> second =
      MetricsServer::Start(address);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(address), std::string::npos)
      << second.status();
}

TEST(MetricsServerTest, RejectsMalformedAddresses) {
  for (const char* bad :
       {"", "9167", ":9167", "127.0.0.1", "127.0.0.1:", "127.0.0.1:x",
        "127.0.0.1:65536", "127.0.0.1:-1", "[::1:9167", "[]:9167"}) {
    absl::StatusOr<std::unique_ptr<MetricsServer>> s =
        MetricsServer::Start(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(MetricsServerTest, Ipv6Loopback) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start("[::1]:0");
  if (!server.ok()) {
    // Only a host without IPv6 on lo may refuse; anything else is a bug.
    const int fd = socket(AF_INET6, SOCK_STREAM, 0);
    ASSERT_LT(fd, 0) << server.status();
    return;
  }
  httplib::Client client("::1", (*server)->port());
  (*server)->Publish("# HELP x_total y\n# TYPE x_total counter\nx_total 1\n");
  httplib::Result res = client.Get("/metrics");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
}

// Publish() from other threads while scrapes run: the served text is
// always one whole published document (run under ASan/TSan to catch
// races).
TEST(MetricsServerTest, PublishWhileScraping) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start("127.0.0.1:0");
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string a = RenderMetrics(SampleSnapshot(), nullptr);
  const std::string b = "# HELP x_total y\n# TYPE x_total counter\nx_total 1\n";
  (*server)->Publish(a);
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    for (int i = 0; i < 2000 && !stop.load(); ++i) {
      (*server)->Publish(i % 2 == 0 ? b : a);
    }
  });
  httplib::Client client("127.0.0.1", (*server)->port());
  for (int i = 0; i < 50; ++i) {
    httplib::Result res = client.Get("/metrics");
    ASSERT_TRUE(res);
    ASSERT_TRUE(res->body == a || res->body == b);
  }
  stop.store(true);
  publisher.join();
}

}  // namespace
}  // namespace leasewire::control
