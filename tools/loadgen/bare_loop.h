// File: tools/loadgen/bare_loop.h
//
// The reference lw-loadgen measures leasewire against: a loop on the
// server's lcore that does only what any server must do per packet on
// the same rings (rx_burst, take a fresh mbuf, write a reply of the real
// size, free the request, tx_burst) and nothing of DHCP. Its replies are
// leasewire's own OFFER and ACK to the generator's first client, made
// once by a private Engine, with the request's xid and chaddr copied in
// so the generator can match them. UDP checksum 0 ("not computed"): the
// bare loop computes nothing.
//
// Thread safety: Run() on one lcore; RequestStop() from any thread;
// counters after Run() returned.

#ifndef LEASEWIRE_TOOLS_LOADGEN_BARE_LOOP_H_
#define LEASEWIRE_TOOLS_LOADGEN_BARE_LOOP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "leasewire/config/config.h"
#include "leasewire/wire/types.h"

struct rte_mbuf;
struct rte_mempool;

namespace leasewire::loadgen {

struct CannedReplies {
  std::vector<uint8_t> offer;  // whole frames
  std::vector<uint8_t> ack;
};

// Runs `discover` (a frame) through an Engine over `config`, then the
// REQUEST that `make_request(offered, server_id)` returns, and frames the
// OFFER and ACK as the data plane would from `server_mac`.
absl::StatusOr<CannedReplies> MakeCannedReplies(
    std::shared_ptr<const config::Config> config,
    const std::vector<uint8_t>& discover,
    const std::function<std::vector<uint8_t>(wire::Ipv4Address,
                                             wire::Ipv4Address)>& make_request,
    wire::MacAddress server_mac);

class BareLoop {
 public:
  BareLoop(uint16_t port_id, rte_mempool* pool, CannedReplies replies);

  void Run();
  static int Main(void* arg);  // rte_eal_remote_launch entry point
  void RequestStop() { stop_.store(true, std::memory_order_relaxed); }

  uint64_t rx() const { return rx_; }
  uint64_t tx() const { return tx_; }
  uint64_t dropped() const { return dropped_; }
  // Share of the loop's time spent on bursts that carried frames.
  double busy() const { return busy_; }
  // CPU time the loop's thread got, and the wall time it ran.
  double cpu_s() const { return cpu_s_; }
  double wall_s() const { return wall_s_; }

 private:
  // Answers the `n` requests in `in` with mbufs it takes into `out`.
  void Answer(rte_mbuf** in, rte_mbuf** out, uint16_t n);

  const uint16_t port_id_;
  rte_mempool* const pool_;
  const CannedReplies replies_;
  std::atomic<bool> stop_{false};
  uint64_t rx_ = 0;
  uint64_t tx_ = 0;
  uint64_t dropped_ = 0;
  double busy_ = 0;
  double cpu_s_ = 0;
  double wall_s_ = 0;
};

}  // namespace leasewire::loadgen

#endif  // LEASEWIRE_TOOLS_LOADGEN_BARE_LOOP_H_
