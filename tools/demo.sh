#!/usr/bin/env bash
# leasewire in three minutes: builds leasewired, serves a lab LAN through
# DPDK (net_af_packet on a veth pair between two network namespaces) and
# lets real clients and perfdhcp get leases. Run as root on Debian 12:
#
#   sudo bash tools/demo.sh
#
# Steps: install the packages (tools/install-deps.sh all), build leasewired
# (Release, build-demo/), create namespaces lwdNNNNNs (server) and
# lwdNNNNNc (clients) joined by a veth pair, start leasewired with
# deploy/examples/one-lan.json (10.20.0.0/24, server 10.20.0.2), then run
# dhclient, udhcpc and perfdhcp in the client namespace and print what they
# got. Everything the demo creates is removed on exit, also on Ctrl-C.
#
# Environment: BUILD_DIR (default build-demo), SKIP_DEPS=1 to skip the
# package step, SKIP_BUILD=1 to use an existing BUILD_DIR.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
BUILD_DIR="${BUILD_DIR:-build-demo}"
CONFIG="$ROOT/deploy/examples/one-lan.json"
SERVER_IP=10.20.0.2
RELAY_IP=10.20.0.10 # the client side's own address (perfdhcp, a relay)

if ((EUID != 0)); then
  echo "demo.sh: run as root (namespaces, veth, DPDK): sudo bash $0" >&2
  exit 1
fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [[ "${SKIP_DEPS:-0}" != 1 ]]; then
  step "packages (tools/install-deps.sh all)"
  bash tools/install-deps.sh all
fi
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  step "build leasewired (Release, $BUILD_DIR/)"
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$BUILD_DIR" leasewired
fi
LEASEWIRED="$ROOT/$BUILD_DIR/src/leasewired/leasewired"
"$LEASEWIRED" --check-config "$CONFIG"

# Per-run names (PID), so a second demo or a test run never collides.
TAG="lwd$(printf %05d $(($$ % 100000)))"
SNS="${TAG}s" CNS="${TAG}c"
SIF="${TAG}s0" CIF="${TAG}c0"
TMP="$(mktemp -d "/tmp/$TAG.XXXX")"
SERVER_PID=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  # dhclient daemons live in the client namespace; end them before it goes.
  for ns in "$CNS" "$SNS"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      kill "$pid" 2>/dev/null || true
    done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$TMP" "/var/run/dpdk/$TAG"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cns() { ip netns exec "$CNS" "$@"; }

step "lab: namespaces $SNS (server) and $CNS (clients), veth $SIF <-> $CIF"
ip netns add "$SNS"
ip netns add "$CNS"
ip link add "$SIF" netns "$SNS" address 02:4c:57:00:00:02 type veth \
  peer name "$CIF" netns "$CNS" address 02:4c:57:00:00:01
for pair in "$SNS $SIF" "$CNS $CIF"; do
  read -r ns ifname <<<"$pair"
  ip netns exec "$ns" ip link set lo up
  # Kernel senders would leave partial UDP checksums on a veth.
  ip netns exec "$ns" ethtool -K "$ifname" tx off >/dev/null
  ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifname.disable_ipv6=1"
  ip netns exec "$ns" ip link set "$ifname" up
done
# No address on the server's kernel side: leasewired owns 10.20.0.2 and
# answers ARP and ping for it itself.
cns ip addr add "$RELAY_IP/24" dev "$CIF"

step "start leasewired in $SNS on $SIF (net_af_packet)"
mkdir -p "$TMP/leases"
cmd=(ip netns exec "$SNS" "$LEASEWIRED" --config "$CONFIG"
  --device "port0=net_af_packet0,iface=$SIF"
  --lease-dir "$TMP/leases"
  --eal-args "--no-huge --no-pci -m 256 --file-prefix=$TAG")
printf '%q ' "${cmd[@]}"
echo
"${cmd[@]}" >"$TMP/leasewired.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 300); do
  grep -q serving "$TMP/leasewired.log" && break
  kill -0 "$SERVER_PID" 2>/dev/null || {
    cat "$TMP/leasewired.log"
    echo "demo.sh: leasewired exited" >&2
    exit 1
  }
  sleep 0.1
