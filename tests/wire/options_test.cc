// Tests for the option table and the structured option views.

#include "leasewire/wire/options.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "leasewire/wire/types.h"

namespace leasewire::wire {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

bool SpanEq(std::span<const uint8_t> a, const Bytes& b) {
  return Bytes(a.begin(), a.end()) == b;
}

// ---- The option table.

TEST(OptionTableTest, SortedByCodeWithUniqueNames) {
  const std::span<const OptionDef> defs = OptionDefs();
  ASSERT_FALSE(defs.empty());
  std::set<std::string_view> names;
  for (size_t i = 0; i < defs.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(defs[i - 1].code, defs[i].code) << "at index " << i;
    }
    EXPECT_FALSE(defs[i].name.empty()) << int{defs[i].code};
    EXPECT_TRUE(names.insert(defs[i].name).second)
        << "duplicate name " << defs[i].name;
    EXPECT_NE(defs[i].code, option::kPad);
    EXPECT_NE(defs[i].code, option::kEnd);
  }
}

TEST(OptionTableTest, HasTheOptionsTheServerUses) {
  for (int code : {1,  3,  6,  12, 15, 26, 28, 42, 43, 50,  51,  52,  53,
                   54, 55, 57, 58, 59, 60, 61, 77, 82, 116, 118, 119, 121}) {
    const OptionDef* def = FindOptionDef(static_cast<uint8_t>(code));
    ASSERT_NE(def, nullptr) << "code " << code;
    EXPECT_EQ(def->code, code);
  }
}

TEST(OptionTableTest, FindByCodeAndByNameAgree) {
  for (const OptionDef& def : OptionDefs()) {
    const OptionDef* by_code = FindOptionDef(def.code);
    ASSERT_NE(by_code, nullptr) << int{def.code};
    EXPECT_EQ(by_code->name, def.name);
    const OptionDef* by_name = FindOptionDef(def.name);
    ASSERT_NE(by_name, nullptr) << def.name;
    EXPECT_EQ(by_name->code, def.code);
  }
  const OptionDef* dns = FindOptionDef("domain-name-servers");
  ASSERT_NE(dns, nullptr);
  EXPECT_EQ(dns->code, option::kDomainNameServer);
  EXPECT_EQ(FindOptionDef(option::kDomainNameServer)->name,
            "domain-name-servers");
}

TEST(OptionTableTest, UnknownCodesAndNames) {
  EXPECT_EQ(FindOptionDef(uint8_t{240}), nullptr);  // site-specific range
  EXPECT_EQ(FindOptionDef("no-such-option"), nullptr);
  EXPECT_EQ(FindOptionDef(std::string_view()), nullptr);
}

// Types and minimum lengths from RFC 2132 (§3.3, §3.5, §3.8, §3.14,
// §3.17, §5.1, §5.3, §8.3, §9.1, §9.2, §9.6, §9.7, §9.8, §9.10-§9.12,
// §9.14), RFC 3046, 3004, 3011, 3397, 3442 and 2563.
TEST(OptionTableTest, TypesAndMinimumLengths) {
  struct Expected {
    uint8_t code;
    OptionType type;
    uint8_t min_length;
  };
  const Expected expected[] = {
      {1, OptionType::kAddress, 4},      {3, OptionType::kAddressList, 4},
      {6, OptionType::kAddressList, 4},  {12, OptionType::kString, 1},
      {15, OptionType::kString, 1},      {26, OptionType::kUint16, 2},
      {28, OptionType::kAddress, 4},     {42, OptionType::kAddressList, 4},
      {50, OptionType::kAddress, 4},     {51, OptionType::kUint32, 4},
      {53, OptionType::kUint8, 1},       {54, OptionType::kAddress, 4},
      {55, OptionType::kCodeList, 1},    {57, OptionType::kUint16, 2},
      {58, OptionType::kUint32, 4},      {59, OptionType::kUint32, 4},
      {61, OptionType::kBytes, 2},       {77, OptionType::kUserClass, 0},
      {82, OptionType::kSubOptions, 0},  {118, OptionType::kAddress, 4},
      {119, OptionType::kDomainList, 0}, {121, OptionType::kClasslessRoutes, 5},
  };
  for (const Expected& e : expected) {
    const OptionDef* def = FindOptionDef(e.code);
    ASSERT_NE(def, nullptr) << int{e.code};
    EXPECT_EQ(def->type, e.type) << int{e.code};
    if (e.min_length != 0) {
      EXPECT_EQ(def->min_length, e.min_length) << int{e.code};
    }
  }
  // RFC 2563: one octet, 0 or 1.
  const OptionDef* auto_configure = FindOptionDef(option::kAutoConfigure);
  ASSERT_NE(auto_configure, nullptr);
  EXPECT_TRUE(auto_configure->type == OptionType::kFlag ||
              auto_configure->type == OptionType::kUint8);
}

