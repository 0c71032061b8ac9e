# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet reports from nfdoctor audit results (runs on the controller).

The audit role registers one ``netfilter_facts`` result per host; these
filters turn the results of the whole play into one report document
(``fleet_report``) and render that document as a terminal table, Markdown,
self-contained HTML, JUnit XML and a node_exporter textfile.

Every string in a report comes from a managed host and is treated as hostile:
each renderer escapes for its own format (HTML entities, XML with illegal
characters removed, Prometheus label escapes, Markdown punctuation).
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import datetime
import hashlib
import html
import json
import os
import re

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

REPORT_SCHEMA_VERSION = 1

# Lowest to highest. "none" is the worst severity of a host without findings.
SEVERITIES = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK = {"none": 0, "info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
FAIL_ON_CHOICES = ("none",) + SEVERITIES
HOST_STATUSES = ("ok", "failed", "unreachable")


# --------------------------------------------------------------- severities
def severity_rank(severity):
    """Rank of a severity name: none 0, info 1 ... critical 5."""
    if not isinstance(severity, str) or severity.lower() not in SEVERITY_RANK:
        raise AnsibleFilterError(
            "severity_rank: %r is not a severity; expected one of %s"
            % (severity, ", ".join(sorted(SEVERITY_RANK, key=SEVERITY_RANK.get))))
    return SEVERITY_RANK[severity.lower()]


def _lenient_severity(value):
    """A finding's severity as a known name; unknown values count as info.

    Findings come from hosts that may run another nfdoctor version; a value
    we do not know must not break the report, and info keeps it visible
    without inflating the host's worst severity.
    """
    if isinstance(value, str) and value.lower() in SEVERITY_RANK and value.lower() != "none":
        return value.lower()
    return "info"


def worst_severity(findings):
    """The highest severity among findings, ``none`` for an empty list."""
    if findings is None:
        return "none"
    if not isinstance(findings, (list, tuple)):
        raise AnsibleFilterError("worst_severity: expected a list of findings, got %s" % type(findings).__name__)
    worst = "none"
    for finding in findings:
        sev = _lenient_severity(finding.get("severity") if isinstance(finding, dict) else None)
        if SEVERITY_RANK[sev] > SEVERITY_RANK[worst]:
            worst = sev
    return worst


def findings_at_or_above(findings, threshold):
    """The findings whose severity is at or above ``threshold`` (``none``: no finding)."""
    if threshold is None or str(threshold).lower() == "none":
        return []
    limit = severity_rank(threshold)
    return [f for f in _list(findings) if isinstance(f, dict)
            and SEVERITY_RANK[_lenient_severity(f.get("severity"))] >= limit]


def _sorted_findings(findings):
    """Worst first, then by ID, so every report lists findings the same way."""
    clean = [f for f in _list(findings) if isinstance(f, dict)]
    return sorted(clean, key=lambda f: (-SEVERITY_RANK[_lenient_severity(f.get("severity"))], _text(f.get("id"))))


# ------------------------------------------------------------------ helpers
def _text(value):
    """Any value as text for display; None as an empty string."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def _list(value):
    """A list from a host document, or [] when the host sent something else."""
    return value if isinstance(value, list) else []


def _plain(value):
    """A JSON-able copy (Ansible may hand us its own str/dict subclasses)."""
    return json.loads(json.dumps(value, default=str))


def collection_version():
    """Version of this collection, from galaxy.yml (checkout) or MANIFEST.json (installed)."""
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    manifest = os.path.join(top, "MANIFEST.json")
    try:
        with open(manifest) as handle:
            return json.load(handle)["collection_info"]["version"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        with open(os.path.join(top, "galaxy.yml")) as handle:
            for line in handle:
                match = re.match(r"^version:\s*['\"]?([^'\"\s]+)", line)
                if match:
                    return match.group(1)
    except OSError:
        pass
    return "unknown"


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# ------------------------------------------------------------ fleet report
def _host_entry(name, result):
    """One host of the report from its registered module result."""
    entry = {"status": "ok", "message": None, "facts": None, "findings": [], "errors": [],
             "worst_severity": None}
    if not isinstance(result, dict) or not result:
        entry["status"] = "failed"
        entry["message"] = "no audit result: the host failed or was skipped before the audit task ran"
        return entry
    if result.get("unreachable"):
        entry["status"] = "unreachable"
        entry["message"] = _text(result.get("msg")) or "host unreachable"
        return entry
    if result.get("skipped"):
        entry["status"] = "failed"
        entry["message"] = "the audit task was skipped on this host (%s)" % (_text(result.get("skip_reason")) or "condition false")
        return entry
    facts = (result.get("ansible_facts") or {}).get("nfdoctor")
    if result.get("failed") or not isinstance(facts, dict):
        entry["status"] = "failed"
        entry["message"] = _text(result.get("msg")) or "the audit module returned no nfdoctor facts"
        if isinstance(facts, dict):
            entry["facts"] = facts
        return entry
    entry["facts"] = facts
    entry["findings"] = _sorted_findings(facts.get("findings"))
    entry["errors"] = [e for e in _list(facts.get("errors")) if isinstance(e, dict)]
    entry["worst_severity"] = worst_severity(entry["findings"])
    return entry


def _results_from_hostvars(hostvars, hosts, result_var):
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("fleet_report: 'hosts' must be a list of inventory host names")
    results = {}
    for name in hosts:
        try:
            host_vars = hostvars[name]
        except (KeyError, TypeError):
            host_vars = None
        value = None
        if host_vars is not None:
            try:
                value = host_vars[result_var] if result_var in host_vars else None
            except Exception:  # an undefined or broken variable means the host has no usable result
                value = None
        results[str(name)] = value
    return results


def fleet_report(results, hosts=None, result_var=None, fail_on="none", generated_at=None, nfdoctor_version=None):
    """The fleet report document: ``{hostname: registered result}`` in, report out.

    ``results`` values are the registered results of the audit task (``None``
    for a host that never ran it). With ``hosts`` and ``result_var``,
    ``results`` is ``hostvars`` and each host's result is read from the
    variable ``result_var`` (a host without it never ran the audit). The layout
    is documented in docs/reports.md and versioned by ``report_schema_version``.
    """
    if hosts is not None:
        if not result_var:
            raise AnsibleFilterError("fleet_report: 'hosts' needs 'result_var', the variable holding each host's result")
        results = _results_from_hostvars(results, hosts, result_var)
    if not isinstance(results, Mapping):
        raise AnsibleFilterError("fleet_report: expected a mapping of host name to audit result, got %s"
                                 % type(results).__name__)
    results = dict(results)
    fail_on = "none" if fail_on is None else str(fail_on).lower()
    if fail_on not in FAIL_ON_CHOICES:
        raise AnsibleFilterError("fleet_report: fail_on must be one of %s, not %r" % (", ".join(FAIL_ON_CHOICES), fail_on))
    results = _plain(results)
    hosts = {}
    for name in sorted(results, key=str):
        hosts[str(name)] = _host_entry(name, results[name])
    report = {
        "report_schema_version": REPORT_SCHEMA_VERSION,
        "generated_at": generated_at or _utc_now(),
        "nfdoctor_version": nfdoctor_version or collection_version(),
        "summary": {},
        "hosts": hosts,
    }
    report["summary"] = _summary(report, fail_on)
    return report


def _summary(report, fail_on):
    hosts = report["hosts"]
    by_status = {status: sorted(n for n, h in hosts.items() if h["status"] == status) for status in HOST_STATUSES}
    by_worst = {}
    for sev in ("none",) + SEVERITIES:
        by_worst[sev] = sorted(n for n, h in hosts.items() if h["status"] == "ok" and h["worst_severity"] == sev)
    # One row per finding ID: on how many hosts it fired, and its worst severity there.
    per_id = {}
    for name, entry in sorted(hosts.items()):
        for finding in entry["findings"]:
            fid = _text(finding.get("id")) or "UNKNOWN"
            row = per_id.setdefault(fid, {"hosts": [], "count": 0, "severity": "info",
                                          "title": _text(finding.get("title"))})
            row["count"] += 1
            if name not in row["hosts"]:
                row["hosts"].append(name)
            sev = _lenient_severity(finding.get("severity"))
            if SEVERITY_RANK[sev] > SEVERITY_RANK[row["severity"]]:
                row["severity"] = sev
    severity_counts = {sev: 0 for sev in SEVERITIES}
    for entry in hosts.values():
        for finding in entry["findings"]:
            severity_counts[_lenient_severity(finding.get("severity"))] += 1
    worst = "none"
    for entry in hosts.values():
        if entry["worst_severity"] and SEVERITY_RANK[entry["worst_severity"]] > SEVERITY_RANK[worst]:
            worst = entry["worst_severity"]
    failing = []
    if fail_on != "none":
        failing = sorted(n for n, h in hosts.items()
                         if h["status"] != "ok" or SEVERITY_RANK[h["worst_severity"]] >= SEVERITY_RANK[fail_on])
    return {
        "hosts_total": len(hosts),
        "hosts_by_status": by_status,
        "hosts_by_worst_severity": by_worst,
        "worst_severity": worst,
        "findings_total": sum(severity_counts.values()),
        "findings_by_severity": severity_counts,
        "findings_by_id": dict(sorted(per_id.items(), key=lambda kv: (-SEVERITY_RANK[kv[1]["severity"]], kv[0]))),
        "hosts_with_errors": sorted(n for n, h in hosts.items() if h["errors"]),
        "fail_on": fail_on,
        "failing_hosts": failing,
    }


def _check_report(report, who):
    if not isinstance(report, dict) or report.get("report_schema_version") != REPORT_SCHEMA_VERSION \
            or not isinstance(report.get("hosts"), dict):
        raise AnsibleFilterError("%s: expected the output of nfdoctor.netfilter.fleet_report "
                                 "(report_schema_version %d)" % (who, REPORT_SCHEMA_VERSION))
    return report


def _kernel_release(entry):
    facts = entry.get("facts") or {}
    kernel = facts.get("kernel") or {}
    return _text(kernel.get("release")) if isinstance(kernel, dict) else ""


def _severity_counts(entry):
    counts = {sev: 0 for sev in SEVERITIES}
    for finding in entry.get("findings") or []:
        counts[_lenient_severity(finding.get("severity"))] += 1
    return counts


def _host_order(report):
    """Worst hosts first: failed/unreachable, then by worst severity, then name."""
    def key(item):
        name, entry = item
        if entry["status"] != "ok":
            return (0, 0, name)
        return (1, -SEVERITY_RANK[entry["worst_severity"] or "none"], name)
    return sorted(report["hosts"].items(), key=key)


# ------------------------------------------------------------ terminal table
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _terminal(value, width=None):
    """Text safe for a terminal: control characters (escape sequences) removed."""
    text = _CONTROL.sub("?", _text(value))
    if width and len(text) > width:
        text = text[:width - 1] + "~"
    return text


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


# A terminal summary of a 1000-host fleet must stay readable; the reports hold the rest.
MAX_ERRORS_SHOWN = 5
MAX_ERROR_HOSTS_SHOWN = 10


def fleet_summary_table(report, report_paths=None):
    """The end-of-play summary: hosts by worst severity, counts per finding ID."""
    report = _check_report(report, "fleet_summary_table")
    summary = report["summary"]
    status = summary["hosts_by_status"]
    lines = ["nfdoctor %s audit of %d host(s): %d ok, %d failed, %d unreachable; worst finding: %s"
             % (_terminal(report.get("nfdoctor_version")), summary["hosts_total"], len(status["ok"]),
                len(status["failed"]), len(status["unreachable"]), summary["worst_severity"]), ""]
    rows = []
    for name, entry in _host_order(report):
        counts = _severity_counts(entry)
        worst = entry["worst_severity"] if entry["status"] == "ok" else "-"
        rows.append([_terminal(name, 40), entry["status"], worst]
                    + [str(counts[s]) for s in reversed(SEVERITIES)]
                    + [str(len(entry["errors"])),
                       _terminal(_kernel_release(entry) or entry.get("message") or "", 60)])
    lines += _table(["HOST", "STATUS", "WORST", "CRIT", "HIGH", "MED", "LOW", "INFO", "UNREAD", "KERNEL / PROBLEM"],
                    rows)
    lines.append("")
    if summary["findings_by_id"]:
        rows = [[_terminal(fid, 40), row["severity"], str(len(row["hosts"])),
                 _terminal(", ".join(row["hosts"]), 70)]
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
                lines.append("  %s: %s: %s" % (_terminal(name, 40), _terminal(err.get("source"), 60),
                                                _terminal(err.get("message"), 100)))
            if len(errors) > MAX_ERRORS_SHOWN:
                lines.append("  %s: ... and %d more (see the reports)" % (_terminal(name, 40),
                                                                        len(errors) - MAX_ERRORS_SHOWN))
        if len(summary["hosts_with_errors"]) > len(shown_hosts):
            lines.append("  ... and %d more host(s) (see the reports)"
                         % (len(summary["hosts_with_errors"]) - len(shown_hosts)))
    if summary["fail_on"] != "none":
        lines.append("")
        lines.append("fail_on=%s: %s" % (summary["fail_on"],
                                         _terminal(", ".join(summary["failing_hosts"]), 200) or "no host fails"))
    if report_paths:
        lines.append("")
        lines.append("Reports:")
        for path in report_paths:
            lines.append("  " + _terminal(path))
    return "\n".join(lines)


# ------------------------------------------------------------------ Markdown
# Escaped everywhere: emphasis, links, code, tables, strike-through, raw HTML.
_MD_SPECIAL = re.compile(r"([\\`*\[\]|~])")
# Underscores only at word edges: GFM never emphasises inside a word (nf_conntrack_ipv4).
_MD_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# Only at the start of a line do these begin a heading, list, quote or numbered item.
_MD_LINE_START = re.compile(r"^(\s*)(?:([#+\->])|(\d+)([.)]))")


def _md(value, starts_line=False):
    """Markdown-safe inline text: markup escaped, HTML neutralised, one line, readable as plain text.

    ``starts_line``: the text opens a paragraph, where '#', '-', '1.' ... would start a block.
    """
    text = _CONTROL.sub(" ", _text(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_EDGE_UNDERSCORE.sub(lambda m: "\\_", text)
    if not starts_line:
        return text
    return _MD_LINE_START.sub(lambda m: m.group(1) + ("\\" + m.group(2) if m.group(2) else m.group(3) + "\\" + m.group(4)),
                              text)


def _md_code(value, in_table=False):
    """An inline code span that no backtick in the value can close early.

    ``in_table``: GFM splits a table row at every unescaped '|', code spans
    included, and turns '\\|' back into '|' before reading the span.
    """
    text = _CONTROL.sub(" ", _text(value))
    if in_table:
        text = text.replace("|", "\\|")
    longest = max([len(run) for run in re.findall(r"`+", text)] or [0])
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return "%s%s%s%s%s" % (fence, pad, text, pad, fence)


def report_markdown(report):
    """The fleet report as Markdown for tickets."""
    report = _check_report(report, "report_markdown")
    summary = report["summary"]
    status = summary["hosts_by_status"]
    out = ["# nfdoctor netfilter audit", "",
           "Generated %s by nfdoctor.netfilter %s: %d host(s), %d ok, %d failed, %d unreachable; "
           "worst finding **%s**." % (_md(report.get("generated_at")), _md(report.get("nfdoctor_version")),
                                      summary["hosts_total"], len(status["ok"]), len(status["failed"]),
                                      len(status["unreachable"]), summary["worst_severity"]),
           "", "## Hosts", "",
           "| Host | Status | Worst | Critical | High | Medium | Low | Info | Unread sources | Kernel |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for name, entry in _host_order(report):
        counts = _severity_counts(entry)
        worst = entry["worst_severity"] if entry["status"] == "ok" else "-"
        out.append("| [%s](#%s) | %s | %s | %s | %d | %s |" % (
            _md(name), _anchor(name), entry["status"], worst,
            " | ".join(str(counts[s]) for s in reversed(SEVERITIES)), len(entry["errors"]),
            _md(_kernel_release(entry)) or _md(entry.get("message"))))
    out += ["", "## Findings by ID", ""]
    if summary["findings_by_id"]:
        out += ["| Finding | Worst severity | Hosts | Title |", "|---|---|---:|---|"]
        for fid, row in summary["findings_by_id"].items():
            out.append("| %s | %s | %d | %s |" % (_md_code(fid, in_table=True), row["severity"], len(row["hosts"]),
                                                  _md(row["title"])))
    else:
        out.append("No findings on any audited host.")
    for name, entry in _host_order(report):
        out += ["", '<a id="%s"></a>' % _anchor(name), "", "## %s" % _md(name), ""]
        if entry["status"] != "ok":
            out.append("**%s**: %s" % (entry["status"].upper(), _md(entry.get("message"))))
            continue
        out.append("Kernel %s, worst finding **%s**, %d finding(s)." % (
            _md_code(_kernel_release(entry) or "unknown"), entry["worst_severity"], len(entry["findings"])))
        for finding in entry["findings"]:
            out += ["", "### %s %s: %s" % (_lenient_severity(finding.get("severity")).upper(),
                                           _md_code(finding.get("id")), _md(finding.get("title"))), ""]
            if finding.get("detail"):
                out += [_md(finding.get("detail"), starts_line=True), ""]
            evidence = [e for e in _list(finding.get("evidence")) if isinstance(e, dict)]
            if evidence:
                out += ["| Evidence file | Line | Value |", "|---|---:|---|"]
                for item in evidence:
                    out.append("| %s | %s | %s |" % (_md_code(item.get("file"), in_table=True), _md(item.get("line")),
                                                    _md_code(item.get("value"), in_table=True)))
                out.append("")
            if finding.get("remediation"):
                out.append("- **Remediation:** %s" % _md(finding.get("remediation")))
            if finding.get("role"):
                out.append("- **Role:** %s" % _md_code(finding.get("role")))
            refs = [r for r in _list(finding.get("references")) if r]
            if refs:
                out.append("- **References:** %s" % ", ".join(_md(r) for r in refs))
            if finding.get("confidence"):
                out.append("- **Confidence:** %s" % _md(finding.get("confidence")))
        if not entry["findings"]:
            out += ["", "No findings."]
        if entry["errors"]:
            out += ["", "#### Could not read (%d)" % len(entry["errors"]), ""]
            for err in entry["errors"]:
                out.append("- %s: %s" % (_md_code(err.get("source")), _md(err.get("message"))))
    out.append("")
    return "\n".join(out)


def _anchor(name):
    """A stable, safe fragment id for a host name."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", _text(name)).strip("-").lower() or "host"
    digest = hashlib.sha1(_text(name).encode("utf-8", "replace")).hexdigest()[:6]
    return "host-%s-%s" % (slug[:50], digest)


