"""Shared by tests/integration/test_audit_*.py: run the playbooks for real and read their reports."""
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
BIN = os.path.join(REPO, ".venv", "bin")
TREES = os.path.join(REPO, "tests", "integration", "trees")
LOCAL_INVENTORY = os.path.join(REPO, "inventory", "localhost.yml")
ALL_FORMATS = '{"nfdoctor_report_formats": ["json", "markdown", "html", "junit", "prom"]}'

# What each seed incident must produce (issue 2's catalogue) and the tree it lives in.
SEED_EXPECTATIONS = {
    "seed-000-centos7-conntrack-blacklist": {"CONNTRACK_MODULE_DISABLED", "MODULE_LOAD_STUCK"},
    "seed-001-rhel6-nfqueue-crash": {"NFQUEUE_GSO_CRASH_RISK", "KERNEL_CRASH_NF_QUEUE"},
    "seed-002-sslvpn-conntrack-flush": {"CONNTRACK_INSERT_FAILED", "CONNTRACK_FLUSH_SCHEDULED"},
    "seed-003-gentoo-networkd-docker": {"NETWORKD_FORWARDING_RESET", "INTERFACE_FORWARDING_OFF"},
    "seed-004-openstack-netns-hang": {"NETNS_CLEANUP_HANG_KERNEL", "NETNS_CLEANUP_STUCK"},
}
HEALTHY_TREE = "healthy-debian12-docker"


def environment(**extra):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(REPO, ".build", "collections"),
        "ANSIBLE_CONFIG": os.path.join(REPO, "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": BIN + os.pathsep + env.get("PATH", ""),
    })
    env.pop("NFDOCTOR_REPORT_DIR", None)
    env.update(extra)
    return env


def playbook(name, *args, inventory=LOCAL_INVENTORY, env=None, timeout=600, user=None):
    """Run playbooks/<name> and return the CompletedProcess (stdout+stderr in .stdout)."""
    argv = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, os.path.join(REPO, "playbooks", name)] + list(args)
    if user:
        argv = ["runuser", "-u", user, "--"] + argv
    return subprocess.run(argv, check=False, cwd=REPO, env=env or environment(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)


def report(directory):
    with open(os.path.join(directory, "nfdoctor-report.json")) as handle:
        return json.load(handle)


def read(directory, name):
    with open(os.path.join(directory, name)) as handle:
        return handle.read()


def junit(directory):
    return ET.parse(os.path.join(directory, "nfdoctor-report.junit.xml")).getroot()


def ids(host_entry):
    return {f["id"] for f in host_entry["findings"]}


def tree_of(host_entry):
    """Which seed tree a host of an offline report was read from."""
    root = host_entry["facts"]["root"].rstrip("/")
    return os.path.basename(root)


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")
