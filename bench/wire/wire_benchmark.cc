// Google Benchmark suite for the wire layer: the per-packet work of a worker
// lcore, from a received frame to the fields the engine reads, and from the
// engine's decision to a frame ready for TX. The design brief (§3) targets
// at least 10 M DISCOVERs parsed and validated per second per core; the
// items_per_second column is that rate.
//
// Frames are made in setup with MessageWriter and WriteFrameHeaders, as a
// client or relay would send them (no hex blobs to keep in sync).
//
// Run: build/bench/wire/wire_benchmark [--benchmark_filter=Parse]
//      (a Release build; pin with taskset on a quiet core for stable
//      numbers).

#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "leasewire/wire/dhcp_message.h"
#include "leasewire/wire/frame.h"
#include "leasewire/wire/options.h"
#include "leasewire/wire/reply_builder.h"
#include "leasewire/wire/types.h"
#include "leasewire/wire/verdict.h"

namespace leasewire::wire {
namespace {

constexpr size_t kMaxFrameSize = 1514;

constexpr MacAddress kClientMac({0x02, 0x00, 0x00, 0x00, 0x10, 0x01});
constexpr MacAddress kRelayMac({0x02, 0x00, 0x00, 0x00, 0x00, 0x02});
constexpr MacAddress kServerMac({0x02, 0x00, 0x00, 0x00, 0x00, 0x01});
constexpr Ipv4Address kServerIp = Ipv4Address::FromOctets(192, 0, 2, 1);
constexpr Ipv4Address kRelayUplinkIp = Ipv4Address::FromOctets(10, 0, 0, 2);
constexpr Ipv4Address kGiaddr = Ipv4Address::FromOctets(198, 51, 100, 1);
constexpr Ipv4Address kOfferedIp = Ipv4Address::FromOctets(198, 51, 100, 150);

std::span<const uint8_t> Text(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Client identifier 01 + MAC (RFC 2132 §9.14), as dhclient sends with
// `send dhcp-client-identifier = hardware;` and most CPEs send by default.
std::array<uint8_t, 7> ClientId() {
  std::array<uint8_t, 7> id = {1};
  kClientMac.Store(id.data() + 1);
  return id;
}

BootpHeader RequestHeader(uint32_t xid) {
  BootpHeader h;
  h.op = kBootRequest;
  h.xid = xid;
  kClientMac.Store(h.chaddr.data());
  return h;
}

// Writes a BOOTP message with `add_options` behind headers from `spec`.
// Empty on failure.
template <typename AddOptions>
std::vector<uint8_t> BuildFrame(const FrameSpec& spec,
                                const BootpHeader& header,
                                AddOptions add_options) {
  std::vector<uint8_t> frame(kMaxFrameSize);
  const size_t offset = FrameHeaderSize(spec.nb_vlan);
  const std::span<uint8_t> payload = std::span(frame).subspan(offset);
  MessageWriter writer(payload, payload.size());
  if (!writer.Begin(header) || !add_options(writer)) return {};
  const size_t n = WriteFrameHeaders(spec, frame, writer.Finish());
  frame.resize(n);
  return frame;
}

// A DISCOVER as ISC dhclient broadcasts it when it remembers a previous
// lease: 53, 61, 50, 12, 55 (Debian's default request list), padded to 300
// octets; 342 octets on the wire.
std::vector<uint8_t> DhclientDiscoverFrame() {
  FrameSpec spec;
  spec.eth_dst = MacAddress::Broadcast();
  spec.eth_src = kClientMac;
  spec.ip_src = Ipv4Address();
  spec.ip_dst = Ipv4Address::Broadcast();
  spec.ip_ttl = 16;  // dhclient's
  spec.src_port = kDhcpClientPort;
  spec.dst_port = kDhcpServerPort;
  return BuildFrame(spec, RequestHeader(0x3903f326), [](MessageWriter& w) {
    static constexpr uint8_t kPrl[] = {1,  28, 2,  3,  15,  6, 119,
                                       12, 44, 47, 26, 121, 42};
    return w.AddUint8(option::kMessageType,
                      static_cast<uint8_t>(MessageType::kDiscover)) &&
           w.Add(option::kClientIdentifier, ClientId()) &&
           w.AddAddress(option::kRequestedAddress,
                        Ipv4Address::FromOctets(192, 0, 2, 100)) &&
           w.Add(option::kHostName, Text("laptop-17")) &&
           w.Add(option::kParameterRequestList, kPrl);
  });
}

// Sub-options 1 (circuit-id) and 2 (remote-id) of RFC 3046 §3.
constexpr uint8_t kRelayAgentInfo[] = {
    1, 12, 'e',  't',  'h',  '0',  '/',  '1', '/', '2', ':', '1', '0', '0',  //
    2, 6,  0x02, 0x00, 0x00, 0xbb, 0x00, 0x01};

FrameSpec RelayToServerSpec() {
  FrameSpec spec;
  spec.eth_dst = kServerMac;
  spec.eth_src = kRelayMac;
  spec.ip_src = kRelayUplinkIp;
  spec.ip_dst = kServerIp;
  spec.src_port = kDhcpServerPort;
  spec.dst_port = kDhcpServerPort;
  return spec;
}

BootpHeader RelayedHeader(uint32_t xid) {
  BootpHeader h = RequestHeader(xid);
  h.hops = 1;
  h.giaddr = kGiaddr;
  return h;
}

// A SELECTING REQUEST relayed by an access router (RFC 2131 §4.3.2, RFC 3046).
std::vector<uint8_t> RelayedRequestFrame() {
  return BuildFrame(
      RelayToServerSpec(), RelayedHeader(0x5a17c0de), [](MessageWriter& w) {
        static constexpr uint8_t kPrl[] = {1, 3, 6, 15, 51, 58, 59};
        return w.AddUint8(option::kMessageType,
                          static_cast<uint8_t>(MessageType::kRequest)) &&
               w.AddAddress(option::kRequestedAddress, kOfferedIp) &&
               w.AddAddress(option::kServerIdentifier, kServerIp) &&
               w.Add(option::kClientIdentifier, ClientId()) &&
               w.Add(option::kHostName, Text("cpe-0001")) &&
               w.Add(option::kParameterRequestList, kPrl) &&
               w.Add(option::kRelayAgentInfo, kRelayAgentInfo);
      });
}

// The DISCOVER that precedes it.
std::vector<uint8_t> RelayedDiscoverFrame() {
  return BuildFrame(
      RelayToServerSpec(), RelayedHeader(0x5a17c0de), [](MessageWriter& w) {
        static constexpr uint8_t kPrl[] = {1, 3, 6, 15, 51, 58, 59};
        return w.AddUint8(option::kMessageType,
                          static_cast<uint8_t>(MessageType::kDiscover)) &&
               w.Add(option::kClientIdentifier, ClientId()) &&
               w.Add(option::kHostName, Text("cpe-0001")) &&
               w.Add(option::kParameterRequestList, kPrl) &&
               w.Add(option::kRelayAgentInfo, kRelayAgentInfo);
      });
}

// Parses `frame` once outside the timing loop; false (and the benchmark
// reports an error) when the setup itself is broken.
bool ParsesOk(benchmark::State& state, std::span<const uint8_t> frame,
              ChecksumCheck check, DhcpMessage* msg) {
  FrameView view;
  if (frame.empty()) {
    state.SkipWithError("could not build the frame");
    return false;
  }
  if (ParseDhcpFrame(frame, check, &view) != Verdict::kOk ||
      msg->ParseRequest(view.udp_payload) != Verdict::kOk) {
    state.SkipWithError("the benchmark frame does not parse");
    return false;
  }
  return true;
}

// What a worker does with every DISCOVER: frame, validation, and the
// fields the engine reads first.
void ParseDiscoverLoop(benchmark::State& state, ChecksumCheck check) {
  const std::vector<uint8_t> frame = DhclientDiscoverFrame();
  DhcpMessage msg;  // a worker keeps one and re-parses into it
  if (!ParsesOk(state, frame, check, &msg)) return;
  for (auto _ : state) {
    FrameView view;
    Verdict v = ParseDhcpFrame(frame, check, &view);
    if (v == Verdict::kOk) v = msg.ParseRequest(view.udp_payload);
    benchmark::DoNotOptimize(v);
    auto type = msg.message_type();
    auto client_id = msg.client_identifier();
    auto prl = msg.parameter_request_list();
    benchmark::DoNotOptimize(type);
    benchmark::DoNotOptimize(client_id);
    benchmark::DoNotOptimize(prl);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(frame.size()));
}

void BM_ParseDiscover(benchmark::State& state) {
  ParseDiscoverLoop(state, ChecksumCheck::kVerify);
}
BENCHMARK(BM_ParseDiscover);

// RX checksum offload: the NIC already verified IPv4 and UDP.
void BM_ParseDiscoverNoChecksum(benchmark::State& state) {
  ParseDiscoverLoop(state, ChecksumCheck::kSkip);
}
BENCHMARK(BM_ParseDiscoverNoChecksum);

void BM_ParseRelayedRequest(benchmark::State& state) {
  const std::vector<uint8_t> frame = RelayedRequestFrame();
  DhcpMessage msg;
  if (!ParsesOk(state, frame, ChecksumCheck::kVerify, &msg)) return;
  if (!msg.relay_agent_info() || !msg.relay_agent_info()->circuit_id()) {
    state.SkipWithError("no circuit-id in the relayed request");
    return;
  }
  for (auto _ : state) {
    FrameView view;
    Verdict v = ParseDhcpFrame(frame, ChecksumCheck::kVerify, &view);
    if (v == Verdict::kOk) v = msg.ParseRequest(view.udp_payload);
    benchmark::DoNotOptimize(v);
    auto type = msg.message_type();
    auto requested = msg.requested_address();
    auto server_id = msg.server_identifier();
    auto client_id = msg.client_identifier();
    auto giaddr = msg.giaddr();
    auto rai = msg.relay_agent_info();
    auto circuit_id = rai ? rai->circuit_id() : std::nullopt;
    benchmark::DoNotOptimize(type);
    benchmark::DoNotOptimize(requested);
    benchmark::DoNotOptimize(server_id);
    benchmark::DoNotOptimize(client_id);
    benchmark::DoNotOptimize(giaddr);
    benchmark::DoNotOptimize(circuit_id);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(frame.size()));
}
BENCHMARK(BM_ParseRelayedRequest);

// The subnet's option set (reference configuration of ../shared/cases).
std::span<const uint8_t> ConfiguredOption(uint8_t code) {
  static constexpr uint8_t kMask[] = {255, 255, 255, 0};
  static constexpr uint8_t kRouter[] = {198, 51, 100, 1};
  static constexpr uint8_t kDns[] = {192, 0, 2, 53, 192, 0, 2, 54};
  static constexpr std::string_view kDomain = "example.net";
  switch (code) {
    case option::kSubnetMask:
      return kMask;
    case option::kRouter:
      return kRouter;
    case option::kDomainNameServer:
      return kDns;
    case option::kDomainName:
      return Text(kDomain);
    default:
      return {};
  }
}

// An OFFER to a relayed DISCOVER: 53, 54, 51/58/59, 1, 61, 3, 6, 15 and the
// echoed 82, then Ethernet/IPv4/UDP headers with the UDP checksum computed
// in software (RFC 2131 §4.1: to giaddr, port 67).
void BM_BuildOffer(benchmark::State& state) {
  const std::vector<uint8_t> request_frame = RelayedDiscoverFrame();
  DhcpMessage request;
  if (!ParsesOk(state, request_frame, ChecksumCheck::kVerify, &request)) {
    return;
  }
  static constexpr uint8_t kAlwaysSend[] = {option::kSubnetMask,
                                            option::kRouter};
  ReplyParams params;
  params.header = ReplyHeaderFor(request);
  params.header.yiaddr = kOfferedIp;
  params.type = MessageType::kOffer;
  params.server_id = kServerIp;
  params.lease_time = 3600;
  params.renewal_time = 1800;
  params.rebinding_time = 3150;
  params.always_send = kAlwaysSend;
  params.max_size = request.max_message_size() - 28;

  FrameSpec spec;
  spec.eth_dst = kRelayMac;
  spec.eth_src = kServerMac;
  spec.ip_src = kServerIp;
  spec.ip_dst = request.giaddr();
  spec.src_port = kDhcpServerPort;
  spec.dst_port = kDhcpServerPort;
  spec.udp_checksum = ChecksumCheck::kVerify;
  const size_t header_size = FrameHeaderSize(spec.nb_vlan);

  std::array<uint8_t, kMaxFrameSize> out{};
  const OptionLookup lookup = ConfiguredOption;
  auto build = [&] {
    const ReplyResult r = BuildReply(request, params, lookup,
                                     std::span(out).subspan(header_size));
    return r.size == 0 ? 0 : WriteFrameHeaders(spec, out, r.size);
  };

  // Check the reply once: complete, and it parses back.
  const size_t n = build();
  FrameView view;
  DhcpMessage reply;
  if (n == 0 ||
      ParseDhcpFrame(std::span(out).first(n), ChecksumCheck::kVerify, &view) !=
          Verdict::kOk ||
      reply.Parse(view.udp_payload) != Verdict::kOk ||
      reply.message_type() != MessageType::kOffer ||
      !reply.Has(option::kRelayAgentInfo) || !reply.Has(option::kDomainName)) {
    state.SkipWithError("the OFFER is incomplete or does not parse");
    return;
  }

  for (auto _ : state) {
    size_t size = build();
    benchmark::DoNotOptimize(size);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_BuildOffer);

}  // namespace
}  // namespace leasewire::wire

BENCHMARK_MAIN();
