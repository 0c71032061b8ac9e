"""audit_offline.yml on the seed incident trees: the incident's findings, fail_on, tarballs, hostile input."""
import io
import os
import re
import shutil
import sys
import tarfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "targets", "audit_reports"))
import audit_helpers as h  # noqa: E402


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    out = tmp_path_factory.mktemp("seeds")
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % h.TREES,
                     "-e", "nfdoctor_report_dir=%s" % out, "-e", h.ALL_FORMATS)
    assert run.returncode == 0, run.stdout
    doc = h.report(out)
    by_tree = {h.tree_of(entry): (name, entry) for name, entry in doc["hosts"].items()}
    return out, run, doc, by_tree


@pytest.mark.parametrize("tree", sorted(h.SEED_EXPECTATIONS))
def test_each_seed_produces_its_incident(seeds, tree):
    _out, _run, _doc, by_tree = seeds
    name, entry = by_tree[tree]
    assert entry["status"] == "ok"
    assert entry["facts"]["captured"] is True
    missing = h.SEED_EXPECTATIONS[tree] - h.ids(entry)
    assert not missing, "%s (%s) lacks %s; has %s" % (tree, name, missing, sorted(h.ids(entry)))


def test_healthy_tree_has_nothing_above_low(seeds):
    _out, _run, _doc, by_tree = seeds
    _name, entry = by_tree[h.HEALTHY_TREE]
    assert entry["status"] == "ok"
    assert entry["worst_severity"] in ("none", "info", "low"), entry["findings"]


def test_hosts_are_named_after_the_trees_hostname_file(seeds):
    _out, _run, doc, by_tree = seeds
    for tree, (name, _entry) in by_tree.items():
        with open(os.path.join(h.TREES, tree, "etc", "hostname")) as handle:
            recorded = re.sub(r"[^A-Za-z0-9._-]+", "-", handle.read().strip())
        assert name == recorded or name.startswith(recorded + "-"), (tree, name)
    assert len(doc["hosts"]) == len(os.listdir(h.TREES))


def test_reports_show_every_seed_finding(seeds):
    out, run, doc, _by_tree = seeds
    md = h.read(out, "nfdoctor-report.md")
    page = h.read(out, "nfdoctor-report.html")
    prom = h.read(out, "nfdoctor.prom")
    for name, entry in doc["hosts"].items():
        assert "## %s" % name.replace("_", "\\_").replace("-", "-") in md or name in md
        for finding in entry["findings"]:
            assert "`%s`" % finding["id"] in md
            assert 'data-id="%s"' % finding["id"] in page
            assert 'host="%s",id="%s"' % (name, finding["id"]) in prom
            # Evidence and remediation reach the ticket and the page.
            for evidence in finding["evidence"][:1]:
                if evidence.get("file"):
                    assert evidence["file"] in md
            if finding.get("remediation"):
                assert finding["remediation"].split()[0] in page
    assert re.search(r"CONNTRACK_MODULE_DISABLED\s+critical", run.stdout)
    criticals = doc["summary"]["hosts_by_worst_severity"]["critical"]
    assert set(criticals) == {n for n, e in doc["hosts"].items() if e["worst_severity"] == "critical"}


def test_fail_on_fails_exactly_the_hosts_at_or_above(tmp_path):
    out = tmp_path / "r"
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % h.TREES,
                     "-e", "nfdoctor_report_dir=%s" % out, "-e", "nfdoctor_fail_on=critical", "-e", h.ALL_FORMATS)
    assert run.returncode == 2, run.stdout
    doc = h.report(out)
    expected = sorted(n for n, e in doc["hosts"].items() if e["worst_severity"] == "critical")
    assert expected and doc["summary"]["failing_hosts"] == expected
    failed = sorted(re.findall(r"^fatal: \[([^\]]+)\]: FAILED!", run.stdout, re.M))
    assert failed == expected
    for name in expected:
        assert "%s: worst finding is critical (nfdoctor_fail_on=critical)" % name in run.stdout
    # The reports were written before any host failed.
    assert (out / "nfdoctor-report.html").exists() and (out / "nfdoctor-report.junit.xml").exists()
    suites = {s.get("name"): s for s in h.junit(out).findall("testsuite")}
    for name in expected:
        assert int(suites[name].get("failures")) >= 1


def test_fail_on_above_the_worst_fails_nobody(tmp_path):
    tree = os.path.join(h.TREES, h.HEALTHY_TREE)
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % tree,
                     "-e", "nfdoctor_report_dir=%s" % tmp_path, "-e", "nfdoctor_fail_on=medium")
    assert run.returncode == 0, run.stdout
    assert h.report(tmp_path)["summary"]["failing_hosts"] == []


def test_tarballs_and_sosreport_layout(tmp_path):
    src = tmp_path / "captures"
    src.mkdir()
    seed = "seed-000-centos7-conntrack-blacklist"
    # A sosreport-style tarball: one top directory holding the tree.
    with tarfile.open(src / "sosreport-server-2026-11-22.tar.xz", "w:xz") as tar:
        tar.add(os.path.join(h.TREES, seed), arcname="sosreport-server-2026-11-22")
    shutil.copytree(os.path.join(h.TREES, "seed-004-openstack-netns-hang"), src / "compute-17")
    # A hostile tarball next to them is refused, the rest still audited.
    with tarfile.open(src / "evil.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("../../etc/cron.d/evil")
        data = b"* * * * * root conntrack -F\n"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    out = tmp_path / "r"
    for _attempt in (1, 2):  # twice: the second run replaces what the first unpacked
        run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % src, "-e", "nfdoctor_report_dir=%s" % out)
        assert run.returncode == 0, run.stdout
    doc = h.report(out)
    assert len(doc["hosts"]) == 2
    by_ids = {name: h.ids(entry) for name, entry in doc["hosts"].items()}
    assert any(h.SEED_EXPECTATIONS[seed] <= found for found in by_ids.values())
    assert any(h.SEED_EXPECTATIONS["seed-004-openstack-netns-hang"] <= found for found in by_ids.values())
    flat = re.sub(r"\s+", " ", run.stdout)  # the callback wraps long lines
    assert "evil.tar.gz: not extracted: member" in flat and "climbs out of the archive" in flat
    assert not (tmp_path / "etc").exists()


def test_nothing_to_audit_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % empty, "-e", "nfdoctor_report_dir=%s" % tmp_path)
    assert run.returncode != 0
    assert "No captured tree, sosreport or tarball found in %s" % empty in run.stdout
