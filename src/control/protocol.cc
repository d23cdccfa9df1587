#include "leasewire/control/protocol.h"

#include <string>
#include <utility>

#include "control/text.h"

namespace leasewire::control {

using internal::Cat;
using internal::Join;

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest:
      return "bad-request";
    case ErrorCode::kBadVersion:
      return "bad-version";
    case ErrorCode::kUnknownCommand:
      return "unknown-command";
    case ErrorCode::kBadArguments:
      return "bad-arguments";
    case ErrorCode::kNotFound:
      return "not-found";
    case ErrorCode::kRefused:
      return "refused";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

const std::vector<CommandInfo>& Commands() {
  static const std::vector<CommandInfo>* const kCommands =
      new std::vector<CommandInfo>{
          {"status", "version, uptime, workers, ports, store, config file"},
          {"stats", "counters and rates, total and per worker"},
          {"stats-reset", "start the counters shown by stats from zero"},
          {"lease-get",
           "leases by address, hw-address, client-id, circuit-id or "
           "remote-id"},
          {"lease-list", "one page of the leases of a subnet"},
          {"lease-delete", "end a lease now; its address returns to the pool"},
          {"subnets", "pool size, used, free and utilisation per subnet"},
          {"reservation-list",
           "reservations of the file and added at run time"},
          {"reservation-add", "add a reservation (persisted, applied at once)"},
          {"reservation-delete", "delete a reservation added at run time"},
          {"config-test", "validate a configuration file"},
          {"config-reload", "reload the configuration file, keeping leases"},
          {"backup",
           "copy the lease database to a new directory while serving"},
          {"shutdown", "stop the server as SIGTERM does"},
          {"commands", "the commands this server knows"},
      };
  return *kCommands;
}

namespace {

std::string TypeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "a number";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    default:
      return "something else";
  }
}

ParsedRequest Fail(ErrorCode code, std::string message) {
  ParsedRequest p;
  p.failure = Failure{code, std::move(message)};
  return p;
}

std::string CommandNames() {
  std::vector<std::string_view> names;
  for (const CommandInfo& c : Commands()) names.push_back(c.name);
  return Join(names, ", ");
}

}  // namespace

ParsedRequest ParseRequest(std::string_view text) {
  Json doc = Json::parse(text.begin(), text.end(), nullptr,
                         /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return Fail(ErrorCode::kBadRequest,
                "the request is not valid JSON; send one object such as "
                "{\"version\": 1, \"command\": \"status\"}");
  }
  if (!doc.is_object()) {
    return Fail(ErrorCode::kBadRequest,
                Cat("the request is ", TypeName(doc),
                    ", not an object such as {\"version\": 1, "
                    "\"command\": \"status\"}"));
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "version" && key != "command" && key != "arguments") {
      return Fail(ErrorCode::kBadRequest,
                  Cat("unknown key \"", key,
                      "\"; a request has \"version\", \"command\" "
                      "and optionally \"arguments\""));
    }
  }
  const auto version = doc.find("version");
  if (version == doc.end()) {
    return Fail(ErrorCode::kBadVersion,
                Cat("missing \"version\"; this server speaks version ",
                    kProtocolVersion));
  }
  if (!version->is_number_integer() || *version != kProtocolVersion) {
    return Fail(
        ErrorCode::kBadVersion,
        Cat("version ",
            version->dump(-1, ' ', false, Json::error_handler_t::replace)
                .substr(0, 64),
            " is not supported; this server speaks version ", kProtocolVersion,
            " (use the leasewirectl of the same release)"));
  }
  const auto command = doc.find("command");
  if (command == doc.end() || !command->is_string()) {
    return Fail(ErrorCode::kBadRequest,
                Cat("\"command\" must be a string, one of: ", CommandNames()));
  }
  Request request;
  request.command = command->get<std::string>();
  bool known = false;
  for (const CommandInfo& c : Commands()) known |= c.name == request.command;
  if (!known) {
    std::string shown = request.command.substr(0, 64);
    return Fail(
        ErrorCode::kUnknownCommand,
        Cat("unknown command ",
            Json(shown).dump(-1, ' ', false, Json::error_handler_t::replace),
            "; known commands: ", CommandNames()));
  }
  if (const auto args = doc.find("arguments"); args != doc.end()) {
    if (!args->is_object()) {
      return Fail(
          ErrorCode::kBadRequest,
          Cat("\"arguments\" is ", TypeName(*args), "; it must be an object"));
    }
    request.arguments = std::move(*args);
  }
  ParsedRequest p;
  p.request = std::move(request);
  return p;
}

