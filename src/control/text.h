// File: control/text.h (private to the control layer)
//
// String building for messages. Debian 12's abseil has its own
// string_view, which absl::StrCat and absl::StrJoin take instead of
// std::string_view; these take both.
//
// Thread safety: pure functions.

#ifndef LEASEWIRE_CONTROL_TEXT_H_
#define LEASEWIRE_CONTROL_TEXT_H_

#include <concepts>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace leasewire::control::internal {

inline void AppendText(std::string& out, std::string_view s) { out += s; }
inline void AppendText(std::string& out, absl::string_view s) {
  out.append(s.data(), s.size());
}
inline void AppendText(std::string& out, const std::string& s) { out += s; }
inline void AppendText(std::string& out, const char* s) { out += s; }
inline void AppendText(std::string& out, char c) { out += c; }
template <std::integral T>
requires(!std::same_as<T, char> &&
         !std::same_as<T, bool>) void AppendText(std::string& out, T v) {
  out += std::to_string(v);
}

// Concatenates strings (std or absl views) and integers.
template <typename... T>
std::string Cat(const T&... parts) {
  std::string out;
  (AppendText(out, parts), ...);
  return out;
}

// Joins the elements of `list` with `sep`.
template <typename List>
std::string Join(const List& list, std::string_view sep) {
  std::string out;
  bool first = true;
  for (const auto& e : list) {
    if (!first) out += sep;
    first = false;
    AppendText(out, e);
  }
  return out;
}

}  // namespace leasewire::control::internal

#endif  // LEASEWIRE_CONTROL_TEXT_H_
