// File: src/leasewired/service_notifier.h
//
// leasewired's side of systemd's service notification protocol
// (sd_notify(3)): READY=1 once it serves, STATUS= lines for
// `systemctl status`, RELOADING=1 around a config reload, STOPPING=1 on
// the way out and WATCHDOG=1 pings when the unit sets WatchdogSec=.
//
// Without NOTIFY_SOCKET in the environment (leasewired started by hand, by
// a test, or under another supervisor) every call does nothing.
//
// Example (leasewired's main loop):
//   ServiceNotifier notifier;
//   notifier.Ready("serving 12 subnets");
//   while (running) {
//     control->Poll(notifier.PollTimeout(absl::Milliseconds(100)));
//     notifier.WatchdogTick(absl::Now());
//   }
//   notifier.Stopping("signal 15");
//
// Thread safety: thread-compatible; leasewired calls it from its main
// thread only.

#ifndef LEASEWIRE_LEASEWIRED_SERVICE_NOTIFIER_H_
#define LEASEWIRE_LEASEWIRED_SERVICE_NOTIFIER_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace leasewire::service {

class ServiceNotifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID once.
  ServiceNotifier();

  // NOTIFY_SOCKET is set: messages go somewhere.
  bool enabled() const { return enabled_; }
  // The watchdog timeout the service manager set (WatchdogSec=), or
  // absl::ZeroDuration() without one.
  absl::Duration watchdog_timeout() const { return watchdog_; }

  // "READY=1" and "STATUS=<status>": start-up is over, the server serves.
  void Ready(std::string_view status);
  // "STATUS=<status>" alone.
  void Status(std::string_view status);
  // "RELOADING=1" and the status; Ready() ends the reload.
  void Reloading(std::string_view status);
  // "STOPPING=1" and the status: shutting down, nothing is served.
  void Stopping(std::string_view status);

  // Sends "WATCHDOG=1" if half the watchdog timeout has passed since the
  // last ping (or there was none yet). Returns whether it sent one.
  bool WatchdogTick(absl::Time now);
  // `wanted`, shortened so that a loop sleeping that long between ticks
  // still pings twice per watchdog timeout.
  absl::Duration PollTimeout(absl::Duration wanted) const;

  // Messages sent successfully (for logs and tests).
  int sent() const { return sent_; }

 private:
  void Send(const std::string& message);

  bool enabled_ = false;
  absl::Duration watchdog_ = absl::ZeroDuration();
  absl::Time last_ping_ = absl::InfinitePast();
  int sent_ = 0;
};

}  // namespace leasewire::service

#endif  // LEASEWIRE_LEASEWIRED_SERVICE_NOTIFIER_H_
