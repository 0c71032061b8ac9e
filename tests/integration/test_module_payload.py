"""The AnsiballZ payload Ansible builds for netfilter_facts compiles each of our module_utils once.

Ansible ships module_utils as sources in a zip and Python 3's zipimport compiles
each twice (python/cpython#141276); ``payload_imports.compile_each_once()``
makes ours compile once. This builds the real payload with
``ansible -m nfdoctor.netfilter.netfilter_facts`` (``ANSIBLE_KEEP_REMOTE_FILES``),
runs it as a managed host does with ``builtins.compile`` wrapped to count
compiles per file, and checks the counts and that the audit still answers.
"""
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "bench"))

import bench_gather  # noqa: E402  (tools/bench is not a package)

DRIVER = r'''
import json, runpy, sys
import builtins
counts = {}
real = builtins.compile


def counting(source, filename, *args, **kwargs):
    counts[filename] = counts.get(filename, 0) + 1
    return real(source, filename, *args, **kwargs)


builtins.compile = counting
path, report = sys.argv[1], sys.argv[2]
sys.argv = [path]
try:
    runpy.run_path(path, run_name="__main__")
except SystemExit:
    pass
finally:
    with open(report, "w") as handle:
        json.dump(counts, handle)
'''

OURS = "/ansible_collections/nfdoctor/netfilter/plugins/module_utils/"


def run_counted(payload, tmp_path, cache):
    """(module result, {file: compile() calls}) of one run of ``payload`` with its bytecode cache in ``cache``."""
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    report = tmp_path / "counts.json"
    proc = subprocess.run([sys.executable, str(driver), payload, str(report)], capture_output=True, text=True,
                          timeout=300, check=False, env=bench_gather.cache_env(cache))
    result = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert result.get("failed") is not True, result.get("msg")
    assert result["ansible_facts"]["nfdoctor"]["root"] == "/"
    return result, json.loads(report.read_text())


def test_each_module_utils_file_is_compiled_once(tmp_path):
    payload = bench_gather.ansiballz_payload("nfdoctor.netfilter.netfilter_facts", str(tmp_path))
    _result, counts = run_counted(payload, tmp_path, "off")
    ours = dict((name.rpartition("/")[2], count) for name, count in counts.items()
                if OURS in name and not name.endswith("/__init__.py"))
    # A live audit imports gather, checks, the catalogue and the parsers of what it found: dozens of files.
    assert len(ours) >= 20 and "gather.py" in ours and "checks.py" in ours
    # payload_imports itself comes in through zipimport, before the finder is there: twice, like Ansible's own.
    assert ours.pop("payload_imports.py") == 2
    assert dict((name, count) for name, count in ours.items() if count != 1) == {}
    basic = [count for name, count in counts.items() if name.endswith("/ansible/module_utils/basic.py")]
    assert basic == [2], "zipimport compiles Ansible's own module_utils twice on this Python: %s" % basic


def test_a_hosts_second_audit_compiles_none_of_ours(tmp_path):
    """The bytecode cache (payload_imports.BytecodeCache) through the payload Ansible really builds."""
    payload = bench_gather.ansiballz_payload("nfdoctor.netfilter.netfilter_facts", str(tmp_path))
    cache = tmp_path / "cache"
    first, first_counts = run_counted(payload, tmp_path, str(cache))
    second, second_counts = run_counted(payload, tmp_path, str(cache))
    compiled_first = [name for name in first_counts if OURS in name and not name.endswith("/__init__.py")]
    compiled_second = [name for name in second_counts if OURS in name and not name.endswith("/__init__.py")]
    entries = sorted(os.listdir(str(next(cache.iterdir()))))
    # The first run compiled every file a live audit imports and kept each; payload_imports itself, imported
    # before the finder is there, is neither.
    assert len(entries) >= 20 and "gather.bin" in entries and "payload_imports.bin" not in entries
    assert sorted(name.rpartition("/")[2][:-len(".py")] + ".bin" for name in compiled_first
                  if not name.endswith("/payload_imports.py")) == entries
    assert [name.rpartition("/")[2] for name in compiled_second] == ["payload_imports.py"]
    # The same audit: the same findings and the same facts' keys (a live host's counters move between runs).
    assert [f["id"] for f in second["ansible_facts"]["nfdoctor"]["findings"]] == [
        f["id"] for f in first["ansible_facts"]["nfdoctor"]["findings"]]
    assert second["ansible_facts"]["nfdoctor"].keys() == first["ansible_facts"]["nfdoctor"].keys()
