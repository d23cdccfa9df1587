#include "generator.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "leasewire/dataplane/packet_path.h"
#include "leasewire/wire/options.h"
#include "leasewire/wire/reply_builder.h"

namespace leasewire::loadgen {
namespace {

using wire::MessageType;

double ThreadCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}
namespace option = wire::option;

constexpr size_t kHeader = wire::FrameHeaderSize(0);
// Per client at most this many timer entries are live at once; the FIFO
// never needs more than every transmission of the run.
constexpr uint64_t kMaxTimers = uint64_t{1} << 24;
constexpr uint64_t kMinTimers = 1024;

// A different xid for every exchange of every client (a bijective mix of
// the index and the exchange number), so late replies to an earlier
// exchange are recognised as such.
uint32_t MakeXid(uint32_t index, uint32_t exchange) {
  uint32_t x = index * 0x9e3779b1u ^ exchange * 0x85ebca77u;
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  return x;
}

}  // namespace

int RelayLayout::PrefixLength() const { return 32 - std::countr_zero(step); }

RelayLayout RelayLayout::For(uint32_t clients, uint32_t relays,
                             Ipv4Address base) {
  RelayLayout l;
  l.relays = std::max<uint32_t>(relays, 1);
  l.base = base;
  // Room for the relay's clients above the 10 low addresses the server
  // config keeps out of the pool, and the broadcast address.
  const uint64_t per = (uint64_t{clients} + l.relays - 1) / l.relays + 16;
  l.step = static_cast<uint32_t>(std::max<uint64_t>(256, std::bit_ceil(per)));
  return l;
}

Generator::Generator(const GeneratorOptions& options) : options_(options) {}

Generator::~Generator() {
  for (TxQueue& q : tx_) {
    for (uint16_t i = 0; i < q.count; ++i) rte_pktmbuf_free(q.mbufs[i]);
  }
  for (uint16_t i = 0; i < stash_count_; ++i) rte_pktmbuf_free(stash_[i]);
}

absl::StatusOr<std::unique_ptr<Generator>> Generator::Create(
    const GeneratorOptions& options) {
  std::unique_ptr<Generator> g(new Generator(options));
  absl::Status s = g->Init();
  if (!s.ok()) return s;
  return g;
}

absl::Status Generator::Init() {
  const GeneratorOptions& o = options_;
  if (o.clients == 0) return absl::InvalidArgumentError("no clients");
  if (o.pool == nullptr) return absl::InvalidArgumentError("no packet pool");
  if (o.rate <= 0 && o.window == 0) {
    return absl::InvalidArgumentError("give a window or a rate");
  }
  if (o.layout.step < 256 || !std::has_single_bit(o.layout.step)) {
    return absl::InvalidArgumentError("relay step must be a power of two");
  }
  if (o.tx_queues == 0 || o.rx_queues == 0) {
    return absl::InvalidArgumentError("no queues");
  }
  options_.burst = std::clamp<uint16_t>(o.burst, 1, 64);
  clients_.assign(o.clients, Client{});
  const uint64_t sends = uint64_t{o.clients} * (2 + o.renewals) *
                         (o.retries + 1) * (o.retries + 1);
  const uint64_t cap =
      std::bit_ceil(std::clamp<uint64_t>(sends, kMinTimers, kMaxTimers));
  timers_.assign(cap, 0);
  timer_mask_ = cap - 1;
  for (int k = 0; k < static_cast<int>(Kind::kCount); ++k) {
    BuildTemplate(static_cast<Kind>(k));
  }
  relay_specs_.resize(o.layout.relays);
  for (uint32_t r = 0; r < o.layout.relays; ++r) {
    wire::FrameSpec& s = relay_specs_[r];
    s.eth_dst = o.server_mac;
    s.eth_src = o.port_mac;
    s.ip_src = o.layout.Giaddr(r);
    s.ip_dst = o.server_ip;
    // RFC 2131 §4.1: relay agents send from, and to, the server port.
    s.src_port = wire::kDhcpServerPort;
    s.dst_port = wire::kDhcpServerPort;
    s.udp_checksum = o.udp_checksum ? wire::ChecksumCheck::kVerify
                                    : wire::ChecksumCheck::kSkip;
  }
  tx_.resize(o.tx_queues);
  return absl::OkStatus();
}

