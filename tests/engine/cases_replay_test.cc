// Replays every frame of ../shared/cases (README.md there gives the
// expected behaviour) through the engine, with the reference configuration
// of README section 0 (tests/data/cases-config.json), and checks each
// decision and reply: action, message type, yiaddr/ciaddr/flags, where the
// reply goes (RFC 2131 §4.1), the options echoed (61 per RFC 6842, 82 byte
// for byte and last per RFC 3046 §2.2), lease times (RFC 2131 §3.3,
// §4.3.1), option 54 and the NAK fields of RFC 2131 Table 3.
//
// Harness rules (README "Replay-harness conventions"):
//   * Each case runs on a fresh Engine serving every subnet. A frame at
//     pcap offset t runs at engine time 1000 + floor(t), after Tick().
//   * Frames are parsed with ParseDhcpFrame(kVerify) and ParseRequest();
//     frames the wire layer refuses never reach the engine (no reply).
//   * Frames whose note says "placeholder" or "patch" get option 50
//     replaced with the yiaddr of the case's preceding OFFER; the IPv4 and
//     UDP checksums are then recomputed.
//   * [restart] builds a new Engine and Restore()s, for every address, the
//     last lease image logged so far (addresses whose last mutation is
//     kExpire are skipped: nothing holds them). This stands in for the
//     durable store until issue #4 exists.
//   * LEA-04's wall-clock steps do not reach the engine: its clock is
//     monotonic (engine.h), so the case just follows the pcap schedule.
//
// Decisions where README says "decide/document" or allows alternatives.
// The table accepts every allowed answer; the engine currently does:
//   MAL-01/a,b, MAL-02/a,b  Truncated options: the whole message is dropped
//                           by the wire layer (RFC 2132 §2); probes answered.
//   MAL-04/a                No END option: accepted, OFFER (RFC 2131 §4.1
//                           needs END only with option 52).
//   MAL-05/d                Invalid overload value: option 52 ignored; the
//                           REQUEST has no 50/54/ciaddr: dropped
//                           (malformed_request).
//   MAL-06/c                Joined option 50 (192.0.2.150) is reserved for
//                           another client (MAL-05), so it is not offered.
//   MAL-12/a,b              hlen > 16: dropped by the wire layer.
//   MAL-12/c,d              IPoIB: keyed on option 61 only, OFFER broadcast
//                           (RFC 4390 §2.1, RFC 2131 §4.1).
//   MAL-14/a,b              BOOTP disabled (the default): dropped.
//   CLI-02/d,e              Option 61 shorter than 2 octets is ignored: the
//                           client is keyed on chaddr and the OFFER leaves
//                           61 out (echoing it unaltered is also accepted).
//   CLI-04/a                DISCOVER with ciaddr: OFFER unicast to ciaddr:68
//                           (RFC 2131 §4.1 literal rule; here the same
//                           address and MAC as yiaddr/chaddr).
//   CLI-06/a, CLI-09/e      Non-authoritative: silent (RFC 2131 §4.3.2).
//   CLI-12/b                Relayed INFORM with ciaddr: ACK unicast to
//                           ciaddr:68 through the relay's MAC (Kea's choice,
//                           RFC 2131 §4.3.5); giaddr:67 also accepted.
//   CLI-12/d                INFORM with ciaddr 0 and IP source 0: dropped.
//   CLI-14/*                Host name stored as raw bytes (binary safe);
//                           option 12 is not sent back (nobody asks for it;
//                           if it were, it must be a clean name).
//   REL-05/c                82.19 with a non-empty value is not honoured:
//                           reply to giaddr:67, sub-option echoed unchanged.
//   REL-07/d                The RFC 5107 override is not remembered per
//                           client: 54 = 203.0.113.1 without 82.11 is a
//                           foreign server-id, so no reply (CLI-08 logic).
//   REL-08/a,b              Option 82 with giaddr 0 untrusted by default:
//                           dropped (RFC 3046 §2.1, §5).
//   LEA-01/c0,c1            Infinite reservation: 51 = 58 = 59 = 0xffffffff
//                           (RFC 2131 §3.3); leaving 58/59 out is accepted.
//   LEA-03/c                Half-open lifetime: the lease ends at its expiry
//                           instant, the address stays free, and the REBIND
//                           at that instant is ACKed (RFC 2131 §4.3.2).
//   LEA-04/b,c              Engine time is monotonic; a restart restores the
//                           lease with its stored expiry and the INIT-REBOOT
//                           gets a fresh 3600 s lease.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "leasewire/config/config.h"
#include "leasewire/engine/engine.h"
#include "leasewire/engine/mutation.h"
#include "leasewire/lease/lease.h"
#include "leasewire/wire/checksum.h"
#include "leasewire/wire/dhcp_message.h"
#include "leasewire/wire/frame.h"
#include "leasewire/wire/options.h"
#include "leasewire/wire/types.h"
#include "leasewire/wire/verdict.h"
#include "nlohmann/json.hpp"

