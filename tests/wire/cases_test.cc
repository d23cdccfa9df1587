// Replays the field edge cases of ../shared/cases (see README.md there)
// through the wire layer: the captures agree with packets.json, every frame
// gets the verdict its case implies, the options the README names are read
// correctly, and no prefix of any frame crashes the parser or is accepted.
//
// Engine-level decisions (trusting REL-08's option 82, dropping MAL-05/d,
// NAK or silence) belong to later layers; here only wire facts are checked.
// Every frame is copied into a heap buffer of exactly its size, so that
// AddressSanitizer reports any read past its end.

#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leasewire/wire/dhcp_message.h"
#include "leasewire/wire/frame.h"
#include "leasewire/wire/options.h"
#include "leasewire/wire/types.h"
#include "leasewire/wire/verdict.h"
#include "nlohmann/json.hpp"

namespace leasewire::wire {

// Readable failure messages (found by argument-dependent lookup, so they
// live in the namespace of the types they print).
void PrintTo(Verdict verdict, std::ostream* os) {
  *os << VerdictName(verdict) << " (" << static_cast<int>(verdict) << ")";
}
void PrintTo(MessageType type, std::ostream* os) {
  *os << "message type " << static_cast<int>(type);
}
void PrintTo(const Ipv4Address& address, std::ostream* os) {
  const uint32_t v = address.value();
  *os << (v >> 24) << "." << ((v >> 16) & 0xff) << "." << ((v >> 8) & 0xff)
      << "." << (v & 0xff);
}

namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------------------
// Loading the cases.

struct CaseFrame {
  std::string case_name;  // "MAL-01"
  std::string label;      // "a"
  std::string id;         // "MAL-01/a"
  Bytes frame;
  Bytes payload;
  std::string eth_src;
  std::string eth_dst;
  std::string ip_src;
  std::string ip_dst;
  int sport = 0;
  int dport = 0;
};

struct Corpus {
  std::vector<CaseFrame> frames;  // in packets.json order
  std::string error;              // empty when loaded
};

std::filesystem::path CasesDir() { return LEASEWIRE_CASES_DIR; }

std::optional<Bytes> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return out;
}

// Test literals: Hex("0106") -> {0x01, 0x06}.
Bytes Hex(std::string_view hex) { return FromHex(hex).value_or(Bytes{}); }

Bytes ToBytes(std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); }
Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::optional<Bytes> ToBytes(std::optional<std::span<const uint8_t>> s) {
  if (!s) return std::nullopt;
  return ToBytes(*s);
}

std::optional<Ipv4Address> ParseDottedQuad(const std::string& text) {
  unsigned a, b, c, d;
  char tail;
  if (std::sscanf(text.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 ||
      a > 255 || b > 255 || c > 255 || d > 255) {
    return std::nullopt;
  }
  return Ipv4Address::FromOctets(a, b, c, d);
}

std::optional<MacAddress> ParseMac(const std::string& text) {
  unsigned o[6];
  char tail;
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x%c", &o[0], &o[1], &o[2],
                  &o[3], &o[4], &o[5], &tail) != 6) {
    return std::nullopt;
  }
  std::array<uint8_t, 6> bytes;
  for (int i = 0; i < 6; ++i) {
    if (o[i] > 255) return std::nullopt;
    bytes[i] = static_cast<uint8_t>(o[i]);
  }
  return MacAddress(bytes);
}

// Reads one packets.json entry; an error message when a field is missing.
std::string ReadEntry(const nlohmann::json& entry, CaseFrame* out) {
  for (const char* key : {"case", "label", "frame_hex", "payload_hex",
                          "eth_src", "eth_dst", "ip_src", "ip_dst"}) {
    if (!entry.contains(key) || !entry[key].is_string()) {
      return std::string("entry without string field '") + key + "'";
    }
  }
  for (const char* key : {"sport", "dport"}) {
    if (!entry.contains(key) || !entry[key].is_number_integer()) {
      return std::string("entry without integer field '") + key + "'";
    }
  }
  out->case_name = entry["case"].get<std::string>();
  out->label = entry["label"].get<std::string>();
  out->id = out->case_name + "/" + out->label;
  std::optional<Bytes> frame = FromHex(entry["frame_hex"].get<std::string>());
  std::optional<Bytes> payload =
      FromHex(entry["payload_hex"].get<std::string>());
  if (!frame || !payload) return out->id + ": bad hex";
  out->frame = std::move(*frame);
  out->payload = std::move(*payload);
  out->eth_src = entry["eth_src"].get<std::string>();
  out->eth_dst = entry["eth_dst"].get<std::string>();
  out->ip_src = entry["ip_src"].get<std::string>();
  out->ip_dst = entry["ip_dst"].get<std::string>();
  out->sport = entry["sport"].get<int>();
  out->dport = entry["dport"].get<int>();
  return "";
}

Corpus LoadCorpusFromDisk() {
  Corpus corpus;
  const std::filesystem::path path = CasesDir() / "packets.json";
  std::ifstream in(path);
  if (!in) {
    corpus.error = "cannot open " + path.string() +
                   " (LEASEWIRE_CASES_DIR=" LEASEWIRE_CASES_DIR ")";
    return corpus;
  }
  const nlohmann::json root =
      nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_array()) {
    corpus.error = path.string() + " is not a JSON array";
    return corpus;
  }
  std::set<std::string> ids;
  for (const nlohmann::json& entry : root) {
    CaseFrame frame;
    corpus.error = ReadEntry(entry, &frame);
    if (!corpus.error.empty()) return corpus;
    if (!ids.insert(frame.id).second) {
      corpus.error = "duplicate frame " + frame.id;
      return corpus;
    }
    corpus.frames.push_back(std::move(frame));
  }
  if (corpus.frames.empty()) corpus.error = path.string() + " has no frames";
  return corpus;
}

const Corpus& LoadedCorpus() {
  static const Corpus* const corpus = new Corpus(LoadCorpusFromDisk());
  return *corpus;
}

