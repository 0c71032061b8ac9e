"""root_path: one confinement rule for every path remediation touches under a root."""
import os

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import root_path as rp


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "root"
    (root / "etc" / "modprobe.d").mkdir(parents=True)
    (root / "usr" / "lib" / "modprobe.d").mkdir(parents=True)
    (root / "usr" / "lib" / "modprobe.d" / "v.conf").write_text("blacklist x\n")
    (tmp_path / "outside").mkdir()
    return str(root)


def test_normalise_root_live_spellings(tmp_path):
    assert rp.normalise_root("/") == ("/", True)
    assert rp.normalise_root("//") == ("/", True)
    assert rp.normalise_root("/tmp/..") == ("/", True)
    os.symlink("/", str(tmp_path / "slash"))
    assert rp.normalise_root(str(tmp_path / "slash")) == ("/", True)
    os.symlink(str(tmp_path), str(tmp_path / "self"))
    assert rp.normalise_root(str(tmp_path / "self") + "/") == (str(tmp_path), False)


@pytest.mark.parametrize("root, message", [
    ("", "root is empty"),
    ("etc", "root etc is not an absolute path"),
    ("/nonexistent-nfdoctor", "root /nonexistent-nfdoctor is not a directory"),
    ("/tmp/a\x00b", "root contains a NUL byte"),
])
def test_normalise_root_refusals(root, message):
    with pytest.raises(rp.RootPathError, match=message.replace("\x00", "")):
        rp.normalise_root(root)


def test_resolve_plain_and_missing(tree):
    assert rp.resolve(tree, "/etc/modprobe.d/a.conf") == tree + "/etc/modprobe.d/a.conf"
    assert rp.resolve(tree, "/new/dir/file") == tree + "/new/dir/file"
    assert rp.resolve(tree, "//etc/./modprobe.d/") == tree + "/etc/modprobe.d"
    assert rp.resolve(tree, "/") == tree


@pytest.mark.parametrize("path", ["/etc/../../outside", "/..", "/etc/modprobe.d/..", "relative", ""])
def test_resolve_refuses_dotdot_and_relative(tree, path):
    with pytest.raises(rp.RootPathError):
        rp.resolve(tree, path)


def test_absolute_link_is_taken_from_the_tree_root(tree):
    os.symlink("/usr/lib/modprobe.d/v.conf", tree + "/etc/modprobe.d/v.conf")
    assert rp.resolve(tree, "/etc/modprobe.d/v.conf") == tree + "/usr/lib/modprobe.d/v.conf"
    assert rp.resolve(tree, "/etc/modprobe.d/v.conf", follow_last=False) == tree + "/etc/modprobe.d/v.conf"
    # a link to this host's /etc/shadow means the tree's /etc/shadow
    os.symlink("/etc/shadow", tree + "/etc/modprobe.d/s.conf")
    assert rp.resolve(tree, "/etc/modprobe.d/s.conf") == tree + "/etc/shadow"


def test_relative_links_inside_are_followed_and_out_are_refused(tree):
    os.symlink("../usr/lib", tree + "/etc/lib")
    assert rp.resolve(tree, "/etc/lib/modprobe.d/v.conf") == tree + "/usr/lib/modprobe.d/v.conf"
    os.symlink("../../outside", tree + "/etc/out")
    with pytest.raises(rp.RootPathError, match="leads outside the root"):
        rp.resolve(tree, "/etc/out/x")
    # dotdot inside a link that stays inside is fine
    os.symlink("../../usr", tree + "/etc/modprobe.d/up")
    assert rp.resolve(tree, "/etc/modprobe.d/up/lib") == tree + "/usr/lib"


def test_link_loops_end(tree):
    os.symlink("b", tree + "/etc/a")
    os.symlink("a", tree + "/etc/b")
    with pytest.raises(rp.RootPathError, match="too many levels of symbolic links"):
        rp.resolve(tree, "/etc/a/x")


def test_live_root_clamps_dotdot_in_links(tmp_path):
    os.symlink("../../../../../../../../tmp", str(tmp_path / "up"))
    assert rp.resolve("/", str(tmp_path / "up")) == "/tmp"


def test_host_view_and_kind(tree):
    assert rp.host_view(tree, tree + "/etc/x") == "/etc/x"
    assert rp.host_view(tree, tree) == "/"
    assert rp.host_view("/", "/etc/x") == "/etc/x"
    os.mkfifo(tree + "/etc/fifo")
    os.symlink("/dev/zero", tree + "/etc/zero")
    assert [rp.kind(tree + p) for p in ("/etc/fifo", "/etc/zero", "/etc", "/usr/lib/modprobe.d/v.conf", "/no")] == [
        "named pipe (FIFO)", "link", "directory", "file", "absent"]
    assert rp.kind("/dev/null") == "device"


def test_confined_glob(tmp_path):
    root = tmp_path / "r[1]"
    (root / "etc" / "cron.d").mkdir(parents=True)
    for name in ("a", "b", ".hidden"):
        (root / "etc" / "cron.d" / name).write_text("x\n")
    sibling = tmp_path / "r1" / "etc" / "cron.d"
    sibling.mkdir(parents=True)
    (sibling / "victim").write_text("x\n")
    real = str(root)
    assert rp.confined_glob(real, "/etc/cron.d/*") == [("/etc/cron.d/a", real + "/etc/cron.d/a"),
                                                       ("/etc/cron.d/b", real + "/etc/cron.d/b")]
    assert rp.confined_glob(real, "/etc/cron.d/.h*") == [("/etc/cron.d/.hidden", real + "/etc/cron.d/.hidden")]
    assert rp.confined_glob(real, "/e*/cron.d") == [("/etc/cron.d", real + "/etc/cron.d")]
    assert rp.confined_glob(real, "/etc/nothing/*") == []
    os.symlink("../../../r1/etc/cron.d", str(root / "etc" / "out.d"))
    assert rp.confined_glob(real, "/etc/out.d/*") == []
    with pytest.raises(rp.RootPathError, match="contains '..'"):
        rp.confined_glob(real, "/etc/../../r1/etc/cron.d/*")
