"""Tests of bench/suite_report.py and the config builders of
bench/run-suite (no root, no network, no binaries).

    /usr/bin/python3 bench/suite_report_test.py -v
"""

import importlib.machinery
import importlib.util
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import suite_report as sr  # noqa: E402


def load_run_suite():
    path = os.path.join(HERE, "run-suite")
    loader = importlib.machinery.SourceFileLoader("run_suite", path)
    spec = importlib.util.spec_from_loader("run_suite", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def peer(server, generator, rate, **kw):
    return dict(section="peer", server=server, generator=generator,
                name=server, leases_per_s=rate, **kw)


class MarkersTest(unittest.TestCase):

    def test_replaces_only_between_markers(self):
        text = (f"# Title\n\nbefore\n{sr.BEGIN_MARKER}\nold table\n"
                f"{sr.END_MARKER}\nafter\n")
        out = sr.replace_between_markers(text, "new table")
        self.assertEqual(out, f"# Title\n\nbefore\n{sr.BEGIN_MARKER}\n"
                         f"new table\n{sr.END_MARKER}\nafter\n")
        # Idempotent: a second run replaces the first run's table.
        again = sr.replace_between_markers(out, "newer")
        self.assertNotIn("new table", again)
        self.assertEqual(again.count(sr.BEGIN_MARKER), 1)
        self.assertTrue(again.endswith(f"{sr.END_MARKER}\nafter\n"))

    def test_appends_markers_when_missing(self):
        out = sr.replace_between_markers("# Benchmarks\ntext", "T")
        self.assertTrue(out.startswith("# Benchmarks\ntext\n"))
        self.assertIn(f"{sr.BEGIN_MARKER}\nT\n{sr.END_MARKER}\n", out)

    def test_one_marker_alone_is_an_error(self):
        with self.assertRaises(ValueError):
            sr.replace_between_markers(f"x\n{sr.END_MARKER}\n", "T")
        with self.assertRaises(ValueError):
            sr.replace_between_markers(
                f"{sr.END_MARKER}\n{sr.BEGIN_MARKER}\n", "T")

    def test_update_docs_rewrites_the_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "b.md")
            with open(path, "w") as f:
                f.write(f"a\n{sr.BEGIN_MARKER}\n{sr.END_MARKER}\nz\n")
            sr.update_docs(path, "| t |")
            with open(path) as f:
                self.assertEqual(f.read(), f"a\n{sr.BEGIN_MARKER}\n| t |\n"
                                 f"{sr.END_MARKER}\nz\n")


class TableTest(unittest.TestCase):

    def test_ratio_uses_best_kea_of_the_same_generator(self):
        rows = [peer("kea-st", "perfdhcp", 5000.0),
                peer("kea-mt", "perfdhcp", 6000.0),
                peer("kea-st", "lw-loadgen", 4000.0),
                peer("dhcpd", "perfdhcp", 9000.0),
                peer("leasewired-async", "perfdhcp", 24000.0),
                peer("leasewired-sync", "lw-loadgen", 80000.0),
                peer("leasewired-async", "lw-loadgen", None)]
        sr.add_ratios(rows)
        self.assertAlmostEqual(rows[4]["vs_kea"], 4.0)
        self.assertAlmostEqual(rows[5]["vs_kea"], 20.0)
        self.assertNotIn("vs_kea", rows[6])
        self.assertNotIn("vs_kea", rows[3])  # dhcpd is not leasewire

    def test_no_kea_no_ratio(self):
        rows = sr.add_ratios([peer("leasewired-async", "perfdhcp", 1e4)])
        self.assertNotIn("vs_kea", rows[0])

    def test_main_table_cells(self):
        rows = [{"section": "ring", "name": "ring, 1 worker, async",
                 "generator": "lw-loadgen", "leases_per_s": 369000.0,
                 "p50_ms": 10.5, "p99_ms": 21.04, "p999_ms": 0.281,
                 "drops": 0, "timeouts": 2, "naks": 0,
                 "bare_fraction": 0.325, "note": "n"},
                {"section": "peer", "name": "kea-st @ max",
                 "generator": "perfdhcp", "leases_per_s": 6369.0,
                 "drops": 20353, "timeouts": None, "naks": None,
                 "note": ""},
                {"section": "gbench", "name": "wire: x", "ns_per_item": 70}]
        lines = sr.main_table(rows)
        self.assertEqual(len(lines), 4)  # header, rule, two rows
        self.assertIn("| 369 k/s |", lines[2])
        self.assertIn("| 10.5 / 21.0 / 0.28 |", lines[2])
        self.assertIn("| 0 / 2 / 0 |", lines[2])
        self.assertIn("| 32.5 % |", lines[2])
        self.assertIn("| 6.4 k/s | — | 20353 / — / — | — | — |", lines[3])

    def test_results_markdown_has_meta_and_images(self):
        meta = {"date": "2026-12-04 22:00 UTC", "commit": "abc", "dirty": True,
                "machine": "m", "command": "bench/run-suite --quick",
                "mode": "--quick", "budget_min": 5, "elapsed_min": "3.1",
                "load_before": "0.1 0.2 0.3", "load_after": "1 1 1",
                "notes": ["shared machine"]}
        rows = [{"section": "gbench", "name": "wire: BM_ParseDiscover",
                 "ns_per_item": 70.4, "leases_per_s": 14.2e6, "note": ""}]
        text = sr.results_markdown(rows, meta, [("leases", "img/a.png")])
        self.assertIn("commit `abc` (with uncommitted changes)", text)
        self.assertIn("* shared machine", text)
        self.assertIn("| wire: BM_ParseDiscover | 70 ns | 14.20 M/s |", text)
        self.assertIn("![leases](img/a.png)", text)

    def test_rate_formats(self):
        self.assertEqual(sr.fmt_rate(1.09e6), "1.09 M")
        self.assertEqual(sr.fmt_rate(22546), "23 k")
        self.assertEqual(sr.fmt_rate(5454), "5.5 k")
        self.assertEqual(sr.fmt_rate(150), "150")
        self.assertEqual(sr.fmt_rate(None), "—")


