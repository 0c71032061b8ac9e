"""Issue 16 end to end: audit_offline.yml over hostile sources still reports every good host, rc 0."""
import json
import os
import re
import shutil
import subprocess

from intake_helpers import HEALTHY_TREE, REPO, TREES, make_tar, tree_members

BIN = os.path.join(REPO, ".venv", "bin")


def test_group_named_host_and_corrupt_tarball_do_not_drop_the_fleet(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copytree(HEALTHY_TREE, src / "healthy")
    for name, recorded in (("groupname", "nfdoctor_offline"), ("allname", "all")):
        shutil.copytree(os.path.join(TREES, "seed-000-centos7-conntrack-blacklist"), src / name)
        (src / name / "etc" / "hostname").write_text(recorded + "\n")
    (src / "broken.tar.xz").write_bytes(os.urandom(4000))
    make_tar(src / "deep.tar.gz", tree_members(".") + [({"name": "/".join(["d"] * 5000)}, b"x")])
    reports = tmp_path / "reports"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".build", "collections"),
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    env.pop("NFDOCTOR_REPORT_DIR", None)
    run = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(REPO, "inventory", "localhost.yml"),
                          os.path.join(REPO, "playbooks", "audit_offline.yml"), "-e", "nfdoctor_offline_dir=%s" % src,
                          "-e", "nfdoctor_report_dir=%s" % reports], check=False, cwd=REPO, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=600)
    assert run.returncode == 0, run.stdout
    assert "Traceback" not in run.stdout
    with open(reports / "nfdoctor-report.json") as handle:
        doc = json.load(handle)
    assert sorted(doc["hosts"]) == ["all-allname", "healthy-node", "nfdoctor_offline-groupname"]
    assert all(entry["status"] == "ok" for entry in doc["hosts"].values())
    flat = re.sub(r"\s+", " ", run.stdout)
    assert "broken.tar.xz: not extracted: not a readable tar archive (tar, gzip, bzip2 or xz)" in flat
    assert "deep.tar.gz: not extracted: member d/d/d/" in flat and "is 5000 directories deep (more than 128)" in flat
    # The user's trees are untouched; only run-* directories were made in the work directory.
    assert (src / "groupname" / "etc" / "hostname").read_text() == "nfdoctor_offline\n"
    assert [n.startswith("run-") for n in os.listdir(reports / "offline-trees")] == [True]


def test_offline_group_that_cannot_hold_hosts_is_refused(tmp_path):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".build", "collections"),
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    run = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(REPO, "inventory", "localhost.yml"),
                          os.path.join(REPO, "playbooks", "audit_offline.yml"), "-e", "nfdoctor_offline_dir=%s" % TREES,
                          "-e", "nfdoctor_report_dir=%s" % tmp_path, "-e", "nfdoctor_offline_group=all"],
                         check=False, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    assert run.returncode == 2
    assert "nfdoctor_offline_group=all cannot hold the offline hosts" in re.sub(r"\s+", " ", run.stdout)
