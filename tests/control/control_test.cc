// The control protocol's envelope, the runtime reservation merge and the
// socket transport. The commands themselves need a running data plane:
// tests/integration/control_test.py drives them against leasewired.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "control/socket_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leasewire/control/protocol.h"
#include "leasewire/control/runtime_config.h"

namespace leasewire::control {
namespace {

using ::testing::HasSubstr;

// ---------------------------------------------------------------------
// ParseRequest

struct BadRequest {
  const char* name;
  std::string text;
  ErrorCode code;
  const char* message;
};

void PrintTo(const BadRequest& b, std::ostream* os) { *os << b.name; }

class ParseRequestErrorTest : public ::testing::TestWithParam<BadRequest> {};

TEST_P(ParseRequestErrorTest, RefusedWithCodeAndMessage) {
  const ParsedRequest p = ParseRequest(GetParam().text);
  ASSERT_FALSE(p.request.has_value());
  EXPECT_EQ(ErrorCodeName(p.failure.code), ErrorCodeName(GetParam().code));
  EXPECT_THAT(p.failure.message, HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Envelope, ParseRequestErrorTest,
    ::testing::Values(
        BadRequest{"Garbage", "\x01\x02garbage", ErrorCode::kBadRequest,
                   "not valid JSON"},
        BadRequest{"Empty", "", ErrorCode::kBadRequest, "not valid JSON"},
        BadRequest{"Truncated", R"({"version": 1, "command": "sta)",
                   ErrorCode::kBadRequest, "not valid JSON"},
        BadRequest{"Array", "[1, 2]", ErrorCode::kBadRequest,
                   "is an array, not an object"},
        BadRequest{"String", "\"status\"", ErrorCode::kBadRequest,
                   "is a string"},
        BadRequest{"NoVersion", R"({"command": "status"})",
                   ErrorCode::kBadVersion, "missing \"version\""},
        BadRequest{"VersionTwo", R"({"version": 2, "command": "status"})",
                   ErrorCode::kBadVersion, "version 2 is not supported"},
        BadRequest{"VersionString", R"({"version": "1", "command": "status"})",
                   ErrorCode::kBadVersion, "is not supported"},
        BadRequest{"NoCommand", R"({"version": 1})", ErrorCode::kBadRequest,
                   "\"command\" must be a string, one of: status"},
        BadRequest{"CommandNumber", R"({"version": 1, "command": 7})",
                   ErrorCode::kBadRequest, "must be a string"},
        BadRequest{"UnknownCommand",
                   R"({"version": 1, "command": "lease4-get"})",
                   ErrorCode::kUnknownCommand,
                   "unknown command \"lease4-get\"; known commands: status"},
        BadRequest{"ArgumentsArray",
                   R"({"version": 1, "command": "status", "arguments": []})",
                   ErrorCode::kBadRequest, "\"arguments\" is an array"},
        BadRequest{"ExtraKey",
                   R"({"version": 1, "command": "status", "service": "x"})",
                   ErrorCode::kBadRequest, "unknown key \"service\""},
        BadRequest{"InvalidUtf8Command",
                   "{\"version\": 1, \"command\": \"\xff\xfe\"}",
                   ErrorCode::kBadRequest, "not valid JSON"}));

TEST(ParseRequestTest, AcceptsAKnownCommandWithArguments) {
  const ParsedRequest p = ParseRequest(
      R"({"version": 1, "command": "lease-get",
          "arguments": {"address": "10.0.0.1"}})"
      "\n");
  ASSERT_TRUE(p.request.has_value()) << p.failure.message;
  EXPECT_EQ(p.request->command, "lease-get");
  EXPECT_EQ(p.request->arguments["address"], "10.0.0.1");
}

TEST(ParseRequestTest, ArgumentsDefaultToAnEmptyObject) {
  const ParsedRequest p =
      ParseRequest(R"({"version": 1, "command": "status"})");
  ASSERT_TRUE(p.request.has_value());
  EXPECT_TRUE(p.request->arguments.is_object());
  EXPECT_TRUE(p.request->arguments.empty());
}

