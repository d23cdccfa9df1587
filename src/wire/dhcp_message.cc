#include "leasewire/wire/dhcp_message.h"

#include <cstring>

namespace leasewire::wire {
namespace {

inline void SetBit(std::array<uint64_t, 4>& bits, uint8_t code) {
  bits[code >> 6] |= uint64_t{1} << (code & 63);
}
inline bool TestBit(const std::array<uint64_t, 4>& bits, uint8_t code) {
  return (bits[code >> 6] >> (code & 63)) & 1;
}

// Options whose length is fixed and whose misreading would change what the
// server decides; a wrong length drops the message.
struct FixedLength {
  uint8_t code;
  uint8_t length;
};
constexpr FixedLength kFixedLengths[] = {
    {option::kRequestedAddress, 4}, {option::kLeaseTime, 4},
    {option::kServerIdentifier, 4}, {option::kMaxMessageSize, 2},
    {option::kSubnetSelection, 4},
};

bool IsClientMessageType(uint8_t type) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::kDiscover:
    case MessageType::kRequest:
    case MessageType::kDecline:
    case MessageType::kRelease:
    case MessageType::kInform:
      return true;
    default:
      return false;
  }
}

}  // namespace

Verdict DhcpMessage::Parse(std::span<const uint8_t> payload) {
  data_ = payload;
  present_ = {};
  multiple_ = {};
  overload_ = 0;
  any_multiple_ = false;

  if (payload.size() < kFixedHeaderSize) return Verdict::kTruncatedBootp;
  // Offsets and joined lengths are 16-bit; no UDP payload is longer.
  if (payload.size() > 0xffff) return Verdict::kOptionsTooLong;
  if (op() != kBootRequest && op() != kBootReply) return Verdict::kBadOp;
  // RFC 2131 §2: chaddr is 16 octets; Ethernet addresses are 6.
  if (hlen() > kChaddrSize) return Verdict::kBadHardwareAddress;
  if (htype() == kHtypeEthernet && hlen() != 6) {
    return Verdict::kBadHardwareAddress;
  }
  // RFC 2131 §3: the options field starts with the RFC 1048 cookie.
  if (payload.size() < kOptionsOffset ||
      LoadBe32(&payload[kFixedHeaderSize]) != kMagicCookie) {
    return Verdict::kBadMagicCookie;
  }

  Verdict v = ScanArea(kOptionsOffset, payload.size(), Area::kOptions);
  if (v != Verdict::kOk) return v;

  // RFC 2132 §9.3: option 52 continues the options in `file` (1), `sname`
  // (2) or both (3), read in the order options, file, sname. Any other
  // value, or a malformed option, is ignored and the fields are names.
  if (Has(option::kOverload) && slots_[option::kOverload].length == 1 &&
      !TestBit(multiple_, option::kOverload)) {
    const uint8_t value = payload[slots_[option::kOverload].offset];
    if (value >= 1 && value <= 3) overload_ = value;
  }
  if (overload_ & 1) {
    v = ScanArea(kFileOffset, kFileOffset + kFileSize, Area::kFile);
    if (v != Verdict::kOk) return v;
  }
  if (overload_ & 2) {
    v = ScanArea(kSnameOffset, kSnameOffset + kSnameSize, Area::kSname);
    if (v != Verdict::kOk) return v;
  }
  if (any_multiple_) {
    v = Concatenate();
    if (v != Verdict::kOk) return v;
  }
  return CheckLengths();
}

// Walks one option area, recording where each option is. Options are
// code-length-value triples that must lie wholly inside the area
// (RFC 2132 §2, RFC 2131 §4.1); END stops the walk and a missing END is
// tolerated. Option 52 counts only in the options field.
Verdict DhcpMessage::ScanArea(size_t begin, size_t end, Area area) {
  const uint8_t* p = data_.data();
  size_t i = begin;
  while (i < end) {
    const uint8_t code = p[i];
    if (code == option::kPad) {
      ++i;
      continue;
    }
    if (code == option::kEnd) break;
    if (i + 1 >= end) return Verdict::kOptionOverrun;
    const size_t length = p[i + 1];
    if (i + 2 + length > end) return Verdict::kOptionOverrun;
    if (code != option::kOverload || area == Area::kOptions) {
      Slot& slot = slots_[code];
      if (!Has(code)) {
        SetBit(present_, code);
        slot = {static_cast<uint16_t>(i + 2), static_cast<uint16_t>(length), 1,
                false};
      } else {
        // RFC 3396 §7: instances are joined in the scratch area.
        if (size_t{slot.length} + length > kConcatScratchSize) {
          return Verdict::kOptionsTooLong;
        }
        SetBit(multiple_, code);
        any_multiple_ = true;
        slot.length = static_cast<uint16_t>(slot.length + length);
        if (slot.instances < 255) ++slot.instances;
      }
    }
    i += 2 + length;
  }
  return Verdict::kOk;
}