const CaseFrame* FindFrame(std::string_view id) {
  for (const CaseFrame& f : LoadedCorpus().frames) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

// Frames of one pcap file in file order, or an error.
struct PcapFrames {
  std::vector<Bytes> frames;
  std::string error;
};

PcapFrames ReadPcap(const std::filesystem::path& path) {
  PcapFrames result;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> handle(
      pcap_open_offline(path.c_str(), errbuf), &pcap_close);
  if (handle == nullptr) {
    result.error = "pcap_open_offline(" + path.string() + "): " + errbuf;
    return result;
  }
  if (pcap_datalink(handle.get()) != DLT_EN10MB) {
    result.error = path.string() + ": link type is not Ethernet";
    return result;
  }
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc;
  while ((rc = pcap_next_ex(handle.get(), &header, &data)) == 1) {
    if (header->caplen != header->len) {
      result.error = path.string() + ": a frame was captured truncated";
      return result;
    }
    result.frames.emplace_back(data, data + header->caplen);
  }
  if (rc != PCAP_ERROR_BREAK) {
    result.error = path.string() + ": " + pcap_geterr(handle.get());
  }
  return result;
}

// ---------------------------------------------------------------------------
// Parsing a frame the way a worker does.

// A heap copy of exactly `bytes.size()` octets: AddressSanitizer reports a
// read of even one octet past the end.
class ExactBuffer {
 public:
  explicit ExactBuffer(std::span<const uint8_t> bytes)
      : size_(bytes.size()), data_(new uint8_t[bytes.size()]) {
    if (size_ > 0) std::memcpy(data_.get(), bytes.data(), size_);
  }
  std::span<const uint8_t> span() const { return {data_.get(), size_}; }

 private:
  size_t size_;
  std::unique_ptr<uint8_t[]> data_;
};

struct ParsedFrame {
  explicit ParsedFrame(std::span<const uint8_t> frame) : buffer(frame) {}

  ExactBuffer buffer;
  FrameView view;
  Verdict frame_verdict = Verdict::kCount;    // ParseDhcpFrame
  Verdict parse_verdict = Verdict::kCount;    // DhcpMessage::Parse
  Verdict request_verdict = Verdict::kCount;  // DhcpMessage::ParseRequest
  DhcpMessage msg;                            // holds the ParseRequest result
};

std::unique_ptr<ParsedFrame> ParseCaseFrame(const CaseFrame& f) {
  auto p = std::make_unique<ParsedFrame>(f.frame);
  p->frame_verdict =
      ParseDhcpFrame(p->buffer.span(), ChecksumCheck::kVerify, &p->view);
  if (p->frame_verdict != Verdict::kOk) {
    p->parse_verdict = p->request_verdict = p->frame_verdict;
    return p;
  }
  p->parse_verdict = p->msg.Parse(p->view.udp_payload);
  p->request_verdict = p->msg.ParseRequest(p->view.udp_payload);
  return p;
}

// ---------------------------------------------------------------------------
// (a) The captures and packets.json hold the same frames.

TEST(CasesCorpusTest, PcapFramesEqualPacketsJson) {
  const Corpus& corpus = LoadedCorpus();
  ASSERT_TRUE(corpus.error.empty()) << corpus.error;

  std::map<std::string, std::vector<const CaseFrame*>> by_case;
  for (const CaseFrame& f : corpus.frames) by_case[f.case_name].push_back(&f);

  for (const auto& [case_name, frames] : by_case) {
    SCOPED_TRACE(case_name);
    const PcapFrames pcap =
        ReadPcap(CasesDir() / "pcap" / (case_name + ".pcap"));
    ASSERT_TRUE(pcap.error.empty()) << pcap.error;
    ASSERT_EQ(pcap.frames.size(), frames.size());
    for (size_t i = 0; i < frames.size(); ++i) {
      EXPECT_EQ(pcap.frames[i], frames[i]->frame)
          << "frame " << i << " of the pcap differs from " << frames[i]->id;
    }
  }

  // A capture without packets.json entries would never be replayed.
  const std::filesystem::path pcap_dir = CasesDir() / "pcap";
  ASSERT_TRUE(std::filesystem::is_directory(pcap_dir)) << pcap_dir;
  size_t pcap_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(pcap_dir)) {
    if (entry.path().extension() != ".pcap") continue;
    ++pcap_files;
    EXPECT_TRUE(by_case.count(entry.path().stem().string()))
        << entry.path() << " has no frames in packets.json";
  }
  EXPECT_EQ(pcap_files, by_case.size());
}

// ---------------------------------------------------------------------------
// (b) Verdicts.

struct ExpectedVerdict {
  std::string_view id;
  Verdict verdict;
};

