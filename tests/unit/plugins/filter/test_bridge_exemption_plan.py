"""bridge_exemption_plan: from BRIDGE_FILTER_DROPS_GUESTS's evidence to per-bridge values, the global sysctl, udev rules.

Facts come from the KVM tree of test_checks_firewall (healthy Debian 12 Docker tree plus br0 with eth0 and
a guest's vnet0 behind Docker's FORWARD DROP), gathered and checked for real.
"""
import copy
import os
import shutil
import sys

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.nfdoctor.netfilter.plugins.filter.bridge_exemption import bridge_exemption_plan
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "module_utils"))
from test_checks_firewall import HEALTHY, kvm  # noqa: E402  (the tree builder beside the check's tests)


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("kvm") / "host")
    shutil.copytree(HEALTHY, root, symlinks=True)
    gathered = Gatherer(kvm(root, own=0)).run()
    gathered["findings"] = run_checks(gathered)
    return gathered


def test_exempts_the_bridge_the_finding_names_and_keeps_docker0_filtered(facts):
    plan = bridge_exemption_plan(copy.deepcopy(facts))
    assert plan["applicable"] and plan["exempt"] == ["br0"] and plan["keep_filtered"] == ["docker0"]
    # docker0 gets its own 1 before anything is turned off; br0 its 0; then the global goes to 0
    assert plan["per_bridge"] == [{"bridge": "docker0", "value": 1, "now": None},
                                  {"bridge": "br0", "value": 0, "now": 0}]
    assert plan["sysctls"] == [{"name": "net.bridge.bridge-nf-call-iptables", "value": 0, "now": 1}]
    assert plan["ip6tables"] == 1
    rules = plan["udev_rules"].splitlines()
    assert rules[0].startswith("# Written by the Ansible role nfdoctor.netfilter.br_netfilter")
    assert 'KERNEL=="docker0"' in rules[-2] and "echo 1 > /sys/class/net/%k/bridge/nf_call_iptables" in rules[-2]
    assert 'KERNEL=="br0"' in rules[-1] and "echo 0 >" in rules[-1] and "$" not in rules[-1]


def test_after_the_plan_the_audit_is_clear(facts):
    """The plan's values, written into the facts, leave neither this finding nor a worse BRIDGE_NF_CALL_DISABLED."""
    after = copy.deepcopy(facts)
    plan = bridge_exemption_plan(after)
    for item in plan["per_bridge"]:
        after["bridges"][item["bridge"]]["nf_call_iptables"] = item["value"]
    after["br_netfilter"]["sysctls"]["bridge-nf-call-iptables"] = 0
    found = dict((f["id"], f["severity"]) for f in run_checks(after))
    assert "BRIDGE_FILTER_DROPS_GUESTS" not in found
    assert found.get("BRIDGE_NF_CALL_DISABLED") == "info"
    # without docker0's own 1 the same global 0 would leave Docker's bridge unfiltered: the check says so
    after["docker"]["icc"] = False
    assert dict((f["id"], f["severity"]) for f in run_checks(after)).get("BRIDGE_NF_CALL_DISABLED") == "info"
    after["bridges"]["docker0"]["nf_call_iptables"] = 0
    assert dict((f["id"], f["severity"]) for f in run_checks(after)).get("BRIDGE_NF_CALL_DISABLED") == "medium"


def test_nothing_to_do_without_the_finding_or_on_kubernetes(facts):
    quiet = copy.deepcopy(facts)
    quiet["findings"] = [f for f in quiet["findings"] if f["id"] != "BRIDGE_FILTER_DROPS_GUESTS"]
    plan = bridge_exemption_plan(quiet)
    assert not plan["applicable"] and "no BRIDGE_FILTER_DROPS_GUESTS finding" in plan["skip_reason"]
    k8s = copy.deepcopy(facts)
    k8s["environment"]["kubernetes"] = True
    k8s["findings"] = run_checks(k8s)
    plan = bridge_exemption_plan(k8s)
    assert not plan["applicable"] and plan["exempt"] == [] and "accept the bridge in FORWARD" in plan["notes"][0]


def test_evidence_naming_an_unknown_or_hostile_bridge_is_ignored(facts):
    odd = copy.deepcopy(facts)
    finding = [f for f in odd["findings"] if f["id"] == "BRIDGE_FILTER_DROPS_GUESTS"][0]
    for item in finding["evidence"]:
        if item["file"].endswith("/nf_call_iptables"):
            item["file"] = "/sys/class/net/br0\"; rm -rf /;#/bridge/nf_call_iptables"
    assert not bridge_exemption_plan(odd)["applicable"]
    with pytest.raises(AnsibleFilterError):
        bridge_exemption_plan(None)
