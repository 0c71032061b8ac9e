"""Issue 16, captured trees: a hostile tree costs bounded memory and time and never fails the host.

Cases run the module's gatherer on a tree (in a subprocess where memory and
time are measured) and assert the errors entry, that the rest of the facts are
there, and that the facts document stays small and JSON-encodable as UTF-8.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import pytest
from intake_helpers import HEALTHY_TREE, PYTHON, REPO

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import gather as gather_mod
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.host_source import HostSource

MiB = 1024 * 1024

# Gathers one tree like the module does and prints the size of the JSON, peak RSS and time.
_GATHER = """
import json, resource, sys, time
sys.path.insert(0, %(collections)r)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks
if len(sys.argv) > 2:  # audit as this uid, like an audit without become
    import os
    os.setgid(int(sys.argv[2]))
    os.setuid(int(sys.argv[2]))
t = time.time()
facts = Gatherer(sys.argv[1]).run()
facts["findings"] = run_checks(facts, [])
text = json.dumps(facts).encode("utf-8")
print(json.dumps({"json_bytes": len(text), "seconds": round(time.time() - t, 2),
                  "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "errors": facts["errors"], "hostname": facts["hostname"],
                  "directives": len(facts["modules"]["modprobe"]["directives"])}))
"""


def gather_in_subprocess(root, uid=None):
    code = _GATHER % {"collections": os.path.join(REPO, ".build", "collections")}
    argv = [PYTHON, "-c", code, str(root)] + ([str(uid)] if uid is not None else [])
    proc = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    shutil.copytree(HEALTHY_TREE, root, symlinks=True)
    return root


def messages(errors, source=None):
    return [e["message"] for e in errors if source is None or e["source"] == source]


def test_400_hard_links_to_a_4_mib_file_are_read_once(tree):
    modprobe = tree / "etc" / "modprobe.d"
    big = modprobe / "big.conf"
    big.write_bytes((b"# padding line of a hostile tree\n" * (4 * MiB // 33 + 1))[:4 * MiB])
    for index in range(400):
        os.link(big, modprobe / ("link%03d.conf" % index))
    result = gather_in_subprocess(tree)
    links = [e for e in result["errors"] if e["message"] == "the same file as one already read (a hard link); read once"]
    assert len(links) == 400
    assert result["hostname"] == "healthy-node"
    assert result["maxrss_kib"] < 300 * 1024 and result["seconds"] < 60, result


def test_distinct_files_stop_at_the_read_budget(tree):
    src = HostSource(str(tree), read_budget_bytes=10 * 1024)
    for index in range(5):
        (tree / "etc" / "modprobe.d" / ("f%d.conf" % index)).write_bytes(b"x" * 4096)
    texts = src.read_files(["/etc/modprobe.d/f*.conf"])
    # 4096 + 4096 + the first 2048 bytes of the third; the last two are not read.
    assert sorted(len(t) for t in texts.values()) == [2048, 4096, 4096]
    assert messages(src.errors, "/etc/modprobe.d/f2.conf") == [
        "the audit's read budget of 10240 bytes ran out; only the first 2048 bytes were read"]
    assert messages(src.errors, "read budget") == [
        "read budget of this audit spent (10240 bytes or 200000 files; 10240 bytes in 3 files read): "
        "2 more file(s) not read, the first /etc/modprobe.d/f3.conf"]


def test_file_budget(tree):
    src = HostSource(str(tree), read_budget_files=2)
    assert src.read("/etc/hostname") is not None and src.read("/etc/os-release") is not None
    assert src.read("/proc/modules") is None
    assert messages(src.errors, "read budget")[0].endswith("1 more file(s) not read, the first /proc/modules")


def test_a_million_line_file_does_not_make_a_huge_report(tree):
    # 1e6 directives; the read stops at 4 MiB, the facts keep 5000 of them.
    (tree / "etc" / "modprobe.d" / "million.conf").write_bytes(b"blacklist nf_conntrack\n" * 1000000)
    result = gather_in_subprocess(tree)
    assert result["directives"] == gather_mod.MAX_KEPT_ITEMS
    assert "/etc/modprobe.d/million.conf: larger than 4194304 bytes; only the start was read" in [
        "%s: %s" % (e["source"], e["message"]) for e in result["errors"]]
    cut = [e for e in result["errors"] if e["source"] == "modules.modprobe.directives"]
    assert cut and cut[0]["message"].endswith("items; only the first 5000 kept")
    assert result["json_bytes"] < 8 * MiB and result["maxrss_kib"] < 400 * 1024 and result["seconds"] < 120, {
        k: v for k, v in result.items() if k != "errors"}


def test_a_normal_tree_loses_nothing_to_the_bounds(tree):
    facts = Gatherer(str(tree)).run()
    assert not [e for e in facts["errors"] if "kept" in e["message"] or e["source"] == "read budget"]


def test_unlistable_sos_plugin_is_an_error_not_a_cascade():
    # Under /tmp itself: pytest's own directories are closed to other users.
    top = tempfile.mkdtemp(prefix="nfdoctor-hostile-")
    try:
        _unlistable_sos_plugin(pathlib.Path(top))
    finally:
        for base, dirs, _files in os.walk(top):
            for name in dirs:
                os.chmod(os.path.join(base, name), 0o755)
        shutil.rmtree(top)


def _unlistable_sos_plugin(tmp_path):
    root = tmp_path / "sos"
    (root / "sos_commands" / "kernel").mkdir(parents=True)
    (root / "sos_commands" / "kernel" / "uname_-a").write_text(
        "Linux host 3.10.0-514.el7.x86_64 #1 SMP x86_64 GNU/Linux\n")
    (root / "sos_commands" / "secret").mkdir()
    (root / "sos_commands" / "secret" / "lsmod").write_text("Module Size Used by\n")
    (root / "etc").mkdir()
    (root / "etc" / "hostname").write_text("sos01\n")
    os.chmod(root / "sos_commands" / "secret", 0)
    for path in (tmp_path, root, root / "sos_commands", root / "sos_commands" / "kernel"):
        os.chmod(path, 0o755)
    os.chmod(root / "sos_commands" / "kernel" / "uname_-a", 0o644)
    os.chmod(root / "etc" / "hostname", 0o644)
    result = gather_in_subprocess(root, uid=65534 if os.geteuid() == 0 else None)
    assert {"source": "/sos_commands/secret",
            "message": "cannot list: Permission denied; command outputs in it were not read"} in result["errors"]
    assert not [e for e in result["errors"] if e["source"].startswith("gather:")], result["errors"]
    assert result["hostname"] == "sos01"


def test_a_failing_section_leaves_shaped_facts_for_the_next(tree, monkeypatch):
    def broken(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Gatherer, "_gather_kernel", broken)
    facts = Gatherer(str(tree)).run()
    internal = [e for e in facts["errors"] if e["source"].startswith("gather:")]
    # Only the kernel section failed; modules, br_netfilter and the rest still ran on an unknown kernel.
    assert [e["source"] for e in internal] == ["gather:kernel"]
    assert internal[0]["message"].startswith("internal error PermissionError: [Errno 13] Permission denied")
    assert facts["kernel"]["flavour"] == "unknown" and facts["modules"]["loaded"]
    assert facts["br_netfilter"] is not None


@pytest.mark.skipif(sys.platform != "linux", reason="Linux file names are bytes")
def test_non_utf8_file_name_in_modprobe_d_is_reported_not_fatal(tree):
    name = os.path.join(os.fsencode(str(tree)), b"etc", b"modprobe.d", b"bl\xffck.conf")
    with open(name, "wb") as handle:
        handle.write(b"blacklist nf_conntrack\n")
    facts = Gatherer(str(tree)).run()
    text = json.dumps(facts, ensure_ascii=False).encode("utf-8")  # what Ansible does; a lone surrogate fails here
    assert b"bl\xef\xbf\xbdck.conf" in text
    assert {"source": "/etc/modprobe.d/bl\ufffdck.conf",
            "message": "file name is not valid UTF-8; reported with U+FFFD in its place"} in facts["errors"]
    # The file is still read: its directive counts.
    assert any(d["module"] == "nf_conntrack" and d["file"] == "/etc/modprobe.d/bl\ufffdck.conf"
               for d in facts["modules"]["modprobe"]["directives"])


def test_a_huge_proc_modules_is_bounded(tree):
    # 200000 modules; the 4 MiB read keeps some 160000, the facts 5000.
    (tree / "proc" / "modules").write_bytes(b"".join(b"m%d 16384 0 - Live 0x0\n" % i for i in range(200000)))
    facts = Gatherer(str(tree)).run()
    assert len(facts["modules"]["loaded"]) == gather_mod.MAX_KEPT_ITEMS
    cut = [e["message"] for e in facts["errors"] if e["source"] == "modules.loaded"]
    assert len(cut) == 1 and re.match(r"^(\d+) entries; only the first 5000 kept$", cut[0])
    assert int(cut[0].split()[0]) > 100000
