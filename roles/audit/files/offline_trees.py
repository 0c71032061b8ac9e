#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find captured trees and sosreports for an offline audit, unpacking tarballs safely.

Runs on the controller (playbooks/audit_offline.yml) and prints one JSON
document: ``{"trees": [{"name", "root", "source", "kind"}], "skipped": [...]}``.

A source is a captured tree (a directory holding host paths such as
``proc/``, ``etc/`` and/or ``sos_commands/``), an extracted sosreport, a
tarball of either (.tar, .tar.gz/.tgz, .tar.xz/.txz, .tar.bz2), or a directory
of any number of those. Tarballs come from hosts we are investigating, so
extraction trusts nothing in them: absolute names and ``..`` reject the whole
archive, device files and FIFOs are left out, nothing is written through a
link, hard links become copies, modes are reset (no setuid), and the total
size and member count are bounded.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import stat
import sys
import tarfile

TARBALL_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar")
# A directory is a captured tree when it holds any of these host-path tops.
TREE_MARKERS = ("proc", "etc", "sys", "sos_commands")
# Where a captured tree or sosreport records the host's name, best first.
HOSTNAME_FILES = ("hostname", "etc/hostname", "proc/sys/kernel/hostname",
                  "sos_commands/general/hostname", "sos_commands/host/hostname")
DEFAULT_MAX_BYTES = 2 * 1024 ** 3
DEFAULT_MAX_MEMBERS = 500000
HOSTNAME_MAX_BYTES = 4096


class UnsafeArchive(Exception):
    """The archive cannot be extracted without trusting it; the message says why."""


def tarball_stem(name):
    for suffix in TARBALL_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return None


def looks_like_tree(path):
    return os.path.isdir(path) and not os.path.islink(path) and any(
        os.path.isdir(os.path.join(path, marker)) and not os.path.islink(os.path.join(path, marker))
        for marker in TREE_MARKERS)


def _safe_parts(name):
    """Path components of a member name, or UnsafeArchive for absolute names and '..'."""
    if name.startswith("/") or name.startswith("\\") or re.match(r"^[A-Za-z]:", name):
        raise UnsafeArchive("member %r has an absolute path" % name)
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise UnsafeArchive("member %r climbs out of the archive with '..'" % name)
    if "\0" in name:
        raise UnsafeArchive("member name contains a NUL byte")
    return parts


def _parent_is_safe(dest, parts):
    """True when no directory on the way to the member is a link (no writing through links)."""
    current = dest
    for part in parts[:-1]:
        current = os.path.join(current, part)
        if os.path.islink(current) or (os.path.exists(current) and not os.path.isdir(current)):
            return False
    return True