// ---- IsValidOptionValue.

TEST(IsValidOptionValueTest, TableEntries) {
  const OptionDef& mask = *FindOptionDef(option::kSubnetMask);
  EXPECT_TRUE(IsValidOptionValue(mask, Bytes{255, 255, 255, 0}));
  EXPECT_FALSE(IsValidOptionValue(mask, Bytes{255, 255, 255}));
  EXPECT_FALSE(IsValidOptionValue(mask, Bytes{255, 255, 255, 0, 0}));

  const OptionDef& routers = *FindOptionDef(option::kRouter);
  EXPECT_TRUE(IsValidOptionValue(routers, Bytes{192, 0, 2, 1}));
  EXPECT_TRUE(IsValidOptionValue(routers, Bytes{192, 0, 2, 1, 192, 0, 2, 2}));
  EXPECT_FALSE(IsValidOptionValue(routers, Bytes{192, 0, 2, 1, 192, 0}));
  EXPECT_FALSE(IsValidOptionValue(routers, Bytes{}));

  const OptionDef& mtu = *FindOptionDef(option::kInterfaceMtu);
  EXPECT_TRUE(IsValidOptionValue(mtu, Bytes{0x05, 0xdc}));
  EXPECT_FALSE(IsValidOptionValue(mtu, Bytes{0x05}));
  EXPECT_FALSE(IsValidOptionValue(mtu, Bytes{0x05, 0xdc, 0x00}));

  const OptionDef& lease = *FindOptionDef(option::kLeaseTime);
  EXPECT_TRUE(IsValidOptionValue(lease, Bytes{0, 0, 0x0e, 0x10}));
  EXPECT_FALSE(IsValidOptionValue(lease, Bytes{0, 0x0e, 0x10}));

  const OptionDef& type = *FindOptionDef(option::kMessageType);
  EXPECT_TRUE(IsValidOptionValue(type, Bytes{1}));
  EXPECT_FALSE(IsValidOptionValue(type, Bytes{1, 1}));
  EXPECT_FALSE(IsValidOptionValue(type, Bytes{}));

  const OptionDef& prl = *FindOptionDef(option::kParameterRequestList);
  EXPECT_TRUE(IsValidOptionValue(prl, Bytes{1, 3, 6}));
  EXPECT_FALSE(IsValidOptionValue(prl, Bytes{}));

  // RFC 2132 §9.14: client identifier, minimum length 2.
  const OptionDef& client_id = *FindOptionDef(option::kClientIdentifier);
  EXPECT_TRUE(IsValidOptionValue(client_id, Bytes{1, 2}));
  EXPECT_FALSE(IsValidOptionValue(client_id, Bytes{1}));

  // RFC 2132 §3.14: host name, minimum length 1.
  const OptionDef& host = *FindOptionDef(option::kHostName);
  EXPECT_TRUE(IsValidOptionValue(host, ToBytes("h")));
  EXPECT_FALSE(IsValidOptionValue(host, Bytes{}));
}

