"""netfilter_facts roots=: many captured trees in one module run, each audited as root= audits it.

The trees are the seed incident trees of tests/integration/trees (their README says where each came from).
"""
import os

import pytest
from module_runner import run_main

from ansible_collections.nfdoctor.netfilter.plugins.modules import netfilter_facts

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
TREES_DIR = os.path.join(REPO, "tests", "integration", "trees")
TREES = sorted(os.path.join(TREES_DIR, name) for name in os.listdir(TREES_DIR)
               if os.path.isdir(os.path.join(TREES_DIR, name)))


def without_clock(facts):
    """A facts document without the one value that differs between two runs of the same tree."""
    return dict(facts, gathered_at=None)


def test_each_tree_gets_what_root_gives_it_in_order(capsys):
    batch = run_main(capsys, netfilter_facts, {"roots": TREES})
    assert batch["rc"] == 0 and batch["changed"] is False
    assert "ansible_facts" not in batch
    assert [entry["root"] for entry in batch["audits"]] == TREES
    seen = set()
    for tree, entry in zip(TREES, batch["audits"]):
        single = run_main(capsys, netfilter_facts, {"root": tree})
        assert single["rc"] == 0
        assert entry["failed"] is False and "msg" not in entry
        assert without_clock(entry["ansible_facts"]["nfdoctor"]) == without_clock(single["ansible_facts"]["nfdoctor"])
        seen.update(f["id"] for f in entry["ansible_facts"]["nfdoctor"]["findings"])
    # Not an empty comparison: the seeds' incidents are there.
    assert {"CONNTRACK_MODULE_DISABLED", "NFQUEUE_GSO_CRASH_RISK"} <= seen, seen


def test_a_tree_that_cannot_be_audited_fails_alone(capsys, tmp_path):
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("not a tree\n")
    roots = [str(tmp_path / "missing"), TREES[0], str(not_a_dir), "/", str(tmp_path / ".." / ".." / ".." / ".."), TREES[1]]
    batch = run_main(capsys, netfilter_facts, {"roots": roots})
    assert batch["rc"] == 0 and not batch.get("failed")
    failed = [entry["failed"] for entry in batch["audits"]]
    assert failed == [True, False, True, True, True, False]
    msgs = [entry.get("msg") for entry in batch["audits"]]
    assert msgs[0] == "root %s is not a directory (give a captured tree or extracted sosreport)" % roots[0]
    assert msgs[2] == "root %s is not a directory (give a captured tree or extracted sosreport)" % roots[2]
    for index in (3, 4):
        assert msgs[index] == ("root %s is the live host (/): roots lists captured trees; "
                               "audit the live host with root=/" % roots[index])
    assert all("ansible_facts" not in entry for entry in batch["audits"] if entry["failed"])


def test_an_exception_in_one_tree_keeps_the_others(capsys, monkeypatch):
    real = netfilter_facts.Gatherer

    def exploding(root, **kwargs):
        if root == TREES[0]:
            raise ValueError("unexpected layout")
        return real(root, **kwargs)

    monkeypatch.setattr(netfilter_facts, "Gatherer", exploding)
    batch = run_main(capsys, netfilter_facts, {"roots": TREES[:2]})
    first, second = batch["audits"]
    assert first == {"root": TREES[0], "failed": True,
                     "msg": "audit of %s failed: ValueError: unexpected layout" % TREES[0]}
    assert second["failed"] is False and second["ansible_facts"]["nfdoctor"]["captured"] is True


def test_no_roots_is_no_audits(capsys):
    assert run_main(capsys, netfilter_facts, {"roots": []})["audits"] == []


@pytest.mark.parametrize("args,message", [
    ({"root": TREES[0], "roots": TREES}, "parameters are mutually exclusive: root|roots"),
    ({"roots": TREES, "timeout": float("nan")}, "timeout must be a finite number of seconds, not nan"),
    ({"roots": TREES, "known_bad_kernels": [{"id": "x", "finding": "X", "affected": [{"introduced": "nope"}]}]},
     "known_bad_kernels[0] (x): "),
])
def test_options_are_checked_before_any_tree(capsys, args, message):
    result = run_main(capsys, netfilter_facts, args)
    assert result["rc"] == 1 and result["failed"] and message in result["msg"]
    assert "audits" not in result
