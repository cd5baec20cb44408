#!/usr/bin/env python3
"""Turn bench.sh's raw figures into the Markdown table and the chart.

Usage: report.py RESULTS_DIR CHART(0|1)
Reads RESULTS_DIR/runs.tsv (one line per run), floor.tsv (the process floor)
and machine.txt; writes RESULTS_DIR/results.md and, with CHART=1,
RESULTS_DIR/bench.png (gnuplot).
"""
import csv
import os
import statistics
import subprocess
import sys
import tempfile

SCENARIOS = {
    "A": "A: example.test + *.example.test, CA validates against the primary",
    "L": "L: the same, CA validates against the lagging secondary",
    "B": "B: 100 names (n0 ... n99.example.test) in one order",
}
RENEWAL = ("R1", "R")  # one certificate renewed alone; all of them in one go


def median(xs):
    return statistics.median(xs) if xs else None


def fmt(x, nd=2):
    if x is None:
        return "-"
    if nd == 0:
        return "%g" % round(x, 1)
    return "%.*f" % (nd, x)


def load(results):
    rows = []
    with open(os.path.join(results, "runs.tsv"), newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            rows.append(r)
    groups = {}  # (scenario, config) -> summary, in the order run
    for r in rows:
        key = (r["scenario"], r["config"])
        g = groups.setdefault(key, {"label": r["label"], "runs": []})
        g["runs"].append(r)
    for g in groups.values():
        runs = g["runs"]
        ok = [r for r in runs if r["passed"] == "1"]
        use = ok or runs
        g["n"], g["ok"] = len(runs), len(ok)
        g["all_failed"] = not ok
        for col, conv in (("wall_s", float), ("cpu_s", float), ("rss_kib", float), ("ca_requests", float),
                          ("ca_orders", float), ("dns_queries", float), ("dns_updates", float),
                          ("wrapped_wall_s", float), ("wrapped_cpu_s", float), ("https_conns", float),
                          ("certs", float)):
            vals = []
            for r in use:
                try:
                    vals.append(conv(r.get(col)))
                except (ValueError, TypeError):
                    pass
            g[col] = median(vals)
        g["notes"] = sorted({r["note"] for r in runs if r["note"]})
    return groups


def table(groups):
    out = ["| scenario | configuration | runs passed | wall s | CPU s | peak RSS MiB | CA HTTP requests | "
           "DNS queries | DNS UPDATEs |", "|---|---|---|---|---|---|---|---|---|"]
    for (scen, conf), g in groups.items():
        if scen in RENEWAL:
            continue
        label = "**%s**" % g["label"] if conf == "acme-dns" else g["label"]
        passed = "%d/%d" % (g["ok"], g["n"])
        if g["ok"] < g["n"]:
            passed += " ✗"
        rss = g["rss_kib"] / 1024 if g["rss_kib"] is not None else None
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            scen, label, passed, fmt(g["wall_s"], 3 if (g["wall_s"] or 0) < 1 else 2),
            fmt(g["cpu_s"], 3 if (g["cpu_s"] or 0) < 1 else 2),
            fmt(rss, 1), fmt(g["ca_requests"], 0), fmt(g["dns_queries"], 0), fmt(g["dns_updates"], 0)))
    return out


