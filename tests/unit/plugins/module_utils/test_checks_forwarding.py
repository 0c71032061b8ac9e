"""IP_FORWARD_DISABLED, RP_FILTER_CONFLICT, CONNTRACK_HASHSIZE_SMALL, NETWORKD_MANAGES_CONTAINER_LINKS.

Facts start from the healthy Debian 12 Docker tree (no finding above info);
each test changes what its failure changes, either in the facts or in a copy
of the tree that is gathered again, and stands beside its negative.
Fixture sources: tests/unit/fixtures/routing/SOURCES.md.
"""
import copy
import os
import shutil

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.filter import conntrack_table
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.findings import RULES
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_networkd import networkd_facts
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_networkd_link import link_unmanaged
from check_helpers import found, only, write  # a helper beside this file

HERE = os.path.dirname(__file__)
TREES = os.path.join(HERE, "..", "..", "..", "integration", "trees")
HEALTHY = os.path.join(TREES, "healthy-debian12-docker")
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "routing")
_BASE = Gatherer(HEALTHY).run()
NEW_IDS = ("IP_FORWARD_DISABLED", "RP_FILTER_CONFLICT", "CONNTRACK_HASHSIZE_SMALL", "NETWORKD_MANAGES_CONTAINER_LINKS")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


@pytest.fixture
def facts():
    return copy.deepcopy(_BASE)


def plain_host(facts):
    """The healthy tree without Docker and NAT: a host that has no reason to forward."""
    facts["environment"] = {"kubernetes": False, "container_runtimes": [], "libvirt": False}
    facts["netfilter_rules"]["nat_in_use"] = False
    facts["bridges"] = {}
    return facts


@pytest.fixture
def tree(tmp_path):
    root = str(tmp_path / "host")
    shutil.copytree(HEALTHY, root, symlinks=True)
    return root


def test_healthy_tree_has_none_of_these(facts):
    assert [f["id"] for f in run_checks(facts) if f["id"] in NEW_IDS] == []
    assert facts["routing"]["calico"] == [] and facts["routing"]["networkd_unmanaged"] == {}


def test_every_rule_has_a_source():
    for (finding_id, _name), (_severity, confidence, source) in RULES.items():
        if finding_id in NEW_IDS:
            assert confidence in ("low", "medium", "high") and source, (finding_id, _name)


# ------------------------------------------------------------ ip_forward
def test_ip_forward_off_on_a_docker_host_is_high(facts):
    facts["forwarding"]["ipv4"] = 0
    finding = only(facts, "IP_FORWARD_DISABLED")
    assert finding["severity"] == "high" and finding["role"] is None
    assert finding["evidence"][0] == {"file": "/proc/sys/net/ipv4/ip_forward", "line": None, "value": 0}
    assert "docker" in finding["detail"]
    assert RULES[("IP_FORWARD_DISABLED", "container_off")][2] in finding["references"]


def test_ip_forward_off_on_kubernetes_is_critical(facts):
    facts["forwarding"]["ipv4"] = 0
    facts["environment"]["kubernetes"] = True
    assert only(facts, "IP_FORWARD_DISABLED")["severity"] == "critical"


def test_ip_forward_off_on_a_host_that_does_not_route_is_nothing(facts):
    plain_host(facts)
    facts["forwarding"]["ipv4"] = 0
    assert found(facts, "IP_FORWARD_DISABLED") == []


def test_ip_forward_off_with_nat_rules_is_medium(facts):
    plain_host(facts)
    facts["forwarding"]["ipv4"] = 0
    facts["netfilter_rules"]["nat_in_use"] = True
    assert only(facts, "IP_FORWARD_DISABLED")["severity"] == "medium"


def test_ip_forward_off_while_sysctl_d_asks_for_it_is_high(facts):
    plain_host(facts)
    facts["forwarding"]["ipv4"] = 0
    facts["forwarding"]["configured"] = {
        "net.ipv4.ip_forward": {"value": "1", "file": "/etc/sysctl.d/99-router.conf", "line": 3}}
    finding = only(facts, "IP_FORWARD_DISABLED")
    assert finding["severity"] == "high"
    assert {"file": "/etc/sysctl.d/99-router.conf", "line": 3, "value": "1"} in finding["evidence"]
    assert "switched it off after boot" in finding["detail"]


