"""config_edit: safe reads, exact commenting, plan/apply with backups and no partial writes."""
import os

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import config_edit as ce

MARKER = "# disabled by test:"


class FakeModule:
    """The three AnsibleModule methods apply_plan uses, with the real semantics."""

    def __init__(self):
        self.failed = None

    def backup_local(self, path):
        backup = path + ".1234.2026-11-22@00:00:00~"
        with open(path, "rb") as src, open(backup, "wb") as dst:
            dst.write(src.read())
        return backup

    def atomic_move(self, src, dest):
        if os.path.exists(dest):
            os.chmod(src, os.stat(dest).st_mode & 0o7777)
        os.rename(src, dest)

    def set_mode_if_different(self, path, mode, changed):
        os.chmod(path, mode)
        return True

    def fail_json(self, **kwargs):
        self.failed = kwargs
        raise SystemExit(1)


def test_comment_out_keeps_everything_else_byte_for_byte():
    text = "a\r\nblacklist x\n  install y \\\n   /bin/true\nlast-without-newline"
    out = ce.comment_out_lines(text, [(2, 2), (3, 4)], MARKER)
    assert out == ("a\r\n" + MARKER + " blacklist x\n" + MARKER + "   install y \\\n" + MARKER
                   + "    /bin/true\nlast-without-newline")
    assert ce.comment_out_lines(out, [(2, 2)], MARKER) == out


def test_comment_out_nothing_is_identity():
    text = "blacklist x\n"
    assert ce.comment_out_lines(text, [], MARKER) == text


def test_read_text_file_refusals(tmp_path):
    assert ce.read_text_file(str(tmp_path / "missing")) is None
    os.symlink(str(tmp_path / "nowhere"), str(tmp_path / "dangling"))
    assert ce.read_text_file(str(tmp_path / "dangling")) is None
    (tmp_path / "dir.conf").mkdir()
    with pytest.raises(ce.ConfigEditError, match="is a directory, not a file"):
        ce.read_text_file(str(tmp_path / "dir.conf"))
    (tmp_path / "bin.conf").write_bytes(b"blacklist a\x00\x01")
    with pytest.raises(ce.ConfigEditError, match="NUL bytes"):
        ce.read_text_file(str(tmp_path / "bin.conf"))
    (tmp_path / "latin1.conf").write_bytes(b"# \xe4\n")
    with pytest.raises(ce.ConfigEditError, match="not UTF-8 text"):
        ce.read_text_file(str(tmp_path / "latin1.conf"))
    (tmp_path / "big.conf").write_bytes(b"#" * 200)
    with pytest.raises(ce.ConfigEditError, match="more than the 100"):
        ce.read_text_file(str(tmp_path / "big.conf"), max_bytes=100)
    with pytest.raises(ce.ConfigEditError, match="not a regular file"):
        ce.read_text_file("/dev/null")
    (tmp_path / "ok.conf").write_text(u"blacklist \u00e9\n", encoding="utf-8")
    assert ce.read_text_file(str(tmp_path / "ok.conf")) == u"blacklist \u00e9\n"


def test_plan_diffs_and_no_op():
    plan = ce.EditPlan()
    assert plan.add("/x", "same\n", "same\n") is False
    assert not plan.changed
    plan.add("/etc/a.conf", "a\n", "# a\n")
    plan.add("/etc/b.conf", None, "b\n", diff_before="vendor\n", before_header="/usr/lib/b.conf")
    assert plan.diffs() == [
        {"before": "a\n", "after": "# a\n", "before_header": "/etc/a.conf", "after_header": "/etc/a.conf"},
        {"before": "vendor\n", "after": "b\n", "before_header": "/usr/lib/b.conf", "after_header": "/etc/b.conf"},
    ]
    with pytest.raises(ce.ConfigEditError, match="planned twice"):
        plan.add("/etc/a.conf", "a\n", "b\n")


def test_apply_plan_writes_backs_up_and_keeps_mode(tmp_path):
    existing = tmp_path / "etc" / "a.conf"
    existing.parent.mkdir()
    existing.write_text("blacklist x\n")
    os.chmod(str(existing), 0o600)
    new = tmp_path / "etc" / "sub" / "b.conf"
    plan = ce.EditPlan()
    plan.add(str(existing), "blacklist x\n", "# blacklist x\n")
    plan.add(str(new), None, "new\n", mode=0o640)
    changed, backups = ce.apply_plan(FakeModule(), plan)
    assert changed == [str(existing), str(new)]
    assert existing.read_text() == "# blacklist x\n" and new.read_text() == "new\n"
    assert os.stat(str(existing)).st_mode & 0o777 == 0o600
    assert os.stat(str(new)).st_mode & 0o777 == 0o640
    assert open(backups[str(existing)]).read() == "blacklist x\n"
    assert str(new) not in backups
    # no temporary file is left behind
    assert not [n for n in os.listdir(str(existing.parent)) if n.startswith(ce.TEMP_PREFIX)]


