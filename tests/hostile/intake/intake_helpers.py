"""Builders of hostile tarballs and trees for the audit's intake (issue 16), and the checks every case shares.

Imported by name (intake_helpers), never as conftest: tests/hostile/remediation has a conftest of its own, and
"from conftest import" found whichever of the two was imported first when both suites ran in one pytest call.
"""
import gzip
import hashlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tarfile

import pytest
from tarballs import make_tar  # noqa: F401 - the intake tests import it from here

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SCRIPT = os.path.join(REPO, "roles", "audit", "files", "offline_trees.py")
PYTHON = os.path.join(REPO, ".venv", "bin", "python")
TREES = os.path.join(REPO, "tests", "integration", "trees")
HEALTHY_TREE = os.path.join(TREES, "healthy-debian12-docker")

_spec = importlib.util.spec_from_file_location("offline_trees_hostile", SCRIPT)
offline_trees = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(offline_trees)

# Runs a command and prints, as its last line, the peak RSS (KiB) of the command alone.
_MEASURE = ("import resource, subprocess, sys, time\n"
            "t = time.time()\n"
            "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
            "sys.stdout.buffer.write(p.stdout)\n"
            "sys.stderr.buffer.write(p.stderr)\n"
            "print(json.dumps({'rc': p.returncode, 'maxrss_kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
            " 'seconds': round(time.time() - t, 2)}))\n").replace("import resource", "import json, resource")


def tree_members(top=".", hostname=b"web01\n"):
    """A small captured tree: (TarInfo fields, data) pairs."""
    prefix = "" if top == "." else top + "/"
    return [({"name": prefix + "etc/hostname"}, hostname),
            ({"name": prefix + "proc/sys/kernel/osrelease"}, b"3.10.0-514.el7.x86_64\n"),
            ({"name": prefix + "etc/modprobe.d/blacklist.conf"}, b"blacklist nf_conntrack_ipv4\n")]


def pax_bomb(path, path_bytes):
    """A .tar.gz whose first pax header claims a path of ``path_bytes`` bytes, streamed (never in memory)."""
    record_body = b" path="
    # One pax record: "<length> path=<value>\n", where <length> counts its own digits too.
    body = len(record_body) + path_bytes + 1
    total = body + len(str(body))
    total = body + len(str(total))
    length = str(total).encode()
    payload_size = total
    header = tarfile.TarInfo("././@PaxHeader")
    header.type = tarfile.XHDTYPE
    header.size = payload_size
    with gzip.open(str(path), "wb", compresslevel=1) as out:
        out.write(header.tobuf(format=tarfile.USTAR_FORMAT))
        out.write(length + record_body)
        chunk = b"a" * (1024 * 1024)
        left = path_bytes
        while left > 0:
            out.write(chunk[:min(left, len(chunk))])
            left -= min(left, len(chunk))
        out.write(b"\n")
        out.write(b"\0" * ((512 - payload_size % 512) % 512))
        member = tarfile.TarInfo("etc/hostname")
        member.size = 6
        out.write(member.tobuf(format=tarfile.USTAR_FORMAT))
        out.write(b"evil1\n" + b"\0" * 506)
        out.write(b"\0" * 1024)
    return str(path)


def hardlink_bomb(path, target_bytes, links):
    """One file of ``target_bytes`` zeros and ``links`` hard links to it (tar counts each link as 0 bytes)."""
    with tarfile.open(str(path), "w:gz") as tar:
        for fields, data in tree_members("."):
            info = tarfile.TarInfo(fields["name"])
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("etc/modprobe.d/zero.conf")
        info.size = target_bytes

        class Zeros(io.RawIOBase):
            def __init__(self, size):
                self.left = size

            def readable(self):
                return True

            def readinto(self, buf):
                n = min(len(buf), self.left)
                buf[:n] = b"\0" * n
                self.left -= n
                return n

        tar.addfile(info, io.BufferedReader(Zeros(target_bytes)))
        for index in range(links):
            link = tarfile.TarInfo("etc/modprobe.d/link%04d.conf" % index)
            link.type = tarfile.LNKTYPE
            link.linkname = "etc/modprobe.d/zero.conf"
            tar.addfile(link)
    return str(path)


def checksum_tree(top, exclude=()):
    """{relative path: sha256 or link target or 'dir'} of everything under ``top`` but ``exclude``."""
    found = {}
    exclude = [os.path.abspath(e) for e in exclude]
    for base, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if os.path.abspath(os.path.join(base, d)) not in exclude]
        for name in dirs + files:
            full = os.path.join(base, name)
            if os.path.abspath(full) in exclude:
                continue
            rel = os.path.relpath(full, top)
            if os.path.islink(full):
                found[rel] = "-> " + os.readlink(full)
            elif os.path.isdir(full):
                found[rel] = "dir"
            else:
                with open(full, "rb") as handle:
                    found[rel] = hashlib.sha256(handle.read()).hexdigest()
    return found


def run_script(*args, timeout=300):
    """Run offline_trees.py as the playbook does; returns (json result, measures, stderr)."""
    argv = [PYTHON, "-c", _MEASURE, PYTHON, SCRIPT] + [str(a) for a in args]
    proc = subprocess.run(argv, check=False, capture_output=True, timeout=timeout, text=True)
    lines = proc.stdout.rstrip("\n").rsplit("\n", 1)
    measures = json.loads(lines[-1])
    result = json.loads(lines[0]) if measures["rc"] == 0 and len(lines) == 2 else None
    return result, measures, proc.stderr


def reasons(result):
    return {os.path.basename(s["source"]): s["reason"] for s in result["skipped"]}


@pytest.fixture
def captures(tmp_path):
    """A source directory with one good tarball and one good tree; cases add their hostile input beside them."""
    src = tmp_path / "captures"
    src.mkdir()
    make_tar(src / "good.tar.gz", tree_members("sosreport-good-2026", hostname=b"good01\n"))
    tree = src / "plain-tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "hostname").write_text("plain01\n")
    return src


@pytest.fixture
def outside(tmp_path):
    """Checksums of everything in tmp_path outside the work directory, before and after a case."""
    class Outside:
        def __init__(self):
            self.work = tmp_path / "work"
            self.before = None

        def snapshot(self):
            self.before = checksum_tree(str(tmp_path), exclude=[str(self.work)])

        def unchanged(self):
            after = checksum_tree(str(tmp_path), exclude=[str(self.work)])
            return after == self.before

    return Outside()


@pytest.fixture(scope="session")
def python():
    return sys.executable
