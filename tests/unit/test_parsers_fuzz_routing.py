"""Property tests for the routing parsers: any input, documented types, no exception."""
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_iptables_backends import (
    count_save_rules,
    iptables_variant,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_networkd_link import link_unmanaged

LINES = st.lists(st.sampled_from([
    "[Link]", "[Match]", "[Network]", "Unmanaged=yes", "Unmanaged=", "Unmanaged=0", "Unmanaged = on", "# x",
    "*filter", "*nat", "COMMIT", "-A INPUT -j ACCEPT", "[1:2] -A FORWARD -j DROP", ":INPUT ACCEPT [0:0]",
    "# Warning: iptables-legacy tables present, use iptables-legacy-save to see them", "", "garbage ] [",
]) | st.text(max_size=40), max_size=30).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(LINES, st.binary(max_size=200), st.none()))
def test_count_save_rules_survives_anything(text):
    result = count_save_rules(text, "tool")
    assert isinstance(result["rules"], int) and result["rules"] >= 0
    assert isinstance(result["tables"], list) and isinstance(result["legacy_warning"], bool)
    assert (result["first"] is None) == (result["rules"] == 0)


@settings(max_examples=200, deadline=None)
@given(st.one_of(LINES, st.binary(max_size=100), st.none()))
def test_iptables_variant_survives_anything(text):
    assert iptables_variant(text) in (None, "nf_tables", "legacy")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=20), st.one_of(LINES, st.none(), st.binary(max_size=50))), max_size=4))
def test_link_unmanaged_survives_anything(read):
    result = link_unmanaged(read)
    assert result is None or (isinstance(result["value"], bool) and isinstance(result["line"], int))
