"""Pure parts of the fleet tool: addressing and the generated inventory."""
import ipaddress
import os
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "tools", "fleet"))
import fleet  # noqa: E402


def test_addresses_are_unique_and_inside_the_fleet_subnet():
    subnet = ipaddress.ip_network("10.213.0.0/16")
    sample = list(range(1, 600)) + [fleet.MAX_HOSTS - 1, fleet.MAX_HOSTS]
    addresses = [fleet.host_addr(i) for i in sample]
    assert len(set(addresses)) == len(addresses)
    for address in addresses:
        parsed = ipaddress.ip_address(address)
        assert parsed in subnet
        # Never the bridge's own address, a network or a broadcast address.
        assert address != "10.213.0.1" and not address.endswith((".0", ".255"))
    assert fleet.host_addr(1) == "10.213.1.1"
    assert fleet.host_addr(251) == "10.213.2.1"


def test_interface_names_fit_the_kernel_limit():
    assert len(fleet.veth_name(fleet.MAX_HOSTS)) <= 15
    assert fleet.host_name(7) == "nfd-fleet-0007"


def test_inventory_gives_ansible_everything_it_needs(tmp_path):
    hosts = fleet.plan_hosts(3, str(tmp_path))
    inventory = yaml.safe_load(fleet.build_inventory(hosts, str(tmp_path), "/usr/bin/python3"))
    group = inventory["all"]["children"]["nfd_fleet"]
    assert group["hosts"] == {h["name"]: {"ansible_host": h["addr"]} for h in hosts}
    assert group["vars"]["ansible_user"] == "root"
    assert group["vars"]["ansible_python_interpreter"] == "/usr/bin/python3"
    assert group["vars"]["ansible_ssh_private_key_file"] == str(tmp_path / "client_ed25519_key")
    assert "UserKnownHostsFile=/dev/null" in group["vars"]["ansible_ssh_common_args"]
    assert group["vars"]["ansible_control_path_dir"].startswith(str(tmp_path))


def test_bad_arguments_are_clear_errors(capsys):
    assert fleet.main(["--run-dir", "/nonexistent/fleet", "inject", "x", "clear"]) == 2
    assert "no fleet running" in capsys.readouterr().err
    assert fleet.main(["start", "0"]) == 2
    assert "between 1 and" in capsys.readouterr().err