// What the wire layer says about every frame of packets.json. A new case
// fails the test until it is listed here.
constexpr ExpectedVerdict kExpectedVerdicts[] = {
    // RFC 2132 §2, RFC 2131 §4.1: every option lies wholly inside its area;
    // a bare code or a value past the datagram is a malformed area.
    {"MAL-01/a", Verdict::kOptionOverrun},
    {"MAL-01/b", Verdict::kOptionOverrun},
    {"MAL-01/c", Verdict::kOk},
    {"MAL-02/a", Verdict::kOptionOverrun},
    {"MAL-02/b", Verdict::kOptionOverrun},
    {"MAL-02/c", Verdict::kOk},
    // RFC 2131 §4.1: END is mandatory only with overload; RFC 2132 §3.2:
    // nothing after END counts.
    {"MAL-04/a", Verdict::kOk},
    {"MAL-04/b", Verdict::kOk},
    // RFC 2132 §9.3: overload. d's invalid value is ignored here; dropping
    // a REQUEST without 50/54/ciaddr is the engine's decision.
    {"MAL-05/a0", Verdict::kOk},
    {"MAL-05/a", Verdict::kOk},
    {"MAL-05/b", Verdict::kOk},
    {"MAL-05/c", Verdict::kOk},
    {"MAL-05/d", Verdict::kOk},
    // RFC 3396 §7 joins instances; RFC 2132 §9.6: 53 has exactly 1 octet.
    {"MAL-06/a", Verdict::kOk},
    {"MAL-06/b", Verdict::kBadMessageType},
    {"MAL-06/c", Verdict::kOk},
    // RFC 2132 §3.14: a bad host name never drops the message.
    {"MAL-08/a", Verdict::kOk},
    {"MAL-08/b", Verdict::kOk},
    // RFC 2131 §2: no upper size limit on requests.
    {"MAL-10/a", Verdict::kOk},
    {"MAL-10/b", Verdict::kOk},
    {"MAL-10/c", Verdict::kOk},
    // RFC 2131 §2: chaddr has 16 octets; Ethernet hlen is 6. RFC 4390 §2.1
    // for htype 32.
    {"MAL-12/a", Verdict::kBadHardwareAddress},
    {"MAL-12/b", Verdict::kBadHardwareAddress},
    {"MAL-12/c", Verdict::kOk},
    {"MAL-12/d", Verdict::kOk},
    // RFC 951, RFC 2131 §2 / §4.3: a server acts only on BOOTREQUESTs with
    // a client message type.
    {"MAL-13/a", Verdict::kBootReply},
    {"MAL-13/b", Verdict::kServerMessageType},
    {"MAL-13/c", Verdict::kUnknownMessageType},
    {"MAL-13/d", Verdict::kOpTypeMismatch},
    // RFC 1048 cookie; RFC 2131 §2: no option 53 means BOOTP.
    {"MAL-14/a", Verdict::kBadMagicCookie},
    {"MAL-14/b", Verdict::kMissingMessageType},
    {"CLI-01/a", Verdict::kOk},
    {"CLI-01/b", Verdict::kOk},
    {"CLI-01/c", Verdict::kOk},
    {"CLI-01/d", Verdict::kOk},
    // RFC 2132 §9.14: a short 61 is ignored (treated as absent), not fatal.
    {"CLI-02/a", Verdict::kOk},
    {"CLI-02/b", Verdict::kOk},
    {"CLI-02/c", Verdict::kOk},
    {"CLI-02/d", Verdict::kOk},
    {"CLI-02/e", Verdict::kOk},
    {"CLI-04/a", Verdict::kOk},
    {"CLI-05/a", Verdict::kOk},
    {"CLI-05/b", Verdict::kOk},
    {"CLI-05/c", Verdict::kOk},
    {"CLI-06/a", Verdict::kOk},
    {"CLI-06/b0", Verdict::kOk},
    {"CLI-06/b1", Verdict::kOk},
    {"CLI-06/b2", Verdict::kOk},
    {"CLI-08/a", Verdict::kOk},
    {"CLI-08/b", Verdict::kOk},
    {"CLI-08/c", Verdict::kOk},
    {"CLI-09/a0", Verdict::kOk},
    {"CLI-09/a1", Verdict::kOk},
    {"CLI-09/b", Verdict::kOk},
    {"CLI-09/c", Verdict::kOk},
    {"CLI-09/d", Verdict::kOk},
    {"CLI-09/e", Verdict::kOk},
    {"CLI-09/f", Verdict::kOk},
    {"CLI-11/a0", Verdict::kOk},
    {"CLI-11/a1", Verdict::kOk},
    {"CLI-11/b", Verdict::kOk},
    {"CLI-11/c", Verdict::kOk},
    {"CLI-11/f", Verdict::kOk},
    {"CLI-11/d", Verdict::kOk},
    {"CLI-11/e", Verdict::kOk},
    {"CLI-12/a", Verdict::kOk},
    {"CLI-12/b", Verdict::kOk},
    {"CLI-12/c", Verdict::kOk},
    {"CLI-12/d", Verdict::kOk},
    {"CLI-12/e", Verdict::kOk},
    {"CLI-14/a", Verdict::kOk},
    {"CLI-14/b", Verdict::kOk},
    {"CLI-14/c", Verdict::kOk},
    {"CLI-14/d", Verdict::kOk},
    {"CLI-14/e", Verdict::kOk},
    {"REL-01/a", Verdict::kOk},
    {"REL-01/b", Verdict::kOk},
    {"REL-01/c", Verdict::kOk},
    {"REL-01/d", Verdict::kOk},
    {"REL-01/e", Verdict::kOk},
    {"REL-02/a", Verdict::kOk},
    {"REL-02/b", Verdict::kOk},
    {"REL-04/a", Verdict::kOk},
    {"REL-04/b", Verdict::kOk},
    {"REL-04/c", Verdict::kOk},
    {"REL-04/d", Verdict::kOk},
    // RFC 8357: a non-empty sub-option 19 is not honoured, not fatal.
    {"REL-05/a", Verdict::kOk},
    {"REL-05/b", Verdict::kOk},
    {"REL-05/c", Verdict::kOk},
    {"REL-07/a", Verdict::kOk},
    {"REL-07/b", Verdict::kOk},
    {"REL-07/c", Verdict::kOk},
    {"REL-07/d", Verdict::kOk},
    // RFC 3046 §5: trusting 82 with giaddr 0 is the engine's decision.
    {"REL-08/a", Verdict::kOk},
    {"REL-08/b", Verdict::kOk},
    {"LEA-01/a", Verdict::kOk},
    {"LEA-01/b", Verdict::kOk},
    {"LEA-01/c0", Verdict::kOk},
    {"LEA-01/c1", Verdict::kOk},
    {"LEA-01/d", Verdict::kOk},
    {"LEA-03/a0", Verdict::kOk},
    {"LEA-03/a1", Verdict::kOk},
    {"LEA-03/b", Verdict::kOk},
    {"LEA-03/c", Verdict::kOk},
    {"LEA-03/d", Verdict::kOk},
    {"LEA-04/a0", Verdict::kOk},
    {"LEA-04/a1", Verdict::kOk},
    {"LEA-04/b", Verdict::kOk},
    {"LEA-04/c", Verdict::kOk},
};

TEST(CasesVerdictTest, TableCoversExactlyTheCaseFrames) {
  const Corpus& corpus = LoadedCorpus();
  ASSERT_TRUE(corpus.error.empty()) << corpus.error;
  std::set<std::string_view> listed;
  for (const ExpectedVerdict& e : kExpectedVerdicts) {
    EXPECT_TRUE(listed.insert(e.id).second) << "listed twice: " << e.id;
    EXPECT_NE(FindFrame(e.id), nullptr)
        << e.id << " is listed but not in packets.json";
  }
  for (const CaseFrame& f : corpus.frames) {
    EXPECT_TRUE(listed.count(f.id))
        << f.id << " has no expected verdict in kExpectedVerdicts";
  }
}

TEST(CasesVerdictTest, EveryFrameGetsItsVerdict) {
  const Corpus& corpus = LoadedCorpus();
  ASSERT_TRUE(corpus.error.empty()) << corpus.error;
  std::map<std::string_view, Verdict> expected;
  for (const ExpectedVerdict& e : kExpectedVerdicts) {
    expected[e.id] = e.verdict;
  }
  for (const CaseFrame& f : corpus.frames) {
    SCOPED_TRACE(f.id);
    const auto it = expected.find(f.id);
    if (it == expected.end()) {
      ADD_FAILURE() << "no expected verdict";
      continue;
    }
    const std::unique_ptr<ParsedFrame> p = ParseCaseFrame(f);
    // Every capture has correct checksums and is addressed to port 67.
    EXPECT_EQ(p->frame_verdict, Verdict::kOk);
    EXPECT_EQ(p->request_verdict, it->second);
    // ParseRequest() is Parse() then CheckServerBound().
    if (p->parse_verdict != Verdict::kOk) {
      EXPECT_EQ(p->request_verdict, p->parse_verdict);
    }
  }
}

