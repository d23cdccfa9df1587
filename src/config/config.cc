#include "leasewire/config/config.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "config/option_value.h"

namespace leasewire::config {

std::optional<Prefix> Prefix::Parse(std::string_view text) {
  const std::optional<internal::AddressWithLength> parsed =
      internal::ParseAddressWithLength(internal::ToAbsl(text));
  if (!parsed) return std::nullopt;
  Prefix prefix{parsed->address, parsed->length};
  if ((prefix.network.value() & ~prefix.mask()) != 0) return std::nullopt;
  return prefix;
}

std::string Prefix::ToString() const {
  return absl::StrCat(network.ToString(), "/", length);
}

void OptionSet::Set(uint8_t code, std::vector<uint8_t> value,
                    bool always_send) {
  auto it =
      std::lower_bound(entries_.begin(), entries_.end(), code,
                       [](const Entry& e, uint8_t c) { return e.code < c; });
  if (it != entries_.end() && it->code == code) {
    it->value = std::move(value);
  } else {
    entries_.insert(it, Entry{code, std::move(value)});
    index_.fill(0);
    for (size_t i = 0; i < entries_.size(); ++i) {
      index_[entries_[i].code] = static_cast<uint8_t>(i + 1);
    }
  }
  auto flag = std::lower_bound(always_send_.begin(), always_send_.end(), code);
  const bool flagged = flag != always_send_.end() && *flag == code;
  if (always_send && !flagged) always_send_.insert(flag, code);
  if (!always_send && flagged) always_send_.erase(flag);
}

std::span<const uint8_t> OptionSet::Find(uint8_t code) const {
  // O(1): called for every requested option of every reply.
  const uint8_t i = index_[code];
  if (i == 0) return {};
  return entries_[i - 1].value;
}

bool OptionSet::Has(uint8_t code) const { return !Find(code).empty(); }

void OptionSet::MergeFrom(const OptionSet& inner) {
  for (const Entry& e : inner.entries_) {
    Set(e.code, e.value,
        std::binary_search(inner.always_send_.begin(), inner.always_send_.end(),
                           e.code));
  }
}

const Subnet* Config::FindSubnetContaining(Ipv4Address a) const {
  // Subnets are sorted by network and do not overlap: the only candidate
  // is the last one that starts at or below `a`.
  auto it = std::upper_bound(
      subnets.begin(), subnets.end(), a,
      [](Ipv4Address x, const Subnet& s) { return x < s.prefix.network; });
  if (it == subnets.begin()) return nullptr;
  --it;
  return it->prefix.Contains(a) ? &*it : nullptr;
}

const Subnet* Config::FindSubnetForRelay(Ipv4Address giaddr) const {
  const auto it = relay_index.find(giaddr.value());
  if (it != relay_index.end()) return &subnets[it->second];
  return FindSubnetContaining(giaddr);
}

const Subnet* Config::FindSubnetById(uint32_t id) const {
  const auto it = id_index.find(id);
  return it == id_index.end() ? nullptr : &subnets[it->second];
}

const Interface* Config::FindInterface(std::string_view name) const {
  for (const Interface& i : interfaces) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

namespace {

absl::Status FileError(const char* verb, const std::string& path, int err) {
  const std::string what =
      absl::StrCat("cannot ", verb, " ", path, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(what);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(what);
    default:
      return absl::FailedPreconditionError(what);
  }
}

}  // namespace

bool SameInterfaces(const Config& a, const Config& b) {
  if (a.interfaces.size() != b.interfaces.size()) return false;
  for (size_t i = 0; i < a.interfaces.size(); ++i) {
    const Interface& x = a.interfaces[i];
    const Interface& y = b.interfaces[i];
    if (x.name != y.name || x.address != y.address ||
        x.prefix.length != y.prefix.length ||
        x.prefix.network != y.prefix.network || x.device != y.device) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::shared_ptr<const Config>> LoadConfigFile(
    const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return FileError("open", path, errno);
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), file)) > 0) text.append(buf, n);
  const int err = std::ferror(file) ? errno : 0;
  std::fclose(file);
  if (err != 0) return FileError("read", path, err);
  return LoadConfig(text);
}

}  // namespace leasewire::config
