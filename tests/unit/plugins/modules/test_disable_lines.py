"""disable_lines against a copy of a host's cron, rc.local and systemd files."""
import hashlib
import os
import shutil

import pytest
from module_runner import run_main

from ansible_collections.nfdoctor.netfilter.plugins.modules import disable_lines

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "flush_jobs")
MARKER = "# disabled by nfdoctor.netfilter.disable_lines:"
CRON_AND_RC = ["/etc/crontab", "/etc/cron.d", "/etc/cron.daily", "/var/spool/cron", "/var/spool/cron/crontabs",
               "/etc/rc.local", "/etc/rc.d/rc.local"]
UNITS = ["/etc/systemd/system/*.service", "/etc/systemd/system/*.service.d/*.conf"]


def run(capsys, check_mode=False, **args):
    if "regexp" not in args and "lines" not in args:
        args.setdefault("match", "conntrack_flush")
    if args.get("match", "") is None:
        del args["match"]  # neither regexp nor match
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = True
    return run_main(capsys, disable_lines, args)


@pytest.fixture
def root(tmp_path):
    target = tmp_path / "root"
    shutil.copytree(FIXTURE, str(target), symlinks=True)
    # git keeps only the executable bit; a spool crontab is 0600 on a real host
    os.chmod(str(target / "var/spool/cron/crontabs/root"), 0o600)
    return target


def checksums(root):
    sums = {}
    for directory, _dirs, files in os.walk(str(root)):
        for name in files:
            path = os.path.join(directory, name)
            if os.path.islink(path):
                sums[path] = "link:" + os.readlink(path)
                continue
            with open(path, "rb") as handle:
                sums[path] = "%s %o" % (hashlib.sha256(handle.read()).hexdigest(), os.stat(path).st_mode)
    return sums


def test_flush_jobs_are_commented_and_everything_else_kept(root, capsys):
    result = run(capsys, root=str(root), paths=CRON_AND_RC)
    assert result["rc"] == 0 and result["changed"] is True
    assert [(m["file"], m["line"], m["action"]) for m in result["matches"]] == [
        ("/etc/cron.d/sslvpn-maintenance", 5, "commented"),
        ("/etc/cron.daily/reset-nat", 3, "commented"),
        ("/etc/crontab", 22, "commented"),
        ("/etc/rc.d/rc.local", 4, "commented"),
        ("/var/spool/cron/crontabs/root", 4, "commented"),
    ]
    cron = (root / "etc/cron.d/sslvpn-maintenance").read_text()
    assert MARKER + " */10 * * * * root /usr/sbin/conntrack -F >/dev/null 2>&1\n" in cron
    # the rotate-sessions job on the line before and the commented conntrack -L stay as they were
    assert "\n*/10 * * * * root /opt/sslvpn/bin/rotate-sessions >/dev/null 2>&1\n" in cron
    assert "\n# */5 * * * * root conntrack -L > /tmp/ct.txt\n" in cron
    # modes survive: a crontab in the spool must stay 0600, a cron.daily script executable
    assert os.stat(str(root / "var/spool/cron/crontabs/root")).st_mode & 0o777 == 0o600
    assert os.stat(str(root / "etc/cron.daily/reset-nat")).st_mode & 0o777 == 0o755
    # rc.local is a symlink to rc.d/rc.local: the link is kept and the target edited once
    assert os.readlink(str(root / "etc/rc.local")) == "rc.d/rc.local"
    assert sorted(result["backups"]) == sorted(result["files_changed"])
    for path, backup in result["backups"].items():
        assert MARKER not in open(backup).read() and MARKER in open(path).read()


def test_negative_lines_are_not_matched(root, capsys):
    result = run(capsys, root=str(root), paths=["/etc/cron.d/conntrackd-sync"])
    assert result["matches"] == [] and result["changed"] is False


def test_second_run_changes_nothing(root, capsys):
    run(capsys, root=str(root), paths=CRON_AND_RC)
    sums = checksums(root)
    second = run(capsys, root=str(root), paths=CRON_AND_RC)
    assert second["changed"] is False and second["matches"] == [] and second["diff"] == []
    assert checksums(root) == sums
    assert second["files_searched"] == 6  # the five backups are not read


