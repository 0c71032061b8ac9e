"""Property tests: every pure parser survives any input and returns its documented types.

Inputs are arbitrary bytes decoded with errors="replace" (what the data source
hands over), arbitrary Unicode text, and real fixtures mutated line by line
(truncated, duplicated, spliced with junk, numbers blown up to thousands of
digits).  A separate test feeds pathological megabyte inputs and bounds the
time, so a regex that backtracks cannot hang an audit.
"""
import glob
import json
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import kernel_release as kr
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_crash as pc
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_netfilter_rules as nr
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import (
    parse_conntrack,
    parse_kmod,
    parse_net,
    parse_processes,
    parse_sysctl_d,
    parse_text,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_schedules as ps
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_sysctl_d as psd
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_iptables_listing as pil
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_ps_listing as ppl
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_systemd_state as pss
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import sos_layout

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
FIXTURE_DIRS = ("proc", "conntrack", "snmp", "stack", "rules", "schedules", "crash", "sos")


def _fixture_texts():
    texts = []
    for directory in FIXTURE_DIRS:
        for path in sorted(glob.glob(os.path.join(FIXTURES, directory, "*"))):
            if os.path.isfile(path) and not path.endswith(".json"):
                with open(path, encoding="utf-8", errors="replace") as handle:
                    texts.append(handle.read())
    return texts


FIXTURE_TEXTS = _fixture_texts()

# ------------------------------------------------------------------ type checks

INT = int


def is_str_list(value):
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def is_opt(value, kind):
    return value is None or (isinstance(value, kind) and not (kind is INT and isinstance(value, bool)))


def check_modules(result):
    assert set(result) == {"modules", "problems"}
    assert is_str_list(result["problems"])
    for name, module in result["modules"].items():
        assert isinstance(name, str)
        assert set(module) == {"size", "refcount", "users", "state"}
        assert isinstance(module["size"], INT)
        assert is_opt(module["refcount"], INT)
        assert is_str_list(module["users"])
        assert is_opt(module["state"], str)


def check_stats(result):
    assert set(result) == {"columns", "cpus", "totals", "layout", "problems"}
    assert is_str_list(result["columns"]) and is_str_list(result["problems"])
    assert isinstance(result["cpus"], INT) and result["cpus"] >= 0
    assert isinstance(result["layout"], str)
    assert all(isinstance(key, str) and isinstance(value, INT) for key, value in result["totals"].items())
    assert set(result["totals"]) <= set(result["columns"])


def check_snmp(result):
    assert is_str_list(result["problems"])
    for protocol, counters in result.items():
        if protocol == "problems":
            continue
        assert isinstance(protocol, str)
        assert all(isinstance(key, str) and isinstance(value, INT) for key, value in counters.items())


def check_stack(result):
    assert set(result) == {"frames", "problems"}
    assert is_str_list(result["problems"])
    for frame in result["frames"]:
        assert set(frame) == {"symbol", "offset", "module", "address"}
        assert isinstance(frame["symbol"], str) and frame["symbol"]
        for key in ("offset", "module", "address"):
            assert is_opt(frame[key], str)


def check_status(result):
    for key, value in result.items():
        assert isinstance(key, str)
        if key in ("Pid", "PPid", "Tgid", "TracerPid", "Threads", "NSpid", "Ngid"):
            assert is_opt(value, INT)
        else:
            assert is_opt(value, str)


def check_pid_stat(result):
    assert set(result) == {"pid", "comm", "state", "ppid", "utime", "stime", "starttime"}
    for key in ("pid", "ppid", "utime", "stime", "starttime"):
        assert is_opt(result[key], INT)
    assert is_opt(result["comm"], str) and is_opt(result["state"], str)


def check_str_dict(result):
    assert all(isinstance(key, str) and isinstance(value, str) for key, value in result.items())


def check_ip_link(result):
    assert set(result) == {"interfaces", "problems"}
    assert is_str_list(result["problems"])
    for name, link in result["interfaces"].items():
        assert isinstance(name, str) and name
        assert set(link) == {"master", "kind", "state"}
        assert all(is_opt(value, str) for value in link.values())


def check_brctl(result):
    assert all(isinstance(bridge, str) and is_str_list(ports) for bridge, ports in result.items())


def check_rules(result):
    assert set(result) == {"rules", "chains", "problems"}
    assert is_str_list(result["problems"])
    assert all(isinstance(table, str) and is_str_list(chains) for table, chains in result["chains"].items())
    for rule in result["rules"]:
        # packets/bytes: only rules that carry counters (iptables-save -c)
        assert set(rule) - {"packets", "bytes"} == {"source", "table", "chain", "line", "text", "target", "matches",
                                                    "protocol", "chain_type"}
        assert isinstance(rule["line"], INT) and rule["line"] >= 1
        assert is_str_list(rule["matches"])
        for key in ("target", "protocol", "chain_type"):
            assert is_opt(rule[key], str)
    summary = nr.summarise_rules(result["rules"])
    assert set(summary) == {"nfqueue", "nat_in_use", "masquerade_in_use", "conntrack_match_in_use", "rule_count",
                            "ct_invalid_drop"}
    assert summary["rule_count"] == len(result["rules"])
    for item in summary["ct_invalid_drop"]:
        assert is_opt(item["packets"], INT)


def check_flushes(result):
    assert isinstance(result, list)
    for entry in result:
        assert set(entry) == {"file", "line", "text", "kind", "command"}
        assert isinstance(entry["line"], INT) and entry["line"] >= 1
        assert entry["kind"] in ps.KINDS
        assert entry["command"].startswith("conntrack")


def check_crash(result):
    assert set(result) == {"rip_symbol", "rip", "panic", "call_trace", "signature", "release"}
    assert is_str_list(result["call_trace"])
    assert result["signature"] in (None,) + pc.SIGNATURES
    for key in ("rip_symbol", "rip", "panic", "release"):
        assert is_opt(result[key], str)


def check_kernel(result):
    assert result["flavour"] in kr.FLAVOURS or result["flavour"].startswith("el")
    assert result["version"] is None or (len(result["version"]) == 3
                                         and all(isinstance(part, INT) for part in result["version"]))
    assert all(isinstance(part, INT) for part in result["distro_release"])
    assert isinstance(result["upstream_patch_known"], bool)


def check_sorted_names(result):
    assert is_str_list(result) and result == sorted(set(result))


def check_sysctl_value(result):
    assert is_opt(result, INT)


def check_sysctl_d(result):
    assert set(result) == {"settings", "files", "problems"}
    for key, setting in result["settings"].items():
        assert isinstance(key, str) and isinstance(setting["value"], str) and isinstance(setting["line"], INT)


def check_listing(result):
    assert set(result) == {"rules", "chains", "policies", "problems"}
    assert is_str_list(result["problems"])
    for rule in result["rules"]:
        assert isinstance(rule["line"], INT) and rule["line"] >= 1 and is_str_list(rule["matches"])
        assert isinstance(rule["packets"], INT) and isinstance(rule["bytes"], INT)
        for key in ("target", "protocol", "in", "out", "src", "dst", "chain", "table"):
            assert is_opt(rule[key], str)
    assert nr.summarise_rules(result["rules"])["rule_count"] == len(result["rules"])


def check_version(result):
    assert set(result) == {"version", "major", "problems"}
    assert is_opt(result["version"], str) and is_opt(result["major"], INT) and is_str_list(result["problems"])


def check_units(result):
    assert set(result) == {"units", "problems"} and is_str_list(result["problems"])
    for name, unit in result["units"].items():
        assert isinstance(name, str) and set(unit) == {"load", "active", "sub"}


def check_ps(result):
    assert set(result) == {"columns", "processes", "problems"}
    assert is_str_list(result["columns"]) and is_str_list(result["problems"])
    for proc in result["processes"]:
        assert isinstance(proc["pid"], INT) and isinstance(proc["cmd"], str) and isinstance(proc["comm"], str)
        for key in ("ppid", "uid", "started"):
            assert is_opt(proc[key], INT)
        for key in ("state", "wchan", "started_text"):
            assert is_opt(proc[key], str)


def check_netns(result):
    assert set(result) == {"names", "problems"}
    assert is_str_list(result["names"]) and is_str_list(result["problems"])


def check_sos_version(result):
    assert set(result) == {"version", "source", "problems"}
    assert is_opt(result["version"], str) and is_str_list(result["problems"])


PARSERS = [
    ("parse_proc_modules", parse_kmod.parse_proc_modules, check_modules),
    ("parse_lsmod", parse_kmod.parse_lsmod, check_modules),
    ("parse_modules_builtin", parse_kmod.parse_modules_builtin, check_sorted_names),
    ("parse_modules_dep", parse_kmod.parse_modules_dep, check_sorted_names),
    ("parse_conntrack_stat_table", parse_conntrack.parse_conntrack_stat_table, check_stats),
    ("parse_conntrack_S", parse_conntrack.parse_conntrack_S, check_stats),
    ("parse_snmp", parse_net.parse_snmp, check_snmp),
    ("parse_proc_stack", parse_processes.parse_proc_stack, check_stack),
    ("parse_proc_status", parse_processes.parse_proc_status, check_status),
    ("parse_proc_pid_stat", parse_processes.parse_proc_pid_stat, check_pid_stat),
    ("parse_sysctl_value", parse_sysctl_d.parse_sysctl_value, check_sysctl_value),
    ("parse_sysctl_a", parse_sysctl_d.parse_sysctl_a, check_str_dict),
    ("parse_os_release", parse_text.parse_os_release, check_str_dict),
    ("parse_ip_link", parse_net.parse_ip_link, check_ip_link),
    ("parse_brctl_show", parse_net.parse_brctl_show, check_brctl),
    ("parse_iptables_save", nr.parse_iptables_save, check_rules),
    ("parse_nft_ruleset", nr.parse_nft_ruleset, check_rules),
    ("find_conntrack_flushes/cron", lambda text: ps.find_conntrack_flushes(text, "/etc/crontab", "cron"),
     check_flushes),
    ("find_conntrack_flushes/systemd", lambda text: ps.find_conntrack_flushes(text, "/x.service", "systemd"),
     check_flushes),
    ("find_conntrack_flushes/script", lambda text: ps.find_conntrack_flushes(text, "/etc/rc.local", "rc.local"),
     check_flushes),
    ("parse_vmcore_dmesg", pc.parse_vmcore_dmesg, check_crash),
    ("parse_kernel_release", kr.parse_kernel_release, check_kernel),
    ("configured_sysctls", lambda text: psd.configured_sysctls({"/etc/sysctl.d/99-x.conf": text,
                                                                "/etc/sysctl.conf": text}), check_sysctl_d),
    ("parse_iptables_listing", lambda text: pil.parse_iptables_listing(text, "nat"), check_listing),
    ("parse_systemctl_show_version", pss.parse_systemctl_show_version, check_version),
    ("parse_package_version/rpm", lambda text: pss.parse_package_version(text, "systemd", "rpm"), check_version),
    ("parse_package_version/deb", lambda text: pss.parse_package_version(text, "systemd", "deb"), check_version),
    ("parse_systemctl_list_units", pss.parse_systemctl_list_units, check_units),
    ("parse_ps_axo", ppl.parse_ps_axo, check_ps),
    ("parse_lstart", ppl.parse_lstart, lambda result: is_opt(result, INT)),
    ("parse_ip_netns", ppl.parse_ip_netns, check_netns),
    ("parse_sos_version", lambda text: sos_layout.parse_sos_version(text, text), check_sos_version),
    ("sos_command_name", sos_layout.sos_command_name, lambda result: isinstance(result, str)),
]
PARSER_IDS = [name for name, _parser, _check in PARSERS]


def run_and_check(parser, check, text):
    result = parser(text)
    check(result)
    json.dumps(result)      # JSON-able: no sets, tuples only where lists are fine, no bytes


# ------------------------------------------------------------------ strategies

decoded_bytes = st.binary(max_size=3000).map(lambda raw: raw.decode("utf-8", "replace"))
any_text = st.text(max_size=3000)
JUNK = st.sampled_from([
    "", " ", "\t", "\x00", "\ufffd\ufffd", "-", ":", "=", "{", "}", "\"", "'", "\\", "#", "[<0>]",
    "9" * 5000, "-" + "9" * 30, "0x" + "f" * 40, "ffffffffffffffff", "cpu=", "Ip:", "*nat", "COMMIT",
    "table ip x {", "chain y {", "Call Trace:", "RIP: 0010:", "conntrack -F", "ExecStart=",
])


@st.composite
def mutated_fixture(draw):
    lines = draw(st.sampled_from(FIXTURE_TEXTS)).splitlines()
    for _step in range(draw(st.integers(min_value=1, max_value=6))):
        if not lines:
            lines = [draw(JUNK)]
        operation = draw(st.sampled_from(["truncate_line", "drop", "duplicate", "insert", "cut_file",
                                          "swap_fields", "huge_number"]))
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        line = lines[index]
        if operation == "truncate_line":
            lines[index] = line[:draw(st.integers(min_value=0, max_value=max(0, len(line))))]
        elif operation == "drop":
            del lines[index]
        elif operation == "duplicate":
            lines.insert(index, line)
        elif operation == "insert":
            lines.insert(index, draw(st.one_of(JUNK, decoded_bytes.map(lambda text: text[:200]))))
        elif operation == "cut_file":
            lines = lines[:index]
        elif operation == "swap_fields":
            fields = line.split()
            lines[index] = " ".join(reversed(fields))
        elif operation == "huge_number":
            lines[index] = "".join("9" * 400 if char.isdigit() else char for char in line[:60])
    return "\n".join(lines)


FUZZ_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name,parser,check", PARSERS, ids=PARSER_IDS)
@FUZZ_SETTINGS
@given(text=decoded_bytes)
def test_arbitrary_bytes(name, parser, check, text):
    run_and_check(parser, check, text)


@pytest.mark.parametrize("name,parser,check", PARSERS, ids=PARSER_IDS)
@FUZZ_SETTINGS
@given(text=any_text)
def test_arbitrary_text(name, parser, check, text):
    run_and_check(parser, check, text)


@pytest.mark.parametrize("name,parser,check", PARSERS, ids=PARSER_IDS)
@FUZZ_SETTINGS
@given(text=mutated_fixture())
def test_mutated_fixtures(name, parser, check, text):
    run_and_check(parser, check, text)


@pytest.mark.parametrize("name,parser,check", PARSERS, ids=PARSER_IDS)
def test_every_fixture_unmutated(name, parser, check):
    # Each parser also meets its contract on every other parser's real input.
    for text in FIXTURE_TEXTS:
        run_and_check(parser, check, text)


@pytest.mark.parametrize("name,parser,check", PARSERS, ids=PARSER_IDS)
@pytest.mark.parametrize("value", [None, b"1 2 3\n", b"\xff\xfe\x00", 42])
def test_non_text_input(name, parser, check, value):
    run_and_check(parser, check, value)


@given(a=st.one_of(any_text, st.sampled_from(["3.10.0-514.el7", "5.15.0-91-generic", "6.1.0-18-amd64"])),
       b=st.one_of(any_text, st.sampled_from(["3.10.0-1160.el7.x86_64", "4.19.10", "6.1.76"])))
@FUZZ_SETTINGS
def test_compare_never_raises_and_is_antisymmetric(a, b):
    forward = kr.compare_kernel_releases(a, b)
    backward = kr.compare_kernel_releases(b, a)
    assert forward in (-1, 0, 1, None)
    assert (forward is None and backward is None) or forward == -backward


@given(version=st.one_of(st.none(), st.lists(st.integers(), max_size=4), any_text),
       introduced=st.one_of(st.none(), st.lists(st.integers(), max_size=4)),
       fixed=st.one_of(st.none(), st.lists(st.integers(), max_size=4)))
@FUZZ_SETTINGS
def test_version_in_range_never_raises(version, introduced, fixed):
    assert kr.version_in_range(version, introduced, fixed) in (True, False, None)


# ------------------------------------------------------------------ pathological sizes

MEGABYTE = 1024 * 1024
PATHOLOGICAL = {
    "spaces": " " * MEGABYTE,
    "one_long_line": "a" * MEGABYTE,
    "rip_spaces": "RIP:" + " " * MEGABYTE,
    "panic_spaces": "BUG: " + " " * MEGABYTE + "x",
    "brackets": "[<ffff>]" * (MEGABYTE // 8),
    "hash_handles": "# handle 1 " * (MEGABYTE // 11),
    "braces": "table ip t {\nchain c {\n" + "{" * MEGABYTE,
    "quotes": "'" * MEGABYTE,
    "many_lines": "cpu=0 found=1\n" * (MEGABYTE // 14),
    "digits": "9" * MEGABYTE,
}


@pytest.mark.parametrize("name,parser,check", PARSERS, ids=PARSER_IDS)
def test_pathological_inputs_finish_quickly(name, parser, check):
    for label, text in PATHOLOGICAL.items():
        started = time.time()
        run_and_check(parser, check, text)
        elapsed = time.time() - started
        # Linear parsers take well under a second per megabyte; the quadratic
        # backtracking this guards against took minutes. 10 s leaves room for
        # a loaded CI machine without letting such a bug through.
        assert elapsed < 10.0, "%s took %.1fs on %s" % (name, elapsed, label)
