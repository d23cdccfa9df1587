"""Checks of deploy/ and docs/man that need no root and no network.

    python3 tests/deploy/deploy_test.py --leasewired BIN --leasewirectl BIN \
        [-v] [UnitFileTest|HostPrepTest|ManPageTest]

UnitFileTest   systemd-analyze verify accepts deploy/systemd/leasewired.service
               (and the vfio drop-in), and its command lines use only
               options the binaries have.
HostPrepTest   deploy/host-prep.sh: the dry run prints every step and writes
               nothing; --apply --root DIR writes exactly the planned files,
               idempotently; bad arguments are refused.
ManPageTest    every option of `leasewired --help` and every leasewirectl
               subcommand is in its man page; `man -l` renders both without
               a warning.
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
UNIT = os.path.join(ROOT, "deploy", "systemd", "leasewired.service")
VFIO_DROPIN = os.path.join(ROOT, "deploy", "systemd", "leasewired-vfio.conf")
HOST_PREP = os.path.join(ROOT, "deploy", "host-prep.sh")
MAN_DIR = os.path.join(ROOT, "docs", "man")

LEASEWIRED = ""
LEASEWIRECTL = ""


def run(argv, **kwargs):
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 60)
    return subprocess.run(argv, capture_output=True, **kwargs)


def unit_settings(path):
    """[(section, key, value)] of a unit file, in order."""
    out = []
    section = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, _, value = line.partition("=")
            out.append((section, key.strip(), value.strip()))
    return out


def help_options(binary, *sub):
    """Long options (--x) that `binary [sub...] --help` lists."""
    res = run([binary, *sub, "--help"])
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", res.stdout))


def help_subcommands(binary, *sub):
    """Subcommand names from the SUBCOMMANDS: section of CLI11's help."""
    res = run([binary, *sub, "--help"])
    names = []
    on = False
    for line in res.stdout.splitlines():
        if line.lower().startswith("subcommands:"):
            on = True
            continue
        if on:
            m = re.match(r"^\s{2}(\S+)\s", line)
            if m:
                names.append(m.group(1))
            elif line and not line.startswith(" "):
                on = False
    return names


class UnitFileTest(unittest.TestCase):
    def verify(self, unit_text, dropin=None):
        """systemd-analyze verify on a copy whose /usr/bin commands are the
        binaries under test; returns (exit status, output)."""
        with tempfile.TemporaryDirectory(prefix="lw-unit-") as d:
            text = (unit_text
                    .replace("/usr/bin/leasewired ", LEASEWIRED + " ")
                    .replace("/usr/bin/leasewirectl ", LEASEWIRECTL + " "))
            path = os.path.join(d, "leasewired.service")
            with open(path, "w") as f:
                f.write(text)
            if dropin is not None:
                os.mkdir(path + ".d")
                shutil.copy(dropin, os.path.join(path + ".d", "vfio.conf"))
            # The unit's own directory first, so its drop-in is found; the
            # trailing ":" keeps the default search path (for the targets).
            env = dict(os.environ, SYSTEMD_UNIT_PATH=d + ":")
            res = run(["systemd-analyze", "verify", "--man=no", path],
                      env=env)
            return res.returncode, (res.stdout + res.stderr).strip()

    def test_verify_accepts_the_unit(self):
        with open(UNIT) as f:
            status, out = self.verify(f.read())
        self.assertEqual((status, out), (0, ""))

    def test_verify_accepts_the_vfio_dropin(self):
        with open(UNIT) as f:
            status, out = self.verify(f.read(), dropin=VFIO_DROPIN)
        self.assertEqual((status, out), (0, ""))

    def test_verify_would_catch_a_mistake(self):
        # The check above is only worth something if verify complains.
        with open(UNIT) as f:
            text = f.read().replace("ProtectHome=yes", "ProtectHome=maybe")
        status, out = self.verify(text)
        self.assertIn("maybe", out)

    def test_hardening_and_notify(self):
        s = {(sec, k): v for sec, k, v in unit_settings(UNIT)}
        self.assertEqual(s[("Service", "Type")], "notify")
        self.assertEqual(s[("Service", "Restart")], "on-failure")
        self.assertEqual(s[("Service", "User")], "leasewire")
        self.assertEqual(s[("Service", "NoNewPrivileges")], "yes")
        self.assertEqual(s[("Service", "ProtectSystem")], "strict")
        self.assertEqual(s[("Service", "ProtectHome")], "yes")
        self.assertEqual(s[("Service", "PrivateTmp")], "yes")
        self.assertEqual(s[("Service", "StateDirectory")], "leasewire")
        self.assertEqual(s[("Service", "RuntimeDirectory")], "leasewire")
        caps = set(s[("Service", "CapabilityBoundingSet")].split())
        self.assertEqual(caps, {"CAP_NET_RAW", "CAP_NET_ADMIN", "CAP_IPC_LOCK"})
        self.assertEqual(set(s[("Service", "AmbientCapabilities")].split()),
                         caps)
        # Writable: only the state and runtime directories (implicitly)
        # and the hugepage mount.
        self.assertEqual(s[("Service", "ReadWritePaths")], "-/dev/hugepages")

    def test_command_lines_use_real_options(self):
        served = help_options(LEASEWIRED)
        ctl = help_options(LEASEWIRECTL)
        for _, key, value in unit_settings(UNIT):
            if not key.startswith("Exec"):
                continue
            argv = shlex.split(value)
            binary = os.path.basename(argv[0])
            known = served if binary == "leasewired" else ctl
            for arg in argv[1:]:
                if arg.startswith("--"):
                    self.assertIn(arg, known, f"{key}: {binary} has no {arg}")
            if binary == "leasewirectl":
                # The subcommand chain exists: config reload.
                words = [a for a in argv[1:] if not a.startswith("-") and
                         not a.startswith("/")]
                self.assertEqual(words, ["config", "reload"])
                self.assertIn("reload",
                              help_subcommands(LEASEWIRECTL, "config"))


