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


def _files_tree(tmp_path):
    """What read_files meets in unit directories: plain files, a file link, a hard link, masks (absolute,
    relative, a link to a mask), a directory with a unit's name, a FIFO, NUL bytes, a merged /usr link."""
    base = _tree(tmp_path)
    units = os.path.join(base, "usr", "lib", "systemd", "system")
    with open(os.path.join(units, "c.service"), "w") as handle:
        handle.write("[Service]\nExecStartPre=-/sbin/modprobe br_netfilter\n")
    os.link(os.path.join(units, "c.service"), os.path.join(units, "hard.service"))
    os.symlink("/dev/null", os.path.join(units, "masked.service"))
    os.symlink("../../../../../../../../../../dev/null", os.path.join(units, "masked-rel.service"))
    os.symlink("masked.service", os.path.join(units, "masked-chain.service"))
    os.mkdir(os.path.join(units, "dir.service"))
    os.mkfifo(os.path.join(units, "fifo.service"))
    with open(os.path.join(units, "nul.service"), "wb") as handle:
        handle.write(b"[Service]\0\n")
    with open(os.path.join(units, "big.service"), "w") as handle:
        handle.write("x" * 5000)
    return base


def _long_way(monkeypatch):
    """A HostSource that never takes the one-lstat path: what every read cost before it."""
    monkeypatch.setattr(HostSource, "_live_entry", lambda self, path: None)


@pytest.mark.parametrize("max_bytes", [None, 100])
def test_read_files_on_a_live_host_answers_as_the_long_way(tmp_path, monkeypatch, max_bytes):
    base = _files_tree(tmp_path)
    patterns = [base + "/lib/systemd/system/*.service", base + "/usr/lib/systemd/system/*.service",
                base + "/abs/lib/systemd/system/*.service", base + "/usr/lib/systemd/system/missing.service"]
    fast = HostSource("/")
    fast_out = fast.read_files(patterns, max_bytes=max_bytes, mask=None)
    _long_way(monkeypatch)
    slow = HostSource("/")
    assert fast_out == slow.read_files(patterns, max_bytes=max_bytes, mask=None)
    assert fast.errors == slow.errors
    assert (fast.files_read, fast.bytes_read) == (slow.files_read, slow.bytes_read)
    # the cases are all there: each file read once, each mask kept under each of its three names, the hard
    # link, the FIFO and the NUL bytes reported, the directory skipped
    names = sorted(os.path.basename(path) for path in fast_out)
    assert names == ["a.service", "big.service", "c.service"] + sorted(
        ["masked-chain.service", "masked-rel.service", "masked.service"] * 3)
    assert fast_out[base + "/lib/systemd/system/masked.service"] is None
    said = " | ".join(entry["message"] for entry in fast.errors)
    assert "a hard link" in said and "not a regular file" in said and "NUL bytes" in said


@pytest.mark.parametrize("rel", PATHS + ("lib/systemd/system/masked.service", "lib/systemd/system/masked-rel.service",
                                         "lib/systemd/system/fifo.service", "lib/systemd/system/nul.service",
                                         "lib/systemd/system/dir.service", "usr/lib/systemd/system/c.service"))
@pytest.mark.parametrize("quiet_missing", [True, False])
def test_read_on_a_live_host_answers_as_the_long_way(tmp_path, monkeypatch, rel, quiet_missing):
    base = _files_tree(tmp_path)
    path = base + "/" + rel if rel not in ("", "/") else base + rel
    fast = HostSource("/")
    fast_text = fast.read(path, quiet_missing=quiet_missing)
    _long_way(monkeypatch)
    slow = HostSource("/")
    assert fast_text == slow.read(path, quiet_missing=quiet_missing)
    assert fast.errors == slow.errors


def _syscalls_of_read_files(monkeypatch, pattern):
    calls = {"lstat": 0, "stat": 0}
    real_lstat, real_stat = os.lstat, os.stat

    def counting_lstat(path, *args, **kwargs):
        calls["lstat"] += 1
        return real_lstat(path, *args, **kwargs)

    def counting_stat(path, *args, **kwargs):
        calls["stat"] += 1
        return real_stat(path, *args, **kwargs)

    src = HostSource("/")
    src._resolve(os.path.dirname(pattern))  # the directory's real path is remembered, as after the first file
    with monkeypatch.context() as patched:
        patched.setattr(os, "lstat", counting_lstat)
        patched.setattr(os, "stat", counting_stat)
        out = src.read_files([pattern])
    return len(out), calls


def test_a_plain_file_costs_one_lstat_and_no_stat(tmp_path, monkeypatch):
    """read_files asked isdir, is_masked, same_file_seen and read in turn: three lstat and three stat
    calls for each plain unit file. One lstat answers them all."""
    units = tmp_path / "units"
    units.mkdir()
    for index in range(20):
        (units / ("u%02d.service" % index)).write_text("[Service]\n")
    pattern = str(units) + "/*.service"
    directories = len([part for part in str(units).split("/") if part])  # glob's exists() of each
    assert _syscalls_of_read_files(monkeypatch, pattern) == (20, {"lstat": 20 + directories, "stat": 0})
    _long_way(monkeypatch)
    assert _syscalls_of_read_files(monkeypatch, pattern) == (20, {"lstat": 60 + directories, "stat": 60})
