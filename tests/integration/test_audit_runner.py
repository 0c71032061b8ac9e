"""The audit as AWX / Automation Controller runs it: ansible-runner on a private data dir.

AWX gives a job a private data dir (project/, inventory/, env/) and keeps
what the run publishes with set_stats as the job's artifacts; the job's
container is gone afterwards. These tests lay out such a directory, run
`ansible-runner run` on it with the default stdout callback (no checkout
ansible.cfg: AWX does not read it), and check what survives: the artifact
data, a readable summary in stdout, the reports where the job said.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "targets", "audit_reports"))
import audit_helpers as h  # noqa: E402

RUNNER = os.path.join(h.BIN, "ansible-runner")

pytestmark = pytest.mark.skipif(not os.path.exists(RUNNER), reason="ansible-runner is not in the venv")


def _private_data_dir(root, extravars):
    pdd = root / "job"
    (pdd / "project").mkdir(parents=True)
    (pdd / "inventory").mkdir()
    (pdd / "env").mkdir()
    # A project playbook that runs the collection's own playbook, as a job template would.
    (pdd / "project" / "audit.yml").write_text("- name: nfdoctor audit\n  import_playbook: nfdoctor.netfilter.audit\n")
    (pdd / "inventory" / "hosts").write_text(
        "localhost ansible_connection=local ansible_python_interpreter=%s\n" % os.path.join(h.BIN, "python"))
    (pdd / "env" / "extravars").write_text(json.dumps(extravars))
    (pdd / "env" / "envvars").write_text(json.dumps({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(h.REPO, ".build", "collections"),
        # AWX runs with its own configuration: the checkout's ansible.cfg (yaml results) must not help
        "ANSIBLE_CONFIG": str(pdd / "no-such-ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "default",
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
        "ANSIBLE_NOCOLOR": "1",
    }))
    return pdd


@pytest.fixture(scope="module")
def runner_job(tmp_path_factory):
    root = tmp_path_factory.mktemp("awx")
    reports = root / "job" / "artifacts-reports"
    pdd = _private_data_dir(root, {"nfdoctor_report_dir": str(reports),
                                   "nfdoctor_report_formats": ["json", "markdown"]})
    env = dict(h.environment(), PATH=h.BIN + os.pathsep + os.environ.get("PATH", ""))
    env.pop("ANSIBLE_CONFIG", None)
    proc = subprocess.run([RUNNER, "run", str(pdd), "-p", "audit.yml", "--ident", "job1"],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    return pdd, reports, proc


def _events(pdd):
    events = []
    folder = pdd / "artifacts" / "job1" / "job_events"
    for name in sorted(os.listdir(str(folder))):
        with open(str(folder / name)) as handle:
            events.append(json.load(handle))
    return events


def test_the_job_succeeds(runner_job):
    pdd, _reports, proc = runner_job
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert (pdd / "artifacts" / "job1" / "rc").read_text().strip() == "0"


def test_set_stats_reach_the_artifacts(runner_job):
    pdd, reports, _proc = runner_job
    stats = [e for e in _events(pdd) if e.get("event") == "playbook_on_stats"]
    assert len(stats) == 1
    artifact = stats[0]["event_data"]["artifact_data"]["nfdoctor"]
    assert artifact["hosts_by_status"]["ok"] == ["localhost"]
    assert artifact["worst_severity"] in ("none", "info", "low", "medium", "high", "critical")
    assert set(artifact["findings_by_severity"]) == {"info", "low", "medium", "high", "critical"}
    assert artifact["reports"] == [str(reports / "nfdoctor-report.json"), str(reports / "nfdoctor-report.md")]


def test_the_summary_is_readable_without_the_checkout_config(runner_job):
    pdd, _reports, _proc = runner_job
    stdout = (pdd / "artifacts" / "job1" / "stdout").read_text()
    # one line of the table per line of output, not one string full of \n escapes
    assert "nfdoctor " in stdout and "audit of 1 host(s): 1 ok, 0 failed, 0 unreachable" in stdout
    assert "\\n" not in "".join(line for line in stdout.splitlines() if "audit of 1 host(s)" in line)
    assert any(line.strip().startswith('"localhost  ok') for line in stdout.splitlines()), stdout[-2000:]


def test_reports_land_where_the_job_said(runner_job):
    _pdd, reports, _proc = runner_job
    assert sorted(os.listdir(str(reports))) == ["nfdoctor-report.json", "nfdoctor-report.md"]
    assert h.report(str(reports))["hosts"]["localhost"]["status"] == "ok"


def test_default_report_dir_is_home_not_the_current_directory(tmp_path):
    """Installed-collection default: ~/nfdoctor-reports, whatever the current directory is."""
    home = tmp_path / "home"
    home.mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    installed = tmp_path / "collections"
    # an installed layout: the playbook dir has no ../galaxy.yml beside it
    target = installed / "ansible_collections" / "nfdoctor" / "netfilter"
    shutil.copytree(h.REPO, str(target), symlinks=True,
                    ignore=shutil.ignore_patterns(".venv*", ".build", ".git", "tests", "molecule", "reports",
                                                  "galaxy.yml", ".ansible", ".cache", ".hypothesis"))
    env = h.environment(HOME=str(home), ANSIBLE_COLLECTIONS_PATH=str(installed) + os.pathsep + os.path.join(
        h.REPO, ".venv", "lib", "python3.11", "site-packages"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"))
    env.pop("ANSIBLE_CONFIG", None)
    proc = subprocess.run([os.path.join(h.BIN, "ansible-playbook"), "-i", h.LOCAL_INVENTORY,
                           "nfdoctor.netfilter.audit", "-e", '{"nfdoctor_report_formats": ["json"]}'],
                          cwd=str(cwd), env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert os.listdir(str(cwd)) == []
    assert os.listdir(str(home / "nfdoctor-reports")) == ["nfdoctor-report.json"]