class HostPrepTest(unittest.TestCase):
    ARGS = ["--hugepages", "512", "--nic", "0000:03:00.0",
            "--isolate-cpus", "1"]

    def prep(self, *args):
        return run(["bash", HOST_PREP, *args])

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="lw-hostprep-")

    def tearDown(self):
        shutil.rmtree(self.root)

    def files(self):
        out = {}
        for d, _, names in os.walk(self.root):
            for n in names:
                p = os.path.join(d, n)
                with open(p) as f:
                    out["/" + os.path.relpath(p, self.root)] = f.read()
        return out

    def test_dry_run_prints_every_step_and_writes_nothing(self):
        res = self.prep("--root", self.root, *self.ARGS)
        self.assertEqual(res.returncode, 0, res.stderr)
        out = res.stdout
        self.assertIn("dry run", out.splitlines()[0])
        for line in [
                "[hugepages] write /etc/sysctl.d/60-leasewire-hugepages.conf:",
                "    vm.nr_hugepages = 512",
                "[hugepages] run: sysctl -w vm.nr_hugepages=512",
                "[vfio] run: modprobe vfio-pci",
                "[vfio] append to /etc/dpdk/interfaces: pci 0000:03:00.0 "
                "vfio-pci",
                "[vfio] run: dpdk-devbind.py --bind=vfio-pci 0000:03:00.0",
                "    CPUAffinity=0 1",
                "[kernel] write /etc/default/grub.d/60-leasewire.cfg:",
                "    GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT "
                "intel_iommu=on iommu=pt isolcpus=1 nohz_full=1 "
                "rcu_nocbs=1\"",
                "[kernel] run: update-grub"]:
            self.assertIn(line, out.splitlines())
        self.assertEqual(self.files(), {})

    def test_dry_run_without_root_prefix_changes_nothing(self):
        # The default target is the real host: still nothing may change,
        # so the plan names the real paths and nothing is created.
        before = os.path.exists("/etc/sysctl.d/60-leasewire-hugepages.conf")
        res = self.prep("--hugepages", "8")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("[hugepages] run: sysctl -w vm.nr_hugepages=8",
                      res.stdout)
        self.assertEqual(
            os.path.exists("/etc/sysctl.d/60-leasewire-hugepages.conf"),
            before)

    def test_apply_under_root_writes_the_plan_once(self):
        res = self.prep("--apply", "--root", self.root, *self.ARGS)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("(not run: --root)", res.stdout)
        files = self.files()
        self.assertEqual(sorted(files), [
            "/etc/default/grub.d/60-leasewire.cfg",
            "/etc/dpdk/interfaces",
            "/etc/modules-load.d/leasewire-vfio.conf",
            "/etc/sysctl.d/60-leasewire-hugepages.conf",
            "/etc/systemd/system/leasewired.service.d/60-cpus.conf",
        ])
        self.assertIn("vm.nr_hugepages = 512\n",
                      files["/etc/sysctl.d/60-leasewire-hugepages.conf"])
        self.assertEqual(files["/etc/dpdk/interfaces"],
                         "pci 0000:03:00.0 vfio-pci\n")
        self.assertIn("\nvfio-pci\n",
                      files["/etc/modules-load.d/leasewire-vfio.conf"])
        self.assertIn("[Service]\nCPUAffinity=0 1\n", files[
            "/etc/systemd/system/leasewired.service.d/60-cpus.conf"])
        # Again: the NIC line is not appended twice.
        res = self.prep("--apply", "--root", self.root, *self.ARGS)
        self.assertIn("/etc/dpdk/interfaces already has: pci 0000:03:00.0",
                      res.stdout)
        self.assertEqual(self.files()["/etc/dpdk/interfaces"],
                         "pci 0000:03:00.0 vfio-pci\n")

    def test_drop_in_is_a_valid_unit_addition(self):
        self.prep("--apply", "--root", self.root, "--isolate-cpus", "1")
        dropin = os.path.join(
            self.root, "etc/systemd/system/leasewired.service.d/60-cpus.conf")
        self.assertEqual(unit_settings(dropin),
                         [("Service", "CPUAffinity", "0 1")])

    def test_one_gigabyte_pages_go_on_the_kernel_command_line(self):
        res = self.prep("--apply", "--root", self.root, "--hugepages", "4",
                        "--hugepage-size", "1G")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(
            self.files()["/etc/default/grub.d/60-leasewire.cfg"].splitlines()
            [-1],
            "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT "
            "default_hugepagesz=1G hugepagesz=1G hugepages=4\"")

    def test_bad_arguments_are_refused(self):
        with open("/sys/devices/system/cpu/online") as f:
            online = f.read().strip()
        for args, message in [
                ((), "nothing to do"),
                (("--hugepages", "0"), "--hugepages '0'"),
                (("--hugepages", "many"), "--hugepages 'many'"),
                (("--hugepages", "2", "--hugepage-size", "4M"),
                 "--hugepage-size '4M'"),
                (("--nic", "eth0"), "--nic 'eth0'"),
                (("--nic", "03:00.0"), "--nic '03:00.0'"),
                (("--isolate-cpus", "2-1"), "--isolate-cpus '2-1'"),
                (("--isolate-cpus", "a"), "--isolate-cpus 'a'"),
                (("--isolate-cpus", "4096"), "CPU 4096 is not online"),
                (("--isolate-cpus", online), "leaves no CPU"),
                (("--bogus",), "unknown argument '--bogus'")]:
            res = self.prep("--root", self.root, *args)
            self.assertEqual(res.returncode, 2, (args, res.stdout))
            self.assertIn(message, res.stderr, args)
        self.assertEqual(self.files(), {})


