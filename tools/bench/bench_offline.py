"""Offline audit of many captured trees: batched module runs against one module run per tree (issue 15).

Makes N captured trees (copies of the seed incident trees in
tests/integration/trees, each with a hostname of its own: tree-0000, ...),
then runs, in interleaved rounds on the same trees, playbooks/audit_offline.yml
as it ships (the trees audited nfdoctor_offline_batch_size per netfilter_facts
run, `roots`) and the same playbook with -e '{"__nfdoctor_offline_batch": false}'
(one module run per tree, as before). Each run's wall time, controller CPU
(ansible-playbook and every process it reaped) and peak RSS (the largest single
process) come from wait4; the two JSON reports of a round must be the same
apart from their clocks, or the round says where they differ. Also printed:
the floor, the gather and checks of every tree in this one Python process with
no Ansible at all.

Usage: bench_offline.py [--trees 200] [--rounds 3] [--batch-size N] [--write-doc]
  --write-doc rewrites the bench-offline block of docs/performance.md.
"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "fleet"))
sys.path.insert(0, os.path.join(REPO, ".build", "collections"))

import bench as fleet_bench  # noqa: E402  (timed_run, machine_description, rewrite_block)

SEEDS = os.path.join(REPO, "tests", "integration", "trees")
WORK_DIR = os.path.join(REPO, ".build", "bench-offline")
DOC = os.path.join(REPO, "docs", "performance.md")
BEGIN, END = "<!-- bench-offline:begin -->", "<!-- bench-offline:end -->"
APPROACHES = {
    # name: extra arguments of audit_offline.yml
    "batched": [],
    "per-tree": ["-e", '{"__nfdoctor_offline_batch": false}'],
}


def seed_trees(seeds=SEEDS):
    found = sorted(os.path.join(seeds, n) for n in os.listdir(seeds) if os.path.isdir(os.path.join(seeds, n)))
    if not found:
        raise SystemExit("bench_offline: no seed trees under %s" % seeds)
    return found


def make_trees(count, target, seeds=SEEDS):
    """``count`` trees under ``target``, seed i % len(seeds) each, named tree-NNNN by their etc/hostname."""
    if os.path.isdir(target):
        shutil.rmtree(target)
    os.makedirs(target)
    sources = seed_trees(seeds)
    names = []
    for index in range(count):
        name = "tree-%04d" % index
        tree = os.path.join(target, name)
        shutil.copytree(sources[index % len(sources)], tree, symlinks=True)
        os.makedirs(os.path.join(tree, "etc"), exist_ok=True)
        with open(os.path.join(tree, "etc", "hostname"), "w") as handle:
            handle.write(name + "\n")
        names.append(name)
    return names


def comparable(doc):
    """A report without what differs between two runs over the same trees: the clock."""
    doc = json.loads(json.dumps(doc))
    doc.pop("generated_at", None)
    for entry in (doc.get("hosts") or {}).values():
        if isinstance(entry, dict) and isinstance(entry.get("facts"), dict):
            entry["facts"].pop("gathered_at", None)
    return doc


def compare_reports(first, second, expected_hosts):
    """'same' when both reports hold every expected host and agree; else what differs."""
    docs = []
    for path in (first, second):
        try:
            with open(path) as handle:
                docs.append(comparable(json.load(handle)))
        except (OSError, ValueError) as exc:
            return "no report %s (%s)" % (path, exc)
    for doc, path in zip(docs, (first, second)):
        missing = sorted(set(expected_hosts) - set(doc.get("hosts") or {}))
        if missing:
            return "%s lacks %d trees (%s ...)" % (path, len(missing), missing[0])
    if docs[0] == docs[1]:
        return "same"
    differing = sorted(h for h in set(docs[0]["hosts"]) | set(docs[1]["hosts"])
                       if docs[0]["hosts"].get(h) != docs[1]["hosts"].get(h))
    if differing:
        return "differ on %d trees (%s ...)" % (len(differing), differing[0])
    return "differ outside the hosts (%s)" % ", ".join(sorted(k for k in docs[0] if docs[0][k] != docs[1].get(k)))


def run_playbook(approach, trees_dir, round_no, batch_size):
    out = os.path.join(WORK_DIR, "reports", "%s-%d" % (approach, round_no))
    if os.path.isdir(out):
        shutil.rmtree(out)
    argv = [os.path.join(fleet_bench.BIN, "ansible-playbook"), "-i", "localhost,",
            os.path.join(REPO, "playbooks", "audit_offline.yml"),
            "-e", "nfdoctor_offline_dir=%s" % trees_dir, "-e", "nfdoctor_report_dir=%s" % out] + APPROACHES[approach]
    if batch_size:
        argv += ["-e", "nfdoctor_offline_batch_size=%d" % batch_size]
    log = os.path.join(WORK_DIR, "%s-%d.log" % (approach, round_no))
    timing = fleet_bench.timed_run(argv, log, trees_dir)
    timing.update({"round": round_no, "approach": approach, "log": os.path.relpath(log, REPO),
                   "report": os.path.join(out, "nfdoctor-report.json")})
    return timing


def in_process_floor(trees_dir):
    """CPU seconds of gather + checks of every tree in this process: what no Ansible run can go below."""
    from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks
    from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer
    roots = sorted(os.path.join(trees_dir, n) for n in os.listdir(trees_dir))
    started = time.process_time()
    for root in roots:
        facts = Gatherer(root).run()
        facts["findings"] = run_checks(facts, [])
    return round(time.process_time() - started, 2)


def summary(runs, count):
    """Median over the rounds of trees/s per approach and of the per-tree/batched wall and CPU ratios."""
    by_round = {}
    for run in runs:
        by_round.setdefault(run["round"], {})[run["approach"]] = run
    wall, cpu = [], []
    for pair in by_round.values():
        if set(pair) == set(APPROACHES) and all(r["rc"] == 0 for r in pair.values()):
            wall.append(pair["per-tree"]["wall_s"] / pair["batched"]["wall_s"])
            cpu.append(pair["per-tree"]["cpu_s"] / max(pair["batched"]["cpu_s"], 0.01))
    rates = {}
    for approach in APPROACHES:
        walls = [r["wall_s"] for r in runs if r["approach"] == approach and r["rc"] == 0]
        rates[approach] = round(count / statistics.median(walls), 1) if walls else None
    return {"rounds": len(wall), "wall_ratio": round(statistics.median(wall), 2) if wall else None,
            "cpu_ratio": round(statistics.median(cpu), 2) if cpu else None, "trees_per_s": rates}


def table(runs, count):
    lines = ["| round | run | trees | wall s | trees/s | controller CPU s | peak RSS MB | load before | report |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in runs:
        lines.append("| %d | %s | %d | %.1f | %.1f | %.1f | %.0f | %.1f | %s |" % (
            r["round"], r["approach"], count, r["wall_s"], count / r["wall_s"], r["cpu_s"], r["peak_rss_mb"],
            r["load1_before"], r.get("check", "")))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=0, help="nfdoctor_offline_batch_size (default: the role's)")
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args(argv)
    if args.trees < 1 or args.rounds < 1 or args.batch_size < 0:
        parser.error("--trees and --rounds must be 1 or more, --batch-size 0 or more")
    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = os.getloadavg()
    trees_dir = os.path.join(WORK_DIR, "trees")
    names = make_trees(args.trees, trees_dir)
    floor_cpu = in_process_floor(trees_dir)
    runs = []
    for round_no in range(1, args.rounds + 1):
        order = list(APPROACHES) if round_no % 2 else list(reversed(list(APPROACHES)))
        pair = {}
        for approach in order:
            run = run_playbook(approach, trees_dir, round_no, args.batch_size)
            pair[approach] = run
            runs.append(run)
            print("round %d %-8s %6.1f s wall %6.1f s CPU %5.0f MB rc %d" % (
                round_no, approach, run["wall_s"], run["cpu_s"], run["peak_rss_mb"], run["rc"]), flush=True)
        for run in pair.values():
            run["check"] = ("rc=%d, see %s" % (run["rc"], run["log"]) if run["rc"] != 0 else
                            compare_reports(pair["batched"]["report"], pair["per-tree"]["report"], names))
    result = summary(runs, args.trees)
    with open(os.path.join(WORK_DIR, "results.json"), "w") as handle:
        json.dump({"runs": runs, "summary": result, "floor_cpu_s": floor_cpu}, handle, indent=1)
    machine = fleet_bench.machine_description()
    lines = [
        "Measured %s with `make bench-offline TREES=%d`; load average (1/5/15 min) at the start %.2f / %.2f / %.2f."
        % (started.strftime("%Y-%m-%d %H:%M UTC"), args.trees, load_start[0], load_start[1], load_start[2]),
        "",
        table(runs, args.trees),
        "",
        "- trees/s (median wall over %d rounds): batched %s, one module run per tree %s"
        % (args.rounds, result["trees_per_s"]["batched"], result["trees_per_s"]["per-tree"]),
        "- one run per tree / batched: median %sx wall, %sx controller CPU (over %d rounds with both runs ok)"
        % (result["wall_ratio"], result["cpu_ratio"], result["rounds"]),
        "- floor: gather and checks of all %d trees in one Python process, no Ansible: %.2f s CPU"
        % (args.trees, floor_cpu),
        "",
        "Machine: %(cpu)s, %(cores)s cores, %(memory_gb)s GB RAM, %(os)s, kernel %(kernel)s; %(ansible)s; "
        "Python %(python)s; nice %(nice)s." % machine,
    ]
    block = "\n".join(lines)
    print(block)
    if args.write_doc:
        fleet_bench.rewrite_block(DOC, BEGIN, END, BEGIN + "\n" + block + "\n" + END)
    checks = [r["check"] for r in runs]
    return 0 if all(c == "same" for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
