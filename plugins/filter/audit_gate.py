# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit role's per-run gates: argument validation and the fail gate, once for the whole play.

Used by the audit role's ``play`` entry point (playbooks/audit.yml and
audit_offline.yml). Every per-host task is a round of controller work for
every host, even when it does nothing there: the implicit argument
validation of a role and a ``fail`` task skipped on 199 of 200 hosts cost
3 and 8 seconds at 200 hosts (docs/performance.md). These filters let one
``run_once`` task do the same for every host:

- ``host_argument_spec`` nests the role's options under each host name, so one
  ``validate_argument_spec`` checks every host's values and an error names its
  host ("... found in web-7");
- ``host_arguments`` gives each host's values for those options;
- ``fail_gate`` says, from the fleet report, which hosts fail and with what
  message (the same message the per-host ``fail`` task of the ``main`` entry
  point gives, which calls it for its one host).

Which value a host has: see ``host_arguments``. In short, what its tasks
would see: a play-level value for every host, else its own variable, else
the role default.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils.report_model import (
    check_fail_on, findings_at_or_above)

GATE_VARIABLES = ("nfdoctor_fail_on", "nfdoctor_fail_on_audit_error")


def _host_names(hosts, who):
    if not isinstance(hosts, (list, tuple)) or not all(isinstance(h, str) for h in hosts):
        raise AnsibleFilterError("%s: hosts must be a list of inventory host names (ansible_play_hosts)" % who)
    return list(hosts)


def host_argument_spec(options, hosts):
    """A validate_argument_spec spec with the role's options once per host: ``{host: {type: dict, options}}``."""
    if not isinstance(options, Mapping) or not options:
        raise AnsibleFilterError("host_argument_spec: expected the options of an entry point of "
                                 "meta/argument_specs.yml, got %r" % (options,))
    return dict((name, {"type": "dict", "default": {}, "options": dict(options)})
                for name in _host_names(hosts, "host_argument_spec"))


_MISSING = object()


def _own(hostvars, host, name):
    """The host's own value of a variable (hostvars), or _MISSING; hostvars templates it when it is read."""
    try:
        own = hostvars[host]
    except (KeyError, TypeError):
        raise AnsibleFilterError("host_arguments: %s is not in hostvars" % host)
    try:
        return own[name] if name in own else _MISSING
    except Exception as exc:  # an undefined variable in the host's value, a broken lookup, ...
        raise AnsibleFilterError("host_arguments: %s of %s: %s" % (name, host, exc))


def host_arguments(hostvars, hosts, options, effective, this_host):
    """``{host: {name: value}}`` for the role's options: what each host's tasks would see, read once.

    ``hostvars`` holds each host's own variables (inventory, facts, set_fact,
    extra vars) but neither role defaults nor play variables; ``effective``
    is what a task of ``this_host`` (the run_once host) sees for each option.
    Where that differs from this host's own value (or, when it has none, from
    the option's default), a play-level variable (play ``vars``, ``vars_files``,
    role or include parameters) sets it, and it outranks every host's inventory
    value: every host gets it. Otherwise a host gets its own value, else the
    option's default; an option without a default that a host does not set is
    left out (the validator then skips it). A play-level value equal to
    ``this_host``'s own value or the default cannot be told apart from them.
    """
    if not isinstance(options, Mapping) or not isinstance(effective, Mapping):
        raise AnsibleFilterError("host_arguments: options (of meta/argument_specs.yml) and effective (the running "
                                 "host's values) must be mappings")
    hosts = _host_names(hosts, "host_arguments")
    if this_host not in hosts:
        raise AnsibleFilterError("host_arguments: this_host %r is not one of the hosts" % (this_host,))
    play_level = {}
    for name, option in options.items():
        default = option.get("default", _MISSING) if isinstance(option, Mapping) else _MISSING
        base = _own(hostvars, this_host, name)
        if base is _MISSING:
            base = default
        if name in effective and base is not _MISSING and effective[name] != base:
            play_level[name] = effective[name]
    arguments = {}
    for host in hosts:
        values = {}
        for name, option in options.items():
            if name in play_level:
                values[name] = play_level[name]
                continue
            value = _own(hostvars, host, name)
            if value is _MISSING and isinstance(option, Mapping):
                value = option.get("default", _MISSING)
            if value is not _MISSING:
                values[name] = value
        arguments[host] = values
    return arguments


def _message(host, entry, fail_on):
    if entry.get("status") != "ok":
        return "nfdoctor could not audit %s (%s): %s" % (host, entry.get("status"), entry.get("message"))
    failing = findings_at_or_above(entry.get("findings"), fail_on)
    if not failing:
        return None
    return "%s: worst finding is %s (nfdoctor_fail_on=%s): %s" % (
        host, entry.get("worst_severity"), fail_on,
        ", ".join("%s %s" % (f.get("severity"), f.get("id")) for f in failing))


def fail_gate(report, arguments):
    """The hosts to fail after the reports are written, each ``{"host": name, "message": why}``, in host order.

    ``arguments`` is ``{host: {"nfdoctor_fail_on": ..., "nfdoctor_fail_on_audit_error": ...}}`` (host_arguments)
    for the hosts still in the play. A host fails when its audit could not run and its
    nfdoctor_fail_on_audit_error is true, or when it has findings at or above its nfdoctor_fail_on.
    """
    if not isinstance(report, Mapping) or not isinstance(report.get("hosts"), Mapping):
        raise AnsibleFilterError("fail_gate: expected the output of nfdoctor.netfilter.fleet_report")
    if not isinstance(arguments, Mapping):
        raise AnsibleFilterError("fail_gate: arguments must be a mapping of host name to its %s"
                                 % " and ".join(GATE_VARIABLES))
    failing = []
    for host in sorted(arguments, key=str):
        values = arguments[host]
        entry = report["hosts"].get(host)
        if entry is None:
            raise AnsibleFilterError("fail_gate: %s is not in the fleet report" % host)
        missing = [n for n in GATE_VARIABLES if not isinstance(values, Mapping) or n not in values]
        if missing:
            raise AnsibleFilterError("fail_gate: no %s for %s" % (", ".join(missing), host))
        fail_on = values["nfdoctor_fail_on"]
        check_fail_on(fail_on, "fail_gate (%s)" % host)
        try:
            on_error = boolean(values["nfdoctor_fail_on_audit_error"], strict=True)
        except TypeError:
            raise AnsibleFilterError("fail_gate: nfdoctor_fail_on_audit_error of %s must be a boolean, not %r"
                                     % (host, values["nfdoctor_fail_on_audit_error"]))
        if entry.get("status") != "ok" and not on_error:
            continue
        message = _message(host, entry, "none" if fail_on is None else fail_on)
        if message is not None:
            # The message quotes what hosts sent (finding ids, ssh errors): it must never be templated again
            # when it is read back from a host variable (ansible-core before 2.19 would template a plain str).
            failing.append({"host": host, "message": wrap_var(message)})
    return failing


class FilterModule(object):
    """Once-per-run gates of the nfdoctor audit role."""

    def filters(self):
        return {
            "host_argument_spec": host_argument_spec,
            "host_arguments": host_arguments,
            "fail_gate": fail_gate,
        }