def test_check_mode_writes_nothing_and_diff_is_exact(root, capsys):
    sums = checksums(root)
    result = run(capsys, check_mode=True, root=str(root), paths=["/etc/crontab"])
    assert checksums(root) == sums
    diff = result["diff"][0]
    before = diff["before"].split("\n")
    after = diff["after"].split("\n")
    changed = [(b, a) for b, a in zip(before, after) if b != a]
    assert changed == [(before[21], MARKER + " " + before[21])]
    assert len(before) == len(after)


def test_units_keep_exec_start_for_a_human(root, capsys):
    result = run(capsys, root=str(root), paths=UNITS, keep_regexp=r"^\s*ExecStart=")
    assert [(m["file"], m["action"]) for m in result["matches"]] == [
        ("/etc/systemd/system/conntrack-flush.service", "kept"),
        ("/etc/systemd/system/openvpn-server@.service.d/flush.conf", "commented"),
    ]
    assert "\nExecStart=/usr/sbin/conntrack -F\n" in (root / "etc/systemd/system/conntrack-flush.service").read_text()


def test_reported_state_changes_nothing(root, capsys):
    sums = checksums(root)
    result = run(capsys, root=str(root), paths=CRON_AND_RC + UNITS, state="reported")
    assert result["changed"] is False and len(result["matches"]) == 7
    assert {m["action"] for m in result["matches"]} == {"reported"}
    assert checksums(root) == sums


def test_binary_file_with_a_match_fails_and_is_left_alone(root, capsys):
    bad = root / "etc/cron.d/corrupt"
    bad.write_bytes(b"*/5 * * * * root conntrack -F\n\x00\x00\xff")
    sums = checksums(root)
    result = run(capsys, root=str(root), paths=CRON_AND_RC)
    assert result["failed"] is True
    assert "/etc/cron.d/corrupt appears to contain a matching line but cannot be edited safely" in result["msg"]
    assert checksums(root) == sums


def test_binary_file_without_a_match_is_a_warning(root, capsys):
    (root / "etc/cron.d/blob").write_bytes(b"\x7fELF\x00\x00")
    result = run(capsys, root=str(root), paths=["/etc/cron.d"])
    assert result["rc"] == 0 and any("NUL bytes" in w for w in result["warnings_detail"])


def test_bad_arguments(root, capsys):
    assert "marker must be one line" in run(capsys, root=str(root), paths=["/etc"], marker="x")["msg"]
    assert "invalid regular expression" in run(capsys, root=str(root), paths=["/etc"], regexp="(")["msg"]
    assert "mutually exclusive" in run(capsys, root=str(root), paths=["/etc"], regexp="x",
                                       match="conntrack_flush")["msg"]
    assert "one of the following is required" in run(capsys, root=str(root), match="conntrack_flush")["msg"]
    assert "paths needs one of regexp or match" in run(capsys, root=str(root), paths=["/etc"], match=None)["msg"]
    cited = [{"file": "/etc/crontab", "line": 0, "text": "x"}]
    assert "line numbers start at 1" in run(capsys, root=str(root), lines=cited)["msg"]
    assert "mutually exclusive" in run(capsys, root=str(root), lines=[], paths=["/etc"])["msg"]


def test_kept_lines_are_kept_in_reported_state_too(root, capsys):
    result = run(capsys, root=str(root), paths=UNITS, keep_regexp=r"^\s*ExecStart=", state="reported")
    assert [m["action"] for m in result["matches"]] == ["kept", "reported"]
    assert result["changed"] is False


@pytest.mark.parametrize("marker, ok", [
    ("# disabled:", True), (u"#\tticket \u2013 42", True), ("disabled", False), ("# a\nb", False),
    ("# a\x00b", False), ("# a\rb", False), ("# esc\x1b[0m", False), ("# del\x7f", False),
])
def test_check_marker(marker, ok):
    assert (disable_lines.check_marker(marker) is None) is ok


