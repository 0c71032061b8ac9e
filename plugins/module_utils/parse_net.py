# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers of the network state: /proc/net/snmp, ``ip -d link``, ``brctl show``.

Sample input (``/proc/net/snmp``, two lines per protocol)::

    Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ...
    Ip: 1 64 2315 0 12 ...
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import (
    excerpt,
    lazy_compile,
    lines_of,
    to_int,
)


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


# Link kinds `ip -d link` prints on their own detail line (iproute2 ip/iplink_*.c).
LINK_KINDS = frozenset((
    'bridge', 'bond', 'veth', 'vlan', 'vxlan', 'macvlan', 'macvtap', 'ipvlan', 'ipvtap',
    'dummy', 'tun', 'gre', 'gretap', 'ip6gre', 'ip6gretap', 'ipip', 'sit', 'vti', 'vti6',
    'ip6tnl', 'geneve', 'team', 'wireguard', 'openvswitch', 'vrf', 'ifb', 'nlmon', 'ipoib',
    'can', 'vcan', 'vxcan', 'bareudp', 'xfrm', 'hsr', 'macsec', 'erspan', 'ip6erspan',
    'netdevsim', 'batadv', 'amt', 'gtp', 'rmnet', 'virt_wifi', 'nsim', 'tap',
))

_LINK_HEADER_RE = lazy_compile(r'^(?P<index>[0-9]+):\s+(?P<name>[^\s:]+):\s*(?P<rest>.*)$')


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