// The frame headers agree with the metadata packets.json gives for them.
TEST(CasesVerdictTest, FrameViewMatchesMetadata) {
  const Corpus& corpus = LoadedCorpus();
  ASSERT_TRUE(corpus.error.empty()) << corpus.error;
  for (const CaseFrame& f : corpus.frames) {
    SCOPED_TRACE(f.id);
    const std::unique_ptr<ParsedFrame> p = ParseCaseFrame(f);
    ASSERT_EQ(p->frame_verdict, Verdict::kOk);
    const FrameView& v = p->view;
    EXPECT_EQ(v.nb_vlan, 0);
    EXPECT_EQ(v.ether_type, kEtherTypeIpv4);
    EXPECT_EQ(v.l3_offset, kEthernetHeaderSize);
    EXPECT_EQ(v.ip_protocol, kIpProtoUdp);
    EXPECT_TRUE(ParseMac(f.eth_src) == v.eth_src) << f.eth_src;
    EXPECT_TRUE(ParseMac(f.eth_dst) == v.eth_dst) << f.eth_dst;
    EXPECT_EQ(ParseDottedQuad(f.ip_src), v.ip_src);
    EXPECT_EQ(ParseDottedQuad(f.ip_dst), v.ip_dst);
    EXPECT_EQ(v.src_port, f.sport);
    EXPECT_EQ(v.dst_port, f.dport);
    EXPECT_EQ(ToBytes(v.udp_payload), f.payload);
    // The payload is a view into the frame, not a copy.
    EXPECT_EQ(v.udp_payload.data(),
              p->buffer.span().data() + v.l4_offset + kUdpHeaderSize);
  }
}

// Ethernet pads short frames to 60 octets and some drivers hand over more
// than the IP datagram; the UDP payload stays exactly the UDP length.
TEST(CasesVerdictTest, TrailingEthernetPaddingIsIgnored) {
  const Corpus& corpus = LoadedCorpus();
  ASSERT_TRUE(corpus.error.empty()) << corpus.error;
  for (const CaseFrame& f : corpus.frames) {
    SCOPED_TRACE(f.id);
    Bytes padded = f.frame;
    padded.insert(padded.end(), 4, 0);
    const ExactBuffer buffer(padded);
    FrameView view;
    ASSERT_EQ(ParseDhcpFrame(buffer.span(), ChecksumCheck::kVerify, &view),
              Verdict::kOk);
    EXPECT_EQ(ToBytes(view.udp_payload), f.payload);
  }
}

// ---------------------------------------------------------------------------
// (c) What the README says the parsed message holds.

class CaseFieldsTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(LoadedCorpus().error.empty()) << LoadedCorpus().error;
  }

  // The message of frame `id`, which must parse at the wire level (its
  // server-bound verdict is checked by CasesVerdictTest); nullptr with a
  // failure otherwise.
  const DhcpMessage* Message(std::string_view id) {
    const ParsedFrame* p = Frame(id);
    if (p == nullptr) return nullptr;
    if (p->parse_verdict != Verdict::kOk) {
      ADD_FAILURE() << id << ": Parse() gave "
                    << testing::PrintToString(p->parse_verdict);
      return nullptr;
    }
    return &p->msg;
  }

  const ParsedFrame* Frame(std::string_view id) {
    const CaseFrame* f = FindFrame(id);
    if (f == nullptr) {
      ADD_FAILURE() << id << " is not in packets.json";
      return nullptr;
    }
    parsed_.push_back(ParseCaseFrame(*f));
    if (parsed_.back()->frame_verdict != Verdict::kOk) {
      ADD_FAILURE() << id << ": ParseDhcpFrame() gave "
                    << testing::PrintToString(parsed_.back()->frame_verdict);
      return nullptr;
    }
    return parsed_.back().get();
  }

  // The codes present in `msg`, ascending.
  static std::vector<int> Codes(const DhcpMessage& msg) {
    std::vector<int> codes;
    msg.ForEachOption(
        [&](uint8_t code, std::span<const uint8_t>) { codes.push_back(code); });
    return codes;
  }

 private:
  std::vector<std::unique_ptr<ParsedFrame>> parsed_;
};

constexpr Ipv4Address Ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return Ipv4Address::FromOctets(a, b, c, d);
}

TEST_F(CaseFieldsTest, Mal01Mal02ProbesParse) {
  // The liveness probes after the hostile frames parse normally.
  const DhcpMessage* m = Message("MAL-01/c");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->message_type(), MessageType::kDiscover);
  EXPECT_EQ(m->host_name(), "host-a");
  EXPECT_THAT(ToBytes(m->parameter_request_list()), ElementsAre(1, 3, 6));
  m = Message("MAL-02/c");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(ToBytes(m->client_identifier()), Hex("01020000010201"));
}

TEST_F(CaseFieldsTest, Mal04NoEndAndDataAfterEnd) {
  // a: RFC 2131 §4.1 requires END only with overload; the area ends at the
  // end of the datagram.
  const DhcpMessage* m = Message("MAL-04/a");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->host_name(), "host-a");
  EXPECT_THAT(ToBytes(m->parameter_request_list()), ElementsAre(1, 3, 6));
  EXPECT_EQ(ToBytes(m->client_identifier()), Hex("01020000010401"));

  // b: RFC 2132 §3.2, END ends the valid data: the 50 and 12 behind it are
  // not options.
  m = Message("MAL-04/b");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->message_type(), MessageType::kDiscover);
  EXPECT_FALSE(m->Has(option::kRequestedAddress));
  EXPECT_EQ(m->requested_address(), std::nullopt);
  EXPECT_FALSE(m->Has(option::kHostName));
  EXPECT_EQ(m->host_name(), std::nullopt);
  EXPECT_THAT(Codes(*m), ElementsAre(53, 61));
}

TEST_F(CaseFieldsTest, Mal05OverloadSname) {
  // RFC 2132 §9.3: overload 2, options continue in `sname`.
  const DhcpMessage* m = Message("MAL-05/a");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->overload(), 2);
  EXPECT_EQ(m->message_type(), MessageType::kRequest);
  EXPECT_EQ(m->server_identifier(), Ip(192, 0, 2, 1));
  EXPECT_EQ(m->requested_address(), Ip(192, 0, 2, 150));
  EXPECT_EQ(m->host_name(), "host-a");
  EXPECT_EQ(ToBytes(m->client_identifier()), Hex("01020000010501"));
  EXPECT_EQ(m->instances(option::kServerIdentifier), 1);
  EXPECT_EQ(m->ciaddr(), Ipv4Address());
}