// Gives every option seen more than once a region of the scratch area and
// copies its instances there, in the order the areas were scanned.
Verdict DhcpMessage::Concatenate() {
  size_t used = 0;
  for (int code = 1; code < 255; ++code) {
    if (!TestBit(multiple_, static_cast<uint8_t>(code))) continue;
    Slot& slot = slots_[code];
    if (used + slot.length > kConcatScratchSize) {
      return Verdict::kOptionsTooLong;
    }
    slot.offset = static_cast<uint16_t>(used);
    slot.concatenated = true;
    used += slot.length;
    slot.length = 0;  // refilled by CopyInstances
  }
  CopyInstances(kOptionsOffset, data_.size(), Area::kOptions);
  if (overload_ & 1) {
    CopyInstances(kFileOffset, kFileOffset + kFileSize, Area::kFile);
  }
  if (overload_ & 2) {
    CopyInstances(kSnameOffset, kSnameOffset + kSnameSize, Area::kSname);
  }
  return Verdict::kOk;
}

// REQUIRES: ScanArea(begin, end, area) returned kOk.
void DhcpMessage::CopyInstances(size_t begin, size_t end, Area area) {
  const uint8_t* p = data_.data();
  size_t i = begin;
  while (i < end) {
    const uint8_t code = p[i];
    if (code == option::kPad) {
      ++i;
      continue;
    }
    if (code == option::kEnd) break;
    const size_t length = p[i + 1];
    if (TestBit(multiple_, code) &&
        (code != option::kOverload || area == Area::kOptions)) {
      Slot& slot = slots_[code];
      std::memcpy(scratch_.data() + slot.offset + slot.length, p + i + 2,
                  length);
      slot.length = static_cast<uint16_t>(slot.length + length);
    }
    i += 2 + length;
  }
}

Verdict DhcpMessage::CheckLengths() const {
  if (Has(option::kMessageType) && slots_[option::kMessageType].length != 1) {
    // RFC 2132 §9.6; two instances joined are two octets (RFC 3396), which
    // is neither "first wins" nor "last wins": the message is dropped.
    return Verdict::kBadMessageType;
  }
  for (const FixedLength& f : kFixedLengths) {
    if (Has(f.code) && slots_[f.code].length != f.length) {
      return Verdict::kBadOptionLength;
    }
  }
  if (Has(option::kRelayAgentInfo) &&
      !SubOptions(*Find(option::kRelayAgentInfo)).Valid()) {
    return Verdict::kBadRelayAgentInfo;
  }
  return Verdict::kOk;
}

Verdict DhcpMessage::CheckServerBound() const {
  const auto type = Find(option::kMessageType);
  if (op() == kBootReply) {
    // A reply that claims a client's type is reported on its own, so that
    // forged or looped traffic stands out from other servers' replies.
    if (type && IsClientMessageType((*type)[0])) {
      return Verdict::kOpTypeMismatch;
    }
    return Verdict::kBootReply;
  }
  if (!type) return Verdict::kMissingMessageType;
  const uint8_t t = (*type)[0];
  if (IsClientMessageType(t)) return Verdict::kOk;
  switch (static_cast<MessageType>(t)) {
    case MessageType::kOffer:
    case MessageType::kAck:
    case MessageType::kNak:
    case MessageType::kForceRenew:
    case MessageType::kLeaseUnassigned:
    case MessageType::kLeaseUnknown:
    case MessageType::kLeaseActive:
    case MessageType::kLeaseQueryDone:
    case MessageType::kLeaseQueryStatus:
      return Verdict::kServerMessageType;
    case MessageType::kLeaseQuery:
    case MessageType::kBulkLeaseQuery:
    case MessageType::kActiveLeaseQuery:
    case MessageType::kTls:
      return Verdict::kUnsupportedMessageType;
    default:
      return Verdict::kUnknownMessageType;
  }
}

std::optional<AddressList> DhcpMessage::GetAddressList(uint8_t code) const {
  const auto v = Find(code);
  if (!v) return std::nullopt;
  AddressList list(*v);
  if (!list.Valid()) return std::nullopt;
  return list;
}

std::optional<std::string_view> DhcpMessage::GetString(uint8_t code) const {
  const auto v = Find(code);
  if (!v) return std::nullopt;
  size_t n = v->size();
  while (n > 0 && (*v)[n - 1] == 0) --n;  // RFC 2132 §2: trailing NULs
  if (n == 0) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(v->data()), n);
}

std::span<const uint8_t> DhcpMessage::parameter_request_list() const {
  const auto v = Find(option::kParameterRequestList);
  return v ? *v : std::span<const uint8_t>();
}

std::optional<UserClasses> DhcpMessage::user_class() const {
  const auto v = Find(option::kUserClass);
  if (!v || v->empty()) return std::nullopt;
  return UserClasses(*v);
}

std::optional<RelayAgentInfo> DhcpMessage::relay_agent_info() const {
  const auto v = Find(option::kRelayAgentInfo);
  if (!v) return std::nullopt;
  return RelayAgentInfo(*v);
}

std::optional<ClasslessRoutes> DhcpMessage::classless_static_routes() const {
  const auto v = Find(option::kClasslessStaticRoute);
  if (!v) return std::nullopt;
  ClasslessRoutes routes(*v);
  if (!routes.Valid()) return std::nullopt;
  return routes;
}

}  // namespace leasewire::wire
