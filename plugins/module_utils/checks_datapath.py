# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings about packets the datapath loses: kube-proxy's INVALID drops, the VXLAN checksum bug.

Each check is a pure function of the facts document (``netfilter_rules``,
``conntrack``, ``datapath`` from gather_datapath, ``kernel``) and takes its
severities from findings.RULES; the VXLAN kernel range is data in
known_bad_kernels (entry ``vxlan-nat-udp-zero-csum``).
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.findings import (
    evidence,
    fact,
    make_finding,
    rule,
    severity_rank,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.known_bad_kernels import (
    KNOWN_BAD_KERNELS,
    match_entry,
)

# kube-proxy's iptables proxier writes its INVALID DROP rule into this chain
# (pkg/proxy/iptables/proxier.go, kubernetes#74840, v1.15.0); an INVALID drop
# elsewhere is a host firewall's choice and correct there (netfilter bugzilla #693).
KUBE_PROXY_CHAINS = ("KUBE-FORWARD",)
STAT_FILE = "/proc/net/stat/nf_conntrack"
LIBERAL_FILE = "/proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal"
VXLAN_ENTRY_ID = "vxlan-nat-udp-zero-csum"


def _kube_proxy_invalid_drops(facts):
    return [r for r in fact(facts, "netfilter_rules", "ct_invalid_drop") or []
            if isinstance(r, dict) and r.get("chain") in KUBE_PROXY_CHAINS]


def _rule_value(item):
    packets = item.get("packets")
    return "%s%s" % (item.get("text"), " (%d packets)" % packets if isinstance(packets, int) else "")


def check_conntrack_invalid_drops(facts):
    """CONNTRACK_INVALID_DROPS: kube-proxy's INVALID DROP rule with strict TCP window tracking."""
    rules = _kube_proxy_invalid_drops(facts)
    if not rules:
        return []
    ct = facts.get("conntrack") or {}
    liberal = ct.get("tcp_be_liberal")
    invalid = fact(ct, "stats", "totals", "invalid")
    rate = fact(ct, "rates", "per_second", "invalid")
    counted = [r["packets"] for r in rules if isinstance(r.get("packets"), int)]
    dropped = sum(counted) if counted else None
    if liberal is None and invalid is None and dropped is None:
        return []  # nothing to judge by: the rule alone is kube-proxy doing its job
    if liberal == 1:
        if not dropped:
            return []
        name = "liberal"
    elif dropped and rate:
        name = "dropping_now"
    elif dropped:
        name = "dropped"
    elif dropped is None and invalid:
        name = "invalid_counted"
    elif dropped == 0:
        name = "idle"
    else:
        return []  # no counter on the rule and conntrack counted no INVALID packet
    first = rules[0]
    detail = "%s %s:%s holds kube-proxy's rule '%s' (kubernetes#74840, kube-proxy 1.15+)" % (
        first.get("source"), first.get("table"), first.get("chain"), first.get("text"))
    if dropped is not None:
        detail += ", which has dropped %d packet(s) since it was loaded" % dropped
    else:
        detail += "; this listing shows no packet counter for it"
    if invalid is not None:
        detail += "; conntrack counted %d INVALID packet(s) (%s, summed over %s CPUs)" % (
            invalid, fact(ct, "stats", "source") or STAT_FILE, fact(ct, "stats", "cpus"))
        if rate:
            detail += ", rising %.2f/s over %.1f s" % (rate, fact(ct, "rates", "interval") or 0)
    if liberal == 1:
        detail += "; nf_conntrack_tcp_be_liberal is already 1, so these are not out-of-window TCP segments " \
                  "(asymmetric routes, ICMP errors, untracked flows): look at which traffic it is"
    elif liberal == 0:
        detail += "; nf_conntrack_tcp_be_liberal = 0, so a TCP segment outside the tracked window (a late " \
                  "retransmit, a lost ACK) is INVALID and the connection stalls or is reset (kubernetes#74839)"
    else:
        detail += "; nf_conntrack_tcp_be_liberal was not read"
    ev = [evidence(r.get("source"), r.get("line"), _rule_value(r)) for r in rules]
    if invalid is not None:
        ev.append(evidence(fact(ct, "stats", "source") or STAT_FILE, None, "invalid=%d" % invalid))
    if liberal is not None:
        ev.append(evidence(LIBERAL_FILE, None, liberal))
    # With be_liberal set already the role has nothing to change.
    role = None if liberal == 1 else "nfdoctor.netfilter.conntrack_hygiene"
    return [make_finding("CONNTRACK_INVALID_DROPS", rule("CONNTRACK_INVALID_DROPS", name), detail + ".", ev,
                         role=role)]


def _vxlan_entry():
    return [e for e in KNOWN_BAD_KERNELS if e.get("id") == VXLAN_ENTRY_ID][0]


def _nat_rules(facts):
    rules = facts.get("netfilter_rules") or {}
    return bool(rules.get("nat_in_use") or rules.get("masquerade_in_use"))


def check_vxlan_csum_offload(facts):
    """VXLAN_CSUM_OFFLOAD_BUG: a VXLAN device offloads its checksums on a kernel without ea64d8d6c675."""
    kernel = facts.get("kernel") or {}
    devices = [d for d in fact(facts, "datapath", "vxlan") or [] if isinstance(d, dict)]
    offloading = [d for d in devices if d.get("tx_checksum_ip_generic") == "on"]
    if not offloading or not kernel.get("release"):
        return []
    entry = _vxlan_entry()
    match = match_entry(kernel, entry)
    if match is None:
        return []
    env = facts.get("environment") or {}
    if _nat_rules(facts):
        name = "nat_kubernetes" if env.get("kubernetes") else "nat"
    else:
        name = "latent"
    verdict = rule("VXLAN_CSUM_OFFLOAD_BUG", name)
    severity, confidence = verdict["severity"], match["confidence"]
    if confidence == "low" and severity_rank(severity) > severity_rank("medium"):
        severity = "medium"  # "possibly affected" (a distribution kernel) should not page anyone at night
    names = ", ".join("%s (%s)" % (d["name"], "DEVTYPE=vxlan" if d.get("type_basis") == "uevent" else
                                   "vxlan in ip -d link" if d.get("type_basis") == "ip -d link" else
                                   "named like a CNI's VXLAN device") for d in offloading)
    detail = ("%s offload%s the transmit checksum (tx-checksum-ip-generic: on) on kernel %s, %sin the range of "
              "'%s' (%s; fixed in %s)" % (
                  names, "s" if len(offloading) == 1 else "", kernel["release"],
                  "possibly " if confidence == "low" else "", entry["summary"], match["basis"], entry["fixed_in"]))
    if name == "latent":
        detail += "; no NAT rule is loaded now, so no VXLAN packet is rewritten yet"
    else:
        detail += "; NAT rules are loaded (%s), so host-originated traffic into the overlay (node -> ClusterIP, " \
                  "NodePort) leaves with a bad outer UDP checksum and is dropped by the peer: 1 s / 63 s " \
                  "connection delays (kubernetes#88986)" % (
                      "MASQUERADE" if fact(facts, "netfilter_rules", "masquerade_in_use") else "SNAT/DNAT")
    ev = [evidence(d.get("source"), d.get("line"), d.get("text")) for d in offloading]
    ev.append(evidence("/proc/sys/kernel/osrelease", None, kernel["release"]))
    return [make_finding("VXLAN_CSUM_OFFLOAD_BUG", severity, detail + ".", ev,
                         references=list(entry.get("references") or []) + [verdict["source"], match.get("source")],
                         confidence=confidence)]


DATAPATH_CHECKS = (check_conntrack_invalid_drops, check_vxlan_csum_offload)