def test_cis_file_on_a_docker_host_that_forwards_now_is_pending(tree):
    write(tree, "/etc/sysctl.d/99-cis-network.conf", fixture("99-cis-network.conf"))
    facts = Gatherer(tree).run()
    assert facts["forwarding"]["ipv4"] == 1
    finding = only(facts, "IP_FORWARD_DISABLED")
    assert finding["severity"] == "medium"
    assert finding["evidence"][0] == {"file": "/etc/sysctl.d/99-cis-network.conf", "line": 3, "value": "0"}
    assert "next boot" in finding["title"] and "net.ipv4.ip_forward = 0" in finding["detail"]


def test_cis_file_on_kubernetes_is_high(tree):
    write(tree, "/etc/sysctl.d/99-cis-network.conf", fixture("99-cis-network.conf"))
    write(tree, "/var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\n")
    assert only(Gatherer(tree).run(), "IP_FORWARD_DISABLED")["severity"] == "high"


def test_a_later_file_that_turns_forwarding_on_wins_over_the_cis_file(tree):
    write(tree, "/etc/sysctl.d/10-cis-network.conf", fixture("99-cis-network.conf"))
    write(tree, "/etc/sysctl.d/99-kubernetes.conf", "net.ipv4.conf.all.forwarding = 1\n")
    assert found(Gatherer(tree).run(), "IP_FORWARD_DISABLED") == []


def test_pending_off_on_a_host_that_forwards_nothing_is_nothing(facts):
    plain_host(facts)
    facts["forwarding"]["configured"] = {
        "net.ipv4.ip_forward": {"value": "0", "file": "/etc/sysctl.d/99-cis.conf", "line": 3}}
    facts["forwarding"]["snmp_ip"] = {"ForwDatagrams": 0}
    assert found(facts, "IP_FORWARD_DISABLED") == []
    facts["forwarding"]["snmp_ip"] = {"ForwDatagrams": 52311}
    finding = only(facts, "IP_FORWARD_DISABLED")
    assert finding["severity"] == "medium" and "ForwDatagrams = 52311" in finding["detail"]


def test_pending_off_that_networkd_turns_on_again_is_low(facts):
    facts["forwarding"]["configured"] = {
        "net.ipv4.ip_forward": {"value": "0", "file": "/etc/sysctl.d/99-cis.conf", "line": 3}}
    facts["networkd"]["network_files"][0]["forwarding"] = {"effective_ipv4_forwarding": "yes"}
    assert only(facts, "IP_FORWARD_DISABLED")["severity"] == "low"


# ------------------------------------------------------------- rp_filter
def test_systemd_default_loose_rp_filter_on_a_calico_node(tree):
    write(tree, "/usr/lib/sysctl.d/50-default.conf", fixture("50-default.conf"))
    write(tree, "/var/lib/calico/nodename", "node-1\n")
    write(tree, "/proc/sys/net/ipv4/conf/all/rp_filter", "2\n")
    facts = Gatherer(tree).run()
    assert facts["routing"]["rp_filter"]["all"] == 2
    finding = only(facts, "RP_FILTER_CONFLICT")
    assert finding["severity"] == "medium" and finding["role"] is None
    assert {"file": "/usr/lib/sysctl.d/50-default.conf", "line": 25,
            "value": "net.ipv4.conf.all.rp_filter = 2"} in finding["evidence"]
    assert "systemd#10971" in finding["detail"] and "/var/lib/calico/nodename" in finding["detail"]
    assert "sorts after /usr/lib/sysctl.d/50-default.conf" in finding["remediation"]


