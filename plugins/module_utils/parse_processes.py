# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers of a process's /proc files: stack, status, stat.

Sample input (``/proc/PID/stack`` of a modprobe stuck in a module request)::

    [<0>] call_usermodehelper_exec+0x108/0x1a0
    [<0>] __request_module+0x1a5/0x3f0
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import (
    as_text,
    excerpt,
    lazy_compile,
    lines_of,
    to_int,
)


# "[<ffffffffa047ea55>] nf_ct_l3proto_try_module_get+0x25/0x50 [nf_conntrack]"
# "[<0>] call_usermodehelper_exec+0x108/0x1a0" (addresses hidden since 4.15)
# "? cleanup_net+0x212/0x320" (a dmesg Call Trace line without the address)
_STACK_FRAME_RE = lazy_compile(
    r'^\s*(?:\[<(?P<address>[0-9a-fA-F]+)>\]\s*)?'
    r'(?:\?\s+)?'
    r'(?P<symbol>[A-Za-z_.$][A-Za-z0-9_.$]*|0x[0-9a-fA-F]+)'
    r'(?:\+(?P<offset>0x[0-9a-fA-F]+/0x[0-9a-fA-F]+))?'
    r'(?:\s+\[(?P<module>[A-Za-z0-9_\-]+)\])?\s*$')


def parse_proc_stack(text):
    """Parse /proc/PID/stack (old ``[<ffffffff810a44e8>] sym+0x108/0x1a0`` and new ``[<0>] sym+...`` forms).

    Returns ``{"frames": [{"symbol": str, "offset": "0x108/0x1a0"|None,
    "module": str|None, "address": str|None}], "problems": [str]}``, innermost
    frame first.  ``address`` is None when the kernel hides it (``[<0>]``).
    The ``[<ffffffffffffffff>] 0xffffffffffffffff`` end marker of older
    kernels is dropped.  Bare dmesg-style ``sym+0x../0x..`` lines are accepted.
    """
    frames = []
    problems = []
    for number, line in enumerate(lines_of(text), 1):
        if not line.strip():
            continue
        match = _STACK_FRAME_RE.match(line)
        if not match:
            problems.append('line %d: not a stack frame: %s' % (number, excerpt(line)))
            continue
        symbol = match.group('symbol')
        if symbol.startswith('0x'):
            # Old kernels end the stack with the ULONG_MAX marker; any other
            # bare address is a frame the kernel could not name.
            if symbol.lower() == '0xffffffffffffffff':
                continue
        if match.group('address') is None and match.group('offset') is None and not symbol.startswith('0x'):
            # A lone word is not a frame: the kernel always prints sym+off/len.
            problems.append('line %d: not a stack frame: %s' % (number, excerpt(line)))
            continue
        address = match.group('address')
        if address is not None and to_int(address, 16) == 0:
            address = None
        frames.append({'symbol': symbol, 'offset': match.group('offset'),
                       'module': match.group('module'), 'address': address})
    return {'frames': frames, 'problems': problems}


# 'State:\tD (disk sleep)' in /proc/PID/status: the state letter and its description.
_STATE_RE = lazy_compile(r'^(\S+)\s*(?:\((.*)\))?')
_INT_STATUS_KEYS = ('Pid', 'PPid', 'Tgid', 'TracerPid', 'Threads', 'NSpid', 'Ngid')


def parse_proc_status(text):
    """Parse /proc/PID/status (``Key:\\tvalue`` lines).

    Returns a dict of every key with its value as a stripped string, except
    ``Pid``, ``PPid``, ``Tgid``, ``TracerPid``, ``Threads``, ``Ngid`` and
    ``NSpid`` (its first number), which are ints (None when not a number).
    ``State`` is the letter ("D") and ``State_text`` the word in parentheses
    ("disk sleep"), None when absent.
    """
    status = {}
    for line in lines_of(text):
        if ':' not in line:
            continue
        key, value = line.split(':', 1)
        key = key.strip()
        if not key or key in status:
            continue
        status[key] = value.strip()
    for key in _INT_STATUS_KEYS:
        if key in status:
            fields = status[key].split()
            status[key] = to_int(fields[0]) if fields else None
    if 'State' in status:
        state = status['State']
        match = _STATE_RE.match(state)
        status['State'] = match.group(1) if match else None
        status['State_text'] = match.group(2) if match else None
    return status


def parse_proc_pid_stat(text):
    """Parse /proc/PID/stat.

    Returns ``{"pid": int|None, "comm": str|None, "state": str|None,
    "ppid": int|None, "utime": int|None, "stime": int|None,
    "starttime": int|None}`` (times in clock ticks; ``starttime`` counts
    from boot).  ``comm`` may hold spaces and parentheses, so the line is split at
    the last ``)``; fields that are missing or malformed are None.
    """
    result = {'pid': None, 'comm': None, 'state': None, 'ppid': None, 'utime': None, 'stime': None,
              'starttime': None}
    text = as_text(text).strip()
    open_paren = text.find('(')
    close_paren = text.rfind(')')
    if open_paren < 0 or close_paren < open_paren:
        return result
    result['pid'] = to_int(text[:open_paren])
    result['comm'] = text[open_paren + 1:close_paren]
    rest = text[close_paren + 1:].split()
    # Field numbers from proc(5): state is 3, ppid 4, utime 14, stime 15.
    if len(rest) > 0:
        result['state'] = rest[0]
    if len(rest) > 1:
        result['ppid'] = to_int(rest[1])
    if len(rest) > 12:
        result['utime'] = to_int(rest[11])
        result['stime'] = to_int(rest[12])
    if len(rest) > 19:
        result['starttime'] = to_int(rest[19])  # field 22
    return result
