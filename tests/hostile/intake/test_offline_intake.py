"""Issue 16, offline intake: one hostile tarball or tree never takes down the audit of the others.

Each case runs roles/audit/files/offline_trees.py as the playbook does (a
subprocess printing JSON) next to a good tarball and a good tree, and asserts
the exact reason, that the good ones are still listed, that the run did not
fail, and that nothing outside the work directory changed.
"""
import os
import tarfile

import pytest
from intake_helpers import (
    checksum_tree,
    hardlink_bomb,
    make_tar,
    offline_trees,
    pax_bomb,
    reasons,
    run_script,
    tree_members,
)

MiB = 1024 * 1024


def audit(src, work, *extra):
    result, measures, stderr = run_script("--source", src, "--work", work, *extra)
    assert measures["rc"] == 0 and "Traceback" not in stderr, stderr
    return result, measures


def good_ones_listed(result):
    names = {t["name"] for t in result["trees"]}
    assert {"good01", "plain01"} <= names, result
    for tree in result["trees"]:
        assert os.path.isdir(tree["root"])


@pytest.mark.parametrize("kind", ["random bytes", "truncated"])
def test_corrupt_tar_xz_is_skipped_with_the_reason(captures, outside, tmp_path, kind):
    bad = captures / "broken.tar.xz"
    if kind == "random bytes":
        bad.write_bytes(os.urandom(5000))
        expected = "not extracted: not a readable tar archive (tar, gzip, bzip2 or xz): "
    else:
        whole = tmp_path / "whole.tar.xz"
        make_tar(whole, tree_members(".") + [({"name": "etc/big%d" % i}, os.urandom(4096)) for i in range(20)],
                 mode="w:xz")
        bad.write_bytes(whole.read_bytes()[:30000])
        os.unlink(whole)
        expected = "not extracted: corrupt archive: EOFError: Compressed file ended before the end-of-stream marker"
    outside.snapshot()
    result, _m = audit(captures, outside.work)
    assert reasons(result)["broken.tar.xz"].startswith(expected)
    good_ones_listed(result)
    assert outside.unchanged()


def test_300_byte_member_name_is_refused(captures, outside):
    make_tar(captures / "longname.tar.gz", tree_members(".") + [({"name": "etc/" + "n" * 300}, b"x")])
    outside.snapshot()
    result, _m = audit(captures, outside.work)
    assert reasons(result)["longname.tar.gz"] == (
        "not extracted: member etc/%s... (304 characters) has a component of 300 bytes (more than 255)" % ("n" * 116))
    good_ones_listed(result)
    assert outside.unchanged()


def test_255_byte_member_name_is_fine(captures, outside):
    make_tar(captures / "okname.tar.gz", tree_members(".", hostname=b"okname\n") + [({"name": "etc/" + "n" * 255}, b"x")])
    result, _m = audit(captures, outside.work)
    assert "okname" in {t["name"] for t in result["trees"]} and "okname.tar.gz" not in reasons(result)


def test_5000_deep_path_is_refused(captures, outside):
    make_tar(captures / "deep.tar.gz", tree_members(".") + [({"name": "/".join(["d"] * 5000) + "/f"}, b"x")])
    outside.snapshot()
    result, _m = audit(captures, outside.work)
    assert reasons(result)["deep.tar.gz"].endswith("is 5001 directories deep (more than 128)")
    assert reasons(result)["deep.tar.gz"].startswith("not extracted: member d/d/d/")
    good_ones_listed(result)
    assert outside.unchanged()


def test_file_then_directory_member_is_refused(captures, outside):
    make_tar(captures / "clash.tar.gz", tree_members(".") + [({"name": "etc/sysctl.d"}, b"a file"),
                                                             ({"name": "etc/sysctl.d/x.conf"}, b"x=1\n")])
    outside.snapshot()
    result, _m = audit(captures, outside.work)
    assert reasons(result)["clash.tar.gz"] == ("not extracted: member etc/sysctl.d/x.conf needs etc/sysctl.d as a "
                                               "directory, but the archive has it as a file or link")
    good_ones_listed(result)
    assert outside.unchanged()


def test_directory_then_file_member_is_refused(captures, outside):
    make_tar(captures / "clash2.tar.gz", tree_members(".") + [
        ({"name": "etc/cron.d", "type": tarfile.DIRTYPE}, None), ({"name": "etc/cron.d"}, b"a file")])
    result, _m = audit(captures, outside.work)
    assert reasons(result)["clash2.tar.gz"] == ("not extracted: member etc/cron.d is a directory earlier in the "
                                                "archive and a file or link later")
    good_ones_listed(result)


