"""Tests for parse_networkd: unit syntax, networkd file precedence, [Match], forwarding effect.

Fixtures under tests/unit/fixtures/networkd/<scenario>/ hold files at their host
paths; a scenario's MASKED file lists host paths that are /dev/null symlinks
(kept as a list so the collection tarball carries no links out of the tree).
"""
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_networkd as pn

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "networkd")


def load_scenario(name):
    root = os.path.join(FIXTURES, name)
    files = {}
    for directory, _dirs, names in os.walk(root):
        for filename in names:
            full = os.path.join(directory, filename)
            rel = os.path.relpath(full, root)
            if rel == "MASKED":
                continue
            with open(full, encoding="utf-8") as handle:
                files["/" + rel] = handle.read()
    masked = os.path.join(root, "MASKED")
    if os.path.exists(masked):
        with open(masked, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    files[line.strip()] = None
    return files


def by_path(facts, path):
    for entry in facts["network_files"]:
        if entry["path"] == path:
            return entry
    raise AssertionError("%s not in %s" % (path, [e["path"] for e in facts["network_files"]]))


# --------------------------------------------------------------------------
# parse_unit_text
# --------------------------------------------------------------------------

def test_unit_text_sections_entries_and_lines():
    text = "# comment\n; also comment\n[Match]\nName=eth0\n\n[Network]\nDHCP = yes \nDNS=192.0.2.1\nDNS=\n"
    parsed = pn.parse_unit_text(text, "/etc/systemd/network/10.network")
    assert parsed["problems"] == []
    assert [(s["name"], s["line"]) for s in parsed["sections"]] == [("Match", 3), ("Network", 6)]
    network = parsed["sections"][1]["entries"]
    assert network == [
        {"key": "DHCP", "value": "yes", "line": 7},
        {"key": "DNS", "value": "192.0.2.1", "line": 8},
        {"key": "DNS", "value": "", "line": 9},
    ]


def test_unit_text_continuation_replaces_backslash_and_skips_comment_lines():
    text = "[Match]\nName=eth0 \\\n# a comment inside the continued value\n  eth1\nType=ether\n"
    parsed = pn.parse_unit_text(text, "x.network")
    entries = parsed["sections"][0]["entries"]
    assert entries[0]["key"] == "Name" and entries[0]["line"] == 2
    assert entries[0]["value"].split() == ["eth0", "eth1"]
    assert entries[1] == {"key": "Type", "value": "ether", "line": 5}


def test_unit_text_without_continuation_keeps_lines_apart():
    parsed = pn.parse_unit_text("[Match]\nName=eth0\n  eth1\n", "x.network")
    assert parsed["sections"][0]["entries"] == [{"key": "Name", "value": "eth0", "line": 2}]
    assert any("missing '='" in p and ":3:" in p for p in parsed["problems"])


def test_unit_text_bad_lines_are_problems_not_exceptions():
    text = "Orphan=1\n[Network\nIPForward=yes\n[Network]\nIPForward yes\n=yes\nDHCP=yes\n[]\n"
    parsed = pn.parse_unit_text(text, "/p")
    problems = "\n".join(parsed["problems"])
    assert "/p:1: Orphan= outside of any valid section" in problems
    assert "/p:2: invalid section header" in problems
    assert "/p:3: IPForward= outside" in problems
    assert "/p:5: missing '='" in problems
    assert "/p:6: assignment without a key" in problems
    assert "/p:8: invalid section header" in problems
    assert [e["key"] for s in parsed["sections"] for e in s["entries"]] == ["DHCP"]


def test_unit_text_continuation_at_eof_and_odd_inputs():
    parsed = pn.parse_unit_text("[Network]\nDNS=a \\", "/p")
    assert parsed["sections"][0]["entries"][0]["value"] == "a"
    assert "continuation at end of file" in parsed["problems"][0]
    assert pn.parse_unit_text(None, "/p") == {"sections": [], "problems": []}
    assert "not text" in pn.parse_unit_text(12, "/p")["problems"][0]
    assert pn.parse_unit_text(b"[Network]\nIPForward=yes\n", "/p")["sections"][0]["entries"][0]["value"] == "yes"
    assert pn.parse_unit_text(u"\ufeff[Network]\nA=1", "/p")["sections"][0]["name"] == "Network"


def test_unit_text_continuation_ending_in_comments_is_kept():
    parsed = pn.parse_unit_text("[Network]\nDNS=a \\\n# trailing comment\n", "/p")
    assert parsed["sections"][0]["entries"] == [{"key": "DNS", "value": "a", "line": 2}]
    assert parsed["problems"] == ["/p:2: line continuation at end of file"]


def test_unit_text_line_numbers_follow_newlines_only():
    # CRLF line ends and a form feed inside a value must not shift line numbers.
    parsed = pn.parse_unit_text("[Network]\r\nDescription=a\x0cb\r\nIPForward=yes\r\n", "/p")
    entries = parsed["sections"][0]["entries"]
    assert entries[1] == {"key": "IPForward", "value": "yes", "line": 3}
    assert entries[0]["value"] == "a\x0cb"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_unit_text_never_raises(text):
    parsed = pn.parse_unit_text(text, "/fuzz")
    assert isinstance(parsed["sections"], list) and isinstance(parsed["problems"], list)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(
    st.sampled_from(["/etc/systemd/network/a.network", "/usr/lib/systemd/network/a.network",
                     "/etc/systemd/network/a.network.d/x.conf", "/etc/systemd/networkd.conf",
                     "/etc/systemd/networkd.conf.d/x.conf", "/tmp/other"]),
    st.one_of(st.none(), st.text(alphabet="[]=!*\\\n #;abcMatchNetworkIPForward", max_size=80))),
    st.lists(st.one_of(st.text(max_size=6), st.integers(), st.none())),
    st.one_of(st.none(), st.integers(min_value=0, max_value=400), st.text(max_size=3)))
