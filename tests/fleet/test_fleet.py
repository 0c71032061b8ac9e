"""A small fleet audited with playbooks/audit.yml: a fault in one host is reported for that host only."""
import json
import os
import subprocess

import pytest

from conftest import REPO, ansible_env, fleet_leftovers, run_fleet

FLEET_SIZE = 4
FAULTY = "nfd-fleet-0002"
FAULT_ID = "INTERFACE_FORWARDING_OFF"
HOSTS = ["nfd-fleet-%04d" % i for i in range(1, FLEET_SIZE + 1)]


@pytest.fixture(scope="module")
def fleet(needs_root, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("fleet")
    leftovers = fleet_leftovers()
    if any(leftovers.values()):
        pytest.fail("another fleet is running (%s); `make fleet-stop` removes it" % leftovers)
    try:
        run_fleet(run_dir, "start", str(FLEET_SIZE))
        yield run_dir
    finally:
        # Also after a failed start or a failed test: nothing may stay behind.
        run_fleet(run_dir, "stop", check=False)


def audit(run_dir, report_dir):
    """Run audit.yml against the fleet; return {host: [finding ids]}."""
    os.makedirs(report_dir, exist_ok=True)
    proc = subprocess.run(
        [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "-i", os.path.join(str(run_dir), "inventory.yml"),
         os.path.join(REPO, "playbooks", "audit.yml"), "-e", "nfdoctor_report_dir=%s" % report_dir],
        check=False, capture_output=True, text=True, env=ansible_env(), cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    with open(os.path.join(report_dir, "nfdoctor-report.json")) as handle:
        hosts = json.load(handle)["hosts"]
    return {name: [finding["id"] for finding in hosts[name]["findings"]] for name in hosts}


def test_fleet_is_up(fleet):
    status = run_fleet(fleet, "status", "-v")
    assert "%d planned, %d sshd running" % (FLEET_SIZE, FLEET_SIZE) in status.stdout
    for host in HOSTS:
        assert host in status.stdout


def test_hosts_have_their_own_network_stack(fleet):
    # Forwarding is per namespace: turning it off in one host must not touch another.
    run_fleet(fleet, "inject", "nfd-fleet-0004", "forwarding-off")
    try:
        values = {}
        for host in ("nfd-fleet-0003", "nfd-fleet-0004"):
            values[host] = subprocess.run(
                ["ip", "netns", "exec", host, "cat", "/proc/sys/net/ipv4/conf/eth0/forwarding"],
                capture_output=True, text=True, check=True).stdout.strip()
        assert values == {"nfd-fleet-0003": "1", "nfd-fleet-0004": "0"}
    finally:
        run_fleet(fleet, "inject", "nfd-fleet-0004", "clear")


def test_fault_is_reported_for_that_host_only(fleet, tmp_path):
    healthy = audit(fleet, str(tmp_path / "before"))
    assert sorted(healthy) == HOSTS
    assert [h for h in HOSTS if FAULT_ID in healthy[h]] == [], "healthy fleet already reports %s" % FAULT_ID

    run_fleet(fleet, "inject", FAULTY, "forwarding-off")
    faulty = audit(fleet, str(tmp_path / "after"))
    assert sorted(faulty) == HOSTS
    assert [h for h in HOSTS if FAULT_ID in faulty[h]] == [FAULTY]


def test_unknown_host_is_a_clear_error(fleet):
    proc = run_fleet(fleet, "inject", "nfd-fleet-9999", "forwarding-off", check=False)
    assert proc.returncode == 2
    assert "no fleet host 'nfd-fleet-9999'" in proc.stderr
    assert "Traceback" not in proc.stderr
