"""The capture script, run on a host that is one of the seed trees, captures what the audit of that host uses.

Each tree of tests/integration/trees is copied and made into a root the
collector runs in with chroot(8) (so it needs root), with nothing but
busybox-static for the shell and its tools: the appliance case the collector
is written for. The commands the spec runs (iptables, systemctl, nft, ...) are
stubs that print what the tree recorded for that host: its own
sos_commands outputs, and its iptables-save as the "iptables -t T -nvL"
listings the collector asks for (sos_trees.save_to_listings, the same
conversion the sos layout tests use). `date` prints the tree's capture time,
so the kernel log is judged against the same clock.

The audit of the tree (the "live" host) and the audit of its capture must
give the same findings: same IDs, severities and evidence. Anything gather
reads that the spec does not list would be missing from the capture and
show up here as a lost or changed finding.
"""
import base64
import io
import os
import shutil
import stat
import subprocess
import sys
import tarfile

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.filter.capture_script import (
    CAPTURE_BEGIN,
    CAPTURE_END,
    capture_script,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import capture_spec as spec
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "unit", "plugins", "module_utils"))
from sos_trees import save_to_listings  # noqa: E402

TREES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trees")
BUSYBOX = "/bin/busybox"  # Debian busybox-static (mk/40-audit.mk installs it)
# What the collector itself needs from the host (the prologue, grab, run, pack).
TOOLS = ("sh", "cat", "grep", "head", "tail", "sed", "wc", "mkdir", "rm", "ln", "dirname", "readlink", "mktemp",
         "tar", "gzip", "base64", "timeout", "true", "hostname", "test", "[")

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(BUSYBOX),
                                reason="needs root (chroot) and busybox-static")


def _recorded_outputs(tree):
    """{sos name: output} of every command the spec runs, as the tree's host would have printed it."""
    recorded = {}
    base = os.path.join(tree, "sos_commands")
    for plugin in os.listdir(base) if os.path.isdir(base) else []:
        for name in os.listdir(os.path.join(base, plugin)):
            with open(os.path.join(base, plugin, name)) as handle:
                recorded[name] = handle.read()
    outputs = {}
    for tool in ("iptables", "ip6tables"):
        if tool + "-save" in recorded:
            for table, listing in save_to_listings(recorded[tool + "-save"]).items():
                outputs[spec.sos_name([tool, "-t", table, "-nvL"])] = listing
    if "nft_list_ruleset" in recorded:
        outputs[spec.sos_name(["nft", "-a", "list", "ruleset"])] = recorded["nft_list_ruleset"]
    for command in spec.CAPTURE_COMMANDS:
        name = spec.sos_name(command["argv"])
        if name in recorded:
            outputs[name] = recorded[name]
    return outputs


def _host_root(tree, root):
    """A copy of ``tree`` the collector can run in: busybox tools, stub commands, the tree's files."""
    shutil.copytree(tree, root, symlinks=True)
    shutil.rmtree(os.path.join(root, "sos_commands"), ignore_errors=True)  # the host's outputs come from the stubs
    tools = os.path.join(root, "nfdoctor-test-bin")
    os.makedirs(tools)
    shutil.copy(BUSYBOX, os.path.join(tools, "busybox"))
    for directory in ("bin", "usr/local/bin"):
        os.makedirs(os.path.join(root, directory), exist_ok=True)
    os.makedirs(os.path.join(root, "dev"), exist_ok=True)
    os.mknod(os.path.join(root, "dev", "null"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    for tool in TOOLS:
        os.symlink("/nfdoctor-test-bin/busybox", os.path.join(root, "bin", tool))
    stubs = os.path.join(root, "nfdoctor-test-outputs")
    os.makedirs(stubs)
    for name, text in _recorded_outputs(tree).items():
        with open(os.path.join(stubs, name), "w") as handle:
            handle.write(text)
    captured_at = os.path.join(tree, "nfdoctor-captured-at")
    stamp = open(captured_at).read().strip() if os.path.exists(captured_at) else None
    # One stub per command the spec names: print the recorded output of this exact argv, or fail
    # (as a missing or refused command does). The name is the spec's own (sos_name).
    stub = ("#!/bin/sh\nname=${0##*/}\n[ $# -gt 0 ] && name=\"$name $*\"\n"
            "name=$(echo \"$name\" | sed 's/[^A-Za-z0-9_./-][^A-Za-z0-9_./-]*/_/g; s,/,.,g')\n"
            "[ -f \"/nfdoctor-test-outputs/$name\" ] || exit 1\ncat \"/nfdoctor-test-outputs/$name\"\n")
    for command in spec.CAPTURE_COMMANDS:
        path = os.path.join(root, "usr", "local", "bin", command["argv"][0])
        with open(path, "w") as handle:
            handle.write(stub)
        os.chmod(path, 0o755)
    date = os.path.join(root, "usr", "local", "bin", "date")
    with open(date, "w") as handle:
        handle.write("#!/bin/sh\necho %s\n" % (stamp or "2026-12-01T00:00:00Z"))
    os.chmod(date, 0o755)
    return root


def _capture(root, dest):
    script = os.path.join(root, "nfdoctor-test-capture.sh")
    with open(script, "w") as handle:
        handle.write(capture_script({"work_dir": "/tmp"}))
    os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
    run = subprocess.run(["chroot", root, "/bin/sh", "/nfdoctor-test-capture.sh"], capture_output=True, timeout=300,
                         check=False)  # the assert below shows the output
    out = run.stdout.decode()
    assert run.returncode == 0, (run.returncode, out[-2000:], run.stderr.decode()[-2000:])
    begin = out.index(CAPTURE_BEGIN)
    payload = out[out.index("\n", begin) + 1:out.index(CAPTURE_END)]
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(payload)), mode="r:*") as tar:
        # Our own capture of a test root: trusted. filter= exists only where the data filter does (not in
        # Debian 12's python3 3.11.2).
        tar.extractall(dest, **({"filter": "tar"} if hasattr(tarfile, "data_filter") else {}))
    return dest