# ---------------------------------------------------------------------- HTML
def _h(value):
    return html.escape(_text(value), quote=True)


_HTML_CSS = """
:root{--bg:#f5f6f8;--card:#fff;--ink:#1d2430;--muted:#5b6676;--line:#dde1e7;
--critical:#8b0f1a;--high:#d23c2b;--medium:#e08a00;--low:#3a7bd5;--info:#6b7785;--none:#2e8b57;--failed:#5a2d82}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;background:var(--bg);color:var(--ink)}
header{background:#18212f;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:20px;font-weight:600;letter-spacing:.2px}
header p{margin:4px 0 0;color:#b9c3d0;font-size:13px}
main{padding:20px 32px 48px;max-width:1400px}
h2{font-size:16px;margin:28px 0 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(118px,1fr));gap:10px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card .n{font-size:26px;font-weight:650;line-height:1.1}
.card .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.5px}
.card.sev-critical .n{color:var(--critical)}.card.sev-high .n{color:var(--high)}
.card.sev-medium .n{color:var(--medium)}.card.sev-low .n{color:var(--low)}.card.sev-info .n{color:var(--info)}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef1f5;font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.4px;color:#394454}
th.sortable{cursor:pointer;user-select:none}th.sortable:after{content:" \\2195";color:#9aa4b2}
th.sorted-asc:after{content:" \\2191";color:#394454}th.sorted-desc:after{content:" \\2193";color:#394454}
td.num,th.num{text-align:right}
td.hostname{white-space:nowrap;font-weight:600}
tr:last-child td{border-bottom:none}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
code{background:#f0f2f5;padding:1px 4px;border-radius:4px;word-break:break-all}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:11.5px;font-weight:600;color:#fff;text-transform:uppercase;letter-spacing:.3px}
.badge.sev-critical{background:var(--critical)}.badge.sev-high{background:var(--high)}.badge.sev-medium{background:var(--medium)}
.badge.sev-low{background:var(--low)}.badge.sev-info{background:var(--info)}.badge.sev-none{background:var(--none)}
.badge.st-failed,.badge.st-unreachable{background:var(--failed)}.badge.st-ok{background:var(--none)}
.filters{display:flex;gap:14px;align-items:center;flex-wrap:wrap;background:var(--card);border:1px solid var(--line);
border-radius:8px;padding:10px 14px;margin-bottom:10px}
.filters label{font-size:13px;color:#394454}
.filters select,.filters input[type=search]{font:inherit;padding:4px 6px;border:1px solid #c5ccd6;border-radius:5px}
#finding-count{margin-left:auto;color:var(--muted);font-size:12.5px}
tr.finding-row{cursor:pointer}tr.finding-row:hover td{background:#f8fafc}
tr.finding-detail td{background:#fbfcfd;padding:10px 16px 14px}
tr.finding-detail[hidden]{display:none}
.detail p{margin:4px 0 8px}
.detail table{margin:6px 0 10px;font-size:12.5px}
.remedy{border-left:3px solid var(--none);padding:6px 10px;background:#f1f8f4;margin:6px 0}
.host{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:14px 0}
.host h3{margin:0 0 8px;font-size:15px;display:flex;gap:10px;align-items:center}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:4px 18px;margin:6px 0 10px;font-size:13px}
.facts div span{color:var(--muted)}
.hf{border-top:1px solid var(--line);padding:8px 0}
.hf h4{margin:0 0 4px;font-size:14px;display:flex;gap:8px;align-items:center}
.errors{color:#6b3d00;background:#fff8e6;border:1px solid #f1dfb3;border-radius:6px;padding:6px 12px;font-size:12.5px}
.errors ul{margin:4px 0;padding-left:18px}
.problem{color:var(--failed);font-weight:600}
a{color:#1f5fbf;text-decoration:none}a:hover{text-decoration:underline}
footer{color:var(--muted);font-size:12px;padding:0 32px 24px}
"""

