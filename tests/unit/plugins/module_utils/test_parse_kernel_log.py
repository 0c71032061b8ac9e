"""The kernel-log parser: each message kind, each timestamp form, bounds, and hostile input.

Fixtures and where they come from: tests/unit/fixtures/kernel_log/SOURCES.md.
"""
import calendar
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_kernel_log as pkl

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")


def fixture(name, directory="kernel_log"):
    with open(os.path.join(FIXTURES, directory, name), encoding="utf-8") as handle:
        return handle.read()


def naive(*fields):
    return calendar.timegm(tuple(fields) + (0,) * (9 - len(fields)))


# ------------------------------------------------------------ table full
def test_table_full_with_doubled_prefix_and_net_ratelimit():
    parsed = pkl.parse_kernel_log(fixture("dmesg_table_full_net_ratelimit.txt"), source="dmesg")
    full = parsed["table_full"]
    assert full["count"] == 3
    assert parsed["suppressed"] == 3939
    assert full["first"]["mono"] == pytest.approx(104235.156774)
    assert full["last"]["mono"] == pytest.approx(104262.962157)
    assert full["last"]["line"] == 4 and full["last"]["file"] == "dmesg"
    assert full["last"]["text"] == "nf_conntrack: nf_conntrack: table full, dropping packet"
    assert parsed["format"] == "dmesg"


def test_table_full_el6_single_prefix_and_ratelimit():
    parsed = pkl.parse_kernel_log(fixture("dmesg_table_full_ratelimit_el6.txt"))
    assert parsed["table_full"]["count"] == 12
    assert parsed["suppressed"] == 83  # "__ratelimit: 83 callbacks suppressed" right after the burst


def test_ip_conntrack_variant_and_unrelated_suppression():
    text = ("[  10.000000] ip_conntrack: table full, dropping packet.\n"
            + "".join("[  %d.000000] eth0: link flap %d\n" % (20 + i, i) for i in range(30))
            + "[  60.000000] net_ratelimit: 12 callbacks suppressed\n")
    parsed = pkl.parse_kernel_log(text)
    assert parsed["table_full"]["count"] == 1
    # 30 lines later the rate limiter is someone else's
    assert parsed["suppressed"] == 0


def test_table_full_lookalikes_are_not_counted():
    text = ("[  1.0] nf_conntrack version 0.5.0 (65536 buckets, 262144 max)\n"
            "[  2.0] kernel: ARP table full\n"
            "[  3.0] neighbour: arp_cache: neighbor table overflow!\n")
    assert pkl.parse_kernel_log(text)["table_full"]["count"] == 0


# ------------------------------------------------------------ hung tasks
def test_seed_000_hung_task_is_a_module_request():
    parsed = pkl.parse_kernel_log(fixture("dmesg_hung_iptables_seed000_el7.txt"), source="/sos_commands/kernel/dmesg")
    assert parsed["hung_task_count"] == 1
    report = parsed["hung_tasks"][0]
    assert (report["comm"], report["pid"], report["seconds"]) == ("iptables", 2131, 120)
    assert report["path"] == "module_request"
    assert [f["symbol"] for f in report["frames"][:2]] == ["call_usermodehelper_exec", "__request_module"]
    assert report["frames"][2]["module"] == "nf_conntrack"
    assert len(report["frames"]) == 13
    assert report["line"] == 4 and report["mono"] == pytest.approx(240.612411)


def test_hung_task_in_copy_net_ns_from_syslog_with_inner_dmesg_stamp():
    parsed = pkl.parse_kernel_log(fixture("kern.log_hung_copy_net_ns_unregister_moby9605.txt"),
                                  source="/var/log/kern.log", reference=naive(2015, 3, 6))
    report = parsed["hung_tasks"][0]
    assert (report["comm"], report["pid"]) == ("docker", 71063)
    assert report["path"] == "netns"
    assert report["frames"][-1] == {"symbol": "copy_net_ns", "module": None, "unreliable": True}
    assert report["wall"] == naive(2015, 3, 5, 3, 41, 22)
    assert report["mono"] == pytest.approx(732240.608081)
    assert report["time"] == "2015-03-05T03:41:22"
    assert parsed["format"] == "syslog"


