"""bench-smoke: lw-loadgen end to end through DPDK rings, short.

    /usr/bin/python3 tools/loadgen/smoke_test.py --loadgen build/.../lw-loadgen

Runs a few thousand leases against the real Dataplane (--target ring,
async and sync durability) and against the bare RX->TX loop (--target
bare), and checks from the JSON report that every client completed its
DORA (plus a renewal and a release in the async run) with no timeout,
NAK, unexpected reply or duplicate address, and that leases/s > 0. Any
failure to run is a test failure, never a skip.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import unittest

LOADGEN = ""
CLIENTS = 3000


def run_loadgen(*args, timeout=60):
    """Runs lw-loadgen with --json; returns the parsed report."""
    with tempfile.TemporaryDirectory(prefix="lw-loadgen-smoke-") as tmp:
        out = os.path.join(tmp, "report.json")
        # A long timeout: other builds on this 2-CPU machine can stall a
        # lcore for a second; a lost reply still shows as a timeout.
        argv = [LOADGEN, "--json", out, "--duration", "25",
                "--timeout-ms", "10000", *args]
        res = subprocess.run(argv, capture_output=True, text=True,
                             timeout=timeout)
        if res.returncode != 0:
            raise AssertionError(
                f"{' '.join(argv)} exited {res.returncode}\n"
                f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}")
        with open(out) as f:
            return json.load(f), res.stdout


class LoadgenSmokeTest(unittest.TestCase):

    def check_clean(self, run, renewals=0, release=False):
        self.assertEqual(run["started"], CLIENTS)
        self.assertEqual(run["leases"], CLIENTS)
        self.assertEqual(run["done"], CLIENTS)
        self.assertEqual(run["renewals"], CLIENTS * renewals)
        self.assertEqual(run["releases"], CLIENTS if release else 0)
        for key in ("failed", "timeouts", "retransmits", "naks", "outstanding",
                    "unexpected", "mismatched", "duplicates", "bad_frames",
                    "tx_dropped", "untimed"):
            self.assertEqual(run[key], 0, key)
        self.assertFalse(run["hit_duration"])
        self.assertGreater(run["leases_per_s"], 0)
        self.assertGreater(run["latency_us"]["p50"], 0)
        self.assertLessEqual(run["latency_us"]["p50"],
                             run["latency_us"]["p99"])
        self.assertEqual(run["latency_us"]["count"], CLIENTS)

    def test_ring_async_with_renewal_and_release(self):
        report, text = run_loadgen(
            "--target", "ring", "--durability", "async", "--clients",
            str(CLIENTS), "--relays", "4", "--window", "128", "--renewals",
            "1", "--release", "--strict")
        [run] = report["runs"]
        self.assertEqual(run["target"], "ring")
        self.check_clean(run, renewals=1, release=True)
        self.assertEqual(run["renew_latency_us"]["count"], CLIENTS)
        # DISCOVER, REQUEST, renewal REQUEST, RELEASE per client; every
        # request but the RELEASE answered.
        self.assertEqual(run["tx_frames"], 4 * CLIENTS)
        self.assertEqual(run["rx_frames"], 3 * CLIENTS)
        self.assertEqual(run["server"]["rx"], 4 * CLIENTS)
        self.assertEqual(run["server"]["tx"], 3 * CLIENTS)
        self.assertEqual(run["server"]["drops"], {})
        self.assertGreater(run["server"]["commits"], 0)
        self.assertIn("leases/s", text)

    def test_ring_sync(self):
        report, _ = run_loadgen(
            "--target", "ring", "--durability", "sync", "--clients",
            str(CLIENTS), "--relays", "2", "--window", "256", "--strict")
        [run] = report["runs"]
        self.assertEqual(run["durability"], "sync")
        self.check_clean(run)
        self.assertEqual(run["server"]["drops"], {})

    def test_bare_loop_and_ring_in_one_run(self):
        report, text = run_loadgen(
            "--target", "ring", "--compare-bare", "--clients", str(CLIENTS),
            "--window", "256", "--strict")
        bare, ring = report["runs"]
        self.assertEqual(bare["target"], "bare")
        self.assertEqual(ring["target"], "ring")
        self.check_clean(bare)
        self.check_clean(ring)
        self.assertEqual(bare["server"]["rx"], 2 * CLIENTS)
        self.assertEqual(bare["server"]["tx"], 2 * CLIENTS)
        self.assertGreater(report["fraction_of_bare"], 0)
        self.assertIn("ring / bare:", text)

    def test_storm_window_fits_in_the_eal_memory(self):
        # A lease storm's window of 16,384 needs a 65,536-entry ring and
        # 262,143 generator mbufs; the EAL memory was sized at 3 KiB per
        # mbuf while --no-huge puts each in a 4 KiB page, and the server's
        # pool failed with "Cannot allocate memory" (exit 3).
        report, _ = run_loadgen(
            "--target", "ring", "--clients", str(CLIENTS), "--window",
            "16384", "--held", "32768", "--strict")
        [run] = report["runs"]
        self.check_clean(run)

    def test_bare_target_alone(self):
        report, _ = run_loadgen("--target", "bare", "--clients", str(CLIENTS),
                                "--window", "64", "--strict")
        [run] = report["runs"]
        self.assertEqual(run["target"], "bare")
        self.check_clean(run)


def main():
    global LOADGEN
    parser = argparse.ArgumentParser()
    parser.add_argument("--loadgen", required=True)
    args, rest = parser.parse_known_args()
    LOADGEN = os.path.abspath(args.loadgen)
    if not os.access(LOADGEN, os.X_OK):
        sys.exit(f"FAIL: {LOADGEN} is not an executable")
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
