#!/usr/bin/env bash
# leasewire's test command: installs the build dependencies, then builds and
# tests the tree three ways. Run it as root on Debian 12 from anywhere:
#
#   sudo bash tools/test.sh
#
# Stages:
#   1. deps   tools/install-deps.sh all (apt-get, only if something is
#             missing)
#   2. build  gcc, RelWithDebInfo, tests + benchmarks, in build/;
#             ctest: unit tests, edge-case replay (../shared/cases),
#             clang-format check, and the integration tests: leasewired
#             in network namespaces against dhclient, udhcpc, dhcpcd,
#             perfdhcp and scapy, and every case replayed over a veth;
#             the .deb built, installed, served from and purged
#             (integration_package); deploy/ checks (systemd-analyze
#             verify, host-prep dry run, man pages)
#   3. asan   gcc, Debug, ASan + UBSan, tests, in build-asan/;
#             ctest without the lint label; of the integration tests only
#             the real clients and the control CLI (the others, among them
#             the 5-minute over-the-wire case replay and the package
#             test, run in stage 2)
#   4. fuzz   clang-14, ASan + UBSan + libFuzzer, in build-fuzz/;
#             ctest -L fuzz: each fuzzer runs for 60 s (fixed in
#             tests/fuzz/CMakeLists.txt)
#
# The last line is "N passed, M failed" (N: ctest tests passed in all stages,
# skipped ones not counted; a stage that fails before its tests report counts
# as one failure). Exits non-zero if any stage fails; later stages still run.
#
# Environment:
#   LEASEWIRE_SKIP_ASAN=1   skip stage 3
#   LEASEWIRE_SKIP_FUZZ=1   skip stage 4
#   LEASEWIRE_FRESH=1       reconfigure each build directory from scratch
#   LEASEWIRE_JOBS=N        build parallelism (default: nproc)
set -euo pipefail

if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
  exit 0