def test_hard_link_tar_bomb_stops_at_the_byte_budget(captures, outside):
    # The file and 24 links are 100 MiB, the tree's few small files tip it over at the 24th link.
    # 4 MiB of zeros and 400 links: ~10 KB of gzip that a link-blind count sees as 4 MiB, and that is 1.6 GB as copies.
    bomb = hardlink_bomb(captures / "bomb.tar.gz", 4 * MiB, 400)
    assert os.path.getsize(bomb) < 64 * 1024
    outside.snapshot()
    result, measures = audit(captures, outside.work, "--max-bytes", 100 * MiB)
    assert reasons(result)["bomb.tar.gz"] == (
        "not extracted: unpacks to more than 104857600 bytes (hard links counted at their target's size; "
        "stopped at etc/modprobe.d/link0023.conf)")
    good_ones_listed(result)
    assert outside.unchanged()
    # Nothing of the bomb stays in the work directory, and it never cost memory or time.
    assert not any("bomb" in d for _b, dirs, _f in os.walk(outside.work) for d in dirs)
    assert measures["maxrss_kib"] < 150 * 1024 and measures["seconds"] < 30, measures


def test_hard_links_within_the_budget_are_extracted(captures, outside):
    hardlink_bomb(captures / "links.tar.gz", 1024, 10)
    result, _m = audit(captures, outside.work, "--max-bytes", 100 * MiB)
    assert "web01" in {t["name"] for t in result["trees"]} and "links.tar.gz" not in reasons(result)


def test_pax_header_with_a_300_mb_path_is_refused_before_it_is_read(captures, outside):
    pax_bomb(captures / "pax.tar.gz", 300 * MiB)
    outside.snapshot()
    result, measures = audit(captures, outside.work)
    reason = reasons(result)["pax.tar.gz"]
    # 300 MiB of path, " path=", the newline and the record's 9-digit length.
    assert reason == "not extracted: a pax header of 314572816 bytes (more than 1048576): a name no host has"
    good_ones_listed(result)
    assert outside.unchanged()
    assert measures["maxrss_kib"] < 150 * 1024 and measures["seconds"] < 30, measures


def test_pax_header_with_a_long_but_possible_path_is_read(captures, outside):
    make_tar(captures / "paxok.tar.gz", tree_members(".", hostname=b"paxok\n")
             + [({"name": "etc/" + "/".join(["p" * 200] * 15)}, b"x")])
    result, _m = audit(captures, outside.work)
    assert "paxok" in {t["name"] for t in result["trees"]} and "paxok.tar.gz" not in reasons(result)


def test_member_budget(captures, outside):
    make_tar(captures / "many.tar.gz", tree_members(".") + [({"name": "etc/f%d" % i}, b"") for i in range(300)])
    result, _m = audit(captures, outside.work, "--max-members", 200)
    assert reasons(result)["many.tar.gz"] == "not extracted: more than 200 members"
    good_ones_listed(result)


def test_total_byte_budget_of_the_run(captures, outside):
    for name in ("a1", "a2", "a3"):
        make_tar(captures / ("%s.tar.gz" % name), tree_members(".", hostname=name.encode() + b"\n")
                 + [({"name": "etc/blob"}, b"z" * 4000)])
    result, _m = audit(captures, outside.work, "--max-total-bytes", 10000)
    names = {t["name"] for t in result["trees"]}
    # good.tar.gz (85 bytes), a1 and a2 fit; a3 would pass 10000 bytes.
    assert {"a1", "a2"} <= names and "a3" not in names
    assert reasons(result)["a3.tar.gz"].startswith("not extracted: unpacks to more than ")
    assert reasons(result)["a3.tar.gz"].endswith("(what is left of the run's budget of 10000 bytes)")


def test_tarball_names_that_sanitise_alike_get_their_own_directories(captures, outside):
    # No hostname file: both fall back to their names, "web 01" and "web-01", which sanitise alike.
    for name, marker in (("web 01", b"first"), ("web-01", b"second")):
        make_tar(captures / ("%s.tar.gz" % name), [({"name": "etc/modprobe.d/who.conf"}, marker + b"\n")])
    result, _m = audit(captures, outside.work)
    by_source = {os.path.basename(t["source"]): t for t in result["trees"]}
    first, second = by_source["web 01.tar.gz"], by_source["web-01.tar.gz"]
    assert first["root"] != second["root"] and first["name"] != second["name"]
    with open(os.path.join(first["root"], "etc/modprobe.d/who.conf")) as a, \
            open(os.path.join(second["root"], "etc/modprobe.d/who.conf")) as b:
        assert (a.read(), b.read()) == ("first\n", "second\n")
    good_ones_listed(result)


