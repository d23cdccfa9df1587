// File: leasewire/wire/reply_builder.h
//
// Writing BOOTP/DHCP messages. MessageWriter lays down a fixed header, the
// magic cookie and options (splitting values over 255 octets into several
// instances, RFC 3396) inside a caller-owned buffer and a length limit; it
// never allocates and never writes past the limit. BuildReply() uses it to
// write a server's reply in the order clients and relays expect:
//
//   53 message type, 54 server identifier, 51 / 58 / 59 lease times,
//   56 message, 1 subnet mask (before 3, RFC 2132 §3.3), 61 client
//   identifier echoed (RFC 6842), then the options the client asked for in
//   the order of its parameter request list (55), then options the
//   operator always sends,
//   then 82 echoed byte for byte as the last option (RFC 3046 §2.2), END.
//
// The size limit comes from the client's option 57 (never below 576,
// RFC 2132 §9.10) and the port MTU. When everything does not fit, optional
// options are left out whole (the later ones in the list first); the
// mandatory ones (53, 54, lease times, 61, 82) are never dropped: if they do
// not fit, BuildReply() fails and the caller counts it.
//
// Thread safety: thread-compatible; one writer per buffer.

#ifndef LEASEWIRE_WIRE_REPLY_BUILDER_H_
#define LEASEWIRE_WIRE_REPLY_BUILDER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "absl/functional/function_ref.h"
#include "leasewire/wire/dhcp_message.h"
#include "leasewire/wire/options.h"
#include "leasewire/wire/types.h"

namespace leasewire::wire {

// BOOTP payloads shorter than this are padded with zeros: RFC 1542 §2.1
// relays and old clients expect at least a 300-octet BOOTP message.
inline constexpr size_t kMinBootpSize = 300;

// The values of the fixed header (RFC 2131 §2).
struct BootpHeader {
  uint8_t op = kBootReply;
  uint8_t htype = kHtypeEthernet;
  uint8_t hlen = 6;
  uint8_t hops = 0;
  uint32_t xid = 0;
  uint16_t secs = 0;
  uint16_t flags = 0;
  Ipv4Address ciaddr;
  Ipv4Address yiaddr;
  Ipv4Address siaddr;
  Ipv4Address giaddr;
  std::array<uint8_t, kChaddrSize> chaddr{};
};

// The header of a reply to `request` per RFC 2131 Table 3: op BOOTREPLY,
// htype/hlen/xid/flags/giaddr/chaddr copied, everything else zero.
BootpHeader ReplyHeaderFor(const DhcpMessage& request);

class MessageWriter {
 public:
  // Writes into out[0, min(out.size(), limit)).
  MessageWriter(std::span<uint8_t> out, size_t limit);

  // Writes the fixed header, zeroed sname/file and the magic cookie.
  // Returns false when even that does not fit.
  bool Begin(const BootpHeader& header);

  // Keeps `n` octets free for later AddReserved() calls; Add() will not use
  // them. The END option's octet is always kept free.
  void Reserve(size_t n) { reserved_ += n; }

  // Appends option `code` with `value` (split into 255-octet instances;
  // an empty value is written as one zero-length instance). Returns false,
  // and writes nothing, when it does not fit outside the reserved space.
  bool Add(uint8_t code, std::span<const uint8_t> value) {
    // One octet is always kept for END.
    const size_t used = size_ + reserved_ + 1;
    return Write(code, value, out_.size() > used ? out_.size() - used : 0);
  }
  bool AddUint8(uint8_t code, uint8_t v) { return Add(code, {&v, 1}); }
  bool AddUint16(uint8_t code, uint16_t v) {
    uint8_t b[2];
    StoreBe16(b, v);
    return Add(code, b);
  }
  bool AddUint32(uint8_t code, uint32_t v) {
    uint8_t b[4];
    StoreBe32(b, v);
    return Add(code, b);
  }
  bool AddAddress(uint8_t code, Ipv4Address a) {
    uint8_t b[4];
    a.Store(b);
    return Add(code, b);
  }

  // Appends already encoded options (code-length-value octets) whole;
  // false, writing nothing, when they do not fit.
  bool AddRendered(std::span<const uint8_t> options);

  // Appends into space set aside with Reserve(); releases that space.
  bool AddReserved(uint8_t code, std::span<const uint8_t> value);

  // Writes END and pads to kMinBootpSize (within the limit). Returns the
  // message length.
  size_t Finish();

  size_t size() const { return size_; }
  // Octets option `code` with a value of `length` octets takes.
  static size_t EncodedSize(size_t length);

 private:
  // Writes one option into `room` octets: inline for the common case of
  // one instance, out of line for RFC 3396 splitting.
  bool Write(uint8_t code, std::span<const uint8_t> value, size_t room) {
    const size_t n = value.size();
    if (n > 255) return WriteSplit(code, value, room);
    if (size_ == 0 || n + 2 > room) return false;
    uint8_t* p = out_.data() + size_;
    p[0] = code;
    p[1] = static_cast<uint8_t>(n);
    if (n > 0) std::memcpy(p + 2, value.data(), n);
    size_ += n + 2;
    return true;
  }
  bool WriteSplit(uint8_t code, std::span<const uint8_t> value, size_t room);

  std::span<uint8_t> out_;
  size_t size_ = 0;
  size_t reserved_ = 0;
};

// A configured option value for `code`; an empty span when there is none.
using OptionLookup = absl::FunctionRef<std::span<const uint8_t>(uint8_t)>;

// What the server decided; BuildReply() writes it.
struct ReplyParams {
  BootpHeader header;  // usually ReplyHeaderFor(request), then yiaddr etc.
  MessageType type = MessageType::kOffer;
  Ipv4Address server_id;
  // Lease time, T1, T2; absent for NAK and for ACKs to INFORM.
  std::optional<uint32_t> lease_time;
  std::optional<uint32_t> renewal_time;
  std::optional<uint32_t> rebinding_time;
  // Option 56 text, e.g. why a NAK was sent; empty for none.
  std::span<const uint8_t> message;
  // Codes sent even when the client did not ask for them.
  std::span<const uint8_t> always_send;
  // Largest BOOTP payload the reply may have (caller: from option 57 and
  // the port MTU, minus 28 octets of IPv4 and UDP headers).
  size_t max_size = kMinMaxMessageSize - 28;
  // The requested and always-sent options as an earlier BuildReply() with
  // the same request list and option values wrote them (ReplyResult's
  // rendered range). When set and it fits, it is copied instead of looking
  // each option up again; otherwise the options are looked up.
  std::span<const uint8_t> rendered;
};

struct ReplyResult {
  size_t size = 0;       // 0: the mandatory options did not fit
  uint16_t dropped = 0;  // optional options left out for size
  // Where the requested and always-sent options (all but the subnet mask)
  // lie in the output: a caller may keep out[rendered_begin,
  // rendered_end) and pass it back as ReplyParams::rendered.
  uint16_t rendered_begin = 0;
  uint16_t rendered_end = 0;
};

// Writes the reply to `request` into `out`. Configured options come from
// `lookup` and are sent when requested in option 55 or listed in
// params.always_send; a NAK carries only 53, 54, 56, 61 and 82
// (RFC 2131 Table 3).
ReplyResult BuildReply(const DhcpMessage& request, const ReplyParams& params,
                       OptionLookup lookup, std::span<uint8_t> out);

}  // namespace leasewire::wire

#endif  // LEASEWIRE_WIRE_REPLY_BUILDER_H_
