"""The pure parts of `make galaxy-importer` (tools/sanity/galaxy_importer_check.py): which importer lines are
accepted, and the stand-in copy of the tarball. The log lines are the importer 0.4.44's own wording."""
import io
import json
import os
import sys
import tarfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools", "sanity"))
import galaxy_importer_check as check  # noqa: E402

REPOSITORY = "ERROR: The import failed for the following reason: Invalid collection metadata. 'repository' is required"
UNKNOWN_DEPENDENCY = ("WARNING: roles/conntrack_modules/tasks/main.yml:101:3: syntax-check[unknown-module]: couldn't "
                      "resolve module/action 'community.general.modprobe'. This often indicates a misspelling, missing "
                      "collection, or incorrect module path.")


def test_the_missing_repository_is_the_one_error_accepted_on_the_real_tarball():
    log = "Importing with galaxy-importer 0.4.44\n%s\n" % REPOSITORY
    accepted, unexpected = check.classify(log, check.KNOWN_REAL)
    assert [line for line, _why in accepted] == [REPOSITORY] and unexpected == []
    # any other metadata error is not
    other = REPOSITORY.replace("'repository' is required", "'readme' is required")
    accepted, unexpected = check.classify(log + other + "\n", check.KNOWN_REAL)
    assert unexpected == [other] and len(accepted) == 1


def test_only_unresolved_dependency_modules_are_accepted_from_the_importers_lint():
    accepted, unexpected = check.classify(UNKNOWN_DEPENDENCY, check.KNOWN_STAND_IN)
    assert len(accepted) == 1 and unexpected == []
    own = UNKNOWN_DEPENDENCY.replace("community.general.modprobe", "nfdoctor.netfilter.netfilter_fact")
    lint = "WARNING: roles/audit/tasks/main.yml:38:3: fqcn[action-core]: Use FQCN for builtin module actions (copy)."
    accepted, unexpected = check.classify("\n".join([own, lint, "Traceback (most recent call last):"]),
                                          check.KNOWN_STAND_IN)
    assert accepted == [] and unexpected == [own, lint, "Traceback (most recent call last):"]
    # the repository error is accepted on the real tarball only
    assert check.classify(REPOSITORY, check.KNOWN_STAND_IN)[1] == [REPOSITORY]


def test_info_lines_are_neither_accepted_nor_unexpected():
    log = "Loading module netfilter_facts\nLinting collection via ansible-lint 26.10.1...\nCollection loading complete\n"
    assert check.classify(log, check.KNOWN_REAL) == ([], [])


def _tarball(path, manifest):
    with tarfile.open(str(path), "w:gz") as tar:
        for name, body in (("MANIFEST.json", json.dumps(manifest)), ("FILES.json", '{"files": []}'),
                           ("README.md", "# nfdoctor\n")):
            raw = body.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def test_the_stand_in_copy_changes_only_the_manifests_repository(tmp_path):
    source, dest = tmp_path / "in.tar.gz", tmp_path / "out.tar.gz"
    manifest = {"collection_info": {"namespace": "nfdoctor", "name": "netfilter", "repository": None},
                "file_manifest_file": {"name": "FILES.json"}}
    _tarball(source, manifest)
    assert check.manifest_repository(str(source)) is None
    check.copy_with_stand_in(str(source), str(dest))
    assert check.manifest_repository(str(dest)) == check.STAND_IN
    with tarfile.open(str(source)) as before, tarfile.open(str(dest)) as after:
        assert before.getnames() == after.getnames()
        for name in ("FILES.json", "README.md"):
            assert before.extractfile(name).read() == after.extractfile(name).read()
        copied = json.load(after.extractfile("MANIFEST.json"))
    copied["collection_info"]["repository"] = None
    assert copied == manifest