_HTML_JS = """
(function(){
  "use strict";
  var table=document.getElementById("findings");
  if(!table){return;}
  var body=table.tBodies[0];
  var sevSel=document.getElementById("filter-severity");
  var idSel=document.getElementById("filter-id");
  var text=document.getElementById("filter-text");
  var counter=document.getElementById("finding-count");
  function pairs(){
    var rows=[],all=body.rows;
    for(var i=0;i<all.length;i++){
      if(all[i].classList.contains("finding-row")){rows.push([all[i],all[i].nextElementSibling]);}
    }
    return rows;
  }
  function apply(){
    var min=parseInt(sevSel.value,10)||0, id=idSel.value, q=text.value.toLowerCase(), shown=0, list=pairs();
    for(var i=0;i<list.length;i++){
      var r=list[i][0];
      var ok=parseInt(r.getAttribute("data-rank"),10)>=min && (!id||r.getAttribute("data-id")===id) &&
             (!q||r.textContent.toLowerCase().indexOf(q)>=0);
      r.hidden=!ok;
      if(!ok){list[i][1].hidden=true;}
      if(ok){shown++;}
    }
    counter.textContent=shown+" of "+list.length+" findings shown";
  }
  function sortBy(th){
    var key=th.getAttribute("data-key"), dir=th.classList.contains("sorted-asc")?-1:1;
    var heads=table.tHead.rows[0].cells;
    for(var i=0;i<heads.length;i++){heads[i].classList.remove("sorted-asc","sorted-desc");}
    th.classList.add(dir===1?"sorted-asc":"sorted-desc");
    var list=pairs();
    list.sort(function(a,b){
      var x=a[0].getAttribute("data-"+key), y=b[0].getAttribute("data-"+key);
      if(key==="rank"){x=parseInt(x,10);y=parseInt(y,10);}
      return (x<y?-1:x>y?1:0)*dir;
    });
    for(var j=0;j<list.length;j++){body.appendChild(list[j][0]);body.appendChild(list[j][1]);}
  }
  var heads=table.querySelectorAll("th.sortable");
  for(var i=0;i<heads.length;i++){heads[i].addEventListener("click",function(){sortBy(this);});}
  body.addEventListener("click",function(ev){
    var el=ev.target;
    while(el&&el!==body&&!(el.classList&&el.classList.contains("finding-row"))){el=el.parentNode;}
    if(!el||el===body||(ev.target.tagName==="A")){return;}
    var d=el.nextElementSibling; d.hidden=!d.hidden;
    el.setAttribute("aria-expanded", d.hidden?"false":"true");
  });
  // Filters live in the URL fragment (#min=4&id=X&q=text&sort=host), so a filtered view can be shared.
  function fromHash(){
    var parts=(location.hash||"").replace(/^#/,"").split("&"), want={};
    for(var i=0;i<parts.length;i++){
      var kv=parts[i].split("=");
      if(kv.length===2){try{want[kv[0]]=decodeURIComponent(kv[1]);}catch(e){}}
    }
    if(want.min&&sevSel.querySelector('option[value="'+want.min.replace(/[^0-9]/g,"")+'"]')){sevSel.value=want.min;}
    if(want.id!==undefined){
      for(var j=0;j<idSel.options.length;j++){if(idSel.options[j].value===want.id){idSel.value=want.id;}}
    }
    if(want.q!==undefined){text.value=want.q;}
    if(want.sort){
      var th=table.querySelector('th.sortable[data-key="'+want.sort.replace(/[^a-z]/g,"")+'"]');
      if(th){sortBy(th);if(want.dir==="desc"){sortBy(th);}}
    }
  }
  function toHash(){
    var h=[];
    if(sevSel.value!=="0"){h.push("min="+sevSel.value);}
    if(idSel.value){h.push("id="+encodeURIComponent(idSel.value));}
    if(text.value){h.push("q="+encodeURIComponent(text.value));}
    if(history.replaceState){history.replaceState(null,"",h.length?"#"+h.join("&"):location.pathname+location.search);}
  }
  function changed(){apply();toHash();}
  sevSel.addEventListener("change",changed);idSel.addEventListener("change",changed);text.addEventListener("input",changed);
  fromHash();
  apply();
  document.documentElement.setAttribute("data-js","ready");
})();
"""


