// lw-loadgen: a DHCP client and relay simulator on DPDK, for leases per
// second end to end (issue #7).
//
//   lw-loadgen --target ring [--workers N] [--durability async|sync]
//              [--config FILE] [--compare-bare] [LOAD OPTIONS]
//   lw-loadgen --target bare [LOAD OPTIONS]
//   lw-loadgen --device SPEC --server-ip IP --server-mac MAC [LOAD OPTIONS]
//   lw-loadgen --print-config [--clients N --relays M --server-ip IP]
//
// ring: one process holds the EAL (--no-huge), net_ring port pairs, the
// real leasewire Dataplane with a RocksDB store in a temporary folder on
// worker lcores, and the generator on an lcore of its own. bare: the
// same rings, but the server lcore runs a bare RX->TX loop that answers
// every frame with a canned reply of the right size (bare_loop.h): what
// the packet path allows. --device: any DPDK device (net_af_packet0,
// iface=X; net_af_xdp0,iface=X) towards an external server; the relay
// addresses answer ARP so that kernel-socket servers (Kea) can reply.
//
// LOAD OPTIONS: --clients, --relays, --window (closed loop) or --rate
// (open loop), --renewals, --release, --timeout-ms, --retries,
// --duration, --json FILE. A progress line each second on stderr; the
// summary on stdout.
//
// Exit status: 0 the run finished (with --strict: and every client
// completed with no timeout, NAK or duplicate), 1 command-line error,
// 2 bad configuration, 3 DPDK failure, 4 lease database failure,
// 6 --strict and the run was not clean.

#include <pthread.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bare_loop.h"
#include "generator.h"
#include "leasewire/config/config.h"
#include "leasewire/dataplane/dataplane.h"
#include "leasewire/dataplane/eal.h"
#include "leasewire/store/store.h"
#include "report.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace {

namespace config = leasewire::config;
namespace dataplane = leasewire::dataplane;
namespace loadgen = leasewire::loadgen;
namespace store = leasewire::store;
using leasewire::wire::Ipv4Address;
using leasewire::wire::MacAddress;

constexpr int kExitUsage = 1;
constexpr int kExitBadConfig = 2;
constexpr int kExitDpdk = 3;
constexpr int kExitStore = 4;
constexpr int kExitNotClean = 6;

std::atomic<int> g_signal{0};
void OnSignal(int signal) { g_signal.store(signal); }

struct Flags {
  std::string target;  // ring | bare; empty with --device
  std::string device;
  uint32_t workers = 1;
  std::string durability = "async";
  std::string config_path;
  std::string lease_dir;
  bool compare_bare = false;
  std::string server_ip = "192.0.2.1";
  std::string server_mac;
  uint32_t clients = 10000;
  uint32_t relays = 1;
  std::string relay_base = "10.0.0.0";
  uint32_t window = 256;
  double rate = 0;
  uint32_t renewals = 0;
  bool release = false;
  double timeout_ms = 1000;
  uint32_t retries = 3;
  double duration = 60;
  uint16_t burst = 32;
  bool no_verify = false;
  bool no_udp_checksum = false;
  bool no_yield = false;
  std::string json_path;
  bool strict = false;
  bool print_config = false;
  std::string cpus;
  std::string eal_args;
  uint32_t held = 8192;
  uint32_t mbufs = 32767;
  uint32_t ring_size = 0;  // 0: from the window
};

// ---------------------------------------------------------------------
// The server configuration matching the relay layout.

std::string ServerConfigJson(const loadgen::RelayLayout& layout,
                             Ipv4Address server_ip) {
  std::string subnets;
  for (uint32_t r = 0; r < layout.relays; ++r) {
    const Ipv4Address net = layout.Subnet(r);
    const Ipv4Address first(net.value() + 10);
    const Ipv4Address last(net.value() + layout.step - 2);
    absl::StrAppend(&subnets, r == 0 ? "" : ",\n  ", "{\"id\": ", r + 1,
                    ", \"subnet\": \"", net.ToString(), "/",
                    layout.PrefixLength(), "\", \"pools\": [{\"pool\": \"",
                    first.ToString(), " - ", last.ToString(),
                    "\"}], \"option-data\": [{\"name\": \"routers\", "
                    "\"data\": \"",
                    layout.Giaddr(r).ToString(), "\"}]}");
  }
  return absl::StrCat(
      "{\"server-id\": \"", server_ip.ToString(),
      "\",\n \"interfaces\": [{\"name\": \"port0\", \"address\": \"",
      server_ip.ToString(),
      "/24\"}],\n \"authoritative\": true, \"valid-lifetime\": 3600,\n"
      " \"option-data\": [{\"name\": \"domain-name-servers\", \"data\": "
      "\"192.0.2.53\"}, {\"name\": \"domain-name\", \"data\": "
      "\"bench.test\"}],\n \"subnets\": [\n  ",
      subnets, "]}\n");
}