def test_networkd_facts_never_raises(files, interfaces, version):
    facts = pn.networkd_facts(files, interfaces, version)
    assert isinstance(facts["problems"], list)


# --------------------------------------------------------------------------
# forwarding_effect: the version table
# --------------------------------------------------------------------------

def _s(value, line=5, path="/etc/systemd/network/x.network"):
    return {"value": value, "file": path, "line": line}


@pytest.mark.parametrize("version,settings_,conf,expected", [
    # v219-227: reset unless IPForward enables IPv4 (or masquerade)
    (226, {}, {}, ("no", True, False)),
    (219, {"IPForward": _s("yes")}, {}, ("yes", False, False)),
    (227, {"IPForward": _s("ipv4")}, {}, ("yes", False, False)),
    (227, {"IPForward": _s("ipv6")}, {}, ("no", True, False)),
    (224, {"IPMasquerade": _s("yes")}, {}, ("yes", False, False)),
    (221, {"IPForward": _s("kernel")}, {}, ("kernel", False, False)),
    (220, {"IPForward": _s("kernel")}, {}, ("no", True, False)),
    # v228-255: never reset
    (228, {}, {}, ("kernel", False, False)),
    (252, {"IPForward": _s("no")}, {}, ("kernel", False, False)),
    (255, {"IPForward": _s("yes")}, {}, ("yes", False, False)),
    # v256+: IPForward ignored, IPv4Forwarding per link, default from networkd.conf
    (256, {"IPForward": _s("yes")}, {}, ("kernel", False, True)),
    (257, {"IPForward": _s("yes")}, {"IPv4Forwarding": _s("no", 3, "/etc/systemd/networkd.conf.d/10.conf")},
     ("no", True, True)),
    (257, {"IPv4Forwarding": _s("yes")}, {"IPv4Forwarding": _s("no")}, ("yes", False, False)),
    (257, {"IPv4Forwarding": _s("no")}, {}, ("no", True, False)),
    (257, {}, {"IPv4Forwarding": _s("yes")}, ("yes", False, False)),
    (257, {"IPMasquerade": _s("both")}, {"IPv4Forwarding": _s("no")}, ("yes", False, False)),
    (257, {"IPMasquerade": _s("ipv6")}, {"IPv4Forwarding": _s("no")}, ("no", True, False)),
    (257, {"IPv4Forwarding": _s("maybe")}, {}, ("kernel", False, False)),
    # before networkd had IPForward=
    (215, {}, {}, ("kernel", False, False)),
])
def test_forwarding_effect_table(version, settings_, conf, expected):
    effect = pn.forwarding_effect(version, settings_, conf)
    assert (effect["effective_ipv4_forwarding"], effect["resets_forwarding"], effect["ipforward_ignored"]) == expected
    assert str(version) in effect["reason"]


