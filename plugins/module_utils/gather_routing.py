# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``routing`` facts: rp_filter per interface, what sysctl.d sets it to, Calico, networkd Unmanaged=.

Called by gather.Gatherer._gather_routing after the interfaces, forwarding
and networkd sections; all I/O goes through the Gatherer's HostSource.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import capture_spec as spec
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_networkd_link import link_unmanaged
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_net import parse_snmp
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_sysctl_d import configured_sysctls

# A node with thousands of pod veths must not cost thousands of reads.
MAX_RP_FILTER_INTERFACES = 1024
# Link names only Calico's felix gives (as docker0 is dockerd's); its files are in capture_spec.
CALICO_LINKS = ("vxlan.calico", "vxlan-v6.calico", "wireguard.cali", "wg-v6.cali")


def gather_routing(gatherer):
    """The ``routing`` facts document part for one Gatherer (see the module docstring)."""
    src = gatherer.src
    facts = gatherer.facts
    names = list(facts.get("interfaces") or [])
    if len(names) > MAX_RP_FILTER_INTERFACES:
        src.error("/proc/sys/net/ipv4/conf", "%d interfaces; rp_filter read for the first %d only" % (
            len(names), MAX_RP_FILTER_INTERFACES))
        names = names[:MAX_RP_FILTER_INTERFACES]
    rp_filter = {}
    for name in ["all", "default"] + [n for n in names if n not in ("all", "default")]:
        value = gatherer.sysctl("net.ipv4.conf.%s.rp_filter" % name.replace(".", "/"),
                                "/proc/sys/net/ipv4/conf/%s/rp_filter" % name)
        if value is not None:
            rp_filter[name] = value
    configured = configured_sysctls(src.read_files(spec.SYSCTL_CONF_GLOBS))
    rp_configured = dict((key, value) for key, value in configured["settings"].items()
                         if key.startswith("net.ipv4.conf.") and key.endswith(".rp_filter"))
    netstat_text = src.read(spec.NETSTAT_FILE)
    netstat = parse_snmp(netstat_text) if netstat_text is not None else {}
    rp_drops = (netstat.get("TcpExt") or {}).get("IPReversePathFilter")
    types = {}
    for detail in getattr(gatherer, "_interface_details", None) or []:
        if isinstance(detail, dict) and detail.get("type"):
            types[detail["name"]] = detail["type"]
    calico = [path for path in spec.CALICO_FILES if src.exists(path)]
    calico.extend(name for name in CALICO_LINKS if name in names)
    return {
        "rp_filter": rp_filter,
        "rp_filter_configured": rp_configured,
        "rp_filter_drops": rp_drops,
        "interface_types": types,
        "calico": calico,
        "networkd_unmanaged": _networkd_unmanaged(src, facts),
    }


def _networkd_unmanaged(src, facts):
    """{.network path: winning [Link] Unmanaged= setting} for the files networkd uses."""
    found = {}
    for entry in (facts.get("networkd") or {}).get("network_files") or []:
        if entry.get("shadowed_by") or entry.get("masked"):
            continue
        read = []
        for path in [entry.get("path")] + list(entry.get("dropins") or []):
            text = src.read(path) if path else None
            if text is not None:
                read.append((path, text))
        setting = link_unmanaged(read)
        if setting is not None:
            found[entry["path"]] = setting
    return found
