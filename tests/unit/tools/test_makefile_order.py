"""`make test` on a fresh machine: apt runs before any target that calls a system tool.

Issue 9: test-remediate ran before system-deps had installed kmod, and the
first fresh machine failed on `modinfo`. These tests read make's own database
(`make -pqn`), so they see the prerequisites exactly as make will order them.
"""
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _make_database():
    proc = subprocess.run(["make", "-C", ROOT, "-pqn", "test"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, check=False)
    rules = {}
    for line in proc.stdout.splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+):(?!=)\s*(.*)$", line)
        if match and not line.startswith("#"):
            rules.setdefault(match.group(1), match.group(2).split())
    variables = {}
    for line in proc.stdout.splitlines():
        match = re.match(r"^(TEST_TARGETS|SYSTEM_PACKAGES) :?= (.*)$", line)
        if match:
            variables[match.group(1)] = match.group(2).split()
    return rules, variables


def test_system_deps_is_the_first_prerequisite_of_test():
    rules, _unused = _make_database()
    assert rules["test"][0] == "system-deps", rules["test"]


def test_every_test_target_depends_on_system_deps_itself():
    # `make test-remediate` alone, on a fresh machine, must install kmod too.
    rules, variables = _make_database()
    assert variables["TEST_TARGETS"], "no TEST_TARGETS found in make's database"
    # test-fresh runs everything inside a throwaway root (mk/05-fresh.mk), whose
    # own `make test` installs the packages there; it calls no test tool here.
    test_rules = [name for name in rules if name.startswith("test-") and name != "test-fresh"]
    missing = [name for name in test_rules if "system-deps" not in rules[name]]
    assert not missing, "test targets without system-deps: %s" % missing


def test_tools_the_roles_call_are_in_the_package_list():
    _unused, variables = _make_database()
    packages = set(variables["SYSTEM_PACKAGES"])
    # modinfo/modprobe, sysctl, conntrack, iptables, ssh client and server, the browser, qemu
    for package in ("kmod", "procps", "conntrack", "iptables", "openssh-client", "openssh-server",
                    "chromium", "qemu-system-x86", "mmdebstrap"):
        assert package in packages, package