def _badge(severity):
    sev = severity or "none"
    return '<span class="badge sev-%s">%s</span>' % (_h(sev), _h(sev))


def _html_evidence(finding):
    evidence = [e for e in _list(finding.get("evidence")) if isinstance(e, dict)]
    if not evidence:
        return ""
    rows = "".join('<tr><td class="mono">%s</td><td class="num">%s</td><td class="mono">%s</td></tr>'
                   % (_h(e.get("file")), _h(e.get("line")), _h(e.get("value"))) for e in evidence)
    return ('<table class="evidence"><thead><tr><th>Evidence file</th><th class="num">Line</th><th>Value</th>'
            '</tr></thead><tbody>%s</tbody></table>' % rows)


def _html_finding_body(finding):
    parts = ['<div class="detail">']
    if finding.get("detail"):
        parts.append("<p>%s</p>" % _h(finding.get("detail")))
    parts.append(_html_evidence(finding))
    if finding.get("remediation") or finding.get("role"):
        role = finding.get("role")
        parts.append('<div class="remedy"><strong>Remediation:</strong> %s%s</div>' % (
            _h(finding.get("remediation")),
            (' <span class="role">(role <code>%s</code>)</span>' % _h(role)) if role else ""))
    refs = [r for r in _list(finding.get("references")) if r]
    if refs:
        links = []
        for ref in refs:
            ref_text = _text(ref)
            # Only http(s) links are clickable: a javascript: URL from a host must not become a link.
            if re.match(r"^https?://", ref_text, re.I):
                links.append('<a href="%s" rel="noreferrer noopener">%s</a>' % (_h(ref_text), _h(ref_text)))
            else:
                links.append("<code>%s</code>" % _h(ref_text))
        parts.append("<p><strong>References:</strong> %s</p>" % ", ".join(links))
    if finding.get("confidence"):
        parts.append("<p><strong>Confidence:</strong> %s</p>" % _h(finding.get("confidence")))
    parts.append("</div>")
    return "".join(parts)