// The same rules, per type, on definitions made up for the test.
TEST(IsValidOptionValueTest, EveryType) {
  const OptionDef address{224, "t-address", OptionType::kAddress, 4};
  EXPECT_TRUE(IsValidOptionValue(address, Bytes{10, 0, 0, 1}));
  EXPECT_FALSE(IsValidOptionValue(address, Bytes{10, 0, 0}));

  const OptionDef list{224, "t-list", OptionType::kAddressList, 4};
  EXPECT_TRUE(IsValidOptionValue(list, Bytes(8, 1)));
  EXPECT_TRUE(IsValidOptionValue(list, Bytes(12, 1)));
  EXPECT_FALSE(IsValidOptionValue(list, Bytes(6, 1)));
  EXPECT_FALSE(IsValidOptionValue(list, Bytes(0, 1)));

  const OptionDef u8{224, "t-u8", OptionType::kUint8, 1};
  EXPECT_TRUE(IsValidOptionValue(u8, Bytes{7}));
  EXPECT_FALSE(IsValidOptionValue(u8, Bytes{7, 7}));
  EXPECT_FALSE(IsValidOptionValue(u8, Bytes{}));

  const OptionDef u16{224, "t-u16", OptionType::kUint16, 2};
  EXPECT_TRUE(IsValidOptionValue(u16, Bytes{1, 2}));
  EXPECT_FALSE(IsValidOptionValue(u16, Bytes{1}));
  EXPECT_FALSE(IsValidOptionValue(u16, Bytes{1, 2, 3}));

  const OptionDef u32{224, "t-u32", OptionType::kUint32, 4};
  EXPECT_TRUE(IsValidOptionValue(u32, Bytes{1, 2, 3, 4}));
  EXPECT_FALSE(IsValidOptionValue(u32, Bytes{1, 2, 3}));
  EXPECT_FALSE(IsValidOptionValue(u32, Bytes{1, 2, 3, 4, 5}));

  const OptionDef flag{224, "t-flag", OptionType::kFlag, 1};
  EXPECT_TRUE(IsValidOptionValue(flag, Bytes{0}));
  EXPECT_TRUE(IsValidOptionValue(flag, Bytes{1}));
  EXPECT_FALSE(IsValidOptionValue(flag, Bytes{2}));
  EXPECT_FALSE(IsValidOptionValue(flag, Bytes{}));
  EXPECT_FALSE(IsValidOptionValue(flag, Bytes{0, 1}));

  const OptionDef codes{224, "t-codes", OptionType::kCodeList, 1};
  EXPECT_TRUE(IsValidOptionValue(codes, Bytes{1, 3, 6, 15}));
  EXPECT_FALSE(IsValidOptionValue(codes, Bytes{}));

  const OptionDef text{224, "t-text", OptionType::kString, 1};
  EXPECT_TRUE(IsValidOptionValue(text, ToBytes("example.net")));
  EXPECT_FALSE(IsValidOptionValue(text, Bytes{}));

  const OptionDef bytes{224, "t-bytes", OptionType::kBytes, 2};
  EXPECT_TRUE(IsValidOptionValue(bytes, Bytes{0, 0}));
  EXPECT_FALSE(IsValidOptionValue(bytes, Bytes{0}));

  const OptionDef subs{224, "t-subs", OptionType::kSubOptions, 0};
  EXPECT_TRUE(IsValidOptionValue(subs, Bytes{1, 2, 'a', 'b', 2, 1, 'c'}));
  EXPECT_FALSE(IsValidOptionValue(subs, Bytes{1, 2, 'a', 'b', 2, 2, 'c'}));
  EXPECT_FALSE(IsValidOptionValue(subs, Bytes{1, 2, 'a', 'b', 2}));

  const OptionDef domains{224, "t-domains", OptionType::kDomainList, 0};
  EXPECT_TRUE(IsValidOptionValue(domains, Bytes{7, 'e', 'x', 'a', 'm', 'p', 'l',
                                                'e', 3, 'n', 'e', 't', 0}));
  EXPECT_FALSE(IsValidOptionValue(domains, Bytes{0xc0, 0x00}));
  EXPECT_FALSE(IsValidOptionValue(domains, Bytes{3, 'n', 'e'}));

  const OptionDef routes{224, "t-routes", OptionType::kClasslessRoutes, 5};
  EXPECT_TRUE(IsValidOptionValue(routes, Bytes{0, 192, 0, 2, 1}));
  EXPECT_FALSE(
      IsValidOptionValue(routes, Bytes{33, 10, 0, 0, 0, 0, 192, 0, 2, 1}));
  EXPECT_FALSE(IsValidOptionValue(routes, Bytes{24, 10, 0, 0, 192, 0, 2}));

  const OptionDef classes{224, "t-classes", OptionType::kUserClass, 2};
  EXPECT_TRUE(IsValidOptionValue(classes, Bytes{3, 'a', 'b', 'c'}));
}

