"""Findings from the kernel log, each with a negative beside the positive; and the sos layout end to end.

Facts start from the healthy Debian 12 tree (no kernel log in it) and each test
adds the log its incident left. Fixtures: tests/unit/fixtures/kernel_log/SOURCES.md.
"""
import calendar
import copy
import os
import shutil

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import capture_spec, host_source
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_kernel_log as pkl
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.findings import CATALOGUE
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.kernel_release import parse_kernel_release
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_modprobe import modprobe_facts
from check_helpers import found  # a helper beside this file

HERE = os.path.dirname(__file__)
TREES = os.path.join(HERE, "..", "..", "..", "integration", "trees")
FIXTURES = os.path.join(HERE, "..", "..", "fixtures")
_BASE = Gatherer(os.path.join(TREES, "healthy-debian12-docker")).run()
NOW = calendar.timegm((2026, 12, 1, 22, 0, 0, 0, 0, 0))
KERNEL_LOG_IDS = ("CONNTRACK_TABLE_FULL_EVENTS", "KERNEL_HUNG_TASK_NETFILTER", "NETDEV_UNREGISTER_LEAK")


def fixture(name, directory="kernel_log"):
    with open(os.path.join(FIXTURES, directory, name), encoding="utf-8") as handle:
        return handle.read()


@pytest.fixture
def facts():
    return copy.deepcopy(_BASE)


def with_log(facts, text, now=NOW, uptime=None, source="/var/log/kern.log", live=True):
    parsed = pkl.parse_kernel_log(text, source=source, reference=now)
    facts["kernel_log"] = pkl.summarise_kernel_logs([parsed], now=now if live else None, uptime=uptime)
    return facts


def iso_lines(message, ages):
    return "".join("%s h kernel: %s\n" % (
        __import__("time").strftime("%Y-%m-%dT%H:%M:%S+0000", __import__("time").gmtime(NOW - age)), message)
        for age in sorted(ages, reverse=True))


FULL = "nf_conntrack: nf_conntrack: table full, dropping packet"
LEAK = "unregister_netdevice: waiting for lo to become free. Usage count = 1"


def test_no_kernel_log_no_finding(facts):
    assert facts["kernel_log"] is None
    assert not [f for f in run_checks(facts) if f["id"] in KERNEL_LOG_IDS]


def test_catalogue_entries_are_complete():
    for finding_id in KERNEL_LOG_IDS:
        entry = CATALOGUE[finding_id]
        assert entry["title"] and entry["remediation"] and entry["references"]
    assert CATALOGUE["CONNTRACK_TABLE_FULL_EVENTS"]["role"] == "nfdoctor.netfilter.conntrack_hygiene"
    assert CATALOGUE["KERNEL_HUNG_TASK_NETFILTER"]["role"] is None
    assert CATALOGUE["NETDEV_UNREGISTER_LEAK"]["role"] is None


# ------------------------------------------------ CONNTRACK_TABLE_FULL_EVENTS
def full_now(facts, count=250000, maximum=262144):
    facts["conntrack"].update(count=count, max=maximum, fill_ratio=round(float(count) / maximum, 4))
    return facts


def test_table_full_500_times_in_the_last_hour_is_critical(facts):
    full_now(facts)
    with_log(facts, iso_lines(FULL, [i * 7 for i in range(500)]))
    finding = found(facts, "CONNTRACK_TABLE_FULL_EVENTS")[0]
    assert finding["severity"] == "critical"
    assert "500 \"table full" in finding["detail"] and "500 in the last hour" in finding["detail"]
    first, last = finding["evidence"][:2]
    assert (first["line"], last["line"], last["value"]) == (1, 500, FULL)
    assert "early_drop=0" in [e["value"] for e in finding["evidence"]]
    assert finding["role"] == "nfdoctor.netfilter.conntrack_hygiene"
    assert "nf_conntrack_count is 250000 of nf_conntrack_max 262144 now" in finding["detail"]


def test_the_same_burst_with_room_in_the_table_now_is_high_and_no_role_can_help(facts):
    # molecule/runtime: a burst filled the table, then conntrack_hygiene raised its max (4304 of 10000 now)
    full_now(facts, 4304, 10000)
    with_log(facts, iso_lines(FULL, [i * 7 for i in range(500)]))
    finding = found(facts, "CONNTRACK_TABLE_FULL_EVENTS")[0]
    assert finding["severity"] == "high"
    assert "has room now" in finding["detail"] and "4304 of nf_conntrack_max 10000" in finding["detail"]
    assert finding["role"] is None and "nothing to raise" in finding["remediation"]
    # and the plan that conntrack_hygiene would run agrees: nothing to raise
    from ansible_collections.nfdoctor.netfilter.plugins.filter.conntrack_table import conntrack_table_plan
    assert conntrack_table_plan(facts["conntrack"])["raise"] is False


