// The data plane end to end inside one process: a real EAL (--no-huge),
// net_ring ports whose RX rings the test fills and whose TX rings it reads
// (TX queue i belongs to worker i), the engine and a RocksDB store in a
// temporary directory. Subnets are spread over 2 and 3 workers and every
// request enters on RX queue 0 or 1, so most of them cross to another
// worker through its hand-off ring: the cross-worker path is exercised,
// not assumed.

#include "leasewire/dataplane/dataplane.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/engine_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leasewire/config/config.h"
#include "leasewire/store/store.h"
#include "leasewire/wire/dhcp_message.h"
#include "leasewire/wire/frame.h"

namespace leasewire::dataplane {
namespace {

using engine::test::Bytes;
using engine::test::Ip;
using engine::test::Mac;
using engine::test::RequestBuilder;
using wire::MessageType;

constexpr unsigned kMaxWorkers = 3;
constexpr int kSubnets = 6;

// Set up once in main(): the packet pool the test sends from and one ring
// port per worker count, with kMaxWorkers RX and TX rings each.
rte_mempool* g_pool = nullptr;
struct RingPort {
  uint16_t port_id = 0;
  std::vector<rte_ring*> rx;  // the test enqueues here
  std::vector<rte_ring*> tx;  // worker i transmits into tx[i]
};
std::map<unsigned, RingPort> g_ports;  // by worker count

RingPort MakeRingPort(unsigned queues, const std::string& name) {
  RingPort p;
  for (unsigned q = 0; q < queues; ++q) {
    p.rx.push_back(rte_ring_create(absl::StrCat(name, "_rx", q).c_str(), 1024,
                                   SOCKET_ID_ANY, 0));
    p.tx.push_back(rte_ring_create(absl::StrCat(name, "_tx", q).c_str(), 1024,
                                   SOCKET_ID_ANY, 0));
  }
  const int id = rte_eth_from_rings(name.c_str(), p.rx.data(), queues,
                                    p.tx.data(), queues, SOCKET_ID_ANY);
  if (id < 0) {
    std::fprintf(stderr, "rte_eth_from_rings: %s\n", rte_strerror(rte_errno));
    std::abort();
  }
  p.port_id = static_cast<uint16_t>(id);
  return p;
}

// Six relayed /24s; subnet index i has giaddr 10.i.0.1.
std::string ConfigJson() {
  std::string subnets;
  for (int i = 0; i < kSubnets; ++i) {
    absl::StrAppend(&subnets, i == 0 ? "" : ",", R"({"id": )", i + 1,
                    R"(, "subnet": "10.)", i + 1,
                    R"(.0.0/24", "pools": [{"pool": "10.)", i + 1,
                    R"(.0.10 - 10.)", i + 1, R"(.0.250"}]})");
  }
  return absl::StrCat(R"({"server-id": "192.0.2.1",
    "interfaces": [{"name": "port0", "address": "192.0.2.1/24"}],
    "authoritative": true, "valid-lifetime": 3600,
    "subnets": [)",
                      subnets, "]}");
}

Ipv4Address Giaddr(int subnet_index) {
  return Ipv4Address::FromOctets(10, static_cast<uint8_t>(subnet_index + 1), 0,
                                 1);
}

const MacAddress kRelayMac = MacAddress({2, 0, 0, 0, 0xee, 1});

// A relayed request from the relay of subnet `index` as an mbuf frame.
rte_mbuf* Frame(const Bytes& payload) {
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  EXPECT_NE(m, nullptr);
  uint8_t* data = rte_pktmbuf_mtod(m, uint8_t*);
  const size_t header = wire::FrameHeaderSize(0);
  std::memcpy(data + header, payload.data(), payload.size());
  wire::FrameSpec spec;
  spec.eth_dst = MacAddress({2, 0, 0, 0, 0, 1});
  spec.eth_src = kRelayMac;
  spec.ip_src = Ip("10.255.0.2");
  spec.ip_dst = Ip("192.0.2.1");
  spec.src_port = wire::kDhcpServerPort;  // relay to server: 67 -> 67
  spec.dst_port = wire::kDhcpServerPort;
  const size_t length = wire::WriteFrameHeaders(
      spec, {data, rte_pktmbuf_tailroom(m)}, payload.size());
  EXPECT_GT(length, 0u);
  m->data_len = static_cast<uint16_t>(length);
  m->pkt_len = static_cast<uint32_t>(length);
  return m;
}