// ---- AddressList.

TEST(AddressListTest, Addresses) {
  const Bytes value = {192, 0, 2, 1, 198, 51, 100, 53};
  const AddressList list(value);
  ASSERT_TRUE(list.Valid());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0], Ipv4Address::FromOctets(192, 0, 2, 1));
  EXPECT_EQ(list[1], Ipv4Address::FromOctets(198, 51, 100, 53));

  EXPECT_FALSE(AddressList(Bytes{}).Valid());
  EXPECT_FALSE(AddressList(Bytes{192, 0, 2, 1, 198, 51}).Valid());
  EXPECT_TRUE(AddressList(Bytes{0, 0, 0, 0}).Valid());
}

// ---- SubOptions (RFC 3046 §2.0 layout).

TEST(SubOptionsTest, ValidFindAndIterate) {
  const Bytes value = {1, 3, 'a', 'b', 'c', 2, 2, 'x', 'y', 9, 0, 1, 1, 'z'};
  const SubOptions subs(value);
  ASSERT_TRUE(subs.Valid());
  ASSERT_TRUE(subs.Find(2).has_value());
  EXPECT_TRUE(SpanEq(*subs.Find(2), Bytes{'x', 'y'}));
  // The first item with the code wins.
  ASSERT_TRUE(subs.Find(1).has_value());
  EXPECT_TRUE(SpanEq(*subs.Find(1), ToBytes("abc")));
  // A zero-length item is present, and empty.
  ASSERT_TRUE(subs.Find(9).has_value());
  EXPECT_TRUE(subs.Find(9)->empty());
  EXPECT_FALSE(subs.Find(5).has_value());

  std::vector<uint8_t> codes;
  std::vector<Bytes> values;
  for (const SubOptions::Item item : subs) {
    codes.push_back(item.code);
    values.emplace_back(item.value.begin(), item.value.end());
  }
  EXPECT_EQ(codes, (std::vector<uint8_t>{1, 2, 9, 1}));
  EXPECT_EQ(values,
            (std::vector<Bytes>{ToBytes("abc"), ToBytes("xy"), {}, {'z'}}));
  EXPECT_EQ(subs.raw().data(), value.data());
  EXPECT_EQ(subs.raw().size(), value.size());
}

TEST(SubOptionsTest, EmptyValueHasNoItems) {
  const SubOptions subs{std::span<const uint8_t>()};
  EXPECT_TRUE(subs.begin() == subs.end());
}

// RFC 3046 §2.0: every sub-option lies wholly inside the option.
TEST(SubOptionsTest, TruncatedSubOptionInvalid) {
  EXPECT_FALSE(SubOptions(Bytes{1}).Valid());               // no length
  EXPECT_FALSE(SubOptions(Bytes{1, 1}).Valid());            // no value
  EXPECT_FALSE(SubOptions(Bytes{1, 5, 'a', 'b'}).Valid());  // short
  EXPECT_FALSE(SubOptions(Bytes{1, 1, 'a', 2}).Valid());    // 2nd: code
  EXPECT_FALSE(SubOptions(Bytes{1, 1, 'a', 2, 3, 'x'}).Valid());
  EXPECT_FALSE(SubOptions(Bytes{1, 255, 'a'}).Valid());
}

// ---- RelayAgentInfo.

// RFC 3046 §2.1: the circuit-id is opaque; a trailing 0x00 is data and
// must be kept byte for byte (it goes back to the relay unchanged).
TEST(RelayAgentInfoTest, CircuitAndRemoteIdKeptByteForByte) {
  const Bytes value = {1, 6, 'e',  't',  'h',  '0',  '/',  0x00,
                       2, 6, 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc,
                       6, 4, 's',  'u',  'b',  '1'};
  const RelayAgentInfo info(value);
  ASSERT_TRUE(info.Valid());
  ASSERT_TRUE(info.circuit_id().has_value());
  EXPECT_TRUE(SpanEq(*info.circuit_id(), Bytes{'e', 't', 'h', '0', '/', 0}));
  ASSERT_TRUE(info.remote_id().has_value());
  EXPECT_TRUE(
      SpanEq(*info.remote_id(), Bytes{0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc}));
  // RFC 3993.
  ASSERT_TRUE(info.subscriber_id().has_value());
  EXPECT_TRUE(SpanEq(*info.subscriber_id(), ToBytes("sub1")));
  EXPECT_FALSE(info.vendor_specific().has_value());
  EXPECT_FALSE(info.link_selection().has_value());
  EXPECT_FALSE(info.server_id_override().has_value());
  EXPECT_FALSE(info.relay_source_port());
}

