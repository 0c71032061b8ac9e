# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as JSON: the document itself, versioned (docs/reports.md)."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils import report_model as rm


def report_json(report):
    """The fleet report as indented JSON (the documented, versioned schema)."""
    report = rm.check_report(report, "report_json")
    return json.dumps(report, indent=2, sort_keys=False, ensure_ascii=False, default=str) + "\n"
