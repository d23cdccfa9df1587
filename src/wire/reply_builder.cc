#include "leasewire/wire/reply_builder.h"

#include <algorithm>
#include <cstring>

namespace leasewire::wire {

BootpHeader ReplyHeaderFor(const DhcpMessage& request) {
  BootpHeader h;
  h.op = kBootReply;
  h.htype = request.htype();
  h.hlen = request.hlen();
  h.xid = request.xid();
  h.flags = request.flags();
  h.giaddr = request.giaddr();
  const auto chaddr = request.chaddr_field();
  std::copy(chaddr.begin(), chaddr.end(), h.chaddr.begin());
  return h;
}

MessageWriter::MessageWriter(std::span<uint8_t> out, size_t limit)
    : out_(out.first(std::min(out.size(), limit))) {}

bool MessageWriter::Begin(const BootpHeader& h) {
  size_ = 0;
  reserved_ = 0;
  // The header, the cookie and the END octet must fit.
  if (out_.size() < kOptionsOffset + 1) return false;
  uint8_t* p = out_.data();
  std::memset(p + kSnameOffset, 0, kSnameSize + kFileSize);
  p[0] = h.op;
  p[1] = h.htype;
  p[2] = h.hlen;
  p[3] = h.hops;
  StoreBe32(p + 4, h.xid);
  StoreBe16(p + 8, h.secs);
  StoreBe16(p + 10, h.flags);
  h.ciaddr.Store(p + 12);
  h.yiaddr.Store(p + 16);
  h.siaddr.Store(p + 20);
  h.giaddr.Store(p + 24);
  std::memcpy(p + kChaddrOffset, h.chaddr.data(), kChaddrSize);
  StoreBe32(p + kFixedHeaderSize, kMagicCookie);
  size_ = kOptionsOffset;
  return true;
}

size_t MessageWriter::EncodedSize(size_t length) {
  // RFC 3396 §5: values over 255 octets go out as consecutive instances.
  const size_t instances = length == 0 ? 1 : (length + 254) / 255;
  return 2 * instances + length;
}

bool MessageWriter::WriteSplit(uint8_t code, std::span<const uint8_t> value,
                               size_t room) {
  if (size_ == 0 || EncodedSize(value.size()) > room) return false;
  uint8_t* p = out_.data() + size_;
  do {
    const size_t n = std::min<size_t>(value.size(), 255);
    *p++ = code;
    *p++ = static_cast<uint8_t>(n);
    std::memcpy(p, value.data(), n);
    p += n;
    value = value.subspan(n);
  } while (!value.empty());
  size_ = static_cast<size_t>(p - out_.data());
  return true;
}

bool MessageWriter::AddRendered(std::span<const uint8_t> options) {
  const size_t used = size_ + reserved_ + 1;
  if (size_ == 0 || used + options.size() > out_.size()) return false;
  std::memcpy(out_.data() + size_, options.data(), options.size());
  size_ += options.size();
  return true;
}

bool MessageWriter::AddReserved(uint8_t code, std::span<const uint8_t> value) {
  const size_t need = EncodedSize(value.size());
  if (need > reserved_) return false;
  const size_t used = size_ + 1;
  const size_t room = out_.size() > used ? out_.size() - used : 0;
  if (!Write(code, value, room)) return false;
  reserved_ -= need;
  return true;
}

size_t MessageWriter::Finish() {
  if (size_ == 0 || size_ >= out_.size()) return 0;
  out_[size_++] = option::kEnd;
  const size_t padded = std::min(out_.size(), kMinBootpSize);
  if (size_ < padded) {
    std::memset(out_.data() + size_, 0, padded - size_);
    size_ = padded;
  }
  return size_;
}

namespace {

// Codes BuildReply() writes itself, never from the request list.
bool IsManagedCode(uint8_t code) {
  switch (code) {
    case option::kPad:
    case option::kSubnetMask:
    case option::kRequestedAddress:
    case option::kLeaseTime:
    case option::kOverload:
    case option::kMessageType:
    case option::kServerIdentifier:
    case option::kParameterRequestList:
    case option::kMessage:
    case option::kMaxMessageSize:
    case option::kRenewalTime:
    case option::kRebindingTime:
    case option::kClientIdentifier:
    case option::kRelayAgentInfo:
    case option::kEnd:
      return true;
    default:
      return false;
  }
}

// Which optional codes were already written (a request list may repeat).
class CodeSet {
 public:
  bool Insert(uint8_t code) {
    uint64_t& word = bits_[code >> 6];
    const uint64_t bit = uint64_t{1} << (code & 63);
    if (word & bit) return false;
    word |= bit;
    return true;
  }
  bool Contains(uint8_t code) const {
    return (bits_[code >> 6] >> (code & 63)) & 1;
  }

