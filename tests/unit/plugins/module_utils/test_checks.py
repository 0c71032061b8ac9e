"""Every finding, each with a negative case beside the positive one.

Facts start from the healthy Debian 12 tree (nothing above low) and each test
changes only what its incident changed, so a finding that fires on the
healthy baseline, or does not fire on the broken variant, fails here.
"""
import copy
import os

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.kernel_release import parse_kernel_release
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_modprobe import modprobe_facts

TREES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "integration", "trees")
_BASE = Gatherer(os.path.join(TREES, "healthy-debian12-docker")).run()


@pytest.fixture
def facts():
    return copy.deepcopy(_BASE)


def ids(facts, extra=()):
    return dict((f["id"], f["severity"]) for f in run_checks(facts, extra))


def set_kernel(facts, release):
    cmdline = facts["kernel"].get("cmdline")
    facts["kernel"] = parse_kernel_release(release)
    facts["kernel"]["cmdline"] = cmdline


def set_modprobe(facts, files, cmdline=None):
    parsed = modprobe_facts(files, cmdline)
    facts["modules"]["modprobe"] = dict((k, parsed[k]) for k in ("files", "directives", "cmdline_blacklist"))


def unload(facts, *names):
    for name in names:
        facts["modules"]["loaded"].pop(name, None)


def test_baseline_is_clean(facts):
    assert [i for i, s in ids(facts).items() if s not in ("info", "low")] == []


# ------------------------------------------------ CONNTRACK_MODULE_DISABLED
def test_blacklist_of_a_module_this_kernel_lacks_is_low(facts):
    set_modprobe(facts, {"/etc/modprobe.d/blacklist.conf": "blacklist nf_conntrack_ipv4\n"})
    assert ids(facts)["CONNTRACK_MODULE_DISABLED"] == "low"  # 6.1 merged it into nf_conntrack


def test_same_blacklist_on_old_kernel_with_nat_is_critical(facts):
    set_kernel(facts, "3.10.0-514.el7.x86_64")
    facts["modules"]["available"] = ["nf_conntrack", "nf_conntrack_ipv4", "nf_nat", "iptable_nat"]
    set_modprobe(facts, {"/etc/modprobe.d/blacklist.conf": "blacklist nf_conntrack_ipv4\n"})
    assert ids(facts)["CONNTRACK_MODULE_DISABLED"] == "critical"


def test_old_kernel_without_any_conntrack_user_is_high(facts):
    # The first NAT or conntrack rule will hang in the request_module loop for ever (seed 000):
    # nothing uses it yet, so high rather than critical.
    set_kernel(facts, "3.10.0-514.el7.x86_64")
    facts["modules"]["available"] = ["nf_conntrack", "nf_conntrack_ipv4"]
    facts["netfilter_rules"].update(nat_in_use=False, conntrack_match_in_use=False)
    facts["environment"].update(container_runtimes=[], kubernetes=False, libvirt=False)
    set_modprobe(facts, {"/etc/modprobe.d/blacklist.conf": "blacklist nf_conntrack_ipv4\n"})
    assert ids(facts)["CONNTRACK_MODULE_DISABLED"] == "high"


def test_install_false_for_an_unloaded_module_in_use_is_critical(facts):
    unload(facts, "nf_conntrack", "nf_nat", "xt_conntrack", "xt_MASQUERADE")
    set_modprobe(facts, {"/etc/modprobe.d/nfdoctor-incident.conf": "install nf_conntrack /bin/false\n"})
    assert ids(facts)["CONNTRACK_MODULE_DISABLED"] == "critical"


def test_install_false_for_a_loaded_module_bites_at_next_boot(facts):
    set_modprobe(facts, {"/etc/modprobe.d/nfdoctor-incident.conf": "install nf_conntrack /bin/false\n"})
    assert ids(facts)["CONNTRACK_MODULE_DISABLED"] == "high"


def test_commented_line_and_shadowed_vendor_file_are_not_findings(facts):
    set_modprobe(facts, {
        "/etc/modprobe.d/blacklist.conf": "# blacklist nf_conntrack\n",
        "/usr/lib/modprobe.d/nf.conf": "install nf_conntrack /bin/true\n",
        "/etc/modprobe.d/nf.conf": "# overridden by the admin\n",
    })
    assert "CONNTRACK_MODULE_DISABLED" not in ids(facts)


