// File: leasewire/control/control_server.h
//
// leasewired's control plane: the control socket (protocol.h) with its
// commands, the once-a-second snapshot of the workers and the Prometheus
// endpoint (metrics.h). Everything runs on the thread that calls Poll(),
// leasewired's main thread, which is also the only thread allowed to call
// the Dataplane: every question about leases or counters goes to the
// owning worker through Dataplane::RunOnWorker().
//
// Example (leasewired's main loop):
//   auto control = ControlServer::Start(options, plane.get());
//   while (!signalled && !(*control)->shutdown_requested()) {
//     (*control)->Poll(absl::Milliseconds(100));
//   }
//
// Thread safety: thread-compatible; one thread.

#ifndef LEASEWIRE_CONTROL_CONTROL_SERVER_H_
#define LEASEWIRE_CONTROL_CONTROL_SERVER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "leasewire/control/protocol.h"
#include "leasewire/control/runtime_config.h"
#include "leasewire/control/snapshot.h"
#include "leasewire/dataplane/dataplane.h"

namespace leasewire::control {

class MetricsServer;
class SocketServer;

struct ControlServerOptions {
  std::string socket_path;
  uint32_t socket_mode = 0600;
  std::string tcp;          // "" : no TCP control port
  std::string metrics;      // "" : no Prometheus endpoint
  std::string config_path;  // what config-reload reads again
  std::string config_text;  // the file's text as loaded at start-up
  // Reservations added at run time, as loaded at start-up, and those left
  // out of the served config then (messages).
  std::vector<RuntimeReservation> runtime_reservations;
  std::vector<std::string> left_out;
  std::string version;
  absl::Time started = absl::Now();
  absl::Duration snapshot_interval = absl::Seconds(1);
};

class ControlServer {
 public:
  // Opens the socket(s) and the metrics endpoint. `plane` is started and
  // outlives the server.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(
      ControlServerOptions options, dataplane::Dataplane* plane);
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;
  ~ControlServer();

  // Serves control connections for up to `timeout`, and takes a snapshot
  // for stats rates and metrics when one is due.
  void Poll(absl::Duration timeout);

  // A client sent "shutdown".
  bool shutdown_requested() const { return shutdown_requested_; }

  // Successful config reloads since Start() (leasewired tells systemd).
  int reloads() const { return reloads_; }

  // Answers one request (the text of one connection); what the socket
  // does per connection.
  std::string Handle(std::string_view request, std::string_view peer);

  int tcp_port() const;

 private:
  struct Result {
    Json data;
    std::optional<Failure> failure;
  };
  ControlServer(ControlServerOptions options, dataplane::Dataplane* plane);
  Result Dispatch(const Request& request);

  Result Status(const Arguments& args);
  Result Stats(const Arguments& args);
  Result StatsReset(const Arguments& args);
  Result LeaseGet(const Arguments& args);
  Result LeaseList(const Arguments& args);
  Result LeaseDelete(const Arguments& args);
  Result Subnets(const Arguments& args);
  Result ReservationList(const Arguments& args);
  Result ReservationAdd(const Arguments& args);
  Result ReservationDelete(const Arguments& args);
  Result ConfigTest(const Arguments& args);
  Result ConfigReload(const Arguments& args);
  Result Backup(const Arguments& args);
  Result Shutdown(const Arguments& args);
  Result ListCommands(const Arguments& args);

  // A snapshot with the counters carried over config reloads applied
  // (engines rebuilt by a reload start their counters from zero).
  absl::StatusOr<Snapshot> TakeSnapshot();
  void PeriodicSnapshot();
  // Switches the workers to `merged` and carries counters over.
  absl::Status Apply(const MergedConfig& merged);

  ControlServerOptions options_;
  dataplane::Dataplane* plane_;
  std::unique_ptr<SocketServer> socket_;
  std::unique_ptr<MetricsServer> metrics_;
  bool shutdown_requested_ = false;
  int reloads_ = 0;

  std::vector<RuntimeReservation> runtime_;
  std::vector<std::string> left_out_;
  std::string config_sha256_;
  absl::Time config_loaded_;

  // Added to each worker's raw counters (see TakeSnapshot()).
  std::vector<dataplane::WorkerCounters> carry_;
  // stats-reset: what stats subtracts; unset: since start-up.
  std::optional<Snapshot> baseline_;
  // The last two periodic snapshots, for rates and the busy ratio.
  std::optional<Snapshot> previous_;
  std::optional<Snapshot> latest_;
  absl::Time next_snapshot_;
};

}  // namespace leasewire::control

#endif  // LEASEWIRE_CONTROL_CONTROL_SERVER_H_
