"""Tests for parse_netfilter_rules: iptables-save, nft list ruleset, and the summary.

The nft fixtures named *_6.1 are real `nft list ruleset` output captured from
nftables 1.0.6 / iptables-nft 1.8.9 on a Debian 12 host (in a scratch netns).
"""
import os

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_netfilter_rules as nr

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "rules")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


def parse(name):
    if name.startswith("nft_"):
        return nr.parse_nft_ruleset(fixture(name))
    return nr.parse_iptables_save(fixture(name))


# ---------------------------------------------------------------- iptables-save

def test_iptables_seed001_nfqueue_el6():
    result = parse("iptables-save_el6_seed001_nfqueue.txt")
    assert result["problems"] == []
    assert result["chains"]["mangle"] == ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]
    queue = result["rules"][0]
    assert queue == {
        "source": "iptables-save", "table": "mangle", "chain": "PREROUTING", "line": 8,
        "text": "-A PREROUTING -p tcp -m tcp --dport 80 -j NFQUEUE --queue-num 0",
        "target": "NFQUEUE", "matches": ["tcp"], "protocol": "tcp", "chain_type": None,
    }
    summary = nr.summarise_rules(result["rules"])
    assert summary["nfqueue"] == [queue]
    assert summary["nat_in_use"] is False
    assert summary["conntrack_match_in_use"] is True      # -m state in the filter table
    assert summary["rule_count"] == 8


def test_iptables_el7_libvirt_docker_nat():
    result = parse("iptables-save_el7_libvirt_docker.txt")
    assert result["problems"] == []
    assert "DOCKER" in result["chains"]["nat"]
    masquerades = [rule for rule in result["rules"] if rule["target"] == "MASQUERADE"]
    assert [rule["line"] for rule in masquerades] == [20, 22]
    assert masquerades[1]["protocol"] == "tcp"
    summary = nr.summarise_rules(result["rules"])
    assert summary == {"nfqueue": [], "nat_in_use": True, "masquerade_in_use": True,
                       "conntrack_match_in_use": True, "rule_count": 15, "ct_invalid_drop": []}


def test_iptables_filter_only_negative_with_quoted_comment():
    result = parse("iptables-save_filter_only.txt")
    assert result["problems"] == []
    commented = result["rules"][1]
    # The comment mentions "-j NFQUEUE" inside quotes: it must stay a comment.
    assert commented["target"] == "ACCEPT"
    assert commented["matches"] == ["tcp", "comment"]
    assert result["rules"][2]["protocol"] == "!udp"
    summary = nr.summarise_rules(result["rules"])
    assert summary == {"nfqueue": [], "nat_in_use": False, "masquerade_in_use": False,
                       "conntrack_match_in_use": False, "rule_count": 4, "ct_invalid_drop": []}


def test_iptables_counters_queue_target_and_empty_nat_table():
    result = parse("iptables-save_-c_counters.txt")
    assert result["problems"] == []
    assert result["chains"]["nat"] == ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"]
    texts = [rule["text"] for rule in result["rules"]]
    assert texts[0] == "-A PREROUTING -p udp -m udp --dport 53 -j CT --notrack"   # counters dropped
    summary = nr.summarise_rules(result["rules"])
    assert [rule["target"] for rule in summary["nfqueue"]] == ["QUEUE"]   # old ip_queue target
    assert summary["nat_in_use"] is False    # an empty nat table has no rules


def test_iptables_nft_save_variant():
    summary = nr.summarise_rules(parse("iptables-nft-save_docker_1.8.9.txt")["rules"])
    assert len(summary["nfqueue"]) == 1
    assert summary["nat_in_use"] and summary["masquerade_in_use"] and summary["conntrack_match_in_use"]


def test_iptables_broken_input_problems():
    result = parse("iptables-save_broken.txt")
    problems = " | ".join(result["problems"])
    assert "chain UNDECLARED not declared in table filter" in problems
    assert "not a rule: 'this line is junk'" in problems
    assert "outside a *table ... COMMIT block" in problems
    assert "table nat has no COMMIT line" in problems
    # the unterminated quote falls back to whitespace splitting, the rule survives
    assert result["rules"][0]["target"] == "ACCEPT"
    assert nr.summarise_rules(result["rules"])["nat_in_use"] is True   # SNAT in the unterminated nat table


def test_iptables_source_is_kept():
    result = nr.parse_iptables_save("*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j MASQUERADE\nCOMMIT\n",
                                    source="ip6tables-save")
    assert result["rules"][0]["source"] == "ip6tables-save"


def test_iptables_old_negation_syntax():
    rule = nr.parse_iptables_save("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p ! tcp -j DROP\nCOMMIT\n")["rules"][0]
    assert rule["protocol"] == "!tcp"


def test_iptables_empty():
    assert nr.parse_iptables_save("") == {"rules": [], "chains": {}, "problems": []}


# ---------------------------------------------------------------- nft

