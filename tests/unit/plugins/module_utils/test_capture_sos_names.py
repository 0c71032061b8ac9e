"""A capture in sos's own names (firewall_tables/iptables_-t_<table>_-nvL) reads like iptables-save did."""
import os

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import host_source
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer

from sos_trees import save_to_listings  # a helper beside this file

SAVE = ("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD %s [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\nCOMMIT\n"
        "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
        "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\nCOMMIT\n")


@pytest.fixture(autouse=True)
def no_commands(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a command was run for a captured tree: %r" % (args,))
    monkeypatch.setattr(host_source.subprocess, "Popen", refuse)


def tree(root, policy, layout):
    for rel, text in (("proc/sys/kernel/osrelease", "5.14.0-362.el9.x86_64\n"),
                      ("proc/net/ip_tables_names", "nat\nfilter\n"), ("etc/hostname", "gw\n")):
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), "w") as handle:
            handle.write(text)
    save = SAVE % policy
    files = {"networking/iptables-save": save} if layout == "save" else dict(
        ("firewall_tables/iptables_-t_%s_-nvL" % table, text) for table, text in save_to_listings(save).items())
    for rel, text in files.items():
        os.makedirs(os.path.join(root, "sos_commands", os.path.dirname(rel)), exist_ok=True)
        with open(os.path.join(root, "sos_commands", rel), "w") as handle:
            handle.write(text)
    return Gatherer(str(root)).run()["netfilter_rules"]


@pytest.mark.parametrize("policy", ["DROP", "ACCEPT"])
def test_listings_give_the_facts_iptables_save_gave(tmp_path, policy):
    old = tree(tmp_path / "save", policy, "save")
    new = tree(tmp_path / "listing", policy, "listing")
    assert new["forward_policy"] == old["forward_policy"] == policy
    for key in ("nat_in_use", "masquerade_in_use", "conntrack_match_in_use", "rule_count"):
        assert new[key] == old[key], key
    assert old["rule_count"] == 2 and old["nat_in_use"] is True


def test_no_filter_listing_means_no_forward_policy(tmp_path):
    root = tmp_path / "t"
    facts = tree(root, "DROP", "listing")
    assert facts["forward_policy"] == "DROP"
    os.remove(str(root / "sos_commands" / "firewall_tables" / "iptables_-t_filter_-nvL"))
    facts = Gatherer(str(root)).run()["netfilter_rules"]
    assert facts["forward_policy"] is None and facts["nat_in_use"] is True
