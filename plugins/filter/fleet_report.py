# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet report filters: thin entry points (runs on the controller).

The audit role registers one ``netfilter_facts`` result per host; these
filters turn the results of the whole play into one report document
(``fleet_report``) and render that document as a terminal table, Markdown,
self-contained HTML, JUnit XML and a node_exporter textfile. The code lives
in plugins/plugin_utils: report_model (the document), report_text,
report_markdown, report_html (Jinja2 templates in plugin_utils/templates),
report_junit (xml.etree), report_prometheus, report_json, report_render.

Every string in a report comes from a managed host and is treated as hostile:
each renderer escapes for its own format.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_html import report_html
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_json import report_json
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_junit import report_junit
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_markdown import report_markdown
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_model import (
    REPORT_SCHEMA_VERSION, SEVERITIES, collection_version, findings_at_or_above, fleet_report, severity_rank,
    worst_severity)
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_prometheus import report_prometheus
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_render import (
    REPORT_FILES, render_report, report_file_name, stale_report_files)
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_text import (
    MAX_ERRORS_SHOWN, fleet_summary_table)

__all__ = ["REPORT_FILES", "REPORT_SCHEMA_VERSION", "SEVERITIES", "MAX_ERRORS_SHOWN", "collection_version",
           "FilterModule"]


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