def test_forwarding_effect_reason_cites_evidence():
    conf = {"IPv4Forwarding": _s("no", 3, "/etc/systemd/networkd.conf.d/10-hardening.conf")}
    effect = pn.forwarding_effect(257, {"IPForward": _s("yes", 7)}, conf)
    assert "/etc/systemd/networkd.conf.d/10-hardening.conf:3" in effect["reason"]
    assert "ignored since v256" in effect["reason"]


@pytest.mark.parametrize("version", [None, "252", True, 25.2])
def test_forwarding_effect_unknown_version(version):
    effect = pn.forwarding_effect(version, {"IPForward": _s("yes")}, {})
    assert effect["effective_ipv4_forwarding"] is None
    assert effect["resets_forwarding"] is False
    assert "version unknown" in effect["reason"]


def test_forwarding_effect_tolerates_garbage_settings():
    effect = pn.forwarding_effect(226, {"IPForward": "yes", "IPMasquerade": None}, None)
    assert effect["resets_forwarding"] is True  # a bare string is not a setting record


# --------------------------------------------------------------------------
# networkd_facts on realistic trees
# --------------------------------------------------------------------------

def test_seed003_gentoo_networkd_226_resets_forwarding():
    facts = pn.networkd_facts(load_scenario("seed003_gentoo"), ["lo", "eno1", "docker0", "veth3f2a1b"], 226)
    entry = by_path(facts, "/etc/systemd/network/eno1.network")
    assert entry["interfaces"] == ["eno1"]
    assert entry["match"] == {"Name": ["eno1"]}
    assert entry["settings"]["IPForward"] is None
    assert entry["forwarding"]["resets_forwarding"] is True
    assert entry["forwarding"]["effective_ipv4_forwarding"] == "no"
    assert facts["problems"] == []


def test_seed003_after_fix_does_not_reset():
    facts = pn.networkd_facts(load_scenario("seed003_gentoo_fixed"), ["eno1"], 226)
    entry = by_path(facts, "/etc/systemd/network/eno1.network")
    assert entry["settings"]["IPForward"] == {"value": "yes", "file": entry["path"], "line": 9}
    assert entry["forwarding"]["resets_forwarding"] is False
    assert entry["forwarding"]["effective_ipv4_forwarding"] == "yes"


def test_seed003_dropin_adds_ipforward_without_touching_user_file():
    facts = pn.networkd_facts(load_scenario("seed003_gentoo_dropin"), ["eno1"], 226)
    entry = by_path(facts, "/etc/systemd/network/eno1.network")
    dropin = "/etc/systemd/network/eno1.network.d/50-nfdoctor-forwarding.conf"
    assert entry["dropins"] == [dropin]
    assert entry["settings"]["IPForward"]["file"] == dropin
    assert entry["forwarding"]["effective_ipv4_forwarding"] == "yes"


def test_seed003_same_tree_on_unknown_version_says_so():
    facts = pn.networkd_facts(load_scenario("seed003_gentoo"), ["eno1"], None)
    effect = by_path(facts, "/etc/systemd/network/eno1.network")["forwarding"]
    assert effect["effective_ipv4_forwarding"] is None and "unknown" in effect["reason"]