def test_good_tarball_survives_a_corrupt_one_of_the_same_stem(captures, outside):
    make_tar(captures / "host.tar.gz", tree_members(".", hostname=b"host01\n"))
    (captures / "host.tgz").write_bytes(b"\x1f\x8b" + os.urandom(300))
    result, _m = audit(captures, outside.work)
    host = {t["name"]: t for t in result["trees"]}["host01"]
    assert os.path.isfile(os.path.join(host["root"], "etc", "hostname"))
    assert reasons(result)["host.tgz"].startswith("not extracted:")
    good_ones_listed(result)


def test_work_dir_equal_to_the_source_dir_deletes_nothing_of_the_users(captures, outside):
    # The user's own extracted sosreport, with their notes, in the directory the audit is told to unpack into.
    mine = captures / "sosreport-mine"
    (mine / "sos_commands" / "kernel").mkdir(parents=True)
    (mine / "sos_commands" / "kernel" / "uname_-a").write_text("Linux mine 3.10.0-514.el7.x86_64 x86_64\n")
    (mine / "notes.txt").write_text("my notes\n")
    outside.work = captures / "not-used"  # everything under tmp_path but nothing is excluded below
    before = outside.snapshot() or outside.before
    for _attempt in (1, 2):
        result, _m = audit(captures, captures)
        good_ones_listed(result)
        assert "sosreport-mine" in {t["name"] for t in result["trees"]}
    after = checksum_tree(str(captures.parent))
    run_dirs = [k for k in after if k.startswith("captures/run-")]
    assert {k: v for k, v in after.items() if k not in run_dirs} == before
    # Only this run's directory is left; the first run's was deleted.
    assert len([k for k in run_dirs if k.count("/") == 1]) == 1


def test_tarball_named_dots_never_deletes_the_report_dir(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "nfdoctor-report.json").write_text("{}\n")
    (reports / "keep.txt").write_text("kept\n")
    work = reports / "offline-trees"
    work.mkdir()
    (work / "someone-elses-dir").mkdir()
    (work / "someone-elses-dir" / "file").write_text("theirs\n")
    dots = tmp_path / "...tar.gz"
    make_tar(dots, tree_members(".", hostname=b"dots\n"))
    before = checksum_tree(str(reports))
    for _attempt in (1, 2):
        result, _m = audit(dots, work)
        assert [t["name"] for t in result["trees"]] == ["dots"]
        assert result["trees"][0]["root"].startswith(str(work) + "/run-")
    after = checksum_tree(str(reports))
    assert {k: v for k, v in after.items() if not k.startswith("offline-trees/run-")} == before


def test_an_unmarked_run_directory_is_never_deleted(tmp_path):
    work = tmp_path / "work"
    (work / "run-lookalike").mkdir(parents=True)
    (work / "run-lookalike" / "data").write_text("not ours\n")
    tree = tmp_path / "t"
    (tree / "etc").mkdir(parents=True)
    audit(tree, work)
    assert (work / "run-lookalike" / "data").read_text() == "not ours\n"


def test_source_inside_an_old_run_directory_is_kept(tmp_path):
    tarball = tmp_path / "x.tar.gz"
    make_tar(tarball, tree_members(".", hostname=b"x01\n"))
    work = tmp_path / "work"
    first, _m = audit(tarball, work)
    root = first["trees"][0]["root"]
    again, _m = audit(root, work)  # audit what the first run unpacked
    assert again["trees"][0]["root"] == root and os.path.isdir(root)


@pytest.mark.parametrize("hostname", ["nfdoctor_offline", "all", "ungrouped", "localhost", "ALL"])
def test_hostname_never_takes_a_reserved_or_the_group_name(tmp_path, hostname):
    src = tmp_path / "src"
    for name, recorded in (("evil", hostname), ("web", "web01")):
        (src / name / "etc").mkdir(parents=True)
        (src / name / "etc" / "hostname").write_text(recorded + "\n")
    result, _m = audit(src, tmp_path / "work", "--reserved", "nfdoctor_offline")
    names = sorted(t["name"] for t in result["trees"])
    assert "web01" in names and len(names) == 2
    assert not {n.lower() for n in names} & {"nfdoctor_offline", "all", "ungrouped", "localhost"}


