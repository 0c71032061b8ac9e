# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find captured trees and sosreports for an offline audit, unpacking tarballs safely.

Runs on the controller (playbooks/audit_offline.yml) and prints one JSON
document: ``{"trees": [{"name", "root", "source", "kind", "sos_version"}],
"skipped": [...]}``.

A source is a captured tree (a directory holding host paths such as
``proc/``, ``etc/`` and/or ``sos_commands/``), an extracted sosreport, a
tarball of either (.tar, .tar.gz/.tgz, .tar.xz/.txz, .tar.bz2), or a directory
of any number of those. Real sosreports come as sos names them
(``sosreport-HOST[-LABEL][-CASE]-YYYY-MM-DD-xxxxxxx.tar.xz``, sos 3.x legacy
``sosreport-HOST[.CASE]-YYYYMMDDHHMMSS.tar.xz``), one top folder inside, with
a ``.md5`` (3.x) or ``.sha256`` (4.x) file beside them: those are ignored. A
directory that is not a tree but holds exactly one entry, a tree, is the
extracted top folder's parent and is audited as that tree.

The sos version comes from ``sos_reports/manifest.json``'s top-level
``"version"`` (sos 4.x: sos/component.py ``manifest.add_field('version',
__version__)``), else ``version.txt`` (``sosreport: 3.9`` / ``sos report:
4.5.0``). The manifest has no host name field (sos/component.py and
sos/report/__init__.py ``add_manifest_data`` at sos HEAD 5c7e63ee): the
host name is read from ``hostname`` (sos's root link to
sos_commands/host/hostname), ``etc/hostname`` and the other files below.

Tarballs come from hosts we are investigating, so extraction trusts nothing in
them. Python's ``tarfile`` data filter does what it covers (absolute names,
``..``, links out of the tree, device files and FIFOs, setuid bits, owners);
on top of it:

* every header is bounded before tarfile reads it (a pax header claiming a
  300 MB path is refused at its size field, not after it is in memory);
* names are bounded in length, per component and in depth;
* the byte budget counts what would land on disk, hard links at their
  target's size, and there is a member budget per archive and a byte budget
  for the whole run;
* an archive whose members contradict each other (a file, then a directory
  of the same name) is refused as a whole;
* absolute symbolic links are rewritten to relative ones inside the tree (the
  audit resolves them there anyway), except ``-> /dev/null``, which marks a
  masked unit.

Each tarball is extracted into its own new directory of this run's own new
directory under ``--work`` (names cannot collide), and the only thing ever
deleted is a previous run's directory, recognised by the marker file this
script writes into it. Whatever goes wrong with one source becomes a
``skipped`` entry with the reason; the other sources are still listed.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import stat
import sys
import tarfile
import tempfile

TARBALL_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar")
# A directory is a captured tree when it holds any of these host-path tops.
TREE_MARKERS = ("proc", "etc", "sys", "sos_commands")
# Where a captured tree or sosreport records the host's name, best first.
# ``hostname`` at the top is our capture's file and sos's root link to
# sos_commands/host/hostname (4.x; general/ in 3.x): links are followed only
# inside the tree.
HOSTNAME_FILES = ("hostname", "etc/hostname", "proc/sys/kernel/hostname",
                  "sos_commands/host/hostname", "sos_commands/general/hostname")
# Written beside a sosreport tarball by sos (3.x .md5, 4.x .sha256): not sources.
CHECKSUM_SUFFIXES = (".md5", ".sha256")
SOS_MANIFEST = "sos_reports/manifest.json"
SOS_VERSION_TXT = "version.txt"
MANIFEST_MAX_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_BYTES = 2 * 1024 ** 3
DEFAULT_MAX_TOTAL_BYTES = 8 * 1024 ** 3
# Every member's header is kept in memory until the archive is extracted; a
# large sosreport has some 50 000.
DEFAULT_MAX_MEMBERS = 200000
HOSTNAME_MAX_BYTES = 4096
# Linux PATH_MAX and NAME_MAX; no host can have produced a longer name.
MAX_NAME_BYTES = 4095
MAX_COMPONENT_BYTES = 255
MAX_DEPTH = 128
# A pax or GNU long-name header holds a path and a few attributes: a few KiB.
MAX_HEADER_BYTES = 1024 * 1024
# Names an inventory host must not take: Ansible's own groups, the controller.
RESERVED_NAMES = ("all", "ungrouped", "localhost")
# Written into each run directory: the only directories this script deletes.
RUN_MARKER = ".nfdoctor-offline-run"
RUN_PREFIX = "run-"
NOTE_EXAMPLES = 5
SHOW_CHARS = 120


