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

import os
import stat
import tempfile

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
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
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
            diff_before=None):
        """Plan ``path`` to hold ``after``; ``before`` is None for a new file.

        ``mode`` is used for new files only (existing files keep theirs).
        ``diff_before`` replaces ``before`` in the diff only: a new file that
        overrides a vendor file reads best as a diff against that file.
        Planning the same content as is there is a no-op.
        """
        if before is not None and before == after:
            return False
        for edit in self.edits:
            if edit["path"] == path:
                raise ConfigEditError("%s was planned twice; this is a bug in the calling module" % path)
        self.edits.append({
            "path": path,
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


def _write_temp(directory, text):
    handle, temp_path = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=directory)
    try:
        os.write(handle, text.encode("utf-8"))
        os.fsync(handle)
    finally:
        os.close(handle)
    return temp_path


def apply_plan(module, plan, backup=True):
    """Write every planned file; return ``(files_changed, backups)``.

    ``backups`` maps a changed path to its backup copy.  Before writing, each
    existing target is checked once more: if it changed since it was read,
    nothing more is written and the module fails, naming what was done.
    """
    files_changed = []
    backups = {}
    for edit in plan.edits:
        path = edit["path"]
        directory = os.path.dirname(path)
        try:
            current = read_text_file(path)
            if current != edit["before"]:
                raise ConfigEditError("%s changed while the plan was being made; not written" % path)
            if not os.path.isdir(directory):
                if os.path.exists(directory):
                    raise ConfigEditError("%s is not a directory; %s cannot be written" % (directory, path))
                os.makedirs(directory, 0o755)
            if backup and edit["before"] is not None:
                backups[path] = module.backup_local(path)
            temp_path = _write_temp(directory, edit["after"])
            try:
                module.atomic_move(temp_path, path)
            finally:
                if os.path.exists(temp_path):
                    os.unlink(temp_path)
            if edit["before"] is None:
                module.set_mode_if_different(path, edit["mode"] or 0o644, False)
        except (ConfigEditError,) + FILE_ERRORS as exc:
            message = getattr(exc, "strerror", None) or str(exc)
            if not isinstance(exc, ConfigEditError):
                message = "%s: %s; left as it was" % (path, message)
            module.fail_json(msg=message, files_changed=files_changed, backups=backups)
        files_changed.append(path)
    return files_changed, backups