TEST(ParseRequestTest, EveryListedCommandParses) {
  for (const CommandInfo& c : Commands()) {
    const std::string text =
        R"({"version": 1, "command": ")" + std::string(c.name) + "\"}";
    EXPECT_TRUE(ParseRequest(text).request.has_value()) << c.name;
  }
}

TEST(ParseRequestTest, DeeplyNestedInputIsRefusedWithoutCrashing) {
  const std::string deep = std::string(20000, '[') + std::string(20000, ']');
  EXPECT_FALSE(ParseRequest(deep).request.has_value());
}

TEST(ResponseTest, OkAndErrorShapes) {
  const Json ok = Json::parse(OkResponse({{"x", 1}}));
  EXPECT_EQ(ok["version"], kProtocolVersion);
  EXPECT_EQ(ok["status"], "ok");
  EXPECT_EQ(ok["data"]["x"], 1);
  const std::string text =
      ErrorResponse({ErrorCode::kNotFound, "no lease; try lease list"});
  EXPECT_EQ(text.back(), '\n');
  const Json err = Json::parse(text);
  EXPECT_EQ(err["status"], "error");
  EXPECT_EQ(err["code"], "not-found");
  EXPECT_EQ(err["error"], "no lease; try lease list");
}

TEST(ResponseTest, InvalidUtf8IsReplacedNotThrown) {
  const std::string text = OkResponse({{"hostname", "cpe\xff"}});
  EXPECT_FALSE(Json::parse(text, nullptr, false).is_discarded());
}

TEST(ArgumentsTest, TypeAndRangeErrorsNameTheArgument) {
  const Json j = {
      {"subnet-id", -1}, {"limit", 5000}, {"address", 7}, {"flag", "yes"}};
  const Arguments a(j);
  uint64_t v = 0;
  std::string s;
  bool b = false;
  EXPECT_THAT(a.Uint("subnet-id", 1, 10, &v)->message,
              HasSubstr("\"subnet-id\" must be between 1 and 10"));
  EXPECT_THAT(a.Uint("limit", 1, 1000, &v)->message,
              HasSubstr("\"limit\" is 5000; it must be between 1 and 1000"));
  EXPECT_THAT(a.String("address", &s)->message,
              HasSubstr("\"address\" must be a string, not a number"));
  EXPECT_THAT(a.Bool("flag", &b)->message, HasSubstr("true or false"));
  EXPECT_THAT(a.String("missing", &s)->message,
              HasSubstr("missing argument \"missing\""));
  EXPECT_THAT(a.ExpectOnly({"subnet-id"})->message,
              HasSubstr("unknown argument"));
  EXPECT_FALSE(a.ExpectOnly({"subnet-id", "limit", "address", "flag"}));
}

// ---------------------------------------------------------------------
// Runtime reservations

constexpr char kFile[] = R"({
  // comments are allowed in the file
  "server-id": "10.0.0.1",
  "subnets": [
    {"id": 7, "subnet": "10.0.0.0/24",
     "pools": [{"pool": "10.0.0.100 - 10.0.0.199"}],
     "reservations": [{"hw-address": "02:00:00:00:00:01",
                       "ip-address": "10.0.0.10"}]},
    {"id": 8, "subnet": "10.0.1.0/24"}
  ]
})";

RuntimeReservation Must(uint32_t subnet, const Json& object) {
  absl::StatusOr<RuntimeReservation> r = MakeRuntimeReservation(subnet, object);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : RuntimeReservation{};
}

TEST(ReservationKeyTest, IdentifiersAreNormalised) {
  EXPECT_EQ(*ReservationKey(7, "hw-address", "02-00-00-00-00-AB"),
            "7/hw-address/02:00:00:00:00:ab");
  EXPECT_EQ(*ReservationKey(7, "hw-address", "02:00:00:00:00:ab"),
            "7/hw-address/02:00:00:00:00:ab");
  EXPECT_EQ(*ReservationKey(1, "client-id", "0102"), "1/client-id/01:02");
  EXPECT_EQ(*ReservationKey(1, "circuit-id", "ab"), "1/circuit-id/61:62");
  EXPECT_EQ(*ReservationKey(1, "remote-id", "0x0a0b"), "1/remote-id/0a:0b");
}