class UnsafeArchive(Exception):
    """The archive cannot be extracted without trusting it; the message says why."""


# Python's tarfile data filter (PEP 706) is in 3.8.17, 3.9.17, 3.10.12, 3.11.4
# and later. Debian 12's python3 (3.11.2-6+deb12u6) has not got it, and it is
# the Python of many controllers: there the same rules run from the port below
# (chosen at each extraction, so the tests can run both on one interpreter).
class _PortFilterError(tarfile.TarError):
    """A member the port of the data filter refuses."""


_PORT_ERRORS = {name: type(name, (_PortFilterError,), {"__doc__": "The port's " + name})
                for name in ("SpecialFileError", "AbsolutePathError", "OutsideDestinationError",
                             "LinkOutsideDestinationError", "AbsoluteLinkError")}
_PORT_ERRORS["FilterError"] = _PortFilterError


def _filter_errors(*names):
    """tarfile's exception classes of these names, where it has them, and the port's."""
    found = []
    for name in names:
        for cls in (getattr(tarfile, name, None), _PORT_ERRORS[name]):
            if cls is not None and cls not in found:
                found.append(cls)
    return tuple(found)


def _replace(member, **attrs):
    """TarInfo.replace(deep=False) where tarfile has it, a shallow copy where it does not."""
    if hasattr(member, "replace"):
        return member.replace(deep=False, **attrs)
    copied = copy.copy(member)
    for key, value in attrs.items():
        setattr(copied, key, value)
    return copied


def _port_data_filter(member, dest_path):
    """tarfile.data_filter of CPython 3.12 (Lib/tarfile.py, _get_filtered_attrs with for_data=True).

    The same refusals and the same normalised modes; where 3.12 sets an owner or a
    mode to None ("leave it as extraction makes it"), this gives the values that
    older tarfile's extract() then applies: the extracting user and 0o755 for
    directories.
    """
    attrs = {}
    name = member.name
    dest_path = os.path.realpath(dest_path)
    if name.startswith(("/", os.sep)):
        name = attrs["name"] = member.path.lstrip("/" + os.sep)
    if os.path.isabs(name):
        raise _PORT_ERRORS["AbsolutePathError"]("member %r has an absolute path" % name)
    target_path = os.path.realpath(os.path.join(dest_path, name))
    if os.path.commonpath([target_path, dest_path]) != dest_path:
        raise _PORT_ERRORS["OutsideDestinationError"](
            "%r would be extracted to %r, which is outside the destination" % (name, target_path))
    mode = member.mode
    if mode is not None:
        mode = mode & 0o755  # no setuid/setgid/sticky, no group/other write
        if member.isreg() or member.islnk():
            if not mode & 0o100:
                mode &= ~0o111
            mode |= 0o600
        elif member.isdir():
            mode = 0o755
        elif member.issym():
            mode = member.mode  # extract() does not chmod a link
        else:
            raise _PORT_ERRORS["SpecialFileError"]("%r is a special file" % name)
        if mode != member.mode:
            attrs["mode"] = mode
    attrs.update(uid=os.getuid(), gid=os.getgid(), uname="", gname="")
    if member.islnk() or member.issym():
        if os.path.isabs(member.linkname):
            raise _PORT_ERRORS["AbsoluteLinkError"]("%r is a link to an absolute path" % name)
        if member.issym():
            link_target = os.path.join(dest_path, os.path.dirname(name), member.linkname)
        else:
            link_target = os.path.join(dest_path, member.linkname)
        if os.path.commonpath([os.path.realpath(link_target), dest_path]) != dest_path:
            raise _PORT_ERRORS["LinkOutsideDestinationError"](
                "%r would link to %r, which is outside the destination" % (name, link_target))
    return _replace(member, **attrs)


