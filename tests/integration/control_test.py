"""leasewirectl against a real leasewired (control socket, issue #6).

    sudo /usr/bin/python3 tests/integration/control_test.py \
        --leasewired build-x/src/leasewired/leasewired \
        --leasewirectl build-x/tools/leasewirectl/leasewirectl [-v]

Each test starts leasewired in its own lab (netlab.py) with the control
socket in the lab's temp dir, drives it with leasewirectl (and raw socket
requests for the malformed cases) and checks the outcome on the wire with
crafted DHCP exchanges (dhcpprobe.py). Needs root; without root or the
binaries every test FAILS (never skips).
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402

LEASEWIRED = os.environ.get("LW_LEASEWIRED", "")
LEASEWIRECTL = os.environ.get("LW_LEASEWIRECTL", "")

SERVER_IP = "10.20.0.2"
POOL = ["10.20.0.100", "10.20.0.101", "10.20.0.102", "10.20.0.103"]
RESERVED = "10.20.0.50"  # outside the pool


def config():
    return {
        "interfaces": [{"name": "port0", "address": f"{SERVER_IP}/24"}],
        "authoritative": True,
        "valid-lifetime": 600,
        "subnets": [
            {"id": 1, "subnet": "10.20.0.0/24",
             "pools": [{"pool": f"{POOL[0]} - {POOL[-1]}"}],
             "option-data": [{"name": "routers", "data": "10.20.0.1"}]},
            {"id": 2, "subnet": "10.30.0.0/24",
             "pools": [{"pool": "10.30.0.10 - 10.30.0.20"}]},
        ],
        "control": {"metrics": None},
    }


def mac(n):
    return f"02:00:00:00:01:{n:02x}"


class ControlTest(unittest.TestCase):

    def setUp(self):
        for path, what in ((LEASEWIRED, "--leasewired"),
                           (LEASEWIRECTL, "--leasewirectl")):
            if not path or not os.access(path, os.X_OK):
                self.fail(f"{what} binary not given or not executable: "
                          f"{path!r}")
        self.lab = netlab.Lab()
        self.lab.setup()
        self.addCleanup(self.lab.teardown)
        self.sock = self.lab.path("ctl.sock")
        self.srv = self.start()

    def start(self, cfg=None, workers=2):
        return self.lab.start_leasewired(
            LEASEWIRED, cfg or config(), workers=workers,
            extra_args=["--control-socket", self.sock])

    # --- helpers ----------------------------------------------------------

    def ctl(self, *args, ok=True, json_out=False):
        argv = [LEASEWIRECTL, "--socket", self.sock]
        if json_out:
            argv.append("--json")
        res = subprocess.run(argv + list(args), capture_output=True,
                             text=True, timeout=60)
        if ok is True:
            self.assertEqual(res.returncode, 0,
                             f"leasewirectl {' '.join(args)}: {res.stderr}")
        elif ok is False:
            self.assertNotEqual(res.returncode, 0,
                                f"leasewirectl {' '.join(args)} succeeded: "
                                f"{res.stdout}")
        if json_out and res.returncode == 0:
            return json.loads(res.stdout)
        return res

    def raw(self, payload, half_close=True):
        """Sends raw bytes on the control socket; returns the parsed answer."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.sock)
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before taking it all
        if half_close:
            s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        s.close()
        return json.loads(data)

    def dora(self, m, expect_none=False):
        res = self.lab.probe([{"op": "dora", "mac": m}])[0]
        got = res["ack"]["yiaddr"] if res.get("ack") else None
        if got is None and not expect_none:
            # What the server saw, for the failure message.
            stats = self.ctl("stats", "--no-workers", ok=None).stdout
            print(f"DORA {m} got no ACK: {res}\n{stats}", file=sys.stderr)
        return got

    def subnet(self, sid):
        for s in self.ctl("subnets", json_out=True)["subnets"]:
            if s["id"] == sid:
                return s
        self.fail(f"subnet {sid} not listed")

    def alive(self):
        st = self.ctl("status", json_out=True)
        self.assertTrue(self.srv.running())
        return st

    # --- tests ------------------------------------------------------------

    def test_status_stats_subnets_commands(self):
        self.assertEqual(self.dora(mac(1)), POOL[0])
        st = self.ctl("status", json_out=True)
        self.assertEqual(st["config"]["path"],
                         self.lab.path("leasewired.json"))
        with open(self.lab.path("leasewired.json"), "rb") as f:
            import hashlib
            self.assertEqual(st["config"]["sha256"],
                             hashlib.sha256(f.read()).hexdigest())
        self.assertFalse(st["config"]["changed-on-disk"])
        self.assertEqual(len(st["workers"]), 2)
        self.assertEqual(st["ports"][0]["interface"], "port0")
        self.assertEqual(st["ports"][0]["link"], "up")
        self.assertEqual(st["store"]["state"], "ok")
        self.assertGreaterEqual(st["store"]["committed"], 1)
        text = self.ctl("status").stdout
        self.assertIn("leasewired ", text)
        self.assertIn("port0", text)

        stats = self.ctl("stats", json_out=True)
        self.assertEqual(stats["total"]["received"]["DHCPDISCOVER"], 1)
        self.assertEqual(stats["total"]["received"]["DHCPREQUEST"], 1)
        self.assertEqual(stats["total"]["sent"]["DHCPOFFER"], 1)
        self.assertEqual(stats["total"]["sent"]["DHCPACK"], 1)
        self.assertEqual(stats["leases"]["bound"], 1)
        self.assertEqual(len(stats["workers"]), 2)
        self.assertGreaterEqual(stats["store"]["committed"], 1)
        self.assertIn("DHCPACK", self.ctl("stats").stdout)

        reset = self.ctl("stats", "reset", json_out=True)
        self.assertIn("since", reset)
        after = self.ctl("stats", json_out=True)
        self.assertTrue(after["reset"])
        self.assertEqual(after["total"]["sent"]["DHCPACK"], 0)
        self.assertEqual(after["leases"]["bound"], 1)  # a gauge, not reset
        self.assertEqual(self.dora(mac(2)), POOL[1])
        self.assertEqual(
            self.ctl("stats", json_out=True)["total"]["sent"]["DHCPACK"], 1)

        s1 = self.subnet(1)
        self.assertEqual((s1["total"], s1["used"], s1["free"]), (4, 2, 2))
        self.assertAlmostEqual(s1["utilisation"], 50.0)
        self.assertIn("10.20.0.0/24", self.ctl("subnets").stdout)
        names = [c["command"] for c in
                 self.ctl("commands", json_out=True)["commands"]]
        self.assertIn("lease-get", names)

    def test_lease_get_list_delete(self):
        got = [self.dora(mac(n)) for n in range(1, 5)]
        self.assertEqual(sorted(got), POOL)
        self.assertIsNone(self.dora(mac(9), expect_none=True), "the pool is full")

        lease = self.ctl("lease", "get", POOL[2], json_out=True)["leases"][0]
        self.assertEqual(lease["state"], "bound")
        self.assertEqual(lease["subnet-id"], 1)
        holder = lease["hw-address"]
        by_mac = self.ctl("lease", "get", "--hw-address", holder.upper(),
                          json_out=True)["leases"]
        self.assertEqual([x["address"] for x in by_mac], [POOL[2]])
        self.assertIn(POOL[2], self.ctl("lease", "get", holder).stdout)
        miss = self.ctl("lease", "get", "10.20.0.77", ok=False)
        self.assertEqual(miss.returncode, 1)
        self.assertIn("no lease", miss.stderr)
        outside = self.ctl("lease", "get", "192.0.2.1", ok=False)
        self.assertIn("no configured subnet", outside.stderr)

        page = self.ctl("lease", "list", "--subnet", "1", "--limit", "3",
                        json_out=True)
        self.assertEqual([x["address"] for x in page["leases"]], POOL[:3])
        self.assertIsNotNone(page["next"])
        rest = self.ctl("lease", "list", "--subnet", "1", "--cursor",
                        page["next"], json_out=True)
        self.assertEqual([x["address"] for x in rest["leases"]], POOL[3:])
        self.assertIsNone(rest["next"])
        everything = self.ctl("lease", "list", "--subnet", "1", "--limit",
                              "1", "--all", json_out=True)
        self.assertEqual([x["address"] for x in everything["leases"]], POOL)
        self.assertIn("more: leasewirectl lease list",
                      self.ctl("lease", "list", "--subnet", "1", "--limit",
                               "2").stdout)

        deleted = self.ctl("lease", "delete", POOL[2], json_out=True)
        self.assertEqual(deleted["deleted"]["address"], POOL[2])
        self.assertTrue(deleted["persisted"])
        self.ctl("lease", "get", POOL[2], ok=False)
        self.assertEqual(self.subnet(1)["free"], 1)
        again = self.ctl("lease", "delete", POOL[2], ok=False)
        self.assertIn("no lease", again.stderr)
        # The address is back in the pool: the waiting client gets it.
        self.assertEqual(self.dora(mac(9)), POOL[2])
        # And the deletion was persisted: a restart does not bring it back.
        self.ctl("lease", "delete", POOL[2])
        self.srv = self.lab.restart(self.srv)
        self.ctl("lease", "get", POOL[2], ok=False)
        self.assertEqual(self.subnet(1)["used"], 3)

    def test_runtime_reservation(self):
        m = mac(0x20)
        added = self.ctl("reservations", "add", "--subnet", "1",
                         "--hw-address", m.replace(":", "-"),
                         "--ip-address", RESERVED, "--hostname", "cpe-20",
                         json_out=True)
        self.assertEqual(added["key"], f"1/hw-address/{m}")
        listed = self.ctl("reservations", "list", "--source", "runtime",
                          json_out=True)["reservations"]
        self.assertEqual([(r["hw-address"], r["ip-address"]) for r in listed],
                         [(m, RESERVED)])
        self.assertIn("runtime", self.ctl("reservations", "list").stdout)
        # Honoured by the next DISCOVER, without a restart.
        self.assertEqual(self.dora(m), RESERVED)

        dup = self.ctl("reservations", "add", "--subnet", "1",
                       "--hw-address", m, ok=False)
        self.assertIn("already exists", dup.stderr)
        taken = self.ctl("reservations", "add", "--subnet", "1",
                         "--hw-address", mac(0x21), "--ip-address", RESERVED,
                         ok=False)
        self.assertIn("already reserved", taken.stderr)
        outside = self.ctl("reservations", "add", "--subnet", "1",
                           "--hw-address", mac(0x22), "--ip-address",
                           "10.30.0.5", ok=False)
        self.assertIn("outside subnet", outside.stderr)
        bad_mac = self.ctl("reservations", "add", "--subnet", "1",
                           "--hw-address", "02:00", ok=False)
        self.assertIn("not a MAC address", bad_mac.stderr)
        no_subnet = self.ctl("reservations", "add", "--subnet", "99",
                             "--hw-address", mac(0x23), ok=False)
        self.assertIn("no subnet with id 99", no_subnet.stderr)

        # Persisted: still in force after a restart.
        self.srv = self.lab.restart(self.srv)
        listed = self.ctl("reservations", "list", "--source", "runtime",
                          json_out=True)["reservations"]
        self.assertEqual(len(listed), 1)
        self.assertIn("1 reservations added at run time applied",
                      self.srv.log())
        m2 = mac(0x24)
        self.ctl("reservations", "add", "--subnet", "1", "--hw-address", m2,
                 "--ip-address", "10.20.0.51")
        self.assertEqual(self.dora(m2), "10.20.0.51")

        self.ctl("reservations", "delete", "--subnet", "1",
                 "--hw-address", m2)
        listed = self.ctl("reservations", "list", "--source", "runtime",
                          json_out=True)["reservations"]
        self.assertEqual([r["hw-address"] for r in listed], [m])
        gone = self.ctl("reservations", "delete", "--subnet", "1",
                        "--hw-address", m2, ok=False)
        self.assertIn("no reservation", gone.stderr)

    def test_file_reservation_cannot_be_deleted_at_run_time(self):
        cfg = config()
        cfg["subnets"][0]["reservations"] = [
            {"hw-address": mac(0x30), "ip-address": "10.20.0.60"}]
        with open(self.lab.path("leasewired.json"), "w") as f:
            json.dump(cfg, f)
        self.srv = self.lab.restart(self.srv)
        res = self.ctl("reservations", "delete", "--subnet", "1",
                       "--hw-address", mac(0x30), ok=False)
        self.assertIn("is in the config file", res.stderr)
        self.assertEqual(self.dora(mac(0x30)), "10.20.0.60")

    def test_config_reload_and_test(self):
        leased = [self.dora(mac(n)) for n in (1, 2)]
        self.assertEqual(sorted(leased), POOL[:2])
        before = self.ctl("status", json_out=True)["config"]["sha256"]

        # A valid change: a longer lifetime and a third subnet.
        cfg = config()
        cfg["valid-lifetime"] = 900
        cfg["subnets"].append({"id": 3, "subnet": "10.40.0.0/24",
                               "pools": [{"pool": "10.40.0.10 - 10.40.0.19"}]})
        conf_path = self.lab.path("leasewired.json")
        with open(conf_path, "w") as f:
            json.dump(cfg, f)
        self.assertTrue(
            self.ctl("status", json_out=True)["config"]["changed-on-disk"])
        tested = self.ctl("config", "test", json_out=True)
        self.assertEqual(tested["subnets"], 3)
        self.assertIn(": OK (3 subnets", self.ctl("config", "test").stdout)
        reloaded = self.ctl("config", "reload", json_out=True)
        self.assertEqual(reloaded["subnets"], 3)
        self.assertEqual(reloaded["bound-before"], 2)
        self.assertEqual(reloaded["bound-after"], 2)
        st = self.ctl("status", json_out=True)
        self.assertNotEqual(st["config"]["sha256"], before)
        self.assertFalse(st["config"]["changed-on-disk"])
        for a in leased:  # no lease lost
            self.assertEqual(
                self.ctl("lease", "get", a, json_out=True)["leases"][0]
                ["state"], "bound")
        self.assertEqual(self.subnet(3)["total"], 10)
        self.assertEqual(self.dora(mac(3)), POOL[2])

        # An invalid file is refused and the running config stays.
        with open(conf_path, "w") as f:
            f.write('{"server-id": "10.20.0.2", "subnets": [{"id": 1, '
                    '"subnet": "10.20.0.1/24"}]}')
        bad = self.ctl("config", "reload", ok=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("host bits set", bad.stderr)
        self.assertIn("running config stays", bad.stderr)
        self.assertEqual(self.subnet(3)["total"], 10)
        self.assertEqual(self.dora(mac(4)), POOL[3])
        bad_test = self.ctl("config", "test", ok=False)
        self.assertIn("subnets[0].subnet", bad_test.stderr)
        other = self.lab.path("other.json")
        with open(other, "w") as f:
            json.dump(config(), f)
        self.assertEqual(
            self.ctl("config", "test", other, json_out=True)["subnets"], 2)
        missing = self.ctl("config", "test", "/nonexistent.json", ok=False)
        self.assertEqual(missing.returncode, 2)  # CLI11 checks it exists

    def test_bad_requests_are_refused_and_server_survives(self):
        cases = [
            (b"\x00\xffgarbage\n", "bad-request"),
            (b"[1,2,3]\n", "bad-request"),
            (b'{"version": 1, "command": "lease4-get"}\n',
             "unknown-command"),
            (b'{"version": 2, "command": "status"}\n', "bad-version"),
            (b'{"command": "status"}\n', "bad-version"),
            (b'{"version": 1, "command": "status", "arguments": 5}\n',
             "bad-request"),
            (b'{"version": 1, "command": "lease-get", "arguments": '
             b'{"address": "10.20.0.999"}}\n', "bad-arguments"),
            (b'{"version": 1, "command": "lease-get", "arguments": '
             b'{"address": "10.20.0.1", "hw-address": "x"}}\n',
             "bad-arguments"),
            (b'{"version": 1, "command": "lease-list", "arguments": '
             b'{"subnet-id": 1, "limit": 100000}}\n', "bad-arguments"),
            (b'{"version": 1, "command": "stats", "arguments": '
             b'{"bogus": 1}}\n', "bad-arguments"),
            (b'{"version": 1, "command": "reservation-add", "arguments": '
             b'{"subnet-id": 1, "reservation": []}}\n', "bad-arguments"),
            (b"[" * 30000 + b"\n", "bad-request"),
            (b"\n", "bad-request"),
        ]
        for payload, code in cases:
            with self.subTest(payload=payload[:60]):
                r = self.raw(payload)
                self.assertEqual(r["version"], 1)
                self.assertEqual(r["status"], "error")
                self.assertEqual(r["code"], code)
                self.assertTrue(r["error"])
        big = self.raw(b'{"version": 1, "command": "status", "x": "' +
                       b"a" * 200000 + b'"}\n')
        self.assertEqual(big["code"], "bad-request")
        self.assertIn("larger than", big["error"])
        # A client that connects and says nothing is dropped after 5 s,
        # and does not hold up anyone else meanwhile.
        idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        idle.connect(self.sock)
        t0 = time.monotonic()
        self.alive()
        self.assertLess(time.monotonic() - t0, 3)
        idle.close()
        for _ in range(50):  # connect-and-close probes
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.sock)
            s.close()
        self.alive()
        self.assertEqual(self.dora(mac(1)), POOL[0])

    def test_backup_while_serving_then_serve_from_it(self):
        """Issue #8: leasewirectl backup while perfdhcp takes leases; the
        copy is a consistent point in time, opens with --verify-lease-dir
        and serves, as --lease-dir of a second leasewired, the leases it
        holds."""
        cfg = config()
        cfg["subnets"].append({"id": 3, "subnet": "10.40.0.0/16",
                               "pools": [{"pool": "10.40.1.0 - 10.40.4.255"}]})
        self.assertEqual(self.srv.stop(), 0)
        self.srv = self.start(cfg)
        before = {mac(n): self.dora(mac(n)) for n in (1, 2, 3)}
        self.assertEqual(sorted(before.values()), POOL[:3])

        # perfdhcp is a relay (giaddr 10.40.0.1): 4 s of DORA at 200/s.
        self.lab.client_addr("10.20.0.10/24")
        self.lab.client_addr("10.40.0.1/16")
        perf = self.lab.client_popen(
            ["perfdhcp", "-4", "-g", "single", "-r", "200", "-p", "4",
             "-n", "800", "-R", "800", "-W", "2000000", "-l", "10.40.0.1",
             SERVER_IP], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        time.sleep(1.5)
        backup = self.lab.path("backups/first")
        os.mkdir(self.lab.path("backups"))
        t0 = time.monotonic()
        made = self.ctl("backup", backup, json_out=True)
        took = time.monotonic() - t0
        out, _ = perf.communicate(timeout=60)
        self.assertEqual(perf.returncode, 0, out)
        sent = [int(x) for x in re.findall(r"sent packets: (\d+)", out)]
        drops = [int(x) for x in re.findall(r"drops: (\d+)", out)]
        self.assertEqual(drops, [0, 0], "perfdhcp lost exchanges while the "
                         f"backup ran:\n{out}")
        self.assertGreaterEqual(sent[0], 600, out)
        print(f"backup of {made['lease-records']} leases took {took:.3f} s "
              f"(server: {made['seconds']:.3f} s, {made['disk-bytes']} "
              f"bytes); perfdhcp drops: {drops}",
              file=sys.stderr)

        self.assertEqual(made["directory"], backup)
        self.assertEqual(made["damaged-records"], 0)
        self.assertGreater(made["lease-records"], 3, "perfdhcp had leases")
        live = self.ctl("stats", json_out=True)["leases"]["bound"]
        self.assertGreater(live, made["lease-records"],
                           "the server went on leasing after the backup")
        self.assertIn("control: backup of lease database", self.srv.log())

        # Refused: an existing directory, and nothing is overwritten.
        again = self.ctl("backup", backup, ok=False)
        self.assertEqual(again.returncode, 1)
        self.assertIn("already exists", again.stderr)
        # A relative DIR is taken relative to leasewirectl's directory.
        rel = subprocess.run(
            [os.path.abspath(LEASEWIRECTL), "--socket", self.sock, "backup",
             "second"],
            cwd=self.lab.path("backups"), capture_output=True, text=True,
            timeout=60)
        self.assertEqual(rel.returncode, 0, rel.stderr)
        self.assertIn(self.lab.path("backups/second"), rel.stdout)
        self.assertIn("restore: stop leasewired", rel.stdout)

        verified = subprocess.run([LEASEWIRED, "--verify-lease-dir", backup],
                                  capture_output=True, text=True, timeout=60)
        self.assertEqual(verified.returncode, 0, verified.stderr)
        self.assertIn(f"{made['lease-records']} lease records",
                      verified.stdout)
        missing = subprocess.run(
            [LEASEWIRED, "--verify-lease-dir", self.lab.path("backups")],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(missing.returncode, 4)
        self.assertIn("no lease database", missing.stderr)

        # Restore: stop, serve from the backup directory.
        self.assertEqual(self.srv.stop(), 0)
        self.lab.lease_dir = backup
        self.srv = self.start(cfg)
        self.assertIn(f"--lease-dir {backup}", " ".join(self.srv.argv))
        st = self.ctl("status", json_out=True)
        self.assertEqual(st["store"]["directory"], backup)
        restored = self.ctl("stats", json_out=True)["leases"]["bound"]
        self.assertEqual(restored, made["lease-records"])
        for m, addr in before.items():
            got = self.ctl("lease", "get", addr, json_out=True)["leases"][0]
            self.assertEqual((got["state"], got["hw-address"]), ("bound", m))
        perf_leases = self.ctl("lease", "list", "--subnet", "3", "--all",
                               json_out=True)["leases"]
        self.assertEqual(len(perf_leases), made["lease-records"] - 3)
        # It serves on: a known client keeps its address, a new one gets
        # the next free one.
        self.assertEqual(self.dora(mac(1)), before[mac(1)])
        self.assertEqual(self.dora(mac(4)), POOL[3])

    def test_unreachable_and_shutdown(self):
        res = subprocess.run([LEASEWIRECTL, "--socket",
                              self.lab.path("nothing.sock"), "status"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(res.returncode, 3)
        self.assertIn("leasewired is not running", res.stderr)
        usage = subprocess.run([LEASEWIRECTL, "lease", "list"],
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(usage.returncode, 2)
        self.assertIn("--subnet", usage.stderr)
        helped = subprocess.run([LEASEWIRECTL, "reservations", "add",
                                 "--help"], capture_output=True, text=True,
                                timeout=30)
        self.assertEqual(helped.returncode, 0)
        self.assertIn("--ip-address", helped.stdout)

        self.ctl("shutdown")
        self.srv.proc.wait(20)
        self.assertEqual(self.srv.proc.returncode, 0)
        self.assertIn("shutdown requested on the control socket",
                      self.srv.log())
        self.assertFalse(os.path.exists(self.sock), "socket removed at exit")
        res = subprocess.run([LEASEWIRECTL, "--socket", self.sock, "status"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(res.returncode, 3)


def main():
    global LEASEWIRED, LEASEWIRECTL
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--leasewired", default=LEASEWIRED)
    parser.add_argument("--leasewirectl", default=LEASEWIRECTL)
    args, rest = parser.parse_known_args()
    LEASEWIRED = args.leasewired
    LEASEWIRECTL = args.leasewirectl
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
