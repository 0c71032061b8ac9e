"""Unit tests for the fresh-root check's decisions (tools/fresh/fresh_root.py).

Nothing here needs root or network: what goes in the cache key, what mmdebstrap
and mount are asked for, what environment make gets inside the root, and how
`make --trace test` output is split into per-target results are pure functions;
the run itself is `make test-fresh` (docs/testing-fresh.md).
"""
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools", "fresh"))
import fresh_root as fresh  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


# -- cache ------------------------------------------------------------------

def test_cache_key_is_stable_and_ignores_package_order():
    assert fresh.cache_key(["git", "make"]) == fresh.cache_key(["make", "git"])
    assert len(fresh.cache_key()) == 16


def test_cache_key_changes_with_every_input():
    base = fresh.cache_key()
    assert fresh.cache_key(list(fresh.PACKAGES) + ["kmod"]) != base
    assert fresh.cache_key(suite="trixie") != base
    assert fresh.cache_key(variant="minbase") != base
    assert fresh.cache_key(sources=["deb http://example.invalid/debian bookworm main"]) != base
    assert fresh.cache_key(version="999") != base


def test_cache_dir_follows_xdg_then_home():
    assert fresh.cache_dir({"XDG_CACHE_HOME": "/x", "HOME": "/h"}) == "/x/nfdoctor/fresh-root"
    assert fresh.cache_dir({"HOME": "/h"}) == "/h/.cache/nfdoctor/fresh-root"
    assert fresh.cache_dir({"XDG_CACHE_HOME": "", "HOME": "/h"}) == "/h/.cache/nfdoctor/fresh-root"


def test_base_tarball_name_carries_suite_variant_and_key():
    assert fresh.base_tarball("/c", "abc") == "/c/bookworm-apt-abc.tar"


# -- mmdebstrap ---------------------------------------------------------------

def test_mmdebstrap_builds_a_minimal_root_with_only_the_readme_packages():
    args = fresh.mmdebstrap_args("/c/base.tar")
    assert args[:4] == ["mmdebstrap", "--mode=root", "--variant=apt", "--format=tar"]
    include = [a for a in args if a.startswith("--include=")]
    assert include == ["--include=ca-certificates,gcc,git,make,python3,python3-pip,python3-venv"]
    assert args[5:7] == ["bookworm", "/c/base.tar"]
    # Nothing the tests need (kmod, iptables, qemu, ...) is smuggled in.
    for absent in ("kmod", "iptables", "openssh-server", "qemu-system-x86", "chromium"):
        assert absent not in include[0]


def test_apt_sources_are_a_fresh_debian_12s_main_updates_and_security():
    assert fresh.apt_sources() == [
        "deb http://deb.debian.org/debian bookworm main",
        "deb http://deb.debian.org/debian bookworm-updates main",
        "deb http://deb.debian.org/debian-security bookworm-security main",
    ]
    assert fresh.mmdebstrap_args("/t")[-3:] == fresh.apt_sources()


# -- mounts -------------------------------------------------------------------

def test_mount_plan_binds_what_the_vm_and_fleet_tests_need_in_order():
    plan = fresh.mount_plan("/r/build/shared", "/root/.pyenv")
    assert [m.target for m in plan] == ["/", "/proc", "/sys", "/dev", "/dev/pts", "/run", "/root/.pyenv",
                                        "/build/shared"]
    # /dev before /dev/pts: the inner mount must come after the outer one.
    read_only = {m.target for m in plan if m.read_only}
    assert read_only == {"/root/.pyenv", "/build/shared"}


def test_mount_plan_without_pyenv_or_shared_has_only_the_system_mounts():
    assert [m.target for m in fresh.mount_plan(None, None)] == ["/", "/proc", "/sys", "/dev", "/dev/pts", "/run"]


def test_mount_commands_recursive_binds_are_slaves_and_read_only_is_a_remount():
    sys_mount = fresh.Mount("/sys", "/sys", recursive=True)
    assert fresh.mount_commands(sys_mount, "/r") == [
        ["mount", "--rbind", "/sys", "/r/sys"],
        ["mount", "--make-rslave", "/r/sys"],
    ]
    shared = fresh.Mount("/r/build/shared", "/build/shared", read_only=True)
    assert fresh.mount_commands(shared, "/r") == [
        ["mount", "--bind", "/r/build/shared", "/r/build/shared"],
        ["mount", "-o", "remount,bind,ro", "/r/build/shared"],
    ]
    assert fresh.mount_commands(fresh.Mount("/proc", "/proc"), "/r") == [["mount", "--bind", "/proc", "/r/proc"]]


def test_the_root_is_bound_onto_itself_first_so_slash_is_a_mount_point():
    # ip netns exec runs `mount --make-rslave /`: EINVAL when / is a plain directory.
    first = fresh.mount_plan(None, None)[0]
    assert first.target == "/" and first.source is None
    assert fresh.mount_commands(first, "/var/tmp/r") == [["mount", "--bind", "/var/tmp/r", "/var/tmp/r"]]


# -- environment inside the root ----------------------------------------------

