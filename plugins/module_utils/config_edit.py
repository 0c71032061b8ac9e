# -*- coding: utf-8 -*-
# Copyright: nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan-then-apply editing of small text configuration files.

A module builds an :class:`EditPlan` (what each file will contain afterwards),
returns ``plan.diffs()`` as Ansible's standard diff, and only outside check
mode calls :func:`apply_plan`, which writes every file once: a temporary file
in the same directory, then ``module.atomic_move`` over the target, with a
``module.backup_local`` copy of every file that existed before.

The rule that matters most: a user's file is never lost or half-written.
Anything that is not plain UTF-8 text of a sane size, or is not a regular
file, makes :func:`read_text_file` raise :class:`ConfigEditError` with a
message that names the file and says it was left as it was.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type  # noqa: UP001 - Python 2.7 still runs this file

import errno
import os
import stat
import tempfile
import time

# Configuration files this collection edits are a few KiB; anything larger is
# not what we think it is.
MAX_CONFIG_BYTES = 1024 * 1024
# Hidden name: kmod, systemd and cron all skip names starting with a dot, so
# a reader never sees a half-written temporary file.
TEMP_PREFIX = ".nfdoctor-"
# Python 2 raises IOError from open()/read(), which is not an OSError there.
FILE_ERRORS = (IOError, OSError)


class ConfigEditError(Exception):
    """A file cannot be edited safely; the message names it."""


def host_path(root, path):
    """``path`` (absolute, as on the host) under ``root``."""
    if not root or root == "/":
        return path
    return os.path.join(root, path.lstrip("/"))


