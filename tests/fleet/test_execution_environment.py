"""execution-environment.yml gives ansible-builder a complete build context.

The image itself needs podman or docker, which these machines lack; the
context is what ansible-builder validates and generates from our definition,
and the collection tarball inside it must install and work on its own.
"""
import json
import os
import shutil
import subprocess
import tarfile

import pytest
import yaml

from conftest import BIN, REPO, ansible_env

EE_FILE = os.path.join(REPO, "execution-environment.yml")
# execution-environment.yml copies the collection from here (additional_build_files).
EE_TARBALL = os.path.join(REPO, ".build", "ee", "nfdoctor-netfilter.tar.gz")


def builder_create(definition, context):
    return subprocess.run([os.path.join(BIN, "ansible-builder"), "create", "-f", definition,
                           "--context", context, "--output-filename", "Containerfile"],
                          check=False, capture_output=True, text=True, env=ansible_env(), timeout=300)


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    out = tmp_path_factory.mktemp("ee-build")
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path",
                    str(out), REPO], check=True, capture_output=True, env=ansible_env(), cwd=REPO)
    built = [name for name in os.listdir(str(out)) if name.endswith(".tar.gz")]
    assert len(built) == 1, built
    os.makedirs(os.path.dirname(EE_TARBALL), exist_ok=True)
    shutil.copyfile(str(out / built[0]), EE_TARBALL)
    context_dir = str(out / "context")
    proc = builder_create(EE_FILE, context_dir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return context_dir


def galaxy_version():
    with open(os.path.join(REPO, "galaxy.yml")) as handle:
        return yaml.safe_load(handle)["version"]


def test_containerfile_installs_collections_and_python_deps(context):
    with open(os.path.join(context, "Containerfile")) as handle:
        containerfile = handle.read()
    assert 'ARG EE_BASE_IMAGE="quay.io/centos/centos:stream9"' in containerfile
    assert "FROM $EE_BASE_IMAGE AS base" in containerfile
    assert "ansible-galaxy collection install" in containerfile
    assert "-r requirements.yml" in containerfile
    # The assemble script pip-installs requirements.txt and the bindep packages.
    assert "/output/scripts/assemble" in containerfile
    assert "ansible-core>=2.16,<2.20" in containerfile
    assert "ansible-runner" in containerfile


def test_requirements_name_the_dependencies(context):
    with open(os.path.join(context, "_build", "requirements.yml")) as handle:
        collections = yaml.safe_load(handle)["collections"]
    names = {entry["name"]: entry for entry in collections}
    assert set(names) == {"community.general", "ansible.posix", "collections/nfdoctor-netfilter.tar.gz"}
    assert names["collections/nfdoctor-netfilter.tar.gz"]["type"] == "file"
    # The collection needs no Python package beyond ansible-core (the report filters once needed
    # jmespath for one expression and failed after the whole fleet was audited without it).
    requirements = os.path.join(context, "_build", "requirements.txt")
    if os.path.exists(requirements):
        with open(requirements) as handle:
            python_deps = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
        assert not [d for d in python_deps if "nfdoctor" in d], python_deps


def test_context_holds_this_collection(context):
    tarball = os.path.join(context, "_build", "collections", "nfdoctor-netfilter.tar.gz")
    with tarfile.open(tarball) as archive:
        members = archive.getnames()
        manifest = json.load(archive.extractfile("MANIFEST.json"))["collection_info"]
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == ("nfdoctor", "netfilter",
                                                                              galaxy_version())
    assert set(manifest["dependencies"]) == {"community.general", "ansible.posix"}
    assert "plugins/modules/netfilter_facts.py" in members
    assert "playbooks/audit.yml" in members
    # build_ignore keeps the controller's venv and build output out of the image, and ships
    # user content only: no caches, no second copy of the collection from ansible-lint's .ansible/,
    # no development tooling, tests or benchmarks.
    unwanted = (".venv", ".build", "reports/", ".ansible/", ".cache/", ".hypothesis/", ".pytest_cache/",
                ".ruff_cache/", "tests/", "molecule/", "tools/", "mk/", "Makefile", "playbooks/bench/",
                "requirements/", ".ci/")
    assert not [m for m in members if m.startswith(unwanted) or "__pycache__" in m or m.endswith(".pyc")]
    for shipped in ("LICENSE", "requirements.txt", "bindep.txt", "meta/execution-environment.yml",
                    "meta/runtime.yml", "roles/audit/tasks/main.yml", "playbooks/remediate.yml"):
        assert shipped in members, shipped


def test_introspect_finds_the_python_and_system_dependencies(context, tmp_path):
    # What ansible-builder introspect reads from an installed collection (meta/execution-environment.yml).
    tarball = os.path.join(context, "_build", "collections", "nfdoctor-netfilter.tar.gz")
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--force", "--no-deps",
                    "-p", str(tmp_path), tarball], check=True, capture_output=True, env=ansible_env())
    proc = subprocess.run([os.path.join(BIN, "ansible-builder"), "introspect", "--sanitize", str(tmp_path)],
                          check=False, capture_output=True, text=True, env=ansible_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    found = yaml.safe_load(proc.stdout)
    assert not [line for line in found.get("python") or [] if "nfdoctor.netfilter" in line], found
    assert "openssh-client [platform:dpkg]  # from collection nfdoctor.netfilter" in found["system"], found


def test_collection_from_the_context_installs_and_documents_its_module(context, tmp_path):
    tarball = os.path.join(context, "_build", "collections", "nfdoctor-netfilter.tar.gz")
    env = ansible_env()
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--force", "--no-deps",
                    "-p", str(tmp_path),
                    tarball], check=True, capture_output=True, env=env)
    # --force: a copy elsewhere (~/.ansible/collections) must not make galaxy skip
    # the install. Then only the installed copy (plus the venv's bundled
    # dependencies) is visible.
    env["ANSIBLE_COLLECTIONS_PATH"] = str(tmp_path)
    doc = subprocess.run([os.path.join(BIN, "ansible-doc"), "--json", "nfdoctor.netfilter.netfilter_facts"],
                         check=False, capture_output=True, text=True, env=env)
    assert doc.returncode == 0, doc.stderr
    assert "nfdoctor.netfilter.netfilter_facts" in json.loads(doc.stdout)


def test_invalid_definition_is_rejected(tmp_path):
    with open(EE_FILE) as handle:
        definition = yaml.safe_load(handle)
    # A misspelt key must fail the schema, not be silently ignored.
    definition["dependencies"]["ansible_cor"] = definition["dependencies"].pop("ansible_core")
    shutil.copy(os.path.join(REPO, "requirements.txt"), str(tmp_path))
    broken = tmp_path / "execution-environment.yml"
    broken.write_text(yaml.safe_dump(definition))
    proc = builder_create(str(broken), str(tmp_path / "context"))
    assert proc.returncode != 0
    assert "'ansible_cor' was unexpected" in proc.stderr, proc.stderr
