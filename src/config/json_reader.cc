#include "config/json_reader.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "leasewire/config/keys.h"

namespace leasewire::config::internal {
namespace {

// Tracks where the parser is while it reads, to name a repeated key.
class DuplicateKeyFinder {
 public:
  bool OnEvent(Json::parse_event_t event, const Json& parsed) {
    using E = Json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        BeginElement();
        frames_.push_back(Frame{event == E::object_start, {}, 0, false, {}});
        break;
      case E::key:
        OnKey(parsed.get<std::string>());
        break;
      case E::value:
        BeginElement();
        break;
      case E::object_end:
      case E::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
    }
    return true;
  }

  // Path of the first repeated key; empty when there was none.
  const std::string& duplicate() const { return duplicate_; }

 private:
  struct Frame {
    bool is_object;
    std::string key;  // the member being read (objects)
    size_t index;     // the element being read (arrays)
    bool started;     // an element was seen (arrays)
    std::set<std::string> keys;
  };

  void BeginElement() {
    if (frames_.empty() || frames_.back().is_object) return;
    Frame& array = frames_.back();
    if (array.started) ++array.index;
    array.started = true;
  }

  void OnKey(std::string key) {
    Frame& object = frames_.back();
    if (!object.keys.insert(key).second && duplicate_.empty()) {
      duplicate_ = ChildPath(PathOfTop(), key);
    }
    object.key = std::move(key);
  }

  // The path of the innermost open container.
  std::string PathOfTop() const {
    std::string path;
    for (size_t i = 0; i + 1 < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      path = f.is_object ? ChildPath(path, f.key) : IndexPath(path, f.index);
    }
    return path;
  }

  std::vector<Frame> frames_;
  std::string duplicate_;
};

// "line L, column C" of the octet at 1-based offset `byte` of `text`.
std::string LineColumn(absl::string_view text, size_t byte) {
  size_t line = 1;
  size_t column = 1;
  const size_t end = std::min(byte > 0 ? byte - 1 : 0, text.size());
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return absl::StrCat("line ", line, ", column ", column);
}

// nlohmann's message without its "[json.exception.parse_error.101] parse
// error at line 1, column 2: " preamble.
absl::string_view ParseErrorDetail(absl::string_view what) {
  if (absl::ConsumePrefix(&what, "[json.exception.")) {
    const size_t close = what.find("] ");
    if (close != absl::string_view::npos) what.remove_prefix(close + 2);
  }
  if (absl::StartsWith(what, "parse error")) {
    const size_t colon = what.find(": ");
    if (colon != absl::string_view::npos) what.remove_prefix(colon + 2);
  }
  return what;
}

absl::string_view TypeName(const Json& v) {
  if (v.is_number_float()) return "a fractional number";
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    return "a negative number";
  }
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    default:
      return "a number";
  }
}

}  // namespace

std::string ChildPath(absl::string_view path, absl::string_view key) {
  if (path.empty()) return std::string(key);
  return absl::StrCat(path, ".", key);
}

std::string IndexPath(absl::string_view path, size_t index) {
  return absl::StrCat(path, "[", index, "]");
}

absl::Status PathError(absl::string_view path, absl::string_view what) {
  if (path.empty()) return absl::InvalidArgumentError(what);
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

absl::StatusOr<Json> ParseJson(absl::string_view text) {
  DuplicateKeyFinder finder;
  Json doc;
  try {
    doc = Json::parse(
        text.begin(), text.end(),
        [&finder](int /*depth*/, Json::parse_event_t event, Json& parsed) {
          return finder.OnEvent(event, parsed);
        },
        /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const Json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        LineColumn(text, e.byte), ": ", ParseErrorDetail(e.what())));
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(ParseErrorDetail(e.what()));
  }
  if (!finder.duplicate().empty()) {
    return PathError(finder.duplicate(), "duplicate key");
  }
  return doc;
}

std::optional<Node> Node::Get(absl::string_view key) const {
  const auto it = value_->find(ToStd(key));
  if (it == value_->end()) return std::nullopt;
  return Node(*it, ChildPath(path_, key));
}

