// File: tests/engine/engine_test_util.h
//
// Helpers for engine tests: client requests built as bytes with
// wire::MessageWriter and parsed back with DhcpMessage::ParseRequest (so the
// engine sees exactly what a worker would), engine replies parsed with
// DhcpMessage::Parse, an engine harness built from inline JSON, and a
// TestClient that runs DORA, renew, rebind, release, decline and inform with
// an explicit `now`.
//
// Example:
//   EngineHarness h(kConfigJson);
//   TestClient c(&h, Mac(1));
//   Reply ack = c.Dora(1000);
//   EXPECT_EQ(ack.type(), MessageType::kAck);
//   EXPECT_EQ(c.Renew(2800).decision.action, Action::kReply);
//
// Thread safety: thread-compatible; one test thread.

#ifndef LEASEWIRE_TESTS_ENGINE_ENGINE_TEST_UTIL_H_
#define LEASEWIRE_TESTS_ENGINE_ENGINE_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "leasewire/config/config.h"
#include "leasewire/engine/engine.h"
#include "leasewire/engine/mutation.h"
#include "leasewire/wire/dhcp_message.h"
#include "leasewire/wire/options.h"
#include "leasewire/wire/reply_builder.h"
#include "leasewire/wire/types.h"

// Readable gtest output for the values the engine tests compare.
namespace leasewire::wire {
inline void PrintTo(MessageType type, std::ostream* os) {
  *os << MessageTypeName(type);
}
inline void PrintTo(const Ipv4Address& a, std::ostream* os) {
  *os << a.ToString();
}
inline void PrintTo(const MacAddress& m, std::ostream* os) {
  *os << m.ToString();
}
}  // namespace leasewire::wire

namespace leasewire::lease {
inline void PrintTo(LeaseState state, std::ostream* os) {
  *os << LeaseStateName(state);
}
}  // namespace leasewire::lease

namespace leasewire::engine {
inline void PrintTo(Action action, std::ostream* os) {
  switch (action) {
    case Action::kReply:
      *os << "reply";
      return;
    case Action::kSilent:
      *os << "silent";
      return;
    case Action::kDrop:
      *os << "drop";
      return;
  }
  *os << "action " << static_cast<int>(action);
}
inline void PrintTo(Reason reason, std::ostream* os) {
  *os << ReasonName(reason);
}
inline void PrintTo(MutationKind kind, std::ostream* os) {
  *os << MutationKindName(kind);
}
}  // namespace leasewire::engine

namespace leasewire::engine::test {

using Bytes = std::vector<uint8_t>;
using wire::Ipv4Address;
using wire::MacAddress;
using wire::MessageType;

// "192.0.2.10" -> address; aborts on a typo.
Ipv4Address Ip(std::string_view text);
// 02:00:00:00:00:<last>.
MacAddress Mac(uint8_t last);
Bytes MacBytes(const MacAddress& mac);
// A 7-octet client identifier: type 1 and the MAC (RFC 2132 §9.14).
Bytes ClientIdFor(const MacAddress& mac);
Bytes ToBytes(std::string_view text);
Bytes AddressBytes(Ipv4Address a);
Bytes Uint32Bytes(uint32_t v);

// Option 82 sub-options in the given order, encoded code-length-value.
Bytes RelayAgentInfo(const std::vector<std::pair<uint8_t, Bytes>>& subs);

// A parsed request: the bytes and the DhcpMessage view of them. Movable;
// the view stays valid because the bytes live on the heap.
class Packet {
 public:
  explicit Packet(Bytes bytes);
  Packet(Packet&&) = default;
  Packet& operator=(Packet&&) = default;

  const wire::DhcpMessage& msg() const { return *msg_; }
  const Bytes& bytes() const { return *bytes_; }
  wire::Verdict verdict() const { return verdict_; }

 private:
  std::unique_ptr<Bytes> bytes_;
  std::unique_ptr<wire::DhcpMessage> msg_;
  wire::Verdict verdict_;
};

// Builds a client (or relayed) request. Options are written in the order
// 53, then the ones set here in call order, then END.
class RequestBuilder {
 public:
  explicit RequestBuilder(MessageType type);

