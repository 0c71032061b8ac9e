# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parsers for /proc, /sys and command outputs the netfilter audit reads.

Every function takes text (already decoded by the data source with
``errors="replace"``) and returns plain JSON-able data.  None of them reads a
file, runs a command or raises: lines they cannot understand are skipped and,
where the result has a ``problems`` list, described there.

Sample input (``/proc/modules``)::

    nf_conntrack 139224 7 nf_nat,xt_conntrack, Live 0xffffffffa0470000
    bridge 151336 1 br_netfilter, Live 0xffffffffa0432000

Sample input (``/proc/net/stat/nf_conntrack`` on a 2-CPU 5.15+ kernel)::

    entries  clashres found new invalid ignore delete chainlength insert insert_failed ...
    0000004b  00000000 00000000 00000000 00000011 00000003 00000000 00000000 ...
    0000004b  00000002 00000000 00000000 00000004 00000001 00000000 00000000 ...

>>> parse_proc_modules("nf_nat 26583 1 iptable_nat, Live 0xffffffffa0460000")["modules"]["nf_nat"]["users"]
['iptable_nat']
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re
import shlex

# Python 2 has no builtin name for the text type; the data source hands us
# unicode there and str on Python 3.
try:
    TEXT_TYPES = (str, unicode)  # noqa: F821 (Python 2 only)
except NameError:
    TEXT_TYPES = (str,)

# Longest text we echo back inside a problem message: a corrupt file must not
# blow up the facts document with its own content.
_EXCERPT = 80

_MODULE_NAME_RE = re.compile(r'^[A-Za-z0-9_\-]+$')
# Kernel counters are at most 64-bit: 20 decimal or 16 hex digits.  Longer
# numbers are corruption, and an int of thousands of digits would make the
# JSON encoder raise when the module returns its result.
_DECIMAL_RE = re.compile(r'^[+-]?[0-9]{1,20}$')
_HEX_RE = re.compile(r'^(?:0[xX])?[0-9a-fA-F]{1,16}$')


def as_text(text):
    """Return ``text`` as a text string: '' for None, bytes decoded with replacement.

    Callers are meant to pass text already, but a parser must not raise when a
    caller slips up, so anything else is turned into text rather than rejected.
    """
    if text is None:
        return u''
    if isinstance(text, TEXT_TYPES):
        return text
    if isinstance(text, (bytes, bytearray)):
        return bytes(text).decode('utf-8', 'replace')
    try:
        return u'%s' % (text,)
    except Exception:  # a hostile __str__; there is nothing to parse then
        return u''


def lines_of(text):
    """Return the lines of ``text`` (any line ending) as a list of text strings."""
    return as_text(text).splitlines()


def excerpt(line):
    """Return ``line`` quoted and shortened for a problem message, control characters escaped.

    Not ``repr()``: Python 2 would prefix u'' and the messages must read the
    same on every interpreter.
    """
    line = as_text(line)
    cut = len(line) > _EXCERPT
    escaped = u''.join(u'\\x%02x' % ord(char) if ord(char) < 32 or ord(char) == 127 else char
                       for char in line[:_EXCERPT])
    return u"'%s'%s" % (escaped, u'...' if cut else u'')


def to_int(value, base=10):
    """Return ``value`` as an int, or None when it is not a plain integer.

    Only ASCII digits are accepted (``int()`` would take other Unicode digits,
    and '²' passes ``isdigit()`` but not ``int()``), and at most 64-bit-sized
    ones (20 decimal, 16 hex digits): longer ones give None.
    """
    value = as_text(value).strip()
    if base == 16:
        if not _HEX_RE.match(value):
            return None
    elif not _DECIMAL_RE.match(value):
        return None
    try:
        return int(value, base)
    except (ValueError, OverflowError):
        return None


def module_name(name):
    """Return a module name normalised the way kmod compares them ('-' == '_')."""
    return as_text(name).replace('-', '_')


# --------------------------------------------------------------------------
# Loaded, built-in and available modules
# --------------------------------------------------------------------------

def _users_from_field(field):
    """Return the module names in a users field ('-', 'a,b,', '[permanent],')."""
    if field in ('-', ''):
        return []
    users = []
    for user in field.split(','):
        user = user.strip()
        # "[permanent]" marks a module with init but no exit; it is not a user.
        if user and _MODULE_NAME_RE.match(user):
            users.append(user)
    return users