namespace leasewire::engine {
namespace {

using lease::LeaseState;
using wire::DhcpMessage;
using wire::MessageType;
using wire::Verdict;
namespace opt = wire::option;
using Bytes = std::vector<uint8_t>;

// Text from mixed parts (Debian's Abseil has its own string_view, so
// absl::StrCat does not take std::string_view).
template <typename T>
void Put(std::ostringstream& os, const T& v) {
  if constexpr (std::is_same_v<T, uint8_t>) {
    os << static_cast<int>(v);
  } else {
    os << v;
  }
}
template <typename... A>
std::string Cat(const A&... parts) {
  std::ostringstream os;
  (Put(os, parts), ...);
  return os.str();
}
std::string Hex16(uint16_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}

constexpr Seconds kEpoch = 1000;  // engine time of t = 0
constexpr uint32_t kInfinite = 0xffffffff;
constexpr size_t kPortMtu = 1500;

// ---------------------------------------------------------------------------
// Small parsers for literals and packets.json.

Ipv4Address Ip(std::string_view text) {
  const std::optional<Ipv4Address> a = Ipv4Address::Parse(text);
  if (!a) {
    std::fprintf(stderr, "bad address literal %.*s\n",
                 static_cast<int>(text.size()), text.data());
    std::abort();
  }
  return *a;
}

MacAddress Mac(std::string_view text) {
  const std::optional<MacAddress> m = MacAddress::Parse(text);
  if (!m) {
    std::fprintf(stderr, "bad MAC literal %.*s\n",
                 static_cast<int>(text.size()), text.data());
    std::abort();
  }
  return *m;
}

std::optional<Bytes> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

std::string Hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (const uint8_t b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

Bytes ToBytes(std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); }

struct CaseFrame {
  std::string case_name;  // "MAL-01"
  std::string label;      // "a"
  std::string id;         // "MAL-01/a"
  std::string note;
  double t = 0;
  Bytes frame;
};

// Frames of packets.json in file order; `error` is set when loading failed.
struct Corpus {
  std::vector<CaseFrame> frames;
  std::string error;
};

Corpus LoadCorpus() {
  Corpus c;
  const std::string path = std::string(LEASEWIRE_CASES_DIR) + "/packets.json";
  std::ifstream in(path);
  if (!in) {
    c.error = "cannot open " + path;
    return c;
  }
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) {
    c.error = path + " is not a JSON array";
    return c;
  }
  for (const nlohmann::json& p : doc) {
    CaseFrame f;
    f.case_name = p.value("case", "");
    f.label = p.value("label", "");
    f.id = f.case_name + "/" + f.label;
    f.note = p.value("note", "");
    f.t = p.value("t", 0.0);
    std::optional<Bytes> frame = FromHex(p.value("frame_hex", ""));
    if (f.case_name.empty() || f.label.empty() || !frame || frame->empty()) {
      c.error = "bad entry in packets.json: " + p.dump().substr(0, 120);
      return c;
    }
    f.frame = std::move(*frame);
    c.frames.push_back(std::move(f));
  }
  return c;
}

const Corpus& GetCorpus() {
  static const Corpus* corpus = new Corpus(LoadCorpus());
  return *corpus;
}

std::string ConfigPath() {
  return std::string(LEASEWIRE_SOURCE_DIR) + "/tests/data/cases-config.json";
}

// ---------------------------------------------------------------------------
// Raw option access (the order matters for the option 82 checks).

struct RawOption {
  uint8_t code;
  Bytes value;
};

// The options field of a BOOTP payload, in order, up to END. Replies never
// use option 52, so the options field is all there is.
std::vector<RawOption> RawOptions(std::span<const uint8_t> payload) {
  std::vector<RawOption> out;
  size_t i = wire::kOptionsOffset;
  while (i < payload.size()) {
    const uint8_t code = payload[i];
    if (code == opt::kPad) {
      ++i;
      continue;
    }
    if (code == opt::kEnd || i + 1 >= payload.size()) break;
    const size_t len = payload[i + 1];
    if (i + 2 + len > payload.size()) break;
    out.push_back(
        {code, Bytes(payload.begin() + i + 2, payload.begin() + i + 2 + len)});
    i += 2 + len;
  }
  return out;
}

// Offset of option `code`'s value in the options field, or 0.
size_t FindOptionValue(std::span<const uint8_t> payload, uint8_t code) {
  size_t i = wire::kOptionsOffset;
  while (i + 1 < payload.size()) {
    const uint8_t c = payload[i];
    if (c == opt::kPad) {
      ++i;
      continue;
    }
    if (c == opt::kEnd) break;
    if (c == code) return i + 2;
    i += 2 + size_t{payload[i + 1]};
  }
  return 0;
}

// Replaces option 50's value with `address` and recomputes the IPv4 and
// UDP checksums. Returns false when the frame has no 4-octet option 50.
bool PatchRequestedAddress(Bytes* frame, Ipv4Address address) {
  wire::FrameView view;
  if (wire::ParseDhcpFrame(*frame, wire::ChecksumCheck::kSkip, &view) !=
      Verdict::kOk) {
    return false;
  }
  const size_t payload_at = view.l4_offset + wire::kUdpHeaderSize;
  const std::span<uint8_t> payload(frame->data() + payload_at,
                                   view.udp_payload.size());
  const size_t at = FindOptionValue(payload, opt::kRequestedAddress);
  if (at == 0 || payload[at - 1] != 4) return false;
  address.Store(&payload[at]);
  uint8_t* ip = frame->data() + view.l3_offset;
  const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
  wire::StoreBe16(ip + 10, wire::Ipv4HeaderChecksum({ip, ihl}));
  uint8_t* udp = frame->data() + view.l4_offset;
  const size_t udp_len = wire::LoadBe16(udp + 4);
  if (wire::LoadBe16(udp + 6) != 0) {  // 0: sender computed none
    udp[6] = udp[7] = 0;
    wire::StoreBe16(
        udp + 6, wire::UdpChecksum(view.ip_src, view.ip_dst, {udp, udp_len}));
  }
  return true;
}

// ---------------------------------------------------------------------------
// What a case may produce.

enum class Kind { kWireDrop, kDrop, kSilent, kOffer, kAck, kInformAck, kNak };

std::string_view KindName(Kind k) {
  switch (k) {
    case Kind::kWireDrop:
      return "wire drop";
    case Kind::kDrop:
      return "drop";
    case Kind::kSilent:
      return "silent";
    case Kind::kOffer:
      return "OFFER";
    case Kind::kAck:
      return "ACK";
    case Kind::kInformAck:
      return "ACK (INFORM)";
    case Kind::kNak:
      return "NAK";
  }
  return "?";
}

enum class YiKind { kZero, kExact, kRange, kSameAsOffer };
struct YiWant {
  YiKind kind = YiKind::kZero;
  Ipv4Address first;
  Ipv4Address last;
};

YiWant Exactly(std::string_view a) { return {YiKind::kExact, Ip(a), Ip(a)}; }
YiWant SameAsOffer() { return {YiKind::kSameAsOffer, {}, {}}; }
const YiWant kS1Pool = {YiKind::kRange, Ip("192.0.2.100"), Ip("192.0.2.199")};
const YiWant kS2Pool = {YiKind::kRange, Ip("198.51.100.100"),
                        Ip("198.51.100.199")};

// Where the reply goes (RFC 2131 §4.1).
enum class RouteKind { kYiaddr, kFixed, kBroadcast };
struct RouteWant {
  RouteKind kind = RouteKind::kBroadcast;
  Ipv4Address ip;  // kFixed
  MacAddress mac;  // kYiaddr, kFixed
  uint16_t port = wire::kDhcpClientPort;
};

// Unicast to yiaddr:68 and the client's MAC (B = 0, giaddr = ciaddr = 0).
RouteWant ToYiaddr(std::string_view chaddr) {
  return {RouteKind::kYiaddr, {}, Mac(chaddr), wire::kDhcpClientPort};
}
RouteWant To(std::string_view ip, std::string_view mac) {
  return {RouteKind::kFixed, Ip(ip), Mac(mac), wire::kDhcpClientPort};
}
// Every relayed frame of the cases comes from the relay's MAC.
constexpr std::string_view kRelayMac = "02:00:00:00:00:02";
RouteWant ToRelay(std::string_view giaddr,
                  uint16_t port = wire::kDhcpServerPort) {
  return {RouteKind::kFixed, Ip(giaddr), Mac(kRelayMac), port};
}
RouteWant Broadcast() { return {}; }

struct Outcome {
  Kind kind = Kind::kWireDrop;
  std::optional<Reason> reason;  // kDrop / kSilent
  YiWant yiaddr;
  RouteWant route;
  std::optional<bool> broadcast_flag;  // nullopt: copied from the request
  uint32_t lease = 3600;               // OFFER/ACK option 51
  Ipv4Address server_id = Ip("192.0.2.1");
  std::vector<uint8_t> has_options;
  std::string note;

  Outcome Flag(bool b) const {
    Outcome o = *this;
    o.broadcast_flag = b;
    return o;
  }
  Outcome Lease(uint32_t seconds) const {
    Outcome o = *this;
    o.lease = seconds;
    return o;
  }
  Outcome ServerId(std::string_view a) const {
    Outcome o = *this;
    o.server_id = Ip(a);
    return o;
  }
  Outcome Has(std::initializer_list<uint8_t> codes) const {
    Outcome o = *this;
    o.has_options.assign(codes);
    return o;
  }
  Outcome Note(std::string_view text) const {
    Outcome o = *this;
    o.note = std::string(text);
    return o;
  }
};

Outcome WireDrop() { return {}; }
Outcome Dropped(std::optional<Reason> reason = std::nullopt) {
  Outcome o;
  o.kind = Kind::kDrop;
  o.reason = reason;
  return o;
}
Outcome Silent(std::optional<Reason> reason = std::nullopt) {
  Outcome o;
  o.kind = Kind::kSilent;
  o.reason = reason;
  return o;
}
Outcome Offer(YiWant yiaddr, RouteWant route) {
  Outcome o;
  o.kind = Kind::kOffer;
  o.yiaddr = yiaddr;
  o.route = route;
  return o;
}
Outcome Ack(YiWant yiaddr, RouteWant route) {
  Outcome o = Offer(yiaddr, route);
  o.kind = Kind::kAck;
  return o;
}
Outcome InformAck(RouteWant route) {
  Outcome o;
  o.kind = Kind::kInformAck;
  o.route = route;
  return o;
}
Outcome Nak(RouteWant route) {
  Outcome o;
  o.kind = Kind::kNak;
  o.route = route;
  return o;
}

// ---------------------------------------------------------------------------
// Lease table snapshots, for checks that compare two moments of a case.

struct RecordSnap {
  LeaseState state;
  Seconds start;
  Seconds expiry;
  Bytes client_id;
  Bytes chaddr;
  Bytes circuit_id;
  Bytes remote_id;
  std::string hostname;
  friend bool operator==(const RecordSnap&, const RecordSnap&) = default;
};

struct Snapshot {
  std::map<uint32_t, RecordSnap> records;                         // by address
  std::map<uint32_t, std::pair<uint64_t, uint64_t>> utilization;  // id ->
                                                                  // total,free
};

Snapshot Take(const Engine& engine) {
  Snapshot s;
  engine.table().ForEach([&](lease::Slot, const lease::Lease& l) {
    s.records[l.address.value()] = {l.state,
                                    l.start,
                                    l.expiry,
                                    ToBytes(l.client_id()),
                                    ToBytes(l.chaddr()),
                                    ToBytes(l.circuit_id()),
                                    ToBytes(l.remote_id()),
                                    std::string(l.hostname())};
  });
  for (const config::Subnet& subnet : engine.config().subnets) {
    const Engine::Utilization u = engine.SubnetUtilization(subnet.id);
    s.utilization[subnet.id] = {u.total, u.free};
  }
  return s;
}

// ---------------------------------------------------------------------------
// One case being replayed.

struct CaseRun {
  std::shared_ptr<const config::Config> config;
  std::unique_ptr<Engine> engine;
  MutationLog log;  // every mutation of the case so far
  std::optional<Ipv4Address> last_offer;
  std::map<std::string, Ipv4Address> yiaddr_by_label;
  std::map<std::string, Snapshot> after;  // by label
};

// Failures of one candidate outcome.
class Errors {
 public:
  template <typename... A>
  void Expect(bool ok, const A&... parts) {
    if (!ok) list_.push_back(Cat(parts...));
  }
  bool empty() const { return list_.empty(); }
  std::string Join(std::string_view indent) const {
    std::string s;
    for (const std::string& e : list_) s += Cat(indent, e, "\n");
    return s;
  }