def test_cmdline_blacklist_counts(facts):
    unload(facts, "nf_conntrack", "nf_nat", "xt_conntrack", "xt_MASQUERADE")
    set_modprobe(facts, {}, cmdline="BOOT_IMAGE=/vmlinuz ro modprobe.blacklist=nf_conntrack,floppy")
    assert "CONNTRACK_MODULE_DISABLED" in ids(facts)


# -------------------------------------------------------- stuck processes
STACK_MODULE = [{"symbol": "call_usermodehelper_exec"}, {"symbol": "__request_module"}]


def test_module_load_stuck(facts):
    facts["processes"]["stuck"] = [{"pid": 7, "comm": "iptables", "state": "D", "cmdline": "iptables -t nat -L",
                                    "stack": STACK_MODULE, "matched_path": "module_request", "age_seconds": 600}]
    assert ids(facts)["MODULE_LOAD_STUCK"] == "critical"
    facts["processes"]["stuck"][0]["age_seconds"] = 2  # a normal load in flight
    assert ids(facts)["MODULE_LOAD_STUCK"] == "info"


def _one(facts, finding_id):
    return [f for f in run_checks(facts) if f["id"] == finding_id][0]


def test_module_load_stuck_names_the_role_only_while_a_module_is_disabled(facts):
    """conntrack_modules removes what disables a conntrack module; once nothing does, the stuck
    request (a sosreport's listing taken before the fix, or another cause) is told without a role."""
    facts["processes"]["stuck"] = [{"pid": 7, "comm": "iptables", "state": "D", "cmdline": "iptables -t nat -L",
                                    "stack": STACK_MODULE, "matched_path": "module_request", "age_seconds": 600}]
    stuck = _one(facts, "MODULE_LOAD_STUCK")
    assert stuck["role"] is None and "nothing in the modprobe configuration" in stuck["detail"]
    assert stuck["severity"] == "critical"  # still stuck: the severity does not fall with the role
    set_modprobe(facts, {"/etc/modprobe.d/no-nat.conf": "install nf_nat /bin/false\n"})
    stuck = _one(facts, "MODULE_LOAD_STUCK")
    assert stuck["role"] == "nfdoctor.netfilter.conntrack_modules"
    assert "nothing in the modprobe configuration" not in stuck["detail"]


def test_d_state_elsewhere_is_not_module_load_stuck(facts):
    facts["processes"]["stuck"] = [{"pid": 7, "comm": "dd", "state": "D", "stack": [{"symbol": "io_schedule"}],
                                    "matched_path": None}]
    found = ids(facts)
    assert "MODULE_LOAD_STUCK" not in found and "NETNS_CLEANUP_STUCK" not in found


def test_netns_cleanup_stuck(facts):
    facts["processes"]["stuck"] = [{"pid": 9, "comm": "kworker/u128:1", "state": "R",
                                    "stack": [{"symbol": "inet_frags_exit_net"}, {"symbol": "cleanup_net"}],
                                    "matched_path": "netns_cleanup"}]
    assert ids(facts)["NETNS_CLEANUP_STUCK"] == "critical"


# ---------------------------------------------------------- br_netfilter
def test_br_netfilter_not_loaded_on_docker_host_matters_only_with_icc_false(facts):
    # dockerd loads br_netfilter itself and needs it only for icc=false / userland-proxy=false (moby).
    unload(facts, "br_netfilter")
    facts["br_netfilter"]["loaded"] = False
    assert ids(facts)["BR_NETFILTER_NOT_LOADED"] == "info"
    facts["docker"] = {"daemon_json": "/etc/docker/daemon.json", "icc": False, "userland_proxy": None}
    assert ids(facts)["BR_NETFILTER_NOT_LOADED"] == "medium"


def test_br_netfilter_not_loaded_on_kubernetes_node_says_so(facts):
    facts["br_netfilter"]["loaded"] = False
    facts["environment"]["kubernetes"] = True
    facts["bridges"] = {"cni0": {"ports": ["veth1a2b3c4d"], "kind": "cni",
                                 "kind_evidence": "veth port(s) veth1a2b3c4d on a Kubernetes node"}}
    finding = [f for f in run_checks(facts) if f["id"] == "BR_NETFILTER_NOT_LOADED"][0]
    assert finding["severity"] == "high" and "Kubernetes" in finding["detail"]


