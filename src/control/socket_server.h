// File: control/socket_server.h (private to the control layer)
//
// The transport of the control protocol: a Unix stream socket (and, when
// configured, a TCP port) served from one thread without blocking on any
// client. Each connection carries one request (up to a newline or the
// client's shutdown of its sending side, at most max_request octets) and
// gets one response, then it is closed. A client that is too slow (no
// complete request, or a response not taken, within client_timeout) is
// dropped; past max_clients, new connections wait in the listen backlog
// until a slot frees.
// The handler runs on the polling thread.
//
// Thread safety: thread-compatible; one thread calls Poll().

#ifndef LEASEWIRE_CONTROL_SOCKET_SERVER_H_
#define LEASEWIRE_CONTROL_SOCKET_SERVER_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "leasewire/control/protocol.h"

namespace leasewire::control {

struct SocketServerOptions {
  std::string unix_path;  // required
  uint32_t mode = 0600;
  std::string tcp;  // "a.b.c.d:port"; empty: no TCP port
  size_t max_request = kMaxRequestBytes;
  absl::Duration client_timeout = absl::Seconds(5);
  size_t max_clients = 16;
};

// Who sent a request, for the log: "uid 0 pid 1234" or "tcp 127.0.0.1:5000".
struct Peer {
  std::string description;
};

class SocketServer {
 public:
  using Handler =
      std::function<std::string(std::string_view request, const Peer& peer)>;

  // Creates the socket's directory if missing, removes a stale socket
  // (one nobody answers on), binds with `mode` and listens. Fails when
  // another server answers on the path, or the path is not a socket.
  static absl::StatusOr<std::unique_ptr<SocketServer>> Start(
      SocketServerOptions options, Handler handler);
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;
  // Closes every connection and removes the socket file if it is still
  // the one this server made.
  ~SocketServer();

  // Waits up to `timeout` for activity and serves what is ready: accepts,
  // reads, answers complete requests, drops clients past their deadline.
  void Poll(absl::Duration timeout);

  const std::string& path() const { return options_.unix_path; }
  // The bound TCP port (0: none).
  int tcp_port() const { return tcp_port_; }
  size_t clients() const { return clients_.size(); }

 private:
  struct Client {
    int fd = -1;
    Peer peer;
    std::string in;
    std::string out;
    size_t written = 0;
    bool answering = false;
    absl::Time deadline;
  };

  SocketServer(SocketServerOptions options, Handler handler);
  absl::Status Listen();
  void Accept(int listen_fd, bool is_unix);
  // Reads what is there; answers when the request is complete. Returns
  // false when the client is finished with (to be closed).
  bool Read(Client& c);
  bool Write(Client& c);
  void Answer(Client& c, std::string response);

  SocketServerOptions options_;
  Handler handler_;
  int unix_fd_ = -1;
  int tcp_fd_ = -1;
  int tcp_port_ = 0;
  dev_t socket_dev_ = 0;
  ino_t socket_ino_ = 0;
  std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace leasewire::control

#endif  // LEASEWIRE_CONTROL_SOCKET_SERVER_H_