def test_loose_rp_filter_without_calico_and_strict_with_calico_are_nothing(tree):
    write(tree, "/usr/lib/sysctl.d/50-default.conf", fixture("50-default.conf"))
    write(tree, "/proc/sys/net/ipv4/conf/all/rp_filter", "2\n")
    assert found(Gatherer(tree).run(), "RP_FILTER_CONFLICT") == []
    write(tree, "/var/lib/calico/nodename", "node-1\n")
    write(tree, "/proc/sys/net/ipv4/conf/all/rp_filter", "1\n")
    os.remove(os.path.join(tree, "usr/lib/sysctl.d/50-default.conf"))  # else 2 is pending: next test
    assert found(Gatherer(tree).run(), "RP_FILTER_CONFLICT") == []


def test_loose_rp_filter_pending_at_boot_on_a_calico_node(tree):
    write(tree, "/usr/lib/sysctl.d/50-default.conf", fixture("50-default.conf"))
    write(tree, "/etc/cni/net.d/10-calico.conflist", '{"name": "k8s-pod-network", "plugins": [{"type": "calico"}]}\n')
    write(tree, "/proc/sys/net/ipv4/conf/all/rp_filter", "1\n")  # someone ran sysctl -w
    finding = only(Gatherer(tree).run(), "RP_FILTER_CONFLICT")
    assert finding["severity"] == "low" and "next boot" in finding["title"]
    assert finding["evidence"][0] == {"file": "/usr/lib/sysctl.d/50-default.conf", "line": 25,
                                      "value": "net.ipv4.conf.all.rp_filter = 2"}
    # an /etc file that sorts after 50-default.conf and sets 1 wins: nothing pending
    write(tree, "/etc/sysctl.d/90-calico.conf", "net.ipv4.conf.all.rp_filter = 1\n")
    assert found(Gatherer(tree).run(), "RP_FILTER_CONFLICT") == []


def test_a_glob_key_sets_all_too(facts):
    facts["routing"].update(rp_filter={"all": 1}, calico=["/var/lib/calico/nodename"], rp_filter_configured={
        "net.ipv4.conf.*.rp_filter": {"value": "2", "file": "/usr/lib/sysctl.d/50-default.conf", "line": 26}})
    assert only(facts, "RP_FILTER_CONFLICT")["evidence"][0]["line"] == 26


def wireguard(facts, all_value, iface_value, drops=None):
    facts["interfaces"] = list(facts["interfaces"]) + ["wg0"]
    facts["routing"]["rp_filter"] = {"all": all_value, "default": 1, "ens3": 1, "wg0": iface_value}
    facts["routing"]["interface_types"] = {"wg0": "wireguard", "ens3": "ether"}
    facts["routing"]["rp_filter_drops"] = drops
    return facts


def test_strict_rp_filter_on_wireguard_is_low_and_medium_with_drops(facts):
    finding = only(wireguard(facts, 1, 0), "RP_FILTER_CONFLICT")
    assert finding["severity"] == "low" and "wg0 (interface 0, type wireguard)" in finding["detail"]
    assert "larger of all = 1" in finding["detail"]
    finding = only(wireguard(copy.deepcopy(_BASE), 0, 1, drops=4127), "RP_FILTER_CONFLICT")
    assert finding["severity"] == "medium"
    assert {"file": "/proc/net/netstat", "line": None, "value": "TcpExt IPReversePathFilter 4127"} \
        in finding["evidence"]


def test_loose_rp_filter_on_wireguard_and_strict_on_ethernet_are_nothing(facts):
    assert found(wireguard(facts, 0, 2), "RP_FILTER_CONFLICT") == []
    # all = 1 makes ens3 strict too: that is what strict mode is for on a plain NIC
    assert found(wireguard(copy.deepcopy(_BASE), 1, 2), "RP_FILTER_CONFLICT") == []


def test_tunnel_names_count_only_where_the_type_is_unknown(facts):
    facts["routing"]["rp_filter"] = {"all": 1, "tun0": 1, "wgnic": 1}
    facts["routing"]["interface_types"] = {"wgnic": "ether"}
    finding = only(facts, "RP_FILTER_CONFLICT")
    assert "tun0" in finding["detail"] and "wgnic" not in finding["detail"]


