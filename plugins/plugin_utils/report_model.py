# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report document: every host's audit result in, one report out.

Controller side. The renderers (report_html, report_markdown, report_junit,
report_prometheus, report_json, report_text) read only this document, so
this module decides what a report keeps. It keeps what the renderers show:
each host's findings, errors and a slim projection of its facts (identity,
kernel, conntrack figures; ``SLIM_FACTS``), never the whole facts document:
10 000 hosts' full facts would be copied into the report, and then into
every format's text, for nothing (issue 15). The full facts stay where the
audit put them (hostvars, a fact cache).
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import hashlib
import json
import math
import os
import re

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# the one facts lookup the checks use too; renderers call it as report_model.fact
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.findings import fact  # noqa: F401
# The one severity scale, lowest to highest; "none" is the worst severity of a
# host without findings and the fail_on that never fails.
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.severity import (  # noqa: F401
    SEVERITIES,
    SEVERITY_CHOICES as FAIL_ON_CHOICES,
    SEVERITY_RANK,
)

REPORT_SCHEMA_VERSION = 1
HOST_STATUSES = ("ok", "failed", "unreachable")
COLLECTION = "nfdoctor.netfilter"

# The facts a report keeps per host, as paths into ansible_facts.nfdoctor.
# A path ending in a dict keeps that dict only if it is small and flat.
SLIM_FACTS = (
    ("schema_version",), ("hostname",), ("root",), ("captured",), ("gathered_at",),
    ("os", "id"), ("os", "version_id"), ("os", "pretty_name"),
    ("kernel", "release"), ("kernel", "flavour"), ("kernel", "arch"),
    ("conntrack", "count"), ("conntrack", "max"), ("conntrack", "fill_ratio"),
    ("conntrack", "stats", "totals", "insert_failed"), ("conntrack", "stats", "totals", "drop"),
    ("forwarding", "ipv4"), ("forwarding", "ipv6"),
    ("br_netfilter", "loaded"), ("networkd", "installed"), ("networkd", "version"),
    ("namespaces", "count"),
    # what an offline host was read from: our capture or a sosreport, and which sos wrote it
    ("provenance", "layout"), ("provenance", "sos_version"),
)
# Bounds on the lists a slim host keeps: a hostile or huge host cannot make the report huge.
MAX_SLIM_ITEMS = 256


# --------------------------------------------------------------- severities
def severity_rank(severity):
    """Rank of a severity name: none 0, info 1 ... critical 5."""
    if not isinstance(severity, str) or severity.lower() not in SEVERITY_RANK:
        raise AnsibleFilterError(
            "severity_rank: %r is not a severity; expected one of %s"
            % (severity, ", ".join(sorted(SEVERITY_RANK, key=SEVERITY_RANK.get))))
    return SEVERITY_RANK[severity.lower()]


def lenient_severity(value):
    """A finding's severity as a known name; unknown values count as info.

    Findings come from hosts that may run another nfdoctor version; a value
    we do not know must not break the report, and info keeps it visible
    without inflating the host's worst severity.
    """
    if isinstance(value, str) and value.lower() in SEVERITY_RANK and value.lower() != "none":
        return value.lower()
    return "info"


def finding_rank(finding):
    return SEVERITY_RANK[lenient_severity(finding.get("severity"))]


def worst_severity(findings):
    """The highest severity among findings, ``none`` for an empty list."""
    if findings is None:
        return "none"
    if not isinstance(findings, (list, tuple)):
        raise AnsibleFilterError("worst_severity: expected a list of findings, got %s" % type(findings).__name__)
    worst = "none"
    for finding in findings:
        sev = lenient_severity(finding.get("severity") if isinstance(finding, dict) else None)
        if SEVERITY_RANK[sev] > SEVERITY_RANK[worst]:
            worst = sev
    return worst


def findings_at_or_above(findings, threshold):
    """The findings whose severity is at or above ``threshold`` (``none``: no finding)."""
    if threshold is None or str(threshold).lower() == "none":
        return []
    limit = severity_rank(threshold)
    return [f for f in as_list(findings) if isinstance(f, dict) and finding_rank(f) >= limit]