std::string OkResponse(const Json& data) {
  Json r = {{"version", kProtocolVersion}, {"status", "ok"}, {"data", data}};
  // Invalid UTF-8 (a host name from a client) is replaced, never thrown.
  return r.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string ErrorResponse(const Failure& failure) {
  Json r = {{"version", kProtocolVersion},
            {"status", "error"},
            {"code", ErrorCodeName(failure.code)},
            {"error", failure.message}};
  return r.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Failure BadArguments(std::string message) {
  return Failure{ErrorCode::kBadArguments, std::move(message)};
}

std::optional<Failure> Arguments::ExpectOnly(
    std::initializer_list<std::string_view> allowed) const {
  for (const auto& [key, value] : object_.items()) {
    bool ok = false;
    for (std::string_view a : allowed) ok |= a == key;
    if (!ok) {
      return BadArguments(
          allowed.size() == 0
              ? Cat("unknown argument \"", key, "\"; this command takes none")
              : Cat("unknown argument \"", key,
                    "\"; expected: ", Join(allowed, ", ")));
    }
  }
  return std::nullopt;
}

bool Arguments::Has(std::string_view key) const {
  return object_.contains(key);
}

std::vector<std::string> Arguments::Present(
    std::initializer_list<std::string_view> keys) const {
  std::vector<std::string> out;
  for (std::string_view k : keys) {
    if (Has(k)) out.emplace_back(k);
  }
  return out;
}

std::optional<Failure> Arguments::String(std::string_view key,
                                         std::string* out) const {
  const auto it = object_.find(key);
  if (it == object_.end()) {
    return BadArguments(Cat("missing argument \"", key, "\""));
  }
  if (!it->is_string()) {
    return BadArguments(
        Cat("\"", key, "\" must be a string, not ", TypeName(*it)));
  }
  *out = it->get<std::string>();
  return std::nullopt;
}

std::optional<Failure> Arguments::Uint(std::string_view key, uint64_t min,
                                       uint64_t max, uint64_t* out) const {
  const auto it = object_.find(key);
  if (it == object_.end()) {
    return BadArguments(Cat("missing argument \"", key, "\""));
  }
  if (!it->is_number_unsigned() && !it->is_number_integer()) {
    return BadArguments(
        Cat("\"", key, "\" must be an integer, not ", TypeName(*it)));
  }
  if (it->is_number_integer() && it->get<int64_t>() < 0) {
    return BadArguments(
        Cat("\"", key, "\" must be between ", min, " and ", max));
  }
  const uint64_t v = it->get<uint64_t>();
  if (v < min || v > max) {
    return BadArguments(Cat("\"", key, "\" is ", v, "; it must be between ",
                            min, " and ", max));
  }
  *out = v;
  return std::nullopt;
}

std::optional<Failure> Arguments::Bool(std::string_view key, bool* out) const {
  const auto it = object_.find(key);
  if (it == object_.end()) {
    return BadArguments(Cat("missing argument \"", key, "\""));
  }
  if (!it->is_boolean()) {
    return BadArguments(
        Cat("\"", key, "\" must be true or false, not ", TypeName(*it)));
  }
  *out = it->get<bool>();
  return std::nullopt;
}

std::optional<Failure> Arguments::Object(std::string_view key,
                                         Json* out) const {
  const auto it = object_.find(key);
  if (it == object_.end()) {
    return BadArguments(Cat("missing argument \"", key, "\""));
  }
  if (!it->is_object()) {
    return BadArguments(
        Cat("\"", key, "\" must be an object, not ", TypeName(*it)));
  }
  *out = *it;
  return std::nullopt;
}

}  // namespace leasewire::control
