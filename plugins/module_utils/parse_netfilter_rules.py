# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parsers for netfilter rule sets: ``iptables-save`` and ``nft list ruleset``.

The audit needs to know whether NFQUEUE (or QUEUE) targets, NAT and conntrack
matches are in use, because they decide how dangerous a kernel bug or a
blacklisted conntrack module is.  Both parsers return rules in one shape so
:func:`summarise_rules` can judge them together.

Sample input (``iptables-save``)::

    *mangle
    :PREROUTING ACCEPT [0:0]
    -A PREROUTING -p tcp -m tcp --dport 80 -j NFQUEUE --queue-num 0
    COMMIT

Sample input (``nft list ruleset``)::

    table ip nat {
        chain POSTROUTING {
            type nat hook postrouting priority srcnat; policy accept;
            oifname "eth0" masquerade
        }
    }
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import shlex

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import excerpt, lazy_compile, lines_of

# iptables targets that hand packets to userspace through nf_queue (QUEUE is
# the pre-2.6.14 ip_queue form, which takes the same kernel path).
QUEUE_TARGETS = ('NFQUEUE', 'QUEUE')
NAT_TARGETS = ('SNAT', 'DNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP')
CONNTRACK_MATCHES = ('conntrack', 'state')

# nft statements that end a rule's processing or act on the packet, as the
# iptables target would; the first one in a rule is reported as its target.
NFT_VERDICTS = ('accept', 'drop', 'reject', 'queue', 'masquerade', 'snat', 'dnat', 'redirect',
                'return', 'continue', 'jump', 'goto', 'notrack', 'tproxy', 'synproxy', 'fwd', 'dup')
NFT_NAT_VERDICTS = ('snat', 'dnat', 'masquerade', 'redirect')
# nft selectors mapped to the iptables match module that does the same job.
NFT_CT_MATCHES = {'state': 'conntrack', 'status': 'conntrack', 'direction': 'conntrack',
                  'expiration': 'conntrack', 'original': 'conntrack', 'reply': 'conntrack',
                  'mark': 'connmark', 'count': 'connlimit', 'helper': 'helper', 'label': 'connlabel',
                  'zone': 'conntrack', 'bytes': 'connbytes', 'packets': 'connbytes', 'avgpkt': 'connbytes'}
NFT_SIMPLE_MATCHES = {'limit': 'limit', 'fib': 'fib', 'socket': 'socket', 'osf': 'osf',
                      'rt': 'rt', 'ipsec': 'policy', 'numgen': 'statistic', 'quota': 'quota'}


def _tokens(line):
    """Split a rule line like a shell would (quoted comments stay one token).

    Falls back to whitespace splitting when the quoting is broken (or, on
    Python 2, when shlex cannot handle the text).
    """
    try:
        return shlex.split(line)
    except Exception:  # pylint: disable=broad-except
        return line.split()


# --------------------------------------------------------------------------
# iptables-save
# --------------------------------------------------------------------------

_COUNTERS_RE = lazy_compile(r'^\[(?P<packets>[0-9]+):(?P<bytes>[0-9]+)\]\s+')


def _iptables_rule(tokens):
    """Return (target, matches, protocol) of the tokens after ``-A CHAIN``."""
    target = None
    matches = []
    protocol = None
    negate = False
    for position, token in enumerate(tokens):
        following = tokens[position + 1] if position + 1 < len(tokens) else None
        if token == '!':
            negate = True
            continue
        if token in ('-j', '--jump', '-g', '--goto') and following is not None and target is None:
            target = following
        elif token in ('-m', '--match') and following is not None:
            if following not in matches:
                matches.append(following)
        elif token in ('-p', '--protocol') and following is not None:
            if following == '!':
                # Old iptables wrote "-p ! tcp"; newer "! -p tcp".
                following = tokens[position + 2] if position + 2 < len(tokens) else None
                negate = True
            if following is not None:
                protocol = ('!' + following) if negate else following
        negate = False
    return target, matches, protocol


