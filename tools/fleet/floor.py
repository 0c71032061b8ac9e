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

With --baseline REV, REV is checked out with `git worktree add` under
.build/bench-floor/ and its audit.yml (its collection, its ansible.cfg) runs
in the same rounds on the same hosts, so audit(REV)/ping and audit(HEAD)/ping
come from one run: an improvement is a ratio measured under the same load,
not two runs' figures set side by side. The two audits swap places every
round, so neither always runs right after the module.

    make bench-floor HOSTS=50            # = tools/fleet/floor.py --hosts 50 --write-docs
    make bench-floor HOSTS=200 FLOOR_BASELINE=main
    tools/fleet/floor.py --hosts 10 --rounds 1 --baseline main
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (timing, machine description and docs rewrite live there)
import fleet  # noqa: E402

REPO = fleet.REPO
WORK_DIR = os.path.join(REPO, ".build", "bench-floor")
DOC = bench.DOC
BEGIN, END = "<!-- bench-floor:begin -->", "<!-- bench-floor:end -->"
KINDS = ("ping", "module", "audit", "baseline")   # baseline: audit.yml of --baseline REV
GOALS = {"module": 1.1, "audit": 1.25, "baseline": 1.25}   # issue 15, at 200 hosts
BASELINE_DIR = os.path.join(WORK_DIR, "baseline")


def kinds_of_round(round_no, baseline):
    """The commands of one round, in order: the two audits swap places from round to round."""
    if not baseline:
        return ["ping", "module", "audit"]
    return ["ping", "module"] + (["audit", "baseline"] if round_no % 2 else ["baseline", "audit"])


def run_label(kind, baseline_label=None):
    """How a run is named in the tables: the baseline's audit carries its revision."""
    if kind == "baseline":
        return "audit(%s)" % (baseline_label or "baseline")
    if kind == "audit" and baseline_label:
        return "audit(HEAD)"
    return kind