done
grep -q serving "$TMP/leasewired.log" || {
  cat "$TMP/leasewired.log"
  echo "demo.sh: leasewired did not start serving within 30 s" >&2
  exit 1
}
tail -n 3 "$TMP/leasewired.log"
cns ping -c 1 -W 1 "$SERVER_IP" >/dev/null 2>&1 &&
  echo "ping $SERVER_IP: answered" || true

# Each client gets its own MAC on a macvlan of the client veth. The hook
# scripts print the lease instead of touching the host's /etc/resolv.conf.
cat >"$TMP/hook.sh" <<'EOF'
#!/bin/sh
ev="${reason:-$1}"
case "$ev" in
  BOUND|REBOOT|bound)
    ip="${new_ip_address:-$ip}"
    mask="${new_subnet_mask:-$subnet}"
    ip addr replace "$ip/$mask" dev "$interface"
    echo "  $interface: $ip mask $mask" \
      "router ${new_routers:-$router}" \
      "dns ${new_domain_name_servers:-$dns}" \
      "domain ${new_domain_name:-$domain}" \
      "lease ${new_dhcp_lease_time:-$lease}s" ;;
  PREINIT) ip link set "$interface" up ;;
esac
exit 0
EOF
chmod +x "$TMP/hook.sh"
macvlan() {
  cns ip link add link "$CIF" name "$1" address "$2" type macvlan mode bridge
  cns ethtool -K "$1" tx off >/dev/null
  cns ip link set "$1" up
}

step "dhclient"
macvlan "${TAG}m1" 02:43:4c:00:00:01
printf 'timeout 20;\nretry 1;\n' >"$TMP/dhclient.conf"
cns timeout 40 dhclient -4 -1 -cf "$TMP/dhclient.conf" \
  -lf "$TMP/dhclient.leases" -pf "$TMP/dhclient.pid" -sf "$TMP/hook.sh" \
  "${TAG}m1"
echo "  dhclient's lease file:"
sed 's/^/    /' "$TMP/dhclient.leases"

step "udhcpc"
macvlan "${TAG}m2" 02:43:4c:00:00:02
cns timeout 40 udhcpc -q -n -f -t 5 -T 1 -i "${TAG}m2" -s "$TMP/hook.sh" 2>&1 |
  grep -v '^udhcpc: \(started\|broadcasting\)' || true

# perfdhcp always acts as a relay (giaddr = its own address, replies to
# UDP port 67). 100 client MACs: the example's pool has 139 free addresses.
perf() {
  local out
  set +e
  # leasewired's worker busy-polls CPU 1 (lcore 1@1); keep perfdhcp off it.
  local pin=()
  if (($(nproc) >= 2)); then pin=(taskset -c 0); fi
  out="$(cns timeout 60 "${pin[@]}" perfdhcp -4 -g single -r 5000 -p 5 \
    -R 100 -W 1000000 "$@" 2>&1)"
  set -e
  echo "$out" | grep -E 'sent packets|received packets|drops:' | sed 's/^ */  /'
  local acks
  acks="$(echo "$out" | awk '/received packets:/ { n++; if (n == 2) print $3 }')"
  echo "  => $((${acks:-0} / 5)) leases/s (full DORA exchanges, ACKs / 5 s;" \
    "offered at 5000/s)"
}
step "perfdhcp broadcast on the LAN ($CIF, 5 s)"
perf -l "$CIF"
step "perfdhcp as a relay, unicast to $SERVER_IP (5 s)"
perf -l "$RELAY_IP" "$SERVER_IP"

step "stop leasewired (SIGTERM: flushes leases and exits 0)"
kill "$SERVER_PID"
status=0
wait "$SERVER_PID" || status=$?
SERVER_PID=""
echo "leasewired exit status: $status"
tail -n 3 "$TMP/leasewired.log"
step "done: cleaning up"