def parse_proc_modules(text):
    """Parse /proc/modules.

    Returns ``{"modules": {name: {"size": int, "refcount": int|None,
    "users": [str], "state": str|None}}, "problems": [str]}``.  ``refcount`` is
    None when the kernel prints ``-`` (built without CONFIG_MODULE_UNLOAD).
    """
    modules = {}
    problems = []
    for number, line in enumerate(lines_of(text), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 3 or not _MODULE_NAME_RE.match(fields[0]):
            problems.append('line %d: not a /proc/modules entry: %s' % (number, excerpt(line)))
            continue
        size = to_int(fields[1])
        if size is None:
            problems.append('line %d: module size is not a number: %s' % (number, excerpt(line)))
            continue
        refcount = None if fields[2] == '-' else to_int(fields[2])
        if refcount is None and fields[2] != '-':
            problems.append('line %d: module refcount is not a number: %s' % (number, excerpt(line)))
            continue
        users = _users_from_field(fields[3]) if len(fields) > 3 else []
        state = fields[4] if len(fields) > 4 else None
        modules[fields[0]] = {'size': size, 'refcount': refcount, 'users': users, 'state': state}
    return {'modules': modules, 'problems': problems}


def parse_lsmod(text):
    """Parse ``lsmod`` output (the ``Module Size Used by`` table).

    Returns the same shape as :func:`parse_proc_modules`, with ``state`` None
    because lsmod does not print it.
    """
    modules = {}
    problems = []
    for number, line in enumerate(lines_of(text), 1):
        fields = line.split()
        if not fields:
            continue
        if fields[:2] == ['Module', 'Size']:
            continue
        if len(fields) < 3 or not _MODULE_NAME_RE.match(fields[0]):
            problems.append('line %d: not an lsmod entry: %s' % (number, excerpt(line)))
            continue
        size = to_int(fields[1])
        refcount = None if fields[2] == '-' else to_int(fields[2])
        if size is None or (refcount is None and fields[2] != '-'):
            problems.append('line %d: size or use count is not a number: %s' % (number, excerpt(line)))
            continue
        users = _users_from_field(fields[3]) if len(fields) > 3 else []
        modules[fields[0]] = {'size': size, 'refcount': refcount, 'users': users, 'state': None}
    return {'modules': modules, 'problems': problems}


_KO_SUFFIX_RE = re.compile(r'\.ko(?:\.(?:xz|gz|zst|bz2))?$')


def _module_from_path(path):
    """Return the normalised module name of a ``.ko[.xz|.gz|.zst]`` path, or None."""
    path = path.strip()
    if not _KO_SUFFIX_RE.search(path):
        return None
    base = _KO_SUFFIX_RE.sub('', path.rsplit('/', 1)[-1])
    if not base or not _MODULE_NAME_RE.match(base):
        return None
    return module_name(base)


def parse_modules_builtin(text):
    """Parse ``modules.builtin`` (``kernel/net/bridge/bridge.ko`` per line).

    Returns a sorted list of unique module names, ``-`` normalised to ``_``.
    """
    names = set()
    for line in lines_of(text):
        name = _module_from_path(line)
        if name:
            names.add(name)
    return sorted(names)


def parse_modules_dep(text):
    """Parse ``modules.dep`` (``path.ko[.xz]: dependency paths``).

    Returns a sorted list of unique names of the modules the file describes
    (the part before the colon; dependencies have their own lines).
    """
    names = set()
    for line in lines_of(text):
        if ':' not in line:
            continue
        name = _module_from_path(line.split(':', 1)[0])
        if name:
            names.add(name)
    return sorted(names)


# --------------------------------------------------------------------------
# Conntrack statistics
# --------------------------------------------------------------------------

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
            if all(_HEX_RE.match(field) for field in fields):
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


_IDENTIFIER_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')


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


# --------------------------------------------------------------------------
# /proc/net/snmp
# --------------------------------------------------------------------------

def parse_snmp(text):
    """Parse /proc/net/snmp (a header line and a value line per protocol).

    Returns ``{"Ip": {"Forwarding": 1, "InAddrErrors": 0, ...}, "Udp": {...},
    ..., "problems": [str]}``: one dict of int counters per protocol prefix,
    plus the ``problems`` list (no protocol is called that).  A pair whose
    header and value lines differ in length is skipped as a whole.
    """
    result = {}
    problems = []
    pending = None  # (line number, protocol, names) of a header line awaiting its values
    for number, line in enumerate(lines_of(text), 1):
        if not line.strip():
            continue
        if ':' not in line:
            problems.append('line %d: no "Protocol:" prefix: %s' % (number, excerpt(line)))
            continue
        protocol, rest = line.split(':', 1)
        protocol = protocol.strip()
        fields = rest.split()
        if not protocol or protocol == 'problems':
            problems.append('line %d: unusable protocol name: %s' % (number, excerpt(line)))
            continue
        numeric = bool(fields) and all(to_int(field) is not None for field in fields)
        if pending is None or pending[1] != protocol or not numeric:
            if pending is not None:
                problems.append('line %d: %s header without a value line' % (pending[0], pending[1]))
            if numeric:
                problems.append('line %d: %s values without a header line' % (number, protocol))
                pending = None
            else:
                pending = (number, protocol, fields)
            continue
        names = pending[2]
        pending = None
        if len(names) != len(fields):
            problems.append('line %d: %s has %d names but %d values, skipped'
                            % (number, protocol, len(names), len(fields)))
            continue
        counters = result.setdefault(protocol, {})
        for name, field in zip(names, fields):
            counters[name] = to_int(field)
    if pending is not None:
        problems.append('line %d: %s header without a value line' % (pending[0], pending[1]))
    result['problems'] = problems
    return result


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------

# "[<ffffffffa047ea55>] nf_ct_l3proto_try_module_get+0x25/0x50 [nf_conntrack]"
# "[<0>] call_usermodehelper_exec+0x108/0x1a0" (addresses hidden since 4.15)
# "? cleanup_net+0x212/0x320" (a dmesg Call Trace line without the address)
_STACK_FRAME_RE = re.compile(
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
        match = re.match(r'^(\S+)\s*(?:\((.*)\))?', state)
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


# --------------------------------------------------------------------------
# sysctl
# --------------------------------------------------------------------------

def parse_sysctl_value(text):
    """Return the first integer of a /proc/sys value ("1\\n", "32768\\t60999"), or None."""
    fields = as_text(text).split()
    if not fields:
        return None
    return to_int(fields[0])


def parse_sysctl_a(text):
    """Parse ``sysctl -a`` output (``net.ipv4.conf.eth0.forwarding = 1`` per line).

    Returns ``{key: value_str}``; values keep inner whitespace (tabs in
    ``net.ipv4.ip_local_port_range``) but lose the surrounding blanks.
    Error lines (``sysctl: permission denied on key ...``) are skipped.
    Keys appear as sysctl prints them: an interface ``eth0.100`` shows up as
    ``net.ipv4.conf.eth0/100.forwarding``.
    """
    values = {}
    for line in lines_of(text):
        if ' = ' not in line and not line.rstrip().endswith(' ='):
            continue
        key, _sep, value = line.partition(' =')
        key = key.strip()
        if not key or ' ' in key or key.startswith('sysctl:'):
            continue
        values[key] = value.strip()
    return values


# --------------------------------------------------------------------------
# os-release
# --------------------------------------------------------------------------

def _unquote(value):
    """Return a shell-quoted os-release value without its quotes."""
    value = value.strip()
    if not any(char in value for char in '\'"\\#'):
        return value
    try:
        parts = shlex.split(value, comments=True)
    except Exception:  # pylint: disable=broad-except
        # Unbalanced quotes give ValueError; Python 2's shlex can also fail on
        # non-ASCII text.  Strip what looks like quoting rather than fail.
        return value.strip('"\'')
    return u' '.join(parts)


def parse_os_release(text):
    """Parse /etc/os-release (``KEY=value``, shell quoting).

    Returns ``{KEY: value}`` with quotes removed; comments and lines that are
    not assignments are skipped.
    """
    result = {}
    for line in lines_of(text):
        line = line.strip()
        if not line or line.startswith('#') or '=' not in line:
            continue
        key, value = line.split('=', 1)
        if not re.match(r'^[A-Za-z_][A-Za-z0-9_]*$', key):
            continue
        result[key] = _unquote(value)
    return result


# --------------------------------------------------------------------------
# Interfaces and bridges
# --------------------------------------------------------------------------

# Link kinds `ip -d link` prints on their own detail line (iproute2 ip/iplink_*.c).
LINK_KINDS = frozenset((
    'bridge', 'bond', 'veth', 'vlan', 'vxlan', 'macvlan', 'macvtap', 'ipvlan', 'ipvtap',
    'dummy', 'tun', 'gre', 'gretap', 'ip6gre', 'ip6gretap', 'ipip', 'sit', 'vti', 'vti6',
    'ip6tnl', 'geneve', 'team', 'wireguard', 'openvswitch', 'vrf', 'ifb', 'nlmon', 'ipoib',
    'can', 'vcan', 'vxcan', 'bareudp', 'xfrm', 'hsr', 'macsec', 'erspan', 'ip6erspan',
    'netdevsim', 'batadv', 'amt', 'gtp', 'rmnet', 'virt_wifi', 'nsim', 'tap',
))

_LINK_HEADER_RE = re.compile(r'^(?P<index>[0-9]+):\s+(?P<name>[^\s:]+):\s*(?P<rest>.*)$')


def _link_detail_lines(text):
    """Return the logical lines of ``ip link`` output; ``-o`` joins them with backslashes."""
    logical = []
    for line in lines_of(text):
        if _LINK_HEADER_RE.match(line) and '\\' in line:
            logical.extend(line.split('\\'))
        else:
            logical.append(line)
    return logical


def parse_ip_link(text):
    """Parse ``ip -d link show``, ``ip -o -d link`` or ``ip -d address`` output.

    Returns ``{"interfaces": {name: {"master": str|None, "kind": str|None,
    "state": str|None}}, "problems": [str]}``.  Names lose their ``@peer``
    suffix (``veth1@if5`` -> ``veth1``).  ``kind`` comes from the detail line
    of ``-d`` output (``bridge``, ``veth``, ``vlan``...); ``*_slave`` lines
    describe the port, not the kind.  Without ``-d`` the kind stays None.
    """
    interfaces = {}
    problems = []
    current = None
    for number, line in enumerate(_link_detail_lines(text), 1):
        if not line.strip():
            continue
        header = _LINK_HEADER_RE.match(line)
        if header:
            name = header.group('name').split('@', 1)[0]
            if not name:
                problems.append('line %d: interface without a name: %s' % (number, excerpt(line)))
                current = None
                continue
            words = header.group('rest').split()
            entry = {'master': None, 'kind': None, 'state': None}
            for position, word in enumerate(words[:-1]):
                if word == 'master':
                    entry['master'] = words[position + 1]
                elif word == 'state' and entry['state'] is None:
                    entry['state'] = words[position + 1]
            interfaces[name] = entry
            current = entry
            continue
        if not line[:1].isspace():
            problems.append('line %d: not part of an interface block: %s' % (number, excerpt(line)))
            current = None
            continue
        if current is None or current['kind'] is not None:
            continue
        first = line.split()[0]
        if first in LINK_KINDS:
            current['kind'] = first
    return {'interfaces': interfaces, 'problems': problems}


def parse_brctl_show(text):
    """Parse ``brctl show`` output.

    Returns ``{bridge: [ports]}``.  A line with only an interface (indented)
    is one more port of the bridge above it; a bridge without ports maps to [].
    """
    bridges = {}
    current = None
    for line in lines_of(text):
        if not line.strip():
            continue
        fields = line.split()
        if fields[:2] == ['bridge', 'name']:
            continue
        if line[:1].isspace():
            if current is not None and len(fields) == 1:
                bridges[current].append(fields[0])
            continue
        # "br0  8000.525400123456  no  eth0": name, bridge id, STP, first port.
        if len(fields) < 3 or '.' not in fields[1]:
            # brctl's own error lines ("can't get port info: ...") end up in
            # the same capture; they do not end the bridge above them.
            continue
        current = fields[0]
        bridges[current] = fields[3:4]
    return bridges