def read_regular_bytes(path, limit):
    """At most ``limit`` bytes of regular file ``path``.

    Opened without blocking and checked again on the open descriptor, so a
    FIFO or device put in the file's place after a stat is refused, never
    read (a FIFO would hang, /dev/zero would never end).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    handle = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (device, socket or pipe)")
        chunks = []
        remaining = limit
        while remaining > 0:
            chunk = os.read(handle, min(remaining, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(handle)


def read_text_file(path, max_bytes=MAX_CONFIG_BYTES):
    """Return the text of ``path``, or None when it does not exist.

    Raises ConfigEditError for anything that is not a readable regular file
    holding UTF-8 text without NUL bytes, at most ``max_bytes`` long.  A
    symlink is followed; a dangling one counts as absent.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == 2:  # ENOENT, also for a dangling symlink
            return None
        raise ConfigEditError("%s: cannot be examined (%s); left as it was" % (path, exc.strerror))
    if stat.S_ISDIR(info.st_mode):
        raise ConfigEditError("%s is a directory, not a file; left as it was" % path)
    if not stat.S_ISREG(info.st_mode):
        raise ConfigEditError("%s is not a regular file (device, socket or pipe); left as it was" % path)
    if info.st_size > max_bytes:
        raise ConfigEditError("%s is %d bytes, more than the %d a configuration file of this kind can be; "
                              "left as it was" % (path, info.st_size, max_bytes))
    try:
        data = read_regular_bytes(path, max_bytes + 1)
    except FILE_ERRORS as exc:
        raise ConfigEditError("%s cannot be read (%s); left as it was" % (path, exc.strerror))
    if len(data) > max_bytes:
        raise ConfigEditError("%s grew past %d bytes while being read; left as it was" % (path, max_bytes))
    if b"\x00" in data:
        raise ConfigEditError("%s contains NUL bytes: it is binary or corrupt, not a text configuration file; "
                              "left as it was" % path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigEditError("%s is not UTF-8 text (byte %d cannot be decoded); left as it was"
                              % (path, exc.start))


def comment_out_lines(text, line_ranges, marker):
    """Prefix every physical line in ``line_ranges`` with ``marker``.

    ``line_ranges`` holds 1-based inclusive ``(first, last)`` pairs (a
    directive continued with backslashes spans several lines).  Line ends and
    every other byte stay as they were.  Lines already starting with the
    marker are left alone, so applying the same edit twice changes nothing.
    """
    wanted = set()
    for first, last in line_ranges:
        for number in range(int(first), int(last) + 1):
            wanted.add(number)
    # Split on "\n" only, as kmod, cron and systemd do; str.splitlines() would
    # also split on form feeds and other characters and shift line numbers.
    lines = text.split(u"\n")
    prefix = marker if marker.endswith(" ") else marker + " "
    last = len(lines) - 1
    for index, line in enumerate(lines):
        if index == last and line == u"":
            break  # the empty piece after the final newline is not a line
        if index + 1 in wanted and not line.startswith(marker):
            lines[index] = prefix + line
    return u"\n".join(lines)


class EditPlan:
    """The files a module will write, computed before anything is written."""

    def __init__(self):
        self.edits = []

    def add(self, path, before, after, mode=None, before_header=None, after_header=None, reason=None,
            diff_before=None, source=None):
        """Plan ``path`` to hold ``after``; ``before`` is None for a new file.

        ``mode`` is used for new files only (existing files keep theirs).
        ``diff_before`` replaces ``before`` in the diff only: a new file that
        overrides a vendor file reads best as a diff against that file.
        ``source`` is where ``before`` was read, when not ``path`` itself (a
        link's target inside a scratch tree); it is read again before writing.
        Planning the same content as is there is a no-op.
        """
        if before is not None and before == after:
            return False
        for edit in self.edits:
            if edit["path"] == path:
                raise ConfigEditError("%s was planned twice; this is a bug in the calling module" % path)
        self.edits.append({
            "path": path,
            "source": source or path,
            "before": before,
            "after": after,
            "mode": mode,
            "before_header": before_header or path,
            "after_header": after_header or path,
            "reason": reason,
            "diff_before": diff_before,
        })
        return True

    @property
    def changed(self):
        return bool(self.edits)

    @property
    def paths(self):
        return [edit["path"] for edit in self.edits]

    def diffs(self):
        """Ansible's standard diff, one dict per file."""
        return [{
            "before": edit["diff_before"] if edit["diff_before"] is not None else (edit["before"] or u""),
            "after": edit["after"],
            "before_header": edit["before_header"],
            "after_header": edit["after_header"],
        } for edit in self.edits]


def describe_os_error(exc):
    """A short reason for ``exc`` that says what to do about the common cases."""
    number = getattr(exc, "errno", None)
    reason = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
    if number == errno.ENOSPC:
        return reason + ": free some space and run again"
    if number == errno.EDQUOT:
        return reason + ": the disk quota is used up"
    if number == errno.EROFS:
        return reason + ": the file system is mounted read-only"
    if number in (errno.EPERM, errno.EACCES):
        return reason + " (an immutable or append-only attribute, see lsattr, or missing privileges)"
    return reason


def write_complete(fd, data):
    """Write all of ``data`` to ``fd`` or raise; a short count is never taken for success."""
    written = 0
    while written < len(data):
        count = os.write(fd, data[written:])
        if not count or count < 0:
            raise OSError(errno.EIO, "write stored nothing after %d of %d bytes" % (written, len(data)))
        written += count
    return written


def write_temp(directory, data, mode):
    """A hidden temporary file in ``directory`` holding exactly ``data`` (bytes), synced to disk.

    The size is checked against the open file after fsync; on any error the
    temporary file is removed and the OSError raised.
    """
    handle, temp_path = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=directory)
    try:
        try:
            write_complete(handle, data)
            os.fsync(handle)
            size = os.fstat(handle).st_size
            if size != len(data):
                raise OSError(errno.EIO, "only %d of %d bytes reached the disk" % (size, len(data)))
            os.fchmod(handle, mode)
        finally:
            os.close(handle)
    except BaseException:
        _remove_quietly(temp_path)
        raise
    return temp_path


def _remove_quietly(path):
    try:
        os.unlink(path)
    except FILE_ERRORS:
        pass


def _sync_directory(directory):
    """Make a rename durable; a file system that cannot sync directories is not an error."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except FILE_ERRORS:
        return
    try:
        os.fsync(handle)
    except FILE_ERRORS:
        pass
    finally:
        os.close(handle)


def _owner_of(info):
    return (info.st_uid, info.st_gid) if info is not None else None


def replace_file(module, path, data, mode, owner=None):
    """Put ``data`` at ``path`` through a synced temporary file and one rename.

    ``path`` is replaced itself (a link there becomes a regular file; its
    target is not touched).  ``owner`` is a (uid, gid) pair to keep.  Raises
    OSError; the target is then as it was.
    """
    directory = os.path.dirname(path)
    context = None
    selinux = getattr(module, "selinux_enabled", None)
    if selinux is not None and selinux():
        exists = os.path.lexists(path)
        context = module.selinux_context(path) if exists else module.selinux_default_context(path)
    temp_path = write_temp(directory, data, mode)
    try:
        if owner is not None:
            try:
                os.chown(temp_path, owner[0], owner[1])
            except OSError as exc:
                if exc.errno != errno.EPERM:
                    raise
        os.rename(temp_path, path)
    except BaseException:
        _remove_quietly(temp_path)
        raise
    _sync_directory(directory)
    if context is not None:
        module.set_context_if_different(path, context, False)


def backup_name(path):
    """``FILE.PID.DATE~``, the name ansible's backup_local gives (kmod, cron and systemd skip it)."""
    return "%s.%s.%s" % (path, os.getpid(), time.strftime("%Y-%m-%d@%H:%M:%S~", time.localtime()))