// Lays out one request with MessageWriter; per-client fields are zero
// here and patched in Send().
void Generator::BuildTemplate(Kind kind) {
  Template& t = templates_[static_cast<size_t>(kind)];
  wire::BootpHeader h;
  h.op = wire::kBootRequest;
  h.hops = 1;  // one relay agent on the way (RFC 1542 §4.1.1)
  wire::MessageWriter w(t.payload, t.payload.size());
  w.Begin(h);
  MessageType type = MessageType::kDiscover;
  if (kind == Kind::kRequest || kind == Kind::kRenew) {
    type = MessageType::kRequest;
  }
  if (kind == Kind::kRelease) type = MessageType::kRelease;
  // Option 53 first: the bare loop reads it at a fixed place.
  w.AddUint8(option::kMessageType, static_cast<uint8_t>(type));
  const uint8_t client_id[7] = {wire::kHtypeEthernet, 0, 0, 0, 0, 0, 0};
  t.client_id = static_cast<uint16_t>(w.size() + 3);
  w.Add(option::kClientIdentifier, client_id);
  // RFC 2131 Table 5: 50 and 54 only while SELECTING; RELEASE names the
  // server; a renewal carries neither (ciaddr says it all).
  if (kind == Kind::kRequest) {
    t.requested = static_cast<uint16_t>(w.size() + 2);
    w.AddAddress(option::kRequestedAddress, Ipv4Address());
  }
  if (kind == Kind::kRequest || kind == Kind::kRelease) {
    t.server_id = static_cast<uint16_t>(w.size() + 2);
    w.AddAddress(option::kServerIdentifier, Ipv4Address());
  }
  if (kind != Kind::kRelease) {
    static constexpr uint8_t kRequestList[] = {
        option::kSubnetMask,  option::kRouter,       option::kDomainNameServer,
        option::kDomainName,  option::kLeaseTime,    option::kServerIdentifier,
        option::kRenewalTime, option::kRebindingTime};
    w.Add(option::kParameterRequestList, kRequestList);
  }
  // Option 82 last, as a relay appends it (RFC 3046 §2.1): circuit-id =
  // relay number and access port, remote-id = "LW" and the client index.
  uint8_t agent[16] = {wire::relay::kCircuitId, 6, 0,   0,   0, 0, 0, 0,
                       wire::relay::kRemoteId,  6, 'L', 'W', 0, 0, 0, 0};
  t.circuit_id = static_cast<uint16_t>(w.size() + 2 + 2);
  t.remote_id = static_cast<uint16_t>(w.size() + 2 + 8 + 2);
  w.Add(option::kRelayAgentInfo, agent);
  t.size = static_cast<uint16_t>(w.Finish());
}

int Generator::Main(void* arg) {
  static_cast<Generator*>(arg)->Run();
  return 0;
}