TEST_F(CaseFieldsTest, Mal05OverloadFile) {
  // RFC 2132 §9.3: overload 1, options continue in `file`.
  const DhcpMessage* m = Message("MAL-05/b");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->overload(), 1);
  EXPECT_EQ(m->message_type(), MessageType::kRequest);
  EXPECT_EQ(m->server_identifier(), Ip(192, 0, 2, 1));
  EXPECT_EQ(m->requested_address(), Ip(192, 0, 2, 150));
  EXPECT_EQ(ToBytes(m->client_identifier()), Hex("01020000010501"));
  EXPECT_FALSE(m->Has(option::kHostName));
}

TEST_F(CaseFieldsTest, Mal05OverloadBothConcatenates) {
  // RFC 2131 §4.1 / RFC 3396 §7: options, then file, then sname; 55 split
  // over options and file joins to [1,3,6,15]. The 52 inside sname does
  // not change the overload in effect (no recursion).
  const DhcpMessage* m = Message("MAL-05/c");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->overload(), 3);
  EXPECT_EQ(m->message_type(), MessageType::kDiscover);
  EXPECT_THAT(ToBytes(m->parameter_request_list()), ElementsAre(1, 3, 6, 15));
  EXPECT_EQ(m->instances(option::kParameterRequestList), 2);
  EXPECT_EQ(ToBytes(m->client_identifier()), Hex("01020000010502"));
  EXPECT_EQ(m->host_name(), "host-c");
}

TEST_F(CaseFieldsTest, Mal05InvalidOverloadIsIgnored) {
  // RFC 2132 §9.3 defines only 1, 2 and 3: with 4, sname is not parsed.
  const DhcpMessage* m = Message("MAL-05/d");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->overload(), 0);
  EXPECT_FALSE(m->Has(option::kServerIdentifier));
  EXPECT_FALSE(m->Has(option::kRequestedAddress));
  EXPECT_FALSE(m->Has(option::kHostName));
  EXPECT_EQ(m->message_type(), MessageType::kRequest);
  EXPECT_EQ(ToBytes(m->client_identifier()), Hex("01020000010501"));
}

TEST_F(CaseFieldsTest, Mal06RepeatedOptionsAreJoined) {
  // RFC 3396 §7: instances joined in order; RFC 2131 §4.1: order of
  // options has no meaning (53 comes last here).
  const DhcpMessage* m = Message("MAL-06/a");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->message_type(), MessageType::kDiscover);
  EXPECT_EQ(m->host_name(), "host-a");
  EXPECT_THAT(ToBytes(m->parameter_request_list()), ElementsAre(1, 3, 6, 15));
  EXPECT_EQ(m->instances(option::kHostName), 2);
  EXPECT_EQ(m->instances(option::kParameterRequestList), 2);
  EXPECT_EQ(m->max_message_size(), 1500);

  // c: 50 split into 2 + 2 octets is one 4-octet address.
  m = Message("MAL-06/c");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->requested_address(), Ip(192, 0, 2, 150));
  EXPECT_EQ(m->instances(option::kRequestedAddress), 2);
}

TEST_F(CaseFieldsTest, Mal06TwoMessageTypesJoinToTwoOctets) {
  // RFC 3396 §7 joins 01 and 03; RFC 2132 §9.6 needs one octet, so Parse()
  // itself rejects it (no "first wins" / "last wins").
  const ParsedFrame* p = Frame("MAL-06/b");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->parse_verdict, Verdict::kBadMessageType);
}

TEST_F(CaseFieldsTest, Mal08EmptyHostName) {
  // RFC 2132 §3.14 needs >= 1 octet; §2: trailing NULs are removed, which
  // leaves nothing. The option is ignored, the message is not.
  for (const char* id : {"MAL-08/a", "MAL-08/b"}) {
    SCOPED_TRACE(id);
    const DhcpMessage* m = Message(id);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->host_name(), std::nullopt);
    EXPECT_EQ(m->message_type(), MessageType::kDiscover);
    EXPECT_THAT(ToBytes(m->parameter_request_list()),
                ElementsAre(1, 3, 6, 15, 51, 58, 59));
  }
}

TEST_F(CaseFieldsTest, Mal10OversizedRequests) {
  // RFC 2131 §2: no upper limit on a request's size.
  const DhcpMessage* m = Message("MAL-10/a");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->payload().size(), 1284u);
  EXPECT_EQ(m->max_message_size(), 1500);
  EXPECT_EQ(ToBytes(m->vendor_class()), ToBytes(std::string_view("vendor-x")));
  for (uint8_t code = 224; code <= 227; ++code) {
    EXPECT_EQ(ToBytes(m->Find(code)), Bytes(250, code)) << int{code};
  }
  EXPECT_THAT(Codes(*m), ElementsAre(53, 55, 57, 60, 61, 224, 225, 226, 227));

  // b: no option 57, so the reply limit is the RFC 2132 §9.10 floor.
  m = Message("MAL-10/b");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->payload().size(), 582u);
  EXPECT_EQ(m->max_message_size(), kMinMaxMessageSize);
  EXPECT_THAT(Codes(*m), ElementsAre(53, 55, 61));

  // c: the 0xdeadbeef filler after END is ignored (RFC 2132 §3.2).
  m = Message("MAL-10/c");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->payload().size(), 1472u);
  EXPECT_THAT(Codes(*m), ElementsAre(53, 55, 61));
  EXPECT_THAT(ToBytes(m->parameter_request_list()),
              ElementsAre(1, 3, 6, 15, 51, 58, 59));
}

TEST_F(CaseFieldsTest, Mal12Infiniband) {
  // c: RFC 4390 §2.1: htype 32, hlen 0, zero chaddr; the client is known
  // only by its RFC 4361 client identifier.
  const DhcpMessage* m = Message("MAL-12/c");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->htype(), kHtypeInfiniband);
  EXPECT_EQ(m->hlen(), 0);
  EXPECT_TRUE(m->chaddr().empty());
  EXPECT_EQ(ToBytes(m->chaddr_field()), Bytes(16, 0));
  EXPECT_TRUE(m->broadcast());
  EXPECT_EQ(ToBytes(m->client_identifier()),
            Hex("ff0c0c00010003002080000020fe800000000000000200000c0c000001"));

  // d: dhclient's variant, 8 octets of GUID in chaddr.
  m = Message("MAL-12/d");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->htype(), kHtypeInfiniband);
  EXPECT_EQ(ToBytes(m->chaddr()), Hex("0200000c0c000001"));
  EXPECT_EQ(ToBytes(m->client_identifier()), Hex("200200000c0c000001"));
}

