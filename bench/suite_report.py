"""Results of bench/run-suite: the Markdown table, docs update, plots.

Pure functions over the suite's result rows, so that they can be tested
without running anything (bench/suite_report_test.py).

A row is a dict:
    section     "gbench" | "ring" | "peer"
    name        configuration label (e.g. "ring 1w async 1 subnet")
    server      for peers: "leasewired-async", "kea-st", ...
    generator   for peers: "perfdhcp" | "lw-loadgen"
    leases_per_s, p50_ms, p99_ms, p999_ms (None when not measured)
    drops, timeouts, naks (None when the tool does not count them)
    bare_fraction (ring rows), vs_kea (leasewired peer rows)
    note        free text (flags, skipped reason)
"""

import os

BEGIN_MARKER = "<!-- bench-suite:begin (written by bench/run-suite) -->"
END_MARKER = "<!-- bench-suite:end -->"


def fmt_rate(v):
    if v is None:
        return "—"
    if v >= 1e6:
        return f"{v / 1e6:.2f} M"
    if v >= 1e4:
        return f"{v / 1e3:.0f} k"
    if v >= 1e3:
        return f"{v / 1e3:.1f} k"
    return f"{v:.0f}"


def fmt_ms(v):
    if v is None:
        return "—"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 1:
        return f"{v:.1f}"
    return f"{v:.2f}"


def fmt_count(v):
    return "—" if v is None else str(int(v))


def fmt_pct(v):
    return "—" if v is None else f"{100 * v:.1f} %"


def fmt_ratio(v):
    return "—" if v is None else f"{v:.1f}×"


def latency_cell(row):
    vals = (row.get("p50_ms"), row.get("p99_ms"), row.get("p999_ms"))
    if all(v is None for v in vals):
        return "—"
    return " / ".join(fmt_ms(v) for v in vals)


def loss_cell(row):
    return " / ".join(
        fmt_count(row.get(k)) for k in ("drops", "timeouts", "naks"))


def best_kea(rows, generator):
    """The highest leases/s of any Kea configuration driven by
    `generator`, or None."""
    best = None
    for r in rows:
        if (r.get("section") == "peer" and r.get("generator") == generator
                and str(r.get("server", "")).startswith("kea")
                and r.get("leases_per_s")):
            if best is None or r["leases_per_s"] > best:
                best = r["leases_per_s"]
    return best


def add_ratios(rows):
    """Fills vs_kea of every leasewired peer row (its leases/s over the
    best Kea configuration's with the same generator; the best rate of a
    perfdhcp ramp counts for each server) and returns rows."""
    for r in rows:
        if r.get("section") != "peer":
            continue
        if not str(r.get("server", "")).startswith("leasewired"):
            continue
        kea = best_kea(rows, r.get("generator"))
        if kea and r.get("leases_per_s") is not None:
            r["vs_kea"] = r["leases_per_s"] / kea
    return rows


def machine_lines(meta):
    """The header lines of the results: machine, date, commit, command."""
    lines = [
        f"* Date: {meta.get('date', '?')}; commit `{meta.get('commit', '?')}`"
        + (" (with uncommitted changes)" if meta.get("dirty") else ""),
        f"* Machine: {meta.get('machine', '?')}",
        f"* Command: `{meta.get('command', '?')}` "
        f"({meta.get('mode', '?')}, budget {meta.get('budget_min', '?')} "
        f"min for the measurements; took {meta.get('elapsed_min', '?')} "
        "min)",
        f"* Load average before / after: {meta.get('load_before', '?')} / "
        f"{meta.get('load_after', '?')}",
    ]
    if meta.get("notes"):
        for n in meta["notes"]:
            lines.append(f"* {n}")
    return lines


def gbench_table(rows):
    out = ["| benchmark | time per item | items/s | note |",
           "|---|---|---|---|"]
    for r in rows:
        if r.get("section") != "gbench":
            continue
        t = r.get("ns_per_item")
        out.append(
            f"| {r['name']} | {'—' if t is None else f'{t:.0f} ns'} | "
            f"{fmt_rate(r.get('leases_per_s'))}/s | {r.get('note', '')} |")
    return out


