// Memory per active lease: binds N leases (default 10,000,000) through the
// engine and reports the engine's own accounting of heap bytes and the
// growth of the process's resident set, each divided by N.
//
//   build/bench/engine/lease_memory [N]
//
// Target (design brief §3): <= 128 bytes per active lease at 10 M leases.

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "leasewire/config/config.h"
#include "leasewire/engine/engine.h"
#include "leasewire/wire/reply_builder.h"

namespace {

using leasewire::wire::Ipv4Address;
using leasewire::wire::MessageType;
namespace wire = leasewire::wire;
namespace engine = leasewire::engine;

constexpr char kConfig[] = R"({
  "server-id": "10.0.0.1",
  "interfaces": [{"name": "port0", "address": "10.0.0.1/8"}],
  "subnets": [{"id": 1, "subnet": "10.0.0.0/8",
               "pools": [{"pool": "10.0.1.0 - 10.255.255.250"}]}]
})";

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Writes a request of `type` for client `n` into `buf`.
size_t BuildRequest(std::array<uint8_t, 512>& buf, MessageType type, uint32_t n,
                    Ipv4Address requested) {
  wire::BootpHeader h;
  h.op = wire::kBootRequest;
  h.xid = n;
  const uint8_t mac[6] = {2,
                          0,
                          static_cast<uint8_t>(n >> 24),
                          static_cast<uint8_t>(n >> 16),
                          static_cast<uint8_t>(n >> 8),
                          static_cast<uint8_t>(n)};
  std::memcpy(h.chaddr.data(), mac, 6);
  wire::MessageWriter w(buf, buf.size());
  w.Begin(h);
  w.AddUint8(wire::option::kMessageType, static_cast<uint8_t>(type));
  uint8_t id[7] = {1};
  std::memcpy(id + 1, mac, 6);
  w.Add(wire::option::kClientIdentifier, id);
  const char host[] = "cpe-0000000";
  w.Add(wire::option::kHostName,
        {reinterpret_cast<const uint8_t*>(host), sizeof(host) - 1});
  if (type == MessageType::kRequest) {
    w.AddAddress(wire::option::kRequestedAddress, requested);
    w.AddAddress(wire::option::kServerIdentifier,
                 Ipv4Address::FromOctets(10, 0, 0, 1));
  }
  return w.Finish();
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t n =
      argc > 1 ? static_cast<uint32_t>(std::atol(argv[1])) : 10'000'000;
  auto config = leasewire::config::LoadConfig(kConfig);
  if (!config.ok()) {
    std::fprintf(stderr, "config: %s\n",
                 std::string(config.status().message()).c_str());
    return 1;
  }
  const size_t rss_before = ResidentBytes();
  engine::Engine eng(*config, {}, 1000);
  engine::MutationLog log;
  engine::Ingress in;
  in.interface = &(*config)->interfaces[0];
  std::array<uint8_t, 512> buf;
  std::array<uint8_t, 1500> reply;
  wire::DhcpMessage msg;
  const auto& subnet = (*config)->subnets[0];
  const auto start = std::chrono::steady_clock::now();
  for (uint32_t c = 0; c < n; ++c) {
    size_t size = BuildRequest(buf, MessageType::kDiscover, c, Ipv4Address());
    msg.ParseRequest({buf.data(), size});
    eng.Process(msg, in, subnet, 1000, reply, &log);
    const Ipv4Address offered = Ipv4Address::Load(&reply[16]);
    size = BuildRequest(buf, MessageType::kRequest, c, offered);
    msg.ParseRequest({buf.data(), size});
    const auto d = eng.Process(msg, in, subnet, 1000, reply, &log);
    if (d.reply_type != MessageType::kAck) {
      std::fprintf(stderr, "client %u: no ACK\n", c);
      return 1;
    }
    log.Clear();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  const size_t rss_after = ResidentBytes();
  const size_t accounted = eng.MemoryUsage();
  std::printf("leases: %zu\n", eng.table().size());
  std::printf("engine heap accounting: %zu bytes, %.1f bytes/lease\n",
              accounted, static_cast<double>(accounted) / n);
  std::printf("resident set growth: %zu bytes, %.1f bytes/lease\n",
              rss_after - rss_before,
              static_cast<double>(rss_after - rss_before) / n);
  std::printf("bound in %.2f s (%.0f leases/s, parse included)\n", seconds,
              n / seconds);
  return 0;
}
