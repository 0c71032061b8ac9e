"""BRIDGE_FILTER_DROPS_GUESTS and FIREWALL_RELOAD_WIPES_CHAINS.

Trees start from the healthy Debian 12 Docker tree (br_netfilter loaded,
bridge-nf-call-iptables = 1, FORWARD policy drop written by Docker through
iptables-nft, docker0 accepted); each test adds what its failure needs, is
gathered in the live/capture layout and, where sos holds the data, in a
real sosreport's layout (sos_trees.sosify), and stands beside its negative.
Fixture sources: tests/unit/fixtures/firewall/SOURCES.md.
"""
import copy
import os
import shutil

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import checks_firewall
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.findings import RULES
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_firewall import (
    bridge_forward_accepts,
    nft_forward_policy,
    parse_docker_version,
    parse_nftables_conf,
    parse_restore_file,
    parse_unit_file_states,
    rule_interfaces,
    runtime_chains,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_iptables_listing import parse_iptables_listing
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_netfilter_rules import (
    parse_iptables_save,
    parse_nft_ruleset,
)

from sos_trees import sosify  # a helper beside this file (pytest puts its directory on sys.path)
from check_helpers import found, only, write  # a helper beside this file

HERE = os.path.dirname(__file__)
TREES = os.path.join(HERE, "..", "..", "..", "integration", "trees")
HEALTHY = os.path.join(TREES, "healthy-debian12-docker")
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "firewall")
NEW_IDS = ("BRIDGE_FILTER_DROPS_GUESTS", "FIREWALL_RELOAD_WIPES_CHAINS")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


@pytest.fixture
def tree(tmp_path):
    root = str(tmp_path / "host")
    shutil.copytree(HEALTHY, root, symlinks=True)
    return root


def kvm(root, rules="iptables-save_kvm_docker_24.txt", own=None, ports=("eth0", "vnet0")):
    """The tree as a KVM host: br0 with the LAN NIC and a guest's tap, Docker's iptables-save."""
    write(root, "/sys/class/net/br0/bridge/bridge_id", "8000.525400a1b2c3\n")
    if own is not None:
        write(root, "/sys/class/net/br0/bridge/nf_call_iptables", "%d\n" % own)
    for port in ports:
        write(root, "/sys/class/net/br0/brif/%s/port_no" % port, "0x1\n")
        write(root, "/sys/class/net/%s/type" % port, "1\n")
    write(root, "/sys/class/net/eth0/device/vendor", "0x1af4\n")
    if rules:
        os.remove(os.path.join(root, "sos_commands", "networking", "nft_list_ruleset"))
        write(root, "/sos_commands/networking/iptables-save", fixture(rules))
    return root


def test_healthy_tree_has_neither(tree):
    facts = Gatherer(tree).run()
    assert [f["id"] for f in run_checks(facts) if f["id"] in NEW_IDS] == []
    assert facts["firewall"]["runtime_chains"]["docker"] == ["DOCKER"]
    assert facts["firewall"]["runtime_chains"]["docker_in_nft"] is True


def test_every_rule_has_a_source():
    for (finding_id, _name), (severity, confidence, source) in RULES.items():
        if finding_id in NEW_IDS:
            assert severity and confidence in ("low", "medium", "high") and len(source) > 30


# ------------------------------------------------ BRIDGE_FILTER_DROPS_GUESTS
def test_docker_on_a_kvm_host_black_holes_the_guests_of_br0(tree):
    facts = Gatherer(kvm(tree)).run()
    assert facts["netfilter_rules"]["forward_policy"] == "DROP"
    assert facts["bridges"]["br0"]["kind"] == "hypervisor"
    finding = only(facts, "BRIDGE_FILTER_DROPS_GUESTS")
    assert (finding["severity"], finding["confidence"]) == ("high", "high")
    assert finding["role"] == "nfdoctor.netfilter.br_netfilter"
    assert "br0" in finding["title"] and "moby#14041" in finding["detail"]
    files = [e["file"] for e in finding["evidence"]]
    assert "/sys/class/net/br0/bridge/nf_call_iptables" in files and "iptables-save" in files
    # docker0 has Docker's own ACCEPT rules and is no guest bridge
    assert all("docker0" not in f["title"] for f in found(facts, "BRIDGE_FILTER_DROPS_GUESTS"))
    # the inverse finding never names the same bridge: br_netfilter is loaded
    assert found(facts, "BR_NETFILTER_NOT_LOADED") == []


