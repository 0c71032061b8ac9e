"""Fleet report filters: document layout, severities, and every renderer's escaping."""
import copy
import html.parser
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.nfdoctor.netfilter.plugins.filter import fleet_report as fr
from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils import report_markdown as rmd

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "fleet_reports")


def load(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def ok(facts):
    return {"changed": False, "ansible_facts": {"nfdoctor": facts}}


@pytest.fixture
def results():
    return {
        "kvm-host-07": ok(load("facts_seed000_centos7.json")),
        "edge-fw-02": ok(load("facts_healthy_debian12.json")),
        'evil"><img>': ok(load("facts_hostile.json")),
        "db-9": {"unreachable": True, "changed": False,
                 "msg": "Failed to connect to the host via ssh: ssh: connect to host db-9 port 22: Connection timed out"},
        "rhel5-legacy": {"failed": True, "msg": "/usr/bin/python: not found", "rc": 127},
        "never-ran": None,
    }


@pytest.fixture
def report(results):
    return fr.fleet_report(results, fail_on="high", generated_at="2026-11-22T00:40:00Z", nfdoctor_version="0.1.0")


# ----------------------------------------------------------------- severities
@pytest.mark.parametrize("name,rank", [("none", 0), ("info", 1), ("low", 2), ("medium", 3), ("high", 4),
                                       ("critical", 5), ("CRITICAL", 5)])
def test_severity_rank(name, rank):
    assert fr.severity_rank(name) == rank


@pytest.mark.parametrize("bad", ["severe", "", None, 3])
def test_severity_rank_rejects_unknown_names(bad):
    with pytest.raises(AnsibleFilterError, match="not a severity"):
        fr.severity_rank(bad)


def test_worst_severity():
    assert fr.worst_severity([]) == "none"
    assert fr.worst_severity(None) == "none"
    assert fr.worst_severity([{"severity": "low"}, {"severity": "high"}, {"severity": "medium"}]) == "high"
    # An unknown severity from a newer module stays visible as info, never inflates the host.
    assert fr.worst_severity([{"severity": "catastrophic"}]) == "info"
    with pytest.raises(AnsibleFilterError, match="list of findings"):
        fr.worst_severity("critical")


def test_findings_at_or_above():
    findings = load("facts_seed000_centos7.json")["findings"]
    assert fr.findings_at_or_above(findings, "none") == []
    assert sorted(f["id"] for f in fr.findings_at_or_above(findings, "high")) == \
        ["CONNTRACK_MODULE_DISABLED", "MODULE_LOAD_STUCK"]
    assert len(fr.findings_at_or_above(findings, "info")) == 3
    assert fr.findings_at_or_above(findings, "critical")[0]["id"] == "CONNTRACK_MODULE_DISABLED"


# ------------------------------------------------------------ report document
def test_host_statuses_and_messages(report):
    hosts = report["hosts"]
    assert hosts["kvm-host-07"]["status"] == "ok"
    assert hosts["db-9"]["status"] == "unreachable"
    assert "Connection timed out" in hosts["db-9"]["message"]
    assert hosts["rhel5-legacy"]["status"] == "failed"
    assert hosts["rhel5-legacy"]["message"] == "/usr/bin/python: not found"
    assert hosts["never-ran"]["status"] == "failed"
    assert "before the audit task" in hosts["never-ran"]["message"]
    assert hosts["db-9"]["worst_severity"] is None
    assert hosts["edge-fw-02"]["worst_severity"] == "none"


def test_findings_sorted_worst_first_and_facts_kept(report):
    host = report["hosts"]["kvm-host-07"]
    assert [f["id"] for f in host["findings"]] == ["CONNTRACK_MODULE_DISABLED", "MODULE_LOAD_STUCK",
                                                   "BR_NETFILTER_NOT_LOADED"]
    assert host["facts"]["kernel"]["release"] == "3.10.0-514.el7.x86_64"
    assert host["worst_severity"] == "critical"


def test_summary(report):
    summary = report["summary"]
    assert report["report_schema_version"] == 1
    assert summary["hosts_total"] == 6
    assert summary["hosts_by_status"] == {"ok": ["edge-fw-02", 'evil"><img>', "kvm-host-07"],
                                          "failed": ["never-ran", "rhel5-legacy"], "unreachable": ["db-9"]}
    assert summary["hosts_by_worst_severity"]["critical"] == ["kvm-host-07"]
    assert summary["hosts_by_worst_severity"]["none"] == ["edge-fw-02"]
    assert summary["findings_total"] == 5
    assert summary["findings_by_severity"] == {"info": 1, "low": 0, "medium": 1, "high": 2, "critical": 1}
    assert list(summary["findings_by_id"])[0] == "CONNTRACK_MODULE_DISABLED"
    assert summary["findings_by_id"]["MODULE_LOAD_STUCK"]["hosts"] == ["kvm-host-07"]
    assert summary["worst_severity"] == "critical"
    # fail_on=high: the critical host, the high one, and every host that was not audited.
    assert summary["failing_hosts"] == ["db-9", 'evil"><img>', "kvm-host-07", "never-ran", "rhel5-legacy"]
    assert summary["hosts_with_errors"] == ['evil"><img>']


def test_fail_on_none_fails_nobody(results):
    report = fr.fleet_report(results)
    assert report["summary"]["fail_on"] == "none"
    assert report["summary"]["failing_hosts"] == []


def test_fail_on_critical_spares_high(results):
    report = fr.fleet_report(results, fail_on="critical")
    assert "kvm-host-07" in report["summary"]["failing_hosts"]
    assert 'evil"><img>' not in report["summary"]["failing_hosts"]


def test_bad_arguments():
    with pytest.raises(AnsibleFilterError, match="fail_on must be one of"):
        fr.fleet_report({}, fail_on="severe")
    with pytest.raises(AnsibleFilterError, match="mapping of host name"):
        fr.fleet_report(["web01"])
    with pytest.raises(AnsibleFilterError, match="needs 'result_var'"):
        fr.fleet_report({}, hosts=["a"])
    with pytest.raises(AnsibleFilterError, match="output of nfdoctor.netfilter.fleet_report"):
        fr.report_html({"hosts": {}})


def test_results_from_hostvars(results):
    hostvars = {"web01": {"audit": results["kvm-host-07"], "other": 1}, "web02": {"other": 2}}
    report = fr.fleet_report(hostvars, hosts=["web01", "web02", "gone"], result_var="audit")
    assert report["hosts"]["web01"]["status"] == "ok"
    assert report["hosts"]["web02"]["status"] == "failed"
    assert report["hosts"]["gone"]["status"] == "failed"


def test_module_failure_with_partial_facts_is_failed():
    result = {"failed": True, "msg": "boom", "ansible_facts": {"nfdoctor": {"findings": [{"id": "X"}]}}}
    entry = fr.fleet_report({"h": result})["hosts"]["h"]
    assert entry["status"] == "failed" and entry["message"] == "boom" and entry["findings"] == []


# Registered results of the audit task when the host's interpreter never ran the
# module, recorded with ansible-core 2.19.14 against pyenv's Python 2.7.18 and
# 3.6.15 and a pyenv shim of an inactive 3.13 (make test-installed, issue 13).
_NO_JSON = "Module result deserialization failed: No start of json char found"
INTERPRETER_FAILURES = {
    "python2.7": {"failed": True, "changed": False, "rc": 1, "msg": _NO_JSON, "module_stdout": "",
                  "module_stderr": '  File "/root/.ansible/tmp/ansible-tmp-1796235486.8410826-21233-141424882271728/'
                                   'AnsiballZ_netfilter_facts.py", line 40\n    zip_data: str,\n            ^\n'
                                   'SyntaxError: invalid syntax\n'},
    "python3.6": {"failed": True, "changed": False, "rc": 1, "msg": _NO_JSON, "module_stdout": "",
                  "module_stderr": '  File "/root/.ansible/tmp/ansible-tmp-1796235752.5988734-7288-146317046817798/'
                                   'AnsiballZ_netfilter_facts.py", line 3\n    from __future__ import annotations\n'
                                   '    ^\nSyntaxError: future feature annotations is not defined\n'},
    "pyenv-shim": {"failed": True, "changed": False, "rc": 127, "msg": _NO_JSON, "module_stdout": "",
                   "module_stderr": "pyenv: python3.13: command not found\n\nThe `python3.13' command exists in "
                                    "these Python versions:\n  3.13.0\n\nNote: See 'pyenv help global' for tips "
                                    "on allowing multiple\n      Python versions to be found at the same time.\n"},
}


@pytest.mark.parametrize("name, lead", [
    ("python2.7", "the host's Python cannot run this ansible-core's modules (SyntaxError: invalid syntax): "
                  "audit Python 2.7/3.6 hosts (RHEL 7/8) from ansible-core 2.16"),
    ("python3.6", "the host's Python cannot run this ansible-core's modules "
                  "(SyntaxError: future feature annotations is not defined)"),
    ("pyenv-shim", "the host's Python interpreter did not start (pyenv: python3.13: command not found): "
                   "set ansible_python_interpreter for this host"),
])
def test_interpreter_failures_say_what_to_do(name, lead):
    entry = fr.fleet_report({"h": INTERPRETER_FAILURES[name]})["hosts"]["h"]
    assert entry["status"] == "failed"
    assert entry["message"].startswith(lead), entry["message"]
    assert entry["message"].endswith(_NO_JSON)  # ansible-core's own words stay


def test_other_module_failures_keep_their_message():
    """A module that ran and crashed, or failed on its own, is not blamed on the interpreter."""
    crashed = {"failed": True, "rc": 1, "msg": _NO_JSON,
               "module_stderr": "Traceback (most recent call last):\n  File \"AnsiballZ_netfilter_facts.py\", "
                                "line 107, in <module>\nKeyError: 'root'\n"}
    assert fr.fleet_report({"h": crashed})["hosts"]["h"]["message"] == crashed["msg"]
    no_stderr = {"failed": True, "rc": 1, "msg": _NO_JSON, "module_stderr": ""}
    assert fr.fleet_report({"h": no_stderr})["hosts"]["h"]["message"] == _NO_JSON
    own = {"failed": True, "msg": "root /srv/x: not a directory"}
    assert fr.fleet_report({"h": own})["hosts"]["h"]["message"] == own["msg"]


def test_skipped_audit_is_failed():
    entry = fr.fleet_report({"h": {"skipped": True, "skip_reason": "Conditional result was False"}})["hosts"]["h"]
    assert entry["status"] == "failed" and "skipped" in entry["message"]


def test_json_keeps_documented_paths(report):
    doc = json.loads(fr.report_json(report))
    assert [f["id"] for f in doc["hosts"]["kvm-host-07"]["findings"]][0] == "CONNTRACK_MODULE_DISABLED"
    assert doc["hosts"]["kvm-host-07"]["facts"]["schema_version"] == 1
    assert set(doc) == {"report_schema_version", "generated_at", "nfdoctor_version", "run", "summary", "hosts"}


def test_collection_version_comes_from_galaxy_yml():
    assert re.match(r"^\d+\.\d+\.\d+", fr.collection_version())


# ---------------------------------------------------------------- terminal
def test_summary_table(report):
    text = fr.fleet_summary_table(report, report_paths=["/tmp/r/nfdoctor-report.json"])
    lines = text.splitlines()
    assert lines[0].startswith("nfdoctor 0.1.0 audit of 6 host(s): 3 ok, 2 failed, 1 unreachable")
    host_rows = [line for line in lines if line.startswith(("kvm-host-07", "edge-fw-02", "db-9"))]
    assert host_rows[0].startswith("db-9") and "unreachable" in host_rows[0]
    assert re.search(r"kvm-host-07\s+ok\s+critical\s+1\s+1\s+1\s+0\s+0\s+0", text)
    assert re.search(r"CONNTRACK_MODULE_DISABLED\s+critical\s+1\s+kvm-host-07", text)
    assert "/tmp/r/nfdoctor-report.json" in text
    assert "fail_on=high" in text
    # Escape sequences from a host must not reach the terminal.
    assert "\x1b" not in text and "\x00" not in text


def test_summary_table_without_findings():
    report = fr.fleet_report({"edge": ok(load("facts_healthy_debian12.json"))})
    assert "No findings on any audited host." in fr.fleet_summary_table(report)


def test_summary_table_bounds_error_lines():
    facts = load("facts_healthy_debian12.json")
    facts["errors"] = [{"source": "/proc/%d/stack" % i, "message": "Permission denied"} for i in range(12)]
    text = fr.fleet_summary_table(fr.fleet_report({"edge": ok(facts)}))
    assert text.count("Permission denied") == fr.MAX_ERRORS_SHOWN
    assert "and 7 more" in text


# ---------------------------------------------------------------- Markdown
def test_markdown(report):
    md = fr.report_markdown(report)
    assert md.startswith("# nfdoctor netfilter audit")
    assert "| Host | Status | Worst |" in md
    assert "### CRITICAL `CONNTRACK_MODULE_DISABLED`: Conntrack module nf_conntrack_ipv4 is blacklisted" in md
    assert "by nfdoctor.netfilter 0.1.0:" in md
    assert "| `/etc/modprobe.d/blacklist.conf` | 12 | `blacklist nf_conntrack_ipv4` |" in md
    assert "- **Remediation:** Comment out the line" in md
    assert "**UNREACHABLE**" in md
    assert "Could not read (1)" in md


@pytest.mark.parametrize("text,expected", [
    ("2 process(es) in nf_conntrack_ipv4", "2 process(es) in nf_conntrack_ipv4"),
    ("_x_ *b* [l](u) a|b ~~s~~", "\\_x\\_ \\*b\\* \\[l\\](u) a\\|b \\~\\~s\\~\\~"),
    ("<b>&", "&lt;b&gt;&amp;"),
])
def test_markdown_inline_escaping(text, expected):
    assert rmd.md_text(text) == expected


@pytest.mark.parametrize("text,expected", [("# h", "\\# h"), ("1. item", "1\\. item"), ("- x", "\\- x"),
                                           ("a 1. b", "a 1. b")])
def test_markdown_paragraph_start_escaping(text, expected):
    assert rmd.md_text(text, starts_line=True) == expected
    assert rmd.md_text(text) == text


def test_markdown_escapes_hostile_strings(report):
    md = fr.report_markdown(report)
    # Code spans show their text literally (CommonMark); everywhere else, no raw HTML may remain.
    outside_code = re.sub(r"(`+).*?\1", "", re.sub(r'<a id="host-[a-z0-9_.-]+"></a>', "", md))
    assert "<" not in outside_code and ">" not in outside_code.replace("&gt;", "")
    assert "&lt;script&gt;" in md
    # A pipe in a title must not split the table row.
    title_rows = [line for line in md.splitlines() if "breaker" in line and line.startswith("|")]
    assert title_rows and all(line.count(" | ") == 3 for line in title_rows)
    # A value full of backticks is still one code span.
    assert "````*/5 * * * * root conntrack -F ``` `x`" in md


# -------------------------------------------------------------------- HTML
class _Collector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.scripts = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def test_html_is_self_contained_and_escaped(report):
    page = fr.report_html(report)
    parser = _Collector()
    parser.feed(page)
    tags = parser.tags
    assert [t for t, _a in tags].count("script") == 1
    assert not [t for t, _a in tags if t in ("img", "iframe", "link", "object", "embed", "b", "u")]
    assert not [a for _t, a in tags if any(k.startswith("on") for k in a)]
    hrefs = [a["href"] for t, a in tags if t == "a" and "href" in a]
    assert all(h.startswith(("#", "https://", "http://")) for h in hrefs)
    assert not [h for h in hrefs if "javascript" in h.lower()]
    assert not [a for t, a in tags if "src" in a]
    # The CSP allows exactly the page's own script.
    csp = [a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"][0]
    import base64
    import hashlib
    digest = base64.b64encode(hashlib.sha256(parser.scripts[0].encode()).digest()).decode()
    assert "'sha256-%s'" % digest in csp and "default-src 'none'" in csp


def test_html_content(report):
    page = fr.report_html(report)
    parser = _Collector()
    parser.feed(page)
    rows = [a for t, a in parser.tags if t == "tr" and "finding-row" in a.get("class", "")]
    assert len(rows) == report["summary"]["findings_total"] == 5
    # Worst first across the fleet.
    assert [int(r["data-rank"]) for r in rows] == sorted((int(r["data-rank"]) for r in rows), reverse=True)
    assert {r["data-id"] for r in rows} >= {"CONNTRACK_MODULE_DISABLED", "MODULE_LOAD_STUCK"}
    options = [a.get("value") for t, a in parser.tags if t == "option"]
    assert "CONNTRACK_MODULE_DISABLED" in options and "5" in options
    assert "blacklist nf_conntrack_ipv4" in page
    assert "Comment out the line (role nfdoctor.netfilter.conntrack_modules)" in page
    assert "https://git.kernel.org/linus/a0ae2562c6c4" in page
    assert "Failed to connect to the host via ssh" in page
    assert "Could not read 1 source(s)" in page


# -------------------------------------------------------------------- JUnit
def test_junit(report):
    root = ET.fromstring(fr.report_junit(report, fail_on="high").encode("utf-8"))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == set(report["hosts"])
    kvm = suites["kvm-host-07"]
    assert kvm.get("tests") == "4" and kvm.get("failures") == "2" and kvm.get("errors") == "0"
    failed = [c.get("name") for c in kvm.findall("testcase") if c.find("failure") is not None]
    assert failed == ["CONNTRACK_MODULE_DISABLED [critical]", "MODULE_LOAD_STUCK [high]"]
    passed = [c for c in kvm.findall("testcase") if c.get("name") == "BR_NETFILTER_NOT_LOADED [medium]"][0]
    assert "br_netfilter" in passed.find("system-out").text
    assert suites["db-9"].find("testcase/error").get("type") == "unreachable"
    assert root.get("failures") == "3" and root.get("errors") == "3"


def test_junit_threshold_none_never_fails(report):
    root = ET.fromstring(fr.report_junit(report, fail_on="none").encode("utf-8"))
    assert root.get("failures") == "0"
    with pytest.raises(AnsibleFilterError):
        fr.report_junit(report, fail_on="bad")


def test_junit_strips_characters_xml_forbids(report):
    text = fr.report_junit(report)
    assert "\x00" not in text and "\x07" not in text
    ET.fromstring(text.encode("utf-8"))


# --------------------------------------------------------------- Prometheus
SAMPLE = re.compile(r'^([a-z_]+)(?:\{((?:[a-z_]+="(?:[^"\\\n]|\\[\\"n])*",?)+)\})? (-?[0-9.e+-]+)$')


def test_prometheus(report):
    text = fr.report_prometheus(report)
    samples = []
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) nfdoctor_[a-z_]+ ", line)
            continue
        match = SAMPLE.match(line)
        assert match, "not a valid sample line: %r" % line
        samples.append(match.groups())
    names = {s[0] for s in samples}
    assert not [n for n in names if not n.startswith("nfdoctor_")]
    assert ("nfdoctor_findings", 'host="kvm-host-07",id="CONNTRACK_MODULE_DISABLED",severity="critical"', "1") in samples
    assert ("nfdoctor_host_worst_severity", 'host="db-9"', "-1") in samples
    assert ("nfdoctor_host_worst_severity", 'host="kvm-host-07"', "5") in samples
    assert ("nfdoctor_conntrack_fill_ratio", 'host="edge-fw-02"', "0.00698") in samples
    # The hostile ID is one escaped label, not a second metric.
    assert "\nnfdoctor_injected" not in text
    label_sets = [(s[0], s[1]) for s in samples]
    assert len(label_sets) == len(set(label_sets))


def test_prometheus_counts_repeated_ids():
    facts = load("facts_seed000_centos7.json")
    facts["findings"].append(copy.deepcopy(facts["findings"][1]))
    text = fr.report_prometheus(fr.fleet_report({"h": ok(facts)}))
    assert 'nfdoctor_findings{host="h",id="CONNTRACK_MODULE_DISABLED",severity="critical"} 2' in text


# ---------------------------------------------------------------- dispatch
def test_render_report_and_file_names(report):
    for fmt, name in fr.REPORT_FILES.items():
        assert fr.report_file_name(fmt) == name
        assert fr.render_report(report, fmt)
    with pytest.raises(AnsibleFilterError, match="unknown report format"):
        fr.render_report(report, "pdf")
    with pytest.raises(AnsibleFilterError, match="unknown report format"):
        fr.report_file_name("pdf")


def test_filters_are_registered():
    assert set(fr.FilterModule().filters()) >= {"severity_rank", "worst_severity", "fleet_report", "report_html",
                                                "report_markdown", "report_junit", "report_prometheus",
                                                "fleet_summary_table", "render_report"}


# --------------------------------------------------- arbitrary host documents
junk = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children,
                                                                                      max_size=4), max_leaves=20)
