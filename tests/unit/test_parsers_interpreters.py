"""The parsers give the same results on the managed hosts' Pythons (2.7, 3.6) as here.

vermin proves the syntax and standard-library use are old enough; this runs
the code.  Every parser is run over its own fixtures by the old interpreter
inside a package tree built the way AnsiballZ ships module_utils (with
__init__.py files, which Python 2 needs), and the JSON it prints must equal
what the test's own interpreter computes.  An interpreter that is not
installed (python2.7 / python3.6 on PATH or under ~/.pyenv) is skipped.
"""
import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, "tests", "unit", "fixtures")
PARSER_MODULES = ("parse_text", "parse_kmod", "parse_conntrack", "parse_processes", "parse_net", "parse_sysctl_d",
                  "dropins",  # parse_sysctl_d takes the precedence of sysctl.d files from it
                  "parse_netfilter_rules", "parse_schedules", "parse_crash", "kernel_release",
                  "parse_iptables_listing", "parse_systemd_state", "parse_ps_listing", "sos_layout",
                  "capture_spec", "parse_firewall")  # parse_schedules and parse_sysctl_d take their sources from capture_spec

# (module, function, fixture glob, extra arguments after the text)
CASES = [
    ("parse_kmod", "parse_proc_modules", "proc/modules_*", []),
    ("parse_kmod", "parse_lsmod", "proc/lsmod_*", []),
    ("parse_kmod", "parse_modules_builtin", "proc/modules.builtin_*", []),
    ("parse_kmod", "parse_modules_dep", "proc/modules.dep_*", []),
    ("parse_conntrack", "parse_conntrack_stat_table", "conntrack/stat_nf_conntrack_*.txt", []),
    ("parse_conntrack", "parse_conntrack_S", "conntrack/conntrack_-S_*", []),
    ("parse_net", "parse_snmp", "snmp/*", []),
    ("parse_processes", "parse_proc_stack", "stack/*", []),
    ("parse_processes", "parse_proc_status", "proc/status_*", []),
    ("parse_processes", "parse_proc_pid_stat", "proc/stat_*", []),
    ("parse_sysctl_d", "parse_sysctl_a", "proc/sysctl_*", []),
    ("parse_text", "parse_os_release", "proc/os-release_*", []),
    ("parse_net", "parse_ip_link", "proc/ip_*", []),
    ("parse_net", "parse_brctl_show", "proc/brctl_*", []),
    ("parse_netfilter_rules", "parse_iptables_save", "rules/iptables*", []),
    ("parse_netfilter_rules", "parse_nft_ruleset", "rules/nft_*", []),
    ("parse_schedules", "find_conntrack_flushes", "schedules/cron*", ["/etc/cron.d/x", "cron"]),
    ("parse_schedules", "find_conntrack_flushes", "schedules/*service*", ["/etc/systemd/system/x", "systemd"]),
    ("parse_schedules", "find_conntrack_flushes", "schedules/rc.local*", ["/etc/rc.local", "rc.local"]),
    ("parse_crash", "parse_vmcore_dmesg", "crash/*", []),
    ("parse_iptables_listing", "parse_iptables_listing", "sos/iptables_*", ["nat"]),
    ("parse_systemd_state", "parse_systemctl_show_version", "sos/systemctl_show_*", []),
    ("parse_systemd_state", "parse_systemctl_list_units", "sos/systemctl_list-units_*", []),
    ("parse_systemd_state", "parse_package_version", "sos/systemctl_*", ["systemd", "rpm"]),
    ("parse_ps_listing", "parse_ps_axo", "sos/ps_axo_*", []),
    ("parse_ps_listing", "parse_ip_netns", "sos/ip_*", []),
    ("parse_net", "parse_ip_link", "sos/ip_*", []),
    ("sos_layout", "parse_sos_version", "sos/SOURCES.md", []),
    ("parse_firewall", "parse_nftables_conf", "firewall/nftables.conf_*", ["/etc/nftables.conf"]),
    ("parse_firewall", "parse_restore_file", "firewall/*iptables*", ["/etc/sysconfig/iptables"]),
    ("parse_firewall", "nft_forward_policy", "rules/nft_*", []),
    ("parse_firewall", "parse_unit_file_states", "firewall/systemctl_*", []),
    ("parse_firewall", "parse_docker_version", "firewall/docker_version_*", []),
]
# Hostile inputs every parser gets on every interpreter: non-ASCII in quotes
# (Python 2's shlex), control characters, replacement characters, huge numbers.
JUNK = [
    u"", u"\x00\x01\x02", u"\ufffd\ufffd\ufffd", u"9" * 5000, u"f" * 40,
    u"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment \"caf\u00e9 \u2603\" -j ACCEPT\nCOMMIT\n",
    u"table ip t {\n chain c {\n  meta comment \"\u00fc\" accept\n }\n}\n",
    u"NAME=\"Caf\u00e9 Linux\"\nPRETTY_NAME='\u2603'\nBROKEN=\"x\n",
    u"*/5 * * * * root sh -c 'conntrack -F # \u00e9'\n",
    u"entries found\n00000001 \u0663\u0663\n",
    u"Ip: A B\nIp: 1 \u00b2\n",
    u"[<0>] caf\u00e9+0x1/0x2\n",
    u"3.10.0-\u0663.el7",
]
ALL_FUNCTIONS = sorted({(module, function, tuple(extra)) for module, function, _pattern, extra in CASES})