def parse_iptables_save(text, source='iptables-save'):
    """Parse ``iptables-save`` (or ``ip6tables-save``) output.

    Returns ``{"rules": [{"source": str, "table": str, "chain": str,
    "line": int, "text": str, "target": str|None, "matches": [str],
    "protocol": str|None, "chain_type": None}], "chains": {table: [chain]},
    "problems": [str]}``.  ``matches`` lists the ``-m`` modules in order;
    ``protocol`` is the ``-p`` value, prefixed by ``!`` when negated;
    ``text`` is the rule as written, without ``-c``/``[pkts:bytes]`` counters;
    with them (``iptables-save -c``) the rule also has ``packets`` and ``bytes``.
    """
    rules = []
    chains = {}
    problems = []
    table = None
    for number, raw in enumerate(lines_of(text), 1):
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        if line.startswith('*'):
            table = line[1:].strip() or None
            if table is None:
                problems.append('line %d: table line without a name' % number)
            else:
                chains.setdefault(table, [])
            continue
        if line == 'COMMIT':
            table = None
            continue
        if table is None:
            problems.append('line %d: outside a *table ... COMMIT block: %s' % (number, excerpt(line)))
            continue
        if line.startswith(':'):
            fields = line[1:].split()
            if not fields:
                problems.append('line %d: chain line without a name' % number)
            elif fields[0] not in chains[table]:
                chains[table].append(fields[0])
            continue
        counters = _COUNTERS_RE.match(line)
        line = _COUNTERS_RE.sub('', line)
        tokens = _tokens(line)
        if len(tokens) < 2 or tokens[0] not in ('-A', '--append', '-I', '--insert'):
            problems.append('line %d: not a rule: %s' % (number, excerpt(line)))
            continue
        chain = tokens[1]
        if chain not in chains[table]:
            # iptables-save declares every chain first; a rule in an
            # undeclared one means a hand-edited or truncated file.
            problems.append('line %d: chain %s not declared in table %s' % (number, chain, table))
            chains[table].append(chain)
        target, matches, protocol = _iptables_rule(tokens[2:])
        rule = {'source': source, 'table': table, 'chain': chain, 'line': number, 'text': line,
                'target': target, 'matches': matches, 'protocol': protocol, 'chain_type': None}
        if counters:
            rule['packets'] = int(counters.group('packets'))
            rule['bytes'] = int(counters.group('bytes'))
        rules.append(rule)
    if table is not None:
        problems.append('table %s has no COMMIT line (truncated output?)' % table)
    return {'rules': rules, 'chains': chains, 'problems': problems}


# --------------------------------------------------------------------------
# nft list ruleset
# --------------------------------------------------------------------------

_NFT_HANDLE_RE = lazy_compile(r'#\s*handle\s+[0-9]+\s*$')
_NFT_CHAIN_TYPE_RE = lazy_compile(r'^type\s+(\S+)\s+hook\s+')


def _strip_handle(line):
    """Drop the ``# handle N`` comment ``nft -a`` appends (found from the right, in linear time)."""
    hash_at = line.rfind('#')
    if hash_at >= 0 and _NFT_HANDLE_RE.match(line, hash_at):
        return line[:hash_at]
    return line


def _brace_balance(line):
    """Return opening minus closing braces outside double-quoted strings."""
    balance = 0
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == '{':
            balance += 1
        elif not quoted and char == '}':
            balance -= 1
    return balance


def _nft_rule(tokens):
    """Return (target, matches, protocol) of an nft rule's tokens."""
    target = None
    matches = []
    protocol = None

    def add(name):
        if name not in matches:
            matches.append(name)

    for position, token in enumerate(tokens):
        following = tokens[position + 1] if position + 1 < len(tokens) else None
        if token == 'xt' and following in ('target', 'match') and position + 2 < len(tokens):
            # iptables-nft rules nft cannot translate: xt target "NFQUEUE".
            name = tokens[position + 2]
            if following == 'target' and target is None:
                target = name
            elif following == 'match':
                add(name)
            continue
        if token == 'ct' and following in NFT_CT_MATCHES:
            # "ct mark set 1" is a statement, not a match.
            if not (position + 2 < len(tokens) and tokens[position + 2] == 'set'):
                add(NFT_CT_MATCHES[following])
            continue
        if token in NFT_SIMPLE_MATCHES and (position == 0 or tokens[position - 1] not in ('ct', 'meta')):
            add(NFT_SIMPLE_MATCHES[token])
        elif token == 'meta' and following == 'mark' and not (position + 2 < len(tokens) and tokens[position + 2] == 'set'):
            add('mark')
        elif token == 'comment' and position > 0:
            add('comment')
        elif token.startswith('@') and len(token) > 1:
            add('set')
        # Words after the verdict ("reject with icmp type ...") are its
        # arguments, not what the rule matches.
        if protocol is None and target is None:
            if token in ('tcp', 'udp', 'sctp', 'dccp', 'udplite', 'icmp', 'icmpv6') and following is not None:
                protocol = token
            elif token == 'l4proto' and following is not None and following not in ('{',):
                protocol = following
            elif token == 'protocol' and position > 0 and tokens[position - 1] == 'ip' and following is not None:
                protocol = following
        if target is None and token in NFT_VERDICTS:
            if token in ('jump', 'goto'):
                target = following
            else:
                target = token
    return target, matches, protocol