def data_filter(member, dest_path):
    """tarfile.data_filter where this Python has it, else its port."""
    return getattr(tarfile, "data_filter", _port_data_filter)(member, dest_path)


def _show(text, limit=SHOW_CHARS):
    """A name or message cut to a readable length, safe to print as UTF-8."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text if len(text) <= limit else "%s... (%d characters)" % (text[:limit], len(text))


def _name_bytes(name):
    return name.encode("utf-8", "surrogateescape")


class BoundedTarInfo(tarfile.TarInfo):
    """TarInfo that refuses oversized extension headers before reading them.

    tarfile reads a pax or GNU long-name header's whole payload into memory
    (and global pax headers stay there); the size field is all we need to say no.
    """

    EXTENSION_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE,
                       tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)

    def _proc_member(self, tarfile_obj):  # base name would shadow tarfile  # pylint: disable=arguments-renamed
        if self.type in self.EXTENSION_TYPES:
            if self.size > MAX_HEADER_BYTES:
                raise UnsafeArchive("a %s header of %d bytes (more than %d): a name no host has"
                                    % ("pax" if self.type in (tarfile.XHDTYPE, tarfile.XGLTYPE,
                                                              tarfile.SOLARIS_XHDTYPE) else "GNU long-name",
                                       self.size, MAX_HEADER_BYTES))
            count = getattr(tarfile_obj, "_nfdoctor_headers", 0) + 1
            tarfile_obj._nfdoctor_headers = count
            if count > getattr(tarfile_obj, "_nfdoctor_max_headers", DEFAULT_MAX_MEMBERS):
                raise UnsafeArchive("more than %d extension headers" % count)
        return super()._proc_member(tarfile_obj)


def tarball_stem(name):
    for suffix in TARBALL_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return None


def looks_like_tree(path):
    return os.path.isdir(path) and not os.path.islink(path) and any(
        os.path.isdir(os.path.join(path, marker)) and not os.path.islink(os.path.join(path, marker))
        for marker in TREE_MARKERS)


def _parts(name):
    return [p for p in name.split("/") if p not in ("", ".")]


def _check_name(kind, name):
    """UnsafeArchive when a member or link name is longer or deeper than any host path."""
    raw = _name_bytes(name)
    if b"\0" in raw:
        raise UnsafeArchive("%s %r contains a NUL byte" % (kind, _show(name)))
    parts = _parts(name)
    if len(parts) > MAX_DEPTH:
        raise UnsafeArchive("%s %s is %d directories deep (more than %d)" % (kind, _show(name), len(parts), MAX_DEPTH))
    for part in parts:
        if len(_name_bytes(part)) > MAX_COMPONENT_BYTES:
            raise UnsafeArchive("%s %s has a component of %d bytes (more than %d)"
                                % (kind, _show(name), len(_name_bytes(part)), MAX_COMPONENT_BYTES))
    if len(raw) > MAX_NAME_BYTES:
        raise UnsafeArchive("%s %s is %d bytes long (more than %d)" % (kind, _show(name), len(raw), MAX_NAME_BYTES))
    return parts


def _read_headers(tar, max_bytes, max_members):
    """Every member after the checks that need the whole list; raises UnsafeArchive.

    Sizes are what extraction writes: a regular file its size (for a sparse
    file tarfile reports the expanded size), a hard link its target's size.
    """
    members = []
    sizes = {}
    kinds = {}
    total = 0
    while True:
        member = tar.next()
        if member is None:
            break
        if len(members) >= max_members:
            raise UnsafeArchive("more than %d members" % max_members)
        parts = _check_name("member", member.name)
        key = "/".join(parts)
        if member.islnk() or member.issym():
            _check_name("link target of %s:" % _show(member.name), member.linkname)
        if member.isreg():
            size = max(member.size, 0)
        elif member.islnk():
            size = sizes.get("/".join(_parts(member.linkname)), 0)
        else:
            size = 0
        if member.isreg() or member.islnk():
            sizes[key] = size
        total += size
        if total > max_bytes:
            raise UnsafeArchive("unpacks to more than %d bytes (%s%s)" % (
                max_bytes, "hard links counted at their target's size; " if member.islnk() else "",
                "stopped at %s" % _show(member.name)))
        # Each ancestor must be able to be a directory: a file "a" then "a/b" cannot both exist.
        for depth in range(1, len(parts)):
            ancestor = "/".join(parts[:depth])
            if kinds.get(ancestor, "dir") != "dir":
                raise UnsafeArchive("member %s needs %s as a directory, but the archive has it as a file or link"
                                    % (_show(member.name), _show(ancestor)))
            kinds[ancestor] = "dir"
        if parts:
            previous = kinds.get(key)
            current = "dir" if member.isdir() else "other"
            if previous == "dir" and current != "dir":
                raise UnsafeArchive("member %s is a directory earlier in the archive and a file or link later"
                                    % _show(member.name))
            kinds[key] = current
        members.append(member)
    return members, total


def _tree_prefix(members):
    """The directory inside the archive that is the host's root ('' for the top)."""
    tops = set()
    has_marker = False
    for member in members:
        parts = _parts(member.name)
        if not parts:
            continue
        tops.add(parts[0])
        if len(parts) >= 2 and parts[1] in TREE_MARKERS:
            has_marker = True
    if len(tops) == 1 and has_marker and list(tops)[0] not in TREE_MARKERS:
        return list(tops)[0]
    return ""