def _findings(root):
    facts = Gatherer(root).run()
    facts["findings"] = run_checks(facts)
    return facts, sorted((f["id"], f["severity"], repr(sorted((e.get("file"), e.get("line"), str(e.get("value")),
                                                               e.get("module"), e.get("interface"))
                                                              for e in f.get("evidence") or [])))
                         for f in facts["findings"])


@pytest.mark.parametrize("tree", sorted(os.listdir(TREES)))
def test_capture_of_a_tree_audits_like_the_tree(tmp_path, tree):
    original_facts, original = _findings(os.path.join(TREES, tree))
    root = _host_root(os.path.join(TREES, tree), str(tmp_path / "host"))
    captured = _capture(root, str(tmp_path / "capture"))
    assert os.path.exists(os.path.join(captured, "nfdoctor-captured-at"))
    facts, found = _findings(captured)
    assert facts["provenance"]["layout"] == "capture"
    assert found == original
    # The facts networkd's [Match] and the module checks need travel too.
    for key in ("interfaces", "bridges", "modules", "netfilter_rules", "conntrack", "forwarding", "namespaces",
                "conntrack_flush_jobs", "environment", "crash", "br_netfilter", "routing", "networkd", "docker"):
        assert _comparable(key, facts[key]) == _comparable(key, original_facts[key]), key


def _comparable(key, value):
    value = _without_sources(value)
    if key == "netfilter_rules" and value:
        # A queue rule is the listing's row there and the iptables-save line here: the same rule.
        value["nfqueue"] = [(r.get("table"), r.get("chain"), r.get("target")) for r in value.get("nfqueue") or []]
    return value


def _without_sources(value):
    """A facts section without the names of what it was read from (iptables-save there, its -nvL listing here,
    so also another line number for the same rule)."""
    if isinstance(value, dict):
        return dict((k, _without_sources(v)) for k, v in value.items() if k not in ("sources", "source", "line"))
    if isinstance(value, list):
        return [_without_sources(v) for v in value]
    return value


# Seed 003's host with the sources the seed tree itself lacks, in the formats a Debian 12
# host's kernel writes them (this machine's /sys/class/net/*/{address,type,uevent}, /sys/module):
# a .network file that matches by MACAddress= (sorting before eno1.network, so it wins for eno1),
# NIC and bridge sysfs attributes, br_netfilter built in (a /sys/module directory without refcnt),
# the conntrack hash size, and a kern.log with conntrack table-full drops.
ENRICHED = {
    "etc/systemd/network/00-uplink.network": "[Match]\nMACAddress=52:54:00:12:34:56\n\n[Network]\nDHCP=ipv4\n",
    "sys/class/net/eno1/address": "52:54:00:12:34:56\n",
    "sys/class/net/eno1/type": "1\n",
    "sys/class/net/eno1/uevent": "INTERFACE=eno1\nIFINDEX=2\n",
    "sys/class/net/eno1/device/vendor": "0x8086\n",
    "sys/class/net/docker0/address": "02:42:ac:11:00:01\n",
    "sys/class/net/docker0/type": "1\n",
    "sys/class/net/docker0/uevent": "DEVTYPE=bridge\nINTERFACE=docker0\nIFINDEX=3\n",
    "sys/class/net/veth3f2a1b7/address": "7a:3e:11:22:33:44\n",
    "sys/class/net/veth3f2a1b7/type": "1\n",
    "sys/class/net/veth3f2a1b7/uevent": "INTERFACE=veth3f2a1b7\nIFINDEX=5\n",
    "sys/class/net/lo/type": "772\n",
    "sys/module/br_netfilter/parameters/.keep": "",
    "sys/module/bridge/refcnt": "1\n",
    "sys/module/nf_conntrack/refcnt": "4\n",
    "sys/module/nf_conntrack/parameters/hashsize": "16384\n",
    "nfdoctor-captured-at": "2015-12-01T10:30:00Z\n",
    "var/log/kern.log": "".join(
        "Dec  1 10:%02d:01 gentoo kernel: [ 8123.%03d] nf_conntrack: table full, dropping packet\n" % (m, m)
        for m in range(0, 30, 3)),
}


