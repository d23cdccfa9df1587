#include "leasewire/dataplane/dataplane.h"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <algorithm>
#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "leasewire/wire/dhcp_message.h"

namespace leasewire::dataplane {
namespace {

constexpr uint16_t kRxDescriptors = 1024;
constexpr uint16_t kTxDescriptors = 1024;
constexpr uint32_t kMempoolCache = 256;
constexpr uint16_t kMaxBurst = 64;
constexpr int kTxAttempts = 4;
// How long Stop() lets a worker wait for its last commits.
constexpr uint64_t kDrainMillis = 5000;

// Marks a held reply whose poll cycle has not submitted its mutations yet.
constexpr store::CommitTicket kUnassigned = 0;

template <typename T>
void AddArrays(T& into, const T& from) {
  for (size_t i = 0; i < into.size(); ++i) into[i] += from[i];
}

}  // namespace

WorkerCounters& WorkerCounters::operator+=(const WorkerCounters& o) {
  rx += o.rx;
  tx += o.tx;
  handed_off += o.handed_off;
  from_peers += o.from_peers;
  arp_replies += o.arp_replies;
  icmp_replies += o.icmp_replies;
  commits += o.commits;
  held += o.held;
  cycles += o.cycles;
  busy_cycles += o.busy_cycles;
  tsc += o.tsc;
  busy_tsc += o.busy_tsc;
  AddArrays(drops, o.drops);
  AddArrays(verdicts, o.verdicts);
  AddArrays(no_subnet, o.no_subnet);
  AddArrays(engine.received, o.engine.received);
  AddArrays(engine.sent, o.engine.sent);
  AddArrays(engine.reasons, o.engine.reasons);
  engine.options_dropped += o.engine.options_dropped;
  engine.expired += o.engine.expired;
  engine.offers_timed_out += o.engine.offers_timed_out;
  engine.probation_ended += o.engine.probation_ended;
  return *this;
}

// A control-plane function waiting for, or run by, a worker.
struct Dataplane::Task {
  std::function<void(WorkerAccess&)> fn;
  store::CommitTicket ticket = 0;  // of the mutations fn logged
  std::atomic<bool> done{false};
};

// One worker lcore: its engine (shard), pool, hand-off and control rings,
// TX buffers and the replies waiting for their commit.
class Dataplane::Worker final : public WorkerAccess {
 public:
  Worker(Dataplane& plane, uint16_t index, unsigned lcore)
      : plane_(plane), index_(index), lcore_(lcore) {}
  ~Worker() {
    if (control_ != nullptr) rte_ring_free(control_);
    if (handoff_ != nullptr) {
      rte_mbuf* m;
      while (rte_ring_dequeue(handoff_, reinterpret_cast<void**>(&m)) == 0) {
        rte_pktmbuf_free(m);
      }
      rte_ring_free(handoff_);
    }
    for (Held& h : held_) rte_pktmbuf_free(h.mbuf);
    for (TxBuffer& t : tx_) {
      for (uint16_t i = 0; i < t.count; ++i) rte_pktmbuf_free(t.mbufs[i]);
    }
    // The pool is freed by the Dataplane after every port stopped.
  }