def test_apply_plan_refuses_a_file_changed_since_planning(tmp_path):
    target = tmp_path / "a.conf"
    target.write_text("blacklist x\n")
    plan = ce.EditPlan()
    plan.add(str(target), "blacklist x\n", "# blacklist x\n")
    target.write_text("blacklist x\nblacklist y\n")  # someone else edits it meanwhile
    module = FakeModule()
    with pytest.raises(SystemExit):
        ce.apply_plan(module, plan)
    assert "changed while the plan was being made" in module.failed["msg"]
    assert target.read_text() == "blacklist x\nblacklist y\n"
    assert module.failed["files_changed"] == []


def test_apply_plan_checks_every_file_before_writing_any(tmp_path):
    good = tmp_path / "good.conf"
    good.write_text("x\n")
    blocker = tmp_path / "notadir"
    blocker.write_text("i am a file\n")
    plan = ce.EditPlan()
    plan.add(str(good), "x\n", "# x\n")
    plan.add(str(blocker / "b.conf"), None, "b\n")
    module = FakeModule()
    with pytest.raises(SystemExit):
        ce.apply_plan(module, plan)
    # the second file cannot be written, so the first is not written either
    assert module.failed["files_changed"] == [] and module.failed["changed"] is False
    assert "notadir/b.conf: cannot be examined (Not a directory)" in module.failed["msg"] and "nothing was changed" in module.failed["msg"]
    assert module.failed["failed_file"] == str(blocker / "b.conf")
    assert good.read_text() == "x\n" and blocker.read_text() == "i am a file\n"
    assert sorted(os.listdir(str(tmp_path))) == ["good.conf", "notadir"]


def test_host_path():
    assert ce.host_path("/", "/etc/x") == "/etc/x"
    assert ce.host_path("/srv/root", "/etc/x") == "/srv/root/etc/x"


def test_line_numbers_count_newlines_only():
    # a form feed is not a line end for kmod or cron, so line 2 is the blacklist
    text = "a\x0cb\nblacklist x\n"
    assert ce.comment_out_lines(text, [(2, 2)], MARKER) == "a\x0cb\n" + MARKER + " blacklist x\n"


def _plan_one(tmp_path, data=u"blacklist x\n" * 2000):
    target = tmp_path / "a.conf"
    target.write_text(data)
    plan = ce.EditPlan()
    plan.add(str(target), data, data.replace(u"blacklist x", u"# blacklist x"))
    return target, plan


def _fake_write(monkeypatch, behaviour):
    """Replace os.write for files config_edit writes (not pytest's own output)."""
    real_write = os.write
    calls = []

    def fake(fd, data):
        if fd in (0, 1, 2):
            return real_write(fd, data)
        calls.append(len(data))
        return behaviour(real_write, fd, data, len(calls))
    monkeypatch.setattr(ce.os, "write", fake)
    return calls


def test_short_write_then_enospc_fails_and_keeps_the_file(tmp_path, monkeypatch):
    target, plan = _plan_one(tmp_path)
    before = target.read_bytes()

    def short_then_full(real_write, fd, data, call):
        if call == 1:
            return real_write(fd, data[:8192])  # what the kernel does on a nearly full disk
        raise OSError(ce.errno.ENOSPC, "No space left on device")
    calls = _fake_write(monkeypatch, short_then_full)
    module = FakeModule()
    with pytest.raises(SystemExit):
        ce.apply_plan(module, plan, backup=False)
    assert calls[0] == len(before) + 2000 * 2 and calls[1] == calls[0] - 8192  # the rest was asked for
    assert module.failed["msg"] == ("%s: cannot be written (No space left on device: free some space and run "
                                    "again); left as it was, nothing was changed" % target)
    assert module.failed["changed"] is False and module.failed["files_changed"] == []
    assert target.read_bytes() == before
    assert os.listdir(str(tmp_path)) == ["a.conf"]


def test_a_write_that_stores_nothing_is_not_success(tmp_path, monkeypatch):
    target, plan = _plan_one(tmp_path)
    before = target.read_bytes()
    _fake_write(monkeypatch, lambda real_write, fd, data, call: 0)
    module = FakeModule()
    with pytest.raises(SystemExit):
        ce.apply_plan(module, plan, backup=False)
    assert "cannot be written (write stored nothing after 0 of" in module.failed["msg"]
    assert target.read_bytes() == before and os.listdir(str(tmp_path)) == ["a.conf"]


