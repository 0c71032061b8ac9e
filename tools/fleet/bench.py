#!/usr/bin/env python3
"""Time nfdoctor's audit against the manual way on a fleet of namespace hosts.

One run starts a fleet of max(N) hosts (tools/fleet/fleet.py), injects one
fault (forwarding off on nfd-fleet-0001's eth0) so every approach has the same
thing to find, and for each N runs, on the first N hosts:

    audit   playbooks/audit.yml               (one netfilter_facts call per host)
    naive   playbooks/bench/naive_audit.yml   (one command per task)
    setup   playbooks/bench/setup_audit.yml   (ansible.builtin.setup, then the same)

Before every run the ssh control masters are ended, so each approach pays for
its own connections. For each run it records wall time, hosts per second,
controller CPU seconds and peak memory (rusage of ansible-playbook and every
process it reaped), checks that the approach reported INTERFACE_FORWARDING_OFF
for the faulty host and for no other, and prints the ratios to audit.

    make bench-fleet                      # = tools/fleet/bench.py --write-docs
    tools/fleet/bench.py --sizes 10 --approaches audit,naive
"""

import argparse
import datetime
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet  # noqa: E402  (the fleet tool next to this file)

REPO = fleet.REPO
BIN = os.path.join(REPO, ".venv", "bin")
WORK_DIR = os.path.join(REPO, ".build", "bench")
FAULTY_HOST = fleet.host_name(1)
FAULT_ID = "INTERFACE_FORWARDING_OFF"
DOC = os.path.join(REPO, "docs", "performance.md")
PLOT = os.path.join(REPO, "docs", "performance.png")
BEGIN, END = "<!-- bench-fleet:begin -->", "<!-- bench-fleet:end -->"

APPROACHES = {
    # name: (playbook, report file written into the report dir, how to read a host's finding ids)
    "audit": ("playbooks/audit.yml", "nfdoctor-report.json",
              lambda entry: [f.get("id") for f in (entry or {}).get("findings", [])]),
    "naive": ("playbooks/bench/naive_audit.yml", "naive-report.json", lambda entry: entry or []),
    "setup": ("playbooks/bench/setup_audit.yml", "setup-report.json", lambda entry: entry or []),
}


def ansible_env(collections=None, config=None):
    """The environment of an ansible command: this checkout's collection and ansible.cfg unless told otherwise
    (floor.py --baseline runs another revision's)."""
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = collections or os.path.join(REPO, ".build", "collections")
    env["ANSIBLE_CONFIG"] = config or os.path.join(REPO, "ansible.cfg")
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    # Colour codes only cost time in a log file.
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def check_report(approach, report_path, count):
    """Whether the approach found the injected fault on the faulty host and nowhere else."""
    try:
        with open(report_path) as handle:
            hosts = json.load(handle)["hosts"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return "no report (%s)" % exc
    finding_ids = APPROACHES[approach][2]
    expected = [fleet.host_name(i) for i in range(1, count + 1)]
    missing = [h for h in expected if h not in hosts]
    if missing:
        return "no result for %d hosts" % len(missing)
    flagged = sorted(h for h in expected if FAULT_ID in finding_ids(hosts[h]))
    if flagged != [FAULTY_HOST]:
        return "%s on %s" % (FAULT_ID, ", ".join(flagged) or "no host")
    return "ok"


def processes_naming(text):
    """Pids of processes whose command line contains text."""
    pids = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                if text.encode() in handle.read():
                    pids.append(int(entry))
        except OSError:
            continue
    return pids


def run_approach(approach, count, inventory, args):
    playbook, report_name, _unused = APPROACHES[approach]
    report_dir = os.path.join(WORK_DIR, "%s-%d" % (approach, count))
    os.makedirs(report_dir, exist_ok=True)
    report_path = os.path.join(report_dir, report_name)
    if os.path.exists(report_path):
        os.remove(report_path)
    fleet.terminate(fleet.control_master_pids(args.run_dir))
    argv = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, os.path.join(REPO, playbook),
            "--limit", "nfd_fleet[0:%d],localhost" % (count - 1),
            "-e", "nfdoctor_report_dir=%s" % report_dir, "-e", "naive_report_dir=%s" % report_dir]
    if args.forks:
        argv += ["--forks", str(args.forks)]
    log_path = os.path.join(WORK_DIR, "%s-%d.log" % (approach, count))
    timing = timed_run(argv, log_path, inventory)
    verdict = check_report(approach, report_path, count) if timing["rc"] == 0 else \
        "rc=%d, see %s" % (timing["rc"], log_path)
    return {
        "approach": approach, "hosts": count, "wall_s": timing["wall_s"],
        "hosts_per_s": round(count / timing["wall_s"], 2), "ms_per_host": round(1000.0 * timing["wall_s"] / count, 1),
        "cpu_s": timing["cpu_s"], "peak_rss_mb": timing["peak_rss_mb"], "load1_before": timing["load1_before"],
        "check": verdict, "log": os.path.relpath(log_path, REPO),
    }