@pytest.mark.parametrize("regexp, error", [
    ("", "regexp is empty"), (" ", "regexp is empty"), ("^", "matches an empty line"), ("a*", "matches an empty line"),
    ("[", "invalid regular expression"), ("conntrack -F", None),
])
def test_compile_patterns(regexp, error):
    params = {"regexp": regexp, "match": None, "keep_regexp": None}
    if error is None:
        pattern, keep = disable_lines.compile_patterns(params)
        assert pattern.search("conntrack -F") and keep is None
    else:
        with pytest.raises(ValueError, match=error):
            disable_lines.compile_patterns(params)


def test_compile_patterns_preset_is_the_audits_parser_and_keep():
    pattern, keep = disable_lines.compile_patterns({"regexp": None, "match": "conntrack_flush", "keep_regexp": "^x"})
    assert keep.search("x")
    text = "* * * * * root echo conntrack -F >> /var/log/x\n*/5 * * * * root conntrack -F\n"
    assert pattern(text, "/etc/cron.d/x") == [(2, 2, "*/5 * * * * root conntrack -F")]
    # the file's kind comes from where it is: a systemd unit runs only Exec*= lines
    unit = "[Service]\nDescription=conntrack -F\nExecStartPre=-/usr/sbin/conntrack -F\n"
    assert pattern(unit, "/etc/systemd/system/x.service") == [(3, 3, "ExecStartPre=-/usr/sbin/conntrack -F")]


def test_time_bound_stops_a_runaway_search_and_restores_the_handler():
    import re
    import signal
    import time
    before = signal.getsignal(signal.SIGALRM)
    started = time.time()
    with pytest.raises(disable_lines.MatchTimeout):
        with disable_lines.time_bound(0.5):
            re.search(r"^(a+)+$", "a" * 40 + "!")
    assert time.time() - started < 5
    assert signal.getsignal(signal.SIGALRM) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    with disable_lines.time_bound(5):  # a quick search finishes inside the bound
        assert re.search("b", "abc")


# --- the audit's rules, not a regexp of our own (issue 10) --------------------
# Lines as in tests/unit/fixtures/schedules (cron.d_conntrack_negative, crontab_user_root_flush):
# what parse_schedules flags, the audit reports, and the fix must act on.

def write(root, path, text):
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def test_unfiltered_conntrack_delete_is_commented_and_an_echo_is_left_alone(root, capsys):
    write(root, "/etc/cron.d/vpn-clean",
          "# deletes every entry, just like -F\n"
          "*/5 * * * * root conntrack -D >/dev/null 2>&1\n"
          "0 * * * * root echo conntrack -F >> /var/log/x\n"
          "15 3 * * 0 root timeout 60 ip netns exec qrouter-1 conntrack -D\n")
    result = run(capsys, root=str(root), paths=["/etc/cron.d/vpn-clean"])
    assert [(m["line"], m["action"]) for m in result["matches"]] == [(2, "commented"), (4, "commented")]
    text = (root / "etc/cron.d/vpn-clean").read_text()
    assert "\n0 * * * * root echo conntrack -F >> /var/log/x\n" in text
    assert MARKER + " */5 * * * * root conntrack -D >/dev/null 2>&1\n" in text


def test_a_bak_job_is_fixed_as_the_audit_flags_it_but_leftovers_cron_skips_are_not(root, capsys):
    from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_schedules import cron_ignores
    write(root, "/etc/cron.d/vpn.bak", "*/5 * * * * root conntrack -F\n")
    write(root, "/etc/cron.d/vpn.dpkg-old", "*/5 * * * * root conntrack -F\n")
    write(root, "/etc/cron.d/vpn.ucf-dist", "*/5 * * * * root conntrack -F\n")
    write(root, "/etc/cron.d/vpn~", "*/5 * * * * root conntrack -F\n")
    result = run(capsys, root=str(root), paths=["/etc/cron.d"])
    files = sorted(set(m["file"] for m in result["matches"]))
    assert files == ["/etc/cron.d/sslvpn-maintenance", "/etc/cron.d/vpn.bak"]
    # the one rule: what the module skips is what the audit skips
    assert [cron_ignores(n) for n in ("vpn.bak", "vpn.dpkg-old", "vpn.ucf-dist", "vpn~")] == [False, True, True, True]


def cited(path, line, text):
    return {"file": path, "line": line, "text": text}


