// File: config/json_reader.h (private to the config layer)
//
// Reading a parsed JSON document with the path of every value at hand, so
// that each error names its place: "subnets[2].pools[0].pool: ...". Paths
// use dots between keys and [i] for array elements; the root's path is
// empty.
//
// Thread safety: thread-compatible. A Node refers to a document it does not
// own; the document must outlive it.

#ifndef LEASEWIRE_CONFIG_JSON_READER_H_
#define LEASEWIRE_CONFIG_JSON_READER_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "leasewire/wire/types.h"
#include "nlohmann/json.hpp"

// Returns from the calling function when `expr` is not OK. (The abseil
// release in Debian 12 has no status_macros.h yet.)
#define LW_RETURN_IF_ERROR(expr)             \
  do {                                       \
    const absl::Status lw_status_ = (expr);  \
    if (!lw_status_.ok()) return lw_status_; \
  } while (0)

namespace leasewire::config::internal {

using Json = nlohmann::json;

// Debian 12's abseil has its own string_view type (not std::string_view);
// these convert where config.h and the wire layer use the standard one.
inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view ToStd(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}

// "a" + "b" -> "a.b"; "" + "b" -> "b".
std::string ChildPath(absl::string_view path, absl::string_view key);
// "a" + 3 -> "a[3]".
std::string IndexPath(absl::string_view path, size_t index);
// InvalidArgument "path: what" ("what" alone at the root).
absl::Status PathError(absl::string_view path, absl::string_view what);

// Parses JSON text with // and /* */ comments. Syntax errors give the line
// and column; a key repeated in one object is an error too (JSON parsers
// silently keep the last one, hiding a mistake).
absl::StatusOr<Json> ParseJson(absl::string_view text);

// One value of the document and its path.
class Node {
 public:
  Node(const Json& value, std::string path)
      : value_(&value), path_(std::move(path)) {}

  const Json& value() const { return *value_; }
  const std::string& path() const { return path_; }

  // The member `key`, or nullopt when absent. REQUIRES: an object.
  std::optional<Node> Get(absl::string_view key) const;
  // Element `i`. REQUIRES: an array with more than `i` elements.
  Node Element(size_t i) const;
  size_t size() const { return value_->size(); }

  absl::Status Error(absl::string_view what) const {
    return PathError(path_, what);
  }
  // An object with no keys outside KeysOf(object) (leasewire/config/
  // keys.h), e.g. ExpectObject("subnets[].pools[]").
  absl::Status ExpectObject(std::string_view object) const;
  absl::Status ExpectArray() const;
  // `key` must be present; "path: missing \"key\"" otherwise.
  absl::StatusOr<Node> Require(absl::string_view key) const;

  absl::Status Read(bool* out) const;
  absl::Status Read(std::string* out) const;        // a JSON string
  absl::Status Read(wire::Ipv4Address* out) const;  // "a.b.c.d", not 0
  absl::Status Read(double* out) const;             // any JSON number
  // A JSON integer in [min, max].
  absl::Status ReadUint(uint64_t min, uint64_t max, uint64_t* out) const;
  absl::Status ReadUint32(uint32_t min, uint32_t max, uint32_t* out) const;
  // Seconds: an integer in [1, 0xffffffff] or "infinite" (0xffffffff).
  absl::Status ReadLifetime(uint32_t* out) const;

 private:
  // "expected <what>, got <JSON type>".
  absl::Status TypeError(absl::string_view expected) const;

  const Json* value_;
  std::string path_;
};

// Reads the optional member `key` of `object` into `*out` with
// node.Read(out); leaves `*out` alone when absent.
template <typename T>
absl::Status ReadOptional(const Node& object, absl::string_view key, T* out) {
  if (std::optional<Node> node = object.Get(key)) return node->Read(out);
  return absl::OkStatus();
}

}  // namespace leasewire::config::internal

#endif  // LEASEWIRE_CONFIG_JSON_READER_H_