RELEASES = ["2.6.32-358.el6.x86_64", "3.10.0-1160.119.1.el7.x86_64", "4.16.13-1.el7.elrepo.x86_64",
            "5.15.0-91-generic", "6.1.0-18-amd64", "6.1.0-0.deb11.17-amd64", "5.4.17-2136.330.7.el8uek.x86_64",
            "6.5.6-300.fc39.x86_64", "4.2.5-gentoo", "garbage", ""]

DRIVER = r'''
import io, json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import (
    parse_text, parse_kmod, parse_conntrack, parse_processes, parse_net, parse_sysctl_d,
    parse_netfilter_rules, parse_schedules, parse_crash, kernel_release,
    parse_iptables_listing, parse_systemd_state, parse_ps_listing, sos_layout, parse_firewall)
modules = {"parse_firewall": parse_firewall, "parse_text": parse_text, "parse_kmod": parse_kmod, "parse_conntrack": parse_conntrack,
           "parse_processes": parse_processes, "parse_net": parse_net, "parse_sysctl_d": parse_sysctl_d,
           "parse_netfilter_rules": parse_netfilter_rules,
           "parse_schedules": parse_schedules, "parse_crash": parse_crash, "kernel_release": kernel_release,
           "parse_iptables_listing": parse_iptables_listing, "parse_systemd_state": parse_systemd_state,
           "parse_ps_listing": parse_ps_listing, "sos_layout": sos_layout}
request = json.loads(io.open(sys.argv[2], encoding="utf-8").read())
results = []
for module, function, path, extra in request["cases"]:
    text = io.open(path, encoding="utf-8", errors="replace").read()
    results.append(getattr(modules[module], function)(text, *extra))
for release in request["releases"]:
    results.append(kernel_release.parse_kernel_release(release))
    results.append(kernel_release.compare_kernel_releases(release, "3.10.0-514.el7"))
for text in request["junk"]:
    for module, function, extra in request["functions"]:
        results.append(getattr(modules[module], function)(text, *extra))
    results.append(kernel_release.parse_kernel_release(text))
sys.stdout.write(json.dumps(results, sort_keys=True))
'''


def _interpreter(version):
    # pyenv's shims only work for the selected version; use the real binaries.
    for candidate in sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/%s*/bin/python%s" % (version, version)))):
        return candidate
    found = shutil.which("python" + version)
    if found and "/shims/" not in found:
        return found
    return None