@pytest.mark.parametrize("name", ["dmesg_hung_ip_rtnl_igb_negative.txt", "dmesg_hung_z_unmount_zfs_negative.txt"])
def test_hung_task_in_another_subsystem_has_no_path(name):
    parsed = pkl.parse_kernel_log(fixture(name))
    assert parsed["hung_task_count"] == 1
    assert parsed["hung_tasks"][0]["path"] is None
    assert parsed["hung_tasks"][0]["frames"]


def test_trace_ends_at_the_next_unrelated_line():
    text = ("[ 100.0] INFO: task foo:1 blocked for more than 120 seconds.\n"
            "[ 100.1] Call Trace:\n"
            "[ 100.2]  schedule+0x29/0x70\n"
            "[ 100.3] EXT4-fs (sda1): mounted filesystem with ordered data mode\n"
            "[ 100.4]  __request_module+0x18b/0x2b0\n")
    report = pkl.parse_kernel_log(text)["hung_tasks"][0]
    assert [f["symbol"] for f in report["frames"]] == ["schedule"]
    assert report["path"] is None


def test_lockdep_net_mutex_line_marks_netns():
    text = ("[ 10.0] INFO: task ip:77 blocked for more than 122 seconds.\n"
            "[ 10.1] Call Trace:\n"
            "[ 10.2]  __schedule+0x2de/0x890\n"
            "[ 10.3]  mutex_lock+0x32/0x40\n"
            "[ 10.4] 1 lock held by ip/77:\n"
            "[ 10.5]  #0: ffffffff8c6d7a30 (net_mutex){+.+.}, at: copy_net_ns+0x101/0x1f0\n")
    report = pkl.parse_kernel_log(text)["hung_tasks"][0]
    assert report["path"] == "netns"


def test_netfilter_path_from_module_tag():
    text = ("[ 5.0] INFO: task iptables-restor:900 blocked for more than 120 seconds.\n"
            "[ 5.1] Call Trace:\n"
            "[ 5.2]  schedule+0x29/0x70\n"
            "[ 5.3]  do_replace+0x1c0/0x240 [ip_tables]\n")
    assert pkl.parse_kernel_log(text)["hung_tasks"][0]["path"] == "netfilter"


# ---------------------------------------------------------- soft lockups
def test_seed_004_soft_lockup_in_inet_evict_bucket():
    parsed = pkl.parse_kernel_log(fixture("vmcore-dmesg_seed004_softlockup_elrepo_4.16.txt", "crash"))
    assert parsed["soft_lockup_count"] == 1
    lockup = parsed["soft_lockups"][0]
    assert (lockup["cpu"], lockup["seconds"], lockup["comm"], lockup["pid"]) == (7, 22, "kworker/u128:1", 29371)
    assert lockup["frames"][0]["symbol"] == "inet_evict_bucket.isra.8"  # from the RIP line
    assert lockup["path"] == "netns_frag"
    assert lockup["workqueue"] == "netns cleanup_net"
    assert lockup["wall"] == naive(2020, 6, 2, 16, 3, 10)
    assert parsed["format"] == "dmesg -T"


def test_seed_004_kprobe_dump_is_not_a_report():
    parsed = pkl.parse_kernel_log(fixture("dmesg_kprobe_seed004_elrepo_4.16.txt", "crash"))
    assert parsed["soft_lockup_count"] == 0 and parsed["hung_task_count"] == 0


def test_base_symbol_strips_compiler_suffixes():
    assert pkl.base_symbol("inet_evict_bucket.isra.8") == "inet_evict_bucket"
    assert pkl.base_symbol("ops_exit_list.isra.6") == "ops_exit_list"
    assert pkl.base_symbol("foo.constprop.0.cold") == "foo"
    assert pkl.base_symbol("nf_queue") == "nf_queue"


