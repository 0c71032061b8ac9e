"""Offline tree discovery and tarball extraction that trusts nothing in the archive."""
import importlib.util
import json
import os
import stat
import tarfile

import pytest
from tarballs import make_tar

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "..", "..", "roles", "audit", "files", "offline_trees.py")
spec = importlib.util.spec_from_file_location("offline_trees", SCRIPT)
ot = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ot)


@pytest.fixture(autouse=True, params=["tarfile", "port"])
def data_filter(request, monkeypatch):
    """Every test twice: with tarfile's data filter, and as on Debian 12's python3 3.11.2, which has none.

    Without data_filter a tarfile has no TarInfo.replace and no filter= either;
    offline_trees then runs its port of the filter member by member.
    """
    if request.param == "port":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
        monkeypatch.delattr(tarfile.TarInfo, "replace", raising=False)
    return request.param


def tree_members(top, hostname=b"web01\n"):
    return [({"name": top + "/etc/hostname"}, hostname),
            ({"name": top + "/proc/sys/kernel/osrelease"}, b"3.10.0-514.el7.x86_64\n"),
            ({"name": top + "/etc/modprobe.d/blacklist.conf"}, b"blacklist nf_conntrack_ipv4\n")]


def test_extracts_a_plain_tree(tmp_path):
    archive = make_tar(tmp_path / "web01.tar.gz", tree_members("."))
    dest = tmp_path / "out"
    dest.mkdir()
    notes, written = ot.safe_extract(archive, str(dest))
    assert notes == [] and written == len(b"web01\n3.10.0-514.el7.x86_64\nblacklist nf_conntrack_ipv4\n")
    assert (dest / "etc" / "modprobe.d" / "blacklist.conf").read_text() == "blacklist nf_conntrack_ipv4\n"


@pytest.mark.parametrize("name,reason", [("/etc/passwd", "absolute path"), ("../../etc/cron.d/x", "'..'"),
                                         ("a/../../b", "'..'"), ("C:/windows", "absolute path")])
def test_rejects_escaping_names_and_writes_nothing(tmp_path, name, reason):
    archive = make_tar(tmp_path / "evil.tar.gz", tree_members(".") + [({"name": name}, b"pwned")])
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(ot.UnsafeArchive, match=reason):
        ot.safe_extract(archive, str(dest))
    assert os.listdir(dest) == []