  absl::Status Init(uint32_t mbufs) {
    const DataplaneOptions& o = plane_.options_;
    config_ = o.config;
    const int socket = static_cast<int>(rte_lcore_to_socket_id(lcore_));
    const std::string pool_name = absl::StrCat("lw_pool_", index_);
    pool_ = rte_pktmbuf_pool_create(pool_name.c_str(), mbufs, kMempoolCache, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (pool_ == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot create packet pool ", pool_name, " (", mbufs,
                       " mbufs): ", rte_strerror(rte_errno),
                       "; give the EAL more memory (-m) or lower "
                       "dataplane.mbufs-per-worker"));
    }
    const std::string ring_name = absl::StrCat("lw_handoff_", index_);
    handoff_ = rte_ring_create(ring_name.c_str(), o.handoff_ring_size, socket,
                               RING_F_SC_DEQ);
    if (handoff_ == nullptr) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "cannot create ring ", ring_name, ": ", rte_strerror(rte_errno)));
    }
    const std::string control_name = absl::StrCat("lw_control_", index_);
    control_ = rte_ring_create(control_name.c_str(), 64, socket,
                               RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (control_ == nullptr) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "cannot create ring ", control_name, ": ", rte_strerror(rte_errno)));
    }
    engine_ = MakeEngine();
    ports_.resize(o.ports.size());
    tx_.resize(o.ports.size());
    for (size_t p = 0; p < o.ports.size(); ++p) {
      ports_[p].identity.address = o.ports[p].interface != nullptr
                                       ? o.ports[p].interface->address
                                       : Ipv4Address();
    }
    held_.resize(o.held_capacity);
    burst_ = std::min<uint16_t>(o.burst, kMaxBurst);
    return absl::OkStatus();
  }

  // WorkerAccess.
  size_t index() const override { return index_; }
  engine::Engine* engine() override { return engine_.get(); }
  const config::Config& config() const override { return *config_; }
  WorkerCounters counters() const override {
    WorkerCounters c = counters_;
    if (engine_ != nullptr) c.engine = engine_->counters();
    return c;
  }
  lease::Seconds now() const override { return plane_.Now(); }
  engine::MutationLog& log() override { return log_; }

  // The engine for the subnets this worker owns under config_ (subnet id
  // % workers == index); null when it owns none (more workers than
  // subnets: it then only receives and hands off; an engine given no
  // subnets would serve them all).
  std::unique_ptr<engine::Engine> MakeEngine() {
    std::vector<uint32_t> owned;
    for (size_t i = 0; i < config_->subnets.size(); ++i) {
      if (plane_.OwnerOf(config_->subnets[i].id) == index_) {
        owned.push_back(static_cast<uint32_t>(i));
      }
    }
    if (owned.empty()) return nullptr;
    return std::make_unique<engine::Engine>(config_, owned, plane_.Now());
  }

  // Reload, on the worker's thread: a new engine for `config`, with the
  // leases of the old one carried over (pending offers are not). Returns
  // how many records could not be (their subnet is gone, or it shrank).
  uint64_t SwitchConfig(std::shared_ptr<const config::Config> config) {
    engine::MutationLog carried;
    if (engine_ != nullptr) {
      engine_->table().ForEach([&](lease::Slot, const lease::Lease& l) {
        if (l.state != lease::LeaseState::kOffered) {
          carried.Append(engine::MutationKind::kBind, l,
                         engine_->SubnetIdOf(l));
        }
      });
    }
    config_ = std::move(config);
    engine_ = MakeEngine();
    uint64_t dropped = 0;
    for (size_t i = 0; i < carried.size(); ++i) {
      if (engine_ == nullptr || !engine_->Restore(carried[i].lease)) {
        ++dropped;
      }
    }
    return dropped;
  }

  rte_mempool* pool() const { return pool_; }
  rte_ring* control() const { return control_; }
  rte_ring* handoff() const { return handoff_; }
  unsigned lcore() const { return lcore_; }
  void SetPortMac(size_t port, const MacAddress& mac, bool polls_rx) {
    ports_[port].identity.mac = mac;
    ports_[port].polls_rx = polls_rx;
  }
  void RequestStop() { stop_.store(true, std::memory_order_release); }

  static int Main(void* arg) {
    static_cast<Worker*>(arg)->Run();
    return 0;
  }

 private:
  struct PortState {
    PortIdentity identity;
    bool polls_rx = false;  // the port has an RX queue for this worker
  };
  struct TxBuffer {
    uint16_t count = 0;
    std::array<rte_mbuf*, 2 * kMaxBurst> mbufs{};
  };
  struct Held {
    rte_mbuf* mbuf = nullptr;
    uint16_t port = 0;
    store::CommitTicket ticket = kUnassigned;
  };

  void Run() {
    while (!stop_.load(std::memory_order_acquire)) PollOnce(true);
    // Drain: no more receiving; finish the commits of what was decided.
    const uint64_t deadline =
        rte_get_tsc_cycles() + rte_get_tsc_hz() / 1000 * kDrainMillis;
    do {
      PollOnce(false);
    } while (held_count_ > 0 && rte_get_tsc_cycles() < deadline);
    DropHeld();
  }

  void PollOnce(bool receive) {
    const uint64_t start = rte_get_tsc_cycles();
    if (last_cycle_end_ == 0) last_cycle_end_ = start;
    ++counters_.cycles;
    const lease::Seconds now = plane_.SecondsAt(start);
    if (now != last_tick_ && engine_ != nullptr) {
      engine_->Tick(now, &log_);
      last_tick_ = now;
    }
    bool busy = false;
    if (receive && held_count_ + 2u * burst_ <= held_.size()) {
      const std::vector<PortBinding>& ports = plane_.options_.ports;
      for (size_t p = 0; p < ports.size(); ++p) {
        if (!ports_[p].polls_rx) continue;
        const uint16_t n = rte_eth_rx_burst(ports[p].port_id, index_,
                                            burst_buf_.data(), burst_);
        counters_.rx += n;
        for (uint16_t i = 0; i < n; ++i) Receive(burst_buf_[i], p, now);
        busy |= n > 0;
      }
      const unsigned n = rte_ring_sc_dequeue_burst(
          handoff_, reinterpret_cast<void**>(burst_buf_.data()), burst_,
          nullptr);
      counters_.from_peers += n;
      for (unsigned i = 0; i < n; ++i) FromPeer(burst_buf_[i], now);
      busy |= n > 0;
    }
    // At most one control task a cycle: the control plane waits for it,
    // packets should not.
    Task* task = nullptr;
    bool task_logged = false;
    if (rte_ring_sc_dequeue(control_, reinterpret_cast<void**>(&task)) == 0) {
      const size_t logged = log_.size();
      task->fn(*this);
      task_logged = log_.size() != logged;
      busy = true;
    } else {
      task = nullptr;
    }
    if (!log_.empty()) {
      // Submit() takes the store's mutex once per poll cycle (never per
      // packet). Measured at 348 k leases/s through rings (docs/
      // benchmarks.md, quiet suite run): Submit, the mutex and futex
      // wake-ups are under 1 % of the worker's samples, so a lock-free
      // ring to the committer would buy nothing measurable yet.
      const store::CommitTicket ticket = plane_.options_.store->Submit(log_);
      log_.Clear();
      ++counters_.commits;
      for (size_t i = 0; i < held_count_; ++i) {
        Held& h = held_[(held_head_ + i) % held_.size()];
        if (h.ticket == kUnassigned) h.ticket = ticket;
      }
      if (task_logged) task->ticket = ticket;
      busy = true;
    }
    if (task != nullptr) task->done.store(true, std::memory_order_release);
    busy |= ReleaseHeld();
    FlushTx();
    counters_.busy_cycles += busy;
    const uint64_t end = rte_get_tsc_cycles();
    counters_.tsc += end - last_cycle_end_;
    if (busy) counters_.busy_tsc += end - start;
    last_cycle_end_ = end;
  }

  // A frame from a port.
  void Receive(rte_mbuf* m, size_t port, lease::Seconds now) {
    if (m->nb_segs != 1) {
      Discard(m, Drop::kSegmented);
      return;
    }
    const bool offloaded = (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
                               RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
                           (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) ==
                               RTE_MBUF_F_RX_L4_CKSUM_GOOD;
    const std::span<uint8_t> frame(rte_pktmbuf_mtod(m, uint8_t*),
                                   rte_pktmbuf_data_len(m));
    const Classification c = ClassifyFrame(
        frame, ports_[port].identity,
        offloaded ? wire::ChecksumCheck::kSkip : wire::ChecksumCheck::kVerify);
    switch (c.kind) {
      case FrameKind::kArpReply:
        ++counters_.arp_replies;
        Transmit(m, port);
        return;
      case FrameKind::kIcmpReply:
        ++counters_.icmp_replies;
        Transmit(m, port);
        return;
      case FrameKind::kDrop:
        if (c.drop == Drop::kNotDhcp) {
          ++counters_.verdicts[static_cast<size_t>(c.verdict)];
        }
        Discard(m, c.drop);
        return;
      case FrameKind::kDhcp:
        break;
    }
    wire::DhcpMessage msg;
    const wire::Verdict v = msg.ParseRequest(c.view.udp_payload);
    if (v != wire::Verdict::kOk) {
      ++counters_.verdicts[static_cast<size_t>(v)];
      Discard(m, Drop::kNotDhcp);
      return;
    }
    const engine::Ingress ingress = MakeIngress(c.view, port);
    const engine::SubnetChoice choice =
        engine::SelectSubnet(*config_, msg, ingress);
    if (choice.subnet == nullptr) {
      ++counters_.no_subnet[static_cast<size_t>(choice.reason)];
      rte_pktmbuf_free(m);
      return;
    }
    const size_t owner = plane_.OwnerOf(choice.subnet->id);
    if (owner != index_) {
      // The id, not the index: across a reload the owner may still serve
      // the previous config for a moment.
      m->hash.usr = choice.subnet->id;
      m->port = static_cast<uint16_t>(port);
      if (rte_ring_mp_enqueue(plane_.workers_[owner]->handoff(), m) != 0) {
        Discard(m, Drop::kHandoffFull);
        return;
      }
      ++counters_.handed_off;
      return;
    }
    Decide(m, port, c.view, msg, ingress, *choice.subnet, now);
  }

  // A DHCP request another worker received for a subnet owned here. It
  // was validated there; `port` and the subnet ride in the mbuf.
  void FromPeer(rte_mbuf* m, lease::Seconds now) {
    const std::span<uint8_t> frame(rte_pktmbuf_mtod(m, uint8_t*),
                                   rte_pktmbuf_data_len(m));
    wire::FrameView view;
    wire::DhcpMessage msg;
    if (wire::ParseEthernet(frame, &view) != wire::Verdict::kOk ||
        wire::ParseIpv4Udp(frame, wire::ChecksumCheck::kSkip, &view) !=
            wire::Verdict::kOk ||
        msg.ParseRequest(view.udp_payload) != wire::Verdict::kOk) {
      Discard(m, Drop::kNotDhcp);  // cannot happen: it parsed before
      return;
    }
    const size_t port = m->port;
    const config::Subnet* subnet = config_->FindSubnetById(m->hash.usr);
    if (subnet == nullptr || plane_.OwnerOf(subnet->id) != index_) {
      Discard(m, Drop::kConfigChanged);
      return;
    }
    Decide(m, port, view, msg, MakeIngress(view, port), *subnet, now);
  }

  engine::Ingress MakeIngress(const wire::FrameView& view, size_t port) const {
    engine::Ingress in;
    in.interface = &config_->interfaces[plane_.port_interface_[port]];
    in.eth_src = view.eth_src;
    in.ip_src = view.ip_src;
    in.ip_dst = view.ip_dst;
    in.src_port = view.src_port;
    return in;
  }

  // Runs the engine on a request this worker owns; consumes `m`.
  void Decide(rte_mbuf* m, size_t port, const wire::FrameView& view,
              const wire::DhcpMessage& msg, const engine::Ingress& ingress,
              const config::Subnet& subnet, lease::Seconds now) {
    rte_mbuf* out = rte_pktmbuf_alloc(pool_);
    if (out == nullptr) {
      Discard(m, Drop::kNoMbuf);
      return;
    }
    const size_t header = wire::FrameHeaderSize(view.nb_vlan);
    const std::span<uint8_t> frame(rte_pktmbuf_mtod(out, uint8_t*),
                                   rte_pktmbuf_tailroom(out));
    const size_t logged = log_.size();
    const engine::Decision d = engine_->Process(msg, ingress, subnet, now,
                                                frame.subspan(header), &log_);
    size_t length = 0;
    if (d.action == engine::Action::kReply) {
      length = FrameReply(view, d.route, ports_[port].identity,
                          subnet.server_id, frame, d.reply_size);
    }
    rte_pktmbuf_free(m);  // `msg` and `view` point into it: last use above
    if (length == 0) {
      rte_pktmbuf_free(out);
      return;
    }
    out->data_len = static_cast<uint16_t>(length);
    out->pkt_len = static_cast<uint32_t>(length);
    // Only an ACK that created or extended a lease waits for its commit.
    // An OFFER may carry a durable change too (a DISCOVER in another
    // subnet of this shard ends the client's binding there), but an offer
    // promises nothing: if that change is lost, the old binding simply
    // comes back after a restart.
    if (log_.size() == logged || d.reply_type != wire::MessageType::kAck) {
      Transmit(out, port);
      return;
    }
    Held& h = held_[(held_head_ + held_count_) % held_.size()];
    h = Held{out, static_cast<uint16_t>(port), kUnassigned};
    ++held_count_;
    ++counters_.held;
  }

  // Sends the held replies, oldest first, whose commit is done. Returns
  // whether any left the queue.
  bool ReleaseHeld() {
    bool any = false;
    while (held_count_ > 0) {
      Held& h = held_[held_head_];
      if (h.ticket == kUnassigned) break;
      const store::CommitState s = plane_.options_.store->Poll(h.ticket);
      if (s == store::CommitState::kPending) break;
      if (s == store::CommitState::kDone) {
        Transmit(h.mbuf, h.port);
      } else {
        Discard(h.mbuf, Drop::kCommitFailed);
      }
      h.mbuf = nullptr;
      held_head_ = (held_head_ + 1) % held_.size();
      --held_count_;
      any = true;
    }
    return any;
  }

  void DropHeld() {
    while (held_count_ > 0) {
      Discard(held_[held_head_].mbuf, Drop::kCommitFailed);
      held_[held_head_].mbuf = nullptr;
      held_head_ = (held_head_ + 1) % held_.size();
      --held_count_;
    }
  }

  void Transmit(rte_mbuf* m, size_t port) {
    TxBuffer& t = tx_[port];
    if (t.count == t.mbufs.size()) FlushPort(port);
    t.mbufs[t.count++] = m;
  }

  void FlushTx() {
    for (size_t p = 0; p < tx_.size(); ++p) {
      if (tx_[p].count > 0) FlushPort(p);
    }
  }

  void FlushPort(size_t port) {
    TxBuffer& t = tx_[port];
    const uint16_t port_id = plane_.options_.ports[port].port_id;
    uint16_t sent = 0;
    for (int attempt = 0; attempt < kTxAttempts && sent < t.count; ++attempt) {
      sent += rte_eth_tx_burst(port_id, index_, t.mbufs.data() + sent,
                               t.count - sent);
    }
    counters_.tx += sent;
    for (uint16_t i = sent; i < t.count; ++i) {
      Discard(t.mbufs[i], Drop::kTxFull);
    }
    t.count = 0;
  }

  void Discard(rte_mbuf* m, Drop why) {
    ++counters_.drops[static_cast<size_t>(why)];
    rte_pktmbuf_free(m);
  }

  Dataplane& plane_;
  const uint16_t index_;
  const unsigned lcore_;
  std::atomic<bool> stop_{false};
  std::shared_ptr<const config::Config> config_;  // what this worker serves
  rte_mempool* pool_ = nullptr;
  rte_ring* handoff_ = nullptr;
  rte_ring* control_ = nullptr;
  std::unique_ptr<engine::Engine> engine_;
  engine::MutationLog log_;
  std::vector<PortState> ports_;
  std::vector<TxBuffer> tx_;
  std::vector<Held> held_;  // ring buffer
  size_t held_head_ = 0;
  size_t held_count_ = 0;
  uint16_t burst_ = 32;
  std::array<rte_mbuf*, kMaxBurst> burst_buf_{};
  lease::Seconds last_tick_ = 0;
  uint64_t last_cycle_end_ = 0;  // TSC at the end of the previous cycle
  WorkerCounters counters_;
};