class PlotTest(unittest.TestCase):

    def test_writes_pngs(self):
        try:
            import matplotlib  # noqa: F401 pylint: disable=unused-import
        except ImportError:
            self.fail("python3-matplotlib is missing "
                      "(tools/install-deps.sh bench)")
        rows = [{"section": "ring", "name": "bare", "leases_per_s": 1e6,
                 "p50_ms": 3.5, "p99_ms": 4.7, "p999_ms": 7.2},
                peer("kea-st", "perfdhcp", 6000.0),
                peer("dnsmasq", "lw-loadgen", 200.0, p50_ms=5.0,
                     p99_ms=9.0, p999_ms=None)]
        with tempfile.TemporaryDirectory() as d:
            made = sr.plot(rows, d, prefix="t")
            self.assertEqual([t for t, _ in made],
                             ["leases per second", "lease latency"])
            for _, path in made:
                with open(path, "rb") as f:
                    self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


class PeerConfigTest(unittest.TestCase):
    """The peers' configs made from lw-loadgen's layout config."""

    CONFIG = {
        "valid-lifetime": 3600,
        "subnets": [
            {"id": 1, "subnet": "10.0.0.0/24",
             "pools": [{"pool": "10.0.0.10 - 10.0.0.254"}],
             "option-data": [{"name": "routers", "data": "10.0.0.1"}]},
            {"id": 2, "subnet": "10.0.1.0/24",
             "pools": [{"pool": "10.0.1.10 - 10.0.1.254"}]},
        ],
    }

    @classmethod
    def setUpClass(cls):
        cls.rs = load_run_suite()

    def test_dhcpd_config(self):
        text = self.rs.dhcpd_config(self.CONFIG, 3600)
        self.assertIn("ping-check false;", text)
        self.assertIn("subnet 192.0.2.0 netmask 255.255.255.0 { }", text)
        self.assertIn("subnet 10.0.0.0 netmask 255.255.255.0 { range "
                      "10.0.0.10 10.0.0.254; option routers 10.0.0.1; }",
                      text)
        self.assertIn("subnet 10.0.1.0 netmask 255.255.255.0 { range "
                      "10.0.1.10 10.0.1.254; }", text)

    def test_dnsmasq_argv(self):
        argv = self.rs.dnsmasq_argv(self.CONFIG, "if0", "/l", "/p", 490)
        self.assertIn("--no-ping", argv)
        self.assertIn("--port=0", argv)
        self.assertIn("--dhcp-lease-max=490", argv)
        self.assertIn("--dhcp-range=10.0.0.10,10.0.0.254,255.255.255.0,3600",
                      argv)
        self.assertIn("--dhcp-range=10.0.1.10,10.0.1.254,255.255.255.0,3600",
                      argv)

    def test_gbench_rows_take_medians(self):
        import json  # pylint: disable=import-outside-toplevel
        data = {"benchmarks": [
            {"name": "BM_A_mean", "run_name": "BM_A", "run_type": "aggregate",
             "aggregate_name": "mean", "real_time": 1, "time_unit": "ns",
             "items_per_second": 1e9},
            {"name": "BM_A_median", "run_name": "BM_A",
             "run_type": "aggregate", "aggregate_name": "median",
             "real_time": 2, "time_unit": "us", "items_per_second": 5e5},
            {"name": "BM_B", "run_name": "BM_B", "run_type": "iteration",
             "real_time": 3, "time_unit": "ms"}]}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "g.json")
            with open(path, "w") as f:
                json.dump(data, f)
            rows = self.rs.gbench_rows("wire", path)
        self.assertEqual([r["name"] for r in rows],
                         ["wire: BM_A", "wire: BM_B"])
        self.assertAlmostEqual(rows[0]["ns_per_item"], 2000)
        self.assertAlmostEqual(rows[1]["ns_per_item"], 3e6)
        self.assertIsNone(rows[1]["leases_per_s"])

    def test_budget_flags(self):
        args = self.rs.parse_args(["--quick"])
        self.assertEqual(args.budget, 5)
        self.assertEqual(self.rs.parse_args([]).budget, 30)
        plan = self.rs.Plan(True, args)
        self.assertEqual(plan.perfdhcp_rates, [0])
        args = self.rs.parse_args(["--perfdhcp-rates", "1000,max"])
        self.assertEqual(self.rs.Plan(False, args).perfdhcp_rates, [1000, 0])


if __name__ == "__main__":
    unittest.main()
