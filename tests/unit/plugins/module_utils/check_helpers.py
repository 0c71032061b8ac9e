"""Helpers the check and layout tests share (a module beside them: pytest puts this directory on sys.path)."""
import os

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks


def write(root, path, text):
    """Write ``text`` to the host path ``path`` of the tree ``root``, making its directories."""
    full = os.path.join(root, path.lstrip("/"))
    if not os.path.isdir(os.path.dirname(full)):
        os.makedirs(os.path.dirname(full))
    with open(full, "w") as handle:
        handle.write(text)


def found(facts, finding_id):
    """The findings of ``finding_id`` that the checks make of ``facts``."""
    return [f for f in run_checks(facts) if f["id"] == finding_id]


def only(facts, finding_id):
    """The one finding of ``finding_id``; fails when there are none or several."""
    hits = found(facts, finding_id)
    assert len(hits) == 1, hits
    return hits[0]
