"""CONNTRACK_INVALID_DROPS and VXLAN_CSUM_OFFLOAD_BUG, from parsed fixtures and gathered trees.

Trees start from the healthy Debian 12 Docker tree (a capture: NAT rules,
docker0, no finding above info); each test writes what its failure adds, in
the capture layout (sos_commands/networking/iptables-save, /sys/class/net
uevent) or the sosreport layout (iptables_-t_filter_-nvL, ip_-d_address),
and stands beside its negative. Fixture sources: tests/unit/fixtures/datapath/SOURCES.md.
"""
import copy
import os
import shutil

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_netfilter_rules as nr
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import check_known_bad_kernels
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.known_bad_kernels import (
    KNOWN_BAD_KERNELS,
    validate_entry,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_ethtool_features import parse_ethtool_features
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_iptables_listing import parse_iptables_listing
from check_helpers import found, write  # a helper beside this file

HERE = os.path.dirname(__file__)
HEALTHY = os.path.join(HERE, "..", "..", "..", "integration", "trees", "healthy-debian12-docker")
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "datapath")
CONNTRACK = os.path.join(HERE, "..", "..", "fixtures", "conntrack")


def fixture(name, base=FIXTURES):
    with open(os.path.join(base, name)) as handle:
        return handle.read()


@pytest.fixture
def tree(tmp_path):
    root = str(tmp_path / "host")
    shutil.copytree(HEALTHY, root, symlinks=True)
    return root


# ------------------------------------------------------------ parsers
def test_ethtool_features_on_and_off():
    on = parse_ethtool_features(fixture("ethtool_-k_flannel.1_3.10_on.txt"))
    assert on["problems"] == [] and on["device"] == "flannel.1"
    generic = on["features"]["tx-checksum-ip-generic"]
    expected = ("on", False, "tx-checksumming", 5)
    assert (generic["state"], generic["fixed"], generic["parent"], generic["line"]) == expected
    assert on["features"]["tx-checksum-ipv4"]["fixed"] is True
    off = parse_ethtool_features(fixture("ethtool_-k_flannel.1_6.x_off.txt"))
    assert off["problems"] == [] and off["features"]["tx-checksum-ip-generic"]["state"] == "off"
    assert off["features"]["tx-tcp-segmentation"]["requested"] == "on"


def test_ethtool_features_bad_input_is_a_problem_not_a_crash():
    parsed = parse_ethtool_features("Cannot get device feature names: No such device\n")
    assert parsed["features"] == {} and parsed["problems"]
    parsed = parse_ethtool_features("Features for a:\nrx-checksumming: maybe\n")
    assert parsed["features"] == {} and "not a feature line" in parsed["problems"][0]
    assert parse_ethtool_features(None)["features"] == {}


def test_invalid_drop_rule_with_counters_in_iptables_save_c():
    parsed = nr.parse_iptables_save(fixture("iptables-save_-c_kube-proxy_filter.txt"))
    assert parsed["problems"] == []
    drops = nr.summarise_rules(parsed["rules"])["ct_invalid_drop"]
    assert drops == [{"source": "iptables-save", "table": "filter", "chain": "KUBE-FORWARD", "line": 12,
                      "text": "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP", "packets": 4127}]


def test_invalid_drop_rule_in_a_listing_and_in_nft_and_not_when_negated():
    listing = parse_iptables_listing(fixture("iptables_-vL_filter_kube-forward.txt"), "filter")
    drops = nr.summarise_rules(listing["rules"])["ct_invalid_drop"]
    assert [(d["chain"], d["packets"]) for d in drops] == [("KUBE-FORWARD", 0)]  # not KUBE-FIREWALL's "! ctstate"
    nft = nr.parse_nft_ruleset("table ip filter {\n\tchain KUBE-FORWARD {\n"
                               "\t\tct state invalid counter packets 12 bytes 624 drop\n\t}\n}\n")
    assert [d["packets"] for d in nr.summarise_rules(nft["rules"])["ct_invalid_drop"]] == [12]
    negated = nr.parse_iptables_save("*filter\n:KUBE-FORWARD - [0:0]\n"
                                     "-A KUBE-FORWARD -m conntrack ! --ctstate INVALID -j DROP\n"
                                     "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j ACCEPT\nCOMMIT\n")
    assert nr.summarise_rules(negated["rules"])["ct_invalid_drop"] == []


# ------------------------------------------- CONNTRACK_INVALID_DROPS
def kube_node(root, liberal="0\n", rules=None):
    write(root, "/sos_commands/networking/iptables-save",
          rules if rules is not None else fixture("iptables-save_-c_kube-proxy_filter.txt"))
    write(root, "/var/lib/kubelet/config.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n")
    write(root, "/proc/net/stat/nf_conntrack", fixture("stat_nf_conntrack_5.15+_2cpu.txt", CONNTRACK))
    if liberal is not None:
        write(root, "/proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal", liberal)
    return Gatherer(root).run()


