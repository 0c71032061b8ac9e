"""audit_gate: the audit role's per-run argument validation and fail gate (issue 15).

The spec is the audit role's real meta/argument_specs.yml and the validator is
ansible-core's own (what validate_argument_spec runs), so a test here fails
when the options, the nesting or the messages drift. The fleet report is built
by fleet_report from the recorded facts of seed 000 (one critical, one high,
one medium finding) and of the healthy Debian 12 host.
"""
import json
import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.nfdoctor.netfilter.plugins.filter import audit_gate as gate
from ansible_collections.nfdoctor.netfilter.plugins.filter.fleet_report import fleet_report

HERE = os.path.dirname(__file__)
SPECS = os.path.join(HERE, "..", "..", "..", "..", "roles", "audit", "meta", "argument_specs.yml")
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "fleet_reports")


@pytest.fixture(scope="module")
def options():
    with open(SPECS) as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"]


def facts(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return {"changed": False, "ansible_facts": {"nfdoctor": json.load(handle)}}


@pytest.fixture(scope="module")
def report():
    return fleet_report({
        "kvm-07": facts("facts_seed000_centos7.json"),
        "edge-02": facts("facts_healthy_debian12.json"),
        "db-9": {"unreachable": True, "msg": "ssh: connect to host db-9 port 22: Connection timed out"},
    })


def validate(options, hosts, arguments):
    spec = gate.host_argument_spec(options, hosts)
    return ArgumentSpecValidator(spec).validate(arguments, validate_role_argument_spec=True).error_messages


def effective(options, **values):
    """What a task of the run_once host sees when nothing overrides the defaults."""
    out = {name: option.get("default") for name, option in options.items()}
    out.update(values)
    return out


# ------------------------------------------------------------ validation of every host in one task
def test_every_host_valid_passes_and_one_bad_value_names_its_host(options):
    hostvars = {"web-1": {}, "web-2": {"nfdoctor_fail_on": "high"}, "web-7": {"nfdoctor_fail_on": "bogus"}}
    hosts = ["web-1", "web-2", "web-7"]
    args = gate.host_arguments(hostvars, hosts, options, effective(options), "web-1")
    assert validate(options, hosts, args) == [
        "value of nfdoctor_fail_on must be one of: none, info, low, medium, high, critical, got: bogus "
        "found in web-7"]
    hostvars["web-7"]["nfdoctor_fail_on"] = "critical"
    args = gate.host_arguments(hostvars, hosts, options, effective(options), "web-1")
    assert validate(options, hosts, args) == []


def test_type_errors_are_found_on_any_host_and_each_names_it(options):
    hostvars = {"a": {"nfdoctor_sample_interval": "soon"}, "b": {}, "c": {"nfdoctor_known_bad_kernels": "5.4"}}
    args = gate.host_arguments(hostvars, ["a", "b", "c"], options, effective(options), "b")
    errors = validate(options, ["a", "b", "c"], args)
    assert len(errors) == 2
    # ansible-core words type errors as "... is of type str found in 'a'. and we were unable to convert ..."
    assert errors[0].startswith("argument 'nfdoctor_sample_interval' is of type str found in 'a'.")
    assert errors[1].startswith("Elements value for option 'nfdoctor_known_bad_kernels' found in 'c' is of type str")


def test_the_spec_nests_the_same_options_under_every_host(options):
    spec = gate.host_argument_spec(options, ["x", "y"])
    assert sorted(spec) == ["x", "y"]
    assert spec["x"]["type"] == "dict" and spec["x"]["options"] == options
    with pytest.raises(AnsibleFilterError, match="expected the options of an entry point"):
        gate.host_argument_spec({}, ["x"])
    with pytest.raises(AnsibleFilterError, match="hosts must be a list of inventory host names"):
        gate.host_argument_spec(options, "x")


# ------------------------------------------------------------ which value each host gets
def test_own_values_win_over_defaults_and_defaults_fill_the_rest(options):
    hostvars = {"a": {"nfdoctor_fail_on": "critical"}, "b": {}}
    args = gate.host_arguments(hostvars, ["a", "b"], options, effective(options, nfdoctor_fail_on="critical"), "a")
    assert args["a"]["nfdoctor_fail_on"] == "critical"
    # b sets nothing: the role default, not the run_once host's own value.
    assert args["b"]["nfdoctor_fail_on"] == "none"
    assert args["b"]["nfdoctor_fail_on_audit_error"] is True
    # An option with no default that b does not set is left for the validator to skip.
    assert "nfdoctor_command_timeout" not in args["b"]


def test_a_play_level_value_outranks_every_hosts_inventory_value(options):
    # play vars: nfdoctor_fail_on: high. The run_once host sees high though its inventory says low,
    # so something above the inventory sets it for the play, as Ansible's precedence would for each host.
    hostvars = {"a": {"nfdoctor_fail_on": "low"}, "b": {"nfdoctor_fail_on": "medium"}, "c": {}}
    args = gate.host_arguments(hostvars, ["a", "b", "c"], options, effective(options, nfdoctor_fail_on="high"), "a")
    assert [args[h]["nfdoctor_fail_on"] for h in "abc"] == ["high", "high", "high"]
    # The run_once host sets nothing itself and sees a value other than the default: also play level.
    args = gate.host_arguments(hostvars, ["c", "a"], options, effective(options, nfdoctor_fail_on="high"), "c")
    assert args["a"]["nfdoctor_fail_on"] == "high"
    # Nothing above the inventory: each host keeps its own.
    args = gate.host_arguments(hostvars, ["c", "a", "b"], options, effective(options), "c")
    assert [args[h]["nfdoctor_fail_on"] for h in "cab"] == ["none", "low", "medium"]


def test_bad_hostvars_input_is_a_clear_error(options):
    class Broken(dict):
        def __getitem__(self, key):
            raise ValueError("'undefined_thing' is undefined")

    hostvars = {"a": {}, "b": Broken(nfdoctor_root="x")}
    with pytest.raises(AnsibleFilterError, match="host_arguments: nfdoctor_root of b: 'undefined_thing' is undefined"):
        gate.host_arguments(hostvars, ["a", "b"], options, effective(options), "a")
    with pytest.raises(AnsibleFilterError, match="host_arguments: zz is not in hostvars"):
        gate.host_arguments(hostvars, ["a", "zz"], options, effective(options), "a")
    with pytest.raises(AnsibleFilterError, match="this_host 'q' is not one of the hosts"):
        gate.host_arguments(hostvars, ["a"], options, effective(options), "q")
    with pytest.raises(AnsibleFilterError, match="must be mappings"):
        gate.host_arguments(hostvars, ["a"], options, None, "a")


# ------------------------------------------------------------ the fail gate
def gate_args(fail_on="none", on_error=True, hosts=("db-9", "edge-02", "kvm-07")):
    return dict((h, {"nfdoctor_fail_on": fail_on, "nfdoctor_fail_on_audit_error": on_error}) for h in hosts)


def test_fail_on_fails_the_hosts_at_or_above_with_the_messages_main_gave(report):
    failing = gate.fail_gate(report, gate_args("critical"))
    assert [f["host"] for f in failing] == ["db-9", "kvm-07"]
    assert failing[0]["message"] == ("nfdoctor could not audit db-9 (unreachable): "
                                     "ssh: connect to host db-9 port 22: Connection timed out")
    assert failing[1]["message"] == ("kvm-07: worst finding is critical (nfdoctor_fail_on=critical): "
                                     "critical CONNTRACK_MODULE_DISABLED")


def test_none_fails_only_audit_errors_and_those_only_when_asked(report):
    assert [f["host"] for f in gate.fail_gate(report, gate_args("none"))] == ["db-9"]
    assert gate.fail_gate(report, gate_args("none", on_error=False)) == []
    # As -e gives it: a string.
    assert gate.fail_gate(report, gate_args("none", on_error="false")) == []
    # A healthy host never fails, even at info.
    assert [f["host"] for f in gate.fail_gate(report, gate_args("info", on_error=False))] == ["kvm-07"]


def test_each_host_is_judged_by_its_own_threshold(report):
    args = gate_args("none", on_error=False)
    args["kvm-07"]["nfdoctor_fail_on"] = "High"
    failing = gate.fail_gate(report, args)
    assert failing == [{"host": "kvm-07", "message": "kvm-07: worst finding is critical (nfdoctor_fail_on=High): "
                                                     "critical CONNTRACK_MODULE_DISABLED, high MODULE_LOAD_STUCK"}]
    # Only the hosts given are considered (the hosts still in the play).
    assert gate.fail_gate(report, gate_args("critical", hosts=("edge-02",))) == []


def test_fail_gate_refuses_what_it_cannot_judge(report):
    with pytest.raises(AnsibleFilterError, match="expected the output of nfdoctor.netfilter.fleet_report"):
        gate.fail_gate({"hosts": None}, gate_args())
    with pytest.raises(AnsibleFilterError, match="ghost is not in the fleet report"):
        gate.fail_gate(report, gate_args(hosts=("ghost",)))
    with pytest.raises(AnsibleFilterError, match="no nfdoctor_fail_on_audit_error for kvm-07"):
        gate.fail_gate(report, {"kvm-07": {"nfdoctor_fail_on": "high"}})
    with pytest.raises(AnsibleFilterError, match=r"fail_on must be one of .*, not 'severe'"):
        gate.fail_gate(report, gate_args("severe"))
    with pytest.raises(AnsibleFilterError, match="nfdoctor_fail_on_audit_error of db-9 must be a boolean, not 'maybe'"):
        gate.fail_gate(report, gate_args(on_error="maybe"))
