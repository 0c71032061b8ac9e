#!/usr/bin/env python3
"""Time the audit against the floor every Ansible run pays, on the same fleet (issue 15).

One run starts a fleet of N namespace hosts (tools/fleet/fleet.py), injects
the fault bench.py uses, and times, round after round on the same hosts:

    ping    ansible nfd_fleet -m ansible.builtin.ping
    module  ansible nfd_fleet -m nfdoctor.netfilter.netfilter_facts
    audit   ansible-playbook nfdoctor.netfilter.audit   (reports included)

interleaved (ping, module, audit, ping, module, audit, ...) so a change of
load on the shared machine hits all three alike. The ssh control masters are
ended before every command, so each pays for fresh connections. It prints
wall time and controller CPU of every run, and the median over the rounds of
module/ping and audit/ping, each ratio taken within one round.
Goals (issue 15): module within 1.1x, audit within 1.25x of ping at 200 hosts.

    make bench-floor HOSTS=50            # = tools/fleet/floor.py --hosts 50 --write-docs
    tools/fleet/floor.py --hosts 10 --rounds 1
"""

import argparse
import datetime
import json
import os
import signal
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (timing, machine description and docs rewrite live there)
import fleet  # noqa: E402

REPO = fleet.REPO
WORK_DIR = os.path.join(REPO, ".build", "bench-floor")
DOC = bench.DOC
BEGIN, END = "<!-- bench-floor:begin -->", "<!-- bench-floor:end -->"
KINDS = ("ping", "module", "audit")
GOALS = {"module": 1.1, "audit": 1.25}   # issue 15, at 200 hosts


def command_for(kind, count, inventory, report_dir):
    pattern = "nfd_fleet[0:%d]" % (count - 1)
    if kind == "ping":
        return [os.path.join(bench.BIN, "ansible"), "-i", inventory, pattern, "-m", "ansible.builtin.ping"]
    if kind == "module":
        return [os.path.join(bench.BIN, "ansible"), "-i", inventory, pattern,
                "-m", "nfdoctor.netfilter.netfilter_facts"]
    if kind == "audit":
        # As bench.py runs it: localhost writes the fleet reports.
        return [os.path.join(bench.BIN, "ansible-playbook"), "-i", inventory, "nfdoctor.netfilter.audit",
                "--limit", pattern + ",localhost", "-e", "nfdoctor_report_dir=%s" % report_dir]
    raise ValueError("unknown kind %r" % kind)


def run_one(kind, count, round_no, inventory, run_dir):
    report_dir = os.path.join(WORK_DIR, "audit-%d-r%d" % (count, round_no))
    os.makedirs(report_dir, exist_ok=True)
    report_path = os.path.join(report_dir, "nfdoctor-report.json")
    if os.path.exists(report_path):
        os.remove(report_path)
    # Fresh connections for every command, as in bench.py.
    fleet.terminate(fleet.control_master_pids(run_dir))
    log_path = os.path.join(WORK_DIR, "%s-%d-r%d.log" % (kind, count, round_no))
    timing = bench.timed_run(command_for(kind, count, inventory, report_dir), log_path, inventory)
    if timing["rc"] != 0:
        check = "rc=%d, see %s" % (timing["rc"], os.path.relpath(log_path, REPO))
    elif kind == "audit":
        check = bench.check_report("audit", report_path, count)
    else:
        check = "ok"
    result = dict(timing, kind=kind, hosts=count, round=round_no, check=check,
                  log=os.path.relpath(log_path, REPO))
    result.pop("rc")
    return result


def summarize(results):
    """Per-round module/ping and audit/ping ratios, and their medians, from the runs of one fleet size.

    A ratio is taken only within a round (same load); rounds missing a run
    or whose runs failed are left out. Returns {"rounds": [...], "median": {...},
    "wall_median": {...}, "cpu_median": {...}}."""
    by_round = {}
    for r in results:
        by_round.setdefault(r["round"], {})[r["kind"]] = r
    rounds = []
    for round_no in sorted(by_round):
        runs = by_round[round_no]
        ping = runs.get("ping")
        if not ping or ping["check"] != "ok" or ping["wall_s"] <= 0:
            continue
        row = {"round": round_no}
        for kind in ("module", "audit"):
            other = runs.get(kind)
            if other and other["check"] == "ok":
                row[kind] = round(other["wall_s"] / ping["wall_s"], 2)
                if ping["cpu_s"] > 0:
                    row[kind + "_cpu"] = round(other["cpu_s"] / ping["cpu_s"], 2)
        rounds.append(row)
    median = {}
    for key in ("module", "audit", "module_cpu", "audit_cpu"):
        values = [row[key] for row in rounds if key in row]
        if values:
            median[key] = round(statistics.median(values), 2)
    wall_median, cpu_median = {}, {}
    for kind in KINDS:
        ok = [r for r in results if r["kind"] == kind and r["check"] == "ok"]
        if ok:
            wall_median[kind] = round(statistics.median(r["wall_s"] for r in ok), 2)
            cpu_median[kind] = round(statistics.median(r["cpu_s"] for r in ok), 2)
    return {"rounds": rounds, "median": median, "wall_median": wall_median, "cpu_median": cpu_median}


