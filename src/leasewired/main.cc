// leasewired: the leasewire DHCPv4 server.
//
//   leasewired --config FILE [--device NAME=SPEC]... [--workers N]
//              [--lease-dir DIR] [--durability sync|async]
//              [--eal-args "ARGS"] [--control-socket PATH]
//              [--log-level LEVEL]
//   leasewired --check-config FILE
//   leasewired --verify-lease-dir DIR
//   leasewired --version | --help
//
// Serving: loads the config, initialises DPDK, opens the lease database,
// merges the reservations added at run time (kept in the database) into
// the config, rebuilds the lease tables, starts the workers, opens the
// control socket and the metrics endpoint and logs "serving ..." on
// stderr. SIGTERM, SIGINT or the control command "shutdown": stop
// receiving, wait for the last commits, close the database, exit 0.
//
// Under systemd (Type=notify, deploy/systemd/leasewired.service) it sends
// READY=1 when it serves, a STATUS= line after each config reload,
// STOPPING=1 on the way out and WATCHDOG=1 pings if WatchdogSec= is set.
//
// Exit status: 0 clean stop (or valid config), 1 command-line error,
// 2 bad configuration, 3 DPDK or port failure, 4 lease database failure,
// 5 control socket or metrics endpoint failure.

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "leasewire/config/config.h"
#include "leasewire/control/control_server.h"
#include "leasewire/control/runtime_config.h"
#include "leasewire/dataplane/dataplane.h"
#include "leasewire/dataplane/eal.h"
#include "leasewire/store/store.h"
#include "leasewired/service_notifier.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace {

namespace config = leasewire::config;
namespace control = leasewire::control;
namespace dataplane = leasewire::dataplane;
namespace service = leasewire::service;
namespace store = leasewire::store;

constexpr int kExitBadConfig = 2;
constexpr int kExitDpdk = 3;
constexpr int kExitStore = 4;
constexpr int kExitControl = 5;

std::atomic<int> g_signal{0};

void OnSignal(int signal) { g_signal.store(signal); }

// Loads `path` and prints "PATH: OK (...)" or "PATH: <error>".
int CheckConfig(const std::string& path) {
  const absl::StatusOr<std::shared_ptr<const config::Config>> config =
      config::LoadConfigFile(path);
  if (!config.ok()) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(),
                 std::string(config.status().message()).c_str());
    return kExitBadConfig;
  }
  size_t pools = 0;
  size_t reservations = 0;
  for (const config::Subnet& s : (*config)->subnets) {
    pools += s.pools.size();
    reservations += s.reservations.size();
  }
  std::printf("%s: OK (%zu subnets, %zu pools, %zu reservations)\n",
              path.c_str(), (*config)->subnets.size(), pools, reservations);
  return 0;
}

// Opens the lease database in `dir` read-only (a backup before a restore,
// or a server's own directory) and prints what it holds.
int VerifyLeaseDir(const std::string& dir) {
  const absl::StatusOr<store::DirectoryReport> r = store::Store::Inspect(dir);
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %s\n", dir.c_str(),
                 std::string(r.status().message()).c_str());
    return kExitStore;
  }
  if (r->schema_version > store::kSchemaVersion) {
    std::fprintf(stderr,
                 "%s: schema version %u is newer than this leasewired's (%u): "
                 "it refuses to serve from it\n",
                 dir.c_str(), r->schema_version, store::kSchemaVersion);
    return kExitStore;
  }
  std::printf(
      "%s: OK (schema %u, sequence %llu, %llu lease records, %llu runtime "
      "reservations, %llu bytes)\n",
      dir.c_str(), r->schema_version,
      static_cast<unsigned long long>(r->last_sequence),
      static_cast<unsigned long long>(r->lease_records),
      static_cast<unsigned long long>(r->reservations),
      static_cast<unsigned long long>(r->disk_bytes));
  if (r->damaged_records > 0) {
    std::printf(
        "WARNING: %llu damaged records; leasewired skips them at start-up\n",
        static_cast<unsigned long long>(r->damaged_records));
  }
  return 0;
}

struct ServeFlags {
  std::string config_path;
  std::vector<std::string> devices;  // NAME=SPEC
  uint32_t workers = 0;              // 0: from the config
  std::string lease_dir;
  std::string durability;
  std::string eal_args;
  bool eal_args_given = false;
  std::string control_socket;  // empty: from the config
};