TEST_F(CaseFieldsTest, Mal13WellFormedButNotForAServer) {
  // Each is a well-formed message (Parse() kOk); only the server-bound
  // check of RFC 2131 §4.3 refuses them.
  const DhcpMessage* m = Message("MAL-13/a");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->op(), kBootReply);
  EXPECT_EQ(m->message_type(), MessageType::kOffer);
  EXPECT_EQ(m->yiaddr(), Ip(192, 0, 2, 123));
  EXPECT_EQ(m->server_identifier(), Ip(192, 0, 2, 254));
  EXPECT_EQ(m->lease_time(), 3600u);
  m = Message("MAL-13/b");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->message_type(), MessageType::kAck);
  m = Message("MAL-13/c");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(ToBytes(m->Find(option::kMessageType)), Hex("fa"));
  m = Message("MAL-13/d");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->op(), kBootReply);
  EXPECT_EQ(m->message_type(), MessageType::kDiscover);
}

TEST_F(CaseFieldsTest, Mal14Bootp) {
  // a: RFC 951 vend area without the RFC 1048 cookie.
  const ParsedFrame* p = Frame("MAL-14/a");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->parse_verdict, Verdict::kBadMagicCookie);
  // b: cookie and END only: well formed, but no option 53.
  const DhcpMessage* m = Message("MAL-14/b");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->message_type(), std::nullopt);
  EXPECT_THAT(Codes(*m), ElementsAre());
}

TEST_F(CaseFieldsTest, Cli01ClientIdentifierForms) {
  // RFC 2131 §4.2: option 61 when present, else chaddr.
  const DhcpMessage* m = Message("CLI-01/a");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(ToBytes(m->client_identifier()), Hex("01020000020101"));
  EXPECT_EQ(ToBytes(m->chaddr()), Hex("020000020101"));
  m = Message("CLI-01/c");
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->Has(option::kClientIdentifier));
  EXPECT_EQ(m->client_identifier(), std::nullopt);
  EXPECT_EQ(m->ciaddr(), Ip(192, 0, 2, 151));
  m = Message("CLI-01/d");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(ToBytes(m->client_identifier()),
            Hex("ff00000001000100012b2ba9b60001020000020101"));
}

TEST_F(CaseFieldsTest, Cli02ClientIdentifierLengths) {
  // RFC 2132 §9.14: an opaque key of at least 2 octets; RFC 4361 §6.1 type
  // 255 is not parsed, only compared.
  const DhcpMessage* m = Message("CLI-02/a");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(ToBytes(m->client_identifier()),
            Hex("ff00e12e23000100012e2ba9b60001020000020201"));
  m = Message("CLI-02/b");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(ToBytes(m->client_identifier()), Hex("00637573742d303030313233"));
  m = Message("CLI-02/c");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(ToBytes(m->client_identifier()), Hex("ff61"));
  // d, e: 0 and 1 octets are below the minimum: treated as absent.
  for (const char* id : {"CLI-02/d", "CLI-02/e"}) {
    SCOPED_TRACE(id);
    m = Message(id);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->client_identifier(), std::nullopt);
    EXPECT_EQ(m->message_type(), MessageType::kDiscover);
  }
}

TEST_F(CaseFieldsTest, Cli04DiscoverWithCiaddr) {
  // RFC 2131 Table 5 wants ciaddr 0 in DISCOVER; the parser reports what
  // was sent and leaves the decision to the engine.
  const DhcpMessage* m = Message("CLI-04/a");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->message_type(), MessageType::kDiscover);
  EXPECT_EQ(m->ciaddr(), Ip(192, 0, 2, 152));
  EXPECT_EQ(m->secs(), 47648);
  EXPECT_EQ(m->requested_address(), Ip(192, 0, 2, 152));
  EXPECT_EQ(m->host_name(), "ha-box");
}

TEST_F(CaseFieldsTest, Cli05RequestKinds) {
  // RFC 2131 §4.3.2 INIT-REBOOT: 50, no 54, ciaddr 0.
  const DhcpMessage* m = Message("CLI-05/a");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->message_type(), MessageType::kRequest);
  EXPECT_EQ(m->requested_address(), Ip(10, 99, 0, 7));
  EXPECT_FALSE(m->Has(option::kServerIdentifier));
  m = Message("CLI-05/b");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->giaddr(), Ip(198, 51, 100, 1));
  EXPECT_EQ(m->hops(), 1);
  ASSERT_TRUE(m->relay_agent_info().has_value());
  EXPECT_EQ(ToBytes(m->relay_agent_info()->circuit_id()),
            ToBytes(std::string_view("port-5")));
  EXPECT_EQ(ToBytes(m->relay_agent_info()->remote_id()),
            ToBytes(std::string_view("relay-1")));
}

TEST_F(CaseFieldsTest, Cli09Cli11RequestAndRelease) {
  const DhcpMessage* m = Message("CLI-09/d");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->ciaddr(), Ip(192, 0, 2, 154));
  EXPECT_EQ(m->server_identifier(), Ip(192, 0, 2, 1));
  EXPECT_EQ(m->requested_address(), Ip(192, 0, 2, 154));
  m = Message("CLI-11/b");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->message_type(), MessageType::kRelease);
  EXPECT_EQ(m->ciaddr(), Ip(192, 0, 2, 158));
  EXPECT_EQ(ToBytes(m->chaddr()), Hex("020000020b02"));
}

TEST_F(CaseFieldsTest, Cli12Inform) {
  // RFC 2131 §4.3.5.
  const DhcpMessage* m = Message("CLI-12/a");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->message_type(), MessageType::kInform);
  EXPECT_EQ(m->ciaddr(), Ip(192, 0, 2, 50));
  EXPECT_THAT(ToBytes(m->parameter_request_list()),
              ElementsAre(1, 3, 6, 15, 252));
  for (const char* id : {"CLI-12/b", "CLI-12/c"}) {
    SCOPED_TRACE(id);
    m = Message(id);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->message_type(), MessageType::kInform);
    EXPECT_EQ(m->giaddr(), Ip(198, 51, 100, 1));
    ASSERT_TRUE(m->relay_agent_info().has_value());
    EXPECT_EQ(ToBytes(m->relay_agent_info()->circuit_id()),
              ToBytes(std::string_view("port-9")));
  }
  m = Message("CLI-12/b");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->ciaddr(), Ip(198, 51, 100, 77));
}

TEST_F(CaseFieldsTest, Cli14HostNames) {
  // a: RFC 2132 §2, receivers delete trailing NULs.
  const DhcpMessage* m = Message("CLI-14/a");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->host_name(), "host-a");
  // The other variants are kept as sent (binary-safe); sanitising them for
  // DDNS, logs or an echo is a later layer's job (RFC 1123 §2.1).
  m = Message("CLI-14/b");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->host_name(), std::string_view("lab\x01\x02\xfe\x7f", 7));
  m = Message("CLI-14/c");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->host_name(), "host-a.example.");
  m = Message("CLI-14/d");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->host_name(), std::string(64, 'x'));
  m = Message("CLI-14/e");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->host_name(), "My Laptop (2)");
}

