"""Role defaults that restate an audit fact must not drift from it (issue 10).

The audit flags a disabled module of checks.CONNTRACK_FAMILY; the role that
clears CONNTRACK_MODULE_DISABLED must be willing to unblock every one of them,
or the finding survives remediation (ip6table_nat, nf_conntrack_netlink and
nf_nat_ipv6 once did).
"""
import os

import yaml

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
