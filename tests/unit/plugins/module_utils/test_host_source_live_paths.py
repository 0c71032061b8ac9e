"""A live audit resolves paths with remembered directories (issue 15): the answer is os.path.realpath's."""
import os

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import host_source
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.host_source import HostSource


def _tree(tmp_path):
    """Directories, file links, directory links (absolute and relative), a dangling link and a loop."""
    base = tmp_path / "t"
    (base / "usr" / "lib" / "systemd" / "system").mkdir(parents=True)
    (base / "usr" / "lib" / "systemd" / "system" / "a.service").write_text("[Service]\n")
    (base / "lib").symlink_to("usr/lib")
    (base / "abs").symlink_to(str(base / "usr"))
    (base / "usr" / "lib" / "systemd" / "system" / "b.service").symlink_to("a.service")
    (base / "usr" / "lib" / "systemd" / "system" / "up.service").symlink_to("../../../lib/systemd/system/a.service")
    (base / "dangling").symlink_to("nowhere/at/all")
    (base / "loop1").symlink_to("loop2")
    (base / "loop2").symlink_to("loop1")
    return str(base)


PATHS = (
    "", "/", "usr", "usr/lib", "lib", "lib/systemd/system/a.service", "lib/systemd/system/b.service",
    "lib/systemd/system/up.service", "abs/lib/systemd/system/b.service", "abs/../lib", "lib/./systemd",
    "lib/systemd/system/", "lib/systemd/system/missing.service", "missing/deeper/file", "dangling",
    "dangling/below", "loop1", "loop1/below", "lib/systemd/system/a.service/not-a-dir", "lib/..", "lib/../..",
)


@pytest.mark.parametrize("rel", PATHS)
def test_live_resolution_is_realpath_first_time_and_remembered(tmp_path, rel):
    base = _tree(tmp_path)
    path = base + "/" + rel if rel not in ("", "/") else base + rel
    src = HostSource("/")
    assert src._resolve(path) == (os.path.realpath(path), None)
    assert src._resolve(path) == (os.path.realpath(path), None)


def test_siblings_share_the_remembered_directory_and_agree_with_realpath(tmp_path):
    base = _tree(tmp_path)
    src = HostSource("/")
    for name in ("a.service", "b.service", "up.service", "missing.service"):
        for top in ("lib", "usr/lib", "abs/lib"):
            path = "%s/%s/systemd/system/%s" % (base, top, name)
            assert src._resolve(path)[0] == os.path.realpath(path), path
    assert src._live_real["%s/lib/systemd/system" % base] == os.path.realpath(base + "/usr/lib/systemd/system")


def test_reads_through_remembered_paths_are_the_same_files(tmp_path):
    base = _tree(tmp_path)
    src = HostSource("/")
    assert src.read(base + "/lib/systemd/system/b.service") == "[Service]\n"
    assert src.read(base + "/dangling") is None
    assert src.isdir(base + "/lib/systemd") and not src.isdir(base + "/lib/systemd/system/a.service")
    assert src.exists(base + "/lib/systemd/system/up.service") and not src.exists(base + "/dangling")


def test_the_memory_is_bounded(tmp_path, monkeypatch):
    base = _tree(tmp_path)
    monkeypatch.setattr(host_source, "MAX_LIVE_REAL_PATHS", 3)
    src = HostSource("/")
    for index in range(20):
        path = "%s/lib/systemd/system/n%d.service" % (base, index)
        assert src._resolve(path)[0] == os.path.realpath(path)
    assert len(src._live_real) == 3


def test_a_captured_tree_is_not_resolved_on_this_machine(tmp_path):
    base = _tree(tmp_path)
    src = HostSource(base)
    assert src._resolve("/lib/systemd/system/b.service")[0] == os.path.realpath(
        base + "/usr/lib/systemd/system/a.service")
    # An absolute link is taken inside the tree, where realpath on this machine would leave it.
    assert src._resolve("/abs/lib")[0] == os.path.join(os.path.realpath(base), base.lstrip("/"), "usr", "lib")
    assert src._live_real == {}
