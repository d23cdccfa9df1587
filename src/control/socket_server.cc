#include "control/socket_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include "absl/strings/numbers.h"
#include "control/text.h"

namespace leasewire::control {

using internal::Cat;
using internal::Join;
namespace {

std::string Errno(int e) { return std::strerror(e); }

bool FillUnixAddress(const std::string& path, sockaddr_un* a) {
  std::memset(a, 0, sizeof(*a));
  a->sun_family = AF_UNIX;
  if (path.size() >= sizeof(a->sun_path)) return false;
  std::memcpy(a->sun_path, path.data(), path.size());
  return true;
}

// Whether a server accepts connections on the socket at `path`.
bool Answers(const std::string& path) {
  sockaddr_un a;
  if (!FillUnixAddress(path, &a)) return false;
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok =
      connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

}  // namespace

SocketServer::SocketServer(SocketServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

absl::StatusOr<std::unique_ptr<SocketServer>> SocketServer::Start(
    SocketServerOptions options, Handler handler) {
  std::unique_ptr<SocketServer> s(
      new SocketServer(std::move(options), std::move(handler)));
  if (absl::Status st = s->Listen(); !st.ok()) return st;
  return s;
}

absl::Status SocketServer::Listen() {
  const std::string& path = options_.unix_path;
  sockaddr_un addr;
  if (path.empty() || !FillUnixAddress(path, &addr)) {
    return absl::InvalidArgumentError(Cat(
        "control socket \"", path, "\": empty or longer than 107 characters"));
  }
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          Cat("control socket ", path, ": cannot create directory ",
              dir.string(), ": ", ec.message()));
    }
  }
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(
          Cat("control socket ", path,
              " exists and is not a socket; remove it or set control.socket "
              "(or --control-socket) to another path"));
    }
    if (Answers(path)) {
      return absl::AlreadyExistsError(Cat(
          "control socket ", path,
          " is in use: another leasewired is running with it; stop that one "
          "or give this one its own control.socket / --control-socket"));
    }
    // Left by a server that did not exit cleanly (kill -9, power cut).
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return absl::FailedPreconditionError(
          Cat("control socket ", path,
              ": cannot remove the stale socket: ", Errno(errno)));
    }
  }
  unix_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (unix_fd_ < 0) {
    return absl::InternalError(Cat("socket(AF_UNIX): ", Errno(errno)));
  }
  // Never a moment with wider permissions than asked: bind under a umask
  // that leaves exactly `mode`, then set the mode explicitly.
  const mode_t old_umask = umask(static_cast<mode_t>(~options_.mode & 0777));
  const int bound =
      bind(unix_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  const int bind_errno = errno;
  umask(old_umask);
  if (bound != 0) {
    return absl::FailedPreconditionError(
        Cat("control socket ", path, ": bind: ", Errno(bind_errno)));
  }
  if (chmod(path.c_str(), options_.mode) != 0 ||
      lstat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        Cat("control socket ", path, ": chmod: ", Errno(errno)));
  }
  socket_dev_ = st.st_dev;
  socket_ino_ = st.st_ino;
  if (listen(unix_fd_, 64) != 0) {
    return absl::InternalError(
        Cat("control socket ", path, ": listen: ", Errno(errno)));
  }

  if (!options_.tcp.empty()) {
    const size_t colon = options_.tcp.rfind(':');
    const std::string host = options_.tcp.substr(0, colon);
    int port = 0;
    sockaddr_in in{};
    in.sin_family = AF_INET;
    if (colon == std::string::npos ||
        !absl::SimpleAtoi(options_.tcp.substr(colon + 1), &port) || port < 0 ||
        port > 65535 || inet_pton(AF_INET, host.c_str(), &in.sin_addr) != 1) {
      return absl::InvalidArgumentError(Cat("control TCP port \"", options_.tcp,
                                            "\": expected a.b.c.d:port"));
    }
    in.sin_port = htons(static_cast<uint16_t>(port));
    tcp_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (tcp_fd_ < 0) {
      return absl::InternalError(Cat("socket(AF_INET): ", Errno(errno)));
    }
    const int one = 1;
    setsockopt(tcp_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(tcp_fd_, reinterpret_cast<const sockaddr*>(&in), sizeof(in)) !=
            0 ||
        listen(tcp_fd_, 64) != 0) {
      return absl::UnavailableError(
          Cat("control TCP port ", options_.tcp, ": ", Errno(errno),
              " (another program on that port? change control.tcp)"));
    }
    socklen_t len = sizeof(in);
    getsockname(tcp_fd_, reinterpret_cast<sockaddr*>(&in), &len);
    tcp_port_ = ntohs(in.sin_port);
  }
  return absl::OkStatus();
}

SocketServer::~SocketServer() {
  for (const std::unique_ptr<Client>& c : clients_) close(c->fd);
  if (tcp_fd_ >= 0) close(tcp_fd_);
  if (unix_fd_ >= 0) {
    close(unix_fd_);
    // Only our own socket: another server may have replaced it meanwhile.
    struct stat st;
    if (socket_ino_ != 0 && lstat(options_.unix_path.c_str(), &st) == 0 &&
        st.st_dev == socket_dev_ && st.st_ino == socket_ino_) {
      unlink(options_.unix_path.c_str());
    }
  }
}

