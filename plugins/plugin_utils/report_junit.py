# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JUnit XML from a fleet report, built with xml.etree (which does the escaping)."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re
import xml.etree.ElementTree as ET

from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils import report_model as rm

# XML 1.0 forbids these even escaped; ElementTree would write them and produce a broken file.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value):
    """Text XML 1.0 can hold: forbidden characters (and lone surrogates) replaced by '?'."""
    return _XML_ILLEGAL.sub("?", rm.text(value))


def _finding_body(finding):
    evidence = "\n".join("evidence: %s:%s %s" % (rm.text(e.get("file")), rm.text(e.get("line")), rm.text(e.get("value")))
                         for e in rm.as_list(finding.get("evidence")) if isinstance(e, dict))
    remediation = "remediation: " + rm.text(finding.get("remediation")) if finding.get("remediation") else ""
    return "\n".join(x for x in (rm.text(finding.get("detail")), evidence, remediation) if x)


def report_junit(report, fail_on="medium"):
    """JUnit XML: one test case per host (the audit ran) and one per finding.

    Findings at or above ``fail_on`` are failures; hosts that could not be
    audited are errors; findings below the threshold pass with their detail.
    """
    report = rm.check_report(report, "report_junit")
    fail_on = rm.check_fail_on(fail_on, "report_junit")
    limit = rm.SEVERITY_RANK[fail_on] if fail_on != "none" else None
    root = ET.Element("testsuites", name="nfdoctor")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for name, entry in sorted(report["hosts"].items()):
        classname = xml_text("nfdoctor.%s" % name)
        suite = ET.SubElement(root, "testsuite", name=xml_text(name), timestamp=xml_text(report.get("generated_at")))
        counts = {"tests": 1, "failures": 0, "errors": 0}
        case = ET.SubElement(suite, "testcase", classname=classname, name="audit")
        if entry["status"] != "ok":
            counts["errors"] += 1
            ET.SubElement(case, "error", type=entry["status"], message=xml_text(entry.get("message")))
        for finding in entry["findings"]:
            sev = rm.lenient_severity(finding.get("severity"))
            case = ET.SubElement(suite, "testcase", classname=classname,
                                 name=xml_text("%s [%s]" % (rm.text(finding.get("id")), sev)))
            counts["tests"] += 1
            if limit is not None and rm.SEVERITY_RANK[sev] >= limit:
                counts["failures"] += 1
                failure = ET.SubElement(case, "failure", type=sev, message=xml_text(finding.get("title")))
                failure.text = xml_text(_finding_body(finding))
            else:
                ET.SubElement(case, "system-out").text = xml_text(_finding_body(finding))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key in ("tests", "failures", "errors"):
        root.set(key, str(totals[key]))
    if hasattr(ET, "indent"):  # Python 3.9+: readable in a CI log
        ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
