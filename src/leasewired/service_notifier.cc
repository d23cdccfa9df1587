#include "leasewired/service_notifier.h"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace leasewire::service {
namespace {

// STATUS= is one line: a newline would start another assignment.
std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

ServiceNotifier::ServiceNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && socket[0] != '\0';
  uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) is us.
  if (enabled_ && sd_watchdog_enabled(/*unset_environment=*/0, &usec) > 0 &&
      usec > 0) {
    watchdog_ = absl::Microseconds(static_cast<int64_t>(usec));
  }
}

void ServiceNotifier::Send(const std::string& message) {
  if (!enabled_) return;
  const int r = sd_notify(/*unset_environment=*/0, message.c_str());
  if (r > 0) {
    ++sent_;
  } else if (r < 0) {
    spdlog::warn("sd_notify to {}: {}", std::getenv("NOTIFY_SOCKET"),
                 std::strerror(-r));
  }
}

void ServiceNotifier::Ready(std::string_view status) {
  Send(absl::StrCat("READY=1\nSTATUS=", OneLine(status)));
}

void ServiceNotifier::Status(std::string_view status) {
  Send(absl::StrCat("STATUS=", OneLine(status)));
}

void ServiceNotifier::Reloading(std::string_view status) {
  Send(absl::StrCat("RELOADING=1\nSTATUS=", OneLine(status)));
}

void ServiceNotifier::Stopping(std::string_view status) {
  Send(absl::StrCat("STOPPING=1\nSTATUS=", OneLine(status)));
}

bool ServiceNotifier::WatchdogTick(absl::Time now) {
  if (!enabled_ || watchdog_ == absl::ZeroDuration()) return false;
  if (now - last_ping_ < watchdog_ / 2) return false;
  last_ping_ = now;
  Send("WATCHDOG=1");
  return true;
}

absl::Duration ServiceNotifier::PollTimeout(absl::Duration wanted) const {
  if (watchdog_ == absl::ZeroDuration()) return wanted;
  return std::min(wanted, watchdog_ / 4);
}

}  // namespace leasewire::service