def check_fail_on(value, who):
    """A fail_on threshold as a lower-case name, or a clear error."""
    value = "none" if value is None else str(value).lower()
    if value not in FAIL_ON_CHOICES:
        raise AnsibleFilterError("%s: fail_on must be one of %s, not %r" % (who, ", ".join(FAIL_ON_CHOICES), value))
    return value


# ------------------------------------------------------------------ helpers
def text(value):
    """Any value as text for display; None as an empty string."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def as_list(value):
    """A list from a host document, or [] when the host sent something else."""
    return value if isinstance(value, list) else []


def plain(value):
    """A JSON-able copy (Ansible may hand us its own str/dict subclasses)."""
    return json.loads(json.dumps(value, default=str))


def is_nan(value):
    """True for a float NaN (a corrupt counter), which no report should show as a number."""
    return isinstance(value, float) and math.isnan(value)


def collection_version():
    """Version of this collection, from galaxy.yml (checkout) or MANIFEST.json (installed)."""
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        with open(os.path.join(top, "MANIFEST.json")) as handle:
            return json.load(handle)["collection_info"]["version"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        with open(os.path.join(top, "galaxy.yml")) as handle:
            for line in handle:
                match = re.match(r"^version:\s*['\"]?([^'\"\s]+)", line)
                if match:
                    return match.group(1)
    except OSError:
        pass
    return "unknown"


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def anchor(name):
    """A stable, safe fragment id for a host name."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", text(name)).strip("-").lower() or "host"
    digest = hashlib.sha1(text(name).encode("utf-8", "replace")).hexdigest()[:6]
    return "host-%s-%s" % (slug[:50], digest)


_ROLE_NAME = re.compile(r"^(?:[a-z0-9_]+\.[a-z0-9_]+\.)?([a-z][a-z0-9_]*)$")
_SAFE_HOST = re.compile(r"^[A-Za-z0-9_.:@\[\]-]+$")


def remediation_command(host, finding):
    """The check-mode remediate command that previews the fix of one finding on one host.

    None when the finding names no role (kernel-only findings) or the role is not
    a plain role name. Host names outside ``[A-Za-z0-9_.:@[]-]`` are single-quoted
    for the shell, so a pasted command never runs what a hostile name holds.
    """
    role = finding.get("role")
    match = _ROLE_NAME.match(role) if isinstance(role, str) else None
    if not match:
        return None
    name = text(host)
    if not _SAFE_HOST.match(name):
        name = "'%s'" % name.replace("'", "'\\''")
    return "ansible-playbook %s.remediate -l %s --tags %s --check --diff" % (COLLECTION, name, match.group(1))


# --------------------------------------------------------------- slim facts
def _slim_value(value):
    """Scalars as they are; small flat containers kept; anything bigger dropped."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return None


def slim_facts(facts):
    """The part of one host's facts document the reports use (``SLIM_FACTS`` and a few lists)."""
    slim = {}
    for path in SLIM_FACTS:
        value = _slim_value(fact(facts, *path))
        if value is None:
            continue
        node = slim
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    interfaces = fact(facts, "forwarding", "interfaces")
    if isinstance(interfaces, dict):
        slim.setdefault("forwarding", {})["interfaces"] = {
            str(n): {"ipv4": _slim_value(v.get("ipv4"))}
            for n, v in sorted(interfaces.items(), key=lambda kv: str(kv[0]))[:MAX_SLIM_ITEMS] if isinstance(v, dict)}
    bridges = fact(facts, "bridges")
    if isinstance(bridges, dict):
        slim["bridges"] = {str(n): {} for n in sorted(bridges, key=str)[:MAX_SLIM_ITEMS]}
    provenance = fact(facts, "provenance")
    if isinstance(provenance, dict):
        # which file each fact family came from: "no NAT rules" is "none" or "not collected"
        for family, sources in sorted(provenance.items())[:MAX_SLIM_ITEMS]:
            if isinstance(sources, list):
                slim.setdefault("provenance", {})[str(family)] = [
                    text(s) for s in sources[:MAX_SLIM_ITEMS] if isinstance(s, (str, int, float))]
    stuck = fact(facts, "processes", "stuck")
    if isinstance(stuck, list):
        slim["processes"] = {"stuck": [{"pid": _slim_value(p.get("pid")), "comm": _slim_value(p.get("comm"))}
                                       for p in stuck[:MAX_SLIM_ITEMS] if isinstance(p, dict)]}
    return plain(slim)


