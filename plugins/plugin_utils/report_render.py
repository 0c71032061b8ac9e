# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Report formats by name: which renderer, which file (for the role's loop over formats)."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_html import report_html
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_json import report_json
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_junit import report_junit
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_markdown import report_markdown
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_prometheus import report_prometheus

REPORT_FILES = {
    "json": "nfdoctor-report.json",
    "markdown": "nfdoctor-report.md",
    "html": "nfdoctor-report.html",
    "junit": "nfdoctor-report.junit.xml",
    "prom": "nfdoctor.prom",
}


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
