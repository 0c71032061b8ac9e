"""Bridge kinds from evidence (ports, libvirt XML, daemon.json, unit files), and the gather facts they feed."""
import os

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import host_source
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_bridges import (
    classify_bridge,
    find_br_netfilter_loaders,
    parse_docker_daemon_json,
    parse_libvirt_network_xml,
)

# libvirt's own default network (libvirt src/network/default.xml.in, as virsh net-dumpxml prints it).
DEFAULT_XML = """<network>
  <name>default</name>
  <uuid>6e5a6b4c-2c5b-4f47-9d0e-4b3a6f2b1c11</uuid>
  <forward mode='nat'>
    <nat><port start='1024' end='65535'/></nat>
  </forward>
  <bridge name='virbr0' stp='on' delay='0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'/>
</network>
"""


@pytest.mark.parametrize("xml,expected", [
    (DEFAULT_XML, {"name": "default", "bridge": "virbr0", "forward_mode": "nat"}),
    ("<network><name>r</name><forward mode=\"route\"/><bridge name=\"virbr1\"/></network>",
     {"name": "r", "bridge": "virbr1", "forward_mode": "route"}),
    ("<network><name>iso</name><bridge name='virbr2'/></network>",
     {"name": "iso", "bridge": "virbr2", "forward_mode": "isolated"}),
    ("<network><name>lan</name><forward mode='bridge'/><bridge name='br0'/></network>",
     {"name": "lan", "bridge": "br0", "forward_mode": "bridge"}),
    ("<network><name>x</name><forward/></network>", {"name": "x", "bridge": None, "forward_mode": "nat"}),
    ("not xml at all", {"name": None, "bridge": None, "forward_mode": "isolated"}),
])
def test_libvirt_network_xml(xml, expected):
    assert parse_libvirt_network_xml(xml) == expected


@pytest.mark.parametrize("text,icc,proxy,problem", [
    ('{"icc": false, "userland-proxy": false}', False, False, None),
    ('{"log-driver": "journald"}', None, None, None),
    ('{"icc": "no"}', None, None, "icc is 'no'"),
    ('{"icc": false,', None, None, "not valid JSON"),
    ('[1]', None, None, "not a JSON object"),
    ('', None, None, None),
])
def test_docker_daemon_json(text, icc, proxy, problem):
    parsed = parse_docker_daemon_json(text)
    assert (parsed["icc"], parsed["userland_proxy"]) == (icc, proxy)
    assert any(problem in p for p in parsed["problems"]) if problem else parsed["problems"] == []


def test_units_that_modprobe_br_netfilter():
    files = {
        # neutron-openvswitch-agent.service as RDO ships it.
        "/usr/lib/systemd/system/neutron-openvswitch-agent.service":
            "[Service]\nExecStartPre=-/usr/bin/modprobe br_netfilter\nExecStart=/usr/bin/neutron-openvswitch-agent\n",
        "/etc/systemd/system/other.service": "[Service]\n# ExecStartPre=/sbin/modprobe br_netfilter\n"
                                             "ExecStart=/bin/echo br_netfilter\n",
    }
    assert find_br_netfilter_loaders(files) == [{
        "file": "/usr/lib/systemd/system/neutron-openvswitch-agent.service", "line": 2,
        "text": "ExecStartPre=-/usr/bin/modprobe br_netfilter"}]


BASE = {"libvirt_networks": {}, "libvirt": False, "docker": False, "kubernetes": False, "physical_ports": set()}