def test_table_full_once_30_days_ago_is_low(facts):
    with_log(facts, iso_lines(FULL, [30 * 86400]))
    finding = found(facts, "CONNTRACK_TABLE_FULL_EVENTS")[0]
    assert finding["severity"] == "low"
    assert "30 days ago" in finding["detail"]


def test_old_table_full_with_early_drops_now_is_medium(facts):
    with_log(facts, iso_lines(FULL, [30 * 86400]))
    facts["conntrack"]["stats"]["totals"]["early_drop"] = 12
    finding = found(facts, "CONNTRACK_TABLE_FULL_EVENTS")[0]
    assert finding["severity"] == "medium"
    assert "early_drop = 12" in finding["detail"]
    assert {"file": "/proc/net/stat/nf_conntrack", "line": None, "value": "early_drop=12"} in finding["evidence"]


def test_table_full_yesterday_is_high_and_a_single_recent_line_is_not_a_burst(facts):
    with_log(facts, iso_lines(FULL, [20 * 3600]))
    assert found(facts, "CONNTRACK_TABLE_FULL_EVENTS")[0]["severity"] == "high"
    with_log(facts, iso_lines(FULL, [60]))
    assert found(facts, "CONNTRACK_TABLE_FULL_EVENTS")[0]["severity"] == "high"


def test_table_full_with_rate_limited_lines_in_dmesg_is_critical(facts):
    full_now(facts, 65536, 65536)
    text = fixture("dmesg_table_full_net_ratelimit.txt")
    with_log(facts, text, uptime=104262.962157 + 30, source="dmesg")
    finding = found(facts, "CONNTRACK_TABLE_FULL_EVENTS")[0]
    assert finding["severity"] == "critical"
    assert "plus 3939 rate-limited" in finding["detail"]
    assert finding["evidence"][0] == {"file": "dmesg", "line": 1, "value": FULL}


def test_other_kernel_messages_give_no_table_full(facts):
    with_log(facts, iso_lines("nf_conntrack: default automatic helper assignment has been turned off", [60]))
    assert found(facts, "CONNTRACK_TABLE_FULL_EVENTS") == []


# ------------------------------------------------ KERNEL_HUNG_TASK_NETFILTER
def _seed000_modprobe(facts):
    parsed = modprobe_facts({"/etc/modprobe.d/blacklist.conf": "blacklist edac_core\nblacklist nf_conntrack_ipv4\n"})
    facts["modules"]["modprobe"] = dict((k, parsed[k]) for k in ("files", "directives", "cmdline_blacklist"))


def _centos7_kernel(facts):
    cmdline = facts["kernel"].get("cmdline")
    facts["kernel"] = parse_kernel_release("3.10.0-514.21.1.el7.x86_64")
    facts["kernel"]["cmdline"] = cmdline
    facts["modules"]["available"] = ["nf_conntrack", "nf_conntrack_ipv4", "nf_nat", "iptable_nat"]


def test_seed_000_hung_task_with_the_blacklist_is_critical(facts):
    _centos7_kernel(facts)
    _seed000_modprobe(facts)
    with_log(facts, fixture("dmesg_hung_iptables_seed000_el7.txt"), source="dmesg", live=False)
    finding = found(facts, "KERNEL_HUNG_TASK_NETFILTER")[0]
    assert finding["severity"] == "critical"
    assert "iptables:2131" in finding["detail"] and "call_usermodehelper_exec <- __request_module" in finding["detail"]
    assert "/etc/modprobe.d/blacklist.conf:2 (blacklist nf_conntrack_ipv4)" in finding["detail"]
    assert finding["evidence"][0] == {"file": "dmesg", "line": 4,
                                      "value": "INFO: task iptables:2131 blocked for more than 120 seconds."}
    assert finding["role"] is None


def test_seed_000_hung_task_without_a_blocker_is_high(facts):
    with_log(facts, fixture("dmesg_hung_iptables_seed000_el7.txt"), source="dmesg", live=False)
    finding = found(facts, "KERNEL_HUNG_TASK_NETFILTER")[0]
    assert finding["severity"] == "high"
    assert "disable" not in finding["detail"]