// RFC 3046 §2.0: option 82 is a list of sub-options; the wire layer
// validates it and gives typed access to them.
TEST_F(CaseFieldsTest, RelayAgentInfoPresentAndValid) {
  struct Want {
    const char* id;
    Ipv4Address giaddr;
  };
  const Ipv4Address s2_relay = Ip(198, 51, 100, 1);
  const Ipv4Address s3_relay = Ip(10, 255, 0, 1);
  const Want wants[] = {
      {"REL-01/a", s2_relay},      {"REL-01/b", s2_relay},
      {"REL-01/c", s2_relay},      {"REL-01/d", s2_relay},
      {"REL-01/e", s2_relay},      {"REL-02/a", s2_relay},
      {"REL-02/b", s2_relay},      {"REL-04/a", s2_relay},
      {"REL-04/b", s2_relay},      {"REL-04/c", s2_relay},
      {"REL-04/d", s2_relay},      {"REL-05/a", s2_relay},
      {"REL-05/b", s2_relay},      {"REL-05/c", s2_relay},
      {"REL-07/a", s3_relay},      {"REL-07/b", s3_relay},
      {"REL-07/c", s3_relay},      {"REL-07/d", s3_relay},
      {"REL-08/a", Ipv4Address()}, {"REL-08/b", Ipv4Address()},
  };
  for (const Want& want : wants) {
    SCOPED_TRACE(want.id);
    const DhcpMessage* m = Message(want.id);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->giaddr(), want.giaddr);
    ASSERT_TRUE(m->Has(option::kRelayAgentInfo));
    const std::optional<RelayAgentInfo> rai = m->relay_agent_info();
    ASSERT_TRUE(rai.has_value());
    EXPECT_TRUE(rai->Valid());
    EXPECT_EQ(ToBytes(rai->raw()), ToBytes(m->Find(option::kRelayAgentInfo)));
  }
}

TEST_F(CaseFieldsTest, Rel01SubOptionsInOrder) {
  // RFC 3046 §2.2: echoed whole, so the order of sub-options is kept.
  const DhcpMessage* m = Message("REL-01/a");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->hops(), 1);
  const std::optional<RelayAgentInfo> rai = m->relay_agent_info();
  ASSERT_TRUE(rai.has_value());
  ASSERT_TRUE(rai->Valid());
  EXPECT_EQ(ToBytes(rai->raw()),
            Hex("010c657468302f312f323a3130300206020000bb0001090b00000de9"
                "06010474657374"));
  std::vector<int> codes;
  for (const SubOptions::Item item : *rai) codes.push_back(item.code);
  EXPECT_THAT(codes, ElementsAre(1, 2, 9));
  EXPECT_EQ(ToBytes(rai->circuit_id()),
            ToBytes(std::string_view("eth0/1/2:100")));
  EXPECT_EQ(ToBytes(rai->remote_id()), Hex("020000bb0001"));
  // RFC 4243: enterprise 3561, then its own data.
  EXPECT_EQ(ToBytes(rai->vendor_specific()), Hex("00000de906010474657374"));
  EXPECT_EQ(rai->link_selection(), std::nullopt);
  EXPECT_EQ(rai->server_id_override(), std::nullopt);
  EXPECT_FALSE(rai->relay_source_port());

  m = Message("REL-01/e");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->ciaddr(), Ip(198, 51, 100, 150));
}

TEST_F(CaseFieldsTest, Rel02BinaryIdsKeepTrailingZeros) {
  // Circuit-id and remote-id are opaque (RFC 3046 §3.1, §3.2).
  for (const char* id : {"REL-02/a", "REL-02/b"}) {
    SCOPED_TRACE(id);
    const DhcpMessage* m = Message(id);
    ASSERT_NE(m, nullptr);
    const std::optional<RelayAgentInfo> rai = m->relay_agent_info();
    ASSERT_TRUE(rai.has_value());
    ASSERT_TRUE(rai->Valid());
    EXPECT_EQ(ToBytes(rai->circuit_id()), Hex("0001002a0000"));
    EXPECT_EQ(ToBytes(rai->remote_id()), Hex("020000bb0000"));
  }
}

TEST_F(CaseFieldsTest, Rel04RelayedFromAnySourcePort) {
  // RFC 2131 §4.1: the reply goes to giaddr:67 whatever the source; the
  // parser reports the source so the engine can ignore it.
  struct Want {
    const char* id;
    Ipv4Address ip_src;
    uint16_t src_port;
    uint8_t hops;
  };
  const Want wants[] = {
      {"REL-04/a", Ip(10, 0, 0, 2), 67, 1},
      {"REL-04/b", Ip(10, 0, 0, 2), 68, 1},
      {"REL-04/c", Ip(10, 0, 0, 2), 40001, 1},
      {"REL-04/d", Ip(10, 0, 0, 9), 67, 2},
  };
  for (const Want& want : wants) {
    SCOPED_TRACE(want.id);
    const ParsedFrame* p = Frame(want.id);
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(p->parse_verdict, Verdict::kOk);
    EXPECT_EQ(p->view.ip_src, want.ip_src);
    EXPECT_EQ(p->view.src_port, want.src_port);
    EXPECT_EQ(p->view.dst_port, kDhcpServerPort);
    EXPECT_EQ(p->msg.hops(), want.hops);
    EXPECT_TRUE(p->msg.broadcast());
    EXPECT_EQ(p->msg.giaddr(), Ip(198, 51, 100, 1));
  }
}

TEST_F(CaseFieldsTest, Rel05RelaySourcePort) {
  // RFC 8357 §5.1: sub-option 19 counts only with length 0.
  const ParsedFrame* p = Frame("REL-05/a");
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->parse_verdict, Verdict::kOk);
  EXPECT_EQ(p->view.src_port, 6767);
  ASSERT_TRUE(p->msg.relay_agent_info().has_value());
  EXPECT_TRUE(p->msg.relay_agent_info()->relay_source_port());
  EXPECT_EQ(ToBytes(p->msg.relay_agent_info()->circuit_id()), Hex("7031"));

  const DhcpMessage* m = Message("REL-05/b");
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->relay_agent_info().has_value());
  EXPECT_FALSE(m->relay_agent_info()->relay_source_port());

  // c: a 2-octet sub-option 19 is malformed: not honoured, still echoed.
  m = Message("REL-05/c");
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->relay_agent_info().has_value());
  EXPECT_FALSE(m->relay_agent_info()->relay_source_port());
  EXPECT_EQ(ToBytes(m->relay_agent_info()->Find(relay::kRelaySourcePort)),
            Hex("1a6f"));
}

