#!/usr/bin/env bash
# Lints RenderMetrics() output with Prometheus' promtool: parses the text
# format and applies Prometheus' naming rules (counters end in _total,
# units in base units, HELP present).
#
#   promtool_check.sh METRICS_SAMPLE_BINARY
set -euo pipefail

sample="${1:?usage: promtool_check.sh METRICS_SAMPLE_BINARY}"
if ! command -v promtool >/dev/null; then
  echo "promtool_check: promtool not found: install the Debian package" \
    "'prometheus' (tools/install-deps.sh demo). This test is NOT skipped." >&2
  exit 1
fi

text="$("$sample")"
if [[ -z "$text" ]]; then
  echo "promtool_check: $sample printed nothing" >&2
  exit 1
fi
# promtool exits non-zero on parse errors and on lint problems; print what
# it found either way so that a failure names the metric.
if ! out="$(printf '%s\n' "$text" | promtool check metrics 2>&1)"; then
  echo "promtool_check: promtool check metrics failed:" >&2
  echo "$out" >&2
  exit 1
fi
if [[ -n "$out" ]]; then
  echo "promtool_check: promtool reported problems:" >&2
  echo "$out" >&2
  exit 1
fi
families="$(grep -c '^# TYPE ' <<<"$text")"
echo "promtool_check: $families metric families pass promtool check metrics"
