// docs/configuration.md against the code, so that the two cannot drift:
//   * the keys documented in its key tables are exactly the keys the
//     loader accepts (leasewire/config/keys.h), object by object, and the
//     loader refuses every other key at every object;
//   * every documented key has a type and a default (or is required);
//   * a default written as a JSON literal is the code's default: a config
//     that sets the key to it loads to the same Config as one without the
//     key, and one that sets another value does not;
//   * every ```json example parses and loads (embedded where it belongs),
//     and together the examples use every key.

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leasewire/config/config.h"
#include "leasewire/config/keys.h"
#include "nlohmann/json.hpp"

namespace leasewire::config {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;

// The object each key table of the document describes, by the heading
// above the table.
const std::map<std::string, std::string>& ObjectOfHeading() {
  static const auto* const kMap = new std::map<std::string, std::string>{
      {"Top level", ""},
      {"Interfaces", "interfaces[]"},
      {"Dataplane", "dataplane"},
      {"Lease database", "lease-database"},
      {"Control", "control"},
      {"Trust", "trust"},
      {"Subnets", "subnets[]"},
      {"Relay", "subnets[].relay"},
      {"Pools", "subnets[].pools[]"},
      {"Reservations", "subnets[].reservations[]"},
      {"Option data", "option-data[]"},
  };
  return *kMap;
}

struct DocKey {
  std::string object;
  std::string key;
  std::string type;
  std::string default_text;
  int line = 0;
};

struct DocExample {
  std::string object;  // of the section it is in
  std::string text;
  int line = 0;
};

struct Doc {
  std::vector<DocKey> keys;
  std::vector<DocExample> examples;
  std::vector<std::string> errors;  // tables under unknown headings
};

std::vector<std::string> Cells(const std::string& row) {
  std::vector<std::string> cells;
  std::string cell;
  for (size_t i = 1; i < row.size(); ++i) {  // row[0] is '|'
    if (row[i] == '\\' && i + 1 < row.size() && row[i + 1] == '|') {
      cell += '|';
      ++i;
    } else if (row[i] == '|') {
      const size_t b = cell.find_first_not_of(' ');
      const size_t e = cell.find_last_not_of(' ');
      cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
      cell.clear();
    } else {
      cell += row[i];
    }
  }
  return cells;
}

// The `code spans` of a cell.
std::vector<std::string> Spans(const std::string& cell) {
  std::vector<std::string> spans;
  size_t at = 0;
  while ((at = cell.find('`', at)) != std::string::npos) {
    const size_t end = cell.find('`', at + 1);
    if (end == std::string::npos) break;
    spans.push_back(cell.substr(at + 1, end - at - 1));
    at = end + 1;
  }
  return spans;
}

Doc ReadDoc() {
  const std::string path =
      std::string(LEASEWIRE_SOURCE_DIR) + "/docs/configuration.md";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  Doc doc;
  std::string line, heading, object;
  bool in_table = false;
  bool in_json = false;
  bool in_code = false;  // another fenced block
  DocExample example;
  for (int n = 1; std::getline(in, line); ++n) {
    if (in_json) {
      if (line.starts_with("```")) {
        doc.examples.push_back(example);
        in_json = false;
      } else {
        example.text += line + "\n";
      }
      continue;
    }
    if (line.starts_with("```json")) {
      in_json = true;
      example = DocExample{object, "", n};
      continue;
    }
    if (line.starts_with("```")) {
      in_code = !in_code;
      continue;
    }
    if (in_code) continue;
    if (line.starts_with("#")) {
      heading = line.substr(line.find_first_not_of("# "));
      auto it = ObjectOfHeading().find(heading);
      object = it == ObjectOfHeading().end() ? "?" : it->second;
      in_table = false;
      continue;
    }
    if (line.starts_with("| key | type | default | meaning |")) {
      in_table = true;
      if (object == "?") {
        doc.errors.push_back("line " + std::to_string(n) +
                             ": a key table under \"" + heading +
                             "\", which names no object (add it to "
                             "ObjectOfHeading)");
      }
      continue;
    }
    if (!in_table) continue;
    if (!line.starts_with("|")) {
      in_table = false;
      continue;
    }
    if (line.starts_with("|---")) continue;
    const std::vector<std::string> cells = Cells(line);
    if (cells.size() < 4) {
      doc.errors.push_back("line " + std::to_string(n) + ": short row");
      continue;
    }
    for (const std::string& key : Spans(cells[0])) {
      doc.keys.push_back(DocKey{object, key, cells[1], cells[2], n});
    }
  }
  return doc;
}

std::string Where(const std::string& object) {
  return object.empty() ? "the top level" : object;
}

// ---------------------------------------------------------------------
// A base config with every object present once, and how to reach an
// object in it.

Json Base() {
  return Json::parse(R"({
    "server-id": "192.0.2.1",
    "interfaces": [{"name": "port0", "address": "192.0.2.1/24"}],
    "option-data": [{"name": "domain-name-servers", "data": "192.0.2.53"}],
    "trust": {}, "dataplane": {}, "lease-database": {}, "control": {},
    "subnets": [{"id": 1, "subnet": "192.0.2.0/24",
                 "relay": {"ip-addresses": ["10.255.0.1"]},
                 "pools": [{"pool": "192.0.2.100 - 192.0.2.199"}],
                 "reservations": [{"hw-address": "02:00:00:00:00:01"}]}]
  })");
}

