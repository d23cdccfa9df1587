// Tests for the lease record (lease/lease.h) and the lease table
// (lease/lease_table.h): inline and heap variable data, client keys, the
// address and client indexes, slot reuse and chunk growth, and a randomised
// comparison against std::map models.

#include "leasewire/lease/lease_table.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "leasewire/lease/lease.h"

namespace leasewire::lease {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes AsBytes(std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); }

Ipv4Address Ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return Ipv4Address::FromOctets(a, b, c, d);
}

Bytes Mac(uint8_t last) { return {0x02, 0x00, 0x00, 0x00, 0x00, last}; }

// Owns the bytes a LeaseFields points into.
struct Identity {
  Bytes client_id;
  uint8_t htype = 1;
  Bytes chaddr;
  Bytes circuit_id;
  Bytes remote_id;
  std::string hostname;

  LeaseFields Fields() const {
    LeaseFields f;
    f.client_id = client_id;
    f.htype = htype;
    f.chaddr = chaddr;
    f.circuit_id = circuit_id;
    f.remote_id = remote_id;
    f.hostname = hostname;
    return f;
  }
  ClientKey Key() const {
    if (!client_id.empty()) return MakeClientKey(true, 0, client_id);
    return MakeClientKey(false, htype, chaddr);
  }
  // The same key without its hash filled in.
  ClientKey UnhashedKey() const {
    ClientKey k = Key();
    k.hash = 0;
    return k;
  }
};

Identity ByMac(uint8_t last) {
  Identity id;
  id.chaddr = Mac(last);
  return id;
}

Identity ByClientId(uint8_t last) {
  Identity id = ByMac(last);
  id.client_id = {0x01, 0x02, 0x00, 0x00, 0x00, 0x00, last};
  return id;
}

void ExpectFieldsEqual(const Lease& l, const Identity& id) {
  EXPECT_EQ(AsBytes(l.client_id()), id.client_id);
  EXPECT_EQ(l.htype, id.htype);
  EXPECT_EQ(AsBytes(l.chaddr()), id.chaddr);
  EXPECT_EQ(AsBytes(l.circuit_id()), id.circuit_id);
  EXPECT_EQ(AsBytes(l.remote_id()), id.remote_id);
  EXPECT_EQ(l.hostname(), id.hostname);
}

// ---------------------------------------------------------------------------
// Lease and LeaseBytes.

TEST(LeaseTest, RecordIsAtMostOneCacheLine) { EXPECT_LE(sizeof(Lease), 64u); }

TEST(LeaseTest, StateNamesAndHeldStates) {
  EXPECT_EQ(LeaseStateName(LeaseState::kBound), "bound");
  EXPECT_EQ(LeaseStateName(LeaseState::kOffered), "offered");
  EXPECT_EQ(LeaseStateName(LeaseState::kReleased), "released");
  EXPECT_EQ(LeaseStateName(LeaseState::kDeclined), "declined");
  EXPECT_EQ(LeaseStateName(LeaseState::kExpired), "expired");
  EXPECT_TRUE(HoldsAddress(LeaseState::kOffered));
  EXPECT_TRUE(HoldsAddress(LeaseState::kBound));
  EXPECT_TRUE(HoldsAddress(LeaseState::kDeclined));
  EXPECT_FALSE(HoldsAddress(LeaseState::kReleased));
  EXPECT_FALSE(HoldsAddress(LeaseState::kExpired));
}

TEST(LeaseTest, SetFieldsRoundTripsEveryField) {
  Identity id = ByClientId(7);
  id.circuit_id = {'e', 't', 'h', '1', '/', '3'};
  id.remote_id = {0xaa, 0xbb};
  id.hostname = "cpe-7";
  Lease l;
  l.SetFields(id.Fields());
  ExpectFieldsEqual(l, id);
  EXPECT_EQ(l.bytes_size(), 7u + 6 + 6 + 2 + 5);
  EXPECT_EQ(l.bytes.HeapBytes(l.bytes_size()), 0u);  // 26 octets: inline
}

