"""A two-namespace network lab for tests that drive real DHCP clients.

A Lab is a server namespace and a client namespace joined by one veth pair.
leasewired (through net_af_packet on the server end) or ISC Kea (on the
kernel side of the server end) runs in the server namespace; DHCP clients,
perfdhcp and scapy run in the client namespace.

Stable API (other tools import this module; extend it, do not change it):

    with netlab.Lab() as lab:             # creates namespaces + veth
        lab.client_addr("10.20.0.10/24")  # address on the client veth
        srv = lab.start_leasewired(BINARY, config_dict)   # waits for "serving"
        lab.client_run(["udhcpc", ...])   # subprocess.run in the client ns
        srv.stop()                        # SIGTERM, wait, check exit status
        srv = lab.restart(srv)            # same config and lease directory
    # everything is gone here: processes, namespaces, temp dir, DPDK files

Names: "lw" + 5-digit PID + a per-process sequence letter + role, so parallel
runs (and several labs in one process) never collide, and every interface
name stays within the kernel's 15 characters.

Teardown runs on leaving the `with` block, at interpreter exit and on
SIGTERM/SIGINT (turned into SystemExit/KeyboardInterrupt so that `finally`
blocks run). It only ever kills processes the lab started, by PID.
"""

import atexit
import json
import os
import shutil
import signal
import string
import subprocess
import tempfile
import threading
import time

__all__ = [
    "Lab", "Server", "LabError", "SERVER_MAC", "CLIENT_MAC",
    "require_root", "kea_config_from",
]

# Locally administered, fixed, so tests can address frames without ARP.
SERVER_MAC = "02:4c:57:00:00:02"
CLIENT_MAC = "02:4c:57:00:00:01"

_PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "dhcpprobe.py")
_SEQ_LETTERS = string.ascii_lowercase
_seq_lock = threading.Lock()
_seq = 0
_live_labs = []
_handlers_installed = False


class LabError(RuntimeError):
    """A lab step failed (command, server start-up, timeout)."""


def require_root():
    """Raises LabError unless running as root (namespaces need it)."""
    if os.geteuid() != 0:
        raise LabError(
            "integration tests need root (network namespaces, veth, "
            "net_af_packet); run them as root. They are NOT skipped.")


def _run(argv, check=True, timeout=30, **kwargs):
    """subprocess.run with captured text output; raises LabError on failure."""
    kwargs.setdefault("text", True)
    try:
        res = subprocess.run(argv, capture_output=True,
                             timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as e:
        raise LabError(f"timed out after {timeout}s: {' '.join(argv)}") from e
    if check and res.returncode != 0:
        raise LabError(f"command failed ({res.returncode}): {' '.join(argv)}\n"
                       f"stdout: {res.stdout}\nstderr: {res.stderr}")
    return res


def _next_tag():
    global _seq
    with _seq_lock:
        n = _seq
        _seq += 1
    return f"lw{os.getpid() % 100000:05d}{_SEQ_LETTERS[n % 26]}"


def _on_signal(signum, frame):
    # Raise so that `with`/`finally` blocks unwind; atexit covers the rest.
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


def _install_handlers():
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_teardown_all)
    if threading.current_thread() is threading.main_thread():
        # Keep a caller's own handler (e.g. unittest's -c); replace defaults.
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _on_signal)


def _teardown_all():
    for lab in list(_live_labs):
        lab.teardown()


class Server:
    """A DHCP server process running in the lab's server namespace.

    Attributes: kind ("leasewired" or "kea"), proc (Popen), pid, log_path
    (its stdout+stderr), config (the dict it was started with), argv.
    """

    def __init__(self, lab, kind, argv, config, log_path, ready_pattern,
                 env=None):
        self.lab = lab
        self.kind = kind
        self.argv = argv
        self.config = config
        self.log_path = log_path
        self.ready_pattern = ready_pattern
        self.env = env
        self.proc = None
        self.returncode = None
        self._start_offset = 0

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def _start(self, timeout):
        # Labs reuse a log file across starts: only what follows counts.
        self._start_offset = (os.path.getsize(self.log_path)
                              if os.path.exists(self.log_path) else 0)
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, env=self.env)
        finally:
            log.close()
        self.lab._procs.append(self.proc)
        self.wait_ready(timeout)

    def log(self):
        """The server's whole output so far, as text."""
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def run_log(self):
        """The output of this start only (a log file may hold earlier
        runs of the same lab)."""
        with open(self.log_path, "rb") as f:
            f.seek(self._start_offset)
            return f.read().decode(errors="replace")

    def wait_ready(self, timeout=20.0):
        """Waits until the log shows ready_pattern; LabError if it exits."""
        # Only this start's output counts, not an earlier run's "serving".
        start_pos = self._start_offset
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(start_pos)
                text = f.read().decode(errors="replace")
            if self.ready_pattern in text:
                return
            if self.proc.poll() is not None:
                raise LabError(
                    f"{self.kind} exited with status {self.proc.returncode} "
                    f"before '{self.ready_pattern}'; command: "
                    f"{' '.join(self.argv)}\n--- log ---\n{text}")
            time.sleep(0.05)
        raise LabError(f"{self.kind} printed no '{self.ready_pattern}' "
                       f"within {timeout}s; log:\n{self.log()}")

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15.0):
        """SIGTERM, waits; returns the exit status (LabError on timeout)."""
        return self._signal_and_wait(signal.SIGTERM, timeout)

    def kill(self, timeout=10.0):
        """SIGKILL (crash test); returns the exit status (-9)."""
        return self._signal_and_wait(signal.SIGKILL, timeout)

    def _signal_and_wait(self, sig, timeout):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise LabError(f"{self.kind} (pid {self.proc.pid}) ignored "
                               f"signal {sig} for {timeout}s; killed")
        self.returncode = self.proc.returncode
        return self.returncode