@pytest.mark.parametrize("name,ports,context,kind", [
    ("virbr0", ["virbr0-nic", "vnet0"], dict(BASE, libvirt_networks={"virbr0": "nat"}), "libvirt_network"),
    ("virbr0", ["virbr0-nic"], dict(BASE, libvirt=True), "libvirt_network"),  # seed 000: no XML captured
    ("virbr0", ["virbr0-nic"], BASE, "other"),  # no libvirt on the host: the name alone proves nothing
    ("docker0", ["veth9a8b7c6"], dict(BASE, docker=True), "docker"),
    ("docker0", ["veth9a8b7c6"], BASE, "other"),
    ("cni0", ["veth1a2b3c4d"], dict(BASE, kubernetes=True), "cni"),
    ("cni0", ["veth1a2b3c4d"], BASE, "other"),  # a cni0 name without kubelet is no Kubernetes node
    ("flannel0", [], BASE, "other"),
    ("br0", ["eno1", "vnet3"], dict(BASE, physical_ports={"eno1"}), "hypervisor"),
    ("br0", ["eno1"], BASE, "other"),
    ("br-ex", ["tap1a2b3c4d-5e"], BASE, "hypervisor"),
])
def test_classify_bridge(name, ports, context, kind):
    assert classify_bridge(name, ports, context)[0] == kind


@pytest.fixture
def no_commands(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a command was run for a captured tree: %r" % (args,))
    monkeypatch.setattr(host_source.subprocess, "Popen", refuse)


def _write(root, path, text):
    full = os.path.join(str(root), path.lstrip("/"))
    if not os.path.isdir(os.path.dirname(full)):
        os.makedirs(os.path.dirname(full))
    with open(full, "w") as handle:
        handle.write(text)


def test_gather_reads_the_evidence_from_a_captured_tree(tmp_path, no_commands):
    _write(tmp_path, "/proc/sys/kernel/osrelease", "5.15.0-105-generic\n")
    _write(tmp_path, "/proc/uptime", "1000.50 3000.00\n")
    _write(tmp_path, "/proc/modules", "bridge 294912 0 - Live 0x0000000000000000\n")
    _write(tmp_path, "/sys/class/net/virbr0/bridge/bridge_id", "8000.525400aabbcc\n")
    _write(tmp_path, "/sys/class/net/virbr0/brif/vnet0", "")
    _write(tmp_path, "/sys/class/net/flannel0/type", "65534\n")
    _write(tmp_path, "/etc/libvirt/qemu/networks/default.xml", DEFAULT_XML)
    _write(tmp_path, "/etc/docker/daemon.json", '{"icc": false}\n')
    _write(tmp_path, "/usr/lib/systemd/system/neutron-openvswitch-agent.service",
           "[Service]\nExecStartPre=-/usr/bin/modprobe br_netfilter\n")
    _write(tmp_path, "/lib/modules/5.15.0-105-generic/modules.dep",
           "kernel/net/bridge/br_netfilter.ko: kernel/net/bridge/bridge.ko\n")
    # iptables (pid 2131) in D state since 22.13 s after boot: 978 s old at uptime 1000.5
    _write(tmp_path, "/proc/2131/stat", "2131 (iptables) D 1568 2131 2131 0 -1 4194560 134 0 0 0 0 0 0 0 20 0 1 0 "
                                        "2213 126799872 1422 18446744073709551615\n")
    _write(tmp_path, "/proc/2131/stack", "[<ffffffff810a1f5e>] __request_module+0x15e/0x2f0\n")
    facts = Gatherer(str(tmp_path)).run()
    assert facts["bridges"]["virbr0"]["kind"] == "libvirt_network"
    assert facts["bridges"]["virbr0"]["mode"] == "nat"
    assert facts["environment"]["kubernetes"] is False  # flannel0 alone proves nothing
    assert facts["docker"]["icc"] is False
    assert facts["br_netfilter"]["loaded_by_services"][0]["line"] == 2
    assert facts["processes"]["stuck"][0]["age_seconds"] == 978
    facts["findings"] = run_checks(facts)
    severities = dict((f["id"], f["severity"]) for f in facts["findings"])
    assert severities["BR_NETFILTER_NOT_LOADED"] == "info"
    assert severities["MODULE_LOAD_STUCK"] == "critical"
    assert [e for e in facts["errors"] if e["source"].startswith("gather:")] == []
