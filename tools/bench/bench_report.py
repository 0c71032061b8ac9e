"""Time and memory of the audit's report step for large synthetic fleets (issue 15).

The hosts are realistic: the facts the gatherer produces for the seed trees
in tests/integration/trees (findings from the real checks), copied once per
host as Ansible holds them (one independent document per host), with the
hostname, conntrack figures and the set of findings varied per host, and 1 in
100 hosts unreachable. Then, in one run: build the report model
(fleet_report) and render every format, each timed with time.perf_counter
(best of --runs) and its peak Python allocation measured with tracemalloc
in a separate pass (tracemalloc slows the code it watches). The process's
peak RSS (resource.getrusage) includes the synthetic input itself.

Usage: bench_report.py [--hosts 1000,10000] [--runs 3] [--write-dir DIR]
  --write-dir: also write the reports of the first size there (e.g. for a screenshot).
"""
import argparse
import gc
import json
import os
import random
import resource
import sys
import time
import tracemalloc

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, ".build", "collections"))

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks  # noqa: E402
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import gather_facts  # noqa: E402
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils import report_model, report_render  # noqa: E402
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_text import fleet_summary_table  # noqa: E402

TREES = os.path.join(REPO, "tests", "integration", "trees")
FORMATS = ("json", "markdown", "html", "junit", "prom")


def seed_facts():
    """The facts document of every seed tree, as netfilter_facts returns it, serialised."""
    seeds = []
    for name in sorted(os.listdir(TREES)):
        root = os.path.join(TREES, name)
        if not os.path.isdir(root):
            continue
        facts = gather_facts(root=root)
        facts["findings"] = run_checks(facts)
        seeds.append(json.dumps(facts))
    if not seeds:
        sys.exit("bench_report: no seed trees under %s" % TREES)
    return seeds


def synthetic_results(seeds, count, rng):
    """``count`` hosts' registered results, each its own copy of a seed's facts, varied."""
    results = {}
    for i in range(count):
        name = "host-%05d.dc%d.example.net" % (i, i % 7)
        if i % 100 == 99:
            results[name] = {"unreachable": True, "changed": False,
                             "msg": "Failed to connect to the host via ssh: connect to host %s port 22: "
                                    "Connection timed out" % name}
            continue
        facts = json.loads(seeds[i % len(seeds)])
        facts["hostname"] = name
        facts["findings"] = [f for f in facts["findings"] if rng.random() < 0.8]
        conntrack = facts.get("conntrack")
        if isinstance(conntrack, dict) and conntrack.get("max"):
            conntrack["count"] = rng.randrange(conntrack["max"])
            conntrack["fill_ratio"] = round(conntrack["count"] / conntrack["max"], 5)
        results[name] = {"changed": False, "ansible_facts": {"nfdoctor": facts}}
    return results


def best_time(func, runs):
    best = None
    for _run in range(runs):
        gc.collect()
        started = time.perf_counter()
        value = func()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best, value


def peak_alloc(func):
    gc.collect()
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def mib(value):
    return value / 1048576.0


def bench(seeds, count, runs, write_dir):
    rng = random.Random(count)
    results = synthetic_results(seeds, count, rng)
    input_bytes = sum(len(json.dumps(r)) for r in results.values())

    def build():
        return report_model.fleet_report(results, fail_on="high", run_context={"check_mode": False, "become": True})

    seconds, report = best_time(build, runs)
    rows = [("model (fleet_report)", seconds, peak_alloc(build), len(json.dumps(report)))]
    for fmt in FORMATS:
        def render(fmt=fmt):
            return report_render.render_report(report, fmt)

        seconds, text = best_time(render, runs)
        rows.append(("render %s" % fmt, seconds, peak_alloc(render), len(text.encode("utf-8"))))
        if write_dir:
            with open(os.path.join(write_dir, report_render.report_file_name(fmt)), "w", encoding="utf-8") as handle:
                handle.write(text)

    def summary():
        return fleet_summary_table(report)

    seconds, text = best_time(summary, runs)
    rows.append(("summary table", seconds, peak_alloc(summary), len(text.encode("utf-8"))))
    print("%d hosts (%d findings; input facts %.1f MiB as JSON)"
          % (count, report["summary"]["findings_total"], mib(input_bytes)))
    print("  %-22s %9s %12s %12s" % ("step", "seconds", "peak MiB", "output MiB"))
    for step, secs, peak, size in rows:
        print("  %-22s %9.3f %12.1f %12.2f" % (step, secs, mib(peak), mib(size)))
    total = sum(r[1] for r in rows)
    print("  %-22s %9.3f   (%.1f us per host)" % ("total", total, total / count * 1e6))
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default="1000,10000", help="comma-separated fleet sizes")
    parser.add_argument("--runs", type=int, default=3, help="timing runs per step (best is printed)")
    parser.add_argument("--write-dir", help="write the first size's reports into this directory")
    args = parser.parse_args()
    try:
        sizes = [int(s) for s in args.hosts.split(",") if s.strip()]
    except ValueError:
        parser.error("--hosts: expected comma-separated integers, got %r" % args.hosts)
    if not sizes or min(sizes) < 1 or args.runs < 1:
        parser.error("--hosts needs sizes of at least 1 and --runs at least 1")
    if args.write_dir and not os.path.isdir(args.write_dir):
        parser.error("--write-dir %s is not a directory" % args.write_dir)
    seeds = seed_facts()
    print("seed facts from %d trees (%s); load average %s" % (
        len(seeds), TREES, " ".join("%.2f" % x for x in os.getloadavg())))
    per_host = []
    for index, count in enumerate(sizes):
        per_host.append((count, bench(seeds, count, args.runs, args.write_dir if index == 0 else None) / count))
    if len(per_host) > 1:
        (small, a), (large, b) = per_host[0], per_host[-1]
        print("time per host, %d vs %d hosts: %.2fx (1.00 is linear)" % (large, small, b / a))
    print("peak RSS of this process (input included): %.0f MiB"
          % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))


if __name__ == "__main__":
    main()