def test_rp_filter_read_from_the_tree_with_the_drop_counter(tree):
    write(tree, "/proc/sys/net/ipv4/conf/all/rp_filter", "1\n")
    write(tree, "/proc/sys/net/ipv4/conf/ens3/rp_filter", "0\n")
    write(tree, "/proc/net/netstat", fixture("netstat"))
    write(tree, "/etc/sysctl.d/99-cis-network.conf", fixture("99-cis-network.conf"))
    routing = Gatherer(tree).run()["routing"]
    assert routing["rp_filter"] == {"all": 1, "ens3": 0}
    assert routing["rp_filter_drops"] == 4127
    assert routing["rp_filter_configured"]["net.ipv4.conf.all.rp_filter"] == {
        "value": "1", "file": "/etc/sysctl.d/99-cis-network.conf", "line": 9}


# -------------------------------------------------------------- hashsize
def table(facts, count, maximum, hashsize):
    facts["conntrack"].update(count=count, max=maximum, hashsize=hashsize,
                              fill_ratio=round(float(count) / maximum, 4))
    return facts


def test_nearly_full_table_over_a_small_hash_is_medium_and_the_role_fixes_it(facts):
    table(facts, 450000, 524288, 16384)
    finding = only(facts, "CONNTRACK_HASHSIZE_SMALL")
    assert finding["severity"] == "medium" and finding["role"] == "nfdoctor.netfilter.conntrack_hygiene"
    assert finding["evidence"][0] == {"file": "/sys/module/nf_conntrack/parameters/hashsize", "line": None,
                                      "value": 16384}
    assert "max/4 = 131072" in finding["remediation"]
    plan = conntrack_table.conntrack_table_plan(facts["conntrack"])
    assert plan["raise"] and plan["new_hashsize"]
    # the plan applied: the hash follows the new maximum, and the finding is gone
    table(facts, 450000, plan["new_max"], plan["new_hashsize"])
    assert found(facts, "CONNTRACK_HASHSIZE_SMALL") == []


def test_full_table_at_the_roles_limit_has_no_role(facts):
    finding = only(table(facts, 1000000, 1048576, 16384), "CONNTRACK_HASHSIZE_SMALL")
    assert finding["severity"] == "medium" and finding["role"] is None


def test_small_hash_by_how_full_the_table_is(facts):
    finding = only(table(facts, 100000, 524288, 8192), "CONNTRACK_HASHSIZE_SMALL")
    assert finding["severity"] == "low" and finding["role"] is None
    assert "walks 12.2 on average" in finding["detail"]
    assert only(table(facts, 1000, 524288, 8192), "CONNTRACK_HASHSIZE_SMALL")["severity"] == "info"


def test_kernel_default_and_kube_proxy_ratios_are_nothing(facts):
    assert found(table(facts, 200000, 262144, 32768), "CONNTRACK_HASHSIZE_SMALL") == []  # 8: pre-5.15 default
    assert found(table(facts, 200000, 262144, 65536), "CONNTRACK_HASHSIZE_SMALL") == []  # 4: kube-proxy
    facts["conntrack"]["hashsize"] = None
    assert found(facts, "CONNTRACK_HASHSIZE_SMALL") == []


# ----------------------------------------------------- networkd on containers
CATCH_ALL = "[Match]\nName=*\n\n[Network]\nDHCP=yes\n"
# The file the remediation text suggests.
UNMANAGED = "[Match]\nName=docker0 veth* cni* flannel* cali*\n\n[Link]\nUnmanaged=yes\n"


def test_catch_all_network_file_manages_docker0_and_the_veth(tree):
    write(tree, "/etc/systemd/network/99-all.network", CATCH_ALL)
    finding = only(Gatherer(tree).run(), "NETWORKD_MANAGES_CONTAINER_LINKS")
    assert finding["severity"] == "high" and finding["role"] == "nfdoctor.netfilter.networkd_forwarding"
    assert finding["evidence"][0] == {"file": "/etc/systemd/network/99-all.network", "line": None,
                                      "value": "[Match] Name=*"}
    assert "docker0, veth9a8b7c6" in finding["detail"]