TEST(LeaseTest, BinaryFieldsKeepTrailingAndEmbeddedZeros) {
  Identity id = ByMac(1);
  id.client_id = {0x00, 0x01, 0x00, 0x00};
  id.circuit_id = {0x00, 0x00, 0x07, 0x00};
  id.remote_id = {0x10, 0x00};
  Lease l;
  l.SetFields(id.Fields());
  ExpectFieldsEqual(l, id);
  EXPECT_EQ(l.circuit_id().size(), 4u);
  EXPECT_EQ(l.circuit_id()[3], 0x00);
  EXPECT_EQ(l.remote_id().back(), 0x00);
}

TEST(LeaseTest, InlineUpToThirtyEightOctetsThenHeap) {
  Lease l;
  Identity id = ByMac(1);          // 6 octets
  id.circuit_id.assign(32, 0xc1);  // 38 in total: still inline
  l.SetFields(id.Fields());
  EXPECT_EQ(l.bytes_size(), LeaseBytes::kInline);
  EXPECT_EQ(l.bytes.HeapBytes(l.bytes_size()), 0u);
  ExpectFieldsEqual(l, id);

  id.circuit_id.push_back(0x00);  // 39: on the heap
  l.SetFields(id.Fields());
  EXPECT_EQ(l.bytes_size(), LeaseBytes::kInline + 1);
  EXPECT_GE(l.bytes.HeapBytes(l.bytes_size()), LeaseBytes::kInline + 1);
  ExpectFieldsEqual(l, id);

  id.hostname = std::string(100, 'h');  // a bigger heap block
  l.SetFields(id.Fields());
  EXPECT_GE(l.bytes.HeapBytes(l.bytes_size()), 139u);
  ExpectFieldsEqual(l, id);

  id.hostname = "short";  // smaller, still on the heap
  l.SetFields(id.Fields());
  ExpectFieldsEqual(l, id);

  id = ByClientId(9);  // back inline
  l.SetFields(id.Fields());
  EXPECT_EQ(l.bytes.HeapBytes(l.bytes_size()), 0u);
  ExpectFieldsEqual(l, id);
}

TEST(LeaseTest, ClearFieldsEmptiesTheRecord) {
  Lease l;
  Identity id = ByClientId(3);
  id.hostname = std::string(80, 'x');
  l.SetFields(id.Fields());
  l.ClearFields();
  EXPECT_EQ(l.bytes_size(), 0u);
  EXPECT_TRUE(l.client_id().empty());
  EXPECT_TRUE(l.chaddr().empty());
  EXPECT_TRUE(l.hostname().empty());
  EXPECT_EQ(l.bytes.HeapBytes(0), 0u);
}

TEST(LeaseTest, LongValuesAreCutTo255Octets) {
  Identity id = ByMac(1);
  id.circuit_id.assign(300, 0x33);
  id.hostname = std::string(400, 'n');
  Lease l;
  l.SetFields(id.Fields());
  EXPECT_EQ(l.circuit_id().size(), 255u);
  EXPECT_EQ(l.hostname().size(), 255u);
  EXPECT_EQ(AsBytes(l.chaddr()), Mac(1));
}

TEST(LeaseTest, KeyIsClientIdWhenPresentElseHtypeAndChaddr) {
  Lease l;
  Identity id = ByClientId(5);
  l.SetFields(id.Fields());
  ClientKey k = l.key();
  EXPECT_TRUE(k.is_client_id);
  EXPECT_EQ(AsBytes(k.bytes), id.client_id);
  EXPECT_TRUE(k == id.Key());

  id.client_id.clear();
  id.htype = 6;  // IEEE 802
  l.SetFields(id.Fields());
  k = l.key();
  EXPECT_FALSE(k.is_client_id);
  EXPECT_EQ(k.htype, 6);
  EXPECT_EQ(AsBytes(k.bytes), Mac(5));
  EXPECT_TRUE(k == id.Key());
}

TEST(LeaseTest, ClientKeyEqualityAndHash) {
  const Bytes a = {1, 2, 3, 4, 5, 6};
  const Bytes b = {1, 2, 3, 4, 5, 6};  // same bytes, other storage
  const Bytes c = {1, 2, 3, 4, 5, 7};
  const ClientKey hw_a{false, 1, a};
  const ClientKey hw_b{false, 1, b};
  EXPECT_TRUE(hw_a == hw_b);
  EXPECT_EQ(HashClientKey(hw_a), HashClientKey(hw_b));
  EXPECT_FALSE(hw_a == (ClientKey{false, 1, c}));
  EXPECT_FALSE(hw_a == (ClientKey{false, 6, a}));  // other htype
  EXPECT_FALSE(hw_a == (ClientKey{true, 0, a}));   // client-id vs chaddr
  EXPECT_NE(HashClientKey(hw_a), HashClientKey(ClientKey{true, 0, a}));
  EXPECT_TRUE((ClientKey{}) == (ClientKey{}));

  Lease l;
  Identity id = ByClientId(1);
  l.SetFields(id.Fields());
  EXPECT_EQ(l.key_hash, HashClientKey(id.Key()));
}

