"""audit.yml for real against this machine: reports, check mode, re-runs, no root, dead hosts."""
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "targets", "audit_reports"))
import audit_helpers as h  # noqa: E402

FINDING_KEYS = {"id", "severity", "title", "detail", "evidence", "remediation", "role", "references"}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    out = tmp_path_factory.mktemp("live")
    run = h.playbook("audit.yml", "-e", "nfdoctor_report_dir=%s" % out, "-e", h.ALL_FORMATS)
    assert run.returncode == 0, run.stdout
    return out, run


def test_one_module_task_and_a_summary(live):
    out, run = live
    assert run.stdout.count("TASK [nfdoctor.netfilter.audit : Audit netfilter state]") == 1
    assert "gather_facts" not in run.stdout and "TASK [Gathering Facts]" not in run.stdout
    assert re.search(r"nfdoctor \S+ audit of 1 host\(s\): 1 ok, 0 failed, 0 unreachable", run.stdout)
    assert re.search(r"localhost\s+ok\s+(none|info|low|medium|high|critical)\s", run.stdout)
    for name in ("nfdoctor-report.json", "nfdoctor-report.md", "nfdoctor-report.html",
                 "nfdoctor-report.junit.xml", "nfdoctor.prom"):
        assert str(out / name) in run.stdout


def test_json_report(live):
    out, _run = live
    doc = h.report(out)
    assert doc["report_schema_version"] == 1
    host = doc["hosts"]["localhost"]
    assert host["status"] == "ok"
    facts = host["facts"]
    assert facts["schema_version"] == 1 and facts["captured"] is False
    assert facts["kernel"]["release"] == os.uname().release
    for finding in host["findings"]:
        assert FINDING_KEYS <= set(finding)
    assert doc["summary"]["findings_total"] == len(host["findings"])
    # The report keeps the errors once, beside the findings; its facts are the slim subset (docs/reports.md).
    assert all(set(e) >= {"source", "message"} for e in host["errors"])
    assert "errors" not in facts and "findings" not in facts and "modules" not in facts


def test_markdown_and_html_carry_every_finding(live):
    out, _run = live
    doc = h.report(out)
    md = h.read(out, "nfdoctor-report.md")
    page = h.read(out, "nfdoctor-report.html")
    assert "## localhost" in md and "| Host | Status | Worst |" in md
    assert os.uname().release in md and os.uname().release in page
    for finding in doc["hosts"]["localhost"]["findings"]:
        assert "`%s`" % finding["id"] in md
        assert 'data-id="%s"' % finding["id"] in page
    assert '<script src' not in page and '<link' not in page and "http-equiv=\"Content-Security-Policy\"" in page


def test_junit_and_prometheus(live):
    out, _run = live
    suites = h.junit(out).findall("testsuite")
    assert [s.get("name") for s in suites] == ["localhost"]
    assert suites[0].find("testcase").get("name") == "audit"
    prom = h.read(out, "nfdoctor.prom")
    assert 'nfdoctor_host_audit_ok{host="localhost"} 1' in prom
    assert re.search(r'^nfdoctor_host_worst_severity\{host="localhost"\} [0-5]$', prom, re.M)


def test_check_mode_still_writes_reports_and_reruns_are_safe(tmp_path):
    for _attempt in (1, 2):
        run = h.playbook("audit.yml", "--check", "-e", "nfdoctor_report_dir=%s" % tmp_path)
        assert run.returncode == 0, run.stdout
        assert h.report(tmp_path)["hosts"]["localhost"]["status"] == "ok"
    assert sorted(os.listdir(tmp_path)) == ["nfdoctor-report.html", "nfdoctor-report.json", "nfdoctor-report.md"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to an unprivileged user")
def test_without_root_the_audit_degrades_and_says_what_it_could_not_read(tmp_path):
    # The module runs as nobody (su to an unprivileged user, the way a fleet without
    # become looks); the reports are still written by the controller.
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        "all:\n  hosts:\n    unprivileged:\n"
        "      ansible_connection: local\n"
        "      ansible_python_interpreter: /usr/bin/python3\n"
        "      ansible_become: true\n"
        "      ansible_become_method: su\n"
        "      ansible_become_user: nobody\n"
        "      ansible_become_flags: '-s /bin/sh'\n")
    out = tmp_path / "reports"
    run = h.playbook("audit.yml", "-e", "nfdoctor_report_dir=%s" % out, inventory=str(inventory))
    assert run.returncode == 0, run.stdout
    host = h.report(out)["hosts"]["unprivileged"]
    assert host["status"] == "ok"
    denied = [e for e in host["errors"] if "Permission denied" in e["message"] or "not readable" in e["message"]]
    assert denied, "an unprivileged audit read everything? %r" % host["errors"]
    assert "UNREAD: sources the audit could not read" in run.stdout
    assert "Could not read" in h.read(out, "nfdoctor-report.md")
    assert "Could not read" in h.read(out, "nfdoctor-report.html")