absl::StatusOr<std::shared_ptr<const config::Config>> ServerConfig(
    const Flags& f, const loadgen::RelayLayout& layout, Ipv4Address server_ip) {
  if (!f.config_path.empty()) return config::LoadConfigFile(f.config_path);
  return config::LoadConfig(ServerConfigJson(layout, server_ip));
}

// ---------------------------------------------------------------------
// EAL.

// Lcore 0 (control, the store's threads, progress) on the first CPU, the
// server lcores 1..servers and the generator after them, round robin.
dataplane::EalPlan PlanEal(const Flags& f, unsigned servers,
                           const std::vector<int>& cpus, size_t memory_mb) {
  std::vector<std::string> extra =
      absl::StrSplit(f.eal_args, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  dataplane::EalPlan plan;
  plan.file_prefix = absl::StrCat("lw-loadgen-", getpid());
  for (const std::string& a : extra) {
    if (a.rfind("--file-prefix=", 0) == 0) plan.file_prefix = a.substr(14);
  }
  std::string lcores = "--lcores=";
  for (unsigned l = 0; l <= servers + 1; ++l) {
    absl::StrAppend(&lcores, l == 0 ? "" : ",", l, "@", cpus[l % cpus.size()]);
  }
  plan.args = {"lw-loadgen",
               "--no-huge",
               "--no-pci",
               "-m",
               absl::StrCat(memory_mb),
               lcores,
               absl::StrCat("--file-prefix=", plan.file_prefix),
               "--log-level=error"};
  if (!f.device.empty()) plan.args.push_back("--vdev=" + f.device);
  for (const std::string& a : extra) {
    if (a.rfind("--file-prefix=", 0) != 0) plan.args.push_back(a);
  }
  return plan;
}

absl::StatusOr<std::vector<int>> Cpus(const Flags& f) {
  if (f.cpus.empty()) return dataplane::AvailableCpus();
  std::vector<int> cpus;
  for (absl::string_view c : absl::StrSplit(f.cpus, ',', absl::SkipEmpty())) {
    int n = 0;
    if (!absl::SimpleAtoi(c, &n) || n < 0) {
      return absl::InvalidArgumentError("--cpus: expected e.g. 0,1");
    }
    cpus.push_back(n);
  }
  if (cpus.empty()) return absl::InvalidArgumentError("--cpus is empty");
  return cpus;
}

// ---------------------------------------------------------------------
// Ports.

struct RingPair {
  uint16_t server_port = 0;
  uint16_t generator_port = 0;
  std::vector<rte_ring*> requests;  // generator TX = server RX
  std::vector<rte_ring*> replies;   // server TX = generator RX
};

absl::StatusOr<RingPair> MakeRingPair(const std::string& tag, unsigned queues,
                                      unsigned size) {
  RingPair p;
  for (unsigned q = 0; q < queues; ++q) {
    for (auto* list : {&p.requests, &p.replies}) {
      const std::string name =
          absl::StrCat(tag, list == &p.requests ? "_rq" : "_rp", q);
      rte_ring* r = rte_ring_create(name.c_str(), size, SOCKET_ID_ANY,
                                    RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (r == nullptr) {
        return absl::ResourceExhaustedError(
            absl::StrCat("ring ", name, ": ", rte_strerror(rte_errno)));
      }
      list->push_back(r);
    }
  }
  const int server =
      rte_eth_from_rings((tag + "_srv").c_str(), p.requests.data(), queues,
                         p.replies.data(), queues, SOCKET_ID_ANY);
  const int generator =
      rte_eth_from_rings((tag + "_gen").c_str(), p.replies.data(), queues,
                         p.requests.data(), queues, SOCKET_ID_ANY);
  if (server < 0 || generator < 0) {
    return absl::InternalError(
        absl::StrCat("rte_eth_from_rings: ", rte_strerror(rte_errno)));
  }
  p.server_port = static_cast<uint16_t>(server);
  p.generator_port = static_cast<uint16_t>(generator);
  return p;
}

// Waits until the workers took every frame from `rings` (at most
// `millis`), and a moment more for them to finish the last burst.
void WaitForRings(const std::vector<rte_ring*>& rings, int millis) {
  for (int waited = 0; waited < millis; ++waited) {
    bool empty = true;
    for (rte_ring* r : rings) empty &= rte_ring_count(r) == 0;
    if (empty) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

double CpuSeconds(const std::vector<clockid_t>& clocks) {
  double total = 0;
  for (clockid_t c : clocks) {
    timespec t;
    if (clock_gettime(c, &t) == 0) {
      total +=
          static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
    }
  }
  return total;
}

double ProcessCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Configures and starts `port` with `queues` RX and TX queues.
absl::Status StartPort(uint16_t port, uint16_t queues, rte_mempool* pool) {
  rte_eth_conf conf{};
  int rc = rte_eth_dev_configure(port, queues, queues, &conf);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("port ", port, ": configure: ", rte_strerror(-rc)));
  }
  uint16_t rxd = 1024;
  uint16_t txd = 1024;
  rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
  for (uint16_t q = 0; q < queues; ++q) {
    rc = rte_eth_rx_queue_setup(port, q, rxd, SOCKET_ID_ANY, nullptr, pool);
    if (rc == 0)
      rc = rte_eth_tx_queue_setup(port, q, txd, SOCKET_ID_ANY, nullptr);
    if (rc != 0) {
      return absl::InternalError(
          absl::StrCat("port ", port, ": queue ", q, ": ", rte_strerror(-rc)));
    }
  }
  rc = rte_eth_dev_start(port);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("port ", port, ": start: ", rte_strerror(-rc)));
  }
  rte_eth_promiscuous_enable(port);
  return absl::OkStatus();
}

