# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings about what the firewall does to bridges and to the chains container runtimes create.

Pure functions of the facts document (``br_netfilter``, ``bridges``,
``netfilter_rules``, ``firewall`` from gather_firewall, ``environment``,
``docker``); severities come from findings.RULES.

BRIDGE_FILTER_DROPS_GUESTS is the inverse of BR_NETFILTER_NOT_LOADED: that
one needs br_netfilter absent, this one needs it loaded with bridged frames
going to iptables, so the two never name the same bridge. Only bridges that
carry guests (classify_bridge: hypervisor, libvirt network) count; Docker's
and a CNI's bridges have their own ACCEPT rules and need the filtering.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.findings import evidence, fact, make_finding, rule
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_bridges import GUEST_PORT_RE
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_firewall import flush_hits_iptables_nft

GUEST_KINDS = ("hypervisor", "libvirt_network")
# Docker put its interfaces in a firewalld zone of its own from 20.10.0 (moby/libnetwork#2548).
FIREWALLD_ZONE_DOCKER = [20, 10, 0]
RESTORED_TABLES = ("filter", "nat")


# ----------------------------------------------------- bridged guests
def bridge_filtering(facts, name):
    """(goes to iptables: True/False/None, why) for bridged IPv4 frames of bridge ``name``.

    br_nf_pre_routing() returns NF_ACCEPT (skips iptables) only when both the
    global net.bridge.bridge-nf-call-iptables and the bridge's own
    nf_call_iptables are 0: the per-bridge knob adds filtering, it cannot
    take it away.
    """
    brnf = facts.get("br_netfilter") or {}
    bridge = (facts.get("bridges") or {}).get(name) or {}
    loaded = brnf.get("loaded") or brnf.get("split_kernel") is False
    if not loaded:
        return False, "br_netfilter is not loaded"
    global_value = (brnf.get("sysctls") or {}).get("bridge-nf-call-iptables")
    own = bridge.get("nf_call_iptables")
    if global_value == 1 or own == 1:
        return True, "net.bridge.bridge-nf-call-iptables = %s and %s/bridge/nf_call_iptables = %s" % (
            global_value, name, "unknown" if own is None else own)
    if global_value == 0 and own in (0, None):
        return False, "both are 0"
    return None, "net.bridge.bridge-nf-call-iptables is unknown"


def _forward_drops(facts):
    return str(fact(facts, "netfilter_rules", "forward_policy") or "").upper() == "DROP"


def _bridge_rule(bridge):
    kind = bridge.get("kind")
    if kind == "libvirt_network":
        return "libvirt_network"
    if any(GUEST_PORT_RE.match(p) for p in bridge.get("ports") or []):
        return "guests_black_holed"
    return "no_guest_yet"


def _policy_source(facts):
    drop_table = fact(facts, "firewall", "forward_drop_table")
    if drop_table:
        return "nft list ruleset", "table %s: policy drop at the forward hook" % drop_table
    sources = fact(facts, "netfilter_rules", "sources") or []
    source = next((s for s in sources if "filter" in s or s.endswith("-save")), sources[0] if sources else None)
    return source or "iptables-save", "FORWARD policy DROP"


def affected_bridges(facts):
    """The guest bridges whose bridged frames go to a dropping FORWARD chain with no ACCEPT for them.

    ``[(name, rule name, why filtered)]``; the role's plan reads the finding's evidence instead.
    """
    if not _forward_drops(facts):
        return []
    accepts = fact(facts, "firewall", "bridge_forward_accepts") or {}
    found = []
    for name, bridge in sorted((facts.get("bridges") or {}).items()):
        bridge = bridge or {}
        if bridge.get("kind") not in GUEST_KINDS or accepts.get(name):
            continue
        filtered, why = bridge_filtering(facts, name)
        if filtered:
            found.append((name, _bridge_rule(bridge), why))
    return found