def test_dead_and_broken_hosts_are_reported_not_dropped(tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        "all:\n  hosts:\n"
        "    localhost: {ansible_connection: local, ansible_python_interpreter: '{{ ansible_playbook_python }}'}\n"
        "    dead-host: {ansible_host: 127.0.0.1, ansible_port: 1, ansible_connection: ssh,"
        " ansible_ssh_common_args: '-o ConnectTimeout=5'}\n"
        "    no-python: {ansible_connection: local, ansible_python_interpreter: /nonexistent/python}\n")
    out = tmp_path / "reports"
    run = h.playbook("audit.yml", "-e", "nfdoctor_report_dir=%s" % out, "-e", h.ALL_FORMATS, inventory=str(inventory))
    assert run.returncode != 0, "a run that could not audit every host must not look green"
    doc = h.report(out)
    assert doc["hosts"]["dead-host"]["status"] == "unreachable"
    assert "port 1" in doc["hosts"]["dead-host"]["message"]
    assert doc["hosts"]["no-python"]["status"] == "failed"
    assert "/nonexistent/python" in doc["hosts"]["no-python"]["message"]
    assert doc["hosts"]["localhost"]["status"] == "ok"
    assert re.search(r"dead-host\s+unreachable", run.stdout)
    assert "nfdoctor could not audit dead-host (unreachable)" in run.stdout
    assert 'nfdoctor_host_audit_ok{host="dead-host"} 0' in h.read(out, "nfdoctor.prom")
    errors = [s for s in h.junit(out).findall("testsuite") if s.find("testcase/error") is not None]
    assert sorted(s.get("name") for s in errors) == ["dead-host", "no-python"]
    assert "dead-host" in h.read(out, "nfdoctor-report.html")


def test_audit_errors_fail_nobody_when_told_not_to(tmp_path):
    """The one fail gate: without nfdoctor_fail_on_audit_error a dead host is reported, not failed."""
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        "all:\n  hosts:\n"
        "    localhost: {ansible_connection: local, ansible_python_interpreter: '{{ ansible_playbook_python }}'}\n"
        "    dead-host: {ansible_host: 127.0.0.1, ansible_port: 1, ansible_connection: ssh,"
        " ansible_ssh_common_args: '-o ConnectTimeout=5'}\n")
    out = tmp_path / "reports"
    run = h.playbook("audit.yml", "-e", "nfdoctor_report_dir=%s" % out, "-e", "nfdoctor_fail_on_audit_error=false",
                     inventory=str(inventory))
    assert h.report(out)["hosts"]["dead-host"]["status"] == "unreachable"
    assert "nfdoctor could not audit" not in run.stdout
    assert re.search(r"dead-host\s*:.*failed=0", run.stdout), run.stdout[-2000:]
    assert re.search(r"localhost\s*:.*failed=0", run.stdout), run.stdout[-2000:]


# ----------------------------------------- issue 15: validation and fail gate once per run (tasks_from: play)
SEED = "seed-000-centos7-conntrack-blacklist"   # worst finding critical


def _tree_inventory(tmp_path, **hosts):
    """Local hosts that audit captured trees: the same seed where a host's own variables differ."""
    lines = ["all:", "  vars:", "    ansible_connection: local",
             "    ansible_python_interpreter: '{{ ansible_playbook_python }}'", "  hosts:"]
    for name, own in hosts.items():
        tree = os.path.join(h.TREES, own.pop("tree", SEED))
        extra = "".join(", %s: %s" % kv for kv in own.items())
        lines.append("    %s: {nfdoctor_root: %s%s}" % (name, tree, extra))
    path = tmp_path / "inventory.yml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_each_host_fails_on_its_own_threshold_with_no_per_host_gate_task(tmp_path):
    inventory = _tree_inventory(tmp_path, **{"tree-a": {"nfdoctor_fail_on": "critical"}, "tree-b": {},
                                             "tree-c": {"tree": h.HEALTHY_TREE, "nfdoctor_fail_on": "info"}})
    run = h.playbook("audit.yml", "-e", "nfdoctor_report_dir=%s" % (tmp_path / "r"), inventory=inventory)
    assert run.returncode == 2, run.stdout
    assert re.findall(r"^fatal: \[([^\]]+)\]: FAILED!", run.stdout, re.M) == ["tree-a"]
    assert "tree-a: worst finding is critical (nfdoctor_fail_on=critical): critical CONNTRACK_MODULE_DISABLED" \
        in run.stdout
    assert re.search(r"tree-b\s*:.*failed=0", run.stdout) and re.search(r"tree-c\s*:.*failed=0", run.stdout)
    # Per host, the controller ran the module task and nothing else.
    assert "Validating arguments against arg spec" not in run.stdout
    per_host = re.findall(r"^(?:ok|skipping|changed|fatal): \[(tree-[bc])\]", run.stdout, re.M)
    assert sorted(per_host) == ["tree-b", "tree-c"], run.stdout


