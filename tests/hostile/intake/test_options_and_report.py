"""Issue 16, options and reports: bad values get a clear message; evidence never breaks the Markdown table."""
import json
import os
import re
import subprocess

import pytest
from module_runner import run_main
from intake_helpers import HEALTHY_TREE, REPO

from ansible_collections.nfdoctor.netfilter.plugins.filter import fleet_report as fr
from ansible_collections.nfdoctor.netfilter.plugins.modules import netfilter_facts

BIN = os.path.join(REPO, ".venv", "bin")


def run_module(capsys, **args):
    args.setdefault("root", HEALTHY_TREE)
    return run_main(capsys, netfilter_facts, args)


@pytest.mark.parametrize("args,message", [
    ({"timeout": float("inf")}, "timeout must be a finite number of seconds, not inf"),
    ({"timeout": float("nan")}, "timeout must be a finite number of seconds, not nan"),
    ({"timeout": 0}, "timeout must be more than 0 and at most 3600 seconds, not 0.0"),
    ({"timeout": -1}, "timeout must be more than 0 and at most 3600 seconds, not -1.0"),
    ({"timeout": 1e9}, "timeout must be more than 0 and at most 3600 seconds, not 1000000000.0"),
    ({"sample_interval": float("inf")}, "sample_interval must be a finite number of seconds, not inf"),
    ({"sample_interval": float("nan")}, "sample_interval must be a finite number of seconds, not nan"),
    ({"sample_interval": -0.5}, "sample_interval must be at least 0 and at most 3600 seconds, not -0.5"),
    ({"timeout": "inf", "sample_interval": "nan"}, "timeout must be a finite number of seconds, not inf; "
                                                   "sample_interval must be a finite number of seconds, not nan"),
])
def test_netfilter_facts_refuses_unusable_numbers(capsys, args, message):
    result = run_module(capsys, **args)
    assert result["rc"] == 1 and result["failed"] and result["msg"] == message


@pytest.mark.parametrize("args", [{"timeout": 0.5}, {"timeout": 3600}, {"sample_interval": 0}, {"sample_interval": 2}])
def test_netfilter_facts_accepts_sane_numbers(capsys, args):
    result = run_module(capsys, **args)
    assert result["rc"] == 0 and result["ansible_facts"]["nfdoctor"]["hostname"] == "healthy-node"


def _playbook(tmp_path, *extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".build", "collections"),
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    # nfdoctor_hosts names no host: a valid value runs no remediation at all.
    argv = [os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(REPO, "inventory", "localhost.yml"),
            os.path.join(REPO, "playbooks", "remediate.yml"), "--check", "-e", "nfdoctor_hosts=no_such_host"]
    return subprocess.run(argv + list(extra), check=False, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=300)


@pytest.mark.parametrize("serial,shown", [('"abc"', "abc"), ('"0"', "0"), ('"0%"', "0%"), ('"150%"', "150%"),
                                          ("-3", "-3"), ("[]", "an empty list"), ('[5, "x"]', "x")])
def test_remediate_refuses_bad_serial_before_any_batch(tmp_path, serial, shown):
    run = _playbook(tmp_path, "-e", '{"nfdoctor_serial": %s}' % serial)
    assert run.returncode == 2, run.stdout
    flat = re.sub(r"\s+", " ", run.stdout)
    assert "Unexpected Exception" not in flat and "Traceback" not in flat
    assert "nfdoctor_serial is a number of hosts (1 or more) or a percentage from 1% to 100%, or a list of them " \
           "({} is not)".format(shown) in flat


def test_remediate_accepts_good_serial_and_refuses_bad_max_fail_percentage(tmp_path):
    good = _playbook(tmp_path, "-e", '{"nfdoctor_serial": [1, "50%"]}')
    assert good.returncode == 0, good.stdout
    bad = _playbook(tmp_path, "-e", "nfdoctor_max_fail_percentage=abc")
    assert bad.returncode == 2 and "nfdoctor_max_fail_percentage is a number from 0 to 100" in \
        re.sub(r"\s+", " ", bad.stdout)


def _report_with_evidence(value, file_name="/etc/modprobe.d/a|b.conf"):
    facts = json.load(open(os.path.join(REPO, "tests", "unit", "fixtures", "fleet_reports",
                                        "facts_seed000_centos7.json")))
    for finding in facts["findings"]:
        finding["evidence"] = [{"file": file_name, "line": 3, "value": value}]
    return fr.fleet_report({"web01": {"changed": False, "ansible_facts": {"nfdoctor": facts}}},
                           generated_at="2026-12-01T00:00:00Z", nfdoctor_version="0.1.0")


def _evidence_rows(md):
    lines = md.splitlines()
    start = lines.index("| Evidence file | Line | Value |")
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def _cells(row):
    """Cells of a GFM table row: split at every '|' not escaped by a backslash."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]


@pytest.mark.parametrize("value", ["install nf_conntrack /bin/true | logger -t evil",
                                   "a||b|", "`x | y`", "\\|", "pipe at end |"])
def test_markdown_evidence_with_pipes_stays_three_cells(value):
    md = fr.report_markdown(_report_with_evidence(value))
    rows = _evidence_rows(md)
    assert len(rows) == 1 and len(_cells(rows[0])) == 3, rows
    # What GFM shows once '\|' becomes '|' again: the file and the value as given.
    file_cell, _line, value_cell = _cells(rows[0])
    assert file_cell.replace("\\|", "|").strip("` ") == "/etc/modprobe.d/a|b.conf"
    assert value_cell.replace("\\|", "|").strip("`").strip(" ") == value


def test_markdown_evidence_without_pipes_is_unchanged():
    md = fr.report_markdown(_report_with_evidence("blacklist nf_conntrack", file_name="/etc/modprobe.d/x.conf"))
    assert _evidence_rows(md) == ["| `/etc/modprobe.d/x.conf` | 3 | `blacklist nf_conntrack` |"]
