"""Property tests for the firewall parsers: any input, documented types, no exception."""
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_firewall import (
    bridge_forward_accepts,
    nft_forward_policy,
    parse_docker_version,
    parse_nftables_conf,
    parse_restore_file,
    parse_unit_file_states,
    runtime_chains,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_netfilter_rules import (
    parse_iptables_save,
    parse_nft_ruleset,
)

LINES = st.lists(st.sampled_from([
    "flush ruleset", "flush table ip nat", "delete table", "include \"/etc/nftables.d/*.nft\"", "include \"",
    "table ip filter {", "chain FORWARD {", "type filter hook forward priority filter; policy drop;", "}",
    'iifname "br0" oifname "br0" accept', "ct state established,related accept", "*filter", ":FORWARD DROP [0:0]",
    ":DOCKER - [0:0]", "-A FORWARD -i br0 -o br0 -j ACCEPT", "-A FORWARD -j DOCKER-USER", "COMMIT", "# x",
    "Server:", " Version: 20.10.5", "Docker version 24.0.7, build x", "nftables.service enabled enabled", "",
]) | st.text(max_size=40), max_size=30).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(LINES, st.binary(max_size=200), st.none()))
def test_firewall_parsers_survive_anything(text):
    conf = parse_nftables_conf(text, "/etc/nftables.conf")
    assert all(isinstance(f["line"], int) and f["scope"] for f in conf["flushes"])
    restore = parse_restore_file(text, "/x")
    assert isinstance(restore["tables"], list) and isinstance(restore["docker_chains"], list)
    policy = nft_forward_policy(text)
    assert policy is None or policy["policy"] in ("DROP", "ACCEPT")
    assert isinstance(parse_unit_file_states(text), dict)
    version = parse_docker_version(text)
    assert version is None or (len(version) == 3 and all(isinstance(v, int) for v in version))


@settings(max_examples=200, deadline=None)
@given(LINES, st.lists(st.sampled_from(["br0", "virbr0", "docker0", "br-", ""]), max_size=4))
def test_forward_accepts_survive_any_rules(text, bridges):
    rules = parse_iptables_save(text)["rules"] + parse_nft_ruleset(text)["rules"] + [None, {"text": None}]
    accepts = bridge_forward_accepts(rules, bridges)
    assert set(accepts) <= set(bridges)
    chains = runtime_chains(rules, ["ip docker-bridges"], [("nft", None), ("x", "DOCKER")])
    assert "DOCKER" in chains["docker"] and chains["docker_in_nft"] is True