# ---------------------------------------------------------- unregister
def test_unregister_netdevice_counts_per_device():
    text = fixture("journal_unregister_lo_moby5618.txt") + (
        "Nov 19 15:40:00 hostname kernel: unregister_netdevice: waiting for veth7a1b to become free. "
        "Usage count = -1\n")
    parsed = pkl.parse_kernel_log(text, reference=naive(2016, 11, 20))
    leak = parsed["unregister_netdevice"]
    assert leak["count"] == 12
    assert leak["devices"] == {"lo": {"count": 11, "max_usage": 1}, "veth7a1b": {"count": 1, "max_usage": -1}}
    assert leak["first"]["wall"] == naive(2016, 11, 19, 12, 2, 55)


def test_unregister_is_not_the_frag_bug():
    parsed = pkl.parse_kernel_log(fixture("vmcore-dmesg_seed004_softlockup_elrepo_4.16.txt", "crash"))
    assert parsed["unregister_netdevice"]["count"] == 0


# ---------------------------------------------------------- timestamps
def test_syslog_year_from_reference_and_roll_over():
    text = ("Dec 31 23:59:58 h kernel: nf_conntrack: table full, dropping packet\n"
            "Jan  1 00:00:03 h kernel: nf_conntrack: table full, dropping packet\n")
    parsed = pkl.parse_kernel_log(text, reference=naive(2026, 1, 2))
    full = parsed["table_full"]
    assert full["first"]["wall"] == naive(2025, 12, 31, 23, 59, 58)
    assert full["last"]["wall"] == naive(2026, 1, 1, 0, 0, 3)
    assert full["last"]["time"] == "2026-01-01T00:00:03"


def test_syslog_without_reference_keeps_differences_only():
    text = ("Feb 29 10:00:00 h kernel: nf_conntrack: table full, dropping packet\n"
            "Feb 29 10:00:05 h kernel: nf_conntrack: table full, dropping packet\n")
    full = pkl.parse_kernel_log(text)["table_full"]
    assert full["last"]["wall"] - full["first"]["wall"] == 5
    assert full["last"]["time"] == "02-29T10:00:05"


def test_iso_stamps_drop_the_offset():
    text = ("2026-11-30T21:52:33+0100 node1 kernel: nf_conntrack: nf_conntrack: table full, dropping packet\n"
            "2026-11-30T21:52:34.123456+01:00 node1 kernel: nf_conntrack: nf_conntrack: table full, dropping packet\n")
    parsed = pkl.parse_kernel_log(text)
    assert parsed["format"] == "iso"
    assert parsed["table_full"]["first"]["wall"] == naive(2026, 11, 30, 21, 52, 33)
    assert parsed["table_full"]["last"]["wall"] == naive(2026, 11, 30, 21, 52, 34)


def test_other_programs_lines_are_not_the_kernel():
    text = ("Jun 21 21:52:33 server.example.com systemd[1]: INFO: task fake:1 blocked for more than 1 seconds.\n"
            "Jun 21 21:52:33 server.example.com kernel: nf_conntrack version 0.5.0 (65536 buckets, 262144 max)\n"
            "2026-11-30T21:52:33+0100 node1 logger[77]: nf_conntrack: table full, dropping packet\n")
    parsed = pkl.parse_kernel_log(text, reference=naive(2017, 7, 1))
    assert parsed["hung_task_count"] == 0 and parsed["table_full"]["count"] == 0
    assert parsed["first"]["wall"] == naive(2017, 6, 21, 21, 52, 33)  # the span still counts every line


def test_priority_prefix_and_no_break_spaces():
    text = u"<4>[  12.5]\xa0nf_conntrack: table full, dropping packet\n"
    parsed = pkl.parse_kernel_log(text)
    assert parsed["table_full"]["count"] == 1
    assert parsed["table_full"]["first"]["mono"] == 12.5


# ---------------------------------------------------------- bounds
def test_a_million_lines_stay_fast_and_bounded():
    filler = "[%6d.000000] eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX/TX\n"
    chunk = "".join(filler % i for i in range(999)) + "[ 99999.000000] nf_conntrack: table full, dropping packet\n"
    text = chunk * 1000
    started = time.time()
    parsed = pkl.parse_kernel_log(text, max_seconds=60)
    elapsed = time.time() - started
    assert parsed["lines"] == 1000000 and not parsed["timed_out"]
    assert parsed["table_full"]["count"] == 1000
    assert len(parsed["table_full"]["stamps"]) <= pkl.MAX_STAMPS
    assert elapsed < 20, elapsed