def test_br_netfilter_not_loaded_without_bridges_is_nothing(facts):
    facts["br_netfilter"]["loaded"] = False
    facts["bridges"] = {}
    assert "BR_NETFILTER_NOT_LOADED" not in ids(facts)


def test_br_netfilter_on_a_pre_split_kernel_is_nothing(facts):
    facts["br_netfilter"].update(loaded=False, split_kernel=False, module_available=False)
    assert "BR_NETFILTER_NOT_LOADED" not in ids(facts)


def test_br_netfilter_plain_bridge_is_low_with_rules_and_info_without(facts):
    facts["br_netfilter"]["loaded"] = False
    facts["environment"].update(container_runtimes=[], kubernetes=False)
    facts["bridges"] = {"br0": {"ports": ["dummy0"], "kind": "other", "kind_evidence": "ports: dummy0"}}
    assert ids(facts)["BR_NETFILTER_NOT_LOADED"] == "low"
    facts["netfilter_rules"]["rule_count"] = 0
    assert ids(facts)["BR_NETFILTER_NOT_LOADED"] == "info"


def _cni_node(facts):
    facts["environment"]["kubernetes"] = True
    facts["bridges"] = {"cni0": {"ports": ["veth1a2b3c4d"], "kind": "cni", "kind_evidence": "veth port(s)"}}


def test_br_netfilter_not_persistent(facts):
    facts["br_netfilter"]["persisted_in"] = []
    assert "BR_NETFILTER_NOT_PERSISTENT" not in ids(facts)  # Docker host: dockerd loads it at every start
    _cni_node(facts)
    assert ids(facts)["BR_NETFILTER_NOT_PERSISTENT"] == "high"
    facts["br_netfilter"]["loaded_by_services"] = [
        {"file": "/usr/lib/systemd/system/neutron-openvswitch-agent.service", "line": 9,
         "text": "ExecStartPre=-/sbin/modprobe br_netfilter"}]
    assert "BR_NETFILTER_NOT_PERSISTENT" not in ids(facts)


def test_br_netfilter_persisted_but_blacklisted(facts):
    _cni_node(facts)
    facts["br_netfilter"]["blocked_by"] = [{"kind": "blacklist", "file": "/etc/modprobe.d/bl.conf", "line": 3,
                                            "text": "blacklist br_netfilter"}]
    finding = [f for f in run_checks(facts) if f["id"] == "BR_NETFILTER_NOT_PERSISTENT"][0]
    assert "/etc/modprobe.d/bl.conf:3" in finding["detail"]


def test_bridge_nf_call_disabled(facts):
    facts["br_netfilter"]["sysctls"]["bridge-nf-call-iptables"] = 0
    assert ids(facts)["BRIDGE_NF_CALL_DISABLED"] == "info"  # Docker with icc=true does not need it
    facts["docker"] = {"daemon_json": "/etc/docker/daemon.json", "icc": False, "userland_proxy": None}
    assert ids(facts)["BRIDGE_NF_CALL_DISABLED"] == "medium"


def test_bridge_nf_call_arptables_off_alone_is_nothing(facts):
    facts["br_netfilter"]["sysctls"]["bridge-nf-call-arptables"] = 0
    assert "BRIDGE_NF_CALL_DISABLED" not in ids(facts)


# ------------------------------------------------------------- forwarding
def test_interface_forwarding_off(facts):
    facts["forwarding"]["interfaces"]["ens3"]["ipv4"] = 0
    assert ids(facts)["INTERFACE_FORWARDING_OFF"] == "high"


def _finding(facts, finding_id):
    return [f for f in run_checks(facts) if f["id"] == finding_id][0]


def test_interface_forwarding_off_on_a_networkd_link_names_networkd_forwarding(facts):
    facts["forwarding"]["interfaces"]["ens3"]["ipv4"] = 0
    facts["networkd"]["network_files"] = [{"path": "/etc/systemd/network/10-ens3.network", "interfaces": ["ens3"],
                                           "shadowed_by": None}]
    assert _finding(facts, "INTERFACE_FORWARDING_OFF")["role"] == "nfdoctor.netfilter.networkd_forwarding"


