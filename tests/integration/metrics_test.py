"""The Prometheus endpoint of a real leasewired, scraped like Prometheus does.

    sudo /usr/bin/python3 tests/integration/metrics_test.py \
        --leasewired build-x/src/leasewired/leasewired [-v] [-k PATTERN]

leasewired runs in the server namespace of a netlab.Lab with its metrics
endpoint on the namespace's own loopback (the default 127.0.0.1:9167), so
scrapes run inside that namespace (`ip netns exec`). The text must pass
`promtool check metrics` (Debian package prometheus) and its counters must
move with the DHCP, ARP and ping traffic the test sends. Needs root and the
packages of `tools/install-deps.sh demo`; without them every test FAILS.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402

LEASEWIRED = os.environ.get("LW_LEASEWIRED", "")
SERVER_IP = "10.20.0.2"
CLIENT_IP = "10.20.0.10"
POOL_SIZE = 50
METRICS = "127.0.0.1:9167"

# Runs in the server namespace: one GET, the answer as JSON on stdout.
FETCH = r"""
import json, sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
        out = {"status": r.status, "type": r.headers.get("Content-Type"),
               "body": r.read().decode()}
except urllib.error.HTTPError as e:
    out = {"status": e.code, "type": e.headers.get("Content-Type"),
           "body": e.read().decode(errors="replace")}