class Lab:
    """Server and client namespaces joined by a veth pair.

    Attributes (all strings): tag, server_ns, client_ns, server_if (veth end
    in server_ns), client_if (veth end in client_ns), server_mac,
    client_mac, tmpdir (deleted on teardown), lease_dir (server leases),
    dpdk_prefix (EAL --file-prefix).
    """

    def __init__(self, server_mac=SERVER_MAC, client_mac=CLIENT_MAC,
                 tag=None):
        require_root()
        self.tag = tag or _next_tag()
        self.server_ns = self.tag + "s"
        self.client_ns = self.tag + "c"
        self.server_if = self.tag + "s0"
        self.client_if = self.tag + "c0"
        self.server_mac = server_mac
        self.client_mac = client_mac
        self.dpdk_prefix = self.tag
        self.tmpdir = None
        self.lease_dir = None
        self._procs = []
        self._ns_created = []
        self._torn_down = False
        self._macvlans = 0

    # --- life cycle -------------------------------------------------------

    def __enter__(self):
        self.setup()
        return self

    def __exit__(self, *exc):
        self.teardown()
        return False

    def setup(self):
        """Creates namespaces, veth pair (fixed MACs, tx csum off), lo up."""
        _install_handlers()
        _live_labs.append(self)
        try:
            self.tmpdir = tempfile.mkdtemp(prefix=self.tag + "-")
            self.lease_dir = os.path.join(self.tmpdir, "leases")
            os.mkdir(self.lease_dir)
            for ns in (self.server_ns, self.client_ns):
                _run(["ip", "netns", "add", ns])
                self._ns_created.append(ns)
            _run(["ip", "link", "add", self.server_if, "netns",
                  self.server_ns, "address", self.server_mac, "type", "veth",
                  "peer", "name", self.client_if, "netns", self.client_ns,
                  "address", self.client_mac])
            for ns, ifname in ((self.server_ns, self.server_if),
                               (self.client_ns, self.client_if)):
                self.ns_run(ns, ["ip", "link", "set", "lo", "up"])
                # Without this, kernel UDP senders leave partial checksums
                # that a validating server (and scapy) sees as bad.
                self.ns_run(ns, ["ethtool", "-K", ifname, "tx", "off"])
                self.ns_run(ns, ["ip", "link", "set", ifname, "up"])
                # No IPv6 chatter (DAD, RS) on the wire the tests watch.
                self.ns_run(ns, ["sysctl", "-qw",
                                 f"net.ipv6.conf.{ifname}.disable_ipv6=1"],
                            check=False)
        except BaseException:
            self.teardown()
            raise
        return self

    def teardown(self):
        """Kills lab processes, deletes namespaces, temp dir, DPDK files.

        Idempotent and never raises: it runs from finally/atexit.
        """
        if self._torn_down:
            return
        self._torn_down = True
        for p in self._procs:
            try:
                if p.poll() is None:
                    p.terminate()
                    try:
                        p.wait(5)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait(5)
            except Exception:  # noqa: BLE001 - teardown must go on
                pass
        for ns in self._ns_created:
            # Processes started by clients (dhclient daemons) die with
            # their namespace only if killed: find them by namespace.
            self._kill_ns_pids(ns)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        shutil.rmtree(f"/var/run/dpdk/{self.dpdk_prefix}", ignore_errors=True)
        if self in _live_labs:
            _live_labs.remove(self)

    @staticmethod
    def _kill_ns_pids(ns):
        res = subprocess.run(["ip", "netns", "pids", ns], capture_output=True,
                             text=True)
        for tok in res.stdout.split():
            try:
                os.kill(int(tok), signal.SIGKILL)
            except (ValueError, ProcessLookupError, PermissionError):
                pass

    # --- commands in a namespace ----------------------------------------

    def ns_run(self, ns, argv, check=True, timeout=30, **kwargs):
        """Runs argv in namespace ns; returns CompletedProcess (text)."""
        return _run(["ip", "netns", "exec", ns] + list(argv), check=check,
                    timeout=timeout, **kwargs)

    def client_run(self, argv, check=True, timeout=30, **kwargs):
        return self.ns_run(self.client_ns, argv, check, timeout, **kwargs)

    def server_run(self, argv, check=True, timeout=30, **kwargs):
        return self.ns_run(self.server_ns, argv, check, timeout, **kwargs)

    def client_popen(self, argv, **kwargs):
        """Starts argv in the client namespace; killed on teardown."""
        p = subprocess.Popen(["ip", "netns", "exec", self.client_ns] +
                             list(argv), **kwargs)
        self._procs.append(p)
        return p

    def path(self, name):
        """A path inside the lab's temp dir (deleted on teardown)."""
        return os.path.join(self.tmpdir, name)

    def probe(self, ops, iface=None, timeout=2.0, server_ip=None,
              run_timeout=120):
        """Runs crafted DHCP/ARP exchanges (dhcpprobe.py, scapy) from a
        client interface; returns one result dict per op (see there)."""
        spec = {"iface": iface or self.client_if, "server_mac":
                self.server_mac, "timeout": timeout, "server_ip": server_ip,
                "ops": ops}
        res = self.client_run(["/usr/bin/python3", _PROBE], timeout=run_timeout,
                              input=json.dumps(spec))
        return json.loads(res.stdout)

    # --- addresses --------------------------------------------------------

    def client_addr(self, cidr, ifname=None):
        """Adds an address (e.g. "10.20.0.10/24") on a client interface."""
        self.client_run(["ip", "addr", "add", cidr, "dev",
                         ifname or self.client_if])

    def client_flush(self, ifname=None):
        """Removes every IPv4 address from a client interface."""
        self.client_run(["ip", "-4", "addr", "flush", "dev",
                         ifname or self.client_if])

    def client_addrs(self, ifname=None):
        """The IPv4 addresses ("a.b.c.d/n") on a client interface."""
        out = self.client_run(["ip", "-4", "-j", "addr", "show", "dev",
                               ifname or self.client_if]).stdout
        result = []
        for link in json.loads(out or "[]"):
            for a in link.get("addr_info", []):
                result.append(f"{a['local']}/{a['prefixlen']}")
        return result

    def add_client_if(self, mac):
        """A macvlan on the client veth: one more DHCP client with its own
        MAC. Returns its name. Each real client needs its own chaddr."""
        self._macvlans += 1
        name = f"{self.tag}m{self._macvlans}"
        self.client_run(["ip", "link", "add", "link", self.client_if, "name",
                         name, "address", mac, "type", "macvlan", "mode",
                         "bridge"])
        self.client_run(["ethtool", "-K", name, "tx", "off"])
        self.client_run(["sysctl", "-qw",
                         f"net.ipv6.conf.{name}.disable_ipv6=1"], check=False)
        self.client_run(["ip", "link", "set", name, "up"])
        return name

    # --- servers ------------------------------------------------------------

    def start_leasewired(self, binary, config, extra_args=(), timeout=30.0,
                         workers=None, durability=None):
        """Starts leasewired on the server veth through net_af_packet.

        config is a dict in leasewired's format; the device, lease dir and
        EAL args (with a per-lab --file-prefix) come from the command line.
        The first interface is bound to the veth. Waits for "serving".
        """
        conf_path = self.path("leasewired.json")
        with open(conf_path, "w") as f:
            json.dump(config, f, indent=1)
        port = config["interfaces"][0]["name"]
        eal = ["--no-huge", "--no-pci", "-m", "256",
               f"--file-prefix={self.dpdk_prefix}"]
        argv = ["ip", "netns", "exec", self.server_ns, os.path.abspath(binary),
                "--config", conf_path,
                "--device", f"{port}=net_af_packet0,iface={self.server_if}",
                "--lease-dir", self.lease_dir,
                "--eal-args", " ".join(eal)]
        # Unix socket paths are not per network namespace: each lab gets
        # its own control socket unless the caller names one.
        if "--control-socket" not in extra_args:
            argv += ["--control-socket", self.path("ctl.sock")]
        if workers is not None:
            argv += ["--workers", str(workers)]
        if durability is not None:
            argv += ["--durability", durability]
        argv += list(extra_args)
        srv = Server(self, "leasewired", argv, config,
                     self.path("leasewired.log"), "serving")
        srv._start(timeout)
        return srv

    def start_kea(self, config, timeout=20.0, binary="kea-dhcp4"):
        """Starts kea-dhcp4 on the kernel side of the server veth.

        config is a dict in leasewired's format (see kea_config_from); the
        first interface's address is put on the server veth. Waits for
        Kea's DHCP4_STARTED.
        """
        addr = config["interfaces"][0]["address"]
        existing = self.server_run(["ip", "-4", "-o", "addr", "show", "dev",
                                    self.server_if]).stdout
        if addr.split("/")[0] + "/" not in existing:
            self.server_run(["ip", "addr", "add", addr, "dev",
                             self.server_if])
        kea_dir = self.path("kea")
        os.makedirs(kea_dir, exist_ok=True)
        kconf = kea_config_from(config, self.server_if,
                                os.path.join(kea_dir, "leases.csv"))
        conf_path = os.path.join(kea_dir, "kea-dhcp4.json")
        with open(conf_path, "w") as f:
            json.dump(kconf, f, indent=1)
        env = dict(os.environ, KEA_PIDFILE_DIR=kea_dir,
                   KEA_LOCKFILE_DIR=kea_dir)
        argv = ["ip", "netns", "exec", self.server_ns, binary, "-c",
                conf_path]
        srv = Server(self, "kea", argv, config, self.path("kea.log"),
                     "DHCP4_STARTED", env=env)
        srv._start(timeout)
        return srv

    def start_server(self, kind, binary, config, **kwargs):
        """start_leasewired or start_kea, by kind."""
        if kind == "kea":
            return self.start_kea(config, binary=binary or "kea-dhcp4",
                                  **kwargs)
        return self.start_leasewired(binary, config, **kwargs)

    def restart(self, srv, crash=False, timeout=30.0):
        """Stops srv (SIGTERM, or SIGKILL if crash) and starts it again with
        the same command line, config and lease directory."""
        if crash:
            srv.kill()
        else:
            status = srv.stop()
            if status != 0:
                raise LabError(f"{srv.kind} exited {status} on SIGTERM; "
                               f"log:\n{srv.log()}")
        new = Server(self, srv.kind, srv.argv, srv.config, srv.log_path,
                     srv.ready_pattern, env=srv.env)
        with open(srv.log_path, "rb") as f:
            new._start_offset = f.seek(0, os.SEEK_END)
        new._start(timeout)
        return new