// "subnets[].pools[]" -> "/subnets/0/pools/0".
Json::json_pointer PointerTo(const std::string& object) {
  if (object.empty()) return Json::json_pointer("");
  std::string p = "/" + object;
  for (size_t at; (at = p.find("[]")) != std::string::npos;) {
    p.replace(at, 2, "/0");
  }
  for (char& c : p) {
    if (c == '.') c = '/';
  }
  return Json::json_pointer(p);
}

std::string Hex(std::span<const uint8_t> bytes) {
  std::string s;
  char b[4];
  for (uint8_t x : bytes) {
    std::snprintf(b, sizeof(b), "%02x", x);
    s += b;
  }
  return s;
}

void Print(std::ostream& o, const OptionSet& set) {
  o << "{";
  for (int code = 0; code < 256; ++code) {
    if (set.Has(static_cast<uint8_t>(code))) {
      o << code << "=" << Hex(set.Find(static_cast<uint8_t>(code))) << " ";
    }
  }
  o << "always:" << Hex(set.always_send()) << "}";
}

void Print(std::ostream& o, const Lifetimes& l) {
  o << "lifetimes " << l.valid << " " << l.min_valid << " " << l.max_valid
    << " " << l.renew_percent << " " << l.rebind_percent << "\n";
}

// Everything a Config holds, as text: two configs load the same when
// their fingerprints are equal.
std::string Fingerprint(const Config& c) {
  std::ostringstream o;
  o << "server-id " << c.server_id.ToString() << "\n";
  for (const Interface& i : c.interfaces) {
    o << "interface " << i.name << " " << i.address.ToString() << " "
      << i.prefix.ToString() << " " << i.device << "\n";
  }
  Print(o, c.lifetimes);
  o << "offer " << c.offer_lifetime << " decline " << c.decline_probation
    << " authoritative " << c.authoritative << "\n";
  o << "trust " << c.trust.link_selection << c.trust.subnet_selection
    << c.trust.relay_info_without_giaddr << c.trust.server_id_override << "\n";
  Print(o, c.options);
  o << "\ndataplane " << c.dataplane.workers << " "
    << c.dataplane.mbufs_per_worker;
  for (const std::string& a : c.dataplane.eal_args) o << " [" << a << "]";
  o << "\nlease-database " << c.lease_database.directory << " "
    << c.lease_database.sync << "\n";
  o << "control " << c.control.socket << " " << c.control.socket_mode << " "
    << c.control.metrics << " " << c.control.tcp << "\n";
  for (const Subnet& s : c.subnets) {
    o << "subnet " << s.id << " " << s.prefix.ToString() << " "
      << s.server_id.ToString() << " " << s.authoritative << "\n";
    Print(o, s.lifetimes);
    Print(o, s.options);
    for (const Ipv4Address a : s.relay_addresses) {
      o << " relay " << a.ToString();
    }
    for (const Pool& p : s.pools) {
      o << "\n pool " << p.first.ToString() << "-" << p.last.ToString() << " ";
      Print(o, p.options);
    }
    for (const Reservation& r : s.reservations) {
      o << "\n reservation " << static_cast<int>(r.key_type) << " "
        << Hex(r.key) << " " << r.address.ToString() << " " << r.hostname << " "
        << (r.valid_lifetime ? std::to_string(*r.valid_lifetime) : "-") << " "
        << r.in_pool << " ";
      Print(o, r.options);
    }
    for (const Ipv4Address a : s.excluded) o << " excluded " << a.ToString();
    o << "\n";
  }
  return o.str();
}