def main_table(rows):
    out = [
        "| configuration | generator | leases/s | p50 / p99 / p99.9 ms "
        "| drops / timeouts / NAKs | of bare loop | leasewire ÷ best Kea "
        "| note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.get("section") not in ("ring", "peer"):
            continue
        rate = r.get("leases_per_s")
        out.append(
            f"| {r['name']} | {r.get('generator', 'lw-loadgen')} | "
            f"{'—' if rate is None else fmt_rate(rate) + '/s'} | "
            f"{latency_cell(r)} | {loss_cell(r)} | "
            f"{fmt_pct(r.get('bare_fraction'))} | "
            f"{fmt_ratio(r.get('vs_kea'))} | {r.get('note', '')} |")
    return out


def results_markdown(rows, meta, images=()):
    """The text that goes between the markers."""
    lines = ["", "### Latest run", ""]
    lines += machine_lines(meta)
    lines += ["", "End to end (rings, then the peers over one veth):", ""]
    lines += main_table(rows)
    if any(r.get("section") == "gbench" for r in rows):
        lines += ["", "Google Benchmark suites (the median of the "
                  "repetitions where there were several):", ""]
        lines += gbench_table(rows)
    for title, path in images:
        lines += ["", f"![{title}]({path})"]
    lines.append("")
    return "\n".join(lines)


def replace_between_markers(text, body):
    """text with everything between the markers replaced by body; the
    markers (and a section heading) are appended when missing."""
    begin = text.find(BEGIN_MARKER)
    end = text.find(END_MARKER)
    if begin < 0 or end < 0 or end < begin:
        if begin >= 0 or end >= 0:
            raise ValueError("bench-suite markers are broken (one missing "
                             "or out of order); fix the file by hand")
        sep = "" if text.endswith("\n") else "\n"
        return (f"{text}{sep}\n## Latest suite run\n\n{BEGIN_MARKER}\n"
                f"{body}\n{END_MARKER}\n")
    head = text[:begin + len(BEGIN_MARKER)]
    tail = text[end:]
    return f"{head}\n{body}\n{tail}"


def update_docs(path, body):
    with open(path) as f:
        text = f.read()
    new = replace_between_markers(text, body)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)


def plot(rows, img_dir, prefix="bench-suite"):
    """Writes two PNGs (leases/s, latency); returns [(title, path)].

    Needs python3-matplotlib (tools/install-deps.sh bench)."""
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

    os.makedirs(img_dir, exist_ok=True)
    made = []
    measured = [r for r in rows if r.get("section") in ("ring", "peer")
                and r.get("leases_per_s")]
    if measured:
        labels = [f"{r['name']} [{r.get('generator', 'lw-loadgen')}]"
                  for r in measured]
        values = [r["leases_per_s"] for r in measured]
        colors = []
        for r in measured:
            server = str(r.get("server", "leasewired"))
            if r["section"] == "ring":
                colors.append("tab:blue" if "bare" not in r["name"]
                              else "tab:gray")
            elif server.startswith("leasewired"):
                colors.append("tab:cyan")
            elif server.startswith("kea"):
                colors.append("tab:orange")
            else:
                colors.append("tab:red")
        fig, ax = plt.subplots(figsize=(10, 0.32 * len(labels) + 1.5))
        ax.barh(range(len(labels)), values, color=colors)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("leases/s (log scale)")
        ax.set_title("leases per second by server and configuration")
        ax.grid(axis="x", which="both", alpha=0.3)
        fig.tight_layout()
        path = os.path.join(img_dir, f"{prefix}-leases.png")
        fig.savefig(path, dpi=90)
        plt.close(fig)
        made.append(("leases per second", path))
    timed = [r for r in measured if r.get("p50_ms") is not None]
    if timed:
        labels = [f"{r['name']} [{r.get('generator', 'lw-loadgen')}]"
                  for r in timed]
        fig, ax = plt.subplots(figsize=(10, 0.32 * len(labels) + 1.5))
        ys = list(range(len(labels)))
        for key, mark, name in (("p50_ms", "o", "p50"), ("p99_ms", "s", "p99"),
                                ("p999_ms", "^", "p99.9")):
            xs = [r.get(key) for r in timed]
            ax.scatter([x for x in xs if x is not None],
                       [y for y, x in zip(ys, xs) if x is not None],
                       marker=mark, label=name)
        ax.set_yticks(ys, labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("DORA latency, ms (log scale; first DISCOVER to ACK)")
        ax.set_title("lease latency (lw-loadgen runs)")
        ax.legend()
        ax.grid(axis="x", which="both", alpha=0.3)
        fig.tight_layout()
        path = os.path.join(img_dir, f"{prefix}-latency.png")
        fig.savefig(path, dpi=90)
        plt.close(fig)
        made.append(("lease latency", path))
    return made