TEST(ReservationKeyTest, MalformedIdentifiersAreRefusedWithTheLoadersWords) {
  const absl::StatusOr<std::string> k =
      ReservationKey(7, "hw-address", "02:00");
  ASSERT_FALSE(k.ok());
  EXPECT_THAT(std::string(k.status().message()),
              HasSubstr("is not a MAC address"));
  EXPECT_THAT(std::string(k.status().message()),
              ::testing::Not(HasSubstr("subnets[0]")));
  EXPECT_FALSE(ReservationKey(7, "mac", "02:00:00:00:00:01").ok());
}

TEST(MakeRuntimeReservationTest, NeedsExactlyOneIdentifier) {
  EXPECT_THAT(
      std::string(MakeRuntimeReservation(7, {{"ip-address", "10.0.0.5"}})
                      .status()
                      .message()),
      HasSubstr("got none"));
  EXPECT_THAT(std::string(MakeRuntimeReservation(
                              7, {{"hw-address", "02:00:00:00:00:02"},
                                  {"client-id", "0102"}})
                              .status()
                              .message()),
              HasSubstr("got hw-address and client-id"));
  EXPECT_FALSE(MakeRuntimeReservation(7, Json::array()).ok());
  EXPECT_FALSE(MakeRuntimeReservation(7, {{"hw-address", 5}}).ok());
}

TEST(MergeConfigTest, AppendsToTheSubnetAndValidates) {
  const std::vector<RuntimeReservation> runtime = {
      Must(7, {{"hw-address", "02:00:00:00:00:02"},
               {"ip-address", "10.0.0.11"},
               {"hostname", "cpe-2"}}),
      Must(8, {{"circuit-id", "eth0/1"}})};
  absl::StatusOr<MergedConfig> m = MergeConfig(kFile, runtime, false);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->applied, 2u);
  EXPECT_TRUE(m->left_out.empty());
  const config::Subnet* s7 = m->config->FindSubnetById(7);
  ASSERT_NE(s7, nullptr);
  ASSERT_EQ(s7->reservations.size(), 2u);
  EXPECT_EQ(s7->reservations[1].hostname, "cpe-2");
  EXPECT_EQ(m->config->FindSubnetById(8)->reservations.size(), 1u);
}

TEST(MergeConfigTest, FileErrorsComeFirstWithTheirOwnPaths) {
  absl::StatusOr<MergedConfig> m = MergeConfig(
      R"({"server-id": "10.0.0.1", "subnets": [{"id": 0}]})", {}, true);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(std::string(m.status().message()), HasSubstr("subnets[0].id"));
}

TEST(MergeConfigTest, RefusedReservationIsNamedByItsKey) {
  // The address of the file's reservation, and one outside the subnet.
  const std::vector<RuntimeReservation> runtime = {Must(
      7, {{"hw-address", "02:00:00:00:00:03"}, {"ip-address", "10.0.0.10"}})};
  absl::StatusOr<MergedConfig> strict = MergeConfig(kFile, runtime, false);
  ASSERT_FALSE(strict.ok());
  EXPECT_THAT(std::string(strict.status().message()),
              HasSubstr("runtime reservation 7/hw-address/02:00:00:00:00:03: "
                        "ip-address 10.0.0.10 is already reserved"));

  const std::vector<RuntimeReservation> two = {
      Must(7,
           {{"hw-address", "02:00:00:00:00:04"}, {"ip-address", "10.9.9.9"}}),
      Must(7,
           {{"hw-address", "02:00:00:00:00:05"}, {"ip-address", "10.0.0.12"}})};
  absl::StatusOr<MergedConfig> lenient = MergeConfig(kFile, two, true);
  ASSERT_TRUE(lenient.ok()) << lenient.status();
  EXPECT_EQ(lenient->applied, 1u);
  ASSERT_EQ(lenient->left_out.size(), 1u);
  EXPECT_THAT(lenient->left_out[0],
              HasSubstr("02:00:00:00:00:04: ip-address 10.9.9.9 is outside"));
  EXPECT_EQ(lenient->config->FindSubnetById(7)->reservations.size(), 2u);
}