@pytest.mark.parametrize("name", ["dmesg_hung_ip_rtnl_igb_negative.txt", "dmesg_hung_z_unmount_zfs_negative.txt"])
def test_hung_task_in_an_unrelated_path_gives_no_finding(facts, name):
    _seed000_modprobe(facts)
    with_log(facts, fixture(name), source="dmesg", live=False)
    assert facts["kernel_log"]["hung_task_count"] == 1
    assert found(facts, "KERNEL_HUNG_TASK_NETFILTER") == []


def test_copy_net_ns_hang_is_high_recent_and_medium_when_old(facts):
    text = fixture("kern.log_hung_copy_net_ns_unregister_moby9605.txt")
    march_6 = calendar.timegm((2015, 3, 6, 0, 0, 0, 0, 0, 0))
    with_log(facts, text, now=march_6)
    finding = found(facts, "KERNEL_HUNG_TASK_NETFILTER")[0]
    assert finding["severity"] == "high"
    assert "network namespace" in finding["title"] and "docker:71063" in finding["detail"]
    with_log(facts, text, now=march_6 + 30 * 86400)
    assert found(facts, "KERNEL_HUNG_TASK_NETFILTER")[0]["severity"] == "medium"


def test_seed_004_soft_lockup_in_inet_evict_bucket_is_critical(facts):
    with_log(facts, fixture("vmcore-dmesg_seed004_softlockup_elrepo_4.16.txt", "crash"), source="dmesg -T",
             live=False)
    finding = found(facts, "KERNEL_HUNG_TASK_NETFILTER")[0]
    assert finding["severity"] == "critical"
    assert "soft lockup of kworker/u128:1:29371" in finding["detail"]
    assert "not the unregister_netdevice refcount leak" in finding["detail"]
    assert found(facts, "NETDEV_UNREGISTER_LEAK") == []


def test_seed_004_kprobe_dump_alone_gives_nothing(facts):
    with_log(facts, fixture("dmesg_kprobe_seed004_elrepo_4.16.txt", "crash"), live=False)
    assert not [f for f in run_checks(facts) if f["id"] in KERNEL_LOG_IDS]


# ------------------------------------------------ NETDEV_UNREGISTER_LEAK
def test_unregister_three_times_in_the_hour_is_high(facts):
    with_log(facts, iso_lines(LEAK, [30, 600, 1200]))
    finding = found(facts, "NETDEV_UNREGISTER_LEAK")[0]
    assert finding["severity"] == "high"
    assert "lo (3 times, usage count up to 1)" in finding["detail"]
    assert found(facts, "KERNEL_HUNG_TASK_NETFILTER") == []  # a leak is not a frag-bug lockup


def test_unregister_last_month_is_low(facts):
    with_log(facts, fixture("journal_unregister_lo_moby5618.txt"),
             now=calendar.timegm((2016, 12, 20, 0, 0, 0, 0, 0, 0)))
    finding = found(facts, "NETDEV_UNREGISTER_LEAK")[0]
    assert finding["severity"] == "low"
    assert "11 \"unregister_netdevice" in finding["detail"]


def test_unregister_once_today_is_medium(facts):
    with_log(facts, iso_lines(LEAK, [5 * 3600]))
    assert found(facts, "NETDEV_UNREGISTER_LEAK")[0]["severity"] == "medium"


def test_moby_9605_has_both_the_leak_and_the_netns_hang(facts):
    with_log(facts, fixture("kern.log_hung_copy_net_ns_unregister_moby9605.txt"),
             now=calendar.timegm((2015, 3, 5, 3, 45, 0, 0, 0, 0)))
    leak = found(facts, "NETDEV_UNREGISTER_LEAK")[0]
    assert leak["severity"] == "high"  # three lines within the hour before "now": node-problem-detector's bar
    hang = found(facts, "KERNEL_HUNG_TASK_NETFILTER")[0]
    assert hang["evidence"][0]["file"] == "/var/log/kern.log" and hang["evidence"][0]["line"] == 4


