# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one severity scale of nfdoctor.

Findings (module_utils/findings.py), the known-bad kernel table, the fleet
report and its renderers (plugin_utils/report_*.py), the filters
(severity_rank, worst_severity, findings_at_or_above) and the roles'
thresholds all take their names and order from here. The ``choices`` of the
severity options in roles/*/meta/argument_specs.yml and plugins/modules/*.py
are YAML and cannot import this module; tests/unit/plugins/module_utils/
test_severity.py fails when one of them differs from the lists below.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

# Lowest to highest: what a finding can be.
SEVERITIES = ("info", "low", "medium", "high", "critical")
# What a threshold or a host's worst severity can be: "none" is below every
# finding (a host without findings; a threshold that never trips).
SEVERITY_CHOICES = ("none",) + SEVERITIES
SEVERITY_RANK = dict((name, rank) for rank, name in enumerate(SEVERITY_CHOICES))


def rank(severity):
    """The rank of a severity name: none 0, info 1 ... critical 5; None for anything else.

    Case-insensitive, because users type thresholds.

    >>> rank("high"), rank("None"), rank("urgent")
    (4, 0, None)
    """
    try:
        return SEVERITY_RANK.get(severity.lower())
    except AttributeError:
        return None


def at_or_above(threshold):
    """The finding severities at or above ``threshold``, lowest first; () for "none".

    >>> at_or_above("high")
    ('high', 'critical')
    """
    limit = rank(threshold)
    if limit is None:
        raise ValueError("%r is not a severity; expected one of %s" % (threshold, ", ".join(SEVERITY_CHOICES)))
    if limit == 0:
        return ()
    return SEVERITIES[limit - 1:]
