#!/usr/bin/env python3
"""On-host cost of one live netfilter_facts run against ansible.builtin.setup.

Both modules run the way Ansible runs them on a managed host, as a Python
process that reads its arguments and prints JSON, on this machine, in the
same run, alternating so that noise hits both alike. Also times
ansible.builtin.ping, the floor every module pays (interpreter start and the
AnsibleModule import), so the cost of the work itself can be compared too.
Prints medians and ratios.

A second part times the modules as Ansible really ships them: the AnsiballZ
payloads that `ansible -m MODULE` leaves behind with ANSIBLE_KEEP_REMOTE_FILES
(module_utils zipped in, compiled from source at every run, as on a managed
host), netfilter_facts against ping; the goal is a ratio within 1.15.
Beside wall-clock time it reports the CPU seconds (user + system) of each
payload process: on a machine whose load is above its core count the wall
clock is mostly waiting for a core, the CPU seconds are what the host pays.
With --baseline REV the netfilter_facts payload of that git revision is built
too and timed in the same rounds, so before and after come from one run.
Last, where the payload's time goes: what compiling each Python file it
carries costs (the collection's own files and Ansible's), how many times a
run compiles each (Python 3's zipimport compiles a source module twice,
python/cpython#141276; payload_imports makes ours once), and the regular
expressions compiled while it runs.

Usage: bench_gather.py [--runs N] [--baseline REV]
"""
import argparse
import base64
import glob
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(REPO, ".build", "collections")


def run_module(argv, args):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    env = dict(os.environ, PYTHONPATH=COLLECTIONS + os.pathsep + os.environ.get("PYTHONPATH", ""))
    started = time.perf_counter()
    proc = subprocess.run(argv + [handle.name], check=False, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    os.unlink(handle.name)
    result = json.loads(proc.stdout[proc.stdout.index("{"):])
    if result.get("failed"):
        raise SystemExit("module failed: %s" % result.get("msg"))
    return elapsed, result


def ansiballz_payload(module, work, collections=None, label=None):
    """Path of the AnsiballZ file Ansible builds to run ``module`` on localhost."""
    remote_tmp = os.path.join(work, (label or module).replace(".", "_"))
    env = dict(os.environ, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=remote_tmp,
               ANSIBLE_COLLECTIONS_PATH=collections or os.environ.get("ANSIBLE_COLLECTIONS_PATH", COLLECTIONS))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible"), "-i",
                           os.path.join(REPO, "inventory", "localhost.yml"), "localhost", "-m", module],
                          check=False, capture_output=True, text=True, env=env, cwd=REPO)
    payloads = glob.glob(os.path.join(remote_tmp, "*", "AnsiballZ_*.py"))
    if proc.returncode != 0 or len(payloads) != 1:
        raise SystemExit("could not build the AnsiballZ payload of %s: %s" % (module, proc.stdout[-500:]))
    return payloads[0]


def time_payload(path, env=None):
    """(wall seconds, CPU seconds of the process) of one payload run."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    stdout = proc.stdout.read().decode("utf-8", "replace")
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    result = json.loads(stdout[stdout.index("{"):])
    if result.get("failed"):
        raise SystemExit("%s failed: %s" % (path, result.get("msg")))
    return elapsed, usage.ru_utime + usage.ru_stime


def payload_zip(path):
    """The zip archive (bytes) an AnsiballZ payload carries: the module and its module_utils."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    found = re.search(r"zip_data='([A-Za-z0-9+/=]+)'", text) or re.search(r'zip_data="([A-Za-z0-9+/=]+)"', text)
    if found is None:
        found = re.search(r"ZIPDATA = \"\"\"([A-Za-z0-9+/=\s]+)\"\"\"", text)
    if found is None:
        raise SystemExit("no zip data found in %s" % path)
    return base64.b64decode(found.group(1))


def compile_costs(path, rounds=5):
    """[(best seconds, bytes, name)] of compiling each .py file of the payload at ``path``, worst first."""
    costs = []
    with zipfile.ZipFile(io.BytesIO(payload_zip(path))) as archive:
        for name in archive.namelist():
            if not name.endswith(".py"):
                continue
            source = archive.read(name)
            best = None
            for _round in range(rounds):
                started = time.perf_counter()
                compile(source, name, "exec", dont_inherit=True)
                elapsed = time.perf_counter() - started
                best = elapsed if best is None else min(best, elapsed)
            costs.append((best, len(source), name))
    return sorted(costs, reverse=True)


