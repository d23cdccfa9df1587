#include "leasewire/control/runtime_config.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <utility>

#include "absl/strings/numbers.h"
#include "control/text.h"

namespace leasewire::control {

using internal::Cat;
using internal::Join;
namespace {

using Json = nlohmann::json;

std::string HexOctets(const std::vector<uint8_t>& bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    char b[4];
    std::snprintf(b, sizeof(b), "%s%02x", i == 0 ? "" : ":", bytes[i]);
    out += b;
  }
  return out;
}

bool IsKind(std::string_view kind) {
  return std::find(std::begin(kReservationKinds), std::end(kReservationKinds),
                   kind) != std::end(kReservationKinds);
}

// Strips the "subnets[0].reservations[0]." of the probe config from a
// loader message, so that it reads as being about the argument.
std::string ProbeMessage(std::string_view message) {
  constexpr std::string_view kPrefix = "subnets[0].reservations[0]";
  if (message.substr(0, kPrefix.size()) == kPrefix) {
    message.remove_prefix(kPrefix.size());
    if (!message.empty() && message.front() == '.') message.remove_prefix(1);
    if (message.substr(0, 2) == ": ") message.remove_prefix(2);
  }
  return std::string(message);
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> ParseIdentifier(std::string_view kind,
                                                     std::string_view text) {
  if (!IsKind(kind)) {
    return absl::InvalidArgumentError(
        Cat("\"", kind, "\" is not an identifier kind; expected one of ",
            Join(kReservationKinds, ", ")));
  }
  // The loader is the one authority on how identifiers read: ask it with
  // a config holding only this reservation.
  Json probe = {
      {"server-id", "192.0.2.1"},
      {"subnets",
       Json::array(
           {{{"id", 1},
             {"subnet", "0.0.0.0/0"},
             {"reservations",
              Json::array({{{std::string(kind), std::string(text)}}})}}})}};
  absl::StatusOr<std::shared_ptr<const config::Config>> c = config::LoadConfig(
      probe.dump(-1, ' ', false, Json::error_handler_t::replace));
  if (!c.ok()) {
    return absl::InvalidArgumentError(
        ProbeMessage(std::string(c.status().message())));
  }
  return (*c)->subnets[0].reservations[0].key;
}

absl::StatusOr<std::string> ReservationKey(uint32_t subnet_id,
                                           std::string_view kind,
                                           std::string_view identifier) {
  absl::StatusOr<std::vector<uint8_t>> bytes =
      ParseIdentifier(kind, identifier);
  if (!bytes.ok()) return bytes.status();
  return Cat(subnet_id, "/", kind, "/", HexOctets(*bytes));
}

absl::StatusOr<RuntimeReservation> MakeRuntimeReservation(uint32_t subnet_id,
                                                          const Json& object) {
  if (!object.is_object()) {
    return absl::InvalidArgumentError("a reservation must be a JSON object");
  }
  std::vector<std::string_view> kinds;
  for (std::string_view k : kReservationKinds) {
    if (object.contains(k)) kinds.push_back(k);
  }
  if (kinds.size() != 1) {
    return absl::InvalidArgumentError(Cat(
        "a reservation needs exactly one identifier (hw-address, client-id, "
        "circuit-id or remote-id); got ",
        kinds.empty() ? "none" : Join(kinds, " and ")));
  }
  const Json& id = object.at(kinds[0]);
  if (!id.is_string()) {
    return absl::InvalidArgumentError(Cat(kinds[0], ": expected a string"));
  }
  absl::StatusOr<std::string> key =
      ReservationKey(subnet_id, kinds[0], id.get<std::string>());
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        Cat(kinds[0], ": ", key.status().message()));
  }
  RuntimeReservation r;
  r.key = *std::move(key);
  r.subnet_id = subnet_id;
  r.object = object;
  return r;
}

absl::StatusOr<RuntimeReservation> ParseStoredReservation(
    std::string_view key, std::string_view json) {
  const size_t slash = key.find('/');
  uint32_t subnet_id = 0;
  if (slash == std::string_view::npos ||
      key.find('/', slash + 1) == std::string_view::npos ||
      !absl::SimpleAtoi(absl::string_view(key.data(), slash), &subnet_id)) {
    return absl::InvalidArgumentError(
        Cat("stored reservation \"", key, "\": malformed key"));
  }
  Json object = Json::parse(json.begin(), json.end(), nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    return absl::InvalidArgumentError(
        Cat("stored reservation \"", key, "\": damaged JSON"));
  }
  absl::StatusOr<RuntimeReservation> r =
      MakeRuntimeReservation(subnet_id, object);
  if (!r.ok()) {
    return absl::InvalidArgumentError(
        Cat("stored reservation \"", key, "\": ", r.status().message()));
  }
  if (r->key != key) {
    return absl::InvalidArgumentError(Cat(
        "stored reservation \"", key, "\": its identifier gives key ", r->key));
  }
  return r;
}