def git(*args):
    proc = subprocess.run(["git", "-C", REPO] + list(args), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit("git %s: %s" % (" ".join(args), (proc.stderr or proc.stdout).strip()))
    return proc.stdout.strip()


def resolve_revision(rev):
    """The commit REV names, or None: checked before a fleet is started for it."""
    proc = subprocess.run(["git", "-C", REPO, "rev-parse", "--verify", "--quiet", rev + "^{commit}"],
                          capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None


def baseline_checkout(rev, work=BASELINE_DIR):
    """Check REV out with `git worktree add` under work; (collections path, ansible.cfg, label).

    The worktree is detached (no branch is created or moved) and replaced on
    every run, so a stale checkout of an earlier REV is never measured."""
    commit = resolve_revision(rev)
    if commit is None:
        raise SystemExit("--baseline %s: not a commit of %s" % (rev, REPO))
    tree = os.path.join(work, "tree")
    remove_baseline(work)
    os.makedirs(work)
    git("worktree", "add", "--detach", tree, commit)
    collections = os.path.join(work, "collections")
    namespace = os.path.join(collections, "ansible_collections", "nfdoctor")
    os.makedirs(namespace)
    os.symlink(tree, os.path.join(namespace, "netfilter"))
    # "main 101ea01": the name given and what it was when measured; a hash alone is its own label.
    label = commit[:7] if commit.startswith(rev) else "%s %s" % (rev, commit[:7])
    return collections, os.path.join(tree, "ansible.cfg"), label


def remove_baseline(work=BASELINE_DIR):
    """Undo baseline_checkout: the worktree's registration in the repository and its files."""
    tree = os.path.join(work, "tree")
    if os.path.exists(tree):
        subprocess.run(["git", "-C", REPO, "worktree", "remove", "--force", tree], capture_output=True, check=False)
    shutil.rmtree(work, ignore_errors=True)
    subprocess.run(["git", "-C", REPO, "worktree", "prune"], capture_output=True, check=False)


def command_for(kind, count, inventory, report_dir):
    pattern = "nfd_fleet[0:%d]" % (count - 1)
    if kind == "ping":
        return [os.path.join(bench.BIN, "ansible"), "-i", inventory, pattern, "-m", "ansible.builtin.ping"]
    if kind == "module":
        return [os.path.join(bench.BIN, "ansible"), "-i", inventory, pattern,
                "-m", "nfdoctor.netfilter.netfilter_facts"]
    if kind in ("audit", "baseline"):
        # As bench.py runs it: localhost writes the fleet reports. The baseline's
        # audit is the same command under the baseline's collections path.
        return [os.path.join(bench.BIN, "ansible-playbook"), "-i", inventory, "nfdoctor.netfilter.audit",
                "--limit", pattern + ",localhost", "-e", "nfdoctor_report_dir=%s" % report_dir]
    raise ValueError("unknown kind %r" % kind)


def run_one(kind, count, round_no, inventory, run_dir, env=None):
    report_dir = os.path.join(WORK_DIR, "%s-%d-r%d" % (kind, count, round_no))
    os.makedirs(report_dir, exist_ok=True)
    report_path = os.path.join(report_dir, "nfdoctor-report.json")
    if os.path.exists(report_path):
        os.remove(report_path)
    # Fresh connections for every command, as in bench.py.
    fleet.terminate(fleet.control_master_pids(run_dir))
    log_path = os.path.join(WORK_DIR, "%s-%d-r%d.log" % (kind, count, round_no))
    timing = bench.timed_run(command_for(kind, count, inventory, report_dir), log_path, inventory, env=env)
    if timing["rc"] != 0:
        check = "rc=%d, see %s" % (timing["rc"], os.path.relpath(log_path, REPO))
    elif kind in ("audit", "baseline"):
        check = bench.check_report("audit", report_path, count)
    else:
        check = "ok"
    result = dict(timing, kind=kind, hosts=count, round=round_no, check=check,
                  log=os.path.relpath(log_path, REPO))
    result.pop("rc")
    return result


def summarize(results):
    """Per-round ratios to ping, and their medians, from the runs of one fleet size.

    A ratio is taken only within a round (same load); rounds missing a run
    or whose runs failed are left out. With baseline runs, each round also
    gives audit/baseline (HEAD's audit against the baseline's, same round).
    Returns {"rounds": [...], "median": {...}, "wall_median": {...}, "cpu_median": {...}}."""
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
        for kind in KINDS[1:]:
            other = runs.get(kind)
            if other and other["check"] == "ok":
                row[kind] = round(other["wall_s"] / ping["wall_s"], 2)
                if ping["cpu_s"] > 0:
                    row[kind + "_cpu"] = round(other["cpu_s"] / ping["cpu_s"], 2)
        audit, baseline = runs.get("audit"), runs.get("baseline")
        if audit and baseline and audit["check"] == baseline["check"] == "ok" and baseline["wall_s"] > 0:
            row["audit_baseline"] = round(audit["wall_s"] / baseline["wall_s"], 2)
        rounds.append(row)
    median = {}
    for key in ("module", "audit", "baseline", "module_cpu", "audit_cpu", "baseline_cpu", "audit_baseline"):
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


def runs_table(results, baseline_label=None):
    lines = ["| round | run | hosts | wall s | controller CPU s | peak RSS MB | load before | check |",
             "|---:|---|---:|---:|---:|---:|---:|---|"]
    # In the order they ran: the two audits swap places from round to round.
    for r in sorted(results, key=lambda r: (r["hosts"], r["round"], r.get("order", KINDS.index(r["kind"])))):
        lines.append("| %d | %s | %d | %.1f | %.1f | %.0f | %.1f | %s |" % (
            r["round"], run_label(r["kind"], baseline_label), r["hosts"], r["wall_s"], r["cpu_s"],
            r["peak_rss_mb"], r["load1_before"], r["check"]))
    return "\n".join(lines)


def summary_lines(count, summary, baseline_label=None):
    med = summary["median"]
    kinds = ("module", "baseline", "audit") if baseline_label else ("module", "audit")
    lines = []
    for kind in kinds:
        name = run_label(kind, baseline_label)
        if kind in med:
            lines.append("%s/ping at %d hosts: median %.2fx wall over %d rounds (%s), %s CPU" % (
                name, count, med[kind], len([r for r in summary["rounds"] if kind in r]),
                verdict(med[kind], GOALS[kind]),
                "%.2fx" % med[kind + "_cpu"] if kind + "_cpu" in med else "-"))
        else:
            lines.append("%s/ping at %d hosts: no round with both runs ok" % (name, count))
    if baseline_label:
        if "audit_baseline" in med:
            lines.append("audit(HEAD)/audit(%s) at %d hosts: median %.2fx wall over %d rounds" % (
                baseline_label, count, med["audit_baseline"],
                len([r for r in summary["rounds"] if "audit_baseline" in r])))
        else:
            lines.append("audit(HEAD)/audit(%s) at %d hosts: no round with both audits ok" % (baseline_label, count))
    return lines


def doc_block(sections, machine, command):
    """The bench-floor block of docs/performance.md for one or more fleet sizes (newest last)."""
    parts = [BEGIN]
    for section in sections:
        label = section.get("baseline")
        parts += [
            "Measured %s with `%s`%s; load average (1/5/15 min) at the start %s." % (
                section["started"], section["command"],
                " at %s" % section["head"] if section.get("head") else "", section["load"]),
            "",
            runs_table(section["results"], label),
            "",
        ]
        parts += ["- " + line for line in summary_lines(section["hosts"], section["summary"], label)]
        parts.append("")
    parts.append(
        "Machine: %s, %d cores, %.1f GB RAM, %s, kernel %s; %s; %s; Python %s; nice %d. The controller "
        "and all target hosts share these cores." % (
            machine["cpu"], machine["cores"], machine["memory_gb"], machine["os"], machine["kernel"],
            machine["ansible"], machine["ssh"], machine["python"], machine.get("nice", 0)))
    parts.append(END)
    return "\n".join(parts)


def command_line(args, argv):
    """The command to name in the docs: the make target when it wrote them, else floor.py as called."""
    if not args.write_docs:
        return "tools/fleet/floor.py " + " ".join(argv)
    return "make bench-floor HOSTS=%d%s" % (args.hosts, " FLOOR_BASELINE=%s" % args.baseline if args.baseline else "")


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
    parser.add_argument("--baseline", metavar="REV",
                        help="also time audit.yml of this git revision in the same rounds (git worktree add)")
    args = parser.parse_args(argv)
    if args.hosts < 1 or args.hosts > fleet.MAX_HOSTS or args.rounds < 1:
        parser.error("--hosts must be 1..%d and --rounds at least 1" % fleet.MAX_HOSTS)
    if args.baseline is not None and resolve_revision(args.baseline) is None:
        parser.error("--baseline %s: not a commit of this repository" % args.baseline)
    args.run_dir = os.path.abspath(args.run_dir)
    if args.priority:
        os.setpriority(os.PRIO_PROCESS, 0, args.priority)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = command_line(args, argv if argv is not None else sys.argv[1:])
    load = " / ".join("%.2f" % x for x in os.getloadavg())
    # The revision measured as HEAD, and whether the work tree differed from it.
    dirty = git("status", "--porcelain", "--untracked-files=no")
    head = git("rev-parse", "--short=7", "HEAD") + (" with uncommitted changes" if dirty else "")
    os.makedirs(WORK_DIR, exist_ok=True)
    results = []
    fleet_args = ["--run-dir", args.run_dir]
    baseline_label, envs = None, {}
    try:
        if args.baseline:
            collections, config, baseline_label = baseline_checkout(args.baseline)
            envs["baseline"] = bench.ansible_env(collections=collections, config=config)
            print("baseline: audit.yml of %s from %s" % (baseline_label, os.path.relpath(BASELINE_DIR, REPO)))
        if fleet.main(fleet_args + ["start", str(args.hosts)]) != 0:
            return 2
        fleet.main(fleet_args + ["inject", bench.FAULTY_HOST, "forwarding-off"])
        inventory = os.path.join(args.run_dir, "inventory.yml")
        for round_no in range(1, args.rounds + 1):
            for order, kind in enumerate(kinds_of_round(round_no, args.baseline)):
                result = run_one(kind, args.hosts, round_no, inventory, args.run_dir, env=envs.get(kind))
                result["order"] = order
                results.append(result)
                print("round %d %-22s %4d hosts  %7.1fs  cpu %7.1fs  rss %5.0f MB  load %5.2f  %s" % (
                    round_no, run_label(kind, baseline_label), args.hosts, result["wall_s"], result["cpu_s"],
                    result["peak_rss_mb"], result["load1_before"], result["check"]), flush=True)
    finally:
        if not args.keep_fleet:
            fleet.main(fleet_args + ["stop"])
        if args.baseline:
            remove_baseline()

    summary = summarize(results)
    print()
    print(runs_table(results, baseline_label))
    print()
    for line in summary_lines(args.hosts, summary, baseline_label):
        print(line)
    machine = bench.machine_description()
    results_path = os.path.join(WORK_DIR, "results.json")
    sections = load_sections(results_path)
    sections[str(args.hosts)] = {"started": started, "command": command, "load": load, "hosts": args.hosts,
                                 "head": head, "baseline": baseline_label, "results": results, "summary": summary}
    with open(results_path, "w") as handle:
        json.dump(sections, handle, indent=1)
    if args.write_docs:
        ordered = [sections[k] for k in sorted(sections, key=int)]
        bench.rewrite_block(DOC, BEGIN, END, doc_block(ordered, machine, command))
        print("wrote %s" % os.path.relpath(DOC, REPO))
    return 0 if all(r["check"] == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