def test_debian12_docker_host_matching_and_masking():
    interfaces = ["lo", "ens3", "ens4", "docker0", "veth1a2b3c", "br-5f2e0c", "ve-web"]
    facts = pn.networkd_facts(load_scenario("debian12_docker"), interfaces, 252)
    assert by_path(facts, "/etc/systemd/network/10-ens3.network")["interfaces"] == ["ens3"]
    masked = by_path(facts, "/etc/systemd/network/80-container-host0.network")
    assert masked["masked"] is True and masked["interfaces"] == []
    vendor_host0 = by_path(facts, "/usr/lib/systemd/network/80-container-host0.network")
    assert vendor_host0["shadowed_by"] == "/etc/systemd/network/80-container-host0.network"
    ve = by_path(facts, "/usr/lib/systemd/network/80-container-ve.network")
    # Name=ve-* matches ve-web, Driver=veth cannot be checked from a name alone
    assert ve["interfaces"] == [] and ve["possible_interfaces"] == ["ve-web"]
    assert ve["unverified_match_keys"] == ["Driver"]
    assert ve["settings"]["IPMasquerade"]["value"] == "both"
    catch_all = by_path(facts, "/etc/systemd/network/90-default.network")
    assert catch_all["match"]["Name"] == ["!veth*", "!docker*", "!br-*", "*"]
    # negated globs keep the container plumbing out; lo is caught (the file's own warning)
    assert catch_all["interfaces"] == ["lo", "ens4"]
    assert catch_all["possible_interfaces"] == ["ve-web"]
    assert all(e["forwarding"] is None or e["forwarding"]["resets_forwarding"] is False
               for e in facts["network_files"])
    # an unverifiable key is a caveat of the file, not a failure to read it
    assert not any("Driver=" in p for p in facts["problems"])
    assert facts["conf"]["settings"] == {}


def test_debian12_interface_dicts_resolve_driver_match():
    interfaces = [{"name": "ve-web", "driver": "veth"}, {"name": "ve-bad", "driver": "e1000"}]
    facts = pn.networkd_facts(load_scenario("debian12_docker"), interfaces, 252)
    ve = by_path(facts, "/usr/lib/systemd/network/80-container-ve.network")
    assert ve["interfaces"] == ["ve-web"] and ve["possible_interfaces"] == []
    assert by_path(facts, "/etc/systemd/network/90-default.network")["interfaces"] == ["ve-bad"]


def test_debian13_networkd_conf_dropins_bring_the_reset_back():
    facts = pn.networkd_facts(load_scenario("debian13_conf_no"), ["lo", "enp1s0", "enp2s0"], 257)
    conf = facts["conf"]
    assert conf["settings"]["IPv4Forwarding"] == {
        "value": "no", "file": "/etc/systemd/networkd.conf.d/10-hardening.conf", "line": 3}
    assert conf["settings"]["IPv6Forwarding"]["value"] == "no"
    order = [(f["path"], f["shadowed_by"]) for f in conf["files"]]
    assert order == [
        ("/etc/systemd/networkd.conf", None),
        ("/run/systemd/networkd.conf.d/05-provisioning.conf", None),
        ("/etc/systemd/networkd.conf.d/10-hardening.conf", None),
        ("/usr/lib/systemd/networkd.conf.d/10-hardening.conf", "/etc/systemd/networkd.conf.d/10-hardening.conf"),
    ]
    wired = by_path(facts, "/etc/systemd/network/20-wired.network")
    assert wired["interfaces"] == ["enp1s0"]
    effect = wired["forwarding"]
    assert effect["ipforward_ignored"] is True and effect["resets_forwarding"] is True
    assert effect["effective_ipv4_forwarding"] == "no"
    broken = by_path(facts, "/etc/systemd/network/30-broken.network")
    assert broken["interfaces"] == ["enp2s0"]
    assert broken["settings"]["IPForward"] is None  # only lines under a bad header or without '='
    assert sum("30-broken.network" in p for p in facts["problems"]) == 4


def test_debian13_same_tree_on_252_has_no_reset():
    facts = pn.networkd_facts(load_scenario("debian13_conf_no"), ["enp1s0"], 252)
    effect = by_path(facts, "/etc/systemd/network/20-wired.network")["forwarding"]
    assert effect == {"resets_forwarding": False, "ipforward_ignored": False,
                      "effective_ipv4_forwarding": "yes", "reason": effect["reason"]}


