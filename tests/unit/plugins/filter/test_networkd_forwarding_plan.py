"""networkd_forwarding_plan: which drop-ins the role writes, per systemd version.

The facts documents are built with the real parser from the networkd fixtures,
so the plan is tested against the same trees as parse_networkd.
"""
import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.nfdoctor.netfilter.plugins.filter.networkd_forwarding import (
    CONF_DROPIN,
    networkd_forwarding_plan,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_networkd import networkd_facts

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "networkd")


def scenario_files(name):
    root = os.path.join(FIXTURES, name)
    files = {}
    for directory, _dirs, names in os.walk(root):
        for filename in names:
            full = os.path.join(directory, filename)
            rel = os.path.relpath(full, root)
            if rel != "MASKED":
                with open(full, encoding="utf-8") as handle:
                    files["/" + rel] = handle.read()
    return files


def facts_for(name, interfaces, version, ip_forward=1, running=True, runtimes=(), link_forwarding=1):
    parsed = networkd_facts(scenario_files(name), interfaces, version)
    per_link = dict((name, {"ipv4": link_forwarding}) for name in interfaces)
    return {
        "networkd": {"installed": True, "running": running, "version": version,
                     "conf": parsed["conf"], "network_files": parsed["network_files"]},
        "forwarding": {"ipv4": ip_forward, "interfaces": per_link},
        "environment": {"container_runtimes": list(runtimes)},
    }


def test_seed003_on_226_gets_an_ipforward_dropin():
    plan = networkd_forwarding_plan(facts_for("seed003_gentoo", ["lo", "eno1", "docker0"], 226))
    assert plan["applicable"] and plan["mode"] == "IPForward"
    assert plan["links"] == ["eno1"] and plan["verify_links"] == ["eno1"]
    (dropin,) = plan["dropins"]
    assert dropin["path"] == "/etc/systemd/network/eno1.network.d/50-nfdoctor-forwarding.conf"
    assert dropin["network_file"] == "/etc/systemd/network/eno1.network"
    assert dropin["content"].endswith("[Network]\nIPForward=ipv4\n")
    assert plan["conf_dropin"] is None and plan["restart_required"] is False


def test_seed003_already_fixed_plans_nothing():
    plan = networkd_forwarding_plan(facts_for("seed003_gentoo_dropin", ["eno1"], 226))
    assert plan["applicable"] and plan["dropins"] == [] and plan["verify_links"] == ["eno1"]


def test_ipv6_asks_for_ipforward_yes_even_when_ipv4_is_fine():
    plan = networkd_forwarding_plan(facts_for("seed003_gentoo_dropin", ["eno1"], 226), ipv6=True)
    assert plan["dropins"] == []  # the drop-in's IPForward=yes already covers IPv6
    plan = networkd_forwarding_plan(facts_for("seed003_gentoo", ["eno1"], 226), ipv6=True)
    assert plan["dropins"][0]["content"].endswith("IPForward=yes\n")


def test_debian13_uses_ipv4forwarding_and_overrides_networkd_conf():
    plan = networkd_forwarding_plan(facts_for("debian13_conf_no", ["lo", "enp1s0", "enp2s0"], 257))
    assert plan["mode"] == "IPv4Forwarding"
    paths = [d["path"] for d in plan["dropins"]]
    assert paths == ["/etc/systemd/network/20-wired.network.d/50-nfdoctor-forwarding.conf",
                     "/etc/systemd/network/30-broken.network.d/50-nfdoctor-forwarding.conf"]
    assert all(d["content"].endswith("[Network]\nIPv4Forwarding=yes\n") for d in plan["dropins"])
    assert plan["conf_dropin"]["path"] == CONF_DROPIN
    assert plan["conf_dropin"]["content"].endswith("[Network]\nIPv4Forwarding=yes\n")
    assert "/etc/systemd/networkd.conf.d/10-hardening.conf:3" in plan["conf_dropin"]["reason"]
    assert plan["restart_required"] is True
    assert any("IPForward= is ignored" in n for n in plan["notes"])


def test_debian13_ipv6_adds_both_keys():
    plan = networkd_forwarding_plan(facts_for("debian13_conf_no", ["enp1s0"], 257), ipv6=True)
    assert plan["dropins"][0]["content"].endswith("IPv4Forwarding=yes\nIPv6Forwarding=yes\n")
    assert plan["conf_dropin"]["content"].endswith("IPv4Forwarding=yes\nIPv6Forwarding=yes\n")


def test_ipv6_on_257_needs_the_global_switch_even_without_a_conf_no():
    facts = facts_for("debian13_conf_no", ["enp1s0"], 257)
    facts["networkd"]["conf"]["settings"] = {}
    plan = networkd_forwarding_plan(facts)
    assert plan["conf_dropin"] is None and plan["restart_required"] is False
    plan = networkd_forwarding_plan(facts, ipv6=True)
    assert plan["conf_dropin"]["content"].endswith("[Network]\nIPv6Forwarding=yes\n")
    assert "per-link IPv6Forwarding= alone forwards nothing" in plan["conf_dropin"]["reason"]


def test_conf_setting_sorting_after_ours_is_reported():
    facts = facts_for("debian13_conf_no", ["enp1s0"], 257)
    facts["networkd"]["conf"]["settings"]["IPv4Forwarding"]["file"] = "/etc/systemd/networkd.conf.d/zzz-late.conf"
    plan = networkd_forwarding_plan(facts)
    assert any("zzz-late.conf sorts after" in note for note in plan["notes"])


