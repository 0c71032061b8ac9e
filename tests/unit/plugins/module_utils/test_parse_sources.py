"""Tests for the /proc, /sys and command-output parsers, one module per source:
parse_kmod (/proc/modules, lsmod, modules.builtin/dep), parse_conntrack (conntrack stats),
parse_net (/proc/net/snmp, ip link, brctl), parse_processes (/proc/PID/{stack,status,stat}),
parse_sysctl_d (sysctl values), parse_text (helpers, os-release).

Fixtures live in tests/unit/fixtures/{proc,conntrack,snmp,stack}; the seed-based
ones are cut verbatim from the incident reports in /work/shared/seeds.
"""
import doctest
import json
import os

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import (
    parse_conntrack,
    parse_kmod,
    parse_net,
    parse_processes,
    parse_sysctl_d,
    parse_text,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")


def fixture(*parts):
    with open(os.path.join(FIXTURES, *parts), encoding="utf-8") as handle:
        return handle.read()


def test_lazy_compile_compiles_on_first_use_only(monkeypatch):
    compiled = []
    real = parse_text.re.compile
    monkeypatch.setattr(parse_text.re, "compile", lambda *args: compiled.append(args) or real(*args))
    pattern = parse_text.lazy_compile(r"^(?P<key>[a-z]+)=", parse_text.re.I)
    assert compiled == []  # nothing at definition: that is the point
    assert pattern.match("KEY=1").group("key") == "KEY" and pattern.match("=1") is None
    assert pattern.sub("", "a=b") == "b" and pattern.groupindex["key"] == 1
    assert pattern.fullmatch("ab=") is not None and pattern.fullmatch("ab=c") is None  # not kept, still compiled once
    assert compiled == [(r"^(?P<key>[a-z]+)=", parse_text.re.I)]
    with pytest.raises(AttributeError):
        pattern.no_such_method  # noqa: B018


def test_lazy_compile_survives_copy():
    import copy
    pattern = parse_text.lazy_compile(r"[0-9]+")
    assert copy.deepcopy(pattern).search("ab12").group() == "12"
    assert copy.copy(pattern).findall("1 22") == ["1", "22"]


@pytest.mark.parametrize("module", [parse_conntrack, parse_kmod, parse_net, parse_processes, parse_sysctl_d,
                                    parse_text], ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstring_examples(module):
    failures, _tried = doctest.testmod(module)
    assert failures == 0


# ---------------------------------------------------------------- /proc/modules

def test_proc_modules_el7_libvirt():
    result = parse_kmod.parse_proc_modules(fixture("proc", "modules_el7_libvirt.txt"))
    assert result["problems"] == []
    modules = result["modules"]
    assert len(modules) == 29
    assert modules["nf_conntrack"] == {
        "size": 139224, "refcount": 6, "state": "Live",
        "users": ["ipt_MASQUERADE", "nf_nat_masquerade_ipv4", "nf_nat", "nf_nat_ipv4",
                  "nf_conntrack_ipv4", "xt_conntrack"],
    }
    # users "-" means none; the taint flags "(OE)" after the address are ignored
    assert modules["vhost_net"]["users"] == []
    assert modules["bridge"] == {"size": 151336, "refcount": 0, "users": [], "state": "Live"}
    assert "br_netfilter" not in modules


def test_proc_modules_loading_states():
    modules = parse_kmod.parse_proc_modules(fixture("proc", "modules_loading_unloading.txt"))["modules"]
    assert modules["iptable_nat"]["state"] == "Loading"
    assert modules["ip6table_nat"]["state"] == "Unloading"
    assert modules["nf_conntrack"]["state"] == "Live"


def test_proc_modules_without_module_unload():
    modules = parse_kmod.parse_proc_modules(fixture("proc", "modules_no_unload.txt"))["modules"]
    assert modules["nf_conntrack"]["refcount"] is None
    assert modules["nf_conntrack"]["users"] == []


def test_proc_modules_malformed_lines_become_problems():
    result = parse_kmod.parse_proc_modules(fixture("proc", "modules_malformed.txt"))
    assert sorted(result["modules"]) == ["bridge", "nf_conntrack"]
    assert len(result["problems"]) == 4
    assert result["problems"][0].startswith("line 2:")
    assert any("size is not a number" in problem for problem in result["problems"])


def test_proc_modules_permanent_is_not_a_user():
    line = "ipv6 336282 40 [permanent], Live 0xffffffffa0200000"
    assert parse_kmod.parse_proc_modules(line)["modules"]["ipv6"]["users"] == []


def test_proc_modules_empty():
    assert parse_kmod.parse_proc_modules("") == {"modules": {}, "problems": []}


# ---------------------------------------------------------------- lsmod

def test_lsmod_el7_sosreport():
    result = parse_kmod.parse_lsmod(fixture("proc", "lsmod_el7_sosreport.txt"))
    assert result["problems"] == []
    modules = result["modules"]
    assert modules["br_netfilter"] == {"size": 22256, "refcount": 0, "users": [], "state": None}
    assert modules["bridge"]["users"] == ["br_netfilter"]
    assert modules["nf_conntrack"]["refcount"] == 6
    assert "Module" not in modules


def test_lsmod_debian12_nftables():
    modules = parse_kmod.parse_lsmod(fixture("proc", "lsmod_debian12.txt"))["modules"]
    assert modules["nf_conntrack"]["users"] == ["nf_nat", "nft_ct"]
    assert modules["nft_chain_nat"]["users"] == []


def test_lsmod_rejects_non_numeric_columns():
    result = parse_kmod.parse_lsmod("Module Size Used by\nfoo bar baz\n")
    assert result["modules"] == {}
    assert result["problems"] == ["line 2: size or use count is not a number: 'foo bar baz'"]


# ---------------------------------------------------------------- modules.builtin / modules.dep

def test_modules_builtin_debian():
    names = parse_kmod.parse_modules_builtin(fixture("proc", "modules.builtin_debian12"))
    assert "bridge" not in names
    assert "ext4" in names and "crc32c_intel" in names
    assert names == sorted(names)


def test_modules_builtin_normalises_dashes_and_finds_bridge():
    names = parse_kmod.parse_modules_builtin(fixture("proc", "modules.builtin_bridge_builtin"))
    assert names == ["bridge", "hid_generic", "llc", "nf_defrag_ipv4", "stp"]


@pytest.mark.parametrize("name,expected_in,expected_out", [
    ("modules.dep_el7", ["nf_conntrack_ipv4", "br_netfilter", "xt_NFQUEUE", "vhost_net"], ["nf_conntrack_ipv6"]),
    ("modules.dep_debian12", ["nf_conntrack", "br_netfilter", "nft_ct"], ["nf_conntrack_ipv4"]),
    ("modules.dep_ubuntu2404", ["br_netfilter", "hid_generic", "wireguard"], ["nf_nat"]),
])
def test_modules_dep_every_compression(name, expected_in, expected_out):
    names = parse_kmod.parse_modules_dep(fixture("proc", name))
    for module in expected_in:
        assert module in names
    for module in expected_out:
        assert module not in names
    assert names == sorted(set(names))


def test_modules_dep_only_counts_the_described_module():
    # libcrc32c appears only as a dependency here, never before a colon.
    names = parse_kmod.parse_modules_dep("kernel/net/netfilter/nf_conntrack.ko: kernel/lib/libcrc32c.ko\n")
    assert names == ["nf_conntrack"]


def test_modules_dep_ignores_non_module_lines():
    assert parse_kmod.parse_modules_dep("# comment\nREADME: text\nfoo.kox: bar\n") == []


# ---------------------------------------------------------------- /proc/net/stat/nf_conntrack

STAT_EXPECTED = json.loads(fixture("conntrack", "stat_nf_conntrack_expected.json"))


@pytest.mark.parametrize("name", sorted(STAT_EXPECTED))
def test_conntrack_stat_every_layout_and_cpu_count(name):
    expected = STAT_EXPECTED[name]
    result = parse_conntrack.parse_conntrack_stat_table(fixture("conntrack", name))
    assert result["problems"] == []
    assert result["layout"] == expected["layout"]
    assert result["cpus"] == expected["cpus"]
    assert result["columns"] == expected["columns"]
    assert result["totals"] == expected["totals"]


def test_conntrack_stat_layouts_cover_all_kernels_and_cpu_counts():
    seen = {(entry["layout"], entry["cpus"]) for entry in STAT_EXPECTED.values()}
    layouts = ("<=2.6.34", "2.6.35-5.9", "5.10-5.14", "5.15+")
    assert seen == {(layout, cpus) for layout in layouts for cpus in (2, 4, 8)}


def test_conntrack_stat_entries_is_global_not_summed():
    text = ("entries  searched found\n"
            "00000010  00000001 00000002\n"
            "00000010  00000003 00000004\n"
            "00000010  00000005 00000006\n")
    result = parse_conntrack.parse_conntrack_stat_table(text)
    assert result["totals"] == {"entries": 16, "searched": 9, "found": 12}
    assert result["cpus"] == 3


def test_conntrack_stat_parses_by_name_not_position():
    # Same counters, columns in a different order: same totals.
    text = ("found insert_failed entries\n"
            "00000002 0000000a 00000005\n"
            "00000003 00000001 00000005\n")
    totals = parse_conntrack.parse_conntrack_stat_table(text)["totals"]
    assert totals == {"found": 5, "insert_failed": 11, "entries": 5}


def test_conntrack_stat_layout_names():
    header = fixture("conntrack", "stat_nf_conntrack_2.6.34_2cpu.txt").splitlines()[0].split()
    assert parse_conntrack.conntrack_stat_layout(header) == "<=2.6.34"
    assert parse_conntrack.conntrack_stat_layout(["entries", "found"]) == "unknown"


def test_conntrack_stat_bad_rows_are_skipped_with_problems():
    text = ("entries  searched found insert_failed\n"
            "00000010  00000001 00000002 00000003\n"
            "00000010  00000001 00000002\n"
            "00000010  zzzzzzzz 00000002 00000003\n"
            "00000010  00000001 00000002 00000004\n")
    result = parse_conntrack.parse_conntrack_stat_table(text)
    assert result["cpus"] == 2
    assert result["totals"]["insert_failed"] == 7
    assert len(result["problems"]) == 2
    assert "3 values for 4 columns" in result["problems"][0]
    assert "not hexadecimal" in result["problems"][1]


def test_conntrack_stat_missing_header_and_empty():
    result = parse_conntrack.parse_conntrack_stat_table("00000010 00000001\n")
    assert result["columns"] == [] and result["cpus"] == 0 and result["totals"] == {}
    assert result["problems"][-1] == "no header line found"
    empty = parse_conntrack.parse_conntrack_stat_table("")
    assert empty["problems"] == ["no header line found"]
    header_only = parse_conntrack.parse_conntrack_stat_table("entries searched\n")
    assert header_only["totals"] == {} and header_only["problems"] == ["header found but no per-CPU rows"]


def test_conntrack_stat_duplicate_header_columns():
    result = parse_conntrack.parse_conntrack_stat_table("entries entries\n00000001 00000002\n")
    assert result["columns"] == [] and result["totals"] == {}
    assert "repeats a column name" in result["problems"][0]


# ---------------------------------------------------------------- conntrack -S

def test_conntrack_S_old_tools_el7():
    result = parse_conntrack.parse_conntrack_S(fixture("conntrack", "conntrack_-S_1.4.4_el7_4cpu.txt"))
    assert result["problems"] == []
    assert result["cpus"] == 4
    assert result["columns"][:3] == ["searched", "found", "new"]
    assert result["totals"]["insert_failed"] == 17 + 4 + 0 + 9
    assert result["totals"]["search_restart"] == 12 + 9 + 15 + 11
    assert "entries" not in result["totals"]
    assert result["layout"] == "conntrack -S"


def test_conntrack_S_kernel_5_10_tools_without_clash_counters():
    result = parse_conntrack.parse_conntrack_S(fixture("conntrack", "conntrack_-S_1.4.6_5.10_2cpu.txt"))
    assert result["cpus"] == 2
    assert result["totals"]["insert_failed"] == 4
    assert "clash_resolve" not in result["columns"]


def test_conntrack_S_new_tools_with_clash_and_chaintoolong():
    result = parse_conntrack.parse_conntrack_S(fixture("conntrack", "conntrack_-S_1.4.7_6.1_8cpu.txt"))
    assert result["cpus"] == 8
    assert result["totals"]["clash_resolve"] == 13
    assert result["totals"]["chaintoolong"] == 1
    assert result["totals"]["insert_failed"] == 6


def test_conntrack_S_error_output_is_a_problem_not_data():
    result = parse_conntrack.parse_conntrack_S(fixture("conntrack", "conntrack_-S_eperm.txt"))
    assert result["cpus"] == 0 and result["totals"] == {}
    assert len(result["problems"]) == 2
    assert result["problems"][-1] == 'no "cpu=" lines found'


def test_conntrack_S_skips_lines_with_bad_numbers():
    result = parse_conntrack.parse_conntrack_S("cpu=0 found=1 drop=x\ncpu=1 found=2 drop=3\n")
    assert result["cpus"] == 1
    assert result["totals"] == {"found": 2, "drop": 3}


# ---------------------------------------------------------------- /proc/net/snmp

def test_snmp_seed003_inaddrerrors():
    result = parse_net.parse_snmp(fixture("snmp", "snmp_gentoo_4.2_seed003.txt"))
    assert result["problems"] == []
    assert result["Ip"]["InAddrErrors"] == 48213
    assert result["Ip"]["Forwarding"] == 1
    assert result["Tcp"]["MaxConn"] == -1
    assert result["IcmpMsg"] == {"InType3": 20944, "InType8": 1084, "OutType0": 1084, "OutType3": 48218}
    assert set(result) == {"Ip", "Icmp", "IcmpMsg", "Tcp", "Udp", "UdpLite", "problems"}


def test_snmp_seed002_outdiscards_old_kernel_without_csum_columns():
    result = parse_net.parse_snmp(fixture("snmp", "snmp_vpn_2013_seed002.txt"))
    assert result["Ip"]["OutDiscards"] == 39122
    assert "InCsumErrors" not in result["Udp"]


def test_snmp_live_debian12_has_outtransmits():
    result = parse_net.parse_snmp(fixture("snmp", "snmp_debian12_live.txt"))
    assert result["problems"] == []
    assert "OutTransmits" in result["Ip"]


def test_snmp_mismatched_and_orphan_lines():
    result = parse_net.parse_snmp(fixture("snmp", "snmp_malformed.txt"))
    assert "Ip" not in result              # 5 names, 4 values: skipped whole
    assert result["Icmp"] == {"InMsgs": 5, "InErrors": 0}
    assert result["Udp"] == {"InDatagrams": 12, "NoPorts": 0}
    problems = " | ".join(result["problems"])
    assert "Ip has 5 names but 4 values" in problems
    assert "Tcp header without a value line" in problems
    assert "no \"Protocol:\" prefix" in problems
    assert "Udp values without a header line" in problems


# ---------------------------------------------------------------- /proc/PID/stack

def test_stack_seed000_iptables_old_format():
    result = parse_processes.parse_proc_stack(fixture("stack", "stack_seed000_iptables_el7.txt"))
    assert result["problems"] == []
    frames = result["frames"]
    assert len(frames) == 13     # the 0xffffffffffffffff end marker is dropped
    assert frames[0] == {"symbol": "call_usermodehelper_exec", "offset": "0x108/0x1a0",
                         "module": None, "address": "ffffffff810a44e8"}
    assert frames[2] == {"symbol": "nf_ct_l3proto_try_module_get", "offset": "0x25/0x50",
                         "module": "nf_conntrack", "address": "ffffffffa047ea55"}
    assert frames[3]["module"] == "xt_conntrack"
    assert frames[-1]["symbol"] == "system_call_fastpath"


def test_stack_seed000_modprobe_iptable_nat():
    frames = parse_processes.parse_proc_stack(fixture("stack", "stack_seed000_modprobe_iptable_nat_el7.txt"))["frames"]
    assert [frame["symbol"] for frame in frames[:5]] == [
        "call_usermodehelper_exec", "__request_module", "nf_ct_l3proto_try_module_get",
        "nf_nat_l3proto_register", "nf_nat_l3proto_ipv4_init"]
    assert frames[4]["module"] == "nf_nat_ipv4"


def test_stack_seed004_hidden_addresses_and_isra_symbols():
    result = parse_processes.parse_proc_stack(fixture("stack", "stack_seed004_kworker_cleanup_net_4.16.txt"))
    assert result["problems"] == []
    frames = result["frames"]
    assert len(frames) == 9
    assert frames[0] == {"symbol": "inet_evict_bucket.isra.8", "offset": "0x5/0x120", "module": None, "address": None}
    assert "cleanup_net" in [frame["symbol"] for frame in frames]


@pytest.mark.parametrize("name,first,count", [
    ("stack_seed004_ip_netns_add_4.16.txt", "copy_net_ns", 6),
    ("stack_modern_ip_netns_add_6.1.txt", "rwsem_down_write_slowpath", 8),
    ("stack_modern_modprobe_5.14_el9.txt", "call_usermodehelper_exec", 12),
])
def test_stack_modern_formats(name, first, count):
    result = parse_processes.parse_proc_stack(fixture("stack", name))
    assert result["problems"] == []
    assert len(result["frames"]) == count
    assert result["frames"][0]["symbol"] == first
    assert all(frame["address"] is None for frame in result["frames"])


def test_stack_malformed_lines():
    result = parse_processes.parse_proc_stack(fixture("stack", "stack_malformed.txt"))
    assert [frame["symbol"] for frame in result["frames"]] == [
        "call_usermodehelper_exec", "__request_module", "nf_ct_l3proto_try_module_get"]
    assert len(result["problems"]) == 3


def test_stack_dmesg_style_frames_with_question_marks():
    frames = parse_processes.parse_proc_stack(" ? cleanup_net+0x212/0x320\n inet_frags_exit_net+0x51/0xa0 [foo]\n")["frames"]
    assert [(frame["symbol"], frame["module"]) for frame in frames] == [
        ("cleanup_net", None), ("inet_frags_exit_net", "foo")]


# ---------------------------------------------------------------- /proc/PID/status and stat

def test_status_iptables_in_d_state():
    status = parse_processes.parse_proc_status(fixture("proc", "status_iptables_D_el7.txt"))
    assert status["Name"] == "iptables"
    assert status["State"] == "D"
    assert status["State_text"] == "disk sleep"
    assert status["Pid"] == 2131 and status["PPid"] == 1568 and status["Tgid"] == 2131
    assert status["Groups"] == ""


def test_status_kworker_running():
    status = parse_processes.parse_proc_status(fixture("proc", "status_kworker_R_4.16.txt"))
    assert (status["Name"], status["State"], status["State_text"], status["PPid"]) == (
        "kworker/u128:1", "R", "running", 2)
    assert status["NSpid"] == 29371


def test_status_bad_numbers_become_none():
    status = parse_processes.parse_proc_status("Name:\tx\nPid:\tabc\nState:\t\n")
    assert status["Pid"] is None
    assert status["State"] is None and status["State_text"] is None


def test_pid_stat_d_state():
    stat = parse_processes.parse_proc_pid_stat(fixture("proc", "stat_iptables_D_el7.txt"))
    assert stat == {"pid": 2131, "comm": "iptables", "state": "D", "ppid": 1568, "utime": 0, "stime": 3,
                    "starttime": 3498102}


def test_pid_stat_spinning_kworker():
    stat = parse_processes.parse_proc_pid_stat(fixture("proc", "stat_kworker_spinning_4.16.txt"))
    assert stat["comm"] == "kworker/u128:1"
    assert stat["state"] == "R"
    assert stat["stime"] == 8823117


def test_pid_stat_comm_with_parentheses_and_spaces():
    stat = parse_processes.parse_proc_pid_stat(fixture("proc", "stat_comm_with_parens.txt"))
    assert stat["comm"] == "evil) R 1 (x"
    assert stat["state"] == "S"
    assert stat["ppid"] == 1
    assert (stat["utime"], stat["stime"]) == (17, 5)


def test_pid_stat_truncated():
    assert parse_processes.parse_proc_pid_stat("12 (bash") == {
        "pid": None, "comm": None, "state": None, "ppid": None, "utime": None, "stime": None, "starttime": None}
    assert parse_processes.parse_proc_pid_stat("12 (bash) S 1")["utime"] is None
    assert parse_processes.parse_proc_pid_stat("12 (bash) S 1")["starttime"] is None


# ---------------------------------------------------------------- sysctl

@pytest.mark.parametrize("text,expected", [
    ("1\n", 1), ("0", 0), ("  262144 \n", 262144), ("32768\t60999\n", 32768), ("-1\n", -1),
    ("", None), ("\n", None), ("yes", None), ("1" * 5000, None), ("\u0663", None),
])
def test_sysctl_value(text, expected):
    assert parse_sysctl_d.parse_sysctl_value(text) == expected


def test_sysctl_a_sosreport():
    values = parse_sysctl_d.parse_sysctl_a(fixture("proc", "sysctl_-a_el7_sosreport.txt"))
    assert values["net.ipv4.ip_forward"] == "1"
    assert values["net.ipv4.conf.eth0.forwarding"] == "1"
    assert values["net.ipv4.conf.eth0/100.forwarding"] == "0"
    assert values["net.ipv4.ip_local_port_range"] == "32768\t60999"
    assert values["kernel.domainname"] == "(none)"
    assert values["user.max_net_namespaces"] == ""
    assert not any(key.startswith("sysctl") for key in values)
    assert len(values) == 18


# ---------------------------------------------------------------- os-release

def test_os_release_centos7():
    release = parse_text.parse_os_release(fixture("proc", "os-release_centos7"))
    assert release["ID"] == "centos"
    assert release["VERSION_ID"] == "7"
    assert release["PRETTY_NAME"] == "CentOS Linux 7 (Core)"
    assert release["ID_LIKE"] == "rhel fedora"


def test_os_release_ubuntu_unquoted():
    release = parse_text.parse_os_release(fixture("proc", "os-release_ubuntu2204"))
    assert release["ID"] == "ubuntu" and release["VERSION_ID"] == "22.04"
    assert release["VERSION_CODENAME"] == "jammy"


def test_os_release_single_quotes_and_broken_quote():
    release = parse_text.parse_os_release(fixture("proc", "os-release_gentoo"))
    assert release["PRETTY_NAME"] == "Gentoo/Linux"
    assert release["BROKEN"] == "unterminated"
    assert not any(key.startswith("#") for key in release)


# ---------------------------------------------------------------- ip link / brctl

def test_ip_d_address_el7():
    result = parse_net.parse_ip_link(fixture("proc", "ip_-d_address_el7_sosreport.txt"))
    assert result["problems"] == []
    interfaces = result["interfaces"]
    assert sorted(interfaces) == ["docker0", "eth0", "eth0.100", "lo", "virbr0", "virbr0-nic", "vnet0"]
    assert interfaces["virbr0"] == {"master": None, "kind": "bridge", "state": "UP"}
    assert interfaces["vnet0"] == {"master": "virbr0", "kind": "tun", "state": "UNKNOWN"}
    assert interfaces["eth0.100"]["kind"] == "vlan"
    assert interfaces["eth0"]["kind"] is None
    assert interfaces["docker0"]["state"] == "DOWN"


def test_ip_link_plain_has_no_kinds():
    interfaces = parse_net.parse_ip_link(fixture("proc", "ip_link_el7_sosreport.txt"))["interfaces"]
    assert interfaces["veth1a2b3c4"] == {"master": "docker0", "kind": None, "state": "UP"}
    assert interfaces["virbr0-nic"]["master"] == "virbr0"


@pytest.mark.parametrize("name", ["ip_-d_link_debian12_live.txt", "ip_-o_-d_link_debian12_live.txt"])
def test_ip_link_live_multiline_and_oneline_agree(name):
    result = parse_net.parse_ip_link(fixture("proc", name))
    assert result["problems"] == []
    interfaces = result["interfaces"]
    assert interfaces["nfdfleet0"]["kind"] == "bridge"
    assert interfaces["nfdfv1"] == {"master": "nfdfleet0", "kind": "veth", "state": "UP"}
    assert interfaces["ifb0"]["kind"] == "ifb"


def test_ip_link_oneline_equals_multiline():
    multi = parse_net.parse_ip_link(fixture("proc", "ip_-d_link_debian12_live.txt"))
    single = parse_net.parse_ip_link(fixture("proc", "ip_-o_-d_link_debian12_live.txt"))
    assert multi == single


def test_ip_link_stray_lines():
    result = parse_net.parse_ip_link("garbage at top\n2: eth0: <UP> mtu 1500 state UP\n    link/ether x\n")
    assert result["interfaces"] == {"eth0": {"master": None, "kind": None, "state": "UP"}}
    assert len(result["problems"]) == 1


def test_brctl_show():
    bridges = parse_net.parse_brctl_show(fixture("proc", "brctl_show_el7.txt"))
    assert bridges == {"docker0": ["veth1a2b3c4", "vethd4e5f60"],
                       "virbr0": ["virbr0-nic", "vnet0", "vnet1"],
                       "br-empty": []}


def test_brctl_show_error_lines_do_not_break_bridges():
    assert parse_net.parse_brctl_show(fixture("proc", "brctl_show_errors.txt")) == {"br0": ["eth1", "eth2"]}


def test_brctl_show_orphan_continuation():
    assert parse_net.parse_brctl_show("\t\t\teth9\n") == {}


# ---------------------------------------------------------------- helpers

def test_as_text_accepts_bytes_and_none():
    assert parse_text.as_text(None) == ""
    assert parse_text.as_text(b"a\xffb") == "a\ufffdb"
    assert parse_sysctl_d.parse_sysctl_value(b"1\n") == 1
    assert parse_kmod.parse_proc_modules(None) == {"modules": {}, "problems": []}


def test_excerpt_is_bounded():
    problem = parse_kmod.parse_proc_modules("x" * 10000)["problems"][0]
    assert len(problem) < 200


def test_numbers_beyond_64_bit_are_rejected_not_returned():
    # json.dumps of an int with thousands of digits raises on Python 3.11;
    # a corrupt counter must become a problem, never a result the module
    # cannot return.
    text = "entries found\n00000001 " + "f" * 5000 + "\n00000001 00000002\n"
    result = parse_conntrack.parse_conntrack_stat_table(text)
    assert result["cpus"] == 1 and result["totals"] == {"entries": 1, "found": 2}
    assert parse_text.to_int("18446744073709551615") == 2 ** 64 - 1
    assert parse_text.to_int("184467440737095516150") is None
    assert parse_text.to_int("ffffffffffffffff", 16) == 2 ** 64 - 1
    assert parse_text.to_int("1ffffffffffffffff", 16) is None
    json.dumps(parse_net.parse_snmp("Ip: A B\nIp: 1 " + "9" * 5000 + "\n"))
