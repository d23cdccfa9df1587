// Engine throughput without I/O or storage: full DORA exchanges (DISCOVER
// and REQUEST decided, OFFER and ACK written) and renewals per second.
//
//   build/bench/engine/engine_benchmark
//
// Requests are parsed once; each iteration patches the client's hardware
// address, client identifier and requested address in place, so the
// figures measure the engine and reply building, not the parser (see
// wire_benchmark for that).

#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "leasewire/config/config.h"
#include "leasewire/engine/engine.h"
#include "leasewire/wire/reply_builder.h"

namespace leasewire::engine {
namespace {

using wire::Ipv4Address;
using wire::MessageType;

constexpr char kConfig[] = R"({
  "server-id": "10.0.0.1",
  "interfaces": [{"name": "port0", "address": "10.0.0.1/8"}],
  "valid-lifetime": 3600,
  "option-data": [
    {"name": "domain-name-servers", "data": "10.0.0.53, 10.0.0.54"},
    {"name": "domain-name", "data": "isp.example"}
  ],
  "subnets": [{
    "id": 1, "subnet": "10.0.0.0/8",
    "pools": [{"pool": "10.0.1.0 - 10.255.255.250"}],
    "option-data": [{"name": "routers", "data": "10.0.0.1"}]
  }]
})";

std::shared_ptr<const config::Config> LoadBenchConfig() {
  auto config = config::LoadConfig(kConfig);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(config.status().message()).c_str());
    std::abort();
  }
  return *config;
}

// A request as a client sends it: chaddr at its fixed place, option 61 =
// 01 + chaddr, and (for REQUEST) options 50 and 54.
struct Template {
  std::array<uint8_t, 512> bytes{};
  size_t size = 0;
  size_t client_id_value = 0;  // offset of option 61's MAC part
  size_t requested_value = 0;  // offset of option 50's value
  wire::DhcpMessage msg;

  void Build(MessageType type, Ipv4Address ciaddr, bool selecting) {
    wire::BootpHeader h;
    h.op = wire::kBootRequest;
    h.xid = 0x1234;
    h.ciaddr = ciaddr;
    wire::MessageWriter w(bytes, bytes.size());
    w.Begin(h);
    w.AddUint8(wire::option::kMessageType, static_cast<uint8_t>(type));
    const uint8_t id[7] = {1, 2, 0, 0, 0, 0, 0};
    w.Add(wire::option::kClientIdentifier, id);
    client_id_value = w.size() - 6;
    if (selecting) {
      w.AddAddress(wire::option::kRequestedAddress, Ipv4Address());
      requested_value = w.size() - 4;
      w.AddAddress(wire::option::kServerIdentifier,
                   Ipv4Address::FromOctets(10, 0, 0, 1));
    }
    const uint8_t prl[] = {1, 3, 6, 15, 28, 42};
    w.Add(wire::option::kParameterRequestList, prl);
    w.AddUint16(wire::option::kMaxMessageSize, 1500);
    size = w.Finish();
    if (msg.ParseRequest({bytes.data(), size}) != wire::Verdict::kOk) {
      std::abort();
    }
  }

  // Makes this the request of client number `n`.
  void SetClient(uint32_t n) {
    uint8_t mac[6] = {2,
                      0,
                      static_cast<uint8_t>(n >> 24),
                      static_cast<uint8_t>(n >> 16),
                      static_cast<uint8_t>(n >> 8),
                      static_cast<uint8_t>(n)};
    std::memcpy(&bytes[wire::kChaddrOffset], mac, 6);
    std::memcpy(&bytes[client_id_value], mac, 6);
  }
  void SetRequested(Ipv4Address a) { a.Store(&bytes[requested_value]); }
};

// One engine with the benchmark config, its requests and a reply buffer:
// what every benchmark below sets up.
struct Bench {
  Bench() : config(LoadBenchConfig()), engine(config, {}, 1000) {
    port = config->interfaces[0];
    in.interface = &port;
    in.eth_src = wire::MacAddress({2, 0, 0, 0, 0, 2});
    in.ip_src = Ipv4Address::FromOctets(10, 0, 0, 1);
    discover.Build(MessageType::kDiscover, Ipv4Address(), false);
    request.Build(MessageType::kRequest, Ipv4Address(), true);
  }

  Decision Process(const wire::DhcpMessage& msg, Seconds now) {
    return engine.Process(msg, in, config->subnets[0], now, reply, &log);
  }

