"""Prove the README's two commands on a really fresh Debian 12 system.

    tools/fresh/test-fresh [--keep-going/--no-keep-going] [--repo DIR] [--shared DIR]

builds (or reuses from the cache) a minimal Debian 12 root with mmdebstrap that
holds only what the README promises a new machine has (python3, venv, pip,
gcc, git, make, ca-certificates), extracts a fresh copy of it, puts a clean
``git clone`` of the current commit at /build/nfdoctor and a read-only copy of
the shared notes at /build/shared beside it (what CI sees as ``../shared``),
bind-mounts /proc, /sys, /dev, /dev/pts and /run (the VM and fleet tests need
network namespaces, qemu and sshd) and runs ``make audit`` and then
``make test`` there as root with chroot. It prints pass/fail and wall time per
target and exits non-zero when anything failed.

Two halves, as in tools/vm/nfdoctor_vm.py: pure functions that decide what to
run and how to read make's output (unit-tested in tests/unit/tools/), and thin
actions that run it. Everything runs inside a private mount namespace
(``unshare --mount``), so even a SIGKILL cannot leave the bind mounts on the
host; on SIGINT/SIGTERM/SIGHUP the processes in the root are stopped, the
mounts undone and the root deleted. Only the cached base tarball stays.

This file runs on the controller only (Python 3.11).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vm"))
import nfdoctor_vm as vm  # noqa: E402

# Bump when the build steps change in a way the inputs below do not show.
BUILD_SCRIPT_VERSION = "1"

SUITE = "bookworm"
# mmdebstrap's smallest variant with a package manager: the Essential: yes
# packages and apt (no Priority: important ones such as kmod, iproute2, procps,
# which a Debian installer would add). The README's promise comes on top, so
# everything else must come from `make test` itself.
VARIANT = "apt"
PACKAGES = ("python3", "python3-venv", "python3-pip", "gcc", "git", "make", "ca-certificates")

# What /etc/apt/sources.list.d/debian.sources of a fresh Debian 12 install
# lists; the mirror is the one the VM images come from.
SECURITY_MIRROR = "http://deb.debian.org/debian-security"


def apt_sources(suite: str = SUITE, mirror: str = vm.DEFAULT_MIRROR,
                security_mirror: str = SECURITY_MIRROR) -> list[str]:
    """One-line apt sources for the suite, its updates and its security archive."""
    return [
        f"deb {mirror} {suite} main",
        f"deb {mirror} {suite}-updates main",
        f"deb {security_mirror} {suite}-security main",
    ]


# Where things go inside the root.
CLONE_DIR = "/build/nfdoctor"
SHARED_DIR = "/build/shared"
# pyenv's 2.7 and 3.6 interpreters are on every machine of this kind (the
# old-Python module tests use them); bound read-only at the same path.
PYENV_DIR = "/root/.pyenv"

# The host's pip configuration a fresh machine of this kind has too: the CA
# bundle setting and the constraints file. ~/.config/pip is NOT copied: it
# points pip at this machine's local wheel stores, and the fresh root must show
# that installing from PyPI works.
PIP_CONFIG_FILES = ("/etc/pip.conf", "/etc/xdg/pip")
# PIP_* variables that point at local package stores: not passed into the root.
LOCAL_PIP_VARIABLES = frozenset({"PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX", "PIP_CONSTRAINT",
                                 "PIP_CONFIG_FILE"})
PASSED_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "TERM")

# CA certificates added on this machine (update-ca-certificates' local
# directory). HTTPS from machines of this kind goes through an egress proxy
# whose CA is installed here; a fresh machine of this kind has it too, and
# without it pip cannot reach PyPI ("self-signed certificate in certificate chain").
LOCAL_CA_DIR = "/usr/local/share/ca-certificates"

STALE_PREFIX = "nfdoctor-fresh-"


class FreshError(Exception):
    """A failure with a message meant for the person running the check."""


# --------------------------------------------------------------------------
# pure logic


def cache_key(packages=PACKAGES, suite: str = SUITE, variant: str = VARIANT, sources=None,
              version: str = BUILD_SCRIPT_VERSION) -> str:
    """Short hash of everything that decides the base root's content."""
    material = json.dumps(
        {"suite": suite, "variant": variant, "packages": sorted(packages),
         "sources": list(apt_sources(suite) if sources is None else sources), "build_script_version": version},
        sort_keys=True,
    )
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def cache_dir(environ: dict | None = None) -> str:
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME") or os.path.join(environ.get("HOME") or "/root", ".cache")
    return os.path.join(base, "nfdoctor", "fresh-root")