def test_conf_dropins_sort_by_name_across_directories():
    files = {
        "/etc/systemd/networkd.conf.d/10-a.conf": "[Network]\nIPv4Forwarding=no\n",
        "/usr/lib/systemd/networkd.conf.d/20-b.conf": "[Network]\nIPv4Forwarding=yes\n",
    }
    facts = pn.networkd_facts(files, [], 257)
    # /usr/lib's 20-b.conf sorts after /etc's 10-a.conf and wins despite its directory
    assert facts["conf"]["settings"]["IPv4Forwarding"]["file"] == "/usr/lib/systemd/networkd.conf.d/20-b.conf"


def test_conf_dropin_masked_and_empty_reset():
    files = {
        "/etc/systemd/networkd.conf.d/10-a.conf": None,
        "/usr/lib/systemd/networkd.conf.d/10-a.conf": "[Network]\nIPv4Forwarding=no\n",
        "/etc/systemd/networkd.conf": "[Network]\nIPv6Forwarding=no\n",
        "/etc/systemd/networkd.conf.d/20-reset.conf": "[Network]\nIPv6Forwarding=\n",
    }
    facts = pn.networkd_facts(files, [], 257)
    assert facts["conf"]["settings"] == {}
    assert {"path": "/etc/systemd/networkd.conf.d/10-a.conf", "shadowed_by": None, "masked": True} in facts["conf"]["files"]


def test_main_conf_first_found_wins():
    files = {
        "/usr/lib/systemd/networkd.conf": "[Network]\nIPv4Forwarding=no\n",
        "/etc/systemd/networkd.conf": "[Network]\n#IPv4Forwarding=\n",
    }
    facts = pn.networkd_facts(files, [], 257)
    assert facts["conf"]["settings"] == {}
    assert {"path": "/usr/lib/systemd/networkd.conf", "shadowed_by": "/etc/systemd/networkd.conf",
            "masked": False} in facts["conf"]["files"]
    only_vendor = pn.networkd_facts({"/usr/lib/systemd/networkd.conf": "[Network]\nIPv4Forwarding=no\n"}, [], 257)
    assert only_vendor["conf"]["settings"]["IPv4Forwarding"]["value"] == "no"


def test_first_matching_file_in_lexical_order_wins_across_dirs():
    files = {
        "/usr/lib/systemd/network/05-vendor.network": "[Match]\nName=eth*\n[Network]\nIPForward=yes\n",
        "/etc/systemd/network/10-eth0.network": "[Match]\nName=eth0\n[Network]\nDHCP=yes\n",
    }
    facts = pn.networkd_facts(files, ["eth0", "eth1"], 226)
    assert by_path(facts, "/usr/lib/systemd/network/05-vendor.network")["interfaces"] == ["eth0", "eth1"]
    assert by_path(facts, "/etc/systemd/network/10-eth0.network")["interfaces"] == []


def test_same_name_etc_overrides_vendor_and_empty_file_masks():
    files = {
        "/usr/lib/systemd/network/10-eth0.network": "[Match]\nName=eth0\n[Network]\nIPForward=yes\n",
        "/etc/systemd/network/10-eth0.network": "",
    }
    facts = pn.networkd_facts(files, ["eth0"], 226)
    etc = by_path(facts, "/etc/systemd/network/10-eth0.network")
    assert etc["masked"] is True and etc["interfaces"] == []
    assert by_path(facts, "/usr/lib/systemd/network/10-eth0.network")["shadowed_by"] == etc["path"]


def test_dropins_merge_across_dirs_in_name_order_and_mask():
    files = {
        "/etc/systemd/network/10-eth0.network": "[Match]\nName=eth0\n[Network]\nIPForward=no\n",
        "/usr/lib/systemd/network/10-eth0.network.d/20-vendor.conf": "[Network]\nIPForward=yes\n",
        "/etc/systemd/network/10-eth0.network.d/30-local.conf": "[Network]\nIPMasquerade=yes\n",
        "/etc/systemd/network/10-eth0.network.d/40-off.conf": None,
        "/run/systemd/network/10-eth0.network.d/40-off.conf": "[Network]\nIPForward=no\n",
        "/etc/systemd/network/10-eth0.network.d/notes.txt": "[Network]\nIPForward=no\n",
    }
    facts = pn.networkd_facts(files, ["eth0"], 226)
    entry = by_path(facts, "/etc/systemd/network/10-eth0.network")
    assert entry["dropins"] == ["/usr/lib/systemd/network/10-eth0.network.d/20-vendor.conf",
                                "/etc/systemd/network/10-eth0.network.d/30-local.conf"]
    assert entry["settings"]["IPForward"]["file"].endswith("20-vendor.conf")
    assert entry["forwarding"]["effective_ipv4_forwarding"] == "yes"
    assert any("notes.txt: not a networkd configuration path" in p for p in facts["problems"])