def test_leaves_out_devices_and_fifos(tmp_path):
    archive = make_tar(tmp_path / "dev.tar", tree_members(".") + [
        ({"name": "dev/sda", "type": tarfile.BLKTYPE, "devmajor": 8, "devminor": 0}, None),
        ({"name": "proc/kmsg", "type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 11}, None),
        ({"name": "run/fifo", "type": tarfile.FIFOTYPE}, None)], mode="w")
    dest = tmp_path / "out"
    dest.mkdir()
    notes, _written = ot.safe_extract(archive, str(dest))
    assert notes == ["left out (FIFO): run/fifo", "left out (device): dev/sda, proc/kmsg"]
    assert not (dest / "dev" / "sda").exists() and not (dest / "run" / "fifo").exists()


def test_never_writes_through_a_link(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    archive = make_tar(tmp_path / "link.tar.gz", [
        ({"name": "etc", "type": tarfile.SYMTYPE, "linkname": str(outside)}, None),
        ({"name": "etc/cron.d/evil"}, b"* * * * * root rm -rf /")])
    dest = tmp_path / "out"
    dest.mkdir()
    # No host's tar has members under a link: the archive is refused, nothing lands anywhere.
    with pytest.raises(ot.UnsafeArchive, match="needs etc as a directory, but the archive has it as a file or link"):
        ot.safe_extract(archive, str(dest))
    assert os.listdir(outside) == [] and os.listdir(dest) == []


def test_a_later_member_replaces_a_link_instead_of_writing_through_it(tmp_path):
    archive = make_tar(tmp_path / "link.tar.gz", [
        ({"name": "proc/x", "type": tarfile.SYMTYPE, "linkname": "/dev/zero"}, None),
        ({"name": "proc/x"}, b"replaced")])
    dest = tmp_path / "out"
    dest.mkdir()
    ot.safe_extract(archive, str(dest))
    assert not os.path.islink(dest / "proc" / "x") and (dest / "proc" / "x").read_text() == "replaced"


def test_absolute_links_point_inside_the_tree_and_dev_null_stays(tmp_path):
    archive = make_tar(tmp_path / "links.tar.gz", [
        ({"name": "sos/etc/hostname"}, b"web01\n"),
        ({"name": "sos/etc/mtab", "type": tarfile.SYMTYPE, "linkname": "/etc/hostname"}, None),
        ({"name": "sos/etc/up", "type": tarfile.SYMTYPE, "linkname": "/../../../etc/hostname"}, None),
        ({"name": "sos/etc/systemd/system/x.service", "type": tarfile.SYMTYPE, "linkname": "/dev/null"}, None),
        ({"name": "sos/etc/out", "type": tarfile.SYMTYPE, "linkname": "../../../../etc/passwd"}, None)])
    dest = tmp_path / "out"
    dest.mkdir()
    notes, _written = ot.safe_extract(archive, str(dest))
    assert os.readlink(dest / "sos" / "etc" / "mtab") == "hostname"
    assert os.readlink(dest / "sos" / "etc" / "up") == "hostname"
    assert (dest / "sos" / "etc" / "mtab").read_text() == "web01\n"
    assert os.readlink(dest / "sos" / "etc" / "systemd" / "system" / "x.service") == "/dev/null"
    assert notes == ["left out (a link out of the tree): sos/etc/out"]
    assert not os.path.lexists(dest / "sos" / "etc" / "out")


def test_hard_links_become_copies_and_modes_are_reset(tmp_path):
    archive = make_tar(tmp_path / "hl.tar.gz", [
        ({"name": "etc/a", "mode": 0o4755}, b"setuid?"),
        ({"name": "etc/b", "type": tarfile.LNKTYPE, "linkname": "etc/a"}, None)])
    dest = tmp_path / "out"
    dest.mkdir()
    ot.safe_extract(archive, str(dest))
    assert (dest / "etc" / "b").read_bytes() == b"setuid?"
    assert not os.path.islink(dest / "etc" / "b")
    assert stat.S_IMODE(os.stat(dest / "etc" / "a").st_mode) & 0o7000 == 0


def test_size_and_member_bounds(tmp_path):
    archive = make_tar(tmp_path / "big.tar.gz", [({"name": "f%d" % i}, b"x" * 1000) for i in range(20)])
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(ot.UnsafeArchive, match="more than 5000 bytes"):
        ot.safe_extract(archive, str(dest), max_bytes=5000)
    with pytest.raises(ot.UnsafeArchive, match="more than 10 members"):
        ot.safe_extract(archive, str(dest), max_members=10)


def test_not_a_tarball(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"\x1f\x8b not really gzip")
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(ot.UnsafeArchive):
        ot.safe_extract(str(junk), str(dest))


def test_discover_mixed_directory(tmp_path):
    src = tmp_path / "captures"
    (src / "tree-a" / "etc").mkdir(parents=True)
    (src / "tree-a" / "etc" / "hostname").write_text("db01\n")
    (src / "tree-b" / "proc" / "sys" / "kernel").mkdir(parents=True)
    (src / "tree-b" / "proc" / "sys" / "kernel" / "hostname").write_text("db01")  # same name: made unique
    (src / "notes").mkdir()
    (src / "README.txt").write_text("hello")
    make_tar(src / "sosreport-web01-2026.tar.xz", tree_members("sosreport-web01-2026"), mode="w:xz")
    make_tar(src / "evil.tgz", [({"name": "../x"}, b"x")])
    work = tmp_path / "work"
    result = ot.discover(str(src), str(work))
    trees = {t["name"]: t for t in result["trees"]}
    assert set(trees) == {"db01", "db01-tree-b", "web01"}
    assert trees["web01"]["kind"] == "tarball"
    root = trees["web01"]["root"]
    assert os.path.basename(root) == "sosreport-web01-2026" and root.startswith(str(work) + "/run-")
    assert os.path.basename(os.path.dirname(root)).startswith("sosreport-web01-2026-")
    assert trees["db01"]["root"] == str(src / "tree-a")
    reasons = {os.path.basename(s["source"]): s["reason"] for s in result["skipped"]}
    assert "no captured tree" in reasons["notes"]
    assert "not a tarball" in reasons["README.txt"]
    assert "not extracted" in reasons["evil.tgz"]
    # Running again replaces what the first run unpacked.
    again = ot.discover(str(src), str(work))
    assert [t["name"] for t in again["trees"]] == [t["name"] for t in result["trees"]]
    new_root = {t["name"]: t for t in again["trees"]}["web01"]["root"]
    assert not os.path.exists(root) and os.path.isdir(new_root)
    assert os.listdir(work) == [os.path.relpath(new_root, str(work)).split("/")[0]]


def test_discover_single_tree_and_hostname_fallbacks(tmp_path):
    tree = tmp_path / "seed-003-gentoo"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "hostname").write_text("localhost\n")
    assert ot.discover(str(tree), str(tmp_path / "w"))["trees"][0]["name"] == "seed-003-gentoo"
    (tree / "etc" / "hostname").write_text("we\x1b[31mird name!\n")
    assert ot.discover(str(tree), str(tmp_path / "w"))["trees"][0]["name"] == "we-31mird-name"
    os.unlink(tree / "etc" / "hostname")
    os.symlink("/etc/hostname", tree / "etc" / "hostname")  # a link out of the tree is not read
    assert ot.discover(str(tree), str(tmp_path / "w"))["trees"][0]["name"] == "seed-003-gentoo"


def test_discover_missing_source(tmp_path):
    result = ot.discover(str(tmp_path / "nope"), str(tmp_path / "w"))
    assert result == {"trees": [], "skipped": [{"source": str(tmp_path / "nope"), "reason": "does not exist"}]}


def test_main_prints_json(tmp_path, capsys):
    (tmp_path / "t" / "sos_commands").mkdir(parents=True)
    assert ot.main(["--source", str(tmp_path / "t"), "--work", str(tmp_path / "w")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["trees"][0]["kind"] == "dir"


SYSTEM_PYTHON = "/usr/bin/python3"
_DRIVER = """
import importlib.util, json, sys, tarfile
spec = importlib.util.spec_from_file_location("offline_trees", sys.argv[1])
ot = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ot)
out = {"has_data_filter": hasattr(tarfile, "data_filter")}
for archive, dest in zip(sys.argv[2::2], sys.argv[3::2]):
    try:
        out[archive] = {"notes": ot.safe_extract(archive, dest)[0]}
    except ot.UnsafeArchive as exc:
        out[archive] = {"refused": str(exc)}
print(json.dumps(out))
"""


def _system_python_without_data_filter():
    import subprocess
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import sys, tarfile; "
                            "sys.exit(0 if sys.version_info >= (3, 8) and not hasattr(tarfile, 'data_filter') else 1)"],
                           check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _system_python_without_data_filter(),
                    reason="/usr/bin/python3 is missing, older than 3.8 or has tarfile's data filter")
def test_the_port_under_a_real_python_without_the_data_filter(tmp_path, data_filter):
    """Debian 12's own python3 (3.11.2): the hostile archives get the same answers as under the data filter."""
    import subprocess
    if data_filter == "port":
        pytest.skip("runs once: the interpreter is the point, not the fixture")
    cases = {
        "plain": tree_members("."),
        "escape": tree_members(".") + [({"name": "../../etc/cron.d/x"}, b"pwned")],
        "devices": tree_members(".") + [({"name": "dev/sda", "type": tarfile.BLKTYPE, "devmajor": 8,
                                          "devminor": 0}, None),
                                        ({"name": "run/fifo", "type": tarfile.FIFOTYPE}, None)],
        "links": [({"name": "sos/etc/hostname"}, b"web01\n"),
                  ({"name": "sos/etc/mtab", "type": tarfile.SYMTYPE, "linkname": "/etc/hostname"}, None),
                  ({"name": "sos/etc/systemd/system/x.service", "type": tarfile.SYMTYPE,
                    "linkname": "/dev/null"}, None),
                  ({"name": "sos/etc/out", "type": tarfile.SYMTYPE, "linkname": "../../../../etc/passwd"}, None),
                  ({"name": "sos/etc/a", "mode": 0o4777}, b"setuid?"),
                  ({"name": "sos/etc/b", "type": tarfile.LNKTYPE, "linkname": "sos/etc/a"}, None)],
    }
    argv = [SYSTEM_PYTHON, "-c", _DRIVER, SCRIPT]
    for name, members in cases.items():
        (tmp_path / name).mkdir()
        argv += [make_tar(tmp_path / (name + ".tar"), members, mode="w"), str(tmp_path / name)]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    out = json.loads(proc.stdout)
    assert out.pop("has_data_filter") is False
    got = {os.path.basename(k)[:-4]: v for k, v in out.items()}
    assert got["plain"] == {"notes": []}
    assert (tmp_path / "plain" / "etc" / "hostname").read_text() == "web01\n"
    assert "climbs out of the archive with '..'" in got["escape"]["refused"]
    assert os.listdir(tmp_path / "escape") == []
    assert got["devices"] == {"notes": ["left out (FIFO): run/fifo", "left out (device): dev/sda"]}
    assert got["links"] == {"notes": ["left out (a link out of the tree): sos/etc/out"]}
    etc = tmp_path / "links" / "sos" / "etc"
    assert os.readlink(etc / "mtab") == "hostname" and (etc / "mtab").read_text() == "web01\n"
    assert os.readlink(etc / "systemd" / "system" / "x.service") == "/dev/null"
    assert not os.path.lexists(etc / "out")
    assert stat.S_IMODE(os.stat(etc / "a").st_mode) & 0o7022 == 0  # no setuid, no group/other write
    assert (etc / "b").read_bytes() == b"setuid?" and not os.path.islink(etc / "b")