# ------------------------------------------------ captured trees through Gatherer
@pytest.fixture
def no_commands(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a command was run for a captured tree: %r" % (args,))
    monkeypatch.setattr(host_source.subprocess, "Popen", refuse)


def _sos_tree(tmp_path, base, files):
    root = str(tmp_path / "sosreport-host")
    shutil.copytree(os.path.join(TREES, base), root, symlinks=True)
    for name in os.listdir(os.path.join(root, "proc")):
        if name.isdigit():  # a sosreport has no /proc/PID/stack: the kernel log is the only evidence
            shutil.rmtree(os.path.join(root, "proc", name))
    for path, text in files.items():
        target = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as handle:
            handle.write(text)
    return root


def audit(root):
    facts = Gatherer(root).run()
    return facts, dict((f["id"], f) for f in run_checks(facts))


def test_sos_dmesg_of_seed_000_gives_the_hung_task_finding(tmp_path, no_commands):
    root = _sos_tree(tmp_path, "seed-000-centos7-conntrack-blacklist",
                     {"/sos_commands/kernel/dmesg": fixture("dmesg_hung_iptables_seed000_el7.txt")})
    facts, findings = audit(root)
    assert "MODULE_LOAD_STUCK" not in findings  # no /proc stacks in a sosreport
    hung = findings["KERNEL_HUNG_TASK_NETFILTER"]
    assert hung["severity"] == "critical"
    assert hung["evidence"][0]["file"] == "/sos_commands/kernel/dmesg"
    assert {"file": "/etc/modprobe.d/blacklist.conf", "line": 29, "value": "blacklist nf_conntrack_ipv4"} \
        in hung["evidence"]
    assert findings["CONNTRACK_MODULE_DISABLED"]["severity"] == "critical"
    assert facts["kernel_log"]["sources"][0]["source"] == "/sos_commands/kernel/dmesg"
    assert [e for e in facts["errors"] if e["source"].startswith("gather:")] == []


def test_sos_dmesg_with_an_unrelated_hang_gives_none(tmp_path, no_commands):
    root = _sos_tree(tmp_path, "seed-000-centos7-conntrack-blacklist",
                     {"/sos_commands/kernel/dmesg": fixture("dmesg_hung_z_unmount_zfs_negative.txt")})
    _facts, findings = audit(root)
    assert "KERNEL_HUNG_TASK_NETFILTER" not in findings


def test_sos_prefers_dmesg_T_and_reads_the_end_of_var_log_messages(tmp_path, no_commands):
    older = "Jun  1 10:00:00 h kernel: nf_conntrack: table full, dropping packet\n"
    filler = "Jun  1 10:00:01 h systemd[1]: Started Session %d of user root.\n"
    messages = older + "".join(filler % i for i in range(400000))  # > 16 MiB: only the end is read
    root = _sos_tree(tmp_path, "seed-004-openstack-netns-hang", {
        "/sos_commands/kernel/dmesg_-T": fixture("vmcore-dmesg_seed004_softlockup_elrepo_4.16.txt", "crash"),
        "/sos_commands/kernel/dmesg": "[    1.0] unregister_netdevice: waiting for lo to become free. Usage count = 1\n",
        "/sos_commands/date/date": "Tue Jun  2 16:10:00 CST 2020\n",
        "/var/log/messages": messages,
    })
    facts, findings = audit(root)
    assert [s["source"] for s in facts["kernel_log"]["sources"]] == ["/sos_commands/kernel/dmesg_-T",
                                                                     "/var/log/messages"]
    assert findings["KERNEL_HUNG_TASK_NETFILTER"]["severity"] == "critical"
    assert "NETDEV_UNREGISTER_LEAK" not in findings  # plain dmesg was not read: dmesg -T is the same buffer
    assert "CONNTRACK_TABLE_FULL_EVENTS" not in findings  # the old line is before the 16 MiB tail


def test_sos_journal_export_is_read(tmp_path, no_commands):
    root = _sos_tree(tmp_path, "seed-000-centos7-conntrack-blacklist", {
        "/sos_commands/logs/journalctl_--no-pager_--catalog_--boot":
            fixture("kern.log_hung_copy_net_ns_unregister_moby9605.txt"),
    })
    facts, findings = audit(root)
    assert facts["kernel_log"]["sources"][0]["source"] == "/sos_commands/logs/journalctl_--no-pager_--catalog_--boot"
    assert findings["NETDEV_UNREGISTER_LEAK"]["evidence"][0]["line"] == 1
    assert findings["KERNEL_HUNG_TASK_NETFILTER"]["severity"] == "high"


def test_captured_tree_without_logs_says_so(tmp_path, no_commands):
    root = _sos_tree(tmp_path, "seed-000-centos7-conntrack-blacklist", {})
    facts, findings = audit(root)
    assert facts["kernel_log"] is None
    assert any(e["source"] == "kernel log" and "no kernel log found" in e["message"] for e in facts["errors"])
    assert not [i for i in findings if i in KERNEL_LOG_IDS]


# ------------------------------------------------ live: bounded, read-only commands
MACHINE_ID = "4f1c0e4b8a7d4e0f9c3b2a1d0e9f8a7b"  # the 32 hex digits of /etc/machine-id


def journal_dirs(monkeypatch, tmp_path, files=()):
    """capture_spec.JOURNAL_DIRS pointed at a run/ and a var/ directory under ``tmp_path`` holding
    ``files`` (paths relative to tmp_path; a name ending in / is a directory)."""
    run, var = tmp_path / "run" / "log" / "journal", tmp_path / "var" / "log" / "journal"
    var.mkdir(parents=True)  # Debian's systemd package creates /var/log/journal, empty until journald writes
    for name in files:
        path = tmp_path / name.rstrip("/")
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"LPKSHHRH")  # a journal file's magic; only its name is looked at
    monkeypatch.setattr(capture_spec, "JOURNAL_DIRS", (str(run), str(var)))