// Loads `doc`; "" and a failure when it does not load.
std::string Load(const Json& doc, const std::string& what) {
  absl::StatusOr<std::shared_ptr<const Config>> c = LoadConfig(doc.dump());
  EXPECT_TRUE(c.ok()) << what << ": " << c.status() << "\n" << doc.dump(1);
  return c.ok() ? Fingerprint(**c) : "";
}

// ---------------------------------------------------------------------

TEST(ConfigDocTest, KeyTablesListExactlyTheAcceptedKeys) {
  const Doc doc = ReadDoc();
  for (const std::string& e : doc.errors) ADD_FAILURE() << e;
  std::set<std::pair<std::string, std::string>> documented, accepted;
  for (const DocKey& k : doc.keys) {
    EXPECT_TRUE(documented.emplace(k.object, k.key).second)
        << "line " << k.line << ": \"" << k.key << "\" of " << Where(k.object)
        << " is documented twice";
  }
  for (const ConfigKey& k : KnownKeys()) {
    accepted.emplace(std::string(k.object), std::string(k.key));
  }
  for (const auto& [object, key] : accepted) {
    EXPECT_TRUE(documented.contains({object, key}))
        << "\"" << key << "\" of " << Where(object)
        << " is accepted by the loader but not in a key table of "
           "docs/configuration.md";
  }
  for (const DocKey& k : doc.keys) {
    EXPECT_TRUE(accepted.contains({k.object, k.key}))
        << "line " << k.line << ": \"" << k.key << "\" of " << Where(k.object)
        << " is documented but the loader does not accept it "
           "(src/config/keys.cc)";
  }
}

TEST(ConfigDocTest, EveryKeyHasATypeAndADefault) {
  for (const DocKey& k : ReadDoc().keys) {
    EXPECT_FALSE(k.type.empty())
        << "line " << k.line << ": \"" << k.key << "\" has no type";
    if (k.type.find("required") == std::string::npos) {
      EXPECT_FALSE(k.default_text.empty())
          << "line " << k.line << ": \"" << k.key
          << "\" is not required and has no default";
    }
  }
}

TEST(ConfigDocTest, LoaderRefusesUnknownAndAcceptsKnownKeysAtEveryObject) {
  std::set<std::string> objects;
  for (const ConfigKey& k : KnownKeys()) objects.emplace(k.object);
  for (const std::string& object : objects) {
    Json doc = Base();
    doc[PointerTo(object)]["no-such-key"] = 1;
    absl::StatusOr<std::shared_ptr<const Config>> c = LoadConfig(doc.dump());
    ASSERT_FALSE(c.ok()) << Where(object) << " took an unknown key";
    EXPECT_THAT(std::string(c.status().message()),
                HasSubstr("unknown key \"no-such-key\""))
        << Where(object);
  }
  for (const ConfigKey& k : KnownKeys()) {
    Json doc = Base();
    doc[PointerTo(std::string(k.object))][std::string(k.key)] = nullptr;
    absl::StatusOr<std::shared_ptr<const Config>> c = LoadConfig(doc.dump());
    if (!c.ok()) {
      EXPECT_THAT(std::string(c.status().message()),
                  ::testing::Not(HasSubstr("unknown key")))
          << "\"" << k.key << "\" of " << Where(std::string(k.object));
    }
  }
}

// Another valid value than `v`, for the sensitivity check; null when
// there is none to try.
Json OtherThan(const Json& v) {
  static const auto* const kStrings = new std::map<std::string, std::string>{
      {"sync", "async"},
      {"0600", "0660"},
      {"127.0.0.1:9167", "127.0.0.1:9168"},
  };
  if (v.is_boolean()) return !v.get<bool>();
  if (v.is_number_integer() || v.is_number_unsigned()) {
    return v.get<int64_t>() + 1;
  }
  if (v.is_number()) return v.get<double>() + 1;
  if (v.is_string()) {
    auto it = kStrings->find(v.get<std::string>());
    return it != kStrings->end() ? Json(it->second)
                                 : Json(v.get<std::string>() + "-x");
  }
  if (v.is_array() && !v.empty()) {
    Json shorter = v;
    shorter.erase(shorter.size() - 1);
    return shorter;
  }
  return nullptr;
}

