# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers of the conntrack statistics: /proc/net/stat/nf_conntrack and ``conntrack -S``.

Sample input (``/proc/net/stat/nf_conntrack`` on a 2-CPU 5.15+ kernel)::

    entries  clashres found new invalid ignore delete chainlength insert insert_failed ...
    0000004b  00000000 00000000 00000000 00000011 00000003 00000000 00000000 ...
    0000004b  00000002 00000000 00000000 00000004 00000001 00000000 00000000 ...
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import (
    HEX_RE,
    excerpt,
    lazy_compile,
    lines_of,
    to_int,
)


# Header layouts of /proc/net/stat/nf_conntrack, told apart by the names that
# were added or renamed (docs: research facts, "Kernel facts").
CONNTRACK_STAT_LAYOUTS = (
    ('5.15+', ('clashres', 'chainlength')),
    ('5.10-5.14', ('clashres', 'delete_list')),
    ('2.6.35-5.9', ('searched', 'search_restart')),
    ('<=2.6.34', ('searched',)),
)


def conntrack_stat_layout(columns):
    """Return the kernel range whose /proc/net/stat/nf_conntrack header has ``columns``, or 'unknown'."""
    columns = set(columns)
    for name, required in CONNTRACK_STAT_LAYOUTS:
        if all(column in columns for column in required):
            return name
    return 'unknown'


def parse_conntrack_stat_table(text):
    """Parse /proc/net/stat/nf_conntrack (header line, then one hex row per CPU).

    Returns ``{"columns": [str], "cpus": int, "totals": {column: int},
    "layout": str, "problems": [str]}``.  Columns are matched by header name,
    never by position.  ``entries`` is the global conntrack count repeated on
    every row, so it is reported once (from the first row), not summed; every
    other column is summed over the CPU rows.  ``layout`` names the kernel
    range the header belongs to (see ``CONNTRACK_STAT_LAYOUTS``).
    """
    columns = []
    totals = {}
    problems = []
    cpus = 0
    for number, line in enumerate(lines_of(text), 1):
        fields = line.split()
        if not fields:
            continue
        if not columns:
            if all(HEX_RE.match(field) for field in fields):
                problems.append('line %d: values before the header line: %s' % (number, excerpt(line)))
                continue
            if len(set(fields)) != len(fields):
                problems.append('line %d: header repeats a column name: %s' % (number, excerpt(line)))
                return {'columns': [], 'cpus': 0, 'totals': {}, 'layout': 'unknown', 'problems': problems}
            columns = fields
            continue
        if len(fields) != len(columns):
            problems.append('line %d: %d values for %d columns, row skipped: %s'
                            % (number, len(fields), len(columns), excerpt(line)))
            continue
        values = [to_int(field, 16) for field in fields]
        if None in values:
            problems.append('line %d: value is not hexadecimal, row skipped: %s' % (number, excerpt(line)))
            continue
        cpus += 1
        for column, value in zip(columns, values):
            if column == 'entries':
                totals.setdefault(column, value)
            else:
                totals[column] = totals.get(column, 0) + value
    if not columns:
        problems.append('no header line found')
    elif cpus == 0:
        problems.append('header found but no per-CPU rows')
        # Columns exist but nothing was counted: totals stay empty rather
        # than claiming zero counters the kernel never reported.
    return {'columns': columns, 'cpus': cpus, 'totals': totals,
            'layout': conntrack_stat_layout(columns) if columns else 'unknown',
            'problems': problems}


_IDENTIFIER_RE = lazy_compile(r'^[A-Za-z_][A-Za-z0-9_]*$')


def parse_conntrack_S(text):
    """Parse ``conntrack -S`` output (``cpu=0 found=0 ... insert_failed=0 ...`` per CPU, decimal).

    Returns the shape of :func:`parse_conntrack_stat_table`: ``columns`` in
    order of first appearance (without ``cpu``), ``cpus`` = number of ``cpu=``
    lines understood, ``totals`` summed over them, ``layout`` "conntrack -S".
    A global ``entries=`` value, if a tool version prints one, is reported once.
    """
    columns = []
    totals = {}
    problems = []
    cpus = 0
    for number, line in enumerate(lines_of(text), 1):
        if not line.strip():
            continue
        # Token by token rather than a findall over the line: linear on junk.
        pairs = [tuple(token.split('=', 1)) for token in line.split() if '=' in token]
        pairs = [(key, raw) for key, raw in pairs if _IDENTIFIER_RE.match(key)]
        if not pairs or pairs[0][0] != 'cpu':
            problems.append('line %d: not a "cpu=N key=value ..." line: %s' % (number, excerpt(line)))
            continue
        values = {}
        bad = False
        for key, raw in pairs[1:]:
            value = to_int(raw)
            if value is None:
                bad = True
                break
            values[key] = value
        if bad or to_int(pairs[0][1]) is None:
            problems.append('line %d: value is not a decimal number, line skipped: %s' % (number, excerpt(line)))
            continue
        cpus += 1
        for key, _raw in pairs[1:]:
            if key not in columns:
                columns.append(key)
            if key == 'entries':
                totals.setdefault(key, values[key])
            else:
                totals[key] = totals.get(key, 0) + values[key]
    if cpus == 0:
        problems.append('no "cpu=" lines found')
    return {'columns': columns, 'cpus': cpus, 'totals': totals, 'layout': 'conntrack -S',
            'problems': problems}