  RequestBuilder& Xid(uint32_t xid);
  RequestBuilder& Hardware(uint8_t htype, const Bytes& chaddr);
  RequestBuilder& Chaddr(const MacAddress& mac);  // htype 1, hlen 6
  RequestBuilder& Flags(uint16_t flags);
  RequestBuilder& Broadcast() { return Flags(wire::kBroadcastFlag); }
  RequestBuilder& Ciaddr(Ipv4Address a);
  RequestBuilder& Giaddr(Ipv4Address a);
  RequestBuilder& Hops(uint8_t hops);

  RequestBuilder& Option(uint8_t code, const Bytes& value);
  RequestBuilder& ClientId(const Bytes& id);
  RequestBuilder& RequestedAddress(Ipv4Address a);
  RequestBuilder& ServerId(Ipv4Address a);
  RequestBuilder& LeaseTime(uint32_t seconds);
  RequestBuilder& ParameterRequestList(const Bytes& codes);
  RequestBuilder& HostName(std::string_view name);
  RequestBuilder& MaxMessageSize(uint16_t size);
  RequestBuilder& SubnetSelection(Ipv4Address a);
  RequestBuilder& RelayInfo(const Bytes& option82);

  Bytes Encode() const;
  // Encode() then ParseRequest(); the verdict is kept in the Packet and a
  // test failure is recorded when it is not kOk.
  Packet Build() const;

 private:
  wire::BootpHeader header_;
  MessageType type_;
  std::vector<std::pair<uint8_t, Bytes>> options_;
};

// One engine decision and, for kReply, the reply parsed back. Move-only:
// `msg` points into `bytes`.
struct Reply {
  Decision decision;
  Bytes bytes;
  std::unique_ptr<wire::DhcpMessage> msg;  // null unless kReply and parsed

  bool is_reply() const { return msg != nullptr; }
  // Message type of the reply; nullopt when there is none.
  std::optional<MessageType> type() const;
  Ipv4Address yiaddr() const;
  // Options in the order they appear in the reply's options field.
  std::vector<uint8_t> OptionOrder() const;
  std::optional<uint32_t> GetUint32(uint8_t code) const;
  std::optional<Ipv4Address> server_id() const;
  std::optional<Bytes> Option(uint8_t code) const;
};

// A config and an engine built from JSON, with a mutation log.
class EngineHarness {
 public:
  // Loads `json` (a test failure and an empty config when it is bad) and
  // starts an engine at `now` serving every subnet.
  explicit EngineHarness(std::string_view json, lease::Seconds now = 1000);

  Engine& engine() { return *engine_; }
  const config::Config& config() const { return *config_; }
  std::shared_ptr<const config::Config> config_ptr() const { return config_; }
  MutationLog& log() { return log_; }
  // The first interface: where directly attached clients arrive.
  const config::Interface* interface() const;

  // Engine::Handle() into a fresh buffer; the reply parsed back.
  Reply Send(const Packet& request, const Ingress& ingress, lease::Seconds now);
  void Tick(lease::Seconds now) { engine_->Tick(now, &log_); }

  // An ingress for a client on the first interface's link: from `mac`,
  // IP source `ip_src` (0 for a client without an address).
  Ingress Direct(const MacAddress& mac, Ipv4Address ip_src = Ipv4Address(),
                 Ipv4Address ip_dst = Ipv4Address::Broadcast()) const;
  // An ingress for a request relayed by `giaddr` from next hop `mac`.
  Ingress Relayed(Ipv4Address giaddr, const MacAddress& mac,
                  uint16_t src_port = wire::kDhcpServerPort) const;

  // Mutations appended since the last call (kinds and images copied out).
  struct LoggedMutation {
    MutationKind kind;
    Ipv4Address address;
    uint32_t subnet_id;
    lease::LeaseState state;
    uint8_t flags;
    lease::Seconds start;
    lease::Seconds expiry;
    uint8_t htype;
    Bytes client_id;
    Bytes chaddr;
    Bytes circuit_id;
    Bytes remote_id;
    std::string hostname;
  };
  std::vector<LoggedMutation> TakeMutations();