def run_probe(path, env=None):
    """(patterns ``re`` compiled, names of the payload's modules imported, {file in the zip: compile() calls})
    in one run of the payload. zipimport compiles a source module twice on Python 3 (python/cpython#141276);
    the counts show what a run really compiles."""
    probe = ("import builtins, json, re, runpy, sys\n"
             "counts = {}\n"
             "real = builtins.compile\n"
             "def counting(source, filename, *args, **kwargs):\n"
             "    name = filename.split('.zip/', 1)[-1]\n"
             "    counts[name] = counts.get(name, 0) + 1\n"
             "    return real(source, filename, *args, **kwargs)\n"
             "builtins.compile = counting\n"
             "sys.argv = [%r]\n"
             "try:\n    runpy.run_path(%r, run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "sys.stderr.write('PROBE %%d %%s\\n' %% (len(re._cache), ' '.join(sorted(sys.modules))))\n"
             "sys.stderr.write('COUNTS %%s\\n' %% json.dumps(counts))\n"
             % (path, path))
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, env=env)
    found = re.search(r"PROBE (\d+) (.*)", proc.stderr)
    counts = re.search(r"COUNTS (.*)", proc.stderr)
    return ((int(found.group(1)), set(found.group(2).split())) if found else (None, set())) + (
        json.loads(counts.group(1)) if counts else {},)


def _module_name(name):
    return name[:-len(".py")].replace("/__init__", "").replace("/", ".")


def _paid(files, counts):
    """(compile() calls, milliseconds) a run spends compiling ``files``, as [(best seconds, bytes, name)].

    A file the probe saw imported but never compiled came from the bytecode cache; with no counts at all
    (a zipimport written in C, whose compiles the probe cannot see) each file is taken as compiled once."""
    calls = sum(_compiles(counts, name) for _seconds, _size, name in files)
    return calls, 1000 * sum(seconds * _compiles(counts, name) for seconds, _size, name in files)


def _compiles(counts, name):
    """compile() calls of ``name`` in a run (``_paid``: once when the probe saw no counts at all)."""
    return counts.get(name, 0 if counts else 1)


def print_costs(payloads, top=12):
    print("what one run of each payload compiles: the files it imports, best of 5 compile() calls each, times")
    print("the compile() calls the run makes of each (zipimport compiles a file twice: python/cpython#141276),")
    print("and the regular expressions compiled (on this host; a payload carries more files than a run imports)")
    for label, path, env in payloads:
        patterns, imported, counts = run_probe(path, env)
        costs = [c for c in compile_costs(path) if _module_name(c[2]) in imported]
        ours = [c for c in costs if c[2].startswith("ansible_collections/nfdoctor/")]

        print("  %-26s %3d files, %3d compiles %6.1f ms; nfdoctor %2d files (%d kB), %2d compiles %5.1f ms; "
              "re patterns: %s" % ((label, len(costs)) + _paid(costs, counts) + (len(ours), sum(c[1] for c in ours) // 1024)
                                   + _paid(ours, counts) + (patterns,)))
        for seconds, size, name in ours[:top]:
            print("    %5.1f ms x%d %6d B  %s" % (1000 * seconds, _compiles(counts, name), size, name.rsplit("/", 1)[-1]))


def baseline_collections(rev, work):
    """A collections directory holding the collection as it was at git revision ``rev``."""
    root = os.path.join(work, "baseline")
    target = os.path.join(root, "ansible_collections", "nfdoctor", "netfilter")
    os.makedirs(target)
    archive = subprocess.run(["git", "-C", REPO, "archive", "--format=tar", rev], capture_output=True, check=False)
    if archive.returncode != 0:
        raise SystemExit("git archive %s: %s" % (rev, archive.stderr.decode("utf-8", "replace").strip()))
    import tarfile
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target)
    return root