# ------------------------------------------------------------ fleet report
def sorted_findings(findings):
    """Worst first, then by ID, so every report lists findings the same way."""
    clean = [f for f in as_list(findings) if isinstance(f, dict)]
    return sorted(clean, key=lambda f: (-finding_rank(f), text(f.get("id"))))


# What ansible-core prints when the host's Python could not even start the module:
# the result holds only the interpreter's stderr.
_NO_JSON = "Module result deserialization failed"
_TOO_OLD = re.compile(r"AnsiballZ_\w+\.py.*SyntaxError", re.S)
_NO_INTERPRETER = re.compile(r"command not found|No such file or directory|not found", re.I)


def failure_message(result):
    """Why the audit task failed, led by what to do when the host's interpreter is the cause.

    ansible-core 2.17+ writes its module wrapper (AnsiballZ) in Python 3.8 syntax:
    on Python 2.7 (RHEL 7) and 3.6 (RHEL 8 platform-python) it is a SyntaxError
    before any module code runs, and the task's msg says only that no JSON came
    back. A discovered interpreter that does not run (a pyenv shim of a version
    that is not active) ends the same way, with rc 127.
    """
    msg = text(result.get("msg")) or "the audit module returned no nfdoctor facts"
    stderr = text(result.get("module_stderr")).strip()
    if not msg.startswith(_NO_JSON) or not stderr:
        return msg
    said = [line.strip() for line in stderr.splitlines() if line.strip()]
    if _TOO_OLD.search(stderr):
        return ("the host's Python cannot run this ansible-core's modules (%s): audit Python 2.7/3.6 hosts "
                "(RHEL 7/8) from ansible-core 2.16, or set ansible_python_interpreter to Python 3.8+ "
                "(docs/installed.md); %s" % (said[-1][:200], msg))
    if result.get("rc") == 127 or _NO_INTERPRETER.search(said[0]):
        return ("the host's Python interpreter did not start (%s): set ansible_python_interpreter for this host "
                "(docs/installed.md); %s" % (said[0][:200], msg))
    return msg


def host_entry(name, result):
    """One host of the report from its registered module result (slim: see the module docstring)."""
    entry = {"status": "ok", "message": None, "facts": None, "findings": [], "errors": [],
             "worst_severity": None}
    if not isinstance(result, Mapping) or not result:
        entry["status"] = "failed"
        entry["message"] = "no audit result: the host failed or was skipped before the audit task ran"
        return entry
    if result.get("unreachable"):
        entry["status"] = "unreachable"
        entry["message"] = text(result.get("msg")) or "host unreachable"
        return entry
    if result.get("skipped"):
        entry["status"] = "failed"
        reason = text(result.get("skip_reason")) or "condition false"
        entry["message"] = "the audit task was skipped on this host (%s)" % reason
        return entry
    facts = (result.get("ansible_facts") or {}).get("nfdoctor")
    if result.get("failed") or not isinstance(facts, Mapping):
        entry["status"] = "failed"
        entry["message"] = failure_message(result)
        if isinstance(facts, Mapping):
            entry["facts"] = slim_facts(facts)
        return entry
    entry["facts"] = slim_facts(facts)
    # Findings and errors are copied one host at a time: never the whole fleet's results at once.
    entry["findings"] = sorted_findings(plain(as_list(facts.get("findings"))))
    entry["errors"] = [e for e in plain(as_list(facts.get("errors"))) if isinstance(e, dict)]
    entry["worst_severity"] = worst_severity(entry["findings"])
    return entry


