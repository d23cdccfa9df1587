#!/usr/bin/env bash
# Installs leasewire's Debian 12 packages. Idempotent: asks dpkg which
# packages are missing and runs apt-get only when something is.
#
#   tools/install-deps.sh [build|demo|bench|all]    (default: build)
#
#   build  toolchain and libraries: everything a build needs, and what
#          `cpack -G DEB` and the man page check use (dpkg-dev, man-db)
#   demo   build + what the live demo and the real-client tests drive:
#          iproute2, ethtool, ping, arping, dhclient, udhcpc, dhcpcd, Kea (kea-dhcp4 and
#          perfdhcp, which Debian ships in kea-admin), scapy, tshark,
#          faketime (the clock-step edge case), prometheus (for promtool;
#          its service is disabled), dpdk (dpdk-devbind.py for
#          deploy/host-prep.sh)
#   bench  demo + the peers of the benchmark suite (bench/run-suite):
#          ISC dhcpd (isc-dhcp-server), dnsmasq (dnsmasq-base: the binary
#          without the system service) and python3-matplotlib for the
#          plots; Kea and perfdhcp come with demo. The suite starts every
#          server itself in its own namespace: the services of
#          kea-dhcp4-server and isc-dhcp-server are disabled and masked
#   all    every group above
#
# Needs root only when something is missing.
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build pkg-config
  clang-14 libclang-rt-14-dev clang-format
  libdpdk-dev librocksdb-dev libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libspdlog-dev libcli11-dev libpcap-dev libcpp-httplib-dev
  libssl-dev libsystemd-dev
  dpkg-dev fakeroot man-db
  python3
)

# dhcpcd-base is the dhcpcd binary alone; the dhcpcd/dhcpcd5 packages add a
# system-wide dhcpcd service that would start managing the host's interfaces.
# perfdhcp is in kea-admin on Debian 12.
DEMO_PKGS=(
  iproute2 ethtool iputils-ping arping
  isc-dhcp-client udhcpc dhcpcd-base
  kea-dhcp4-server kea-admin
  python3-scapy tshark faketime prometheus
  dpdk
)

# perfdhcp is in kea-admin (demo); kea-dhcp4 is multi-threaded on request.
BENCH_PKGS=(
  isc-dhcp-server dnsmasq-base python3-matplotlib
)

usage() {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
}

group="${1:-build}"
case "$group" in
  build) wanted=("${BUILD_PKGS[@]}") ;;
  demo) wanted=("${BUILD_PKGS[@]}" "${DEMO_PKGS[@]}") ;;
  bench | all) wanted=("${BUILD_PKGS[@]}" "${DEMO_PKGS[@]}" "${BENCH_PKGS[@]}") ;;
  -h | --help) usage; exit 0 ;;
  *) echo "install-deps.sh: unknown group '$group'" >&2; usage >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)"
  if [[ "$status" != ii* ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#wanted[@]} packages of group '$group' are" \
    "installed; nothing to do."
  exit 0
fi

echo "install-deps: group '$group': missing ${#missing[@]} of" \
  "${#wanted[@]} packages: ${missing[*]}"

if ((EUID != 0)); then
  echo "install-deps: need root to install them (run with sudo)." >&2
  exit 1
fi

# tshark asks whether non-root users may capture; answer it up front.
for pkg in "${missing[@]}"; do
  if [[ "$pkg" == tshark ]]; then
    echo "install-deps: preseeding wireshark-common/install-setuid=false"
    echo "wireshark-common wireshark-common/install-setuid boolean false" |
      debconf-set-selections
  fi
done

# DHCP servers must never start as services, not even for the moment
# between their installation and the disabling below (isc-dhcp-server's
# would answer on the host's own network): a policy-rc.d that refuses every
# start while apt-get runs, unless the host already has one.
policy=/usr/sbin/policy-rc.d
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\n# install-deps.sh: no service starts during apt-get\nexit 101\n' \
    >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi

echo "install-deps: apt-get update"
apt-get update
echo "install-deps: apt-get install ${missing[*]}"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  "${missing[@]}"
echo "install-deps: installed ${missing[*]}"

# Three packages bring services nobody asked for: prometheus is here for
# promtool (the metrics tests check leasewired's exposition with it), Kea
# and ISC dhcpd for the benchmarks, which start their own servers. Keep
# their daemons off: disabled (and the DHCP servers masked) with systemd,
# removed from the runlevels with SysV init.
for pkg in "${missing[@]}"; do
  case "$pkg" in
    prometheus | kea-dhcp4-server | isc-dhcp-server) ;;
    *) continue ;;
  esac
  echo "install-deps: disabling the $pkg service (not used as a service)"
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    systemctl disable --now "$pkg" || true
    if [[ "$pkg" != prometheus ]]; then systemctl mask "$pkg" || true; fi
  elif [[ -x "/etc/init.d/$pkg" ]] && command -v update-rc.d >/dev/null; then
    update-rc.d "$pkg" disable || true
  fi
done