def base_tarball(directory: str, key: str, suite: str = SUITE) -> str:
    return os.path.join(directory, f"{suite}-{VARIANT}-{key}.tar")


def mmdebstrap_args(target: str, packages=PACKAGES, suite: str = SUITE, sources=None) -> list[str]:
    """The mmdebstrap command line that writes the base root as a tarball to target."""
    return [
        "mmdebstrap",
        "--mode=root",
        f"--variant={VARIANT}",
        "--format=tar",
        "--include=" + ",".join(sorted(packages)),
        suite,
        target,
        *(apt_sources(suite) if sources is None else sources),
    ]


@dataclasses.dataclass(frozen=True)
class Mount:
    source: str | None   # None: the root directory itself
    target: str          # path inside the root, absolute
    recursive: bool = False
    read_only: bool = False


def mount_plan(shared_copy: str | None = None, pyenv: str | None = PYENV_DIR) -> list[Mount]:
    """What is bound into the root, in mount order (unmount in reverse)."""
    plan = [
        # The root bound onto itself, so that / is a mount point inside the chroot:
        # `ip netns exec` (the fleet's hosts) runs `mount --make-rslave /`, which
        # fails with EINVAL on a plain directory.
        Mount(None, "/"),
        Mount("/proc", "/proc"),
        Mount("/sys", "/sys", recursive=True),   # cgroup and friends are separate mounts below /sys
        Mount("/dev", "/dev"),
        Mount("/dev/pts", "/dev/pts"),
        Mount("/run", "/run"),
    ]
    if pyenv:
        plan.append(Mount(pyenv, pyenv, recursive=True, read_only=True))
    if shared_copy:
        # The copy lies inside the root already; binding it onto itself makes it read-only.
        plan.append(Mount(shared_copy, SHARED_DIR, read_only=True))
    return plan


def mount_commands(mount: Mount, root: str) -> list[list[str]]:
    """mount(8) calls that set up one Mount under root."""
    target = os.path.normpath(os.path.join(root, mount.target.lstrip("/")))
    source = target if mount.source is None else mount.source
    commands = [["mount", "--rbind" if mount.recursive else "--bind", source, target]]
    if mount.recursive:
        commands.append(["mount", "--make-rslave", target])
    if mount.read_only:
        commands.append(["mount", "-o", "remount,bind,ro", target])
    return commands


def chroot_environment(environ: dict) -> dict:
    """The environment make runs with inside the root: a clean login's, plus pip and proxy settings."""
    env = {
        "HOME": "/root",
        "USER": "root",
        "LOGNAME": "root",
        "SHELL": "/bin/bash",
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
    }
    for name, value in environ.items():
        if name.startswith("PIP_") and name not in LOCAL_PIP_VARIABLES:
            env[name] = value
        elif name in PASSED_VARIABLES:
            env[name] = value
    return env


_RULE = re.compile(r"^([A-Za-z0-9_./+-]+):(?![=:])\s*(.*)$")


def parse_make_database(text: str) -> dict[str, list[str]]:
    """Target -> prerequisites from `make -pq` output (order-only ones included)."""
    rules: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith(("#", "\t")):
            continue
        match = _RULE.match(line)
        if match:
            prerequisites = [p for p in match.group(2).split() if p != "|"]
            rules.setdefault(match.group(1), [])
            rules[match.group(1)].extend(p for p in prerequisites if p not in rules[match.group(1)])
    return rules


def closure(target: str, rules: dict[str, list[str]]) -> set[str]:
    """The target and everything it depends on, transitively."""
    seen = set()
    stack = [target]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(rules.get(current, ()))
    return seen


def owning_target(target: str, top_levels: list[str], rules: dict[str, list[str]]) -> str | None:
    """The top-level target whose run remakes target: the first one (in make's order) that needs it.

    make builds the prerequisites of `test` one after the other, depth first, and
    remakes each target once, so a shared prerequisite (setup) belongs to the
    first top-level target that reaches it.
    """
    for top in top_levels:
        if target in closure(top, rules):
            return top
    return None


