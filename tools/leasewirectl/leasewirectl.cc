// leasewirectl: operate a running leasewired through its control socket.
//
//   leasewirectl [--socket PATH | --tcp HOST:PORT] [--json] COMMAND ...
//
// Each command is one request on the control socket (docs/operations.md,
// "Control CLI"). Output is a readable table, or with --json the server's
// "data" object as it came.
//
// Exit status: 0 done, 1 the server refused or failed (the message says
// why and what to do), 2 the command line is wrong, 3 the server could not
// be reached.

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "nlohmann/json.hpp"

namespace {

using Json = nlohmann::json;

constexpr int kProtocolVersion = 1;
constexpr char kDefaultSocket[] = "/run/leasewire/leasewired.sock";
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

struct Connection {
  std::string socket;
  std::string tcp;
  double timeout = 30;
  bool json = false;
};

// Not reaching the server is one kind of failure with its own exit status.
struct Unreachable {
  std::string message;
};

std::string Errno() { return std::strerror(errno); }

int Connect(const Connection& c) {
  if (!c.tcp.empty()) {
    const size_t colon = c.tcp.rfind(':');
    sockaddr_in in{};
    in.sin_family = AF_INET;
    if (colon == std::string::npos ||
        inet_pton(AF_INET, c.tcp.substr(0, colon).c_str(), &in.sin_addr) != 1) {
      throw Unreachable{"--tcp " + c.tcp + ": expected a.b.c.d:port"};
    }
    in.sin_port = htons(static_cast<uint16_t>(
        std::strtoul(c.tcp.substr(colon + 1).c_str(), nullptr, 10)));
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&in), sizeof(in)) != 0) {
      const std::string e = Errno();
      close(fd);
      throw Unreachable{"cannot connect to " + c.tcp + ": " + e +
                        " (is leasewired running with control.tcp set?)"};
    }
    return fd;
  }
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (c.socket.size() >= sizeof(a.sun_path)) {
    throw Unreachable{"socket path too long: " + c.socket};
  }
  std::memcpy(a.sun_path, c.socket.data(), c.socket.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) return fd;
  const int e = errno;
  close(fd);
  switch (e) {
    case ENOENT:
      throw Unreachable{
          "no control socket at " + c.socket +
          ": leasewired is not running, or it uses another socket "
          "(control.socket in its config; give it here with --socket)"};
    case ECONNREFUSED:
      throw Unreachable{"nothing answers on " + c.socket +
                        ": leasewired is not running (the socket is left "
                        "from a crash; the next start removes it)"};
    case EACCES:
    case EPERM:
      throw Unreachable{
          "permission denied on " + c.socket +
          ": run leasewirectl as the server's user or root, or join the "
          "socket's group (control.socket-mode \"0660\")"};
    default:
      throw Unreachable{"cannot connect to " + c.socket + ": " +
                        std::strerror(e)};
  }
}

// Sends one request and returns the server's response.
Json Call(const Connection& c, const std::string& command,
          const Json& arguments = Json::object()) {
  const int fd = Connect(c);
  Json request = {{"version", kProtocolVersion}, {"command", command}};
  if (!arguments.empty()) request["arguments"] = arguments;
  const std::string text = request.dump() + "\n";
  size_t sent = 0;
  while (sent < text.size()) {
    const ssize_t n =
        send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      const std::string e = Errno();
      close(fd);
      throw Unreachable{"sending the request failed: " + e};
    }
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  std::string response;
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(c.timeout * 1000));
  char buf[65536];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) == 0) {
      close(fd);
      throw Unreachable{"no answer within " +
                        std::to_string(static_cast<int>(c.timeout)) +
                        " s: the server is busy or stuck (--timeout)"};
    }
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  Json r = Json::parse(response, nullptr, false);
  if (r.is_discarded() || !r.is_object()) {
    throw Unreachable{"the server's answer is not JSON: " +
                      response.substr(0, 200)};
  }
  return r;
}

// ---------------------------------------------------------------------
// Output.

std::string Str(const Json& j) {
  if (j.is_null()) return "-";
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_float()) {
    char b[32];
    std::snprintf(b, sizeof(b), "%.1f", j.get<double>());
    return b;
  }
  return j.dump();
}

