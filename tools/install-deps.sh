#!/usr/bin/env bash
# Installs leasewire's Debian 12 packages. Idempotent: asks dpkg which
# packages are missing and runs apt-get only when something is.
#
#   tools/install-deps.sh [build|demo|all]    (default: build)
#
#   build  toolchain and libraries: everything a build needs, and what
#          `cpack -G DEB` and the man page check use (dpkg-dev, man-db)
#   demo   build + what the live demo and the real-client tests drive:
#          iproute2, ethtool, ping, arping, dhclient, udhcpc, dhcpcd, Kea (kea-dhcp4 and
#          perfdhcp, which Debian ships in kea-admin), scapy, tshark,
#          faketime (the clock-step edge case), prometheus (for promtool;
#          its service is disabled), dpdk (dpdk-devbind.py for
#          deploy/host-prep.sh)
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

usage() {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
}

group="${1:-build}"
case "$group" in
  build) wanted=("${BUILD_PKGS[@]}") ;;
  demo | all) wanted=("${BUILD_PKGS[@]}" "${DEMO_PKGS[@]}") ;;
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

echo "install-deps: apt-get update"
apt-get update
echo "install-deps: apt-get install ${missing[*]}"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  "${missing[@]}"
echo "install-deps: installed ${missing[*]}"

# Two packages bring services nobody asked for: prometheus is here for
# promtool (the metrics tests check leasewired's exposition with it), Kea
# for the benchmarks, which start their own kea-dhcp4. Keep their daemons
# off on a host with systemd.
for pkg in "${missing[@]}"; do
  case "$pkg" in
    prometheus | kea-dhcp4-server) ;;
    *) continue ;;
  esac
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    echo "install-deps: disabling the $pkg service (not used as a service)"
    systemctl disable --now "$pkg" || true
  fi
done
