# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings from the kernel log (facts["kernel_log"], built by parse_kernel_log).

The log says what already happened; how much it matters now depends on how
recent and how frequent it was. A "table full" burst last month on a host
whose table is half empty today is history (low); five hundred drops in the
last hour are an outage (critical). Ages are measured to "now" on a live host
and to the end of the log in a captured tree (the reference is in the facts).
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks_forwarding import NEAR_FULL_RATIO
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.findings import evidence, fact, make_finding
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_modprobe import disabling_directives

HOUR = 3600
DAY = 86400
WEEK = 7 * DAY
# A burst: this many table-full lines within the hour (the kernel rate-limits them to ~10 per 5 s).
REPEATED_PER_HOUR = 10
# node-problem-detector's FrequentUnregisterNetDevice: 3 within 20 minutes.
UNREGISTER_REPEATED_PER_HOUR = 3

PATH_WORDS = {
    "module_request": "a kernel module request (__request_module / call_usermodehelper_exec)",
    "netns": "network namespace setup or cleanup (copy_net_ns / cleanup_net, net_mutex)",
    "netns_frag": "the netns fragment teardown loop (inet_evict_bucket / inet_frags_exit_net)",
    "netfilter": "netfilter code (nf_* / xt_* / ip_tables)",
}
PATH_REMEDIATION = {
    "module_request": "Find what blocks the requested module (a modprobe.d blacklist or install line: see "
                      "CONNTRACK_MODULE_DISABLED; role nfdoctor.netfilter.conntrack_modules removes it); the "
                      "stuck request then completes without a reboot.",
    "netns": "A task holding net_mutex (usually a kworker in cleanup_net) blocks every namespace creation; "
             "only a reboot frees it. Check NETNS_CLEANUP_HANG_KERNEL and upgrade the kernel.",
    "netns_frag": "cleanup_net spins in inet_frags_exit_net (fixed by ebaf39e6032f, 4.19.10); only a reboot "
                  "stops it. Upgrade the kernel (role nfdoctor.netfilter.kernel_advisory names the target).",
    "netfilter": "Read the trace for the netfilter function that blocks (a rule load waiting on a lock, a "
                 "helper module); upgrade the kernel if it is a known bug.",
}


