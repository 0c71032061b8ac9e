"""One host, laid out as our capture, as a real sos 3.9 report (RHEL 7) and as sos 4.x: same key facts.

The layouts are built in the test from one set of outputs: each output is
written under the file name the layout really uses (sos names read from the
sos source, see plugins/module_utils/sos_layout.py). A fact that one layout
loses shows up here as a difference, and the provenance says which file
each layout answered from.
"""
import os
import shutil

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import host_source
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.provenance import Provenance

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")

IPTABLES_SAVE = """*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 8000 -j NFQUEUE --queue-num 0
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
COMMIT
"""
NAT_NVL = """Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination

Chain OUTPUT (policy ACCEPT 10 packets, 600 bytes)
 pkts bytes target     prot opt in     out     source               destination

Chain POSTROUTING (policy ACCEPT 10 packets, 600 bytes)
 pkts bytes target     prot opt in     out     source               destination
    0     0 MASQUERADE  all  --  *      !docker0  172.17.0.0/16        0.0.0.0/0
"""
FILTER_NVL = """Chain INPUT (policy ACCEPT 3386K packets, 2827M bytes)
 pkts bytes target     prot opt in     out     source               destination
   12   720 NFQUEUE    tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:8000 NFQUEUE num 0

Chain FORWARD (policy DROP 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination
 5142 6792K ACCEPT     all  --  *      docker0  0.0.0.0/0            0.0.0.0/0            ctstate RELATED,ESTABLISHED
11502  673K ACCEPT     all  --  docker0 !docker0  0.0.0.0/0            0.0.0.0/0

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
 pkts bytes target     prot opt in     out     source               destination
"""
IP_D_ADDRESS = """1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000
    link/ether 52:54:00:3a:11:07 brd ff:ff:ff:ff:ff:ff promiscuity 0
3: docker0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default
    link/ether 02:42:4f:d1:9e:03 brd ff:ff:ff:ff:ff:ff promiscuity 0
    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768
5: veth1a2b3c@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master docker0 state UP group default
    link/ether 4e:68:29:1e:ed:52 brd ff:ff:ff:ff:ff:ff link-netnsid 0 promiscuity 1
    veth
    bridge_slave state forwarding priority 32 cost 2 hairpin off guard off root_block off fastleave off
6: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default
    link/ether 5a:bc:16:3c:d0:f0 brd ff:ff:ff:ff:ff:ff promiscuity 0
    vxlan id 1 local 10.20.1.17 dev eth0 srcport 0 0 dstport 8472 nolearning ttl inherit ageing 300
"""
INTERFACES = ("lo", "eth0", "docker0", "veth1a2b3c", "flannel.1")
PS_HEADER_39 = ("F S   UID     PID    PPID    PGID     SID CLS PRI ADDR    SZ WCHAN                "
                "                 STARTED TT           TIME CMD\n")
PS_HEADER_471 = ("F S   UID     PID    PPID    PGID     SID CLS PRI PSR ADDR    SZ WCHAN                "
                 "                 STARTED TT           TIME CMD\n")
PS_ROWS = [
    ("4 S     0       1       0       1       1  TS  19 {psr}   - 48000 ep_poll              "
     "Mon Mar  4 08:00:00 2024 ?        00:01:02 /usr/lib/systemd/systemd --system"),
    ("0 D     0    4242    4240    4242    4242  TS  19 {psr}   -  1024 call_usermodehelper_ "
     "Mon Mar  4 09:00:00 2024 ?        00:00:00 modprobe nf_conntrack_ipv4"),
    ("1 I     0      22       2       0       0  TS  39 {psr}   -     0 rescuer_thread       "
     "Mon Mar  4 08:00:00 2024 ?        00:00:00 [netns]"),
]
STACK = ("[<ffffffff810b3d5e>] call_usermodehelper_exec+0x12e/0x180\n"
         "[<ffffffff810b44a8>] __request_module+0x158/0x2a0\n"
         "[<ffffffffc05d1b7e>] nf_ct_l3proto_try_module_get+0x5e/0x90 [nf_conntrack]\n")
