# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as one self-contained HTML page (templates/report.html.j2).

Inline CSS and script (templates/report.css, report.js), no external assets:
the page works from a CI artifact, a mail attachment or file://. Jinja2
autoescaping makes every value from a host text; the Content-Security-Policy
allows only the page's own script, by hash, as a second wall.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import hashlib
import posixpath
import re

from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils import report_model as rm
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_templates import environment, static_text

_LINK = re.compile(r"^https?://", re.I)
_FILTERS = {
    "t": rm.text,
    # Only http(s) links are clickable: a javascript: URL from a host must not become a link.
    "is_link": lambda value: bool(_LINK.match(rm.text(value))),
}
_STATIC = {}


def _static():
    """The page's CSS, script and the script's CSP hash, read once per process."""
    if not _STATIC:
        js = static_text("report.js")
        _STATIC.update(css=static_text("report.css"), js=js,
                       script_hash=base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii"))
    return _STATIC


def host_fact_items(facts):
    """(label, value) pairs an operator wants at a glance, from a host's slim facts."""
    items = []
    kernel = rm.fact(facts, "kernel", "release")
    flavour = rm.fact(facts, "kernel", "flavour")
    items.append(("Kernel", "%s%s" % (rm.text(kernel) or "unknown", (" (%s)" % rm.text(flavour)) if flavour else "")))
    pretty = rm.fact(facts, "os", "pretty_name")
    if pretty:
        items.append(("OS", pretty))
    count, limit = rm.fact(facts, "conntrack", "count"), rm.fact(facts, "conntrack", "max")
    ratio = rm.fact(facts, "conntrack", "fill_ratio")
    if count is not None or limit is not None:
        pct = (" (%.1f%%)" % (ratio * 100)) if isinstance(ratio, (int, float)) and not rm.is_nan(ratio) else ""
        items.append(("Conntrack", "%s / %s%s" % (rm.text(count) or "?", rm.text(limit) or "?", pct)))
    insert_failed = rm.fact(facts, "conntrack", "stats", "totals", "insert_failed")
    if insert_failed is not None:
        items.append(("insert_failed", insert_failed))
    fwd = rm.fact(facts, "forwarding", "ipv4")
    if fwd is not None:
        off = sorted(n for n, v in (rm.fact(facts, "forwarding", "interfaces") or {}).items()
                     if isinstance(v, dict) and v.get("ipv4") == 0)
        items.append(("ip_forward", "%s%s" % (fwd, ("; off on " + ", ".join(off)) if off and fwd == 1 else "")))
    bridges = rm.fact(facts, "bridges")
    if isinstance(bridges, dict):
        items.append(("Bridges", ", ".join(sorted(bridges)) or "none"))
    brnf = rm.fact(facts, "br_netfilter", "loaded")
    if brnf is not None:
        items.append(("br_netfilter", "loaded" if brnf else "not loaded"))
    networkd = rm.fact(facts, "networkd", "version")
    if networkd is not None or rm.fact(facts, "networkd", "installed"):
        items.append(("systemd-networkd", networkd if networkd is not None else "installed"))
    namespaces = rm.fact(facts, "namespaces", "count")
    if namespaces is not None:
        items.append(("Network namespaces", namespaces))
    stuck = rm.fact(facts, "processes", "stuck")
    if isinstance(stuck, list):
        items.append(("Stuck processes", len(stuck)))
    if facts.get("captured"):
        # The tree's name, not the controller path it was unpacked to.
        root = rm.text(facts.get("root")).rstrip("/")
        items.append(("Source", "captured tree %s" % (posixpath.basename(root) or root)))
    return items


def _yes_no(value, unknown="not known"):
    return unknown if value is None else ("yes" if value else "no")


def run_items(report):
    """The run context shown in the page header."""
    run = report.get("run") or {}
    summary = report["summary"]
    items = [("check mode", _yes_no(run.get("check_mode"))), ("become", _yes_no(run.get("become"))),
             ("fail_on", rm.text(run.get("fail_on") or summary.get("fail_on")))]
    if run.get("report_formats"):
        items.append(("formats", ", ".join(run["report_formats"])))
    if summary["hosts_with_errors"]:
        items.append(("hosts with unread sources", len(summary["hosts_with_errors"])))
    return items


def report_html(report):
    """The fleet report as one self-contained HTML page (inline CSS and JS, no external assets)."""
    report = rm.check_report(report, "report_html")
    summary = report["summary"]
    hosts = []
    for name, entry in rm.host_order(report):
        view = rm.host_view(name, entry)
        view["fact_items"] = host_fact_items(view["facts"]) if entry["status"] == "ok" else []
        hosts.append(view)
    # Worst first across the whole fleet, so the page opens on what matters most.
    fleet = sorted(((h["name"], h["anchor"], f) for h in hosts for f in h["findings"]),
                   key=lambda item: (-item[2]["rank"], rm.text(item[2]["id"]), item[0]))
    static = _static()
    template = environment("html", _FILTERS).get_template("report.html.j2")
    return template.render(
        report=report, summary=summary, status=summary["hosts_by_status"], schema=rm.REPORT_SCHEMA_VERSION,
        hosts=hosts, fleet_findings=fleet, ids=sorted(summary["findings_by_id"]), run_items=run_items(report),
        severities=rm.SEVERITIES, severities_worst_first=list(reversed(rm.SEVERITIES)), rank=rm.SEVERITY_RANK,
        css=static["css"], js=static["js"], script_hash=static["script_hash"])
