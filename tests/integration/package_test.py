"""The leasewire .deb on this machine: build, install, serve, purge.

    sudo /usr/bin/python3 tests/integration/package_test.py \
        --build-dir build [--cpack cpack] [-v]

1. `cpack -G DEB` in the build directory (the targets must be built);
2. `dpkg -i` of the package; its files, conffile, user, lease directory;
   `systemd-analyze verify` of the installed unit;
3. the shipped /etc/leasewire/leasewired.json edited as docs/operations.md
   says (its "device" line names an interface: here the server end of a
   veth in a network namespace of netlab.py);
4. the INSTALLED leasewired started the way its unit starts it (PID 1 on
   the development machine is not systemd): ExecStartPre and ExecStart
   parsed from /lib/systemd/system/leasewired.service, as the unit's User
   and Group with its AmbientCapabilities/CapabilityBoundingSet and
   NoNewPrivileges (setpriv), its Environment, and /run/leasewire made as
   RuntimeDirectory= would; NOTIFY_SOCKET is a datagram socket this test
   reads: READY=1 must come from the server's PID and the unit's user;
5. udhcpc in the client namespace gets a lease; the installed leasewirectl
   finds it; ExecReload reloads (a STATUS= line follows); SIGTERM gives
   STOPPING=1 and exit status 0, and DPDK's runtime files are gone;
6. `dpkg -i` again (the upgrade path): the leases and the edited conffile
   stay; `dpkg --purge leasewire`: files, lease directory and user are
   gone.

Needs root, dpkg-dev (dpkg-shlibdeps), udhcpc, setpriv. Refuses to run if
a leasewire package is already installed: it would replace the host's own.
WATCHDOG=1 pings are checked with a 2 s WATCHDOG_USEC. What systemd itself
adds (PrivateTmp, ProtectSystem, the watchdog's kill) is not exercised here: `systemd-analyze verify` checks those settings parse.
"""

import argparse
import glob
import json
import os
import pwd
import grp
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402

BUILD_DIR = ""
CPACK = "cpack"
UNIT = "/lib/systemd/system/leasewired.service"
CONF = "/etc/leasewire/leasewired.json"
SERVER_IP = "10.20.0.2"   # the shipped config's interface address
POOL_PREFIX = "10.20.0."

EXPECTED_FILES = [
    "/usr/bin/leasewired",
    "/usr/bin/leasewirectl",
    "/usr/bin/leasewire-kea-migrate",
    UNIT,
    CONF,
    "/usr/share/man/man8/leasewired.8.gz",
    "/usr/share/man/man8/leasewirectl.8.gz",
    "/usr/share/doc/leasewire/operations.md",
    "/usr/share/doc/leasewire/configuration.md",
    "/usr/share/doc/leasewire/migrating-from-kea.md",
    "/usr/share/doc/leasewire/examples/one-lan.json",
    "/usr/share/doc/leasewire/examples/isp-1000.json",
    "/usr/share/doc/leasewire/examples/leasewired-vfio.conf",
    "/usr/share/leasewire/host-prep.sh",
    "/usr/share/leasewire/grafana/leasewire-dashboard.json",
]


def run(argv, check=True, timeout=120, **kwargs):
    kwargs.setdefault("text", True)
    res = subprocess.run(argv, capture_output=True, timeout=timeout, **kwargs)
    if check and res.returncode != 0:
        raise AssertionError(f"failed ({res.returncode}): {' '.join(argv)}\n"
                             f"{res.stdout}\n{res.stderr}")
    return res


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def installed(package):
    res = run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", package],
              check=False)
    return res.returncode == 0 and res.stdout.startswith("ii")


def unit_service(path):
    """The [Service] settings of a unit: {key: [values in order]}."""
    out = {}
    section = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line.strip("[]")
            elif section == "Service":
                key, _, value = line.partition("=")
                out.setdefault(key.strip(), []).append(value.strip())
    return out