// RFC 3527 §3: link selection is a 4-octet subnet address.
TEST(RelayAgentInfoTest, LinkSelection) {
  const Bytes value = {1, 2, 'p', '1', 5, 4, 10, 20, 30, 0};
  const RelayAgentInfo info(value);
  ASSERT_TRUE(info.Valid());
  ASSERT_TRUE(info.link_selection().has_value());
  EXPECT_EQ(*info.link_selection(), Ipv4Address::FromOctets(10, 20, 30, 0));

  const Bytes short_value = {5, 3, 10, 20, 30};
  const RelayAgentInfo bad(short_value);
  ASSERT_TRUE(bad.Valid());
  EXPECT_FALSE(bad.link_selection().has_value());
}

// RFC 5107 §4: server identifier override is a 4-octet address.
TEST(RelayAgentInfoTest, ServerIdOverride) {
  const Bytes value = {11, 4, 192, 0, 2, 1};
  const RelayAgentInfo info(value);
  ASSERT_TRUE(info.Valid());
  ASSERT_TRUE(info.server_id_override().has_value());
  EXPECT_EQ(*info.server_id_override(), Ipv4Address::FromOctets(192, 0, 2, 1));

  const Bytes long_value = {11, 5, 192, 0, 2, 1, 0};
  EXPECT_FALSE(RelayAgentInfo(long_value).server_id_override().has_value());
}

// RFC 8357 §5: the relay source port sub-option has length 0.
TEST(RelayAgentInfoTest, RelaySourcePort) {
  const Bytes value = {1, 1, 'x', 19, 0};
  EXPECT_TRUE(RelayAgentInfo(value).Valid());
  EXPECT_TRUE(RelayAgentInfo(value).relay_source_port());

  const Bytes with_data = {19, 2, 0x10, 0x00};
  ASSERT_TRUE(RelayAgentInfo(with_data).Valid());
  EXPECT_FALSE(RelayAgentInfo(with_data).relay_source_port());

  const Bytes absent = {1, 1, 'x'};
  EXPECT_FALSE(RelayAgentInfo(absent).relay_source_port());
}

// RFC 4243: vendor-specific sub-option 9 is returned whole.
TEST(RelayAgentInfoTest, VendorSpecific) {
  const Bytes value = {9, 7, 0, 0, 0x0d, 0xe9, 2, 1, 'v'};
  const RelayAgentInfo info(value);
  ASSERT_TRUE(info.Valid());
  ASSERT_TRUE(info.vendor_specific().has_value());
  EXPECT_TRUE(
      SpanEq(*info.vendor_specific(), Bytes{0, 0, 0x0d, 0xe9, 2, 1, 'v'}));
}

// ---- ClasslessRoutes (RFC 3442).

std::vector<ClasslessRoute> Routes(const ClasslessRoutes& routes) {
  std::vector<ClasslessRoute> out;
  routes.ForEach([&](const ClasslessRoute& r) { out.push_back(r); });
  return out;
}