def test_a_bad_variable_on_any_host_fails_the_run_before_anything_is_audited(tmp_path):
    inventory = _tree_inventory(tmp_path, **{"tree-a": {}, "tree-b": {}, "tree-c": {"nfdoctor_fail_on": "bogus"}})
    out = tmp_path / "r"
    run = h.playbook("audit.yml", "-e", "nfdoctor_report_dir=%s" % out, inventory=inventory)
    assert run.returncode == 2, run.stdout
    assert "got: bogus found in tree-c" in run.stdout
    assert "TASK [nfdoctor.netfilter.audit : Audit netfilter state]" not in run.stdout
    assert not out.exists()
    # The failed validation prints its errors, not the spec it was given for every host.
    assert "argument_spec_data" not in run.stdout and "description" not in run.stdout


def test_a_play_of_your_own_with_the_main_entry_point_validates_and_fails_per_host(tmp_path):
    """roles: nfdoctor.netfilter.audit keeps today's behaviour: a bad host fails alone, the rest are audited."""
    inventory = _tree_inventory(tmp_path, **{"tree-a": {"nfdoctor_fail_on": "critical"}, "tree-b": {},
                                             "tree-c": {"nfdoctor_fail_on": "bogus"}})
    playbook = tmp_path / "own.yml"
    playbook.write_text("- hosts: all\n  gather_facts: false\n  strategy: linear\n"
                        "  roles:\n    - nfdoctor.netfilter.audit\n")
    out = tmp_path / "r"
    run = h.playbook(str(playbook), "-e", "nfdoctor_report_dir=%s" % out, inventory=inventory)
    assert run.returncode == 2, run.stdout
    assert "Validating arguments against arg spec 'main'" in run.stdout
    assert sorted(re.findall(r"^fatal: \[([^\]]+)\]: FAILED!", run.stdout, re.M)) == ["tree-a", "tree-c"]
    assert "tree-a: worst finding is critical (nfdoctor_fail_on=critical): critical CONNTRACK_MODULE_DISABLED" \
        in run.stdout
    hosts = h.report(out)["hosts"]
    assert hosts["tree-a"]["status"] == hosts["tree-b"]["status"] == "ok"
    assert hosts["tree-c"]["status"] == "failed" and hosts["tree-c"]["message"].startswith("no audit result")


def test_play_vars_outrank_the_inventory_in_the_play_entry_point(tmp_path):
    """As Ansible's precedence has it for a task: a play's vars beat a host's inventory value."""
    inventory = _tree_inventory(tmp_path, **{"tree-a": {"nfdoctor_fail_on": "none"}, "tree-b": {}})
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: all\n  gather_facts: false\n  strategy: linear\n  vars:\n    nfdoctor_fail_on: critical\n"
        "  tasks:\n    - ansible.builtin.import_role: {name: nfdoctor.netfilter.audit, tasks_from: play}\n"
        "- hosts: \"{{ groups['nfdoctor_audit_failing'] | default([]) }}\"\n  gather_facts: false\n"
        "  tasks:\n    - ansible.builtin.import_role: {name: nfdoctor.netfilter.audit, tasks_from: fail}\n")
    run = h.playbook(str(playbook), "-e", "nfdoctor_report_dir=%s" % (tmp_path / "r"), inventory=inventory)
    assert run.returncode == 2, run.stdout
    assert sorted(re.findall(r"^fatal: \[([^\]]+)\]: FAILED!", run.stdout, re.M)) == ["tree-a", "tree-b"]
    # Without the play's value, tree-a's own none and tree-b's default none fail nobody.
    playbook.write_text(playbook.read_text().replace("  vars:\n    nfdoctor_fail_on: critical\n", ""))
    run = h.playbook(str(playbook), "-e", "nfdoctor_report_dir=%s" % (tmp_path / "r"), inventory=inventory)
    assert run.returncode == 0, run.stdout


def test_reports_of_formats_no_longer_written_are_removed_and_only_those(tmp_path):
    out = tmp_path / "r"
    run = h.playbook("audit.yml", "-e", "nfdoctor_report_dir=%s" % out, "-e", h.ALL_FORMATS)
    assert run.returncode == 0, run.stdout
    assert (out / "nfdoctor.prom").exists() and (out / "nfdoctor-report.junit.xml").exists()
    # A stale report that is a dangling link is a stale report too; a file of the user's stays.
    (out / "nfdoctor.prom").unlink()
    (out / "nfdoctor.prom").symlink_to(tmp_path / "gone")
    (out / "notes.txt").write_text("mine\n")
    run = h.playbook("audit.yml", "-e", "nfdoctor_report_dir=%s" % out)
    assert run.returncode == 0, run.stdout
    assert sorted(os.listdir(out)) == ["nfdoctor-report.html", "nfdoctor-report.json", "nfdoctor-report.md",
                                       "notes.txt"]
    # Nothing stale left: the next run runs no file module for them.
    run = h.playbook("audit.yml", "-e", "nfdoctor_report_dir=%s" % out)
    assert run.returncode == 0, run.stdout
    removal = run.stdout.split("Remove the reports of formats this run does not write", 1)[1].split("TASK [", 1)[0]
    assert "changed:" not in removal and "ok:" not in removal and "skipping:" in removal, removal