def renewal_table(groups):
    confs = [c for (s, c) in groups if s == "R"]
    if not confs:
        return []
    out = ["| configuration | runs passed | certificates | one renewed alone: wall s | all in one go: wall s | "
           "all ÷ one | all: CPU s | all: peak RSS MiB | all: HTTPS connections | all: CA HTTP requests | "
           "all: DNS UPDATEs |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in confs:
        a, o = groups[("R", c)], groups.get(("R1", c))
        label = "**%s**" % a["label"] if c == "acme-dns" else a["label"]
        ok = a["ok"] + (o["ok"] if o else 0)
        n = a["n"] + (o["n"] if o else 0)
        passed = "%d/%d%s" % (ok, n, "" if ok == n else " ✗")
        ratio = a["wall_s"] / o["wall_s"] if o and o["wall_s"] else None
        rss = a["rss_kib"] / 1024 if a["rss_kib"] is not None else None
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, passed, fmt(a["certs"], 0), fmt(o["wall_s"] if o else None, 3),
            fmt(a["wall_s"], 3 if (a["wall_s"] or 0) < 1 else 2), "%.1f×" % ratio if ratio else "-",
            fmt(a["cpu_s"], 3 if (a["cpu_s"] or 0) < 1 else 2), fmt(rss, 1), fmt(a["https_conns"], 0),
            fmt(a["ca_requests"], 0), fmt(a["dns_updates"], 0)))
    return out


def floor_table(results):
    path = os.path.join(results, "floor.tsv")
    if not os.path.exists(path):
        return []
    data = {}
    with open(path) as f:
        for line in f:
            w, wall, cpu, rss = line.split("\t")
            d = data.setdefault(w, [[], [], []])
            d[0].append(float(wall))
            d[1].append(float(cpu))
            d[2].append(float(rss) / 1024)
    what = {"version": "`acme-dns --version`",
            "directory": "`acme-dns directory`: one HTTPS GET of the CA's directory, nothing else",
            "curl": "`curl` fetching the CA's directory once (libcurl + OpenSSL, no ACME)",
            "harness": "the bench's wrapping around each client, not in the figures above: bash, the bed's "
                       "environment, `unshare -m`, the stopwatch, around `/bin/true`"}
    out = ["| process floor (median of %d) | wall ms | CPU ms | peak RSS MiB |" % len(next(iter(data.values()))[0]),
           "|---|---|---|---|"]
    for w in ("version", "directory", "curl", "harness"):
        if w in data:
            d = data[w]
            out.append("| %s | %.1f | %.1f | %.1f |" % (what[w], median(d[0]) * 1000, median(d[1]) * 1000,
                                                         median(d[2])))
    return out


