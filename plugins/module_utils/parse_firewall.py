# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parsers for what a firewall service restores and what the FORWARD path lets through.

Two questions need them:

* Does the FORWARD path accept a bridge's traffic? With br_netfilter and
  bridge-nf-call-iptables=1 every bridged IPv4 frame traverses FORWARD with
  the bridge as both its in and out device (``-i br0 -o br0``; the ports are
  ``--physdev-in/-out``), so behind a FORWARD policy DROP a bridge is dark
  unless an ACCEPT rule reachable from FORWARD names it.
* Does a firewall reload wipe the chains Docker / kube-proxy created?
  ``flush ruleset`` in /etc/nftables.conf (Debian's default file starts with
  it) deletes every nf_tables table, the ``ip nat``/``ip filter`` tables
  iptables-nft keeps Docker's chains in included; ``iptables-restore``
  without ``--noflush`` (iptables.service, netfilter-persistent) flushes
  every table its file names, so a file without ``:DOCKER`` leaves Docker's
  containers without NAT until dockerd restarts (moby#16137, moby#35043).

Sample input (``/etc/nftables.conf``, Debian 12's default)::

    #!/usr/sbin/nft -f

    flush ruleset

    table inet filter {

>>> parse_nftables_conf("flush ruleset\\ninclude \\"/etc/nftables.d/*.nft\\"\\n", "/etc/nftables.conf")["includes"]
['/etc/nftables.d/*.nft']
>>> nft_forward_policy("table ip filter {\\n chain FORWARD {\\n  type filter hook forward priority filter; policy drop;")
{'policy': 'DROP', 'table': 'ip filter', 'chain': 'FORWARD', 'line': 3}
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fnmatch
import re

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import as_text, excerpt, lazy_compile, lines_of

# Chain name prefixes of the rules dockerd and kube-proxy write (docs.docker.com "Docker with iptables";
# kube-proxy pkg/proxy/iptables/proxier.go).
DOCKER_CHAIN_PREFIX = "DOCKER"
KUBE_CHAIN_PREFIX = "KUBE-"
# Docker 29's nftables firewall backend keeps its rules in tables of its own (docs.docker.com "Docker with
# nftables"); iptables-nft keeps iptables' tables as "ip filter" / "ip nat".
DOCKER_NFT_TABLES = ("ip docker-bridges", "ip6 docker-bridges")
# kube-proxy --proxy-mode=nftables (alpha 1.29, beta 1.31, GA 1.33) writes no KUBE-* chain: everything is in
# one table per family (pkg/proxy/nftables/proxier.go: kubeProxyTable = "kube-proxy", knftables.New(family, ...)).
KUBE_PROXY_NFT_TABLES = ("ip kube-proxy", "ip6 kube-proxy")
IPTABLES_NFT_TABLES = ("ip filter", "ip nat", "ip6 filter", "ip6 nat", "ip mangle", "ip raw")
MAX_CHAIN_NAMES = 20
MAX_ACCEPTS_PER_BRIDGE = 5

_NFT_FORWARD_RE = lazy_compile(r"\btype\s+filter\s+hook\s+forward\b.*?\bpolicy\s+(accept|drop)\b")
_NFT_IFNAME_RE = lazy_compile(r'\b(iifname|oifname|iif|oif)\s+(!=\s*)?"?([A-Za-z0-9_.:@+*-]{1,32})"?')
_INCLUDE_RE = lazy_compile(r'^\s*include\s+"([^"]{1,4096})"')
_FLUSH_RE = lazy_compile(r"^\s*(flush|delete)\s+(ruleset|table)\b(.*)$")


def _strip_comment(line):
    """An nft line without its ``#`` comment (outside double quotes)."""
    quoted = False
    for position, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted:
            return line[:position]
    return line


# --------------------------------------------------------------------------
# nft: the policy of the forward base chain
# --------------------------------------------------------------------------

def nft_forward_policy(text):
    """The first ``ip``/``inet`` base chain hooked at forward with ``policy drop``, else the first at all.

    Returns ``{"policy": "DROP"|"ACCEPT", "table", "chain", "line"}`` or None.
    A packet must pass every base chain of a hook, so one dropping chain is
    enough to drop it; that one is reported before an accepting one.
    """
    found = None
    table = chain = None
    for number, raw in enumerate(lines_of(text), 1):
        line = _strip_comment(raw).strip()
        words = line.split()
        if len(words) >= 3 and words[0] == "table" and line.endswith("{"):
            table = "%s %s" % (words[1], words[2]) if len(words) >= 4 else "ip %s" % words[1]
            continue
        if len(words) >= 2 and words[0] == "chain" and line.endswith("{"):
            chain = words[1]
            continue
        match = _NFT_FORWARD_RE.search(line)
        if match and table and table.split()[0] in ("ip", "inet"):
            item = {"policy": match.group(1).upper(), "table": table, "chain": chain, "line": number}
            if item["policy"] == "DROP":
                return item
            found = found or item
    return found


# --------------------------------------------------------------------------
# FORWARD rules that accept a bridge
# --------------------------------------------------------------------------

def _iptables_interfaces(text):
    """(in, out, physdev_is_bridged) of an iptables-save rule line; '!x' for a negated name."""
    tokens = as_text(text).split()
    found = {"-i": None, "-o": None}
    bridged = False
    for position, token in enumerate(tokens):
        negated = position > 0 and tokens[position - 1] == "!"
        following = tokens[position + 1] if position + 1 < len(tokens) else None
        if token in ("-i", "--in-interface", "-o", "--out-interface") and following:
            key = "-i" if token in ("-i", "--in-interface") else "-o"
            found[key] = ("!" if negated else "") + following
        elif token == "--physdev-is-bridged" and not negated:
            bridged = True
    return found["-i"], found["-o"], bridged


def _listing_iface(value):
    return None if value in (None, "*", "any") else value


def rule_interfaces(rule):
    """``(in, out, physdev_is_bridged)`` of one rule dict from parse_netfilter_rules / parse_iptables_listing.

    ``None`` means any interface; a leading ``!`` a negated one. Never raises.
    """
    if not isinstance(rule, dict):
        return None, None, False
    text = as_text(rule.get("text"))
    if "in" in rule or "out" in rule:  # an iptables -nvL listing: columns, and "PHYSDEV match --physdev-is-bridged"
        return _listing_iface(rule.get("in")), _listing_iface(rule.get("out")), "physdev-is-bridged" in text
    if rule.get("source") == "nft":
        found = {"in": None, "out": None}
        for keyword, negated, name in _NFT_IFNAME_RE.findall(text):
            found["in" if keyword.startswith("i") else "out"] = ("!" if negated else "") + name
        return found["in"], found["out"], "ibrname" in text or "ibriport" in text
    return _iptables_interfaces(text)


def _names(pattern, bridge):
    """True when an interface pattern (iptables '+' wildcard, nft '*') takes ``bridge``; '!x' never does."""
    if pattern is None:
        return True
    if pattern.startswith("!"):
        return not _names(pattern[1:], bridge)
    if pattern.endswith("+") or pattern.endswith("*"):
        return bridge.startswith(pattern[:-1])
    return fnmatch.fnmatchcase(bridge, pattern) if "*" in pattern else pattern == bridge


def _forward_table(rule, drop_table):
    """True for a rule in the table whose FORWARD chain drops (iptables 'filter', or that nft table)."""
    if rule.get("source") == "nft":
        return rule.get("table") == (drop_table or "ip filter")
    return rule.get("table") == "filter"


def _reachable_chains(rules, drop_table):
    """Chains of the dropping table that FORWARD jumps or goes to, directly or through others."""
    jumps = {}
    for rule in rules:
        if isinstance(rule, dict) and _forward_table(rule, drop_table) and rule.get("target"):
            jumps.setdefault(rule.get("chain"), set()).add(rule["target"])
    reached = set()
    todo = [name for name in jumps if name and name.lower() == "forward"]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        todo.extend(target for target in jumps.get(name, ()) if target in jumps)
    return reached


_STATES_RE = lazy_compile(r"(?i)(?:--ctstate|--state|ctstate|\bstate|ct state)\s+\{?\s*([A-Za-z, ]+)")


def _replies_only(text):
    """True for a rule limited to RELATED/ESTABLISHED flows (it accepts replies, never a new flow)."""
    match = _STATES_RE.search(text)
    if not match:
        return False
    states = set(s.strip().upper() for s in re.split(r"[, ]+", match.group(1)) if s.strip())
    states &= set(("NEW", "RELATED", "ESTABLISHED", "INVALID", "UNTRACKED", "SNAT", "DNAT"))
    return bool(states) and not (states & set(("NEW", "UNTRACKED")))


def bridge_forward_accepts(rules, bridges, drop_table=None):
    """``{bridge: [{"source", "table", "chain", "line", "text"}]}``: ACCEPT rules reachable from FORWARD for it.

    A rule accepts a bridge's bridged frames when its ``-i`` and its ``-o``
    each take the bridge or are absent (``--physdev-is-bridged`` rules
    included), and it is not limited to established flows (an
    ``ESTABLISHED,RELATED`` rule passes replies only, so new flows still hit
    the policy). Rules outside the dropping table do not count: every table's
    base chain must accept a packet. At most a few rules per bridge are kept.
    """
    rules = [r for r in rules or [] if isinstance(r, dict)]
    reached = _reachable_chains(rules, drop_table)
    found = {}
    for rule in rules:
        target = as_text(rule.get("target")).upper()
        if target != "ACCEPT" or not _forward_table(rule, drop_table) or rule.get("chain") not in reached:
            continue
        text = as_text(rule.get("text"))
        if _replies_only(text):
            continue
        iface_in, iface_out, _bridged = rule_interfaces(rule)
        for bridge in bridges or []:
            # A bridged frame is in FORWARD with the bridge as both devices ("-A FORWARD -j ACCEPT" takes it too).
            takes = _names(iface_in, bridge) and _names(iface_out, bridge)
            if takes and len(found.setdefault(bridge, [])) < MAX_ACCEPTS_PER_BRIDGE:
                found[bridge].append({"source": rule.get("source"), "table": rule.get("table"),
                                      "chain": rule.get("chain"), "line": rule.get("line"), "text": text[:300]})
    return found


def runtime_chains(rules, nft_tables=(), chains=()):
    """``{"docker": [chain names], "kube": [...], "kube_count", "docker_nft": [tables], "kube_nft": [tables],
    "docker_in_nft", "kube_in_nft"}``.

    Chain names come from where rules live, where they jump, and ``chains``
    (``(source, name)`` of every declared chain, so an empty ``DOCKER`` chain
    counts), so iptables-save, -nvL listings and nft rulesets all give the same
    answer; ``source`` "nft" marks a chain of an nft ruleset.
    """
    docker, kube = set(), set()
    in_nft = {"docker": False, "kube": False}
    for rule in rules or []:
        if not isinstance(rule, dict):
            continue
        for name in (rule.get("chain"), rule.get("target")):
            if not name:
                continue
            kind = "docker" if name.startswith(DOCKER_CHAIN_PREFIX) else \
                "kube" if name.startswith(KUBE_CHAIN_PREFIX) else None
            if kind:
                (docker if kind == "docker" else kube).add(name)
                in_nft[kind] = in_nft[kind] or rule.get("source") == "nft"
    for source, name in chains or ():
        kind = "docker" if as_text(name).startswith(DOCKER_CHAIN_PREFIX) else \
            "kube" if as_text(name).startswith(KUBE_CHAIN_PREFIX) else None
        if kind:
            (docker if kind == "docker" else kube).add(name)
            in_nft[kind] = in_nft[kind] or source == "nft"
    docker_nft = sorted(t for t in nft_tables or () if t in DOCKER_NFT_TABLES)
    kube_nft = sorted(t for t in nft_tables or () if t in KUBE_PROXY_NFT_TABLES)
    return {"docker": sorted(docker)[:MAX_CHAIN_NAMES], "kube": sorted(kube)[:MAX_CHAIN_NAMES],
            "kube_count": len(kube), "docker_nft": docker_nft, "kube_nft": kube_nft,
            # whether those chains live in nf_tables (iptables-nft, or the runtimes' own nft tables): "flush
            # ruleset" deletes them; x_tables (iptables-legacy) chains it does not touch.
            "docker_in_nft": in_nft["docker"] or bool(docker_nft), "kube_in_nft": in_nft["kube"] or bool(kube_nft)}


# --------------------------------------------------------------------------
# What a firewall service restores
# --------------------------------------------------------------------------

def parse_nftables_conf(text, path):
    """``{"flushes": [{"file", "line", "text", "scope"}], "includes": [pattern], "problems": []}``.

    ``scope`` is ``ruleset`` (every table of every family: Docker's and
    kube-proxy's iptables-nft tables included) or the ``family name`` of a
    ``flush table`` / ``delete table`` line. ``includes`` are the quoted
    patterns of ``include`` lines, as nft resolves them (globs allowed).
    """
    result = {"flushes": [], "includes": [], "problems": []}
    for number, raw in enumerate(lines_of(text), 1):
        line = _strip_comment(raw).strip()
        if not line:
            continue
        include = _INCLUDE_RE.match(line)
        if include:
            result["includes"].append(include.group(1))
            continue
        for statement in line.split(";"):
            flush = _FLUSH_RE.match(statement)
            if not flush:
                continue
            if flush.group(2) == "ruleset":
                scope = "ruleset"
                family = flush.group(3).split()
                if family and family[0] in ("ip", "ip6", "inet", "arp", "bridge", "netdev"):
                    scope = "ruleset %s" % family[0]
            else:
                words = flush.group(3).split()
                if not words:
                    result["problems"].append("line %d: %s table without a name: %s" % (
                        number, flush.group(1), excerpt(statement)))
                    continue
                scope = " ".join(words[:2]) if len(words) >= 2 and words[0] in (
                    "ip", "ip6", "inet", "arp", "bridge", "netdev") else "ip %s" % words[0].rstrip("{").strip()
            result["flushes"].append({"file": path, "line": number, "text": statement.strip()[:200],
                                      "scope": scope})
    return result


def flush_hits_iptables_nft(scope):
    """True when a flush of ``scope`` deletes the tables iptables-nft writes Docker's / kube-proxy's rules to."""
    if scope in ("ruleset", "ruleset ip", "ruleset ip6"):
        return True
    return scope in IPTABLES_NFT_TABLES


def parse_restore_file(text, path):
    """What ``iptables-restore FILE`` replaces: ``{"file", "tables", "docker_chains", "kube_chains", "problems"}``.

    Every ``*table`` block is flushed and rebuilt by iptables-restore (without
    ``--noflush``), so Docker's chains in that table survive only when the
    file declares them. ``docker_chains`` / ``kube_chains`` list the declared
    chains of those runtimes.
    """
    tables, docker, kube, problems = [], [], [], []
    table = None
    for number, raw in enumerate(lines_of(text), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            table = line[1:].strip()
            if table and table not in tables:
                tables.append(table)
        elif line.startswith(":") and table:
            name = line[1:].split()[0] if line[1:].split() else ""
            if name.startswith(DOCKER_CHAIN_PREFIX) and name not in docker:
                docker.append(name)
            elif name.startswith(KUBE_CHAIN_PREFIX) and len(kube) < MAX_CHAIN_NAMES:
                kube.append(name)
        elif line == "COMMIT":
            table = None
        elif not (line.startswith("-A ") or line.startswith("-I ") or line.startswith("[") or line.startswith("-N ")):
            problems.append("line %d: not iptables-save format: %s" % (number, excerpt(line)))
    return {"file": path, "tables": tables, "docker_chains": docker[:MAX_CHAIN_NAMES], "kube_chains": kube,
            "problems": problems[:20]}


def parse_unit_file_states(text):
    """``{unit: state}`` from ``systemctl list-unit-files`` (sos: systemctl_list-unit-files)."""
    states = {}
    for line in lines_of(text):
        fields = line.split()
        if len(fields) >= 2 and "." in fields[0] and fields[0] != "UNIT" and \
                re.match(r"^[a-z-]+$", fields[1]):
            states[fields[0]] = fields[1]
    return states


_DOCKER_VERSION_RE = lazy_compile(
    r"(?:Docker version|^\s*Version:)\s*v?([0-9]{1,3})\.([0-9]{1,3})(?:\.([0-9]{1,4}))?", re.M)


def parse_docker_version(text):
    """``[major, minor, patch]`` of the engine from ``dockerd --version`` or sos's ``docker version``, or None.

    ``docker version`` prints the client's Version first and the engine's
    under ``Server:``; the engine's is taken when both are there.
    """
    text = as_text(text)
    server = text.find("Server:")
    for part in ((text[server:],) if server >= 0 else ()) + (text,):
        match = _DOCKER_VERSION_RE.search(part)
        if match:
            return [int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)]
    return None
