# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings about routing a host is meant to do: ip_forward, rp_filter, the conntrack hash, networkd on container links.

Each check is a pure function of the facts document (``forwarding``,
``routing`` from gather_routing, ``conntrack``, ``networkd``) and takes its
severities from findings.RULES. Whether a host needs to forward is judged from
what it runs (Kubernetes, a container runtime, libvirt's NAT networks), what
its rules do (NAT) and what sysctl.d asks for, never from a host name.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fnmatch

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.findings import evidence, fact, make_finding, rule

# conntrack_hygiene's plan (plugins/filter/conntrack_table.py, which imports these)
# raises the hash size once max/hashsize passes this; the finding uses the
# same line so that the fix clears it. Kernels before 5.15 default to
# max = 8 x hashsize (nf_conntrack_core.c max_factor), so a default table
# never fires; kube-proxy sets hashsize = max/4.
HASH_MAX_PER_BUCKET = 8
INTENDED_PER_BUCKET = 4
# The audit's near-full ratio: CONNTRACK_TABLE_NEAR_FULL (checks.py) and the
# conntrack_hygiene plan (plugins/filter/conntrack_table.py) take it from here.
NEAR_FULL_RATIO = 0.8
# The names dockerd, CNI plugins, flannel and Calico give the links they create
# (coreos/bugs#1205, moby#15630), and one example of each to test [Match] Name= against.
CONTAINER_LINK_PATTERNS = ("docker0", "veth*", "cni*", "flannel*", "cali*")
CONTAINER_LINK_EXAMPLES = ("docker0", "veth1a2b3c4", "cni0", "flannel.1", "cali1a2b3c4d5e6")
# Tunnel and VPN link types (uevent DEVTYPE, or ARPHRD for ipip/gre/sit) and, where the type is
# unknown (a sosreport), the names their tools give them.
TUNNEL_TYPES = ("wireguard", "vxlan", "geneve", "ipip", "gre", "ip6gre", "sit", "tunnel6", "tun", "tap")
TUNNEL_NAME_PATTERNS = ("wg*", "tun*", "tap*", "vxlan*", "flannel.*", "tunl*", "gre*", "ipip*", "geneve*")
FALSE_WORDS = ("0", "no", "false", "off")


def _container_host(facts):
    env = facts.get("environment") or {}
    return bool(env.get("kubernetes") or env.get("container_runtimes"))


def _libvirt_routing(facts):
    """libvirt NAT/routed networks present: libvirtd turns ip_forward on to start them."""
    return sorted(name for name, bridge in (facts.get("bridges") or {}).items()
                  if (bridge or {}).get("kind") == "libvirt_network")


def _setting_order(setting):
    """systemd-sysctl's order: files by name, /etc/sysctl.conf last, then line."""
    path = setting.get("file") or ""
    return (path == "/etc/sysctl.conf", path.rsplit("/", 1)[-1], setting.get("line") or 0)


def _configured_forwarding(facts):
    """The sysctl.d setting that decides IPv4 forwarding at the next boot, or None."""
    configured = fact(facts, "forwarding", "configured") or {}
    found = [dict(configured[key], key=key) for key in ("net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding")
             if isinstance(configured.get(key), dict)]
    return max(found, key=_setting_order) if found else None


def _networkd_turns_forwarding_on(facts):
    """.network files (with links) whose settings turn forwarding on at every networkd start."""
    found = []
    for nfile in fact(facts, "networkd", "network_files") or []:
        effect = nfile.get("forwarding") or {}
        if not nfile.get("shadowed_by") and nfile.get("interfaces") and \
                effect.get("effective_ipv4_forwarding") == "yes":
            found.append(nfile["path"])
    return found


# ------------------------------------------------------------ ip_forward
def _forwarding_needs(facts):
    """[(rule suffix, why)] of what on this host needs IPv4 forwarding, worst first."""
    env = facts.get("environment") or {}
    needs = []
    if env.get("kubernetes"):
        needs.append(("kubernetes", "this is a Kubernetes node (kubelet's files are present)"))
    if env.get("container_runtimes"):
        needs.append(("container", "%s runs here and routes its containers' traffic" % " and ".join(
            env["container_runtimes"])))
    libvirt = _libvirt_routing(facts)
    if libvirt:
        needs.append(("libvirt", "libvirt NAT/routed network(s) on %s route the guests' traffic" % ", ".join(libvirt)))
    if fact(facts, "netfilter_rules", "nat_in_use"):
        needs.append(("nat", "NAT rules translate traffic this host routes"))
    return needs


def check_ip_forward_disabled(facts):
    fwd = facts.get("forwarding") or {}
    live = fwd.get("ipv4")
    setting = _configured_forwarding(facts)
    needs = _forwarding_needs(facts)
    why = "; ".join(text for _name, text in needs)
    if live == 0:
        configured_on = setting is not None and str(setting.get("value")).strip() not in FALSE_WORDS
        if needs:
            name = {"kubernetes": "kubernetes_off", "container": "container_off", "libvirt": "libvirt_off",
                    "nat": "nat_off"}[needs[0][0]]
        elif configured_on:
            name = "configured_on_off"
        else:
            return []  # nothing here needs to forward
        detail = "net.ipv4.ip_forward is 0 now, so every packet this host should route is dropped"
        if why:
            detail += ": %s" % why
        ev = [evidence("/proc/sys/net/ipv4/ip_forward", None, 0)]
        if configured_on:
            detail += "; %s:%s asks for %s, so something switched it off after boot (systemd-networkd " \
                      "IPv4Forwarding=no, a script, a hardening run)" % (
                          setting.get("file"), setting.get("line"), setting.get("value"))
            ev.append(evidence(setting.get("file"), setting.get("line"), setting.get("value")))
            if name == "nat_off":
                name = "configured_on_off"
        elif setting is not None:
            detail += "; %s:%s sets it to %s, so it stays off after a reboot too" % (
                setting.get("file"), setting.get("line"), setting.get("value"))
            ev.append(evidence(setting.get("file"), setting.get("line"), setting.get("value")))
        return [make_finding("IP_FORWARD_DISABLED", rule("IP_FORWARD_DISABLED", name), detail + ".", ev)]
    if live != 1 or setting is None or str(setting.get("value")).strip() not in FALSE_WORDS:
        return []
    restored = _networkd_turns_forwarding_on(facts)
    forwarded = (fwd.get("snmp_ip") or {}).get("ForwDatagrams")
    if restored:
        name = "pending_restored"
    elif needs and needs[0][0] == "kubernetes":
        name = "pending_kubernetes"
    elif needs and needs[0][0] == "container":
        name = "pending_container"
    elif needs or forwarded:
        name = "pending_forwarding"
    else:
        return []  # nothing here is known to need forwarding, and nothing is forwarded
    detail = ("net.ipv4.ip_forward is 1 now, but %s:%s sets %s = %s, the last word systemd-sysctl has at the "
              "next boot and at every `sysctl --system` (a CIS-style hardening file: debops#1878, microk8s#267)" % (
                  setting.get("file"), setting.get("line"), setting["key"], setting.get("value")))
    if why:
        detail += "; %s" % why
    if forwarded:
        detail += "; ForwDatagrams = %d in /proc/net/snmp: it routes traffic now" % forwarded
    if restored:
        detail += "; %s turn(s) forwarding on again when networkd starts, so the outage lasts only from " \
                  "systemd-sysctl to networkd" % ", ".join(restored)
    ev = [evidence(setting.get("file"), setting.get("line"), setting.get("value")),
          evidence("/proc/sys/net/ipv4/ip_forward", None, 1)]
    if forwarded:
        ev.append(evidence("/proc/net/snmp", None, "Ip ForwDatagrams %d" % forwarded))
    return [make_finding("IP_FORWARD_DISABLED", rule("IP_FORWARD_DISABLED", name), detail + ".", ev,
                         title="A sysctl.d file turns IPv4 forwarding off at the next boot")]


# ------------------------------------------------------------- rp_filter
def _rp_setting_for(facts, name):
    """The sysctl.d line that sets conf.NAME.rp_filter (or a glob matching NAME), the last one applied."""
    configured = fact(facts, "routing", "rp_filter_configured") or {}
    found = []
    for key, setting in configured.items():
        middle = key[len("net.ipv4.conf."):-len(".rp_filter")]
        # systemd-sysctl expands a glob (net.ipv4.conf.*.rp_filter) over every conf/ entry, all included.
        if middle == name or (any(ch in middle for ch in "*?[") and fnmatch.fnmatchcase(name, middle)):
            found.append(dict(setting, key=key))
    return max(found, key=_setting_order) if found else None


def _is_tunnel(name, types):
    kind = types.get(name)
    if kind:
        return kind in TUNNEL_TYPES, "type %s" % kind
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in TUNNEL_NAME_PATTERNS):
        return True, "named like a tunnel (type unknown)"
    return False, None