def verdict(ratio, goal):
    return "meets %.2fx" % goal if ratio <= goal else "misses %.2fx" % goal


def runs_table(results):
    lines = ["| round | run | hosts | wall s | controller CPU s | peak RSS MB | load before | check |",
             "|---:|---|---:|---:|---:|---:|---:|---|"]
    for r in sorted(results, key=lambda r: (r["hosts"], r["round"], KINDS.index(r["kind"]))):
        lines.append("| %d | %s | %d | %.1f | %.1f | %.0f | %.1f | %s |" % (
            r["round"], r["kind"], r["hosts"], r["wall_s"], r["cpu_s"], r["peak_rss_mb"], r["load1_before"],
            r["check"]))
    return "\n".join(lines)


def summary_lines(count, summary):
    med = summary["median"]
    lines = []
    for kind in ("module", "audit"):
        if kind in med:
            lines.append("%s/ping at %d hosts: median %.2fx wall over %d rounds (%s), %s CPU" % (
                kind, count, med[kind], len([r for r in summary["rounds"] if kind in r]),
                verdict(med[kind], GOALS[kind]),
                "%.2fx" % med[kind + "_cpu"] if kind + "_cpu" in med else "-"))
        else:
            lines.append("%s/ping at %d hosts: no round with both runs ok" % (kind, count))
    return lines


def doc_block(sections, machine, command):
    """The bench-floor block of docs/performance.md for one or more fleet sizes (newest last)."""
    parts = [BEGIN]
    for section in sections:
        parts += [
            "Measured %s with `%s`; load average (1/5/15 min) at the start %s." % (
                section["started"], section["command"], section["load"]),
            "",
            runs_table(section["results"]),
            "",
        ]
        parts += ["- " + line for line in summary_lines(section["hosts"], section["summary"])]
        parts.append("")
    parts.append(
        "Machine: %s, %d cores, %.1f GB RAM, %s, kernel %s; %s; %s; Python %s; nice %d. The controller "
        "and all target hosts share these cores." % (
            machine["cpu"], machine["cores"], machine["memory_gb"], machine["os"], machine["kernel"],
            machine["ansible"], machine["ssh"], machine["python"], machine.get("nice", 0)))
    parts.append(END)
    return "\n".join(parts)


def load_sections(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--run-dir", default=os.path.join(REPO, ".build", "bench-floor", "fleet"))
    parser.add_argument("--write-docs", action="store_true",
                        help="rewrite the bench-floor block of docs/performance.md (keeps other sizes' results)")
    parser.add_argument("--keep-fleet", action="store_true", help="leave the fleet running afterwards")
    parser.add_argument("--priority", type=int, default=-10,
                        help="nice value for the benchmark, the fleet's sshd and ansible; 0 to leave it")
    args = parser.parse_args(argv)
    if args.hosts < 1 or args.hosts > fleet.MAX_HOSTS or args.rounds < 1:
        parser.error("--hosts must be 1..%d and --rounds at least 1" % fleet.MAX_HOSTS)
    args.run_dir = os.path.abspath(args.run_dir)
    if args.priority:
        os.setpriority(os.PRIO_PROCESS, 0, args.priority)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = "make bench-floor HOSTS=%d" % args.hosts if args.write_docs else \
        "tools/fleet/floor.py " + " ".join(argv if argv is not None else sys.argv[1:])
    load = " / ".join("%.2f" % x for x in os.getloadavg())
    os.makedirs(WORK_DIR, exist_ok=True)
    results = []
    fleet_args = ["--run-dir", args.run_dir]
    try:
        if fleet.main(fleet_args + ["start", str(args.hosts)]) != 0:
            return 2
        fleet.main(fleet_args + ["inject", bench.FAULTY_HOST, "forwarding-off"])
        inventory = os.path.join(args.run_dir, "inventory.yml")
        for round_no in range(1, args.rounds + 1):
            for kind in KINDS:
                result = run_one(kind, args.hosts, round_no, inventory, args.run_dir)
                results.append(result)
                print("round %d %-6s %4d hosts  %7.1fs  cpu %7.1fs  rss %5.0f MB  load %5.2f  %s" % (
                    round_no, kind, args.hosts, result["wall_s"], result["cpu_s"], result["peak_rss_mb"],
                    result["load1_before"], result["check"]), flush=True)
    finally:
        if not args.keep_fleet:
            fleet.main(fleet_args + ["stop"])

    summary = summarize(results)
    print()
    print(runs_table(results))
    print()
    for line in summary_lines(args.hosts, summary):
        print(line)
    machine = bench.machine_description()
    results_path = os.path.join(WORK_DIR, "results.json")
    sections = load_sections(results_path)
    sections[str(args.hosts)] = {"started": started, "command": command, "load": load, "hosts": args.hosts,
                                 "results": results, "summary": summary}
    with open(results_path, "w") as handle:
        json.dump(sections, handle, indent=1)
    if args.write_docs:
        ordered = [sections[k] for k in sorted(sections, key=int)]
        bench.rewrite_block(DOC, BEGIN, END, doc_block(ordered, machine, command))
        print("wrote %s" % os.path.relpath(DOC, REPO))
    return 0 if all(r["check"] == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