def _fact(facts, *path):
    value = facts
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _host_facts_html(facts):
    """A few facts an operator wants at a glance, from the facts document."""
    items = []
    kernel = _fact(facts, "kernel", "release")
    flavour = _fact(facts, "kernel", "flavour")
    items.append(("Kernel", "%s%s" % (_text(kernel) or "unknown", (" (%s)" % _text(flavour)) if flavour else "")))
    pretty = _fact(facts, "os", "pretty_name")
    if pretty:
        items.append(("OS", pretty))
    count, limit = _fact(facts, "conntrack", "count"), _fact(facts, "conntrack", "max")
    ratio = _fact(facts, "conntrack", "fill_ratio")
    if count is not None or limit is not None:
        pct = (" (%.1f%%)" % (ratio * 100)) if isinstance(ratio, (int, float)) else ""
        items.append(("Conntrack", "%s / %s%s" % (_text(count) or "?", _text(limit) or "?", pct)))
    insert_failed = _fact(facts, "conntrack", "stats", "totals", "insert_failed")
    if insert_failed is not None:
        items.append(("insert_failed", insert_failed))
    fwd = _fact(facts, "forwarding", "ipv4")
    if fwd is not None:
        off = sorted(n for n, v in (_fact(facts, "forwarding", "interfaces") or {}).items()
                     if isinstance(v, dict) and v.get("ipv4") == 0)
        items.append(("ip_forward", "%s%s" % (fwd, ("; off on " + ", ".join(off)) if off and fwd == 1 else "")))
    bridges = _fact(facts, "bridges")
    if isinstance(bridges, dict):
        items.append(("Bridges", ", ".join(sorted(bridges)) or "none"))
    brnf = _fact(facts, "br_netfilter", "loaded")
    if brnf is not None:
        items.append(("br_netfilter", "loaded" if brnf else "not loaded"))
    networkd = _fact(facts, "networkd", "version")
    if networkd is not None or _fact(facts, "networkd", "installed"):
        items.append(("systemd-networkd", networkd if networkd is not None else "installed"))
    ns = _fact(facts, "namespaces", "count")
    if ns is not None:
        items.append(("Network namespaces", ns))
    stuck = _fact(facts, "processes", "stuck")
    if isinstance(stuck, list):
        items.append(("Stuck processes", len(stuck)))
    if facts.get("captured"):
        items.append(("Source", "captured tree %s" % _text(facts.get("root"))))
    return '<div class="facts">%s</div>' % "".join(
        "<div><span>%s:</span> %s</div>" % (_h(k), _h(v)) for k, v in items)