def _results_from_hostvars(hostvars, hosts, result_var):
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("fleet_report: 'hosts' must be a list of inventory host names")
    results = {}
    for name in hosts:
        try:
            host_vars = hostvars[name]
        except (KeyError, TypeError):
            host_vars = None
        value = None
        if host_vars is not None:
            try:
                value = host_vars[result_var] if result_var in host_vars else None
            except Exception:  # an undefined or broken variable means the host has no usable result
                value = None
        results[str(name)] = value
    return results


RUN_CONTEXT_KEYS = ("check_mode", "diff_mode", "become", "report_formats")


def _run_context(run_context, fail_on):
    """What the audit run was asked to do, as the role knew it (docs/reports.md, ``run``)."""
    if run_context is None:
        run_context = {}
    if not isinstance(run_context, Mapping):
        raise AnsibleFilterError("fleet_report: run_context must be a mapping, got %s" % type(run_context).__name__)
    unknown = sorted(str(k) for k in run_context if k not in RUN_CONTEXT_KEYS)
    if unknown:
        raise AnsibleFilterError("fleet_report: run_context has unknown key(s) %s; known: %s"
                                 % (", ".join(unknown), ", ".join(RUN_CONTEXT_KEYS)))
    run = {"fail_on": fail_on}
    for key in ("check_mode", "diff_mode", "become"):
        value = run_context.get(key)
        # Jinja hands booleans over as strings when the role templates them, and null as "" or "None".
        if isinstance(value, str) and value.strip().lower() in ("", "none"):
            value = None
        elif isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
            value = value.lower() in ("true", "yes")
        if value is not None and not isinstance(value, bool):
            raise AnsibleFilterError("fleet_report: run_context.%s must be true, false or null, not %r" % (key, value))
        run[key] = value
    formats = run_context.get("report_formats")
    run["report_formats"] = [text(f) for f in formats] if isinstance(formats, (list, tuple)) else []
    return run


def fleet_report(results, hosts=None, result_var=None, fail_on="none", generated_at=None, nfdoctor_version=None,
                 run_context=None):
    """The fleet report document: ``{hostname: registered result}`` in, report out.

    ``results`` values are the registered results of the audit task (``None``
    for a host that never ran it). With ``hosts`` and ``result_var``,
    ``results`` is ``hostvars`` and each host's result is read from the
    variable ``result_var`` (a host without it never ran the audit). The layout
    is documented in docs/reports.md and versioned by ``report_schema_version``.
    """
    if hosts is not None:
        if not result_var:
            raise AnsibleFilterError("fleet_report: 'hosts' needs 'result_var', the variable holding each host's result")
        results = _results_from_hostvars(results, hosts, result_var)
    if not isinstance(results, Mapping):
        raise AnsibleFilterError("fleet_report: expected a mapping of host name to audit result, got %s"
                                 % type(results).__name__)
    fail_on = check_fail_on(fail_on, "fleet_report")
    run = _run_context(run_context, fail_on)
    entries = {}
    for name in sorted(results, key=str):
        entries[str(name)] = host_entry(name, results[name])
    report = {
        "report_schema_version": REPORT_SCHEMA_VERSION,
        "generated_at": generated_at or utc_now(),
        "nfdoctor_version": nfdoctor_version or collection_version(),
        "run": run,
        "summary": {},
        "hosts": entries,
    }
    report["summary"] = _summary(entries, fail_on)
    return report