TEST_F(CaseFieldsTest, Rel07ServerIdOverride) {
  // RFC 5107 sub-option 11 and RFC 3527 sub-option 5.
  const DhcpMessage* m = Message("REL-07/a");
  ASSERT_NE(m, nullptr);
  std::optional<RelayAgentInfo> rai = m->relay_agent_info();
  ASSERT_TRUE(rai.has_value());
  EXPECT_EQ(rai->server_id_override(), Ip(203, 0, 113, 1));
  EXPECT_EQ(rai->link_selection(), Ip(203, 0, 113, 1));
  EXPECT_EQ(ToBytes(rai->circuit_id()), ToBytes(std::string_view("Vlan1000")));

  m = Message("REL-07/b");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->server_identifier(), Ip(203, 0, 113, 1));
  EXPECT_EQ(m->requested_address(), Ip(203, 0, 113, 150));
  ASSERT_TRUE(m->relay_agent_info().has_value());
  EXPECT_EQ(m->relay_agent_info()->server_id_override(), Ip(203, 0, 113, 1));

  m = Message("REL-07/c");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->ciaddr(), Ip(203, 0, 113, 150));

  m = Message("REL-07/d");
  ASSERT_NE(m, nullptr);
  rai = m->relay_agent_info();
  ASSERT_TRUE(rai.has_value());
  EXPECT_EQ(rai->server_id_override(), std::nullopt);
  EXPECT_EQ(rai->link_selection(), Ip(203, 0, 113, 1));
  EXPECT_EQ(m->server_identifier(), Ip(203, 0, 113, 1));
}

TEST_F(CaseFieldsTest, Rel08SnoopingSwitchOption82) {
  // RFC 3046 §2.1 / §5: giaddr 0 but a well-formed option 82.
  const DhcpMessage* m = Message("REL-08/a");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->hops(), 0);
  const std::optional<RelayAgentInfo> rai = m->relay_agent_info();
  ASSERT_TRUE(rai.has_value());
  EXPECT_EQ(ToBytes(rai->circuit_id()),
            ToBytes(std::string_view("Gi1/0/5:vlan10")));
  EXPECT_EQ(ToBytes(rai->remote_id()), Hex("02000000ab01"));
}

TEST_F(CaseFieldsTest, Lea01LeaseTimeHints) {
  // RFC 2132 §9.2: a 32-bit count of seconds; 0xffffffff is infinity
  // (RFC 2131 §3.3).
  const DhcpMessage* m = Message("LEA-01/a");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->lease_time(), 7776000u);
  EXPECT_EQ(m->max_message_size(), 1500);
  EXPECT_EQ(m->host_name(), "phone");
  m = Message("LEA-01/b");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->lease_time(), 7776000u);
  m = Message("LEA-01/d");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->lease_time(), kInfiniteLease);
}

TEST_F(CaseFieldsTest, Lea03RelayedFromTinySubnet) {
  const DhcpMessage* m = Message("LEA-03/a1");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->giaddr(), Ip(100, 64, 0, 1));
  EXPECT_EQ(m->requested_address(), Ip(100, 64, 0, 2));
  EXPECT_FALSE(m->Has(option::kRelayAgentInfo));
  m = Message("LEA-03/c");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->ciaddr(), Ip(100, 64, 0, 2));
}

// ---------------------------------------------------------------------------
// (d) Truncation: every prefix, as its own exactly-sized buffer.

// Reads every option value, so a bad span shows up under ASan (the
// volatile sink keeps the reads from being optimised away).
volatile uint64_t touch_sink = 0;

void TouchOptions(const DhcpMessage& msg) {
  uint64_t sum = 0;
  msg.ForEachOption([&](uint8_t code, std::span<const uint8_t> value) {
    sum += code;
    for (uint8_t b : value) sum += b;
  });
  touch_sink = touch_sink + sum;
}

TEST(CasesTruncationTest, EveryFramePrefixIsRejectedSafely) {
  const Corpus& corpus = LoadedCorpus();
  ASSERT_TRUE(corpus.error.empty()) << corpus.error;
  DhcpMessage msg;
  for (const CaseFrame& f : corpus.frames) {
    SCOPED_TRACE(f.id);
    ASSERT_GE(f.frame.size(), kEthernetHeaderSize + kIpv4HeaderSize);
    // The IPv4 total length (RFC 791) of the untagged frame.
    const size_t datagram_end =
        kEthernetHeaderSize + LoadBe16(&f.frame[kEthernetHeaderSize + 2]);
    for (size_t n = 0; n < f.frame.size(); ++n) {
      const ExactBuffer prefix(std::span(f.frame).first(n));
      FrameView view;
      const Verdict v =
          ParseDhcpFrame(prefix.span(), ChecksumCheck::kVerify, &view);
      if (n < datagram_end) {
        EXPECT_NE(v, Verdict::kOk) << "prefix of " << n << " octets";
      }
      if (v == Verdict::kOk && msg.Parse(view.udp_payload) == Verdict::kOk) {
        TouchOptions(msg);
      }
      // Without checksums to catch it, the lengths must.
      const Verdict unchecked =
          ParseDhcpFrame(prefix.span(), ChecksumCheck::kSkip, &view);
      if (n < datagram_end) {
        EXPECT_NE(unchecked, Verdict::kOk) << "prefix of " << n << " octets";
      }
    }
  }
}

TEST(CasesTruncationTest, EveryPayloadPrefixParsesSafely) {
  const Corpus& corpus = LoadedCorpus();
  ASSERT_TRUE(corpus.error.empty()) << corpus.error;
  DhcpMessage msg;
  for (const CaseFrame& f : corpus.frames) {
    SCOPED_TRACE(f.id);
    for (size_t n = 0; n <= f.payload.size(); ++n) {
      const ExactBuffer prefix(std::span(f.payload).first(n));
      const Verdict v = msg.ParseRequest(prefix.span());
      // RFC 2131 §2: 236 octets of fixed header, then the 4-octet cookie.
      if (n < kOptionsOffset) {
        EXPECT_NE(v, Verdict::kOk) << "prefix of " << n << " octets";
      }
      if (n < kFixedHeaderSize) {
        EXPECT_EQ(v, Verdict::kTruncatedBootp) << "prefix of " << n;
      }
      if (msg.Parse(prefix.span()) == Verdict::kOk) {
        TouchOptions(msg);
        EXPECT_EQ(msg.payload().size(), n);
      }
    }
  }
}

}  // namespace
}  // namespace leasewire::wire