def timed_run(argv, log_path, inventory, env=None):
    """Run one ansible command into log_path; its wall time, controller CPU and peak RSS, rc and load before.

    inventory names the processes to end if the run is interrupted; env defaults
    to ansible_env(). Shared by bench.py and floor.py (make bench-floor)."""
    # The machine may be shared: record how busy it was when the run began.
    load_before = os.getloadavg()[0]
    with open(log_path, "w") as log:
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env or ansible_env(), cwd=REPO)
        # wait4 gives the rusage of ansible-playbook plus everything it reaped:
        # its forked workers and the ssh clients they ran.
        try:
            _unused, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            # Interrupted (SIGTERM, Ctrl-C): do not leave ansible running. Its
            # workers run in sessions of their own and outlive a killed parent,
            # so end every process that names this run's inventory.
            proc.kill()
            proc.wait()
            fleet.terminate(processes_naming(inventory))
            raise
        wall = time.monotonic() - started
    return {"rc": os.waitstatus_to_exitcode(status), "wall_s": round(wall, 2),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024.0, 1), "load1_before": round(load_before, 2)}


def machine_description():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            match = re.search(r"^model name\s*:\s*(.+)$", handle.read(), re.M)
            cpu = match.group(1).strip() if match else cpu
    except OSError:
        pass
    with open("/proc/meminfo") as handle:
        mem_kb = int(re.search(r"^MemTotal:\s+(\d+)", handle.read(), re.M).group(1))
    os_name = "Linux"
    try:
        with open("/etc/os-release") as handle:
            os_name = re.search(r'^PRETTY_NAME="?([^"\n]+)', handle.read(), re.M).group(1)
    except (OSError, AttributeError):
        pass
    core = subprocess.run([os.path.join(BIN, "ansible"), "--version"], check=False, capture_output=True, text=True,
                          env=ansible_env()).stdout.splitlines()[0].strip()
    ssh = subprocess.run(["ssh", "-V"], check=False, capture_output=True, text=True).stderr.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1048576.0, 1), "os": os_name,
            "kernel": platform.release(), "python": platform.python_version(), "ansible": core, "ssh": ssh,
            "nice": os.getpriority(os.PRIO_PROCESS, 0)}


def ratios(results):
    by_key = {(r["approach"], r["hosts"]): r for r in results}
    rows = []
    for count in sorted({r["hosts"] for r in results}):
        audit = by_key.get(("audit", count))
        if not audit:
            continue
        row = {"hosts": count}
        for other in ("naive", "setup"):
            if (other, count) in by_key:
                row[other] = round(by_key[(other, count)]["wall_s"] / audit["wall_s"], 1)
        rows.append(row)
    return rows