class _Filter:
    """tarfile's data filter, plus the notes and link rewriting of this script."""

    def __init__(self, dest, prefix):
        self.dest = os.path.realpath(dest)
        self.prefix = prefix
        self.left_out = {}
        self.accepted = set()

    def _leave_out(self, member, reason):
        self.left_out.setdefault(reason, []).append(member.name)
        return None

    def __call__(self, member, dest):
        parts = _parts(member.name)
        if not parts:
            return None
        target = os.path.join(self.dest, *parts)
        if not member.isdir() and os.path.islink(target):
            # A later member of the same name replaces the link, never writes through it.
            os.unlink(target)
        replaced = member
        if member.issym() and member.linkname.startswith("/"):
            if member.linkname == "/dev/null":
                # How a masked unit looks; the audit reads its name, never its content.
                checked = data_filter(_replace(member, linkname=parts[-1]), dest)
                return _replace(checked, linkname="/dev/null")
            # The audit reads an absolute link inside the tree; say so on disk for every other reader.
            inside = os.path.normpath("/" + member.linkname).lstrip("/")
            relative = os.path.relpath(os.path.join(self.prefix, inside) if self.prefix else (inside or "."),
                                       os.path.dirname("/".join(parts)) or ".")
            replaced = _replace(member, linkname=relative)
        if member.islnk() and "/".join(_parts(member.linkname)) not in self.accepted:
            return self._leave_out(member, "hard link to a member that was left out")
        try:
            filtered = data_filter(replaced, dest)
        except _filter_errors("SpecialFileError"):
            kind = "device" if (member.ischr() or member.isblk()) else "FIFO" if member.isfifo() else "special file"
            return self._leave_out(member, kind)
        except _filter_errors("LinkOutsideDestinationError"):
            return self._leave_out(member, "a link out of the tree")
        except _filter_errors("AbsolutePathError", "OutsideDestinationError") as exc:
            raise UnsafeArchive("member %s leaves the extraction directory (%s)"
                                % (_show(member.name), type(exc).__name__))
        except _filter_errors("FilterError") as exc:
            raise UnsafeArchive("member %s refused: %s" % (_show(member.name), _show(str(exc))))
        self.accepted.add("/".join(parts))
        return filtered

    def notes(self):
        out = []
        for reason in sorted(self.left_out):
            names = self.left_out[reason]
            shown = ", ".join(_show(n, 80) for n in names[:NOTE_EXAMPLES])
            more = " and %d more" % (len(names) - NOTE_EXAMPLES) if len(names) > NOTE_EXAMPLES else ""
            out.append("left out (%s): %s%s" % (reason, shown, more))
        return out


