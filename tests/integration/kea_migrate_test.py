"""Kea to leasewire migration with real Kea, real clients and leasewired.

    sudo /usr/bin/python3 tests/integration/kea_migrate_test.py \
        --leasewired build-x/src/leasewired/leasewired \
        --leasewirectl build-x/tools/leasewirectl/leasewirectl \
        --migrate build-x/tools/kea-migrate/leasewire-kea-migrate [-v]

One lab (netlab.py): kea-dhcp4 (Debian's kea-dhcp4-server, started here as
a plain process with a config of our own, memfile leases in the lab's temp
dir; never the system service) serves dhclient and udhcpc; Kea is stopped;
leasewire-kea-migrate converts Kea's config and imports its lease file;
leasewired starts on the same veth with the result, `leasewirectl lease get`
shows the migrated leases, and both clients get their SAME address back
with an ACK. Needs root; without it, or without a binary, it FAILS.
"""

import argparse
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402
from clients_test import BOUND_EVENTS, Client  # noqa: E402

LEASEWIRED = os.environ.get("LW_LEASEWIRED", "")
LEASEWIRECTL = os.environ.get("LW_LEASEWIRECTL", "")
MIGRATE = os.environ.get("LW_KEA_MIGRATE", "")

SERVER_IP = "10.20.0.2"
ROUTER = "10.20.0.1"
SUBNET_ID = 5

# Written the way an operator writes one: comments, a client class the
# migration reports, timers in seconds.
KEA_CONFIG = """# Kea 2.2 config of the migration test
{
  "Dhcp4": {
    // the server's veth, with the server's own address
    "interfaces-config": {"interfaces": ["@IF@/@SERVER_IP@"],
                          "dhcp-socket-type": "raw"},
    "lease-database": {"type": "memfile", "persist": true,
                       "name": "@LEASES@", "lfc-interval": 0},
    "control-socket": {"socket-type": "unix", "socket-name": "@SOCK@"},
    "loggers": [{"name": "kea-dhcp4", "severity": "INFO",
                 "output_options": [{"output": "stdout"}]}],
    "authoritative": true,
    "valid-lifetime": 600,
    "renew-timer": 300,
    "rebind-timer": 525,
    "option-data": [{"name": "domain-name-servers", "data": "10.20.0.53"}],
    "client-classes": [{"name": "nobody",
                        "test": "option[60].text == 'nobody'"}],
    "subnet4": [{
      "id": @SUBNET_ID@,
      "subnet": "10.20.0.0/24",
      "pools": [{"pool": "10.20.0.100 - 10.20.0.150"}],
      "option-data": [{"name": "routers", "data": "@ROUTER@"}],
      "reservations": [{"hw-address": "02:43:4c:00:0f:ff",
                        "ip-address": "10.20.0.20", "hostname": "printer"}]
    }]
  }
}
"""


def run(argv, timeout=60):
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=timeout)


