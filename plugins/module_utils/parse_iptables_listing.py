# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parser for ``iptables -t <table> -nvL`` and ``iptables -vnxL`` listings.

sos never runs ``iptables-save``: it writes these listings (sos 3.x plugin
networking, 4.1+ firewall_tables). Rules come back in the shape of
:func:`parse_netfilter_rules.parse_iptables_save`, so ``summarise_rules``
and the checks read both the same way.

Sample input (``iptables -t nat -nvL``)::

    Chain POSTROUTING (policy ACCEPT 10 packets, 600 bytes)
     pkts bytes target     prot opt in     out     source               destination
        0     0 MASQUERADE  all  --  *      !docker0  172.17.0.0/16        0.0.0.0/0

``-nvL`` abbreviates counters (``167M``); ``-vnxL`` prints them exactly.
ip6tables listings have the same columns, with ``opt`` left blank by
older iptables.

>>> parse_iptables_listing("Chain FORWARD (policy DROP 0 packets, 0 bytes)", "filter")["policies"]
{'filter': {'FORWARD': 'DROP'}}
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import excerpt, lazy_compile, lines_of

_CHAIN_RE = lazy_compile(r'^Chain\s+(?P<name>\S+)\s+\((?P<info>[^)]*)\)\s*$')
_POLICY_RE = lazy_compile(r'^policy\s+(?P<policy>\S+)(?:\s+(?P<pkts>\S+)\s+packets,\s+(?P<bytes>\S+)\s+bytes)?')
_COUNT_RE = lazy_compile(r'^(?P<num>[0-9]+)(?P<unit>[KMGTP]?)$')
_UNITS = {'': 1, 'K': 1000, 'M': 1000 ** 2, 'G': 1000 ** 3, 'T': 1000 ** 4, 'P': 1000 ** 5}
# Protocol column: names from /etc/protocols or numbers (iptables 1.8.10 prints "0" for all).
_PROTOCOLS = frozenset(('all', 'tcp', 'udp', 'udplite', 'icmp', 'icmpv6', 'ipv6-icmp', 'esp', 'ah', 'sctp',
                        'gre', 'mh', 'ipv6-mh', 'dccp', 'igmp', 'ipencap', 'ipip', 'ospf', 'pim', 'vrrp'))
_OPTS = frozenset(('--', '-f', '!f'))
# Words the iptables match extensions print in -L output, and the -m module
# each stands for (libxt_*.c print functions).
_MATCH_WORDS = (
    ('ctstate', 'conntrack'), ('ctproto', 'conntrack'), ('ctorigsrc', 'conntrack'), ('ctorigdst', 'conntrack'),
    ('ctreplsrc', 'conntrack'), ('ctrepldst', 'conntrack'), ('ctstatus', 'conntrack'), ('ctexpire', 'conntrack'),
    ('ctdir', 'conntrack'), ('ctorigsrcport', 'conntrack'), ('ctorigdstport', 'conntrack'),
    ('state', 'state'), ('/*', 'comment'), ('ADDRTYPE', 'addrtype'), ('multiport', 'multiport'),
    ('PHYSDEV', 'physdev'), ('match-set', 'set'), ('limit:', 'limit'), ('recent:', 'recent'),
    ('connmark', 'connmark'), ('mark', 'mark'), ('helper', 'helper'), ('socket', 'socket'),
    ('statistic', 'statistic'), ('owner', 'owner'), ('policy', 'policy'), ('MAC', 'mac'),
)
_MATCH_MAP = dict(_MATCH_WORDS)
_PORT_RE = lazy_compile(r'^(?:dpt|spt|dpts|spts|flags|type|code):')


def _count(text):
    match = _COUNT_RE.match(text or '')
    if not match:
        return None
    return int(match.group('num')) * _UNITS[match.group('unit')]


def _is_protocol(token):
    return token.lower() in _PROTOCOLS or (token.isdigit() and len(token) <= 3) or token.startswith('!')