def test_debian12_docker_host_needs_nothing_on_252():
    facts = facts_for("debian12_docker", ["lo", "ens3", "docker0"], 252, runtimes=["docker"])
    plan = networkd_forwarding_plan(facts)
    assert plan["applicable"] and plan["dropins"] == [] and plan["conf_dropin"] is None
    assert plan["links"] == ["ens3"]  # lo is managed by 90-default.network but never a target


def test_debian12_link_already_off_gets_a_dropin_on_252():
    # INTERFACE_FORWARDING_OFF on a networkd link: v252 does not reset it, but IPForward= makes
    # networkd turn it back on when the link is reconfigured.
    facts = facts_for("debian12_docker", ["ens3"], 252, link_forwarding=0)
    plan = networkd_forwarding_plan(facts)
    assert [d["path"] for d in plan["dropins"]] == ["/etc/systemd/network/10-ens3.network.d/50-nfdoctor-forwarding.conf"]


def test_explicit_links_and_unmanaged_ones():
    plan = networkd_forwarding_plan(facts_for("seed003_gentoo", ["eno1", "docker0"], 226, ip_forward=0),
                                    links=["eno1", "docker0"])
    assert plan["unmanaged_links"] == ["docker0"] and plan["verify_links"] == ["eno1"]
    assert len(plan["dropins"]) == 1


def test_networkd_switched_ip_forward_off_but_the_file_asks_for_it():
    # The Debian 13 molecule VM: IPv4Forwarding=no in networkd.conf.d made ip_forward 0, no
    # container runtime, but 20-wired.network still says IPForward=yes (ignored by 257).
    facts = facts_for("debian13_conf_no", ["lo", "enp1s0", "enp2s0"], 257, ip_forward=0, link_forwarding=0)
    plan = networkd_forwarding_plan(facts)
    assert plan["links"] == ["enp1s0"]
    assert plan["conf_dropin"]["path"] == CONF_DROPIN


def test_a_networkd_finding_makes_every_managed_link_a_target():
    facts = facts_for("debian13_conf_no", ["lo", "enp1s0", "enp2s0"], 257, ip_forward=0, link_forwarding=0)
    facts["findings"] = [{"id": "NETWORKD_FORWARDING_RESET"}]
    assert networkd_forwarding_plan(facts)["links"] == ["enp1s0", "enp2s0"]


@pytest.mark.parametrize("kwargs,reason", [
    ({"running": False}, "not running"),
    ({"ip_forward": 0}, "does not forward"),
])
def test_skips(kwargs, reason):
    plan = networkd_forwarding_plan(facts_for("seed003_gentoo", ["eno1"], 226, **kwargs))
    assert plan["applicable"] is False and reason in plan["skip_reason"]


def test_version_unknown_skips_but_text_version_is_accepted():
    facts = facts_for("seed003_gentoo", ["eno1"], None)
    assert "unknown" in networkd_forwarding_plan(facts)["skip_reason"]
    assert networkd_forwarding_plan(facts, version="226")["version"] == 226
    assert "predates" in networkd_forwarding_plan(facts, version=215)["skip_reason"]
    assert networkd_forwarding_plan({})["skip_reason"] == "systemd-networkd is not installed on this host"


def test_later_user_dropin_gets_a_later_name():
    facts = facts_for("seed003_gentoo", ["eno1"], 226)
    facts["networkd"]["network_files"][0]["settings"]["IPForward"] = {
        "value": "no", "file": "/etc/systemd/network/eno1.network.d/90-local.conf", "line": 2}
    plan = networkd_forwarding_plan(facts)
    assert plan["dropins"][0]["path"].endswith("/zz-nfdoctor-forwarding.conf")


def test_bad_input_is_a_clear_error():
    with pytest.raises(AnsibleFilterError, match="facts document"):
        networkd_forwarding_plan("nope")
    with pytest.raises(AnsibleFilterError, match="list of interface names"):
        networkd_forwarding_plan(facts_for("seed003_gentoo", ["eno1"], 226), links="eno1")


def _plan_256(ipforward, link_forwarding):
    facts = {
        "captured": False,
        "forwarding": {"ipv4": 1, "interfaces": {"ens3": {"ipv4": link_forwarding}}},
        "containers": {"runtimes": ["docker"]},
        "findings": [],
        "networkd": {"installed": True, "running": True, "version": 256, "conf": {"settings": {}},
                     "network_files": [{"path": "/etc/systemd/network/10-ens3.network", "interfaces": ["ens3"],
                                        "shadowed_by": None, "match": {"Name": ["ens3"]},
                                        "settings": {"IPForward": {"value": ipforward, "line": 6,
                                                                   "file": "/etc/systemd/network/10-ens3.network"}}}]},
    }
    return networkd_forwarding_plan(facts)


def test_256_ignored_ipforward_yes_is_carried_over_even_while_the_link_forwards():
    # ens3 forwards now (Docker set ip_forward), but after a reboot nothing sets it on the link:
    # the ignored IPForward=yes becomes an IPv4Forwarding=yes drop-in, so NETWORKD_IPFORWARD_IGNORED clears.
    plan = _plan_256("yes", 1)
    assert len(plan["dropins"]) == 1
    assert plan["dropins"][0]["path"].startswith("/etc/systemd/network/10-ens3.network.d/")
    assert "IPv4Forwarding=yes" in plan["dropins"][0]["content"]


def test_256_ignored_ipforward_no_is_not_turned_into_forwarding():
    plan = _plan_256("no", 1)
    assert plan["dropins"] == []
