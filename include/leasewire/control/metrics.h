// File: leasewire/control/metrics.h
//
// Prometheus monitoring of a running server. RenderMetrics() turns control
// snapshots into the text exposition format (version 0.0.4); MetricsServer
// serves the last rendered text over HTTP at GET /metrics. The metric names
// and their meaning are documented in docs/operations.md ("Metrics").
//
// The HTTP server runs on its own thread and only ever hands out the text
// that the control thread last published: a scrape never reaches a worker,
// and a slow or hostile scraper cannot delay the data plane.
//
// Thread safety: RenderMetrics() is a pure function. MetricsServer::Publish()
// may be called from any thread; Start() and the destructor from the owning
// (control) thread.

#ifndef LEASEWIRE_CONTROL_METRICS_H_
#define LEASEWIRE_CONTROL_METRICS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "leasewire/control/snapshot.h"

namespace leasewire::control {

// The Content-Type of the text exposition format that RenderMetrics emits.
inline constexpr char kMetricsContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

// Renders `now` as Prometheus text. Rates are left to Prometheus (every
// count is a counter), except the worker busy ratio, a gauge computed from
// the busy/total cycle deltas between `before` and `now`; it is 0 when
// `before` is null or has a different set of workers.
std::string RenderMetrics(const Snapshot& now, const Snapshot* before);

class MetricsServer {
 public:
  // Binds `address` ("host:port", "[v6]:port"; e.g. "127.0.0.1:9167") and
  // starts serving. Fails with InvalidArgument for a malformed address and
  // Unavailable when the address cannot be bound (port already in use).
  // Until the first Publish(), /metrics answers 503.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& address);

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  // Stops the HTTP thread and waits for it.
  ~MetricsServer();

  // Replaces the text served at /metrics.
  void Publish(std::string text);

  // The bound port (useful when Start() was given port 0).
  int port() const;

 private:
  struct Impl;
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace leasewire::control

#endif  // LEASEWIRE_CONTROL_METRICS_H_