def _matches(extras, protocol):
    """The -m modules a rule's trailing text shows, in order of appearance."""
    found = []

    def add(name):
        if name not in found:
            found.append(name)
    for position, word in enumerate(extras):
        if word == 'state' and position > 0 and extras[position - 1] == 'match':
            continue
        name = _MATCH_MAP.get(word)
        if word == 'mark' and position + 1 < len(extras) and extras[position + 1] != 'match':
            name = None  # "MARK or 0x4000" is the MARK target's text; "mark match" is the match
        if name:
            add(name)
        elif protocol in ('tcp', 'udp', 'icmp', 'sctp', 'udplite') and (word == protocol or _PORT_RE.match(word)):
            add(protocol)  # the protocol match prints its name alone, or its options (dpt:80)
    return found


def _rule(tokens):
    """(packets, bytes, target, protocol, opt, in, out, source, destination, extras) or None."""
    if len(tokens) < 6:
        return None
    packets, nbytes = _count(tokens[0]), _count(tokens[1])
    if packets is None or nbytes is None:
        return None
    rest = tokens[2:]
    # A rule without a target (a counting rule) has an empty target column.
    if _is_protocol(rest[0]) and not _is_protocol(rest[1]):
        target = None
    else:
        target, rest = rest[0], rest[1:]
    protocol, rest = rest[0], rest[1:]
    opt = None
    if rest and rest[0] in _OPTS:
        opt, rest = rest[0], rest[1:]
    if len(rest) < 4:
        return None
    return packets, nbytes, target, protocol, opt, rest[0], rest[1], rest[2], rest[3], rest[4:]


def parse_iptables_listing(text, table, source='iptables -nvL'):
    """Parse one table's ``iptables -nvL`` / ``-vnxL`` listing (also ip6tables).

    Returns ``{"rules": [{"source", "table", "chain", "line", "text",
    "target", "matches", "protocol", "chain_type": None, "packets", "bytes",
    "in", "out", "src", "dst"}], "chains": {table: [chain]}, "policies":
    {table: {chain: policy}}, "problems": [str]}``. ``target`` is None for a
    rule without one; ``matches`` lists the match modules the listing shows
    (``conntrack`` for ``ctstate``, ``state``, ``comment``...); counters are
    ints (``167M`` -> 167000000). Never raises.
    """
    table = table or 'filter'
    rules, chains, policies, problems = [], {table: []}, {table: {}}, []
    chain = None
    for number, raw in enumerate(lines_of(text), 1):
        line = raw.strip()
        if not line:
            continue
        header = _CHAIN_RE.match(line)
        if header:
            chain = header.group('name')
            if chain not in chains[table]:
                chains[table].append(chain)
            policy = _POLICY_RE.match(header.group('info').strip())
            if policy:
                policies[table][chain] = policy.group('policy')
            continue
        fields = line.split()
        if fields[:2] == ['pkts', 'bytes'] or fields[:3] == ['num', 'pkts', 'bytes'] or fields[:1] == ['target']:
            continue
        if chain is None:
            problems.append('line %d: rule before any "Chain" line: %s' % (number, excerpt(line)))
            continue
        parsed = _rule(fields)
        if parsed is None and len(fields) > 1 and fields[0].isdigit():
            parsed = _rule(fields[1:])  # --line-numbers listing
        if parsed is None:
            problems.append('line %d: not a rule: %s' % (number, excerpt(line)))
            continue
        packets, nbytes, target, protocol, _opt, iface_in, iface_out, src, dst, extras = parsed
        rules.append({'source': source, 'table': table, 'chain': chain, 'line': number, 'text': line,
                      'target': target, 'matches': _matches(extras, protocol.lower()), 'protocol': protocol,
                      'chain_type': None, 'packets': packets, 'bytes': nbytes, 'in': iface_in, 'out': iface_out,
                      'src': src, 'dst': dst})
    return {'rules': rules, 'chains': chains, 'policies': policies, 'problems': problems}