def safe_extract(archive, dest, max_bytes=DEFAULT_MAX_BYTES, max_members=DEFAULT_MAX_MEMBERS):
    """Extract ``archive`` into the empty directory ``dest``; returns notes about left-out members."""
    notes = []
    total = 0
    count = 0
    try:
        tar = tarfile.open(archive, "r:*")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UnsafeArchive("not a readable tar archive: %s" % exc)
    with tar:
        # Check every name before writing anything, so a hostile archive leaves nothing behind.
        try:
            members = []
            for member in tar:
                count += 1
                if count > max_members:
                    raise UnsafeArchive("more than %d members" % max_members)
                parts = _safe_parts(member.name)
                if member.isfile() or member.islnk():
                    total += max(member.size, 0)
                    if total > max_bytes:
                        raise UnsafeArchive("unpacks to more than %d bytes" % max_bytes)
                members.append((member, parts))
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise UnsafeArchive("corrupt archive: %s" % exc)
        for member, parts in members:
            if not parts:
                continue
            target = os.path.join(dest, *parts)
            if not _parent_is_safe(dest, parts):
                notes.append("%s: left out (a parent directory is a link)" % member.name)
                continue
            if member.isdir():
                if os.path.islink(target):
                    notes.append("%s: left out (a link has that name)" % member.name)
                    continue
                os.makedirs(target, mode=0o755, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
            if os.path.lexists(target):
                # A later member with the same name replaces a file, never writes through a link.
                if os.path.isdir(target) and not os.path.islink(target):
                    notes.append("%s: left out (a directory has that name)" % member.name)
                    continue
                os.unlink(target)
            if member.issym():
                # Links are kept as links: the audit's data source refuses to follow
                # them out of the tree, and nothing here writes through them.
                os.symlink(member.linkname, target)
            elif member.isfile() or member.islnk():
                try:
                    source = tar.extractfile(member)
                except (tarfile.TarError, KeyError) as exc:
                    notes.append("%s: left out (%s)" % (member.name, exc))
                    continue
                if source is None:
                    notes.append("%s: left out (hard link to a missing member)" % member.name)
                    continue
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                fd = os.open(target, flags, 0o644)
                with os.fdopen(fd, "wb") as out, source:
                    shutil.copyfileobj(source, out, 1024 * 1024)
            else:
                kind = "device" if (member.ischr() or member.isblk()) else "FIFO" if member.isfifo() else "special file"
                notes.append("%s: left out (%s)" % (member.name, kind))
    return notes


def _read_small(path):
    """First line of a small regular file, not following links; None otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = os.read(fd, HOSTNAME_MAX_BYTES)
    finally:
        os.close(fd)
    text = data.decode("utf-8", "replace").strip().splitlines()
    return text[0].strip() if text else None


def tree_hostname(root, fallback):
    """The host name a captured tree records, made safe for an inventory name."""
    for rel in HOSTNAME_FILES:
        parts = rel.split("/")
        if not _parent_is_safe(root, parts):
            continue
        value = _read_small(os.path.join(root, *parts))
        if value:
            clean = re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-.")[:63]
            if clean and clean != "localhost":
                return clean
    return re.sub(r"[^A-Za-z0-9._-]+", "-", fallback).strip("-.")[:63] or "tree"


def _unique(name, taken, source_stem):
    if name not in taken:
        return name
    candidate = "%s-%s" % (name, re.sub(r"[^A-Za-z0-9._-]+", "-", source_stem).strip("-."))
    number = 2
    unique = candidate
    while unique in taken:
        unique = "%s-%d" % (candidate, number)
        number += 1
    return unique


def discover(source, work, max_bytes=DEFAULT_MAX_BYTES, max_members=DEFAULT_MAX_MEMBERS):
    """Trees to audit under ``source`` (extracting tarballs under ``work``) and what was skipped."""
    source = os.path.abspath(source)
    trees, skipped = [], []
    if not os.path.exists(source):
        return {"trees": [], "skipped": [{"source": source, "reason": "does not exist"}]}
    if os.path.isfile(source) or looks_like_tree(source):
        candidates = [source]
    elif os.path.isdir(source):
        candidates = [os.path.join(source, n) for n in sorted(os.listdir(source)) if not n.startswith(".")]
    else:
        return {"trees": [], "skipped": [{"source": source, "reason": "neither a directory nor a tarball"}]}
    taken = set()
    for path in candidates:
        base = os.path.basename(path)
        stem = tarball_stem(base)
        if os.path.islink(path):
            skipped.append({"source": path, "reason": "a link; give the real path"})
            continue
        if os.path.isdir(path):
            if not looks_like_tree(path):
                skipped.append({"source": path, "reason": "no captured tree here (none of %s)" % ", ".join(TREE_MARKERS)})
                continue
            kind = "sosreport" if os.path.isdir(os.path.join(path, "sos_commands")) and \
                os.path.isfile(os.path.join(path, "version.txt")) else "dir"
            root, fallback = path, base
        elif os.path.isfile(path) and stem is not None:
            dest = os.path.join(os.path.abspath(work), re.sub(r"[^A-Za-z0-9._-]+", "-", stem) or "tree")
            if os.path.lexists(dest):
                shutil.rmtree(dest) if os.path.isdir(dest) and not os.path.islink(dest) else os.unlink(dest)
            os.makedirs(dest, mode=0o755)
            try:
                notes = safe_extract(path, dest, max_bytes=max_bytes, max_members=max_members)
            except UnsafeArchive as exc:
                shutil.rmtree(dest, ignore_errors=True)
                skipped.append({"source": path, "reason": "not extracted: %s" % exc})
                continue
            entries = [e for e in os.listdir(dest)]
            root = dest
            if len(entries) == 1 and looks_like_tree(os.path.join(dest, entries[0])):
                root = os.path.join(dest, entries[0])  # sosreport-<host>-<date>/ inside the tarball
            if not looks_like_tree(root):
                skipped.append({"source": path, "reason": "the archive holds no captured tree"})
                continue
            kind = "tarball"
            fallback = stem
            if notes:
                skipped.extend({"source": path, "reason": note} for note in notes[:50])
        else:
            if os.path.isfile(path):
                skipped.append({"source": path, "reason": "not a tarball (%s)" % ", ".join(TARBALL_SUFFIXES)})
            continue
        name = _unique(tree_hostname(root, fallback), taken, fallback)
        taken.add(name)
        trees.append({"name": name, "root": root, "source": path, "kind": kind})
    return {"trees": trees, "skipped": skipped}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="a tree, sosreport, tarball, or a directory of them")
    parser.add_argument("--work", required=True, help="where tarballs are extracted")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    parser.add_argument("--max-members", type=int, default=DEFAULT_MAX_MEMBERS)
    args = parser.parse_args(argv)
    os.makedirs(args.work, mode=0o700, exist_ok=True)
    result = discover(args.source, args.work, args.max_bytes, args.max_members)
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