 private:
  std::array<uint64_t, 4> bits_{};
};

}  // namespace

ReplyResult BuildReply(const DhcpMessage& request, const ReplyParams& params,
                       OptionLookup lookup, std::span<uint8_t> out) {
  ReplyResult result;
  MessageWriter w(out, params.max_size);
  if (!w.Begin(params.header)) return result;

  // RFC 3046 §2.2: option 82 is echoed whole, last; RFC 6842 §3: option
  // 61 is echoed in every reply (when it was valid: an empty or 1-octet
  // one would make the reply malformed too). Their room is set aside first so
  // that no optional option can take it.
  const auto relay_info = request.Find(option::kRelayAgentInfo);
  const auto client_id = request.client_identifier();
  if (relay_info) w.Reserve(MessageWriter::EncodedSize(relay_info->size()));
  if (client_id) w.Reserve(MessageWriter::EncodedSize(client_id->size()));

  // RFC 2131 Table 3: a NAK carries no lease times and no configuration.
  const bool nak = params.type == MessageType::kNak;
  bool ok = w.AddUint8(option::kMessageType, static_cast<uint8_t>(params.type));
  ok = ok && w.AddAddress(option::kServerIdentifier, params.server_id);
  if (!nak && params.lease_time) {
    ok = ok && w.AddUint32(option::kLeaseTime, *params.lease_time);
  }
  if (!nak && params.renewal_time) {
    ok = ok && w.AddUint32(option::kRenewalTime, *params.renewal_time);
  }
  if (!nak && params.rebinding_time) {
    ok = ok && w.AddUint32(option::kRebindingTime, *params.rebinding_time);
  }
  if (!params.message.empty()) {
    ok = ok && w.Add(option::kMessage, params.message);
  }
  if (!ok) return result;

  CodeSet sent;
  const auto add_optional = [&](uint8_t code) {
    if (IsManagedCode(code) && code != option::kSubnetMask) return;
    if (!sent.Insert(code)) return;
    const std::span<const uint8_t> value = lookup(code);
    if (value.empty()) return;
    if (!w.Add(code, value)) ++result.dropped;
  };
  const std::span<const uint8_t> prl = request.parameter_request_list();
  const auto wants = [&](uint8_t code) {
    return std::find(prl.begin(), prl.end(), code) != prl.end() ||
           std::find(params.always_send.begin(), params.always_send.end(),
                     code) != params.always_send.end();
  };
  // RFC 2132 §3.3: the subnet mask goes before the routers.
  if (!nak && wants(option::kSubnetMask)) add_optional(option::kSubnetMask);
  if (client_id && !w.AddReserved(option::kClientIdentifier, *client_id)) {
    return result;
  }
  if (!nak) {
    result.rendered_begin = static_cast<uint16_t>(w.size());
    if (params.rendered.empty() || !w.AddRendered(params.rendered)) {
      for (const uint8_t code : prl) add_optional(code);
      for (const uint8_t code : params.always_send) add_optional(code);
    }
    result.rendered_end = static_cast<uint16_t>(w.size());
  }

  if (relay_info && !w.AddReserved(option::kRelayAgentInfo, *relay_info)) {
    return result;
  }
  result.size = w.Finish();
  return result;
}

}  // namespace leasewire::wire