// RFC 3442 §2: "width" then only the significant octets of the
// destination, then the router. The examples of §2: 0/0 (default route),
// 10.17.0.0/16, 10.27.129.0/24, 10.229.0.128/25, 10.198.122.47/32.
TEST(ClasslessRoutesTest, Rfc3442Examples) {
  const Bytes value = {
      0,  192, 0,   2,   1,                  // 0.0.0.0/0
      16, 10,  17,  192, 0,   2,   2,        // 10.17.0.0/16
      24, 10,  27,  129, 192, 0,   2, 3,     // 10.27.129.0/24
      25, 10,  229, 0,   128, 192, 0, 2, 4,  // 10.229.0.128/25
      32, 10,  198, 122, 47,  192, 0, 2, 5,  // 10.198.122.47/32
  };
  const ClasslessRoutes routes(value);
  ASSERT_TRUE(routes.Valid());
  const std::vector<ClasslessRoute> r = Routes(routes);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].destination, Ipv4Address(0));
  EXPECT_EQ(r[0].prefix_length, 0);
  EXPECT_EQ(r[0].router, Ipv4Address::FromOctets(192, 0, 2, 1));
  EXPECT_EQ(r[1].destination, Ipv4Address::FromOctets(10, 17, 0, 0));
  EXPECT_EQ(r[1].prefix_length, 16);
  EXPECT_EQ(r[1].router, Ipv4Address::FromOctets(192, 0, 2, 2));
  EXPECT_EQ(r[2].destination, Ipv4Address::FromOctets(10, 27, 129, 0));
  EXPECT_EQ(r[2].prefix_length, 24);
  EXPECT_EQ(r[2].router, Ipv4Address::FromOctets(192, 0, 2, 3));
  EXPECT_EQ(r[3].destination, Ipv4Address::FromOctets(10, 229, 0, 128));
  EXPECT_EQ(r[3].prefix_length, 25);
  EXPECT_EQ(r[3].router, Ipv4Address::FromOctets(192, 0, 2, 4));
  EXPECT_EQ(r[4].destination, Ipv4Address::FromOctets(10, 198, 122, 47));
  EXPECT_EQ(r[4].prefix_length, 32);
  EXPECT_EQ(r[4].router, Ipv4Address::FromOctets(192, 0, 2, 5));
}

// RFC 3442 §2: the width is at most 32.
TEST(ClasslessRoutesTest, WidthAbove32Invalid) {
  const Bytes value = {33, 10, 0, 0, 0, 0, 192, 0, 2, 1};
  const ClasslessRoutes routes(value);
  EXPECT_FALSE(routes.Valid());
  EXPECT_TRUE(Routes(routes).empty());
}

TEST(ClasslessRoutesTest, TruncatedInvalid) {
  // The router lacks its last octet.
  const Bytes value = {24, 10, 27, 129, 192, 0, 2};
  EXPECT_FALSE(ClasslessRoutes(value).Valid());
  EXPECT_TRUE(Routes(ClasslessRoutes(value)).empty());

  // A good route followed by a truncated one: ForEach stops there.
  const Bytes tail = {0, 192, 0, 2, 1, 8, 10};
  EXPECT_FALSE(ClasslessRoutes(tail).Valid());
  EXPECT_EQ(Routes(ClasslessRoutes(tail)).size(), 1u);

  // Only the width.
  EXPECT_FALSE(ClasslessRoutes(Bytes{0}).Valid());
}

// ---- UserClasses (RFC 3004 §4).

TEST(UserClassesTest, Rfc3004Items) {
  const Bytes value = {5, 'a', 'l', 'p', 'h', 'a', 3, 'b', 'o', 'x'};
  const UserClasses classes(value);
  ASSERT_TRUE(classes.Valid());
  std::vector<std::string> items;
  classes.ForEach([&](std::span<const uint8_t> item) {
    items.emplace_back(item.begin(), item.end());
  });
  EXPECT_EQ(items, (std::vector<std::string>{"alpha", "box"}));
  EXPECT_EQ(classes.raw().size(), value.size());
}

// RFC 3004 §4: each UC_Len is at least 1 and the data fits.
TEST(UserClassesTest, MalformedItems) {
  EXPECT_FALSE(UserClasses(Bytes{0}).Valid());
  EXPECT_FALSE(UserClasses(Bytes{3, 'a', 'b', 'c', 0}).Valid());
  EXPECT_FALSE(UserClasses(Bytes{5, 'a'}).Valid());
  // A bare string, as some clients send: not the RFC 3004 form.
  const Bytes bare = ToBytes("MSFT 5.0");
  EXPECT_FALSE(UserClasses(bare).Valid());
  EXPECT_EQ(UserClasses(bare).raw().size(), bare.size());
}

// ---- Domain lists (RFC 1035 §3.1, §4.1.4; RFC 3397).

// RFC 3397 §3: "eng.apple.com." and "marketing.apple.com." with the
// second name pointing at "apple.com" at offset 4.
const Bytes kRfc3397Example = {3,   'e', 'n', 'g', 5,   'a', 'p', 'p',  'l',
                               'e', 3,   'c', 'o', 'm', 0,   9,   'm',  'a',
                               'r', 'k', 'e', 't', 'i', 'n', 'g', 0xc0, 0x04};