def test_interface_forwarding_off_on_a_link_networkd_does_not_manage_names_no_role(facts):
    # remediate.yml runs roles by the finding's role: networkd_forwarding cannot fix ens3 here
    facts["forwarding"]["interfaces"]["ens3"]["ipv4"] = 0
    facts["networkd"]["network_files"] = [{"path": "/etc/systemd/network/10-ens4.network", "interfaces": ["ens4"],
                                           "shadowed_by": None},
                                          {"path": "/run/systemd/network/10-ens3.network", "interfaces": ["ens3"],
                                           "shadowed_by": "/etc/systemd/network/10-ens3.network"}]
    finding = _finding(facts, "INTERFACE_FORWARDING_OFF")
    assert finding["role"] is None
    assert "systemd-networkd manages none of them" in finding["detail"]


def test_interface_forwarding_off_when_host_does_not_forward_is_nothing(facts):
    facts["forwarding"]["ipv4"] = 0
    facts["forwarding"]["interfaces"]["ens3"]["ipv4"] = 0
    assert "INTERFACE_FORWARDING_OFF" not in ids(facts)


def _networkd(facts, version, network_settings, conf_settings=None):
    facts["networkd"]["version"] = version
    facts["networkd"]["conf"]["settings"] = conf_settings or {}
    nfile = facts["networkd"]["network_files"][0]
    nfile["settings"] = dict({"IPForward": None, "IPv4Forwarding": None, "IPv6Forwarding": None,
                              "IPMasquerade": None}, **network_settings)


def test_networkd_225_without_ipforward_resets(facts):
    _networkd(facts, 225, {})
    assert ids(facts)["NETWORKD_FORWARDING_RESET"] == "high"


def test_networkd_225_with_ipforward_yes_is_fine(facts):
    _networkd(facts, 225, {"IPForward": {"value": "yes", "file": "/etc/systemd/network/10-ens3.network", "line": 5}})
    assert "NETWORKD_FORWARDING_RESET" not in ids(facts)


def test_networkd_252_never_resets(facts):
    _networkd(facts, 252, {})
    assert "NETWORKD_FORWARDING_RESET" not in ids(facts)


def test_networkd_257_conf_forwarding_no_resets_and_ipforward_is_ignored(facts):
    _networkd(facts, 257,
              {"IPForward": {"value": "yes", "file": "/etc/systemd/network/10-ens3.network", "line": 5}},
              {"IPv4Forwarding": {"value": "no", "file": "/etc/systemd/networkd.conf.d/50-fwd.conf", "line": 2}})
    found = ids(facts)
    assert found["NETWORKD_FORWARDING_RESET"] == "high"
    assert found["NETWORKD_IPFORWARD_IGNORED"] == "high"


def test_networkd_257_with_ipv4forwarding_yes_is_fine(facts):
    _networkd(facts, 257,
              {"IPv4Forwarding": {"value": "yes", "file": "/etc/systemd/network/10-ens3.network.d/f.conf", "line": 2}},
              {"IPv4Forwarding": {"value": "no", "file": "/etc/systemd/networkd.conf.d/50-fwd.conf", "line": 2}})
    found = run_checks(facts)
    assert "NETWORKD_IPFORWARD_IGNORED" not in [f["id"] for f in found]
    # The link keeps forwarding, but networkd.conf's IPv4Forwarding=no still zeroes all/default forwarding
    # for the whole host, docker0 included (manager_set_ip_forwarding, systemd 256).
    resets = [f for f in found if f["id"] == "NETWORKD_FORWARDING_RESET"]
    assert len(resets) == 1 and "whole host" in resets[0]["detail"] and resets[0]["severity"] == "critical"


def test_networkd_not_running_is_nothing(facts):
    _networkd(facts, 225, {})
    facts["networkd"]["running"] = False
    assert "NETWORKD_FORWARDING_RESET" not in ids(facts)


# --------------------------------------------------------------- conntrack
def test_insert_failed_rising_is_high(facts):
    facts["conntrack"]["stats"]["totals"]["insert_failed"] = 12
    facts["conntrack"]["rates"] = {"interval": 2.0, "per_second": {"insert_failed": 1.5}}
    assert ids(facts)["CONNTRACK_INSERT_FAILED"] == "high"


def test_insert_failed_old_and_small_is_low(facts):
    facts["conntrack"]["stats"]["totals"]["insert_failed"] = 12
    assert ids(facts)["CONNTRACK_INSERT_FAILED"] == "low"


def test_insert_failed_zero_is_nothing(facts):
    facts["conntrack"]["rates"] = {"interval": 2.0, "per_second": {"insert_failed": 0.0}}
    assert "CONNTRACK_INSERT_FAILED" not in ids(facts)