_TRACE = re.compile(r"^[^\s:]+:\d+: (?:update )?target '(?P<target>[^']+)' (?:does not exist|due to:)")
_ERROR = re.compile(r"^make(?:\[\d+\])?: \*\*\* \[(?:[^\]]*?:\d+: )?(?P<target>[^\]]+)\] (?:Error \d+|Interrupt|Killed)")


def traced_target(line: str) -> str | None:
    """The target whose recipe make --trace starts on this line, if any."""
    match = _TRACE.match(line)
    return match.group("target") if match else None


def failed_target(line: str) -> str | None:
    """The target make reports as failed on this line, if any."""
    match = _ERROR.match(line)
    return match.group("target") if match else None


@dataclasses.dataclass
class Result:
    name: str
    status: str = "not run"      # passed / failed / not run
    seconds: float | None = None
    note: str = ""


class MakeTracker:
    """Follows `make --trace` output and splits its run into the top-level targets."""

    def __init__(self, top_levels: list[str], rules: dict[str, list[str]], clock=time.monotonic):
        self.top_levels = list(top_levels)
        self.rules = rules
        self.clock = clock
        self.results = {name: Result(name) for name in self.top_levels}
        self.started: dict[str, float] = {}
        self.current: str | None = None
        self.failed: str | None = None

    def _enter(self, top: str, now: float) -> None:
        if top == self.current or top in self.started:
            return
        # make moves on to the next top-level target only when the previous one is done.
        if self.current is not None:
            self._finish(self.current, now, "passed")
        self.current = top
        self.started[top] = now

    def _finish(self, top: str, now: float, status: str) -> None:
        result = self.results[top]
        result.status = status
        result.seconds = now - self.started.get(top, now)

    def feed(self, line: str) -> None:
        now = self.clock()
        target = traced_target(line)
        if target is not None:
            top = owning_target(target, self.top_levels, self.rules)
            if top is not None:
                self._enter(top, now)
            return
        target = failed_target(line)
        if target is not None and self.failed is None:
            top = owning_target(target, self.top_levels, self.rules) or self.current
            if top is not None:
                self.started.setdefault(top, now)
                self.failed = top
                self._finish(top, now, "failed")
                self.current = None

    def close(self, returncode: int) -> list[Result]:
        """Settle the run once make has exited with returncode."""
        now = self.clock()
        if self.current is not None:
            self._finish(self.current, now, "passed" if returncode == 0 else "failed")
            if returncode != 0 and self.failed is None:
                self.failed = self.current
            self.current = None
        if returncode == 0:
            # Top-level targets with nothing to remake (an up-to-date stamp) still passed.
            for result in self.results.values():
                if result.status == "not run":
                    result.status = "passed"
                    result.seconds = 0.0
                    result.note = "up to date"
        return [self.results[name] for name in self.top_levels]


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


def summary_table(results: list[Result]) -> str:
    width = max([len(r.name) for r in results] + [6])
    lines = [f"{'target':<{width}}  {'result':<7}  {'wall':>7}  note"]
    for result in results:
        lines.append(f"{result.name:<{width}}  {result.status:<7}  {format_seconds(result.seconds):>7}  {result.note}"
                     .rstrip())
    return "\n".join(lines)


def overall_ok(results: list[Result]) -> bool:
    return bool(results) and all(r.status == "passed" for r in results)


# --------------------------------------------------------------------------
# actions


def log(message: str) -> None:
    print(f"test-fresh: {message}", flush=True)


def _run(args, **kwargs):
    try:
        return subprocess.run(args, check=True, **kwargs)
    except FileNotFoundError as exc:
        raise FreshError(f"{args[0]} not found") from exc
    except subprocess.CalledProcessError as exc:
        raise FreshError(f"{' '.join(args[:3])} ... failed with exit code {exc.returncode}") from exc


def ensure_mmdebstrap() -> None:
    if shutil.which("mmdebstrap"):
        return
    log("mmdebstrap is missing: apt-get update && apt-get install -y mmdebstrap")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run(["apt-get", "update", "-qq"], env=env)
    _run(["apt-get", "install", "-y", "-qq", "mmdebstrap"], env=env)