def parse_nft_ruleset(text):
    """Parse ``nft list ruleset`` output.

    Returns the shape of :func:`parse_iptables_save` with ``source`` "nft",
    ``table`` as ``"family name"`` (``"inet filter"``, ``"ip nat"``) and
    ``chain_type`` the base chain's type (``filter``, ``nat``, ``route``) or
    None for a regular chain.  ``target`` is the first verdict or action
    statement (``accept``, ``queue``, ``masquerade``, ``snat``...; the chain
    name for ``jump``/``goto``; the target name of ``xt target "X"``).
    ``matches`` names the iptables modules that do the same job (``ct state``
    -> ``conntrack``, ``ct mark`` -> ``connmark``, ``limit`` -> ``limit``).
    Sets, maps, flowtables and other objects are skipped.
    """
    rules = []
    chains = {}
    problems = []
    table = None
    chain = None
    chain_type = None
    skip_depth = 0        # >0 while inside a set/map/flowtable/object body
    pending = None        # (line number, text) of a rule continued on the next line
    for number, raw in enumerate(lines_of(text), 1):
        line = _strip_handle(raw).strip()
        if pending is not None:
            line = pending[1] + ' ' + line
            number = pending[0]
            pending = None
        if not line or line.startswith('#'):
            continue
        if skip_depth:
            skip_depth += _brace_balance(line)
            if skip_depth < 0:
                skip_depth = 0
            continue
        if table is None:
            fields = line.split()
            if fields[0] == 'table' and len(fields) >= 3 and line.endswith('{'):
                if len(fields) == 3:
                    # "table filter {" (no family) is the ip family.
                    table = 'ip %s' % fields[1]
                else:
                    table = '%s %s' % (fields[1], fields[2])
                chains.setdefault(table, [])
            else:
                problems.append('line %d: outside a table block: %s' % (number, excerpt(line)))
            continue
        if chain is None:
            fields = line.split()
            if line == '}':
                table = None
            elif fields[0] == 'chain' and len(fields) >= 2 and line.endswith('{'):
                chain = fields[1]
                chain_type = None
                if chain not in chains[table]:
                    chains[table].append(chain)
            elif line.endswith('{'):
                # set, map, flowtable, counter, quota, ct helper, ... bodies.
                skip_depth = _brace_balance(line)
            elif fields[0] in ('flags', 'comment'):
                continue
            else:
                problems.append('line %d: unexpected line in table %s: %s' % (number, table, excerpt(line)))
            continue
        if line == '}':
            chain = None
            continue
        balance = _brace_balance(line)
        if balance > 0:
            # An anonymous set or verdict map printed over several lines.
            pending = (number, line)
            continue
        type_match = _NFT_CHAIN_TYPE_RE.match(line)
        if type_match:
            chain_type = type_match.group(1)
            continue
        if line.startswith('policy ') or line.startswith('comment ') or line.startswith('devices '):
            continue
        tokens = _tokens(line)
        target, matches, protocol = _nft_rule(tokens)
        rules.append({'source': 'nft', 'table': table, 'chain': chain, 'line': number, 'text': line,
                      'target': target, 'matches': matches, 'protocol': protocol, 'chain_type': chain_type})
    if pending is not None:
        problems.append('line %d: rule never closes its braces: %s' % (pending[0], excerpt(pending[1])))
    if chain is not None or table is not None:
        problems.append('ruleset ends inside %s (truncated output?)' % ('chain %s' % chain if chain else 'table %s' % table))
    return {'rules': rules, 'chains': chains, 'problems': problems}


# --------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------