def test_an_unmanaged_file_that_sorts_first_clears_it(tree):
    write(tree, "/etc/systemd/network/99-all.network", CATCH_ALL)
    write(tree, "/etc/systemd/network/00-containers.network", UNMANAGED)
    facts = Gatherer(tree).run()
    assert facts["routing"]["networkd_unmanaged"]["/etc/systemd/network/00-containers.network"]["value"] is True
    assert found(facts, "NETWORKD_MANAGES_CONTAINER_LINKS") == []


def test_an_unmanaged_file_for_docker_links_only_leaves_the_cni_names_to_the_catch_all(tree):
    write(tree, "/etc/systemd/network/99-all.network", CATCH_ALL)
    write(tree, "/etc/systemd/network/00-docker.network", "[Match]\nName=docker0 veth*\n\n[Link]\nUnmanaged=yes\n")
    finding = only(Gatherer(tree).run(), "NETWORKD_MANAGES_CONTAINER_LINKS")
    assert finding["severity"] == "medium"
    assert "cni0, flannel.1, cali1a2b3c4d5e6" in finding["detail"] and "veth1a2b3c4" not in finding["detail"]


def test_unmanaged_no_in_a_drop_in_makes_it_managed_again(tree):
    write(tree, "/etc/systemd/network/00-containers.network", UNMANAGED)
    write(tree, "/etc/systemd/network/00-containers.network.d/50-manage.conf", "[Link]\nUnmanaged=no\n")
    finding = only(Gatherer(tree).run(), "NETWORKD_MANAGES_CONTAINER_LINKS")
    assert {"file": "/etc/systemd/network/00-containers.network.d/50-manage.conf", "line": 2,
            "value": "Unmanaged=no"} in finding["evidence"]


def networkd_with(facts, text, links):
    parsed = networkd_facts({"/etc/systemd/network/50-wired.network": text}, links, 252)
    facts["networkd"]["network_files"] = parsed["network_files"]
    facts["interfaces"] = list(links)
    return facts


def test_a_pattern_that_would_take_future_veths_on_a_docker_host_is_medium(facts):
    finding = only(networkd_with(facts, "[Match]\nName=en* v*\n", ["ens3"]), "NETWORKD_MANAGES_CONTAINER_LINKS")
    assert finding["severity"] == "medium" and "veth1a2b3c4" in finding["detail"]


def test_narrow_or_typed_matches_and_hosts_without_containers_are_nothing(facts):
    assert found(networkd_with(facts, "[Match]\nName=ens3\n", ["ens3"]), "NETWORKD_MANAGES_CONTAINER_LINKS") == []
    facts = copy.deepcopy(_BASE)
    # Type= decides too: the Name=* alone does not say a veth would match
    assert found(networkd_with(facts, "[Match]\nName=*\nType=wlan\n", ["ens3"]),
                 "NETWORKD_MANAGES_CONTAINER_LINKS") == []
    facts = plain_host(copy.deepcopy(_BASE))
    assert found(networkd_with(facts, "[Match]\nName=*\n", ["ens3"]), "NETWORKD_MANAGES_CONTAINER_LINKS") == []


# The VM scenario's own networkd files (molecule/default/prepare.yml): networkd creates br0 and the
# veth pair itself from .netdev files; kubelet's configuration and the veth port make br0 a bridge CNI.
VM_NETWORKD = os.path.join(HERE, "..", "..", "fixtures", "networkd", "vm_netdev_bridge", "etc", "systemd", "network")


def vm_tree(root, with_netdevs=True):
    for name in sorted(os.listdir(VM_NETWORKD)):
        if with_netdevs or not name.endswith(".netdev"):
            with open(os.path.join(VM_NETWORKD, name)) as handle:
                write(root, "/etc/systemd/network/" + name, handle.read())
    write(root, "/var/lib/kubelet/config.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\n"
                                                "kind: KubeletConfiguration\n")
    write(root, "/sys/class/net/br0/bridge/bridge_id", "8000.5a1b2c3d4e5f\n")
    write(root, "/sys/class/net/br0/brif/veth-ctr0/port_no", "0x1\n")
    for link in ("veth-ctr0", "ctr0-eth0"):
        write(root, "/sys/class/net/%s/type" % link, "1\n")
    return root