MacAddress PortMac(uint16_t port) {
  rte_ether_addr mac;
  rte_eth_macaddr_get(port, &mac);
  return MacAddress::Load(mac.addr_bytes);
}

// ---------------------------------------------------------------------
// One run.

loadgen::GeneratorOptions LoadOptions(const Flags& f,
                                      const loadgen::RelayLayout& layout) {
  loadgen::GeneratorOptions o;
  o.clients = f.clients;
  o.layout = layout;
  o.window = f.window;
  o.rate = f.rate;
  o.renewals = f.renewals;
  o.release = f.release;
  o.timeout_ms = f.timeout_ms;
  o.retries = f.retries;
  o.duration_s = f.duration;
  o.burst = f.burst;
  o.verify_checksums = !f.no_verify;
  o.udp_checksum = !f.no_udp_checksum;
  o.yield_when_idle = !f.no_yield;
  return o;
}

loadgen::RunReport NewReport(const Flags& f, const std::string& target,
                             uint32_t workers) {
  loadgen::RunReport r;
  r.target = target;
  r.workers = workers;
  r.mode = f.rate > 0 ? "open" : "closed";
  r.clients = f.clients;
  r.relays = f.relays;
  r.window = f.rate > 0 ? 0 : f.window;
  r.rate = f.rate;
  r.renewals = f.renewals;
  r.release = f.release;
  return r;
}

// Runs `gen` on `lcore` and prints a progress line each second until it
// finishes (or a signal stops it).
void Drive(loadgen::Generator& gen, unsigned lcore, const std::string& what) {
  if (rte_eal_remote_launch(&loadgen::Generator::Main, &gen, lcore) != 0) {
    spdlog::error("cannot launch the generator on lcore {}", lcore);
    return;
  }
  const loadgen::Progress& p = gen.progress();
  const auto start = std::chrono::steady_clock::now();
  auto next = start + std::chrono::seconds(1);
  uint64_t last_leases = 0;
  while (!p.finished.load(std::memory_order_acquire)) {
    if (g_signal.load() != 0) gen.RequestStop();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto now = std::chrono::steady_clock::now();
    if (now < next) continue;
    next += std::chrono::seconds(1);
    const uint64_t leases = p.leases.load(std::memory_order_relaxed);
    spdlog::info(
        "{} {:5.1f} s: leases {} (+{}/s), renewals {}, in flight {}, "
        "timeouts {}, NAKs {}, failed {}",
        what, std::chrono::duration<double>(now - start).count(), leases,
        leases - last_leases, p.renewals.load(std::memory_order_relaxed),
        p.outstanding.load(std::memory_order_relaxed),
        p.timeouts.load(std::memory_order_relaxed),
        p.naks.load(std::memory_order_relaxed),
        p.failed.load(std::memory_order_relaxed));
    last_leases = leases;
  }
  rte_eal_wait_lcore(lcore);
}