def _is_queue_rule(rule):
    target = rule.get('target')
    if rule.get('source') == 'nft':
        return target in ('queue', 'NFQUEUE', 'QUEUE')
    return target in QUEUE_TARGETS


def _is_nat_rule(rule):
    target = rule.get('target')
    if rule.get('source') == 'nft':
        return rule.get('chain_type') == 'nat' or target in NFT_NAT_VERDICTS or target in NAT_TARGETS
    table = rule.get('table')
    return table == 'nat' or target in NAT_TARGETS


# A conntrack state list naming INVALID, not negated: "--ctstate INVALID" (iptables-save),
# "ctstate INVALID" / "state INVALID" (-nvL listings), "ct state invalid" (nft).
_INVALID_STATE_RE = lazy_compile(r'(?:^|\s)(?<!!\s)(?:--ctstate|--state|ctstate|state)\s+(?:\S*,)?INVALID(?:,|\s|$)')
_NFT_INVALID_RE = lazy_compile(r'(?:^|\s)ct\s+state\s+(?:\{\s*)?(?:[a-z]+\s*,\s*)*invalid\b')
_NFT_COUNTER_RE = lazy_compile(r'\bcounter\s+packets\s+(?P<packets>[0-9]+)\s+bytes\s+(?P<bytes>[0-9]+)')


def _drops_invalid(rule):
    """True for a rule that drops packets conntrack calls INVALID (kube-proxy's KUBE-FORWARD rule and the like)."""
    text = rule.get('text') or ''
    if not hasattr(text, 'strip'):
        return False
    if rule.get('source') == 'nft':
        return rule.get('target') == 'drop' and bool(_NFT_INVALID_RE.search(text))
    return rule.get('target') == 'DROP' and bool(_INVALID_STATE_RE.search(text))


def rule_packets(rule):
    """The packet counter of a rule (``iptables-save -c``, ``-nvL``, nft ``counter``), or None when not shown."""
    packets = rule.get('packets')
    if isinstance(packets, int) and not isinstance(packets, bool):
        return packets
    if rule.get('source') == 'nft':
        text = rule.get('text') or ''
        found = _NFT_COUNTER_RE.search(text) if hasattr(text, 'strip') else None
        if found:
            return int(found.group('packets'))
    return None


def summarise_rules(rules):
    """Summarise rules from :func:`parse_iptables_save` and :func:`parse_nft_ruleset`.

    Returns ``{"nfqueue": [rule dicts whose target is NFQUEUE/QUEUE or nft
    queue], "nat_in_use": bool, "masquerade_in_use": bool,
    "conntrack_match_in_use": bool, "rule_count": int}``.  NAT is in use when
    a rule sits in an iptables ``nat`` table or an nft chain of type nat, or
    its target is SNAT/DNAT/MASQUERADE/REDIRECT/NETMAP (nft: snat, dnat,
    masquerade, redirect).  Conntrack matching means ``-m conntrack``,
    ``-m state`` or an nft ``ct state``/``ct status``-style expression.
    ``ct_invalid_drop`` lists the rules that drop conntrack INVALID packets
    (``-m conntrack --ctstate INVALID -j DROP``, nft ``ct state invalid
    drop``) as ``{source, table, chain, line, text, packets}``, ``packets``
    None when the listing shows no counter. Items that are not rule dicts are
    ignored.
    """
    summary = {'nfqueue': [], 'nat_in_use': False, 'masquerade_in_use': False,
               'conntrack_match_in_use': False, 'rule_count': 0, 'ct_invalid_drop': []}
    if not isinstance(rules, (list, tuple)):
        return summary
    for rule in rules:
        if not isinstance(rule, dict):
            continue
        summary['rule_count'] += 1
        if _is_queue_rule(rule):
            summary['nfqueue'].append(rule)
        if _is_nat_rule(rule):
            summary['nat_in_use'] = True
        if rule.get('target') in ('MASQUERADE', 'masquerade'):
            summary['masquerade_in_use'] = True
        matches = rule.get('matches') or []
        if isinstance(matches, (list, tuple)) and any(match in CONNTRACK_MATCHES for match in matches):
            summary['conntrack_match_in_use'] = True
        if _drops_invalid(rule):
            summary['ct_invalid_drop'].append(dict(
                [(key, rule.get(key)) for key in ('source', 'table', 'chain', 'line', 'text')],
                packets=rule_packets(rule)))
    return summary