STAT = "4242 (modprobe) D 4240 4242 4242 0 -1 4194560 300 0 0 0 0 1 0 0 20 0 1 0 900000 10000 100\n"
STATUS = "Name:\tmodprobe\nUmask:\t0022\nState:\tD (disk sleep)\nTgid:\t4242\nPid:\t4242\nPPid:\t4240\n"
NETWORK_FILE = "[Match]\nName=eth0\n\n[Network]\nDHCP=yes\n"


def write(root, path, text):
    full = os.path.join(str(root), path.lstrip("/"))
    if not os.path.isdir(os.path.dirname(full)):
        os.makedirs(os.path.dirname(full))
    with open(full, "w") as handle:
        handle.write(text)


def common(root):
    write(root, "/etc/hostname", "node1\n")
    write(root, "/proc/sys/kernel/osrelease", "3.10.0-1160.el7.x86_64\n")
    write(root, "/proc/sys/net/ipv4/ip_forward", "1\n")
    write(root, "/etc/systemd/network/10-eth0.network", NETWORK_FILE)
    for name in INTERFACES:
        write(root, "/proc/sys/net/ipv4/conf/%s/forwarding" % name, "0\n" if name == "flannel.1" else "1\n")


def build_capture(root):
    """Our own capture: iptables-save, systemctl --version, sysfs bridge dirs, /proc/PID/{stat,stack}."""
    common(root)
    write(root, "/sos_commands/networking/iptables-save", IPTABLES_SAVE)
    write(root, "/sos_commands/systemd/systemctl_--version", "systemd 219\n+PAM +AUDIT +SELINUX\n")
    for name in INTERFACES:
        write(root, "/sys/class/net/%s/type" % name, "1\n")
    write(root, "/sys/class/net/docker0/bridge/bridge_id", "8000.02424fd19e03\n")
    write(root, "/sys/class/net/docker0/brif/veth1a2b3c", "")
    write(root, "/proc/4242/stat", STAT)
    # the same moment as the sos layouts' date: started 9000 s after boot (stat field 22), 1800 s ago
    write(root, "/proc/uptime", "10800.00 21000.00\n")
    write(root, "/proc/4242/stack", STACK)
    write(root, "/proc/4242/cmdline", "modprobe\0nf_conntrack_ipv4\0")
    write(root, "/run/netns/cni-1f2e", "")
    write(root, "/run/systemd/netif/links/2", "ADMIN_STATE=configured\n")


def sos_common(root, plugin_rules):
    common(root)
    for name in INTERFACES:  # sos copies /sys/class/net/X only as flags, statistics/, device/numa_node
        write(root, "/sys/class/net/%s/flags" % name, "0x1003\n")
    write(root, "/sos_commands/%s/iptables_-t_nat_-nvL" % plugin_rules, NAT_NVL)
    write(root, "/sos_commands/%s/iptables_-t_filter_-nvL" % plugin_rules, FILTER_NVL)
    write(root, "/sos_commands/%s/iptables_-vnxL" % plugin_rules, FILTER_NVL)
    write(root, "/sos_commands/networking/ip_-d_address", IP_D_ADDRESS)
    write(root, "/sos_commands/networking/ip_netns", "cni-1f2e (id: 0)\n")
    write(root, "/sos_commands/systemd/systemctl_list-units",
          "  UNIT                     LOAD   ACTIVE SUB     DESCRIPTION\n"
          "  systemd-networkd.service loaded active running Network Service\n")
    write(root, "/sos_commands/date/date", "Mon Mar  4 09:30:00 UTC 2024\n")