 private:
  std::vector<std::string> list_;
};

// Everything a check may look at after one frame.
struct StepView {
  const CaseFrame& frame;
  Verdict verdict;
  const DhcpMessage& request;  // valid when verdict == kOk
  const Ingress& ingress;
  const Decision& decision;
  std::span<const uint8_t> reply;  // empty unless a reply was written
  const CaseRun& run;
  const Engine& engine() const { return *run.engine; }
  // The lease record holding `a`, or nullptr.
  const lease::Lease* Record(Ipv4Address a) const {
    const lease::Slot s = engine().table().FindByAddress(a);
    return s == lease::kNoSlot ? nullptr : &engine().table().at(s);
  }
  Ipv4Address yiaddr() const {
    return reply.size() >= wire::kFixedHeaderSize
               ? Ipv4Address::Load(&reply[16])
               : Ipv4Address();
  }
};

using ExtraCheck = std::function<void(const StepView&, Errors*)>;

struct FrameExpect {
  std::string id;                // "CASE/label"
  std::vector<Outcome> allowed;  // any one of them passes
  bool restart_before = false;   // [restart] harness step
  ExtraCheck extra;              // case-specific checks
};

bool IsReservedForOther(const config::Subnet& subnet, Ipv4Address a,
                        const DhcpMessage& request) {
  const auto same = [](std::span<const uint8_t> x, std::span<const uint8_t> y) {
    return std::equal(x.begin(), x.end(), y.begin(), y.end());
  };
  for (const config::Reservation& r : subnet.reservations) {
    if (r.address != a) continue;
    switch (r.key_type) {
      case config::ReservationKey::kHwAddress:
        return !(request.htype() == wire::kHtypeEthernet &&
                 same(r.key, request.chaddr()));
      case config::ReservationKey::kClientId: {
        const auto id = request.client_identifier();
        return !(id && same(r.key, *id));
      }
      case config::ReservationKey::kCircuitId:
      case config::ReservationKey::kRemoteId: {
        const auto rai = request.relay_agent_info();
        if (!rai) return true;
        const auto v = r.key_type == config::ReservationKey::kCircuitId
                           ? rai->circuit_id()
                           : rai->remote_id();
        return !(v && same(r.key, *v));
      }
    }
  }
  return false;
}

bool InPoolOrReservation(const config::Subnet& subnet, Ipv4Address a) {
  for (const config::Pool& p : subnet.pools) {
    if (p.Contains(a)) return true;
  }
  for (const config::Reservation& r : subnet.reservations) {
    if (r.address == a) return true;
  }
  return false;
}

std::string Str(Ipv4Address a) { return a.ToString(); }
std::string Str(const MacAddress& m) { return m.ToString(); }

// Checks `v` against outcome `o`.
void Evaluate(const Outcome& o, const StepView& v, Errors* e) {
  if (o.kind == Kind::kWireDrop) {
    e->Expect(v.verdict != Verdict::kOk,
              "the wire layer accepted the frame; expected a wire drop");
    return;
  }
  if (v.verdict != Verdict::kOk) {
    e->Expect(false, "the wire layer dropped the frame (",
              wire::VerdictName(v.verdict), "); expected ", KindName(o.kind));
    return;
  }
  const Decision& d = v.decision;
  if (o.kind == Kind::kDrop || o.kind == Kind::kSilent) {
    const Action want = o.kind == Kind::kDrop ? Action::kDrop : Action::kSilent;
    e->Expect(d.action == want, "action ", static_cast<int>(d.action),
              " (reason ", ReasonName(d.reason), "); expected ",
              KindName(o.kind));
    if (o.reason) {
      e->Expect(d.reason == *o.reason, "reason ", ReasonName(d.reason),
                "; expected ", ReasonName(*o.reason));
    }
    return;
  }

  // A reply.
  if (d.action != Action::kReply) {
    e->Expect(false, "no reply (action ", static_cast<int>(d.action),
              ", reason ", ReasonName(d.reason), "); expected ",
              KindName(o.kind));
    return;
  }
  const MessageType want_type = o.kind == Kind::kOffer ? MessageType::kOffer
                                : o.kind == Kind::kNak ? MessageType::kNak
                                                       : MessageType::kAck;
  e->Expect(d.reply_type == want_type, "decision type ",
            wire::MessageTypeName(d.reply_type), "; expected ",
            wire::MessageTypeName(want_type));
  const DhcpMessage& q = v.request;
  DhcpMessage r;
  const Verdict rv = r.Parse(v.reply);
  if (rv != Verdict::kOk) {
    e->Expect(false, "the reply does not parse: ", wire::VerdictName(rv));
    return;
  }
  // Fixed header, RFC 2131 Table 3.
  e->Expect(r.op() == wire::kBootReply, "op ", r.op());
  e->Expect(r.xid() == q.xid(), "xid not copied");
  e->Expect(r.htype() == q.htype() && r.hlen() == q.hlen(),
            "htype/hlen not copied: ", r.htype(), "/", r.hlen());
  e->Expect(std::ranges::equal(r.chaddr_field(), q.chaddr_field()),
            "chaddr not copied: ", Hex(r.chaddr_field()));
  e->Expect(r.giaddr() == q.giaddr(), "giaddr ", Str(r.giaddr()),
            ", request had ", Str(q.giaddr()));
  const bool want_b = o.broadcast_flag.value_or(q.broadcast());
  const uint16_t want_flags =
      static_cast<uint16_t>((q.flags() & ~wire::kBroadcastFlag) |
                            (want_b ? wire::kBroadcastFlag : 0));
  e->Expect(r.flags() == want_flags, "flags ", Hex16(r.flags()), "; expected ",
            Hex16(want_flags));
  const std::optional<MessageType> type = r.message_type();
  e->Expect(type == want_type, "option 53 is not ",
            wire::MessageTypeName(want_type));
  const std::optional<Ipv4Address> sid = r.server_identifier();
  e->Expect(sid == o.server_id, "option 54 ",
            sid ? Str(*sid) : std::string("absent"), "; expected ",
            Str(o.server_id));
  const Ipv4Address want_ciaddr =
      o.kind == Kind::kAck || o.kind == Kind::kInformAck ? q.ciaddr()
                                                         : Ipv4Address();
  e->Expect(r.ciaddr() == want_ciaddr, "ciaddr ", Str(r.ciaddr()),
            "; expected ", Str(want_ciaddr));

  // yiaddr.
  const Ipv4Address yi = r.yiaddr();
  switch (o.yiaddr.kind) {
    case YiKind::kZero:
      e->Expect(yi.IsZero(), "yiaddr ", Str(yi), "; expected 0.0.0.0");
      break;
    case YiKind::kExact:
      e->Expect(yi == o.yiaddr.first, "yiaddr ", Str(yi), "; expected ",
                Str(o.yiaddr.first));
      break;
    case YiKind::kRange:
      e->Expect(yi >= o.yiaddr.first && yi <= o.yiaddr.last, "yiaddr ", Str(yi),
                " outside ", Str(o.yiaddr.first), " - ", Str(o.yiaddr.last));
      break;
    case YiKind::kSameAsOffer:
      e->Expect(v.run.last_offer.has_value() && yi == *v.run.last_offer,
                "yiaddr ", Str(yi), "; expected the offered ",
                v.run.last_offer ? Str(*v.run.last_offer) : "(none)");
      break;
  }
  if (o.kind == Kind::kOffer || o.kind == Kind::kAck) {
    const SubnetChoice choice =
        SelectSubnet(v.run.engine->config(), q, v.ingress);
    if (choice.subnet == nullptr) {
      e->Expect(false, "a reply, but SelectSubnet() chose no subnet");
    } else {
      const config::Subnet& s = *choice.subnet;
      e->Expect(s.prefix.Contains(yi), "yiaddr ", Str(yi), " outside ",
                s.prefix.ToString());
      e->Expect(InPoolOrReservation(s, yi), "yiaddr ", Str(yi),
                " is in no pool and no reservation");
      e->Expect(!IsReservedForOther(s, yi, q), "yiaddr ", Str(yi),
                " is reserved for another client");
      e->Expect(std::find(s.excluded.begin(), s.excluded.end(), yi) ==
                    s.excluded.end(),
                "yiaddr ", Str(yi), " is an excluded address");
    }
  }
  if (o.kind == Kind::kNak) {
    // RFC 2131 Table 3: a NAK has yiaddr = siaddr = 0 and no sname/file.
    e->Expect(r.siaddr().IsZero(), "NAK siaddr ", Str(r.siaddr()));
    e->Expect(std::ranges::all_of(r.sname(), [](uint8_t b) { return !b; }) &&
                  std::ranges::all_of(r.file(), [](uint8_t b) { return !b; }),
              "NAK sname/file not empty");
  }

  // Options.
  const std::vector<RawOption> options = RawOptions(v.reply);
  const auto find = [&](uint8_t code) -> const RawOption* {
    for (const RawOption& x : options) {
      if (x.code == code) return &x;
    }
    return nullptr;
  };
  const auto u32 = [&](uint8_t code) -> std::optional<uint32_t> {
    const RawOption* x = find(code);
    if (x == nullptr || x->value.size() != 4) return std::nullopt;
    return wire::LoadBe32(x->value.data());
  };
  if (o.kind == Kind::kOffer || o.kind == Kind::kAck) {
    // RFC 2131 §3.3, §4.3.1: lease time; T1 and T2 (RFC 2132 §9.11/12).
    const std::optional<uint32_t> lt = u32(opt::kLeaseTime);
    const std::optional<uint32_t> t1 = u32(opt::kRenewalTime);
    const std::optional<uint32_t> t2 = u32(opt::kRebindingTime);
    e->Expect(lt == o.lease, "option 51 ",
              lt ? Cat(*lt) : std::string("absent"), "; expected ", o.lease);
    if (o.lease == kInfinite) {
      e->Expect(!t1 || *t1 == kInfinite, "infinite lease with T1 ",
                t1.value_or(0));
      e->Expect(!t2 || *t2 == kInfinite, "infinite lease with T2 ",
                t2.value_or(0));
      e->Expect(t1.has_value() == t2.has_value(), "only one of 58/59");
    } else {
      const uint32_t want_t1 = o.lease / 2;
      const uint32_t want_t2 =
          static_cast<uint32_t>(uint64_t{o.lease} * 875 / 1000);
      e->Expect(t1 == want_t1, "option 58 ",
                t1 ? Cat(*t1) : std::string("absent"), "; expected ", want_t1);
      e->Expect(t2 == want_t2, "option 59 ",
                t2 ? Cat(*t2) : std::string("absent"), "; expected ", want_t2);
      if (t1 && t2 && lt) {
        e->Expect(*t1 < *t2 && *t2 < *lt, "not T1 < T2 < lease");
      }
    }
  } else {
    // RFC 2131 §3.4 / §4.3.5 (INFORM) and Table 3 (NAK): no lease times.
    e->Expect(!find(opt::kLeaseTime) && !find(opt::kRenewalTime) &&
                  !find(opt::kRebindingTime),
              "lease time options in a reply that must not have them");
  }
  if (o.kind == Kind::kNak) {
    for (const RawOption& x : options) {
      e->Expect(
          x.code == opt::kMessageType || x.code == opt::kServerIdentifier ||
              x.code == opt::kMessage || x.code == opt::kClientIdentifier ||
              x.code == opt::kRelayAgentInfo,
          "NAK carries option ", x.code, " (RFC 2131 Table 3)");
    }
  }
  // RFC 6842 §3: option 61 echoed unaltered. A value below the 2 octets of
  // RFC 2132 §9.14 may be echoed or left out.
  const std::optional<std::span<const uint8_t>> cid =
      q.Find(opt::kClientIdentifier);
  const RawOption* cid_echo = find(opt::kClientIdentifier);
  if (!cid) {
    e->Expect(cid_echo == nullptr, "option 61 in the reply, none sent");
  } else if (cid->size() >= 2 || cid_echo != nullptr) {
    e->Expect(cid_echo != nullptr && std::ranges::equal(cid_echo->value, *cid),
              "option 61 not echoed unaltered (RFC 6842 §3)");
  }
  // RFC 3046 §2.2: option 82 echoed whole, as the last option.
  const std::optional<std::span<const uint8_t>> rai =
      q.Find(opt::kRelayAgentInfo);
  const RawOption* rai_echo = find(opt::kRelayAgentInfo);
  if (!rai) {
    e->Expect(rai_echo == nullptr, "option 82 in the reply, none sent");
  } else {
    e->Expect(rai_echo != nullptr && std::ranges::equal(rai_echo->value, *rai),
              "option 82 not echoed byte for byte (RFC 3046 §2.2)");
    e->Expect(!options.empty() && options.back().code == opt::kRelayAgentInfo,
              "option 82 is not the last option (RFC 3046 §2.2)");
  }
  for (const uint8_t code : o.has_options) {
    e->Expect(find(code) != nullptr, "option ", code, " missing");
  }
  // Size: RFC 1542 §2.1 minimum, client's option 57 maximum (RFC 2132
  // §9.10), never above the port MTU.
  const size_t limit = std::min<size_t>(q.max_message_size(), kPortMtu) - 28;
  e->Expect(d.reply_size >= 300 && d.reply_size <= limit, "reply size ",
            d.reply_size, " outside [300, ", limit, "]");

  // Addressing, RFC 2131 §4.1.
  Route want;
  switch (o.route.kind) {
    case RouteKind::kYiaddr:
      want.ip_dst = yi;
      want.eth_dst = o.route.mac;
      want.dst_port = wire::kDhcpClientPort;
      break;
    case RouteKind::kFixed:
      want.ip_dst = o.route.ip;
      want.eth_dst = o.route.mac;
      want.dst_port = o.route.port;
      break;
    case RouteKind::kBroadcast:
      want.ip_dst = Ipv4Address::Broadcast();
      want.eth_dst = MacAddress::Broadcast();
      want.dst_port = wire::kDhcpClientPort;
      break;
  }
  e->Expect(d.route.ip_dst == want.ip_dst && d.route.eth_dst == want.eth_dst &&
                d.route.dst_port == want.dst_port,
            "route ", Str(d.route.eth_dst), " ", Str(d.route.ip_dst), ":",
            d.route.dst_port, "; expected ", Str(want.eth_dst), " ",
            Str(want.ip_dst), ":", want.dst_port);
}

// ---------------------------------------------------------------------------
// Case-specific checks.

void ExpectHostname(const StepView& v, Errors* e, std::string_view want) {
  const lease::Lease* l = v.Record(v.yiaddr());
  e->Expect(l != nullptr, "no record for ", Str(v.yiaddr()));
  if (l != nullptr) {
    e->Expect(l->hostname() == want, "stored host name \"",
              std::string(l->hostname()), "\"; expected \"", want, "\"");
  }
}

// Records holding an address (offered, bound, declined).
int HeldRecords(const Engine& engine) {
  int n = 0;
  engine.table().ForEach([&](lease::Slot, const lease::Lease& l) {
    if (lease::HoldsAddress(l.state)) ++n;
  });
  return n;
}

ExtraCheck HostnameIs(std::string want) {
  return [want](const StepView& v, Errors* e) {
    if (v.decision.action == Action::kReply) ExpectHostname(v, e, want);
  };
}

// The record of `address` is unchanged since the frame labelled `label`.
ExtraCheck Unchanged(std::string address, std::string label) {
  return [address, label](const StepView& v, Errors* e) {
    const uint32_t a = Ip(address).value();
    const auto snap = v.run.after.find(label);
    if (snap == v.run.after.end()) {
      e->Expect(false, "no snapshot after ", label);
      return;
    }
    const Snapshot now = Take(v.engine());
    const auto b = snap->second.records.find(a);
    const auto n = now.records.find(a);
    e->Expect(b != snap->second.records.end() && n != now.records.end() &&
                  b->second == n->second,
              "the record of ", address, " changed since ", label);
  };
}

ExtraCheck StateIs(std::string address, LeaseState state) {
  return [address, state](const StepView& v, Errors* e) {
    const lease::Lease* l = v.Record(Ip(address));
    e->Expect(l != nullptr && l->state == state, "record of ", address, " is ",
              l ? lease::LeaseStateName(l->state) : "absent", "; expected ",
              lease::LeaseStateName(state));
  };
}

ExtraCheck Both(ExtraCheck a, ExtraCheck b) {
  return [a, b](const StepView& v, Errors* e) {
    a(v, e);
    b(v, e);
  };
}

// CLI-14: option 12, if sent back, is a clean host name (RFC 1123 §2.1,
// RFC 2132 §3.14): no trailing dot, no NUL, letters/digits/hyphen/dot only.
void CleanHostnameEcho(const StepView& v, Errors* e) {
  for (const RawOption& x : RawOptions(v.reply)) {
    if (x.code != opt::kHostName) continue;
    const bool clean = !x.value.empty() && x.value.back() != '.' &&
                       std::ranges::all_of(x.value, [](uint8_t c) {
                         return (c >= 'a' && c <= 'z') ||
                                (c >= 'A' && c <= 'Z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.';
                       });
    e->Expect(clean, "option 12 echoed unsanitised: ", Hex(x.value));
  }
}

// The whole table: one entry per frame of packets.json.
std::vector<FrameExpect> Expectations() {
  const Reason kMalformed = Reason::kMalformedRequest;
  std::vector<FrameExpect> t;
  const auto add = [&t](std::string id, std::vector<Outcome> allowed,
                        ExtraCheck extra = nullptr) {
    t.push_back({std::move(id), std::move(allowed), false, std::move(extra)});
  };
  const auto add_restart = [&t](std::string id, std::vector<Outcome> allowed,
                                ExtraCheck extra = nullptr) {
    t.push_back({std::move(id), std::move(allowed), true, std::move(extra)});
  };

  // MAL-01 / MAL-02: truncated options (RFC 2132 §2, RFC 2131 §4.1).
  add("MAL-01/a", {WireDrop()});
  add("MAL-01/b", {WireDrop()});
  add("MAL-01/c", {Offer(kS1Pool, ToYiaddr("02:00:00:01:01:01"))});
  add("MAL-02/a", {WireDrop()});
  add("MAL-02/b", {WireDrop()});
  add("MAL-02/c", {Offer(kS1Pool, ToYiaddr("02:00:00:01:02:01"))});

  // MAL-04: no END (accepted); data after END ignored (RFC 2132 §3.2).
  add("MAL-04/a", {Offer(kS1Pool, ToYiaddr("02:00:00:01:04:01"))});
  add("MAL-04/b", {Offer(kS1Pool, ToYiaddr("02:00:00:01:04:01"))},
      [](const StepView& v, Errors* e) {
        e->Expect(v.yiaddr() != Ip("192.0.2.99"),
                  "option 50 after END was honoured");
        const lease::Lease* l = v.Record(v.yiaddr());
        e->Expect(l == nullptr || l->hostname() != "zz",
                  "host name after END was stored");
      });

  // MAL-05: option overload (RFC 2131 §4.1, RFC 2132 §9.3).
  add("MAL-05/a0",
      {Offer(Exactly("192.0.2.150"), ToYiaddr("02:00:00:01:05:01"))});
  add("MAL-05/a", {Ack(Exactly("192.0.2.150"), ToYiaddr("02:00:00:01:05:01"))});
  add("MAL-05/b", {Ack(Exactly("192.0.2.150"), ToYiaddr("02:00:00:01:05:01"))});
  add("MAL-05/c",
      {Offer(kS1Pool, ToYiaddr("02:00:00:01:05:02")).Has({1, 3, 6, 15})});
  add("MAL-05/d", {Dropped(kMalformed)});

  // MAL-06: RFC 3396 concatenation, option order.
  add("MAL-06/a",
      {Offer(kS1Pool, ToYiaddr("02:00:00:01:06:01")).Has({1, 3, 6, 15})},
      HostnameIs("host-a"));
  add("MAL-06/b", {WireDrop()});
  add("MAL-06/c", {Offer(kS1Pool, ToYiaddr("02:00:00:01:06:01"))},
      [](const StepView& v, Errors* e) {
        // 192.0.2.150 is reserved for MAL-05's client.
        e->Expect(v.yiaddr() != Ip("192.0.2.150"),
                  "offered another client's reserved address");
      });

  // MAL-08: empty / all-NUL host name ignored (RFC 2132 §3.14, §2).
  add("MAL-08/a", {Offer(kS1Pool, ToYiaddr("02:00:00:01:08:01"))},
      HostnameIs(""));
  add("MAL-08/b", {Offer(kS1Pool, ToYiaddr("02:00:00:01:08:01"))},
      HostnameIs(""));

  // MAL-10: large requests (RFC 2131 §2); reply sizes checked generically.
  add("MAL-10/a", {Offer(kS1Pool, ToYiaddr("02:00:00:01:0a:01"))});
  add("MAL-10/b", {Offer(kS1Pool, ToYiaddr("02:00:00:01:0a:01"))});
  add("MAL-10/c", {Offer(kS1Pool, ToYiaddr("02:00:00:01:0a:01"))});

  // MAL-12: hlen > 16 dropped; IPoIB keyed on 61, broadcast (RFC 4390).
  add("MAL-12/a", {WireDrop()});
  add("MAL-12/b", {WireDrop()});
  add("MAL-12/c", {Offer(kS1Pool, Broadcast())},
      [](const StepView& v, Errors* e) {
        const lease::Lease* l = v.Record(v.yiaddr());
        const auto id = v.request.client_identifier();
        e->Expect(l != nullptr && id && std::ranges::equal(l->client_id(), *id),
                  "IPoIB client not keyed on option 61");
      });
  add("MAL-12/d", {Offer(kS1Pool, Broadcast())},
      [](const StepView& v, Errors* e) {
        const auto c = v.run.yiaddr_by_label.find("c");
        e->Expect(c != v.run.yiaddr_by_label.end() && v.yiaddr() != c->second,
                  "two IPoIB clients got the same address");
      });

  // MAL-13 / MAL-14: not for a server (RFC 2131 §2, RFC 951); BOOTP off.
  for (const char* id : {"MAL-13/a", "MAL-13/b", "MAL-13/c", "MAL-13/d",
                         "MAL-14/a", "MAL-14/b"}) {
    add(id, {WireDrop()});
  }

  // CLI-01: identity by 61, else chaddr (RFC 2131 §4.2); MAC reservation.
  add("CLI-01/a",
      {Offer(Exactly("192.0.2.151"), ToYiaddr("02:00:00:02:01:01"))});
  add("CLI-01/b", {Ack(Exactly("192.0.2.151"), ToYiaddr("02:00:00:02:01:01"))});
  add("CLI-01/c",
      {Ack(Exactly("192.0.2.151"), To("192.0.2.151", "02:00:00:02:01:01"))},
      [](const StepView& v, Errors* e) {
        e->Expect(HeldRecords(v.engine()) == 1, "a second lease appeared");
      });
  add("CLI-01/d",
      {Offer(Exactly("192.0.2.151"), ToYiaddr("02:00:00:02:01:01"))},
      [](const StepView& v, Errors* e) {
        e->Expect(HeldRecords(v.engine()) == 1,
                  "more than one lease for one chaddr");
        const auto id = v.request.client_identifier();
        const lease::Slot s =
            id ? v.engine().table().FindByClient({true, 0, *id})
               : lease::kNoSlot;
        e->Expect(s != lease::kNoSlot &&
                      v.engine().table().at(s).address == Ip("192.0.2.151"),
                  "the new client-id does not find 192.0.2.151");
      });

  // CLI-02: option 61 forms (RFC 2132 §9.14, RFC 4361 §6.1, RFC 6842).
  add("CLI-02/a", {Offer(kS1Pool, ToYiaddr("02:00:00:02:02:01"))});
  add("CLI-02/b", {Offer(kS1Pool, ToYiaddr("02:00:00:02:02:02"))});
  add("CLI-02/c", {Offer(kS1Pool, ToYiaddr("02:00:00:02:02:03"))});
  const ExtraCheck keyed_on_chaddr = [](const StepView& v, Errors* e) {
    if (v.decision.action != Action::kReply) return;
    const lease::Lease* l = v.Record(v.yiaddr());
    e->Expect(l != nullptr && l->client_id().empty(),
              "a client-id below 2 octets was stored as the key");
    const bool echoed = FindOptionValue(v.reply, opt::kClientIdentifier) != 0;
    std::printf("[ choice   ] %s: short option 61 %s\n", v.frame.id.c_str(),
                echoed ? "echoed unaltered" : "left out of the reply");
  };
  add("CLI-02/d",
      {Offer(kS1Pool, ToYiaddr("02:00:00:02:02:04")).Note("ignore 61, chaddr"),
       Dropped().Note("drop")},
      keyed_on_chaddr);
  add("CLI-02/e",
      {Offer(kS1Pool, ToYiaddr("02:00:00:02:02:05")).Note("ignore 61, chaddr"),
       Dropped().Note("drop")},
      keyed_on_chaddr);

  // CLI-04: DISCOVER with ciaddr (RFC 2131 Table 5 / §4.1): answered.
  add("CLI-04/a",
      {Offer(Exactly("192.0.2.152"), To("192.0.2.152", "02:00:00:02:04:01"))});

  // CLI-05: one NAK, addressed per §4.1 / §4.3.2, fields per Table 3.
  add("CLI-05/a", {Nak(Broadcast())});
  add("CLI-05/b", {Nak(ToRelay("198.51.100.1")).Flag(true)});
  add("CLI-05/c", {Nak(Broadcast())});

  // CLI-06: unknown INIT-REBOOT silent (§4.3.2); lease survives restart.
  add("CLI-06/a", {Silent(Reason::kUnknownClient)});
  add("CLI-06/b0",
      {Offer(Exactly("192.0.2.157"), ToYiaddr("02:00:00:02:06:02"))});
  add("CLI-06/b1",
      {Ack(Exactly("192.0.2.157"), ToYiaddr("02:00:00:02:06:02"))});
  add_restart("CLI-06/b2",
              {Ack(Exactly("192.0.2.157"), ToYiaddr("02:00:00:02:06:02"))});

  // CLI-08: REQUEST for another server: no reply, offer withdrawn (§3.1
  // step 4, §4.3.2).
  add("CLI-08/a",
      {Offer(Exactly("192.0.2.153"), ToYiaddr("02:00:00:02:08:01"))});
  const ExtraCheck offer_withdrawn = [](const StepView& v, Errors* e) {
    const lease::Lease* l = v.Record(Ip("192.0.2.153"));
    e->Expect(l == nullptr || !lease::HoldsAddress(l->state),
              "the offer of 192.0.2.153 is still held");
  };
  add("CLI-08/b", {Silent(Reason::kNotForUs)}, offer_withdrawn);
  add("CLI-08/c", {Silent(Reason::kNotForUs)}, offer_withdrawn);

  // CLI-09: RENEWING / REBINDING (§4.3.2).
  const RouteWant to_154 = To("192.0.2.154", "02:00:00:02:09:01");
  add("CLI-09/a0",
      {Offer(Exactly("192.0.2.154"), ToYiaddr("02:00:00:02:09:01"))});
  add("CLI-09/a1",
      {Ack(Exactly("192.0.2.154"), ToYiaddr("02:00:00:02:09:01"))});
  add("CLI-09/b", {Ack(Exactly("192.0.2.154"), to_154)});
  add("CLI-09/c", {Ack(Exactly("192.0.2.154"), to_154)});
  add("CLI-09/d", {Ack(Exactly("192.0.2.154"), to_154)});
  add("CLI-09/e", {Silent(Reason::kUnknownClient)});
  add("CLI-09/f", {Nak(Broadcast())}, Unchanged("192.0.2.154", "e"));

  // CLI-11: RELEASE only by the holder of ciaddr (§4.3.4).
  add("CLI-11/a0",
      {Offer(Exactly("192.0.2.158"), ToYiaddr("02:00:00:02:0b:01"))});
  add("CLI-11/a1",
      {Ack(Exactly("192.0.2.158"), ToYiaddr("02:00:00:02:0b:01"))});
  add("CLI-11/b", {Silent(Reason::kReleaseIgnored)},
      Unchanged("192.0.2.158", "a1"));
  add("CLI-11/c",
      {Ack(Exactly("192.0.2.158"), To("192.0.2.158", "02:00:00:02:0b:01"))});
  add("CLI-11/f", {Silent(Reason::kReleaseIgnored)},
      Both(Unchanged("192.0.2.158", "c"),
           StateIs("192.0.2.158", LeaseState::kBound)));
  add("CLI-11/d", {Silent(Reason::kReleased)},
      StateIs("192.0.2.158", LeaseState::kReleased));
  add("CLI-11/e", {Silent(Reason::kReleaseIgnored)},
      [](const StepView& v, Errors* e) {
        const auto d = v.run.after.find("d");
        const Snapshot now = Take(v.engine());
        e->Expect(d != v.run.after.end() && d->second.records == now.records &&
                      d->second.utilization == now.utilization,
                  "a duplicate RELEASE changed the table or the counts");
      });

  // CLI-12: INFORM (§3.4, §4.3.5): ACK without lease times, never NAK.
  const std::initializer_list<uint8_t> config_options = {1, 3, 6, 15};
  add("CLI-12/a",
      {InformAck(To("192.0.2.50", "02:00:00:02:0c:01")).Has(config_options)});
  add("CLI-12/b",
      {InformAck(To("198.51.100.77", kRelayMac))
           .Has({1, 3})
           .Note("unicast to ciaddr:68"),
       InformAck(ToRelay("198.51.100.1")).Has({1, 3}).Note("to giaddr:67")});
  add("CLI-12/c", {InformAck(ToRelay("198.51.100.1")).Flag(true).Has({1, 3})});
  add("CLI-12/d", {Dropped(Reason::kNoAddressToAnswer)});
  add("CLI-12/e", {InformAck(To("192.0.2.151", "02:00:00:02:0c:01"))});

  // CLI-14: odd host names never stop an OFFER (RFC 2132 §3.14, §2).
  add("CLI-14/a", {Offer(kS1Pool, ToYiaddr("02:00:00:02:0e:01"))},
      Both(CleanHostnameEcho, HostnameIs("host-a")));
  add("CLI-14/b", {Offer(kS1Pool, ToYiaddr("02:00:00:02:0e:02"))},
      CleanHostnameEcho);
  add("CLI-14/c", {Offer(kS1Pool, ToYiaddr("02:00:00:02:0e:03"))},
      CleanHostnameEcho);
  add("CLI-14/d", {Offer(kS1Pool, ToYiaddr("02:00:00:02:0e:04"))},
      CleanHostnameEcho);
  add("CLI-14/e", {Offer(kS1Pool, ToYiaddr("02:00:00:02:0e:05"))},
      CleanHostnameEcho);

  // REL-01: 82 echoed in every reply (RFC 3046 §2.2); all to giaddr:67.
  const RouteWant s2_relay = ToRelay("198.51.100.1");
  add("REL-01/a", {Offer(Exactly("198.51.100.150"), s2_relay)});
  add("REL-01/b", {Ack(Exactly("198.51.100.150"), s2_relay)});
  add("REL-01/c", {Ack(Exactly("198.51.100.150"), s2_relay)});
  add("REL-01/d", {Nak(s2_relay).Flag(true)});
  add("REL-01/e", {Ack(Exactly("198.51.100.150"), s2_relay)});

  // REL-02: binary circuit-id / remote-id kept whole.
  add("REL-02/a", {Offer(kS2Pool, s2_relay)});
  add("REL-02/b", {Ack(SameAsOffer(), s2_relay)},
      [](const StepView& v, Errors* e) {
        const lease::Lease* l = v.Record(v.yiaddr());
        e->Expect(l != nullptr && Hex(l->circuit_id()) == "0001002a0000" &&
                      Hex(l->remote_id()) == "020000bb0000",
                  "circuit-id / remote-id not stored whole");
      });

  // REL-04: relayed replies go to giaddr:67 (RFC 2131 §4.1), B copied.
  add("REL-04/a", {Offer(kS2Pool, s2_relay).Flag(true)});
  add("REL-04/b", {Offer(SameAsOffer(), s2_relay).Flag(true)});
  add("REL-04/c", {Offer(SameAsOffer(), s2_relay).Flag(true)});
  add("REL-04/d", {Offer(SameAsOffer(), s2_relay).Flag(true)});

  // REL-05: RFC 8357 §5.1 relay source port.
  add("REL-05/a", {Offer(kS2Pool, ToRelay("198.51.100.1", 6767))});
  add("REL-05/b", {Offer(SameAsOffer(), s2_relay)});
  add("REL-05/c", {Offer(SameAsOffer(), s2_relay).Note("not honoured: port 67"),
                   Offer(SameAsOffer(), ToRelay("198.51.100.1", 6767))
                       .Note("honoured: port 6767")});

  // REL-07: RFC 5107 server identifier override; S3 by link selection.
  const RouteWant s3_relay = ToRelay("10.255.0.1");
  add("REL-07/a",
      {Offer(Exactly("203.0.113.150"), s3_relay).ServerId("203.0.113.1")});
  add("REL-07/b",
      {Ack(Exactly("203.0.113.150"), s3_relay).ServerId("203.0.113.1")});
  add("REL-07/c",
      {Ack(Exactly("203.0.113.150"), s3_relay).ServerId("203.0.113.1")});
  add("REL-07/d",
      {Silent(Reason::kNotForUs).Note("foreign server-id, no reply"),
       Dropped().Note("dropped"),
       Ack(Exactly("203.0.113.150"), s3_relay)
           .ServerId("203.0.113.1")
           .Note("stored override accepted")},
      [](const StepView& v, Errors* e) {
        const lease::Lease* l = v.Record(Ip("203.0.113.150"));
        e->Expect(l != nullptr && l->state == LeaseState::kBound,
                  "203.0.113.150 is no longer bound");
      });

  // REL-08: 82 with giaddr 0 untrusted by default (RFC 3046 §2.1, §5).
  add("REL-08/a", {Dropped(Reason::kUntrustedRelayInfo)});
  add("REL-08/b", {Dropped(Reason::kUntrustedRelayInfo)});

  // LEA-01: lease time policy (RFC 2131 §4.3.1, §3.3).
  add("LEA-01/a", {Offer(kS1Pool, ToYiaddr("02:00:00:04:01:01")).Lease(86400)});
  add("LEA-01/b",
      {Ack(SameAsOffer(), ToYiaddr("02:00:00:04:01:01")).Lease(86400)});
  add("LEA-01/c0", {Offer(Exactly("192.0.2.162"), ToYiaddr("02:00:00:04:01:03"))
                        .Lease(kInfinite)});
  add("LEA-01/c1",
      {Ack(Exactly("192.0.2.162"), ToYiaddr("02:00:00:04:01:03"))
           .Lease(kInfinite)},
      [](const StepView& v, Errors* e) {
        const lease::Lease* l = v.Record(Ip("192.0.2.162"));
        e->Expect(l != nullptr && l->infinite(),
                  "the infinite lease is stored with a finite expiry");
        const bool t1 = FindOptionValue(v.reply, opt::kRenewalTime) != 0;
        std::printf("[ choice   ] %s: infinite lease, T1/T2 %s\n",
                    v.frame.id.c_str(), t1 ? "0xffffffff" : "left out");
      });
  add("LEA-01/d", {Offer(kS1Pool, ToYiaddr("02:00:00:04:01:04")).Lease(86400)});

  // LEA-03: exhaustion, the expiry instant, reclaiming (S4, 60 s leases).
  const RouteWant s4_relay = ToRelay("100.64.0.1");
  add("LEA-03/a0", {Offer(Exactly("100.64.0.2"), s4_relay).Lease(60)});
  add("LEA-03/a1", {Ack(Exactly("100.64.0.2"), s4_relay).Lease(60)});
  add("LEA-03/b", {Dropped(Reason::kPoolExhausted)},
      [](const StepView& v, Errors* e) {
        const config::Subnet* s4 =
            v.engine().config().FindSubnetContaining(Ip("100.64.0.2"));
        e->Expect(
            s4 != nullptr && v.engine().SubnetUtilization(s4->id).free == 0,
            "pool exhausted, yet free addresses are counted");
      });
  add("LEA-03/c", {Ack(Exactly("100.64.0.2"), s4_relay).Lease(60)});
  add("LEA-03/d", {Offer(Exactly("100.64.0.2"), s4_relay).Lease(60)});

  // LEA-04: monotonic engine time; lease restored after a restart.
  add("LEA-04/a0",
      {Offer(Exactly("192.0.2.163"), ToYiaddr("02:00:00:04:04:01"))});
  add("LEA-04/a1",
      {Ack(Exactly("192.0.2.163"), ToYiaddr("02:00:00:04:04:01"))});
  // [before b: the wall clock steps +2 days; the engine clock does not.]
  add("LEA-04/b",
      {Ack(Exactly("192.0.2.163"), To("192.0.2.163", "02:00:00:04:04:01"))});
  // [before c: stop, wall clock -1 day, start: only the restart matters.]
  add_restart("LEA-04/c",
              {Ack(Exactly("192.0.2.163"), ToYiaddr("02:00:00:04:04:01"))});
  return t;
}

// ---------------------------------------------------------------------------
// The replay.

// Rebuilds the engine from the mutations logged so far: the last image of
// each address, in the order those images were logged; kExpire'd
// addresses are skipped (nothing holds them).
void Restart(CaseRun* run, Seconds now) {
  auto engine =
      std::make_unique<Engine>(run->config, std::span<const uint32_t>(), now);
  std::map<uint32_t, size_t> last;
  for (size_t i = 0; i < run->log.size(); ++i) {
    last[run->log[i].lease.address.value()] = i;
  }
  std::vector<size_t> order;
  for (const auto& [address, i] : last) order.push_back(i);
  std::sort(order.begin(), order.end());
  for (const size_t i : order) {
    const Mutation m = run->log[i];
    if (m.kind == MutationKind::kExpire) continue;
    EXPECT_TRUE(engine->Restore(m.lease))
        << "Restore() refused " << m.lease.address.ToString() << " ("
        << MutationKindName(m.kind) << ")";
  }
  run->engine = std::move(engine);
}

class CasesReplayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (config_ != nullptr || config_error_ != nullptr) return;
    absl::StatusOr<std::shared_ptr<const config::Config>> c =
        config::LoadConfigFile(ConfigPath());
    if (c.ok()) {
      config_ = new std::shared_ptr<const config::Config>(*std::move(c));
    } else {
      config_error_ = new std::string(c.status().ToString());
    }
  }

