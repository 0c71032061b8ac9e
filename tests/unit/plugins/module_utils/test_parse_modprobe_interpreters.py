"""parse_modprobe and config_edit give identical results on Python 2.7, 3.6 and this Python.

vermin proves syntax; this runs the code on the interpreters of RHEL 7 and 8
hosts, over every modprobe fixture tree, inside a package tree laid out as
AnsiballZ ships module_utils.  A missing interpreter is skipped.
"""
import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
FIXTURES = os.path.join(REPO, "tests", "unit", "fixtures", "modprobe")
# parse_modprobe takes its directories from capture_spec (which names commands as sos_layout does)
# and their precedence from dropins.
MODULES = ("parse_modprobe", "dropins", "config_edit", "capture_spec", "sos_layout", "parse_text")

DRIVER = r'''
import io, json, os, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_modprobe as pm, config_edit as ce
fixtures = sys.argv[2]
out = {}
for tree in sorted(os.listdir(fixtures)):
    files = {}
    for directory in pm.MODPROBE_DIRS + pm.MODULES_LOAD_DIRS + ("/etc",):
        real = os.path.join(fixtures, tree, directory.lstrip("/"))
        if not os.path.isdir(real):
            continue
        for name in sorted(os.listdir(real)):
            path = os.path.join(real, name)
            if os.path.isfile(path) and (directory != "/etc" or name in ("modules", "modprobe.conf")):
                files[directory + "/" + name] = io.open(path, encoding="utf-8", errors="replace").read()
    cmdline_path = os.path.join(fixtures, tree, "cmdline")
    cmdline = io.open(cmdline_path, encoding="utf-8").read() if os.path.exists(cmdline_path) else None
    facts = pm.modprobe_facts(dict((k, v) for k, v in files.items() if "modprobe" in k), cmdline)
    disabling = dict((m, pm.disabling_directives(facts, m)) for m in
                     ["nf_conntrack", "nf_conntrack_ipv4", "nf_nat", "br_netfilter", "iptable_nat", "xt_conntrack"])
    loads = pm.modules_load_facts(dict((k, v) for k, v in files.items() if "modules" in k and "modprobe" not in k))
    out[tree] = [facts, disabling, loads]
out["bytes"] = pm.modprobe_facts({"/etc/modprobe.d/x.conf": b"blacklist \xff\x00nf\n"}, b"modprobe.blacklist=a,b")
out["comment"] = ce.comment_out_lines(u"a\x0cb\nblacklist x\n  y \\\n z\n", [(2, 2), (3, 4)], u"# m:")
sys.stdout.write(json.dumps(out, sort_keys=True))
'''


def interpreter(version):
    found = shutil.which("python" + version)
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/%s.*/bin/python" % version)))
    for path in candidates + ([found] if found else []):
        try:
            subprocess.check_output([path, "-c", "import sys"], stderr=subprocess.STDOUT, timeout=30)
            return path
        except (OSError, subprocess.SubprocessError):
            continue
    return None


def package_tree(base):
    package = os.path.join(base, "ansible_collections", "nfdoctor", "netfilter", "plugins", "module_utils")
    os.makedirs(package)
    for depth in range(5):
        open(os.path.join(base, *package.split(os.sep)[-5:][:depth + 1], "__init__.py"), "w").close()
    for name in MODULES:
        shutil.copy(os.path.join(REPO, "plugins", "module_utils", name + ".py"), package)
    return base


def run(python, tree, tmp_path):
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    output = subprocess.check_output([python, str(driver), tree, FIXTURES], timeout=120)
    return json.loads(output)


@pytest.mark.parametrize("version", ["2.7", "3.6"])
def test_same_results_as_this_python(version, tmp_path):
    python = interpreter(version)
    if python is None:
        pytest.skip("python%s is not installed" % version)
    tree = package_tree(str(tmp_path / "pkg"))
    old = run(python, tree, tmp_path)
    assert sorted(old) == ["bytes", "centos7_seed000", "comment", "debian12", "hardened", "ubuntu2204"]
    assert old["centos7_seed000"][1]["nf_conntrack_ipv4"][0]["line"] == 6
    assert old == run(sys.executable, tree, tmp_path)