def report_html(report):
    """The fleet report as one self-contained HTML page (inline CSS and JS, no external assets)."""
    report = _check_report(report, "report_html")
    summary = report["summary"]
    status = summary["hosts_by_status"]
    ordered = _host_order(report)
    out = []
    # The CSP allows only this page's own script (by hash) and inline styles: even if a
    # hostile string slipped past escaping, no script of its own could run, and the page
    # can fetch nothing from the network.
    script_hash = base64.b64encode(hashlib.sha256(_HTML_JS.encode("utf-8")).digest()).decode("ascii")
    out.append('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
               '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
               'style-src \'unsafe-inline\'; script-src \'sha256-%s\'; img-src data:; base-uri \'none\'; '
               'form-action \'none\'">' % script_hash)
    out.append('<meta name="viewport" content="width=device-width, initial-scale=1">'
               '<title>nfdoctor audit: %d host(s), worst %s</title><style>%s</style></head><body>'
               % (summary["hosts_total"], _h(summary["worst_severity"]), _HTML_CSS))
    out.append('<header><h1>nfdoctor netfilter audit</h1><p>Generated %s by nfdoctor.netfilter %s '
               '&middot; report schema %d</p></header><main>'
               % (_h(report.get("generated_at")), _h(report.get("nfdoctor_version")), REPORT_SCHEMA_VERSION))
    # Fleet overview cards.
    cards = [('<div class="card" id="card-hosts"><div class="n">%d</div><div class="l">hosts</div></div>'
              % summary["hosts_total"]),
             ('<div class="card"><div class="n">%d</div><div class="l">audited</div></div>' % len(status["ok"])),
             ('<div class="card"><div class="n problem">%d</div><div class="l">not audited</div></div>'
              % (len(status["failed"]) + len(status["unreachable"])))]
    for sev in reversed(SEVERITIES):
        cards.append('<div class="card sev-%s"><div class="n">%d</div><div class="l">worst %s</div></div>'
                     % (sev, len(summary["hosts_by_worst_severity"][sev]), sev))
    cards.append('<div class="card sev-none"><div class="n" style="color:var(--none)">%d</div>'
                 '<div class="l">hosts clean</div></div>' % len(summary["hosts_by_worst_severity"]["none"]))
    out.append('<section id="overview"><h2>Fleet overview</h2><div class="cards">%s</div></section>' % "".join(cards))
    # Host table.
    out.append('<section><h2>Hosts</h2><table id="hosts"><thead><tr><th>Host</th><th>Status</th><th>Worst</th>'
               '<th class="num">Critical</th><th class="num">High</th><th class="num">Medium</th>'
               '<th class="num">Low</th><th class="num">Info</th><th class="num">Unread</th><th>Kernel / problem</th>'
               '</tr></thead><tbody>')
    for name, entry in ordered:
        counts = _severity_counts(entry)
        worst = _badge(entry["worst_severity"]) if entry["status"] == "ok" else ""
        problem = _h(_kernel_release(entry)) if entry["status"] == "ok" else \
            '<span class="problem">%s</span>' % _h(entry.get("message"))
        out.append('<tr data-host="%s"><td class="hostname"><a href="#%s">%s</a></td><td><span class="badge st-%s">%s</span></td>'
                   '<td>%s</td>%s<td class="num">%d</td><td class="mono">%s</td></tr>'
                   % (_h(name), _anchor(name), _h(name), entry["status"], entry["status"], worst,
                      "".join('<td class="num">%d</td>' % counts[s] for s in reversed(SEVERITIES)),
                      len(entry["errors"]), problem))
    out.append("</tbody></table></section>")
    # All findings, filterable and sortable.
    ids = sorted(summary["findings_by_id"])
    out.append('<section><h2>Findings</h2><div class="filters">'
               '<label>Minimum severity <select id="filter-severity">'
               '<option value="0">all</option>%s</select></label>'
               '<label>Finding <select id="filter-id"><option value="">all IDs</option>%s</select></label>'
               '<label>Search <input type="search" id="filter-text" placeholder="host, title, file..."></label>'
               '<span id="finding-count">%d findings</span></div>'
               % ("".join('<option value="%d">%s and above</option>' % (SEVERITY_RANK[s], s) for s in SEVERITIES),
                  "".join('<option value="%s">%s</option>' % (_h(i), _h(i)) for i in ids),
                  summary["findings_total"]))
    out.append('<table id="findings"><thead><tr>'
               '<th class="sortable" data-key="rank">Severity</th><th class="sortable" data-key="id">Finding</th>'
               '<th class="sortable" data-key="host">Host</th><th class="sortable" data-key="title">Title</th>'
               '</tr></thead><tbody>')
    # Worst first across the whole fleet, so the page opens on what matters most.
    fleet_findings = sorted(((name, f) for name, entry in ordered for f in entry["findings"]),
                            key=lambda nf: (-SEVERITY_RANK[_lenient_severity(nf[1].get("severity"))],
                                            _text(nf[1].get("id")), nf[0]))
    for name, finding in fleet_findings:
        sev = _lenient_severity(finding.get("severity"))
        out.append('<tr class="finding-row" tabindex="0" aria-expanded="false" data-rank="%d" data-id="%s" '
                   'data-host="%s" data-title="%s"><td>%s</td><td><code>%s</code></td>'
                   '<td><a href="#%s">%s</a></td><td>%s</td></tr>'
                   % (SEVERITY_RANK[sev], _h(finding.get("id")), _h(name), _h(finding.get("title")),
                      _badge(sev), _h(finding.get("id")), _anchor(name), _h(name), _h(finding.get("title"))))
        out.append('<tr class="finding-detail" hidden><td colspan="4">%s</td></tr>' % _html_finding_body(finding))
    if not summary["findings_total"]:
        out.append('<tr><td colspan="4">No findings on any audited host.</td></tr>')
    out.append("</tbody></table></section>")
    # Per-host sections.
    out.append("<section><h2>Per host</h2>")
    for name, entry in ordered:
        out.append('<div class="host" id="%s"><h3>%s <span class="badge st-%s">%s</span>%s</h3>'
                   % (_anchor(name), _h(name), entry["status"], entry["status"],
                      _badge(entry["worst_severity"]) if entry["status"] == "ok" else ""))
        if entry["status"] != "ok":
            out.append('<p class="problem">%s</p></div>' % _h(entry.get("message")))
            continue
        out.append(_host_facts_html(entry["facts"] or {}))
        for finding in entry["findings"]:
            out.append('<div class="hf"><h4>%s <code>%s</code> %s</h4>%s</div>'
                       % (_badge(_lenient_severity(finding.get("severity"))), _h(finding.get("id")),
                          _h(finding.get("title")), _html_finding_body(finding)))
        if not entry["findings"]:
            out.append("<p>No findings.</p>")
        if entry["errors"]:
            out.append('<div class="errors"><strong>Could not read %d source(s)</strong> '
                       '(run with become for a complete audit):<ul>%s</ul></div>'
                       % (len(entry["errors"]), "".join("<li><code>%s</code>: %s</li>"
                                                       % (_h(e.get("source")), _h(e.get("message")))
                                                       for e in entry["errors"])))
        out.append("</div>")
    out.append("</section></main><footer>nfdoctor.netfilter %s &middot; JSON with the complete facts: "
               "nfdoctor-report.json</footer>" % _h(report.get("nfdoctor_version")))
    out.append("<script>%s</script></body></html>\n" % _HTML_JS)
    return "".join(out)