def test_live_runs_bounded_journalctl_or_dmesg_never_dmesg_c(monkeypatch, tmp_path):
    calls = []
    journal_dirs(monkeypatch, tmp_path, ["run/log/journal/%s/system.journal" % MACHINE_ID])
    gatherer = Gatherer("/")

    def fake_command(argv, sos_names=None, max_bytes=None):
        calls.append((list(argv), max_bytes))
        if argv[0] == "journalctl":
            return None
        gatherer.src.error(" ".join(argv), "exit code 1: dmesg: read kernel buffer failed: Operation not permitted")
        return None

    monkeypatch.setattr(gatherer.src, "command", fake_command)
    monkeypatch.setattr(gatherer.src, "read_tail", lambda path, max_bytes: None)
    gatherer._gather_kernel_log()
    assert [argv for argv, _limit in calls] == [
        ["journalctl", "-k", "-b", "--no-pager", "-o", "short-iso", "-n", "50000"], ["dmesg"]]
    assert all(limit and limit <= 16 * 1024 * 1024 for _argv, limit in calls)
    assert gatherer.facts["kernel_log"] is None
    assert any("Operation not permitted" in e["message"] for e in gatherer.src.errors)


def test_live_journal_is_aged_against_now(monkeypatch, tmp_path):
    import time
    journal_dirs(monkeypatch, tmp_path, ["var/log/journal/%s/system.journal" % MACHINE_ID])
    gatherer = Gatherer("/")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.localtime(time.time() - 120))
    monkeypatch.setattr(gatherer.src, "command", lambda argv, sos_names=None, max_bytes=None:
                        "%s h kernel: %s\n" % (stamp, FULL) if argv[0] == "journalctl" else None)
    monkeypatch.setattr(gatherer.src, "read_tail", lambda path, max_bytes: None)
    monkeypatch.setattr(gatherer.src, "read", lambda path, **kw: "5000.00 9000.00\n" if path == "/proc/uptime" else None)
    gatherer._gather_kernel_log()
    log = gatherer.facts["kernel_log"]
    assert log["reference"]["basis"] == "now" and log["uptime"] == 5000.0
    assert 100 <= log["table_full"]["last"]["age_seconds"] <= 200


def test_live_empty_journal_falls_back_to_dmesg(monkeypatch, tmp_path):
    # Only user journals, whose file journalctl -k reads too; none of them holds a kernel line.
    journal_dirs(monkeypatch, tmp_path, ["var/log/journal/%s/user-1000.journal" % MACHINE_ID])
    gatherer = Gatherer("/")
    outputs = {"journalctl": "-- No entries --\n", "dmesg": fixture("dmesg_table_full_net_ratelimit.txt")}
    monkeypatch.setattr(gatherer.src, "command", lambda argv, sos_names=None, max_bytes=None: outputs[argv[0]])
    monkeypatch.setattr(gatherer.src, "read_tail", lambda path, max_bytes: None)
    monkeypatch.setattr(gatherer.src, "read", lambda path, **kw: "104300.00 9000.00\n" if path == "/proc/uptime" else None)
    gatherer._gather_kernel_log()
    log = gatherer.facts["kernel_log"]
    assert [s["source"] for s in log["sources"]] == ["dmesg"]
    assert log["table_full"]["count"] == 3 and log["table_full"]["last_hour"] == 3


