# -*- coding: utf-8 -*-
# Copyright: nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One confinement rule for every file remediation touches under a root.

A remediation module given ``root=/srv/tree`` edits ``/srv/tree/etc/...`` as
if it were ``/etc/...``.  The tree is often a copy of another host, so its
links mean what they meant there: an absolute link ``/etc/x -> /usr/lib/x``
stands for ``/srv/tree/usr/lib/x``, never this machine's ``/usr/lib/x``, and a
link that climbs above the tree leads nowhere the tool may go.

:func:`normalise_root` turns the root into a real directory path and says
whether it is the live host (``//``, ``/tmp/..`` and a link to ``/`` are);
:func:`resolve` walks a host path one component at a time inside the root,
following links the way the tree's own kernel would; :func:`confined_glob`
expands a pattern the same way, with the root itself never a pattern.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type  # noqa: UP001 - Python 2.7 still runs this file

import errno
import fnmatch
import os
import re
import stat

# As the kernel's MAXSYMLINKS: more links than this in one path is a loop.
MAX_LINKS = 40
_MAGIC = re.compile(r"[*?[]")


class RootPathError(Exception):
    """A path cannot be used inside the root; the message names it."""


def normalise_root(root):
    """Return ``(real_root, live)`` for ``root``, or raise RootPathError.

    ``real_root`` is the root with every link resolved (on this host, where
    the root itself lives); ``live`` is True when that is ``/``.
    """
    if not root:
        raise RootPathError("root is empty; give / for this host or the path of a scratch tree")
    if "\x00" in root:
        raise RootPathError("root contains a NUL byte")
    if not root.startswith("/"):
        raise RootPathError("root %s is not an absolute path" % root)
    real = os.path.realpath(root)
    if not os.path.isdir(real):
        raise RootPathError("root %s is not a directory" % root)
    return real, real == "/"


def _split(path):
    return [part for part in path.split("/") if part not in ("", ".")]


def check_host_path(path, what="path"):
    """Refuse a host path that is not absolute or that has a '..' component."""
    if not path or not path.startswith("/"):
        raise RootPathError("%s %r is not an absolute path" % (what, path))
    if "\x00" in path:
        raise RootPathError("%s %r contains a NUL byte" % (what, path))
    if ".." in path.split("/"):
        raise RootPathError("%s %s contains '..'; refused, so that nothing outside the root is touched"
                            % (what, path))


def resolve(real_root, path, follow_last=True):
    """The real path of host path ``path`` inside ``real_root``.

    Every component is looked up inside the root: a relative link is taken
    from the link's own directory, an absolute one from the root, and a link
    that leads above the root raises RootPathError.  Components that do not
    exist are kept as they are (the file may be about to be created).  With
    ``follow_last=False`` a link in the last place is returned itself.
    ``real_root`` must come from :func:`normalise_root`.
    """
    check_host_path(path)
    pending = _split(path)
    done = []
    links = 0
    while pending:
        name = pending.pop(0)
        if name == "..":  # only ever from a link's target
            if not done:
                if real_root == "/":
                    continue  # /.. is / on the live host
                raise RootPathError("%s leads outside the root %s through a link; refused" % (path, real_root))
            done.pop()
            continue
        candidate = os.path.join(real_root, *(done + [name]))
        try:
            info = os.lstat(candidate)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                done.append(name)
                continue
            raise RootPathError("%s cannot be examined (%s)" % (candidate, exc.strerror))
        if stat.S_ISLNK(info.st_mode) and (pending or follow_last):
            links += 1
            if links > MAX_LINKS:
                raise RootPathError("%s: too many levels of symbolic links under %s" % (path, real_root))
            target = os.readlink(candidate)
            if target.startswith("/"):
                done = []
            pending = _split(target) + pending
            continue
        done.append(name)
    return os.path.join(real_root, *done) if done else real_root


def host_view(real_root, real_path):
    """``real_path`` as a host path (the part below ``real_root``)."""
    if real_root == "/" or real_path == real_root:
        return real_path if real_root == "/" else "/"
    return "/" + os.path.relpath(real_path, real_root)


def kind(real_path):
    """'absent', 'file', 'directory', 'link' or a word for what else it is (without following a link)."""
    try:
        mode = os.lstat(real_path).st_mode
    except OSError:
        return "absent"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def confined_glob(real_root, pattern):
    """``(host path, real path)`` of each existing entry that matches host pattern ``pattern``.

    ``*``, ``?`` and ``[...]`` match inside one component, as glob(7) does,
    and never a name starting with a dot unless the pattern does; every
    directory on the way is resolved with :func:`resolve`, and an entry
    whose resolution leaves the root is left out.  Sorted by host path.
    """
    check_host_path(pattern, "pattern")
    parts = _split(pattern)
    found = [("", real_root)]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        step = []
        for shown, directory in found:
            if _MAGIC.search(part):
                try:
                    names = sorted(os.listdir(directory))
                except OSError:
                    continue
                names = [n for n in names if fnmatch.fnmatchcase(n, part) and (part.startswith(".")
                                                                               or not n.startswith("."))]
            else:
                names = [part]
            for name in names:
                child = shown + "/" + name
                try:
                    real = resolve(real_root, child, follow_last=not last)
                except RootPathError:
                    continue
                if kind(real) == "absent" or (not last and not os.path.isdir(real)):
                    continue
                step.append((child, real))
        found = step
    return sorted(found) if parts else [("/", real_root)]