print(json.dumps(out))
"""

# Runs in the server namespace: holds a TCP port until killed.
HOLD_PORT = r"""
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
print("listening", flush=True)
time.sleep(120)
"""


def config(metrics=METRICS, socket_path=None):
    last = 100 + POOL_SIZE - 1
    return {
        "interfaces": [{"name": "port0", "address": f"{SERVER_IP}/24"}],
        "authoritative": True,
        "valid-lifetime": 600,
        "subnets": [
            {"id": 7, "subnet": "10.20.0.0/24",
             "pools": [{"pool": f"10.20.0.100 - 10.20.0.{last}"}],
             "option-data": [{"name": "routers", "data": "10.20.0.1"}]},
            # A second subnet, so that with two workers each owns one.
            {"id": 8, "subnet": "10.30.0.0/24",
             "pools": [{"pool": "10.30.0.10 - 10.30.0.19"}]},
        ],
        "control": {"socket": socket_path, "metrics": metrics},
    }


def parse(text):
    """{name: [(labels, value)]} of a text exposition (syntax is promtool's
    job; this reads values)."""
    series = {}
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)",
                         line)
        if not m:
            raise AssertionError(f"unparsable sample line: {line!r}")
        labels = dict(label_re.findall(m.group(2) or ""))
        series.setdefault(m.group(1), []).append((labels, float(m.group(3))))
    return series


def total(series, name, **labels):
    """Sum of the series of `name` whose labels include `labels`."""
    if name not in series:
        raise AssertionError(f"{name} is not exposed")
    return sum(v for ls, v in series[name]
               if all(ls.get(k) == str(x) for k, x in labels.items()))


def mac(n):
    return f"02:00:00:6d:00:{n:02x}"


class MetricsEndpointTest(unittest.TestCase):
    """One server for the class; tests only read or add traffic."""

    @classmethod
    def setUpClass(cls):
        if not LEASEWIRED or not os.access(LEASEWIRED, os.X_OK):
            raise netlab.LabError(f"no leasewired binary: {LEASEWIRED!r}")
        if shutil.which("promtool") is None:
            raise netlab.LabError(
                "promtool not found: install the Debian package prometheus "
                "(tools/install-deps.sh demo)")
        cls.lab = netlab.Lab()
        cls.lab.setup()
        try:
            cls.srv = cls.lab.start_leasewired(
                LEASEWIRED, config(socket_path=cls.lab.path("ctl.sock")),
                workers=2)
            cls.lab.client_addr(f"{CLIENT_IP}/24")
        except BaseException:
            cls.lab.teardown()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            status = cls.srv.stop()
            if status != 0:
                raise AssertionError(f"leasewired exited {status}; log:\n"
                                     f"{cls.srv.log()}")
        finally:
            cls.lab.teardown()

    def get(self, path="/metrics"):
        res = self.lab.server_run(
            ["/usr/bin/python3", "-c", FETCH, f"http://{METRICS}{path}"])
        return json.loads(res.stdout)

    def scrape(self):
        got = self.get()
        self.assertEqual(got["status"], 200, got)
        return got["body"]

    def scrape_after(self, t):
        """A scrape whose snapshot was taken after Unix time t (the control
        thread publishes about once a second)."""
        deadline = time.monotonic() + 15
        while True:
            text = self.scrape()
            taken = total(parse(text), "leasewire_snapshot_timestamp_seconds")
            if taken > t:
                return text
            if time.monotonic() > deadline:
                self.fail(f"no snapshot newer than {t} within 15 s "
                          f"(last: {taken})")
            time.sleep(0.2)

    def test_scrape_passes_promtool(self):
        got = self.get()
        self.assertEqual(got["status"], 200, got)
        self.assertEqual(got["type"], "text/plain; version=0.0.4; "
                                      "charset=utf-8")
        res = subprocess.run(["promtool", "check", "metrics"],
                             input=got["body"], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual((res.returncode, res.stdout + res.stderr), (0, ""),
                         got["body"][:2000])
        series = parse(got["body"])
        self.assertGreater(len(series), 30)
        # Both workers and both subnets are there, with their labels.
        workers = {ls["worker"] for ls, _ in series["leasewire_worker_info"]}
        self.assertEqual(workers, {"0", "1"})
        self.assertEqual(total(series, "leasewire_subnet_addresses",
                               subnet_id=7, prefix="10.20.0.0/24"),
                         POOL_SIZE)
        self.assertEqual(total(series, "leasewire_subnet_addresses",
                               subnet_id=8, prefix="10.30.0.0/24"), 10)
        taken = total(series, "leasewire_snapshot_timestamp_seconds")
        self.assertLess(abs(time.time() - taken), 10)
        for _, v in series["leasewire_worker_busy_ratio"]:
            self.assertTrue(0 <= v <= 1, v)

    def test_other_paths_are_404(self):
        for path in ("/", "/metric", "/metrics/x"):
            got = self.get(path)
            self.assertEqual(got["status"], 404, (path, got))

    def test_listens_on_loopback_only(self):
        out = self.lab.server_run(["ss", "-Hltn"]).stdout
        port = METRICS.rsplit(":", 1)[1]
        listening = [line.split()[3] for line in out.splitlines()
                     if line.split()[3].endswith(":" + port)]
        self.assertEqual(listening, [METRICS], out)

    def test_counters_follow_traffic(self):
        before = parse(self.scrape_after(time.time()))
        macs = [mac(n) for n in range(1, 6)]
        got = self.lab.probe([{"op": "dora", "mac": m} for m in macs])
        acks = [r["ack"] for r in got]
        self.assertTrue(all(a is not None for a in acks), got)
        released = acks[0]["yiaddr"]
        self.lab.probe([{"op": "release", "mac": macs[0],
                         "ciaddr": released, "server_id": SERVER_IP,
                         "dst_ip": SERVER_IP}])
        pings = self.lab.probe([{"op": "arp", "ip": SERVER_IP,
                                 "src_ip": CLIENT_IP},
                                {"op": "ping", "ip": SERVER_IP,
                                 "src_ip": CLIENT_IP, "count": 3}])
        self.assertIsNotNone(pings[0]["arp"], pings)
        self.assertEqual(pings[1]["received"], 3, pings)
        after = parse(self.scrape_after(time.time()))

        def delta(name, **labels):
            return total(after, name, **labels) - total(before, name, **labels)

        self.assertEqual(delta("leasewire_dhcp_received_total",
                               type="discover"), 5)
        self.assertEqual(delta("leasewire_dhcp_received_total",
                               type="request"), 5)
        self.assertEqual(delta("leasewire_dhcp_received_total",
                               type="release"), 1)
        self.assertEqual(delta("leasewire_dhcp_sent_total", type="offer"), 5)
        self.assertEqual(delta("leasewire_dhcp_sent_total", type="ack"), 5)
        self.assertEqual(delta("leasewire_dhcp_sent_total", type="nak"), 0)
        self.assertEqual(delta("leasewire_requests_unanswered_total",
                               reason="released"), 1)
        self.assertGreaterEqual(delta("leasewire_arp_replies_total"), 1)
        self.assertGreaterEqual(delta("leasewire_ping_replies_total"), 3)
        self.assertGreaterEqual(delta("leasewire_frames_received_total"), 13)
        self.assertGreaterEqual(delta("leasewire_frames_sent_total"), 13)
        # Every ACK waited for a commit, and the histogram saw the writes.
        self.assertGreaterEqual(delta("leasewire_store_commits_total"), 5)
        self.assertGreaterEqual(
            delta("leasewire_store_commit_latency_seconds_count"), 1)
        self.assertGreater(delta("leasewire_store_commit_latency_seconds_sum"),
                           0)
        self.assertEqual(delta("leasewire_store_commit_failures_total"), 0)
        self.assertEqual(total(after, "leasewire_store_commit_latency_"
                                      "seconds_bucket", le="+Inf"),
                         total(after, "leasewire_store_commit_latency_"
                                      "seconds_count"))
        # Four clients hold a lease (the fifth released it); the test's
        # other DORAs use other MACs of this class's server, so compare
        # with what was bound before.
        self.assertEqual(delta("leasewire_leases", state="bound"), 4)
        self.assertEqual(delta("leasewire_leases", state="offered"), 0)
        used = POOL_SIZE - total(after, "leasewire_subnet_free_addresses",
                                 subnet_id=7)
        self.assertEqual(used, total(after, "leasewire_leases",
                                     state="bound"))
        self.assertAlmostEqual(
            total(after, "leasewire_subnet_utilization_ratio", subnet_id=7),
            used / POOL_SIZE)
        for _, v in after["leasewire_worker_busy_ratio"]:
            self.assertTrue(0 <= v <= 1, v)


class MetricsPortTest(unittest.TestCase):

    def test_port_in_use_stops_startup(self):
        if not LEASEWIRED or not os.access(LEASEWIRED, os.X_OK):
            raise netlab.LabError(f"no leasewired binary: {LEASEWIRED!r}")
        with netlab.Lab() as lab:
            holder = subprocess.Popen(
                ["ip", "netns", "exec", lab.server_ns, "/usr/bin/python3",
                 "-c", HOLD_PORT, "9167"], stdout=subprocess.PIPE, text=True)
            try:
                self.assertEqual(holder.stdout.readline().strip(),
                                 "listening")
                with self.assertRaises(netlab.LabError) as cm:
                    lab.start_leasewired(
                        LEASEWIRED, config(socket_path=lab.path("ctl.sock")),
                        timeout=30)
                message = str(cm.exception)
                self.assertIn("exited with status 5", message)
                self.assertIn("127.0.0.1:9167", message)
            finally:
                holder.kill()
                holder.wait(10)
                holder.stdout.close()


def main():
    global LEASEWIRED
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leasewired", default=LEASEWIRED)
    args, rest = parser.parse_known_args()
    LEASEWIRED = args.leasewired
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