def test_short_writes_are_continued_to_the_end(tmp_path, monkeypatch):
    # the negative case: short counts without an error are legal; the rest is written, nothing lost
    target, plan = _plan_one(tmp_path)
    calls = _fake_write(monkeypatch, lambda real_write, fd, data, call: real_write(fd, data[:4096]))
    changed, _backups = ce.apply_plan(FakeModule(), plan, backup=False)
    assert changed == [str(target)] and len(calls) > 2
    assert target.read_text() == u"# blacklist x\n" * 2000


def test_size_on_disk_is_checked_before_the_rename(tmp_path, monkeypatch):
    target, plan = _plan_one(tmp_path)
    before = target.read_bytes()
    real_fstat = os.fstat

    class Short:
        def __init__(self, info):
            self.info = info
            self.st_size = info.st_size - 1

        def __getattr__(self, name):
            return getattr(self.info, name)
    monkeypatch.setattr(ce.os, "fstat", lambda fd: Short(real_fstat(fd)))
    module = FakeModule()
    with pytest.raises(SystemExit):
        ce.apply_plan(module, plan, backup=False)
    assert "bytes reached the disk" in module.failed["msg"]
    assert target.read_bytes() == before


def test_failure_at_file_two_reports_file_one_with_its_backup(tmp_path, monkeypatch):
    first = tmp_path / "a.conf"
    second = tmp_path / "b.conf"
    first.write_text("blacklist a\n")
    second.write_text("blacklist b\n")
    plan = ce.EditPlan()
    plan.add(str(first), "blacklist a\n", "# blacklist a\n")
    plan.add(str(second), "blacklist b\n", "# blacklist b\n")
    real_replace = ce.replace_file

    def replace(module, path, data, mode, owner=None):
        if path == str(second):
            # what ansible-core 2.19's atomic_move raises when the final rename fails
            raise Exception("Failed to replace '%s' with '/tmp/x'." % path)
        return real_replace(module, path, data, mode, owner)
    monkeypatch.setattr(ce, "replace_file", replace)
    module = FakeModule()
    with pytest.raises(SystemExit):
        ce.apply_plan(module, plan)
    failed = module.failed
    assert failed["changed"] is True and failed["failed_file"] == str(second)
    assert failed["files_changed"] == [str(first)]
    assert list(failed["backups"]) == [str(first)] and open(failed["backups"][str(first)]).read() == "blacklist a\n"
    assert failed["msg"] == ("%s: cannot be written (Failed to replace '%s' with '/tmp/x'.); %s was left as it was, "
                             "but 1 file(s) had already been changed: %s (backup %s)"
                             % (second, second, second, first, failed["backups"][str(first)]))
    assert first.read_text() == "# blacklist a\n" and second.read_text() == "blacklist b\n"
    # the second file's backup is removed with the failure: only the first's remains
    assert sorted(os.listdir(str(tmp_path))) == sorted(["a.conf", "b.conf",
                                                        os.path.basename(failed["backups"][str(first)])])


def test_backup_is_written_from_the_source_not_through_a_link(tmp_path):
    # a link in a scratch tree pointing at this host's file: the module read the tree's file (source)
    tree_file = tmp_path / "tree-vendor.conf"
    tree_file.write_text("blacklist x\n")
    os.chmod(str(tree_file), 0o640)
    host_file = tmp_path / "host-secret"
    host_file.write_text("secret\n")
    link = tmp_path / "etc.conf"
    os.symlink(str(host_file), str(link))
    plan = ce.EditPlan()
    plan.add(str(link), "blacklist x\n", "# blacklist x\n", source=str(tree_file))
    changed, backups = ce.apply_plan(FakeModule(), plan)
    assert changed == [str(link)] and not os.path.islink(str(link))
    assert link.read_text() == "# blacklist x\n"
    assert open(backups[str(link)]).read() == "blacklist x\n"
    assert os.stat(backups[str(link)]).st_mode & 0o777 == 0o640
    assert host_file.read_text() == "secret\n" and tree_file.read_text() == "blacklist x\n"


def test_read_text_file_never_blocks_on_a_fifo(tmp_path):
    fifo = str(tmp_path / "pipe.conf")
    os.mkfifo(fifo)
    with pytest.raises(ce.ConfigEditError, match="not a regular file"):
        ce.read_text_file(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        ce.read_regular_bytes(fifo, 10)
