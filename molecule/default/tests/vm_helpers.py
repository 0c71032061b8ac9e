"""Helpers the verify tests share (imported by name; conftest only holds fixtures)."""
import os
import subprocess
import sys
import time

import pytest

SCENARIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT_DIR = os.path.dirname(os.path.dirname(SCENARIO_DIR))
BIN_DIR = os.path.dirname(sys.executable)

# The rules a container host inserts; the incidents made both fail.
CONNTRACK_RULE = ["FORWARD", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"]
MASQUERADE_RULE = ["POSTROUTING", "-s", "172.18.0.0/16", "!", "-o", "br0", "-j", "MASQUERADE"]
FLUSH_JOB = "/etc/cron.d/vpn-flush"
SEVERITY_ORDER = ["info", "low", "medium", "high", "critical"]


def inventory(config):
    path = config.getoption("ansible_inventory", None) or os.environ.get("MOLECULE_INVENTORY_FILE")
    if not path:
        pytest.fail("no ansible inventory: run these tests through `molecule verify`")
    return path


def run_ansible(config, argv, timeout):
    """Run ansible/ansible-playbook from the venv; fail the test with its output on error."""
    cmd = [os.path.join(BIN_DIR, argv[0])] + argv[1:] + ["-i", inventory(config)]
    started = time.monotonic()
    try:
        result = subprocess.run(cmd, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=timeout, cwd=PROJECT_DIR)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(argv[:3])} did not finish in {timeout} s")
    if result.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed (rc={result.returncode}):\n{result.stdout[-4000:]}")
    return result.stdout, round(time.monotonic() - started, 1)


def host_vars(host):
    return host.ansible.get_variables()


def uplink(host):
    """The NIC (en*) that carries the default route; the 'container' peer has a default route too."""
    routes = host.check_output("ip -o -4 route show default").splitlines()
    devs = [route.split(" dev ")[1].split()[0] for route in routes if " dev " in route]
    nics = [dev for dev in devs if dev.startswith("en")]
    assert nics, f"no default route over an en* NIC: {routes}"
    return nics[0]


def rule_inserts(host, table, rule):
    """Append then delete the rule; True if the kernel accepted it."""
    quoted = " ".join(f"'{part}'" for part in rule)
    added = host.run(f"iptables -t {table} -A {quoted}")
    if added.rc == 0:
        host.run_expect([0], f"iptables -t {table} -D {quoted}")
    return added


def sysctl_value(host, path):
    return host.file(path).content_string.strip() if host.file(path).exists else None


def managed_links(host):
    """Links systemd-networkd configures (SETUP 'configured')."""
    out = host.check_output("networkctl list --no-legend --no-pager")
    return [fields[1] for fields in (line.split() for line in out.splitlines())
            if len(fields) >= 5 and fields[4] == "configured"]


def routing_links(host):
    """The links a container host forwards between: the uplink and the container bridge.

    Both must be managed by networkd, or the scenario would not test networkd.
    """
    links = managed_links(host)
    wanted = [uplink(host), "br0"]
    missing = [name for name in wanted if name not in links]
    assert not missing, f"networkd does not manage {missing}; it manages {links}"
    return wanted


def active_flush_lines(host):
    """Uncommented cron lines anywhere cron reads that run `conntrack -F`."""
    # cron never runs the backups remediation leaves (NAME.PID.DATE~, with ':' in the
    # date): they keep the old line on purpose, so they are skipped by name.
    out = host.run(
        "for f in /etc/crontab /etc/cron.d/* /var/spool/cron/crontabs/*; do "
        "case $f in *~) continue ;; esac; "
        "grep -HnsE '^[^#]*conntrack[[:space:]]+(-F|--flush)' \"$f\"; done; true")
    return [line for line in out.stdout.splitlines() if line.strip()]