def _summary(hosts, fail_on):
    """Fleet totals, one pass over the hosts (linear in hosts and findings)."""
    by_status = {status: [] for status in HOST_STATUSES}
    by_worst = {sev: [] for sev in ("none",) + SEVERITIES}
    severity_counts = {sev: 0 for sev in SEVERITIES}
    per_id = {}
    worst = "none"
    failing = []
    with_errors = []
    limit = SEVERITY_RANK[fail_on] if fail_on != "none" else None
    for name in sorted(hosts):
        entry = hosts[name]
        by_status[entry["status"]].append(name)
        if entry["errors"]:
            with_errors.append(name)
        if entry["status"] == "ok":
            by_worst[entry["worst_severity"]].append(name)
            if SEVERITY_RANK[entry["worst_severity"]] > SEVERITY_RANK[worst]:
                worst = entry["worst_severity"]
        if limit is not None and (entry["status"] != "ok" or SEVERITY_RANK[entry["worst_severity"]] >= limit):
            failing.append(name)
        # One row per finding ID: on how many hosts it fired, and its worst severity there.
        for finding in entry["findings"]:
            sev = lenient_severity(finding.get("severity"))
            severity_counts[sev] += 1
            fid = text(finding.get("id")) or "UNKNOWN"
            row = per_id.get(fid)
            if row is None:
                row = per_id[fid] = {"hosts": [], "count": 0, "severity": "info", "title": text(finding.get("title"))}
            row["count"] += 1
            if not row["hosts"] or row["hosts"][-1] != name:  # hosts come in order: last one is enough
                row["hosts"].append(name)
            if SEVERITY_RANK[sev] > SEVERITY_RANK[row["severity"]]:
                row["severity"] = sev
    return {
        "hosts_total": len(hosts),
        "hosts_by_status": by_status,
        "hosts_by_worst_severity": by_worst,
        "worst_severity": worst,
        "findings_total": sum(severity_counts.values()),
        "findings_by_severity": severity_counts,
        "findings_by_id": dict(sorted(per_id.items(), key=lambda kv: (-SEVERITY_RANK[kv[1]["severity"]], kv[0]))),
        "hosts_with_errors": with_errors,
        "fail_on": fail_on,
        "failing_hosts": failing,
    }


# ------------------------------------------------------- for the renderers
def check_report(report, who):
    if not isinstance(report, dict) or report.get("report_schema_version") != REPORT_SCHEMA_VERSION \
            or not isinstance(report.get("hosts"), dict):
        raise AnsibleFilterError("%s: expected the output of nfdoctor.netfilter.fleet_report "
                                 "(report_schema_version %d)" % (who, REPORT_SCHEMA_VERSION))
    return report


def kernel_release(entry):
    return text(fact(entry.get("facts") or {}, "kernel", "release"))


def severity_counts(entry):
    counts = {sev: 0 for sev in SEVERITIES}
    for finding in entry.get("findings") or []:
        counts[lenient_severity(finding.get("severity"))] += 1
    return counts


def host_order(report):
    """Worst hosts first: failed/unreachable, then by worst severity, then name."""
    def key(item):
        name, entry = item
        if entry["status"] != "ok":
            return (0, 0, name)
        return (1, -SEVERITY_RANK[entry["worst_severity"] or "none"], name)
    return sorted(report["hosts"].items(), key=key)


def fleet_findings(ordered):
    """(host, finding) pairs of the whole fleet, worst first, then by ID and host."""
    return sorted(((name, f) for name, entry in ordered for f in entry["findings"]),
                  key=lambda nf: (-finding_rank(nf[1]), text(nf[1].get("id")), nf[0]))


def host_view(name, entry):
    """What the host templates show of one host (shared with the HTML renderer)."""
    findings = []
    for finding in entry["findings"]:
        findings.append({
            "id": finding.get("id"), "title": finding.get("title"), "detail": finding.get("detail"),
            "remediation": finding.get("remediation"), "role": finding.get("role"),
            "confidence": finding.get("confidence"),
            "severity": lenient_severity(finding.get("severity")),
            "rank": finding_rank(finding),
            "evidence": [e for e in as_list(finding.get("evidence")) if isinstance(e, dict)],
            "references": [r for r in as_list(finding.get("references")) if r],
            "command": remediation_command(name, finding),
        })
    counts = severity_counts(entry)
    return {
        "name": name, "anchor": anchor(name), "status": entry["status"], "message": entry.get("message"),
        "worst": entry["worst_severity"] if entry["status"] == "ok" else "-",
        "worst_severity": entry["worst_severity"],
        "counts": [counts[s] for s in reversed(SEVERITIES)],
        "kernel": kernel_release(entry), "errors": entry["errors"], "findings": findings,
        "facts": entry.get("facts") or {},
    }