def _kea_data(value):
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kea_options(opts):
    return [dict({k: v for k, v in o.items() if k != "data"},
                 data=_kea_data(o["data"])) for o in opts]


def kea_config_from(config, ifname, lease_file):
    """Translates a leasewired config dict into a kea-dhcp4 one.

    Only what the tests use: lifetimes, timers, authoritative, options,
    subnets with pools, relays and reservations. Raw sockets, so Kea sees
    broadcasts; memfile leases in lease_file; logs to stdout.
    """
    d = {
        "interfaces-config": {"interfaces": [ifname],
                              "dhcp-socket-type": "raw"},
        "lease-database": {"type": "memfile", "persist": True,
                           "name": lease_file, "lfc-interval": 0},
        "loggers": [{"name": "kea-dhcp4", "severity": "INFO",
                     "output_options": [{"output": "stdout"}]}],
    }
    for key in ("valid-lifetime", "min-valid-lifetime", "max-valid-lifetime",
                "authoritative", "decline-probation-period"):
        if key in config:
            d[key] = config[key]
    if "renew-timer-percent" in config or "rebind-timer-percent" in config:
        d["calculate-tee-times"] = True
        d["t1-percent"] = config.get("renew-timer-percent", 50) / 100
        d["t2-percent"] = config.get("rebind-timer-percent", 87.5) / 100
    if "option-data" in config:
        d["option-data"] = _kea_options(config["option-data"])
    subnets = []
    for s in config.get("subnets", []):
        ks = {"id": s["id"], "subnet": s["subnet"],
              "pools": [{k: v for k, v in p.items() if k != "option-data"}
                        for p in s.get("pools", [])]}
        for key in ("relay", "valid-lifetime", "authoritative"):
            if key in s:
                ks[key] = s[key]
        if "option-data" in s:
            ks["option-data"] = _kea_options(s["option-data"])
        if "reservations" in s:
            ks["reservations"] = [
                {k: v for k, v in r.items() if k != "option-data"}
                for r in s["reservations"]]
        subnets.append(ks)
    d["subnet4"] = subnets
    return {"Dhcp4": d}