def check_bridge_filter_drops_guests(facts):
    findings = []
    env = facts.get("environment") or {}
    source, policy_text = _policy_source(facts)
    sysctls = fact(facts, "br_netfilter", "sysctls") or {}
    for name, rule_name, why in affected_bridges(facts):
        bridge = (facts.get("bridges") or {}).get(name) or {}
        ports = bridge.get("ports") or []
        own = bridge.get("nf_call_iptables")
        detail = ("br_netfilter is loaded and %s, so every bridged IPv4 frame on %s (%s; ports %s) traverses the "
                  "FORWARD chain, whose policy is DROP (%s), and no ACCEPT rule reachable from FORWARD names %s: "
                  "%s" % (why, name, bridge.get("kind_evidence") or bridge.get("kind"), ", ".join(ports) or "none",
                          source, name,
                          {"guests_black_holed": "its guests are cut off from the LAN and from each other",
                           "libvirt_network": "frames between its guests are dropped (libvirt's own "
                                              "'-i %s -o %s -j ACCEPT' rule is missing)" % (name, name),
                           "no_guest_yet": "the next guest attached to it goes dark"}[rule_name]))
        if own == 0 and sysctls.get("bridge-nf-call-iptables") == 1:
            detail += "; its own nf_call_iptables = 0 does not exempt it, the kernel ORs it with the global sysctl"
        if "docker" in (env.get("container_runtimes") or []):
            detail += "; dockerd set FORWARD to DROP when it enabled forwarding (moby#14041)"
        ev = [evidence("/proc/modules", None, "br_netfilter loaded"),
              evidence("/proc/sys/net/bridge/bridge-nf-call-iptables", None, sysctls.get("bridge-nf-call-iptables")),
              evidence("/sys/class/net/%s/bridge/nf_call_iptables" % name, None, own),
              evidence(source, None, policy_text),
              evidence("/sys/class/net/%s/brif" % name, None, "kind %s; ports: %s" % (
                  bridge.get("kind"), ", ".join(ports) or "none"))]
        kubernetes = bool(env.get("kubernetes"))
        findings.append(make_finding(
            "BRIDGE_FILTER_DROPS_GUESTS", rule("BRIDGE_FILTER_DROPS_GUESTS", rule_name), detail + ".", ev,
            title="Bridged traffic of %s is dropped in FORWARD" % name,
            # On a Kubernetes node pods need the global sysctl at 1 (kubeadm preflight): only an ACCEPT rule helps.
            role=None if kubernetes else "nfdoctor.netfilter.br_netfilter",
            remediation=("On a Kubernetes node keep bridge-nf-call-iptables = 1 and accept the bridge in FORWARD "
                         "(iptables -I FORWARD -i %s -o %s -j ACCEPT, persisted with the host's firewall)." % (
                             name, name)) if kubernetes else None))
    return findings


# ----------------------------------------------------- firewall reloads
def _docker_in_use(facts):
    env = facts.get("environment") or {}
    return "docker" in (env.get("container_runtimes") or []) and fact(facts, "docker", "iptables") is not False


def _containers_running(facts):
    bridges = facts.get("bridges") or {}
    with_ports = [n for n, b in bridges.items() if (b or {}).get("kind") == "docker" and (b or {}).get("ports")]
    return (fact(facts, "firewall", "docker_containers") or 0), with_ports


def _docker_chains_in_nft(facts):
    chains = fact(facts, "firewall", "runtime_chains") or {}
    if chains.get("docker"):
        return bool(chains.get("docker_in_nft"))
    # No chains seen (yet): they go wherever plain iptables writes.
    return fact(facts, "iptables_backends", "default") == "nf_tables"


def _enabled(facts, unit):
    return (fact(facts, "firewall", "units") or {}).get(unit) in ("enabled", "enabled-runtime", "static", "alias")


def _chains_missing(facts):
    if not _docker_in_use(facts) or not fact(facts, "netfilter_rules", "sources"):
        return []
    chains = fact(facts, "firewall", "runtime_chains") or {}
    if chains.get("docker") or chains.get("docker_nft"):
        return []
    count, bridges = _containers_running(facts)
    if not count and not bridges:
        return []
    reloaders = [u for u in ("nftables.service", "iptables.service", "netfilter-persistent.service",
                             "firewalld.service") if _enabled(facts, u)]
    detail = ("Docker runs %s but the rules read (%s) hold no DOCKER chain: something flushed them after dockerd "
              "started (a firewall reload or restore), so published ports, NAT to the outside and container "
              "isolation are gone until dockerd restarts" % (
                  "%d container(s)" % count if count else "containers on %s" % ", ".join(bridges),
                  ", ".join(fact(facts, "netfilter_rules", "sources") or [])))
    if reloaders:
        detail += "; enabled firewall unit(s): %s" % ", ".join(reloaders)
    ev = [evidence(s, None, "no DOCKER chain") for s in (fact(facts, "netfilter_rules", "sources") or [])[:3]]
    if count:
        ev.append(evidence("/run/docker/netns", None, "%d container namespace(s)" % count))
    return [make_finding("FIREWALL_RELOAD_WIPES_CHAINS", rule("FIREWALL_RELOAD_WIPES_CHAINS", "chains_missing"),
                         detail + ".", ev, title="Docker's iptables chains are missing while containers run",
                         remediation="Restart dockerd now (systemctl restart docker re-creates its chains), then stop "
                                     "the firewall reload that flushed them: see the other "
                                     "FIREWALL_RELOAD_WIPES_CHAINS findings or the firewall unit named here.")]