def _reject_escaping_names(members):
    """UnsafeArchive for absolute names and '..' before anything is written."""
    for member in members:
        name = member.name
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
            raise UnsafeArchive("member %s has an absolute path" % _show(name))
        if ".." in name.replace("\\", "/").split("/"):
            raise UnsafeArchive("member %s climbs out of the archive with '..'" % _show(name))


def safe_extract(archive, dest, max_bytes=DEFAULT_MAX_BYTES, max_members=DEFAULT_MAX_MEMBERS):
    """Extract ``archive`` into the empty directory ``dest``.

    Returns (notes about left-out members, bytes written); raises UnsafeArchive
    with the reason for anything else, leaving ``dest`` for the caller to remove.
    """
    try:
        tar = tarfile.open(archive, "r:*", tarinfo=BoundedTarInfo, errorlevel=2)
    except UnsafeArchive:
        raise
    except Exception as exc:  # tarfile, gzip, bz2 and lzma all raise their own errors
        first = (str(exc) or type(exc).__name__).splitlines()[0].rstrip(":")
        raise UnsafeArchive("not a readable tar archive (tar, gzip, bzip2 or xz): %s" % _show(first))
    with tar:
        tar._nfdoctor_max_headers = max_members
        try:
            members, total = _read_headers(tar, max_bytes, max_members)
        except UnsafeArchive:
            raise
        except Exception as exc:
            raise UnsafeArchive("corrupt archive: %s: %s" % (type(exc).__name__, _show(str(exc))))
        _reject_escaping_names(members)
        member_filter = _Filter(dest, _tree_prefix(members))
        try:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(dest, members=members, filter=member_filter)
            else:
                # What extractall(filter=) does: each member is filtered against what is on disk by then.
                for member in members:
                    filtered = member_filter(member, dest)
                    if filtered is not None:
                        tar.extract(filtered, dest, set_attrs=not filtered.issym())
        except UnsafeArchive:
            raise
        except Exception as exc:
            raise UnsafeArchive("extraction failed: %s: %s" % (type(exc).__name__, _show(str(exc))))
    return member_filter.notes(), total


def _in_tree(root, parts):
    """The real path of ``root/parts`` when it stays inside ``root`` (links resolved), else None."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(root, *parts))
    return real if _inside(real, real_root) and real != real_root else None


def _read_in_tree(root, rel, limit=HOSTNAME_MAX_BYTES):
    """Content of a small regular file of the tree (links followed only inside it), or None."""
    real = _in_tree(root, rel.split("/"))
    if real is None:
        return None
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks, left = [], limit + 1
        while left > 0:
            data = os.read(fd, min(left, 1024 * 1024))
            if not data:
                break
            chunks.append(data)
            left -= len(data)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    return None if len(data) > limit else data.decode("utf-8", "replace")


def sos_version(root):
    """The sos version that wrote the tree (manifest.json, else version.txt), or None."""
    text = _read_in_tree(root, SOS_MANIFEST, MANIFEST_MAX_BYTES)
    if text:
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        version = data.get("version") if isinstance(data, dict) else None
        if isinstance(version, str) and re.match(r"^[0-9][0-9A-Za-z.+-]{0,31}$", version):
            return version
    for line in (_read_in_tree(root, SOS_VERSION_TXT) or "").splitlines():
        match = re.match(r"^sos(?:report| report):\s*([0-9][0-9A-Za-z.+-]{0,31})\s*$", line.strip())
        if match:
            return match.group(1)
    return None


def _inventory_name(value):
    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if isinstance(value, str) else value
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:63]


def tree_hostname(root, fallback):
    """The host name a captured tree records, made safe for an inventory name."""
    for rel in HOSTNAME_FILES:
        text = _read_in_tree(root, rel)
        lines = (text or "").strip().splitlines()
        value = lines[0].strip() if lines else None
        if value:
            clean = _inventory_name(value)
            if clean and clean != "localhost":
                return clean
    return _inventory_name(fallback) or "tree"


def _unique(name, taken, source_stem):
    """``name``, or a variant no other tree and no reserved name has (compared case-insensitively)."""
    if name.lower() not in taken:
        return name
    stem = _inventory_name(source_stem)
    candidate = "%s-%s" % (name, stem) if stem and stem != name else "%s-tree" % name
    number = 2
    unique = candidate
    while unique.lower() in taken:
        unique = "%s-%d" % (candidate, number)
        number += 1
    return unique


def _inside(path, directory):
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _is_run_dir(path):
    return (os.path.isdir(path) and not os.path.islink(path)
            and os.path.isfile(os.path.join(path, RUN_MARKER))
            and not os.path.islink(os.path.join(path, RUN_MARKER)))


def remove_previous_runs(work, keep):
    """Delete the run directories an earlier run created in ``work``, and nothing else.

    A directory counts only with this script's marker in it, and never when
    ``keep`` (the source being audited) is inside it.
    """
    removed = []
    try:
        names = os.listdir(work)
    except OSError:
        return removed
    for name in names:
        path = os.path.join(work, name)
        if name.startswith(RUN_PREFIX) and _is_run_dir(path) and not _inside(keep, path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _candidate_error(path):
    if os.path.islink(path):
        return "a link; give the real path"
    try:
        os.fsencode(path).decode("utf-8")
    except UnicodeDecodeError:
        return "its name is not valid UTF-8; rename it"
    return None


class _Run:
    """This run's own directory under the work directory, created on first use."""

    def __init__(self, work):
        self.work = work
        self.path = None

    def new_dir(self, stem):
        if self.path is None:
            os.makedirs(self.work, mode=0o700, exist_ok=True)
            self.path = tempfile.mkdtemp(prefix=RUN_PREFIX, dir=self.work)
            with open(os.path.join(self.path, RUN_MARKER), "w") as marker:
                marker.write("Unpacked by nfdoctor's offline audit; the next run deletes this directory.\n")
        prefix = (_inventory_name(stem) or "tree") + "-"
        return tempfile.mkdtemp(prefix=prefix, dir=self.path)