TEST(LeaseTest, MakeClientKeyFillsInTheHash) {
  const Bytes id = {1, 2, 0, 0, 0, 0, 9};
  const ClientKey k = MakeClientKey(true, 0, id);
  EXPECT_TRUE(k.is_client_id);
  EXPECT_EQ(k.hash, HashClientKey(k));
  // The hash field is not an input to the hash, nor to equality.
  ClientKey other = k;
  other.hash = 12345;
  EXPECT_EQ(HashClientKey(other), k.hash);
  EXPECT_TRUE(other == k);

  Lease l;
  Identity ident = ByClientId(9);
  l.SetFields(ident.Fields());
  EXPECT_EQ(l.key().hash, l.key_hash);
  EXPECT_EQ(l.key_hash, HashClientKey(k));
}

TEST(LeaseTest, SetFieldsTakesTheCallersKeyHash) {
  const Identity id = ByMac(3);
  LeaseFields f = id.Fields();
  f.key_hash = id.Key().hash;
  Lease l;
  l.SetFields(f);
  EXPECT_EQ(l.key_hash, HashClientKey(id.Key()));
  f.key_hash = 0;  // 0: computed
  l.SetFields(f);
  EXPECT_EQ(l.key_hash, HashClientKey(id.Key()));
}

// ---------------------------------------------------------------------------
// LeaseTable.

class LeaseTableTest : public testing::Test {
 protected:
  LeaseTableTest() { table_.AddRange(Ip(10, 0, 0, 10), Ip(10, 0, 0, 200)); }

  Slot Insert(Ipv4Address a, const Identity& id,
              LeaseState state = LeaseState::kBound) {
    return table_.Insert(a, 0, state, id.Fields());
  }

  LeaseTable table_;
};

TEST_F(LeaseTableTest, EmptyTableFindsNothing) {
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(table_.FindByAddress(Ip(10, 0, 0, 10)), kNoSlot);
  EXPECT_EQ(table_.FindByAddress(Ip(192, 0, 2, 1)), kNoSlot);
  EXPECT_EQ(table_.FindByClient(ByMac(1).Key()), kNoSlot);
  EXPECT_FALSE(table_.live(0));
}

TEST_F(LeaseTableTest, InsertIndexesByAddressAndClient) {
  const Identity id = ByClientId(1);
  const Slot s =
      table_.Insert(Ip(10, 0, 0, 10), 3, LeaseState::kOffered, id.Fields());
  ASSERT_NE(s, kNoSlot);
  EXPECT_TRUE(table_.live(s));
  EXPECT_EQ(table_.size(), 1u);
  EXPECT_EQ(table_.FindByAddress(Ip(10, 0, 0, 10)), s);
  EXPECT_EQ(table_.FindByClient(id.Key()), s);
  EXPECT_EQ(table_.FindByClient(id.UnhashedKey()), s);  // hash computed
  EXPECT_TRUE(table_.IsIndexedClient(s));
  const Lease& l = table_.at(s);
  EXPECT_EQ(l.address, Ip(10, 0, 0, 10));
  EXPECT_EQ(l.subnet, 3);
  EXPECT_EQ(l.state, LeaseState::kOffered);
  EXPECT_EQ(l.flags, 0);
  ExpectFieldsEqual(l, id);
  // The same MAC without a client-id is another client (RFC 2131 §4.2).
  EXPECT_EQ(table_.FindByClient(ByMac(1).Key()), kNoSlot);
}