void Generator::Run() {
  const uint64_t hz = rte_get_tsc_hz();
  results_.tsc_hz = hz;
  const double cpu_start = ThreadCpuSeconds();
  timeout_tsc_ = static_cast<uint64_t>(options_.timeout_ms * 1e-3 * hz);
  start_tsc_ = rte_rdtsc();
  last_done_tsc_ = start_tsc_;
  const uint64_t deadline =
      start_tsc_ + static_cast<uint64_t>(options_.duration_s * hz);
  const uint64_t publish_every = hz / 1000;
  uint64_t next_publish = start_tsc_;
  uint64_t busy_tsc = 0;
  uint64_t now = start_tsc_;
  while (!stop_.load(std::memory_order_relaxed)) {
    if (finished_ == options_.clients) break;
    if (now >= deadline) {
      results_.hit_duration = true;
      break;
    }
    const bool worked = Poll(now);
    const uint64_t after = rte_rdtsc();
    if (worked) {
      busy_tsc += after - now;
    } else if (options_.yield_when_idle) {
      sched_yield();
    }
    now = after;
    if (now >= next_publish) {
      Publish();
      next_publish = now + publish_every;
    }
  }
  results_.busy = static_cast<double>(busy_tsc) /
                  static_cast<double>(std::max<uint64_t>(1, now - start_tsc_));
  results_.cpu_s = ThreadCpuSeconds() - cpu_start;
  results_.wall_s =
      static_cast<double>(now - start_tsc_) / static_cast<double>(hz);
  Flush();
  results_.outstanding = in_flight_;
  results_.elapsed_s = static_cast<double>(last_done_tsc_ - start_tsc_) /
                       static_cast<double>(hz);
  CheckDuplicates();
  Publish();
  progress_.finished.store(true, std::memory_order_release);
}

bool Generator::Poll(uint64_t now) {
  const uint64_t tx_before = results_.tx_frames;
  const uint64_t rx_before = results_.rx_frames;
  std::array<rte_mbuf*, 64> rx;
  std::array<rte_mbuf*, 64> to_free;
  for (uint16_t q = 0; q < options_.rx_queues; ++q) {
    const uint16_t want =
        static_cast<uint16_t>(std::min<uint32_t>(options_.burst, Room()));
    if (want == 0) break;
    const uint16_t n = rte_eth_rx_burst(options_.port_id, q, rx.data(), want);
    results_.rx_frames += n;
    uint16_t n_free = 0;
    for (uint16_t i = 0; i < n; ++i) {
      HandleFrame(rx[i], now, to_free.data(), &n_free);
    }
    if (n_free > 0) rte_pktmbuf_free_bulk(to_free.data(), n_free);
  }
  ExpireTimers(now, Room());
  uint32_t room = std::min<uint32_t>(Room(), options_.burst);
  if (options_.rate > 0) {
    const double due = static_cast<double>(now - start_tsc_) * options_.rate /
                       static_cast<double>(results_.tsc_hz);
    const uint64_t target =
        std::min<uint64_t>(options_.clients, static_cast<uint64_t>(due) + 1);
    while (next_client_ < target && room > 0) {
      Begin(next_client_++, now);
      --room;
    }
  } else {
    while (in_flight_ < options_.window && next_client_ < options_.clients &&
           room > 0) {
      Begin(next_client_++, now);
      --room;
    }
  }
  Flush();
  return results_.tx_frames != tx_before || results_.rx_frames != rx_before;
}

void Generator::HandleFrame(rte_mbuf* m, uint64_t now, rte_mbuf** to_free,
                            uint16_t* n_free) {
  const std::span<const uint8_t> frame(rte_pktmbuf_mtod(m, const uint8_t*),
                                       rte_pktmbuf_data_len(m));
  wire::FrameView view;
  if (wire::ParseEthernet(frame, &view) != wire::Verdict::kOk) {
    ++results_.other_frames;
  } else if (view.ether_type == wire::kEtherTypeArp) {
    if (options_.answer_arp && HandleArp(m, view)) return;  // sent back
    ++results_.other_frames;
  } else if (view.ether_type != wire::kEtherTypeIpv4 ||
             frame.size() < view.l3_offset + wire::kIpv4HeaderSize ||
             frame[view.l3_offset + 9] != wire::kIpProtoUdp) {
    ++results_.other_frames;
  } else if (wire::ParseIpv4Udp(frame,
                                options_.verify_checksums
                                    ? wire::ChecksumCheck::kVerify
                                    : wire::ChecksumCheck::kSkip,
                                &view) != wire::Verdict::kOk) {
    ++results_.bad_frames;
  } else if (view.dst_port != wire::kDhcpServerPort &&
             view.dst_port != wire::kDhcpClientPort) {
    ++results_.other_frames;
  } else if (msg_.Parse(view.udp_payload) != wire::Verdict::kOk) {
    ++results_.bad_frames;
  } else if (msg_.op() != wire::kBootReply) {
    ++results_.other_frames;  // a request: our own, seen on a shared link
  } else {
    results_.rx_bytes += frame.size();
    HandleReply(msg_, now);
  }
  to_free[(*n_free)++] = m;
}

