# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parsers for the process listings and dates a sosreport holds.

sos 3.x copies no /proc/PID/* and 4.2+ copies ``status`` and ``stack`` but
never ``stat``, ``cmdline`` or ``wchan``; the state, wait channel, start time
and command line of every process are in the ``ps axo
flags,state,uid,pid,ppid,pgid,sid,cls,pri[,psr],addr,sz,wchan[:20],lstart,tty,time,cmd``
listing (sos/report/plugins/process.py; ``psr`` from 4.7.1, ``wchan:20``
from 3.9, ``lstart`` from 3.6, ``stime`` in 3.5).

Sample input (sos 4.x, Ubuntu 20.04)::

    F S   UID     PID    PPID    PGID     SID CLS PRI ADDR    SZ WCHAN                                 STARTED TT           TIME CMD
    4 S     0       1       0       1       1  TS  19    - 43796 ep_poll              Wed Feb  9 22:38:08 2022 ?        00:00:38 /sbin/init

>>> parse_ps_axo("F S PID WCHAN STARTED CMD\\n0 D 7 call_usermodehelper_ Wed Feb  9 22:38:08 2022 modprobe nf_nat")[
...     "processes"][0]["wchan"]
'call_usermodehelper_'
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import calendar
import re

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import (
    as_text,
    excerpt,
    lazy_compile,
    lines_of,
    to_int,
)

_MONTHS = dict((name, number) for number, name in enumerate(
    ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'), 1))
_WEEKDAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_CLOCK_RE = lazy_compile(r'^([0-9]{1,2}):([0-9]{2}):([0-9]{2})$')
# Header words whose values are more than one token.
_WIDTH = {'STARTED': 5, 'LSTART': 5}
_INT_COLUMNS = {'UID': 'uid', 'PID': 'pid', 'PPID': 'ppid', 'PGID': 'pgid', 'SID': 'sid', 'SZ': 'sz',
                'PSR': 'psr'}


def parse_lstart(tokens):
    """Seconds since the epoch of ``ps -o lstart`` / ``date`` text, read as UTC; None if malformed.

    ``Wed Feb  9 22:38:08 2022`` and ``Wed Feb 16 14:05:33 UTC 2022``: the
    clock is the host's local time, so only differences between two times
    from the same report mean anything.
    """
    if isinstance(tokens, (list, tuple)):
        words = [as_text(w) for w in tokens if w]
    else:
        words = as_text(tokens).split()
    if words and words[0].rstrip(',') in _WEEKDAYS:
        words = words[1:]
    clock = [w for w in words if _CLOCK_RE.match(w)]
    month = [w for w in words if w[:3] in _MONTHS and not w[:1].isdigit()]
    numbers = [w for w in words if w.isdigit()]
    if len(clock) != 1 or len(month) != 1 or len(numbers) < 2:
        return None
    day, year = to_int(numbers[0]), to_int(numbers[-1])
    hour, minute, second = [int(part) for part in _CLOCK_RE.match(clock[0]).groups()]
    # to_int gives None for a run of more than 20 digits: malformed text, not a crash.
    if day is None or year is None:
        return None
    if not (1 <= day <= 31 and 1970 <= year <= 2200 and hour < 24 and minute < 60 and second < 61):
        return None
    return calendar.timegm((year, _MONTHS[month[0][:3]], day, hour, minute, second, 0, 0, 0))


def parse_ps_axo(text):
    """Parse a ``ps axo ...`` listing whose columns are named in its header line.

    Returns ``{"columns": [str], "processes": [{"pid": int, "ppid": int|None,
    "uid": int|None, "state": str|None, "wchan": str|None, "started": int|None,
    "started_text": str|None, "cmd": str, "comm": str}], "problems": [str]}``.
    ``wchan`` is None for ``-`` (running) and is cut at 20 characters by
    ``wchan:20``; ``started`` is seconds since the epoch of the ``lstart``
    column (see :func:`parse_lstart`), None where the listing has only ``stime``.
    ``comm`` is the kernel thread name (``[kworker/0:1]`` -> ``kworker/0:1``)
    or the command's first word without its directory. Never raises.
    """
    lines = lines_of(text)
    processes, problems, columns = [], [], []
    start = 0
    for index, line in enumerate(lines):
        fields = line.split()
        if fields and ('PID' in fields and fields[-1] in ('CMD', 'COMMAND', 'ARGS')):
            columns, start = fields, index
            break
    if not columns:
        if any(line.strip() for line in lines):
            problems.append('no ps header line with PID and CMD columns')
        return {'columns': [], 'processes': [], 'problems': problems}
    before_cmd = sum(_WIDTH.get(name, 1) for name in columns[:-1])
    for number, line in enumerate(lines[start + 1:], start + 2):
        if not line.strip():
            continue
        fields = line.split(None, before_cmd)
        if len(fields) < before_cmd:
            problems.append('line %d: fewer columns than the header: %s' % (number, excerpt(line)))
            continue
        entry = {'pid': None, 'ppid': None, 'uid': None, 'state': None, 'wchan': None, 'started': None,
                 'started_text': None, 'cmd': fields[before_cmd].strip() if len(fields) > before_cmd else ''}
        position = 0
        for name in columns[:-1]:
            width = _WIDTH.get(name, 1)
            value = fields[position:position + width]
            position += width
            if name in _INT_COLUMNS:
                entry[_INT_COLUMNS[name]] = to_int(value[0])
            elif name in ('S', 'STAT'):
                entry['state'] = value[0][:1]
            elif name == 'WCHAN':
                entry['wchan'] = None if value[0] == '-' else value[0]
            elif name in _WIDTH:
                entry['started_text'] = ' '.join(value)
                entry['started'] = parse_lstart(value)
        if entry['pid'] is None:
            problems.append('line %d: no PID: %s' % (number, excerpt(line)))
            continue
        cmd = entry['cmd']
        if cmd.startswith('[') and cmd.endswith(']'):
            entry['comm'] = cmd[1:-1]
        else:
            first = cmd.split()[0] if cmd.split() else ''
            entry['comm'] = first.rsplit('/', 1)[-1].rstrip(':')
        processes.append(entry)
    return {'columns': columns, 'processes': processes, 'problems': problems}


def parse_ip_netns(text):
    """Names from ``ip netns`` (``name (id: 0)`` or bare ``name`` lines).

    Returns ``{"names": [str], "problems": [str]}``. iproute2's own error
    lines (``Object "netns" is unknown``, which sos's networking plugin
    also skips) are reported as problems, not names.
    """
    names, problems = [], []
    for number, line in enumerate(lines_of(text), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith(('Object "netns" is unknown', 'Error:', 'RTNETLINK', 'Cannot ')):
            problems.append('line %d: ip reported an error: %s' % (number, excerpt(line)))
            continue
        name = line.split()[0]
        if not re.match(r'^[A-Za-z0-9_.:@\-]+$', name) or name in ('.', '..'):
            problems.append('line %d: not a namespace name: %s' % (number, excerpt(line)))
            continue
        if name not in names:
            names.append(name)
    return {'names': names, 'problems': problems}