def test_dropin_match_name_accumulates_and_empty_resets():
    files = {
        "/etc/systemd/network/20-x.network": "[Match]\nName=X\n[Network]\nDHCP=yes\n",
        "/run/systemd/network/20-x.network.d/m.conf": "[Match]\nName=enp4s0\n",
    }
    facts = pn.networkd_facts(files, ["enp4s0", "enp5s0"], 252)
    assert by_path(facts, "/etc/systemd/network/20-x.network")["interfaces"] == ["enp4s0"]
    files["/run/systemd/network/20-x.network.d/m.conf"] = "[Match]\nName=\nName=enp5s0\n"
    facts = pn.networkd_facts(files, ["enp4s0", "enp5s0"], 252)
    assert by_path(facts, "/etc/systemd/network/20-x.network")["interfaces"] == ["enp5s0"]


@pytest.mark.parametrize("names,iface,expected", [
    ("!veth* *", "eth0", True),
    ("!veth* *", "veth12", False),
    ("!lo", "eth0", True),          # only negative patterns: everything else matches
    ("!lo", "lo", False),
    ("en* !ens3", "ens3", False),
    ("en* !ens3", "enp1s0", True),
    ("en*", "eth0", False),
    ("eth[0-1]", "eth1", True),
    ("eth[!0]", "eth0", False),
])
def test_name_globs_and_negation(names, iface, expected):
    files = {"/etc/systemd/network/10.network": "[Match]\nName=%s\n" % names}
    facts = pn.networkd_facts(files, [iface], 252)
    assert (facts["network_files"][0]["interfaces"] == [iface]) is expected


def test_negation_before_v233_is_literal():
    files = {"/etc/systemd/network/10.network": "[Match]\nName=!veth*\n"}
    facts = pn.networkd_facts(files, ["eth0"], 226)
    assert facts["network_files"][0]["interfaces"] == []
    assert any("predates negation" in p for p in facts["problems"])


def test_altnames_match_and_mac_match():
    files = {
        "/etc/systemd/network/10-mac.network": "[Match]\nMACAddress=52:54:00:AA:BB:CC\n",
        "/etc/systemd/network/20-alt.network": "[Match]\nName=enp0s3\n",
    }
    ifaces = [{"name": "eth0", "mac": "52:54:00:aa:bb:cc"},
              {"name": "eth1", "mac": "52:54:00:00:00:01", "altnames": ["enp0s3"]}]
    facts = pn.networkd_facts(files, ifaces, 252)
    assert by_path(facts, "/etc/systemd/network/10-mac.network")["interfaces"] == ["eth0"]
    assert by_path(facts, "/etc/systemd/network/20-alt.network")["interfaces"] == ["eth1"]
    names_only = pn.networkd_facts(files, ["eth0"], 252)
    assert by_path(names_only, "/etc/systemd/network/10-mac.network")["possible_interfaces"] == ["eth0"]


def test_empty_match_matches_everything_with_a_warning():
    facts = pn.networkd_facts({"/etc/systemd/network/99.network": "[Network]\nDHCP=yes\n"}, ["lo", "eth0"], 252)
    assert facts["network_files"][0]["interfaces"] == ["lo", "eth0"]
    assert any("no usable [Match]" in p for p in facts["problems"])


def test_bad_arguments_give_problems():
    facts = pn.networkd_facts("nope", ["eth0"], 252)
    assert facts["network_files"] == [] and "expected a mapping" in facts["problems"][0]
    facts = pn.networkd_facts({"/etc/systemd/network/a.network": b"\x00"}, "eth0", "x")
    problems = "\n".join(facts["problems"])
    assert "not a number" in problems and "expected a list" in problems and "not text" in problems
