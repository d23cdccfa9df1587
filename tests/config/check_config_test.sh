#!/usr/bin/env bash
# ctest entry leasewired_check_config: `leasewired --check-config` accepts
# good files (exit 0, "FILE: OK (...)"), rejects bad ones (exit 2, the error
# with its JSON path), and the binary without --check-config refuses to
# serve (exit 2) until the data plane exists.
#
#   tests/config/check_config_test.sh LEASEWIRED SOURCE_DIR
set -uo pipefail

leasewired="$1"
src="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# expect NAME WANT_RC WANT_SUBSTRING -- COMMAND...; counts $failures
source "$(dirname "${BASH_SOURCE[0]}")/../expect.sh"

one_lan="$src/deploy/examples/one-lan.json"
expect one-lan 0 "$one_lan: OK (1 subnets, 2 pools, 5 reservations)" -- \
  "$leasewired" --check-config "$one_lan"
expect isp-1000 0 "OK (1000 subnets, 1000 pools, 20 reservations)" -- \
  "$leasewired" --check-config "$src/deploy/examples/isp-1000.json"
expect cases-config 0 "OK (4 subnets, 4 pools, 13 reservations)" -- \
  "$leasewired" --check-config "$src/tests/data/cases-config.json"

cat >"$tmp/bad.json" <<'JSON'
// pools[0] ends before it starts
{"server-id": "192.0.2.1",
 "subnets": [{"id": 1, "subnet": "10.0.0.0/24",
              "pools": [{"pool": "10.0.0.9 - 10.0.0.5"}]}]}
JSON
expect bad-pool 2 \
  "$tmp/bad.json: subnets[0].pools[0].pool: start 10.0.0.9 is after end 10.0.0.5" \
  -- "$leasewired" --check-config "$tmp/bad.json"

printf '{"server-id": "192.0.2.1",\n "subnets": [}\n' >"$tmp/syntax.json"
expect syntax 2 "$tmp/syntax.json: line 2, column 14" -- \
  "$leasewired" --check-config "$tmp/syntax.json"
expect missing 2 "cannot open $tmp/missing.json" -- \
  "$leasewired" --check-config "$tmp/missing.json"
expect nothing-to-do 2 "nothing to do" -- "$leasewired"
# Serving refuses an invalid file before touching DPDK or the database.
expect serve-bad-config 2 "start 10.0.0.9 is after end" -- \
  "$leasewired" --config "$tmp/bad.json"
# An interface without a DPDK device is named, with the flag that fixes it.
printf '{"interfaces": [{"name": "port0", "address": "192.0.2.1/24"}]}\n' \
  >"$tmp/nodevice.json"
expect serve-no-device 2 "--device port0=" -- \
  "$leasewired" --config "$tmp/nodevice.json"
expect serve-bad-device-flag 2 "expected NAME=SPEC" -- \
  "$leasewired" --config "$tmp/nodevice.json" --device eth9=net_null0
expect version 0 "leasewired " -- "$leasewired" --version
expect help 0 "--check-config" -- "$leasewired" --help

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