def build_base(directory: str) -> tuple[str, bool]:
    """The cached base tarball, built now if missing. Returns (path, built_now)."""
    key = cache_key()
    tarball = base_tarball(directory, key)
    if os.path.isfile(tarball):
        log(f"cached base root {tarball}")
        return tarball, False
    ensure_mmdebstrap()
    os.makedirs(directory, exist_ok=True)
    started = time.monotonic()
    partial = tarball + ".partial"
    log(f"mmdebstrap {SUITE} ({VARIANT} + {', '.join(PACKAGES)}) -> {tarball}")
    try:
        _run(mmdebstrap_args(partial))
        os.replace(partial, tarball)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    log(f"base root built in {format_seconds(time.monotonic() - started)}")
    return tarball, True


def processes_in_root(root: str, proc: str = "/proc") -> list[int]:
    """PIDs of processes whose root directory is root (what chroot started, and their daemons)."""
    real = os.path.realpath(root)
    pids = []
    for name in os.listdir(proc):
        if not name.isdigit():
            continue
        try:
            if os.path.realpath(os.readlink(os.path.join(proc, name, "root"))) == real:
                pids.append(int(name))
        except OSError:
            continue
    return pids


def stop_processes_in_root(root: str) -> None:
    for sig, pause in ((signal.SIGTERM, 5), (signal.SIGKILL, 1)):
        pids = processes_in_root(root)
        if not pids:
            return
        log(f"stopping {len(pids)} processes still running in the root ({sig.name})")
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        time.sleep(pause)


def unmount_all(root: str) -> list[str]:
    """Unmount everything at or below root, deepest first. Returns what is still mounted."""
    for _attempt in range(3):
        points = vm.mounts_under(root)
        if not points:
            return []
        for point in sorted(points, key=len, reverse=True):
            if subprocess.run(["umount", point], stderr=subprocess.DEVNULL, check=False).returncode != 0:
                subprocess.run(["umount", "-l", point], stderr=subprocess.DEVNULL, check=False)
    return vm.mounts_under(root)


def remove_root(root: str) -> None:
    leftover = unmount_all(root)
    if leftover:
        log(f"not removing {root}: still mounted there: {', '.join(leftover)}")
        return
    shutil.rmtree(root, ignore_errors=True)
    if os.path.exists(root):
        log(f"could not remove all of {root}")


def remove_stale_roots(parent: str) -> None:
    """Roots of runs that were killed outright (SIGKILL, power loss)."""
    if not os.path.isdir(parent):
        return
    for name in os.listdir(parent):
        path = os.path.join(parent, name)
        if name.startswith(STALE_PREFIX) and os.path.isdir(path) and not processes_in_root(path):
            log(f"removing the root of an earlier, interrupted run: {path}")
            remove_root(path)