bool Generator::HandleArp(rte_mbuf* m, const wire::FrameView& view) {
  // ARP for IPv4 over Ethernet: the target protocol address at +24.
  const size_t at = view.l3_offset + 24;
  if (rte_pktmbuf_data_len(m) < at + 4) return false;
  uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
  const Ipv4Address target = Ipv4Address::Load(frame + at);
  if (!options_.layout.IsGiaddr(target)) return false;
  // The data plane's own ARP responder, with the relay as "our" address.
  const dataplane::Classification c = dataplane::ClassifyFrame(
      {frame, rte_pktmbuf_data_len(m)},
      dataplane::PortIdentity{options_.port_mac, target},
      wire::ChecksumCheck::kSkip);
  if (c.kind != dataplane::FrameKind::kArpReply) return false;
  TxQueue& q = tx_[0];
  if (q.count == q.mbufs.size()) return false;
  q.mbufs[q.count++] = m;
  ++results_.arp_replies;
  return true;
}

void Generator::HandleReply(const wire::DhcpMessage& msg, uint64_t now) {
  const std::span<const uint8_t> chaddr = msg.chaddr_field();
  if (msg.hlen() != 6 || chaddr[0] != 0x02 ||
      chaddr[1] != options_.client_tag) {
    ++results_.other_frames;
    return;
  }
  const uint32_t index = wire::LoadBe32(&chaddr[2]);
  if (index >= options_.clients) {
    ++results_.other_frames;
    return;
  }
  Client& c = clients_[index];
  if (msg.xid() != c.xid) {
    ++results_.unexpected;
    return;
  }
  const std::optional<MessageType> type = msg.message_type();
  const bool validate = options_.validate;
  switch (c.state) {
    case State::kSelecting: {
      if (validate && (type != MessageType::kOffer || msg.yiaddr().IsZero())) {
        ++results_.unexpected;
        return;
      }
      c.yiaddr = msg.yiaddr().value();
      const std::optional<Ipv4Address> sid = msg.server_identifier();
      c.server_id = sid ? sid->value() : options_.server_ip.value();
      c.state = State::kRequesting;
      c.tries = 0;
      Send(index, Kind::kRequest, now);
      return;
    }
    case State::kRequesting:
    case State::kRenewing: {
      if (validate && type == MessageType::kNak) {
        ++results_.naks;
        if (c.restarts >= options_.retries) {
          Finish(c, State::kFailed, now);
          return;
        }
        // RFC 2131 §4.4.4: back to INIT, a new DISCOVER.
        ++c.restarts;
        BeginExchange(c, index, State::kSelecting, Kind::kDiscover, now);
        return;
      }
      if (validate && type != MessageType::kAck) {
        ++results_.unexpected;  // e.g. an OFFER to a retransmission
        return;
      }
      if (validate && msg.yiaddr().value() != c.yiaddr) {
        ++results_.mismatched;
      }
      c.yiaddr = msg.yiaddr().value();
      if (c.state == State::kRequesting) {
        ++results_.leases;
        results_.lease_latency.Record(now - c.start_tsc);
      } else {
        ++results_.renewals;
        results_.renew_latency.Record(now - c.start_tsc);
      }
      last_done_tsc_ = now;
      AfterAck(c, index, now);
      return;
    }
    default:
      ++results_.unexpected;  // the client is done or failed
      return;
  }
}