TEST_F(LeaseTableTest, AddressesInsideAndOutsideRanges) {
  // First, last and middle of the range, and addresses in no range (hash
  // index), including the neighbours of the range.
  const std::vector<Ipv4Address> addresses = {
      Ip(10, 0, 0, 10), Ip(10, 0, 0, 200),     Ip(10, 0, 0, 100),
      Ip(10, 0, 0, 9),  Ip(10, 0, 0, 201),     Ip(192, 0, 2, 7),
      Ip(0, 0, 0, 1),   Ip(255, 255, 255, 254)};
  std::vector<Slot> slots;
  for (size_t i = 0; i < addresses.size(); ++i) {
    slots.push_back(Insert(addresses[i], ByMac(static_cast<uint8_t>(i))));
  }
  for (size_t i = 0; i < addresses.size(); ++i) {
    EXPECT_EQ(table_.FindByAddress(addresses[i]), slots[i])
        << addresses[i].ToString();
  }
  EXPECT_EQ(table_.FindByAddress(Ip(10, 0, 0, 11)), kNoSlot);
  EXPECT_EQ(table_.FindByAddress(Ip(192, 0, 2, 8)), kNoSlot);
  for (size_t i = 0; i < addresses.size(); ++i) table_.Erase(slots[i]);
  for (const Ipv4Address a : addresses) {
    EXPECT_EQ(table_.FindByAddress(a), kNoSlot) << a.ToString();
  }
  EXPECT_EQ(table_.size(), 0u);
}

TEST(LeaseTableRangesTest, SeveralRangesAddedOutOfOrder) {
  LeaseTable table;
  table.AddRange(Ip(10, 2, 0, 0), Ip(10, 2, 0, 255));
  table.AddRange(Ip(10, 0, 0, 0), Ip(10, 0, 0, 255));
  table.AddRange(Ip(10, 1, 0, 5), Ip(10, 1, 0, 5));  // one address
  const Identity id = ByMac(1);
  const Slot a =
      table.Insert(Ip(10, 1, 0, 5), 0, LeaseState::kBound, id.Fields());
  const Slot b =
      table.Insert(Ip(10, 2, 0, 255), 0, LeaseState::kBound, ByMac(2).Fields());
  const Slot c =
      table.Insert(Ip(10, 0, 0, 0), 0, LeaseState::kBound, ByMac(3).Fields());
  const Slot d =
      table.Insert(Ip(10, 1, 0, 6), 0, LeaseState::kBound, ByMac(4).Fields());
  EXPECT_EQ(table.FindByAddress(Ip(10, 1, 0, 5)), a);
  EXPECT_EQ(table.FindByAddress(Ip(10, 2, 0, 255)), b);
  EXPECT_EQ(table.FindByAddress(Ip(10, 0, 0, 0)), c);
  EXPECT_EQ(table.FindByAddress(Ip(10, 1, 0, 6)), d);
  EXPECT_EQ(table.FindByAddress(Ip(10, 1, 0, 4)), kNoSlot);
}

TEST_F(LeaseTableTest, InsertWithTakenKeyMovesTheClientIndex) {
  const Identity id = ByClientId(1);
  const Slot old_slot = Insert(Ip(10, 0, 0, 20), id, LeaseState::kReleased);
  const Slot new_slot = Insert(Ip(10, 0, 0, 21), id, LeaseState::kOffered);
  EXPECT_EQ(table_.FindByClient(id.Key()), new_slot);
  EXPECT_TRUE(table_.IsIndexedClient(new_slot));
  EXPECT_FALSE(table_.IsIndexedClient(old_slot));
  // Both records stay findable by address.
  EXPECT_EQ(table_.FindByAddress(Ip(10, 0, 0, 20)), old_slot);
  EXPECT_EQ(table_.FindByAddress(Ip(10, 0, 0, 21)), new_slot);
  // Erasing the unindexed record leaves the client index alone.
  table_.Erase(old_slot);
  EXPECT_EQ(table_.FindByClient(id.Key()), new_slot);
}

TEST_F(LeaseTableTest, UpdateReKeysTheRecord) {
  const Identity by_mac = ByMac(1);
  const Slot s = Insert(Ip(10, 0, 0, 30), by_mac);
  Identity by_id = ByClientId(1);
  by_id.circuit_id = {'p', 'o', 'r', 't', 0x00};
  by_id.hostname = std::string(60, 'a');  // moves the bytes to the heap
  table_.Update(s, by_id.Fields());
  EXPECT_EQ(table_.FindByClient(by_mac.Key()), kNoSlot);
  EXPECT_EQ(table_.FindByClient(by_id.Key()), s);
  EXPECT_TRUE(table_.IsIndexedClient(s));
  ExpectFieldsEqual(table_.at(s), by_id);
  EXPECT_EQ(table_.FindByAddress(Ip(10, 0, 0, 30)), s);

  // Same key, other fields: still indexed.
  by_id.hostname = "cpe";
  table_.Update(s, by_id.Fields());
  EXPECT_EQ(table_.FindByClient(by_id.Key()), s);
  ExpectFieldsEqual(table_.at(s), by_id);
}