def write_backup(path, data, info):
    """Keep ``data`` (the file's current bytes) beside ``path`` with its mode, owner and times.

    Written like any other file (complete or not at all) and from the bytes
    already read, so a link in the tree is never followed on this host.
    """
    backup = backup_name(path)
    temp_path = write_temp(os.path.dirname(path), data, stat.S_IMODE(info.st_mode))
    try:
        try:
            os.chown(temp_path, info.st_uid, info.st_gid)
        except OSError as exc:
            if exc.errno != errno.EPERM:
                raise
        os.utime(temp_path, (info.st_atime, info.st_mtime))
        os.rename(temp_path, backup)
    except BaseException:
        _remove_quietly(temp_path)
        raise
    return backup


def _preflight(edit):
    """Check one planned file again just before writing; return the source's stat or None."""
    path = edit["path"]
    source = edit["source"]
    current = read_text_file(source)
    if current != edit["before"]:
        raise ConfigEditError("%s changed while the plan was being made; not written" % source)
    try:
        target = os.lstat(path)
    except OSError:
        target = None
    if target is not None and not (stat.S_ISREG(target.st_mode) or stat.S_ISLNK(target.st_mode)):
        raise ConfigEditError("%s is not a regular file; not written" % path)
    directory = os.path.dirname(path)
    if os.path.lexists(directory) and not os.path.isdir(directory):
        raise ConfigEditError("%s is not a directory; %s cannot be written" % (directory, path))
    return os.stat(source) if current is not None else None


def apply_plan(module, plan, backup=True):
    """Write every planned file; return ``(files_changed, backups)``.

    ``backups`` maps a changed path to its backup copy.  Every file is
    checked first (unchanged since it was read, a regular file, its directory
    a directory), so most refusals come before anything is written.  Each
    write is complete or not done at all.  When a later file still fails,
    the module fails with ``changed=true``, the files already written and
    their backups, and a message naming the file that failed.
    """
    files_changed = []
    backups = {}

    def fail(path, reason):
        msg = reason if reason.startswith(path) else "%s: %s" % (path, reason)
        if files_changed:
            msg += ("; %s was left as it was, but %d file(s) had already been changed: %s"
                    % (path, len(files_changed), ", ".join(
                        "%s (backup %s)" % (p, backups[p]) if p in backups else "%s (new file)" % p
                        for p in files_changed)))
        else:
            msg += "; nothing was changed" if "left as it was" in msg else "; left as it was, nothing was changed"
        module.fail_json(msg=msg, changed=bool(files_changed), failed_file=path,
                         files_changed=files_changed, backups=backups)

    infos = {}
    for edit in plan.edits:
        try:
            infos[edit["path"]] = _preflight(edit)
        except ConfigEditError as exc:
            fail(edit["path"], str(exc))
        except FILE_ERRORS as exc:
            fail(edit["path"], describe_os_error(exc))
    for edit in plan.edits:
        path = edit["path"]
        info = infos[path]
        directory = os.path.dirname(path)
        stage = "its directory cannot be created"
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            if backup and info is not None:
                stage = "its backup cannot be written"
                backups[path] = write_backup(path, edit["before"].encode("utf-8"), info)
            if info is not None:
                mode, owner = stat.S_IMODE(info.st_mode), _owner_of(info)
            else:
                mode, owner = edit["mode"] or 0o644, None
            stage = "cannot be written"
            replace_file(module, path, edit["after"].encode("utf-8"), mode, owner)
        except Exception as exc:  # also plain Exception, as ansible's own helpers raise (ansible-core 2.19)
            if path in backups:  # the file was not changed: its backup is not needed and not reported
                _remove_quietly(backups.pop(path))
            if isinstance(exc, FILE_ERRORS):
                fail(path, "%s (%s)" % (stage, describe_os_error(exc)))
            fail(path, "%s (%s)" % (stage, str(exc) or exc.__class__.__name__))
        files_changed.append(path)
    return files_changed, backups
