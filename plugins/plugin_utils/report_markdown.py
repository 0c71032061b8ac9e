# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as Markdown for tickets (templates/report.md.j2).

The template holds the layout; this module holds the escaping, because
Markdown has no escape function of its own: GFM emphasis, links, code
spans, tables and raw HTML are all neutralised here, and each value from a
host goes through one of the template filters md, md_start, code, code_cell.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils import report_model as rm
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_templates import environment

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Escaped everywhere: emphasis, links, code, tables, strike-through, raw HTML.
_MD_SPECIAL = re.compile(r"([\\`*\[\]|~])")
# Underscores only at word edges: GFM never emphasises inside a word (nf_conntrack_ipv4).
_MD_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# Only at the start of a line do these begin a heading, list, quote or numbered item.
_MD_LINE_START = re.compile(r"^(\s*)(?:([#+\->])|(\d+)([.)]))")


def md_text(value, starts_line=False):
    """Markdown-safe inline text: markup escaped, HTML neutralised, one line, readable as plain text.

    ``starts_line``: the text opens a paragraph, where '#', '-', '1.' ... would start a block.
    """
    out = _CONTROL.sub(" ", rm.text(value))
    out = out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = _MD_SPECIAL.sub(r"\\\1", out)
    out = _MD_EDGE_UNDERSCORE.sub(lambda m: "\\_", out)
    if not starts_line:
        return out
    return _MD_LINE_START.sub(
        lambda m: m.group(1) + ("\\" + m.group(2) if m.group(2) else m.group(3) + "\\" + m.group(4)), out)


def md_code(value, in_table=False):
    """An inline code span that no backtick in the value can close early.

    ``in_table``: GFM splits a table row at every unescaped '|', code spans
    included, and turns '\\|' back into '|' before reading the span.
    """
    out = _CONTROL.sub(" ", rm.text(value))
    if in_table:
        out = out.replace("|", "\\|")
    longest = max([len(run) for run in re.findall(r"`+", out)] or [0])
    fence = "`" * (longest + 1)
    pad = " " if out.startswith("`") or out.endswith("`") or not out else ""
    return "%s%s%s%s%s" % (fence, pad, out, pad, fence)


_FILTERS = {
    "md": md_text,
    "md_start": lambda value: md_text(value, starts_line=True),
    "code": md_code,
    "code_cell": lambda value: md_code(value, in_table=True),
}


def _run_line(run):
    """One sentence about how the audit ran, or '' for a report built without a run context."""
    parts = []
    if run.get("check_mode") is not None:
        parts.append("check mode %s" % ("on" if run["check_mode"] else "off"))
    if run.get("become") is not None:
        parts.append("become %s" % ("yes" if run["become"] else "no"))
    if parts or run.get("fail_on", "none") != "none":
        parts.append("fail_on %s" % md_text(run.get("fail_on", "none")))
    return ("Run: %s." % ", ".join(parts)) if parts else ""


def report_markdown(report):
    """The fleet report as Markdown for tickets."""
    report = rm.check_report(report, "report_markdown")
    summary = report["summary"]
    template = environment("markdown", _FILTERS).get_template("report.md.j2")
    return template.render(report=report, summary=summary, status=summary["hosts_by_status"],
                           run_line=_run_line(report.get("run") or {}),
                           hosts=[rm.host_view(name, entry) for name, entry in rm.host_order(report)])