def test_invalid_drops_counted_by_the_rule_are_medium_with_evidence(tree):
    facts = kube_node(tree)
    assert facts["conntrack"]["tcp_be_liberal"] == 0
    (finding,) = found(facts, "CONNTRACK_INVALID_DROPS")
    assert finding["severity"] == "medium" and finding["role"] == "nfdoctor.netfilter.conntrack_hygiene"
    assert "dropped 4127 packet(s)" in finding["detail"] and "be_liberal = 0" in finding["detail"]
    values = [(e["file"], e["value"]) for e in finding["evidence"]]
    assert ("iptables-save", "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP (4127 packets)") in values
    assert ("/proc/net/stat/nf_conntrack", "invalid=%d" % (0x198 + 0x10d3)) in values
    assert ("/proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal", 0) in values


def test_invalid_drops_rising_now_are_high(tree):
    facts = kube_node(tree)
    facts["conntrack"]["rates"] = {"interval": 2.0, "per_second": {"invalid": 3.5}}
    assert [f["severity"] for f in found(facts, "CONNTRACK_INVALID_DROPS")] == ["high"]


def test_liberal_already_set_is_info_without_a_role(tree):
    facts = kube_node(tree, liberal="1\n")
    (finding,) = found(facts, "CONNTRACK_INVALID_DROPS")
    assert finding["severity"] == "info" and finding["role"] is None


def test_a_rule_that_dropped_nothing_is_info(tree):
    rules = fixture("iptables-save_-c_kube-proxy_filter.txt").replace("[4127:198096]", "[0:0]")
    assert [f["severity"] for f in found(kube_node(tree, rules=rules), "CONNTRACK_INVALID_DROPS")] == ["info"]


def test_no_kube_proxy_rule_no_finding(tree):
    # The same INVALID drop in a host firewall's INPUT chain is that firewall's (correct) choice.
    rules = fixture("iptables-save_-c_kube-proxy_filter.txt").replace("-A KUBE-FORWARD -m conntrack --ctstate "
                                                                      "INVALID", "-A INPUT -m conntrack --ctstate INVALID")
    assert found(kube_node(tree, rules=rules), "CONNTRACK_INVALID_DROPS") == []
    assert found(Gatherer(HEALTHY).run(), "CONNTRACK_INVALID_DROPS") == []


def test_kube_proxy_nftables_mode_writes_no_invalid_drop(tree):
    # kube-proxy --proxy-mode=nftables installs no INVALID drop rule (kubernetes#122663, "does not attempt to
    # work around conntrack bugs", #124383): with be_liberal 0 and INVALID packets counted there is no rule
    # of kube-proxy's to blame, so no finding; the iptables-mode node beside it has one.
    write(tree, "/sos_commands/networking/nft_list_ruleset",
          fixture("nft_list_ruleset_kube-proxy_nftables", os.path.join(HERE, "..", "..", "fixtures", "firewall")))
    facts = kube_node(tree, rules="")
    assert facts["firewall"]["runtime_chains"]["kube_nft"] == ["ip kube-proxy"]
    assert facts["conntrack"]["tcp_be_liberal"] == 0
    assert found(facts, "CONNTRACK_INVALID_DROPS") == []
    assert [f["severity"] for f in found(kube_node(tree), "CONNTRACK_INVALID_DROPS")] == ["medium"]


def test_sosreport_listing_without_save(tree):
    # sos writes iptables -t filter -nvL (firewall_tables, 4.1+), never iptables-save.
    zero = "0     0 DROP       all  --  any    any     anywhere             anywhere             ctstate INVALID"
    dropped = "  98  4704 DROP       all  --  any    any     anywhere             anywhere             ctstate INVALID"
    write(tree, "/sos_commands/firewall_tables/iptables_-t_filter_-nvL",
          fixture("iptables_-vL_filter_kube-forward.txt").replace(zero, dropped))
    write(tree, "/proc/net/ip_tables_names", "filter\n")
    os.remove(os.path.join(tree, "sos_commands", "networking", "nft_list_ruleset"))
    write(tree, "/proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal", "0\n")
    facts = Gatherer(tree).run()
    (finding,) = found(facts, "CONNTRACK_INVALID_DROPS")
    assert finding["severity"] == "medium" and "dropped 98 packet(s)" in finding["detail"]
    assert finding["evidence"][0]["file"].endswith("iptables_-t_filter_-nvL")


def test_live_counters_unknown_but_conntrack_counts_invalid_is_low():
    facts = {"kernel": {"release": "6.1.0-18-amd64", "version": [6, 1, 0]},
             "netfilter_rules": {"ct_invalid_drop": [{"source": "nft", "table": "ip filter", "chain": "KUBE-FORWARD",
                                                      "line": 3, "text": "ct state invalid drop", "packets": None}]},
             "conntrack": {"tcp_be_liberal": 0, "stats": {"source": "/proc/net/stat/nf_conntrack", "cpus": 2,
                                                          "totals": {"invalid": 27}}}}
    assert [f["severity"] for f in found(facts, "CONNTRACK_INVALID_DROPS")] == ["low"]
    facts["conntrack"]["stats"]["totals"]["invalid"] = 0
    assert found(facts, "CONNTRACK_INVALID_DROPS") == []