def test_links_networkd_creates_from_netdev_files_are_the_admins_own(tree):
    facts = Gatherer(vm_tree(tree)).run()
    assert facts["bridges"]["br0"]["kind"] == "cni"  # judged a container bridge by its port...
    assert [(n["name"], n["file"], n["line"]) for n in facts["networkd"]["netdevs"]] == [
        ("br0", "/etc/systemd/network/20-br0.netdev", 2),
        ("veth-ctr0", "/etc/systemd/network/21-veth-ctr0.netdev", 3),
        ("ctr0-eth0", "/etc/systemd/network/21-veth-ctr0.netdev", 7)]
    assert found(facts, "NETWORKD_MANAGES_CONTAINER_LINKS") == []  # ...but networkd owns it


def test_the_same_links_made_by_a_runtime_are_reported(tree):
    hits = found(Gatherer(vm_tree(tree, with_netdevs=False)).run(), "NETWORKD_MANAGES_CONTAINER_LINKS")
    assert [(f["severity"], f["evidence"][0]["file"]) for f in hits] == [
        ("high", "/etc/systemd/network/20-br0.network"), ("high", "/etc/systemd/network/21-veth-ctr0.network")]
    assert "container link(s) br0" in hits[0]["detail"] and "container link(s) veth-ctr0" in hits[1]["detail"]


def test_a_veth_wildcard_still_takes_the_runtimes_veths_next_to_an_own_veth(tree):
    vm_tree(tree)
    write(tree, "/etc/systemd/network/80-veths.network", "[Match]\nName=veth*\n\n[Network]\nLinkLocalAddressing=no\n")
    finding = only(Gatherer(tree).run(), "NETWORKD_MANAGES_CONTAINER_LINKS")
    assert finding["severity"] == "high"
    assert "container link(s) veth9a8b7c6," in finding["detail"] and "veth-ctr0" not in finding["detail"]


def test_a_file_sorting_before_the_roles_file_or_an_old_networkd_has_no_role(facts, tree):
    write(tree, "/etc/systemd/network/00-all.network", CATCH_ALL)
    finding = only(Gatherer(tree).run(), "NETWORKD_MANAGES_CONTAINER_LINKS")
    assert finding["role"] is None and "sorts before /etc/systemd/network/00-nfdoctor" in finding["remediation"]
    finding = only(networkd_with(facts, CATCH_ALL, ["ens3", "docker0"]), "NETWORKD_MANAGES_CONTAINER_LINKS")
    assert finding["role"] == "nfdoctor.netfilter.networkd_forwarding"
    facts["networkd"]["version"] = 232
    finding = only(facts, "NETWORKD_MANAGES_CONTAINER_LINKS")
    assert finding["role"] is None and "predates [Link] Unmanaged= (v233)" in finding["remediation"]


def test_negated_names_follow_networkd(facts):
    # Name=!ens3 takes every other link, veths to come included
    finding = only(networkd_with(facts, "[Match]\nName=!ens3\n", ["ens3"]), "NETWORKD_MANAGES_CONTAINER_LINKS")
    assert finding["severity"] == "medium" and "veth1a2b3c4" in finding["detail"]
    assert found(networkd_with(copy.deepcopy(_BASE), "[Match]\nName=en* !ens4\n", ["ens3"]),
                 "NETWORKD_MANAGES_CONTAINER_LINKS") == []


def test_an_unmanaged_file_that_excludes_an_own_veth_still_covers_the_runtimes(tree):
    vm_tree(tree)
    write(tree, "/etc/systemd/network/99-all.network", CATCH_ALL)
    write(tree, "/etc/systemd/network/00-containers.network",
          "[Match]\nName=docker0 veth* cni* flannel* cali* !veth-ctr0\n\n[Link]\nUnmanaged=yes\n")
    facts = Gatherer(tree).run()
    assert found(facts, "NETWORKD_MANAGES_CONTAINER_LINKS") == []
    files = {f["path"]: f for f in facts["networkd"]["network_files"]}
    assert files["/etc/systemd/network/21-veth-ctr0.network"]["interfaces"] == ["veth-ctr0"]