finding = st.fixed_dictionaries({"id": junk, "severity": st.sampled_from(["info", "low", "high", "x", None]),
                                 "title": junk, "detail": junk, "evidence": junk, "remediation": junk,
                                 "references": junk, "role": junk})


@settings(max_examples=60, deadline=None)
@given(findings=st.lists(finding | junk, max_size=5), errors=junk, kernel=junk, conntrack=junk, name=st.text(min_size=1))
def test_renderers_never_raise_on_odd_documents(findings, errors, kernel, conntrack, name):
    facts = {"findings": findings, "errors": errors, "kernel": kernel, "conntrack": conntrack}
    report = fr.fleet_report({name: ok(facts)})
    for fmt in fr.REPORT_FILES:
        assert isinstance(fr.render_report(report, fmt), str)
    fr.fleet_summary_table(report)
    ET.fromstring(fr.report_junit(report).encode("utf-8"))


def test_reports_need_no_jmespath_on_the_controller():
    """Without jmespath the report step failed after the whole fleet was audited (issue 13)."""
    import subprocess
    import sys
    code = (
        "import sys; sys.modules['jmespath'] = None\n"  # 'import jmespath' now raises ImportError
        "from ansible_collections.nfdoctor.netfilter.plugins.filter import fleet_report as fr\n"
        "hostvars = {'h1': {'r': {'ansible_facts': {'nfdoctor': {'findings': [{'id': 'X', 'severity': 'high'}],"
        " 'errors': []}}}}}\n"
        "report = fr.fleet_report(hostvars, hosts=['h1'], result_var='r')\n"
        "print(report['summary']['findings_total'])\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1"


# ------------------------------------------ issue 13: what the HTML page offers
def _commands(page):
    return re.findall(r'<div class="cmd"><code>([^<]*)</code>', page)


def test_html_has_a_remediation_command_per_fixable_finding(report):
    page = fr.report_html(report)
    commands = _commands(page)
    assert "ansible-playbook nfdoctor.netfilter.remediate -l kvm-host-07 --tags conntrack_modules --check --diff" \
        in commands
    assert "ansible-playbook nfdoctor.netfilter.remediate -l kvm-host-07 --tags br_netfilter --check --diff" \
        in commands
    # Findings without a role (the hostile host's) get no command; each fixable one shows it twice
    # (fleet table and host section).
    with_role = sum(1 for e in report["hosts"].values() for f in e["findings"] if f.get("role"))
    assert len(commands) == 2 * with_role == 6


@pytest.mark.parametrize("host,role,expected", [
    ("web01", "nfdoctor.netfilter.br_netfilter", "-l web01 --tags br_netfilter "),
    ("web01", "conntrack_hygiene", "-l web01 --tags conntrack_hygiene "),
    ("it's; rm -rf /", "br_netfilter", "-l 'it'\\''s; rm -rf /' --tags br_netfilter "),
])
def test_remediation_command_quotes_the_host(host, role, expected):
    from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils import report_model as rm
    assert expected in rm.remediation_command(host, {"role": role})


@pytest.mark.parametrize("role", [None, "", "br_netfilter; reboot", "a.b.c.d", 3])
def test_remediation_command_needs_a_plain_role(role):
    from ansible_collections.nfdoctor.netfilter.plugins.plugin_utils import report_model as rm
    assert rm.remediation_command("web01", {"role": role}) is None


def test_html_host_sections_collapse(report):
    parser = _Collector()
    parser.feed(fr.report_html(report))
    details = [a for t, a in parser.tags if t == "details"]
    assert len(details) == report["summary"]["hosts_total"]
    assert not [a for a in details if "open" in a]
    assert {a["id"] for a in details} == {a["href"][1:] for t, a in parser.tags
                                          if t == "a" and a.get("href", "").startswith("#host-")}


def test_html_fits_a_narrow_screen(report):
    page = fr.report_html(report)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media (max-width:720px)" in page
    # Wide tables scroll inside their box instead of widening the page.
    assert page.count('<div class="scroll"><table id=') == 2


def test_run_context_is_in_the_document_and_the_page(results):
    report = fr.fleet_report(results, fail_on="high", run_context={"check_mode": True, "become": "False",
                                                                   "report_formats": ["json", "html"]})
    assert report["run"] == {"fail_on": "high", "check_mode": True, "diff_mode": None, "become": False,
                             "report_formats": ["json", "html"]}
    page = fr.report_html(report)
    assert "<li><span>check mode:</span> yes</li>" in page
    assert "<li><span>become:</span> no</li>" in page
    assert "<li><span>fail_on:</span> high</li>" in page
    assert "Run: check mode on, become no, fail_on high." in fr.report_markdown(report)
    # Without a context the page says what it does not know instead of guessing.
    assert "<li><span>become:</span> not known</li>" in fr.report_html(fr.fleet_report(results))


def test_run_context_rejects_what_it_does_not_know(results):
    with pytest.raises(AnsibleFilterError, match="unknown key"):
        fr.fleet_report(results, run_context={"chek_mode": True})
    with pytest.raises(AnsibleFilterError, match="true, false or null"):
        fr.fleet_report(results, run_context={"become": "sometimes"})
    with pytest.raises(AnsibleFilterError, match="must be a mapping"):
        fr.fleet_report(results, run_context=["check"])


def test_html_shows_no_controller_path():
    facts = load("facts_seed000_centos7.json")
    facts.update(captured=True, root="/home/ci/work/reports/offline-trees/seed000-centos7/")
    page = fr.report_html(fr.fleet_report({"h": ok(facts)}))
    assert "/home/ci" not in page and "offline-trees" not in page
    assert "captured tree seed000-centos7" in page


# ---------------------------------------------- issue 15: the report stays slim
def test_report_keeps_only_what_the_renderers_use(report):
    facts = report["hosts"]["kvm-host-07"]["facts"]
    assert set(facts) <= {"schema_version", "hostname", "root", "captured", "gathered_at", "os", "kernel",
                          "conntrack", "forwarding", "bridges", "br_netfilter", "networkd", "namespaces",
                          "processes"}
    assert "modules" not in facts and "cmdline" not in facts["kernel"]
    assert facts["conntrack"] == {"count": 0, "max": 65536, "fill_ratio": 0.0,
                                  "stats": {"totals": {"insert_failed": 0, "drop": 0}}} or \
        set(facts["conntrack"]) <= {"count", "max", "fill_ratio", "stats"}
    assert facts["bridges"] == {"virbr0": {}}
    assert [set(p) for p in facts["processes"]["stuck"]] == [{"pid", "comm"}] * len(facts["processes"]["stuck"])
    full = len(json.dumps(load("facts_seed000_centos7.json")))
    slim = len(json.dumps(report["hosts"]["kvm-host-07"]))
    assert slim < full, "the slim host (findings included) must be smaller than the facts it came from"


def test_slim_facts_bound_a_huge_host():
    facts = load("facts_healthy_debian12.json")
    facts["bridges"] = {"br%d" % i: {"ports": ["p"] * 50} for i in range(5000)}
    facts["kernel"] = {"release": ["not", "a", "string"]}
    entry = fr.fleet_report({"h": ok(facts)})["hosts"]["h"]
    assert len(entry["facts"]["bridges"]) == 256
    assert "kernel" not in entry["facts"]


# ------------------------------------------------------- Prometheus, issue 13
def test_prometheus_timestamp_and_metric_types(report):
    text = fr.report_prometheus(report)
    assert "nfdoctor_last_run_timestamp_seconds 1795308000\n" in text  # 2026-11-22T00:40:00Z
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    assert types["nfdoctor_last_run_timestamp_seconds"] == "gauge"
    assert {n for n, t in types.items() if t == "counter"} == {n for n in types if n.endswith("_total")} == \
        {"nfdoctor_conntrack_insert_failed_total", "nfdoctor_conntrack_drop_total"}
    assert types["nfdoctor_host_findings"] == "gauge"
    assert 'nfdoctor_host_findings{host="kvm-host-07",severity="high"} 1' in text
    assert 'nfdoctor_host_findings{host="edge-fw-02",severity="critical"} 0' in text


def test_prometheus_without_a_parsable_time_has_no_timestamp_sample(results):
    text = fr.report_prometheus(fr.fleet_report(results, generated_at="yesterday"))
    assert "# TYPE nfdoctor_last_run_timestamp_seconds gauge" in text
    assert not re.search(r"^nfdoctor_last_run_timestamp_seconds ", text, re.M)


def test_prometheus_drops_nan():
    facts = load("facts_healthy_debian12.json")
    facts["conntrack"]["fill_ratio"] = float("nan")
    text = fr.report_prometheus(fr.fleet_report({"h": ok(facts)}))
    assert "nfdoctor_conntrack_fill_ratio{" not in text and "nan" not in text.lower()
    assert 'nfdoctor_conntrack_limit{host="h"}' in text
