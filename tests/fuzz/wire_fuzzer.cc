// libFuzzer target for the wire layer (frame.h, dhcp_message.h, options.h,
// reply_builder.h). Each input is tried twice: as an Ethernet frame
// (ParseDhcpFrame, then DhcpMessage::Parse on its UDP payload) and directly
// as a UDP payload. AddressSanitizer catches reads outside the input; the
// checks below __builtin_trap() when a property of the API breaks:
//
//  - checksums: a frame that passes with kVerify passes with kSkip and
//    yields the same payload; a frame written by WriteFrameHeaders
//    re-parses with kVerify to the same payload and headers;
//  - round trip: a parsed message written again with MessageWriter (every
//    option but 52, which the writer does not reproduce) re-parses to the
//    same fixed header and the same joined option values;
//  - limits: MessageWriter never writes past its limit, and every option it
//    accepted (and only those) is in its output;
//  - replies: BuildReply's result fits max_size, re-parses, and carries
//    53, 54 and the echoed 61 and 82 (82 last, RFC 3046 §2.2).
//
// Seeds: tests/fuzz/corpus, made by tools/make-fuzz-corpus.py.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "leasewire/wire/checksum.h"
#include "leasewire/wire/dhcp_message.h"
#include "leasewire/wire/frame.h"
#include "leasewire/wire/options.h"
#include "leasewire/wire/reply_builder.h"
#include "leasewire/wire/types.h"
#include "leasewire/wire/verdict.h"