# --------------------------------------------------------------------- JUnit
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(value):
    """Text for an XML attribute or element: escaped, characters XML 1.0 forbids removed."""
    text = _XML_ILLEGAL.sub("?", _text(value))
    text = "".join(ch if not (0xD800 <= ord(ch) <= 0xDFFF) else "?" for ch in text)
    return html.escape(text, quote=True)


def report_junit(report, fail_on="medium"):
    """JUnit XML: one test case per host (the audit ran) and one per finding.

    Findings at or above ``fail_on`` are failures; hosts that could not be
    audited are errors; findings below the threshold pass with their detail.
    """
    report = _check_report(report, "report_junit")
    fail_on = "none" if fail_on is None else str(fail_on).lower()
    if fail_on not in FAIL_ON_CHOICES:
        raise AnsibleFilterError("report_junit: fail_on must be one of %s, not %r" % (", ".join(FAIL_ON_CHOICES), fail_on))
    limit = SEVERITY_RANK[fail_on] if fail_on != "none" else 99
    suites = []
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for name, entry in sorted(report["hosts"].items()):
        cases = []
        failures = errors = 0
        if entry["status"] == "ok":
            cases.append('<testcase classname="nfdoctor.%s" name="audit"/>' % _x(name))
        else:
            errors += 1
            cases.append('<testcase classname="nfdoctor.%s" name="audit"><error type="%s" message="%s"/></testcase>'
                         % (_x(name), entry["status"], _x(entry.get("message"))))
        for finding in entry["findings"]:
            sev = _lenient_severity(finding.get("severity"))
            body = "\n".join(x for x in [
                _text(finding.get("detail")),
                "\n".join("evidence: %s:%s %s" % (_text(e.get("file")), _text(e.get("line")), _text(e.get("value")))
                          for e in _list(finding.get("evidence")) if isinstance(e, dict)),
                "remediation: " + _text(finding.get("remediation")) if finding.get("remediation") else ""] if x)
            case_name = "%s [%s]" % (_text(finding.get("id")), sev)
            if SEVERITY_RANK[sev] >= limit:
                failures += 1
                cases.append('<testcase classname="nfdoctor.%s" name="%s"><failure type="%s" message="%s">%s'
                             '</failure></testcase>' % (_x(name), _x(case_name), sev, _x(finding.get("title")), _x(body)))
            else:
                cases.append('<testcase classname="nfdoctor.%s" name="%s"><system-out>%s</system-out></testcase>'
                             % (_x(name), _x(case_name), _x(body)))
        totals["tests"] += len(cases)
        totals["failures"] += failures
        totals["errors"] += errors
        suites.append('  <testsuite name="%s" tests="%d" failures="%d" errors="%d" timestamp="%s">\n    %s\n  </testsuite>'
                      % (_x(name), len(cases), failures, errors, _x(report.get("generated_at")), "\n    ".join(cases)))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="nfdoctor" tests="%d" failures="%d" errors="%d">\n'
            '%s\n</testsuites>\n' % (totals["tests"], totals["failures"], totals["errors"], "\n".join(suites)))