struct Received {
  unsigned tx_queue = 0;  // = the worker that sent it
  Bytes frame;
};

class DataplaneTest : public ::testing::TestWithParam<unsigned> {
 protected:
  void SetUp() override {
    workers_ = GetParam();
    port_ = &g_ports.at(workers_);
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("lw-dataplane-test-", getpid(), "-", workers_);
    std::filesystem::remove_all(dir_);
    absl::StatusOr<std::shared_ptr<const config::Config>> c =
        config::LoadConfig(ConfigJson());
    ASSERT_TRUE(c.ok()) << c.status();
    config_ = *c;
    Open();
  }

  void TearDown() override {
    plane_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Open() {
    store::StoreOptions so;
    so.directory = dir_.string();
    so.durability = store::Durability::kAsync;
    so.time_base.wall_at_zero = time(nullptr);
    absl::StatusOr<std::unique_ptr<store::Store>> s = store::Store::Open(so);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    DataplaneOptions o;
    o.config = config_;
    o.ports = {PortBinding{port_->port_id, &config_->interfaces[0]}};
    for (unsigned w = 1; w <= workers_; ++w) o.worker_lcores.push_back(w);
    o.store = store_.get();
    o.mbufs_per_worker = 2047;
    absl::StatusOr<std::unique_ptr<Dataplane>> p = Dataplane::Create(o);
    ASSERT_TRUE(p.ok()) << p.status();
    plane_ = std::move(*p);
  }

  void Restart() {
    plane_->Stop();
    plane_.reset();
    store_.reset();
    Open();
  }

  // Enqueues `payload` on RX queue `rx_queue`.
  void Send(const Bytes& payload, unsigned rx_queue) {
    rte_mbuf* m = Frame(payload);
    ASSERT_EQ(rte_ring_enqueue(port_->rx[rx_queue], m), 0);
  }

  // Waits (at most `timeout`) for `n` frames over all TX rings.
  std::vector<Received> Collect(
      size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::vector<Received> out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      for (unsigned q = 0; q < workers_; ++q) {
        void* obj;
        while (rte_ring_dequeue(port_->tx[q], &obj) == 0) {
          rte_mbuf* m = static_cast<rte_mbuf*>(obj);
          const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
          out.push_back(Received{q, Bytes(d, d + rte_pktmbuf_data_len(m))});
          rte_pktmbuf_free(m);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return out;
  }

  // DORA for client 0 of every subnet (DISCOVERs on RX queue 0, REQUESTs
  // on 1); *bound maps each xid to its address.
  void BindClientZeroOfEachSubnet(std::map<uint32_t, Ipv4Address>* bound);

  unsigned workers_ = 0;
  RingPort* port_ = nullptr;
  std::filesystem::path dir_;
  std::shared_ptr<const config::Config> config_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Dataplane> plane_;
};

struct ParsedReply {
  wire::FrameView view;
  std::unique_ptr<wire::DhcpMessage> msg =
      std::make_unique<wire::DhcpMessage>();
};

// Parses a reply frame; checks checksums and the relay addressing of RFC
// 2131 §4.1 (to giaddr, UDP port 67, L2 to the hop the request came from).
void ParseRelayedReply(const Bytes& frame, ParsedReply* out) {
  ASSERT_EQ(wire::ParseEthernet(frame, &out->view), wire::Verdict::kOk);
  ASSERT_EQ(wire::ParseIpv4Udp(frame, wire::ChecksumCheck::kVerify, &out->view),
            wire::Verdict::kOk);
  ASSERT_EQ(out->msg->Parse(out->view.udp_payload), wire::Verdict::kOk);
  EXPECT_EQ(out->view.dst_port, wire::kDhcpServerPort);
  EXPECT_EQ(out->view.ip_dst, out->msg->giaddr());
  EXPECT_EQ(out->view.eth_dst, kRelayMac);
  EXPECT_EQ(out->view.ip_src, Ip("192.0.2.1"));
}

Bytes Discover(int subnet, int client) {
  return RequestBuilder(MessageType::kDiscover)
      .Xid(static_cast<uint32_t>(subnet * 1000 + client))
      .Chaddr(MacAddress({2, 1, 0, 0, static_cast<uint8_t>(subnet),
                          static_cast<uint8_t>(client)}))
      .Giaddr(Giaddr(subnet))
      .Encode();
}

Bytes Request(int subnet, int client, Ipv4Address requested) {
  return RequestBuilder(MessageType::kRequest)
      .Xid(static_cast<uint32_t>(subnet * 1000 + client))
      .Chaddr(MacAddress({2, 1, 0, 0, static_cast<uint8_t>(subnet),
                          static_cast<uint8_t>(client)}))
      .Giaddr(Giaddr(subnet))
      .ServerId(Ip("192.0.2.1"))
      .RequestedAddress(requested)
      .Encode();
}

void DataplaneTest::BindClientZeroOfEachSubnet(
    std::map<uint32_t, Ipv4Address>* bound) {
  for (int s = 0; s < kSubnets; ++s) Send(Discover(s, 0), 0);
  for (const Received& r : Collect(kSubnets)) {
    ParsedReply p;
    ParseRelayedReply(r.frame, &p);
    (*bound)[p.msg->xid()] = p.msg->yiaddr();
  }
  ASSERT_EQ(bound->size(), size_t{kSubnets});
  for (int s = 0; s < kSubnets; ++s) {
    Send(Request(s, 0, (*bound)[static_cast<uint32_t>(s * 1000)]), 1);
  }
  ASSERT_EQ(Collect(kSubnets).size(), size_t{kSubnets});
}

// Full DORA for 4 clients in each of 6 subnets, requests entering on RX
// queues 0 and 1: every OFFER and ACK leaves on the TX queue of the worker
// that owns the subnet, ACKs only after their commit, and a restart
// recovers every lease onto the same owners.
TEST_P(DataplaneTest, DoraAcrossWorkersThroughHandoffRings) {
  ASSERT_TRUE(plane_->Recover().ok());
  ASSERT_TRUE(plane_->Start().ok());
  constexpr int kClients = 4;
  for (int s = 0; s < kSubnets; ++s) {
    for (int c = 0; c < kClients; ++c) Send(Discover(s, c), (s + c) % 2);
  }
  std::map<uint32_t, Ipv4Address> offered;  // xid -> yiaddr
  for (const Received& r : Collect(kSubnets * kClients)) {
    ParsedReply p;
    ParseRelayedReply(r.frame, &p);
    ASSERT_EQ(p.msg->message_type(), MessageType::kOffer);
    const int s = static_cast<int>(p.msg->xid() / 1000);
    EXPECT_EQ(r.tx_queue, plane_->OwnerOf(config_->subnets[s].id))
        << "subnet " << s;
    EXPECT_TRUE(config_->subnets[s].prefix.Contains(p.msg->yiaddr()));
    offered[p.msg->xid()] = p.msg->yiaddr();
  }
  ASSERT_EQ(offered.size(), size_t{kSubnets * kClients});

  for (int s = 0; s < kSubnets; ++s) {
    for (int c = 0; c < kClients; ++c) {
      Send(Request(s, c, offered[static_cast<uint32_t>(s * 1000 + c)]),
           (s + c + 1) % 2);
    }
  }
  int acks = 0;
  for (const Received& r : Collect(kSubnets * kClients)) {
    ParsedReply p;
    ParseRelayedReply(r.frame, &p);
    ASSERT_EQ(p.msg->message_type(), MessageType::kAck);
    EXPECT_EQ(p.msg->yiaddr(), offered[p.msg->xid()]);
    EXPECT_EQ(r.tx_queue,
              plane_->OwnerOf(config_->subnets[p.msg->xid() / 1000].id));
    ++acks;
  }
  EXPECT_EQ(acks, kSubnets * kClients);

  plane_->Stop();
  const WorkerCounters total = plane_->TotalCounters();
  EXPECT_EQ(total.rx, 2u * kSubnets * kClients);
  EXPECT_EQ(total.tx, 2u * kSubnets * kClients);
  // Requests of subnets owned by a worker other than the RX queue's.
  EXPECT_GT(total.handed_off, 0u);
  EXPECT_EQ(total.handed_off, total.from_peers);
  EXPECT_EQ(total.held, static_cast<uint64_t>(acks));
  // Busy time is part of all polling time, and some of it was busy.
  EXPECT_GT(total.busy_tsc, 0u);
  EXPECT_LE(total.busy_tsc, total.tsc);
  EXPECT_GE(total.busy_cycles, 1u);
  for (int d = 0; d < kDropCount; ++d) {
    EXPECT_EQ(total.drops[d], 0u) << DropName(static_cast<Drop>(d));
  }
  if (workers_ == 3) {
    // RX queue 2 exists but nothing arrives there; worker 2 still served
    // its subnets (2 and 5) through the rings.
    EXPECT_GT(plane_->counters(2).from_peers, 0u);
  }

  Restart();
  absl::StatusOr<Dataplane::RecoverResult> rec = plane_->Recover();
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(rec->restored, uint64_t{kSubnets * kClients});
  EXPECT_EQ(rec->orphans, 0u);
  ASSERT_TRUE(plane_->Start().ok());
  // RFC 2131 §4.3.1: a client with a lease is offered that lease again.
  for (int s = 0; s < kSubnets; ++s) Send(Discover(s, 0), 0);
  for (const Received& r : Collect(kSubnets)) {
    ParsedReply p;
    ParseRelayedReply(r.frame, &p);
    EXPECT_EQ(p.msg->yiaddr(), offered[p.msg->xid()]);
  }
}

// The control plane reaches worker state only through RunOnWorker(): it
// runs on the owner's thread, and what it logs is committed like a poll
// cycle's mutations (the returned ticket).
TEST_P(DataplaneTest, ControlTasksRunOnTheOwnerAndCommit) {
  ASSERT_TRUE(plane_->Start().ok());
  std::map<uint32_t, Ipv4Address> offered;
  ASSERT_NO_FATAL_FAILURE(BindClientZeroOfEachSubnet(&offered));

  // Each worker counts its own bound leases, on its own lcore.
  size_t bound = 0;
  for (size_t w = 0; w < plane_->workers(); ++w) {
    absl::StatusOr<store::CommitTicket> t =
        plane_->RunOnWorker(w, [&](WorkerAccess& access) {
          EXPECT_EQ(rte_lcore_id(), plane_->lcore_of(w));
          EXPECT_EQ(access.index(), w);
          if (access.engine() == nullptr) return;
          access.engine()->table().ForEach(
              [&](lease::Slot, const lease::Lease& l) {
                bound += l.state == lease::LeaseState::kBound;
              });
        });
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(*t, 0u) << "nothing was logged";
  }
  EXPECT_EQ(bound, size_t{kSubnets});

  // Deleting a lease on its owner yields a ticket; once done, the record
  // is gone from the database.
  const Ipv4Address victim = offered[0];
  absl::StatusOr<store::CommitTicket> t = plane_->RunOnWorker(
      plane_->OwnerOf(config_->subnets[0].id), [&](WorkerAccess& access) {
        EXPECT_TRUE(access.engine()->DeleteLease(victim, &access.log()));
      });
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_NE(*t, 0u);
  EXPECT_EQ(store_->Wait(*t), store::CommitState::kDone);
  Restart();
  absl::StatusOr<Dataplane::RecoverResult> rec = plane_->Recover();
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->restored, uint64_t{kSubnets - 1});
}

// A reload keeps every lease of the subnets that stay, drops those of a
// removed subnet from memory, and serves a new subnet at once.
TEST_P(DataplaneTest, ReloadCarriesLeasesOver) {
  ASSERT_TRUE(plane_->Start().ok());
  std::map<uint32_t, Ipv4Address> offered;
  ASSERT_NO_FATAL_FAILURE(BindClientZeroOfEachSubnet(&offered));

  // Subnet index 0 (10.1.0.0/24) leaves; 10.9.0.0/24 (id 9) arrives.
  std::string json = ConfigJson();
  json.replace(
      json.find(R"({"id": 1,)"), std::string(R"({"id": 1,)").size(),
      R"({"id": 9, "subnet": "10.9.0.0/24", "pools": [{"pool": "10.9.0.10 - 10.9.0.20"}]}, {"id": 1001,)");
  json.replace(json.find("10.1.0.0/24"), 11, "10.77.0.0/24");
  json.replace(json.find("10.1.0.10 - 10.1.0.250"), 22,
               "10.77.0.10 - 10.77.0.20");
  absl::StatusOr<std::shared_ptr<const config::Config>> next =
      config::LoadConfig(json);
  ASSERT_TRUE(next.ok()) << next.status() << json;
  ASSERT_TRUE(plane_->Reload(*next).ok());
  EXPECT_EQ(plane_->last_reload_dropped(), 1u) << "the lease of 10.1.0.0/24";
  EXPECT_EQ(plane_->config(), *next);

  // RFC 2131 §4.3.1: clients of the remaining subnets get their leases
  // back; the new subnet answers.
  for (int s = 1; s < kSubnets; ++s) Send(Discover(s, 0), s % 2);
  Send(RequestBuilder(MessageType::kDiscover)
           .Xid(9000)
           .Chaddr(Mac(90))
           .Giaddr(Ip("10.9.0.1"))
           .Encode(),
       0);
  size_t replies = 0;
  for (const Received& r : Collect(kSubnets)) {
    ParsedReply p;
    ParseRelayedReply(r.frame, &p);
    ++replies;
    if (p.msg->xid() == 9000) {
      EXPECT_TRUE(
          config::Prefix::Parse("10.9.0.0/24")->Contains(p.msg->yiaddr()));
    } else {
      EXPECT_EQ(p.msg->yiaddr(), offered[p.msg->xid()]);
    }
  }
  EXPECT_EQ(replies, size_t{kSubnets});

  // Interfaces are bound at start-up: a reload may not change them.
  std::string moved = ConfigJson();
  moved.replace(moved.find("192.0.2.1/24"), 12, "192.0.2.9/24");
  ASSERT_FALSE(plane_->Reload(*config::LoadConfig(moved)).ok());
  EXPECT_EQ(plane_->config(), *next);
}

// Only ACKs wait for their commit. A client that moves to another subnet
// of the same shard ends its binding there (a durable change) with its
// DISCOVER; the OFFER still leaves at once: an offer promises nothing.
TEST_P(DataplaneTest, OnlyAcksAreHeld) {
  // Two subnets with the same owner.
  int a = -1, b = -1;
  for (int i = 0; i < kSubnets && b < 0; ++i) {
    for (int j = i + 1; j < kSubnets; ++j) {
      if (plane_->OwnerOf(config_->subnets[i].id) ==
          plane_->OwnerOf(config_->subnets[j].id)) {
        a = i;
        b = j;
        break;
      }
    }
  }
  ASSERT_GE(b, 0);
  ASSERT_TRUE(plane_->Start().ok());
  Send(Discover(a, 7), 0);
  std::vector<Received> offer = Collect(1);
  ASSERT_EQ(offer.size(), 1u);
  ParsedReply p;
  ParseRelayedReply(offer[0].frame, &p);
  Send(Request(a, 7, p.msg->yiaddr()), 0);
  ASSERT_EQ(Collect(1).size(), 1u);
  // The same client (same chaddr) now comes through subnet b's relay.
  Bytes moved =
      RequestBuilder(MessageType::kDiscover)
          .Xid(4242)
          .Chaddr(MacAddress({2, 1, 0, 0, static_cast<uint8_t>(a), 7}))
          .Giaddr(Giaddr(b))
          .Encode();
  Send(moved, 1);
  std::vector<Received> second = Collect(1);
  ASSERT_EQ(second.size(), 1u);
  ParsedReply q;
  ParseRelayedReply(second[0].frame, &q);
  EXPECT_EQ(q.msg->message_type(), MessageType::kOffer);
  EXPECT_TRUE(config_->subnets[b].prefix.Contains(q.msg->yiaddr()));
  plane_->Stop();
  const WorkerCounters total = plane_->TotalCounters();
  EXPECT_EQ(total.held, 1u) << "only the ACK";
  EXPECT_EQ(total.commits, 2u) << "the bind, then the release in subnet a";
}

// Non-DHCP traffic and unknown relays are counted, never answered.
TEST_P(DataplaneTest, CountsWhatItDrops) {
  ASSERT_TRUE(plane_->Start().ok());
  Bytes unknown = RequestBuilder(MessageType::kDiscover)
                      .Chaddr(Mac(9))
                      .Giaddr(Ip("172.31.255.1"))
                      .Encode();
  Send(unknown, 0);
  rte_mbuf* junk = rte_pktmbuf_alloc(g_pool);
  uint8_t* d = rte_pktmbuf_mtod(junk, uint8_t*);
  std::memset(d, 0, 60);
  d[12] = 0x86;  // IPv6 EtherType
  d[13] = 0xdd;
  junk->data_len = junk->pkt_len = 60;
  ASSERT_EQ(rte_ring_enqueue(port_->rx[1], junk), 0);
  EXPECT_TRUE(Collect(1, std::chrono::milliseconds(300)).empty());
  plane_->Stop();
  const WorkerCounters total = plane_->TotalCounters();
  EXPECT_EQ(total.rx, 2u);
  EXPECT_EQ(total.tx, 0u);
  EXPECT_EQ(total.no_subnet[static_cast<size_t>(engine::Reason::kNoSubnet)],
            1u);
  EXPECT_EQ(total.drops[static_cast<size_t>(Drop::kOtherEtherType)], 1u);
}

INSTANTIATE_TEST_SUITE_P(Workers, DataplaneTest, ::testing::Values(2u, 3u),
                         [](const auto& info) {
                           return absl::StrCat(info.param, "Workers");
                         });

}  // namespace
}  // namespace leasewire::dataplane

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Four lcores (main + up to three workers) on whatever CPUs we have.
  const long cpus = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  std::string lcores = "--lcores=";
  for (unsigned l = 0; l <= leasewire::dataplane::kMaxWorkers; ++l) {
    absl::StrAppend(&lcores, l == 0 ? "" : ",", l, "@", l % cpus);
  }
  const std::string prefix = absl::StrCat("--file-prefix=lwdptest-", getpid());
  std::vector<std::string> args = {
      "dataplane_test", "--no-huge", "--no-pci",         "-m", "512",
      lcores,           prefix,      "--log-level=error"};
  std::vector<char*> eal_argv;
  for (std::string& a : args) eal_argv.push_back(a.data());
  // An EAL failure must fail the binary, not turn every test into a skip.
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  using leasewire::dataplane::g_pool;
  using leasewire::dataplane::g_ports;
  g_pool = rte_pktmbuf_pool_create("test_pool", 4095, 0, 0,
                                   RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (g_pool == nullptr) {
    std::fprintf(stderr, "test pool: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  for (unsigned w : {2u, 3u}) {
    g_ports[w] = leasewire::dataplane::MakeRingPort(w, absl::StrCat("r", w));
  }
  const int rc = RUN_ALL_TESTS();
  rte_eal_cleanup();
  std::filesystem::remove_all(std::filesystem::path("/var/run/dpdk") /
                              absl::StrCat("lwdptest-", getpid()));
  return rc;
}
