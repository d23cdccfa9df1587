#!/usr/bin/env bash
# ctest entry kea_migrate_cli: leasewire-kea-migrate's exit statuses (0
# clean, 1 converted with losses, 2 error and nothing written), --report
# files, and a converted fixture that `leasewired --check-config` accepts.
#
#   tests/kea_migrate/cli_test.sh MIGRATE LEASEWIRED SOURCE_DIR
set -uo pipefail

migrate="$1"
leasewired="$2"
data="$3/tests/data/kea"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# expect NAME WANT_RC WANT_SUBSTRING -- COMMAND...; counts $failures
source "$(dirname "${BASH_SOURCE[0]}")/../expect.sh"

expect minimal-clean 0 "1 subnets converted; 0 dropped, 0 approximated" -- \
  "$migrate" config "$data/minimal.json" -o "$tmp/minimal.json"
expect minimal-check 0 "OK (1 subnets, 1 pools, 0 reservations)" -- \
  "$leasewired" --check-config "$tmp/minimal.json"

expect full-lossy 1 "dropped: Dhcp4.client-classes[0]" -- \
  "$migrate" config "$data/full.json" -o "$tmp/full.json" \
  --interface-address eth1=198.51.100.1/24 --report "$tmp/full-report.json"
expect full-check 0 "OK (4 subnets, 5 pools, 7 reservations)" -- \
  "$leasewired" --check-config "$tmp/full.json"
expect full-report 0 '"path": "Dhcp4.unknown-future-key"' -- \
  cat "$tmp/full-report.json"

# Rejected by leasewire's validator (no port address, no server-id):
# exit 2, no output file, the report names the reason.
printf '{"Dhcp4": {"interfaces-config": {"interfaces": ["eth0"]},
  "subnet4": [{"id": 1, "subnet": "10.0.0.0/24"}]}}' >"$tmp/noaddr.json"
expect invalid 2 "not valid for leasewire" -- \
  "$migrate" config "$tmp/noaddr.json" -o "$tmp/noaddr-out.json" \
  --report "$tmp/noaddr-report.json"
expect invalid-no-output 1 "" -- test -e "$tmp/noaddr-out.json"
expect invalid-report 0 '"error"' -- cat "$tmp/noaddr-report.json"
expect not-json 2 "not JSON" -- "$migrate" config "$data/leases4.csv"
expect missing 2 "cannot read" -- "$migrate" config "$tmp/nope.json"
expect bad-iface-flag 2 "expected NAME=A.B.C.D/N" -- \
  "$migrate" config "$data/minimal.json" --interface-address eth0

# Leases: the fixture has malformed lines and a lease in no subnet (exit
# 1); its leases expired long ago by the real clock, so --now pins time.
cat >"$tmp/lw.json" <<'JSON'
{"server-id": "192.0.2.1",
 "subnets": [
  {"id": 10, "subnet": "192.0.2.0/24",
   "pools": [{"pool": "192.0.2.100 - 192.0.2.200"}]},
  {"id": 20, "subnet": "198.51.100.0/24",
   "pools": [{"pool": "198.51.100.10 - 198.51.100.250"}]}]}
JSON
expect leases-lossy 1 "6 imported (1 declined)" -- \
  "$migrate" leases "$data/leases4.csv" --config "$tmp/lw.json" \
  --lease-dir "$tmp/db" --now 1800000000 --report "$tmp/lr.json"
expect leases-report 0 '"read-back": 6' -- cat "$tmp/lr.json"
expect leases-not-empty 2 "already holds 6 lease records" -- \
  "$migrate" leases "$data/leases4.csv" --config "$tmp/lw.json" \
  --lease-dir "$tmp/db" --now 1800000000
expect leases-merge 1 "6 records read back" -- \
  "$migrate" leases "$data/leases4.csv" --config "$tmp/lw.json" \
  --lease-dir "$tmp/db" --now 1800000000 --merge
expect leases-not-csv 2 "not a Kea DHCPv4 lease file" -- \
  "$migrate" leases "$data/minimal.json" --config "$tmp/lw.json" \
  --lease-dir "$tmp/db2"

echo "$failures failure(s)"
((failures == 0))