def test_an_accept_in_docker_user_clears_it(tree):
    facts = Gatherer(kvm(tree, "iptables-save_kvm_docker_24_docker-user_accept_br0.txt")).run()
    assert found(facts, "BRIDGE_FILTER_DROPS_GUESTS") == []
    accepts = facts["firewall"]["bridge_forward_accepts"]["br0"]
    assert accepts[0]["chain"] == "DOCKER-USER" and accepts[0]["text"] == "-A DOCKER-USER -i br0 -o br0 -j ACCEPT"


def test_the_bridges_own_zero_does_not_exempt_it_while_the_global_is_one(tree):
    facts = Gatherer(kvm(tree, own=0)).run()
    finding = only(facts, "BRIDGE_FILTER_DROPS_GUESTS")
    assert "does not exempt it" in finding["detail"]
    assert {"file": "/sys/class/net/br0/bridge/nf_call_iptables", "line": None, "value": 0} in finding["evidence"]


def test_global_zero_and_the_bridges_own_zero_is_unfiltered(tree):
    kvm(tree, own=0)
    write(tree, "/proc/sys/net/bridge/bridge-nf-call-iptables", "0\n")
    facts = Gatherer(tree).run()
    assert found(facts, "BRIDGE_FILTER_DROPS_GUESTS") == []
    # the per-bridge knob adds filtering: global 0 with br0's own 1 still sends br0 to FORWARD
    write(tree, "/sys/class/net/br0/bridge/nf_call_iptables", "1\n")
    assert only(Gatherer(tree).run(), "BRIDGE_FILTER_DROPS_GUESTS")["severity"] == "high"


def test_br_netfilter_not_loaded_is_the_other_finding(tree):
    kvm(tree)
    modules = os.path.join(tree, "proc", "modules")
    with open(modules) as handle:
        lines = [line for line in handle if not line.startswith("br_netfilter ")]
    with open(modules, "w") as handle:
        handle.writelines(lines)
    facts = Gatherer(tree).run()
    assert found(facts, "BRIDGE_FILTER_DROPS_GUESTS") == []
    assert found(facts, "BR_NETFILTER_NOT_LOADED")


def test_forward_accept_policy_is_nothing(tree):
    facts = Gatherer(kvm(tree)).run()
    facts["netfilter_rules"]["forward_policy"] = "ACCEPT"
    assert found(facts, "BRIDGE_FILTER_DROPS_GUESTS") == []


def test_severity_by_bridge(tree):
    facts = Gatherer(kvm(tree, ports=("eth0",))).run()
    assert only(facts, "BRIDGE_FILTER_DROPS_GUESTS")["severity"] == "medium"  # no guest yet
    facts = copy.deepcopy(facts)
    facts["bridges"]["br0"].update(kind="libvirt_network", kind_evidence="libvirt network in nat mode")
    finding = only(facts, "BRIDGE_FILTER_DROPS_GUESTS")
    assert finding["severity"] == "medium" and "-i br0 -o br0 -j ACCEPT" in finding["detail"]
    facts["bridges"]["br0"]["kind"] = "cni"
    assert found(facts, "BRIDGE_FILTER_DROPS_GUESTS") == []


def test_kubernetes_node_gets_no_role(tree):
    facts = Gatherer(kvm(tree)).run()
    facts["environment"]["kubernetes"] = True
    finding = only(facts, "BRIDGE_FILTER_DROPS_GUESTS")
    assert finding["role"] is None and "keep bridge-nf-call-iptables = 1" in finding["remediation"]


