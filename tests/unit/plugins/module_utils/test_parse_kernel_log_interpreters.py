"""parse_kernel_log gives the same results on the managed hosts' Pythons (2.7, 3.6) as here.

Like tests/unit/test_parsers_interpreters.py: the module is copied into a
package tree laid out the way AnsiballZ ships module_utils and run by the old
interpreter over every kernel-log fixture and some junk; its JSON must equal
what this interpreter computes. A missing interpreter is skipped.
"""
import glob
import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_kernel_log as pkl

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
FIXTURES = os.path.join(REPO, "tests", "unit", "fixtures")
PATHS = sorted(glob.glob(os.path.join(FIXTURES, "kernel_log", "*.txt"))
               + glob.glob(os.path.join(FIXTURES, "crash", "*seed004*")))
JUNK = [u"", u"\x00\x01", u"\ufffd" * 10, u"[" + u"9" * 5000 + u".0] x", u"Feb 30 25:61:61 h kernel: x",
        u"<4>[  1.5]\xa0nf_conntrack: table full, dropping packet\n[ 2.0] net_ratelimit: 9 callbacks suppressed",
        u"INFO: task caf\u00e9:1 blocked for more than 120 seconds.\n Call Trace:\n  nf_hook_slow+0x1/0x2\n"]
REFERENCE = 1764626400  # 2025-12-01T22:00:00, naive

DRIVER = r'''
import io, json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_kernel_log as pkl
request = json.loads(io.open(sys.argv[2], encoding="utf-8").read())
texts = [io.open(p, encoding="utf-8", errors="replace").read() for p in request["paths"]] + request["junk"]
results = []
for text in texts:
    parsed = pkl.parse_kernel_log(text, source="x", reference=request["reference"])
    results.append(parsed)
    results.append(pkl.summarise_kernel_logs([parsed], now=request["reference"], uptime=1000.0))
sys.stdout.write(json.dumps(results, sort_keys=True))
'''


def _interpreter(version):
    for candidate in sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/%s*/bin/python%s" % (version, version)))):
        return candidate
    found = shutil.which("python" + version)
    if found and "/shims/" not in found:
        return found
    return None


def _here():
    results = []
    for path in PATHS:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        parsed = pkl.parse_kernel_log(text, source="x", reference=REFERENCE)
        results.extend([parsed, pkl.summarise_kernel_logs([parsed], now=REFERENCE, uptime=1000.0)])
    for text in JUNK:
        parsed = pkl.parse_kernel_log(text, source="x", reference=REFERENCE)
        results.extend([parsed, pkl.summarise_kernel_logs([parsed], now=REFERENCE, uptime=1000.0)])
    return json.loads(json.dumps(results, sort_keys=True))


@pytest.mark.parametrize("version", ["2.7", "3.6"])
def test_same_results_on_old_interpreters(version, tmp_path):
    python = _interpreter(version)
    if python is None:
        pytest.skip("python%s is not installed" % version)
    package = tmp_path / "ansible_collections" / "nfdoctor" / "netfilter" / "plugins" / "module_utils"
    package.mkdir(parents=True)
    directory = package
    while str(directory) != str(tmp_path):
        (directory / "__init__.py").write_text("")
        directory = directory.parent
    for name in ("parse_kernel_log", "parse_text"):  # parse_text: lazy_compile
        shutil.copy(os.path.join(REPO, "plugins", "module_utils", name + ".py"), str(package))
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"paths": PATHS, "junk": JUNK, "reference": REFERENCE}))
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    proc = subprocess.run([python, str(driver), str(tmp_path), str(request)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == _here()