TEST(ConfigDocTest, LiteralDefaultsAreTheCodeDefaults) {
  int checked = 0;
  for (const DocKey& k : ReadDoc().keys) {
    const std::vector<std::string> spans = Spans(k.default_text);
    if (spans.size() != 1 || "`" + spans[0] + "`" != k.default_text) {
      continue;  // described in words ("top-level value", "none")
    }
    const Json literal = Json::parse(spans[0], nullptr, false);
    if (literal.is_discarded()) continue;
    const std::string what = "line " + std::to_string(k.line) + ": \"" + k.key +
                             "\" of " + Where(k.object);
    Json absent = Base();
    absent[PointerTo(k.object)].erase(k.key);
    Json given = Base();
    given[PointerTo(k.object)][k.key] = literal;
    const std::string without = Load(absent, what + " left out");
    EXPECT_EQ(Load(given, what + " set to the documented default"), without)
        << what << ": the documented default " << spans[0]
        << " is not the code's";
    const Json other = OtherThan(literal);
    if (!other.is_null()) {
      Json changed = Base();
      changed[PointerTo(k.object)][k.key] = other;
      EXPECT_NE(Load(changed, what + " set to " + other.dump()), without)
          << what << ": setting it to " << other.dump()
          << " changes nothing the test sees (extend Fingerprint())";
    }
    ++checked;
  }
  EXPECT_GE(checked, 20) << "the default column lost its JSON literals";
}

// Where an example of a section's object goes: the whole file for the top
// level, else merged into the base config or its first subnet.
struct Embedded {
  Json doc;
  std::string context;  // the object the example's own keys belong to
};

Embedded Embed(const DocExample& e, Json example) {
  if (e.object.empty()) return {example, ""};
  Json doc = Base();
  const bool in_subnet = e.object.starts_with("subnets[]");
  if (in_subnet && example.contains("id") && example.contains("subnet")) {
    doc["subnets"][0] = example;
    return {doc, "subnets[]"};
  }
  Json& into = in_subnet ? doc["subnets"][0] : doc;
  for (const auto& [key, value] : example.items()) into[key] = value;
  return {doc, in_subnet ? "subnets[]" : ""};
}

void Cover(const Json& value, const std::string& object,
           std::set<std::pair<std::string, std::string>>* used) {
  if (!value.is_object()) return;
  for (const auto& [key, child] : value.items()) {
    used->emplace(object, key);
    std::string path = object.empty() ? key : object + "." + key;
    if (child.is_object()) Cover(child, path, used);
    if (child.is_array()) {
      if (key == "option-data") path = "option-data";
      for (const Json& element : child) Cover(element, path + "[]", used);
    }
  }
}

TEST(ConfigDocTest, ExamplesLoadAndUseEveryKey) {
  const Doc doc = ReadDoc();
  ASSERT_GE(doc.examples.size(), 6u);
  std::set<std::pair<std::string, std::string>> used;
  for (const DocExample& e : doc.examples) {
    const std::string what = "the example at line " + std::to_string(e.line);
    ASSERT_NE(e.object, "?") << what << " is under a heading of no object";
    Json example = Json::parse(e.text, nullptr, false);
    if (example.is_discarded() || !example.is_object()) {
      example = Json::parse("{" + e.text + "}", nullptr, false);
    }
    ASSERT_FALSE(example.is_discarded()) << what << " is not JSON";
    const Embedded embedded = Embed(e, example);
    Load(embedded.doc, what);
    Cover(example, embedded.context, &used);
  }
  for (const ConfigKey& k : KnownKeys()) {
    EXPECT_TRUE(used.contains({std::string(k.object), std::string(k.key)}))
        << "no example in docs/configuration.md uses \"" << k.key << "\" of "
        << Where(std::string(k.object));
  }
}

}  // namespace
}  // namespace leasewire::config
