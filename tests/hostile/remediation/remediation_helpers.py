"""Helpers and fixtures for hostile remediation cases: scratch roots beside an outside tree, small and read-only tmpfs,
an ext4 image with immutable files, and runners for the modules and the roles.

Everything is built under pytest's tmp_path; mounts are made there and always undone. Mounting needs root (CI
runs as root); without it the cases that need a mount are skipped, the others still run.
"""
import contextlib
import hashlib
import json
import os
import shutil
import stat
import subprocess

import pytest
from module_runner import run_main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PLAYBOOK = os.path.join(REPO, ".venv", "bin", "ansible-playbook")
PLAY_TIMEOUT = 240  # seconds; a FIFO read by a role would otherwise hang the suite


def tree_digest(top):
    """Every entry under ``top`` (lstat, links never followed): type, mode, link target or content hash."""
    state = {}
    if not os.path.lexists(top):
        return state
    for directory, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            rel = os.path.relpath(path, top)
            if stat.S_ISLNK(info.st_mode):
                state[rel] = "link " + os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    state[rel] = "file %o %s" % (info.st_mode, hashlib.sha256(handle.read()).hexdigest())
            elif stat.S_ISDIR(info.st_mode):
                state[rel] = "dir %o" % info.st_mode
            else:
                state[rel] = "special %o" % info.st_mode
    return state


class Sandbox:
    """``root`` is the scratch root; ``outside`` a sibling that nothing may change."""

    def __init__(self, base):
        self.base = str(base)
        self.root = os.path.join(self.base, "root")
        self.outside = os.path.join(self.base, "outside")
        os.makedirs(self.root)
        os.makedirs(self.outside)

    def write(self, relative, text, under=None):
        path = os.path.join(under or self.root, relative.lstrip("/"))
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        with open(path, "wb") as handle:
            handle.write(text.encode("utf-8") if not isinstance(text, bytes) else text)
        return path

    def outside_state(self):
        return tree_digest(self.outside)


@pytest.fixture
def sandbox(tmp_path):
    return Sandbox(tmp_path)


def run_module(capsys, module, **args):
    """Run a module's main() with ``args``; return its JSON result with ``rc``."""
    args.setdefault("_ansible_check_mode", False)
    args["_ansible_diff"] = True
    return run_main(capsys, module, args)


def need_root():
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs or loop device needs root")


@contextlib.contextmanager
def mounted(target, *mount_args):
    subprocess.check_call(["mount"] + list(mount_args) + [target])
    try:
        yield target
    finally:
        subprocess.call(["umount", "-l", target])


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 64 KiB tmpfs: room for a 43 KB file, not for a second copy of it."""
    need_root()
    target = str(tmp_path / "tmpfs")
    os.makedirs(target)
    with mounted(target, "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs"):
        yield target


@pytest.fixture
def tmpfs_factory(tmp_path):
    """Mount a tmpfs, let the test fill it, then remount it read-only: ``remount_ro()``."""
    need_root()
    target = str(tmp_path / "rotmpfs")
    os.makedirs(target)
    with mounted(target, "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs"):
        def remount_ro():
            subprocess.check_call(["mount", "-o", "remount,ro", target])
        yield target, remount_ro


@pytest.fixture
def ext4_image(tmp_path):
    """A small ext4 file system on a loop device (tmpfs has no immutable attribute)."""
    need_root()
    if not (shutil.which("mkfs.ext4") and shutil.which("chattr") and shutil.which("losetup")):
        pytest.skip("mkfs.ext4, chattr and losetup are needed for an immutable file")
    image = str(tmp_path / "fs.img")
    target = str(tmp_path / "ext4")
    os.makedirs(target)
    with open(image, "wb") as handle:
        handle.truncate(8 * 1024 * 1024)
    subprocess.check_call(["mkfs.ext4", "-q", "-F", image])
    immutable = []
    with mounted(target, "-o", "loop", image):
        def make_immutable(path):
            subprocess.check_call(["chattr", "+i", path])
            immutable.append(path)
        try:
            yield target, make_immutable
        finally:
            for path in immutable:
                subprocess.call(["chattr", "-i", path])


def fill(directory, leave_bytes):
    """Fill the file system of ``directory`` until about ``leave_bytes`` are free."""
    filler = os.path.join(directory, "filler")
    with open(filler, "wb") as handle:
        while True:
            free = os.statvfs(directory).f_bavail * os.statvfs(directory).f_frsize
            if free <= leave_bytes:
                break
            try:
                handle.write(b"\0" * min(4096, free - leave_bytes))
                handle.flush()
            except OSError:
                break
    return filler


def run_role(base, role, root, extra=None, check=False):
    """Run ``role`` against ``root`` through ansible-playbook; return (rc, output)."""
    play = os.path.join(str(base), "play-%s.yml" % role)
    variables = {"nfdoctor_%s_root" % role: root}
    variables.update(extra or {})
    with open(play, "w") as handle:
        handle.write("- hosts: localhost\n  gather_facts: false\n  roles:\n    - role: nfdoctor.netfilter.%s\n" % role)
    env = dict(os.environ,
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".build", "collections"),
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_RETRY_FILES_ENABLED="0")
    argv = [PLAYBOOK, "-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter={{ ansible_playbook_python }}",
            "-e", json.dumps(variables), play]
    if check:
        argv.append("--check")
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=PLAY_TIMEOUT,
                          check=False)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")