def _package_tree(root):
    """Lay out ansible_collections/nfdoctor/netfilter/plugins/module_utils with __init__.py files."""
    package = os.path.join(root, "ansible_collections", "nfdoctor", "netfilter", "plugins", "module_utils")
    os.makedirs(package)
    directory = package
    while directory != root:
        open(os.path.join(directory, "__init__.py"), "w").close()
        directory = os.path.dirname(directory)
    for name in PARSER_MODULES:
        shutil.copy(os.path.join(REPO, "plugins", "module_utils", name + ".py"), package)
    return root


def _request():
    cases = []
    for module, function, pattern, extra in CASES:
        for path in sorted(glob.glob(os.path.join(FIXTURES, pattern))):
            cases.append([module, function, path, extra])
    return {"cases": cases, "releases": RELEASES, "junk": JUNK,
            "functions": [[module, function, list(extra)] for module, function, extra in ALL_FUNCTIONS]}


def _run_here(request):
    sys_path = list(sys.path)
    from ansible_collections.nfdoctor.netfilter.plugins.module_utils import (  # noqa: F401
        kernel_release, parse_conntrack, parse_crash, parse_iptables_listing, parse_kmod, parse_net,
        parse_netfilter_rules, parse_processes, parse_ps_listing, parse_sysctl_d, parse_text,
        parse_schedules, parse_systemd_state, sos_layout, parse_firewall)
    modules = {"parse_firewall": parse_firewall, "parse_text": parse_text, "parse_kmod": parse_kmod,
               "parse_conntrack": parse_conntrack,
               "parse_processes": parse_processes, "parse_net": parse_net, "parse_sysctl_d": parse_sysctl_d,
               "parse_netfilter_rules": parse_netfilter_rules,
               "parse_schedules": parse_schedules, "parse_crash": parse_crash, "kernel_release": kernel_release,
               "parse_iptables_listing": parse_iptables_listing, "parse_systemd_state": parse_systemd_state,
               "parse_ps_listing": parse_ps_listing, "sos_layout": sos_layout}
    results = []
    for module, function, path, extra in request["cases"]:
        with open(path, encoding="utf-8", errors="replace") as handle:
            results.append(getattr(modules[module], function)(handle.read(), *extra))
    for release in request["releases"]:
        results.append(kernel_release.parse_kernel_release(release))
        results.append(kernel_release.compare_kernel_releases(release, "3.10.0-514.el7"))
    for text in request["junk"]:
        for module, function, extra in request["functions"]:
            results.append(getattr(modules[module], function)(text, *extra))
        results.append(kernel_release.parse_kernel_release(text))
    assert sys.path == sys_path
    return json.loads(json.dumps(results, sort_keys=True))


@pytest.mark.parametrize("version", ["2.7", "3.6"])
def test_old_interpreters_agree(version, tmp_path):
    python = _interpreter(version)
    if python is None:
        pytest.skip("python%s is not installed here" % version)
    request = _request()
    assert len(request["cases"]) > 80
    request_file = tmp_path / "request.json"
    request_file.write_text(json.dumps(request), encoding="utf-8")
    root = _package_tree(str(tmp_path / "tree"))
    run = subprocess.run([python, "-c", DRIVER, root, str(request_file)], check=False, capture_output=True, timeout=300,
                         env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C"})
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")[-3000:]
    theirs = json.loads(run.stdout.decode("utf-8"))
    ours = _run_here(request)
    labels = ["%s %s" % (case[1], os.path.relpath(case[2], FIXTURES)) for case in request["cases"]]
    labels += ["%s %s" % (kind, release) for release in RELEASES for kind in ("parse", "compare")]
    labels += ["%s on junk %r" % (name, text[:40]) for text in JUNK
               for name in [function for _module, function, _extra in ALL_FUNCTIONS] + ["parse_kernel_release"]]
    differing = [label for label, mine, old in zip(labels, ours, theirs) if mine != old]
    details = [(label, mine, old) for label, mine, old in zip(labels, ours, theirs) if mine != old]
    assert differing == [], json.dumps(details[:3])[:3000]
    assert len(theirs) == len(ours)