def test_max_lines_keeps_the_newest():
    text = "".join("[%d.0] nf_conntrack: table full, dropping packet\n" % i for i in range(100))
    parsed = pkl.parse_kernel_log(text, max_lines=10)
    assert parsed["table_full"]["count"] == 10
    assert parsed["table_full"]["first"]["mono"] == 90.0 and parsed["table_full"]["first"]["line"] == 91
    assert parsed["skipped_lines"] == 90 and "only the newest 10" in parsed["problems"][0]


def test_time_budget_stops_parsing():
    text = "[1.0] INFO: task a:1 blocked for more than 1 seconds.\n" * 20000
    parsed = pkl.parse_kernel_log(text, max_seconds=0.0)
    assert parsed["timed_out"] is True
    assert parsed["lines"] < 20000 and "stopped after" in parsed["problems"][0]


def test_many_reports_are_bounded_and_netfilter_ones_survive_a_flood():
    unrelated = "".join("[%d.0] INFO: task z:%d blocked for more than 120 seconds.\n[%d.1]  schedule+0x1/0x2\n"
                        % (i, i, i) for i in range(200))
    seed = fixture("dmesg_hung_iptables_seed000_el7.txt")
    parsed = pkl.parse_kernel_log(unrelated + seed)
    assert parsed["hung_task_count"] == 201
    assert len(parsed["hung_tasks"]) <= pkl.MAX_REPORTS + 3
    assert any(r["path"] == "module_request" for r in parsed["hung_tasks"])


def test_huge_lines_and_frames_are_cut():
    text = ("[1.0] INFO: task a:1 blocked for more than 1 seconds.\n"
            + "[1.1]  f+0x1/0x2\n" * 500 + "[1.2] " + "x" * 10 ** 6 + "\n")
    parsed = pkl.parse_kernel_log(text)
    assert len(parsed["hung_tasks"][0]["frames"]) == pkl.MAX_FRAMES


@pytest.mark.parametrize("junk", [None, b"\xff\xfe\x00kernel", "", "\x00" * 100, "[" * 5000, "9" * 100000,
                                  "INFO: task " + ":" * 3000 + " blocked for more than 9" * 100,
                                  "Feb 30 99:99:99 h kernel: nf_conntrack: table full, dropping packet",
                                  "[99999999999999999999.0] nf_conntrack: table full, dropping packet",
                                  "[Mon Foo 99 99:99:99 2020] BUG: soft lockup - CPU#1 stuck for 9s! [a:1]"])
def test_garbage_never_raises(junk):
    parsed = pkl.parse_kernel_log(junk, reference=naive(2026, 1, 1))
    assert isinstance(parsed["problems"], list)
    pkl.summarise_kernel_logs([parsed], now=naive(2026, 1, 1), uptime=5.0)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_any_text_parses(text):
    parsed = pkl.parse_kernel_log(text, reference=naive(2026, 1, 1))
    assert parsed["lines"] == len(text.splitlines()) or parsed["timed_out"]
    summary = pkl.summarise_kernel_logs([parsed, parsed])
    assert summary["hung_task_count"] >= 0


# ---------------------------------------------------------- summary
def _full_lines(stamps):
    return "".join("%s h kernel: nf_conntrack: table full, dropping packet\n" % s for s in stamps)


def test_summary_counts_once_across_journal_and_kern_log():
    now = naive(2026, 12, 1, 22, 0, 0)
    journal = pkl.parse_kernel_log(
        "2026-12-01T08:00:00+0000 h kernel: Linux version 6.1.0\n"
        "2026-12-01T21:30:00+0000 h kernel: nf_conntrack: table full, dropping packet\n", source="journalctl -k",
        reference=now)
    kern_log = pkl.parse_kernel_log(_full_lines(["Nov  1 10:00:00", "Dec  1 21:30:00"]), source="/var/log/kern.log",
                                    reference=now)
    summary = pkl.summarise_kernel_logs([journal, kern_log], now=now, uptime=14 * 3600)
    full = summary["table_full"]
    assert full["count"] == 2  # the Dec 1 line is in both; the Nov 1 one only in kern.log
    assert full["first"]["file"] == "/var/log/kern.log" and full["first"]["age_seconds"] > 29 * 86400
    assert full["last"]["file"] == "journalctl -k" and full["last"]["age_seconds"] == 1800
    assert full["last_hour"] == 1 and full["last_day"] == 1
    assert summary["reference"]["basis"] == "now"


