// libFuzzer target for the engine: a sequence of requests, each with a time
// step and an ingress, replayed into one Engine configured as the shared
// edge cases assume (tests/data/cases-config.json). Inputs are records of
//
//   [seconds to advance: 1][ingress: 1][length: 2, big endian][payload]
//
// (tools/make-fuzz-corpus.py writes one seed per case). Every payload that
// passes DhcpMessage::ParseRequest goes to Engine::Handle; after each step
// the fuzzer checks what must always hold, and traps when it does not:
//
//  - no address is held (offered, bound, declined) by two records;
//  - every record's address lies in its subnet;
//  - a reply fits its buffer and parses back as a BOOTREPLY;
//  - the pools' free counts equal what the records leave free.

#include <fstream>
#include <iterator>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "leasewire/config/config.h"
#include "leasewire/engine/engine.h"
#include "leasewire/wire/dhcp_message.h"

namespace leasewire::engine {
namespace {

#define FUZZ_CHECK(condition) \
  do {                        \
    if (!(condition)) {       \
      __builtin_trap();       \
    }                         \
  } while (0)

std::shared_ptr<const config::Config> LoadCasesConfig() {
  std::ifstream in(LEASEWIRE_SOURCE_DIR "/tests/data/cases-config.json");
  std::stringstream text;
  text << in.rdbuf();
  auto config = config::LoadConfig(text.str());
  FUZZ_CHECK(config.ok());
  return *config;
}

void CheckInvariants(const Engine& engine) {
  absl::flat_hash_set<uint32_t> held;
  const config::Config& config = engine.config();
  engine.table().ForEach([&](lease::Slot, const lease::Lease& l) {
    if (lease::HoldsAddress(l.state)) {
      FUZZ_CHECK(held.insert(l.address.value()).second);
    }
    const config::Subnet* s = config.FindSubnetContaining(l.address);
    FUZZ_CHECK(s != nullptr);
  });
  for (const config::Subnet& s : config.subnets) {
    const Engine::Utilization u = engine.SubnetUtilization(s.id);
    uint64_t taken = 0;
    for (const config::Pool& p : s.pools) {
      for (uint32_t a = p.first.value(); a <= p.last.value(); ++a) {
        const wire::Ipv4Address addr(a);
        const bool reserved = std::any_of(
            s.reservations.begin(), s.reservations.end(),
            [&](const config::Reservation& r) { return r.address == addr; });
        const bool excluded = std::find(s.excluded.begin(), s.excluded.end(),
                                        addr) != s.excluded.end();
        if (reserved || excluded || held.contains(a)) ++taken;
      }
    }
    FUZZ_CHECK(u.total - u.free == taken);
  }
}

}  // namespace
}  // namespace leasewire::engine

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace leasewire;
  static const auto config = engine::LoadCasesConfig();
  engine::Engine eng(config, {}, 1000);
  engine::MutationLog log;
  wire::DhcpMessage msg;
  std::vector<uint8_t> reply(1500);
  lease::Seconds now = 1000;
  const config::Interface* port = &config->interfaces[0];
  std::span<const uint8_t> in(data, size);
  while (in.size() >= 4) {
    now += in[0];
    const uint8_t ingress = in[1];
    const size_t length =
        std::min<size_t>(wire::LoadBe16(&in[2]), in.size() - 4);
    const std::span<const uint8_t> payload = in.subspan(4, length);
    in = in.subspan(4 + length);
    eng.Tick(now, &log);
    if (msg.ParseRequest(payload) != wire::Verdict::kOk) continue;
    engine::Ingress where;
    where.interface = (ingress & 1) ? nullptr : port;
    where.ip_src = (ingress & 2) ? msg.ciaddr() : wire::Ipv4Address();
    where.src_port = (ingress & 4) ? 6767 : wire::kDhcpClientPort;
    const engine::Decision d = eng.Handle(msg, where, now, reply, &log);
    if (d.action == engine::Action::kReply) {
      FUZZ_CHECK(d.reply_size > 0 && d.reply_size <= reply.size());
      wire::DhcpMessage parsed;
      FUZZ_CHECK(parsed.Parse({reply.data(), d.reply_size}) ==
                 wire::Verdict::kOk);
      FUZZ_CHECK(parsed.op() == wire::kBootReply);
    }
    log.Clear();
    engine::CheckInvariants(eng);
  }
  return 0;
}
