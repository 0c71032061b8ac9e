# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``datapath`` facts: VXLAN devices and their transmit checksum offload.

Called by gather.Gatherer._gather_datapath after the interfaces section; all
I/O goes through the Gatherer's HostSource. A link is a VXLAN device when its
uevent says DEVTYPE=vxlan (live host, capture), when ``ip -d link`` shows the
``vxlan`` kind (a sosreport), or, failing both, when it bears the name
flannel or Calico gives its VXLAN device (``type_basis`` says which).
``ethtool -k DEV`` only reads the features (ETHTOOL_GFEATURES).
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fnmatch

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import capture_spec as spec

# parse_net and parse_ethtool_features are imported where their input is found
# (most hosts have no VXLAN device): AnsiballZ compiles every imported module.

# A node has one or two overlay devices; a list of hundreds is not a CNI's.
MAX_VXLAN_DEVICES = 32
# The names flannel (flannel.<VNI>), Calico (vxlan.calico, vxlan-v6.calico) and
# Cilium (cilium_vxlan) give their VXLAN devices: used only when the type is unknown.
VXLAN_NAME_PATTERNS = ("flannel.*", "vxlan.calico", "vxlan-v6.calico", "cilium_vxlan")
FEATURE = "tx-checksum-ip-generic"


def _vxlan_devices(gatherer):
    """[(name, basis)] of the VXLAN devices, basis 'uevent', 'ip -d link' or 'name'."""
    names = list(gatherer.facts.get("interfaces") or [])
    details = [d for d in getattr(gatherer, "_interface_details", None) or [] if isinstance(d, dict)]
    found = [(d["name"], "uevent") for d in details if d.get("type") == "vxlan"]
    if not found and not any(d.get("type") for d in details):
        # No uevent types (a sosreport): the kind `ip -d link` prints.
        link = gatherer.src.command(["ip", "-d", "link"], sos_names=spec.IP_LINK_SOS_NAMES)
        if link:
            from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_net import parse_ip_link
            parsed = parse_ip_link(link)
            found = [(name, "ip -d link") for name, info in sorted(parsed["interfaces"].items())
                     if info.get("kind") == "vxlan"]
            names = sorted(set(names) | set(parsed["interfaces"]))
        if not found:
            found = [(name, "name") for name in names
                     if any(fnmatch.fnmatchcase(name, pattern) for pattern in VXLAN_NAME_PATTERNS)]
    return found


def gather_datapath(gatherer):
    """The ``datapath`` facts document part for one Gatherer (see the module docstring)."""
    src = gatherer.src
    devices = _vxlan_devices(gatherer)
    if len(devices) > MAX_VXLAN_DEVICES:
        src.error("ethtool -k", "%d VXLAN devices; features read for the first %d only" % (
            len(devices), MAX_VXLAN_DEVICES))
        devices = devices[:MAX_VXLAN_DEVICES]
    vxlan = []
    missing_tool = False
    for name, basis in devices:
        argv = spec.ethtool_features_argv(name)
        entry = {"name": name, "type_basis": basis, "source": None, "tx_checksum_ip_generic": None,
                 "line": None, "text": None}
        text = src.command(argv)
        if text is None:
            missing_tool = missing_tool or not src.captured
        else:
            from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_ethtool_features import (
                parse_ethtool_features,
            )
            parsed = parse_ethtool_features(text)
            entry["source"] = gatherer.sos.found_name(argv, []) if src.captured else " ".join(argv)
            gatherer._problems(entry["source"] or " ".join(argv), parsed)
            feature = parsed["features"].get(FEATURE)
            if feature is not None:
                entry.update({"tx_checksum_ip_generic": feature["state"], "line": feature["line"],
                              "text": feature["text"], "fixed": feature["fixed"]})
            elif "tx-checksumming" in parsed["features"]:
                # ethtool before 3.4 prints only the group; it stands for the generic checksum here.
                group = parsed["features"]["tx-checksumming"]
                entry.update({"tx_checksum_ip_generic": group["state"], "line": group["line"],
                              "text": group["text"], "fixed": group["fixed"]})
        vxlan.append(entry)
    if devices and missing_tool:
        src.error("ethtool -k", "ethtool is not installed (or failed): the checksum offload of %s is unknown" %
                  ", ".join(name for name, _basis in devices))
    elif devices and src.captured and all(e["source"] is None for e in vxlan):
        src.error("ethtool -k", "the tree holds no ethtool -k output for %s (sos networking plugin: "
                                "sos_commands/networking/ethtool_-k_DEV)" % ", ".join(n for n, _b in devices))
    return {"vxlan": vxlan}