def test_nft_native_forward_drop_counts_and_its_accept_clears(tree):
    kvm(tree, rules=None)  # the healthy tree's nft ruleset: ip filter FORWARD policy drop
    facts = Gatherer(tree).run()
    assert facts["firewall"]["forward_drop_table"] == "ip filter"
    assert only(facts, "BRIDGE_FILTER_DROPS_GUESTS")["evidence"][3]["file"] == "nft list ruleset"
    path = os.path.join(tree, "sos_commands", "networking", "nft_list_ruleset")
    with open(path) as handle:
        text = handle.read()
    with open(path, "w") as handle:
        handle.write(text.replace('\t\tiifname "docker0" oifname', '\t\tiifname "br0" oifname "br0" accept\n'
                                                                   '\t\tiifname "docker0" oifname'))
    assert found(Gatherer(tree).run(), "BRIDGE_FILTER_DROPS_GUESTS") == []


@pytest.mark.parametrize("version", ["3.9", "4.5.0"])
def test_real_sos_layout_finds_it_from_listings(tree, tmp_path, version):
    root = sosify(kvm(tree), str(tmp_path / "sos"), version)
    assert not os.path.exists(os.path.join(root, "sys", "class", "net", "br0", "bridge"))
    facts = Gatherer(root).run()
    assert facts["bridges"]["br0"]["kind"] == "hypervisor"
    finding = only(facts, "BRIDGE_FILTER_DROPS_GUESTS")
    assert finding["severity"] == "high"
    assert any("iptables_-t_filter_-nvL" in (e["file"] or "") for e in finding["evidence"])
    second = str(tmp_path / "accepted")
    shutil.copytree(HEALTHY, second, symlinks=True)
    accepted = sosify(kvm(second, "iptables-save_kvm_docker_24_docker-user_accept_br0.txt"),
                      str(tmp_path / "sos2"), version)
    assert found(Gatherer(accepted).run(), "BRIDGE_FILTER_DROPS_GUESTS") == []


def test_rule_interfaces_and_accepts_in_each_format():
    save = parse_iptables_save(fixture("iptables-save_kvm_docker_24_docker-user_accept_br0.txt"))["rules"]
    assert rule_interfaces([r for r in save if r["chain"] == "DOCKER-USER"][0]) == ("br0", "br0", False)
    listing = parse_iptables_listing(
        "Chain FORWARD (policy DROP 0 packets, 0 bytes)\n"
        " pkts bytes target     prot opt in     out     source               destination\n"
        "    0     0 ACCEPT     all  --  *      *       0.0.0.0/0            0.0.0.0/0            "
        "PHYSDEV match --physdev-is-bridged\n", "filter")["rules"]
    assert rule_interfaces(listing[0]) == (None, None, True)
    assert list(bridge_forward_accepts(listing, ["br0"])) == ["br0"]
    established_only = parse_iptables_save(
        "*filter\n:FORWARD DROP [0:0]\n-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
        "-A FORWARD -i br1 -j ACCEPT\n-A FORWARD -o docker0 -j ACCEPT\n-A FORWARD -i br0 ! -o br0 -j ACCEPT\nCOMMIT\n")["rules"]
    assert bridge_forward_accepts(established_only, ["br0", "br1"]).keys() == set(["br1"])
    nft = parse_nft_ruleset('table ip filter {\n\tchain FORWARD {\n\t\ttype filter hook forward priority filter; '
                            'policy drop;\n\t\tiifname "br+" accept\n\t}\n}\n')["rules"]
    assert rule_interfaces(nft[0]) == ("br+", None, False)
    assert list(bridge_forward_accepts(nft, ["br0"])) == ["br0"]
    # an accept in another table does not help: the ip filter chain still drops
    other = parse_nft_ruleset('table inet mine {\n\tchain forward {\n\t\ttype filter hook forward priority 0; '
                              'policy accept;\n\t\tiifname "br0" accept\n\t}\n}\n')["rules"]
    assert bridge_forward_accepts(other, ["br0"], "ip filter") == {}
    assert bridge_forward_accepts(None, ["br0"]) == {} and rule_interfaces("x") == (None, None, False)