def test_chroot_environment_is_clean_but_keeps_pip_and_proxy_settings():
    host = {
        "PATH": "/work/.venv/bin:/usr/bin", "VIRTUAL_ENV": "/work/.venv", "HOME": "/home/x",
        "PIP_DEFAULT_TIMEOUT": "180", "PIP_CERT": "/etc/ssl/certs/ca-certificates.crt",
        "https_proxy": "http://proxy:3128", "ANSIBLE_CONFIG": "/work/ansible.cfg",
    }
    env = fresh.chroot_environment(host)
    assert env["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert env["HOME"] == "/root"
    assert env["PIP_DEFAULT_TIMEOUT"] == "180" and env["PIP_CERT"] == host["PIP_CERT"]
    assert env["https_proxy"] == "http://proxy:3128"
    assert "VIRTUAL_ENV" not in env and "ANSIBLE_CONFIG" not in env


def test_chroot_environment_drops_pip_settings_that_point_at_local_package_stores():
    env = fresh.chroot_environment({"PIP_FIND_LINKS": "/opt/wheels", "PIP_EXTRA_INDEX_URL": "file:///opt/pypi",
                                    "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert "PIP_FIND_LINKS" not in env and "PIP_EXTRA_INDEX_URL" not in env and "PIP_NO_INDEX" not in env
    assert env["PIP_DISABLE_PIP_VERSION_CHECK"] == "1"


# -- make's database and trace --------------------------------------------------

DATABASE = """\
# GNU Make 4.3
SHELL := /bin/bash
TEST_TARGETS := lint test-unit test-module
# Not a target:
Makefile:
test: system-deps lint test-unit test-module
\t@echo done
lint: lint-compat lint-python
lint-compat: setup
lint-python: setup
setup: /b/.venv/.stamp /b/.build/link
test-unit: setup system-deps
test-module: system-deps test-module-core219 | /b/.build/order-only
test-module-core219: setup system-deps
system-deps: /b/.build/system-packages.stamp
/b/.venv/.stamp: requirements/dev.txt
"""


def test_parse_make_database_reads_rules_not_variables_or_recipes():
    rules = fresh.parse_make_database(DATABASE)
    assert rules["test"] == ["system-deps", "lint", "test-unit", "test-module"]
    assert rules["test-module"] == ["system-deps", "test-module-core219", "/b/.build/order-only"]
    assert rules["/b/.venv/.stamp"] == ["requirements/dev.txt"]
    assert "SHELL" not in rules and "TEST_TARGETS" not in rules
    assert not any(name.startswith("@") for name in rules)


def test_owning_target_is_the_first_top_level_target_that_reaches_it():
    rules = fresh.parse_make_database(DATABASE)
    tops = rules["test"]
    assert fresh.owning_target("/b/.build/system-packages.stamp", tops, rules) == "system-deps"
    # setup is needed by lint, test-unit and test-module: make remakes it once, inside lint.
    assert fresh.owning_target("/b/.venv/.stamp", tops, rules) == "lint"
    assert fresh.owning_target("test-module-core219", tops, rules) == "test-module"
    assert fresh.owning_target("not-a-prerequisite", tops, rules) is None


def test_traced_target_reads_both_trace_forms_and_nothing_else():
    assert fresh.traced_target("mk/10-unit.mk:6: target 'test-unit' does not exist") == "test-unit"
    assert fresh.traced_target("Makefile:35: update target '/b/.venv/.stamp' due to: requirements/dev.txt") \
        == "/b/.venv/.stamp"
    assert fresh.traced_target("echo target 'x' does not exist") is None
    assert fresh.traced_target("ok   [syntax]: role br_netfilter") is None


def test_failed_target_reads_make_error_lines_only():
    assert fresh.failed_target("make: *** [mk/35-networkd.mk:14: test-remediate] Error 2") == "test-remediate"
    assert fresh.failed_target("make[1]: *** [Makefile:5: b] Error 1") == "b"
    assert fresh.failed_target("make: *** [test-unit] Interrupt") == "test-unit"
    assert fresh.failed_target("make: Target 'test' not remade because of errors.") is None
    assert fresh.failed_target("FAILED tests/unit/x.py::test_y - Error 2") is None


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _feed(tracker, clock, timed_lines):
    for at, line in timed_lines:
        clock.now = at
        tracker.feed(line)


TRACE_PASS = [
    (0, "mk/00-system.mk:8: target '/b/.build/system-packages.stamp' does not exist"),
    (60, "Makefile:35: target '/b/.venv/.stamp' does not exist"),
    (100, "mk/10-unit.mk:10: target 'lint-compat' does not exist"),
    (110, "mk/10-unit.mk:14: target 'lint-python' does not exist"),
    (120, "mk/10-unit.mk:6: target 'test-unit' does not exist"),
    (300, "mk/25-module.mk:9: target 'test-module-core219' does not exist"),
]


def test_tracker_times_each_top_level_target_of_a_passing_run():
    clock = Clock()
    rules = fresh.parse_make_database(DATABASE)
    tracker = fresh.MakeTracker(rules["test"], rules, clock=clock)
    _feed(tracker, clock, TRACE_PASS)
    clock.now = 330
    results = tracker.close(0)
    assert [(r.name, r.status, r.seconds) for r in results] == [
        ("system-deps", "passed", 60), ("lint", "passed", 60), ("test-unit", "passed", 180),
        ("test-module", "passed", 30)]
    assert fresh.overall_ok(results)


def test_tracker_marks_the_failing_target_and_leaves_the_rest_not_run():
    clock = Clock()
    rules = fresh.parse_make_database(DATABASE)
    tracker = fresh.MakeTracker(rules["test"], rules, clock=clock)
    _feed(tracker, clock, TRACE_PASS[:5] + [(200, "make: *** [mk/10-unit.mk:6: test-unit] Error 1")])
    clock.now = 201
    results = tracker.close(2)
    assert [(r.name, r.status) for r in results] == [
        ("system-deps", "passed"), ("lint", "passed"), ("test-unit", "failed"), ("test-module", "not run")]
    assert results[2].seconds == 80
    assert tracker.failed == "test-unit"
    assert not fresh.overall_ok(results)


def test_tracker_blames_the_top_level_target_of_a_failing_prerequisite():
    clock = Clock()
    rules = fresh.parse_make_database(DATABASE)
    tracker = fresh.MakeTracker(rules["test"], rules, clock=clock)
    trace = TRACE_PASS[:1] + [(10, "Makefile:35: target '/b/.venv/.stamp' does not exist"),
                              (20, "make: *** [Makefile:36: /b/.venv/.stamp] Error 1")]
    _feed(tracker, clock, trace)
    results = tracker.close(2)
    assert [r.status for r in results] == ["passed", "failed", "not run", "not run"]
    assert tracker.failed == "lint"


def test_tracker_counts_a_failure_without_an_error_line_against_the_running_target():
    clock = Clock()
    rules = fresh.parse_make_database(DATABASE)
    tracker = fresh.MakeTracker(rules["test"], rules, clock=clock)
    _feed(tracker, clock, TRACE_PASS[:1])
    results = tracker.close(130)      # killed: make printed nothing more
    assert [r.status for r in results] == ["failed", "not run", "not run", "not run"]


def test_tracker_up_to_date_targets_of_a_passing_run_passed():
    clock = Clock()
    rules = fresh.parse_make_database(DATABASE)
    tracker = fresh.MakeTracker(rules["test"], rules, clock=clock)
    _feed(tracker, clock, TRACE_PASS[2:])      # system-deps' stamp was already there
    results = tracker.close(0)
    assert results[0].status == "passed" and results[0].note == "up to date"


def test_summary_table_and_seconds():
    assert fresh.format_seconds(None) == "-"
    assert fresh.format_seconds(59.6) == "1m00s"
    assert fresh.format_seconds(7) == "7s"
    table = fresh.summary_table([fresh.Result("make audit", "passed", 61),
                                 fresh.Result("make test", "failed", None, "exit 2")])
    assert table.splitlines() == [
        "target      result      wall  note",
        "make audit  passed     1m01s",
        "make test   failed         -  exit 2",
    ]
    assert not fresh.overall_ok([])


# -- the real Makefile, and the refusals ---------------------------------------

@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_real_makefile_database_is_read_and_test_fresh_is_not_part_of_test():
    proc = subprocess.run(["make", "-C", ROOT, "-pqn", "test"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, check=False)
    rules = fresh.parse_make_database(proc.stdout)
    assert rules["test"][0] == "system-deps"
    assert "test-unit" in rules["test"] and "test-vm" in rules["test"]
    assert "test-fresh" in rules and "test-fresh" not in fresh.closure("test", rules)
    # every top-level target is owned by itself: the split of the trace is well defined
    for top in rules["test"]:
        assert fresh.owning_target(top, rules["test"], rules) == top


def test_processes_in_root_reads_proc_root_links(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    proc = tmp_path / "proc"
    for pid, target in (("10", str(root)), ("11", "/"), ("self", str(root))):
        (proc / pid).mkdir(parents=True)
        os.symlink(target, str(proc / pid / "root"))
    (proc / "12").mkdir()          # gone or unreadable: no root link
    assert fresh.processes_in_root(str(root), proc=str(proc)) == [10]


def test_main_refuses_to_run_as_non_root(monkeypatch, capsys):
    monkeypatch.setattr(fresh.os, "geteuid", lambda: 1000)
    assert fresh.main([]) == 2
    assert "must run as root" in capsys.readouterr().err


def test_main_rejects_a_missing_shared_directory(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(fresh.os, "geteuid", lambda: 0)
    assert fresh.main(["--shared", str(tmp_path / "missing")]) == 2
    assert "no such directory" in capsys.readouterr().err


def test_main_rejects_a_directory_that_is_not_a_git_checkout(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(fresh.os, "geteuid", lambda: 0)
    assert fresh.main(["--repo", str(tmp_path), "--shared", str(tmp_path)]) == 2
    assert "not a git checkout" in capsys.readouterr().err