Node Node::Element(size_t i) const {
  return Node((*value_)[i], IndexPath(path_, i));
}

absl::Status Node::TypeError(absl::string_view expected) const {
  return Error(
      absl::StrCat("expected ", expected, ", got ", TypeName(*value_)));
}

namespace {

// Levenshtein distance, for suggesting the key an operator meant.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// ` (did you mean "valid-lifetime"?)` for a key at most two edits from a
// known one; "" otherwise.
std::string Suggestion(std::string_view key,
                       const std::vector<std::string_view>& known) {
  size_t best = 3;
  std::string_view closest;
  for (std::string_view k : known) {
    const size_t d = EditDistance(key, k);
    if (d < best) {
      best = d;
      closest = k;
    }
  }
  if (closest.empty()) return "";
  return absl::StrCat(" (did you mean \"", ToAbsl(closest), "\"?)");
}

}  // namespace

absl::Status Node::ExpectObject(std::string_view object) const {
  if (!value_->is_object()) return TypeError("an object");
  const std::vector<std::string_view> allowed = KeysOf(object);
  for (const auto& [key, unused] : value_->items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Error(
          absl::StrCat("unknown key \"", key, "\"", Suggestion(key, allowed)));
    }
  }
  return absl::OkStatus();
}

absl::Status Node::ExpectArray() const {
  if (!value_->is_array()) return TypeError("an array");
  return absl::OkStatus();
}

absl::StatusOr<Node> Node::Require(absl::string_view key) const {
  std::optional<Node> node = Get(key);
  if (!node) return Error(absl::StrCat("missing \"", key, "\""));
  return *std::move(node);
}

absl::Status Node::Read(bool* out) const {
  if (!value_->is_boolean()) return TypeError("true or false");
  *out = value_->get<bool>();
  return absl::OkStatus();
}

absl::Status Node::Read(std::string* out) const {
  if (!value_->is_string()) return TypeError("a string");
  *out = value_->get<std::string>();
  return absl::OkStatus();
}

absl::Status Node::Read(wire::Ipv4Address* out) const {
  std::string text;
  LW_RETURN_IF_ERROR(Read(&text));
  const std::optional<wire::Ipv4Address> a = wire::Ipv4Address::Parse(text);
  if (!a) return Error(absl::StrCat("\"", text, "\" is not an IPv4 address"));
  if (a->IsZero()) return Error("0.0.0.0 is not allowed here");
  *out = *a;
  return absl::OkStatus();
}

absl::Status Node::Read(double* out) const {
  if (!value_->is_number()) return TypeError("a number");
  *out = value_->get<double>();
  return absl::OkStatus();
}

absl::Status Node::ReadUint(uint64_t min, uint64_t max, uint64_t* out) const {
  // nlohmann stores non-negative integers as unsigned, negative ones signed.
  if (!value_->is_number_integer()) return TypeError("an integer");
  const bool negative = !value_->is_number_unsigned();
  const uint64_t v = negative ? 0 : value_->get<uint64_t>();
  if (negative || v < min || v > max) {
    return Error(absl::StrCat(value_->dump(), " is out of range [", min, ", ",
                              max, "]"));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status Node::ReadUint32(uint32_t min, uint32_t max, uint32_t* out) const {
  uint64_t v = 0;
  LW_RETURN_IF_ERROR(ReadUint(min, max, &v));
  *out = static_cast<uint32_t>(v);
  return absl::OkStatus();
}

absl::Status Node::ReadLifetime(uint32_t* out) const {
  if (value_->is_string()) {
    if (value_->get<std::string>() != "infinite") {
      return Error(absl::StrCat(value_->dump(),
                                " is not a lifetime: expected seconds or "
                                "\"infinite\""));
    }
    *out = 0xffffffff;
    return absl::OkStatus();
  }
  return ReadUint32(1, 0xffffffff, out);
}

}  // namespace leasewire::config::internal