def targets(groups, results):
    out = []
    a = groups.get(("A", "acme-dns"))
    peers_a = [g for (s, c), g in groups.items() if s == "A" and c != "acme-dns" and not g["all_failed"]]
    if a and peers_a:
        fastest = min(peers_a, key=lambda g: g["wall_s"])
        lowest = min(peers_a, key=lambda g: g["cpu_s"])
        rss = a["rss_kib"] / 1024
        out.append("- A, wall: %.3f s = %.3f× the fastest peer (%s, %.2f s): target ≤ 0.1× — %s" % (
            a["wall_s"], a["wall_s"] / fastest["wall_s"], fastest["label"], fastest["wall_s"],
            "met" if a["wall_s"] <= 0.1 * fastest["wall_s"] else "MISSED"))
        ratio = a["cpu_s"] / lowest["cpu_s"] if lowest["cpu_s"] else float("inf")
        out.append("- A, CPU: %.3f s = %.2f× the lowest peer (%s, %.3f s): target ≤ 0.75× (libcurl and OpenSSL doing their jobs) — %s" % (
            a["cpu_s"], ratio, lowest["label"], lowest["cpu_s"], "met" if ratio <= 0.75 else "MISSED"))
        if a.get("wrapped_cpu_s") and lowest.get("wrapped_cpu_s"):
            out.append("  (with the bench's wrapping around every client counted as well: %.3f s against %.3f s = "
                       "%.2f×)" % (a["wrapped_cpu_s"], lowest["wrapped_cpu_s"],
                                   a["wrapped_cpu_s"] / lowest["wrapped_cpu_s"]))
        out.append("- A, peak RSS: %.1f MiB: target ≤ 13 MiB — %s" % (rss, "met" if rss <= 13 else "MISSED"))
    lg = groups.get(("L", "acme-dns"))
    peers_l = [g for (s, c), g in groups.items() if s == "L" and c != "acme-dns" and g["ok"] == g["n"]]
    if lg:
        line = "- L: acme-dns passed %d/%d" % (lg["ok"], lg["n"])
        if peers_l:
            f = min(peers_l, key=lambda g: g["wall_s"])
            line += ", %.3f s = %.3f× the fastest peer that passed every run (%s, %.2f s): target ≤ 0.1× — %s" % (
                lg["wall_s"], lg["wall_s"] / f["wall_s"], f["label"], f["wall_s"],
                "met" if lg["ok"] == lg["n"] and lg["wall_s"] <= 0.1 * f["wall_s"] else "MISSED")
        out.append(line)
    b = groups.get(("B", "acme-dns"))
    if b:
        line = "- B: %.3f s" % b["wall_s"]
        if a:
            r = b["wall_s"] / a["wall_s"]
            line += " = %.2f× acme-dns's own A (target ≤ 3× — %s)" % (r, "met" if r <= 3 else "MISSED")
        rss = b["rss_kib"] / 1024
        line += "; peak RSS %.1f MiB (target ≤ 16 — %s)" % (rss, "met" if rss <= 16 else "MISSED")
        line += "; %s order(s) at the CA; %s UPDATE message(s) for one zone (target 1 + 1 — %s)" % (
            fmt(b["ca_orders"], 0), fmt(b["dns_updates"], 0),
            "met" if b["ca_orders"] == 1 and b["dns_updates"] == 2 else "MISSED")
        out.append(line)
    r, r1 = groups.get(("R", "acme-dns")), groups.get(("R1", "acme-dns"))
    if r and r1 and r1["wall_s"]:
        ratio = r["wall_s"] / r1["wall_s"]
        peers = [g for (s, c), g in groups.items() if s == "R" and c != "acme-dns" and not g["all_failed"]]
        line = "- R: %s certificates renewed in %.2f s = %.1f× one certificate's renewal in the same run " \
               "(%.3f s): target ≤ 3× — %s; %s HTTPS connection(s), %s DNS UPDATE(s)" % (
                   fmt(r["certs"], 0), r["wall_s"], ratio, r1["wall_s"], "met" if ratio <= 3 else "MISSED",
                   fmt(r["https_conns"], 0), fmt(r["dns_updates"], 0))
        if peers:
            f = min(peers, key=lambda g: g["wall_s"])
            line += "; the fastest peer (%s) took %.1f s" % (f["label"], f["wall_s"])
        out.append(line)
    return out