def _commands_run(monkeypatch, gatherer):
    calls = []
    outputs = {"journalctl": "-- No entries --\n", "dmesg": fixture("dmesg_table_full_net_ratelimit.txt")}

    def command(argv, sos_names=None, max_bytes=None):
        calls.append(argv[0])
        return outputs[argv[0]]

    monkeypatch.setattr(gatherer.src, "command", command)
    monkeypatch.setattr(gatherer.src, "read_tail", lambda path, max_bytes: None)
    return calls


@pytest.mark.parametrize("files", [
    [],  # Debian's empty /var/log/journal: journalctl would print "No journal files were found."
    ["var/log/journal/remote/remote-10.0.0.9.journal"],  # systemd-journal-remote's: not this host's
    ["var/log/journal/%s/" % MACHINE_ID],  # the machine's directory, journald not started yet
    ["var/log/journal/%s/system.journal.tmp" % MACHINE_ID, "var/log/journal/notes.txt"],
], ids=["empty", "remote-only", "empty-machine-dir", "no-journal-names"])
def test_live_without_a_journal_file_reads_dmesg_without_starting_journalctl(monkeypatch, tmp_path, files):
    journal_dirs(monkeypatch, tmp_path, files)
    gatherer = Gatherer("/")
    calls = _commands_run(monkeypatch, gatherer)
    gatherer._gather_kernel_log()
    assert calls == ["dmesg"]
    assert [s["source"] for s in gatherer.facts["kernel_log"]["sources"]] == ["dmesg"]
    assert not [e for e in gatherer.src.errors if "journal" in e["source"]]


@pytest.mark.parametrize("files", [
    ["run/log/journal/%s/system.journal" % MACHINE_ID],  # volatile (Storage=auto without /var/log/journal)
    ["var/log/journal/%s/system@0005f1-8c1d.journal~" % MACHINE_ID],  # a file journald did not close
    ["var/log/journal/%s.netlog/system.journal" % MACHINE_ID],  # a namespace's directory
    ["var/log/journal/4f1c0e4b-8a7d-4e0f-9c3b-2a1d0e9f8a7b/system.journal"],  # the ID spelled as a UUID
    ["var/log/journal/system.journal"],  # a file at the top, as journalctl --directory= reads too
], ids=["volatile", "journal~", "namespace", "uuid", "top-level"])
def test_live_with_a_journal_file_asks_journalctl_first(monkeypatch, tmp_path, files):
    journal_dirs(monkeypatch, tmp_path, files)
    gatherer = Gatherer("/")
    calls = _commands_run(monkeypatch, gatherer)
    gatherer._gather_kernel_log()
    assert calls == ["journalctl", "dmesg"]  # "-- No entries --": then the ring buffer


def test_live_journal_directory_that_cannot_be_listed_still_asks_journalctl(monkeypatch, tmp_path):
    journal_dirs(monkeypatch, tmp_path, ["var/log/journal/%s/" % MACHINE_ID])
    locked = str(tmp_path / "var" / "log" / "journal" / MACHINE_ID)
    real_listdir = os.listdir

    def listdir(path):
        if path == locked:
            raise OSError(13, "Permission denied", path)
        return real_listdir(path)

    monkeypatch.setattr(host_source.os, "listdir", listdir)
    gatherer = Gatherer("/")
    calls = _commands_run(monkeypatch, gatherer)
    gatherer._gather_kernel_log()
    assert calls == ["journalctl", "dmesg"]
    assert not [e for e in gatherer.src.errors if "journal" in e["source"]]  # no word about the listing


@pytest.mark.parametrize("name, expected", [
    (MACHINE_ID, True), (MACHINE_ID.upper(), True), (MACHINE_ID + ".netlog", True),
    ("4f1c0e4b-8a7d-4e0f-9c3b-2a1d0e9f8a7b", True), ("remote", False), (MACHINE_ID[:31], False),
    (MACHINE_ID[:31] + "g", False), ("4f1c0e4b-8a7d-4e0f-9c3b+2a1d0e9f8a7b", False), ("", False),
])
def test_is_journal_subdir(name, expected):
    assert capture_spec.is_journal_subdir(name) is expected


def test_a_blacklist_of_a_module_this_kernel_lacks_does_not_make_the_hang_critical(facts):
    _seed000_modprobe(facts)  # nf_conntrack_ipv4: merged into nf_conntrack on the 6.1 baseline
    with_log(facts, fixture("dmesg_hung_iptables_seed000_el7.txt"), source="dmesg", live=False)
    finding = found(facts, "KERNEL_HUNG_TASK_NETFILTER")[0]
    assert finding["severity"] == "high"
    assert "blacklist.conf" not in finding["detail"]