def test_non_utf8_directory_name_is_skipped_with_the_reason(captures, outside):
    bad = os.path.join(os.fsencode(str(captures)), b"tree-\xff")
    os.makedirs(os.path.join(bad, b"etc"))
    result, _m = audit(captures, outside.work)
    assert reasons(result)["tree-\ufffd"] == "its name is not valid UTF-8; rename it"
    good_ones_listed(result)


def test_bad_limits_are_a_usage_error_not_a_traceback(tmp_path):
    _result, measures, stderr = run_script("--source", tmp_path, "--work", tmp_path / "w", "--max-bytes", "-1")
    assert measures["rc"] == 2 and "must be more than 0, not -1" in stderr and "Traceback" not in stderr


def test_every_hostile_tarball_at_once(captures, outside):
    """All of the above in one directory: each is its own skipped entry, the good ones are still listed."""
    make_tar(captures / "longname.tar.gz", tree_members(".") + [({"name": "etc/" + "n" * 300}, b"x")])
    make_tar(captures / "deep.tar.gz", tree_members(".") + [({"name": "/".join(["d"] * 5000)}, b"x")])
    make_tar(captures / "clash.tar.gz", [({"name": "etc"}, b"file"), ({"name": "etc/x"}, b"x")])
    make_tar(captures / "evil.tar.gz", [({"name": "../../etc/cron.d/evil"}, b"* * * * * root conntrack -F\n")])
    make_tar(captures / "abs.tar.gz", [({"name": "etc/x", "type": tarfile.SYMTYPE,
                                         "linkname": "../../../../../../etc"}, None), ({"name": "etc/hostname"}, b"h")])
    (captures / "broken.tar.xz").write_bytes(os.urandom(1000))
    hardlink_bomb(captures / "bomb.tar.gz", 4 * MiB, 400)
    outside.snapshot()
    result, _m = audit(captures, outside.work, "--max-bytes", 100 * MiB)
    why = reasons(result)
    for name in ("longname.tar.gz", "deep.tar.gz", "clash.tar.gz", "evil.tar.gz", "broken.tar.xz", "bomb.tar.gz"):
        assert why[name].startswith("not extracted: "), (name, why)
    assert why["evil.tar.gz"] == "not extracted: member ../../etc/cron.d/evil climbs out of the archive with '..'"
    assert why["abs.tar.gz"] == "left out (a link out of the tree): etc/x"
    good_ones_listed(result)
    assert outside.unchanged()


def test_discover_never_raises_on_an_unexpected_error(tmp_path, monkeypatch):
    """A bug or a full disk while extracting one tarball is that tarball's entry, not the run's end."""
    src = tmp_path / "src"
    src.mkdir()
    make_tar(src / "a.tar.gz", tree_members(".", hostname=b"a01\n"))
    make_tar(src / "b.tar.gz", tree_members(".", hostname=b"b01\n"))
    real = offline_trees.safe_extract

    def flaky(archive, dest, **kwargs):
        if archive.endswith("a.tar.gz"):
            raise OSError(28, "No space left on device")
        return real(archive, dest, **kwargs)

    monkeypatch.setattr(offline_trees, "safe_extract", flaky)
    result = offline_trees.discover(str(src), str(tmp_path / "work"))
    assert [t["name"] for t in result["trees"]] == ["b01"]
    assert reasons(result)["a.tar.gz"] == "not extracted: OSError: [Errno 28] No space left on device"


def test_unlistable_source_is_a_reason_not_a_traceback(tmp_path, monkeypatch, capsys):
    src = tmp_path / "src"
    src.mkdir()

    def denied(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(offline_trees.os, "listdir", denied)
    assert offline_trees.main(["--source", str(src), "--work", str(tmp_path / "w")]) == 0
    out = __import__("json").loads(capsys.readouterr().out)
    assert out == {"trees": [], "skipped": [{"source": str(src), "reason": "cannot list: Permission denied"}]}


def test_unexpected_error_in_discover_is_reported_as_json(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(offline_trees, "discover", broken)
    assert offline_trees.main(["--source", str(tmp_path), "--work", str(tmp_path / "w")]) == 0
    out = __import__("json").loads(capsys.readouterr().out)
    assert out["trees"] == [] and out["skipped"][0]["reason"] == "internal error RuntimeError: boom"
