"""audit_offline.yml on the seed incident trees: the incident's findings, fail_on, tarballs, hostile input."""
import hashlib
import io
import json
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


def test_the_report_directory_keeps_its_mode_and_a_new_one_is_made(tmp_path):
    """The user's 0700 report directory must not be opened to everyone (it was chmod 0755);
    a missing one, parents and all, is created."""
    tree = os.path.join(h.TREES, h.HEALTHY_TREE)
    private = tmp_path / "private"
    private.mkdir()
    os.chmod(str(private), 0o700)
    fresh = tmp_path / "new" / "reports"
    for out in (private, fresh):
        run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % tree,
                         "-e", "nfdoctor_report_dir=%s" % out, "-e", '{"nfdoctor_report_formats": ["json"]}')
        assert run.returncode == 0, run.stdout
        assert os.listdir(str(out)) == ["nfdoctor-report.json"]
    assert os.stat(str(private)).st_mode & 0o777 == 0o700
    assert os.stat(str(fresh)).st_mode & 0o777 == 0o755
    # a file where the directory should be is refused before any host is audited, and left as it was
    not_a_dir = tmp_path / "reports.txt"
    not_a_dir.write_text("the user's notes\n")
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % tree,
                     "-e", "nfdoctor_report_dir=%s" % not_a_dir)
    assert run.returncode != 0
    assert "is not a writable directory for the controller user" in run.stdout
    assert not_a_dir.read_text() == "the user's notes\n"


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


# ---------------------------------------------------------------- real sosreports (issue 12)
sys.path.insert(0, os.path.join(h.REPO, "tests", "unit", "plugins", "module_utils"))
from sos_trees import sosify  # noqa: E402


def sos4_report(top, seed, version, hostname):
    """The seed tree as sos ``version`` lays it out, with what sos 4 adds around it.

    sos_reports/manifest.json as sos/component.py and sos/report/__init__.py
    write it (top-level "version", no host name field), the host name only
    in sos_commands/host/hostname and sos's root link ``hostname`` to it
    (host plugin: add_cmd_output('hostname', root_symlink='hostname')).
    """
    root = sosify(os.path.join(h.TREES, seed), str(top), version)
    for own in ("etc/hostname", "proc/sys/kernel/hostname", "hostname"):
        if os.path.lexists(os.path.join(root, own)):
            os.remove(os.path.join(root, own))
    os.makedirs(os.path.join(root, "sos_commands", "host"))
    with open(os.path.join(root, "sos_commands", "host", "hostname"), "w") as handle:
        handle.write(hostname + "\n")
    os.symlink("sos_commands/host/hostname", os.path.join(root, "hostname"))
    os.makedirs(os.path.join(root, "sos_reports"))
    os.makedirs(os.path.join(root, "sos_logs"))
    manifest = {"version": version, "cmdline": "sos report --batch", "start_time": "2026-12-01 09:14:02.118273",
                "end_time": "2026-12-01 09:16:40.007112", "run_time": "0:02:37.888839", "compression": "xz",
                "tmpdir": "/var/tmp/sos.abc123", "tmpdir_fs_type": "xfs", "policy": "Red Hat Enterprise Linux",
                "components": {"report": {"sysroot": "/", "preset": "rhel", "profiles": [], "plugins": {}}}}
    with open(os.path.join(root, "sos_reports", "manifest.json"), "w") as handle:
        json.dump(manifest, handle, indent=4)
    return root


def test_real_sosreport_tarball_round_trip(tmp_path):
    """sos 4.x tarballs as sos names them, with their checksum files: host name, sos version, findings."""
    src = tmp_path / "case-03714562"
    src.mkdir()
    cases = [  # (seed, sos version, host, tarball name as sos's friendly name_pattern gives it, mode)
        ("seed-004-openstack-netns-hang", "4.5.0", "compute-17",
         "sosreport-compute-17-03714562-2026-12-01-qpkxdid.tar.xz", "w:xz"),
        ("seed-003-gentoo-networkd-docker", "4.7.2", "edge-gw-2",
         "sosreport-edge-gw-2-2026-12-01-mfbzrwe.tar.gz", "w:gz"),
    ]
    for seed, version, host, name, mode in cases:
        top = name.split(".tar", maxsplit=1)[0]
        root = sos4_report(tmp_path / "build" / top, seed, version, host)
        with tarfile.open(src / name, mode) as tar:
            tar.add(root, arcname=top)
        digest = hashlib.sha256((src / name).read_bytes()).hexdigest()
        (src / (name + ".sha256")).write_text(digest + "\n")
    out = tmp_path / "r"
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % src, "-e", "nfdoctor_report_dir=%s" % out)
    assert run.returncode == 0, run.stdout
    assert ".sha256" not in run.stdout  # sos's checksum files are neither audited nor reported as skipped
    assert "provided hosts list is empty" not in run.stdout
    doc = h.report(out)
    assert sorted(doc["hosts"]) == ["compute-17", "edge-gw-2"]
    for seed, version, host, _name, _mode in cases:
        entry = doc["hosts"][host]
        assert entry["status"] == "ok", entry
        assert entry["facts"]["provenance"]["sos_version"] == version
        assert entry["facts"]["provenance"]["layout"] == "sos 4.x"
        assert h.SEED_EXPECTATIONS[seed] <= h.ids(entry), (host, sorted(h.ids(entry)))
        # iptables rules were read from sos's listings, not from an iptables-save it never writes.
        assert not any(s.endswith("iptables-save") for s in entry["facts"]["provenance"]["netfilter_rules"])
        assert "%s <- %s" % (host, src) in re.sub(r"\s+", " ", run.stdout)
        assert "(sos %s)" % version in run.stdout