def build_sos39(root):
    """sos 3.9 on RHEL 7: rules under networking/, no /proc/PID/*, the version in installed-rpms."""
    sos_common(root, "networking")
    write(root, "/version.txt", "sosreport: 3.9\n")
    write(root, "/sos_commands/systemd/systemctl_show_--all", "Version=219\nFeatures=+PAM +AUDIT\n")
    write(root, "/installed-rpms", "systemd-219-78.el7_9.7.x86_64                Tue 01 Mar 2022 10:11:13 AM UTC\n")
    write(root, "/sos_commands/process/"
                "ps_axo_flags_state_uid_pid_ppid_pgid_sid_cls_pri_addr_sz_wchan_20_lstart_tty_time_cmd",
          PS_HEADER_39 + "\n".join(row.replace(" {psr}", "") for row in PS_ROWS) + "\n")


def build_sos4(root):
    """sos 4.7.2 (RHEL 8/9 style): firewall_tables/, psr column, /proc/PID/status and stack."""
    sos_common(root, "firewall_tables")
    write(root, "/version.txt", "sos report: 4.7.2\n")
    write(root, "/sos_reports/manifest.json", '{"version": "4.7.2", "cmdline": "sos report --batch"}')
    write(root, "/sos_commands/systemd/systemctl_show_--all", "Version=219\nFeatures=+PAM +AUDIT\n")
    write(root, "/sos_commands/process/"
                "ps_axo_flags_state_uid_pid_ppid_pgid_sid_cls_pri_psr_addr_sz_wchan_20_lstart_tty_time_cmd",
          PS_HEADER_471 + "\n".join(row.replace("{psr}", "1") for row in PS_ROWS) + "\n")
    write(root, "/proc/4242/status", STATUS)
    write(root, "/proc/4242/stack", STACK)
    write(root, "/proc/1/status", "Name:\tsystemd\nState:\tS (sleeping)\nPid:\t1\n")
    write(root, "/sos_commands/networking/namespaces/cni-1f2e/ip_-d_address_show", "")


BUILDERS = {"capture": build_capture, "sos 3.9": build_sos39, "sos 4.7.2": build_sos4}


