"""lw-loadgen over a veth: relayed DHCP load against a real server.

    sudo /usr/bin/python3 tests/integration/loadgen_test.py \
        --leasewired build-x/src/leasewired/leasewired \
        --loadgen build-x/tools/loadgen/lw-loadgen [-v] [-k PATTERN]

The lab (netlab.py) runs the server in its own namespace on one end of a
veth pair; lw-loadgen runs in the client namespace on the other end
through net_af_packet, as many relay agents (giaddrs, option 82) with
clients behind them. leasewired serves the config lw-loadgen prints for
its relay layout (--print-config). Kea (a kernel-socket server, which
ARPs for the relays' giaddrs) gets the same config translated by netlab.
Needs root; without root or the binaries every test FAILS, never skips.
"""

import argparse
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402

LEASEWIRED = ""
LOADGEN = ""
SERVER_IP = "192.0.2.1"
RELAY_BASE = "10.0.0.0"


def layout_config(clients, relays):
    """The leasewired config serving lw-loadgen's relay layout."""
    out = subprocess.run(
        [LOADGEN, "--print-config", "--clients", str(clients), "--relays",
         str(relays), "--relay-base", RELAY_BASE, "--server-ip", SERVER_IP],
        capture_output=True, text=True, check=True, timeout=30)
    return json.loads(out.stdout)


def run_loadgen(lab, clients, relays, *extra, timeout=120):
    """lw-loadgen in the client namespace; returns (report, stdout)."""
    report = lab.path("loadgen.json")
    argv = [os.path.abspath(LOADGEN),
            "--device", f"net_af_packet0,iface={lab.client_if}",
            "--server-ip", SERVER_IP, "--server-mac", lab.server_mac,
            "--clients", str(clients), "--relays", str(relays),
            "--relay-base", RELAY_BASE, "--duration", "60",
            "--eal-args", f"--file-prefix={lab.tag}g",
            "--json", report, *extra]
    res = lab.client_run(argv, check=False, timeout=timeout)
    if res.returncode != 0:
        raise AssertionError(
            f"lw-loadgen exited {res.returncode}\nstdout:\n{res.stdout}\n"
            f"stderr:\n{res.stderr}")
    with open(report) as f:
        return json.load(f), res.stdout


class LoadgenVethTest(unittest.TestCase):

    def assert_clean(self, run, clients, renewals=0):
        self.assertEqual(run["leases"], clients, run)
        self.assertEqual(run["done"], clients)
        self.assertEqual(run["renewals"], clients * renewals)
        for key in ("failed", "timeouts", "naks", "outstanding", "mismatched",
                    "duplicates", "bad_frames"):
            self.assertEqual(run[key], 0, key)
        self.assertGreater(run["leases_per_s"], 0)

    def test_leasewired_relayed_dora_renew(self):
        clients, relays = 2000, 8
        with netlab.Lab() as lab:
            srv = lab.start_leasewired(LEASEWIRED,
                                       layout_config(clients, relays))
            report, text = run_loadgen(lab, clients, relays, "--window", "64",
                                       "--renewals", "1", "--strict")
            [run] = report["runs"]
            self.assert_clean(run, clients, renewals=1)
            self.assertIn("leases/s", text)
            self.assertEqual(srv.stop(), 0, srv.log())
            # The server saw every exchange: 3 requests per client.
            self.assertRegex(srv.log(), r"totals: rx \d+ tx (\d+)")

    def test_leasewired_release_returns_addresses(self):
        # More clients than addresses: only RELEASE lets the last ones in.
        clients = 600
        with netlab.Lab() as lab:
            config = layout_config(256 - 16, 1)
            srv = lab.start_leasewired(LEASEWIRED, config)
            pool = config["subnets"][0]["pools"][0]["pool"]
            self.assertEqual(pool, "10.0.0.10 - 10.0.0.254")
            report, _ = run_loadgen(lab, clients, 1, "--window", "16",
                                    "--release", "--strict")
            [run] = report["runs"]
            self.assert_clean(run, clients)
            self.assertEqual(run["releases"], clients)
            self.assertEqual(srv.stop(), 0, srv.log())

    def test_kea_answers_relays_through_arp(self):
        clients, relays = 300, 3
        with netlab.Lab() as lab:
            config = layout_config(clients, relays)
            srv = lab.start_kea(config)
            # netlab starts Kea on raw sockets, which address replies to
            # the relay's MAC without asking. On UDP sockets Kea replies
            # through the kernel: the relay subnets are on the link, so it
            # ARPs for each giaddr and lw-loadgen must answer.
            conf_path = lab.path("kea/kea-dhcp4.json")
            with open(conf_path) as f:
                kea = json.load(f)
            kea["Dhcp4"]["interfaces-config"]["dhcp-socket-type"] = "udp"
            with open(conf_path, "w") as f:
                json.dump(kea, f, indent=1)
            srv = lab.restart(srv)
            lab.server_run(["ip", "route", "add", f"{RELAY_BASE}/8", "dev",
                            lab.server_if])
            report, _ = run_loadgen(lab, clients, relays, "--window", "16",
                                    "--strict")
            [run] = report["runs"]
            self.assert_clean(run, clients)
            self.assertGreaterEqual(run["arp_replies"], relays)
            self.assertTrue(srv.running(), srv.log())


def main():
    global LEASEWIRED, LOADGEN
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leasewired", required=True)
    parser.add_argument("--loadgen", required=True)
    args, rest = parser.parse_known_args()
    LEASEWIRED = args.leasewired
    LOADGEN = args.loadgen
    for path in (LEASEWIRED, LOADGEN):
        if not os.access(path, os.X_OK):
            sys.exit(f"FAIL: {path} is not an executable")
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