class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's NOTIFY_SOCKET;
    records each message with its sender's credentials."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        os.chmod(self.path, 0o666)  # the service user must be able to send
        self.messages = []          # (pid, uid, {key: value})

    def close(self):
        self.sock.close()

    def wait_for(self, key, value, timeout, proc=None):
        """Reads messages until one has key=value; returns (pid, uid, msg)."""
        deadline = time.monotonic() + timeout
        for m in self.messages:
            if m[2].get(key) == value:
                return m
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise AssertionError(
                    f"leasewired exited ({proc.returncode}) before {key}="
                    f"{value}; messages: {self.messages}")
            self.sock.settimeout(0.2)
            try:
                data, anc, _, _ = self.sock.recvmsg(
                    4096, socket.CMSG_SPACE(12))
            except socket.timeout:
                continue
            pid = uid = -1
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and \
                        kind == socket.SCM_CREDENTIALS:
                    pid, uid, _ = struct.unpack("iII", payload[:12])
            fields = dict(line.split("=", 1)
                          for line in data.decode().splitlines() if "=" in line)
            self.messages.append((pid, uid, fields))
            if fields.get(key) == value:
                return self.messages[-1]
        raise AssertionError(f"no {key}={value} within {timeout}s; "
                             f"messages: {self.messages}")