def test_cited_lines_are_verified_and_only_they_are_edited(root, capsys):
    before = checksums(root)
    lines = [cited("/etc/cron.d/sslvpn-maintenance", 5, "*/10 * * * * root /usr/sbin/conntrack -F >/dev/null 2>&1"),
             # rc.local is a link to rc.d/rc.local: the audit cites both, the file is edited once
             cited("/etc/rc.local", 4, "/usr/sbin/conntrack -F"),
             cited("/etc/rc.d/rc.local", 4, "/usr/sbin/conntrack -F"),
             # the audit saw a flush on /etc/crontab:22, but someone edited the line since
             cited("/etc/crontab", 22, "*/30 * * * * root conntrack -F"),
             cited("/etc/cron.d/gone", 1, "* * * * * root conntrack -F")]
    result = run(capsys, root=str(root), lines=lines, match="conntrack_flush")
    actions = [(m["file"], m["action"]) for m in result["matches"]]
    assert actions == [("/etc/cron.d/sslvpn-maintenance", "commented"), ("/etc/rc.local", "commented"),
                       ("/etc/crontab", "stale"), ("/etc/cron.d/gone", "stale")]
    stale = [m for m in result["matches"] if m["action"] == "stale"]
    assert "not the cited" in stale[0]["reason"] and stale[1]["reason"] == "the file is gone"
    assert sorted(result["files_changed"]) == sorted(
        [str(root / "etc/cron.d/sslvpn-maintenance"), str(root / "etc/rc.d/rc.local")])
    changed = [p for p, s in checksums(root).items() if before.get(p) != s and not p.endswith("~")]
    assert sorted(changed) == sorted(result["files_changed"])
    assert "\n" + MARKER + " /usr/sbin/conntrack -F" in (root / "etc/rc.d/rc.local").read_text()
    assert MARKER not in (root / "etc/crontab").read_text()
    again = run(capsys, root=str(root), lines=lines[:2], match="conntrack_flush")
    assert again["changed"] is False and [m["action"] for m in again["matches"]] == ["stale", "stale"]


def test_cited_line_that_is_no_longer_a_flush_is_stale(root, capsys):
    # someone commented the job out by hand since the audit: nothing is left to disable
    write(root, "/etc/cron.d/x", "# */5 * * * * root conntrack -F\n")
    result = run(capsys, root=str(root), lines=[cited("/etc/cron.d/x", 1, "*/5 * * * * root conntrack -F")],
                 match="conntrack_flush")
    assert result["changed"] is False and result["matches"][0]["action"] == "stale"
    assert "no longer" in result["matches"][0]["reason"]


def test_cited_continued_command_is_commented_whole_and_check_mode_writes_nothing(root, capsys):
    script = write(root, "/etc/rc.d/rc.local", "#!/bin/sh\n/usr/sbin/conntrack \\\n  -F\nexit 0\n")
    lines = [cited("/etc/rc.d/rc.local", 2, "/usr/sbin/conntrack    -F")]
    preview = run(capsys, check_mode=True, root=str(root), lines=lines, match="conntrack_flush")
    assert preview["changed"] is True and MARKER not in script.read_text()
    assert preview["diff"][0]["after"].count(MARKER) == 2
    result = run(capsys, root=str(root), lines=lines, match="conntrack_flush")
    assert script.read_text() == "#!/bin/sh\n%s /usr/sbin/conntrack \\\n%s   -F\nexit 0\n" % (MARKER, MARKER)
    assert result["backups"]


def test_cited_lines_without_match_need_the_exact_text_and_keep_is_honoured(root, capsys):
    unit = "/etc/systemd/system/conntrack-flush.service"
    text = (root / unit.lstrip("/")).read_text().split("\n")
    number = text.index("ExecStart=/usr/sbin/conntrack -F") + 1
    result = run(capsys, root=str(root), keep_regexp=r"^\s*ExecStart=",
                 lines=[cited(unit, number, "ExecStart=/usr/sbin/conntrack -F"),
                        cited(unit, 1, "this is not line one")])
    assert [m["action"] for m in result["matches"]] == ["kept", "stale"]
    assert result["changed"] is False