def _rp_evidence(facts, name, value):
    ev = [evidence("/proc/sys/net/ipv4/conf/%s/rp_filter" % name, None, value)]
    setting = _rp_setting_for(facts, name)
    if setting:
        ev.append(evidence(setting.get("file"), setting.get("line"), "%s = %s" % (setting["key"], setting.get("value"))))
    return ev, setting


def _set_by(setting):
    if not setting:
        return ""
    text = " (set by %s:%s, %s = %s" % (setting.get("file"), setting.get("line"), setting["key"], setting.get("value"))
    if (setting.get("file") or "").endswith("/50-default.conf"):
        text += ": systemd 240+ ships this loose default, systemd#10971"
    return text + ")"


def check_rp_filter_conflict(facts):
    routing = facts.get("routing") or {}
    values = routing.get("rp_filter") or {}
    if "all" not in values:
        return []
    all_value = values["all"]
    findings = []
    calico = routing.get("calico") or []
    if calico and all_value == 2:
        ev, setting = _rp_evidence(facts, "all", 2)
        ev.append(evidence(calico[0], None, "Calico present"))
        findings.append(make_finding(
            "RP_FILTER_CONFLICT", rule("RP_FILTER_CONFLICT", "calico_loose"),
            "net.ipv4.conf.all.rp_filter is 2 (loose)%s and Calico runs here (%s): felix before the end of 2019 "
            "exits at start ('Kernel's RPF check is set to loose ... Calico requires net.ipv4.conf.all.rp_filter "
            "to be set to 0 or 1') unless IgnoreLooseRPF is set, and because the kernel takes the larger of all "
            "and the interface value, no cali* interface can be strict while all is 2." % (
                _set_by(setting), ", ".join(calico)), ev,
            title="rp_filter is loose (2) host-wide on a Calico node",
            remediation="Set net.ipv4.conf.all.rp_filter = 1 in a sysctl.d file that sorts after %s (or, on a "
                        "Calico release that still checks it, FELIX_IGNORELOOSERPF=true, which gives up Calico's "
                        "anti-spoofing), then `sysctl --system`." % (
                            (setting or {}).get("file") or "/usr/lib/sysctl.d/50-default.conf")))
    pending = _rp_setting_for(facts, "all")
    if calico and all_value != 2 and pending and str(pending.get("value")).strip() == "2":
        findings.append(make_finding(
            "RP_FILTER_CONFLICT", rule("RP_FILTER_CONFLICT", "calico_loose_pending"),
            "net.ipv4.conf.all.rp_filter is %d now, but %s:%s sets %s = 2%s, which systemd-sysctl applies at the "
            "next boot: on a Calico node (%s) felix releases that still check it then refuse to start." % (
                all_value, pending.get("file"), pending.get("line"), pending["key"],
                " (systemd 240+ ships this loose default, systemd#10971)"
                if (pending.get("file") or "").endswith("/50-default.conf") else "", ", ".join(calico)),
            [evidence(pending.get("file"), pending.get("line"), "%s = %s" % (pending["key"], pending.get("value"))),
             evidence("/proc/sys/net/ipv4/conf/all/rp_filter", None, all_value),
             evidence(calico[0], None, "Calico present")],
            title="rp_filter turns loose (2) at the next boot on a Calico node"))
    types = routing.get("interface_types") or {}
    strict = []
    for name in sorted(values):
        if name in ("all", "default", "lo"):
            continue
        effective = max(all_value, values[name])
        tunnel, how = _is_tunnel(name, types)
        if tunnel and effective == 1:
            strict.append((name, values[name], how))
    if strict:
        drops = routing.get("rp_filter_drops")
        ev = []
        for name, value, _how in strict[:5]:
            ev.extend(_rp_evidence(facts, name, value)[0])
        if values[strict[0][0]] != 1:
            ev.extend(_rp_evidence(facts, "all", all_value)[0])
        if drops:
            ev.append(evidence("/proc/net/netstat", None, "TcpExt IPReversePathFilter %d" % drops))
        source = _rp_setting_for(facts, "all") if all_value == 1 else _rp_setting_for(facts, strict[0][0])
        findings.append(make_finding(
            "RP_FILTER_CONFLICT", rule("RP_FILTER_CONFLICT", "tunnel_strict_dropping" if drops else "tunnel_strict"),
            "Strict reverse-path filtering (rp_filter 1, the larger of all = %d and the interface) is on for "
            "tunnel/VPN link(s) %s%s: a packet arriving there whose source the routing table sends out another "
            "way (asymmetric or policy routing, an overlay's return path) is dropped%s." % (
                all_value, ", ".join("%s (%s, %s)" % (n, "interface %d" % v, how) for n, v, how in strict[:5]),
                _set_by(source),
                "; IPReversePathFilter = %d in /proc/net/netstat counts such drops" % drops if drops
                else "; no IPReversePathFilter drops are counted (or the counter was not read)"),
            ev,
            title="Strict rp_filter on tunnel or VPN interfaces"))
    return findings


