# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``iptables_backends`` facts: rules held by iptables-legacy and by iptables-nft.

Called by gather.Gatherer._gather_iptables_backends after the rules section.
Nothing here may load a module: the legacy tools are run only when the kernel
already lists legacy tables (/proc/net/ip_tables_names), the nft ones only
when nf_tables is loaded (the netlink request would load it).
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_iptables_backends import (
    binary_variant,
    count_save_rules,
    iptables_variant,
)

LEGACY_TOOLS = (("ipv4", "iptables-legacy-save"), ("ipv6", "ip6tables-legacy-save"))
NFT_TOOLS = (("ipv4", "iptables-nft-save"), ("ipv6", "ip6tables-nft-save"))


def gather_iptables_backends(gatherer):
    src = gatherer.src
    rules = gatherer.facts.get("netfilter_rules") or {}
    legacy_names = {"ipv4": rules.get("iptables_tables") or [], "ipv6": rules.get("ip6tables_tables") or []}
    # Live, the link behind plain iptables names its variant: no process to start.
    default = binary_variant(src.command_target("iptables"))
    if default is None:
        version = src.command(["iptables", "--version"])
        default = iptables_variant(version) if version else None
    found = {"default": default, "legacy": [], "nft": []}
    for family, tool in LEGACY_TOOLS:
        if legacy_names[family] or src.captured:
            output = src.command([tool])
            if output is not None:
                found["legacy"].append(count_save_rules(output, tool))
    if src.captured or gatherer.module_loaded("nf_tables"):
        for _family, tool in NFT_TOOLS:
            output = src.command([tool])
            if output is not None:
                found["nft"].append(count_save_rules(output, tool))
    found["legacy_tables"] = legacy_names["ipv4"] + ["ip6 " + name for name in legacy_names["ipv6"]]
    return found
