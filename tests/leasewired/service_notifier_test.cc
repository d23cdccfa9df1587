// ServiceNotifier against a datagram socket standing in for systemd's
// notification socket: the exact messages, and nothing without
// NOTIFY_SOCKET.

#include "leasewired/service_notifier.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace leasewire::service {
namespace {

// A bound AF_UNIX datagram socket in a fresh temp dir; sets NOTIFY_SOCKET
// to it (and clears the watchdog variables) for the test's lifetime.
class FakeServiceManager {
 public:
  FakeServiceManager() {
    char tmpl[] = "/tmp/lw-notify-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/notify.sock";
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof(a.sun_path) - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
  }
  ~FakeServiceManager() {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    close(fd_);
    std::filesystem::remove_all(dir_);
  }

  // The next datagram, or "" if none is waiting.
  std::string Next() {
    char buf[4096];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

TEST(ServiceNotifier, WithoutNotifySocketSendsNothing) {
  unsetenv("NOTIFY_SOCKET");
  setenv("WATCHDOG_USEC", "1000000", 1);
  ServiceNotifier n;
  EXPECT_FALSE(n.enabled());
  EXPECT_EQ(n.watchdog_timeout(), absl::ZeroDuration());
  n.Ready("serving");
  n.Stopping("bye");
  EXPECT_FALSE(n.WatchdogTick(absl::Now()));
  EXPECT_EQ(n.sent(), 0);
  unsetenv("WATCHDOG_USEC");
}

TEST(ServiceNotifier, ReadyStatusReloadingStopping) {
  FakeServiceManager manager;
  ServiceNotifier n;
  ASSERT_TRUE(n.enabled());
  n.Ready("serving 3 subnets on 1 port(s)");
  EXPECT_EQ(manager.Next(), "READY=1\nSTATUS=serving 3 subnets on 1 port(s)");
  n.Reloading("reloading the configuration");
  EXPECT_EQ(manager.Next(), "RELOADING=1\nSTATUS=reloading the configuration");
  n.Status("config reloaded");
  EXPECT_EQ(manager.Next(), "STATUS=config reloaded");
  n.Stopping("signal 15: stopping");
  EXPECT_EQ(manager.Next(), "STOPPING=1\nSTATUS=signal 15: stopping");
  EXPECT_EQ(manager.Next(), "");
  EXPECT_EQ(n.sent(), 4);
}

// A newline in a status would smuggle in another assignment.
TEST(ServiceNotifier, StatusStaysOneLine) {
  FakeServiceManager manager;
  ServiceNotifier n;
  n.Status("a\nREADY=1\r");
  EXPECT_EQ(manager.Next(), "STATUS=a READY=1 ");
}

TEST(ServiceNotifier, WatchdogPingsEveryHalfTimeout) {
  FakeServiceManager manager;
  setenv("WATCHDOG_USEC", "2000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  ServiceNotifier n;
  ASSERT_EQ(n.watchdog_timeout(), absl::Seconds(2));
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  EXPECT_TRUE(n.WatchdogTick(t0));
  EXPECT_EQ(manager.Next(), "WATCHDOG=1");
  EXPECT_FALSE(n.WatchdogTick(t0 + absl::Milliseconds(999)));
  EXPECT_EQ(manager.Next(), "");
  EXPECT_TRUE(n.WatchdogTick(t0 + absl::Seconds(1)));
  EXPECT_EQ(manager.Next(), "WATCHDOG=1");
  EXPECT_EQ(n.PollTimeout(absl::Seconds(5)), absl::Milliseconds(500));
  EXPECT_EQ(n.PollTimeout(absl::Milliseconds(100)), absl::Milliseconds(100));
}

// WATCHDOG_PID names another process (a parent that forked us): the
// watchdog is not ours to ping.
TEST(ServiceNotifier, WatchdogForAnotherPidIsIgnored) {
  FakeServiceManager manager;
  setenv("WATCHDOG_USEC", "2000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  ServiceNotifier n;
  EXPECT_EQ(n.watchdog_timeout(), absl::ZeroDuration());
  EXPECT_FALSE(n.WatchdogTick(absl::Now()));
  EXPECT_EQ(n.PollTimeout(absl::Milliseconds(100)), absl::Milliseconds(100));
}

}  // namespace
}  // namespace leasewire::service