# ---------------------------------------------------------------- Prometheus
def _label(value):
    """A Prometheus label value: backslash, double quote and newline escaped."""
    return _text(value).replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value != value:  # NaN from a corrupt source is not worth exporting
        return None
    return repr(float(value)) if isinstance(value, float) else str(value)


def report_prometheus(report):
    """A node_exporter textfile (Prometheus text format 0.0.4) for the fleet."""
    report = _check_report(report, "report_prometheus")
    families = [
        ("nfdoctor_findings", "Findings per host, ID and severity (value: how many).", []),
        ("nfdoctor_host_worst_severity",
         "Worst finding severity per host: 0 none, 1 info, 2 low, 3 medium, 4 high, 5 critical; -1 not audited.", []),
        ("nfdoctor_host_audit_ok", "1 when the audit of the host ran, 0 when it failed or the host was unreachable.", []),
        ("nfdoctor_host_unread_sources", "Sources the audit could not read on the host.", []),
        ("nfdoctor_conntrack_entries", "Conntrack table entries.", []),
        ("nfdoctor_conntrack_limit", "Conntrack table size (nf_conntrack_max).", []),
        ("nfdoctor_conntrack_fill_ratio", "Conntrack entries divided by nf_conntrack_max.", []),
        ("nfdoctor_conntrack_insert_failed", "Conntrack insert_failed summed over CPUs.", []),
        ("nfdoctor_conntrack_drop", "Conntrack drop summed over CPUs.", []),
    ]
    series = {name: rows for name, _help, rows in families}
    for name, entry in sorted(report["hosts"].items()):
        host = 'host="%s"' % _label(name)
        series["nfdoctor_host_audit_ok"].append("{%s} %d" % (host, 1 if entry["status"] == "ok" else 0))
        if entry["status"] != "ok":
            series["nfdoctor_host_worst_severity"].append("{%s} -1" % host)
            continue
        series["nfdoctor_host_worst_severity"].append("{%s} %d" % (host, SEVERITY_RANK[entry["worst_severity"]]))
        series["nfdoctor_host_unread_sources"].append("{%s} %d" % (host, len(entry["errors"])))
        # The same ID can fire more than once on a host (two blacklist lines); one series per
        # label set is all the format allows, so the value counts them.
        counted = {}
        for finding in entry["findings"]:
            key = (_text(finding.get("id")), _lenient_severity(finding.get("severity")))
            counted[key] = counted.get(key, 0) + 1
        for (fid, sev), count in sorted(counted.items()):
            series["nfdoctor_findings"].append('{%s,id="%s",severity="%s"} %d' % (host, _label(fid), sev, count))
        facts = entry["facts"] or {}
        for metric, path in (("nfdoctor_conntrack_entries", ("conntrack", "count")),
                             ("nfdoctor_conntrack_limit", ("conntrack", "max")),
                             ("nfdoctor_conntrack_fill_ratio", ("conntrack", "fill_ratio")),
                             ("nfdoctor_conntrack_insert_failed", ("conntrack", "stats", "totals", "insert_failed")),
                             ("nfdoctor_conntrack_drop", ("conntrack", "stats", "totals", "drop"))):
            value = _number(_fact(facts, *path))
            if value is not None:
                series[metric].append("{%s} %s" % (host, value))
    lines = []
    for name, help_text, _rows in families:
        lines.append("# HELP %s %s" % (name, help_text))
        lines.append("# TYPE %s gauge" % name)
        lines.extend(name + row for row in series[name])
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ dispatch
REPORT_FILES = {
    "json": "nfdoctor-report.json",
    "markdown": "nfdoctor-report.md",
    "html": "nfdoctor-report.html",
    "junit": "nfdoctor-report.junit.xml",
    "prom": "nfdoctor.prom",
}


def report_json(report):
    """The fleet report as indented JSON (the documented, versioned schema)."""
    report = _check_report(report, "report_json")
    return json.dumps(report, indent=2, sort_keys=False, ensure_ascii=False, default=str) + "\n"


def render_report(report, report_format, junit_fail_on="medium"):
    """One report format by name (json, markdown, html, junit, prom), for a loop over formats."""
    renderers = {
        "json": report_json,
        "markdown": report_markdown,
        "html": report_html,
        "junit": lambda r: report_junit(r, fail_on=junit_fail_on),
        "prom": report_prometheus,
    }
    if report_format not in renderers:
        raise AnsibleFilterError("render_report: unknown report format %r; choose from %s"
                                 % (report_format, ", ".join(sorted(renderers))))
    return renderers[report_format](report)


def report_file_name(report_format):
    """The file name a report format is written to."""
    if report_format not in REPORT_FILES:
        raise AnsibleFilterError("report_file_name: unknown report format %r; choose from %s"
                                 % (report_format, ", ".join(sorted(REPORT_FILES))))
    return REPORT_FILES[report_format]


def stale_report_files(report_formats):
    """File names of the report formats not written this run (an earlier run's leftovers).

    A node_exporter textfile collector keeps serving an old .prom, and a CI job
    keeps reading an old .junit.xml, unless the run that stopped writing them
    removes them.
    """
    wanted = set(report_file_name(f) for f in (report_formats or []))
    return sorted(name for name in REPORT_FILES.values() if name not in wanted)


class FilterModule(object):
    """Fleet report filters for the nfdoctor audit role."""

    def filters(self):
        return {
            "severity_rank": severity_rank,
            "stale_report_files": stale_report_files,
            "worst_severity": worst_severity,
            "findings_at_or_above": findings_at_or_above,
            "fleet_report": fleet_report,
            "fleet_summary_table": fleet_summary_table,
            "report_markdown": report_markdown,
            "report_html": report_html,
            "report_junit": report_junit,
            "report_prometheus": report_prometheus,
            "report_json": report_json,
            "render_report": render_report,
            "report_file_name": report_file_name,
        }