def test_sos3_directory_extracted_with_its_top_folder(tmp_path):
    """A sos 3.9 report unpacked by hand: a directory holding sosreport-HOST-DATE/, version.txt only."""
    seed = "seed-000-centos7-conntrack-blacklist"
    outer = tmp_path / "case" / "unpacked"
    root = sosify(os.path.join(h.TREES, seed), str(outer / "sosreport-db01.03714562-20261201091402"), "3.9")
    out = tmp_path / "r"
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % (tmp_path / "case"),
                     "-e", "nfdoctor_report_dir=%s" % out)
    assert run.returncode == 0, run.stdout
    doc = h.report(out)
    assert len(doc["hosts"]) == 1
    (_name, entry), = doc["hosts"].items()
    assert entry["facts"]["root"].rstrip("/") == root
    assert entry["facts"]["provenance"]["sos_version"] == "3.9"
    assert entry["facts"]["provenance"]["layout"] == "sos 3.x"
    assert h.SEED_EXPECTATIONS[seed] <= h.ids(entry)


# ---------------------------------------------------------------- issue 13: how the offline run is started
def test_no_offline_dir_fails_at_once_and_scans_nothing(tmp_path):
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_report_dir=%s" % tmp_path)
    assert run.returncode != 0
    assert "nfdoctor_offline_dir is not set" in re.sub(r"\s+", " ", run.stdout)
    assert "Find captured trees, sosreports and tarballs" not in run.stdout
    assert not (tmp_path / "nfdoctor-report.json").exists()
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=' '", "-e", "nfdoctor_report_dir=%s" % tmp_path)
    assert run.returncode != 0 and "nfdoctor_offline_dir is not set" in re.sub(r"\s+", " ", run.stdout)


def test_a_missing_offline_dir_says_it_does_not_exist(tmp_path):
    missing = tmp_path / "no-such-dir"
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % missing, "-e", "nfdoctor_report_dir=%s" % tmp_path)
    flat = re.sub(r"\s+", " ", run.stdout)
    assert run.returncode != 0
    assert "nfdoctor_offline_dir=%s does not exist on the controller" % missing in flat
    assert "No captured tree" not in flat


def test_localhost_comma_inventory_neither_warns_nor_tries_ssh(tmp_path):
    tree = os.path.join(h.TREES, h.HEALTHY_TREE)
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % tree, "-e", "nfdoctor_report_dir=%s" % tmp_path,
                     inventory="localhost,")
    assert run.returncode == 0, run.stdout
    for text in ("provided hosts list is empty", "No inventory was parsed", "UNREACHABLE", "via ssh", "SSH: EXEC"):
        assert text not in run.stdout, text
    # Nor a Python warning from the controller's packages (requirements/constraints.txt: cryptography 51's
    # DSA deprecation is printed by every ansible-core 2.19 run).
    assert "Warning: " not in run.stdout, run.stdout[:2000]
    assert len(h.report(tmp_path)["hosts"]) == 1


def _comparable(doc):
    """A report without what differs between two runs over the same trees: the clock."""
    doc = json.loads(json.dumps(doc))
    doc.pop("generated_at")
    for entry in doc["hosts"].values():
        if isinstance(entry.get("facts"), dict):
            entry["facts"].pop("gathered_at", None)
    return doc


