# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that touches a host: bounded, safe reads and commands.

A ``HostSource`` answers "what does file X say" and "what does command Y print"
for a live host (``root='/'``) or for a captured tree (any other root: files at
their host paths under the root, command outputs under
``sos_commands/<plugin>/<argv joined by '_'>``, as sosreport stores them).

Why it is careful:

* The audit must never change the host or trigger what it looks for, so every
  command runs from an argv list, with ``LC_ALL=C``, stdin closed, and a
  timeout; the caller decides which commands are safe to run at all.
* A captured tree may be hostile or corrupt. Reads never leave the root
  (symlinks are resolved and checked), never open device files or FIFOs
  (which could block or never end), and stop at a size limit. Whatever goes
  wrong becomes an entry in ``errors``; nothing here raises to the caller.
* Under a captured root nothing on the machine running the module is read or
  executed.
* One audit reads at most ``read_budget_bytes`` and ``read_budget_files`` in
  all, and a file reached again under another name (a hard link, a link) is
  read once by ``read_files``: a tree of 400 hard links to one 4 MiB file costs
  4 MiB. What the budget left out is said once in ``errors``.
* File names are kept as the file system gives them, so they can be read; the
  facts document goes through ``json_safe`` so a name that is not UTF-8 is
  reported with U+FFFD instead of failing the host.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import os
import signal
import stat
import subprocess
import sys
import threading
import time

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.capture_spec import name_matches, sos_name

DEFAULT_MAX_BYTES = 4 * 1024 * 1024
DEFAULT_TIMEOUT = 10.0
# Command search path on a live host; the module may run with a minimal PATH.
SEARCH_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
MAX_LIST_ENTRIES = 100000
# What one audit may read in all. A real host needs a few MB (a kube-proxy
# node's iptables-save some tens); the budget only stops hostile trees.
DEFAULT_READ_BUDGET_BYTES = 128 * 1024 * 1024
DEFAULT_READ_BUDGET_FILES = 200000
MAX_ERRORS = 1000
# Remembered real paths of a live audit (directories and files): a bound, not a working size.
MAX_LIVE_REAL_PATHS = 100000
# An error names a path and says why; an exception quoting a whole file must not.
MAX_ERROR_CHARS = 2000
PY3 = sys.version_info[0] >= 3
# How a command gets a session of its own. Python 3 calls setsid() itself and can then spawn with vfork, where
# a preexec_fn forces a fork of the whole module process: 1.7 against 3.1 ms a command here (issue 15).
# Python 2.7 has no start_new_session.
NEW_SESSION = {"start_new_session": True} if PY3 else {"preexec_fn": os.setsid}
# str and bytes on Python 3; unicode and str on Python 2.
TEXT_TYPES = (bytes, type(b"".decode("ascii")))


def _decode(data):
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data


def safe_text(value):
    """``value`` as text that encodes to UTF-8; undecodable bytes become U+FFFD.

    Python 3 gives file names that are not UTF-8 as lone surrogates, which
    Ansible refuses to pass on ("Refusing to deserialize an invalid UTF8 string").
    """
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if not PY3:
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        try:
            raw = value.encode("utf-8", "surrogateescape")  # novermin (Python 3 only: PY3 above)
        except UnicodeEncodeError:
            raw = value.encode("utf-8", "replace")
        return raw.decode("utf-8", "replace")


def _is_utf8(name):
    try:
        if isinstance(name, bytes):
            name.decode("utf-8")
        else:
            name.encode("utf-8")
    except UnicodeError:
        return False
    return True


def _plain_absolute(path):
    """True for an absolute, normalised path that names an entry ('/a/b', not '/', '/a/../b' or 'a/b')."""
    name = os.path.basename(path)
    return (os.path.isabs(path) and name not in ("", ".", "..") and os.path.normpath(path) == path)


