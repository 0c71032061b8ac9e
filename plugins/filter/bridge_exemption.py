# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan the exemption of guest bridges from bridged iptables filtering, from the audit's findings.

Used by the role ``nfdoctor.netfilter.br_netfilter`` (opt-in,
``nfdoctor_br_netfilter_exempt_guest_bridges``). The bridges to exempt are the
ones BRIDGE_FILTER_DROPS_GUESTS names in its evidence; nothing is probed again.

The kernel sends a bridged frame to iptables when the global
``net.bridge.bridge-nf-call-iptables`` *or* the bridge's own
``/sys/class/net/BR/bridge/nf_call_iptables`` is 1 (br_nf_pre_routing in
net/bridge/br_netfilter_hooks.c). A bridge's own 0 therefore exempts
nothing while the global is 1; the plan turns the global off and gives every
bridge that is filtered now and is not being exempted its own 1, so Docker's
and other bridges keep exactly the filtering they have. The per-bridge values
are set before the global changes, so no bridge loses filtering in between.

Persistence: a udev rule per bridge that writes its value when the bridge is
created. A networkd ``.netdev`` covers only the bridges networkd creates, but
libvirt (virbr0), dockerd (docker0), ifupdown and NetworkManager create
theirs; udev sees every bridge whoever creates it, so the value survives a
re-creation. The rule waits for the ``bridge/`` directory, which the kernel
adds after the "add" event (br_sysfs_addbr runs from NETDEV_REGISTER).
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks_firewall import bridge_filtering

FINDING = "BRIDGE_FILTER_DROPS_GUESTS"
GLOBAL_KEY = "net.bridge.bridge-nf-call-iptables"
UDEV_HEADER = ("# Written by the Ansible role nfdoctor.netfilter.br_netfilter (nfdoctor_br_netfilter_exempt_guest_"
               "bridges).\n"
               "# The kernel filters a bridge when net.bridge.bridge-nf-call-iptables or its own nf_call_iptables "
               "is 1;\n# the global is 0 here, and these rules give each bridge its own value whenever it is "
               "created.\n")
_EVIDENCE_RE = re.compile(r"^/sys/class/net/([A-Za-z0-9_.:@-]{1,15})/bridge/nf_call_iptables$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,15}$")


def _udev_rule(bridge, value):
    path = "/sys/class/net/%k/bridge/nf_call_iptables"
    return ('ACTION=="add", SUBSYSTEM=="net", KERNEL=="%s", RUN+="/bin/sh -c \'for i in 1 2 3 4 5 6 7 8 9 10; do '
            '[ -w %s ] && break; sleep 0.2; done; echo %d > %s\'"' % (bridge, path, value, path))


def bridge_exemption_plan(facts):
    """The plan (see the role README): which bridges get which value, the global sysctl, the udev rules."""
    if not isinstance(facts, dict):
        raise AnsibleFilterError("bridge_exemption_plan: expected the nfdoctor facts document (a dict), got %s"
                                 % type(facts).__name__)
    plan = {"applicable": False, "skip_reason": "", "exempt": [], "keep_filtered": [], "per_bridge": [],
            "sysctls": [], "udev_rules": "", "ip6tables": None, "notes": []}
    bridges = facts.get("bridges") if isinstance(facts.get("bridges"), dict) else {}
    exempt = []
    for finding in facts.get("findings") or []:
        if not isinstance(finding, dict) or finding.get("id") != FINDING:
            continue
        if not finding.get("role"):
            plan["notes"].append("%s: %s" % (finding.get("title"), finding.get("remediation")))
            continue
        for item in finding.get("evidence") or []:
            match = _EVIDENCE_RE.match(str((item or {}).get("file") or ""))
            if match and match.group(1) in bridges and match.group(1) not in exempt:
                exempt.append(match.group(1))
    if not exempt:
        plan["skip_reason"] = "no %s finding names a bridge this role may exempt" % FINDING
        return plan
    if (facts.get("environment") or {}).get("kubernetes"):
        plan["skip_reason"] = ("this is a Kubernetes node: pods need net.bridge.bridge-nf-call-iptables = 1 "
                               "(kubeadm preflight), so only an ACCEPT rule for the bridge can help")
        return plan
    keep = []
    for name in sorted(bridges):
        if name in exempt or not _NAME_RE.match(name):
            continue
        filtered, _why = bridge_filtering(facts, name)
        if filtered is not False:
            keep.append(name)  # filtered now (or unknown): it stays filtered
    sysctls = (facts.get("br_netfilter") or {}).get("sysctls") or {}
    global_now = sysctls.get("bridge-nf-call-iptables")
    # ip6tables is not this finding's business: the sysctl file keeps what the audit saw (1, the kernel's
    # default, when it did not say).
    plan["ip6tables"] = sysctls.get("bridge-nf-call-ip6tables") if sysctls.get("bridge-nf-call-ip6tables") in (0, 1) \
        else 1
    per_bridge = [{"bridge": name, "value": 1, "now": (bridges.get(name) or {}).get("nf_call_iptables")}
                  for name in keep]
    per_bridge += [{"bridge": name, "value": 0, "now": (bridges.get(name) or {}).get("nf_call_iptables")}
                   for name in exempt]
    plan.update(applicable=True, exempt=exempt, keep_filtered=keep, per_bridge=per_bridge,
                sysctls=[{"name": GLOBAL_KEY, "value": 0, "now": global_now}],
                udev_rules=UDEV_HEADER + "".join(_udev_rule(p["bridge"], p["value"]) + "\n" for p in per_bridge))
    plan["notes"].append("bridges created later with another name (Docker's br-<id>, a new CNI bridge) are not "
                         "filtered while net.bridge.bridge-nf-call-iptables is 0; give them their own "
                         "nf_call_iptables=1 if they need it")
    return plan


class FilterModule(object):
    def filters(self):
        return {"bridge_exemption_plan": bridge_exemption_plan}
