"""networkd_unmanaged_plan: the Unmanaged=yes file for container links, and how it meets the forwarding plan.

Facts come from the real gatherer over the healthy Debian 12 Docker tree with a
catch-all .network file (what cloud images ship as "DHCP on every link") and
the VM scenario's own bridge and veth pair that networkd creates from .netdev
files (tests/unit/fixtures/networkd/vm_netdev_bridge, molecule/default/prepare.yml).
Applying a plan means writing its file into the tree and gathering again.
"""
import copy
import os
import shutil

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.nfdoctor.netfilter.plugins.filter.networkd_forwarding import (
    networkd_forwarding_plan,
    networkd_unmanaged_plan,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer

HERE = os.path.dirname(__file__)
HEALTHY = os.path.join(HERE, "..", "..", "..", "integration", "trees", "healthy-debian12-docker")
VM_NETWORKD = os.path.join(HERE, "..", "..", "fixtures", "networkd", "vm_netdev_bridge", "etc", "systemd", "network")
CATCH_ALL = "[Match]\nName=*\n\n[Network]\nDHCP=yes\n"
ID = "NETWORKD_MANAGES_CONTAINER_LINKS"


def write(root, path, text):
    full = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as handle:
        handle.write(text)


def audit(root):
    facts = Gatherer(root).run()
    facts["findings"] = run_checks(facts)
    return facts


@pytest.fixture
def tree(tmp_path):
    root = str(tmp_path / "host")
    shutil.copytree(HEALTHY, root, symlinks=True)
    write(root, "/etc/systemd/network/99-dhcp-all.network", CATCH_ALL)
    return root


def with_own_veth(root):
    for name in sorted(os.listdir(VM_NETWORKD)):
        with open(os.path.join(VM_NETWORKD, name)) as handle:
            write(root, "/etc/systemd/network/" + name, handle.read())
    write(root, "/sys/class/net/br0/bridge/bridge_id", "8000.5a1b2c3d4e5f\n")
    write(root, "/sys/class/net/br0/brif/veth-ctr0/port_no", "0x1\n")
    write(root, "/sys/class/net/veth-ctr0/type", "1\n")
    write(root, "/sys/class/net/ctr0-eth0/type", "1\n")
    return root


def apply(root, plan):
    assert plan["applicable"], plan["skip_reason"]
    write(root, plan["path"], plan["content"])
    return audit(root)


def test_the_file_names_the_runtimes_links_and_clears_the_finding(tree):
    facts = audit(tree)
    assert [f["role"] for f in facts["findings"] if f["id"] == ID] == ["nfdoctor.netfilter.networkd_forwarding"]
    plan = networkd_unmanaged_plan(facts)
    assert plan["path"] == "/etc/systemd/network/00-nfdoctor-container-links.network"
    assert plan["match_name"] == ["docker0", "veth*"] + ["cni*", "flannel*", "cali*"]  # the latent ones too
    assert plan["files"] == ["/etc/systemd/network/99-dhcp-all.network"] and plan["excluded"] == []
    assert plan["content"].endswith("[Match]\nName=docker0 veth* cni* flannel* cali*\n\n[Link]\nUnmanaged=yes\n")
    after = apply(tree, plan)
    assert [f for f in after["findings"] if f["id"] == ID] == []
    again = networkd_unmanaged_plan(after)  # idempotent: nothing left to plan, the file stays as written
    assert not again["applicable"] and again["skip_reason"] == "no .network file takes a container link"


def test_links_networkd_creates_from_netdev_files_stay_managed(tree):
    facts = audit(with_own_veth(tree))
    plan = networkd_unmanaged_plan(facts)
    assert plan["excluded"] == ["veth-ctr0"] and plan["match_name"][-1] == "!veth-ctr0"
    assert "veth-ctr0 is created by systemd-networkd from /etc/systemd/network/21-veth-ctr0.netdev:3" in plan["content"]
    after = apply(tree, plan)
    files = dict((f["path"], f) for f in after["networkd"]["network_files"])
    assert files[plan["path"]]["interfaces"] == ["docker0", "veth9a8b7c6"]
    assert files["/etc/systemd/network/21-veth-ctr0.network"]["interfaces"] == ["veth-ctr0"]
    assert [f for f in after["findings"] if f["id"] == ID] == []


def test_the_forwarding_plan_leaves_the_released_links_and_the_unmanaged_file_alone(tree):
    facts = audit(with_own_veth(tree))
    plan = networkd_unmanaged_plan(facts)
    forwarding = networkd_forwarding_plan(facts, unmanaged_names=plan["match_name"])
    assert "docker0" not in forwarding["verify_links"] and "veth-ctr0" in forwarding["verify_links"]
    assert forwarding["notes"][0] == "left to their runtime (Unmanaged=yes from now on): docker0, veth9a8b7c6"
    without = networkd_forwarding_plan(facts)
    assert "docker0" in without["verify_links"]  # the negative: without the list they would be verified
    after = apply(tree, plan)
    dropins = [d["path"] for d in networkd_forwarding_plan(after)["dropins"]]
    assert not any("00-nfdoctor-container-links" in path for path in dropins)
    with pytest.raises(AnsibleFilterError, match="unmanaged_names must be a list"):
        networkd_forwarding_plan(facts, unmanaged_names="veth*")


def test_a_new_runtime_link_extends_the_file_it_wrote_before(tree):
    write(tree, "/etc/systemd/network/00-nfdoctor-container-links.network",
          "[Match]\nName=docker0\n\n[Link]\nUnmanaged=yes\n")
    facts = audit(tree)
    plan = networkd_unmanaged_plan(facts)
    assert plan["match_name"][:2] == ["veth*", "cni*"] and "docker0" in plan["match_name"]
    # a Docker network's bridge (br-<id>) is judged by its kind; no pattern covers it, so it is named
    facts = copy.deepcopy(facts)
    facts["bridges"]["br-5e6f7a8b9c0d"] = {"kind": "docker", "ports": []}
    facts["interfaces"].append("br-5e6f7a8b9c0d")
    for entry in facts["networkd"]["network_files"]:
        if entry["path"].endswith("99-dhcp-all.network"):
            entry["interfaces"].append("br-5e6f7a8b9c0d")
    assert "br-5e6f7a8b9c0d" in networkd_unmanaged_plan(facts)["match_name"]


def test_what_the_file_cannot_fix_is_skipped_with_the_reason(tree):
    facts = audit(tree)
    assert networkd_unmanaged_plan(facts, version="252")["applicable"]
    old = copy.deepcopy(facts)
    old["networkd"]["version"] = 232
    assert networkd_unmanaged_plan(old)["skip_reason"] == "systemd 232 predates [Link] Unmanaged= (v233)"
    unknown = copy.deepcopy(facts)
    unknown["networkd"]["version"] = None
    assert networkd_unmanaged_plan(unknown)["skip_reason"].startswith("systemd version unknown")
    assert networkd_unmanaged_plan(unknown, version=257)["applicable"]
    os.rename(os.path.join(tree, "etc/systemd/network/99-dhcp-all.network"),
              os.path.join(tree, "etc/systemd/network/00-all.network"))
    early = networkd_unmanaged_plan(audit(tree))
    assert not early["applicable"] and "sorts before" in early["skip_reason"]
    assert early["notes"] == ["/etc/systemd/network/00-all.network sorts before "
                              "/etc/systemd/network/00-nfdoctor-container-links.network and keeps its links: "
                              "narrow its [Match]"]


def test_hosts_without_the_problem_or_networkd_plan_nothing(tree):
    healthy = audit(HEALTHY)
    assert networkd_unmanaged_plan(healthy)["skip_reason"] == "no .network file takes a container link"
    facts = audit(tree)
    facts["networkd"]["running"] = False
    assert not networkd_unmanaged_plan(facts)["applicable"]
    with pytest.raises(AnsibleFilterError, match="expected the nfdoctor facts document"):
        networkd_unmanaged_plan(None)
