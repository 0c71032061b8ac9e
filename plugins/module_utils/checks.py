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

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks_kernel_log import KERNEL_LOG_CHECKS
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.findings import (
    evidence,
    make_finding,
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
NEAR_FULL_RATIO = 0.8
CRITICAL_FULL_RATIO = 0.95


def _g(facts, *keys):
    """facts[k1][k2]... or None when any level is missing."""
    value = facts
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _kernel_text(facts):
    return _g(facts, "kernel", "release") or "unknown kernel"


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
        if name in ("nf_conntrack_ipv4", "nf_conntrack_ipv6") and _g(facts, "kernel", "version"):
            merged = has_feature(facts["kernel"], "conntrack_l3proto_merged")
            return None if merged is None else not merged
        return None
    return name in available


def _where(item):
    if item.get("file"):
        return "%s:%s" % (item["file"], item.get("line"))
    return "the kernel command line"


# --------------------------------------------------------------- modules
def check_conntrack_modules(facts):
    modprobe = _g(facts, "modules", "modprobe")
    if not modprobe:
        return []
    view = dict(modprobe, problems=[])
    users = _conntrack_users(facts)
    stuck = [p for p in _g(facts, "processes", "stuck") or [] if p.get("matched_path") == "module_request"]
    old_kernel = has_feature(facts.get("kernel") or {}, "conntrack_l3proto_merged") is False
    findings = []
    for module in CONNTRACK_FAMILY:
        blockers = disabling_directives(view, module)
        if not blockers:
            continue
        exists = _exists_on_kernel(facts, module)
        loaded = _loaded(facts, module)
        kinds = set(b.get("kind") for b in blockers)
        hard = bool(kinds - set(["blacklist", "cmdline"]))  # install lines stop explicit loads too
        if exists is False:
            severity = "low"
            why = "%s does not exist on kernel %s, so this is harmless now but bites after a kernel change" % (
                module, _kernel_text(facts))
        elif loaded:
            severity = "medium" if not users else "high"
            why = "%s is loaded now, so this bites at the next boot%s" % (
                module, (" (%s)" % "; ".join(users)) if users else "")
        elif stuck:
            severity = "critical"
            why = "on kernel %s the kernel's request for it %s, and %d process(es) are stuck in that request " \
                  "right now%s" % (
                      _kernel_text(facts),
                      "loops forever (before 4.19)" if old_kernel and not hard else "fails",
                      len(stuck), " (%s)" % "; ".join(users) if users else "")
        elif users and (hard or old_kernel):
            severity = "critical"
            why = "%s on kernel %s; %s" % (
                "the kernel's request_module() loop never ends" if old_kernel and not hard
                else "loads of %s fail" % module, _kernel_text(facts), "; ".join(users))
        elif users:
            # Only alias loads are blocked on >= 4.19; dependencies still pull the module in.
            severity = "medium"
            why = "alias-based loads of %s are blocked; %s" % (module, "; ".join(users))
        else:
            severity = "high" if hard else "medium"
            why = "nothing uses NAT or conntrack matching yet; the first rule that does will %s" % (
                "fail" if hard else "hang or fail")
        lines = ", ".join("%s (%s)" % (_where(b), b.get("text") or b.get("value")) for b in blockers)
        findings.append(make_finding(
            "CONNTRACK_MODULE_DISABLED", severity,
            "%s disables %s: %s." % (lines, module, why),
            [evidence(b.get("file") or "/proc/cmdline", b.get("line"), b.get("text") or b.get("value"))
             for b in blockers],
            title="Conntrack module %s is disabled in modprobe configuration" % module))
    return findings


def _stack_path(process, depth):
    """'a <- b <- c': the innermost ``depth`` frames of a process's kernel stack."""
    return " <- ".join(f.get("symbol") or "?" for f in (process.get("stack") or [])[:depth])


def _stack_evidence(processes):
    return [evidence("/proc/%s/stack" % p["pid"], None, _stack_path(p, 4)) for p in processes]


def check_stuck_processes(facts):
    findings = []
    stuck = _g(facts, "processes", "stuck") or []
    module = [p for p in stuck if p.get("matched_path") == "module_request"]
    if module:
        findings.append(make_finding(
            "MODULE_LOAD_STUCK", "critical",
            "%d process(es) wait in the kernel's module request path: %s." % (
                len(module), "; ".join("pid %s %s (state %s, stack %s)" % (
                    p["pid"], p.get("cmdline") or p.get("comm"), p.get("state"), _stack_path(p, 3))
                    for p in module)),
            _stack_evidence(module)))
    netns = [p for p in stuck if p.get("matched_path") == "netns_cleanup"]
    if netns:
        findings.append(make_finding(
            "NETNS_CLEANUP_STUCK", "critical",
            "%d process(es) are stuck in network namespace setup or cleanup: %s." % (
                len(netns), "; ".join("pid %s %s (state %s, in %s)" % (
                    p["pid"], p.get("cmdline") or p.get("comm"), p.get("state"),
                    next((f.get("symbol") for f in p.get("stack") or []
                          if f.get("symbol") in ("cleanup_net", "inet_frags_exit_net", "copy_net_ns")), "?"))
                    for p in netns)),
            _stack_evidence(netns)))
    return findings


# ---------------------------------------------------------- br_netfilter
def check_br_netfilter(facts):
    brnf = facts.get("br_netfilter") or {}
    bridges = facts.get("bridges") or {}
    if not bridges or brnf.get("split_kernel") is False:
        return []  # no bridge, or bridge.ko still filters by itself
    if brnf.get("module_available") is False:
        return []
    names = ", ".join(sorted(bridges))
    container = _container_host(facts)
    rules = facts.get("netfilter_rules") or {}
    env = facts.get("environment") or {}
    findings = []
    if not brnf.get("loaded"):
        if env.get("kubernetes"):
            severity, why = "high", "this is a Kubernetes node: pod-to-service traffic over the bridge skips kube-proxy's rules"
        elif container:
            severity, why = "high", "container traffic over the bridge skips iptables (%s)" % ", ".join(
                env.get("container_runtimes") or [])
        elif rules.get("rule_count"):
            severity, why = "medium", "%d iptables/nft rules exist but bridged packets never see them" % rules["rule_count"]
        else:
            severity, why = "low", "no rules exist yet, but bridged traffic would bypass any you add"
        findings.append(make_finding(
            "BR_NETFILTER_NOT_LOADED", severity,
            "Bridge(s) %s exist on kernel %s, which has the split br_netfilter module, and it is not loaded: %s." % (
                names, _kernel_text(facts), why),
            [evidence("/proc/modules", None, "br_netfilter absent"),
             evidence("/sys/class/net", None, "bridges: %s" % names)]))
    persisted = brnf.get("persisted_in") or []
    blocked = brnf.get("blocked_by") or []
    if (brnf.get("loaded") or container) and (not persisted or blocked):
        if blocked:
            detail = "br_netfilter is listed in %s but %s stops systemd-modules-load loading it at boot" % (
                ", ".join("%s:%s" % (p.get("file"), p.get("line")) for p in persisted) or "no modules-load.d file",
                ", ".join("%s (%s)" % (_where(b), b.get("text") or b.get("value")) for b in blocked))
            ev = [evidence(b.get("file") or "/proc/cmdline", b.get("line"), b.get("text") or b.get("value"))
                  for b in blocked]
        else:
            detail = "br_netfilter is %s but no modules-load.d file lists it, so it is gone after a reboot" % (
                "loaded" if brnf.get("loaded") else "needed here")
            ev = [evidence("/etc/modules-load.d", None, "no entry for br_netfilter")]
        findings.append(make_finding(
            "BR_NETFILTER_NOT_PERSISTENT", "high" if env.get("kubernetes") else "medium", detail + ".", ev))
    if brnf.get("loaded"):
        off = [(k, v) for k, v in sorted((brnf.get("sysctls") or {}).items())
               if k in ("bridge-nf-call-iptables", "bridge-nf-call-ip6tables") and v == 0]
        if off:
            severity = "high" if env.get("kubernetes") else ("medium" if container or rules.get("rule_count") else "low")
            findings.append(make_finding(
                "BRIDGE_NF_CALL_DISABLED", severity,
                "br_netfilter is loaded but %s, so bridged packets on %s skip iptables." % (
                    ", ".join("net.bridge.%s = %s" % kv for kv in off), names),
                [evidence("/proc/sys/net/bridge/%s" % k, None, v) for k, v in off]))
    return findings


# ------------------------------------------------------------ forwarding
def _forwarding_configured(facts):
    """The sysctl.d setting that asks for IPv4 forwarding, or None."""
    configured = _g(facts, "forwarding", "configured") or {}
    for key in ("net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding"):
        setting = configured.get(key)
        if setting and setting.get("value") in ("1", "yes", "true"):
            return setting
    return None


def _forwarding_wanted(facts):
    """Live ip_forward=1, sysctl.d asking for it, or a container host (dockerd sets it)."""
    return (_g(facts, "forwarding", "ipv4") == 1 or _forwarding_configured(facts) is not None
            or _container_host(facts))


def check_networkd(facts):
    networkd = facts.get("networkd") or {}
    if not networkd.get("installed") or networkd.get("running") is False:
        return []
    version = networkd.get("version")
    conf = _g(networkd, "conf", "settings") or {}
    findings = []
    wanted = _forwarding_wanted(facts)
    interfaces_fwd = _g(facts, "forwarding", "interfaces") or {}
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
            if wanted and effect.get("resets_forwarding"):
                severity = "high"
            else:
                severity = "medium"
            findings.append(make_finding(
                "NETWORKD_IPFORWARD_IGNORED", severity,
                "%s:%s sets IPForward=%s for %s, but systemd %s ignores IPForward= (deprecated in 256); %s." % (
                    ipf.get("file") or nfile["path"], ipf.get("line"), ipf.get("value"), links, version,
                    effect.get("reason")),
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
                "NETWORKD_FORWARDING_RESET", "high",
                "systemd-networkd %s manages %s and will write forwarding=0 to it (%s) while this host is meant "
                "to forward (live net.ipv4.ip_forward=%s%s)%s." % (
                    version, links, effect.get("reason"), _g(facts, "forwarding", "ipv4"),
                    ", %s:%s asks for %s" % (wanted_by["file"], wanted_by["line"], wanted_by["value"])
                    if wanted_by else "",
                    "; it is already 0 on %s" % ", ".join(off_now) if off_now else ""),
                ev))
    return findings


def check_interface_forwarding(facts):
    fwd = facts.get("forwarding") or {}
    if fwd.get("ipv4") != 1:
        return []
    off = sorted(name for name, value in (fwd.get("interfaces") or {}).items()
                 if name not in ("all", "default", "lo") and (value or {}).get("ipv4") == 0)
    if not off:
        return []
    errors = (fwd.get("snmp_ip") or {}).get("InAddrErrors")
    severity = "high" if (errors or _container_host(facts)) else "medium"
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
    for network_file in _g(facts, "networkd", "network_files") or []:
        if not network_file.get("shadowed_by"):
            managed.update(network_file.get("interfaces") or [])
    if not managed.intersection(off):
        detail += "; systemd-networkd manages none of them, so find what turned forwarding off there"
        return [make_finding("INTERFACE_FORWARDING_OFF", severity, detail + ".", ev, role=None,
                             remediation="Turn forwarding on for the interface (sysctl -w net.ipv4.conf.IF."
                                         "forwarding=1) and find what turned it off (NetworkManager, a script).")]
    return [make_finding("INTERFACE_FORWARDING_OFF", severity, detail + ".", ev)]


# -------------------------------------------------------------- conntrack
def check_conntrack(facts):
    findings = []
    ct = facts.get("conntrack") or {}
    totals = _g(ct, "stats", "totals") or {}
    rates = _g(ct, "rates", "per_second") or {}
    jobs = facts.get("conntrack_flush_jobs") or []
    failed = totals.get("insert_failed")
    if failed:
        rate = rates.get("insert_failed")
        if rate:
            severity = "high"
        elif jobs or failed >= 1000:
            severity = "medium"
        else:
            severity = "low"
        detail = "insert_failed = %d summed over %s CPUs in %s" % (
            failed, _g(ct, "stats", "cpus"), _g(ct, "stats", "source"))
        if rate is not None:
            detail += ", rising %.2f/s over %.1f s" % (rate, _g(ct, "rates", "interval"))
        if jobs:
            detail += "; a scheduled conntrack flush (%s) is the likely cause" % _where(jobs[0])
        snmp = _g(facts, "forwarding", "snmp_ip") or {}
        if snmp.get("OutDiscards"):
            detail += "; Ip OutDiscards = %d" % snmp["OutDiscards"]
        findings.append(make_finding(
            "CONNTRACK_INSERT_FAILED", severity, detail + ".",
            [evidence(_g(ct, "stats", "source"), None, "insert_failed=%d drop=%s" % (failed, totals.get("drop")))]))
    if jobs:
        old = has_feature(facts.get("kernel") or {}, "conntrack_l3proto_merged") is False
        severity = "high" if failed or old else "medium"
        findings.append(make_finding(
            "CONNTRACK_FLUSH_SCHEDULED", severity,
            "%s flush%s the conntrack table%s: every flush drops packets of connections being set up." % (
                ", ".join("%s (%s)" % (_where(j), j.get("text", "").strip()) for j in jobs),
                "es" if len(jobs) == 1 else "",
                " while insert_failed is already %d" % failed if failed else ""),
            [evidence(j.get("file"), j.get("line"), j.get("text")) for j in jobs]))
    count, maximum, ratio = ct.get("count"), ct.get("max"), ct.get("fill_ratio")
    if ratio is not None and ratio >= NEAR_FULL_RATIO:
        drops = (totals.get("drop") or 0) + (totals.get("early_drop") or 0)
        severity = "critical" if ratio >= CRITICAL_FULL_RATIO or drops else "high"
        findings.append(make_finding(
            "CONNTRACK_TABLE_NEAR_FULL", severity,
            "nf_conntrack_count %d of nf_conntrack_max %d (%.0f%%)%s." % (
                count, maximum, ratio * 100, "; %d packets already dropped/early-dropped" % drops if drops else ""),
            [evidence("/proc/sys/net/netfilter/nf_conntrack_count", None, count),
             evidence("/proc/sys/net/netfilter/nf_conntrack_max", None, maximum)]))
    return findings


# ---------------------------------------------------------------- kernels
def _trigger_in_use(facts, trigger):
    """(in use, reason) for a known-bad entry's trigger."""
    if trigger == "nfqueue":
        rules = _g(facts, "netfilter_rules", "nfqueue") or []
        return bool(rules), ("%d NFQUEUE rule(s), e.g. %s" % (len(rules), rules[0].get("text")) if rules else
                             "no NFQUEUE rules seen")
    if trigger == "netns":
        count = _g(facts, "namespaces", "count") or 0
        container = _container_host(facts)
        return bool(count or container), ("%d network namespaces in use" % count if count else
                                           "a container runtime creates namespaces" if container else
                                           "no network namespaces seen")
    if trigger == "conntrack_flush":
        jobs = facts.get("conntrack_flush_jobs") or []
        return bool(jobs), ("a conntrack flush is scheduled (%s)" % _where(jobs[0]) if jobs else "no flush jobs seen")
    if trigger == "nat":
        return bool(_g(facts, "netfilter_rules", "nat_in_use")), "NAT rules"
    return True, "always"


def check_known_bad_kernels(facts, extra_entries=()):
    kernel = facts.get("kernel") or {}
    if not kernel.get("release"):
        return []
    findings = []
    for entry in tuple(KNOWN_BAD_KERNELS) + tuple(extra_entries or ()):
        match = match_entry(kernel, entry)
        if match is None:
            continue
        in_use, reason = _trigger_in_use(facts, entry.get("trigger") or "always")
        severity = (entry.get("severity_in_use") or "high") if in_use else (entry.get("severity_latent") or "low")
        if match["confidence"] == "low" and severity_rank(severity) > severity_rank("medium"):
            severity = "medium"  # "possibly affected" should not page anyone at night
        finding_id = entry["finding"]  # user entries may name IDs of their own
        findings.append(make_finding(
            finding_id,
            severity,
            "Kernel %s is %sin the range of '%s' (%s; fixed in %s); %s." % (
                kernel["release"], "" if match["confidence"] != "low" else "possibly ",
                entry.get("summary", entry["id"]), match["basis"], entry.get("fixed_in", "?"), reason),
            [evidence("/proc/sys/kernel/osrelease", None, kernel["release"])],
            remediation="Upgrade to a kernel with the fix (%s); meanwhile: %s. Role "
                        "nfdoctor.netfilter.kernel_advisory states the target and can install it." % (
                            entry.get("fixed_in", "see references"), entry.get("mitigation", "none known")),
            references=entry.get("references"),
            confidence=match["confidence"],
            title=entry.get("title")))
    return findings


def check_crash_dumps(facts):
    findings = []
    for dump in _g(facts, "crash", "dumps") or []:
        if dump.get("signature") == "nf_queue_gso":
            findings.append(make_finding(
                "KERNEL_CRASH_NF_QUEUE", "critical",
                "%s holds a kernel panic in nf_queue (%s) on this host, the NFQUEUE/GSO NULL dereference." % (
                    dump["path"], dump.get("evidence")),
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
) + KERNEL_LOG_CHECKS


def run_checks(facts, extra_kernel_entries=()):
    """Every finding for ``facts``, worst first."""
    findings = []
    for check in ALL_CHECKS:
        findings.extend(check(facts))
    findings.extend(check_known_bad_kernels(facts, extra_kernel_entries))
    findings.sort(key=lambda f: (-severity_rank(f["severity"]), f["id"]))
    return findings