def test_nft_forward_policy():
    assert nft_forward_policy("table inet f {\n chain fwd {\n  type filter hook forward priority 0; policy accept;\n"
                              " }\n}\ntable ip filter {\n chain FORWARD {\n  type filter hook forward priority "
                              "filter; policy drop;\n")["table"] == "ip filter"
    assert nft_forward_policy("table inet f {\n chain input {\n type filter hook input priority 0; policy drop;\n") \
        is None
    assert nft_forward_policy(fixture("nftables.conf_debian12")) is None  # no policy written: accept, not reported
    assert nft_forward_policy(None) is None and nft_forward_policy(b"\xff") is None


# --------------------------------------------- FIREWALL_RELOAD_WIPES_CHAINS
def nftables_host(root, conf="nftables.conf_debian12", units="systemctl_list-unit-files_debian12"):
    write(root, "/etc/nftables.conf", fixture(conf))
    if units:
        write(root, "/sos_commands/systemd/systemctl_list-unit-files", fixture(units))
    return root


def test_flush_ruleset_with_docker_on_iptables_nft_is_high(tree):
    facts = Gatherer(nftables_host(tree)).run()
    assert facts["firewall"]["units"]["nftables.service"] == "enabled"
    finding = only(facts, "FIREWALL_RELOAD_WIPES_CHAINS")
    assert (finding["severity"], finding["role"]) == ("high", None)
    assert finding["evidence"][0] == {"file": "/etc/nftables.conf", "line": 3, "value": "flush ruleset"}
    assert "Docker's chains (DOCKER)" in finding["detail"]


def test_flush_of_the_hosts_own_table_or_a_disabled_unit_is_nothing(tree):
    write(tree, "/etc/nftables.d/10-ssh.nft", "flush ruleset\n")  # included, so it counts
    facts = Gatherer(nftables_host(tree, conf="nftables.conf_own_table")).run()
    assert facts["firewall"]["nftables_conf"]["files"] == ["/etc/nftables.conf", "/etc/nftables.d/10-ssh.nft"]
    assert only(facts, "FIREWALL_RELOAD_WIPES_CHAINS")["evidence"][0]["file"] == "/etc/nftables.d/10-ssh.nft"
    os.remove(os.path.join(tree, "etc", "nftables.d", "10-ssh.nft"))
    assert found(Gatherer(tree).run(), "FIREWALL_RELOAD_WIPES_CHAINS") == []
    disabled = fixture("systemctl_list-unit-files_debian12").replace(
        "nftables.service                       enabled ", "nftables.service                       disabled")
    write(tree, "/sos_commands/systemd/systemctl_list-unit-files", disabled)
    write(tree, "/etc/nftables.conf", fixture("nftables.conf_debian12"))
    assert found(Gatherer(tree).run(), "FIREWALL_RELOAD_WIPES_CHAINS") == []


def test_flush_by_where_the_chains_live(tree):
    facts = Gatherer(nftables_host(tree)).run()
    facts["firewall"]["runtime_chains"]["docker_in_nft"] = False  # iptables-legacy: flush ruleset spares it
    assert only(facts, "FIREWALL_RELOAD_WIPES_CHAINS")["severity"] == "low"
    facts["environment"]["container_runtimes"] = []
    facts["environment"]["kubernetes"] = True
    facts["firewall"]["runtime_chains"].update(kube=["KUBE-SERVICES"], kube_count=412, kube_in_nft=True)
    finding = only(facts, "FIREWALL_RELOAD_WIPES_CHAINS")
    assert finding["severity"] == "medium" and "412 KUBE-* chains" in finding["detail"]
    facts["environment"]["kubernetes"] = False
    facts["firewall"]["runtime_chains"].update(kube=[], kube_count=0)
    assert found(facts, "FIREWALL_RELOAD_WIPES_CHAINS") == []  # no runtime: the file does what it says


