"""Real sosreports at the intake (issue 12): sos's file names, version files and host name links, trusted no further than the tree."""
import json
import os
import tarfile

import pytest
from intake_helpers import offline_trees, reasons, run_script


def sos_tree(root, hostname="db01", version_txt=None, manifest=None):
    os.makedirs(os.path.join(root, "sos_commands", "host"))
    os.makedirs(os.path.join(root, "etc"))
    with open(os.path.join(root, "sos_commands", "host", "hostname"), "w") as handle:
        handle.write(hostname + "\n")
    os.symlink("sos_commands/host/hostname", os.path.join(root, "hostname"))
    if version_txt is not None:
        with open(os.path.join(root, "version.txt"), "w") as handle:
            handle.write(version_txt)
    if manifest is not None:
        os.makedirs(os.path.join(root, "sos_reports"))
        with open(os.path.join(root, "sos_reports", "manifest.json"), "w") as handle:
            handle.write(manifest if isinstance(manifest, str) else json.dumps(manifest))
    return str(root)


def audit(src, work):
    result, measures, stderr = run_script("--source", src, "--work", work)
    assert measures["rc"] == 0 and "Traceback" not in stderr, stderr
    return result


@pytest.mark.parametrize("version_txt, manifest, expected", [
    ("sos report: 4.5.0\n", {"version": "4.5.0", "cmdline": "sos report", "components": {"report": {}}}, "4.5.0"),
    (None, {"version": "4.7.2"}, "4.7.2"),                     # the manifest alone
    ("sosreport: 3.9\n", None, "3.9"),                         # sos 3.x: no manifest
    ("sos report: 4.2\n", "{not json", "4.2"),                 # a broken manifest falls back to version.txt
    ("sos report: 4.2\n", {"version": "<b>4</b>"}, "4.2"),     # a version that is no version is not believed
    (None, {"version": ["4.5.0"]}, None),
    ("nothing useful\n", None, None),
])
def test_sos_version_comes_from_the_manifest_then_version_txt(tmp_path, version_txt, manifest, expected):
    root = sos_tree(tmp_path / "sosreport-db01-2026-12-01-abcdefg", version_txt=version_txt, manifest=manifest)
    result = audit(root, tmp_path / "work")
    (tree,) = result["trees"]
    assert tree["sos_version"] == expected
    assert tree["name"] == "db01"  # from sos's root link hostname -> sos_commands/host/hostname
    assert tree["kind"] == ("sosreport" if version_txt or manifest else "dir")


def test_hostname_link_out_of_the_tree_is_not_followed(tmp_path):
    secret = tmp_path / "controller-hostname"
    secret.write_text("controller-secret\n")
    root = tmp_path / "sosreport-x-2026-12-01-abcdefg"
    os.makedirs(root / "etc")
    os.symlink(str(secret), str(root / "hostname"))
    os.makedirs(root / "sos_commands" / "host")
    os.symlink("../../../controller-hostname", str(root / "sos_commands" / "host" / "hostname"))
    (tree,) = audit(str(root), tmp_path / "work")["trees"]
    assert tree["name"] == "sosreport-x-2026-12-01-abcdefg"
    assert offline_trees.tree_hostname(str(root), "fallback") == "fallback"


def test_checksum_files_beside_sosreports_are_ignored(tmp_path):
    src = tmp_path / "case"
    src.mkdir()
    root = sos_tree(tmp_path / "build" / "sosreport-db01-2026-12-01-abcdefg", version_txt="sos report: 4.5.0\n")
    with tarfile.open(str(src / "sosreport-db01-2026-12-01-abcdefg.tar.xz"), "w:xz") as tar:
        tar.add(root, arcname="sosreport-db01-2026-12-01-abcdefg")
    (src / "sosreport-db01-2026-12-01-abcdefg.tar.xz.sha256").write_text("0" * 64 + "\n")
    (src / "sosreport-old-20200101120000.tar.xz.md5").write_text("0" * 32 + "\n")
    (src / "notes.txt").write_text("customer says it broke on Tuesday\n")
    result = audit(str(src), tmp_path / "work")
    assert [(t["name"], t["kind"], t["sos_version"]) for t in result["trees"]] == [("db01", "tarball", "4.5.0")]
    assert sorted(reasons(result)) == ["notes.txt"]  # still said about anything that is not a checksum


def test_a_directory_holding_one_extracted_report_is_that_report(tmp_path):
    src = tmp_path / "case"
    sos_tree(src / "unpacked" / "sosreport-db01-2026-12-01-abcdefg", version_txt="sos report: 4.5.0\n")
    sos_tree(src / "two" / "a", hostname="a1")
    sos_tree(src / "two" / "b", hostname="b1")
    result = audit(str(src), tmp_path / "work")
    assert [(t["name"], t["root"]) for t in result["trees"]] == [
        ("db01", str(src / "unpacked" / "sosreport-db01-2026-12-01-abcdefg"))]
    assert reasons(result)["two"].startswith("no captured tree here")