def prepare_root(root: str, tarball: str, repo: str, shared: str | None) -> str:
    """Extract the base, add DNS and pip settings, clone the repo and copy the shared notes."""
    log(f"extracting a fresh root into {root}")
    _run(["tar", "-C", root, "--numeric-owner", "-xpf", tarball])
    resolv = os.path.join(root, "etc/resolv.conf")
    if os.path.islink(resolv) or os.path.exists(resolv):
        os.unlink(resolv)   # never write through a link that points out of the root
    shutil.copyfile("/etc/resolv.conf", resolv)
    local_cas = sorted(n for n in os.listdir(LOCAL_CA_DIR) if n.endswith(".crt")) if os.path.isdir(LOCAL_CA_DIR) else []
    if local_cas:
        log(f"adding this machine's local CA certificates: {', '.join(local_cas)}")
        target = os.path.join(root, LOCAL_CA_DIR.lstrip("/"))
        os.makedirs(target, exist_ok=True)
        for name in local_cas:
            shutil.copyfile(os.path.join(LOCAL_CA_DIR, name), os.path.join(target, name))
        _run(["chroot", root, "update-ca-certificates"], stdout=subprocess.DEVNULL)
    for path in PIP_CONFIG_FILES:
        if os.path.isdir(path):
            shutil.copytree(path, os.path.join(root, path.lstrip("/")), dirs_exist_ok=True)
        elif os.path.isfile(path):
            os.makedirs(os.path.dirname(os.path.join(root, path.lstrip("/"))), exist_ok=True)
            shutil.copyfile(path, os.path.join(root, path.lstrip("/")))
    commit = _run(["git", "-C", repo, "rev-parse", "HEAD"], stdout=subprocess.PIPE, text=True).stdout.strip()
    branch = _run(["git", "-C", repo, "rev-parse", "--abbrev-ref", "HEAD"], stdout=subprocess.PIPE,
                  text=True).stdout.strip()
    clone = os.path.join(root, CLONE_DIR.lstrip("/"))
    os.makedirs(os.path.dirname(clone), exist_ok=True)
    log(f"git clone of {repo} at {commit[:12]} ({branch}) -> {CLONE_DIR}")
    _run(["git", "clone", "--quiet", "--no-hardlinks", "--no-checkout", repo, clone])
    _run(["git", "-C", clone, "checkout", "--quiet", "-B", branch if branch != "HEAD" else "fresh", commit])
    shared_copy = None
    if shared:
        shared_copy = os.path.join(root, SHARED_DIR.lstrip("/"))
        shutil.copytree(shared, shared_copy, symlinks=True)
    for directory in ("proc", "sys", "dev", "run", PYENV_DIR.lstrip("/")):
        os.makedirs(os.path.join(root, directory), exist_ok=True)
    return shared_copy


def mount_all(root: str, shared_copy: str | None, pyenv: str | None) -> None:
    for mount in mount_plan(shared_copy, pyenv):
        for command in mount_commands(mount, root):
            _run(command)


def run_in_root(root: str, command: str, env: dict, on_line=None) -> int:
    """Run a shell command in the clone inside the root; stream its output. Returns the exit code."""
    args = ["chroot", root, "/bin/bash", "-c", f"cd {CLONE_DIR} && {command}"]
    # Its own process group, so an interrupt stops make and everything it started.
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True, text=True, errors="replace", bufsize=1)
    try:
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if on_line is not None:
                on_line(line.rstrip("\n"))
        return process.wait()
    except BaseException:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        raise


