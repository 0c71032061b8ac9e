# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The end-of-play terminal summary of a fleet report (fleet_summary_table)."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils import report_model as rm

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# A terminal summary of a 1000-host fleet must stay readable; the reports hold the rest.
MAX_ERRORS_SHOWN = 5
MAX_ERROR_HOSTS_SHOWN = 10


def terminal(value, width=None):
    """Text safe for a terminal: control characters (escape sequences) removed."""
    out = CONTROL.sub("?", rm.text(value))
    if width and len(out) > width:
        out = out[:width - 1] + "~"
    return out


def _table(headers, rows):
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return lines


def fleet_summary_table(report, report_paths=None):
    """The end-of-play summary: hosts by worst severity, counts per finding ID."""
    report = rm.check_report(report, "fleet_summary_table")
    summary = report["summary"]
    status = summary["hosts_by_status"]
    lines = ["nfdoctor %s audit of %d host(s): %d ok, %d failed, %d unreachable; worst finding: %s"
             % (terminal(report.get("nfdoctor_version")), summary["hosts_total"], len(status["ok"]),
                len(status["failed"]), len(status["unreachable"]), summary["worst_severity"]), ""]
    rows = []
    for name, entry in rm.host_order(report):
        counts = rm.severity_counts(entry)
        worst = entry["worst_severity"] if entry["status"] == "ok" else "-"
        rows.append([terminal(name, 40), entry["status"], worst]
                    + [str(counts[s]) for s in reversed(rm.SEVERITIES)]
                    + [str(len(entry["errors"])),
                       terminal(rm.kernel_release(entry) or entry.get("message") or "", 60)])
    lines += _table(["HOST", "STATUS", "WORST", "CRIT", "HIGH", "MED", "LOW", "INFO", "UNREAD", "KERNEL / PROBLEM"],
                    rows)
    lines.append("")
    if summary["findings_by_id"]:
        rows = [[terminal(fid, 40), row["severity"], str(len(row["hosts"])), terminal(", ".join(row["hosts"]), 70)]
                for fid, row in summary["findings_by_id"].items()]
        lines += _table(["FINDING", "WORST", "HOSTS", "WHERE"], rows)
    else:
        lines.append("No findings on any audited host.")
    if summary["hosts_with_errors"]:
        lines.append("")
        lines.append("UNREAD: sources the audit could not read (become gives a complete audit):")
        shown_hosts = summary["hosts_with_errors"][:MAX_ERROR_HOSTS_SHOWN]
        for name in shown_hosts:
            errors = report["hosts"][name]["errors"]
            for err in errors[:MAX_ERRORS_SHOWN]:
                lines.append("  %s: %s: %s"
                             % (terminal(name, 40), terminal(err.get("source"), 60), terminal(err.get("message"), 100)))
            if len(errors) > MAX_ERRORS_SHOWN:
                lines.append("  %s: ... and %d more (see the reports)"
                             % (terminal(name, 40), len(errors) - MAX_ERRORS_SHOWN))
        if len(summary["hosts_with_errors"]) > len(shown_hosts):
            lines.append("  ... and %d more host(s) (see the reports)"
                         % (len(summary["hosts_with_errors"]) - len(shown_hosts)))
    if summary["fail_on"] != "none":
        lines.append("")
        lines.append("fail_on=%s: %s" % (summary["fail_on"],
                                         terminal(", ".join(summary["failing_hosts"]), 200) or "no host fails"))
    if report_paths:
        lines.append("")
        lines.append("Reports:")
        for path in report_paths:
            lines.append("  " + terminal(path))
    return "\n".join(lines)
