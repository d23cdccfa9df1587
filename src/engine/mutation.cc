#include "leasewire/engine/mutation.h"

namespace leasewire::engine {

std::string_view MutationKindName(MutationKind kind) {
  switch (kind) {
    case MutationKind::kBind:
      return "bind";
    case MutationKind::kExtend:
      return "extend";
    case MutationKind::kRelease:
      return "release";
    case MutationKind::kDecline:
      return "decline";
    case MutationKind::kExpire:
      return "expire";
    case MutationKind::kDelete:
      return "delete";
  }
  return "unknown";
}

void MutationLog::Append(MutationKind kind, const lease::Lease& l,
                         uint32_t subnet_id) {
  Header h{kind,
           l.state,
           l.flags,
           l.htype,
           l.address,
           subnet_id,
           l.start,
           l.expiry,
           static_cast<uint32_t>(bytes_.size()),
           l.client_id_len,
           l.hlen,
           l.circuit_id_len,
           l.remote_id_len,
           l.hostname_len};
  const uint8_t* data = l.data();
  bytes_.insert(bytes_.end(), data, data + l.bytes_size());
  headers_.push_back(h);
}

void MutationLog::Clear() {
  headers_.clear();
  bytes_.clear();
}

Mutation MutationLog::operator[](size_t i) const {
  const Header& h = headers_[i];
  const uint8_t* p = bytes_.data() + h.offset;
  Mutation m{h.kind, {}};
  LeaseImage& img = m.lease;
  img.address = h.address;
  img.subnet_id = h.subnet_id;
  img.state = h.state;
  img.flags = h.flags;
  img.start = h.start;
  img.expiry = h.expiry;
  img.htype = h.htype;
  img.client_id = {p, h.client_id_len};
  p += h.client_id_len;
  img.chaddr = {p, h.hlen};
  p += h.hlen;
  img.circuit_id = {p, h.circuit_id_len};
  p += h.circuit_id_len;
  img.remote_id = {p, h.remote_id_len};
  p += h.remote_id_len;
  img.hostname = {reinterpret_cast<const char*>(p), h.hostname_len};
  return m;
}

}  // namespace leasewire::engine