// The file's text, so that reloads and runtime reservations merge into
// exactly what was validated.
absl::StatusOr<std::string> ReadConfigText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError("cannot read the file: " +
                               std::string(std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Reservations added at run time (leasewirectl), from the lease database.
std::vector<control::RuntimeReservation> LoadRuntimeReservations(
    const store::Store& db) {
  std::vector<control::RuntimeReservation> out;
  const absl::Status s = db.ForEachReservation(
      [&out](std::string_view key, std::string_view json) {
        absl::StatusOr<control::RuntimeReservation> r =
            control::ParseStoredReservation(key, json);
        if (!r.ok()) {
          spdlog::warn("{}; ignored", std::string(r.status().message()));
          return;
        }
        out.push_back(*std::move(r));
      });
  if (!s.ok()) {
    spdlog::warn("runtime reservations: {}", std::string(s.message()));
  }
  return out;
}

// The config's data plane settings with the command line applied.
absl::StatusOr<dataplane::EalSettings> Settings(const config::Config& c,
                                                const ServeFlags& flags) {
  dataplane::EalSettings s;
  s.workers = flags.workers != 0 ? flags.workers : c.dataplane.workers;
  s.eal_args = c.dataplane.eal_args;
  if (flags.eal_args_given) {
    s.eal_args = absl::StrSplit(flags.eal_args, absl::ByAnyChar(" \t"),
                                absl::SkipEmpty());
  }
  for (const config::Interface& i : c.interfaces) s.devices.push_back(i.device);
  for (const std::string& d : flags.devices) {
    const size_t eq = d.find('=');
    const config::Interface* interface =
        eq == std::string::npos ? nullptr : c.FindInterface(d.substr(0, eq));
    if (interface == nullptr) {
      return absl::InvalidArgumentError(
          "--device " + d +
          ": expected NAME=SPEC with NAME one of the "
          "config's interfaces");
    }
    s.devices[static_cast<size_t>(interface - c.interfaces.data())] =
        d.substr(eq + 1);
  }
  return s;
}

void LogCounters(const dataplane::Dataplane& plane) {
  const dataplane::WorkerCounters t = plane.TotalCounters();
  spdlog::info(
      "totals: rx {} tx {} handed off {} arp {} ping {} commits {} held {}",
      t.rx, t.tx, t.handed_off, t.arp_replies, t.icmp_replies, t.commits,
      t.held);
  for (int i = 0; i < dataplane::kDropCount; ++i) {
    if (t.drops[i] != 0) {
      spdlog::info("dropped {}: {}",
                   dataplane::DropName(static_cast<dataplane::Drop>(i)),
                   t.drops[i]);
    }
  }
}

int Serve(const ServeFlags& flags) {
  service::ServiceNotifier notifier;
  absl::StatusOr<std::string> config_text = ReadConfigText(flags.config_path);
  if (!config_text.ok()) {
    spdlog::error("{}: {}", flags.config_path,
                  std::string(config_text.status().message()));
    return kExitBadConfig;
  }
  const absl::StatusOr<std::shared_ptr<const config::Config>> loaded =
      config::LoadConfig(*config_text);
  if (!loaded.ok()) {
    spdlog::error("{}: {}", flags.config_path,
                  std::string(loaded.status().message()));
    return kExitBadConfig;
  }
  std::shared_ptr<const config::Config> config = *loaded;
  absl::StatusOr<dataplane::EalSettings> settings = Settings(*config, flags);
  if (!settings.ok()) {
    spdlog::error("{}", std::string(settings.status().message()));
    return kExitBadConfig;
  }
  absl::StatusOr<dataplane::EalPlan> plan = dataplane::PlanEal(
      *config, *settings, dataplane::AvailableCpus(), getpid());
  if (!plan.ok()) {
    spdlog::error("{}", std::string(plan.status().message()));
    return kExitBadConfig;
  }
  spdlog::info("EAL arguments: {}", absl::StrJoin(plan->args, " "));
  if (absl::Status s = dataplane::InitEal(*plan); !s.ok()) {
    spdlog::error("{}", std::string(s.message()));
    return kExitDpdk;
  }
  int status = 0;
  {
    // EAL pinned this thread to the main lcore's CPU: the store's threads
    // (committer, RocksDB background work) inherit it and stay off the
    // workers' CPUs.
    std::signal(SIGTERM, OnSignal);
    std::signal(SIGINT, OnSignal);
    absl::StatusOr<std::vector<dataplane::PortBinding>> ports =
        dataplane::FindPorts(*config, *plan);
    if (!ports.ok()) {
      spdlog::error("{}", std::string(ports.status().message()));
      dataplane::CleanupEal(*plan);
      return kExitDpdk;
    }
    store::StoreOptions so;
    so.directory = flags.lease_dir.empty() ? config->lease_database.directory
                                           : flags.lease_dir;
    const bool sync = flags.durability.empty() ? config->lease_database.sync
                                               : flags.durability == "sync";
    so.durability = sync ? store::Durability::kSync : store::Durability::kAsync;
    so.time_base.wall_at_zero = static_cast<int64_t>(std::time(nullptr));
    absl::StatusOr<std::unique_ptr<store::Store>> db = store::Store::Open(so);
    if (!db.ok()) {
      spdlog::error("lease database {}: {}", so.directory,
                    std::string(db.status().message()));
      dataplane::CleanupEal(*plan);
      return kExitStore;
    }
    // The file plus the reservations added at run time. One the file now
    // contradicts is left out (and kept): the file is the operator's word.
    std::vector<control::RuntimeReservation> runtime =
        LoadRuntimeReservations(**db);
    absl::StatusOr<control::MergedConfig> merged =
        control::MergeConfig(*config_text, runtime, /*drop_refused=*/true);
    if (!merged.ok()) {
      spdlog::error("{}: {}", flags.config_path,
                    std::string(merged.status().message()));
      db->reset();
      dataplane::CleanupEal(*plan);
      return kExitBadConfig;
    }
    for (const std::string& m : merged->left_out) spdlog::warn("{}", m);
    if (!runtime.empty()) {
      spdlog::info("{} reservations added at run time applied",
                   merged->applied);
    }
    // The ports were bound to the file's interfaces; point them at the
    // same interfaces of the config that is served.
    for (dataplane::PortBinding& p : *ports) {
      p.interface = merged->config->FindInterface(p.interface->name);
    }
    config = merged->config;
    dataplane::DataplaneOptions options;
    options.config = config;
    options.ports = *ports;
    options.store = db->get();
    options.mbufs_per_worker = config->dataplane.mbufs_per_worker;
    absl::StatusOr<std::unique_ptr<dataplane::Dataplane>> plane =
        dataplane::Dataplane::Create(std::move(options));
    if (!plane.ok()) {
      spdlog::error("{}", std::string(plane.status().message()));
      db->reset();
      dataplane::CleanupEal(*plan);
      return kExitDpdk;
    }
    notifier.Status("recovering leases from " + so.directory);
    const auto recover_start = std::chrono::steady_clock::now();
    absl::StatusOr<dataplane::Dataplane::RecoverResult> recovered =
        (*plane)->Recover();
    if (!recovered.ok()) {
      spdlog::error("lease database {}: recovery failed: {}", so.directory,
                    std::string(recovered.status().message()));
      plane->reset();
      db->reset();
      dataplane::CleanupEal(*plan);
      return kExitStore;
    }
    const double recover_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                      recover_start)
            .count();
    spdlog::info(
        "recovered {} leases from {} in {:.3f} s ({} records, {} damaged, "
        "{} for subnets no longer served)",
        recovered->restored, so.directory, recover_seconds,
        recovered->store.records, recovered->store.damaged, recovered->orphans);
    if (absl::Status s = (*plane)->Start(); !s.ok()) {
      spdlog::error("{}", std::string(s.message()));
      status = kExitDpdk;
    } else {
      control::ControlServerOptions co;
      co.socket_path = flags.control_socket.empty() ? config->control.socket
                                                    : flags.control_socket;
      co.socket_mode = config->control.socket_mode;
      co.tcp = config->control.tcp;
      co.metrics = config->control.metrics;
      co.config_path = flags.config_path;
      co.config_text = *config_text;
      co.runtime_reservations = std::move(runtime);
      co.left_out = merged->left_out;
      co.version = LEASEWIRE_VERSION;
      absl::StatusOr<std::unique_ptr<control::ControlServer>> ctl =
          control::ControlServer::Start(std::move(co), plane->get());
      if (!ctl.ok()) {
        spdlog::error("{}", std::string(ctl.status().message()));
        status = kExitControl;
        (*plane)->Stop();
      } else {
        if (!config->control.tcp.empty() &&
            config->control.tcp.rfind("127.", 0) != 0) {
          spdlog::warn(
              "control TCP port {} is not on loopback: whoever reaches it "
              "controls the server",
              config->control.tcp);
        }
        spdlog::info(
            "control socket {}{}{}",
            flags.control_socket.empty() ? config->control.socket
                                         : flags.control_socket,
            config->control.metrics.empty()
                ? ", no metrics endpoint"
                : ", metrics on http://" + config->control.metrics + "/metrics",
            config->control.tcp.empty()
                ? std::string()
                : ", control TCP port " + config->control.tcp);
        const std::string serving =
            absl::StrCat("serving ", config->subnets.size(), " subnets on ",
                         ports->size(), " port(s) with ", (*plane)->workers(),
                         " worker(s), durability ", sync ? "sync" : "async");
        spdlog::info("{}", serving);
        notifier.Ready(serving);
        if (notifier.watchdog_timeout() != absl::ZeroDuration()) {
          spdlog::info("systemd watchdog: {} s, pinged from the main loop",
                       absl::ToDoubleSeconds(notifier.watchdog_timeout()));
        }
        int reloads = 0;
        while (g_signal.load() == 0 && !(*ctl)->shutdown_requested()) {
          (*ctl)->Poll(notifier.PollTimeout(absl::Milliseconds(100)));
          notifier.WatchdogTick(absl::Now());
          if ((*ctl)->reloads() != reloads) {
            reloads = (*ctl)->reloads();
            notifier.Status(absl::StrCat(serving, "; config reloaded ", reloads,
                                         " time(s), last at ",
                                         absl::FormatTime(absl::Now())));
          }
        }
        std::string stopping;
        if (g_signal.load() != 0) {
          stopping = absl::StrCat("signal ", g_signal.load(), ": stopping");
        } else {
          stopping = "shutdown requested on the control socket: stopping";
        }
        spdlog::info("{}", stopping);
        notifier.Stopping(stopping);
        ctl->reset();  // closes the socket: nobody may ask a stopped plane
        (*plane)->Stop();
        LogCounters(**plane);
      }
    }
    plane->reset();
    const store::StoreStats stats = (*db)->stats();
    db->reset();  // commits what was submitted, closes the database
    spdlog::info("lease database closed: {} commits, {} failed",
                 stats.committed, stats.failed);
  }
  dataplane::CleanupEal(*plan);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("leasewired"));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");

  CLI::App app{"leasewired: DHCPv4 server for ISPs", "leasewired"};
  app.set_version_flag("--version", "leasewired " LEASEWIRE_VERSION);
  std::string check_path;
  app.add_option("--check-config", check_path,
                 "Load and validate the configuration FILE, print a summary "
                 "and exit (0: valid, 2: invalid)")
      ->type_name("FILE");
  std::string verify_dir;
  app.add_option("--verify-lease-dir", verify_dir,
                 "Open the lease database DIR read-only (a backup, say), "
                 "print what it holds and exit (0: usable, 4: not)")
      ->type_name("DIR");
  ServeFlags flags;
  app.add_option("-c,--config", flags.config_path,
                 "Serve with the configuration FILE")
      ->type_name("FILE");
  app.add_option("--device", flags.devices,
                 "DPDK device of an interface, overriding the config: "
                 "NAME=SPEC, e.g. port0=net_af_packet0,iface=eth1 "
                 "(repeatable)")
      ->type_name("NAME=SPEC");
  app.add_option("--workers", flags.workers,
                 "Worker lcores (overrides dataplane.workers)")
      ->check(CLI::Range(1, 64));
  app.add_option("--lease-dir", flags.lease_dir,
                 "Lease database directory (overrides "
                 "lease-database.directory)")
      ->type_name("DIR");
  app.add_option("--durability", flags.durability,
                 "sync: fsync before ACK; async: ACK once in the WAL")
      ->check(CLI::IsMember({"sync", "async"}));
  app.add_option("--eal-args", flags.eal_args,
                 "DPDK EAL arguments replacing dataplane.eal-args "
                 "(lcores are set from --workers)")
      ->type_name("\"ARGS\"");
  app.add_option("--control-socket", flags.control_socket,
                 "Control socket for leasewirectl (overrides "
                 "control.socket)")
      ->type_name("PATH");
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);
  flags.eal_args_given = app.count("--eal-args") > 0;
  if (!flags.control_socket.empty()) {
    // The server's working directory is not leasewirectl's.
    flags.control_socket = std::filesystem::absolute(flags.control_socket);
  }
  spdlog::set_level(spdlog::level::from_str(log_level));

  if (!check_path.empty()) return CheckConfig(check_path);
  if (!verify_dir.empty()) return VerifyLeaseDir(verify_dir);
  if (flags.config_path.empty()) {
    std::fprintf(stderr,
                 "leasewired: nothing to do: give --config FILE to serve or "
                 "--check-config FILE (see --help)\n");
    return kExitBadConfig;
  }
  return Serve(flags);
}