def _nft_flushes(facts):
    conf = fact(facts, "firewall", "nftables_conf") or {}
    flushes = [f for f in conf.get("flushes") or [] if flush_hits_iptables_nft(f.get("scope"))]
    if not flushes or not _enabled(facts, "nftables.service"):
        return []
    chains = fact(facts, "firewall", "runtime_chains") or {}
    kube = bool(chains.get("kube") or chains.get("kube_nft")) or bool((facts.get("environment") or {}).get("kubernetes"))
    docker = _docker_in_use(facts)
    if not docker and not kube:
        return []
    if docker and _docker_chains_in_nft(facts):
        listed = ", ".join(chains.get("docker") or []) or "written through iptables-nft"
        name, who = "nft_flush_docker", "Docker's chains (%s)" % listed
    elif kube and (chains.get("kube_in_nft") or fact(facts, "iptables_backends", "default") == "nf_tables"):
        name = "nft_flush_kube"
        who = "kube-proxy's chains (%s)" % ", ".join(
            (["%d KUBE-* chains" % chains["kube_count"]] if chains.get("kube_count") else [])
            + ["table %s (nftables mode)" % t for t in chains.get("kube_nft") or []]
            or ["none written yet"])
    else:
        name, who = "nft_flush_legacy", "the runtime's chains, in iptables-legacy today"
    first = flushes[0]
    detail = ("%s:%s '%s' runs at every start and reload of nftables.service (enabled): it deletes every %s, and "
              "with them %s, which nobody writes back until %s" % (
                  first["file"], first["line"], first["text"],
                  "nf_tables table" if first["scope"].startswith("ruleset") else "rule of table %s" % first["scope"],
                  who, "dockerd restarts" if name == "nft_flush_docker" else "kube-proxy's next sync"
                  if name == "nft_flush_kube" else "the runtime restarts"))
    if name == "nft_flush_legacy":
        detail = detail.replace(", and with them", "; it spares x_tables, so for now it misses")
    return [make_finding("FIREWALL_RELOAD_WIPES_CHAINS", rule("FIREWALL_RELOAD_WIPES_CHAINS", name), detail + ".",
                         [evidence(f["file"], f["line"], f["text"]) for f in flushes[:3]]
                         + [evidence("nftables.service", None, "enabled")],
                         title="nftables.service flushes the whole ruleset on a container host")]


def _restores(facts):
    if not _docker_in_use(facts):
        return []
    findings = []
    for restore in fact(facts, "firewall", "restore_files") or []:
        tables = [t for t in restore.get("tables") or [] if t in RESTORED_TABLES]
        if not tables or restore.get("docker_chains"):
            continue
        unit = restore.get("service")
        name = "restore_without_docker" if _enabled(facts, unit) else "restore_unit_off"
        detail = ("%s restores table(s) %s without any DOCKER chain; iptables-restore flushes each table it names, so "
                  "%s %s Docker's NAT and filter chains until dockerd restarts" % (
                      restore["file"], ", ".join(tables), unit,
                      "(enabled) wipes at every start or restart" if name == "restore_without_docker" else
                      "(not enabled) would wipe, as would a manual iptables-restore of it,"))
        findings.append(make_finding(
            "FIREWALL_RELOAD_WIPES_CHAINS", rule("FIREWALL_RELOAD_WIPES_CHAINS", name), detail + ".",
            [evidence(restore["file"], None, "tables %s, no :DOCKER chain" % ", ".join(tables)),
             evidence(unit, None, (fact(facts, "firewall", "units") or {}).get(unit) or "not installed")],
            title="%s restores iptables without Docker's chains" % unit))
    return findings


def _firewalld_old_docker(facts):
    version = fact(facts, "firewall", "docker_version")
    if not _docker_in_use(facts) or not _enabled(facts, "firewalld.service") or not version:
        return []
    if list(version) >= FIREWALLD_ZONE_DOCKER:
        return []
    text = ".".join(str(v) for v in version)
    return [make_finding(
        "FIREWALL_RELOAD_WIPES_CHAINS", rule("FIREWALL_RELOAD_WIPES_CHAINS", "firewalld_old_docker"),
        "firewalld is enabled and Docker is %s, older than 20.10.0: its interfaces are in no firewalld zone, so a "
        "`firewall-cmd --reload` (or firewalld's nftables backend) drops or rejects container traffic until "
        "dockerd re-adds its rules (moby/libnetwork#2548, #2496)." % text,
        [evidence(fact(facts, "firewall", "docker_version_source") or "docker version", None, text),
         evidence("firewalld.service", None, "enabled")],
        title="firewalld with a Docker older than 20.10",
        remediation="Upgrade Docker to 20.10 or later (it puts docker0 and its bridges in a 'docker' zone), or add "
                    "docker0 to the trusted zone permanently (firewall-cmd --permanent --zone=trusted "
                    "--add-interface=docker0) and restart dockerd after every firewalld reload.")]


def check_firewall_reload_wipes_chains(facts):
    return _chains_missing(facts) + _nft_flushes(facts) + _restores(facts) + _firewalld_old_docker(facts)


FIREWALL_CHECKS = (
    check_bridge_filter_drops_guests,
    check_firewall_reload_wipes_chains,
)
