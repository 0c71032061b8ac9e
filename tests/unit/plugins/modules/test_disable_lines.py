"""disable_lines against a copy of a host's cron, rc.local and systemd files."""
import hashlib
import json
import os
import shutil

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.nfdoctor.netfilter.plugins.modules import disable_lines

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "flush_jobs")
MARKER = "# disabled by nfdoctor.netfilter.disable_lines:"
CRON_AND_RC = ["/etc/crontab", "/etc/cron.d", "/etc/cron.daily", "/var/spool/cron", "/var/spool/cron/crontabs",
               "/etc/rc.local", "/etc/rc.d/rc.local"]
UNITS = ["/etc/systemd/system/*.service", "/etc/systemd/system/*.service.d/*.conf"]


def run(capsys, check_mode=False, **args):
    if "regexp" not in args:
        args.setdefault("match", "conntrack_flush")
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = True
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exit_info:
            disable_lines.main()
    result = json.loads(capsys.readouterr().out)
    result["rc"] = exit_info.value.code
    return result


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


def test_compile_patterns_preset_and_keep():
    pattern, keep = disable_lines.compile_patterns({"regexp": None, "match": "conntrack_flush", "keep_regexp": "^x"})
    assert pattern.search("conntrack -F") and keep.search("x")


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
