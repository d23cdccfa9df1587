#!/usr/bin/env bash
# Runs a libFuzzer binary for a fixed time, starting from a copy of its seed
# corpus, and fails when the fuzzer reports a crash, leak, timeout or OOM.
# ctest calls it (cmake/LeasewireHelpers.cmake, leasewire_fuzzer()):
#
#   run-fuzzer.sh <fuzzer-binary> <seed-corpus-dir> <run-corpus-dir> <seconds>
#
# The run corpus directory is deleted and recreated, so the seeds in the
# source tree are never written to. New inputs the fuzzer finds, and any
# crash-*/leak-*/timeout-*/oom-* artifact, land in the run corpus directory;
# reproduce an artifact with: <fuzzer-binary> <artifact>.
set -euo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 <fuzzer-binary> <seed-corpus-dir> <run-corpus-dir>" \
       "<seconds>" >&2
  exit 2
fi
fuzzer=$1
seeds=$2
run_dir=$3
seconds=$4

if [[ ! -x "${fuzzer}" ]]; then
  echo "run-fuzzer: ${fuzzer} is not an executable" >&2
  exit 2
fi
if [[ ! -d "${seeds}" ]]; then
  echo "run-fuzzer: seed corpus ${seeds} is not a directory" >&2
  exit 2
fi
if [[ ! "${seconds}" =~ ^[0-9]+$ ]] || (( seconds < 1 )); then
  echo "run-fuzzer: seconds must be a positive integer, got '${seconds}'" >&2
  exit 2
fi
if [[ -z "${run_dir}" || "${run_dir}" == "/" ]]; then
  echo "run-fuzzer: refusing run corpus directory '${run_dir}'" >&2
  exit 2
fi

rm -rf -- "${run_dir}"
mkdir -p -- "${run_dir}"
nb_seeds=$(find "${seeds}" -maxdepth 1 -type f | wc -l)
if (( nb_seeds == 0 )); then
  echo "run-fuzzer: warning: no seeds in ${seeds}" >&2
else
  find "${seeds}" -maxdepth 1 -type f -exec cp -- {} "${run_dir}/" \;
fi
echo "run-fuzzer: $(basename -- "${fuzzer}") for ${seconds}s," \
     "${nb_seeds} seeds, corpus ${run_dir}"

rc=0
"${fuzzer}" \
  -max_total_time="${seconds}" \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -print_final_stats=1 \
  -artifact_prefix="${run_dir}/" \
  "${run_dir}" || rc=$?

if (( rc != 0 )); then
  echo "run-fuzzer: FAILED (exit code ${rc})" >&2
  for artifact in "${run_dir}"/crash-* "${run_dir}"/leak-* \
                  "${run_dir}"/timeout-* "${run_dir}"/oom-*; do
    [[ -e "${artifact}" ]] || continue
    echo "run-fuzzer: artifact ${artifact};" \
         "reproduce with: ${fuzzer} ${artifact}" >&2
  done
  exit "${rc}"
fi
echo "run-fuzzer: no crash in ${seconds}s"