def test_flush_job_is_medium_and_high_with_insert_failed(facts):
    facts["conntrack_flush_jobs"] = [{"file": "/etc/cron.d/x", "line": 2, "text": "* * * * * root conntrack -F",
                                      "kind": "cron"}]
    assert ids(facts)["CONNTRACK_FLUSH_SCHEDULED"] == "medium"
    facts["conntrack"]["stats"]["totals"]["insert_failed"] = 5
    assert ids(facts)["CONNTRACK_FLUSH_SCHEDULED"] == "high"


def test_insert_failed_names_the_role_only_while_a_flush_job_is_left(facts):
    """What conntrack_hygiene does for insert_failed is stop the flush jobs: without one the
    counter (since boot) is history or has another cause, and the finding names no role."""
    facts["conntrack"]["stats"]["totals"]["insert_failed"] = 1500
    failed = _one(facts, "CONNTRACK_INSERT_FAILED")
    assert failed["role"] is None and "no scheduled conntrack flush is left" in failed["detail"]
    assert "since boot" in failed["remediation"]
    facts["conntrack_flush_jobs"] = [{"file": "/etc/cron.d/x", "line": 2, "text": "* * * * * root conntrack -F",
                                      "kind": "cron"}]
    failed = _one(facts, "CONNTRACK_INSERT_FAILED")
    assert failed["role"] == "nfdoctor.netfilter.conntrack_hygiene"
    assert "/etc/cron.d/x" in failed["detail"] and "no scheduled conntrack flush" not in failed["detail"]


def test_table_near_full(facts):
    facts["conntrack"].update(count=250000, max=262144, fill_ratio=round(250000 / 262144.0, 4))
    assert ids(facts)["CONNTRACK_TABLE_NEAR_FULL"] == "critical"
    facts["conntrack"].update(count=220000, fill_ratio=round(220000 / 262144.0, 4))
    assert ids(facts)["CONNTRACK_TABLE_NEAR_FULL"] == "high"
    facts["conntrack"].update(count=100000, fill_ratio=round(100000 / 262144.0, 4))
    assert "CONNTRACK_TABLE_NEAR_FULL" not in ids(facts)


# ----------------------------------------------------------------- kernels
def test_netns_kernel_in_range_with_namespaces_is_high(facts):
    set_kernel(facts, "4.16.13-1.el7.elrepo.x86_64")
    assert ids(facts)["NETNS_CLEANUP_HANG_KERNEL"] == "high"


def test_netns_kernel_fixed_is_nothing(facts):
    set_kernel(facts, "4.19.10-1.el7.elrepo.x86_64")
    assert "NETNS_CLEANUP_HANG_KERNEL" not in ids(facts)


def test_netns_kernel_without_namespaces_is_low(facts):
    set_kernel(facts, "4.16.13-1.el7.elrepo.x86_64")
    facts["environment"].update(container_runtimes=[], kubernetes=False)
    facts["namespaces"]["count"] = 0
    assert ids(facts)["NETNS_CLEANUP_HANG_KERNEL"] == "low"


def test_debian_49_is_possibly_affected_with_low_confidence(facts):
    # 4.9.y got the rhashtable backport at a z-version not pinned, and Debian's 4.9.0 hides the patch level.
    set_kernel(facts, "4.9.0-19-amd64")
    finding = [f for f in run_checks(facts) if f["id"] == "NETNS_CLEANUP_HANG_KERNEL"][0]
    assert finding["confidence"] == "low" and finding["severity"] == "medium"


def test_nfqueue_kernel_with_queue_rules(facts):
    set_kernel(facts, "3.2.0-4-amd64")
    facts["netfilter_rules"]["nfqueue"] = [{"text": "-A PREROUTING -j NFQUEUE", "table": "mangle"}]
    assert ids(facts)["NFQUEUE_GSO_CRASH_RISK"] == "high"
    facts["netfilter_rules"]["nfqueue"] = []
    assert "NFQUEUE_GSO_CRASH_RISK" not in ids(facts)  # the crash path needs a queue rule


