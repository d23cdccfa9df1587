// leasewired: the leasewire DHCPv4 server.
//
//   leasewired --check-config FILE   validate FILE, print a summary
//   leasewired --version | --help
//
// Exit status: 0 success, 2 bad configuration or nothing to do, other
// non-zero values for command-line errors (CLI11).

#include <cstdio>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "leasewire/config/config.h"
#include "spdlog/spdlog.h"

namespace {

constexpr int kExitBadConfig = 2;

// Loads `path` and prints "PATH: OK (...)" or "PATH: <error>".
int CheckConfig(const std::string& path) {
  const absl::StatusOr<std::shared_ptr<const leasewire::config::Config>>
      config = leasewire::config::LoadConfigFile(path);
  if (!config.ok()) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(),
                 std::string(config.status().message()).c_str());
    return kExitBadConfig;
  }
  size_t pools = 0;
  size_t reservations = 0;
  for (const leasewire::config::Subnet& s : (*config)->subnets) {
    pools += s.pools.size();
    reservations += s.reservations.size();
  }
  std::printf("%s: OK (%zu subnets, %zu pools, %zu reservations)\n",
              path.c_str(), (*config)->subnets.size(), pools, reservations);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"leasewired: DHCPv4 server for ISPs", "leasewired"};
  app.set_version_flag("--version", "leasewired " LEASEWIRE_VERSION);
  std::string check_path;
  app.add_option("--check-config", check_path,
                 "Load and validate the configuration FILE, print a summary "
                 "and exit (0: valid, 2: invalid)")
      ->type_name("FILE");
  CLI11_PARSE(app, argc, argv);

  if (!check_path.empty()) return CheckConfig(check_path);

  // TODO(#5): serve: load the configuration, start the data plane workers
  // and the control socket.
  spdlog::error(
      "serving is not implemented yet: it arrives with the data plane "
      "(issue #5); use --check-config FILE");
  return kExitBadConfig;
}