// Server state of the ring target that outlives one run.
struct RingEnv {
  rte_mempool* pool = nullptr;  // generator's requests and RX
  unsigned generator_lcore = 0;
  int runs = 0;
};

absl::StatusOr<loadgen::RunReport> RunBare(const Flags& f, RingEnv& env,
                                           const loadgen::RelayLayout& layout) {
  absl::StatusOr<RingPair> pair =
      MakeRingPair(absl::StrCat("lgb", env.runs++), 1, f.ring_size);
  if (!pair.ok()) return pair.status();
  rte_mempool* server_pool =
      rte_pktmbuf_pool_create("lg_bare_pool", f.mbufs, 256, 0,
                              RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (server_pool == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("bare loop pool: ", rte_strerror(rte_errno)));
  }
  const Ipv4Address server_ip = *Ipv4Address::Parse(f.server_ip);
  absl::Status s = StartPort(pair->server_port, 1, server_pool);
  if (s.ok()) s = StartPort(pair->generator_port, 1, env.pool);
  if (!s.ok()) return s;
  absl::StatusOr<std::shared_ptr<const config::Config>> cfg =
      ServerConfig(f, layout, server_ip);
  if (!cfg.ok()) return cfg.status();

  loadgen::GeneratorOptions o = LoadOptions(f, layout);
  o.server_ip = server_ip;
  o.server_mac = PortMac(pair->server_port);
  o.port_mac = PortMac(pair->generator_port);
  o.port_id = pair->generator_port;
  o.pool = env.pool;
  o.validate = false;
  absl::StatusOr<std::unique_ptr<loadgen::Generator>> gen =
      loadgen::Generator::Create(o);
  if (!gen.ok()) return gen.status();
  const loadgen::Generator& g = **gen;
  absl::StatusOr<loadgen::CannedReplies> canned = loadgen::MakeCannedReplies(
      *cfg, g.SampleRequest(0, Ipv4Address(), Ipv4Address()),
      [&g](Ipv4Address offered, Ipv4Address server) {
        return g.SampleRequest(0, offered, server);
      },
      o.server_mac);
  if (!canned.ok()) return canned.status();

  loadgen::BareLoop bare(pair->server_port, server_pool, *std::move(canned));
  if (rte_eal_remote_launch(&loadgen::BareLoop::Main, &bare, 1) != 0) {
    return absl::InternalError("cannot launch the bare loop on lcore 1");
  }
  const double process_start = ProcessCpuSeconds();
  Drive(**gen, env.generator_lcore, "bare");
  const double process_cpu = ProcessCpuSeconds() - process_start;
  loadgen::Results gen_results;
  bare.RequestStop();
  rte_eal_wait_lcore(1);
  rte_eth_dev_stop(pair->server_port);
  rte_eth_dev_stop(pair->generator_port);
  gen_results = (*gen)->results();
  gen->reset();
  // Frames left in the rings go back to their pools before the bare
  // loop's pool goes, so a later ring run has the memory.
  for (rte_ring* r : {pair->requests[0], pair->replies[0]}) {
    void* m;
    while (rte_ring_dequeue(r, &m) == 0)
      rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
  }
  rte_mempool_free(server_pool);

  loadgen::RunReport r = NewReport(f, "bare", 1);
  r.results = gen_results;
  r.has_server = true;
  r.server_rx = bare.rx();
  r.server_tx = bare.tx();
  r.server_busy = bare.busy();
  r.process_cpu_s = process_cpu;
  r.server_cpu_share = bare.wall_s() > 0 ? bare.cpu_s() / bare.wall_s() : 0;
  if (bare.dropped() > 0) r.server_drops["no_mbuf_or_tx_full"] = bare.dropped();
  return r;
}