def chart(groups, results):
    tmp = tempfile.mkdtemp(prefix="acme-dns-bench-chart.")
    scens = [s for s in "ALB" if any(k[0] == s for k in groups)]
    lo, hi = 0.01, 1.0
    for (sc, c), g in groups.items():
        if sc in scens and g["wall_s"]:
            hi = max(hi, g["wall_s"])
            lo = min(lo, g["wall_s"] / 2)
    hi *= 8
    # Every bar the same height: each panel is as tall as its rows plus room for
    # its title and axis.
    nrows = {s: sum(1 for k in groups if k[0] == s) for s in scens}
    row, extra, top = 34, 100, 75
    height = top + sum(nrows[s] * row + extra for s in scens)
    plot = ["set terminal pngcairo size 1100,%d font 'DejaVu Sans,11' noenhanced" % height,
            "set output '%s'" % os.path.join(results, "bench.png"),
            "set multiplot title \"Time to a correct certificate: median wall time, log scale\\n"
            "green: acme-dns, grey: the other clients, red: a configuration with failed runs\" font ',13'",
            "set logscale x", "set xrange [%g:%g]" % (lo, hi), "set grid xtics", "unset key",
            "set style fill solid 0.85 noborder", "set xtics format '%g s'", "set ytics nomirror scale 0",
            "set lmargin 34", "set rmargin 4"]
    y = 1.0 - top / height
    for s in scens:
        h = (nrows[s] * row + extra) / height
        y -= h
        plot.append("set origin 0,%g" % y)
        plot.append("set size 1,%g" % h)
        rows = [(c, g) for (sc, c), g in groups.items() if sc == s]
        rows.reverse()  # first configuration on top
        data = os.path.join(tmp, s + ".dat")
        with open(data, "w") as f:
            for i, (c, g) in enumerate(rows):
                color = "0xcc2222" if g["ok"] < g["n"] else ("0x2e9e44" if c == "acme-dns" else "0x8c8c8c")
                wall = g["wall_s"] or lo
                ann = "%s s   %d/%d passed" % (fmt(wall, 3 if wall < 1 else 1), g["ok"], g["n"])
                if g["ok"] < g["n"]:
                    ann = "%s s   FAILED %d of %d runs" % (fmt(wall, 3 if wall < 1 else 1), g["n"] - g["ok"], g["n"])
                f.write('%d %g %s "%s" "%s"\n' % (i, wall, color, g["label"], ann))
        plot.append("set title '%s'" % SCENARIOS[s].replace("'", ""))
        plot.append("set yrange [-0.6:%g]" % (len(rows) - 0.4))
        plot.append("plot '%s' using (sqrt(%g*$2)):1:(%g):2:($1-0.36):($1+0.36):3:ytic(4) with boxxyerror "
                    "lc rgb variable, '' using 2:1:5 with labels left offset 0.6,0 font ',10'" % (data, lo, lo))
    plot.append("unset multiplot")
    script = os.path.join(tmp, "bench.gp")
    with open(script, "w") as f:
        f.write("\n".join(plot) + "\n")
    subprocess.run(["gnuplot", script], check=True)
    for n in os.listdir(tmp):
        os.unlink(os.path.join(tmp, n))
    os.rmdir(tmp)


def main():
    results, want_chart = sys.argv[1], sys.argv[2] == "1"
    groups = load(results)
    md = ["# acme-dns benchmark", ""]
    mpath = os.path.join(results, "machine.txt")
    if os.path.exists(mpath):
        with open(mpath) as f:
            md += [line.rstrip("\n") for line in f] + [""]
    md += ["Medians over the runs that passed (over all runs when none passed, marked ✗). Wall, CPU and peak "
           "RSS are the client command's, as a user would run it (inside the bed's private mount namespace, "
           "around nothing else): CPU = user + sys of its whole process tree, hooks included; peak RSS = its "
           "largest process; CA HTTP requests from Pebble's log; DNS "
           "queries and UPDATE messages the bed's two name servers received from the client.", ""]
    if any(s not in RENEWAL for (s, c) in groups):
        md += table(groups) + [""]
    rt = renewal_table(groups)
    if rt:
        md += ["Scenario R, renewal: certificates of two names each (rK.example.test, www.rK.example.test) in one "
               "zone, issued first (untimed), then renewed regardless of their dates (acme-dns renew --force, "
               "certbot renew --force-renewal, lego renew --days 3650, once per certificate); one certificate "
               "alone, then all of them in one go, each tool with its own state on a bed without a secondary. "
               "HTTPS connections: SYNs to the CA's port (tcpdump).", ""] + rt + [""]
    notes = [(s, g["label"], n) for (s, c), g in groups.items() for n in g["notes"]]
    if notes:
        md += ["Failed runs:", ""] + ["- %s, %s: %s" % n for n in notes] + [""]
    ft = floor_table(results)
    if ft:
        md += ft + [""]
    tg = targets(groups, results)
    if tg:
        md += ["Targets (acme-dns):", ""] + tg + [""]
    with open(os.path.join(results, "results.md"), "w") as f:
        f.write("\n".join(md))
    print("\n".join(md))
    if want_chart:
        chart(groups, results)


if __name__ == "__main__":
    main()
