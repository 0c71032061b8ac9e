"""Each seed incident, rebuilt as a captured tree, yields its findings.

The trees under tests/integration/trees are what capture.yml or a sosreport
would hold on the incident host (see ../shared/seeds and docs/architecture.md).
"""
import os

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import host_source
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.findings import severity_rank
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer

TREES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "integration", "trees")

# tree -> {finding id: expected severity}
EXPECTED = {
    "seed-000-centos7-conntrack-blacklist": {
        "CONNTRACK_MODULE_DISABLED": "critical",
        "MODULE_LOAD_STUCK": "critical",
        # virbr0 is libvirt's NAT network (its virbr0-nic dummy port): routed at L3, no br_netfilter needed
        # (libvirt docs/firewall.rst); info, and loading it there could black-hole guests.
        "BR_NETFILTER_NOT_LOADED": "info",
    },
    "seed-001-rhel6-nfqueue-crash": {
        "KERNEL_CRASH_NF_QUEUE": "critical",
        # el6 alone would be "possibly" (capped at medium), but the host's own vmcore of the running
        # release 2.6.32-358.el6 shows the nf_queue panic: it crashed and will again (facts.md).
        "NFQUEUE_GSO_CRASH_RISK": "critical",
    },
    "seed-002-sslvpn-conntrack-flush": {
        "CONNTRACK_FLUSH_SCHEDULED": "high",
        "CONNTRACK_INSERT_FAILED": "medium",
    },
    "seed-003-gentoo-networkd-docker": {
        "NETWORKD_FORWARDING_RESET": "high",
        "INTERFACE_FORWARDING_OFF": "high",
        "NETNS_CLEANUP_HANG_KERNEL": "high",
    },
    "seed-004-openstack-netns-hang": {
        "NETNS_CLEANUP_STUCK": "critical",
        "NETNS_CLEANUP_HANG_KERNEL": "high",
    },
}


def audit(tree):
    facts = Gatherer(os.path.join(TREES, tree)).run()
    facts["findings"] = run_checks(facts)
    return facts


@pytest.fixture(autouse=True)
def no_commands(monkeypatch):
    """Under a captured root nothing on this machine may be executed."""
    def refuse(*args, **kwargs):
        raise AssertionError("a command was run for a captured tree: %r" % (args,))
    monkeypatch.setattr(host_source.subprocess, "Popen", refuse)


@pytest.mark.parametrize("tree", sorted(EXPECTED))
def test_seed_tree_findings(tree):
    facts = audit(tree)
    found = {}
    for finding in facts["findings"]:
        found.setdefault(finding["id"], finding["severity"])
        assert finding["evidence"], finding
        assert finding["detail"] and finding["remediation"]
        # every severity comes from a sourced rule or a sourced known-bad range
        assert finding.get("confidence") in ("low", "medium", "high"), finding
        assert finding["references"], finding
    for finding_id, severity in EXPECTED[tree].items():
        assert finding_id in found, (finding_id, sorted(found))
        assert found[finding_id] == severity, (finding_id, found[finding_id])
    assert facts["captured"] is True
    assert [e for e in facts["errors"] if e["source"].startswith("gather:")] == []


def test_healthy_host_has_nothing_above_low():
    facts = audit("healthy-debian12-docker")
    above_low = [f for f in facts["findings"] if severity_rank(f["severity"]) > severity_rank("low")]
    assert above_low == []
    assert facts["br_netfilter"]["loaded"] is True
    assert facts["netfilter_rules"]["nat_in_use"] is True  # read from the nft ruleset
    assert facts["networkd"]["version"] == 252


def test_seed_000_cites_the_blacklist_line():
    facts = audit("seed-000-centos7-conntrack-blacklist")
    disabled = [f for f in facts["findings"] if f["id"] == "CONNTRACK_MODULE_DISABLED"][0]
    assert disabled["evidence"][0] == {"file": "/etc/modprobe.d/blacklist.conf", "line": 29,
                                       "value": "blacklist nf_conntrack_ipv4"}
    stuck = facts["processes"]["stuck"][0]
    assert stuck["pid"] == 2131 and stuck["state"] == "D"
    assert stuck["cmdline"].startswith("/usr/sbin/iptables -w --table filter")
    assert stuck["stack"][2]["module"] == "nf_conntrack"


def test_seed_002_sums_the_seed_counters_over_cpus():
    facts = audit("seed-002-sslvpn-conntrack-flush")
    totals = facts["conntrack"]["stats"]["totals"]
    # 0xe7f + 0xdab + 0xd98 + 0xceb, the seed's second sample
    assert totals["insert_failed"] == 0xe7f + 0xdab + 0xd98 + 0xceb
    assert totals["entries"] == 0x21c9
    assert facts["conntrack_flush_jobs"][0]["line"] == 5


def test_seed_004_reads_elrepo_as_upstream():
    facts = audit("seed-004-openstack-netns-hang")
    assert facts["kernel"]["flavour"] == "elrepo"
    assert facts["kernel"]["version"] == [4, 16, 13]
    hang = [f for f in facts["findings"] if f["id"] == "NETNS_CLEANUP_HANG_KERNEL"][0]
    assert hang["confidence"] == "high"
    assert "3 network namespaces in use" in hang["detail"]