class PackageTest(unittest.TestCase):
    def setUp(self):
        netlab.require_root()
        if installed("leasewire"):
            self.fail("a leasewire package is installed on this host: this "
                      "test installs and purges its own; remove it first")
        # The package owns these: purging it deletes them.
        for path in ("/etc/leasewire", "/var/lib/leasewire", "/run/leasewire"):
            self.assertFalse(os.path.exists(path),
                             f"{path} exists: this test installs and purges "
                             "the package, which would delete it")
        for tool in ("dpkg-shlibdeps", "udhcpc", "setpriv",
                     "systemd-analyze"):
            self.assertTrue(shutil.which(tool), f"{tool} is missing "
                            "(tools/install-deps.sh demo)")
        self.tmp = tempfile.mkdtemp(prefix="lw-pkg-")
        os.chmod(self.tmp, 0o755)  # the notify socket is in here
        self.proc = None
        self.made_run_dir = False
        self.addCleanup(self.cleanup)

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if installed("leasewire") or os.path.exists(CONF):
            subprocess.run(["dpkg", "--purge", "leasewire"],
                           capture_output=True)
        if self.made_run_dir:
            shutil.rmtree("/run/leasewire", ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def build_deb(self):
        start = time.monotonic()
        out_dir = os.path.join(self.tmp, "deb")
        run([CPACK, "-G", "DEB", "-B", out_dir, "--config",
             os.path.join(BUILD_DIR, "CPackConfig.cmake")], timeout=600,
            cwd=BUILD_DIR)
        debs = glob.glob(os.path.join(out_dir, "leasewire_*.deb"))
        self.assertEqual(len(debs), 1, os.listdir(out_dir))
        print(f"\npackage: {os.path.basename(debs[0])}, "
              f"{os.path.getsize(debs[0]) / 1e6:.1f} MB, built in "
              f"{time.monotonic() - start:.1f} s", file=sys.stderr)
        return debs[0]

    def check_package(self, deb):
        fields = run(["dpkg-deb", "-f", deb, "Package", "Depends"]).stdout
        self.assertIn("Package: leasewire", fields)
        # shlibdeps: the libraries the binaries link, with versions.
        for lib in ("libc6", "librte-eal", "libsystemd0", "adduser",
                    "librte-mempool-ring", "librte-net-af-packet"):
            self.assertIn(lib, fields)
        control = run(["dpkg-deb", "-I", deb]).stdout
        for script in ("postinst", "prerm", "postrm", "conffiles"):
            self.assertIn(script, control)

    def check_installed(self):
        files = set(run(["dpkg", "-L", "leasewire"]).stdout.split())
        for path in EXPECTED_FILES:
            self.assertIn(path, files)
            self.assertTrue(os.path.exists(path), path)
        conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}",
                         "leasewire"]).stdout
        self.assertIn(CONF, conffiles)
        user = pwd.getpwnam("leasewire")
        self.assertLess(user.pw_uid, 1000)  # a system user
        st = os.stat("/var/lib/leasewire")
        self.assertEqual((st.st_uid, st.st_mode & 0o777),
                         (user.pw_uid, 0o750))
        version = run(["/usr/bin/leasewired", "--version"]).stdout
        self.assertRegex(version, r"leasewired \d+\.\d+\.\d+")
        # The installed unit, with the installed binaries and man pages.
        res = run(["systemd-analyze", "verify", UNIT], check=False)
        self.assertEqual((res.returncode, res.stdout + res.stderr), (0, ""))
        res = run(["man", "--warnings", "leasewired"], check=False,
                  env=dict(os.environ, MANWIDTH="80"))
        self.assertEqual((res.returncode, res.stderr), (0, ""))
        self.assertIn("leasewired", res.stdout)
        res = run(["/usr/share/leasewire/host-prep.sh", "--hugepages", "4"])
        self.assertIn("dry run", res.stdout)

    def configure(self, ifname):
        """What an operator does for a lab start: name the interface."""
        with open(CONF) as f:
            text = f.read()
        shipped = '// "device": "net_af_packet0,iface=eth1",'
        self.assertIn(shipped, text)
        with open(CONF, "w") as f:
            f.write(text.replace(
                shipped, f'"device": "net_af_packet0,iface={ifname}",'))

    def service_command(self, unit, argv, netns):
        """argv as the unit would run it: user, capabilities, no new
        privileges, environment; in the server's network namespace."""
        user = unit["User"][-1]
        group = unit["Group"][-1]
        caps = " ".join(unit.get("AmbientCapabilities", [])).split()
        bound = " ".join(unit.get("CapabilityBoundingSet", [])).split()
        setcaps = ",".join("+" + c.lower().removeprefix("cap_") for c in caps)
        bounding = ",".join(["-all"] + ["+" + c.lower().removeprefix("cap_")
                                        for c in bound])
        env = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        for e in unit.get("Environment", []):
            env += shlex.split(e)
        cmd = ["ip", "netns", "exec", netns, "env", "-i"] + env
        cmd += ["setpriv", f"--reuid={user}", f"--regid={group}",
                "--init-groups", f"--bounding-set={bounding}"]
        if setcaps:
            cmd += [f"--inh-caps={setcaps}", f"--ambient-caps={setcaps}"]
        if unit.get("NoNewPrivileges", ["no"])[-1] == "yes":
            cmd.append("--no-new-privs")
        return cmd + ["--"] + argv

    def make_directories(self, unit):
        """RuntimeDirectory= and StateDirectory= as systemd makes them."""
        user = pwd.getpwnam(unit["User"][-1])
        group = grp.getgrnam(unit["Group"][-1])
        for key, base in (("RuntimeDirectory", "/run"),
                          ("StateDirectory", "/var/lib")):
            mode = int(unit.get(key + "Mode", ["0755"])[-1], 8)
            for name in " ".join(unit.get(key, [])).split():
                path = os.path.join(base, name)
                if key == "RuntimeDirectory":
                    self.made_run_dir = True
                os.makedirs(path, exist_ok=True)
                os.chown(path, user.pw_uid, group.gr_gid)
                os.chmod(path, mode)

    def test_install_serve_purge(self):
        start = time.monotonic()
        deb = self.build_deb()
        self.check_package(deb)
        run(["dpkg", "-i", deb], env=dict(os.environ,
                                          DEBIAN_FRONTEND="noninteractive"))
        self.check_installed()
        unit = unit_service(UNIT)
        self.assertEqual(unit["Type"], ["notify"])

        with netlab.Lab() as lab:
            ifname = lab.server_if
            self.configure(ifname)
            self.make_directories(unit)
            user = pwd.getpwnam(unit["User"][-1])
            for pre in unit.get("ExecStartPre", []):
                res = run(self.service_command(unit, shlex.split(pre),
                                               lab.server_ns))
                self.assertIn("OK", res.stdout)
            notify = NotifySocket(self.tmp)
            self.addCleanup(notify.close)
            argv = self.service_command(
                unit, shlex.split(unit["ExecStart"][-1]), lab.server_ns)
            # systemd's WATCHDOG_USEC is WatchdogSec=; 2 s here instead of
            # the unit's 30 s, so that pings arrive while the test runs.
            self.assertIn("WatchdogSec", unit)
            argv[argv.index("env") + 2:argv.index("env") + 2] = [
                f"NOTIFY_SOCKET={notify.path}", "WATCHDOG_USEC=2000000"]
            log_path = os.path.join(self.tmp, "leasewired.log")
            with open(log_path, "wb") as log:
                self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                             stdout=log,
                                             stderr=subprocess.STDOUT)
            try:
                pid, uid, msg = notify.wait_for("READY", "1", 30, self.proc)
            except AssertionError as e:
                raise AssertionError(f"{e}\nlog:\n{read(log_path)}")
            # `ip netns exec`, env and setpriv exec: the server is our child.
            self.assertEqual(pid, self.proc.pid)
            self.assertEqual(uid, user.pw_uid)
            self.assertTrue(msg["STATUS"].startswith("serving 1 subnets"),
                            msg)

            res = lab.client_run(["udhcpc", "-f", "-q", "-n", "-i",
                                  lab.client_if, "-t", "5", "-T", "1",
                                  "-s", "/bin/true"], check=False, timeout=40)
            out = res.stdout + res.stderr
            m = re.search(r"lease of ([\d.]+) obtained from ([\d.]+)", out)
            self.assertTrue(m, out)
            address = m.group(1)
            self.assertTrue(address.startswith(POOL_PREFIX), address)
            self.assertEqual(m.group(2), SERVER_IP)

            res = run(["/usr/bin/leasewirectl", "--json", "lease", "get",
                       address])
            leases = json.loads(res.stdout)
            self.assertIn(netlab.CLIENT_MAC, json.dumps(leases))
            self.assertTrue(os.path.isdir("/var/lib/leasewire/leases"))

            for reload in unit.get("ExecReload", []):
                run(shlex.split(reload))
            if unit.get("ExecReload"):
                self.wait_status(notify, "config reloaded")

            pid, _, _ = notify.wait_for("WATCHDOG", "1", 5, self.proc)
            self.assertEqual(pid, self.proc.pid)

            os.kill(self.proc.pid, signal.SIGTERM)
            notify.wait_for("STOPPING", "1", 15)
            self.assertEqual(self.proc.wait(30), 0, read(log_path))
            self.assertEqual(glob.glob("/run/leasewire/dpdk/*"), [],
                             "DPDK's runtime files stayed behind")
            shutil.rmtree("/run/leasewire")  # RuntimeDirectory= removal
            self.made_run_dir = False

        # Upgrade (the same version again takes the same path through
        # postinst): the leases and the operator's edit stay.
        leases = sorted(os.listdir("/var/lib/leasewire/leases"))
        self.assertTrue(leases)
        run(["dpkg", "-i", deb], env=dict(os.environ,
                                          DEBIAN_FRONTEND="noninteractive"))
        self.assertIn(f"iface={ifname}", read(CONF))
        self.assertEqual(sorted(os.listdir("/var/lib/leasewire/leases")),
                         leases)

        run(["dpkg", "--purge", "leasewire"])
        self.assertFalse(installed("leasewire"))
        for path in ["/usr/bin/leasewired", UNIT, CONF, "/etc/leasewire",
                     "/var/lib/leasewire"]:
            self.assertFalse(os.path.exists(path), path)
        with self.assertRaises(KeyError):
            pwd.getpwnam("leasewire")
        print(f"package test: {time.monotonic() - start:.1f} s",
              file=sys.stderr)

    @staticmethod
    def wait_status(notify, text, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in notify.messages:
                if text in m[2].get("STATUS", ""):
                    return m
            try:
                notify.wait_for("never", "x", 0.3)
            except AssertionError:
                pass
        raise AssertionError(f"no STATUS with '{text}': {notify.messages}")


def main():
    global BUILD_DIR, CPACK
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--cpack", default="cpack")
    args, rest = parser.parse_known_args()
    BUILD_DIR = os.path.abspath(args.build_dir)
    CPACK = args.cpack
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