Dataplane::Dataplane(DataplaneOptions options) : options_(std::move(options)) {}

Dataplane::~Dataplane() {
  Stop();
  if (started_) {
    for (const PortBinding& p : options_.ports) rte_eth_dev_stop(p.port_id);
  }
  std::vector<rte_mempool*> pools;
  for (const auto& w : workers_) pools.push_back(w->pool());
  workers_.clear();
  for (rte_mempool* pool : pools) rte_mempool_free(pool);
}

absl::StatusOr<std::unique_ptr<Dataplane>> Dataplane::Create(
    DataplaneOptions options) {
  if (options.config == nullptr || options.store == nullptr) {
    return absl::InvalidArgumentError("dataplane needs a config and a store");
  }
  if (options.ports.empty()) {
    return absl::InvalidArgumentError("dataplane has no ports");
  }
  if (options.worker_lcores.empty()) {
    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) options.worker_lcores.push_back(lcore);
  }
  if (options.worker_lcores.empty()) {
    return absl::FailedPreconditionError(
        "the EAL has no worker lcore: give it at least two lcores");
  }
  std::unique_ptr<Dataplane> plane(new Dataplane(std::move(options)));
  absl::Status s = plane->Init();
  if (!s.ok()) return s;
  return plane;
}

absl::Status Dataplane::Init() {
  tsc_hz_ = rte_get_tsc_hz();
  tsc_origin_ = rte_get_tsc_cycles();
  const size_t n = options_.worker_lcores.size();
  // By name: the bindings may point into another snapshot of the same
  // file (leasewired merges runtime reservations into it).
  for (const PortBinding& p : options_.ports) {
    const config::Interface* own =
        p.interface == nullptr
            ? nullptr
            : options_.config->FindInterface(p.interface->name);
    if (own == nullptr) {
      return absl::InvalidArgumentError(
          "a port is bound to an interface the config does not have");
    }
    port_interface_.push_back(
        static_cast<size_t>(own - options_.config->interfaces.data()));
  }
  for (size_t w = 0; w < n; ++w) {
    workers_.push_back(std::make_unique<Worker>(*this, static_cast<uint16_t>(w),
                                                options_.worker_lcores[w]));
    absl::Status s = workers_.back()->Init(options_.mbufs_per_worker);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<Dataplane::RecoverResult> Dataplane::Recover() {
  RecoverResult result;
  const config::Config& config = *options_.config;
  absl::Status s = options_.store->Recover(
      Now(),
      [&](const engine::LeaseImage& image) {
        const config::Subnet* subnet = config.FindSubnetById(image.subnet_id);
        if (subnet == nullptr) {
          ++result.orphans;
          return;
        }
        engine::Engine* shard = workers_[OwnerOf(subnet->id)]->engine();
        if (shard != nullptr && shard->Restore(image)) {
          ++result.restored;
        } else {
          ++result.orphans;
        }
      },
      &result.store);
  if (!s.ok()) return s;
  return result;
}

absl::Status Dataplane::StartPort(size_t port_index) {
  const uint16_t port = options_.ports[port_index].port_id;
  rte_eth_dev_info info;
  int rc = rte_eth_dev_info_get(port, &info);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("port ", port, ": no device info: ", rte_strerror(-rc)));
  }
  const uint16_t workers = static_cast<uint16_t>(workers_.size());
  if (info.max_tx_queues < workers) {
    return absl::FailedPreconditionError(absl::StrCat(
        "port ", port, " (", info.driver_name, ") has ", info.max_tx_queues,
        " TX queues but ", workers,
        " workers need one each; for net_af_packet add qpairs=", workers,
        " to the device"));
  }
  const uint16_t rx_queues = std::min<uint16_t>(workers, info.max_rx_queues);
  rte_eth_conf conf{};
  if (rx_queues > 1 && info.flow_type_rss_offloads != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf =
        info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
  }
  const uint64_t checksums =
      RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
  if ((info.rx_offload_capa & checksums) == checksums) {
    conf.rxmode.offloads |= checksums;
  }
  rc = rte_eth_dev_configure(port, rx_queues, workers, &conf);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("port ", port, ": configure failed: ", rte_strerror(-rc)));
  }
  uint16_t rxd = kRxDescriptors;
  uint16_t txd = kTxDescriptors;
  rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
  const int socket = rte_eth_dev_socket_id(port);
  for (uint16_t q = 0; q < workers; ++q) {
    const unsigned socket_id = socket < 0 ? SOCKET_ID_ANY : socket;
    if (q < rx_queues) {
      rc = rte_eth_rx_queue_setup(port, q, rxd, socket_id, nullptr,
                                  workers_[q]->pool());
      if (rc != 0) {
        return absl::InternalError(absl::StrCat("port ", port, ": RX queue ", q,
                                                ": ", rte_strerror(-rc)));
      }
    }
    rc = rte_eth_tx_queue_setup(port, q, txd, socket_id, nullptr);
    if (rc != 0) {
      return absl::InternalError(absl::StrCat("port ", port, ": TX queue ", q,
                                              ": ", rte_strerror(-rc)));
    }
  }
  rc = rte_eth_dev_start(port);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("port ", port, ": start failed: ", rte_strerror(-rc)));
  }
  // Relays and clients address the server's MAC; some PMDs (af_packet)
  // do not filter anyway, so a refusal here is not an error.
  rte_eth_promiscuous_enable(port);
  rte_ether_addr mac;
  rte_eth_macaddr_get(port, &mac);
  const MacAddress ours = MacAddress::Load(mac.addr_bytes);
  for (uint16_t w = 0; w < workers; ++w) {
    workers_[w]->SetPortMac(port_index, ours, w < rx_queues);
  }
  return absl::OkStatus();
}