  void SetUp() override {
    const Corpus& corpus = GetCorpus();
    ASSERT_TRUE(corpus.error.empty()) << corpus.error;
    ASSERT_FALSE(corpus.frames.empty());
    ASSERT_NE(config_, nullptr)
        << ConfigPath() << ": "
        << (config_error_ ? *config_error_ : std::string("not loaded"));
  }

  static std::shared_ptr<const config::Config>* config_;
  static std::string* config_error_;
};

std::shared_ptr<const config::Config>* CasesReplayTest::config_ = nullptr;
std::string* CasesReplayTest::config_error_ = nullptr;

// The reference configuration is README section 0.
TEST_F(CasesReplayTest, ConfigMatchesReadmeSectionZero) {
  const config::Config& c = **config_;
  const config::Interface* port0 = c.FindInterface("port0");
  ASSERT_NE(port0, nullptr);
  EXPECT_EQ(port0->address, Ip("192.0.2.1"));
  EXPECT_EQ(port0->prefix.ToString(), "192.0.2.0/24");
  EXPECT_EQ(c.server_id, Ip("192.0.2.1"));
  EXPECT_FALSE(c.authoritative);
  EXPECT_FALSE(c.trust.relay_info_without_giaddr);
  const struct {
    const char* prefix;
    const char* first;
    const char* last;
  } kSubnets[] = {
      {"192.0.2.0/24", "192.0.2.100", "192.0.2.199"},
      {"198.51.100.0/24", "198.51.100.100", "198.51.100.199"},
      {"203.0.113.0/24", "203.0.113.100", "203.0.113.199"},
      {"100.64.0.0/30", "100.64.0.2", "100.64.0.2"},
  };
  for (const auto& want : kSubnets) {
    const config::Subnet* s = c.FindSubnetContaining(Ip(want.first));
    ASSERT_NE(s, nullptr) << want.prefix;
    EXPECT_EQ(s->prefix.ToString(), want.prefix);
    ASSERT_EQ(s->pools.size(), 1u) << want.prefix;
    EXPECT_EQ(s->pools[0].first, Ip(want.first)) << want.prefix;
    EXPECT_EQ(s->pools[0].last, Ip(want.last)) << want.prefix;
    EXPECT_FALSE(s->authoritative) << want.prefix;
  }
  const config::Subnet* s1 = c.FindSubnetContaining(Ip("192.0.2.1"));
  ASSERT_NE(s1, nullptr);
  EXPECT_EQ(s1->lifetimes.valid, 3600u);
  EXPECT_EQ(s1->lifetimes.min_valid, 60u);
  EXPECT_EQ(s1->lifetimes.max_valid, 86400u);
  EXPECT_DOUBLE_EQ(s1->lifetimes.renew_percent, 50.0);
  EXPECT_DOUBLE_EQ(s1->lifetimes.rebind_percent, 87.5);
  EXPECT_EQ(c.FindSubnetForRelay(Ip("198.51.100.1")),
            c.FindSubnetContaining(Ip("198.51.100.1")));
  EXPECT_EQ(c.FindSubnetForRelay(Ip("100.64.0.1")),
            c.FindSubnetContaining(Ip("100.64.0.1")));
  EXPECT_EQ(c.FindSubnetContaining(Ip("172.31.255.1")), nullptr);
  EXPECT_EQ(c.FindSubnetContaining(Ip("10.255.0.1")), nullptr);
  const config::Subnet* s4 = c.FindSubnetContaining(Ip("100.64.0.2"));
  ASSERT_NE(s4, nullptr);
  EXPECT_EQ(s4->lifetimes.valid, 60u);
  EXPECT_EQ(s4->lifetimes.min_valid, 60u);
  EXPECT_EQ(s4->lifetimes.max_valid, 60u);
  // The MAC reservations of the table in section 0.
  const struct {
    const char* mac;
    const char* address;
    bool infinite;
  } kReservations[] = {
      {"02:00:00:01:05:01", "192.0.2.150", false},
      {"02:00:00:02:01:01", "192.0.2.151", false},
      {"02:00:00:02:04:01", "192.0.2.152", false},
      {"02:00:00:02:08:01", "192.0.2.153", false},
      {"02:00:00:02:09:01", "192.0.2.154", false},
      {"02:00:00:02:0a:01", "192.0.2.155", false},
      {"02:00:00:02:0a:02", "192.0.2.156", false},
      {"02:00:00:02:06:02", "192.0.2.157", false},
      {"02:00:00:02:0b:01", "192.0.2.158", false},
      {"02:00:00:04:01:03", "192.0.2.162", true},
      {"02:00:00:04:04:01", "192.0.2.163", false},
      {"02:00:00:03:01:01", "198.51.100.150", false},
      {"02:00:00:03:07:01", "203.0.113.150", false},
  };
  for (const auto& want : kReservations) {
    const config::Subnet* s = c.FindSubnetContaining(Ip(want.address));
    ASSERT_NE(s, nullptr) << want.address;
    const auto mac = Mac(want.mac).bytes();
    const auto it = std::find_if(
        s->reservations.begin(), s->reservations.end(),
        [&](const config::Reservation& r) {
          return r.key_type == config::ReservationKey::kHwAddress &&
                 std::ranges::equal(r.key, mac);
        });
    ASSERT_NE(it, s->reservations.end()) << want.mac;
    EXPECT_EQ(it->address, Ip(want.address)) << want.mac;
    EXPECT_EQ(it->valid_lifetime == config::kInfinite, want.infinite)
        << want.mac;
  }
}

