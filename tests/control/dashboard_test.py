#!/usr/bin/env python3
"""Checks deploy/grafana/leasewire-dashboard.json against the exporter.

The dashboard must be valid Grafana JSON whose data source is a variable,
and every PromQL expression in it may only name metrics, labels and label
values that RenderMetrics() really emits: the metrics_sample binary prints
the exposition of a sample snapshot, which is the reference. A renamed
metric or label therefore breaks this test instead of leaving a silently
empty panel.

    dashboard_test.py --metrics-sample BIN --dashboard FILE [-v]
"""

import argparse
import copy
import json
import re
import subprocess
import sys
import unittest

ARGS = None
# Labels Prometheus adds at scrape time, not in the exposition.
TARGET_LABELS = {"instance", "job"}
NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
SELECTOR_RE = re.compile(r"\b(leasewire_[a-zA-Z0-9_:]*)\s*(\{([^}]*)\})?")
MATCHER_RE = re.compile(
    r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*')
BY_RE = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
VAR_RE = re.compile(r"\$(?:\{)?([a-zA-Z_][a-zA-Z0-9_]*)")
GRAFANA_VARS = {"__rate_interval", "__interval", "__range"}


def parse_exposition(text):
    """Series of the text format: {sample name: [label dicts]}.

    The strict grammar check is metrics_test's and promtool's job; this only
    needs names and labels.
    """
    series = {}
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? \S+$", line)
        if not m:
            raise ValueError(f"unparsable sample line: {line!r}")
        labels = dict(label_re.findall(m.group(3) or ""))
        series.setdefault(m.group(1), []).append(labels)
    return series


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def literal_alternatives(regex):
    """The words of a regex made only of literal alternatives, else None."""
    if re.fullmatch(r"[a-zA-Z0-9_]+(\|[a-zA-Z0-9_]+)*", regex):
        return regex.split("|")
    return None


def check_expr(expr, series):
    """Problems of one PromQL expression against the emitted series."""
    problems = []
    names = []
    for m in SELECTOR_RE.finditer(expr):
        name = m.group(1)
        names.append(name)
        if name not in series:
            problems.append(f"metric {name} is not emitted")
            continue
        known = set(TARGET_LABELS)
        values = {}
        for labels in series[name]:
            for k, v in labels.items():
                known.add(k)
                values.setdefault(k, set()).add(v)
        body = m.group(3)
        if not body:
            continue
        for part in filter(None, body.split(",")):
            mm = MATCHER_RE.fullmatch(part)
            if not mm:
                problems.append(f"cannot read matcher {part!r} of {name}")
                continue
            label, op, value = mm.groups()
            if label not in known:
                problems.append(f"{name} has no label {label}")
                continue
            if label in TARGET_LABELS or "$" in value:
                continue
            wanted = [value] if op in ("=", "!=") else \
                literal_alternatives(value)
            for w in wanted or []:
                if w not in values.get(label, set()):
                    problems.append(f"{name} never has {label}={w!r}")
    if not names:
        problems.append("expression names no leasewire metric")
    for m in BY_RE.finditer(expr):
        for label in filter(None, (x.strip() for x in m.group(1).split(","))):
            if label in TARGET_LABELS:
                continue
            if not any(label in labels for n in names
                       for labels in series.get(n, [])):
                problems.append(f"by ({label}): no metric of the "
                                f"expression has that label")
    return problems


def check_dashboard(dash, series):
    """Every problem of the dashboard, as strings; empty when it is good."""
    problems = []
    for key in ("title", "uid", "panels", "templating", "schemaVersion"):
        if key not in dash:
            problems.append(f"dashboard has no {key}")
    variables = {v.get("name"): v for v in
                 dash.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or \
            ds.get("query") != "prometheus":
        problems.append("no 'datasource' variable of Prometheus data sources")
    ids = set()
    for p in walk_panels(dash.get("panels", [])):
        pid = p.get("id")
        if pid in ids:
            problems.append(f"panel id {pid} used twice")
        ids.add(pid)
        if p.get("type") == "row":
            continue
        title = p.get("title", "?")
        if p.get("datasource", {}).get("uid") != "${datasource}":
            problems.append(
                f"panel {title!r}: data source not ${{datasource}}")
        if not p.get("targets"):
            problems.append(f"panel {title!r} has no query")
        for t in p.get("targets", []):
            if t.get("datasource", {}).get("uid") != "${datasource}":
                problems.append(f"panel {title!r} query {t.get('refId')}: "
                                "data source not ${datasource}")
            expr = t.get("expr", "")
            for prob in check_expr(expr, series):
                problems.append(f"panel {title!r}: {prob} in: {expr}")
            for var in VAR_RE.findall(expr):
                if var not in variables and var not in GRAFANA_VARS:
                    problems.append(f"panel {title!r}: undefined ${var}")
    for name, v in variables.items():
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else q
        for m in SELECTOR_RE.finditer(q):
            if m.group(1) not in series:
                problems.append(f"variable {name}: {m.group(1)} not emitted")
    return problems


def all_exprs(dash):
    return [t.get("expr", "") for p in walk_panels(dash["panels"])
            for t in p.get("targets", [])]


class DashboardTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        res = subprocess.run([ARGS.metrics_sample], capture_output=True,
                             text=True, timeout=30, check=True)
        cls.series = parse_exposition(res.stdout)
        with open(ARGS.dashboard, encoding="utf-8") as f:
            cls.dash = json.load(f)

    def test_sample_is_not_trivial(self):
        self.assertGreater(len(self.series), 30)
        self.assertIn("leasewire_store_commit_latency_seconds_bucket",
                      self.series)

    def test_every_query_uses_emitted_metrics_and_labels(self):
        self.assertEqual(check_dashboard(self.dash, self.series), [])

    def test_required_panels(self):
        exprs = "\n".join(all_exprs(self.dash))
        for needle in (
                'leasewire_dhcp_sent_total{instance=~"$instance",type="ack"}',
                'type="offer"', 'type="nak"',
                "leasewire_dataplane_drops_total",
                "leasewire_malformed_packets_total",
                "leasewire_subnet_selection_failures_total",
                "leasewire_requests_unanswered_total",
                "leasewire_subnet_utilization_ratio",
                "histogram_quantile(0.5, sum by (le) (rate("
                "leasewire_store_commit_latency_seconds_bucket",
                "histogram_quantile(0.99, sum by (le) (rate("
                "leasewire_store_commit_latency_seconds_bucket",
                "leasewire_worker_busy_ratio"):
            self.assertIn(needle, exprs)
        types = {p.get("type") for p in walk_panels(self.dash["panels"])}
        self.assertTrue({"table", "bargauge", "timeseries", "stat"} <= types)
        topn = [t["expr"] for p in walk_panels(self.dash["panels"])
                if p.get("type") == "table" for t in p["targets"]]
        self.assertTrue(any(e.startswith("topk($topn, "
                                         "leasewire_subnet_utilization_ratio")
                            for e in topn), topn)

    def test_panels_do_not_overlap(self):
        boxes = []
        for p in self.dash["panels"]:
            g = p["gridPos"]
            self.assertLessEqual(g["x"] + g["w"], 24, p["title"])
            for other_title, o in boxes:
                overlap = (g["x"] < o["x"] + o["w"]
                           and o["x"] < g["x"] + g["w"]
                           and g["y"] < o["y"] + o["h"]
                           and o["y"] < g["y"] + g["h"])
                self.assertFalse(overlap, f"{p['title']} / {other_title}")
            boxes.append((p["title"], g))

    # The checker itself must catch what it is for.
    def test_checker_catches_unknown_names(self):
        for bad, why in (
                ("sum(rate(leasewire_dhcp_acks_total[5m]))", "not emitted"),
                ('sum(rate(leasewire_dhcp_sent_total{kind="ack"}[5m]))',
                 "no label kind"),
                ('sum(rate(leasewire_dhcp_sent_total{type="DHCPACK"}[5m]))',
                 "never has type"),
                ('sum(rate(leasewire_requests_unanswered_total'
                 '{reason!~"released|rejected"}[5m]))', "never has reason"),
                ("sum by (subnet) (leasewire_leases)", "by (subnet)"),
                ("rate(leasewire_store_commit_latency_seconds[5m])",
                 "not emitted"),
                ("sum(up)", "names no leasewire metric")):
            problems = check_expr(bad, self.series)
            self.assertTrue(any(why in p for p in problems), (bad, problems))
        broken = copy.deepcopy(self.dash)
        broken["panels"][1]["targets"][0]["expr"] += " * $nosuchvar"
        broken["panels"][1]["datasource"] = {"uid": "prometheus"}
        problems = check_dashboard(broken, self.series)
        self.assertTrue(any("undefined $nosuchvar" in p for p in problems))
        self.assertTrue(any("data source not" in p for p in problems))


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics-sample", required=True)
    parser.add_argument("--dashboard", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