def _audit_tarball(path, stem, run, budget):
    """(tree entry fields, skipped entries) for one tarball; never raises."""
    dest = None
    try:
        dest = run.new_dir(stem)
        notes, written = safe_extract(path, dest, max_bytes=min(budget["per_archive"], budget["left"]),
                                      max_members=budget["members"])
    except UnsafeArchive as exc:
        if dest:
            shutil.rmtree(dest, ignore_errors=True)
        reason = str(exc)
        if budget["left"] < budget["per_archive"] and "more than" in reason and "bytes" in reason:
            reason += " (what is left of the run's budget of %d bytes)" % budget["total"]
        return None, [{"source": path, "reason": "not extracted: %s" % reason}]
    except Exception as exc:  # a bug or the disk: this source is lost, not the run
        if dest:
            shutil.rmtree(dest, ignore_errors=True)
        return None, [{"source": path, "reason": "not extracted: %s: %s" % (type(exc).__name__, _show(str(exc)))}]
    budget["left"] -= written
    skipped = [{"source": path, "reason": note} for note in notes]
    entries = os.listdir(dest)
    root = dest
    if len(entries) == 1 and looks_like_tree(os.path.join(dest, entries[0])):
        root = os.path.join(dest, entries[0])  # sosreport-<host>-<date>/ inside the tarball
    if not looks_like_tree(root):
        shutil.rmtree(dest, ignore_errors=True)
        return None, skipped + [{"source": path, "reason": "the archive holds no captured tree"}]
    return {"root": root, "kind": "tarball", "fallback": stem}, skipped


def _is_sosreport(root):
    return os.path.isdir(os.path.join(root, "sos_commands")) and (
        os.path.isfile(os.path.join(root, SOS_VERSION_TXT)) or os.path.isfile(os.path.join(root, SOS_MANIFEST)))


def _single_tree_inside(path):
    """The one tree a directory holds and nothing else (a sosreport extracted with its top folder), or None."""
    try:
        names = [n for n in os.listdir(path) if not n.startswith(".")]
    except OSError:
        return None
    if len(names) == 1 and looks_like_tree(os.path.join(path, names[0])):
        return os.path.join(path, names[0])
    return None


