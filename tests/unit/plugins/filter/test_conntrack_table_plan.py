"""conntrack_table_plan: the table size fix uses the audit's own threshold (issue 10)."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.nfdoctor.netfilter.plugins.filter.conntrack_table import (
    conntrack_liberal_plan,
    conntrack_table_plan,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import NEAR_FULL_RATIO, run_checks


def test_92_percent_full_is_raised_within_the_limit_with_a_larger_hash():
    plan = conntrack_table_plan({"count": 60293, "max": 65536, "hashsize": 8192})
    assert (plan["raise"], plan["new_max"], plan["new_hashsize"], plan["fill_ratio"]) == (True, 131072, 32768, 0.92)


def test_a_quiet_table_is_left_alone():
    plan = conntrack_table_plan({"count": 8649, "max": 65536, "hashsize": 16384})
    assert plan["raise"] is False and plan["over_threshold"] is False and plan["new_hashsize"] is None


def test_the_default_threshold_is_the_audits_near_full_ratio():
    # At exactly the audit's ratio the finding fires (>=) and the plan must act (just above).
    just_over = int(65536 * NEAR_FULL_RATIO) + 1
    plan = conntrack_table_plan({"count": just_over, "max": 65536})
    assert plan["threshold"] == NEAR_FULL_RATIO and plan["raise"] is True
    facts = {"conntrack": {"count": just_over, "max": 65536, "fill_ratio": float(just_over) / 65536}}
    assert "CONNTRACK_TABLE_NEAR_FULL" in [f["id"] for f in run_checks(facts)]
    # after the planned raise the audit no longer reports it
    raised = {"conntrack": {"count": just_over, "max": plan["new_max"],
                            "fill_ratio": float(just_over) / plan["new_max"]}}
    assert "CONNTRACK_TABLE_NEAR_FULL" not in [f["id"] for f in run_checks(raised)]


def test_at_the_limit_nothing_is_raised_and_it_says_so():
    plan = conntrack_table_plan({"count": 1000000, "max": 1048576}, max_limit=1048576)
    assert plan["raise"] is False and plan["at_limit"] is True and plan["new_max"] == 1048576


def test_raise_max_false_only_reports():
    plan = conntrack_table_plan({"count": 60293, "max": 65536}, raise_max=False)
    assert plan["over_threshold"] is True and plan["raise"] is False


def test_not_loaded_is_not_known():
    assert conntrack_table_plan({"count": None, "max": None})["known"] is False
    assert conntrack_table_plan(None)["known"] is False
    assert conntrack_table_plan({"count": 5, "max": 0})["known"] is False


@pytest.mark.parametrize("threshold", [0, -0.5, 1.5, "abc", float("nan"), float("inf"), True])
def test_a_bad_threshold_is_refused_with_its_range(threshold):
    with pytest.raises(AnsibleFilterError, match="fill_threshold=.* must be a fraction above 0 and at most 1"):
        conntrack_table_plan({"count": 1, "max": 2}, fill_threshold=threshold)


@pytest.mark.parametrize("limit", [0, -1, 2 ** 31, "1e6", "lots", None, 1.5])
def test_a_bad_limit_is_refused_with_its_range(limit):
    with pytest.raises(AnsibleFilterError, match="max_limit=.* must be a whole number of entries from 1 to 2147483647"):
        conntrack_table_plan({"count": 1, "max": 2}, max_limit=limit)


def test_string_values_from_a_slurped_file_are_accepted():
    plan = conntrack_table_plan({"count": "60293\n", "max": " 65536", "hashsize": "8192"}, "0.8", "262144")
    assert plan["new_max"] == 131072


# ------------------------------------------------- nf_conntrack_tcp_be_liberal (issue 14)
def _invalid_drop_facts(liberal, packets=4127):
    rule = {"source": "iptables-save", "table": "filter", "chain": "KUBE-FORWARD", "line": 12,
            "text": "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP", "packets": packets}
    facts = {"netfilter_rules": {"ct_invalid_drop": [rule]},
             "conntrack": {"tcp_be_liberal": liberal,
                           "stats": {"source": "/proc/net/stat/nf_conntrack", "cpus": 2, "totals": {"invalid": 4523}}}}
    facts["findings"] = run_checks(facts)
    return facts


def test_liberal_is_planned_from_the_findings_evidence_only_when_opted_in():
    facts = _invalid_drop_facts(0)
    assert "CONNTRACK_INVALID_DROPS" in [f["id"] for f in facts["findings"]]
    plan = conntrack_liberal_plan(facts, enable=True)
    assert (plan["apply"], plan["wanted"], plan["current"]) == (True, True, 0)
    assert "dropped 4127 packet(s)" in plan["reason"]
    off = conntrack_liberal_plan(facts)  # the default: report only
    assert (off["apply"], off["wanted"]) == (False, True) and "nfdoctor_conntrack_hygiene_tcp_be_liberal" in off["reason"]


def test_liberal_is_left_alone_when_already_set_or_without_the_finding():
    already = _invalid_drop_facts(1)  # info finding with no role: nothing for the role to do
    assert conntrack_liberal_plan(already, enable=True)["apply"] is False
    assert conntrack_liberal_plan({"findings": []}, enable=True)["apply"] is False
    # After the fix the audit reads 1, the finding has no role, and a second run plans nothing (idempotent).
    assert conntrack_liberal_plan(_invalid_drop_facts(1, packets=0), enable=True)["wanted"] is False


def test_liberal_without_facts_reads_the_current_value():
    assert conntrack_liberal_plan(None, enable=True, current="0")["apply"] is True
    assert conntrack_liberal_plan(None, enable=True, current="1")["apply"] is False
    assert conntrack_liberal_plan(None, enable=True, current=None)["apply"] is False


def test_liberal_enable_must_be_a_bool():
    with pytest.raises(AnsibleFilterError, match="enable"):
        conntrack_liberal_plan(None, enable="yes")