TEST_F(LeaseTableTest, UpdateOntoAnotherRecordsKeyTakesTheIndex) {
  const Identity a = ByMac(1);
  const Identity b = ByMac(2);
  const Slot sa = Insert(Ip(10, 0, 0, 40), a);
  const Slot sb = Insert(Ip(10, 0, 0, 41), b);
  table_.Update(sb, a.Fields());
  EXPECT_EQ(table_.FindByClient(a.Key()), sb);
  EXPECT_EQ(table_.FindByClient(b.Key()), kNoSlot);
  EXPECT_FALSE(table_.IsIndexedClient(sa));
}

TEST_F(LeaseTableTest, UnindexClient) {
  const Identity id = ByClientId(4);
  const Slot s = Insert(Ip(10, 0, 0, 50), id);
  table_.UnindexClient(s);
  EXPECT_EQ(table_.FindByClient(id.Key()), kNoSlot);
  EXPECT_FALSE(table_.IsIndexedClient(s));
  EXPECT_EQ(table_.FindByAddress(Ip(10, 0, 0, 50)), s);  // still there
  table_.UnindexClient(s);                               // twice: no-op
  EXPECT_TRUE(table_.live(s));

  // Unindexing a record that is not the indexed one keeps the other's.
  const Slot t = Insert(Ip(10, 0, 0, 51), id);
  table_.UnindexClient(s);
  EXPECT_EQ(table_.FindByClient(id.Key()), t);
}

TEST_F(LeaseTableTest, EraseFreesSlotForReuse) {
  const Identity a = ByMac(1);
  const Slot s = Insert(Ip(10, 0, 0, 60), a);
  table_.Erase(s);
  EXPECT_FALSE(table_.live(s));
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(table_.FindByAddress(Ip(10, 0, 0, 60)), kNoSlot);
  EXPECT_EQ(table_.FindByClient(a.Key()), kNoSlot);

  Identity b = ByClientId(2);
  b.hostname = "reused";
  const Slot t = Insert(Ip(192, 0, 2, 60), b, LeaseState::kOffered);
  EXPECT_EQ(t, s);  // the freed slot is reused
  EXPECT_TRUE(table_.live(t));
  ExpectFieldsEqual(table_.at(t), b);
  EXPECT_EQ(table_.at(t).state, LeaseState::kOffered);
  EXPECT_EQ(table_.at(t).flags, 0);
  EXPECT_EQ(table_.at(t).start, 0u);
  EXPECT_EQ(table_.at(t).expiry, 0u);
  EXPECT_EQ(table_.FindByAddress(Ip(192, 0, 2, 60)), t);
  EXPECT_EQ(table_.FindByAddress(Ip(10, 0, 0, 60)), kNoSlot);
}

TEST_F(LeaseTableTest, EraseOfHeapRecordThenReuseInline) {
  Identity big = ByMac(1);
  big.hostname = std::string(200, 'z');
  const Slot s = Insert(Ip(10, 0, 0, 70), big);
  table_.Erase(s);
  const Identity small = ByMac(2);
  const Slot t = Insert(Ip(10, 0, 0, 70), small);
  ASSERT_EQ(t, s);
  ExpectFieldsEqual(table_.at(t), small);
  EXPECT_EQ(table_.at(t).bytes.HeapBytes(table_.at(t).bytes_size()), 0u);
}