TEST(DomainListTest, EncodesRfc3397ExampleWithCompression) {
  const std::vector<std::string> names = {"eng.apple.com",
                                          "marketing.apple.com"};
  const std::optional<Bytes> encoded = EncodeDomainList(names);
  ASSERT_TRUE(encoded.has_value());
  EXPECT_EQ(*encoded, kRfc3397Example);
}

TEST(DomainListTest, DecodesRfc3397Example) {
  const auto decoded = DecodeDomainList(kRfc3397Example);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded,
            (std::vector<std::string>{"eng.apple.com", "marketing.apple.com"}));
}

TEST(DomainListTest, RoundTrip) {
  const std::vector<std::string> names = {
      "example.net", "corp.example.net",     "example.org",
      "a.b.c",       "lab.corp.example.net", "x"};
  const std::optional<Bytes> encoded = EncodeDomainList(names);
  ASSERT_TRUE(encoded.has_value());
  // Compression must have removed the repeated suffixes.
  size_t uncompressed = 0;
  for (const std::string& n : names) uncompressed += n.size() + 2;
  EXPECT_LT(encoded->size(), uncompressed);
  const auto decoded = DecodeDomainList(*encoded);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, names);
}

// RFC 1035 §3.1: a fully qualified name may end with the root's dot.
TEST(DomainListTest, TrailingDotAccepted) {
  const std::vector<std::string> dotted = {"example.net."};
  const std::vector<std::string> plain = {"example.net"};
  const auto a = EncodeDomainList(dotted);
  const auto b = EncodeDomainList(plain);
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a,
            (Bytes{7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0}));
}

// RFC 1035 §2.3.4: labels are 63 octets or less, names 255 or less; no
// empty labels inside a name.
TEST(DomainListTest, EncodeRejectsBadNames) {
  const std::string label63(63, 'a');
  const std::string label64(64, 'a');
  EXPECT_TRUE(
      EncodeDomainList(std::vector<std::string>{label63 + ".net"}).has_value());
  EXPECT_FALSE(
      EncodeDomainList(std::vector<std::string>{label64 + ".net"}).has_value());
  EXPECT_FALSE(EncodeDomainList(std::vector<std::string>{"a..b"}).has_value());
  EXPECT_FALSE(EncodeDomainList(std::vector<std::string>{".com"}).has_value());

  const std::string long_ok =
      label63 + "." + label63 + "." + label63 + "." + std::string(50, 'b');
  EXPECT_TRUE(EncodeDomainList(std::vector<std::string>{long_ok}).has_value());
  const std::string too_long =
      label63 + "." + label63 + "." + label63 + "." + label63 + "." + label63;
  EXPECT_FALSE(
      EncodeDomainList(std::vector<std::string>{too_long}).has_value());
}

// RFC 1035 §3.1: "the total length of a domain name (i.e., label octets
// and label length octets) is restricted to 255 octets or less", the
// terminating zero octet included. Labels of 63, 63, 63 and 61 octets make
// 255 octets (253 characters of text); 63, 63, 63 and 62 make 256.
TEST(DomainListTest, NameLengthLimitIs255Octets) {
  const std::string l63(63, 'a');
  const std::string fits =
      l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
  const std::string over =
      l63 + "." + l63 + "." + l63 + "." + std::string(62, 'b');
  ASSERT_EQ(fits.size(), 253u);
  const auto encoded = EncodeDomainList(std::vector<std::string>{fits});
  ASSERT_TRUE(encoded.has_value());
  EXPECT_EQ(encoded->size(), 255u);
  EXPECT_FALSE(EncodeDomainList(std::vector<std::string>{over}).has_value());

  const auto decoded = DecodeDomainList(*encoded);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, (std::vector<std::string>{fits}));

  // The 256-octet encoding of `over`, written by hand.
  Bytes wire;
  for (size_t len : {63, 63, 63, 62}) {
    wire.push_back(static_cast<uint8_t>(len));
    wire.insert(wire.end(), len, 'a');
  }
  wire.push_back(0);
  ASSERT_EQ(wire.size(), 256u);
  EXPECT_FALSE(DecodeDomainList(wire).has_value());
}