// The table and packets.json name the same frames.
TEST_F(CasesReplayTest, EveryFrameHasAnExpectation) {
  std::set<std::string> table;
  for (const FrameExpect& x : Expectations()) {
    EXPECT_TRUE(table.insert(x.id).second) << "duplicate entry " << x.id;
  }
  std::set<std::string> frames;
  for (const CaseFrame& f : GetCorpus().frames) {
    EXPECT_TRUE(frames.insert(f.id).second) << "duplicate frame " << f.id;
    EXPECT_TRUE(table.contains(f.id))
        << f.id << " (" << f.note << ") has no expectation in the table";
  }
  for (const std::string& id : table) {
    EXPECT_TRUE(frames.contains(id)) << id << " is not in packets.json";
  }
}

class CaseTest : public CasesReplayTest,
                 public ::testing::WithParamInterface<std::string> {};

void ReplayCase(const std::shared_ptr<const config::Config>& config,
                const std::string& case_name) {
  std::map<std::string, FrameExpect> table;
  for (FrameExpect& x : Expectations()) table.emplace(x.id, std::move(x));
  CaseRun run;
  run.config = config;
  const config::Interface* port0 = config->FindInterface("port0");
  ASSERT_NE(port0, nullptr);
  bool first = true;
  for (const CaseFrame& f : GetCorpus().frames) {
    if (f.case_name != case_name) continue;
    SCOPED_TRACE(f.id + " (" + f.note + ")");
    const auto it = table.find(f.id);
    ASSERT_NE(it, table.end()) << "no expectation for " << f.id;
    const FrameExpect& want = it->second;
    const Seconds now = kEpoch + static_cast<Seconds>(std::floor(f.t));
    if (first) {
      run.engine = std::make_unique<Engine>(run.config,
                                            std::span<const uint32_t>(), now);
      first = false;
    }
    if (want.restart_before) Restart(&run, now);
    run.engine->Tick(now, &run.log);

    Bytes frame = f.frame;
    const bool patch = f.note.find("placeholder") != std::string::npos ||
                       f.note.find("patch") != std::string::npos;
    if (patch && run.last_offer) {
      ASSERT_TRUE(PatchRequestedAddress(&frame, *run.last_offer));
    }
    wire::FrameView view;
    Verdict verdict =
        wire::ParseDhcpFrame(frame, wire::ChecksumCheck::kVerify, &view);
    DhcpMessage msg;
    if (verdict == Verdict::kOk) verdict = msg.ParseRequest(view.udp_payload);

    Ingress ingress;
    ingress.interface = port0;
    ingress.eth_src = view.eth_src;
    ingress.ip_src = view.ip_src;
    ingress.ip_dst = view.ip_dst;
    ingress.src_port = view.src_port;
    std::vector<uint8_t> reply(kPortMtu, 0xee);
    Decision decision;
    decision.action = Action::kDrop;
    const size_t log_before = run.log.size();
    if (verdict == Verdict::kOk) {
      decision = run.engine->Handle(msg, ingress, now, reply, &run.log);
    }
    const std::span<const uint8_t> reply_bytes =
        decision.action == Action::kReply
            ? std::span<const uint8_t>(reply.data(), decision.reply_size)
            : std::span<const uint8_t>();
    const StepView v{f, verdict, msg, ingress, decision, reply_bytes, run};

    // Any one of the allowed outcomes.
    std::string failures;
    const Outcome* matched = nullptr;
    for (const Outcome& o : want.allowed) {
      Errors e;
      Evaluate(o, v, &e);
      if (e.empty()) {
        matched = &o;
        break;
      }
      failures +=
          Cat("  as ", KindName(o.kind),
              o.note.empty() ? "" : " (" + o.note + ")", ":\n", e.Join("    "));
    }
    EXPECT_NE(matched, nullptr) << f.id << " matches no allowed outcome\n"
                                << failures;
    if (matched != nullptr && want.allowed.size() > 1) {
      std::printf("[ choice   ] %s: %s\n", f.id.c_str(), matched->note.c_str());
    }
    if (want.extra) {
      Errors e;
      want.extra(v, &e);
      EXPECT_TRUE(e.empty()) << f.id << ":\n" << e.Join("  ");
    }
    // A refused or silent request changes no lease, except the withdrawal
    // of an offer (kept in memory only).
    if (decision.action == Action::kDrop) {
      EXPECT_EQ(run.log.size(), log_before) << "a drop logged mutations";
    }

    const Ipv4Address yi = v.yiaddr();
    if (decision.action == Action::kReply) {
      run.yiaddr_by_label[f.label] = yi;
      if (decision.reply_type == MessageType::kOffer) run.last_offer = yi;
    }
    run.after[f.label] = Take(*run.engine);
  }
  EXPECT_FALSE(first) << "no frames for " << case_name;
}

TEST_P(CaseTest, Replays) { ReplayCase(*config_, GetParam()); }

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const CaseFrame& f : GetCorpus().frames) {
    if (std::find(names.begin(), names.end(), f.case_name) == names.end()) {
      names.push_back(f.case_name);
    }
  }
  if (names.empty()) names.push_back("NO-CASES");  // fails in SetUp()
  return names;
}

INSTANTIATE_TEST_SUITE_P(Cases, CaseTest, ::testing::ValuesIn(CaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace leasewire::engine