TEST(LeaseTableGrowthTest, ChunksKeepReferencesStable) {
  LeaseTable table;
  table.AddRange(Ip(10, 0, 0, 0), Ip(10, 3, 255, 255));
  constexpr uint32_t kCount = 3 * LeaseTable::kRecordsPerChunk + 17;
  std::vector<const Lease*> records;
  std::vector<Slot> slots;
  for (uint32_t i = 0; i < kCount; ++i) {
    Identity id;
    id.chaddr = {0x02,
                 0,
                 0,
                 static_cast<uint8_t>(i >> 16),
                 static_cast<uint8_t>(i >> 8),
                 static_cast<uint8_t>(i)};
    const Slot s = table.Insert(Ipv4Address(Ip(10, 0, 0, 0).value() + i), 0,
                                LeaseState::kBound, id.Fields());
    slots.push_back(s);
    records.push_back(&table.at(s));
  }
  EXPECT_EQ(table.size(), kCount);
  for (uint32_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(&table.at(slots[i]), records[i]) << i;
    ASSERT_EQ(records[i]->address.value(), Ip(10, 0, 0, 0).value() + i);
    ASSERT_EQ(table.FindByAddress(records[i]->address), slots[i]);
    ASSERT_EQ(table.FindByClient(records[i]->key()), slots[i]);
  }
  std::set<Slot> distinct(slots.begin(), slots.end());
  EXPECT_EQ(distinct.size(), kCount);
}

TEST_F(LeaseTableTest, ForEachVisitsLiveRecordsInSlotOrder) {
  std::vector<Slot> slots;
  for (uint8_t i = 0; i < 10; ++i) {
    slots.push_back(Insert(Ip(10, 0, 0, 100 + i), ByMac(i)));
  }
  table_.Erase(slots[3]);
  table_.Erase(slots[7]);
  std::vector<Slot> seen;
  table_.ForEach([&](Slot s, const Lease& l) {
    EXPECT_EQ(&l, &table_.at(s));
    seen.push_back(s);
  });
  std::vector<Slot> expected;
  for (size_t i = 0; i < slots.size(); ++i) {
    if (i != 3 && i != 7) expected.push_back(slots[i]);
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected);
}