def test_flush_ruleset_on_a_kube_proxy_nftables_node(tree):
    # kube-proxy's nftables mode writes no KUBE-* chain, only "table ip kube-proxy": the flush deletes it,
    # whatever the iptables alternative, and it is kube-proxy's even where nothing else says Kubernetes.
    write(tree, "/sos_commands/networking/nft_list_ruleset", fixture("nft_list_ruleset_kube-proxy_nftables"))
    facts = Gatherer(nftables_host(tree)).run()
    chains = facts["firewall"]["runtime_chains"]
    assert (chains["kube"], chains["kube_nft"], chains["kube_in_nft"]) == ([], ["ip kube-proxy"], True)
    facts["environment"]["container_runtimes"] = []
    facts["environment"]["kubernetes"] = False
    finding = only(facts, "FIREWALL_RELOAD_WIPES_CHAINS")
    assert finding["severity"] == "medium"
    assert "table ip kube-proxy (nftables mode)" in finding["detail"]
    # negative: the same node without kube-proxy's table (and nothing else of Kubernetes) is nothing
    facts["firewall"]["runtime_chains"].update(kube_nft=[], kube_in_nft=False)
    assert found(facts, "FIREWALL_RELOAD_WIPES_CHAINS") == []


def test_live_host_reads_wants_links_not_systemctl(tree):
    write(tree, "/etc/nftables.conf", fixture("nftables.conf_debian12"))
    link = os.path.join(tree, "etc", "systemd", "system", "sysinit.target.wants")
    os.makedirs(link)
    os.symlink("/lib/systemd/system/nftables.service", os.path.join(link, "nftables.service"))
    facts = Gatherer(tree).run()
    assert facts["firewall"]["units"]["nftables.service"] == "enabled"
    assert only(facts, "FIREWALL_RELOAD_WIPES_CHAINS")["severity"] == "high"


def test_iptables_service_restoring_without_docker_chains(tree):
    write(tree, "/etc/sysconfig/iptables", fixture("sysconfig-iptables_el7_default"))
    units = fixture("systemctl_list-unit-files_debian12").replace(
        "nftables.service                       enabled         enabled",
        "iptables.service                       enabled         disabled")
    write(tree, "/sos_commands/systemd/systemctl_list-unit-files", units)
    facts = Gatherer(tree).run()
    finding = only(facts, "FIREWALL_RELOAD_WIPES_CHAINS")
    assert finding["severity"] == "high" and finding["evidence"][0]["file"] == "/etc/sysconfig/iptables"
    # a file saved with Docker running keeps its chains
    saved = fixture("iptables-save_kvm_docker_24.txt")
    write(tree, "/etc/sysconfig/iptables", saved)
    assert found(Gatherer(tree).run(), "FIREWALL_RELOAD_WIPES_CHAINS") == []
    write(tree, "/etc/sysconfig/iptables", fixture("sysconfig-iptables_el7_default"))
    write(tree, "/sos_commands/systemd/systemctl_list-unit-files", fixture("systemctl_list-unit-files_debian12"))
    assert only(Gatherer(tree).run(), "FIREWALL_RELOAD_WIPES_CHAINS")["severity"] == "low"  # unit not enabled
    write(tree, "/etc/docker/daemon.json", '{"iptables": false}\n')  # dockerd writes no rules
    assert found(Gatherer(tree).run(), "FIREWALL_RELOAD_WIPES_CHAINS") == []


def test_firewalld_with_docker_before_20_10(tree):
    units = fixture("systemctl_list-unit-files_debian12").replace("nftables.service", "firewalld.service")
    write(tree, "/sos_commands/systemd/systemctl_list-unit-files", units)
    write(tree, "/sos_commands/docker/docker_version", fixture("docker_version_19.03"))
    facts = Gatherer(tree).run()
    assert facts["firewall"]["docker_version"] == [19, 3, 15]
    finding = only(facts, "FIREWALL_RELOAD_WIPES_CHAINS")
    assert finding["severity"] == "medium" and "19.3.15" in finding["detail"]
    write(tree, "/sos_commands/docker/docker_version", fixture("docker_version_19.03").replace("19.03.15", "20.10.0"))
    assert found(Gatherer(tree).run(), "FIREWALL_RELOAD_WIPES_CHAINS") == []