void Generator::Begin(uint32_t index, uint64_t now) {
  ++results_.started;
  ++in_flight_;
  BeginExchange(clients_[index], index, State::kSelecting, Kind::kDiscover,
                now);
}

void Generator::BeginExchange(Client& c, uint32_t index, State state, Kind kind,
                              uint64_t now) {
  ++c.exchanges;
  c.xid = MakeXid(index, c.exchanges);
  c.state = state;
  c.start_tsc = now;
  c.tries = 0;
  Send(index, kind, now);
}

void Generator::AfterAck(Client& c, uint32_t index, uint64_t now) {
  if (c.renewed < options_.renewals) {
    ++c.renewed;
    BeginExchange(c, index, State::kRenewing, Kind::kRenew, now);
    return;
  }
  if (options_.release) {
    Send(index, Kind::kRelease, now);
    ++results_.releases;
  }
  Finish(c, State::kDone, now);
}

void Generator::Finish(Client& c, State state, uint64_t now) {
  c.state = state;
  --in_flight_;
  ++finished_;
  if (state == State::kDone) {
    ++results_.done;
  } else {
    ++results_.failed;
  }
  last_done_tsc_ = now;
}

void Generator::Send(uint32_t index, Kind kind, uint64_t now) {
  Client& c = clients_[index];
  const uint32_t relay = index % options_.layout.relays;
  TxQueue& q = tx_[relay % options_.tx_queues];
  if (q.count == q.mbufs.size()) Flush();
  if (stash_count_ == 0) {
    if (rte_pktmbuf_alloc_bulk(options_.pool, stash_.data(),
                               static_cast<unsigned>(stash_.size())) == 0) {
      stash_count_ = static_cast<uint16_t>(stash_.size());
    }
  }
  c.txn++;
  c.sent_tsc = now;
  c.tries++;
  if (kind != Kind::kRelease) {
    // The timeout covers this transmission even if it cannot leave now.
    if (timer_tail_ - timer_head_ <= timer_mask_) {
      timers_[timer_tail_++ & timer_mask_] =
          (uint64_t{index} << 32) | uint64_t{c.txn};
    } else {
      ++results_.untimed;
    }
  }
  if (stash_count_ == 0 || q.count == q.mbufs.size()) {
    ++results_.tx_dropped;  // the timeout sends it again
    return;
  }
  rte_mbuf* m = stash_[--stash_count_];
  const size_t length = WriteRequest(
      c, index, kind, rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m));
  m->data_len = static_cast<uint16_t>(length);
  m->pkt_len = static_cast<uint32_t>(length);
  q.mbufs[q.count++] = m;
}

size_t Generator::WriteRequest(const Client& c, uint32_t index, Kind kind,
                               uint8_t* frame, size_t room) const {
  const uint32_t relay = index % options_.layout.relays;
  const Template& t = templates_[static_cast<size_t>(kind)];
  uint8_t* p = frame + kHeader;
  std::memcpy(p, t.payload.data(), t.size);
  wire::StoreBe32(p + 4, c.xid);
  const Ipv4Address giaddr = options_.layout.Giaddr(relay);
  giaddr.Store(p + 24);
  uint8_t* mac = p + wire::kChaddrOffset;
  mac[0] = 0x02;
  mac[1] = options_.client_tag;
  wire::StoreBe32(mac + 2, index);
  std::memcpy(p + t.client_id, mac, 6);
  wire::StoreBe16(p + t.circuit_id, static_cast<uint16_t>(relay));
  wire::StoreBe32(p + t.circuit_id + 2, index / options_.layout.relays);
  wire::StoreBe32(p + t.remote_id + 2, index);
  if (t.requested != 0) wire::StoreBe32(p + t.requested, c.yiaddr);
  if (t.server_id != 0) wire::StoreBe32(p + t.server_id, c.server_id);
  if (kind == Kind::kRenew || kind == Kind::kRelease) {
    wire::StoreBe32(p + 12, c.yiaddr);  // ciaddr
  }
  return wire::WriteFrameHeaders(relay_specs_[relay], {frame, room}, t.size);
}

