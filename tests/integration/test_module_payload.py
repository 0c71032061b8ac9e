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


def test_each_module_utils_file_is_compiled_once(tmp_path):
    payload = bench_gather.ansiballz_payload("nfdoctor.netfilter.netfilter_facts", str(tmp_path))
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    report = tmp_path / "counts.json"
    proc = subprocess.run([sys.executable, str(driver), payload, str(report)], capture_output=True, text=True,
                          timeout=300, check=False)
    result = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert result.get("failed") is not True, result.get("msg")
    assert result["ansible_facts"]["nfdoctor"]["root"] == "/"

    counts = json.loads(report.read_text())
    ours = dict((name.rpartition("/")[2], count) for name, count in counts.items()
                if OURS in name and not name.endswith("/__init__.py"))
    # A live audit imports gather, checks, the catalogue and the parsers of what it found: dozens of files.
    assert len(ours) >= 20 and "gather.py" in ours and "checks.py" in ours
    # payload_imports itself comes in through zipimport, before the finder is there: twice, like Ansible's own.
    assert ours.pop("payload_imports.py") == 2
    assert dict((name, count) for name, count in ours.items() if count != 1) == {}
    basic = [count for name, count in counts.items() if name.endswith("/ansible/module_utils/basic.py")]
    assert basic == [2], "zipimport compiles Ansible's own module_utils twice on this Python: %s" % basic
