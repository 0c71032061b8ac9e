# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan the conntrack table size from the audit's facts (runs on the controller).

Used by the role ``nfdoctor.netfilter.conntrack_hygiene``. The fill ratio
that counts as "near full" and the hash size per entry are the audit's own
(module_utils/checks_forwarding.py), so
the finding CONNTRACK_TABLE_NEAR_FULL and the fix that clears it cannot
disagree; the role only passes another threshold when the operator sets one.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math

from ansible.errors import AnsibleFilterError

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks_forwarding import (
    HASH_MAX_PER_BUCKET as HASH_RESIZE_AT,
    INTENDED_PER_BUCKET as ENTRIES_PER_BUCKET,
    NEAR_FULL_RATIO,
)

# nf_conntrack_max is an int sysctl; the kernel refuses more.
MAX_LIMIT_CEILING = 2 ** 31 - 1


def _whole(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def _threshold(value):
    if value is None:
        return NEAR_FULL_RATIO
    try:
        ratio = float(value)
    except (TypeError, ValueError):
        ratio = None
    if isinstance(value, bool) or ratio is None or not (0 < ratio <= 1):
        raise AnsibleFilterError("conntrack_table_plan: fill_threshold=%s must be a fraction above 0 and at most 1 "
                                 "(0.8 = 80 %% full)" % (value,))
    return ratio


def _limit(value):
    limit = _whole(value)
    if limit is None or not (1 <= limit <= MAX_LIMIT_CEILING):
        raise AnsibleFilterError("conntrack_table_plan: max_limit=%s must be a whole number of entries from 1 to %d"
                                 % (value, MAX_LIMIT_CEILING))
    return limit


def conntrack_table_plan(conntrack, fill_threshold=None, max_limit=1048576, raise_max=True):
    """What to do about the table size, from ``facts.conntrack`` (count, max, hashsize).

    Returns ``known`` (False when nf_conntrack is not loaded), ``count``, ``max``,
    ``fill_ratio``, ``threshold``, ``over_threshold``, ``raise``, ``at_limit``,
    ``new_max``, ``hashsize``, ``new_hashsize`` and ``reason``.
    """
    threshold = _threshold(fill_threshold)
    limit = _limit(max_limit)
    conntrack = conntrack if isinstance(conntrack, dict) else {}
    count, current = _whole(conntrack.get("count")), _whole(conntrack.get("max"))
    if count is None or not current:
        return {"known": False, "raise": False, "at_limit": False, "new_hashsize": None,
                "reason": "nf_conntrack is not loaded (no nf_conntrack_count or nf_conntrack_max)"}
    ratio = float(count) / current
    # Twice the current size, or enough to bring the ratio to 80 % of the threshold, whichever is larger.
    wanted = max(current * 2, int(math.ceil(count / (threshold * 0.8))))
    new_max = min(wanted, limit)
    over = ratio > threshold
    hashsize = _whole(conntrack.get("hashsize"))
    final_max = new_max if new_max > current else current
    new_hashsize = None
    if hashsize and final_max / float(hashsize) > HASH_RESIZE_AT:
        new_hashsize = int(math.ceil(final_max / float(ENTRIES_PER_BUCKET)))
    return {
        "known": True,
        "count": count,
        "max": current,
        "fill_ratio": round(ratio, 4),
        "threshold": threshold,
        "over_threshold": over,
        "raise": bool(over and new_max > current and raise_max),
        "at_limit": bool(over and new_max <= current),
        "new_max": final_max,
        "hashsize": hashsize,
        "new_hashsize": new_hashsize,
        "reason": "%d/%d entries (%.1f %%), threshold %.1f %%" % (count, current, ratio * 100, threshold * 100),
    }


LIBERAL_FINDING = "CONNTRACK_INVALID_DROPS"
LIBERAL_FILE = "/proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal"


def conntrack_liberal_plan(facts, enable=False, current=None):
    """Whether to set net.netfilter.nf_conntrack_tcp_be_liberal=1, from the audit's finding.

    ``facts`` is the audit's document (``nfdoctor_facts``) or None when the
    role runs on its own; then ``current`` (the /proc/sys value read by the
    role) decides. The sysctl is set only when ``enable`` (the operator's
    opt-in: it relaxes TCP window tracking for the whole host) and the
    finding's evidence shows be_liberal = 0 (or, without facts, the value
    read is 0). Returns ``apply``, ``wanted`` (the finding asks for it),
    ``current``, ``reason``.
    """
    if not isinstance(enable, bool):
        raise AnsibleFilterError("conntrack_liberal_plan: enable=%r must be true or false" % (enable,))
    finding = None
    if isinstance(facts, dict):
        for item in facts.get("findings") or []:
            if isinstance(item, dict) and item.get("id") == LIBERAL_FINDING and item.get("role"):
                finding = item
                break
        values = [e.get("value") for e in (finding or {}).get("evidence") or []
                  if isinstance(e, dict) and e.get("file") == LIBERAL_FILE]
        current = _whole(values[0]) if values else None
        wanted = finding is not None and current == 0
        why = ("%s: %s" % (LIBERAL_FINDING, finding.get("detail")) if wanted else
               "no %s finding that this role can fix" % LIBERAL_FINDING)
    else:
        current = _whole(current)
        wanted = current == 0
        shown = "not readable (nf_conntrack not loaded?)" if current is None else current
        why = "nf_conntrack_tcp_be_liberal is %s" % (shown,)
    if wanted and not enable:
        why += "; not changed: set nfdoctor_conntrack_hygiene_tcp_be_liberal=true to set it to 1"
    return {"apply": bool(wanted and enable), "wanted": bool(wanted), "current": current, "reason": why}


class FilterModule(object):
    def filters(self):
        return {"conntrack_table_plan": conntrack_table_plan, "conntrack_liberal_plan": conntrack_liberal_plan}