def test_link_unmanaged_parser():
    assert link_unmanaged([("/a.network", "[Link]\nUnmanaged=yes\n")])["value"] is True
    assert link_unmanaged([("/a.network", "[Network]\nUnmanaged=yes\n")]) is None  # wrong section
    assert link_unmanaged([("/a.network", "[Link]\nUnmanaged=yes\nUnmanaged=\n")]) is None  # reset
    assert link_unmanaged([("/a.network", "[Link]\nUnmanaged=maybe\n")]) is None  # not a boolean: ignored
    assert link_unmanaged([("/a.network", "[Link]\nUnmanaged=yes\n"),
                           ("/a.network.d/x.conf", "[Link]\nUnmanaged=false\n")])["file"] == "/a.network.d/x.conf"
    assert link_unmanaged(None) is None and link_unmanaged([("/a", None)]) is None


# ----------------------------------------------------- iptables backends
def mixed_tree(tree, nft_text=None, legacy_text=None):
    write(tree, "/sos_commands/networking/iptables-legacy-save",
          fixture("iptables-legacy-save") if legacy_text is None else legacy_text)
    write(tree, "/sos_commands/networking/iptables-nft-save",
          fixture("iptables-nft-save") if nft_text is None else nft_text)
    write(tree, "/sos_commands/networking/iptables_--version", "iptables v1.8.9 (nf_tables)\n")
    return tree


def test_docker_on_legacy_and_the_firewall_on_nft_is_high(tree):
    facts = Gatherer(mixed_tree(tree)).run()
    backends = facts["iptables_backends"]
    assert backends["default"] == "nf_tables"
    assert [(b["source"], b["rules"], b["tables"]) for b in backends["legacy"]] == [
        ("iptables-legacy-save", 15, ["nat", "filter"])]
    assert backends["nft"][0]["legacy_warning"] is True
    finding = only(facts, "IPTABLES_BACKEND_MIXED")
    assert finding["severity"] == "high" and finding["role"] is None
    assert finding["evidence"] == [
        {"file": "iptables-legacy-save", "line": 8, "value": "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER"},
        {"file": "iptables-nft-save", "line": 7, "value": "-A INPUT -i lo -j ACCEPT"}]
    assert "the nf_tables variant" in finding["detail"] and "docker writes" in finding["detail"]


def test_mixed_backends_by_context(facts):
    facts["iptables_backends"] = {"default": None, "legacy_tables": ["filter"],
                                  "legacy": [{"source": "iptables-legacy-save", "rules": 3, "tables": ["filter"],
                                              "first": {"line": 5, "text": "-A INPUT -j ACCEPT"}}],
                                  "nft": [{"source": "iptables-nft-save", "rules": 40, "tables": ["nat"],
                                           "first": None}]}
    facts["environment"]["kubernetes"] = True
    finding = only(facts, "IPTABLES_BACKEND_MIXED")
    assert (finding["severity"], finding["confidence"]) == ("high", "high")
    assert "kubernetes#71305" in finding["detail"]
    facts = plain_host(copy.deepcopy(facts))
    facts["environment"]["kubernetes"] = False
    assert only(facts, "IPTABLES_BACKEND_MIXED")["severity"] == "medium"


def test_one_backend_with_rules_is_nothing(tree):
    # legacy tables that only hold their policies (iptable_filter loaded by someone) hold no rule
    policies_only = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
    assert found(Gatherer(mixed_tree(tree, legacy_text=policies_only)).run(), "IPTABLES_BACKEND_MIXED") == []
    assert found(Gatherer(mixed_tree(tree, nft_text="# Generated by iptables-nft-save v1.8.9\n")).run(),
                 "IPTABLES_BACKEND_MIXED") == []


