"""galaxy-importer, what Galaxy runs on an upload, on the built tarball (make galaxy-importer).

galaxy-importer refuses a collection without `repository` before it checks
anything else (`Invalid collection metadata. 'repository' is required`), and
nfdoctor has no public repository to name: galaxy.yml leaves the field unset
rather than point at a placeholder. So the importer runs twice:

1. on the real tarball, where that one error is the only message allowed;
2. on a copy whose MANIFEST.json carries a stand-in `repository` (never
   shipped), so that the importer's other checks (file manifest, ansible-doc
   of every plugin, ansible-lint --profile production, changelog) still run;
   they must pass with no error and no warning but the known ones below.

Once galaxy.yml names a repository, the real tarball must pass on its own and
the stand-in run is skipped.

    python galaxy_importer_check.py TARBALL WORKDIR     (with galaxy-importer's own Python)
"""
import collections
import io
import json
import os
import re
import subprocess
import sys
import tarfile

STAND_IN = "stand-in:nfdoctor-has-no-public-repository"

# (pattern, why it is accepted); anything else the importer logs as ERROR or WARNING fails the target.
KNOWN_REAL = [
    (re.compile(r"^ERROR: The import failed for the following reason: "
                r"Invalid collection metadata\. 'repository' is required$"),
     "galaxy.yml names no repository: nfdoctor has none public, and a placeholder would be a lie"),
]
KNOWN_STAND_IN = [
    # The importer lints with ANSIBLE_COLLECTIONS_PATH set to its own temporary
    # directory, which holds the collection but not galaxy.yml's dependencies.
    (re.compile(r"^WARNING: \S+: syntax-check\[unknown-module\]: couldn't resolve module/action "
                r"'(community\.general|ansible\.posix)\.[a-z_]+'"),
     "the importer's ansible-lint runs without the dependencies (community.general, ansible.posix) installed"),
]
FAILED_RUN = re.compile(r"^(ERROR|WARNING)\b|Traceback \(most recent call last\)")


def classify(log_text, known):
    """(accepted, unexpected): the log's ERROR/WARNING/Traceback lines, accepted ones with their reason."""
    accepted, unexpected = [], []
    for line in log_text.splitlines():
        if not FAILED_RUN.search(line):
            continue
        reasons = [why for pattern, why in known if pattern.search(line)]
        if reasons:
            accepted.append((line, reasons[0]))
        else:
            unexpected.append(line)
    return accepted, unexpected


def manifest_repository(tarball):
    with tarfile.open(tarball, "r:gz") as tar:
        return json.load(tar.extractfile("MANIFEST.json"))["collection_info"].get("repository")


def copy_with_stand_in(source, dest):
    """The tarball member by member, MANIFEST.json's repository set to STAND_IN."""
    with tarfile.open(source, "r:gz") as src, tarfile.open(dest, "w:gz") as out:
        for member in src.getmembers():
            data = src.extractfile(member) if member.isfile() else None
            if member.name == "MANIFEST.json":
                manifest = json.load(data)
                manifest["collection_info"]["repository"] = STAND_IN
                raw = json.dumps(manifest, indent=4, sort_keys=True).encode("utf-8")
                member.size = len(raw)
                data = io.BytesIO(raw)
            out.addfile(member, data)


def run_importer(tarball, workdir):
    """Run the importer from workdir (it writes importer_result.json there); its rc, log and result."""
    os.makedirs(workdir, exist_ok=True)
    proc = subprocess.run([sys.executable, "-m", "galaxy_importer.main", os.path.abspath(tarball)],
                          cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    with open(os.path.join(workdir, "galaxy-importer.log"), "w") as handle:
        handle.write(proc.stdout)
    result_file = os.path.join(workdir, "importer_result.json")
    result = None
    if proc.returncode == 0 and os.path.exists(result_file):
        with open(result_file) as handle:
            result = json.load(handle)
    return proc.returncode, proc.stdout, result


def content_counts(result):
    counts = collections.Counter(item["content_type"] for item in result.get("contents", []))
    return ", ".join("%d %s" % (n, kind) for kind, n in sorted(counts.items()))


def report(label, accepted, unexpected):
    for line, why in accepted:
        print("%s: known exception: %s\n    reason: %s" % (label, line, why))
    for line in unexpected:
        print("%s: UNEXPECTED: %s" % (label, line))


def main(tarball, workdir):
    ok = True
    has_repository = bool(manifest_repository(tarball))
    real_dir = os.path.join(workdir, "real")
    rc, log, result = run_importer(tarball, real_dir)
    accepted, unexpected = classify(log, [] if has_repository else KNOWN_REAL)
    report("real tarball", accepted, unexpected)
    if has_repository:
        ok = rc == 0 and not unexpected and not accepted
        checked = result
    else:
        # the known error, exactly once, and the import stopped on it
        ok = rc != 0 and not unexpected and len(accepted) == 1
        stand_in = os.path.join(workdir, "stand-in", os.path.basename(tarball))
        os.makedirs(os.path.dirname(stand_in), exist_ok=True)
        copy_with_stand_in(tarball, stand_in)
        rc, log, checked = run_importer(stand_in, os.path.dirname(stand_in))
        accepted, unexpected = classify(log, KNOWN_STAND_IN)
        report("stand-in repository", accepted, unexpected)
        done = "Importer processing completed successfully" in log
        ok = ok and rc == 0 and done and not unexpected and checked is not None
    if checked is not None:
        print("galaxy-importer checked %s" % content_counts(checked))
    print("galaxy-importer logs: %s" % " ".join(sorted(
        os.path.join(d, "galaxy-importer.log") for d, _dirs, files in os.walk(workdir) if "galaxy-importer.log" in files)))
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.rstrip().rsplit("\n", 1)[-1].strip())
    sys.exit(main(sys.argv[1], sys.argv[2]))
