"""Role defaults that restate an audit fact must not drift from it (issue 10).

The audit flags a disabled module of checks.CONNTRACK_FAMILY; the role that
clears CONNTRACK_MODULE_DISABLED must be willing to unblock every one of them,
or the finding survives remediation (ip6table_nat, nf_conntrack_netlink and
nf_nat_ipv6 once did).
"""
import os

import yaml

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.capture_spec import schedule_search_paths
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import CONNTRACK_FAMILY

ROLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles")


def _load(*parts):
    with open(os.path.join(ROLES, *parts)) as handle:
        return yaml.safe_load(handle)


def test_conntrack_modules_default_list_is_the_audited_family_plus_br_netfilter():
    defaults = _load("conntrack_modules", "defaults", "main.yml")["nfdoctor_conntrack_modules_modules"]
    assert set(defaults) == set(CONNTRACK_FAMILY) | {"br_netfilter"}
    assert len(defaults) == len(set(defaults))


def test_conntrack_modules_argument_spec_documents_the_same_default():
    spec = _load("conntrack_modules", "meta", "argument_specs.yml")
    option = spec["argument_specs"]["main"]["options"]["nfdoctor_conntrack_modules_modules"]
    defaults = _load("conntrack_modules", "defaults", "main.yml")["nfdoctor_conntrack_modules_modules"]
    assert option["default"] == defaults


def _hygiene(name):
    defaults = _load("conntrack_hygiene", "defaults", "main.yml")[name]
    option = _load("conntrack_hygiene", "meta", "argument_specs.yml")["argument_specs"]["main"]["options"][name]
    assert option["default"] == defaults, name  # argument_specs documents the literal default
    assert len(defaults) == len(set(defaults)), name
    return defaults


def test_conntrack_hygiene_searches_every_place_the_audit_finds_flush_jobs():
    """gather reads capture_spec.SCHEDULE_GLOBS; a cron file the role does not search is flagged, never fixed."""
    assert set(_hygiene("nfdoctor_conntrack_hygiene_flush_job_paths")) == set(
        schedule_search_paths(("cron", "script", "rc.local")))


def test_conntrack_hygiene_unit_paths_are_the_audited_units_under_etc():
    # /run/systemd/system holds runtime units (systemd.unit(5): written at runtime, gone at the next
    # boot): the audit reports a flush there, the role does not edit it. Every other location is the audit's.
    audited = schedule_search_paths(("systemd",))
    assert _hygiene("nfdoctor_conntrack_hygiene_unit_paths") == [p for p in audited if not p.startswith("/run/")]
    assert [p for p in audited if p.startswith("/run/")] == ["/run/systemd/system/*.service"]
