"""Tests for the parsers of what real sosreports write, and for sos's file names.

Fixtures live in tests/unit/fixtures/sos (where each text came from:
tests/unit/fixtures/sos/SOURCES.md) and tests/unit/fixtures/proc.
"""
import doctest
import os

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import (
    parse_iptables_listing,
    parse_ps_listing,
    parse_systemd_state,
    sos_layout,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_iptables_listing import (
    parse_iptables_listing as listing,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_netfilter_rules import (
    parse_iptables_save,
    summarise_rules,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_net import parse_ip_link
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_ps_listing import (
    parse_ip_netns,
    parse_lstart,
    parse_ps_axo,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_systemd_state import (
    parse_package_version,
    parse_systemctl_list_units,
    parse_systemctl_show_version,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")


def fixture(*parts):
    with open(os.path.join(FIXTURES, *parts), encoding="utf-8") as handle:
        return handle.read()


@pytest.mark.parametrize("module", [parse_iptables_listing, parse_ps_listing, parse_systemd_state, sos_layout])
def test_docstring_examples(module):
    failures, tried = doctest.testmod(module)
    assert tried > 0 and failures == 0


# ---------------------------------------------------------------- sos names

@pytest.mark.parametrize("command, name", [
    # names as they appear in real reports (hotsos fake_data_root, sos 4.x Ubuntu)
    ("ps axo flags,state,uid,pid,ppid,pgid,sid,cls,pri,addr,sz,wchan:20,lstart,tty,time,cmd",
     "ps_axo_flags_state_uid_pid_ppid_pgid_sid_cls_pri_addr_sz_wchan_20_lstart_tty_time_cmd"),
    ("iptables -t nat -nvL", "iptables_-t_nat_-nvL"),
    ("iptables -vnxL", "iptables_-vnxL"),
    ("nft -a list ruleset", "nft_-a_list_ruleset"),
    ("systemctl show --all", "systemctl_show_--all"),
    ("ip -s -d link", "ip_-s_-d_link"),
    ("ip netns", "ip_netns"),
    ("ls -alhR /var/crash", "ls_-alhR_.var.crash"),
    ("/usr/bin/ceph daemon osd.0 perf dump", "ceph_daemon_osd.0_perf_dump"),
    ("systemctl show *service --all", "systemctl_show_service_--all"),
    ("lsof -b +M -n -l -c ''", "lsof_-b_M_-n_-l_-c"),
    ("blkid -c /dev/null", "blkid_-c_.dev.null"),
])
def test_sos_command_name_matches_real_report_names(command, name):
    assert sos_layout.sos_command_name(command) == name


def test_sos_command_name_accepts_argv_and_cuts_at_limit():
    assert sos_layout.sos_command_name(["ip", "-d", "address"]) == "ip_-d_address"
    assert sos_layout.sos_command_name("x" * 300) == "x" * 255
    assert sos_layout.sos_command_name("") == ""
    assert sos_layout.sos_command_name(None) == ""


def test_fact_table_names_the_versions_from_the_sos_source():
    assert sos_layout.first_sos_version("netfilter_rules", "nft_-a_list_ruleset") == "4.6.1"
    assert sos_layout.first_sos_version("netfilter_rules", "sos_commands/firewall_tables/iptables_-vnxL") == "4.1"
    assert sos_layout.first_sos_version("processes", "/proc/<pid>/status") == "4.2"
    assert sos_layout.first_sos_version("processes", "no_such_file") is None
    for family, row in sos_layout.FACT_LOCATIONS.items():
        assert set(row) == {sos_layout.LIVE, sos_layout.CAPTURE, "sos"}, family
        for name, first, _last, _note in row["sos"]:
            assert sos_layout.version_at_least(first, "3.0"), (family, name)


@pytest.mark.parametrize("version_txt, manifest, expected", [
    ("sosreport: 3.9\nnetworking: 3.9\n", None, "3.9"),       # sos 3.x version.txt
    ("sos report: 4.5.0", None, "4.5.0"),                     # sos 4.x version.txt
    (None, '{"version": "4.7.2", "cmdline": "sos report"}', "4.7.2"),
    ("sos report: 4.5.0", "{not json", "4.5.0"),              # broken manifest: fall back, say so
])
def test_parse_sos_version(version_txt, manifest, expected):
    result = sos_layout.parse_sos_version(version_txt, manifest)
    assert result["version"] == expected
    assert bool(result["problems"]) == (manifest == "{not json")


def test_parse_sos_version_negative():
    assert sos_layout.parse_sos_version("hello", None) == {
        "version": None, "source": None, "problems": ["version.txt: no 'sosreport:' or 'sos report:' line"]}
    assert sos_layout.parse_sos_version(None, '["x"]')["problems"] == ["sos_reports/manifest.json: no version field"]
    assert sos_layout.version_at_least("4.6.1", "4.6.1") is True
    assert sos_layout.version_at_least("4.5.6", "4.6.1") is False
    assert sos_layout.version_at_least(None, "4.2") is None


def test_iptables_listing_names_per_family():
    names = sos_layout.iptables_listing_names("ipv6", ["nat"])
    assert names == [("nat", "ip6tables_-t_nat_-nvL"), ("filter", "ip6tables_-vnxL")]


# ---------------------------------------------------------------- iptables -nvL

def test_iptables_nat_listing_docker_kubernetes():
    result = listing(fixture("sos", "iptables_-t_nat_-nvL_k8s_docker.txt"), "nat",
                     source="iptables_-t_nat_-nvL")
    assert result["problems"] == []
    assert result["chains"]["nat"] == ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING", "DOCKER", "KUBE-MARK-MASQ",
                                       "KUBE-POSTROUTING", "KUBE-SEP-2JVQP42V4GXGTRDZ", "KUBE-SVC-ERIFXISQEP7F7OF4"]
    assert result["policies"]["nat"] == {"PREROUTING": "ACCEPT", "INPUT": "ACCEPT", "OUTPUT": "ACCEPT",
                                         "POSTROUTING": "ACCEPT"}
    targets = [r["target"] for r in result["rules"]]
    assert targets.count("MASQUERADE") == 3 and targets.count("DNAT") == 1
    by_chain = dict((r["chain"], r) for r in result["rules"])
    assert by_chain["KUBE-POSTROUTING"]["matches"] == ["comment", "mark"]
    assert by_chain["KUBE-SVC-ERIFXISQEP7F7OF4"]["matches"] == ["comment"]  # the last rule of the chain
    dnat = [r for r in result["rules"] if r["target"] == "DNAT"][0]
    assert dnat["matches"] == ["comment", "tcp"] and dnat["protocol"] == "tcp"
    statistic = [r for r in result["rules"] if "statistic" in r["text"]][0]
    assert statistic["matches"] == ["comment", "statistic"]
    masq = [r for r in result["rules"] if r["target"] == "MASQUERADE"][0]
    assert (masq["chain"], masq["out"], masq["src"], masq["protocol"]) == ("POSTROUTING", "!docker0",
                                                                           "172.17.0.0/16", "all")
    assert result["rules"][0]["matches"] == ["comment"]
    assert result["rules"][1]["matches"] == ["addrtype"]
    mark = [r for r in result["rules"] if r["target"] == "MARK"][0]
    assert mark["matches"] == []  # "MARK or 0x4000" is the target's text, not a mark match
    summary = summarise_rules(result["rules"])
    assert summary["nat_in_use"] and summary["masquerade_in_use"]
    assert not summary["conntrack_match_in_use"] and summary["nfqueue"] == []
    assert summary["rule_count"] == 15


def test_iptables_filter_listing_abbreviated_counters_and_ctstate():
    result = listing(fixture("sos", "iptables_-t_filter_-nvL_k8s.txt"), "filter")
    assert result["problems"] == []
    assert result["policies"]["filter"] == {"INPUT": "ACCEPT", "FORWARD": "ACCEPT"}
    first = result["rules"][0]
    assert first["target"] == "IN_WEB" and first["matches"] == ["tcp"] and first["protocol"] == "tcp"
    nodeports = result["rules"][1]
    assert (nodeports["packets"], nodeports["bytes"]) == (167000000, 113000000000)
    established = [r for r in result["rules"] if "ctstate RELATED,ESTABLISHED" in r["text"]][0]
    assert established["matches"] == ["conntrack"] and established["out"] == "docker0"
    assert summarise_rules(result["rules"])["conntrack_match_in_use"] is True
    assert summarise_rules(result["rules"])["nat_in_use"] is False


def test_iptables_listing_same_answers_as_iptables_save():
    save = parse_iptables_save(
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n"
        "-A INPUT -p tcp -m tcp --dport 80 -j NFQUEUE --queue-num 0\n"
        "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
        "-A FORWARD -m state --state NEW -j ACCEPT\nCOMMIT\n")
    nvl = listing(
        "Chain INPUT (policy ACCEPT 0 packets, 0 bytes)\n"
        " pkts bytes target     prot opt in     out     source               destination\n"
        "   12  720 NFQUEUE    tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:80 "
        "NFQUEUE num 0\n\n"
        "Chain FORWARD (policy DROP 0 packets, 0 bytes)\n"
        " pkts bytes target     prot opt in     out     source               destination\n"
        "    0     0 ACCEPT     all  --  *      *       0.0.0.0/0            0.0.0.0/0            "
        "ctstate RELATED,ESTABLISHED\n"
        "    0     0 ACCEPT     all  --  *      *       0.0.0.0/0            0.0.0.0/0            state NEW\n",
        "filter")
    assert nvl["policies"]["filter"]["FORWARD"] == "DROP"
    a, b = summarise_rules(save["rules"]), summarise_rules(nvl["rules"])
    assert a["rule_count"] == b["rule_count"] == 3
    assert [r["target"] for r in a["nfqueue"]] == [r["target"] for r in b["nfqueue"]] == ["NFQUEUE"]
    assert a["conntrack_match_in_use"] is True and b["conntrack_match_in_use"] is True
    assert [r["matches"] for r in save["rules"]][1:] == [r["matches"] for r in nvl["rules"]][1:]


def test_iptables_listing_ip6tables_blank_opt_and_targetless_rule():
    text = ("Chain INPUT (policy ACCEPT 0 packets, 0 bytes)\n"
            " pkts bytes target     prot opt in     out     source               destination\n"
            "    5   400 ACCEPT     all      lo     *       ::/0                 ::/0\n"
            "    3   180            all      *      *       ::/0                 ::/0\n"
            "    1    60 ACCEPT     all  --  *      *       0.0.0.0/0            0.0.0.0/0\n")
    rules = listing(text, "filter", source="ip6tables_-vnxL")["rules"]
    assert [(r["target"], r["in"]) for r in rules] == [("ACCEPT", "lo"), (None, "*"), ("ACCEPT", "*")]


@pytest.mark.parametrize("text, problem", [
    ("    0     0 ACCEPT all -- * * 0.0.0.0/0 0.0.0.0/0\n", "before any"),
    ("Chain INPUT (policy ACCEPT)\nhello world\n", "not a rule"),
    ("Chain INPUT (policy ACCEPT)\n 0 0 ACCEPT all --\n", "not a rule"),
    ("Chain INPUT (policy ACCEPT)\nx y ACCEPT all -- * * a b\n", "not a rule"),
])
def test_iptables_listing_negative(text, problem):
    result = listing(text, "filter")
    assert result["rules"] == []
    assert problem in result["problems"][0]


def test_iptables_listing_empty_and_garbage_never_raise():
    assert listing("", None) == {"rules": [], "chains": {"filter": []}, "policies": {"filter": {}}, "problems": []}
    assert listing(b"\xff\xfe", "nat")["rules"] == []
    assert listing(None, "nat")["problems"] == []


# ---------------------------------------------------------------- systemd

def test_systemctl_show_version_ubuntu():
    result = parse_systemctl_show_version(fixture("sos", "systemctl_show_--all_ubuntu2004_sos4.txt"))
    assert result == {"version": "245.4-4ubuntu3.15", "major": 245, "problems": []}


@pytest.mark.parametrize("text, major, problems", [
    ("Version=219\nFeatures=+PAM\n", 219, 0),                  # RHEL 7
    ("Version=252.22-1~deb12u1\n", 252, 0),                     # Debian 12
    ("Version=v255\n", 255, 0),
    ("Features=+PAM\nNNames=3\n", None, 1),                     # no Version= line
    ("Version=garbage\n", None, 1),
    ("", None, 0),
])
def test_systemctl_show_version_variants(text, major, problems):
    result = parse_systemctl_show_version(text)
    assert result["major"] == major and len(result["problems"]) == problems


def test_package_versions_rpm_and_deb():
    rpms = ("systemd-libs-219-78.el7_9.7.x86_64                          Tue 01 Mar 2022 10:11:12 AM UTC\n"
            "systemd-219-78.el7_9.7.x86_64                               Tue 01 Mar 2022 10:11:13 AM UTC\n"
            "systemd-sysv-219-78.el7_9.7.x86_64                          Tue 01 Mar 2022 10:11:14 AM UTC\n")
    assert parse_package_version(rpms, "systemd", "rpm") == {"version": "219-78.el7_9.7", "major": 219,
                                                             "problems": []}
    debs = ("Desired=Unknown/Install/Remove/Purge/Hold\n"
            "||/ Name           Version           Architecture Description\n"
            "+++-==============-=================-============-=================================\n"
            "ii  libsystemd0:amd64 245.4-4ubuntu3.15 amd64     systemd utility library\n"
            "rc  systemd-old    240-1             amd64        removed\n"
            "ii  systemd        245.4-4ubuntu3.15 amd64        system and service manager\n")
    assert parse_package_version(debs, "systemd", "deb")["major"] == 245
    assert parse_package_version(debs, "systemd-old", "deb")["major"] is None  # rc: removed, config only
    assert parse_package_version(rpms, "systemd", "deb")["major"] is None
    assert parse_package_version("", "systemd", "rpm")["version"] is None


def test_list_units_sos4_ubuntu():
    result = parse_systemctl_list_units(fixture("sos", "systemctl_list-units_ubuntu2004_sos4.txt"))
    assert result["problems"] == []
    units = result["units"]
    assert len(units) == 15
    assert units["systemd-networkd.service"] == {"load": "loaded", "active": "active", "sub": "running"}
    assert units["systemd-networkd-wait-online.service"]["sub"] == "exited"
    assert units["-.slice"]["sub"] == "active" and "sys-devices-virtual-net-br\\x2dens3.device" in units


def test_list_units_networkd_running_and_negative():
    text = ("  UNIT                         LOAD   ACTIVE SUB     DESCRIPTION\n"
            "  systemd-journald.service     loaded active running Journal Service\n"
            "  systemd-networkd.service     loaded active running Network Service\n"
            "\u25cf systemd-resolved.service   loaded failed failed  Network Name Resolution\n"
            "\nLOAD   = Reflects whether the unit definition was properly loaded.\n"
            "\n3 loaded units listed. Pass --all to see loaded but inactive units, too.\n")
    units = parse_systemctl_list_units(text)
    assert units["problems"] == []
    assert units["units"]["systemd-networkd.service"]["sub"] == "running"
    assert units["units"]["systemd-resolved.service"]["active"] == "failed"
    bad = parse_systemctl_list_units("foo.service maybe active running x\n")
    assert bad["units"] == {} and len(bad["problems"]) == 1


# ---------------------------------------------------------------- ip -d address

def test_ip_d_address_sos4_bridges_and_kinds():
    result = parse_ip_link(fixture("sos", "ip_-d_address_ubuntu2004_sos4.txt"))
    assert result["problems"] == []
    ifs = result["interfaces"]
    assert ifs["br-ens3"]["kind"] == "bridge" and ifs["lxdbr0"]["kind"] == "bridge"
    assert ifs["veth1883dceb"] == {"master": "br-ens3", "kind": "veth", "state": "UP"}
    assert ifs["ens3"]["master"] == "br-ens3" and ifs["ens3"]["kind"] is None  # bridge_slave: a port
    assert ifs["vxlan_sys_4789"]["kind"] == "vxlan" and ifs["tap0e778df8-ca"]["kind"] == "tun"
    assert ifs["ovs-system"]["kind"] == "openvswitch"  # an OVS datapath: not a Linux bridge


def test_ip_s_d_link_sos4_counters_do_not_confuse_kinds():
    result = parse_ip_link(fixture("sos", "ip_-s_-d_link_ubuntu2004_sos4.txt"))
    assert result["problems"] == []
    ifs = result["interfaces"]
    assert sorted(ifs) == ["br-ens3", "ens3", "lo", "ovs-system", "veth1883dceb"]
    assert ifs["br-ens3"]["kind"] == "bridge" and ifs["veth1883dceb"] == {"master": "br-ens3", "kind": "veth",
                                                                          "state": "UP"}
    assert ifs["lo"]["kind"] is None and ifs["ens3"]["kind"] is None


def test_ip_d_address_sos39_rhel7_bridges_and_dotted_vlan():
    ifs = parse_ip_link(fixture("proc", "ip_-d_address_el7_sosreport.txt"))["interfaces"]
    assert ifs["virbr0"]["kind"] == "bridge" and ifs["vnet0"]["master"] == "virbr0"
    assert ifs["eth0.100"]["kind"] == "vlan"


# ---------------------------------------------------------------- ps axo

def test_ps_axo_sos4_listing():
    result = parse_ps_axo(fixture("sos", "ps_axo_wchan_20_lstart_ubuntu2004_sos4.txt"))
    assert result["problems"] == []
    procs = dict((p["pid"], p) for p in result["processes"])
    assert procs[1]["state"] == "S" and procs[1]["wchan"] == "ep_poll" and procs[1]["cmd"] == "/sbin/init"
    assert procs[22]["comm"] == "netns" and procs[22]["state"] == "I"
    assert procs[721]["uid"] == 100 and procs[721]["comm"] == "systemd-networkd"
    # SZ 255216 pushes WCHAN right: columns are read by words, not positions
    assert procs[926]["wchan"] == "futex_wait_queue_me" and procs[926]["cmd"] == "/usr/lib/snapd/snapd"
    assert procs[1028]["cmd"] == "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"
    assert procs[1028]["comm"] == "sshd"
    assert procs[1]["started_text"] == "Wed Feb 9 22:38:08 2022"
    assert procs[1028]["started"] - procs[1]["started"] == 9


def test_ps_axo_version_variants():
    # sos 4.7.1+: psr column; sos 3.5: stime instead of lstart; sos 3.6-3.8: wchan unbounded
    psr = ("F S   UID     PID    PPID    PGID     SID CLS PRI PSR ADDR    SZ WCHAN  STARTED TT TIME CMD\n"
           "0 D     0    4242       1    4242    4242  TS  19   1    -  1024 call_usermodehelper_ "
           "Mon Mar  4 09:00:00 2024 ? 00:00:00 modprobe nf_conntrack_ipv4\n")
    proc = parse_ps_axo(psr)["processes"][0]
    assert (proc["pid"], proc["state"], proc["wchan"], proc["comm"]) == (4242, "D", "call_usermodehelper_",
                                                                         "modprobe")
    assert proc["cmd"] == "modprobe nf_conntrack_ipv4"
    stime = ("F S   UID   PID  PPID  PGID   SID CLS PRI ADDR SZ WCHAN  STIME TTY TIME CMD\n"
             "4 S     0     1     0     1     1  TS  19 -  48000 ep_poll 2019 ? 00:01:02 /usr/lib/systemd/systemd\n")
    proc = parse_ps_axo(stime)["processes"][0]
    assert proc["started"] is None and proc["cmd"] == "/usr/lib/systemd/systemd" and proc["wchan"] == "ep_poll"


def test_ps_axo_negative():
    assert parse_ps_axo("no header here\n1 2 3\n")["problems"] == ["no ps header line with PID and CMD columns"]
    short = parse_ps_axo("F S PID WCHAN STARTED CMD\n0 D\n")
    assert short["processes"] == [] and "fewer columns" in short["problems"][0]
    nopid = parse_ps_axo("F S PID WCHAN STARTED CMD\n0 D x - Wed Feb  9 22:38:08 2022 cmd\n")
    assert nopid["processes"] == [] and "no PID" in nopid["problems"][0]
    assert parse_ps_axo("") == {"columns": [], "processes": [], "problems": []}


@pytest.mark.parametrize("text, expected", [
    ("Wed Feb  9 22:38:08 2022", 1644446288),
    ("Wed Feb 16 14:05:33 UTC 2022", 1645020333),     # date(1) output
    ("Feb 31 99:00:00 2022", None),
    ("Feb 9 22:38:08 " + "9" * 21, None),              # a year to_int refuses (found by test_parsers_fuzz)
    ("9" * 21 + " Feb 22:38:08 2022", None),
    ("yesterday", None),
    ("", None),
])
def test_parse_lstart(text, expected):
    assert parse_lstart(text) == expected


# ---------------------------------------------------------------- ip netns

def test_ip_netns_names_and_errors():
    text = ("qrouter-984c22fd-64b3-4fa1-8ddd-87090f401ce5 (id: 2)\n"
            "snat-984c22fd-64b3-4fa1-8ddd-87090f401ce5 (id: 1)\n"
            "fip-32981f34-497a-4fae-914a-8576055c8d0d (id: 0)\n"
            "cni-1f2e\n")
    assert parse_ip_netns(text) == {"names": ["qrouter-984c22fd-64b3-4fa1-8ddd-87090f401ce5",
                                              "snat-984c22fd-64b3-4fa1-8ddd-87090f401ce5",
                                              "fip-32981f34-497a-4fae-914a-8576055c8d0d", "cni-1f2e"],
                                    "problems": []}
    bad = parse_ip_netns('Object "netns" is unknown, try "ip help".\n../etc (id: 1)\n')
    assert bad["names"] == [] and len(bad["problems"]) == 2
    assert parse_ip_netns("") == {"names": [], "problems": []}