# --------------------------------------------- VXLAN_CSUM_OFFLOAD_BUG
def vxlan_node(root, release, ethtool="ethtool_-k_flannel.1_3.10_on.txt", kubernetes=True):
    write(root, "/proc/sys/kernel/osrelease", release + "\n")
    write(root, "/sys/class/net/flannel.1/uevent", "DEVTYPE=vxlan\nINTERFACE=flannel.1\nIFINDEX=4\n")
    write(root, "/sos_commands/networking/ethtool_-k_flannel.1", fixture(ethtool))
    if kubernetes:
        write(root, "/var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\n")
    return Gatherer(root).run()


def test_vxlan_offload_on_an_unfixed_kernel_with_masquerade_is_high(tree):
    facts = vxlan_node(tree, "5.4.30-050430-generic")
    assert facts["datapath"]["vxlan"][0]["tx_checksum_ip_generic"] == "on"
    (finding,) = found(facts, "VXLAN_CSUM_OFFLOAD_BUG")
    assert finding["severity"] == "high" and finding["role"] is None and finding["confidence"] == "medium"
    assert finding["evidence"][0] == {"file": "sos_commands/networking/ethtool_-k_flannel.1", "line": 5,
                                      "value": "tx-checksum-ip-generic: on"}
    assert "fixed in upstream 5.7" in finding["detail"] and "MASQUERADE" in finding["detail"]
    assert "https://git.kernel.org/linus/ea64d8d6c675" in finding["references"]


def test_vxlan_fixed_kernels_and_offload_off_are_silent(tree):
    for release in ("5.4.41-050441-generic", "5.7.0-050700-generic", "6.1.0-18-amd64", "4.19.123-1.el7.elrepo.x86_64"):
        assert found(vxlan_node(tree, release), "VXLAN_CSUM_OFFLOAD_BUG") == [], release
    assert found(vxlan_node(tree, "5.4.30-050430-generic", ethtool="ethtool_-k_flannel.1_6.x_off.txt"),
                 "VXLAN_CSUM_OFFLOAD_BUG") == []


def test_vxlan_el7_is_possibly_and_capped_at_medium(tree):
    (finding,) = found(vxlan_node(tree, "3.10.0-1062.12.1.el7.x86_64"), "VXLAN_CSUM_OFFLOAD_BUG")
    assert (finding["severity"], finding["confidence"]) == ("medium", "low")
    assert "possibly" in finding["detail"]


def test_vxlan_without_nat_is_low(tree):
    facts = vxlan_node(tree, "4.19.100", kubernetes=False)
    facts = copy.deepcopy(facts)
    facts["netfilter_rules"].update(nat_in_use=False, masquerade_in_use=False)
    assert [f["severity"] for f in found(facts, "VXLAN_CSUM_OFFLOAD_BUG")] == ["low"]


def test_vxlan_in_a_sosreport_found_by_ip_d_link(tree):
    # A sosreport has no uevent files: the vxlan kind in ip -d address says what flannel.1 is.
    for name in os.listdir(os.path.join(tree, "sys", "class", "net")):
        shutil.rmtree(os.path.join(tree, "sys", "class", "net", name))
    write(tree, "/proc/sys/kernel/osrelease", "4.14.100\n")
    write(tree, "/sos_commands/networking/ip_-d_address",
          "4: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default\n"
          "    link/ether 6a:2c:1b:11:9d:2e brd ff:ff:ff:ff:ff:ff promiscuity 0\n"
          "    vxlan id 1 local 10.0.0.11 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 "
          "noudpcsum noudp6zerocsumtx noudp6zerocsumrx numtxqueues 1 numrxqueues 1\n")
    write(tree, "/sos_commands/networking/ethtool_-k_flannel.1", fixture("ethtool_-k_flannel.1_3.10_on.txt"))
    facts = Gatherer(tree).run()
    assert [(d["name"], d["type_basis"]) for d in facts["datapath"]["vxlan"]] == [("flannel.1", "ip -d link")]
    (finding,) = found(facts, "VXLAN_CSUM_OFFLOAD_BUG")
    assert "vxlan in ip -d link" in finding["detail"]


def test_the_kernel_range_is_data_and_not_raised_twice():
    entry = [e for e in KNOWN_BAD_KERNELS if e["finding"] == "VXLAN_CSUM_OFFLOAD_BUG"][0]
    assert validate_entry(entry) == []
    assert validate_entry(dict(entry, checked_by="somewhere_else"))
    facts = {"kernel": {"release": "5.4.30", "version": [5, 4, 30], "flavour": "generic"}}
    assert [f for f in check_known_bad_kernels(facts) if f["id"] == "VXLAN_CSUM_OFFLOAD_BUG"] == []