class KeaMigrateTest(unittest.TestCase):

    def setUp(self):
        netlab.require_root()
        for path, what in ((LEASEWIRED, "--leasewired"),
                           (LEASEWIRECTL, "--leasewirectl"),
                           (MIGRATE, "--migrate")):
            if not path or not os.access(path, os.X_OK):
                self.fail(f"{what} binary not given or not executable: "
                          f"{path!r}")
        for tool in ("kea-dhcp4", "dhclient", "udhcpc"):
            if not subprocess.run(["which", tool],
                                  capture_output=True).returncode == 0:
                self.fail(f"{tool} not installed: bash tools/install-deps.sh "
                          "demo")
        self.lab = netlab.Lab()
        self.addCleanup(self.lab.teardown)
        self.lab.setup()

    def start_kea(self):
        lab = self.lab
        kea_dir = lab.path("kea")
        os.makedirs(kea_dir)
        self.kea_leases = os.path.join(kea_dir, "leases4.csv")
        self.kea_sock = lab.path("kea4.sock")
        text = (KEA_CONFIG.replace("@IF@", lab.server_if)
                .replace("@SERVER_IP@", SERVER_IP)
                .replace("@LEASES@", self.kea_leases)
                .replace("@SOCK@", self.kea_sock)
                .replace("@SUBNET_ID@", str(SUBNET_ID))
                .replace("@ROUTER@", ROUTER))
        self.kea_conf = os.path.join(kea_dir, "kea-dhcp4.conf")
        with open(self.kea_conf, "w") as f:
            f.write(text)
        lab.server_run(["ip", "addr", "add", f"{SERVER_IP}/24", "dev",
                        lab.server_if])
        env = dict(os.environ, KEA_PIDFILE_DIR=kea_dir,
                   KEA_LOCKFILE_DIR=kea_dir)
        srv = netlab.Server(
            lab, "kea", ["ip", "netns", "exec", lab.server_ns, "kea-dhcp4",
                         "-c", self.kea_conf],
            None, lab.path("kea.log"), "DHCP4_STARTED", env=env)
        srv._start(20)
        return srv

    def test_kea_leases_survive_the_move(self):
        """A lease Kea granted is in leasewire's store after the migration:
        `lease get` shows it, a new client is not offered it, and the
        clients that held it get it back with an ACK (dhclient INIT-REBOOT,
        RFC 2131 §3.2; udhcpc asking for it in DISCOVER, §3.1)."""
        lab = self.lab
        kea = self.start_kea()
        clients = [Client(lab, "dhclient", 0), Client(lab, "udhcpc", 1)]
        held = {}
        for c in clients:
            c.bind()
            held[c.kind] = c.lease()["ip"]
            self.assertEqual(c.lease()["routers"], [ROUTER], c.kind)
        self.assertEqual(len(set(held.values())), 2, held)
        self.assertEqual(kea.stop(), 0, kea.log()[-2000:])
        with open(self.kea_leases) as f:
            csv = f.read()
        self.assertTrue(csv.startswith(
            "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,"
            "fqdn_fwd,fqdn_rev,hostname,state,user_context"), csv)
        for ip in held.values():
            self.assertIn(ip + ",", csv)
        # leasewired owns the address on the port itself (net_af_packet):
        # off the kernel's side.
        lab.server_run(["ip", "addr", "del", f"{SERVER_IP}/24", "dev",
                        lab.server_if])

        # --- migrate ------------------------------------------------------
        lw_conf = lab.path("leasewire.json")
        cfg_report = lab.path("config-report.json")
        res = run([MIGRATE, "config", self.kea_conf, "-o", lw_conf,
                   "--report", cfg_report])
        # The client class is reported as dropped: converted with losses.
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn("dropped: Dhcp4.client-classes[0]", res.stderr)
        with open(cfg_report) as f:
            report = json.load(f)
        self.assertIn("Dhcp4.client-classes[0]",
                      [i["path"] for i in report["items"]
                       if i["severity"] == "dropped"])
        with open(lw_conf) as f:
            config = json.load(f)
        self.assertEqual(config["interfaces"],
                         [{"name": lab.server_if,
                           "address": f"{SERVER_IP}/24"}])
        self.assertEqual(config["control"]["socket"], self.kea_sock)
        check = run([LEASEWIRED, "--check-config", lw_conf])
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("OK (1 subnets, 1 pools, 1 reservations)",
                      check.stdout + check.stderr)

        lease_report = lab.path("lease-report.json")
        res = run([MIGRATE, "leases", self.kea_leases, "--config", lw_conf,
                   "--lease-dir", lab.lease_dir, "--report", lease_report])
        self.assertEqual(res.returncode, 0, res.stderr)
        with open(lease_report) as f:
            counts = json.load(f)["counts"]
        self.assertEqual(counts["imported"], 2, counts)
        self.assertEqual(counts["malformed"], 0, counts)

        # --- leasewired on the same lab -----------------------------------
        srv = lab.start_leasewired(
            LEASEWIRED, config,
            extra_args=["--control-socket", config["control"]["socket"]])
        self.assertIn("recovered 2 leases", srv.run_log())
        ctl = [LEASEWIRECTL, "--socket", config["control"]["socket"],
               "--json"]
        for c in clients:
            ip = held[c.kind]
            res = run(ctl + ["lease", "get", ip])
            self.assertEqual(res.returncode, 0, res.stderr)
            lease = json.loads(res.stdout)["leases"][0]
            self.assertEqual(lease["address"], ip)
            self.assertEqual(lease["state"], "bound")
            self.assertEqual(lease["subnet-id"], SUBNET_ID)
            self.assertEqual(lease["hw-address"], c.mac)
            self.assertGreater(lease["remaining"], 500)
        # The migrated leases are held: a new client gets neither address.
        r = lab.probe([{"op": "discover", "mac": "02:00:00:00:7e:01"}],
                      server_ip=SERVER_IP)[0]["replies"]
        offered = [x["yiaddr"] for x in r if x["msg_type"] == 2]
        self.assertTrue(offered, r)
        self.assertFalse(set(offered) & set(held.values()), offered)

        # --- the same clients come back ------------------------------------
        for c in clients:
            ip = held[c.kind]
            n_events = len(c.events())
            if c.kind == "dhclient":
                lab.client_run(["sh", "-c", f"kill $(cat {c.pid_file})"],
                               check=False)
                out = c.bind()
                self.assertIn(f"DHCPREQUEST for {ip}", out)
                self.assertIn(f"DHCPACK of {ip} from {SERVER_IP}", out)
                self.assertNotIn("DHCPNAK", out)
            else:
                out = c.bind(["-r", ip])
                self.assertIn(f"lease of {ip} obtained", out)
            c.wait_event(BOUND_EVENTS, 5, after=n_events)
            self.assertEqual(c.lease()["ip"], ip, f"{c.kind}: {out}")
        self.assertEqual(srv.stop(), 0, srv.log()[-2000:])


def main():
    global LEASEWIRED, LEASEWIRECTL, MIGRATE
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--leasewired")
    ap.add_argument("--leasewirectl")
    ap.add_argument("--migrate")
    args, rest = ap.parse_known_args()
    if args.leasewired:
        LEASEWIRED = os.path.abspath(args.leasewired)
    if args.leasewirectl:
        LEASEWIRECTL = os.path.abspath(args.leasewirectl)
    if args.migrate:
        MIGRATE = os.path.abspath(args.migrate)
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
