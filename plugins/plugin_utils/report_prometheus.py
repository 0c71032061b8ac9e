# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A node_exporter textfile (Prometheus text format 0.0.4) from a fleet report.

Counters are named ``*_total`` and typed ``counter`` only where the value is
a kernel counter that only grows until reboot (conntrack insert_failed, drop);
everything the audit counts at one moment (findings, unread sources) is a
gauge: it goes down when a host is fixed.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import calendar
import time

from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils import report_model as rm

# (name, type, help); the order of the file.
FAMILIES = (
    ("nfdoctor_last_run_timestamp_seconds", "gauge", "Unix time the fleet report was generated."),
    ("nfdoctor_findings", "gauge", "Findings per host, ID and severity (value: how many)."),
    ("nfdoctor_host_findings", "gauge", "Findings per host and severity, every severity listed (0 when none)."),
    ("nfdoctor_host_worst_severity", "gauge",
     "Worst finding severity per host: 0 none, 1 info, 2 low, 3 medium, 4 high, 5 critical; -1 not audited."),
    ("nfdoctor_host_audit_ok", "gauge", "1 when the audit of the host ran, 0 when it failed or the host was unreachable."),
    ("nfdoctor_host_unread_sources", "gauge", "Sources the audit could not read on the host."),
    ("nfdoctor_conntrack_entries", "gauge", "Conntrack table entries."),
    ("nfdoctor_conntrack_limit", "gauge", "Conntrack table size (nf_conntrack_max)."),
    ("nfdoctor_conntrack_fill_ratio", "gauge", "Conntrack entries divided by nf_conntrack_max."),
    ("nfdoctor_conntrack_insert_failed_total", "counter", "Conntrack insert_failed summed over CPUs, since boot."),
    ("nfdoctor_conntrack_drop_total", "counter", "Conntrack drop summed over CPUs, since boot."),
)
CONNTRACK_SERIES = (
    ("nfdoctor_conntrack_entries", ("conntrack", "count")),
    ("nfdoctor_conntrack_limit", ("conntrack", "max")),
    ("nfdoctor_conntrack_fill_ratio", ("conntrack", "fill_ratio")),
    ("nfdoctor_conntrack_insert_failed_total", ("conntrack", "stats", "totals", "insert_failed")),
    ("nfdoctor_conntrack_drop_total", ("conntrack", "stats", "totals", "drop")),
)


def label(value):
    """A Prometheus label value: backslash, double quote and newline escaped."""
    return rm.text(value).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def number(value):
    """A sample value as text, None for what is not a finite-or-infinite number (bools, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or rm.is_nan(value):
        return None
    return repr(float(value)) if isinstance(value, float) else str(value)


def _timestamp(generated_at):
    """Seconds since the epoch of the report's ISO 8601 UTC time, None if it is not one."""
    try:
        return calendar.timegm(time.strptime(rm.text(generated_at), "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return None


def report_prometheus(report):
    """A node_exporter textfile (Prometheus text format 0.0.4) for the fleet."""
    report = rm.check_report(report, "report_prometheus")
    series = {name: [] for name, _type, _help in FAMILIES}
    stamp = _timestamp(report.get("generated_at"))
    if stamp is not None:
        series["nfdoctor_last_run_timestamp_seconds"].append(" %d" % stamp)
    for name, entry in sorted(report["hosts"].items()):
        host = 'host="%s"' % label(name)
        series["nfdoctor_host_audit_ok"].append("{%s} %d" % (host, 1 if entry["status"] == "ok" else 0))
        if entry["status"] != "ok":
            series["nfdoctor_host_worst_severity"].append("{%s} -1" % host)
            continue
        series["nfdoctor_host_worst_severity"].append("{%s} %d" % (host, rm.SEVERITY_RANK[entry["worst_severity"]]))
        series["nfdoctor_host_unread_sources"].append("{%s} %d" % (host, len(entry["errors"])))
        counts = rm.severity_counts(entry)
        for sev in rm.SEVERITIES:
            series["nfdoctor_host_findings"].append('{%s,severity="%s"} %d' % (host, sev, counts[sev]))
        # The same ID can fire more than once on a host (two blacklist lines); one series per
        # label set is all the format allows, so the value counts them.
        counted = {}
        for finding in entry["findings"]:
            key = (rm.text(finding.get("id")), rm.lenient_severity(finding.get("severity")))
            counted[key] = counted.get(key, 0) + 1
        for (fid, sev), count in sorted(counted.items()):
            series["nfdoctor_findings"].append('{%s,id="%s",severity="%s"} %d' % (host, label(fid), sev, count))
        facts = entry["facts"] or {}
        for metric, path in CONNTRACK_SERIES:
            value = number(rm.fact(facts, *path))
            if value is not None:
                series[metric].append("{%s} %s" % (host, value))
    lines = []
    for name, kind, help_text in FAMILIES:
        lines.append("# HELP %s %s" % (name, help_text))
        lines.append("# TYPE %s %s" % (name, kind))
        lines.extend(name + row for row in series[name])
    return "\n".join(lines) + "\n"
