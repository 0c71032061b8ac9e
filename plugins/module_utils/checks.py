# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts in, findings out.

One function per finding ID (or a close family), each a pure function of the
facts document. Severity follows context the way an expert would judge it:
the same modprobe line is harmless on a kernel that has no such module and
critical on one where NAT is in use; a missing br_netfilter matters where
bridges exist, most on Kubernetes nodes and container hosts.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks_datapath import DATAPATH_CHECKS
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks_firewall import FIREWALL_CHECKS
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks_forwarding import (  # noqa: F401 - NEAR_FULL_RATIO is public here
    FORWARDING_CHECKS,
    NEAR_FULL_RATIO,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks_kernel_log import KERNEL_LOG_CHECKS
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.findings import (
    evidence,
    fact,
    make_finding,
    rule,
    severity_rank,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.known_bad_kernels import (
    KNOWN_BAD_KERNELS,
    has_feature,
    match_entry,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_modprobe import disabling_directives
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_networkd import forwarding_effect

# Modules whose disabling breaks conntrack or NAT, and what breaks.
CONNTRACK_FAMILY = (
    "nf_conntrack", "nf_conntrack_ipv4", "nf_conntrack_ipv6", "nf_nat", "nf_nat_ipv4", "nf_nat_ipv6",
    "nf_defrag_ipv4", "iptable_nat", "ip6table_nat", "xt_conntrack", "nf_conntrack_netlink",
)
CRITICAL_FULL_RATIO = 0.95


def _kernel_text(facts):
    return fact(facts, "kernel", "release") or "unknown kernel"


def _container_host(facts):
    env = facts.get("environment") or {}
    return bool(env.get("kubernetes") or env.get("container_runtimes"))


def _conntrack_users(facts):
    """Why this host needs conntrack: a list of reasons, [] if none seen."""
    reasons = []
    rules = facts.get("netfilter_rules") or {}
    if rules.get("nat_in_use"):
        reasons.append("NAT rules are in use")
    if rules.get("conntrack_match_in_use"):
        reasons.append("rules match on conntrack state")
    env = facts.get("environment") or {}
    if env.get("kubernetes"):
        reasons.append("this is a Kubernetes node")
    for runtime in env.get("container_runtimes") or []:
        reasons.append("%s is installed" % runtime)
    if env.get("libvirt"):
        reasons.append("libvirt's NAT network needs it")
    return reasons


def _loaded(facts, name):
    mods = facts.get("modules") or {}
    return name in (mods.get("loaded") or {}) or name in (mods.get("builtin") or [])


def _exists_on_kernel(facts, name):
    """True/False when modules.dep tells, else None."""
    mods = facts.get("modules") or {}
    if name in (mods.get("builtin") or []) or name in (mods.get("loaded") or {}):
        return True
    available = mods.get("available")
    if available is None:
        if name in ("nf_conntrack_ipv4", "nf_conntrack_ipv6") and fact(facts, "kernel", "version"):
            merged = has_feature(facts["kernel"], "conntrack_l3proto_merged")
            return None if merged is None else not merged
        return None
    return name in available


def _where(item):
    if item.get("file"):
        return "%s:%s" % (item["file"], item.get("line"))
    return "the kernel command line"


# --------------------------------------------------------------- modules
# How the kernel asks for each module decides what a blacklist line does
# (man modprobe.d: blacklist ignores aliases only).
L3_ALIAS_MODULES = ("nf_conntrack_ipv4", "nf_conntrack_ipv6")  # nf_conntrack-2 / nf_conntrack-10
MATCH_ALIAS_MODULES = ("xt_conntrack",)  # x_tables asks for ipt_conntrack / ip6t_conntrack
NETLINK_MODULES = ("nf_conntrack_netlink",)  # nfnetlink asks for nfnetlink-subsys-1
ALIAS_ONLY_KINDS = ("blacklist", "cmdline")


def _l3_loop_possible(facts):
    """True before the l3proto merge (4.19, RHEL 8.3), False after, None when unknown."""
    merged = has_feature(facts.get("kernel") or {}, "conntrack_l3proto_merged")
    return None if merged is None else not merged


def _module_rule(module, kinds, exists, loaded, stuck, users, loop_possible):
    """(rule name, why) for one disabled conntrack-family module."""
    alias_only = not (kinds - set(ALIAS_ONLY_KINDS))
    noop = "install_noop" in kinds
    if exists is False:
        return "module_absent", "%s does not exist on this kernel, so the line is harmless now and bites only " \
                                "after a change to an older kernel" % module
    if module in NETLINK_MODULES:
        return "netlink_blocked", "the conntrack tool and conntrackd cannot talk to the kernel"
    if module in L3_ALIAS_MODULES and (alias_only or noop) and loop_possible is not False:
        how = ("the kernel's request_module(\"nf_conntrack-%d\") loops: %s" % (
            2 if module.endswith("ipv4") else 10,
            "install ... /bin/true reports success without loading it, so the kernel asks again for ever"
            if noop else "the blacklist blocks the alias the kernel asks for, and it asks again for ever"))
        if loop_possible is None:
            how = "possibly " + how + " (kernel version unknown)"
        if loaded:
            return ("loaded_next_boot_in_use" if users else "loaded_next_boot_latent"), \
                "%s is loaded now, so this bites at the next boot: %s" % (module, how)
        if stuck:
            return "l3_loop_stuck", "%s, and %d process(es) are stuck in that request right now" % (how, len(stuck))
        if users:
            return "l3_loop_in_use", "%s as soon as NAT or a conntrack match is set up" % how
        return "l3_loop_latent", "%s when the first NAT or conntrack rule is added" % how
    if alias_only:
        if module in MATCH_ALIAS_MODULES:
            return "blacklist_match_alias", "the kernel asks for it through its ipt_conntrack alias, so " \
                                            "-m conntrack / --ctstate rules fail to insert (nothing hangs)"
        return ("blacklist_by_name_in_use" if users else "blacklist_by_name_latent"), \
            "blacklist ignores only %s's aliases: the kernel and iptables load it by name or as a dependency, " \
            "which still works; only alias and udev loads are blocked" % module
    verb = "silently leaves" if noop else "makes"
    what = "%s the load of %s %s" % (verb, module, "a no-op" if noop else "fail")
    if loaded:
        return ("loaded_next_boot_in_use" if users else "loaded_next_boot_latent"), \
            "%s is loaded now; at the next boot this %s" % (module, what)
    if users:
        if module in MATCH_ALIAS_MODULES:
            return "match_fails_in_use", "%s, so conntrack-state rules cannot be inserted" % what
        return "load_fails_in_use", "%s, so the rules that need it cannot load" % what
    return "load_fails_latent", "%s; nothing needs it yet" % what


def check_conntrack_modules(facts):
    modprobe = fact(facts, "modules", "modprobe")
    if not modprobe:
        return []
    users = _conntrack_users(facts)
    stuck = [p for p in fact(facts, "processes", "stuck") or [] if p.get("matched_path") == "module_request"]
    loop_possible = _l3_loop_possible(facts)
    findings = []
    for module in CONNTRACK_FAMILY:
        blockers = disabling_directives(modprobe, module)
        if not blockers:
            continue
        kinds = set(b.get("kind") for b in blockers)
        name, why = _module_rule(module, kinds, _exists_on_kernel(facts, module), _loaded(facts, module),
                                 stuck, users, loop_possible)
        verdict = rule("CONNTRACK_MODULE_DISABLED", name)
        lines = ", ".join("%s (%s)" % (_where(b), b.get("text") or b.get("value")) for b in blockers)
        findings.append(make_finding(
            "CONNTRACK_MODULE_DISABLED", verdict,
            "%s disables %s on kernel %s: %s%s." % (
                lines, module, _kernel_text(facts), why,
                " (%s)" % "; ".join(users) if users and verdict["severity"] in ("high", "critical") else ""),
            [evidence(b.get("file") or "/proc/cmdline", b.get("line"), b.get("text") or b.get("value"))
             for b in blockers],
            title="Conntrack module %s is disabled in modprobe configuration" % module))
    return findings


def _conntrack_blocked(facts):
    """Whether the modprobe configuration disables a conntrack/NAT module (what conntrack_modules removes)."""
    modprobe = fact(facts, "modules", "modprobe") or {}
    return any(disabling_directives(modprobe, module) for module in CONNTRACK_FAMILY)


def _stack_path(process, depth):
    """'a <- b <- c': the innermost ``depth`` frames of a process's kernel stack."""
    return " <- ".join(f.get("symbol") or "?" for f in (process.get("stack") or [])[:depth])


def _stack_evidence(processes):
    return [evidence("/proc/%s/stack" % p["pid"], None, _stack_path(p, 4)) for p in processes]


STUCK_MIN_AGE = 30  # seconds; a normal module load is over long before


def _module_stuck_rule(facts, processes):
    """The MODULE_LOAD_STUCK rule for processes in the module request path."""
    ages = [p.get("age_seconds") for p in processes if p.get("age_seconds") is not None]
    if ages and max(ages) >= STUCK_MIN_AGE:
        return "stuck_aged"
    in_l3_loop = any(f.get("symbol") == "nf_ct_l3proto_try_module_get" for p in processes for f in p.get("stack") or [])
    modprobe = fact(facts, "modules", "modprobe") or {}
    blocked = any(disabling_directives(modprobe, m) for m in L3_ALIAS_MODULES)
    if in_l3_loop and blocked and _l3_loop_possible(facts) is not False:
        return "stuck_corroborated"
    if ages:
        return "stuck_young"
    return "stuck_age_unknown"


def _process_text(p, where):
    age = p.get("age_seconds")
    return "pid %s %s (state %s, %s%s)" % (
        p["pid"], p.get("cmdline") or p.get("comm"), p.get("state"), where,
        ", running for %d s" % age if age is not None else "")


def check_stuck_processes(facts):
    findings = []
    stuck = fact(facts, "processes", "stuck") or []
    module = [p for p in stuck if p.get("matched_path") == "module_request" and p.get("state") == "D"]
    if module:
        detail = "%d process(es) wait in the kernel's module request path: %s" % (
            len(module), "; ".join(_process_text(p, "stack %s" % _stack_path(p, 3)) for p in module))
        verdict = rule("MODULE_LOAD_STUCK", _module_stuck_rule(facts, module))
        if _conntrack_blocked(facts):
            findings.append(make_finding("MODULE_LOAD_STUCK", verdict, detail + ".", _stack_evidence(module)))
        else:
            # conntrack_modules removes what disables a conntrack/NAT module; with nothing left to
            # remove, the request waits on something else (or the listing predates the fix).
            findings.append(make_finding(
                "MODULE_LOAD_STUCK", verdict,
                detail + "; nothing in the modprobe configuration disables a conntrack/NAT module.",
                _stack_evidence(module), role=None,
                remediation="Read what the request waits for in /proc/PID/stack and the modprobe command line "
                            "(/proc/PID/cmdline of its modprobe child): an install command that hangs, a driver "
                            "that blocks in its init. A capture or sosreport taken before the fix still shows "
                            "the request; audit the live host again. A request stuck in the kernel clears only "
                            "with a reboot."))
    netns = [p for p in stuck if p.get("matched_path") == "netns_cleanup"]
    if netns:
        symbols = set(f.get("symbol") for p in netns for f in p.get("stack") or [])
        frag = bool(symbols & set(("inet_frags_exit_net", "inet_evict_bucket")))
        cause = ("the kworker spins in inet_frags_exit_net(), the pre-4.17 fragment loop (seed 004)" if frag else
                 "no stack shows the fragment loop; the commoner cause is a network device refcount leak "
                 "('unregister_netdevice: waiting for DEV to become free' in the kernel log), which leaves "
                 "cleanup_net holding net_mutex")
        findings.append(make_finding(
            "NETNS_CLEANUP_STUCK", rule("NETNS_CLEANUP_STUCK", "frag_loop" if frag else "netns_mutex"),
            "%d process(es) are stuck in network namespace setup or cleanup: %s; %s." % (
                len(netns), "; ".join(_process_text(p, "in %s" % next(
                    (f.get("symbol") for f in p.get("stack") or []
                     if f.get("symbol") in ("cleanup_net", "inet_frags_exit_net", "copy_net_ns")), "?"))
                    for p in netns), cause),
            _stack_evidence(netns),
            remediation=None if frag else (
                "Look for 'unregister_netdevice: waiting for' in the kernel log and the device it names (a "
                "leaked container veth or tunnel); only a reboot clears a blocked net_mutex.")))
    return findings


# ---------------------------------------------------------- br_netfilter
# Which rule a bridge of each kind (gather's bridges[NAME]["kind"]) gives when
# br_netfilter is missing; see "Which bridges need br_netfilter" in facts.md.
GUEST_KINDS = ("libvirt_network", "hypervisor")


def _docker_needs_br_netfilter(facts):
    docker = facts.get("docker") or {}
    reasons = []
    if docker.get("icc") is False:
        reasons.append('"icc": false')
    if docker.get("userland_proxy") is False:
        reasons.append('"userland-proxy": false')
    return reasons


def _bridge_rule(facts, name, bridge):
    """(rule name, why) for one bridge when br_netfilter is not loaded."""
    kind = bridge.get("kind")
    env = facts.get("environment") or {}
    if kind == "cni":
        return "bridge_cni", "%s holds pod veths (%s): pod-to-service traffic over it skips kube-proxy's rules" % (
            name, bridge.get("kind_evidence"))
    if kind == "docker":
        needs = _docker_needs_br_netfilter(facts)
        if needs:
            return "docker_needs_it", "%s is Docker's bridge and %s sets %s, which only works through " \
                                      "bridge-nf-call-iptables" % (name, (facts.get("docker") or {}).get("daemon_json"),
                                                                   " and ".join(needs))
        return "docker_loads_it", "%s is Docker's bridge; dockerd loads br_netfilter itself at start and needs " \
                                  "it only for icc=false or userland-proxy=false" % name
    if kind == "libvirt_network":
        return "libvirt_routed", "%s is a libvirt %s network (%s): guest traffic is routed at L3 through FORWARD, " \
                                 "which needs no br_netfilter" % (name, bridge.get("mode") or "NAT/routed",
                                                                  bridge.get("kind_evidence"))
    if kind == "hypervisor":
        return "hypervisor_bridge", "%s bridges guests (%s); filtering bridged guest traffic is generally not " \
                                    "wanted" % (name, bridge.get("kind_evidence"))
    if env.get("kubernetes"):
        return "kubernetes_bridge", "this is a Kubernetes node and %s may carry pod traffic (its ports are not " \
                                    "known to be pod veths)" % name
    if (facts.get("netfilter_rules") or {}).get("rule_count"):
        return "plain_bridge", "iptables/nft rules exist but bridged frames on %s never see them" % name
    return "plain_bridge_no_rules", "no rules exist, so nothing on %s is bypassed" % name


def _worst(rules_found):
    return max(rules_found, key=lambda item: severity_rank(item[0]["severity"]))


def check_br_netfilter(facts):
    brnf = facts.get("br_netfilter") or {}
    bridges = facts.get("bridges") or {}
    if not bridges or brnf.get("split_kernel") is False:
        return []  # no bridge, or bridge.ko still filters by itself
    if brnf.get("module_available") is False:
        return []
    names = ", ".join(sorted(bridges))
    env = facts.get("environment") or {}
    per_bridge = []
    for name in sorted(bridges):
        rule_name, why = _bridge_rule(facts, name, bridges[name] or {})
        per_bridge.append((rule("BR_NETFILTER_NOT_LOADED", rule_name), why))
    worst = _worst(per_bridge)[0]
    needed = severity_rank(worst["severity"]) >= severity_rank("medium")
    guests = sorted(n for n in bridges if (bridges[n] or {}).get("kind") in GUEST_KINDS)
    drop = (facts.get("netfilter_rules") or {}).get("forward_policy") in ("DROP", "drop")
    findings = []
    if not brnf.get("loaded"):
        detail = "Bridge(s) %s exist on kernel %s, which has the split br_netfilter module, and it is not loaded: " \
                 "%s." % (names, _kernel_text(facts), "; ".join(why for _r, why in per_bridge))
        if guests and drop:
            detail += " Do not load it blindly: with FORWARD policy DROP every bridged guest frame on %s would " \
                      "traverse FORWARD and be dropped" % ", ".join(guests)
        findings.append(make_finding(
            "BR_NETFILTER_NOT_LOADED", worst, detail,
            [evidence("/proc/modules", None, "br_netfilter absent")]
            + [evidence("/sys/class/net/%s/brif" % n, None, "kind %s; ports: %s" % (
                (bridges[n] or {}).get("kind") or "unknown", ", ".join((bridges[n] or {}).get("ports") or []) or "none"))
               for n in sorted(bridges)]))
    persisted = brnf.get("persisted_in") or []
    blocked = brnf.get("blocked_by") or []
    services = brnf.get("loaded_by_services") or []
    # dockerd and units with ExecStartPre=modprobe br_netfilter load it by name at every start,
    # which a blacklist does not stop.
    reloaded = bool(services) or (worst["name"] in ("docker_loads_it", "docker_needs_it")
                                  and not env.get("kubernetes"))
    if (brnf.get("loaded") or needed) and needed and (not persisted or blocked) and not reloaded:
        if blocked:
            detail = "br_netfilter is listed in %s but %s stops systemd-modules-load loading it at boot" % (
                ", ".join("%s:%s" % (p.get("file"), p.get("line")) for p in persisted) or "no modules-load.d file",
                ", ".join("%s (%s)" % (_where(b), b.get("text") or b.get("value")) for b in blocked))
            ev = [evidence(b.get("file") or "/proc/cmdline", b.get("line"), b.get("text") or b.get("value"))
                  for b in blocked]
        else:
            detail = "br_netfilter is %s but no modules-load.d file or service loads it, so it is gone after a " \
                     "reboot" % ("loaded" if brnf.get("loaded") else "needed here")
            ev = [evidence("/etc/modules-load.d", None, "no entry for br_netfilter")]
        findings.append(make_finding(
            "BR_NETFILTER_NOT_PERSISTENT",
            rule("BR_NETFILTER_NOT_PERSISTENT", "kubernetes" if env.get("kubernetes") or worst["name"] == "bridge_cni"
                 else "needed"), detail + ".", ev))
    if brnf.get("loaded"):
        off = [(k, v) for k, v in sorted((brnf.get("sysctls") or {}).items())
               if k in ("bridge-nf-call-iptables", "bridge-nf-call-ip6tables") and v == 0]
        # A bridge's own nf_call_iptables = 1 filters it whatever the global says (ORed in br_nf_pre_routing):
        # with every bridge that needs filtering set so, the global 0 only spares the guest bridges.
        own_on = [n for n in sorted(bridges) if (bridges[n] or {}).get("kind") not in GUEST_KINDS]
        own_filtered = [(bridges[n] or {}).get("nf_call_iptables") == 1 for n in own_on]
        exempted = bool(guests) and bool(own_on) and all(own_filtered)
        if off:
            if exempted and not env.get("kubernetes"):
                rule_name = "hypervisor"
            elif env.get("kubernetes") or worst["name"] == "bridge_cni":
                rule_name = "kubernetes"
            elif worst["name"] == "docker_needs_it":
                rule_name = "container"
            elif guests:
                rule_name = "hypervisor"
            elif worst["severity"] == "info":
                rule_name = "not_needed"
            else:
                rule_name = "rules"
            findings.append(make_finding(
                "BRIDGE_NF_CALL_DISABLED", rule("BRIDGE_NF_CALL_DISABLED", rule_name),
                "br_netfilter is loaded but %s, so bridged packets on %s skip iptables%s." % (
                    ", ".join("net.bridge.%s = %s" % kv for kv in off), names,
                    "; %s keep(s) their own nf_call_iptables = 1, so only the guest bridges %s skip it" % (
                        ", ".join(own_on), ", ".join(guests)) if exempted and rule_name == "hypervisor" else
                    "; on a hypervisor that is the recommended setting, leave it" if rule_name == "hypervisor"
                    else ""),
                [evidence("/proc/sys/net/bridge/%s" % k, None, v) for k, v in off]))
    return findings


# ------------------------------------------------------------ forwarding
def _forwarding_configured(facts):
    """The sysctl.d setting that asks for IPv4 forwarding, or None."""
    configured = fact(facts, "forwarding", "configured") or {}
    for key in ("net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding"):
        setting = configured.get(key)
        if setting and setting.get("value") in ("1", "yes", "true"):
            return setting
    return None


def _forwarding_wanted(facts):
    """Live ip_forward=1, sysctl.d asking for it, or a container host (dockerd sets it)."""
    return (fact(facts, "forwarding", "ipv4") == 1 or _forwarding_configured(facts) is not None
            or _container_host(facts))


def check_networkd(facts):
    networkd = facts.get("networkd") or {}
    if not networkd.get("installed") or networkd.get("running") is False:
        return []
    version = networkd.get("version")
    conf = fact(networkd, "conf", "settings") or {}
    findings = []
    wanted = _forwarding_wanted(facts)
    interfaces_fwd = fact(facts, "forwarding", "interfaces") or {}
    for nfile in networkd.get("network_files") or []:
        if nfile.get("shadowed_by") or not nfile.get("interfaces"):
            continue
        effect = forwarding_effect(version, nfile.get("settings") or {}, conf)
        links = ", ".join(nfile["interfaces"])
        settings = nfile.get("settings") or {}
        # When IPv4Forwarding= (e.g. nfdoctor's drop-in) already does what the old key meant, the
        # leftover IPForward= does nothing, and reporting it would be noise.
        if effect.get("ipforward_ignored") and effect.get("effective_ipv4_forwarding") != "yes":
            ipf = settings.get("IPForward") or {}
            enabling = str(ipf.get("value") or "").lower() in ("yes", "ipv4", "true", "1", "on", "both")
            other = _forwarding_configured(facts) is not None or _container_host(facts)
            if effect.get("resets_forwarding") and wanted:
                rule_name = "resets"
            elif enabling and not other:
                # The upgrade-to-256 outage: this key was the only switch, and it is ignored now.
                rule_name = "only_forwarding"
            else:
                rule_name = "other_source"
            findings.append(make_finding(
                "NETWORKD_IPFORWARD_IGNORED", rule("NETWORKD_IPFORWARD_IGNORED", rule_name),
                "%s:%s sets IPForward=%s for %s, but systemd %s ignores IPForward= (deprecated in 256); %s%s." % (
                    ipf.get("file") or nfile["path"], ipf.get("line"), ipf.get("value"), links, version,
                    effect.get("reason"),
                    "; nothing else (sysctl.d, a container runtime) turns forwarding on, so this host stopped "
                    "routing when systemd reached 256" if rule_name == "only_forwarding" else ""),
                [evidence(ipf.get("file") or nfile["path"], ipf.get("line"), "IPForward=%s" % ipf.get("value"))]))
        if effect.get("resets_forwarding") and wanted:
            off_now = [name for name in nfile["interfaces"] if (interfaces_fwd.get(name) or {}).get("ipv4") == 0]
            ev = [evidence(nfile["path"], None, "[Match] %s -> %s" % (nfile.get("match"), links))]
            source = conf.get("IPv4Forwarding") or settings.get("IPv4Forwarding")
            if source:
                ev.append(evidence(source.get("file"), source.get("line"), "IPv4Forwarding=%s" % source.get("value")))
            wanted_by = _forwarding_configured(facts)
            if wanted_by:
                ev.append(evidence(wanted_by.get("file"), wanted_by.get("line"),
                                   "net.ipv4.ip_forward = %s" % wanted_by.get("value")))
            findings.append(make_finding(
                "NETWORKD_FORWARDING_RESET", rule("NETWORKD_FORWARDING_RESET", "per_link"),
                "systemd-networkd %s manages %s and will write forwarding=0 to it (%s) while this host is meant "
                "to forward (live net.ipv4.ip_forward=%s%s)%s." % (
                    version, links, effect.get("reason"), fact(facts, "forwarding", "ipv4"),
                    ", %s:%s asks for %s" % (wanted_by["file"], wanted_by["line"], wanted_by["value"])
                    if wanted_by else "",
                    "; it is already 0 on %s" % ", ".join(off_now) if off_now else ""),
                ev))
    findings.extend(_networkd_conf_forwarding_off(facts, networkd, conf))
    return findings


def _networkd_conf_forwarding_off(facts, networkd, conf):
    """networkd.conf [Network] IPv4Forwarding=no: host-wide on 256+ (all and default forwarding)."""
    version = networkd.get("version")
    setting = conf.get("IPv4Forwarding") or {}
    if not isinstance(version, int) or version < 256 or str(setting.get("value") or "").lower() not in (
            "no", "false", "0", "off"):
        return []
    if _container_host(facts):
        rule_name = "host_wide_container"
    elif _forwarding_wanted(facts):
        rule_name = "host_wide_wanted"
    else:
        return []  # nothing here asks for forwarding: networkd does what it was told
    return [make_finding(
        "NETWORKD_FORWARDING_RESET", rule("NETWORKD_FORWARDING_RESET", rule_name),
        "%s:%s sets [Network] IPv4Forwarding=%s: systemd %s writes net.ipv4.conf.all.forwarding and "
        "default.forwarding at every networkd start, so forwarding goes off for the whole host, links networkd "
        "does not manage (docker0, veths) included%s." % (
            setting.get("file"), setting.get("line"), setting.get("value"), version,
            "; this host runs containers" if rule_name == "host_wide_container" else ""),
        [evidence(setting.get("file"), setting.get("line"), "IPv4Forwarding=%s" % setting.get("value"))])]


def check_interface_forwarding(facts):
    fwd = facts.get("forwarding") or {}
    if fwd.get("ipv4") != 1:
        return []
    off = sorted(name for name, value in (fwd.get("interfaces") or {}).items()
                 if name not in ("all", "default", "lo") and (value or {}).get("ipv4") == 0)
    if not off:
        return []
    errors = (fwd.get("snmp_ip") or {}).get("InAddrErrors")
    severity = rule("INTERFACE_FORWARDING_OFF", "dropping" if errors else
                    "container" if _container_host(facts) else "off")
    detail = ("net.ipv4.ip_forward is 1 but forwarding is 0 on %s: packets arriving there for other hosts are "
              "dropped" % ", ".join(off))
    if errors:
        detail += " (InAddrErrors = %s in /proc/net/snmp)" % errors
    ev = [evidence("/proc/sys/net/ipv4/conf/%s/forwarding" % name, None, 0) for name in off]
    if errors is not None:
        ev.append(evidence("/proc/net/snmp", None, "Ip InAddrErrors %s" % errors))
    # networkd_forwarding only fixes links systemd-networkd manages; for the
    # others (NetworkManager, a script) no role can help, and the finding says so.
    managed = set()
    for network_file in fact(facts, "networkd", "network_files") or []:
        if not network_file.get("shadowed_by"):
            managed.update(network_file.get("interfaces") or [])
    if not managed.intersection(off):
        detail += "; systemd-networkd manages none of them, so find what turned forwarding off there"
        return [make_finding("INTERFACE_FORWARDING_OFF", severity, detail + ".", ev, role=None,
                             remediation="Turn forwarding on for the interface (sysctl -w net.ipv4.conf.IF."
                                         "forwarding=1) and find what turned it off (NetworkManager, a script).")]
    return [make_finding("INTERFACE_FORWARDING_OFF", severity, detail + ".", ev)]


# -------------------------------------------------------------- conntrack
def _insert_failed_era(facts):
    """What insert_failed counts on this kernel: 'loss' (before 4.7, from 5.10), 'clashes' (4.7-5.9), None."""
    version = fact(facts, "kernel", "version")
    if not version:
        return None
    if [4, 7, 0] <= list(version) < [5, 10, 0]:
        return "clashes"
    return "loss"


def check_conntrack(facts):
    findings = []
    ct = facts.get("conntrack") or {}
    totals = fact(ct, "stats", "totals") or {}
    rates = fact(ct, "rates", "per_second") or {}
    jobs = facts.get("conntrack_flush_jobs") or []
    failed = totals.get("insert_failed")
    era = _insert_failed_era(facts)
    if failed:
        # On 4.7-5.9 a resolved UDP clash still counts insert_failed; only drop counts lost packets.
        lost, rate = failed, rates.get("insert_failed")
        if era == "clashes" and "drop" in totals:
            lost, rate = totals.get("drop") or 0, rates.get("drop")
        if era == "clashes" and not lost:
            rule_name = "resolved_clashes"
        elif rate:
            rule_name = "rising"
        elif jobs or lost >= 1000:
            rule_name = "flush_or_many"
        else:
            rule_name = "some"
        detail = "insert_failed = %d (drop = %s) summed over %s CPUs in %s" % (
            failed, totals.get("drop"), fact(ct, "stats", "cpus"), fact(ct, "stats", "source"))
        if rate is not None:
            detail += ", rising %.2f/s over %.1f s" % (rate, fact(ct, "rates", "interval"))
        if era == "clashes":
            detail += "; on kernel %s (4.7-5.9) insert_failed also counts UDP clashes the kernel resolved, so " \
                      "drop is the loss counter%s" % (
                          _kernel_text(facts), ": it is 0, nothing was lost" if not lost else "")
        if jobs:
            detail += "; a scheduled conntrack flush (%s) is the likely cause" % _where(jobs[0])
        snmp = fact(facts, "forwarding", "snmp_ip") or {}
        if snmp.get("OutDiscards"):
            detail += "; Ip OutDiscards = %d" % snmp["OutDiscards"]
        ev = [evidence(fact(ct, "stats", "source"), None, "insert_failed=%d drop=%s" % (failed, totals.get("drop")))]
        if jobs:
            findings.append(make_finding("CONNTRACK_INSERT_FAILED", rule("CONNTRACK_INSERT_FAILED", rule_name),
                                         detail + ".", ev))
        else:
            # What conntrack_hygiene does for this finding is stop the flush jobs; with none left the
            # counter is history (it counts since boot) or has another cause, and no role can help.
            findings.append(make_finding(
                "CONNTRACK_INSERT_FAILED", rule("CONNTRACK_INSERT_FAILED", rule_name),
                detail + "; no scheduled conntrack flush is left to stop.", ev, role=None,
                remediation="The counters count since boot, so a past flush stays in them. Audit the live host "
                            "again with a sampling interval to see whether they still rise; if they do, look for "
                            "what else deletes entries (a conntrack -D/-F run by hand or by a service) or, on "
                            "kernels before 5.6, UDP clashes (DNS): upgrade."))
    if jobs:
        old = has_feature(facts.get("kernel") or {}, "conntrack_l3proto_merged") is False
        severity = rule("CONNTRACK_FLUSH_SCHEDULED", "with_failures" if failed else "old_kernel" if old else "job")
        findings.append(make_finding(
            "CONNTRACK_FLUSH_SCHEDULED", severity,
            "%s flush%s the conntrack table%s: every flush drops packets of connections being set up." % (
                ", ".join("%s (%s)" % (_where(j), j.get("text", "").strip()) for j in jobs),
                "es" if len(jobs) == 1 else "",
                " while insert_failed is already %d" % failed if failed else ""),
            [evidence(j.get("file"), j.get("line"), j.get("text")) for j in jobs]))
    count, maximum, ratio = ct.get("count"), ct.get("max"), ct.get("fill_ratio")
    if ratio is not None and ratio >= NEAR_FULL_RATIO:
        # Before 5.10 drop also counts clash failures: only early_drop says the table is evicting.
        drops = totals.get("early_drop") or 0
        if era == "loss" and version_at_least(facts, [5, 10, 0]):
            drops += totals.get("drop") or 0
        dropping = ratio >= CRITICAL_FULL_RATIO or drops
        findings.append(make_finding(
            "CONNTRACK_TABLE_NEAR_FULL", rule("CONNTRACK_TABLE_NEAR_FULL", "dropping" if dropping else "near"),
            "nf_conntrack_count %d of nf_conntrack_max %d (%.0f%%)%s." % (
                count, maximum, ratio * 100, "; %d packets already dropped/early-dropped" % drops if drops else ""),
            [evidence("/proc/sys/net/netfilter/nf_conntrack_count", None, count),
             evidence("/proc/sys/net/netfilter/nf_conntrack_max", None, maximum)]))
    return findings


def version_at_least(facts, version):
    current = fact(facts, "kernel", "version")
    return bool(current) and list(current) >= list(version)


# ---------------------------------------------------------------- kernels
def _trigger_in_use(facts, trigger):
    """(in use, reason) for a known-bad entry's trigger."""
    if trigger == "nfqueue":
        rules = fact(facts, "netfilter_rules", "nfqueue") or []
        return bool(rules), ("%d NFQUEUE rule(s), e.g. %s" % (len(rules), rules[0].get("text")) if rules else
                             "no NFQUEUE rules seen")
    if trigger == "netns":
        count = fact(facts, "namespaces", "count") or 0
        container = _container_host(facts)
        return bool(count or container), ("%d network namespaces in use" % count if count else
                                          "a container runtime creates namespaces" if container else
                                          "no network namespaces seen")
    if trigger == "conntrack_flush":
        jobs = facts.get("conntrack_flush_jobs") or []
        return bool(jobs), ("a conntrack flush is scheduled (%s)" % _where(jobs[0]) if jobs else "no flush jobs seen")
    if trigger == "nat":
        return bool(fact(facts, "netfilter_rules", "nat_in_use")), "NAT rules"
    return True, "always"


def _dumps_with(facts, signature):
    return [d for d in fact(facts, "crash", "dumps") or [] if d.get("signature") == signature]


def _dump_of_running_release(facts, dump):
    """True when the dump names the running release, False when another one, None when it does not say."""
    release = dump.get("release")
    running = fact(facts, "kernel", "release")
    if not release or not running:
        return None
    return release == running


def check_known_bad_kernels(facts, extra_entries=()):
    kernel = facts.get("kernel") or {}
    if not kernel.get("release"):
        return []
    findings = []
    for entry in tuple(KNOWN_BAD_KERNELS) + tuple(extra_entries or ()):
        if entry.get("checked_by"):
            continue  # raised by its own check, with the evidence the release alone does not give
        match = match_entry(kernel, entry)
        if match is None:
            continue
        in_use, reason = _trigger_in_use(facts, entry.get("trigger") or "always")
        severity = (entry.get("severity_in_use") or "high") if in_use else (entry.get("severity_latent") or "low")
        confidence = match["confidence"]
        references = list(entry.get("references") or [])
        if match.get("source"):
            references.append(match["source"])
        crashed = [d for d in _dumps_with(facts, entry.get("corroborated_by"))
                   if _dump_of_running_release(facts, d)] if entry.get("corroborated_by") else []
        if crashed:
            # The host already crashed this way on this very kernel: no longer "possibly".
            verdict = rule(entry["finding"], "crashed_running_release")
            severity, confidence = verdict["severity"], verdict["confidence"]
            references.append(verdict["source"])
            reason += "; %s shows this panic on the running release" % crashed[0].get("path")
        elif severity == "none":
            continue  # the bug cannot bite without its trigger
        elif confidence == "low" and severity_rank(severity) > severity_rank("medium"):
            severity = "medium"  # "possibly affected" should not page anyone at night
        finding_id = entry["finding"]  # user entries may name IDs of their own
        findings.append(make_finding(
            finding_id,
            severity,
            "Kernel %s is %sin the range of '%s' (%s; fixed in %s); %s." % (
                kernel["release"], "possibly " if confidence == "low" else "",
                entry.get("summary", entry["id"]), match["basis"], entry.get("fixed_in", "?"), reason),
            [evidence("/proc/sys/kernel/osrelease", None, kernel["release"])]
            + [evidence(d.get("evidence_file") or d.get("path"), None, d.get("evidence")) for d in crashed],
            remediation="Upgrade to a kernel with the fix (%s); meanwhile: %s. Role "
                        "nfdoctor.netfilter.kernel_advisory states the target and can install it." % (
                            entry.get("fixed_in", "see references"), entry.get("mitigation", "none known")),
            references=references,
            confidence=confidence,
            title=entry.get("title")))
    return findings


def check_crash_dumps(facts):
    findings = []
    kernel = facts.get("kernel") or {}
    nfqueue_entry = [e for e in KNOWN_BAD_KERNELS if e.get("corroborated_by") == "nf_queue_gso"][0]
    for dump in _dumps_with(facts, "nf_queue_gso"):
        same = _dump_of_running_release(facts, dump)
        if same:
            rule_name = "running_release"
        elif same is None:
            rule_name = "release_unknown"
        elif match_entry(kernel, nfqueue_entry) is not None:
            rule_name = "older_still_affected"
        else:
            rule_name = "history"
        findings.append(make_finding(
            "KERNEL_CRASH_NF_QUEUE", rule("KERNEL_CRASH_NF_QUEUE", rule_name),
            "%s holds a kernel panic in nf_queue (%s), the NFQUEUE/GSO NULL dereference, on kernel %s; %s." % (
                dump["path"], dump.get("evidence"), dump.get("release") or "(release not named in the dump)",
                {"running_release": "that is the running kernel: it will crash again on the next queued GSO packet",
                 "release_unknown": "the dump does not say which kernel crashed",
                 "older_still_affected": "the running kernel %s is still in the affected range" % kernel.get(
                     "release"),
                 "history": "the running kernel %s is past the fix, so this is history" % kernel.get(
                     "release")}[rule_name]),
            [evidence(dump.get("evidence_file") or dump["path"], None, dump.get("evidence"))]))
    return findings


ALL_CHECKS = (
    check_conntrack_modules,
    check_stuck_processes,
    check_br_netfilter,
    check_networkd,
    check_interface_forwarding,
    check_conntrack,
    check_crash_dumps,
) + KERNEL_LOG_CHECKS + FORWARDING_CHECKS + DATAPATH_CHECKS + FIREWALL_CHECKS


def run_checks(facts, extra_kernel_entries=()):
    """Every finding for ``facts``, worst first.

    One check that trips over an odd facts document (a hostile tree, a bug)
    costs only its own findings: the failure goes into ``facts["errors"]`` as
    ``check:<name>`` and the other checks still run.
    """
    findings = []
    checks = [(c.__name__, c, ()) for c in ALL_CHECKS]
    checks.append(("check_known_bad_kernels", check_known_bad_kernels, (extra_kernel_entries,)))
    for name, check, args in checks:
        try:
            findings.extend(check(facts, *args))
        except Exception as exc:  # noqa: BLE001 - the rest of the audit must survive one check
            errors = facts.setdefault("errors", []) if isinstance(facts, dict) else []
            if isinstance(errors, list):
                errors.append({"source": "check:%s" % name,
                               "message": "internal error %s: %s" % (type(exc).__name__, exc)})
    findings.sort(key=lambda f: (-severity_rank(f["severity"]), f["id"]))
    return findings