def make_database(root: str, env: dict) -> dict[str, list[str]]:
    process = subprocess.run(["chroot", root, "/bin/bash", "-c", f"cd {CLONE_DIR} && make -pqn test"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, errors="replace",
                             check=False)
    rules = parse_make_database(process.stdout)
    if not rules.get("test"):
        raise FreshError("could not read the prerequisites of `test` from make's database (make -pqn test)")
    return rules


class Interrupted(Exception):
    pass


def _interrupt(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


def run(repo: str, shared: str | None, keep_going: bool, workdir: str, only: list[str] | None = None) -> int:
    started = time.monotonic()
    tarball, _built = build_base(cache_dir())
    os.makedirs(workdir, exist_ok=True)
    remove_stale_roots(workdir)
    root = tempfile.mkdtemp(prefix=STALE_PREFIX, dir=workdir)
    results: list[Result] = []
    tracker = None       # while make test runs
    per_target: list[Result] = []
    env = chroot_environment(os.environ)
    pyenv = PYENV_DIR if os.path.isdir(PYENV_DIR) else None
    try:
        shared_copy = prepare_root(root, tarball, repo, shared)
        mount_all(root, shared_copy, pyenv)
        log("mounted: " + ", ".join(m.target for m in mount_plan(shared_copy, pyenv)))

        log("== make audit")
        audit_started = time.monotonic()
        rc = run_in_root(root, "make audit", env)
        results.append(Result("make audit", "passed" if rc == 0 else "failed", time.monotonic() - audit_started,
                              "" if rc == 0 else f"exit {rc}"))

        rules = make_database(root, env)
        top_levels = only or rules["test"]
        goal = " ".join(only) if only else "test"
        log(f"== make {goal} (with --trace, to time each of: " + " ".join(top_levels) + ")")
        tracker = MakeTracker(top_levels, rules)
        test_started = time.monotonic()
        rc = run_in_root(root, f"make --trace {goal}", env, on_line=tracker.feed)
        test_seconds = time.monotonic() - test_started
        per_target = tracker.close(rc)
        stopped_at = tracker.failed
        tracker = None
        results.append(Result(f"make {goal}", "passed" if rc == 0 else "failed", test_seconds,
                              "" if rc == 0 else f"exit {rc}; stopped in {stopped_at}"))
        if rc != 0 and keep_going:
            # make test stops at the first failure; run each remaining target on its own
            # so one broken area does not hide the state of all the others.
            for result in per_target:
                if result.status != "not run":
                    continue
                log(f"== make {result.name} (separately: make test stopped in {stopped_at})")
                result.note = "run separately after make test stopped"
                target_started = time.monotonic()
                target_rc = run_in_root(root, f"make {result.name}", env)
                result.status = "passed" if target_rc == 0 else "failed"
                result.seconds = time.monotonic() - target_started
    except (Interrupted, FreshError) as exc:
        what = f"interrupted ({exc})" if isinstance(exc, Interrupted) else str(exc)
        log(f"{what}: cleaning up")
        results.append(Result("(aborted)", "failed", None, what))
        if tracker is not None:
            # make test was running: what finished before the interrupt.
            per_target = tracker.close(130)
    finally:
        # Ignore further signals while cleaning up: a second Ctrl-C must not leave mounts behind.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        stop_processes_in_root(root)
        remove_root(root)
        log(f"removed {root}")
    results.extend(Result("  " + r.name, r.status, r.seconds, r.note) for r in per_target)
    print()
    print(summary_table(results))
    ok = overall_ok([r for r in results if not r.name.startswith(" ")])
    print(f"\ntest-fresh: {'PASSED' if ok else 'FAILED'} in {format_seconds(time.monotonic() - started)} "
          f"(Debian {SUITE} {VARIANT} root + {' '.join(PACKAGES)})")
    return 0 if ok else 1


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--repo", default=os.path.normpath(os.path.join(here, "..", "..")),
                        help="the git checkout whose HEAD commit is cloned into the root")
    parser.add_argument("--shared", default=None,
                        help="directory copied to ../shared beside the clone (default: ../shared of --repo, "
                             "else /work/shared, if it exists)")
    parser.add_argument("--workdir", default="/var/tmp/nfdoctor-fresh",
                        help="where the throwaway roots are extracted")
    parser.add_argument("--no-keep-going", dest="keep_going", action="store_false",
                        help="after make test fails, do not run the remaining targets on their own")
    parser.add_argument("--only", nargs="+", metavar="TARGET",
                        help="run `make audit` and then `make TARGET ...` instead of `make test` "
                             "(to re-prove one area quickly; the full proof is without it)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("test-fresh: must run as root (mmdebstrap --mode=root, chroot, bind mounts; make test itself "
              "installs Debian packages with apt). Run: sudo make test-fresh", file=sys.stderr)
        return 2
    shared = args.shared
    if shared is None:
        for candidate in (os.path.join(args.repo, "..", "shared"), "/work/shared"):
            if os.path.isdir(candidate):
                shared = os.path.normpath(candidate)
                break
    elif not os.path.isdir(shared):
        print(f"test-fresh: --shared {shared}: no such directory", file=sys.stderr)
        return 2
    if subprocess.run(["git", "-C", args.repo, "rev-parse", "HEAD"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL, check=False).returncode != 0:
        print(f"test-fresh: {args.repo} is not a git checkout with a commit", file=sys.stderr)
        return 2
    if os.environ.get("NFDOCTOR_FRESH_UNSHARED") != "1":
        # A private mount namespace: whatever happens to this process, the kernel
        # drops the bind mounts with it. The script re-runs itself inside.
        if not shutil.which("unshare"):
            print("test-fresh: unshare (util-linux) not found", file=sys.stderr)
            return 2
        env = dict(os.environ, NFDOCTOR_FRESH_UNSHARED="1")
        os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private", sys.executable,
                               os.path.abspath(__file__), *(argv if argv is not None else sys.argv[1:])], env)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    try:
        return run(os.path.abspath(args.repo), shared, args.keep_going, args.workdir, args.only)
    except FreshError as exc:
        print(f"test-fresh: {exc}", file=sys.stderr)
        return 1
    except Interrupted as exc:
        print(f"test-fresh: interrupted ({exc}) before a root was extracted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