absl::StatusOr<loadgen::RunReport> RunRing(const Flags& f, RingEnv& env,
                                           const loadgen::RelayLayout& layout,
                                           int* exit_code) {
  const Ipv4Address server_ip = *Ipv4Address::Parse(f.server_ip);
  absl::StatusOr<std::shared_ptr<const config::Config>> cfg =
      ServerConfig(f, layout, server_ip);
  if (!cfg.ok()) {
    *exit_code = kExitBadConfig;
    return cfg.status();
  }
  absl::StatusOr<RingPair> pair =
      MakeRingPair(absl::StrCat("lgr", env.runs++), f.workers, f.ring_size);
  if (!pair.ok()) return pair.status();

  // The store opens after rte_eal_init: its threads inherit lcore 0's CPU.
  const bool temp_dir = f.lease_dir.empty();
  const std::filesystem::path dir =
      temp_dir ? std::filesystem::temp_directory_path() /
                     absl::StrCat("lw-loadgen-", getpid())
               : std::filesystem::path(f.lease_dir);
  if (temp_dir) std::filesystem::remove_all(dir);
  // Removes a temporary lease folder on every way out of this function
  // (declared before the store, so it runs after the store closed).
  struct DirGuard {
    std::filesystem::path dir;
    ~DirGuard() {
      std::error_code ignored;
      if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
    }
  } guard{temp_dir ? dir : std::filesystem::path()};
  store::StoreOptions so;
  so.directory = dir.string();
  so.durability = f.durability == "sync" ? store::Durability::kSync
                                         : store::Durability::kAsync;
  so.time_base.wall_at_zero = static_cast<int64_t>(std::time(nullptr));
  absl::StatusOr<std::unique_ptr<store::Store>> db = store::Store::Open(so);
  if (!db.ok()) {
    *exit_code = kExitStore;
    return db.status();
  }

  dataplane::DataplaneOptions options;
  options.config = *cfg;
  options.ports = {
      dataplane::PortBinding{pair->server_port, &(*cfg)->interfaces[0]}};
  for (unsigned w = 1; w <= f.workers; ++w) options.worker_lcores.push_back(w);
  options.store = db->get();
  options.mbufs_per_worker = f.mbufs;
  options.held_capacity = f.held;
  options.burst = f.burst;
  absl::StatusOr<std::unique_ptr<dataplane::Dataplane>> plane =
      dataplane::Dataplane::Create(std::move(options));
  if (!plane.ok()) return plane.status();
  absl::StatusOr<dataplane::Dataplane::RecoverResult> recovered =
      (*plane)->Recover();
  if (!recovered.ok()) {
    *exit_code = kExitStore;
    return recovered.status();
  }
  if (absl::Status s = (*plane)->Start(); !s.ok()) return s;
  if (absl::Status s = StartPort(pair->generator_port,
                                 static_cast<uint16_t>(f.workers), env.pool);
      !s.ok()) {
    return s;
  }

  loadgen::GeneratorOptions o = LoadOptions(f, layout);
  o.server_ip = server_ip;
  o.server_mac = PortMac(pair->server_port);
  o.port_mac = PortMac(pair->generator_port);
  o.port_id = pair->generator_port;
  o.rx_queues = static_cast<uint16_t>(f.workers);
  o.tx_queues = static_cast<uint16_t>(f.workers);
  o.pool = env.pool;
  absl::StatusOr<std::unique_ptr<loadgen::Generator>> gen =
      loadgen::Generator::Create(o);
  if (!gen.ok()) return gen.status();
  // The workers' CPU clocks, asked on their own threads, so that the
  // report can show how much CPU they got on a shared machine.
  std::vector<clockid_t> clocks(f.workers);
  for (unsigned w = 0; w < f.workers; ++w) {
    (void)(*plane)->RunOnWorker(w, [&clocks, w](dataplane::WorkerAccess&) {
      pthread_getcpuclockid(pthread_self(), &clocks[w]);
    });
  }
  const double cpu_start = CpuSeconds(clocks);
  const double process_start = ProcessCpuSeconds();
  const auto wall_start = std::chrono::steady_clock::now();
  Drive(**gen, env.generator_lcore, "ring");
  const double cpu_used = CpuSeconds(clocks) - cpu_start;
  const double process_cpu = ProcessCpuSeconds() - process_start;
  const double wall = std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - wall_start)
                          .count();
  // The last RELEASEs may still be in the rings: let the workers take
  // them before they stop receiving, so the server's counters are whole.
  WaitForRings(pair->requests, 2000);
  (*plane)->Stop();

  loadgen::RunReport r = NewReport(f, "ring", f.workers);
  r.durability = f.durability;
  r.results = (*gen)->results();
  const dataplane::WorkerCounters t = (*plane)->TotalCounters();
  r.has_server = true;
  r.server_rx = t.rx;
  r.server_tx = t.tx;
  r.server_commits = t.commits;
  r.process_cpu_s = process_cpu;
  r.server_cpu_share = wall > 0 ? cpu_used / (wall * f.workers) : 0;
  r.server_busy =
      t.tsc > 0 ? static_cast<double>(t.busy_tsc) / static_cast<double>(t.tsc)
                : 0.0;
  for (int d = 0; d < dataplane::kDropCount; ++d) {
    if (t.drops[d] != 0) {
      r.server_drops[std::string(
          dataplane::DropName(static_cast<dataplane::Drop>(d)))] = t.drops[d];
    }
  }
  gen->reset();
  plane->reset();
  rte_eth_dev_stop(pair->generator_port);
  db->reset();
  return r;
}