def test_capture_keeps_what_networkd_match_modules_and_the_log_need(tmp_path):
    tree = str(tmp_path / "tree")
    shutil.copytree(os.path.join(TREES, "seed-003-gentoo-networkd-docker"), tree, symlinks=True)
    for path, text in ENRICHED.items():
        os.makedirs(os.path.dirname(os.path.join(tree, path)), exist_ok=True)
        with open(os.path.join(tree, path), "w") as handle:
            handle.write(text)
    original_facts, original = _findings(tree)
    # The enrichment is seen: the MAC match wins for eno1, br_netfilter is built in, the log has drops.
    uplink = [f for f in original_facts["networkd"]["network_files"] if f["path"].endswith("00-uplink.network")]
    assert uplink and uplink[0]["interfaces"] == ["eno1"]
    assert "br_netfilter" in original_facts["modules"]["builtin"]
    assert "CONNTRACK_TABLE_FULL_EVENTS" in [f[0] for f in original]
    captured = _capture(_host_root(tree, str(tmp_path / "host")), str(tmp_path / "capture"))
    facts, found = _findings(captured)
    assert found == original
    for key in ("networkd", "modules", "interfaces", "bridges", "conntrack", "br_netfilter", "routing"):
        assert _comparable(key, facts[key]) == _comparable(key, original_facts[key]), key
    assert facts["kernel_log"]["table_full"]["count"] == original_facts["kernel_log"]["table_full"]["count"] == 10


def test_capture_keeps_masks_however_the_link_is_written(tmp_path):
    # Vendor sysctl.d files that would turn forwarding off, each masked in
    # /etc: one by an absolute link, one relative (ln -s ../../dev/null), one
    # by a link to a link. The capture must keep all three as masks, or the
    # vendor value counts as configured in the capture and not on the host.
    tree = str(tmp_path / "tree")
    shutil.copytree(os.path.join(TREES, "seed-003-gentoo-networkd-docker"), tree, symlinks=True)
    vendor = os.path.join(tree, "usr", "lib", "sysctl.d")
    os.makedirs(vendor, exist_ok=True)
    for name, key in (("50-a.conf", "net.ipv4.conf.all.forwarding"), ("60-b.conf", "net.ipv4.ip_forward"),
                      ("70-c.conf", "net.ipv6.conf.all.forwarding")):
        with open(os.path.join(vendor, name), "w") as handle:
            handle.write("%s = 0\n" % key)
    etc = os.path.join(tree, "etc", "sysctl.d")
    os.makedirs(os.path.join(etc, "masks"), exist_ok=True)
    os.symlink("/dev/null", os.path.join(etc, "50-a.conf"))
    os.symlink("../../dev/null", os.path.join(etc, "60-b.conf"))
    os.symlink("/dev/null", os.path.join(etc, "masks", "null"))
    os.symlink("masks/null", os.path.join(etc, "70-c.conf"))
    original_facts, original = _findings(tree)
    assert original_facts["forwarding"]["configured"] == {}
    captured = _capture(_host_root(tree, str(tmp_path / "host")), str(tmp_path / "capture"))
    facts, found = _findings(captured)
    for name in ("50-a.conf", "60-b.conf", "70-c.conf"):
        assert os.readlink(os.path.join(captured, "etc", "sysctl.d", name)) == "/dev/null", name
    assert facts["forwarding"]["configured"] == {}
    assert found == original


def test_a_source_left_out_of_the_spec_changes_the_findings(tmp_path, monkeypatch):
    """The comparison can fail: without the modprobe.d globs the capture loses seed 000's blacklist."""
    tree = os.path.join(TREES, "seed-000-centos7-conntrack-blacklist")
    _facts, original = _findings(tree)
    root = _host_root(tree, str(tmp_path / "host"))
    monkeypatch.setattr(spec, "CAPTURE_FILES", tuple(p for p in spec.CAPTURE_FILES
                                                     if p not in spec.MODPROBE_CONF_GLOBS))
    _facts, found = _findings(_capture(root, str(tmp_path / "capture")))
    assert "CONNTRACK_MODULE_DISABLED" in [f[0] for f in original]
    assert "CONNTRACK_MODULE_DISABLED" not in [f[0] for f in found]
