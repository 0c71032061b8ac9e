"""Shared helpers for the fleet tests: run the fleet tool and ansible from this checkout."""
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLEET = os.path.join(REPO, "tools", "fleet", "fleet.py")
BIN = os.path.join(REPO, ".venv", "bin")
NS_PREFIX = "nfd-fleet-"


def run_fleet(run_dir, *args, check=True):
    """Run tools/fleet/fleet.py with this run directory; fail the test with its output if asked."""
    proc = subprocess.run([sys.executable, FLEET, "--run-dir", str(run_dir)] + list(args),
                          check=False, capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        pytest.fail("fleet %s failed (rc=%d):\n%s%s" % (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
    return proc


def ansible_env():
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(REPO, ".build", "collections")
    env["ANSIBLE_CONFIG"] = os.path.join(REPO, "ansible.cfg")
    env["ANSIBLE_NOCOLOR"] = "1"
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    return env


def fleet_leftovers():
    """Namespaces, links and sshd processes of any fleet on this machine."""
    namespaces = [line.split()[0] for line in
                  subprocess.run(["ip", "netns", "list"], check=False, capture_output=True, text=True).stdout.splitlines()
                  if line.startswith(NS_PREFIX)]
    links = [name for name in os.listdir("/sys/class/net") if name.startswith(("nfdfv", "nfdfleet"))]
    sshd = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        # A running sshd rewrites its title to "sshd: /usr/sbin/sshd -f CONFIG ... [listener] ...".
        if b"sshd" in argv[0] and any(b"/hosts/" + NS_PREFIX.encode() in a for a in argv):
            sshd.append(int(pid))
    # A connection's child keeps the listener's command line until it re-titles
    # itself: count only the listeners, whose parent is not one of them.
    listeners = [pid for pid in sshd if _parent(pid) not in sshd]
    return {"namespaces": namespaces, "links": links, "sshd": listeners}


def _parent(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


@pytest.fixture(scope="session")
def needs_root():
    if os.geteuid() != 0:
        pytest.skip("the fleet needs root: network namespaces, links and sshd")