def test_user_known_bad_entry(facts):
    entry = {"id": "vendor-1", "finding": "VENDOR_BUG", "affected": [{"introduced": "6.1", "fixed": "6.2"}],
             "trigger": "nat", "summary": "vendor bug", "fixed_in": "6.2"}
    found = ids(facts, [entry])
    assert found["VENDOR_BUG"] == "high"
    entry["affected"] = [{"introduced": "5.10", "fixed": "6.1"}]
    assert "VENDOR_BUG" not in ids(facts, [entry])


def test_crash_dump_signature(facts):
    facts["crash"]["dumps"] = [{"path": "/var/crash/1", "signature": "nf_queue_gso", "evidence": "nf_queue+0x98",
                                "release": facts["kernel"]["release"]}]
    assert ids(facts)["KERNEL_CRASH_NF_QUEUE"] == "critical"
    facts["crash"]["dumps"][0]["signature"] = None
    assert "KERNEL_CRASH_NF_QUEUE" not in ids(facts)


def test_findings_are_sorted_worst_first(facts):
    facts["processes"]["stuck"] = [{"pid": 7, "comm": "x", "state": "D", "stack": STACK_MODULE,
                                    "matched_path": "module_request", "age_seconds": 90}]
    facts["br_netfilter"]["persisted_in"] = []
    severities = [f["severity"] for f in run_checks(facts)]
    assert severities[0] == "critical"


def test_networkd_257_reset_when_sysctl_d_wants_forwarding_but_live_is_already_0(facts):
    # Debian 13 incident: networkd.conf IPv4Forwarding=no has already zeroed ip_forward,
    # and only sysctl.d still says what the host is for.
    _networkd(facts, 257, {}, {"IPv4Forwarding": {"value": "no", "file": "/etc/systemd/networkd.conf.d/50.conf",
                                                  "line": 2}})
    facts["environment"].update(container_runtimes=[], kubernetes=False)
    facts["forwarding"]["ipv4"] = 0
    facts["forwarding"]["configured"] = {"net.ipv4.ip_forward": {"value": "1", "file": "/etc/sysctl.d/99-fwd.conf",
                                                                 "line": 1}}
    finding = [f for f in run_checks(facts) if f["id"] == "NETWORKD_FORWARDING_RESET"][0]
    assert "/etc/sysctl.d/99-fwd.conf:1 asks for 1" in finding["detail"]
    assert {"file": "/etc/sysctl.d/99-fwd.conf", "line": 1, "value": "net.ipv4.ip_forward = 1"} in finding["evidence"]
    facts["forwarding"]["configured"] = {}
    assert "NETWORKD_FORWARDING_RESET" not in ids(facts)  # nobody wants forwarding: networkd is right


def test_networkd_257_ipforward_left_beside_ipv4forwarding_is_no_finding(facts):
    # After remediation: the user's IPForward=yes stays, nfdoctor's drop-in sets IPv4Forwarding=yes.
    _networkd(facts, 257,
              {"IPForward": {"value": "yes", "file": "/etc/systemd/network/10-ens3.network", "line": 5},
               "IPv4Forwarding": {"value": "yes", "file": "/etc/systemd/network/10-ens3.network.d/50.conf",
                                  "line": 2}},
              {"IPv4Forwarding": {"value": "no", "file": "/etc/systemd/networkd.conf.d/50-fwd.conf", "line": 2}})
    found = ids(facts)
    # IPv4Forwarding=yes does what the ignored key meant; the leftover IPForward= changes nothing
    assert "NETWORKD_IPFORWARD_IGNORED" not in found
    assert found["NETWORKD_FORWARDING_RESET"] == "critical"  # networkd.conf's host-wide IPv4Forwarding=no
    facts["networkd"]["conf"]["settings"]["IPv4Forwarding"]["value"] = "yes"  # the role's override drop-in
    assert "NETWORKD_FORWARDING_RESET" not in ids(facts)


def test_one_crashing_check_costs_only_its_own_findings(facts, monkeypatch):
    from ansible_collections.nfdoctor.netfilter.plugins.module_utils import checks

    def broken(_facts):
        raise KeyError("match")

    facts["forwarding"]["interfaces"]["ens3"]["ipv4"] = 0  # INTERFACE_FORWARDING_OFF from another check
    monkeypatch.setattr(checks, "ALL_CHECKS", [broken] + list(checks.ALL_CHECKS))
    found = checks.run_checks(facts)
    assert "INTERFACE_FORWARDING_OFF" in [f["id"] for f in found]
    assert {"source": "check:broken", "message": "internal error KeyError: 'match'"} in facts["errors"]
