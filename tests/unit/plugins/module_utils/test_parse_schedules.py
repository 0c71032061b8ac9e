"""Tests for parse_schedules.find_conntrack_flushes: cron, systemd, rc.local, scripts.

Each positive fixture sits beside a negative one that holds the same words in
places that do not run (comments, echo, Description=, Environment=) or in
commands that do not flush (conntrack -L, -S, -C, targeted -D).
"""
import doctest
import os

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_schedules as ps

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "schedules")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


def flushes(name, kind):
    return ps.find_conntrack_flushes(fixture(name), "/etc/" + name, kind)


def test_docstring_examples():
    failures, _tried = doctest.testmod(ps)
    assert failures == 0


def test_cron_d_seed002_vpn_flushes():
    found = flushes("cron.d_vpn_flush", "cron")
    assert [(entry["line"], entry["command"]) for entry in found] == [
        (6, "conntrack -F"),
        (8, "conntrack -F expect"),
        (9, "conntrack --flush"),
        (10, "conntrack -F conntrack"),
    ]
    assert found[0] == {
        "file": "/etc/cron.d_vpn_flush", "line": 6, "kind": "cron", "command": "conntrack -F",
        "text": "*/5 * * * * root /usr/sbin/conntrack -F >/dev/null 2>&1",
    }


def test_cron_negative():
    assert flushes("cron.d_conntrack_negative", "cron") == []


def test_user_crontab_wrappers_and_nested_shell():
    found = flushes("crontab_user_root_flush", "cron")
    assert [(entry["line"], entry["command"]) for entry in found] == [
        (2, "conntrack -F"),      # sudo -n conntrack -F after &&
        (3, "conntrack -D"),      # timeout + ip netns exec; -D without a filter deletes all
        (4, "conntrack -F"),      # /bin/sh -c '...'
    ]


def test_systemd_exec_lines_only():
    found = flushes("vpn-ct-flush.service", "systemd")
    assert [(entry["line"], entry["command"]) for entry in found] == [
        (8, "conntrack -F"),        # ExecStartPre=-/usr/sbin/conntrack -F
        (9, "conntrack --flush"),   # ExecStart=/bin/bash -c "sleep 2; ..."
    ]
    assert all(entry["kind"] == "systemd" for entry in found)


def test_systemd_negative():
    assert flushes("conntrack-stats.service_negative", "systemd") == []


def test_rc_local_flush_and_continuation():
    found = flushes("rc.local_flush", "rc.local")
    assert [(entry["line"], entry["command"]) for entry in found] == [(8, "conntrack -F"), (11, "conntrack -F")]
    assert found[1]["text"].startswith("/usr/local/bin/start-tunnel --wait &&")


def test_rc_local_negative():
    assert flushes("rc.local_negative", "rc.local") == []


@pytest.mark.parametrize("line", [
    "conntrack -F",
    "/usr/sbin/conntrack -F conntrack",
    "conntrack -F expect",
    "conntrack --flush=conntrack",
    "conntrack -D",
    "conntrack -D conntrack -f ipv4",
    "sudo -u root conntrack -F",
    "env LC_ALL=C nice -n 10 conntrack -F",
    "flock -w 5 /run/ct.lock conntrack -F",
    "if true; then conntrack -F; fi",
    "x=$(conntrack -F)",
    "for i in 1 2; do conntrack -F; done",
    "bash -c \"su -c 'conntrack -F'\"",
    "true && \\\nconntrack -F",
])
def test_script_positive(line):
    found = ps.find_conntrack_flushes(line, "/usr/local/bin/x.sh", "script")
    assert len(found) == 1 and found[0]["line"] == 1


@pytest.mark.parametrize("line", [
    "# conntrack -F",
    "  #conntrack -F",
    "echo conntrack -F",
    "echo 'conntrack -F'",
    "logger \"conntrack -F\"",
    "conntrack -L",
    "conntrack -S",
    "conntrack -C",
    "conntrack -E -e NEW",
    "conntrack -D -s 1.2.3.4",
    "conntrack -D -p tcp --dport 80",
    "conntrack -D --mark 0x10",
    "man conntrack -F",
    "ls /usr/sbin/conntrack",
    "true # conntrack -F",
    "conntrackd -F",
    "",
])
def test_script_negative(line):
    assert ps.find_conntrack_flushes(line, "/usr/local/bin/x.sh", "script") == []


def test_cron_has_no_line_continuation():
    text = "0 * * * * root echo \\\nconntrack -F\n"
    # The second line is not a cron entry at all (no schedule), so nothing runs it.
    assert ps.find_conntrack_flushes(text, "/etc/crontab", "cron") == []


def test_cron_variable_and_short_lines():
    text = "SHELL=/bin/sh\n* * * *\n@hourly\n@daily conntrack -F\n"
    found = ps.find_conntrack_flushes(text, "/var/spool/cron/root", "cron")
    assert [entry["line"] for entry in found] == [4]


def test_unknown_kind_is_treated_as_script():
    found = ps.find_conntrack_flushes("conntrack -F\n", "/x", "bogus")
    assert found[0]["kind"] == "script"


def test_systemd_comment_styles():
    text = "[Service]\n;ExecStart=/usr/sbin/conntrack -F\n#ExecStart=/usr/sbin/conntrack -F\nDescription=conntrack -F\n"
    assert ps.find_conntrack_flushes(text, "/etc/systemd/system/x.service", "systemd") == []


def test_nesting_is_bounded():
    nested = "conntrack -F"
    for _depth in range(6):
        nested = "sh -c " + "'" + nested.replace("'", "'\\''") + "'"
    # Deeper than the limit: not reported, and no runaway recursion either.
    assert ps.find_conntrack_flushes(nested, "/x", "script") == []