def test_nft_inet_filter_and_nat():
    result = parse("nft_ruleset_inet_nat_6.1.txt")
    assert result["problems"] == []
    assert result["chains"] == {"inet filter": ["input", "forward", "fwd_out"],
                                "ip nat": ["prerouting", "postrouting"],
                                "ip mangle": ["prerouting"]}
    by_line = {rule["line"]: rule for rule in result["rules"]}
    assert by_line[11]["matches"] == ["conntrack"] and by_line[11]["target"] == "accept"
    assert by_line[14]["matches"] == ["set"]           # ip saddr @blocklist
    assert by_line[15]["protocol"] == "tcp" and by_line[15]["target"] == "accept"
    assert by_line[22]["target"] == "fwd_out"           # jump fwd_out
    assert by_line[26]["target"] == "reject" and by_line[26]["chain_type"] is None
    assert by_line[33]["target"] == "dnat" and by_line[33]["chain_type"] == "nat"
    # the set body (elements over two lines) is not a rule
    assert all("elements" not in rule["text"] for rule in result["rules"])
    summary = nr.summarise_rules(result["rules"])
    # line 12 "ct state invalid drop": a host firewall's INVALID drop, without a counter statement
    assert summary == {"nfqueue": [], "nat_in_use": True, "masquerade_in_use": True,
                       "conntrack_match_in_use": True, "rule_count": 12,
                       "ct_invalid_drop": [{"source": "nft", "table": "inet filter", "chain": "input", "line": 12,
                                            "text": "ct state invalid drop", "packets": None}]}


def test_nft_handles_are_stripped():
    plain = parse("nft_ruleset_inet_nat_6.1.txt")
    handles = parse("nft_-a_ruleset_handles_6.1.txt")
    assert handles["problems"] == []
    assert [rule["text"] for rule in handles["rules"]] == [rule["text"] for rule in plain["rules"]]


def test_nft_iptables_nft_translation():
    result = parse("nft_ruleset_iptables-nft_docker_6.1.txt")
    assert result["problems"] == []
    summary = nr.summarise_rules(result["rules"])
    assert [rule["chain"] for rule in summary["nfqueue"]] == ["PREROUTING"]
    assert summary["nat_in_use"] and summary["masquerade_in_use"] and summary["conntrack_match_in_use"]


def test_nft_native_queue_statements():
    result = parse("nft_ruleset_suricata_queue_native.txt")
    summary = nr.summarise_rules(result["rules"])
    assert [(rule["line"], rule["protocol"]) for rule in summary["nfqueue"]] == [(4, "tcp"), (5, "udp")]
    assert summary["nat_in_use"] is False


def test_nft_xt_compat_statements():
    result = parse("nft_ruleset_xt_compat_1.0.txt")
    assert result["rules"][0]["target"] == "NFQUEUE"
    assert result["rules"][1]["matches"] == ["conntrack"]
    summary = nr.summarise_rules(result["rules"])
    assert len(summary["nfqueue"]) == 1 and summary["conntrack_match_in_use"] is True


def test_nft_filter_only_negative_with_map_and_multiline_set():
    result = parse("nft_ruleset_filter_only.txt")
    assert result["problems"] == []
    assert len(result["rules"]) == 4
    multiline = [rule for rule in result["rules"] if "8001" in rule["text"]][0]
    assert multiline["line"] == 12 and multiline["target"] == "accept"
    summary = nr.summarise_rules(result["rules"])
    assert summary == {"nfqueue": [], "nat_in_use": False, "masquerade_in_use": False,
                       "conntrack_match_in_use": False, "rule_count": 4, "ct_invalid_drop": []}


def test_nft_truncated_ruleset():
    result = parse("nft_ruleset_truncated.txt")
    assert result["problems"] == ["ruleset ends inside chain postrouting (truncated output?)"]
    assert result["rules"][0]["target"] == "masquerade"


def test_nft_statements_are_not_matches():
    rule = nr.parse_nft_ruleset(
        "table ip t {\n chain c {\n  ct mark set 1 meta mark set 2 accept\n }\n}\n")["rules"][0]
    assert rule["matches"] == []
    assert rule["target"] == "accept"


def test_nft_reject_arguments_are_not_the_protocol():
    rule = nr.parse_nft_ruleset(
        "table ip t {\n chain c {\n  ip saddr 10.0.0.1 reject with icmp type host-unreachable\n }\n}\n")["rules"][0]
    assert rule["protocol"] is None and rule["target"] == "reject"


def test_nft_lines_outside_tables():
    result = nr.parse_nft_ruleset("junk\n}\n")
    assert result["rules"] == [] and len(result["problems"]) == 2


# ---------------------------------------------------------------- summary

def test_summary_ignores_non_rules():
    assert nr.summarise_rules(None)["rule_count"] == 0
    assert nr.summarise_rules([None, "x", {"target": "NFQUEUE"}])["rule_count"] == 1


@pytest.mark.parametrize("rule,key", [
    ({"source": "iptables-save", "table": "nat", "target": "DOCKER"}, "nat_in_use"),
    ({"source": "iptables-save", "table": "filter", "target": "DNAT"}, "nat_in_use"),
    ({"source": "nft", "table": "ip t", "chain_type": "filter", "target": "redirect"}, "nat_in_use"),
    ({"source": "nft", "table": "ip t", "chain_type": "nat", "target": "accept"}, "nat_in_use"),
    ({"source": "iptables-save", "table": "filter", "matches": ["state"]}, "conntrack_match_in_use"),
])
def test_summary_positive_cases(rule, key):
    assert nr.summarise_rules([rule])[key] is True


@pytest.mark.parametrize("rule,key", [
    ({"source": "iptables-save", "table": "filter", "target": "DOCKER"}, "nat_in_use"),
    ({"source": "nft", "table": "ip nat", "chain_type": "filter", "target": "accept"}, "nat_in_use"),
    ({"source": "iptables-save", "table": "filter", "matches": ["connmark"]}, "conntrack_match_in_use"),
    ({"source": "nft", "table": "ip t", "target": "queue"}, "masquerade_in_use"),
])
def test_summary_negative_cases(rule, key):
    assert nr.summarise_rules([rule])[key] is False