absl::StatusOr<MergedConfig> MergeConfig(
    std::string_view file_text, const std::vector<RuntimeReservation>& runtime,
    bool drop_refused) {
  // The file alone first: its own errors keep their own paths, and the
  // loader's checks the plain JSON parser below lacks (repeated keys) run.
  absl::StatusOr<std::shared_ptr<const config::Config>> alone =
      config::LoadConfig(file_text);
  if (!alone.ok()) return alone.status();
  MergedConfig out;
  if (runtime.empty()) {
    out.config = *alone;
    out.text = std::string(file_text);
    return out;
  }
  const Json file = Json::parse(file_text.begin(), file_text.end(), nullptr,
                                /*allow_exceptions=*/false,
                                /*ignore_comments=*/true);
  if (file.is_discarded()) {
    return absl::InternalError("the config file loads but does not re-parse");
  }
  std::vector<const RuntimeReservation*> pending;
  for (const RuntimeReservation& r : runtime) {
    if ((*alone)->FindSubnetById(r.subnet_id) == nullptr) {
      out.left_out.push_back(
          Cat("runtime reservation ", r.key, ": subnet ", r.subnet_id,
              " is not in the config file; kept in the lease database, applied "
              "again when the subnet returns (or delete it)"));
      continue;
    }
    pending.push_back(&r);
  }
  // Each round either loads or leaves out one refused reservation, so
  // this ends after at most pending.size() + 1 rounds.
  static const std::regex kReservationPath(
      R"(^subnets\[(\d+)\]\.reservations\[(\d+)\])");
  while (true) {
    Json merged = file;
    // (file subnet index, reservation position) -> runtime reservation.
    std::vector<std::pair<std::pair<size_t, size_t>, size_t>> where;
    Json& subnets = merged["subnets"];
    for (size_t p = 0; p < pending.size(); ++p) {
      for (size_t i = 0; i < subnets.size(); ++i) {
        Json& s = subnets[i];
        if (!s.contains("id") || s["id"] != pending[p]->subnet_id) continue;
        Json& list = s["reservations"];
        if (list.is_null()) list = Json::array();
        where.push_back({{i, list.size()}, p});
        list.push_back(pending[p]->object);
        break;
      }
    }
    std::string text =
        merged.dump(1, ' ', false, Json::error_handler_t::replace);
    absl::StatusOr<std::shared_ptr<const config::Config>> c =
        config::LoadConfig(text);
    if (c.ok()) {
      out.config = *std::move(c);
      out.text = std::move(text);
      out.applied = pending.size();
      return out;
    }
    const std::string message(c.status().message());
    std::smatch m;
    size_t culprit = pending.size();
    if (std::regex_search(message, m, kReservationPath)) {
      const size_t si = std::stoul(m[1].str());
      const size_t ri = std::stoul(m[2].str());
      for (const auto& [pos, p] : where) {
        if (pos.first == si && pos.second == ri) culprit = p;
      }
    }
    if (culprit == pending.size()) {
      return absl::InvalidArgumentError(
          Cat("with the runtime reservations merged: ", message));
    }
    std::string_view rest(message);
    rest.remove_prefix(static_cast<size_t>(m.length(0)));
    if (!rest.empty() && rest.front() == '.') rest.remove_prefix(1);
    if (rest.substr(0, 2) == ": ") rest.remove_prefix(2);
    const std::string named =
        Cat("runtime reservation ", pending[culprit]->key, ": ", rest);
    if (!drop_refused) return absl::InvalidArgumentError(named);
    out.left_out.push_back(named + " (left out; kept in the lease database)");
    pending.erase(pending.begin() + static_cast<ptrdiff_t>(culprit));
  }
}

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    char b[3];
    std::snprintf(b, sizeof(b), "%02x", digest[i]);
    out += b;
  }
  return out;
}

}  // namespace leasewire::control