def cache_env(cache):
    """The environment a payload runs in: the bytecode cache in ``cache`` (or ``off``), as a host writes it.

    ``PYTHONDONTWRITEBYTECODE`` is dropped because payload_imports then writes no cache, and an ssh session
    on a managed host does not usually set it."""
    env = dict((key, value) for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE")
    env["NFDOCTOR_BYTECODE_CACHE"] = cache
    return env


def bench_ansiballz(runs, baseline=None):
    """Time the payloads of netfilter_facts (with its bytecode cache warm, and without one) and ping, alternating.

    The warm run is what every audit of a host after its first costs (payload_imports.BytecodeCache); the run
    without a cache is the first audit of a host, or one with ``NFDOCTOR_BYTECODE_CACHE=off``."""
    work = tempfile.mkdtemp(prefix="nfdoctor-bench-")
    try:
        ours = ansiballz_payload("nfdoctor.netfilter.netfilter_facts", work)
        warm = cache_env(os.path.join(work, "bytecode"))
        payloads = {"netfilter_facts": (ours, warm), "uncached": (ours, cache_env("off")),
                    "ping": (ansiballz_payload("ansible.builtin.ping", work), warm)}
        if baseline:
            payloads["baseline"] = (ansiballz_payload("nfdoctor.netfilter.netfilter_facts", work,
                                                      collections=baseline_collections(baseline, work),
                                                      label="baseline"),
                                    cache_env(os.path.join(work, "bytecode-baseline")))
        time_payload(*payloads["netfilter_facts"])  # the host's first audit: it fills the cache
        if baseline:
            time_payload(*payloads["baseline"])
        wall = dict((name, []) for name in payloads)
        cpu = dict((name, []) for name in payloads)
        for _round in range(runs):
            for name, (path, env) in sorted(payloads.items()):
                elapsed, seconds = time_payload(path, env)
                wall[name].append(elapsed)
                cpu[name].append(seconds)
        print_costs([("netfilter_facts",) + payloads["netfilter_facts"],
                     ("netfilter_facts, no cache",) + payloads["uncached"]]
                    + ([("netfilter_facts at %s" % baseline[:12],) + payloads["baseline"]] if baseline else [])
                    + [("ping",) + payloads["ping"]])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = dict((name, statistics.median(values)) for name, values in wall.items())
    cpu_med = dict((name, statistics.median(values)) for name, values in cpu.items())
    print("through AnsiballZ (as a managed host runs it), median of %d runs each, wall / CPU seconds" % runs)
    rows = [("nfdoctor.netfilter_facts", "netfilter_facts"), ("  no bytecode cache", "uncached")]
    if baseline:
        rows.append(("netfilter_facts at %s" % baseline[:12], "baseline"))
    rows.append(("ansible.builtin.ping", "ping"))
    for label, name in rows:
        print("  %-26s %7.3f s  %7.3f s CPU" % (label, med[name], cpu_med[name]))
    print("  netfilter_facts/ping: %.2f wall, %.2f CPU (goal: 1.15 or less)" % (
        med["netfilter_facts"] / med["ping"], cpu_med["netfilter_facts"] / cpu_med["ping"]))
    print("  without the bytecode cache (a host's first audit), netfilter_facts/ping: %.2f wall, %.2f CPU" % (
        med["uncached"] / med["ping"], cpu_med["uncached"] / cpu_med["ping"]))
    if baseline:
        print("  at %s, netfilter_facts/ping: %.2f wall, %.2f CPU" % (
            baseline[:12], med["baseline"] / med["ping"], cpu_med["baseline"] / cpu_med["ping"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", metavar="REV",
                        help="also time the netfilter_facts payload of this git revision, in the same rounds")
    opts = parser.parse_args()
    ours = [sys.executable, os.path.join(REPO, "plugins", "modules", "netfilter_facts.py")]
    setup = [sys.executable, "-m", "ansible.modules.setup"]
    ping = [sys.executable, "-m", "ansible.modules.ping"]
    timings = {"netfilter_facts": [], "setup": [], "ping": []}
    for _unused in range(opts.runs):
        elapsed, result = run_module(ours, {})
        timings["netfilter_facts"].append(elapsed)
        findings = len(result["ansible_facts"]["nfdoctor"]["findings"])
        elapsed, _result = run_module(setup, {})
        timings["setup"].append(elapsed)
        elapsed, _result = run_module(ping, {})
        timings["ping"].append(elapsed)
    med = dict((name, statistics.median(values)) for name, values in timings.items())
    print("on-host cost, median of %d runs each, same machine, same run" % opts.runs)
    print("  %-26s %7.3f s  (%d findings on this host)" % ("nfdoctor.netfilter_facts", med["netfilter_facts"], findings))
    print("  %-26s %7.3f s" % ("ansible.builtin.setup", med["setup"]))
    print("  %-26s %7.3f s  (the floor: interpreter + AnsibleModule)" % ("ansible.builtin.ping", med["ping"]))
    print("  whole process, netfilter_facts/setup: %.2f (%.1fx faster)" % (
        med["netfilter_facts"] / med["setup"], med["setup"] / med["netfilter_facts"]))
    ours_work = max(med["netfilter_facts"] - med["ping"], 1e-6)
    setup_work = med["setup"] - med["ping"]
    print("  work above the floor, netfilter_facts/setup: %.3f s / %.3f s = %.2f (%.1fx faster)" % (
        ours_work, setup_work, ours_work / setup_work, setup_work / ours_work))
    bench_ansiballz(opts.runs, opts.baseline)


if __name__ == "__main__":
    main()