def json_safe(value):
    """A copy of a JSON-able document whose every string is valid UTF-8 text."""
    if isinstance(value, dict):
        return dict((json_safe(k), json_safe(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, TEXT_TYPES):
        return safe_text(value)
    return value


class HostSource(object):
    """Read files and command outputs of one host, live or captured."""

    def __init__(self, root="/", timeout=DEFAULT_TIMEOUT, max_bytes=DEFAULT_MAX_BYTES,
                 read_budget_bytes=DEFAULT_READ_BUDGET_BYTES, read_budget_files=DEFAULT_READ_BUDGET_FILES):
        self.root = os.path.abspath(root or "/")
        self.captured = self.root != "/"
        self.timeout = float(timeout)
        self.max_bytes = int(max_bytes)
        self.read_budget_bytes = int(read_budget_bytes)
        self.read_budget_files = int(read_budget_files)
        self.bytes_read = 0
        self.files_read = 0
        self.errors = []
        self._error_keys = set()
        self._budget_entry = None
        self._budget_skipped = 0
        self._real_root = os.path.realpath(self.root)
        self._sos_index = None
        self._live_real = {}

    # ------------------------------------------------------------------ errors
    def error(self, source, message):
        source, message = safe_text(source)[:MAX_ERROR_CHARS], safe_text(message)[:MAX_ERROR_CHARS]
        key = (source, message)
        if key in self._error_keys:
            return
        self._error_keys.add(key)
        if len(self.errors) == MAX_ERRORS:
            self.errors.append({"source": "errors", "message": "more than %d errors; the rest were not kept"
                                % MAX_ERRORS})
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"source": source, "message": message})

    # ------------------------------------------------------------------ budget
    def _budget_left(self):
        """Bytes this audit may still read, or 0 when the byte or file budget is spent."""
        if self.files_read >= self.read_budget_files:
            return 0
        return max(self.read_budget_bytes - self.bytes_read, 0)

    def _over_budget(self, path):
        self._budget_skipped += 1
        if self._budget_entry is None:
            self._budget_entry = {"source": "read budget", "message": ""}
            self._budget_first = safe_text(path)
            self.errors.append(self._budget_entry)
        self._budget_entry["message"] = (
            "read budget of this audit spent (%d bytes or %d files; %d bytes in %d files read): "
            "%d more file(s) not read, the first %s" % (
                self.read_budget_bytes, self.read_budget_files, self.bytes_read, self.files_read,
                self._budget_skipped, self._budget_first))

    # ------------------------------------------------------------------ paths
    def _resolve(self, path):
        """Return (real path on this machine, reason) for a host path.

        Symlinks inside a captured tree are resolved relative to the tree, so
        an absolute link such as ``etc/foo -> /etc/passwd`` can never make us
        read this machine's file.
        """
        if not self.captured:
            return self._live_realpath(path), None
        parts = [p for p in path.split("/") if p not in ("", ".")]
        current = self._real_root
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if current != self._real_root:
                    current = os.path.dirname(current)
                continue
            candidate = os.path.join(current, part)
            if os.path.islink(candidate):
                hops += 1
                if hops > 40:
                    return None, "too many levels of symbolic links"
                try:
                    target = os.readlink(candidate)
                except OSError as exc:
                    return None, "cannot read link: %s" % exc.strerror
                if target.startswith("/"):
                    current = self._real_root
                target_parts = [p for p in target.split("/") if p not in ("", ".")]
                parts = target_parts + parts
                continue
            current = candidate
        if current != self._real_root and not current.startswith(self._real_root + os.sep):
            return None, "path leaves the captured tree"
        return current, None

    def _live_realpath(self, path, not_link=False):
        """``os.path.realpath(path)``, with the real path of each directory remembered.

        The audit reads hundreds of files in a few directories (unit files,
        /proc/PID): resolving every component of every path again cost more
        than reading the files. Only a plain last component is joined to its
        directory's remembered real path, and only when it is not a link
        (``not_link``: the caller's lstat has said so); any other path goes to
        ``os.path.realpath`` itself.
        """
        real = self._live_real.get(path)
        if real is not None:
            return real
        directory, name = os.path.split(path)
        if not _plain_absolute(path):
            real = os.path.realpath(path)
        else:
            real_dir = self._live_realpath(directory)
            candidate = os.path.join(real_dir, name)
            real = candidate if not_link or not os.path.islink(candidate) else os.path.realpath(candidate)
        if len(self._live_real) < MAX_LIVE_REAL_PATHS:
            self._live_real[path] = real
        return real

    def host_path(self, real):
        """Map a path on this machine back to the host path it stands for."""
        if not self.captured:
            return real
        rel = os.path.relpath(real, self._real_root)
        return "/" + rel if rel != "." else "/"

    def exists(self, path):
        real, _reason = self._resolve(path)
        return real is not None and os.path.lexists(real)

    def isdir(self, path):
        real, _reason = self._resolve(path)
        return real is not None and os.path.isdir(real)

    def _live_entry(self, path):
        """(real path, lstat result) of a live host path whose last name is not a link, else None.

        On a live host such a path is its own file once its directories are
        followed, as the kernel follows them: one lstat tells what ``isdir``,
        ``is_masked``, ``same_file_seen`` and ``read`` each asked with calls of
        their own (the audit reads some 250 files, half of them unit files).
        A captured tree, a link (a mask), a path that is not plain and
        absolute, and a path lstat cannot reach go the long way, which says
        why. A missing path raises OSError(ENOENT) for the caller.
        """
        if self.captured or not _plain_absolute(path):
            return None
        try:
            info = os.lstat(path)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                raise
            return None
        if stat.S_ISLNK(info.st_mode):
            return None
        return self._live_realpath(path, not_link=True), info

    # Links followed to tell a mask; the kernel gives up at 40 (ELOOP).
    MASK_LINK_HOPS = 40

    def is_masked(self, path):
        """True when ``path`` is a link that ends at /dev/null (systemd's way to mask).

        systemd tells a mask by what the link resolves to (null_or_empty():
        the character device 1:3), so a relative ``../../dev/null`` or a link
        to a link to /dev/null masks too. The link is followed as host paths,
        never outside the root, and /dev/null itself need not exist in a
        captured tree.
        """
        host = "/" + path.lstrip("/")
        for _hop in range(self.MASK_LINK_HOPS):
            full = host if not self.captured else os.path.join(self._real_root, host.lstrip("/"))
            try:
                if not os.path.islink(full):
                    return False
                target = os.readlink(full)
            except OSError:
                return False
            if not target.startswith("/"):
                target = os.path.join(os.path.dirname(host), target)
            # '..' at the root stays at the root, as the kernel resolves it
            host = os.path.normpath("/" + target.lstrip("/"))
            if host == "/dev/null":
                return True
        return False

    def link_target_name(self, path):
        """The last name of what the link ``path`` resolves to inside the root ('' when it is not a link).

        sysfs says which driver a NIC has by a link (device/driver -> .../drivers/e1000).
        """
        parent, _reason = self._resolve(os.path.dirname(path.rstrip("/")) or "/")
        real, _reason = self._resolve(path)
        if parent is None or real is None:
            return ""
        # the last name itself must be the link; the parents resolve inside the root like every read
        return os.path.basename(real) if os.path.islink(os.path.join(parent, os.path.basename(path))) else ""

    def listdir(self, path):
        """Sorted entry names of a directory, [] when it is missing."""
        real, reason = self._resolve(path)
        if real is None:
            self.error(path, reason)
            return []
        try:
            names = os.listdir(real)
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                self.error(path, "cannot list: %s" % exc.strerror)
            return []
        if len(names) > MAX_LIST_ENTRIES:
            self.error(path, "more than %d entries; only the first were read" % MAX_LIST_ENTRIES)
            names = names[:MAX_LIST_ENTRIES]
        for name in names:
            if not _is_utf8(name):
                self.error("%s/%s" % (path.rstrip("/"), safe_text(name)),
                           "file name is not valid UTF-8; reported with U+FFFD in its place")
        return sorted(names)

    def names(self, path):
        """Entry names of a directory without a word in ``errors``: [] when it is missing or not a
        directory, None when it cannot be listed (unreadable, outside the tree), for callers that then act
        as if they could not tell."""
        real, _reason = self._resolve(path)
        if real is None:
            return None
        try:
            return os.listdir(real)
        except OSError as exc:
            return [] if exc.errno in (errno.ENOENT, errno.ENOTDIR) else None

    def glob(self, pattern):
        """Host paths matching a glob whose wildcards are in file-name parts.

        Matched as the capture script's sh(1) globs match (capture_spec.name_matches):
        a wildcard never takes a leading dot, as kmod, systemd and cron skip hidden
        names, so a live audit and an audit of its capture read the same files.
        """
        parts = [p for p in pattern.split("/") if p]
        found = ["/"]
        for part in parts:
            nxt = []
            for base in found:
                if any(ch in part for ch in "*?["):
                    for name in self.listdir(base):
                        if name_matches(part, name):
                            nxt.append(os.path.join(base, name))
                else:
                    candidate = os.path.join(base, part)
                    if self.exists(candidate):
                        nxt.append(candidate)
            found = nxt
            if not found:
                break
        return sorted(found)

    # ------------------------------------------------------------------ files
    def read(self, path, max_bytes=None, quiet_missing=True, binary_ok=False):
        """Text of a host file, or None (and an entry in ``errors``).

        Missing files are not errors unless ``quiet_missing`` is False: most
        of what the audit reads exists only on some kernels. ``/dev/null``
        links read as empty text (a masked unit).
        """
        limit = self.max_bytes if max_bytes is None else max_bytes
        try:
            entry, missing = self._live_entry(path), False
        except OSError:  # a live path that is not there
            entry, missing = None, True
        if entry is None and not missing:
            if self.is_masked(path):
                return ""
            real, reason = self._resolve(path)
            if real is None:
                self.error(path, reason)
                return None
            try:
                entry = (real, os.stat(real))
            except OSError as exc:
                if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                    self.error(path, "cannot stat: %s" % exc.strerror)
                    return None
                missing = True
        if missing:
            if not quiet_missing:
                self.error(path, "not present")
            return None
        real, info = entry
        return self._read_located(path, real, info, limit, binary_ok)

    def _read_located(self, path, real, info, limit, binary_ok=False):
        """``read`` of a host path once it is located: its real path and what stat said of it."""
        if not stat.S_ISREG(info.st_mode):
            if not stat.S_ISDIR(info.st_mode):
                self.error(path, "not a regular file; not read")
            return None
        left = self._budget_left()
        if left <= 0:
            self._over_budget(path)
            return None
        data = self._read_bounded(path, real, min(limit, left), budget_cut=left < limit)
        if data is None:
            return None
        if b"\0" in data and not binary_ok:
            self.error(path, "binary content (NUL bytes); not parsed")
            return None
        return _decode(data)

    def _read_bounded(self, path, real, limit, budget_cut=False):
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        try:
            fd = os.open(real, flags)
        except OSError as exc:
            self.error(path, "cannot open: %s" % exc.strerror)
            return None
        chunks = []
        size = 0
        try:
            while size <= limit:
                try:
                    chunk = os.read(fd, min(65536, limit + 1 - size))
                except OSError as exc:
                    if exc.errno == errno.EAGAIN:
                        break
                    self.error(path, "cannot read: %s" % exc.strerror)
                    return None
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(fd)
        data = b"".join(chunks)
        self.files_read += 1
        if len(data) > limit:
            if budget_cut:
                self.error(path, "the audit's read budget of %d bytes ran out; only the first %d bytes were read"
                           % (self.read_budget_bytes, limit))
            else:
                self.error(path, "larger than %d bytes; only the start was read" % limit)
            data = data[:limit]
        self.bytes_read += len(data)
        return data

    def same_file_seen(self, path, seen):
        """True when ``path`` is a file already in ``seen`` under another name.

        On merged-/usr systems /lib is a link to /usr/lib, so the globs of
        both directories list every vendor file twice. Hard links are the
        same file too (device and inode): a hostile tree of 400 links to one
        large file is read once.
        """
        real, _reason = self._resolve(path)
        if real is None:
            return False
        if real in seen:
            return True
        try:
            info = os.stat(real)
        except OSError:
            info = None
        return self._seen(path, real, info, seen)

    def _seen(self, path, real, info, seen):
        """``same_file_seen`` of a located path: ``info`` is what stat said of ``real`` (None: it could not)."""
        if real in seen:
            return True
        seen.add(real)
        if info is None or not stat.S_ISREG(info.st_mode):
            return False
        inode = (info.st_dev, info.st_ino)
        if inode in seen:
            self.error(path, "the same file as one already read (a hard link); read once")
            return True
        seen.add(inode)
        return False

    def read_files(self, patterns, max_bytes=None, mask=""):
        """{host path: text} for every regular file matching the globs.

        A /dev/null mask maps to ``mask`` ("" by default: the drop-in rules
        read it as an empty file; None where the caller tells a mask from an
        empty file). Every mask is kept: they all resolve to the one
        /dev/null, but each hides its own name, so the same-file rule (a
        merged /usr lists vendor files twice; hard links) does not apply.
        """
        out = {}
        seen = set()
        limit = self.max_bytes if max_bytes is None else max_bytes
        for pattern in patterns:
            for path in self.glob(pattern):
                if path in out:
                    continue
                try:
                    entry = self._live_entry(path)
                except OSError:
                    continue  # gone since the directory was listed
                if entry is not None:
                    real, info = entry
                    if stat.S_ISDIR(info.st_mode) or self._seen(path, real, info, seen):
                        continue
                    text = self._read_located(path, real, info, limit)
                    if text is not None:
                        out[path] = text
                    continue
                if self.isdir(path):
                    continue
                if self.is_masked(path):
                    out[path] = mask
                    continue
                if self.same_file_seen(path, seen):
                    continue
                text = self.read(path, max_bytes=max_bytes)
                if text is not None:
                    out[path] = text
        return out

    def read_tail(self, path, max_bytes):
        """The last ``max_bytes`` of a regular host file (a log), or None.

        Same safety as ``read`` (resolved inside the root, regular files
        only, non-blocking); the first, partial line of a cut file is dropped.
        """
        real, reason = self._resolve(path)
        if real is None:
            self.error(path, reason)
            return None
        try:
            info = os.stat(real)
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                self.error(path, "cannot stat: %s" % exc.strerror)
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        if info.st_size <= max_bytes:
            return self.read(path, max_bytes=max_bytes)
        try:
            fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        except OSError as exc:
            self.error(path, "cannot open: %s" % exc.strerror)
            return None
        try:
            os.lseek(fd, info.st_size - max_bytes, os.SEEK_SET)
            chunks, size = [], 0
            while size < max_bytes:
                chunk = os.read(fd, min(65536, max_bytes - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except OSError as exc:
            self.error(path, "cannot read: %s" % exc.strerror)
            return None
        finally:
            os.close(fd)
        data = b"".join(chunks)
        data = data[data.find(b"\n") + 1:] if b"\n" in data else data
        return _decode(data.replace(b"\0", b""))

    # --------------------------------------------------------------- commands
    def _sos_outputs(self):
        """{file name: real path} of every file under ``sos_commands/*/``."""
        if self._sos_index is None:
            self._sos_index = {}
            base = os.path.join(self._real_root, "sos_commands")
            if os.path.isdir(base) and not os.path.islink(base):
                for plugin in self._list_real(base, "/sos_commands"):
                    pdir = os.path.join(base, plugin)
                    if os.path.islink(pdir) or not os.path.isdir(pdir):
                        continue
                    for name in self._list_real(pdir, "/sos_commands/%s" % plugin):
                        self._sos_index.setdefault(name, "/sos_commands/%s/%s" % (plugin, name))
        return self._sos_index

    def _list_real(self, real, shown):
        """Sorted names in a directory of this machine, [] (and an error) when it cannot be listed."""
        try:
            names = os.listdir(real)
        except OSError as exc:
            self.error(shown, "cannot list: %s; command outputs in it were not read" % exc.strerror)
            return []
        return sorted(names[:MAX_LIST_ENTRIES])

    def command(self, argv, sos_names=None, max_bytes=None):
        """Output of a command, or None when it is unavailable or failed.

        Live: runs ``argv`` (the caller has made sure it is safe). Captured:
        looks for the sosreport file named after the command (or any of
        ``sos_names``) under ``sos_commands/*/``.
        """
        if self.captured:
            names = [sos_name(argv)] + list(sos_names or [])
            index = self._sos_outputs()
            for name in names:
                if name in index:
                    return self.read(index[name], max_bytes=max_bytes)
            return None
        return self._run(argv, max_bytes)

    def which(self, name):
        if self.captured:
            return None
        for directory in SEARCH_PATH:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
        return None

    def command_target(self, name):
        """Base name of the file a live command resolves to through its symlinks, or None.

        Where that name says what the command would print (iptables' multi-call
        binaries), reading the link spares a process. None on a captured tree:
        the links there are the capturing machine's business, not the host's.
        """
        exe = self.which(name)
        return os.path.basename(os.path.realpath(exe)) if exe else None

    def _run(self, argv, max_bytes=None):
        label = " ".join(argv)
        exe = self.which(argv[0])
        if exe is None:
            return None
        env = {"LC_ALL": "C", "LANG": "C", "PATH": ":".join(SEARCH_PATH)}
        limit = self.max_bytes if max_bytes is None else max_bytes
        devnull = open(os.devnull, "rb")
        try:
            # A new session, so a timeout can kill the command and its children.
            proc = subprocess.Popen(
                [exe] + list(argv[1:]), stdin=devnull,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                close_fds=True, **NEW_SESSION)
        except OSError as exc:
            self.error(label, "cannot run: %s" % exc.strerror)
            return None
        finally:
            devnull.close()
        timed_out = []

        def _kill():
            timed_out.append(True)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass

        timer = threading.Timer(self.timeout, _kill)
        timer.start()
        started = time.time()
        try:
            out, err = proc.communicate()
        finally:
            timer.cancel()
        if timed_out:
            self.error(label, "timed out after %.0f s (a process in D state may be holding a lock)"
                       % (time.time() - started))
            return None
        if proc.returncode != 0:
            message = _decode(err).strip().splitlines()
            self.error(label, "exit code %s: %s" % (proc.returncode, message[-1] if message else "no message"))
            return None
        if len(out) > limit:
            self.error(label, "output larger than %d bytes; only the start was read" % limit)
            out = out[:limit]
        return _decode(out)