fi
if (($# > 0)); then
  echo "test.sh: unexpected argument '$1' (try --help)" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

jobs="${LEASEWIRE_JOBS:-$(nproc)}"
fresh=()
if [[ "${LEASEWIRE_FRESH:-0}" == 1 ]]; then
  fresh=(--fresh)
fi

start_all=$SECONDS
total_passed=0
total_failed=0
total_skipped=0
summary=()   # one line per stage, printed at the end
status=0

banner() {
  echo
  echo "======================================================================"
  echo "== $*"
  echo "======================================================================"
}

elapsed() {  # elapsed SINCE -> "1m05s"
  local s=$((SECONDS - $1))
  printf '%dm%02ds' $((s / 60)) $((s % 60))
}

# record STAGE START RESULT [detail...]
record() {
  local stage="$1" start="$2" result="$3"
  shift 3
  summary+=("$(printf '%-6s %-4s %8s  %s' "$stage" "$result" \
    "$(elapsed "$start")" "$*")")
}

# configure DIR cmake-args...
configure() {
  local dir="$1"
  shift
  echo "+ cmake -S . -B $dir -G Ninja $*"
  cmake "${fresh[@]}" -S . -B "$dir" -G Ninja "$@"
}

# build DIR
build() {
  echo "+ cmake --build $1 -j $jobs"
  cmake --build "$1" -j "$jobs"
}

# run_ctest STAGE START DIR ctest-args...
# Runs ctest, adds its counts to the totals and records the stage.
run_ctest() {
  local stage="$1" start="$2" dir="$3"
  shift 3
  local log="$dir/leasewire-ctest.log" rc=0
  echo "+ ctest --test-dir $dir --no-tests=error --output-on-failure $*"
  ctest --test-dir "$dir" --no-tests=error --output-on-failure "$@" 2>&1 |
    tee "$log" || rc=$?

  local line total=0 failed=0 skipped=0 passed=0 gtest_skipped=0
  line="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' \
    "$log" | tail -n 1 || true)"
  if [[ -n "$line" ]]; then
    failed="$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")"
    total="$(sed -E 's/.*failed out of ([0-9]+).*/\1/' <<<"$line")"
    # ctest counts skipped tests as passed; list them apart.
    skipped="$(awk '/^The following tests did not run:/ { on = 1; next }
      on && /^[[:space:]]*$/ { on = 0 }
      on && /\((Skipped|Disabled)\)[[:space:]]*$/ { n++ }
      END { print n + 0 }' "$log")"
    passed=$((total - failed - skipped))
  fi
  if ((rc != 0 && failed == 0)); then
    failed=1   # no tests found, ctest error, ...: still a failure
  fi
  # A GoogleTest case that calls GTEST_SKIP leaves its binary passing.
  if [[ -f "$dir/Testing/Temporary/LastTest.log" ]]; then
    gtest_skipped="$(sed -nE \
      's/^\[  SKIPPED \] ([0-9]+) tests?[.,].*/\1/p' \
      "$dir/Testing/Temporary/LastTest.log" | awk '{ n += $1 } END { print n + 0 }')"
  fi

  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  total_skipped=$((total_skipped + skipped))
  local detail="$passed passed, $failed failed"
  if ((skipped > 0)); then
    detail+=", $skipped skipped"
  fi
  if ((gtest_skipped > 0)); then
    detail+=" (GoogleTest skipped $gtest_skipped cases inside passing tests)"
  fi
  if ((rc != 0)); then
    record "$stage" "$start" FAIL "$detail"
    return 1
  fi
  record "$stage" "$start" ok "$detail"
}

# stage_failed STAGE START WHAT: a stage stopped before its tests reported.
stage_failed() {
  echo "!! $1: $3 failed" >&2
  total_failed=$((total_failed + 1))
  record "$1" "$2" FAIL "$3 failed"
  status=1
}

# ---------------------------------------------------------------------------
banner "[1/4] deps: tools/install-deps.sh all"
t=$SECONDS
if ! bash "$root/tools/install-deps.sh" all; then
  echo "!! deps: tools/install-deps.sh failed; nothing else can run" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
record deps "$t" ok "build packages present"
echo "cmake $(cmake --version | head -n 1 | awk '{ print $3 }')," \
  "$(g++ --version | head -n 1), $(clang++-14 --version | head -n 1)"

# ---------------------------------------------------------------------------
banner "[2/4] build: gcc RelWithDebInfo, tests + benchmarks (build/)"
t=$SECONDS
if ! configure build -DCMAKE_CXX_COMPILER=g++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLEASEWIRE_BUILD_TESTS=ON -DLEASEWIRE_BUILD_BENCHMARKS=ON \
  -DLEASEWIRE_BUILD_FUZZERS=OFF -DLEASEWIRE_SANITIZE=OFF; then
  stage_failed build "$t" configure
elif ! build build; then
  stage_failed build "$t" compile
elif ! run_ctest build "$t" build -j2 -LE '^fuzz$'; then
  status=1
fi

# ---------------------------------------------------------------------------
if [[ "${LEASEWIRE_SKIP_ASAN:-0}" == 1 ]]; then
  banner "[3/4] asan: skipped (LEASEWIRE_SKIP_ASAN=1)"
  summary+=("$(printf '%-6s %-4s' asan skip)")
else
  banner "[3/4] asan: gcc Debug, ASan + UBSan, tests (build-asan/)"
  t=$SECONDS
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  if ! configure build-asan -DCMAKE_CXX_COMPILER=g++ \
    -DCMAKE_BUILD_TYPE=Debug \
    -DLEASEWIRE_BUILD_TESTS=ON -DLEASEWIRE_BUILD_BENCHMARKS=OFF \
    -DLEASEWIRE_BUILD_FUZZERS=OFF -DLEASEWIRE_SANITIZE=ON; then
    stage_failed asan "$t" configure
  elif ! build build-asan; then
    stage_failed asan "$t" compile
  elif ! run_ctest asan "$t" build-asan -j2 -LE '^(lint|fuzz)$' -E '^integration_(cases_wire|RestartTest|RelayTest|PmdTest|metrics|loadgen|package)$'; then
    status=1
  fi
fi

# ---------------------------------------------------------------------------
if [[ "${LEASEWIRE_SKIP_FUZZ:-0}" == 1 ]]; then
  banner "[4/4] fuzz: skipped (LEASEWIRE_SKIP_FUZZ=1)"
  summary+=("$(printf '%-6s %-4s' fuzz skip)")
else
  banner "[4/4] fuzz: clang-14, ASan + UBSan + libFuzzer, 60 s per fuzzer" \
    "(build-fuzz/)"
  t=$SECONDS
  if ! configure build-fuzz -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLEASEWIRE_BUILD_TESTS=OFF -DLEASEWIRE_BUILD_BENCHMARKS=OFF \
    -DLEASEWIRE_BUILD_FUZZERS=ON -DLEASEWIRE_SANITIZE=ON; then
    stage_failed fuzz "$t" configure
  elif ! build build-fuzz; then
    stage_failed fuzz "$t" compile
  else
    if [[ ! -f build-fuzz/CTestTestfile.cmake ]]; then
      echo "!! build-fuzz has no CTestTestfile.cmake: enable_testing() was" \
        "not called (it must not depend on LEASEWIRE_BUILD_TESTS)" >&2
    fi
    if ! run_ctest fuzz "$t" build-fuzz -L '^fuzz$'; then
      status=1
    fi
  fi
fi

# ---------------------------------------------------------------------------
banner "summary ($(elapsed "$start_all") in total)"
for line in "${summary[@]}"; do
  echo "  $line"
done
if ((total_skipped > 0)); then
  echo "  ($total_skipped ctest tests were skipped and are not counted)"
fi
if ((status != 0 && total_failed == 0)); then
  total_failed=1
fi
echo "$total_passed passed, $total_failed failed"
exit "$status"