std::vector<uint8_t> Generator::SampleRequest(uint32_t index,
                                              Ipv4Address offered,
                                              Ipv4Address server) const {
  Client c{};
  c.xid = MakeXid(index, 1);
  c.yiaddr = offered.value();
  c.server_id = server.value();
  std::vector<uint8_t> frame(2048);
  frame.resize(WriteRequest(c, index,
                            offered.IsZero() ? Kind::kDiscover : Kind::kRequest,
                            frame.data(), frame.size()));
  return frame;
}

void Generator::ExpireTimers(uint64_t now, uint32_t budget) {
  while (timer_head_ != timer_tail_ && budget > 0) {
    const uint64_t e = timers_[timer_head_ & timer_mask_];
    const uint32_t index = static_cast<uint32_t>(e >> 32);
    Client& c = clients_[index];
    const bool waiting = c.state == State::kSelecting ||
                         c.state == State::kRequesting ||
                         c.state == State::kRenewing;
    if (!waiting || c.txn != static_cast<uint32_t>(e)) {
      ++timer_head_;  // answered since, or sent again
      continue;
    }
    // Entries are in send order: the rest are younger.
    if (now - c.sent_tsc < timeout_tsc_) break;
    ++timer_head_;
    ++results_.timeouts;
    if (c.tries > options_.retries) {
      Finish(c, State::kFailed, now);
      continue;
    }
    ++results_.retransmits;
    --budget;
    const Kind kind = c.state == State::kSelecting    ? Kind::kDiscover
                      : c.state == State::kRequesting ? Kind::kRequest
                                                      : Kind::kRenew;
    Send(index, kind, now);
  }
}

void Generator::Flush() {
  for (uint16_t qi = 0; qi < tx_.size(); ++qi) {
    TxQueue& q = tx_[qi];
    if (q.count == 0) continue;
    const uint16_t sent =
        rte_eth_tx_burst(options_.port_id, qi, q.mbufs.data(), q.count);
    results_.tx_frames += sent;
    if (sent < q.count) {
      ++results_.tx_stalls;
      std::memmove(q.mbufs.data(), q.mbufs.data() + sent,
                   (q.count - sent) * sizeof(rte_mbuf*));
    }
    q.count = static_cast<uint16_t>(q.count - sent);
  }
}

uint32_t Generator::Room() const {
  uint32_t room = UINT32_MAX;
  for (const TxQueue& q : tx_) {
    room = std::min<uint32_t>(room,
                              static_cast<uint32_t>(q.mbufs.size()) - q.count);
  }
  return room;
}

void Generator::Publish() {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  progress_.started.store(results_.started, kRelaxed);
  progress_.leases.store(results_.leases, kRelaxed);
  progress_.renewals.store(results_.renewals, kRelaxed);
  progress_.timeouts.store(results_.timeouts, kRelaxed);
  progress_.naks.store(results_.naks, kRelaxed);
  progress_.failed.store(results_.failed, kRelaxed);
  progress_.outstanding.store(in_flight_, kRelaxed);
}

// Two clients holding one address at once is the failure a lease server
// must never show. Only meaningful without RELEASE (a released address
// may rightly go to the next client).
void Generator::CheckDuplicates() {
  if (!options_.validate || options_.release) return;
  std::vector<uint32_t> bound;
  bound.reserve(results_.done);
  for (const Client& c : clients_) {
    if (c.state == State::kDone) bound.push_back(c.yiaddr);
  }
  std::sort(bound.begin(), bound.end());
  for (size_t i = 1; i < bound.size(); ++i) {
    results_.duplicates += bound[i] == bound[i - 1];
  }
}

}  // namespace leasewire::loadgen