class ManPageTest(unittest.TestCase):
    def page(self, name):
        with open(os.path.join(MAN_DIR, name)) as f:
            # roff escapes hyphens as "\-".
            return f.read().replace("\\-", "-")

    def test_every_leasewired_option_is_documented(self):
        options = help_options(LEASEWIRED)
        self.assertIn("--check-config", options)  # the parse works
        page = self.page("leasewired.8")
        for opt in sorted(options):
            self.assertRegex(page, re.escape(opt) + r"(?![a-z-])",
                             f"leasewired.8 lacks {opt}")

    def test_every_leasewirectl_command_is_documented(self):
        page = self.page("leasewirectl.8")
        top = help_subcommands(LEASEWIRECTL)
        self.assertIn("status", top)
        for opt in sorted(help_options(LEASEWIRECTL)):
            self.assertIn(opt, page)
        seen = 0
        for cmd in top:
            subs = help_subcommands(LEASEWIRECTL, cmd)
            for sub in [None] + subs:
                words = [cmd] + ([sub] if sub else [])
                # Documented as "lease get" etc. in a .TP heading, by a
                # font macro or (one-line headings) an inline \fB.
                self.assertRegex(
                    page, r"\n(\.(B|BR|BI)\s+\"?|\\fB)" +
                    re.escape(" ".join(words)),
                    f"leasewirectl.8 lacks {' '.join(words)}")
                chain = [cmd] + ([sub] if sub else [])
                for opt in help_options(LEASEWIRECTL, *chain):
                    self.assertIn(opt, page,
                                  f"{' '.join(chain)} {opt} not in the page")
                seen += 1
        self.assertGreaterEqual(seen, 14)

    def test_pages_render_without_warnings(self):
        for name in ("leasewired.8", "leasewirectl.8"):
            res = run(["man", "--warnings", "-l", os.path.join(MAN_DIR, name)],
                      env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING=""))
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(res.stderr, "", name)
            self.assertIn("NAME", res.stdout)
            self.assertIn("EXIT STATUS", res.stdout)

    def test_the_render_check_would_catch_a_warning(self):
        with tempfile.NamedTemporaryFile("w", suffix=".8") as f:
            f.write(".TH X 8\n.SH NAME\nx\n.NOSUCHMACRO y\n")
            f.flush()
            res = run(["man", "--warnings", "-l", f.name])
            self.assertIn("NOSUCHMACRO", res.stderr)


def main():
    global LEASEWIRED, LEASEWIRECTL
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--leasewired", required=True)
    parser.add_argument("--leasewirectl", required=True)
    args, rest = parser.parse_known_args()
    LEASEWIRED = os.path.abspath(args.leasewired)
    LEASEWIRECTL = os.path.abspath(args.leasewirectl)
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