void SocketServer::Accept(int listen_fd, bool is_unix) {
  // A bounded number per round, so that a flood cannot starve answering.
  for (int i = 0; i < 64 && clients_.size() < options_.max_clients; ++i) {
    sockaddr_storage from;
    socklen_t len = sizeof(from);
    const int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&from), &len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a connection that went away
    auto c = std::make_unique<Client>();
    c->fd = fd;
    c->deadline = absl::Now() + options_.client_timeout;
    if (is_unix) {
      ucred cred{};
      socklen_t cl = sizeof(cred);
      if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0) {
        c->peer.description = Cat("uid ", cred.uid, " pid ", cred.pid);
      } else {
        c->peer.description = "unix socket";
      }
    } else {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&from);
      char text[INET_ADDRSTRLEN] = "?";
      inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
      c->peer.description = Cat("tcp ", text, ":", ntohs(in->sin_port));
    }
    clients_.push_back(std::move(c));
  }
}

void SocketServer::Answer(Client& c, std::string response) {
  c.answering = true;
  c.out = std::move(response);
  c.written = 0;
  c.deadline = absl::Now() + options_.client_timeout;
  shutdown(c.fd, SHUT_RD);
}

bool SocketServer::Read(Client& c) {
  char buf[16384];
  bool eof = false;
  while (true) {
    const ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      if (c.in.find('\n') != std::string::npos ||
          c.in.size() > options_.max_request) {
        break;
      }
      continue;
    }
    if (n == 0) {
      eof = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    return false;  // reset by the peer
  }
  const size_t newline = c.in.find('\n');
  const size_t end = newline != std::string::npos ? newline : c.in.size();
  if (end > options_.max_request) {
    Answer(c, ErrorResponse({ErrorCode::kBadRequest,
                             Cat("request larger than ", options_.max_request,
                                 " octets; send one command per connection")}));
    return Write(c);
  }
  if (newline == std::string::npos && !eof) return true;  // more to come
  const std::string_view text(c.in.data(), end);
  if (text.find_first_not_of(" \t\r") == std::string_view::npos) {
    if (eof && c.in.empty()) return false;  // a probe: connect and close
    Answer(c, ErrorResponse({ErrorCode::kBadRequest,
                             "empty request; send one JSON object such as "
                             "{\"version\": 1, \"command\": \"status\"}"}));
    return Write(c);
  }
  std::string response = handler_(text, c.peer);
  Answer(c, std::move(response));
  return Write(c);
}

bool SocketServer::Write(Client& c) {
  while (c.written < c.out.size()) {
    const ssize_t n = send(c.fd, c.out.data() + c.written,
                           c.out.size() - c.written, MSG_NOSIGNAL);
    if (n > 0) {
      c.written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
  return false;  // all sent: close
}

void SocketServer::Poll(absl::Duration timeout) {
  std::vector<pollfd> fds;
  fds.reserve(clients_.size() + 2);
  // At capacity, new connections wait in the listen backlog until a slot
  // frees (a client answered, or dropped at its deadline).
  const short accept_events =
      clients_.size() < options_.max_clients ? POLLIN : 0;
  fds.push_back({unix_fd_, accept_events, 0});
  if (tcp_fd_ >= 0) fds.push_back({tcp_fd_, accept_events, 0});
  const size_t first_client = fds.size();
  absl::Time wake = absl::Now() + timeout;
  for (const std::unique_ptr<Client>& c : clients_) {
    fds.push_back(
        {c->fd, static_cast<short>(c->answering ? POLLOUT : POLLIN), 0});
    wake = std::min(wake, c->deadline);
  }
  const int64_t ms = std::max<int64_t>(
      0,
      absl::ToInt64Milliseconds(wake - absl::Now() + absl::Microseconds(999)));
  const int ready = poll(fds.data(), fds.size(), static_cast<int>(ms));
  if (ready > 0) {
    // Clients first: the accepts below append to clients_.
    std::vector<bool> done(clients_.size(), false);
    for (size_t i = 0; i < clients_.size(); ++i) {
      const pollfd& p = fds[first_client + i];
      if (p.revents == 0) continue;
      Client& c = *clients_[i];
      if (c.answering) {
        done[i] = !Write(c);
      } else if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
        done[i] = !Read(c);
      }
    }
    size_t kept = 0;
    for (size_t i = 0; i < clients_.size(); ++i) {
      if (done[i]) {
        close(clients_[i]->fd);
      } else {
        clients_[kept++] = std::move(clients_[i]);
      }
    }
    clients_.resize(kept);
    if (fds[0].revents & POLLIN) Accept(unix_fd_, true);
    if (tcp_fd_ >= 0 && (fds[1].revents & POLLIN)) Accept(tcp_fd_, false);
  }
  // Past their deadline: a client still sending gets a timeout error (best
  // effort), one not reading its answer is just closed.
  const absl::Time now = absl::Now();
  size_t kept = 0;
  for (size_t i = 0; i < clients_.size(); ++i) {
    Client& c = *clients_[i];
    if (now < c.deadline) {
      clients_[kept++] = std::move(clients_[i]);
      continue;
    }
    if (!c.answering) {
      const std::string late =
          ErrorResponse({ErrorCode::kBadRequest,
                         Cat("no complete request within ",
                             absl::FormatDuration(options_.client_timeout),
                             "; end the request with a newline")});
      [[maybe_unused]] ssize_t n =
          send(c.fd, late.data(), late.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    close(c.fd);
  }
  clients_.resize(kept);
}

}  // namespace leasewire::control