TEST(MergeConfigTest, SubnetGoneFromTheFileIsLeftOut) {
  absl::StatusOr<MergedConfig> m = MergeConfig(
      kFile, {Must(9, {{"hw-address", "02:00:00:00:00:06"}})}, false);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->applied, 0u);
  ASSERT_EQ(m->left_out.size(), 1u);
  EXPECT_THAT(m->left_out[0], HasSubstr("subnet 9 is not in the config file"));
}

TEST(ParseStoredReservationTest, RoundTripAndDamage) {
  const RuntimeReservation r = Must(7, {{"hw-address", "02-00-00-00-00-07"}});
  absl::StatusOr<RuntimeReservation> back =
      ParseStoredReservation(r.key, r.object.dump());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->subnet_id, 7u);
  EXPECT_FALSE(ParseStoredReservation("junk", "{}").ok());
  EXPECT_FALSE(ParseStoredReservation(r.key, "{not json").ok());
  // A key that does not match its JSON is damage, not a reservation.
  EXPECT_FALSE(
      ParseStoredReservation("7/hw-address/02:00:00:00:00:08", r.object.dump())
          .ok());
}

TEST(Sha256Test, KnownVector) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// ---------------------------------------------------------------------
// SocketServer

class SocketServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lwctl-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "sub" / "ctl.sock").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SocketServer> StartEcho(SocketServerOptions o = {}) {
    o.unix_path = path_;
    absl::StatusOr<std::unique_ptr<SocketServer>> s = SocketServer::Start(
        o, [this](std::string_view request, const Peer& peer) {
          ++handled_;
          last_peer_ = peer.description;
          return OkResponse({{"echo", std::string(request)}});
        });
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  int Connect() {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof(a.sun_path), "%s", path_.c_str());
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    return fd;
  }

  // Sends `text`, then polls the server until the client has its answer
  // (or `rounds` polls passed). Returns what the client read.
  std::string Exchange(SocketServer& s, int fd, const std::string& text,
                       bool half_close = true, int rounds = 200) {
    size_t sent = 0;
    std::string got;
    bool closed = false;
    for (int i = 0; i < rounds && !closed; ++i) {
      if (sent < text.size()) {
        const ssize_t n = send(fd, text.data() + sent,
                               std::min<size_t>(65536, text.size() - sent),
                               MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) sent += static_cast<size_t>(n);
        if (sent == text.size() && half_close) shutdown(fd, SHUT_WR);
      }
      s.Poll(absl::Milliseconds(10));
      char buf[4096];
      while (true) {
        const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
          got.append(buf, static_cast<size_t>(n));
          continue;
        }
        if (n == 0 || (n < 0 && errno != EAGAIN)) closed = true;
        break;
      }
    }
    close(fd);
    return got;
  }

  std::filesystem::path dir_;
  std::string path_;
  int handled_ = 0;
  std::string last_peer_;
};