namespace leasewire::wire {
namespace {

// Stops the run with a crash report when a property does not hold. A macro,
// so that the report points at the failed line.
#define FUZZ_CHECK(condition) \
  do {                        \
    if (!(condition)) {       \
      __builtin_trap();       \
    }                         \
  } while (0)

// Keeps reads from being optimised away.
volatile uint64_t sink = 0;

void Consume(std::span<const uint8_t> bytes) {
  uint64_t sum = bytes.size();
  for (uint8_t b : bytes) sum += b;
  sink = sink + sum;
}

template <typename T>
void Consume(const std::optional<T>& value) {
  sink = sink + (value.has_value() ? 1 : 0);
}

bool SameBytes(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// ---------------------------------------------------------------------------
// Views over option values.

void TouchSubOptions(std::span<const uint8_t> value) {
  const SubOptions sub(value);
  if (!sub.Valid()) return;
  for (const SubOptions::Item item : sub) {
    sink = sink + item.code;
    Consume(item.value);
  }
  Consume(sub.Find(relay::kCircuitId));
}

void TouchRelayAgentInfo(const DhcpMessage& msg) {
  const std::optional<RelayAgentInfo> rai = msg.relay_agent_info();
  if (!rai.has_value()) return;
  // Parse() validated option 82 (kBadRelayAgentInfo otherwise).
  FUZZ_CHECK(rai->Valid());
  FUZZ_CHECK(SameBytes(rai->raw(), *msg.Find(option::kRelayAgentInfo)));
  for (const SubOptions::Item item : *rai) Consume(item.value);
  Consume(rai->circuit_id());
  Consume(rai->remote_id());
  Consume(rai->subscriber_id());
  Consume(rai->vendor_specific());
  Consume(rai->link_selection());
  Consume(rai->server_id_override());
  sink = sink + rai->relay_source_port();
}

// Every view applied to every value: they must be safe on any bytes.
void TouchValue(uint8_t code, std::span<const uint8_t> value) {
  Consume(value);
  if (const OptionDef* def = FindOptionDef(code)) {
    sink = sink + IsValidOptionValue(*def, value);
  }
  TouchSubOptions(value);
  const AddressList addresses(value);
  if (addresses.Valid()) {
    for (size_t i = 0; i < addresses.size(); ++i) {
      sink = sink + addresses[i].value();
    }
  }
  const ClasslessRoutes routes(value);
  sink = sink + routes.Valid();
  routes.ForEach([](const ClasslessRoute& r) {
    sink = sink + r.destination.value() + r.prefix_length + r.router.value();
  });
  const UserClasses classes(value);
  sink = sink + classes.Valid();
  classes.ForEach([](std::span<const uint8_t> item) { Consume(item); });
}

void TouchMessage(const DhcpMessage& msg) {
  sink = sink + msg.op() + msg.htype() + msg.hlen() + msg.hops() + msg.xid() +
         msg.secs() + msg.flags() + msg.ciaddr().value() +
         msg.yiaddr().value() + msg.siaddr().value() + msg.giaddr().value() +
         msg.overload() + static_cast<int>(msg.CheckServerBound());
  FUZZ_CHECK(msg.hlen() <= kChaddrSize);
  Consume(msg.chaddr());
  Consume(msg.sname());
  Consume(msg.file());
  msg.ForEachOption([&](uint8_t code, std::span<const uint8_t> value) {
    FUZZ_CHECK(msg.Has(code) && msg.instances(code) >= 1);
    TouchValue(code, value);
  });
  Consume(msg.message_type());
  Consume(msg.subnet_mask());
  Consume(msg.routers());
  Consume(msg.domain_name_servers());
  Consume(msg.host_name());
  Consume(msg.domain_name());
  Consume(msg.interface_mtu());
  Consume(msg.broadcast_address());
  Consume(msg.ntp_servers());
  Consume(msg.requested_address());
  Consume(msg.lease_time());
  Consume(msg.server_identifier());
  Consume(msg.parameter_request_list());
  FUZZ_CHECK(msg.max_message_size() >= kMinMaxMessageSize);
  Consume(msg.renewal_time());
  Consume(msg.rebinding_time());
  Consume(msg.vendor_class());
  const auto client_id = msg.client_identifier();
  FUZZ_CHECK(!client_id.has_value() || client_id->size() >= 2);
  Consume(client_id);
  Consume(msg.auto_configure());
  Consume(msg.subnet_selection());
  Consume(msg.domain_search());
  if (const auto classes = msg.user_class()) {
    classes->ForEach([](std::span<const uint8_t> item) { Consume(item); });
  }
  if (const auto routes = msg.classless_static_routes()) {
    routes->ForEach([](const ClasslessRoute& r) {
      sink = sink + r.destination.value() + r.router.value();
    });
  }
  TouchRelayAgentInfo(msg);
  // RFC 3397 / RFC 1035 §4.1.4 names (allocates; fine off the hot path).
  if (const auto search = msg.Find(option::kDomainSearch)) {
    const auto names = DecodeDomainList(*search);
    if (names.has_value()) {
      for (const std::string& name : *names) sink = sink + name.size();
      Consume(EncodeDomainList(*names));
    }
  }
}

// ---------------------------------------------------------------------------
// Writing and re-parsing.

BootpHeader HeaderOf(const DhcpMessage& msg) {
  BootpHeader h;
  h.op = msg.op();
  h.htype = msg.htype();
  h.hlen = msg.hlen();
  h.hops = msg.hops();
  h.xid = msg.xid();
  h.secs = msg.secs();
  h.flags = msg.flags();
  h.ciaddr = msg.ciaddr();
  h.yiaddr = msg.yiaddr();
  h.siaddr = msg.siaddr();
  h.giaddr = msg.giaddr();
  std::memcpy(h.chaddr.data(), msg.chaddr_field().data(), kChaddrSize);
  return h;
}

bool SameFixedHeader(const DhcpMessage& a, const DhcpMessage& b) {
  return a.op() == b.op() && a.htype() == b.htype() && a.hlen() == b.hlen() &&
         a.hops() == b.hops() && a.xid() == b.xid() && a.secs() == b.secs() &&
         a.flags() == b.flags() && a.ciaddr() == b.ciaddr() &&
         a.yiaddr() == b.yiaddr() && a.siaddr() == b.siaddr() &&
         a.giaddr() == b.giaddr() &&
         SameBytes(a.chaddr_field(), b.chaddr_field());
}

// What a scan of a message MessageWriter wrote finds (no overload, so only
// the options field): the octets of all codes with several instances
// (what DhcpMessage must copy to its scratch area) and the last code
// before END.
struct OptionScan {
  size_t concatenated = 0;
  int last_code = -1;
  bool well_formed = true;
};

OptionScan ScanWrittenOptions(std::span<const uint8_t> msg) {
  std::array<size_t, 256> length{};
  std::array<size_t, 256> count{};
  OptionScan scan;
  size_t i = kOptionsOffset;
  while (i < msg.size() && msg[i] != option::kEnd) {
    if (msg[i] == option::kPad) {
      ++i;
      continue;
    }
    if (i + 1 >= msg.size() || i + 2 + msg[i + 1] > msg.size()) {
      scan.well_formed = false;
      return scan;
    }
    length[msg[i]] += msg[i + 1];
    ++count[msg[i]];
    scan.last_code = msg[i];
    i += 2 + msg[i + 1];
  }
  scan.well_formed = i < msg.size();  // END present
  for (int code = 0; code < 256; ++code) {
    if (count[code] > 1) scan.concatenated += length[code];
  }
  return scan;
}

// Every option of `original` except 52, and nothing else, is in `copy`.
bool SameOptions(const DhcpMessage& original, const DhcpMessage& copy) {
  if (copy.Has(option::kOverload)) return false;
  for (int code = 1; code < 255; ++code) {
    const uint8_t c = static_cast<uint8_t>(code);
    if (c == option::kOverload) continue;
    if (original.Has(c) != copy.Has(c)) return false;
    if (original.Has(c) && !SameBytes(*original.Find(c), *copy.Find(c))) {
      return false;
    }
  }
  return true;
}

// Writes `msg` again with a limit no smaller than needed: it must re-parse
// to the same header and options.
void CheckRoundTrip(const DhcpMessage& msg) {
  static std::array<uint8_t, 65536> out;
  static DhcpMessage again;
  MessageWriter writer(out, out.size());
  FUZZ_CHECK(writer.Begin(HeaderOf(msg)));
  msg.ForEachOption([&](uint8_t code, std::span<const uint8_t> value) {
    if (code == option::kOverload) return;
    FUZZ_CHECK(writer.Add(code, value));
  });
  const size_t n = writer.Finish();
  FUZZ_CHECK(n >= kOptionsOffset + 1 && n <= out.size());
  FUZZ_CHECK(n >= kMinBootpSize);
  const std::span<const uint8_t> written(out.data(), n);
  FUZZ_CHECK(again.Parse(written) == Verdict::kOk);
  FUZZ_CHECK(SameFixedHeader(msg, again));
  FUZZ_CHECK(again.overload() == 0);
  FUZZ_CHECK(SameOptions(msg, again));
}

// Writes `msg` with a small limit derived from the input: nothing may land
// past the limit, an option is either written whole or not at all, and the
// result re-parses to exactly the options that were accepted.
void CheckBoundedWriter(const DhcpMessage& msg, size_t limit) {
  constexpr size_t kCanary = 64;
  constexpr uint8_t kCanaryByte = 0xa5;
  static std::array<uint8_t, 2048 + kCanary> out;
  static DhcpMessage again;
  static std::array<bool, 256> added;
  limit = std::min(limit, out.size() - kCanary);
  out.fill(kCanaryByte);
  added.fill(false);

  MessageWriter writer(out, limit);
  const bool begun = writer.Begin(HeaderOf(msg));
  if (limit < kOptionsOffset) FUZZ_CHECK(!begun);
  if (limit > kOptionsOffset) FUZZ_CHECK(begun);
  if (begun) {
    // Option 82 goes last through the reserved space, as BuildReply does.
    const auto rai = msg.Find(option::kRelayAgentInfo);
    const size_t reserved = rai ? MessageWriter::EncodedSize(rai->size()) : 0;
    writer.Reserve(reserved);
    msg.ForEachOption([&](uint8_t code, std::span<const uint8_t> value) {
      if (code == option::kOverload || code == option::kRelayAgentInfo) return;
      const size_t before = writer.size();
      added[code] = writer.Add(code, value);
      const size_t grown =
          added[code] ? MessageWriter::EncodedSize(value.size()) : 0;
      FUZZ_CHECK(writer.size() == before + grown);
    });
    if (rai) {
      added[option::kRelayAgentInfo] =
          writer.AddReserved(option::kRelayAgentInfo, *rai);
      // The reservation fits whenever header + END + it fit the limit.
      if (kOptionsOffset + 1 + reserved <= limit) {
        FUZZ_CHECK(added[option::kRelayAgentInfo]);
      }
    }
    const size_t n = writer.Finish();
    FUZZ_CHECK(n <= limit);
    FUZZ_CHECK(n > kOptionsOffset);
    FUZZ_CHECK(again.Parse(std::span<const uint8_t>(out.data(), n)) ==
               Verdict::kOk);
    FUZZ_CHECK(SameFixedHeader(msg, again));
    for (int code = 1; code < 255; ++code) {
      const uint8_t c = static_cast<uint8_t>(code);
      FUZZ_CHECK(again.Has(c) == added[c]);
      if (added[c]) FUZZ_CHECK(SameBytes(*again.Find(c), *msg.Find(c)));
    }
  }
  for (size_t i = limit; i < limit + kCanary; ++i) {
    FUZZ_CHECK(out[i] == kCanaryByte);
  }
}

// Configured values: a few small ones, and 300 octets (more than one
// instance, RFC 3396) for opaque or list options.
std::span<const uint8_t> FuzzLookup(uint8_t code) {
  static constexpr uint8_t kMask[] = {255, 255, 255, 0};
  static constexpr uint8_t kRouter[] = {192, 0, 2, 1};
  static constexpr uint8_t kDns[] = {192, 0, 2, 53, 192, 0, 2, 54};
  static constexpr uint8_t kDomain[] = {'e', 'x', 'a', 'm', 'p', 'l',
                                        'e', '.', 'n', 'e', 't'};
  static const std::array<uint8_t, 300> kBig = [] {
    std::array<uint8_t, 300> big;
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i);
    return big;
  }();
  switch (code) {
    case option::kSubnetMask:
      return kMask;
    case option::kRouter:
      return kRouter;
    case option::kDomainNameServer:
      return kDns;
    case option::kDomainName:
      return kDomain;
    case option::kVendorSpecific:
    case option::kTftpServerName:
    case option::kBootfileName:
    case option::kDomainSearch:
    case option::kClasslessStaticRoute:
    case 224:
      return kBig;
    default:
      return {};
  }
}

void CheckReply(const DhcpMessage& request) {
  static constexpr uint8_t kAlwaysSend[] = {
      option::kSubnetMask, option::kRouter, option::kDomainNameServer,
      option::kVendorSpecific};
  static constexpr uint8_t kNakText[] = {'n', 'o', 'p', 'e'};
  static constexpr size_t kCanary = 64;
  static std::array<uint8_t, 65536 + kCanary> out;
  static DhcpMessage reply;

  ReplyParams params;
  params.header = ReplyHeaderFor(request);
  params.server_id = Ipv4Address::FromOctets(192, 0, 2, 1);
  params.always_send = kAlwaysSend;
  params.max_size = request.max_message_size() - 28;
  const auto type = request.message_type();
  if (type == MessageType::kDiscover) {
    params.type = MessageType::kOffer;
  } else if (type == MessageType::kRequest && (request.xid() & 1) != 0) {
    params.type = MessageType::kNak;
    params.message = kNakText;
  } else {
    params.type = MessageType::kAck;
  }
  if (params.type != MessageType::kNak && type != MessageType::kInform) {
    params.header.yiaddr = Ipv4Address::FromOctets(192, 0, 2, 100);
    params.lease_time = 3600;
    params.renewal_time = 1800;
    params.rebinding_time = 3150;
  }
  std::memset(out.data() + params.max_size, 0xa5, kCanary);

  const ReplyResult result = BuildReply(
      request, params, FuzzLookup, std::span(out).first(out.size() - kCanary));
  FUZZ_CHECK(result.size <= params.max_size);
  for (size_t i = params.max_size; i < params.max_size + kCanary; ++i) {
    FUZZ_CHECK(out[i] == 0xa5);
  }
  if (result.size == 0) return;

  const std::span<const uint8_t> written(out.data(), result.size);
  const OptionScan scan = ScanWrittenOptions(written);
  FUZZ_CHECK(scan.well_formed);
  const Verdict v = reply.Parse(written);
  if (v == Verdict::kOptionsTooLong) {
    // Legitimate only when the split options really exceed the scratch.
    FUZZ_CHECK(scan.concatenated > kConcatScratchSize);
    return;
  }
  FUZZ_CHECK(v == Verdict::kOk);
  FUZZ_CHECK(reply.op() == kBootReply && reply.xid() == request.xid());
  FUZZ_CHECK(reply.message_type() == params.type);
  FUZZ_CHECK(reply.server_identifier() == params.server_id);
  // RFC 1542 §2.1: padded to 300 octets where the limit allows.
  FUZZ_CHECK(result.size >= std::min(kMinBootpSize, params.max_size));
  if (params.type == MessageType::kNak) {
    // RFC 2131 Table 3: a NAK carries only 53, 54, 56, 61 and 82.
    reply.ForEachOption([](uint8_t code, std::span<const uint8_t>) {
      FUZZ_CHECK(
          code == option::kMessageType || code == option::kServerIdentifier ||
          code == option::kMessage || code == option::kClientIdentifier ||
          code == option::kRelayAgentInfo);
    });
  }
  // RFC 6842: the client identifier is echoed.
  if (const auto client_id = request.client_identifier()) {
    const auto echoed = reply.Find(option::kClientIdentifier);
    FUZZ_CHECK(echoed.has_value() && SameBytes(*echoed, *client_id));
  }
  // RFC 3046 §2.2: option 82 echoed unchanged, as the last option.
  if (const auto rai = request.Find(option::kRelayAgentInfo)) {
    const auto echoed = reply.Find(option::kRelayAgentInfo);
    FUZZ_CHECK(echoed.has_value() && SameBytes(*echoed, *rai));
    FUZZ_CHECK(scan.last_code == option::kRelayAgentInfo);
  }
}

void CheckParsedMessage(const DhcpMessage& msg) {
  TouchMessage(msg);
  // The copy must fit the 64 KiB buffer; the options' encoding never
  // grows by more than the fixed part.
  if (msg.payload().size() <= 60000) CheckRoundTrip(msg);
  // A limit anywhere from "too small for the header" to a few options.
  CheckBoundedWriter(msg, msg.xid() % 1100 + 200);
  CheckReply(msg);
}

// Puts `payload` behind headers written by WriteFrameHeaders; the frame must
// parse back with verified checksums to the same payload and headers.
void CheckFrameRoundTrip(std::span<const uint8_t> payload, uint8_t selector) {
  static std::array<uint8_t, 70000> frame;
  FrameSpec spec;
  spec.nb_vlan = selector % 3;
  spec.vlan_tpid = {kEtherTypeQinQ, kEtherTypeVlan};
  if (spec.nb_vlan == 1) spec.vlan_tpid[0] = kEtherTypeVlan;
  spec.vlan_tci = {static_cast<uint16_t>(selector * 17),
                   static_cast<uint16_t>(0x0fff - selector)};
  spec.eth_dst = MacAddress::Broadcast();
  spec.eth_src = MacAddress({2, 0, 0, 0, 0, selector});
  spec.ip_src = Ipv4Address(selector & 8 ? 0 : 0x0a000002 + selector);
  spec.ip_dst = Ipv4Address(selector & 16 ? 0xffffffff : 0xc0000201);
  spec.src_port = selector & 32 ? kDhcpServerPort : kDhcpClientPort;
  spec.dst_port = kDhcpServerPort;
  spec.udp_checksum =
      selector & 4 ? ChecksumCheck::kSkip : ChecksumCheck::kVerify;

  const size_t header = FrameHeaderSize(spec.nb_vlan);
  if (payload.size() > 65535 - kIpv4HeaderSize - kUdpHeaderSize ||
      header + payload.size() > frame.size()) {
    return;
  }
  if (!payload.empty()) {
    std::memcpy(frame.data() + header, payload.data(), payload.size());
  }
  const size_t n = WriteFrameHeaders(spec, frame, payload.size());
  FUZZ_CHECK(n == header + payload.size());
  FrameView view;
  FUZZ_CHECK(ParseDhcpFrame(std::span<const uint8_t>(frame.data(), n),
                            ChecksumCheck::kVerify, &view) == Verdict::kOk);
  FUZZ_CHECK(SameBytes(view.udp_payload, payload));
  FUZZ_CHECK(view.nb_vlan == spec.nb_vlan && view.eth_src == spec.eth_src &&
             view.eth_dst == spec.eth_dst && view.ip_src == spec.ip_src &&
             view.ip_dst == spec.ip_dst && view.src_port == spec.src_port &&
             view.dst_port == spec.dst_port);
  for (size_t i = 0; i < spec.nb_vlan; ++i) {
    FUZZ_CHECK(view.vlan_tpid[i] == spec.vlan_tpid[i]);
    FUZZ_CHECK(view.vlan_tci[i] == spec.vlan_tci[i]);
  }
  // The checksums written are the ones the checksum module computes.
  const std::span<const uint8_t> ip(frame.data() + view.l3_offset,
                                    kIpv4HeaderSize);
  FUZZ_CHECK(Ipv4HeaderChecksum(ip) == LoadBe16(ip.data() + 10));
}

void FuzzFrame(std::span<const uint8_t> input) {
  static DhcpMessage msg;
  FrameView view;
  const Verdict skipped = ParseDhcpFrame(input, ChecksumCheck::kSkip, &view);
  FrameView verified_view;
  const Verdict verified =
      ParseDhcpFrame(input, ChecksumCheck::kVerify, &verified_view);
  if (verified == Verdict::kOk) {
    FUZZ_CHECK(skipped == Verdict::kOk);
    FUZZ_CHECK(verified_view.udp_payload.data() == view.udp_payload.data() &&
               verified_view.udp_payload.size() == view.udp_payload.size());
  } else if (skipped == Verdict::kOk) {
    FUZZ_CHECK(verified == Verdict::kBadIpChecksum ||
               verified == Verdict::kBadUdpChecksum);
  }
  if (skipped != Verdict::kOk) return;
  // The payload is a view inside the input.
  FUZZ_CHECK(view.udp_payload.data() >= input.data() &&
             view.udp_payload.data() + view.udp_payload.size() <=
                 input.data() + input.size());
  FUZZ_CHECK(view.dst_port == kDhcpServerPort);
  if (msg.Parse(view.udp_payload) == Verdict::kOk) {
    CheckParsedMessage(msg);
  }
}

void FuzzPayload(std::span<const uint8_t> input) {
  static DhcpMessage msg;
  const Verdict v = msg.Parse(input);
  if (input.size() < kFixedHeaderSize)
    FUZZ_CHECK(v == Verdict::kTruncatedBootp);
  if (v == Verdict::kOk) {
    FUZZ_CHECK(input.size() >= kOptionsOffset);
    CheckParsedMessage(msg);
    const Verdict server_bound = msg.CheckServerBound();
    FUZZ_CHECK(msg.ParseRequest(input) == server_bound);
  }
  CheckFrameRoundTrip(input, input.empty() ? 0 : input[input.size() / 2]);
}

}  // namespace
}  // namespace leasewire::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  leasewire::wire::FuzzFrame(input);
  leasewire::wire::FuzzPayload(input);
  return 0;
}
