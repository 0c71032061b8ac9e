# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which iptables backend holds rules: ``iptables --version`` and the ``-save`` output of each backend.

iptables 1.8 ships two backends (``iptables-legacy``: the x_tables tables of
ip_tables.ko, listed in /proc/net/ip_tables_names; ``iptables-nft``: nf_tables
tables named like iptables' own). Both are evaluated by the kernel, each at
its own hooks, so a packet must pass both, and a tool that writes to one
(kube-proxy, dockerd) cannot see the other's rules (kubernetes#71305).
``iptables-nft-save`` prints "# Warning: iptables-legacy tables present, use
iptables-legacy-save to see them" when /proc/net/ip_tables_names is not empty.

Sample input (``iptables --version``)::

    iptables v1.8.9 (nf_tables)
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import as_text

LEGACY_WARNING = "iptables-legacy tables present"
# iptables 1.8 builds one multi-call binary per variant; iptables-nft*,
# iptables-legacy* and the alternatives behind plain iptables are links to it
# (iptables/Makefile.am), and it prints its variant in --version.
MULTI_CALL_VARIANTS = {"xtables-nft-multi": "nf_tables", "xtables-legacy-multi": "legacy"}


def iptables_variant(text):
    """'nf_tables', 'legacy', or None from ``iptables --version`` (1.8+; older ones have no variant)."""
    words = as_text(text).strip().split()
    if len(words) >= 3 and words[0] in ("iptables", "ip6tables"):
        variant = words[2].strip("()")
        if variant in ("nf_tables", "legacy"):
            return variant
    return None


def binary_variant(name):
    """'nf_tables' or 'legacy' for the base name of an iptables 1.8 multi-call binary, else None.

    None for anything else (``xtables-multi`` of 1.4-1.6, a distribution's own
    build): the caller then asks ``iptables --version``.
    """
    return MULTI_CALL_VARIANTS.get(as_text(name).strip()) if name else None


def count_save_rules(text, source):
    """``{"source", "rules", "tables", "first", "legacy_warning"}`` of one ``*-save`` output.

    ``rules`` counts ``-A`` lines; ``tables`` lists the tables that hold at
    least one; ``first`` is the first rule line as ``{"line", "text"}``.
    """
    rules, tables, first, warning = 0, [], None, False
    table = None
    for number, raw in enumerate(as_text(text).splitlines(), 1):
        line = raw.strip()
        if line.startswith("#"):
            warning = warning or LEGACY_WARNING in line
            continue
        if line.startswith("*"):
            table = line[1:].strip()
        elif line.startswith("-A ") or line.startswith("[") and " -A " in line:
            rules += 1
            if table and table not in tables:
                tables.append(table)
            if first is None:
                first = {"line": number, "text": line[:200]}
    return {"source": source, "rules": rules, "tables": tables, "first": first, "legacy_warning": warning}