def test_batched_and_one_run_per_tree_write_the_same_report(tmp_path):
    """Issue 15: many trees per module run (roots=) is faster and must find exactly the same."""
    batched, single = tmp_path / "batched", tmp_path / "single"
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % h.TREES, "-e", "nfdoctor_report_dir=%s" % batched,
                     "-e", "nfdoctor_offline_batch_size=4")
    assert run.returncode == 0, run.stdout
    per_tree = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % h.TREES,
                          "-e", "nfdoctor_report_dir=%s" % single, "-e", '{"__nfdoctor_offline_batch": false}')
    assert per_tree.returncode == 0, per_tree.stdout
    # Six trees in runs of at most four: two module runs, no task per tree.
    assert re.findall(r"\(item=(\d+) trees: ", run.stdout) == ["4", "2"], run.stdout
    assert "TASK [nfdoctor.netfilter.audit : Audit netfilter state]" not in run.stdout
    assert "TASK [nfdoctor.netfilter.audit : Audit netfilter state]" in per_tree.stdout
    assert "TASK [nfdoctor.netfilter.audit : Audit the captured trees" not in per_tree.stdout
    doc = h.report(batched)
    assert len(doc["hosts"]) == len(os.listdir(h.TREES))
    assert sum(len(e["findings"]) for e in doc["hosts"].values()) > 10
    assert _comparable(doc) == _comparable(h.report(single))


def test_a_host_with_its_own_kernel_table_is_audited_with_it(tmp_path):
    """A tree whose host_vars add a known-bad kernel entry gets a run of its own: no other tree sees the entry."""
    inventory = tmp_path / "inventory"
    (inventory / "host_vars").mkdir(parents=True)
    shutil.copy(h.LOCAL_INVENTORY, str(inventory / "hosts.yml"))
    (inventory / "host_vars" / "gentoo-docker.yml").write_text(
        "nfdoctor_known_bad_kernels:\n"
        "  - id: vendor-test-1\n"
        "    finding: VENDOR_TEST_BUG\n"
        "    summary: a vendor bug in 4.2 kernels\n"
        "    affected:\n"
        "      - {introduced: '4.2', fixed: '4.3', confidence: high, source: 'vendor advisory TEST-1'}\n")
    out = tmp_path / "r"
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % h.TREES, "-e", "nfdoctor_report_dir=%s" % out,
                     inventory=str(inventory / "hosts.yml"))
    assert run.returncode == 0, run.stdout
    assert sorted(re.findall(r"\(item=(\d+) trees: ", run.stdout)) == ["1", "5"], run.stdout
    doc = h.report(out)
    having = sorted(name for name, entry in doc["hosts"].items() if "VENDOR_TEST_BUG" in h.ids(entry))
    assert having == ["gentoo-docker"]


@pytest.mark.parametrize("size", ["0", "-3", "2.5"])
def test_a_bad_batch_size_stops_before_any_tree_is_audited(tmp_path, size):
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % h.TREES, "-e", "nfdoctor_report_dir=%s" % tmp_path,
                     "-e", '{"nfdoctor_offline_batch_size": %s}' % size)
    assert run.returncode == 2
    flat = re.sub(r"\s+", " ", run.stdout)
    assert "Traceback" not in flat
    assert "nfdoctor_offline_batch_size must be a whole number of trees, 1 or more, not %s" % size in flat or \
        "nfdoctor_offline_batch_size" in flat and "cannot be converted to an int" in flat, flat[-2000:]
    assert "TASK [nfdoctor.netfilter.audit : Audit the captured trees" not in run.stdout and not (tmp_path / "nfdoctor-report.json").exists()


def test_a_tree_that_cannot_be_audited_fails_alone_after_the_reports(tmp_path):
    """One tree of a batch gone (its host_vars point elsewhere): its audit fails, the batch's others are audited,
    the reports hold all six, and the last play fails that tree alone with the module's reason."""
    inventory = tmp_path / "inventory"
    (inventory / "host_vars").mkdir(parents=True)
    shutil.copy(h.LOCAL_INVENTORY, str(inventory / "hosts.yml"))
    (inventory / "host_vars" / "gentoo-docker.yml").write_text("nfdoctor_root: %s\n" % (tmp_path / "gone"))
    out = tmp_path / "r"
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % h.TREES, "-e", "nfdoctor_report_dir=%s" % out,
                     inventory=str(inventory / "hosts.yml"))
    assert run.returncode == 2, run.stdout
    assert re.findall(r"\(item=(\d+) trees: ", run.stdout) == ["6"]
    doc = h.report(out)
    assert doc["hosts"]["gentoo-docker"]["status"] == "failed"
    assert doc["hosts"]["gentoo-docker"]["message"] == \
        "root %s is not a directory (give a captured tree or extracted sosreport)" % (tmp_path / "gone")
    assert sorted(n for n, e in doc["hosts"].items() if e["status"] == "ok") == \
        sorted(set(doc["hosts"]) - {"gentoo-docker"}) and len(doc["hosts"]) == 6
    assert re.findall(r"^fatal: \[([^\]]+)\]: FAILED!", run.stdout, re.M) == ["gentoo-docker"]
    assert "nfdoctor could not audit gentoo-docker (failed): root %s is not" % (tmp_path / "gone") in run.stdout
