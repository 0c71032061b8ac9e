"""Bad regexps and markers for disable_lines and modprobe_unblock: a clear refusal, never a traceback or a hang."""
import os
import time

import pytest
from remediation_helpers import run_module, tree_digest

from ansible_collections.nfdoctor.netfilter.plugins.modules import disable_lines, modprobe_unblock

FLUSH = "*/5 * * * * root /usr/sbin/conntrack -F\n"


@pytest.fixture
def cron_root(sandbox):
    sandbox.write("etc/crontab", FLUSH + "# " + "a" * 40 + "!\n" + "a" * 4000 + "!\n")
    return sandbox.root


@pytest.mark.parametrize("regexp, message", [
    ("", "regexp is empty: it would match every line"),
    ("   ", "regexp is empty: it would match every line"),
    (".*", "regexp '.*' matches an empty line, so it would comment out every line of every file"),
    ("x?", "regexp 'x?' matches an empty line, so it would comment out every line of every file"),
    ("(unclosed", "invalid regular expression: missing ), unterminated subpattern at position 0"),
])
def test_empty_and_match_everything_regexps_are_refused(cron_root, capsys, regexp, message):
    before = tree_digest(cron_root)
    result = run_module(capsys, disable_lines, paths=["/etc/crontab"], regexp=regexp, root=cron_root)
    assert result["rc"] == 1 and result["msg"] == message
    assert tree_digest(cron_root) == before


def test_catastrophic_regexp_is_stopped_in_bounded_time(cron_root, capsys, monkeypatch):
    monkeypatch.setattr(disable_lines, "MATCH_SECONDS", 1)
    before = tree_digest(cron_root)
    started = time.time()
    result = run_module(capsys, disable_lines, paths=["/etc/crontab"], regexp=r"^(a+)+$", root=cron_root)
    elapsed = time.time() - started
    assert result["rc"] == 1 and elapsed < 10
    assert result["msg"] == ("regexp '^(a+)+$' took more than 1 seconds to search the files (it backtracks "
                             "catastrophically, e.g. nested repeats like (a+)+); simplify it. Nothing was changed")
    assert tree_digest(cron_root) == before


def test_a_sane_regexp_on_the_same_file_works(cron_root, capsys):
    result = run_module(capsys, disable_lines, paths=["/etc/crontab"], regexp=r"conntrack\s+-F", root=cron_root)
    assert result["rc"] == 0 and [m["line"] for m in result["matches"]] == [1]
    with open(os.path.join(cron_root, "etc/crontab")) as handle:
        assert handle.readline() == "# disabled by nfdoctor.netfilter.disable_lines: " + FLUSH


@pytest.mark.parametrize("marker", ["# bad\x00marker", "# two\nlines", "# cr\rhere", "# bell\x07", "# del\x7f"])
def test_markers_that_would_poison_the_file_are_refused(cron_root, capsys, marker):
    before = tree_digest(cron_root)
    result = run_module(capsys, disable_lines, paths=["/etc/crontab"], match="conntrack_flush", marker=marker,
                        root=cron_root)
    assert result["rc"] == 1
    assert result["msg"].startswith("marker must be one line of printable text starting with '#' (it contains ")
    assert tree_digest(cron_root) == before


def test_a_marker_with_a_tab_and_unicode_is_fine(cron_root, capsys):
    result = run_module(capsys, disable_lines, paths=["/etc/crontab"], match="conntrack_flush",
                        marker=u"#\tdisabled \u2013 ticket 42:", root=cron_root)
    assert result["rc"] == 0 and result["changed"] is True


def test_modprobe_unblock_refuses_a_nul_in_the_marker(sandbox, capsys):
    sandbox.write("etc/modprobe.d/a.conf", "blacklist nf_conntrack\n")
    before = tree_digest(sandbox.root)
    result = run_module(capsys, modprobe_unblock, modules=["nf_conntrack"], root=sandbox.root,
                        marker="# x\x00y", inspect_initramfs=False)
    assert result["rc"] == 1
    assert result["msg"] == "marker contains a NUL byte; kmod and later audits would read the file as binary"
    assert tree_digest(sandbox.root) == before


@pytest.mark.parametrize("root, message", [
    ("relative/tree", "root relative/tree is not an absolute path; nothing was changed"),
    ("/nonexistent/nfdoctor-tree", "root /nonexistent/nfdoctor-tree is not a directory; nothing was changed"),
])
def test_bad_roots_are_refused(capsys, root, message):
    result = run_module(capsys, disable_lines, paths=["/etc/crontab"], match="conntrack_flush", root=root)
    assert result["rc"] == 1 and result["msg"] == message