 private:
  std::shared_ptr<const config::Config> config_;
  std::unique_ptr<Engine> engine_;
  MutationLog log_;
  size_t log_seen_ = 0;
};

// A DHCP client talking to an EngineHarness: it remembers what it was
// offered and bound, and sends the messages of RFC 2131 §4.4 with the
// fields each state uses (Table 5). Directly attached unless Relay() is
// set.
class TestClient {
 public:
  TestClient(EngineHarness* h, const MacAddress& mac);

  // Option 61 from now on (empty: none).
  TestClient& WithClientId(Bytes id);
  // Every request goes through a relay with this giaddr, next-hop MAC and
  // option 82 (empty: none).
  TestClient& Relay(Ipv4Address giaddr, Bytes option82 = {},
                    uint16_t src_port = wire::kDhcpServerPort);
  TestClient& WithHostName(std::string name);
  TestClient& WithParameterRequestList(Bytes codes);
  TestClient& WithLeaseTime(std::optional<uint32_t> seconds);
  TestClient& WithBroadcastFlag(bool on);

  // A request with this client's identity and the usual options, for
  // tests that need to add or change something.
  RequestBuilder Builder(MessageType type) const;

  // DHCPDISCOVER, optionally asking for `requested` (option 50). Keeps the
  // offered address and server identifier.
  Reply Discover(lease::Seconds now,
                 std::optional<Ipv4Address> requested = std::nullopt);
  // SELECTING: REQUEST with 54 and 50 (the last offer unless given).
  Reply Select(lease::Seconds now,
               std::optional<Ipv4Address> address = std::nullopt,
               std::optional<Ipv4Address> server_id = std::nullopt);
  // DISCOVER then SELECTING; the ACK (or whatever came back).
  Reply Dora(lease::Seconds now);
  // INIT-REBOOT: REQUEST with 50 only, ciaddr 0, broadcast.
  Reply InitReboot(lease::Seconds now, Ipv4Address address);
  // RENEWING: unicast REQUEST with ciaddr, no 50/54.
  Reply Renew(lease::Seconds now);
  // REBINDING: broadcast REQUEST with ciaddr, no 50/54.
  Reply Rebind(lease::Seconds now);
  // DHCPRELEASE of the bound address (ciaddr, 54).
  Reply Release(lease::Seconds now);
  // DHCPDECLINE of `address` (50, 54; ciaddr 0).
  Reply Decline(lease::Seconds now, Ipv4Address address);
  // DHCPINFORM from `address` (ciaddr), unicast.
  Reply Inform(lease::Seconds now, Ipv4Address address);

  // Sends any request with this client's ingress.
  Reply Send(const RequestBuilder& b, lease::Seconds now,
             Ipv4Address ip_src = Ipv4Address(),
             Ipv4Address ip_dst = Ipv4Address::Broadcast());

  const MacAddress& mac() const { return mac_; }
  const Bytes& client_id() const { return client_id_; }
  // The last offered / bound address (0 when none).
  Ipv4Address offered() const { return offered_; }
  Ipv4Address address() const { return address_; }
  Ipv4Address server_id() const { return server_id_; }
  void set_address(Ipv4Address a) { address_ = a; }

 private:
  // Where a unicast from the bound address arrives.
  Ingress UnicastIngress() const;

  EngineHarness* h_;
  MacAddress mac_;
  Bytes client_id_;
  std::optional<Ipv4Address> giaddr_;
  Bytes option82_;
  uint16_t relay_src_port_ = wire::kDhcpServerPort;
  std::string hostname_;
  Bytes prl_ = {1, 3, 6, 15};
  std::optional<uint32_t> lease_time_;
  bool broadcast_ = false;
  uint32_t xid_;
  Ipv4Address offered_;
  Ipv4Address address_;
  Ipv4Address server_id_;
};

}  // namespace leasewire::engine::test

#endif  // LEASEWIRE_TESTS_ENGINE_ENGINE_TEST_UTIL_H_