def discover(source, work, max_bytes=DEFAULT_MAX_BYTES, max_members=DEFAULT_MAX_MEMBERS,
             max_total_bytes=DEFAULT_MAX_TOTAL_BYTES, reserved=()):
    """Trees to audit under ``source`` (extracting tarballs under ``work``) and what was skipped."""
    source = os.path.abspath(source)
    work = os.path.abspath(work)
    if not os.path.exists(source):
        return {"trees": [], "skipped": [{"source": _show(source, 4096), "reason": "does not exist"}]}
    remove_previous_runs(work, source)
    if os.path.isfile(source) or looks_like_tree(source):
        candidates = [source]
    elif os.path.isdir(source):
        try:
            names = os.listdir(source)
        except OSError as exc:
            return {"trees": [], "skipped": [{"source": _show(source, 4096), "reason": "cannot list: %s" % exc.strerror}]}
        candidates = [os.path.join(source, n) for n in sorted(names) if not n.startswith(".")]
    else:
        return {"trees": [], "skipped": [{"source": _show(source, 4096), "reason": "neither a directory nor a tarball"}]}
    run = _Run(work)
    budget = {"per_archive": max_bytes, "total": max_total_bytes, "left": max_total_bytes, "members": max_members}
    taken = set(n.lower() for n in RESERVED_NAMES + tuple(reserved) if n)
    trees, skipped = [], []
    for path in candidates:
        shown = _show(path, 4096)
        if path == work or _is_run_dir(path):
            skipped.append({"source": shown, "reason": "where the offline audit unpacks tarballs; not audited"})
            continue
        problem = _candidate_error(path)
        if problem:
            skipped.append({"source": shown, "reason": problem})
            continue
        base = os.path.basename(path)
        stem = tarball_stem(base)
        if os.path.isfile(path) and base.lower().endswith(CHECKSUM_SUFFIXES) and path not in (source,):
            continue  # sos's checksum beside its tarball
        if os.path.isdir(path):
            root = path if looks_like_tree(path) else _single_tree_inside(path)
            if root is None:
                skipped.append({"source": shown, "reason": "no captured tree here (none of %s)" % ", ".join(TREE_MARKERS)})
                continue
            kind = "sosreport" if _is_sosreport(root) else "dir"
            found = {"root": root, "kind": kind, "fallback": base}
        elif os.path.isfile(path) and stem is not None:
            found, notes = _audit_tarball(path, stem, run, budget)
            skipped.extend(notes)
            if found is None:
                continue
        else:
            if os.path.isfile(path):
                skipped.append({"source": shown, "reason": "not a tarball (%s)" % ", ".join(TARBALL_SUFFIXES)})
            continue
        name = _unique(tree_hostname(found["root"], found["fallback"]), taken, found["fallback"])
        taken.add(name.lower())
        version = sos_version(found["root"])
        kind = "sosreport" if found["kind"] == "dir" and version else found["kind"]
        trees.append({"name": name, "root": found["root"], "source": path, "kind": kind, "sos_version": version})
    return {"trees": trees, "skipped": skipped}


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a whole number" % text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0, not %d" % value)
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="a tree, sosreport, tarball, or a directory of them")
    parser.add_argument("--work", required=True, help="where tarballs are extracted")
    parser.add_argument("--max-bytes", type=_positive_int, default=DEFAULT_MAX_BYTES,
                        help="refuse an archive that unpacks to more than this")
    parser.add_argument("--max-total-bytes", type=_positive_int, default=DEFAULT_MAX_TOTAL_BYTES,
                        help="stop unpacking once the run's archives add up to this")
    parser.add_argument("--max-members", type=_positive_int, default=DEFAULT_MAX_MEMBERS)
    parser.add_argument("--reserved", action="append", default=[],
                        help="a name no tree host may take (the inventory group); repeatable")
    args = parser.parse_args(argv)
    if os.path.lexists(args.work) and not os.path.isdir(args.work):
        parser.error("--work %s exists and is not a directory" % _show(args.work, 4096))
    try:
        result = discover(args.source, args.work, args.max_bytes, args.max_members, args.max_total_bytes,
                          reserved=args.reserved)
    except Exception as exc:  # the playbook then says why nothing is audited, instead of a traceback
        result = {"trees": [], "skipped": [{"source": _show(args.source, 4096), "reason": "internal error %s: %s" % (
            type(exc).__name__, _show(str(exc)))}]}
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