  // DISCOVER then REQUEST for client `c`; *offer gets the first decision.
  Decision Dora(uint32_t c, Decision* offer) {
    discover.SetClient(c);
    *offer = Process(discover.msg, 1000);
    request.SetClient(c);
    request.SetRequested(offered());
    return Process(request.msg, 1000);
  }
  Ipv4Address offered() const { return Ipv4Address::Load(&reply[16]); }

  // Dora() for the timed loops only, out of line so that callgrind can
  // count the instructions of exactly the measured exchanges:
  //   valgrind --tool=callgrind --toggle-collect='*TimedDora*' ...
  // (the set-up's BindClients() calls Dora() directly and is not counted).
  [[gnu::noinline]] Decision TimedDora(uint32_t c, Decision* offer) {
    return Dora(c, offer);
  }

  // Binds clients 0 .. n-1 outside the timed loop.
  void BindClients(uint32_t n) {
    Decision offer;
    for (uint32_t c = 0; c < n; ++c) {
      Dora(c, &offer);
      log.Clear();
    }
  }

  std::shared_ptr<const config::Config> config;
  config::Interface port;
  Ingress in;
  Engine engine;
  MutationLog log;
  Template discover, request;
  std::array<uint8_t, 1500> reply;
};

// Reports a failed exchange; true when `d` is not what the loop expects.
bool Failed(benchmark::State& state, const Decision& d, MessageType want,
            const char* what) {
  if (d.action == Action::kReply && d.reply_type == want) return false;
  state.SkipWithError(what);
  return true;
}

// One lease per iteration: DISCOVER -> OFFER, REQUEST -> ACK, each a new
// client. The mutation log is drained every 32 leases, as a worker's poll
// cycle would.
void BM_EngineDora(benchmark::State& state) {
  Bench b;
  uint32_t client = 0;
  for (auto _ : state) {
    Decision offer;
    const Decision ack = b.TimedDora(client, &offer);
    benchmark::DoNotOptimize(ack.reply_size);
    if (Failed(state, offer, MessageType::kOffer, "no offer") ||
        Failed(state, ack, MessageType::kAck, "no ack")) {
      break;
    }
    if (++client % 32 == 0) b.log.Clear();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["leases"] = static_cast<double>(b.engine.table().size());
}
BENCHMARK(BM_EngineDora)->Unit(benchmark::kNanosecond);

// Full DORA of clients that already hold a lease, as in a lease storm after
// a power cut: `range(0)` clients, round robin. With few clients the tables
// stay in cache; with millions every exchange misses it, as in production.
void BM_EngineDoraReturning(benchmark::State& state) {
  Bench b;
  const auto clients = static_cast<uint32_t>(state.range(0));
  b.BindClients(clients);
  uint32_t c = 0;
  for (auto _ : state) {
    Decision offer;
    const Decision ack = b.TimedDora(c, &offer);
    benchmark::DoNotOptimize(ack.reply_size);
    if (Failed(state, ack, MessageType::kAck, "no ack")) break;
    if (++c == clients) c = 0;
    if (c % 32 == 0) b.log.Clear();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EngineDoraReturning)
    ->Arg(1000)
    ->Arg(1000000)
    ->Unit(benchmark::kNanosecond);

// Renewals (RENEWING: ciaddr set, unicast) of `range(0)` bound clients,
// round robin.
void BM_EngineRenew(benchmark::State& state) {
  Bench b;
  const auto clients = static_cast<uint32_t>(state.range(0));
  std::vector<Ipv4Address> addresses(clients);
  for (uint32_t c = 0; c < clients; ++c) {
    Decision offer;
    b.Dora(c, &offer);
    addresses[c] = b.offered();
    b.log.Clear();
  }
  // A RENEWING request: ciaddr set, no 50/54.
  Template renew;
  renew.Build(MessageType::kRequest, Ipv4Address::FromOctets(10, 0, 1, 1),
              false);
  uint32_t c = 0;
  for (auto _ : state) {
    renew.SetClient(c);
    addresses[c].Store(&renew.bytes[12]);  // ciaddr
    const Decision ack = b.Process(renew.msg, 1100);
    benchmark::DoNotOptimize(ack.reply_size);
    if (Failed(state, ack, MessageType::kAck, "renewal not acknowledged")) {
      break;
    }
    if (++c == clients) c = 0;
    if (c % 32 == 0) b.log.Clear();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EngineRenew)
    ->Arg(1000)
    ->Arg(1000000)
    ->Unit(benchmark::kNanosecond);

}  // namespace
}  // namespace leasewire::engine

BENCHMARK_MAIN();