# -------------------------------------------------------------- hashsize
def _hygiene_plan_raises(facts):
    """True when conntrack_hygiene's plan (defaults) raises the max, and with it the hash size."""
    ct = facts.get("conntrack") or {}
    ratio = ct.get("fill_ratio")
    return ratio is not None and ratio > NEAR_FULL_RATIO and (ct.get("max") or 0) < 1048576


def check_conntrack_hashsize_small(facts):
    ct = facts.get("conntrack") or {}
    hashsize, maximum, count = ct.get("hashsize"), ct.get("max"), ct.get("count")
    if not hashsize or not maximum or hashsize <= 0 or maximum <= HASH_MAX_PER_BUCKET * hashsize:
        return []
    ratio = ct.get("fill_ratio")
    chains_now = float(count) / hashsize if count is not None else None
    if ratio is not None and ratio >= NEAR_FULL_RATIO:
        name = "near_full"
    elif chains_now is not None and chains_now > INTENDED_PER_BUCKET:
        name = "filling"
    else:
        name = "idle"
    wanted = -(-maximum // INTENDED_PER_BUCKET)
    detail = ("The conntrack hash has %d buckets for nf_conntrack_max %d: %.0f entries per bucket when full, %d "
              "times what kube-proxy and the kernel intend (max/hashsize = %d)" % (
                  hashsize, maximum, float(maximum) / hashsize, maximum // (INTENDED_PER_BUCKET * hashsize) or 1,
                  INTENDED_PER_BUCKET))
    if chains_now is not None:
        detail += "; with %d entries now every lookup walks %.1f on average" % (count, chains_now)
    detail += "; nf_conntrack_max was raised without the hash size"
    ev = [evidence("/sys/module/nf_conntrack/parameters/hashsize", None, hashsize),
          evidence("/proc/sys/net/netfilter/nf_conntrack_max", None, maximum)]
    if count is not None:
        ev.append(evidence("/proc/sys/net/netfilter/nf_conntrack_count", None, count))
    remediation = ("Set the hash size to max/4 = %d: echo %d > /sys/module/nf_conntrack/parameters/hashsize now, "
                   "and 'options nf_conntrack hashsize=%d' in /etc/modprobe.d for the next load (kube-proxy does the "
                   "same on its nodes)." % (wanted, wanted, wanted))
    if _hygiene_plan_raises(facts):
        remediation += " Role nfdoctor.netfilter.conntrack_hygiene does this as it raises the full table's maximum."
        return [make_finding("CONNTRACK_HASHSIZE_SMALL", rule("CONNTRACK_HASHSIZE_SMALL", name), detail + ".", ev,
                             remediation=remediation)]
    return [make_finding("CONNTRACK_HASHSIZE_SMALL", rule("CONNTRACK_HASHSIZE_SMALL", name), detail + ".", ev,
                         remediation=remediation, role=None)]


# -------------------------------------------------- networkd on containers
# The file role networkd_forwarding writes (plugins/filter/networkd_forwarding.py, which
# imports it): networkd applies the first .network file that matches a link, all .network
# files sorted by file name across /etc, /run and /usr/lib (systemd.network(5); network_load()
# reads them with conf_files_list_strv() into an ordered map that network_get() walks in
# order, src/network/networkd-network.c), so "00-" sorts before every numbered file.
UNMANAGED_FILE = "/etc/systemd/network/00-nfdoctor-container-links.network"
# systemd.network(5): [Link] Unmanaged= is "Added in version 233", as is "!" in [Match] lists.
FIRST_UNMANAGED = 233


def networkd_created_links(facts):
    """{link name: the .netdev entry} of the links systemd-networkd creates itself (systemd.netdev(5))."""
    created = {}
    for link in (facts.get("networkd") or {}).get("netdevs") or []:
        if isinstance(link, dict) and link.get("name"):
            created.setdefault(link["name"], link)
    return created


def _container_links(facts):
    """Live links that container runtimes and CNIs create: by the names they give, or a docker/cni bridge.

    A link networkd creates from a .netdev file is the admin's own (a bridge, a veth pair
    for a hand-made container), whatever its name: networkd owns it, no runtime does.
    """
    bridges = facts.get("bridges") or {}
    created = networkd_created_links(facts)
    found = []
    for name in facts.get("interfaces") or []:
        if name in created:
            continue
        kind = (bridges.get(name) or {}).get("kind")
        if kind in ("docker", "cni") or any(fnmatch.fnmatchcase(name, p) for p in CONTAINER_LINK_PATTERNS):
            found.append(name)
    return found


def _negation_supported(facts):
    version = (facts.get("networkd") or {}).get("version")
    return not isinstance(version, int) or version >= FIRST_UNMANAGED


def _latent_matches(match, taken_earlier, negation):
    """Container link names this [Match] would take that no earlier file already takes.

    Only a [Match] that names links and nothing else can be judged for links that do not
    exist yet; its Name= list is tested as networkd does (net_condition_test_strv: a
    matching "!glob" excludes, else one positive glob must match).
    """
    names = match.get("Name") or []
    if not names or any(value for key, value in match.items() if value and key != "Name"):
        return []
    return [example for example in CONTAINER_LINK_EXAMPLES if example not in taken_earlier
            and name_list_matches(names, example, negation)]


def name_list_matches(patterns, name, negation=True):
    """Whether a [Match] Name= list takes ``name`` (systemd's net_condition_test_strv)."""
    matched = has_positive = False
    for pattern in patterns:
        invert = negation and pattern.startswith("!")
        glob = pattern[1:] if invert else pattern
        hit = fnmatch.fnmatchcase(name, glob)
        if invert and hit:
            return False
        if not invert:
            has_positive = True
            matched = matched or hit
    return matched or not has_positive


def container_link_claims(facts):
    """The .network files that take container links, in networkd's order.

    One dict per file: ``path``, ``match`` (its [Match]), ``taken`` (live container
    links it is the first match of), ``latent`` (example names of links a runtime
    would create that it would take), ``unmanaged`` (its Unmanaged= setting, when
    one says no) and ``fixable`` (whether UNMANAGED_FILE, sorting first, would take
    them back: networkd 233+ and the file sorts after it). Links networkd creates
    itself from .netdev files are never counted. The check and the role's plan
    both read this.
    """
    networkd = facts.get("networkd") or {}
    if not networkd.get("installed") or networkd.get("running") is False:
        return []
    unmanaged = fact(facts, "routing", "networkd_unmanaged") or {}
    links = set(_container_links(facts))
    container = _container_host(facts) or bool(links)
    negation = _negation_supported(facts)
    version = networkd.get("version")
    claims = []
    taken_earlier = set()  # example names an earlier file (networkd applies the first match) takes
    for nfile in networkd.get("network_files") or []:
        if nfile.get("shadowed_by") or nfile.get("masked"):
            continue
        match = nfile.get("match")
        match = match if isinstance(match, dict) else {}
        latent = _latent_matches(match, taken_earlier, negation)
        taken_earlier.update(latent)
        setting = unmanaged.get(nfile.get("path"))
        if setting and setting.get("value"):
            continue  # Unmanaged=yes: networkd leaves these links alone
        taken = sorted(links.intersection(nfile.get("interfaces") or []))
        if not taken and not (latent and container):
            continue
        path = nfile.get("path") or ""
        claims.append({
            "path": path, "match": match, "taken": taken, "latent": latent if container else [],
            "unmanaged": setting,
            "fixable": (not isinstance(version, int) or version >= FIRST_UNMANAGED)
            and path.rsplit("/", 1)[-1] > UNMANAGED_FILE.rsplit("/", 1)[-1],
        })
    return claims


def check_networkd_container_links(facts):
    findings = []
    version = (facts.get("networkd") or {}).get("version")
    for claim in container_link_claims(facts):
        path, match, taken, latent = claim["path"], claim["match"], claim["taken"], claim["latent"]
        name = "managing_now" if taken else "matches_pattern"
        match_text = " ".join("%s=%s" % (k, " ".join(v)) for k, v in sorted(match.items()) if v)
        detail = "%s ([Match] %s) " % (path, match_text or "empty: every link")
        if taken:
            detail += "is the first .network file for container link(s) %s, so systemd-networkd configures them " \
                      "(addresses, routes, DHCP, per-link forwarding) behind the runtime's back" % ", ".join(taken[:8])
        else:
            detail += "would also match the links container runtimes create (%s, as %s)" % (
                ", ".join(latent), " ".join(CONTAINER_LINK_PATTERNS))
        detail += "; no Unmanaged=yes file sorts before it (coreos/bugs#1205, moby#15630)"
        ev = [evidence(path, None, "[Match] %s" % (match_text or "(none)"))]
        setting = claim["unmanaged"]
        if setting:
            ev.append(evidence(setting.get("file"), setting.get("line"), setting.get("text")))
        ev.extend(evidence("/sys/class/net/%s" % link, None, "managed by %s" % path) for link in taken[:5])
        if claim["fixable"]:
            findings.append(make_finding("NETWORKD_MANAGES_CONTAINER_LINKS",
                                         rule("NETWORKD_MANAGES_CONTAINER_LINKS", name), detail + ".", ev))
            continue
        if isinstance(version, int) and version < FIRST_UNMANAGED:
            why = "systemd %d predates [Link] Unmanaged= (v233): narrow the [Match] of %s instead" % (version, path)
        else:
            why = ("%s sorts before %s, so a file the role writes cannot come first: narrow its [Match] or "
                   "add an Unmanaged=yes file whose name sorts before it" % (path, UNMANAGED_FILE))
        findings.append(make_finding("NETWORKD_MANAGES_CONTAINER_LINKS",
                                     rule("NETWORKD_MANAGES_CONTAINER_LINKS", name), detail + ".", ev,
                                     remediation=why + "; then `networkctl reload`.", role=None))
    return findings


FORWARDING_CHECKS = (
    check_ip_forward_disabled,
    check_rp_filter_conflict,
    check_conntrack_hashsize_small,
    check_networkd_container_links,
)


# --------------------------------------------------------- iptables backends
def check_iptables_backend_mixed(facts):
    backends = facts.get("iptables_backends") or {}
    legacy = [b for b in backends.get("legacy") or [] if b.get("rules")]
    nft = [b for b in backends.get("nft") or [] if b.get("rules")]
    if not legacy or not nft:
        return []
    env = facts.get("environment") or {}
    name = "kubernetes" if env.get("kubernetes") else "container" if env.get("container_runtimes") else "both"
    default = backends.get("default")

    def described(items):
        return "; ".join("%s: %d rule(s) in %s" % (b["source"], b["rules"], ", ".join(b.get("tables") or []) or "?")
                         for b in items)

    detail = ("Both iptables backends hold rules (legacy %s; nft %s): the kernel runs both, so a packet must pass "
              "each, and every tool sees only the backend it was built for" % (described(legacy), described(nft)))
    if default:
        detail += "; `iptables` on this host is the %s variant, so rules in the other one are invisible to " \
                  "`iptables -L` and to whatever calls plain iptables" % default
    if name == "kubernetes":
        detail += "; kube-proxy writes to one of them, and the other's rules still apply (kubernetes#71305)"
    elif name == "container":
        detail += "; %s writes its rules to one of them" % " and ".join(env["container_runtimes"])
    ev = []
    for item in legacy + nft:
        first = item.get("first") or {}
        ev.append(evidence(item["source"], first.get("line"), first.get("text") or "%d rules" % item["rules"]))
    return [make_finding("IPTABLES_BACKEND_MIXED", rule("IPTABLES_BACKEND_MIXED", name), detail + ".", ev)]


FORWARDING_CHECKS = FORWARDING_CHECKS + (check_iptables_backend_mixed,)
