# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a bridge is for, from evidence: its ports, libvirt's network files, Docker's daemon.json.

Whether br_netfilter matters depends on the bridge (research/facts.md, "Which
bridges need br_netfilter"): libvirt NAT/routed networks are filtered at L3,
Docker's bridge needs it only for ``icc: false`` / ``userland-proxy: false``,
a Kubernetes bridge CNI needs it for pod -> service -> pod on one bridge. The
kind is judged from evidence (ports, libvirt's XML, which services run), never
from an interface name prefix alone.

Sample input (``/etc/libvirt/qemu/networks/default.xml``)::

    <network>
      <name>default</name>
      <forward mode='nat'/>
      <bridge name='virbr0' stp='on' delay='0'/>
    </network>

>>> parse_libvirt_network_xml("<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/></network>")
{'name': 'default', 'bridge': 'virbr0', 'forward_mode': 'nat'}
>>> parse_docker_daemon_json('{"icc": false}')['icc']
False
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import as_text, lazy_compile

_XML_NAME_RE = lazy_compile(r"<name>\s*([^<\s]{1,64})\s*</name>")
_XML_BRIDGE_RE = lazy_compile(r"<bridge\b[^>]*?\bname\s*=\s*['\"]([^'\"]{1,64})['\"]")
_XML_FORWARD_RE = lazy_compile(r"<forward\b([^>]*)>")
_XML_MODE_RE = lazy_compile(r"\bmode\s*=\s*['\"]([a-z]{1,16})['\"]")
# libvirt network modes whose traffic is routed by the host (L3), not bridged onto a LAN.
LIBVIRT_L3_MODES = ("nat", "route", "open", "isolated")
GUEST_PORT_RE = lazy_compile(r"^(?:vnet[0-9]+|tap[0-9a-f-]{1,14}|macvtap[0-9]+|vif[0-9]+\.[0-9]+|qvo.*|qvb.*)$")
DOCKER_BRIDGE_RE = lazy_compile(r"^(?:docker0|br-[0-9a-f]{12})$")
_EXEC_RE = lazy_compile(r"^\s*Exec(?:Start|StartPre|StartPost)\s*=\s*(?P<cmd>.*)$")


def parse_libvirt_network_xml(text):
    """``{"name", "bridge", "forward_mode"}`` of a libvirt network definition.

    ``forward_mode`` is ``nat`` when ``<forward>`` has no mode (libvirt's
    default), ``isolated`` without any ``<forward>``, else the mode given.
    A regex reader on purpose: the files are small and libvirt-written, and
    nothing here may expand entities from a hostile file.
    """
    text = as_text(text)[:65536]
    name = _XML_NAME_RE.search(text)
    bridge = _XML_BRIDGE_RE.search(text)
    forward = _XML_FORWARD_RE.search(text)
    if forward is None:
        mode = "isolated"
    else:
        explicit = _XML_MODE_RE.search(forward.group(1))
        mode = explicit.group(1) if explicit else "nat"
    return {"name": name.group(1) if name else None, "bridge": bridge.group(1) if bridge else None,
            "forward_mode": mode}


def parse_docker_daemon_json(text):
    """``{"icc", "userland_proxy", "iptables": bool|None, "problems": [str]}`` from /etc/docker/daemon.json.

    Docker's defaults are ``icc: true``, ``userland-proxy: true`` and
    ``iptables: true`` (false: dockerd writes no rules at all); None
    means the key is not set (the default applies).
    """
    result = {"icc": None, "userland_proxy": None, "iptables": None, "problems": []}
    try:
        data = json.loads(as_text(text) or "{}")
    except ValueError as exc:
        result["problems"].append("not valid JSON (%s); dockerd refuses to start with it" % exc)
        return result
    if not isinstance(data, dict):
        result["problems"].append("not a JSON object")
        return result
    for key, field in (("icc", "icc"), ("userland-proxy", "userland_proxy"), ("iptables", "iptables")):
        value = data.get(key)
        if isinstance(value, bool):
            result[field] = value
        elif value is not None:
            result["problems"].append("%s is %r, not true/false" % (key, value))
    return result


def find_br_netfilter_loaders(files):
    """Unit lines that load br_netfilter at service start (``ExecStartPre=-/sbin/modprobe br_netfilter``).

    ``files``: {path: text}. Returns ``[{"file", "line", "text"}]``.
    """
    found = []
    for path in sorted(files or {}):
        text = files[path]
        if not text or "br_netfilter" not in text:
            continue
        for number, line in enumerate(as_text(text).splitlines(), 1):
            match = _EXEC_RE.match(line)
            if not match:
                continue
            words = match.group("cmd").replace(";", " ").split()
            if any(w.endswith("modprobe") for w in words) and "br_netfilter" in words:
                found.append({"file": path, "line": number, "text": line.strip()})
    return found


def guest_ports(ports, physical_ports=()):
    """The ports that carry guests or a LAN: VM taps and physical NICs (not libvirt's ``-nic`` dummy)."""
    return sorted(p for p in ports or [] if GUEST_PORT_RE.match(p) or p in (physical_ports or ()))


def classify_bridge(name, ports, context):
    """``(kind, evidence)`` for one bridge.

    ``ports``: the names of its ports. ``context``: ``{"libvirt_networks":
    {bridge: mode}, "libvirt": bool, "docker": bool, "kubernetes": bool,
    "physical_ports": set of port names with a device}``. Kinds:
    ``libvirt_network`` (a libvirt NAT/routed/isolated network), ``docker``,
    ``cni`` (veth ports on a Kubernetes node), ``hypervisor`` (guest taps or a
    physical NIC), ``other``.
    """
    ports = sorted(ports or [])
    networks = context.get("libvirt_networks") or {}
    if networks.get(name) in LIBVIRT_L3_MODES:
        return "libvirt_network", "libvirt network in %s mode" % networks[name]
    if context.get("libvirt") and "%s-nic" % name in ports:
        return "libvirt_network", "port %s-nic is the dummy libvirt adds to its own networks" % name
    if context.get("docker") and DOCKER_BRIDGE_RE.match(name):
        return "docker", "dockerd runs and %s is the bridge it creates" % name
    veths = [p for p in ports if p.startswith("veth")]
    if veths and context.get("kubernetes"):
        return "cni", "veth port(s) %s on a Kubernetes node" % ", ".join(veths[:3])
    guests = guest_ports(ports, context.get("physical_ports"))
    if guests:
        return "hypervisor", "port(s) %s" % ", ".join(guests[:4])
    return "other", "ports: %s" % (", ".join(ports[:4]) or "none")