absl::StatusOr<loadgen::RunReport> RunDevice(
    const Flags& f, rte_mempool* pool, const loadgen::RelayLayout& layout) {
  uint16_t port = RTE_MAX_ETHPORTS;
  uint16_t id;
  RTE_ETH_FOREACH_DEV(id) {
    if (port == RTE_MAX_ETHPORTS) port = id;
  }
  if (port == RTE_MAX_ETHPORTS) {
    return absl::NotFoundError(
        "--device " + f.device +
        " did not come up (see the EAL messages; for net_af_packet check "
        "that iface= names an existing, up interface in this namespace)");
  }
  if (absl::Status s = StartPort(port, 1, pool); !s.ok()) return s;
  loadgen::GeneratorOptions o = LoadOptions(f, layout);
  o.server_ip = *Ipv4Address::Parse(f.server_ip);
  o.server_mac = *MacAddress::Parse(f.server_mac);
  o.port_mac = PortMac(port);
  o.port_id = port;
  o.pool = pool;
  o.answer_arp = true;
  absl::StatusOr<std::unique_ptr<loadgen::Generator>> gen =
      loadgen::Generator::Create(o);
  if (!gen.ok()) return gen.status();
  spdlog::info("device port {} (MAC {}) -> server {} at {}", port,
               o.port_mac.ToString(), f.server_ip, f.server_mac);
  const double process_start = ProcessCpuSeconds();
  Drive(**gen, 1, "device");
  rte_eth_dev_stop(port);
  loadgen::RunReport r = NewReport(f, f.device, 0);
  r.results = (*gen)->results();
  r.process_cpu_s = ProcessCpuSeconds() - process_start;
  return r;
}

// ---------------------------------------------------------------------

bool Clean(const loadgen::RunReport& r) {
  const loadgen::Results& x = r.results;
  return x.failed == 0 && x.timeouts == 0 && x.naks == 0 &&
         x.outstanding == 0 && x.duplicates == 0 && x.mismatched == 0 &&
         x.done == r.clients && x.leases > 0;
}

