#include "bare_loop.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "leasewire/dataplane/packet_path.h"
#include "leasewire/engine/engine.h"
#include "leasewire/engine/mutation.h"
#include "leasewire/wire/dhcp_message.h"
#include "leasewire/wire/frame.h"

namespace leasewire::loadgen {
namespace {

constexpr size_t kHeader = wire::FrameHeaderSize(0);
constexpr size_t kXid = kHeader + 4;
constexpr size_t kChaddr = kHeader + wire::kChaddrOffset;
// The value of option 53, which the generator always puts first.
constexpr size_t kMessageType = kHeader + wire::kOptionsOffset + 2;
constexpr size_t kUdpChecksum =
    wire::kEthernetHeaderSize + wire::kIpv4HeaderSize + 6;
constexpr uint16_t kBurst = 32;

double ThreadCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// One request through the engine; the framed reply.
absl::StatusOr<std::vector<uint8_t>> Answer(engine::Engine& engine,
                                            const config::Config& config,
                                            const std::vector<uint8_t>& request,
                                            wire::MacAddress server_mac,
                                            wire::DhcpMessage* reply) {
  wire::FrameView view;
  wire::DhcpMessage msg;
  if (wire::ParseDhcpFrame(request, wire::ChecksumCheck::kVerify, &view) !=
          wire::Verdict::kOk ||
      msg.ParseRequest(view.udp_payload) != wire::Verdict::kOk) {
    return absl::InternalError("the generator's request does not parse");
  }
  engine::Ingress in;
  in.interface = &config.interfaces[0];
  in.eth_src = view.eth_src;
  in.ip_src = view.ip_src;
  in.ip_dst = view.ip_dst;
  in.src_port = view.src_port;
  const engine::SubnetChoice choice = engine::SelectSubnet(config, msg, in);
  if (choice.subnet == nullptr) {
    return absl::FailedPreconditionError(
        "the config has no subnet for the first relay's giaddr");
  }
  std::vector<uint8_t> out(2048);
  engine::MutationLog log;
  const engine::Decision d = engine.Process(
      msg, in, *choice.subnet, 0, std::span(out).subspan(kHeader), &log);
  if (d.action != engine::Action::kReply) {
    return absl::FailedPreconditionError(
        std::string("the engine did not answer: ") +
        std::string(engine::ReasonName(d.reason)));
  }
  const size_t length = dataplane::FrameReply(
      view, d.route,
      dataplane::PortIdentity{server_mac, config.interfaces[0].address},
      choice.subnet->server_id, out, d.reply_size);
  if (length == 0) return absl::InternalError("reply does not fit");
  out.resize(length);
  out[kUdpChecksum] = 0;
  out[kUdpChecksum + 1] = 0;
  wire::FrameView rv;
  if (wire::ParseEthernet(out, &rv) != wire::Verdict::kOk ||
      wire::ParseIpv4Udp(out, wire::ChecksumCheck::kVerify, &rv) !=
          wire::Verdict::kOk ||
      reply->Parse(rv.udp_payload) != wire::Verdict::kOk) {
    return absl::InternalError("the engine's reply does not parse");
  }
  return out;
}

}  // namespace

absl::StatusOr<CannedReplies> MakeCannedReplies(
    std::shared_ptr<const config::Config> config,
    const std::vector<uint8_t>& discover,
    const std::function<std::vector<uint8_t>(wire::Ipv4Address,
                                             wire::Ipv4Address)>& make_request,
    wire::MacAddress server_mac) {
  engine::Engine engine(config, {}, 0);
  CannedReplies r;
  wire::DhcpMessage offer;
  absl::StatusOr<std::vector<uint8_t>> o =
      Answer(engine, *config, discover, server_mac, &offer);
  if (!o.ok()) return o.status();
  r.offer = *std::move(o);
  const std::optional<wire::Ipv4Address> sid = offer.server_identifier();
  wire::DhcpMessage ack;
  absl::StatusOr<std::vector<uint8_t>> a =
      Answer(engine, *config,
             make_request(offer.yiaddr(), sid ? *sid : wire::Ipv4Address()),
             server_mac, &ack);
  if (!a.ok()) return a.status();
  if (ack.message_type() != wire::MessageType::kAck) {
    return absl::InternalError("the engine did not ACK the first REQUEST");
  }
  r.ack = *std::move(a);
  return r;
}

BareLoop::BareLoop(uint16_t port_id, rte_mempool* pool, CannedReplies replies)
    : port_id_(port_id), pool_(pool), replies_(std::move(replies)) {}

int BareLoop::Main(void* arg) {
  static_cast<BareLoop*>(arg)->Run();
  return 0;
}

void BareLoop::Run() {
  std::array<rte_mbuf*, kBurst> in;
  std::array<rte_mbuf*, kBurst> out;
  const uint64_t start = rte_rdtsc();
  const double cpu_start = ThreadCpuSeconds();
  uint64_t busy = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    const uint64_t t0 = rte_rdtsc();
    const uint16_t n = rte_eth_rx_burst(port_id_, 0, in.data(), kBurst);
    if (n == 0) continue;
    Answer(in.data(), out.data(), n);
    busy += rte_rdtsc() - t0;
  }
  const uint64_t wall = std::max<uint64_t>(1, rte_rdtsc() - start);
  busy_ = static_cast<double>(busy) / static_cast<double>(wall);
  cpu_s_ = ThreadCpuSeconds() - cpu_start;
  wall_s_ = static_cast<double>(wall) / static_cast<double>(rte_get_tsc_hz());
}

void BareLoop::Answer(rte_mbuf** in, rte_mbuf** out, uint16_t n) {
  rx_ += n;
  if (rte_pktmbuf_alloc_bulk(pool_, out, n) != 0) {
    dropped_ += n;
    rte_pktmbuf_free_bulk(in, n);
    return;
  }
  for (uint16_t i = 0; i < n; ++i) {
    const uint8_t* req = rte_pktmbuf_mtod(in[i], const uint8_t*);
    const std::vector<uint8_t>& canned =
        rte_pktmbuf_data_len(in[i]) > kMessageType &&
                req[kMessageType] ==
                    static_cast<uint8_t>(wire::MessageType::kDiscover)
            ? replies_.offer
            : replies_.ack;
    uint8_t* p = rte_pktmbuf_mtod(out[i], uint8_t*);
    std::memcpy(p, canned.data(), canned.size());
    std::memcpy(p + kXid, req + kXid, 4);
    std::memcpy(p + kChaddr, req + kChaddr, wire::kChaddrSize);
    out[i]->data_len = static_cast<uint16_t>(canned.size());
    out[i]->pkt_len = static_cast<uint32_t>(canned.size());
  }
  rte_pktmbuf_free_bulk(in, n);
  uint16_t sent = 0;
  for (int attempt = 0; attempt < 4 && sent < n; ++attempt) {
    sent += rte_eth_tx_burst(port_id_, 0, out + sent, n - sent);
  }
  tx_ += sent;
  if (sent < n) {
    dropped_ += n - sent;
    rte_pktmbuf_free_bulk(out + sent, n - sent);
  }
}

}  // namespace leasewire::loadgen
