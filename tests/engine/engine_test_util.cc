#include "engine/engine_test_util.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "gtest/gtest.h"
#include "leasewire/wire/reply_builder.h"

namespace leasewire::engine::test {

namespace option = wire::option;

Ipv4Address Ip(std::string_view text) {
  const std::optional<Ipv4Address> a = Ipv4Address::Parse(text);
  if (!a) {
    std::cerr << "bad address in test: " << text << "\n";
    std::abort();
  }
  return *a;
}

MacAddress Mac(uint8_t last) {
  return MacAddress({0x02, 0x00, 0x00, 0x00, 0x00, last});
}

Bytes MacBytes(const MacAddress& mac) {
  return Bytes(mac.bytes().begin(), mac.bytes().end());
}

Bytes ClientIdFor(const MacAddress& mac) {
  Bytes id(1 + mac.bytes().size());
  id[0] = wire::kHtypeEthernet;
  std::copy(mac.bytes().begin(), mac.bytes().end(), id.begin() + 1);
  return id;
}

Bytes ToBytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

Bytes AddressBytes(Ipv4Address a) {
  Bytes b(4);
  a.Store(b.data());
  return b;
}

Bytes Uint32Bytes(uint32_t v) {
  Bytes b(4);
  wire::StoreBe32(b.data(), v);
  return b;
}

Bytes RelayAgentInfo(const std::vector<std::pair<uint8_t, Bytes>>& subs) {
  Bytes out;
  for (const auto& [code, value] : subs) {
    out.push_back(code);
    out.push_back(static_cast<uint8_t>(value.size()));
    out.insert(out.end(), value.begin(), value.end());
  }
  return out;
}

// ---------------------------------------------------------------------------
// Packet and RequestBuilder.

Packet::Packet(Bytes bytes)
    : bytes_(std::make_unique<Bytes>(std::move(bytes))),
      msg_(std::make_unique<wire::DhcpMessage>()),
      verdict_(msg_->ParseRequest(*bytes_)) {}

RequestBuilder::RequestBuilder(MessageType type) : type_(type) {
  header_.op = wire::kBootRequest;
  header_.xid = 0x12345678;
}

RequestBuilder& RequestBuilder::Xid(uint32_t xid) {
  header_.xid = xid;
  return *this;
}

RequestBuilder& RequestBuilder::Hardware(uint8_t htype, const Bytes& chaddr) {
  header_.htype = htype;
  header_.hlen = static_cast<uint8_t>(chaddr.size());
  header_.chaddr.fill(0);
  std::copy(chaddr.begin(), chaddr.end(), header_.chaddr.begin());
  return *this;
}

RequestBuilder& RequestBuilder::Chaddr(const MacAddress& mac) {
  return Hardware(wire::kHtypeEthernet, MacBytes(mac));
}

RequestBuilder& RequestBuilder::Flags(uint16_t flags) {
  header_.flags = flags;
  return *this;
}

RequestBuilder& RequestBuilder::Ciaddr(Ipv4Address a) {
  header_.ciaddr = a;
  return *this;
}

RequestBuilder& RequestBuilder::Giaddr(Ipv4Address a) {
  header_.giaddr = a;
  return *this;
}

RequestBuilder& RequestBuilder::Hops(uint8_t hops) {
  header_.hops = hops;
  return *this;
}

RequestBuilder& RequestBuilder::Option(uint8_t code, const Bytes& value) {
  options_.emplace_back(code, value);
  return *this;
}

RequestBuilder& RequestBuilder::ClientId(const Bytes& id) {
  return Option(option::kClientIdentifier, id);
}

RequestBuilder& RequestBuilder::RequestedAddress(Ipv4Address a) {
  return Option(option::kRequestedAddress, AddressBytes(a));
}

RequestBuilder& RequestBuilder::ServerId(Ipv4Address a) {
  return Option(option::kServerIdentifier, AddressBytes(a));
}

RequestBuilder& RequestBuilder::LeaseTime(uint32_t seconds) {
  return Option(option::kLeaseTime, Uint32Bytes(seconds));
}

RequestBuilder& RequestBuilder::ParameterRequestList(const Bytes& codes) {
  return Option(option::kParameterRequestList, codes);
}

RequestBuilder& RequestBuilder::HostName(std::string_view name) {
  return Option(option::kHostName, ToBytes(name));
}

RequestBuilder& RequestBuilder::MaxMessageSize(uint16_t size) {
  Bytes b(2);
  wire::StoreBe16(b.data(), size);
  return Option(option::kMaxMessageSize, b);
}

RequestBuilder& RequestBuilder::SubnetSelection(Ipv4Address a) {
  return Option(option::kSubnetSelection, AddressBytes(a));
}

RequestBuilder& RequestBuilder::RelayInfo(const Bytes& option82) {
  return Option(option::kRelayAgentInfo, option82);
}

Bytes RequestBuilder::Encode() const {
  Bytes out(1500);
  wire::MessageWriter w(out, out.size());
  bool ok = w.Begin(header_);
  ok = ok && w.AddUint8(option::kMessageType, static_cast<uint8_t>(type_));
  for (const auto& [code, value] : options_) ok = ok && w.Add(code, value);
  const size_t size = ok ? w.Finish() : 0;
  EXPECT_GT(size, 0u) << "request does not fit";
  out.resize(size);
  return out;
}

Packet RequestBuilder::Build() const {
  Packet p(Encode());
  EXPECT_EQ(p.verdict(), wire::Verdict::kOk)
      << "test request does not parse: " << wire::VerdictName(p.verdict());
  return p;
}

// ---------------------------------------------------------------------------
// Reply.

std::optional<MessageType> Reply::type() const {
  if (!msg) return std::nullopt;
  return msg->message_type();
}

Ipv4Address Reply::yiaddr() const {
  return msg ? msg->yiaddr() : Ipv4Address();
}

std::vector<uint8_t> Reply::OptionOrder() const {
  std::vector<uint8_t> codes;
  if (!msg) return codes;
  // Walks the options field itself (the parsed index is by code).
  size_t i = wire::kOptionsOffset;
  while (i < bytes.size()) {
    const uint8_t code = bytes[i];
    if (code == option::kEnd) break;
    if (code == option::kPad) {
      ++i;
      continue;
    }
    if (i + 1 >= bytes.size()) break;
    codes.push_back(code);
    i += 2 + size_t{bytes[i + 1]};
  }
  return codes;
}

std::optional<uint32_t> Reply::GetUint32(uint8_t code) const {
  if (!msg) return std::nullopt;
  return msg->GetUint32(code);
}

std::optional<Ipv4Address> Reply::server_id() const {
  if (!msg) return std::nullopt;
  return msg->server_identifier();
}

std::optional<Bytes> Reply::Option(uint8_t code) const {
  if (!msg) return std::nullopt;
  const auto v = msg->Find(code);
  if (!v) return std::nullopt;
  return Bytes(v->begin(), v->end());
}

// ---------------------------------------------------------------------------
// EngineHarness.

EngineHarness::EngineHarness(std::string_view json, lease::Seconds now) {
  absl::StatusOr<std::shared_ptr<const config::Config>> loaded =
      config::LoadConfig(json);
  if (loaded.ok()) {
    config_ = *std::move(loaded);
  } else {
    ADD_FAILURE() << "test config does not load: " << loaded.status();
    config_ = std::make_shared<const config::Config>();
  }
  engine_ = std::make_unique<Engine>(config_, std::span<const uint32_t>(), now);
}

const config::Interface* EngineHarness::interface() const {
  return config_->interfaces.empty() ? nullptr : &config_->interfaces.front();
}

Reply EngineHarness::Send(const Packet& request, const Ingress& ingress,
                          lease::Seconds now) {
  Reply r;
  r.bytes.assign(1500, 0xee);
  r.decision = engine_->Handle(request.msg(), ingress, now, r.bytes, &log_);
  if (r.decision.action != Action::kReply) {
    r.bytes.clear();
    return r;
  }
  r.bytes.resize(r.decision.reply_size);
  auto msg = std::make_unique<wire::DhcpMessage>();
  const wire::Verdict v = msg->Parse(r.bytes);
  EXPECT_EQ(v, wire::Verdict::kOk)
      << "engine reply does not parse: " << wire::VerdictName(v);
  if (v == wire::Verdict::kOk) r.msg = std::move(msg);
  return r;
}

Ingress EngineHarness::Direct(const MacAddress& mac, Ipv4Address ip_src,
                              Ipv4Address ip_dst) const {
  Ingress in;
  in.interface = interface();
  in.eth_src = mac;
  in.ip_src = ip_src;
  in.ip_dst = ip_dst;
  in.src_port = wire::kDhcpClientPort;
  return in;
}

Ingress EngineHarness::Relayed(Ipv4Address giaddr, const MacAddress& mac,
                               uint16_t src_port) const {
  Ingress in;
  in.interface = interface();
  in.eth_src = mac;
  in.ip_src = giaddr;
  in.ip_dst = interface() != nullptr ? interface()->address : Ipv4Address();
  in.src_port = src_port;
  return in;
}

std::vector<EngineHarness::LoggedMutation> EngineHarness::TakeMutations() {
  std::vector<LoggedMutation> out;
  for (; log_seen_ < log_.size(); ++log_seen_) {
    const Mutation m = log_[log_seen_];
    const LeaseImage& l = m.lease;
    out.push_back(LoggedMutation{
        m.kind, l.address, l.subnet_id, l.state, l.flags, l.start, l.expiry,
        l.htype, Bytes(l.client_id.begin(), l.client_id.end()),
        Bytes(l.chaddr.begin(), l.chaddr.end()),
        Bytes(l.circuit_id.begin(), l.circuit_id.end()),
        Bytes(l.remote_id.begin(), l.remote_id.end()),
        std::string(l.hostname)});
  }
  return out;
}

// ---------------------------------------------------------------------------
// TestClient.

TestClient::TestClient(EngineHarness* h, const MacAddress& mac)
    : h_(h), mac_(mac), xid_(0x1000u + mac.bytes()[5]) {}

TestClient& TestClient::WithClientId(Bytes id) {
  client_id_ = std::move(id);
  return *this;
}

TestClient& TestClient::Relay(Ipv4Address giaddr, Bytes option82,
                              uint16_t src_port) {
  giaddr_ = giaddr;
  option82_ = std::move(option82);
  relay_src_port_ = src_port;
  return *this;
}

TestClient& TestClient::WithHostName(std::string name) {
  hostname_ = std::move(name);
  return *this;
}

TestClient& TestClient::WithParameterRequestList(Bytes codes) {
  prl_ = std::move(codes);
  return *this;
}

TestClient& TestClient::WithLeaseTime(std::optional<uint32_t> seconds) {
  lease_time_ = seconds;
  return *this;
}

TestClient& TestClient::WithBroadcastFlag(bool on) {
  broadcast_ = on;
  return *this;
}

RequestBuilder TestClient::Builder(MessageType type) const {
  RequestBuilder b(type);
  b.Xid(xid_).Chaddr(mac_);
  if (broadcast_) b.Broadcast();
  if (giaddr_) b.Giaddr(*giaddr_).Hops(1);
  if (!client_id_.empty()) b.ClientId(client_id_);
  if (!hostname_.empty()) b.HostName(hostname_);
  return b;
}

Reply TestClient::Send(const RequestBuilder& b, lease::Seconds now,
                       Ipv4Address ip_src, Ipv4Address ip_dst) {
  // The relay option goes last, as a relay appends it (RFC 3046 §2.1).
  RequestBuilder full = b;
  if (giaddr_ && !option82_.empty()) full.RelayInfo(option82_);
  const Packet p = full.Build();
  const Ingress in = giaddr_ ? h_->Relayed(*giaddr_, Mac(0xfe), relay_src_port_)
                             : h_->Direct(mac_, ip_src, ip_dst);
  return h_->Send(p, in, now);
}

Reply TestClient::Discover(lease::Seconds now,
                           std::optional<Ipv4Address> requested) {
  ++xid_;
  RequestBuilder b = Builder(MessageType::kDiscover);
  if (requested) b.RequestedAddress(*requested);
  if (lease_time_) b.LeaseTime(*lease_time_);
  if (!prl_.empty()) b.ParameterRequestList(prl_);
  Reply r = Send(b, now);
  if (r.type() == MessageType::kOffer) {
    offered_ = r.yiaddr();
    if (const auto id = r.server_id()) server_id_ = *id;
  }
  return r;
}

Reply TestClient::Select(lease::Seconds now, std::optional<Ipv4Address> address,
                         std::optional<Ipv4Address> server_id) {
  RequestBuilder b = Builder(MessageType::kRequest);
  const Ipv4Address asked = address.value_or(offered_);
  b.RequestedAddress(asked).ServerId(server_id.value_or(server_id_));
  if (lease_time_) b.LeaseTime(*lease_time_);
  if (!prl_.empty()) b.ParameterRequestList(prl_);
  Reply r = Send(b, now);
  if (r.type() == MessageType::kAck) address_ = r.yiaddr();
  return r;
}

Reply TestClient::Dora(lease::Seconds now) {
  Reply offer = Discover(now);
  if (offer.type() != MessageType::kOffer) return offer;
  return Select(now);
}

Reply TestClient::InitReboot(lease::Seconds now, Ipv4Address address) {
  ++xid_;
  RequestBuilder b = Builder(MessageType::kRequest);
  b.RequestedAddress(address);
  if (!prl_.empty()) b.ParameterRequestList(prl_);
  Reply r = Send(b, now);
  if (r.type() == MessageType::kAck) address_ = r.yiaddr();
  return r;
}

Ingress TestClient::UnicastIngress() const {
  // Unicast to the server from the bound address (RFC 2131 §4.4.5).
  Ingress in = h_->Direct(mac_, address_, server_id_);
  if (giaddr_) {
    // A relayed client reaches the server through routers, not the relay
    // agent: no giaddr, and no port of the server on its link.
    in.eth_src = Mac(0xfd);
    in.interface = nullptr;
  }
  return in;
}

Reply TestClient::Renew(lease::Seconds now) {
  ++xid_;
  RequestBuilder b = Builder(MessageType::kRequest);
  b.Ciaddr(address_);
  if (!prl_.empty()) b.ParameterRequestList(prl_);
  RequestBuilder unicast = b.Giaddr(Ipv4Address()).Hops(0);
  return h_->Send(unicast.Build(), UnicastIngress(), now);
}

Reply TestClient::Rebind(lease::Seconds now) {
  ++xid_;
  RequestBuilder b = Builder(MessageType::kRequest);
  b.Ciaddr(address_);
  if (!prl_.empty()) b.ParameterRequestList(prl_);
  return Send(b, now, address_, Ipv4Address::Broadcast());
}

Reply TestClient::Release(lease::Seconds now) {
  ++xid_;
  RequestBuilder b(MessageType::kRelease);
  b.Xid(xid_).Chaddr(mac_).Ciaddr(address_).ServerId(server_id_);
  if (!client_id_.empty()) b.ClientId(client_id_);
  return h_->Send(b.Build(), UnicastIngress(), now);
}

Reply TestClient::Decline(lease::Seconds now, Ipv4Address address) {
  ++xid_;
  RequestBuilder b = Builder(MessageType::kDecline);
  b.RequestedAddress(address).ServerId(server_id_);
  return Send(b, now);
}

Reply TestClient::Inform(lease::Seconds now, Ipv4Address address) {
  ++xid_;
  RequestBuilder b = Builder(MessageType::kInform);
  b.Ciaddr(address);
  if (!prl_.empty()) b.ParameterRequestList(prl_);
  return Send(b, now, address,
              server_id_.IsZero() ? Ipv4Address::Broadcast() : server_id_);
}

}  // namespace leasewire::engine::test