def _age_words(seconds):
    if seconds is None:
        return "at an unknown time"
    if seconds < 120:
        return "%d s ago" % seconds
    if seconds < 2 * HOUR:
        return "%d min ago" % (seconds // 60)
    if seconds < 2 * DAY:
        return "%.0f h ago" % (seconds / HOUR)
    return "%.0f days ago" % (seconds / DAY)


def _when(event, basis):
    """'at 2020-06-02T16:03:10, 3 min ago (to the end of log)': when an event happened."""
    if not event:
        return "at an unknown time"
    text = _age_words(event.get("age_seconds"))
    if event.get("age_seconds") is not None and basis != "now":
        text += " (measured to the %s)" % basis
    if event.get("time"):
        text = "at %s, %s" % (event["time"], text)
    return text


def _log_evidence(event):
    return evidence(event.get("file"), event.get("line"), event.get("text"))


# ------------------------------------------------------------ table full
def check_conntrack_table_full_events(facts):
    log = facts.get("kernel_log") or {}
    full = log.get("table_full") or {}
    if not full.get("count"):
        return []
    basis = fact(log, "reference", "basis")
    last = full.get("last") or {}
    age = last.get("age_seconds")
    last_hour = full.get("last_hour") or 0
    suppressed = full.get("suppressed") or 0
    totals = fact(facts, "conntrack", "stats", "totals") or {}
    early_drop = totals.get("early_drop")
    rates = fact(facts, "conntrack", "rates", "per_second") or {}
    ct = facts.get("conntrack") or {}
    # The kernel logs the line only while count > max: a table below the
    # audit's near-full ratio now is past the burst (or its max was raised
    # since), and the plan of conntrack_hygiene, which raises a table that is
    # near full now, has nothing to do for it.
    room_now = (ct.get("count") is not None and bool(ct.get("max"))
                and float(ct["count"]) / ct["max"] < NEAR_FULL_RATIO)
    if age is None:
        severity, why = "medium", "the log has no usable time, so how recent this is is unknown"
    elif age <= HOUR and (last_hour >= REPEATED_PER_HOUR or suppressed):
        if room_now:
            severity, why = "high", ("the table filled repeatedly within the last hour and has room now: the "
                                     "burst is over, or nf_conntrack_max was raised since")
        else:
            severity, why = "critical", "new connections are being dropped right now"
    elif age <= DAY:
        severity, why = "high", "the table filled within the last day and will again at the next peak"
    elif age <= WEEK:
        severity, why = "medium", "the table filled within the last week"
    else:
        severity, why = "low", "only old events; the table has not filled for over a week"
    if severity == "low" and (early_drop or rates.get("early_drop")):
        severity, why = "medium", why + ", but conntrack is still early-dropping entries"
    detail = "The kernel log shows %d \"table full, dropping packet\" line(s)%s, the last %s, the first %s" % (
        full["count"], " (plus %d rate-limited)" % suppressed if suppressed else "",
        _when(last, basis), _when(full.get("first"), basis))
    if full.get("last_hour") is not None:
        detail += "; %s%d in the last hour, %d in the last day" % (
            "at least " if full.get("at_least") else "", last_hour, full.get("last_day") or 0)
    if early_drop is not None:
        detail += "; early_drop = %d in %s" % (early_drop, fact(ct, "stats", "source"))
    if ct.get("count") is not None and ct.get("max"):
        detail += "; nf_conntrack_count is %d of nf_conntrack_max %d now" % (ct["count"], ct["max"])
    ev = [_log_evidence(last)]
    if full.get("first") and full["first"] != last:
        ev.insert(0, _log_evidence(full["first"]))
    if early_drop is not None:
        ev.append(evidence(fact(ct, "stats", "source"), None, "early_drop=%d" % early_drop))
    if ct.get("max"):
        ev.append(evidence("/proc/sys/net/netfilter/nf_conntrack_max", None, ct["max"]))
    if room_now:
        return [make_finding(
            "CONNTRACK_TABLE_FULL_EVENTS", severity, "%s: %s." % (detail, why), ev, role=None,
            remediation="The table has room now, so there is nothing to raise from its size alone. If "
                        "nf_conntrack_max was not raised since the last event, raise it above the peak (sysctl "
                        "net.netfilter.nf_conntrack_max in a sysctl.d file, with the hash size at max/4), and find "
                        "what opened so many flows (a scan, a DNS storm, a NAT gateway's peak).")]
    return [make_finding("CONNTRACK_TABLE_FULL_EVENTS", severity, "%s: %s." % (detail, why), ev)]


# ------------------------------------------------------------ hung tasks
def _module_blockers(facts):
    """modprobe.d lines that disable a conntrack/NAT module this kernel may have (CONNTRACK_MODULE_DISABLED's evidence).

    A blacklist of nf_conntrack_ipv4 on a 6.1 kernel, which merged it into
    nf_conntrack, cannot be what a module request waits for.
    """
    # Imported here: checks imports this module to register the kernel-log checks.
    from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import (
        CONNTRACK_FAMILY,
        _exists_on_kernel,
    )
    modprobe = fact(facts, "modules", "modprobe")
    if not modprobe:
        return []
    found = []
    for module in CONNTRACK_FAMILY:
        if _exists_on_kernel(facts, module) is False:
            continue
        for blocker in disabling_directives(modprobe, module):
            if blocker not in found:
                found.append(blocker)
    return found


def _frames_text(report, depth=6):
    interesting = [f.get("symbol") for f in report.get("frames") or []]
    return " <- ".join(interesting[:depth]) or "no frames"


def check_kernel_hung_tasks(facts):
    log = facts.get("kernel_log") or {}
    basis = fact(log, "reference", "basis")
    reports = [r for r in (log.get("hung_tasks") or []) + (log.get("soft_lockups") or []) if r.get("path")]
    if not reports:
        return []
    findings = []
    for path in ("module_request", "netns_frag", "netns", "netfilter"):
        group = [r for r in reports if r.get("path") == path]
        if not group:
            continue
        newest = min(group, key=lambda r: r.get("age_seconds") if r.get("age_seconds") is not None else 1e18)
        age = newest.get("age_seconds")
        recent = age is not None and age <= DAY
        old = age is not None and age > WEEK
        blockers = _module_blockers(facts) if path == "module_request" else []
        if path == "module_request":
            severity = "critical" if blockers and not old else ("high" if not old else "medium")
        elif path == "netns_frag":
            severity = "critical" if recent else ("high" if not old else "medium")
        elif path == "netns":
            severity = "high" if not old else "medium"
        else:
            severity = "medium" if not old else "low"
        described = "; ".join("%s %s:%s %s (%s, in %s)" % (
            "soft lockup of" if r.get("kind") == "soft_lockup" else "hung task",
            r.get("comm"), r.get("pid"),
            "stuck %ss on CPU#%s" % (r.get("seconds"), r.get("cpu")) if r.get("kind") == "soft_lockup"
            else "blocked > %ss" % r.get("seconds"),
            _when(r, basis), _frames_text(r)) for r in group[:3])
        detail = "The kernel log shows %d report(s) of tasks stuck in %s: %s%s" % (
            len(group), PATH_WORDS[path], described, " and %d more" % (len(group) - 3) if len(group) > 3 else "")
        if blockers:
            detail += "; and %s disable(s) a conntrack/NAT module, the request these tasks wait for" % ", ".join(
                "%s:%s (%s)" % (b.get("file") or "/proc/cmdline", b.get("line"), b.get("text") or b.get("value"))
                for b in blockers[:3])
        if path == "netns_frag":
            detail += "; this is the fragment-queue bug, not the unregister_netdevice refcount leak"
        ev = [_log_evidence(r) for r in group[:5]]
        ev.extend(evidence(b.get("file") or "/proc/cmdline", b.get("line"), b.get("text") or b.get("value"))
                  for b in blockers[:3])
        findings.append(make_finding(
            "KERNEL_HUNG_TASK_NETFILTER", severity, detail + ".", ev,
            remediation=PATH_REMEDIATION[path],
            title="The kernel log shows tasks stuck in %s" % PATH_WORDS[path].split(" (", 1)[0]))
    return findings


# ------------------------------------------------------- unregister leak
def check_netdev_unregister_leak(facts):
    log = facts.get("kernel_log") or {}
    leak = log.get("unregister_netdevice") or {}
    if not leak.get("count"):
        return []
    basis = fact(log, "reference", "basis")
    last = leak.get("last") or {}
    age = last.get("age_seconds")
    last_hour = leak.get("last_hour") or 0
    if age is None:
        severity = "medium"
    elif age <= HOUR and last_hour >= UNREGISTER_REPEATED_PER_HOUR:
        severity = "high"
    elif age <= DAY:
        severity = "medium"
    else:
        severity = "low"
    devices = leak.get("devices") or {}
    device_text = ", ".join("%s (%d times, usage count up to %s)" % (name, info.get("count") or 0,
                                                                     info.get("max_usage"))
                            for name, info in sorted(devices.items())[:5])
    detail = ("The kernel log shows %d \"unregister_netdevice: waiting for DEV to become free\" line(s) for %s, "
              "the last %s: a reference to a device of a deleted network namespace was never dropped, so its "
              "teardown waits and every later namespace operation queues behind it" % (
                  leak["count"], device_text or "unknown devices", _when(last, basis)))
    if leak.get("last_hour") is not None:
        detail += " (%d in the last hour, %d in the last day)" % (last_hour, leak.get("last_day") or 0)
    lockups = [r for r in log.get("soft_lockups") or [] if r.get("path") == "netns_frag"]
    if lockups:
        detail += "; the soft lockups in inet_evict_bucket are a different bug (KERNEL_HUNG_TASK_NETFILTER)"
    ev = [_log_evidence(last)]
    if leak.get("first") and leak["first"] != last:
        ev.insert(0, _log_evidence(leak["first"]))
    return [make_finding("NETDEV_UNREGISTER_LEAK", severity, detail + ".", ev)]


KERNEL_LOG_CHECKS = (
    check_conntrack_table_full_events,
    check_kernel_hung_tasks,
    check_netdev_unregister_leak,
)