@pytest.fixture(autouse=True)
def no_commands(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a command was run for a captured tree: %r" % (args,))
    monkeypatch.setattr(host_source.subprocess, "Popen", refuse)


def gather(tmp_path, layout):
    root = tmp_path / layout.replace(" ", "_")
    root.mkdir()
    BUILDERS[layout](root)
    facts = Gatherer(str(root)).run()
    facts["findings"] = run_checks(facts)
    return facts


def key_facts(facts):
    rules = facts["netfilter_rules"]
    return {
        "nat_in_use": rules["nat_in_use"],
        "masquerade_in_use": rules["masquerade_in_use"],
        "conntrack_match_in_use": rules["conntrack_match_in_use"],
        "nfqueue": [(r["table"], r["chain"], r["target"]) for r in rules["nfqueue"]],
        "rule_count": rules["rule_count"],
        "systemd_version": facts["networkd"]["version"],
        "networkd_running": facts["networkd"]["running"],
        "bridges": dict((name, {"ports": b.get("ports"), "kind": b.get("kind")}) for name, b in facts["bridges"].items()),
        "stuck": [(p["pid"], p["state"], p["matched_path"]) for p in facts["processes"]["stuck"]],
        "namespaces": facts["namespaces"]["named"],
        "forwarding_off": sorted(n for n, v in facts["forwarding"]["interfaces"].items() if v["ipv4"] == 0),
    }


EXPECTED = {
    "nat_in_use": True, "masquerade_in_use": True, "conntrack_match_in_use": True,
    "nfqueue": [("filter", "INPUT", "NFQUEUE")], "rule_count": 4, "systemd_version": 219,
    "networkd_running": True, "bridges": {"docker0": {"ports": ["veth1a2b3c"], "kind": "docker"}},
    "stuck": [(4242, "D", "module_request")], "namespaces": ["cni-1f2e"], "forwarding_off": ["flannel.1"],
}


@pytest.mark.parametrize("layout", sorted(BUILDERS))
def test_every_layout_gives_the_same_key_facts(tmp_path, layout):
    assert key_facts(gather(tmp_path, layout)) == EXPECTED


def test_same_findings_in_every_layout(tmp_path):
    found = {}
    for layout in BUILDERS:
        facts = gather(tmp_path, layout)
        found[layout] = sorted((f["id"], f["severity"]) for f in facts["findings"])
    assert found["sos 3.9"] == found["capture"] == found["sos 4.7.2"]
    ids = [finding_id for finding_id, _severity in found["capture"]]
    # each of these was dead on a real sosreport before: stack, bridges, systemd version, dotted names
    for expected in ("MODULE_LOAD_STUCK", "BR_NETFILTER_NOT_LOADED", "NETWORKD_FORWARDING_RESET",
                     "INTERFACE_FORWARDING_OFF", "NFQUEUE_GSO_CRASH_RISK"):
        assert expected in ids


def test_provenance_names_the_file_each_layout_answered_from(tmp_path):
    capture = gather(tmp_path, "capture")["provenance"]
    sos39 = gather(tmp_path, "sos 3.9")["provenance"]
    sos4 = gather(tmp_path, "sos 4.7.2")["provenance"]
    assert capture["layout"] == "capture" and capture["sos_version"] is None
    assert capture["netfilter_rules"] == ["sos_commands/networking/iptables-save"]
    assert capture["bridges"] == ["/sys/class/net"]
    assert sos39["layout"] == "sos 3.x" and sos39["sos_version"] == "3.9"
    assert sos39["netfilter_rules"] == ["sos_commands/networking/iptables_-t_nat_-nvL",
                                        "sos_commands/networking/iptables_-t_filter_-nvL"]
    assert sos39["systemd_version"] == ["sos_commands/systemd/systemctl_show_--all"]
    assert sos39["bridges"] == ["sos_commands/networking/ip_-d_address"]
    assert sos39["namespaces"] == ["sos_commands/networking/ip_netns"]
    assert sos39["processes"][0].startswith("sos_commands/process/ps_axo_flags")
    assert sos4["layout"] == "sos 4.x" and sos4["sos_version"] == "4.7.2"
    assert sos4["netfilter_rules"][0] == "sos_commands/firewall_tables/iptables_-t_nat_-nvL"
    assert "/proc/PID/status" in sos4["processes"]
    assert "sos_commands/networking/namespaces" in sos4["namespaces"]


def test_sos39_matches_by_wait_channel_and_says_the_stack_is_missing(tmp_path):
    facts = gather(tmp_path, "sos 3.9")
    stuck = facts["processes"]["stuck"][0]
    assert stuck["matched_by"] == "wchan" and stuck["stack"] == []
    assert stuck["cmdline"] == "modprobe nf_conntrack_ipv4" and stuck["age_seconds"] == 1800
    messages = [e["message"] for e in facts["errors"] if e["source"] == "sos:processes"]
    assert messages and "sos >= 4.2" in messages[0] and "sos 3.9" in messages[0]
    sos4 = gather(tmp_path, "sos 4.7.2")["processes"]["stuck"][0]
    assert sos4["matched_by"] == "stack" and sos4["stack"][1]["symbol"] == "__request_module"


def test_filter_table_is_read_once_when_both_listings_exist(tmp_path):
    facts = gather(tmp_path, "sos 4.7.2")
    assert facts["netfilter_rules"]["rule_count"] == 4
    assert "sos_commands/firewall_tables/iptables_-vnxL" not in facts["provenance"]["netfilter_rules"]


def test_vnxl_alone_is_read_as_the_filter_table(tmp_path):
    root = tmp_path / "vnxl"
    root.mkdir()
    build_sos39(root)
    os.remove(str(root / "sos_commands/networking/iptables_-t_filter_-nvL"))
    facts = Gatherer(str(root)).run()
    assert facts["netfilter_rules"]["rule_count"] == 4
    assert facts["provenance"]["netfilter_rules"][-1] == "sos_commands/networking/iptables_-vnxL"


def test_report_without_rule_files_says_not_collected(tmp_path):
    root = tmp_path / "bare"
    root.mkdir()
    build_sos39(root)
    for name in ("iptables_-t_nat_-nvL", "iptables_-t_filter_-nvL", "iptables_-vnxL"):
        os.remove(str(root / "sos_commands/networking" / name))
    facts = Gatherer(str(root)).run()
    assert facts["netfilter_rules"]["nat_in_use"] is False
    assert facts["provenance"]["netfilter_rules"] == []
    messages = [e["message"] for e in facts["errors"] if e["source"] == "sos:netfilter_rules"]
    assert messages and "not collected, not absent" in messages[0]


def test_empty_iptables_save_is_collected_not_missing(tmp_path):
    root = tmp_path / "empty"
    root.mkdir()
    build_capture(root)
    write(root, "/sos_commands/networking/iptables-save", "")
    facts = Gatherer(str(root)).run()
    assert facts["netfilter_rules"]["rule_count"] == 0
    assert not [e for e in facts["errors"] if e["source"] == "sos:netfilter_rules"]


def test_nft_handle_listing_of_sos_461_is_read(tmp_path):
    root = tmp_path / "nft"
    root.mkdir()
    build_sos4(root)
    write(root, "/sos_commands/firewall_tables/nft_-a_list_ruleset",
          "table ip nat { # handle 3\n\tchain POSTROUTING { # handle 2\n"
          "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
          "\t\toifname \"eth0\" masquerade # handle 7\n\t}\n}\n")
    write(root, "/proc/modules", "nf_tables 245760 1 nft_chain_nat, Live 0xffffffffc0a00000\n")
    facts = Gatherer(str(root)).run()
    assert "sos_commands/firewall_tables/nft_-a_list_ruleset" in facts["provenance"]["netfilter_rules"]
    # the nat listing is the same table as nft's "table ip nat" (iptables-nft): read once, from nft
    assert facts["netfilter_rules"]["rule_count"] == 4


def test_networkd_not_in_unit_list_means_not_running(tmp_path):
    root = tmp_path / "nonetworkd"
    root.mkdir()
    build_sos39(root)
    write(root, "/sos_commands/systemd/systemctl_list-units",
          "  UNIT                     LOAD   ACTIVE SUB     DESCRIPTION\n"
          "  NetworkManager.service   loaded active running Network Manager\n")
    facts = Gatherer(str(root)).run()
    assert facts["networkd"]["running"] is False


def test_dotted_interface_reads_its_own_proc_sys_directory(tmp_path):
    """flannel.1 lives in conf/flannel.1/, not conf/flannel/1/ (the bug this guards)."""
    root = tmp_path / "dots"
    root.mkdir()
    build_capture(root)
    write(root, "/proc/sys/net/ipv4/conf/flannel/1/forwarding", "1\n")  # where the old code looked
    facts = Gatherer(str(root)).run()
    assert facts["forwarding"]["interfaces"]["flannel.1"]["ipv4"] == 0


def test_dotted_interface_from_sysctl_a_uses_slashes(tmp_path):
    root = tmp_path / "sysctl"
    root.mkdir()
    build_sos39(root)
    os.remove(str(root / "proc/sys/net/ipv4/conf/flannel.1/forwarding"))
    write(root, "/sos_commands/kernel/sysctl_-a", "net.ipv4.conf.flannel/1.forwarding = 0\n"
                                                  "net.ipv4.conf.flannel.1.forwarding = 1\n")
    facts = Gatherer(str(root)).run()
    assert facts["forwarding"]["interfaces"]["flannel.1"]["ipv4"] == 0


def test_sos_before_450_says_vendor_modprobe_dirs_are_not_collected(tmp_path):
    facts = gather(tmp_path, "sos 3.9")
    messages = [e["message"] for e in facts["errors"] if e["source"] == "sos:modprobe.d"]
    assert messages and "4.5.0" in messages[0] and "not collected" in messages[0]
    sos4 = gather(tmp_path, "sos 4.7.2")
    assert not [e for e in sos4["errors"] if e["source"] == "sos:modprobe.d"]
    capture = gather(tmp_path, "capture")
    assert not [e for e in capture["errors"] if e["source"].startswith("sos:")]


def test_container_runtime_from_the_sos_plugin_directory(tmp_path):
    root = tmp_path / "docker"
    root.mkdir()
    build_sos4(root)
    before = Gatherer(str(root)).run()
    assert before["environment"]["container_runtimes"] == ["docker"]  # from the docker0 bridge alone
    assert before["provenance"]["container_runtimes"] == []
    write(root, "/sos_commands/containerd/ctr_version", "Client:\n  Version:  1.6.12\n")
    facts = Gatherer(str(root)).run()
    assert facts["environment"]["container_runtimes"] == ["containerd", "docker"]
    assert facts["provenance"]["container_runtimes"] == ["sos_commands/containerd"]


def test_capture_without_process_dirs_is_not_an_error(tmp_path):
    """Our capture keeps /proc/PID only for candidates; a healthy host has none, and that is no gap."""
    root = tmp_path / "healthy"
    root.mkdir()
    build_capture(root)
    shutil.rmtree(str(root / "proc" / "4242"))
    facts = Gatherer(str(root)).run()
    assert facts["processes"]["stuck"] == []
    assert not [e for e in facts["errors"] if e["source"] == "sos:processes"]


def test_sos_report_without_process_data_says_not_collected(tmp_path):
    root = tmp_path / "noprocs"
    root.mkdir()
    build_sos39(root)
    os.remove(str(root / "sos_commands/process/"
                         "ps_axo_flags_state_uid_pid_ppid_pgid_sid_cls_pri_addr_sz_wchan_20_lstart_tty_time_cmd"))
    facts = Gatherer(str(root)).run()
    assert facts["processes"]["stuck"] == [] and facts["provenance"]["processes"] == []
    assert [e for e in facts["errors"] if e["source"] == "sos:processes" and "not collected" in e["message"]]


def test_live_provenance_names_the_live_sources():
    class Live(object):
        captured = False

    provenance = Provenance(Live()).provenance()
    assert provenance["layout"] == "live" and provenance["sos_version"] is None
    assert provenance["bridges"] == ["/sys/class/net/<if>/bridge", "/sys/class/net/<if>/brif/*"]


def test_iptables_nft_listings_are_not_counted_twice(tmp_path):
    """With iptables-nft, sos 4.3+ lists the tables nft shows: the same rules, read once (from nft)."""
    root = tmp_path / "iptnft"
    root.mkdir()
    build_sos4(root)
    write(root, "/proc/modules", "nf_tables 245760 1 nft_chain_nat, Live 0xffffffffc0a00000\n")
    write(root, "/sos_commands/firewall_tables/nft_-a_list_ruleset",
          "table ip nat { # handle 3\n\tchain POSTROUTING { # handle 2\n"
          "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
          "\t\tip saddr 172.17.0.0/16 oifname != \"docker0\" counter packets 0 bytes 0 masquerade # handle 7\n"
          "\t}\n}\n")
    facts = Gatherer(str(root)).run()
    sources = facts["provenance"]["netfilter_rules"]
    assert "sos_commands/firewall_tables/iptables_-t_nat_-nvL" not in sources
    assert "sos_commands/firewall_tables/iptables_-t_filter_-nvL" in sources
    assert facts["netfilter_rules"]["rule_count"] == 4 and facts["netfilter_rules"]["masquerade_in_use"]


def test_empty_ip_tables_names_means_no_legacy_tables(tmp_path):
    root = tmp_path / "nolegacy"
    root.mkdir()
    build_sos39(root)
    write(root, "/proc/net/ip_tables_names", "")
    facts = Gatherer(str(root)).run()
    assert facts["netfilter_rules"]["rule_count"] == 0
    write(root, "/proc/net/ip_tables_names", "nat\n")
    assert Gatherer(str(root)).run()["netfilter_rules"]["rule_count"] == 1
