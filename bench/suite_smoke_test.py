"""Smoke test of bench/run-suite: --quick with a small budget against
given binaries; the table must be written between the markers of a copy
of docs/benchmarks.md with a measured row for the rings, the bare loop and
every peer, and both plots.

    sudo /usr/bin/python3 bench/suite_smoke_test.py --leasewired BIN \\
        --loadgen BIN --bench-dir BUILD/bench

Needs root (network namespaces) and tools/install-deps.sh bench; never
touches the real docs/benchmarks.md or docs/img/.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import suite_report  # noqa: E402

ARGS = None


class SuiteSmokeTest(unittest.TestCase):

    def test_quick_run_writes_the_table(self):
        with tempfile.TemporaryDirectory(prefix="lw-suite-smoke-") as d:
            docs = os.path.join(d, "benchmarks.md")
            shutil.copy(os.path.join(ROOT, "docs", "benchmarks.md"), docs)
            with open(docs) as f:
                before = f.read()
            results = os.path.join(d, "results")
            argv = [sys.executable, os.path.join(HERE, "run-suite"),
                    "--quick", "--budget", "4", "--no-deps", "--no-build",
                    "--leasewired", ARGS.leasewired, "--loadgen",
                    ARGS.loadgen, "--bench-dir", ARGS.bench_dir,
                    "--results", results, "--docs", docs,
                    "--img-dir", os.path.join(d, "img")]
            res = subprocess.run(argv, capture_output=True, text=True,
                                 timeout=360)
            self.assertEqual(res.returncode, 0,
                             f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}")
            with open(docs) as f:
                after = f.read()
            # Only the part between the markers changed.
            head = before.split(suite_report.BEGIN_MARKER)[0]
            tail = before.split(suite_report.END_MARKER)[1]
            self.assertTrue(after.startswith(head))
            self.assertTrue(after.endswith(tail))
            table = after.split(suite_report.BEGIN_MARKER)[1].split(
                suite_report.END_MARKER)[0]
            self.assertIn("bare RX→TX loop, 1 subnet", table)
            self.assertIn("ring, 1 worker, async, 1 subnet", table)
            self.assertNotIn("not measured", table)
            with open(os.path.join(results, "suite.json")) as f:
                rows = json.load(f)["rows"]
            servers = {r["server"] for r in rows
                       if r["section"] == "peer" and r.get("leases_per_s")}
            self.assertEqual(servers, {"leasewired-async", "leasewired-sync",
                                       "kea-st", "kea-mt", "dhcpd",
                                       "dnsmasq"})
            ring = [r for r in rows if r["section"] == "ring"]
            self.assertTrue(all(r.get("leases_per_s", 0) > 0 for r in ring))
            for name in ("bench-suite-leases.png", "bench-suite-latency.png"):
                self.assertTrue(os.path.exists(os.path.join(d, "img", name)))


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leasewired", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--bench-dir", required=True)
    ARGS, rest = ap.parse_known_args()
    if os.geteuid() != 0:
        sys.exit("FAIL: needs root (network namespaces)")
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
