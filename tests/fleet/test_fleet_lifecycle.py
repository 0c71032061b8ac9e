"""Starting and stopping leaves nothing behind, also after a start that died half way."""
import subprocess

import pytest

from conftest import fleet_leftovers, run_fleet

NOTHING = {"namespaces": [], "links": [], "sshd": []}


@pytest.fixture
def clean_machine(needs_root):
    if fleet_leftovers() != NOTHING:
        pytest.fail("another fleet is running (%s); `make fleet-stop` removes it" % fleet_leftovers())
    yield


def test_start_then_stop_leaves_nothing(clean_machine, tmp_path):
    run_dir = tmp_path / "run"
    try:
        run_fleet(run_dir, "start", "3")
        assert len(fleet_leftovers()["namespaces"]) == 3
        assert len(fleet_leftovers()["sshd"]) == 3
        # A second start must refuse rather than stack a fleet on a fleet.
        again = run_fleet(run_dir, "start", "3", check=False)
        assert again.returncode == 2 and "fleet stop" in again.stderr
    finally:
        run_fleet(run_dir, "stop")
    assert fleet_leftovers() == NOTHING
    assert not run_dir.exists()


def test_stop_cleans_up_after_a_start_that_died(clean_machine, tmp_path):
    # What a start killed between creating links and starting sshd leaves:
    # a namespace with its veth pair, the bridge, and a run directory without state.
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    try:
        subprocess.run(["ip", "link", "add", "nfdfleet0", "type", "bridge"], check=True)
        subprocess.run(["ip", "netns", "add", "nfd-fleet-0001"], check=True)
        subprocess.run(["ip", "link", "add", "nfdfv1", "type", "veth", "peer", "name", "eth0",
                        "netns", "nfd-fleet-0001"], check=True)
        subprocess.run(["ip", "link", "add", "nfdfv2", "type", "veth", "peer", "name", "nfdfv2p"], check=True)
        assert fleet_leftovers()["namespaces"] == ["nfd-fleet-0001"]
    finally:
        run_fleet(run_dir, "stop")
    assert fleet_leftovers() == NOTHING
    # Stopping again is harmless.
    assert run_fleet(run_dir, "stop").returncode == 0


def test_conntrack_fault_fills_one_host_table(clean_machine, tmp_path):
    run_dir = tmp_path / "run"
    try:
        run_fleet(run_dir, "start", "2")
        out = run_fleet(run_dir, "inject", "1", "conntrack-full", "--ratio", "0.5").stdout
        assert "nfd-fleet-0001: conntrack" in out

        def count(host):
            return int(subprocess.run(["ip", "netns", "exec", host, "cat", "/proc/sys/net/netfilter/nf_conntrack_count"],
                                      capture_output=True, text=True, check=True).stdout)

        with open("/proc/sys/net/netfilter/nf_conntrack_max") as handle:
            maximum = int(handle.read())
        assert count("nfd-fleet-0001") >= maximum // 2
        assert count("nfd-fleet-0002") < maximum // 100
        run_fleet(run_dir, "inject", "1", "clear")
        assert count("nfd-fleet-0001") < maximum // 100
    finally:
        run_fleet(run_dir, "stop")