// RFC 1035 §4.1.4: pointers may only point to a prior occurrence; a
// pointer loop is malformed.
TEST(DomainListTest, PointerLoopRejected) {
  EXPECT_FALSE(DecodeDomainList(Bytes{0xc0, 0x00}).has_value());
  EXPECT_FALSE(DecodeDomainList(Bytes{1, 'a', 0xc0, 0x00}).has_value());
  // A forward pointer.
  EXPECT_FALSE(
      DecodeDomainList(Bytes{0xc0, 0x02, 3, 'c', 'o', 'm', 0}).has_value());
  // A pointer past the end.
  EXPECT_FALSE(
      DecodeDomainList(Bytes{3, 'c', 'o', 'm', 0, 0xc0, 0x40}).has_value());
}

// RFC 1035 §3.1 / §4.1.4: a length octet of 64..191 is not a label (the
// top bits 01 and 10 are reserved), so a 64-octet label is malformed.
TEST(DomainListTest, LabelOf64OctetsRejected) {
  Bytes value = {64};
  value.insert(value.end(), 64, 'a');
  value.push_back(0);
  EXPECT_FALSE(DecodeDomainList(value).has_value());

  Bytes ok = {63};
  ok.insert(ok.end(), 63, 'a');
  ok.push_back(0);
  const auto decoded = DecodeDomainList(ok);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, (std::vector<std::string>{std::string(63, 'a')}));

  EXPECT_FALSE(DecodeDomainList(Bytes{0x80, 'a', 0}).has_value());
}

TEST(DomainListTest, TruncatedRejected) {
  EXPECT_FALSE(DecodeDomainList(Bytes{3, 'c', 'o'}).has_value());
  EXPECT_FALSE(DecodeDomainList(Bytes{3, 'c', 'o', 'm'}).has_value());
  EXPECT_FALSE(DecodeDomainList(Bytes{3, 'c', 'o', 'm', 0, 0xc0}).has_value());
  // Every proper prefix of the RFC 3397 example is malformed, and each is
  // an exactly-sized copy so an over-read is caught.
  for (size_t n = 1; n < kRfc3397Example.size(); ++n) {
    const Bytes prefix(kRfc3397Example.begin(), kRfc3397Example.begin() + n);
    if (n == 15) continue;  // "eng.apple.com" alone is complete
    EXPECT_FALSE(DecodeDomainList(prefix).has_value()) << "prefix " << n;
  }
}

// ---- Message type names (RFC 2132 §9.6, RFC 4388 §6.1).

TEST(MessageTypeNameTest, Names) {
  EXPECT_EQ(MessageTypeName(MessageType::kDiscover), "DHCPDISCOVER");
  EXPECT_EQ(MessageTypeName(MessageType::kOffer), "DHCPOFFER");
  EXPECT_EQ(MessageTypeName(MessageType::kRequest), "DHCPREQUEST");
  EXPECT_EQ(MessageTypeName(MessageType::kDecline), "DHCPDECLINE");
  EXPECT_EQ(MessageTypeName(MessageType::kAck), "DHCPACK");
  EXPECT_EQ(MessageTypeName(MessageType::kNak), "DHCPNAK");
  EXPECT_EQ(MessageTypeName(MessageType::kRelease), "DHCPRELEASE");
  EXPECT_EQ(MessageTypeName(MessageType::kInform), "DHCPINFORM");
  EXPECT_EQ(MessageTypeName(MessageType::kForceRenew), "DHCPFORCERENEW");
  EXPECT_EQ(MessageTypeName(MessageType::kLeaseQuery), "DHCPLEASEQUERY");

  std::set<std::string_view> names;
  for (int t = 1; t <= 18; ++t) {
    const std::string_view name = MessageTypeName(static_cast<MessageType>(t));
    EXPECT_FALSE(name.empty()) << t;
    EXPECT_TRUE(names.insert(name).second) << "duplicate " << name;
  }
  // Outside the registry: never a crash.
  (void)MessageTypeName(static_cast<MessageType>(0));
  (void)MessageTypeName(static_cast<MessageType>(200));
}

}  // namespace
}  // namespace leasewire::wire
