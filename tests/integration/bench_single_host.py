#!/usr/bin/env python3
"""Per-host cost of the audit (one module task) against the manual way, on this host.

In ONE ansible-playbook run against localhost (connection local), alternating
order, this times:
  audit  - the single nfdoctor.netfilter.netfilter_facts task the audit role runs per host;
  naive  - the seed incidents' manual commands as separate tasks
           (playbooks/bench/naive_checks.yml, the same list the fleet benchmark uses).
Durations come from the ansible.posix.json callback (each play's start and end),
so ansible-playbook start-up and inventory parsing are not counted for either.

    .venv/bin/python tests/integration/bench_single_host.py [--rounds 5]
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(REPO, ".venv", "bin")
NAIVE_TASKS = os.path.join(REPO, "playbooks", "bench", "naive_checks.yml")

AUDIT_PLAY = """
- name: audit
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The audit role's one task per host
      nfdoctor.netfilter.netfilter_facts:
"""
NAIVE_PLAY = """
- name: naive
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The seeds' manual commands, one task each
      ansible.builtin.import_tasks: %s
""" % NAIVE_TASKS


def parse_time(text):
    return datetime.datetime.strptime(text.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")


def run_round(playbook, env):
    run = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(REPO, "inventory", "localhost.yml"),
                          playbook], check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    if run.returncode != 0:
        sys.exit("benchmark playbook failed:\n%s\n%s" % (run.stdout[-3000:], run.stderr[-3000:]))
    doc = json.loads(run.stdout)
    times, tasks = {}, {}
    for play in doc["plays"]:
        name = play["play"]["name"]
        start, end = parse_time(play["play"]["duration"]["start"]), parse_time(play["play"]["duration"]["end"])
        times.setdefault(name, []).append((end - start).total_seconds())
        tasks[name] = len(play["tasks"])
    return times, tasks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="playbook runs (each holds both approaches twice)")
    args = parser.parse_args()
    if not os.path.exists(NAIVE_TASKS):
        sys.exit("%s is missing (the fleet benchmark's naive task list)" % NAIVE_TASKS)
    env = dict(os.environ)
    env.update({"ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO, ".build", "collections"),
                "ANSIBLE_CONFIG": os.path.join(REPO, "ansible.cfg"),
                "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
    with tempfile.TemporaryDirectory() as tmp:
        playbook = os.path.join(tmp, "bench.yml")
        # audit, naive, naive, audit: each approach runs first once, so warm caches favour neither.
        with open(playbook, "w") as handle:
            handle.write("---" + AUDIT_PLAY + NAIVE_PLAY + NAIVE_PLAY + AUDIT_PLAY)
        samples = {"audit": [], "naive": []}
        tasks = {}
        for _round in range(args.rounds):
            times, tasks = run_round(playbook, env)
            for name in samples:
                samples[name].extend(times[name])
    audit, naive = statistics.median(samples["audit"]), statistics.median(samples["naive"])
    load = os.getloadavg()[0]
    print("single host (localhost, connection local), %d samples each, load average %.1f on %d CPUs"
          % (len(samples["audit"]), load, os.cpu_count() or 0))
    print("  audit: %d task  (netfilter_facts)       median %.2f s  (min %.2f, max %.2f)"
          % (tasks["audit"], audit, min(samples["audit"]), max(samples["audit"])))
    print("  naive: %d tasks (seeds' manual commands) median %.2f s  (min %.2f, max %.2f)"
          % (tasks["naive"], naive, min(samples["naive"]), max(samples["naive"])))
    print("  naive / audit = %.1fx" % (naive / audit if audit else float("inf")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