absl::Status Dataplane::Start() {
  if (started_) return absl::FailedPreconditionError("already started");
  for (size_t p = 0; p < options_.ports.size(); ++p) {
    absl::Status s = StartPort(p);
    if (!s.ok()) return s;
  }
  started_ = true;
  running_ = true;
  for (const auto& w : workers_) {
    const int rc = rte_eal_remote_launch(&Worker::Main, w.get(), w->lcore());
    if (rc != 0) {
      Stop();
      return absl::InternalError(
          absl::StrCat("cannot launch a worker on lcore ", w->lcore(), ": ",
                       rte_strerror(-rc)));
    }
  }
  return absl::OkStatus();
}

void Dataplane::Stop() {
  if (!running_) return;
  for (const auto& w : workers_) w->RequestStop();
  for (const auto& w : workers_) rte_eal_wait_lcore(w->lcore());
  running_ = false;
}

size_t Dataplane::workers() const { return workers_.size(); }

size_t Dataplane::OwnerOf(uint32_t subnet_id) const {
  return subnet_id % options_.worker_lcores.size();
}

unsigned Dataplane::lcore_of(size_t worker) const {
  return workers_[worker]->lcore();
}

absl::StatusOr<store::CommitTicket> Dataplane::RunOnWorker(
    size_t worker, std::function<void(WorkerAccess&)> fn,
    absl::Duration timeout) {
  if (worker >= workers_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("no worker ", worker));
  }
  // Tasks whose caller gave up waiting stay here until the worker is done
  // with them.
  std::erase_if(abandoned_, [](const std::shared_ptr<Task>& t) {
    return t->done.load(std::memory_order_acquire);
  });
  Worker& w = *workers_[worker];
  if (!running_) {
    const size_t logged = w.log().size();
    fn(w);
    if (w.log().size() == logged) return store::CommitTicket{0};
    const store::CommitTicket ticket = options_.store->Submit(w.log());
    w.log().Clear();
    return ticket;
  }
  auto task = std::make_shared<Task>();
  task->fn = std::move(fn);
  const absl::Time deadline = absl::Now() + timeout;
  while (rte_ring_sp_enqueue(w.control(), task.get()) != 0) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("worker ", worker, " has too many control tasks"));
    }
    absl::SleepFor(absl::Microseconds(100));
  }
  while (!task->done.load(std::memory_order_acquire)) {
    if (absl::Now() > deadline) {
      abandoned_.push_back(std::move(task));
      return absl::DeadlineExceededError(absl::StrCat(
          "worker ", worker, " (lcore ", w.lcore(), ") did not answer within ",
          absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Microseconds(50));
  }
  return task->ticket;
}

absl::Status Dataplane::Reload(std::shared_ptr<const config::Config> config) {
  if (!config::SameInterfaces(*options_.config, *config)) {
    return absl::FailedPreconditionError(
        "the new config changes \"interfaces\"; ports are bound at start-up: "
        "restart leasewired to change them");
  }
  uint64_t dropped = 0;
  for (size_t w = 0; w < workers_.size(); ++w) {
    Worker* worker = workers_[w].get();
    absl::StatusOr<store::CommitTicket> done = RunOnWorker(
        w,
        [&dropped, worker, config](WorkerAccess&) {
          dropped += worker->SwitchConfig(config);
        },
        absl::Seconds(60));
    if (!done.ok()) {
      return absl::InternalError(
          absl::StrCat("reload incomplete, workers before ", w,
                       " serve the new config: ", done.status().message()));
    }
  }
  options_.config = std::move(config);
  last_reload_dropped_ = dropped;
  return absl::OkStatus();
}

WorkerCounters Dataplane::counters(size_t worker) const {
  return workers_[worker]->counters();
}

WorkerCounters Dataplane::TotalCounters() const {
  WorkerCounters total;
  for (const auto& w : workers_) total += w->counters();
  return total;
}

lease::Seconds Dataplane::Now() const {
  return SecondsAt(rte_get_tsc_cycles());
}

lease::Seconds Dataplane::SecondsAt(uint64_t tsc) const {
  return static_cast<lease::Seconds>((tsc - tsc_origin_) / tsc_hz_);
}

}  // namespace leasewire::dataplane