def test_summary_ages_dmesg_with_uptime():
    dmesg = pkl.parse_kernel_log(fixture("dmesg_table_full_net_ratelimit.txt"), source="dmesg")
    now = naive(2026, 12, 1, 12, 0, 0)
    summary = pkl.summarise_kernel_logs([dmesg], now=now, uptime=104262.962157 + 60)
    assert summary["table_full"]["last"]["age_seconds"] == pytest.approx(60)
    assert summary["table_full"]["last_hour"] == 3
    assert summary["table_full"]["suppressed"] == 3939


def test_summary_without_clock_measures_to_the_end_of_the_log():
    dmesg = pkl.parse_kernel_log(fixture("dmesg_table_full_net_ratelimit.txt"))
    summary = pkl.summarise_kernel_logs([dmesg])
    assert summary["reference"]["basis"] == "end of log (seconds since boot)"
    assert summary["table_full"]["first"]["age_seconds"] == pytest.approx(104262.962157 - 104235.156774)


def test_unaligned_dmesg_yields_to_a_timed_file():
    dmesg = pkl.parse_kernel_log(_mono_full(3), source="dmesg")
    messages = pkl.parse_kernel_log(_full_lines(["Dec  1 21:30:00", "Dec  1 21:30:01"]), source="/var/log/messages",
                                    reference=naive(2026, 12, 2))
    summary = pkl.summarise_kernel_logs([dmesg, messages])
    assert summary["table_full"]["count"] == 2 and summary["table_full"]["last"]["file"] == "/var/log/messages"
    alone = pkl.summarise_kernel_logs([dmesg])
    assert alone["table_full"]["count"] == 3


def _mono_full(count):
    return "".join("[%d.0] nf_conntrack: table full, dropping packet\n" % (100 + i) for i in range(count))


def test_summary_flood_is_a_lower_bound():
    text = "".join("2026-12-01T21:%02d:%02d+0000 h kernel: nf_conntrack: table full, dropping packet\n" % (
        i // 60 % 60, i % 60) for i in range(pkl.MAX_STAMPS + 500))
    parsed = pkl.parse_kernel_log(text)
    summary = pkl.summarise_kernel_logs([parsed])
    assert summary["table_full"]["count"] == pkl.MAX_STAMPS + 500
    assert summary["table_full"]["at_least"] is True


def test_summary_of_nothing():
    summary = pkl.summarise_kernel_logs([])
    assert summary["table_full"] is None and summary["hung_tasks"] == [] and summary["reference"]["time"] is None


def test_journal_banners_do_not_hide_the_span():
    text = ("-- Logs begin at Mon 2026-11-30 08:00:00 UTC, end at Tue 2026-12-01 21:59:00 UTC. --\n"
            "Nov 30 08:00:00 h kernel: Linux version 6.1.0\n"
            "Dec  1 21:00:00 h kernel: nf_conntrack: table full, dropping packet\n"
            "-- Boot 0123456789abcdef --\n")
    journal = pkl.parse_kernel_log(text, source="journalctl_--no-pager", reference=naive(2026, 12, 1, 22))
    assert journal["first"]["wall"] == naive(2026, 11, 30, 8) and journal["first"]["line"] == 2
    assert journal["last"]["line"] == 3 and journal["format"] == "syslog"
    messages = pkl.parse_kernel_log("Dec  1 21:00:00 h kernel: nf_conntrack: table full, dropping packet\n",
                                    source="/var/log/messages", reference=naive(2026, 12, 1, 22))
    summary = pkl.summarise_kernel_logs([journal, messages])
    assert summary["table_full"]["count"] == 1  # the journal's span covers the messages copy