TEST_F(SocketServerTest, AnswersOneRequestPerConnectionWithMode) {
  SocketServerOptions o;
  o.mode = 0660;
  std::unique_ptr<SocketServer> s = StartEcho(o);
  ASSERT_NE(s, nullptr);
  struct stat st;
  ASSERT_EQ(lstat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  const std::string r = Exchange(*s, Connect(), "hello\n", false);
  EXPECT_THAT(r, HasSubstr("\"echo\":\"hello\""));
  EXPECT_EQ(handled_, 1);
  EXPECT_THAT(last_peer_, HasSubstr("uid "));
  // Without a newline: the half-close ends the request.
  EXPECT_THAT(Exchange(*s, Connect(), "bye"), HasSubstr("\"echo\":\"bye\""));
  EXPECT_EQ(s->clients(), 0u);
}

TEST_F(SocketServerTest, OversizedRequestIsRefusedUnanswered) {
  SocketServerOptions o;
  o.max_request = 1024;
  std::unique_ptr<SocketServer> s = StartEcho(o);
  const std::string r = Exchange(*s, Connect(), std::string(200000, 'x'));
  EXPECT_THAT(r, HasSubstr("request larger than 1024 octets"));
  EXPECT_EQ(handled_, 0);
}

TEST_F(SocketServerTest, EmptyRequestGetsAnError) {
  std::unique_ptr<SocketServer> s = StartEcho();
  EXPECT_THAT(Exchange(*s, Connect(), "\n"), HasSubstr("empty request"));
  EXPECT_EQ(handled_, 0);
}

TEST_F(SocketServerTest, SlowClientIsDroppedAndOthersAreServed) {
  SocketServerOptions o;
  o.client_timeout = absl::Milliseconds(200);
  std::unique_ptr<SocketServer> s = StartEcho(o);
  const int slow = Connect();
  ASSERT_EQ(send(slow, "{\"vers", 6, 0), 6);
  // Meanwhile another client gets its answer.
  EXPECT_THAT(Exchange(*s, Connect(), "quick\n", false, 20),
              HasSubstr("quick"));
  const auto start = std::chrono::steady_clock::now();
  std::string got;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(3)) {
    s->Poll(absl::Milliseconds(20));
    char buf[512];
    const ssize_t n = recv(slow, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
    if (n == 0) break;
  }
  close(slow);
  EXPECT_THAT(got, HasSubstr("no complete request within"));
  EXPECT_EQ(s->clients(), 0u);
}

TEST_F(SocketServerTest, PastCapacityClientsWaitForASlot) {
  SocketServerOptions o;
  o.max_clients = 2;
  o.client_timeout = absl::Milliseconds(300);
  std::unique_ptr<SocketServer> s = StartEcho(o);
  const int a = Connect();
  const int b = Connect();
  s->Poll(absl::Milliseconds(10));
  EXPECT_EQ(s->clients(), 2u);
  // The third is answered once the two idle ones are dropped.
  const std::string r = Exchange(*s, Connect(), "third\n", false, 100);
  EXPECT_THAT(r, HasSubstr("third"));
  close(a);
  close(b);
}

TEST_F(SocketServerTest, StaleSocketIsReplacedLiveOneIsNot) {
  {
    // A socket file nobody listens on, as a crash leaves it.
    std::filesystem::create_directories(
        std::filesystem::path(path_).parent_path());
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof(a.sun_path), "%s", path_.c_str());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    close(fd);
  }
  std::unique_ptr<SocketServer> s = StartEcho();
  ASSERT_NE(s, nullptr);
  SocketServerOptions o;
  o.unix_path = path_;
  absl::StatusOr<std::unique_ptr<SocketServer>> second = SocketServer::Start(
      o, [](std::string_view, const Peer&) { return std::string(); });
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("another leasewired is running"));
  s.reset();
  EXPECT_FALSE(std::filesystem::exists(path_)) << "removed at exit";
}

TEST_F(SocketServerTest, ARegularFileIsNeverRemoved) {
  std::filesystem::create_directories(
      std::filesystem::path(path_).parent_path());
  {
    std::FILE* f = std::fopen(path_.c_str(), "w");
    std::fclose(f);
  }
  SocketServerOptions o;
  o.unix_path = path_;
  absl::StatusOr<std::unique_ptr<SocketServer>> s = SocketServer::Start(
      o, [](std::string_view, const Peer&) { return std::string(); });
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("is not a socket"));
  EXPECT_TRUE(std::filesystem::exists(path_));
}

TEST_F(SocketServerTest, TcpPortOnLoopback) {
  SocketServerOptions o;
  o.tcp = "127.0.0.1:0";
  std::unique_ptr<SocketServer> s = StartEcho(o);
  ASSERT_NE(s, nullptr);
  ASSERT_GT(s->tcp_port(), 0);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(static_cast<uint16_t>(s->tcp_port()));
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&in), sizeof(in)), 0);
  EXPECT_THAT(Exchange(*s, fd, "over tcp\n", false), HasSubstr("over tcp"));
  EXPECT_THAT(last_peer_, HasSubstr("tcp 127.0.0.1:"));
}

}  // namespace
}  // namespace leasewire::control
