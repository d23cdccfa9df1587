// File: leasewire/control/protocol.h
//
// The control protocol spoken on leasewired's control socket (and its
// optional TCP port): one JSON request per connection, one JSON response,
// then the server closes. docs/operations.md ("Control CLI") lists the
// commands.
//
//   request:  {"version": 1, "command": "lease-get",
//              "arguments": {"address": "10.0.0.7"}}
//   success:  {"version": 1, "status": "ok", "data": {...}}
//   failure:  {"version": 1, "status": "error", "code": "not-found",
//              "error": "no lease for 10.0.0.7 (...what to do...)"}
//
// A request ends at the first newline or when the client shuts down its
// sending side; it may not exceed kMaxRequestBytes.
//
// Thread safety: the functions are pure.

#ifndef LEASEWIRE_CONTROL_PROTOCOL_H_
#define LEASEWIRE_CONTROL_PROTOCOL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"

namespace leasewire::control {

using Json = nlohmann::json;

inline constexpr int kProtocolVersion = 1;
inline constexpr size_t kMaxRequestBytes = 64 * 1024;

// Stable error codes ("code" in an error response).
enum class ErrorCode : uint8_t {
  kBadRequest,      // not JSON, not an object, fields missing or mistyped
  kBadVersion,      // "version" is not one this server speaks
  kUnknownCommand,  // "command" names no command
  kBadArguments,    // the command's arguments are wrong
  kNotFound,        // no such lease, subnet or reservation
  kRefused,         // the server refuses (invalid config, conflict)
  kUnavailable,     // a worker or the store did not answer in time
  kInternal,        // a failure the operator cannot fix by asking again
};
std::string_view ErrorCodeName(ErrorCode code);  // "bad-request"

// One command: its name and a one-line description (for "commands" and
// error messages).
struct CommandInfo {
  std::string_view name;
  std::string_view summary;
};
// Every command the server knows, in the order the CLI shows them.
const std::vector<CommandInfo>& Commands();

struct Request {
  std::string command;
  Json arguments = Json::object();  // {} when absent
};

// An error to send back: its code and a message saying what to do.
struct Failure {
  ErrorCode code;
  std::string message;
};

// Parses and checks the envelope of a request: JSON object, "version" 1,
// a known "command", "arguments" an object when present, no other keys.
// `text` may end with a newline.
struct ParsedRequest {
  std::optional<Request> request;
  Failure failure{ErrorCode::kInternal, ""};  // when !request
};
ParsedRequest ParseRequest(std::string_view text);

// Response text (one line, newline-terminated).
std::string OkResponse(const Json& data);
std::string ErrorResponse(const Failure& failure);

// Reading arguments: each returns a Failure naming the argument and what
// is expected.
class Arguments {
 public:
  explicit Arguments(const Json& object) : object_(object) {}

  // Fails on any key outside `allowed`.
  std::optional<Failure> ExpectOnly(
      std::initializer_list<std::string_view> allowed) const;
  bool Has(std::string_view key) const;
  // The keys among `keys` that are present.
  std::vector<std::string> Present(
      std::initializer_list<std::string_view> keys) const;

  std::optional<Failure> String(std::string_view key, std::string* out) const;
  std::optional<Failure> Uint(std::string_view key, uint64_t min, uint64_t max,
                              uint64_t* out) const;
  std::optional<Failure> Bool(std::string_view key, bool* out) const;
  std::optional<Failure> Object(std::string_view key, Json* out) const;

 private:
  const Json& object_;
};

Failure BadArguments(std::string message);

}  // namespace leasewire::control

#endif  // LEASEWIRE_CONTROL_PROTOCOL_H_
