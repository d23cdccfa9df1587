// File: tools/loadgen/generator.h
//
// The DHCP client and relay simulator of lw-loadgen. N clients sit behind
// M relay agents: relay r has giaddr RelayLayout::Giaddr(r), and every
// client's requests carry that giaddr and option 82 (circuit-id and
// remote-id of the client's access port). A client runs
//
//   DISCOVER -> OFFER -> REQUEST -> ACK   (one "lease": latency measured
//                                          from the first DISCOVER to the ACK)
//   [REQUEST with ciaddr -> ACK] x renewals
//   [RELEASE]
//
// one exchange at a time; a message without an answer within the timeout
// is sent again (same xid) up to `retries` times, then the client fails.
// Closed loop keeps `window` clients in flight; open loop starts `rate`
// new clients per second. The run ends when every client is done or
// failed, at `duration`, or on RequestStop().
//
// The hot loop (Run) never allocates, locks or logs: frames are copied
// from prebuilt templates and patched per client, client state lives in
// one flat array, pending timeouts in a FIFO sized up front.
//
// Thread safety: Run() on one lcore; progress() and RequestStop() from any
// thread; results() after Run() returned.

#ifndef LEASEWIRE_TOOLS_LOADGEN_GENERATOR_H_
#define LEASEWIRE_TOOLS_LOADGEN_GENERATOR_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "histogram.h"
#include "leasewire/wire/dhcp_message.h"
#include "leasewire/wire/frame.h"
#include "leasewire/wire/types.h"

struct rte_mbuf;
struct rte_mempool;

namespace leasewire::loadgen {

using wire::Ipv4Address;
using wire::MacAddress;

// Where the relays and their client subnets are: relay r serves the
// block [base + r * step, base + (r + 1) * step) and relays from its
// first host address.
struct RelayLayout {
  uint32_t relays = 1;
  Ipv4Address base = Ipv4Address::FromOctets(10, 0, 0, 0);
  uint32_t step = 0;  // a power of two, >= 256

  Ipv4Address Subnet(uint32_t r) const {
    return Ipv4Address(base.value() + r * step);
  }
  Ipv4Address Giaddr(uint32_t r) const {
    return Ipv4Address(base.value() + r * step + 1);
  }
  int PrefixLength() const;
  // Whether `a` is one of the relays' giaddrs.
  bool IsGiaddr(Ipv4Address a) const {
    const uint32_t off = a.value() - base.value();
    return a.value() >= base.value() && off / step < relays && off % step == 1;
  }
  // The smallest layout with room for `clients` spread over `relays`,
  // and the pool margin the server config leaves (10 low addresses).
  static RelayLayout For(uint32_t clients, uint32_t relays, Ipv4Address base);
};

struct GeneratorOptions {
  uint32_t clients = 1000;
  RelayLayout layout;
  Ipv4Address server_ip;
  MacAddress server_mac;
  MacAddress port_mac;        // source MAC of every relay
  uint8_t client_tag = 0x4c;  // chaddr is 02:TAG:<client index, 4 octets>
  uint32_t window = 256;      // closed loop: exchanges in flight
  double rate = 0;            // open loop when > 0: new clients per second
  uint32_t renewals = 0;      // per client, after its lease
  bool release = false;       // RELEASE after the last ACK
  double timeout_ms = 1000;
  uint32_t retries = 3;
  double duration_s = 60;
  // false (bare loop): any reply with the right xid completes the step.
  bool validate = true;
  bool verify_checksums = true;
  bool udp_checksum = true;  // compute it on requests (else 0)
  bool answer_arp = false;   // for the relay addresses (kernel servers)
  // sched_yield() after a poll that found nothing, so that threads
  // sharing the generator's CPU (the store's committer in --target ring)
  // run at once instead of at the end of the generator's time slice.
  bool yield_when_idle = false;
  uint16_t port_id = 0;
  uint16_t rx_queues = 1;
  uint16_t tx_queues = 1;
  uint16_t burst = 32;
  rte_mempool* pool = nullptr;  // requests are built in these
};

// What a run did. Latencies in TSC ticks (see tsc_hz).
struct Results {
  uint64_t started = 0;      // clients that sent their first DISCOVER
  uint64_t leases = 0;       // completed DORA exchanges
  uint64_t renewals = 0;     // completed renewals
  uint64_t releases = 0;     // RELEASEs sent
  uint64_t done = 0;         // clients through their whole sequence
  uint64_t failed = 0;       // clients that gave up after the retries
  uint64_t timeouts = 0;     // messages not answered in time
  uint64_t retransmits = 0;  // messages sent again after a timeout
  uint64_t naks = 0;
  uint64_t outstanding = 0;   // clients in flight when the run ended
  uint64_t unexpected = 0;    // wrong type, late or duplicate replies
  uint64_t mismatched = 0;    // ACK for another address than offered
  uint64_t bad_frames = 0;    // did not parse as a DHCP reply
  uint64_t other_frames = 0;  // not DHCP, not for us
  uint64_t arp_replies = 0;
  uint64_t duplicates = 0;  // addresses bound to two clients at once
  uint64_t untimed = 0;     // sends the timeout FIFO had no room for
  uint64_t tx_frames = 0;
  uint64_t rx_frames = 0;
  uint64_t rx_bytes = 0;    // of DHCP replies
  uint64_t tx_stalls = 0;   // tx_burst calls that left frames behind
  uint64_t tx_dropped = 0;  // no mbuf or no queue room: left to the timeout
  uint64_t tsc_hz = 1;
  double elapsed_s = 0;  // first DISCOVER to last completion
  // Share of the run's time spent in poll cycles that found work: near 1,
  // the generator itself is the bottleneck.
  double busy = 0;
  // CPU time the generator's thread got during the run, and the wall
  // time: on a shared machine their ratio shows how much it was
  // preempted.
  double cpu_s = 0;
  double wall_s = 0;
  bool hit_duration = false;
  Histogram lease_latency;
  Histogram renew_latency;
};

// Counters the generator publishes about every millisecond, for the
// progress line.
struct Progress {
  std::atomic<uint64_t> started{0};
  std::atomic<uint64_t> leases{0};
  std::atomic<uint64_t> renewals{0};
  std::atomic<uint64_t> timeouts{0};
  std::atomic<uint64_t> naks{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> outstanding{0};
  std::atomic<bool> finished{false};
};

class Generator {
 public:
  static absl::StatusOr<std::unique_ptr<Generator>> Create(
      const GeneratorOptions& options);
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;
  ~Generator();