class FakeSource(object):
    captured = False

    def __init__(self, target=None):
        self.ran = []
        self.target = target  # what the iptables link resolves to; None: no link that names a variant

    def command_target(self, name):
        return self.target if name == "iptables" else None

    def command(self, argv):
        self.ran.append(argv[0])
        return "iptables v1.8.9 (legacy)\n" if argv[1:] == ["--version"] else "*filter\n-A INPUT -j ACCEPT\nCOMMIT\n"


class FakeGatherer(object):
    def __init__(self, legacy_tables, nf_tables_loaded, target=None):
        self.src = FakeSource(target)
        self.facts = {"netfilter_rules": {"iptables_tables": legacy_tables, "ip6tables_tables": []}}
        self.loaded = nf_tables_loaded

    def module_loaded(self, name):
        return name == "nf_tables" and self.loaded


def test_live_host_runs_no_tool_that_would_load_a_module():
    from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather_backends import gather_iptables_backends
    fake = FakeGatherer([], False)
    found_backends = gather_iptables_backends(fake)
    assert fake.src.ran == ["iptables"] and found_backends["default"] == "legacy"
    fake = FakeGatherer(["filter"], True)
    gather_iptables_backends(fake)
    assert fake.src.ran == ["iptables", "iptables-legacy-save", "iptables-nft-save", "ip6tables-nft-save"]


@pytest.mark.parametrize("target, default, ran", [
    # Debian 12 / RHEL 8: iptables -> /etc/alternatives/iptables -> iptables-nft -> xtables-nft-multi
    ("xtables-nft-multi", "nf_tables", []),
    ("xtables-legacy-multi", "legacy", []),
    # iptables 1.4-1.6 (xtables-multi) or a link-less build: only --version can tell (here: legacy)
    ("xtables-multi", "legacy", ["iptables"]),
    (None, "legacy", ["iptables"]),
])
def test_default_variant_from_the_link_before_the_command(target, default, ran):
    from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather_backends import gather_iptables_backends
    fake = FakeGatherer([], False, target=target)
    assert gather_iptables_backends(fake)["default"] == default
    assert fake.src.ran == ran


def test_command_target_follows_the_alternatives_links(tmp_path, monkeypatch):
    from ansible_collections.nfdoctor.netfilter.plugins.module_utils import host_source
    sbin, alternatives = tmp_path / "sbin", tmp_path / "alternatives"
    sbin.mkdir()
    alternatives.mkdir()
    (sbin / "xtables-nft-multi").write_text("#!/bin/sh\n")
    (sbin / "xtables-nft-multi").chmod(0o755)
    (sbin / "iptables-nft").symlink_to("xtables-nft-multi")
    (alternatives / "iptables").symlink_to(sbin / "iptables-nft")
    (sbin / "iptables").symlink_to(alternatives / "iptables")
    monkeypatch.setattr(host_source, "SEARCH_PATH", (str(sbin),))
    live = host_source.HostSource("/")
    assert live.command_target("iptables") == "xtables-nft-multi"
    assert live.command_target("ip6tables") is None
    assert host_source.HostSource(str(tmp_path)).command_target("iptables") is None  # a captured tree


def test_backend_parsers():
    from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_iptables_backends import (
        binary_variant,
        count_save_rules,
        iptables_variant,
    )
    assert iptables_variant("iptables v1.8.9 (nf_tables)\n") == "nf_tables"
    assert iptables_variant("iptables v1.8.4 (legacy)") == "legacy"
    assert iptables_variant("iptables v1.6.1") is None and iptables_variant(None) is None
    assert binary_variant("xtables-nft-multi") == "nf_tables" and binary_variant("xtables-legacy-multi") == "legacy"
    assert binary_variant("xtables-multi") is None and binary_variant("iptables") is None
    assert binary_variant(None) is None and binary_variant("") is None
    counted = count_save_rules("*filter\n[12:3456] -A INPUT -j ACCEPT\n-A FORWARD -j DROP\nCOMMIT\n", "x")
    assert counted["rules"] == 2 and counted["first"] == {"line": 2, "text": "[12:3456] -A INPUT -j ACCEPT"}
    assert count_save_rules("", "x")["rules"] == 0 and count_save_rules(b"\xff", "x")["rules"] == 0