def results_table(results):
    lines = ["| approach | hosts | wall s | hosts/s | ms/host | controller CPU s | peak RSS MB | load before | fault found |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in sorted(results, key=lambda r: (r["hosts"], list(APPROACHES).index(r["approach"]))):
        lines.append("| %s | %d | %.1f | %.2f | %.0f | %.1f | %.0f | %.1f | %s |" % (
            r["approach"], r["hosts"], r["wall_s"], r["hosts_per_s"], r["ms_per_host"], r["cpu_s"],
            r["peak_rss_mb"], r["load1_before"], r["check"]))
    return "\n".join(lines)


def ratio_table(rows):
    lines = ["| hosts | naive / audit | setup / audit |", "|---:|---:|---:|"]
    for row in rows:
        lines.append("| %d | %s | %s |" % (row["hosts"], "%.1fx" % row["naive"] if "naive" in row else "-",
                                           "%.1fx" % row["setup"] if "setup" in row else "-"))
    return "\n".join(lines)


def write_plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axis = plt.subplots(figsize=(7, 4.2), dpi=110)
    for approach, style in (("audit", "o-"), ("naive", "s--"), ("setup", "^-.")):
        points = sorted((r["hosts"], r["wall_s"]) for r in results if r["approach"] == approach)
        if points:
            axis.plot([p[0] for p in points], [p[1] for p in points], style,
                      label="%s (%s)" % (approach, APPROACHES[approach][0]))
    axis.set_xlabel("hosts (network namespaces with their own sshd)")
    axis.set_ylabel("wall time, seconds")
    axis.set_title("nfdoctor audit vs manual checks, one 2-core controller")
    axis.grid(True, alpha=0.3)
    axis.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_doc(results, machine, command, started):
    block = "\n".join([
        BEGIN,
        "Measured %s with `%s`." % (started, command),
        "",
        "Machine: %s, %d cores, %.1f GB RAM, %s, kernel %s; %s; %s; Python %s. The controller and all "
        "target hosts share these cores. The run had nice %d (inherited by ansible and the fleet's sshd); "
        "*load before* is the machine's 1-minute load average as each run began: above 2, other work "
        "was sharing the cores." % (machine["cpu"], machine["cores"], machine["memory_gb"], machine["os"],
                                    machine["kernel"], machine["ansible"], machine["ssh"], machine["python"],
                                    machine.get("nice", 0)),
        "",
        results_table(results),
        "",
        "Wall time ratio to the audit at the same fleet size (equal to the per-host ratio):",
        "",
        ratio_table(ratios(results)),
        "",
        "![wall time against fleet size](performance.png)",
        END,
    ])
    rewrite_block(DOC, BEGIN, END, block)


def replace_block(text, begin, end, block):
    """text with everything from begin to end (both included) replaced by block, which carries both markers.

    ValueError when the markers are missing or out of order, so a page is never half rewritten."""
    start = text.find(begin)
    stop = text.find(end, start + len(begin)) if start >= 0 else -1
    if start < 0 or stop < 0:
        raise ValueError("no %s ... %s block to replace" % (begin, end))
    return text[:start] + block + text[stop + len(end):]


def rewrite_block(path, begin, end, block):
    with open(path) as handle:
        text = handle.read()
    try:
        text = replace_block(text, begin, end, block)
    except ValueError as exc:
        raise SystemExit("%s: %s" % (path, exc))
    with open(path, "w") as handle:
        handle.write(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--sizes", default="10,50,200", help="fleet sizes, comma separated")
    parser.add_argument("--approaches", default="audit,naive,setup")
    parser.add_argument("--forks", type=int, default=0, help="override ansible.cfg forks")
    parser.add_argument("--run-dir", default=os.path.join(REPO, ".build", "bench-fleet"))
    parser.add_argument("--write-docs", action="store_true", help="update docs/performance.md and .png")
    parser.add_argument("--keep-fleet", action="store_true", help="leave the fleet running afterwards")
    parser.add_argument("--priority", type=int, default=-10,
                        help="nice value for the benchmark, the fleet's sshd and ansible (inherited); 0 to leave it")
    args = parser.parse_args(argv)
    args.run_dir = os.path.abspath(args.run_dir)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    approaches = [a.strip() for a in args.approaches.split(",") if a.strip()]
    unknown = [a for a in approaches if a not in APPROACHES]
    if unknown or not sizes or min(sizes) < 2:
        parser.error("approaches are %s; sizes must be >= 2" % ", ".join(APPROACHES))
    for approach in approaches:
        if not os.path.exists(os.path.join(REPO, APPROACHES[approach][0])):
            parser.error("%s is missing" % APPROACHES[approach][0])

    # On a machine shared with other work (CI runners, VMs) a raised priority
    # keeps the measurement closer to what the controller and hosts cost; every
    # process of the run (ansible, its workers, the fleet's sshd) inherits it.
    if args.priority:
        os.setpriority(os.PRIO_PROCESS, 0, args.priority)
    # SIGTERM (a CI timeout, kill) still tears the fleet down via finally.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = "make bench-fleet" if args.write_docs else "tools/fleet/bench.py " + " ".join(argv or sys.argv[1:])
    os.makedirs(WORK_DIR, exist_ok=True)
    results = []
    fleet_args = ["--run-dir", args.run_dir]
    try:
        if fleet.main(fleet_args + ["start", str(max(sizes)), "--replace"]) != 0:
            return 2
        fleet.main(fleet_args + ["inject", FAULTY_HOST, "forwarding-off"])
        inventory = os.path.join(args.run_dir, "inventory.yml")
        for count in sizes:
            for approach in approaches:
                result = run_approach(approach, count, inventory, args)
                results.append(result)
                print("%-6s %4d hosts  %7.1fs  %6.2f hosts/s  cpu %7.1fs  rss %5.0f MB  %s" % (
                    approach, count, result["wall_s"], result["hosts_per_s"], result["cpu_s"],
                    result["peak_rss_mb"], result["check"]), flush=True)
    finally:
        if not args.keep_fleet:
            fleet.main(fleet_args + ["stop"])

    print()
    print(results_table(results))
    print()
    print(ratio_table(ratios(results)))
    machine = machine_description()
    with open(os.path.join(WORK_DIR, "results.json"), "w") as handle:
        json.dump({"started": started, "command": command, "machine": machine, "results": results,
                   "ratios": ratios(results)}, handle, indent=1)
    if args.write_docs:
        write_plot(results, PLOT)
        write_doc(results, machine, command, started)
        print("wrote %s and %s" % (os.path.relpath(DOC, REPO), os.path.relpath(PLOT, REPO)))
    return 0 if all(r["check"] == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