  // Runs the clients to the end (see the file comment).
  void Run();
  // rte_eal_remote_launch entry point; `arg` is the Generator.
  static int Main(void* arg);

  void RequestStop() { stop_.store(true, std::memory_order_relaxed); }
  const Progress& progress() const { return progress_; }

  // The frame client `index` would send: its DISCOVER, or (offered not
  // zero) its REQUEST for `offered` from `server`. For the bare loop's
  // canned replies; not for the hot loop.
  std::vector<uint8_t> SampleRequest(uint32_t index, Ipv4Address offered,
                                     Ipv4Address server) const;
  const Results& results() const { return results_; }

 private:
  enum class Kind : uint8_t { kDiscover, kRequest, kRenew, kRelease, kCount };
  enum class State : uint8_t {
    kIdle,
    kSelecting,   // DISCOVER sent
    kRequesting,  // REQUEST sent
    kRenewing,    // renewal REQUEST sent
    kDone,
    kFailed,
  };
  struct Client {
    uint64_t start_tsc;  // when the current exchange began
    uint64_t sent_tsc;   // last transmission
    uint32_t xid;
    uint32_t yiaddr;     // offered, then bound
    uint32_t server_id;  // option 54 of the OFFER
    uint32_t txn;        // transmissions so far (matches timer entries)
    uint16_t exchanges;  // DORA and renewal exchanges begun
    uint16_t renewed;
    State state;
    uint8_t tries;     // transmissions of the current message
    uint8_t restarts;  // DORAs begun again after a NAK
  };
  // A request frame laid out once; Send() copies and patches it.
  struct Template {
    std::array<uint8_t, 512> payload{};
    uint16_t size = 0;
    uint16_t client_id = 0;  // offset of the 6 MAC octets in option 61
    uint16_t circuit_id = 0;
    uint16_t remote_id = 0;
    uint16_t requested = 0;  // option 50 value; 0: none
    uint16_t server_id = 0;  // option 54 value; 0: none
  };
  struct TxQueue {
    uint16_t count = 0;
    std::array<rte_mbuf*, 256> mbufs{};
  };

  explicit Generator(const GeneratorOptions& options);
  absl::Status Init();
  void BuildTemplate(Kind kind);

  bool Poll(uint64_t now);  // whether it found work
  void HandleFrame(rte_mbuf* m, uint64_t now, rte_mbuf** to_free,
                   uint16_t* n_free);
  void HandleReply(const wire::DhcpMessage& msg, uint64_t now);
  bool HandleArp(rte_mbuf* m, const wire::FrameView& view);
  void Begin(uint32_t index, uint64_t now);
  void BeginExchange(Client& c, uint32_t index, State state, Kind kind,
                     uint64_t now);
  void AfterAck(Client& c, uint32_t index, uint64_t now);
  void Finish(Client& c, State state, uint64_t now);
  void Send(uint32_t index, Kind kind, uint64_t now);
  size_t WriteRequest(const Client& c, uint32_t index, Kind kind,
                      uint8_t* frame, size_t room) const;
  void ExpireTimers(uint64_t now, uint32_t budget);
  void Flush();
  uint32_t Room() const;
  void Publish();
  void CheckDuplicates();

  GeneratorOptions options_;
  std::atomic<bool> stop_{false};
  Progress progress_;
  Results results_;
  std::vector<Client> clients_;
  std::array<Template, static_cast<size_t>(Kind::kCount)> templates_;
  std::vector<wire::FrameSpec> relay_specs_;
  // Pending timeouts in send order: client index << 32 | txn.
  std::vector<uint64_t> timers_;
  uint64_t timer_head_ = 0;
  uint64_t timer_tail_ = 0;
  uint64_t timer_mask_ = 0;
  std::vector<TxQueue> tx_;
  std::array<rte_mbuf*, 64> stash_{};  // mbufs allocated in bulk
  uint16_t stash_count_ = 0;
  wire::DhcpMessage msg_;
  uint32_t next_client_ = 0;
  uint64_t in_flight_ = 0;
  uint64_t finished_ = 0;
  uint64_t timeout_tsc_ = 0;
  uint64_t start_tsc_ = 0;
  uint64_t last_done_tsc_ = 0;
};

}  // namespace leasewire::loadgen

#endif  // LEASEWIRE_TOOLS_LOADGEN_GENERATOR_H_