void Table(const std::vector<std::string>& header,
           const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], r[i].size());
    }
  }
  const auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (size_t i = 0; i < header.size(); ++i) {
      std::string cell = i < r.size() ? r[i] : "";
      if (i + 1 < header.size()) cell.resize(width[i], ' ');
      out += cell;
      if (i + 1 < header.size()) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::cout << out << "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
}

std::string Time(const Json& unix_seconds) {
  if (!unix_seconds.is_number()) return "never";
  const time_t t = unix_seconds.get<int64_t>();
  std::tm tm{};
  localtime_r(&t, &tm);
  char b[32];
  std::strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S", &tm);
  return b;
}

std::string Duration(const Json& seconds) {
  if (!seconds.is_number()) return "infinite";
  int64_t s = seconds.get<int64_t>();
  const int64_t d = s / 86400;
  s %= 86400;
  char b[48];
  if (d > 0) {
    std::snprintf(b, sizeof(b), "%lldd %02lld:%02lld:%02lld",
                  static_cast<long long>(d), static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(
        b, sizeof(b), "%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
        static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  }
  return b;
}

void PrintLeases(const Json& leases) {
  std::vector<std::vector<std::string>> rows;
  for (const Json& l : leases) {
    rows.push_back({Str(l["address"]), Str(l["state"]), Str(l["subnet-id"]),
                    Str(l["hw-address"]), Str(l["client-id"]),
                    Str(l["hostname"]), Time(l["expires"]),
                    Duration(l["remaining"]), Str(l["circuit-id"]),
                    Str(l["remote-id"])});
  }
  Table({"ADDRESS", "STATE", "SUBNET", "HW-ADDRESS", "CLIENT-ID", "HOSTNAME",
         "EXPIRES", "LEFT", "CIRCUIT-ID", "REMOTE-ID"},
        rows);
}

void PrintStatus(const Json& d) {
  std::cout << "leasewired " << Str(d["version"]) << ", pid " << Str(d["pid"])
            << ", up " << Duration(d["uptime"]) << " (since "
            << Time(d["started"]) << ")\n";
  const Json& c = d["config"];
  std::cout << "config     " << Str(c["path"]) << "\n"
            << "  sha256   " << Str(c["sha256"]) << "\n"
            << "  loaded   " << Time(c["loaded"]) << ", " << Str(c["subnets"])
            << " subnets, " << Str(c["runtime-reservations"])
            << " runtime reservations\n";
  if (c["changed-on-disk"] == true) {
    std::cout << "  NOTE     the file changed since it was loaded: "
                 "`leasewirectl config test` then `config reload`\n";
  } else if (c["changed-on-disk"].is_null()) {
    std::cout << "  NOTE     " << Str(c["file-error"]) << "\n";
  }
  for (const Json& m : c["left-out"])
    std::cout << "  WARNING  " << Str(m) << "\n";
  const Json& s = d["store"];
  std::cout << "store      " << Str(s["directory"]) << " ("
            << Str(s["durability"]) << "), " << Str(s["state"]) << ", "
            << Str(s["committed"]) << " commits, " << Str(s["failed"])
            << " failed, " << Str(s["disk-bytes"]) << " bytes on disk\n";
  if (!s["last-error"].get<std::string>().empty()) {
    std::cout << "  last error: " << Str(s["last-error"]) << "\n";
  }
  const Json& ctl = d["control"];
  std::cout << "control    " << Str(ctl["socket"]) << ", metrics "
            << Str(ctl["metrics"]) << ", tcp " << Str(ctl["tcp"]) << "\n\n";
  std::vector<std::vector<std::string>> rows;
  for (const Json& w : d["workers"]) {
    rows.push_back({Str(w["index"]), Str(w["lcore"]), Str(w["subnets"])});
  }
  Table({"WORKER", "LCORE", "SUBNETS"}, rows);
  std::cout << "\n";
  rows.clear();
  for (const Json& p : d["ports"]) {
    rows.push_back({Str(p["port-id"]), Str(p["interface"]), Str(p["address"]),
                    Str(p["mac"]), Str(p["link"]), Str(p["speed-mbps"])});
  }
  Table({"PORT", "INTERFACE", "ADDRESS", "MAC", "LINK", "MBPS"}, rows);
}

void PrintStats(const Json& d) {
  std::cout << "counters since " << Time(d["since"])
            << (d["reset"] == true ? " (stats reset)" : " (start-up)") << ", "
            << Duration(static_cast<int64_t>(d["seconds"].get<double>()))
            << "\n\n";
  const Json& t = d["total"];
  const Json& r = d["rates"];
  std::vector<std::vector<std::string>> rows;
  const auto rate = [&r](const char* group, const std::string& key) {
    if (r.is_null()) return std::string("-");
    const Json& g = group == nullptr ? r : r[group];
    return g.contains(key) ? Str(g[key]) : std::string("-");
  };
  rows.push_back({"frames received", Str(t["rx"]), rate(nullptr, "rx")});
  rows.push_back({"frames sent", Str(t["tx"]), rate(nullptr, "tx")});
  // What a server receives and what it sends; other types only when seen.
  const auto wanted = [](const std::string& name, bool received,
                         const Json& v) {
    static const std::vector<std::string> kIn = {"DHCPDISCOVER", "DHCPREQUEST",
                                                 "DHCPDECLINE", "DHCPRELEASE",
                                                 "DHCPINFORM"};
    static const std::vector<std::string> kOut = {"DHCPOFFER", "DHCPACK",
                                                  "DHCPNAK"};
    const auto& list = received ? kIn : kOut;
    return std::find(list.begin(), list.end(), name) != list.end() ||
           (v.is_number() && v.get<uint64_t>() != 0);
  };
  for (const auto& [name, v] : t["received"].items()) {
    if (!wanted(name, true, v)) continue;
    rows.push_back({"received " + name, Str(v), rate("received", name)});
  }
  for (const auto& [name, v] : t["sent"].items()) {
    if (!wanted(name, false, v)) continue;
    rows.push_back({"sent " + name, Str(v), rate("sent", name)});
  }
  rows.push_back({"store commits", Str(d["store"]["committed"]),
                  rate(nullptr, "commits")});
  Table({"COUNTER", "TOTAL", "PER SECOND"}, rows);

  std::cout << "\n";
  rows.clear();
  const auto drops = [&rows](const Json& group, const std::string& prefix) {
    for (const auto& [name, v] : group.items()) {
      if (v.is_number() && v.get<uint64_t>() != 0) {
        rows.push_back({prefix + name, Str(v)});
      }
    }
  };
  drops(t["drops"], "drop ");
  drops(t["verdicts"], "wire ");
  drops(t["no-subnet"], "no subnet: ");
  drops(t["engine"], "engine ");
  if (rows.empty()) {
    std::cout << "no drops\n";
  } else {
    Table({"NOT ANSWERED", "COUNT"}, rows);
  }

  std::cout << "\n";
  const Json& l = d["leases"];
  Table({"LEASES", "OFFERED", "BOUND", "RELEASED", "DECLINED", "EXPIRED"},
        {{"", Str(l["offered"]), Str(l["bound"]), Str(l["released"]),
          Str(l["declined"]), Str(l["expired"])}});
  const Json& s = d["store"];
  std::cout << "\ncommit latency: average " << Str(s["latency-avg-us"])
            << " us over " << Str(s["writes"]) << " writes, "
            << Str(s["failed"]) << " failed";
  if (!r.is_null()) {
    char b[32];
    std::snprintf(b, sizeof(b), "%.0f%%", r["busy-ratio"].get<double>() * 100);
    std::cout << "; workers busy " << b;
  }
  std::cout << "\n";
  if (d.contains("workers")) {
    std::cout << "\n";
    rows.clear();
    for (const Json& w : d["workers"]) {
      rows.push_back({Str(w["index"]), Str(w["lcore"]), Str(w["rx"]),
                      Str(w["tx"]), Str(w["handed-off"]), Str(w["commits"]),
                      Str(w["leases"]["bound"])});
    }
    Table({"WORKER", "LCORE", "RX", "TX", "HANDED-OFF", "COMMITS", "BOUND"},
          rows);
  }
}

void PrintSubnets(const Json& d) {
  std::vector<std::vector<std::string>> rows;
  for (const Json& s : d["subnets"]) {
    char u[16];
    std::snprintf(u, sizeof(u), "%.1f%%", s["utilisation"].get<double>());
    rows.push_back({Str(s["id"]), Str(s["subnet"]), Str(s["worker"]),
                    Str(s["total"]), Str(s["used"]), Str(s["free"]), u,
                    Str(s["reservations"])});
  }
  Table({"ID", "SUBNET", "WORKER", "POOL", "USED", "FREE", "UTIL",
         "RESERVATIONS"},
        rows);
}

void PrintReservations(const Json& d) {
  std::vector<std::vector<std::string>> rows;
  for (const Json& r : d["reservations"]) {
    std::string kind = "-", id = "-";
    for (const char* k :
         {"hw-address", "client-id", "circuit-id", "remote-id"}) {
      if (r.contains(k)) {
        kind = k;
        id = Str(r[k]);
      }
    }
    std::string source = Str(r["source"]);
    if (r.value("inactive", false)) source += " (inactive)";
    rows.push_back({Str(r["subnet-id"]), kind, id,
                    Str(r.value("ip-address", Json())),
                    Str(r.value("hostname", Json())),
                    Str(r.value("valid-lifetime", Json())), source});
  }
  Table({"SUBNET", "KIND", "IDENTIFIER", "ADDRESS", "HOSTNAME", "LIFETIME",
         "SOURCE"},
        rows);
}

// ---------------------------------------------------------------------

struct Identifier {
  std::string address, hw_address, client_id, circuit_id, remote_id;

  void AddTo(CLI::App* app, bool with_address) {
    auto* g = app->add_option_group("identifier", "exactly one of these");
    if (with_address) {
      g->add_option("--address", address, "IPv4 address of the lease");
    }
    g->add_option("--hw-address", hw_address, "MAC, 02:00:00:00:00:01");
    g->add_option("--client-id", client_id,
                  "option 61 as hex octets, 01:02:00:00:00:00:01");
    g->add_option("--circuit-id", circuit_id,
                  "relay agent circuit-id (text, or 0x and hex)");
    g->add_option("--remote-id", remote_id,
                  "relay agent remote-id (text, or 0x and hex)");
    g->require_option(1);
  }
  void Into(Json& args) const {
    if (!address.empty()) args["address"] = address;
    if (!hw_address.empty()) args["hw-address"] = hw_address;
    if (!client_id.empty()) args["client-id"] = client_id;
    if (!circuit_id.empty()) args["circuit-id"] = circuit_id;
    if (!remote_id.empty()) args["remote-id"] = remote_id;
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "leasewirectl: operate a running leasewired through its control "
      "socket.\nExit status: 0 done, 1 refused by the server, 2 bad command "
      "line, 3 server not reachable.",
      "leasewirectl"};
  app.require_subcommand(1);
  Connection conn;
  conn.socket = kDefaultSocket;
  if (const char* env = std::getenv("LEASEWIRE_SOCKET"); env && *env) {
    conn.socket = env;
  }
  app.add_option("-s,--socket", conn.socket,
                 "control socket (default " + std::string(kDefaultSocket) +
                     ", or $LEASEWIRE_SOCKET)")
      ->type_name("PATH");
  app.add_option("--tcp", conn.tcp,
                 "use the control TCP port instead (control.tcp)")
      ->type_name("HOST:PORT");
  app.add_flag("-j,--json", conn.json, "print the server's JSON answer");
  app.add_option("--timeout", conn.timeout, "seconds to wait for the answer")
      ->check(CLI::Range(0.1, 3600.0));

  std::string command;
  Json args = Json::object();
  bool all_pages = false;

  CLI::App* status = app.add_subcommand(
      "status", "version, uptime, workers, ports, store and config file");
  CLI::App* stats =
      app.add_subcommand("stats", "counters and rates, total and per worker");
  bool no_workers = false;
  stats->add_flag("--no-workers", no_workers, "totals only");
  CLI::App* stats_reset =
      stats->add_subcommand("reset", "count from zero from now on");

  CLI::App* lease = app.add_subcommand("lease", "find, list, delete leases");
  lease->require_subcommand(1);
  CLI::App* lease_get = lease->add_subcommand(
      "get", "leases by address, MAC, client-id, circuit-id or remote-id");
  Identifier get_id;
  std::string get_positional;
  lease_get->add_option("ADDRESS", get_positional,
                        "an IPv4 address or a MAC (instead of a flag)");
  auto* get_group = lease_get->add_option_group("identifier");
  get_group->add_option("--address", get_id.address, "IPv4 address");
  get_group->add_option("--hw-address", get_id.hw_address,
                        "MAC, 02:00:00:00:00:01");
  get_group->add_option("--client-id", get_id.client_id,
                        "option 61 as hex octets");
  get_group->add_option("--circuit-id", get_id.circuit_id,
                        "relay circuit-id (text, or 0x and hex)");
  get_group->add_option("--remote-id", get_id.remote_id,
                        "relay remote-id (text, or 0x and hex)");
  get_group->require_option(0, 1);

  CLI::App* lease_list =
      lease->add_subcommand("list", "leases of one subnet, a page at a time");
  uint32_t list_subnet = 0;
  uint32_t list_limit = 100;
  std::string list_cursor;
  lease_list->add_option("--subnet", list_subnet, "subnet id")->required();
  lease_list->add_option("--limit", list_limit, "leases per page (max 1000)")
      ->check(CLI::Range(1, 1000));
  lease_list->add_option("--cursor", list_cursor,
                         "start at this address (the \"next\" of a page)");
  lease_list->add_flag("--all", all_pages, "fetch every page");

  CLI::App* lease_delete = lease->add_subcommand(
      "delete", "end a lease now; its address goes back to the pool");
  std::string delete_address;
  lease_delete->add_option("ADDRESS", delete_address, "the lease's address")
      ->required();

  CLI::App* subnets = app.add_subcommand(
      "subnets", "pool size, used, free and utilisation per subnet");
  uint32_t subnets_id = 0;
  subnets->add_option("--subnet", subnets_id, "only this subnet id");

  CLI::App* res = app.add_subcommand(
      "reservations", "list, add, delete reservations (applied at once)");
  res->require_subcommand(1);
  CLI::App* res_list = res->add_subcommand("list", "reservations in force");
  uint32_t res_subnet = 0;
  std::string res_source = "all";
  res_list->add_option("--subnet", res_subnet, "only this subnet id");
  res_list->add_option("--source", res_source, "all, file or runtime")
      ->check(CLI::IsMember({"all", "file", "runtime"}));
  CLI::App* res_add = res->add_subcommand(
      "add", "add a reservation; kept in the lease database");
  uint32_t add_subnet = 0;
  Identifier add_id;
  std::string add_ip, add_hostname, add_lifetime, add_json;
  res_add->add_option("--subnet", add_subnet, "subnet id")->required();
  add_id.AddTo(res_add, false);
  res_add->add_option("--ip-address", add_ip, "the reserved address");
  res_add->add_option("--hostname", add_hostname, "host name (option 12)");
  res_add->add_option("--valid-lifetime", add_lifetime,
                      "seconds, or \"infinite\"");
  res_add->add_option("--extra", add_json,
                      "more keys as a JSON object, e.g. '{\"option-data\": "
                      "[{\"name\": \"routers\", \"data\": \"10.0.0.1\"}]}'");
  CLI::App* res_delete =
      res->add_subcommand("delete", "delete a reservation added at run time");
  uint32_t del_subnet = 0;
  Identifier del_id;
  res_delete->add_option("--subnet", del_subnet, "subnet id")->required();
  del_id.AddTo(res_delete, false);

  CLI::App* cfg = app.add_subcommand("config", "test or reload the config");
  cfg->require_subcommand(1);
  CLI::App* cfg_test = cfg->add_subcommand(
      "test", "validate a file as the server would load it");
  std::string test_path;
  cfg_test
      ->add_option("FILE", test_path,
                   "the file (default: the server's own config file)")
      ->check(CLI::ExistingFile);
  CLI::App* cfg_reload = cfg->add_subcommand(
      "reload", "load the config file again; leases are kept");

  CLI::App* backup = app.add_subcommand(
      "backup",
      "copy the lease database to DIR while the server runs; DIR is "
      "written by the server and usable as leasewired --lease-dir");
  std::string backup_dir;
  backup
      ->add_option("DIR", backup_dir,
                   "a new directory (it must not exist; its parent must)")
      ->required();

  CLI::App* shutdown = app.add_subcommand("shutdown", "stop the server");
  CLI::App* commands =
      app.add_subcommand("commands", "commands the server knows");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }

  if (status->parsed()) {
    command = "status";
  } else if (stats_reset->parsed()) {
    command = "stats-reset";
  } else if (stats->parsed()) {
    command = "stats";
    if (no_workers) args["workers"] = false;
  } else if (lease_get->parsed()) {
    command = "lease-get";
    get_id.Into(args);
    if (!get_positional.empty()) {
      if (!args.empty()) {
        std::cerr << "leasewirectl: give the lease either as ADDRESS or with "
                     "a flag, not both\n";
        return kExitUsage;
      }
      in_addr unused;
      args[inet_pton(AF_INET, get_positional.c_str(), &unused) == 1
               ? "address"
               : "hw-address"] = get_positional;
    }
    if (args.empty()) {
      std::cerr << "leasewirectl: lease get needs ADDRESS, or one of "
                   "--address, --hw-address, --client-id, --circuit-id, "
                   "--remote-id\n";
      return kExitUsage;
    }
  } else if (lease_list->parsed()) {
    command = "lease-list";
    args["subnet-id"] = list_subnet;
    args["limit"] = list_limit;
    if (!list_cursor.empty()) args["cursor"] = list_cursor;
  } else if (lease_delete->parsed()) {
    command = "lease-delete";
    args["address"] = delete_address;
  } else if (subnets->parsed()) {
    command = "subnets";
    if (subnets_id != 0) args["subnet-id"] = subnets_id;
  } else if (res_list->parsed()) {
    command = "reservation-list";
    if (res_subnet != 0) args["subnet-id"] = res_subnet;
    args["source"] = res_source;
  } else if (res_add->parsed()) {
    command = "reservation-add";
    Json r = Json::object();
    if (!add_json.empty()) {
      r = Json::parse(add_json, nullptr, false);
      if (r.is_discarded() || !r.is_object()) {
        std::cerr << "leasewirectl: --extra is not a JSON object\n";
        return kExitUsage;
      }
    }
    add_id.Into(r);
    if (!add_ip.empty()) r["ip-address"] = add_ip;
    if (!add_hostname.empty()) r["hostname"] = add_hostname;
    if (!add_lifetime.empty()) {
      char* end = nullptr;
      const unsigned long v = std::strtoul(add_lifetime.c_str(), &end, 10);
      if (end != nullptr && *end == '\0' && !add_lifetime.empty()) {
        r["valid-lifetime"] = v;
      } else {
        r["valid-lifetime"] = add_lifetime;
      }
    }
    args["subnet-id"] = add_subnet;
    args["reservation"] = r;
  } else if (res_delete->parsed()) {
    command = "reservation-delete";
    args["subnet-id"] = del_subnet;
    del_id.Into(args);
  } else if (cfg_test->parsed()) {
    command = "config-test";
    if (!test_path.empty()) {
      args["path"] = std::filesystem::absolute(test_path).lexically_normal();
    }
  } else if (cfg_reload->parsed()) {
    command = "config-reload";
  } else if (backup->parsed()) {
    command = "backup";
    // The server resolves nothing against our working directory.
    args["directory"] =
        std::filesystem::absolute(backup_dir).lexically_normal().string();
    // A large database copied to another filesystem takes a while.
    if (app.get_option("--timeout")->count() == 0) conn.timeout = 3600;
  } else if (shutdown->parsed()) {
    command = "shutdown";
  } else if (commands->parsed()) {
    command = "commands";
  }

  try {
    std::vector<Json> pages;
    while (true) {
      Json r = Call(conn, command, args);
      if (r.value("status", "") != "ok") {
        if (conn.json) {
          std::cout << r.dump(2) << "\n";
        }
        std::cerr << "leasewirectl: " << command << ": "
                  << r.value("error", std::string("failed")) << " ["
                  << r.value("code", std::string("?")) << "]\n";
        return kExitRefused;
      }
      pages.push_back(r["data"]);
      if (command == "lease-list" && all_pages &&
          !r["data"]["next"].is_null()) {
        args["cursor"] = r["data"]["next"];
        continue;
      }
      break;
    }
    const Json& d = pages.back();
    if (conn.json) {
      if (pages.size() == 1) {
        std::cout << d.dump(2) << "\n";
      } else {
        Json all = pages.front();
        for (size_t i = 1; i < pages.size(); ++i) {
          for (const Json& l : pages[i]["leases"]) all["leases"].push_back(l);
        }
        all["next"] = nullptr;
        std::cout << all.dump(2) << "\n";
      }
      return 0;
    }
    if (command == "status") {
      PrintStatus(d);
    } else if (command == "stats") {
      PrintStats(d);
    } else if (command == "stats-reset") {
      std::cout << "stats reset at " << Time(d["since"]) << " ("
                << Str(d["message"]) << ")\n";
    } else if (command == "lease-get") {
      PrintLeases(d["leases"]);
    } else if (command == "lease-list") {
      Json leases = Json::array();
      for (const Json& p : pages) {
        for (const Json& l : p["leases"]) leases.push_back(l);
      }
      PrintLeases(leases);
      if (!d["next"].is_null()) {
        std::cout << "more: leasewirectl lease list --subnet " << d["subnet-id"]
                  << " --cursor " << Str(d["next"]) << "   (or --all)\n";
      }
    } else if (command == "lease-delete") {
      std::cout << "deleted the lease of " << Str(d["deleted"]["address"])
                << " (" << Str(d["deleted"]["state"]) << ", "
                << Str(d["deleted"]["hw-address"])
                << "); the address is free again\n";
    } else if (command == "subnets") {
      PrintSubnets(d);
    } else if (command == "reservation-list") {
      PrintReservations(d);
      if (!d["next"].is_null()) std::cout << "(more: --json and cursor)\n";
    } else if (command == "reservation-add") {
      std::cout << "added reservation " << Str(d["key"]) << "; in force now\n";
    } else if (command == "reservation-delete") {
      std::cout << "deleted reservation " << Str(d["deleted"])
                << "; in force now\n";
    } else if (command == "config-test") {
      std::cout << Str(d["path"]) << ": OK (" << Str(d["subnets"])
                << " subnets, " << Str(d["pools"]) << " pools, "
                << Str(d["reservations"]) << " reservations, "
                << Str(d["runtime-reservations"])
                << " of them added at run time)\n";
      for (const Json& m : d["left-out"])
        std::cout << "WARNING: " << Str(m) << "\n";
      for (const Json& m : d["restart-needed"]) {
        std::cout << "NOTE: \"" << Str(m)
                  << "\" differs from the running config and takes effect "
                     "only at restart\n";
      }
      if (!d["reload-refused-for"].empty()) {
        std::cout << "NOTE: the interfaces differ: config reload will refuse "
                     "this file; restart instead\n";
      }
    } else if (command == "config-reload") {
      std::cout << "reloaded (" << Str(d["subnets"]) << " subnets, sha256 "
                << Str(d["sha256"]).substr(0, 12) << "); bound leases "
                << Str(d.value("bound-before", Json())) << " before, "
                << Str(d.value("bound-after", Json())) << " after\n";
      for (const Json& m : d["left-out"])
        std::cout << "WARNING: " << Str(m) << "\n";
      for (const Json& m : d["restart-needed"]) {
        std::cout << "NOTE: changes to \"" << Str(m)
                  << "\" take effect at restart\n";
      }
    } else if (command == "backup") {
      std::cout << "backed up " << Str(d["lease-records"])
                << " lease records and " << Str(d["reservations"])
                << " runtime reservations (sequence " << Str(d["last-sequence"])
                << ", " << Str(d["disk-bytes"]) << " bytes) to "
                << Str(d["directory"]) << "\n"
                << "restore: stop leasewired, start it with --lease-dir "
                << Str(d["directory"])
                << " (or copy the directory to lease-database.directory)\n";
      if (d.value("damaged-records", 0) != 0) {
        std::cout << "WARNING: " << Str(d["damaged-records"])
                  << " damaged records were copied as they are; the server "
                     "skips them at start-up\n";
      }
    } else if (command == "shutdown") {
      std::cout << Str(d["message"]) << "\n";
    } else if (command == "commands") {
      std::vector<std::vector<std::string>> rows;
      for (const Json& c : d["commands"]) {
        rows.push_back({Str(c["command"]), Str(c["summary"])});
      }
      Table({"COMMAND", "WHAT"}, rows);
    }
    return 0;
  } catch (const Unreachable& u) {
    std::cerr << "leasewirectl: " << u.message << "\n";
    return kExitUnreachable;
  } catch (const Json::exception& e) {
    std::cerr << "leasewirectl: unexpected answer from the server: " << e.what()
              << " (is leasewirectl the same release?)\n";
    return kExitRefused;
  }
}
