# The check helper of the shell tests (tests/config/check_config_test.sh,
# tests/kea_migrate/cli_test.sh): source it, call expect for each check,
# and end by testing $failures.

failures=0

# expect NAME WANT_RC WANT_SUBSTRING -- COMMAND...
# Runs COMMAND; the check passes when it exits WANT_RC and its output
# (stdout and stderr) contains WANT_SUBSTRING.
expect() {
  local name="$1" want_rc="$2" want="$3"
  shift 4
  local out rc
  out="$("$@" 2>&1)"
  rc=$?
  if [[ "$rc" != "$want_rc" ]]; then
    echo "FAIL $name: exit $rc, want $want_rc; output: $out"
    failures=$((failures + 1))
  elif [[ "$out" != *"$want"* ]]; then
    echo "FAIL $name: output lacks '$want': $out"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}