int Main(const Flags& f, const std::string& command) {
  const absl::StatusOr<std::vector<int>> cpus = Cpus(f);
  if (!cpus.ok()) {
    spdlog::error("{}", std::string(cpus.status().message()));
    return kExitUsage;
  }
  const bool ring = f.device.empty();
  const unsigned servers = ring ? f.workers : 0;
  if (ring && servers + 2 > cpus->size() + 1) {
    spdlog::warn(
        "{} server lcore(s), the generator and lcore 0 share {} CPU(s): "
        "figures measure the contention too",
        servers, cpus->size());
  }
  const uint32_t ring_size =
      f.ring_size != 0
          ? f.ring_size
          : std::max<uint32_t>(4096, std::bit_ceil(2 * f.window + 1024));
  Flags flags = f;
  flags.ring_size = ring_size;
  const uint32_t gen_mbufs =
      std::bit_ceil(2 * ring_size * f.workers + 8192) - 1;
  // An mbuf of the default size is about 2.3 KiB with its header, but
  // with --no-huge the EAL's pages are 4 KiB and a mempool object does
  // not cross a page: each mbuf takes a page of its own. The rest is
  // rings, ports and EAL bookkeeping.
  const size_t memory_mb =
      256 +
      (size_t{gen_mbufs} + size_t{f.mbufs} * f.workers) * 4096 / (1 << 20);
  dataplane::EalPlan plan = PlanEal(flags, servers, *cpus, memory_mb);
  spdlog::info("EAL arguments: {}", absl::StrJoin(plan.args, " "));
  if (absl::Status s = dataplane::InitEal(plan); !s.ok()) {
    spdlog::error("{}", std::string(s.message()));
    return kExitDpdk;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  const loadgen::RelayLayout layout = loadgen::RelayLayout::For(
      f.clients, f.relays, *Ipv4Address::Parse(f.relay_base));
  int code = 0;
  std::vector<loadgen::RunReport> reports;
  rte_mempool* pool =
      rte_pktmbuf_pool_create("lg_gen_pool", gen_mbufs, 256, 0,
                              RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (pool == nullptr) {
    spdlog::error("generator pool: {}", rte_strerror(rte_errno));
    code = kExitDpdk;
  } else if (ring) {
    RingEnv env{pool, servers + 1, 0};
    std::vector<std::string> targets;
    if (f.target == "bare" || f.compare_bare) targets.push_back("bare");
    if (f.target == "ring") targets.push_back("ring");
    for (const std::string& t : targets) {
      int failure = kExitDpdk;
      absl::StatusOr<loadgen::RunReport> r =
          t == "bare" ? RunBare(flags, env, layout)
                      : RunRing(flags, env, layout, &failure);
      if (!r.ok()) {
        spdlog::error("{}: {}", t, std::string(r.status().message()));
        code = failure;
        break;
      }
      reports.push_back(*std::move(r));
      if (g_signal.load() != 0) break;
    }
  } else {
    absl::StatusOr<loadgen::RunReport> r = RunDevice(flags, pool, layout);
    if (!r.ok()) {
      spdlog::error("{}", std::string(r.status().message()));
      code = kExitDpdk;
    } else {
      reports.push_back(*std::move(r));
    }
  }
  for (const loadgen::RunReport& r : reports) {
    std::printf("%s\n", loadgen::SummaryText(r).c_str());
    if (code == 0 && f.strict && !Clean(r)) code = kExitNotClean;
  }
  const nlohmann::json json = loadgen::ToJson(reports, command);
  if (json.contains("fraction_of_bare")) {
    std::printf("ring / bare: %.1f %%\n",
                100 * json["fraction_of_bare"].get<double>());
  }
  if (!f.json_path.empty() && !reports.empty()) {
    if (f.json_path == "-") {
      std::cout << json.dump(1) << std::endl;
    } else {
      std::ofstream(f.json_path) << json.dump(1) << "\n";
    }
  }
  std::fflush(stdout);
  dataplane::CleanupEal(plan);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("lw-loadgen"));
  spdlog::set_pattern("%H:%M:%S.%e %^%l%$ %v");
  CLI::App app{"lw-loadgen: DHCP clients and relays on DPDK, leases per second",
               "lw-loadgen"};
  Flags f;
  auto* target =
      app.add_option("--target", f.target,
                     "ring: leasewire's Dataplane in this process over "
                     "net_ring; bare: a bare RX->TX loop on the same rings")
          ->check(CLI::IsMember({"ring", "bare"}));
  auto* device =
      app.add_option("--device", f.device,
                     "DPDK device towards an external server, e.g. "
                     "net_af_packet0,iface=veth0 or net_af_xdp0,iface=veth0");
  target->excludes(device);
  app.add_option("--workers", f.workers, "ring: server worker lcores")
      ->check(CLI::Range(1, 16));
  app.add_option("--durability", f.durability, "ring: lease store policy")
      ->check(CLI::IsMember({"sync", "async"}));
  app.add_option("--config", f.config_path,
                 "ring/bare: server config FILE instead of the generated "
                 "one (it must serve the relay layout)");
  app.add_option("--lease-dir", f.lease_dir,
                 "ring: lease database folder (default: a temporary one, "
                 "removed at exit)");
  app.add_flag("--compare-bare", f.compare_bare,
               "ring: run the bare loop first with the same load, and "
               "report the ring result as a fraction of it");
  app.add_option("--server-ip", f.server_ip, "Server address")
      ->check(CLI::ValidIPV4);
  app.add_option("--server-mac", f.server_mac, "--device: server MAC");
  app.add_option("--clients", f.clients, "Clients, one DORA each")
      ->check(CLI::Range(1u, 1u << 26));
  app.add_option("--relays", f.relays, "Relay agents (one giaddr each)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--relay-base", f.relay_base,
                 "First relay subnet; relay r serves base + r * block")
      ->check(CLI::ValidIPV4);
  app.add_option("--window", f.window,
                 "Closed loop: exchanges in flight (default 256)")
      ->check(CLI::Range(1u, 1u << 22));
  app.add_option("--rate", f.rate, "Open loop: new clients per second")
      ->check(CLI::PositiveNumber);
  app.add_option("--renewals", f.renewals, "Renewals per client after its ACK")
      ->check(CLI::Range(0, 1000));
  app.add_flag("--release", f.release, "RELEASE at the end of each client");
  app.add_option("--timeout-ms", f.timeout_ms, "Retransmission timeout")
      ->check(CLI::PositiveNumber);
  app.add_option("--retries", f.retries,
                 "Retransmissions before a client fails")
      ->check(CLI::Range(0, 100));
  app.add_option("--duration", f.duration, "Stop after this many seconds")
      ->check(CLI::PositiveNumber);
  app.add_option("--burst", f.burst, "RX/TX burst")->check(CLI::Range(1, 64));
  app.add_flag("--no-verify-checksums", f.no_verify,
               "Do not verify the replies' IPv4/UDP checksums");
  app.add_flag("--no-udp-checksum", f.no_udp_checksum,
               "Send requests with UDP checksum 0");
  app.add_flag("--no-yield", f.no_yield,
               "Never sched_yield() when idle (by default the generator "
               "yields its CPU when a poll found nothing, for the threads "
               "that share it)");
  app.add_option("--json", f.json_path,
                 "Write the results as JSON (- = stdout)");
  app.add_flag("--strict", f.strict,
               "Exit 6 unless every client completed without a timeout, "
               "NAK or duplicate address");
  app.add_flag("--print-config", f.print_config,
               "Print the leasewired config that serves this relay layout "
               "and exit");
  app.add_option("--cpus", f.cpus,
                 "CPUs for lcore 0, the server lcores and the generator, "
                 "round robin (default: the allowed CPUs)");
  app.add_option("--eal-args", f.eal_args, "More EAL arguments");
  app.add_option("--held", f.held, "ring: replies a worker may hold")
      ->check(CLI::Range(64, 1 << 20));
  app.add_option("--mbufs", f.mbufs, "ring/bare: mbufs per server lcore")
      ->check(CLI::Range(1023, 1 << 22));
  app.add_option("--ring-size", f.ring_size,
                 "ring/bare: descriptors per ring (power of two; default "
                 "from the window)");
  CLI11_PARSE(app, argc, argv);

  if (f.print_config) {
    const loadgen::RelayLayout layout = loadgen::RelayLayout::For(
        f.clients, f.relays, *Ipv4Address::Parse(f.relay_base));
    std::printf(
        "%s",
        ServerConfigJson(layout, *Ipv4Address::Parse(f.server_ip)).c_str());
    return 0;
  }
  if (f.target.empty() && f.device.empty()) {
    std::fprintf(stderr,
                 "lw-loadgen: give --target ring|bare or --device "
                 "SPEC (see --help)\n");
    return kExitUsage;
  }
  if (!f.device.empty() &&
      (f.server_mac.empty() || !MacAddress::Parse(f.server_mac).has_value())) {
    std::fprintf(stderr, "lw-loadgen: --device needs --server-mac MAC\n");
    return kExitUsage;
  }
  if (f.compare_bare && f.target != "ring") {
    std::fprintf(stderr,
                 "lw-loadgen: --compare-bare goes with --target ring\n");
    return kExitUsage;
  }
  if (f.target == "bare") f.workers = 1;
  if (f.ring_size != 0 && !std::has_single_bit(f.ring_size)) {
    std::fprintf(stderr, "lw-loadgen: --ring-size must be a power of two\n");
    return kExitUsage;
  }
  std::vector<std::string> words(argv, argv + argc);
  return Main(f, absl::StrJoin(words, " "));
}
