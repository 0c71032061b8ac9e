# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The offline audit's batches: many captured trees per module run, and each tree's result back by host.

Used by the audit role's ``audit_trees`` step (playbooks/audit_offline.yml). A
module run per tree pays, for every tree, a worker process, a Python start and
the compilation of the collection's module_utils from source (AnsiballZ ships
no .pyc): about 0.5 s of CPU against 5 ms for the audit of the tree itself
(docs/performance.md). netfilter_facts' ``roots`` audits many trees in one run;
these filters cut the play's hosts into such runs and give each host its own
result again, shaped as its own module run would have registered it, so the
fleet report and the fail gate read batched and per-host audits alike.

- ``tree_batches``: the hosts, in play order, cut into runs of at most ``size``
  trees; hosts whose module options differ (a group with its own
  ``nfdoctor_known_bad_kernels``) never share a run.
- ``tree_batch_results``: the registered loop of those runs back to
  ``{host: result}``; a run that failed as a whole fails each of its trees with
  its message.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# The role option behind each netfilter_facts option a batch shares (root is each tree's own).
SHARED_OPTIONS = (
    ("sample_interval", "nfdoctor_sample_interval"),
    ("timeout", "nfdoctor_command_timeout"),
    ("known_bad_kernels", "nfdoctor_known_bad_kernels"),
)


def _size(size):
    if isinstance(size, bool):
        size = None
    try:
        number = int(size)
    except (TypeError, ValueError):
        number = None
    if number is None or number < 1 or str(size).strip() != str(number):
        raise AnsibleFilterError("nfdoctor_offline_batch_size must be a whole number of trees, 1 or more, not %r"
                                 % (size,))
    return number


def tree_batches(arguments, hosts, size):
    """``[{"hosts": [...], "roots": [...], <shared options>}]``: every host once, in the order of ``hosts``."""
    if not isinstance(arguments, Mapping):
        raise AnsibleFilterError("tree_batches: arguments must be host_arguments' mapping of host name to options")
    if not isinstance(hosts, (list, tuple)) or not all(isinstance(h, str) for h in hosts):
        raise AnsibleFilterError("tree_batches: hosts must be a list of inventory host names (ansible_play_hosts)")
    size = _size(size)
    open_runs = {}
    batches = []
    for host in hosts:
        values = arguments.get(host)
        if not isinstance(values, Mapping) or not values.get("nfdoctor_root"):
            raise AnsibleFilterError("tree_batches: %s has no nfdoctor_root (the tree to audit)" % host)
        shared = dict((option, values.get(variable)) for option, variable in SHARED_OPTIONS)
        key = json.dumps(shared, sort_keys=True, default=str)
        run = open_runs.get(key)
        if run is None or len(run["hosts"]) >= size:
            run = dict(shared, hosts=[], roots=[])
            open_runs[key] = run
            batches.append(run)
        run["hosts"].append(host)
        run["roots"].append(values["nfdoctor_root"])
    return batches


def _one_result(audit):
    """What the tree's own module run would have registered."""
    if not isinstance(audit, Mapping):
        return {"failed": True, "msg": "netfilter_facts returned no result for this tree"}
    result = {"changed": False, "failed": bool(audit.get("failed"))}
    if result["failed"]:
        result["msg"] = audit.get("msg") or "the audit of this tree failed"
    else:
        result["ansible_facts"] = audit.get("ansible_facts")
    return result


def tree_batch_results(registered, hosts):
    """``{host: result}`` for every name in ``hosts`` (None for one no run covered) from the registered loop."""
    if not isinstance(registered, Mapping) or not isinstance(registered.get("results"), list):
        raise AnsibleFilterError("tree_batch_results: expected the registered result of the looped netfilter_facts "
                                 "task (a mapping with 'results')")
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("tree_batch_results: hosts must be a list of inventory host names")
    results = dict((str(h), None) for h in hosts)
    for run in registered["results"]:
        item = run.get("item") if isinstance(run, Mapping) else None
        if not isinstance(item, Mapping) or not isinstance(item.get("hosts"), list):
            raise AnsibleFilterError("tree_batch_results: a run without its batch as 'item' (loop over tree_batches)")
        audits = run.get("audits")
        if isinstance(audits, list) and len(audits) == len(item["hosts"]) and not run.get("failed"):
            for host, audit in zip(item["hosts"], audits):
                results[str(host)] = _one_result(audit)
            continue
        # The run failed as a whole (a bad option, a killed process): each of its trees says so.
        if audits is None:
            returned = "no audits"
        else:
            returned = "%d audits for %d trees" % (len(audits), len(item["hosts"]))
        why = run.get("msg") or "netfilter_facts returned %s" % returned
        failure = {"unreachable": True} if run.get("unreachable") else {"failed": True}
        for host in item["hosts"]:
            results[str(host)] = dict(failure, changed=False,
                                      msg="the module run that audited %d trees with this one failed: %s"
                                          % (len(item["hosts"]), why))
    return results


class FilterModule(object):
    """Batches of captured trees for the offline audit."""

    def filters(self):
        return {
            "tree_batches": tree_batches,
            "tree_batch_results": tree_batch_results,
        }