TEST(LeaseTableMemoryTest, MemoryUsageGrows) {
  LeaseTable table;
  const size_t empty = table.MemoryUsage();
  table.AddRange(Ip(10, 0, 0, 0), Ip(10, 0, 255, 255));
  const size_t with_range = table.MemoryUsage();
  EXPECT_GE(with_range, empty + 4096 * sizeof(Slot));
  table.Insert(Ip(10, 0, 0, 1), 0, LeaseState::kBound, ByMac(1).Fields());
  const size_t one = table.MemoryUsage();
  // The first chunk.
  EXPECT_GE(one, with_range + LeaseTable::kRecordsPerChunk * sizeof(Lease));
  Identity big = ByMac(2);
  big.hostname = std::string(200, 'q');
  table.Insert(Ip(10, 0, 0, 2), 0, LeaseState::kBound, big.Fields());
  EXPECT_GE(table.MemoryUsage(), one + 200);  // the heap block counts
  for (uint32_t i = 3; i < LeaseTable::kRecordsPerChunk + 5; ++i) {
    Identity id;
    id.chaddr = {
        0x02, 0, 0, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    table.Insert(Ipv4Address(Ip(10, 0, 0, 0).value() + i), 0,
                 LeaseState::kBound, id.Fields());
  }
  // A second chunk of records.
  EXPECT_GE(table.MemoryUsage(),
            one + LeaseTable::kRecordsPerChunk * sizeof(Lease));
}

// Reserve() sizes the client index once: inserting up to the reserved
// count never rehashes (no stall in a lease storm), one more than 3/4 of
// the buckets does.
TEST(LeaseTableReserveTest, IndexDoesNotGrowUpToTheReservedCount) {
  LeaseTable table;
  table.AddRange(Ip(10, 0, 0, 0), Ip(10, 0, 255, 255));
  table.Reserve(3000);
  const size_t buckets = table.client_buckets();
  EXPECT_EQ(buckets, 4096u);  // the power of two with 3000 <= 3/4 of it
  std::vector<Slot> slots;
  for (uint32_t i = 0; i < 3072; ++i) {
    Identity id;
    id.chaddr = {
        0x02, 0, 0, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    slots.push_back(table.Insert(Ipv4Address(Ip(10, 0, 0, 0).value() + i), 0,
                                 LeaseState::kBound, id.Fields()));
  }
  EXPECT_EQ(table.client_buckets(), buckets);
  Identity extra = ByMac(0xee);
  extra.chaddr[2] = 0xee;
  table.Insert(Ip(10, 0, 200, 1), 0, LeaseState::kBound, extra.Fields());
  EXPECT_EQ(table.client_buckets(), 2 * buckets);
  // Everything still found after the rehash.
  for (const Slot s : slots) {
    ASSERT_EQ(table.FindByClient(table.at(s).key()), s);
  }
  // A smaller reservation never shrinks the index.
  table.Reserve(10);
  EXPECT_EQ(table.client_buckets(), 2 * buckets);
}

// Random inserts, updates, unindexes and erases checked against two maps:
// address -> (key, slot) and key -> slot.
TEST(LeaseTableModelTest, RandomOperationsMatchMaps) {
  std::mt19937 rng(2131);
  LeaseTable table;
  const Ipv4Address base = Ip(10, 9, 0, 0);
  table.AddRange(base, Ipv4Address(base.value() + 299));
  // Addresses 0..299 are in the range, 300..399 are not.
  const auto address = [&](uint32_t i) {
    return Ipv4Address(base.value() + i);
  };
  // Clients 0..63: even ones have a client-id, odd ones only a MAC.
  std::vector<Identity> clients;
  for (uint8_t c = 0; c < 64; ++c) {
    Identity id = c % 2 == 0 ? ByClientId(c) : ByMac(c);
    if (c % 5 == 0) id.hostname = std::string(40 + c, 'h');  // heap
    clients.push_back(id);
  }
  struct Rec {
    int client;
    Slot slot;
  };
  std::map<uint32_t, Rec> by_address;  // address index -> record
  std::map<int, uint32_t> indexed;     // client -> address index

  for (int step = 0; step < 30000; ++step) {
    const uint32_t a = rng() % 400;
    const int c = static_cast<int>(rng() % clients.size());
    const auto it = by_address.find(a);
    switch (rng() % 4) {
      case 0:  // insert
        if (it == by_address.end()) {
          const Slot s = table.Insert(address(a), 0, LeaseState::kBound,
                                      clients[c].Fields());
          ASSERT_NE(s, kNoSlot);
          by_address[a] = {c, s};
          indexed[c] = a;
        }
        break;
      case 1:  // update to another client
        if (it != by_address.end()) {
          const int old_client = it->second.client;
          const auto ix = indexed.find(old_client);
          if (ix != indexed.end() && ix->second == a) indexed.erase(ix);
          table.Update(it->second.slot, clients[c].Fields());
          it->second.client = c;
          indexed[c] = a;
        }
        break;
      case 2:  // unindex
        if (it != by_address.end()) {
          table.UnindexClient(it->second.slot);
          const auto ix = indexed.find(it->second.client);
          if (ix != indexed.end() && ix->second == a) indexed.erase(ix);
        }
        break;
      default:  // erase
        if (it != by_address.end()) {
          table.Erase(it->second.slot);
          const auto ix = indexed.find(it->second.client);
          if (ix != indexed.end() && ix->second == a) indexed.erase(ix);
          by_address.erase(it);
        }
        break;
    }
    ASSERT_EQ(table.size(), by_address.size()) << step;
    if (step % 97 != 0) continue;
    // Full comparison now and then.
    for (uint32_t i = 0; i < 400; ++i) {
      const auto r = by_address.find(i);
      const Slot s = table.FindByAddress(address(i));
      if (r == by_address.end()) {
        ASSERT_EQ(s, kNoSlot) << "step " << step << " address " << i;
        continue;
      }
      ASSERT_EQ(s, r->second.slot) << "step " << step << " address " << i;
      const Lease& l = table.at(s);
      ASSERT_EQ(l.address, address(i));
      ASSERT_TRUE(l.key() == clients[r->second.client].Key()) << step;
      ASSERT_EQ(l.hostname(), clients[r->second.client].hostname);
    }
    for (int k = 0; k < static_cast<int>(clients.size()); ++k) {
      const auto ix = indexed.find(k);
      const Slot s = k % 2 == 0 ? table.FindByClient(clients[k].Key())
                                : table.FindByClient(clients[k].UnhashedKey());
      if (ix == indexed.end()) {
        ASSERT_EQ(s, kNoSlot) << "step " << step << " client " << k;
      } else {
        ASSERT_EQ(s, by_address.at(ix->second).slot)
            << "step " << step << " client " << k;
      }
    }
    size_t visited = 0;
    table.ForEach([&](Slot, const Lease&) { ++visited; });
    ASSERT_EQ(visited, by_address.size());
  }
}

}  // namespace
}  // namespace leasewire::lease