def test_docker_chains_missing_while_containers_run(tree):
    path = os.path.join(tree, "sos_commands", "networking", "nft_list_ruleset")
    with open(path) as handle:
        text = handle.read()
    with open(path, "w") as handle:  # what is left after flush ruleset + the Debian file
        handle.write(text.split("table ip filter")[0].replace("\tchain DOCKER {\n\t}\n\n", "")
                     .replace("table ip nat", "table inet filter"))
    facts = Gatherer(tree).run()
    finding = only(facts, "FIREWALL_RELOAD_WIPES_CHAINS")
    assert finding["severity"] == "high" and "containers on docker0" in finding["detail"]
    facts["bridges"]["docker0"]["ports"] = []
    assert found(facts, "FIREWALL_RELOAD_WIPES_CHAINS") == []  # no container runs: nothing to lose yet
    facts["firewall"]["docker_containers"] = 2
    facts["netfilter_rules"]["sources"] = []
    assert found(facts, "FIREWALL_RELOAD_WIPES_CHAINS") == []  # no rules read: unknown, not missing


def test_sos_layout_reads_the_same_files(tree, tmp_path):
    nftables_host(tree)
    root = sosify(tree, str(tmp_path / "sos"), "4.5.0")
    finding = only(Gatherer(root).run(), "FIREWALL_RELOAD_WIPES_CHAINS")
    assert finding["severity"] == "high" and finding["evidence"][0]["file"] == "/etc/nftables.conf"


def test_firewall_parsers():
    conf = parse_nftables_conf(fixture("nftables.conf_debian12"), "/etc/nftables.conf")
    assert conf["flushes"] == [{"file": "/etc/nftables.conf", "line": 3, "text": "flush ruleset", "scope": "ruleset"}]
    own = parse_nftables_conf(fixture("nftables.conf_own_table"), "/x")
    assert [f["scope"] for f in own["flushes"]] == ["inet host_filter"] and own["includes"] == ["/etc/nftables.d/*.nft"]
    assert parse_nftables_conf("flush table nat; delete table ip6 filter # x\n", "/x")["flushes"][1]["scope"] == \
        "ip6 filter"
    assert parse_nftables_conf("# flush ruleset\n", "/x")["flushes"] == []
    assert parse_nftables_conf("flush table\n", "/x")["problems"]
    restore = parse_restore_file(fixture("sysconfig-iptables_el7_default"), "/etc/sysconfig/iptables")
    assert (restore["tables"], restore["docker_chains"]) == (["filter"], [])
    assert parse_restore_file(fixture("iptables-save_kvm_docker_24.txt"), "/x")["docker_chains"][:2] == [
        "DOCKER", "DOCKER-ISOLATION-STAGE-1"]
    assert parse_restore_file("garbage\n", "/x")["problems"]
    assert parse_unit_file_states(fixture("systemctl_list-unit-files_debian12"))["nftables.service"] == "enabled"
    assert parse_docker_version(fixture("docker_version_19.03")) == [19, 3, 15]
    assert parse_docker_version("Docker version 24.0.7, build afdd53b\n") == [24, 0, 7]
    assert parse_docker_version("") is None and parse_docker_version(None) is None
    chains = runtime_chains([{"source": "nft", "chain": "POSTROUTING", "target": "KUBE-POSTROUTING"}],
                            ["ip docker-bridges"], [("iptables-save", "DOCKER")])
    assert chains["docker"] == ["DOCKER"] and chains["docker_in_nft"] is True and chains["kube_in_nft"] is True


def test_bridge_filtering_is_an_or_of_global_and_per_bridge():
    facts = {"br_netfilter": {"loaded": True, "sysctls": {"bridge-nf-call-iptables": 0}},
             "bridges": {"br0": {"nf_call_iptables": 1}}}
    assert checks_firewall.bridge_filtering(facts, "br0")[0] is True
    facts["bridges"]["br0"]["nf_call_iptables"] = 0
    assert checks_firewall.bridge_filtering(facts, "br0")[0] is False
    facts["br_netfilter"]["sysctls"]["bridge-nf-call-iptables"] = None
    assert checks_firewall.bridge_filtering(facts, "br0")[0] is None
    facts["br_netfilter"]["loaded"] = False
    assert checks_firewall.bridge_filtering(facts, "br0")[0] is False
