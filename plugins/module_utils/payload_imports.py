# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Import this collection's module_utils from an AnsiballZ payload compiling each file once, not twice.

Ansible ships a module and its module_utils to the managed host as sources in a
zip (AnsiballZ carries no ``.pyc``), and Python 3 imports them with
``zipimport``. Its ``zipimporter.get_filename()`` compiles the module's source
to learn where the code would come from, and the import system calls it while
it builds the module's spec; ``get_code()`` then compiles the same source again
to run it. Every module_utils file is compiled twice on every module run
(python/cpython#141276, "Syntax warnings are duplicated in zipimport", open;
the fix proposed in python/cpython#153799 stops ``get_filename`` compiling; the
unit tests see it on 3.11, 3.12 and 3.13). For this collection that was some
45 ms of CPU per audit of a live host, a quarter of what
``ansible.builtin.ping`` costs in all (docs/performance.md, *Third pass*).

``compile_each_once()`` puts a finder first on ``sys.meta_path`` that takes
only the modules of this package, reads each source from the same zipimporter
that would have loaded it, and compiles it once, with the same file name in
tracebacks (``<zip>/ansible_collections/.../name.py``) and the same
``__file__``. Everything else, Ansible's own module_utils included, is left to
the import system. Outside a zip (a checkout, the unit tests, ansible-test's
import check) and on Python 2, whose zipimport compiles once, it does nothing.

Compiling once still costs about 45 ms a live audit, more than anything else
the module does beyond ping. So the finder also keeps each compiled module in
a bytecode cache on the host, ``BytecodeCache``, the way Python keeps
``__pycache__`` for the modules it imports from a directory: a host's first
audit compiles and writes, every later one of the same collection version
reads the code back (``marshal``, about 1.5 ms for all of them). Where it lives
and when it is skipped is in ``cache_directory()``. An entry is used only when
it carries this interpreter's magic number, the SHA-256 of the very source the
zip holds now and of its own code, and when it and its directory belong to the
effective user and nobody else can write them; anything else is compiled from
the source as before. A cache that cannot be written (read-only or full file
system, no home) is skipped for the run without a word: it never changes what
the module reports.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import hashlib
import marshal
import os
import stat
import sys
import tempfile

PACKAGE = __name__.rpartition(".")[0]


class CompileOnceFinder(object):
    """Finds and loads ``PACKAGE``'s plain modules from ``importer``'s zip, compiling each source once."""

    def __init__(self, importer, package=PACKAGE, cache=None):
        self.importer = importer
        self.package = package
        self.cache = cache
        self._sources = {}

    def _path(self, fullname):
        return "%s/%s%s.py" % (self.importer.archive, self.importer.prefix, fullname.rpartition(".")[2])

    def find_spec(self, fullname, path=None, target=None):  # pylint: disable=unused-argument
        if fullname.rpartition(".")[0] != self.package:
            return None
        origin = self._path(fullname)
        try:
            if self.importer.is_package(fullname):
                return None
            source = self.importer.get_data(origin)
        except Exception:  # pylint: disable=broad-except
            # Not a source file of this zip (a .pyc only, a missing name), or a zipimporter that does not
            # behave as CPython's: the import system finds the module as it would without this finder.
            return None
        # Python 3 only: compile_each_once() installs this finder on Python 3 alone.
        from importlib.machinery import ModuleSpec  # novermin pylint: disable=import-outside-toplevel
        self._sources[fullname] = source
        spec = ModuleSpec(fullname, self, origin=origin)
        spec.has_location = True
        return spec

    def create_module(self, spec):  # pylint: disable=unused-argument
        return None  # the default module object

    def exec_module(self, module):
        exec(self.get_code(module.__name__), module.__dict__)  # pylint: disable=exec-used

    def get_code(self, fullname):
        """The module's code object: its source compiled once, as zipimport's _compile_source compiles it."""
        source = self._sources.pop(fullname, None)
        if source is None:
            source = self.importer.get_data(self._path(fullname))
        # Universal newlines and no __future__ flags inherited from this file, as zipimport compiles.
        source = source.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        path = self._path(fullname)
        if self.cache is None:
            return compile(source, path, "exec", dont_inherit=True)
        digest = hashlib.sha256(source).digest()  # the entry's key, for load and for store
        code = self.cache.load(fullname, digest, path)
        if code is None:
            code = compile(source, path, "exec", dont_inherit=True)
            self.cache.store(fullname, digest, code)
        return code

    def get_source(self, fullname):
        """The module's source, for tracebacks (linecache asks the loader)."""
        return self.importer.get_source(fullname)

    def get_filename(self, fullname):
        return self._path(fullname)

    def is_package(self, fullname):  # pylint: disable=unused-argument
        return False


def cache_directory(environ=None):
    """Where ``BytecodeCache`` keeps this interpreter's entries, or None when there is to be no cache.

    ``NFDOCTOR_BYTECODE_CACHE`` set to ``off`` (or ``0``, ``no``, ``false``, empty) turns it off and an
    absolute path moves it; otherwise it is ``nfdoctor/bytecode`` under ``$XDG_CACHE_HOME`` (when that is an
    absolute path) or ``~/.cache`` of the user the module runs as, as pip keeps its cache. The last component
    is the interpreter's ``cache_tag`` (``cpython-311``), with ``-opt1`` or ``-opt2`` under ``python -O`` or
    ``-OO``, whose code differs, as Python names its ``.pyc`` files; an interpreter without a ``cache_tag``
    (one that writes no ``.pyc`` files itself) gets none.
    """
    environ = os.environ if environ is None else environ
    tag = getattr(getattr(sys, "implementation", None), "cache_tag", None)
    if not tag:
        return None
    if sys.flags.optimize:
        tag = "%s-opt%d" % (tag, sys.flags.optimize)
    chosen = environ.get("NFDOCTOR_BYTECODE_CACHE")
    if chosen is not None:
        if chosen.strip().lower() in ("", "0", "off", "no", "false"):
            return None
        return os.path.join(chosen, tag) if os.path.isabs(chosen) else None
    base = environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "nfdoctor", "bytecode", tag)


def _private(status):
    """True if ``status`` (of an lstat or fstat) belongs to this process's user and nobody else may write it."""
    return status.st_uid == os.geteuid() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


class BytecodeCache(object):
    """Compiled modules of this package kept in ``directory``, one file per module, checked before use.

    An entry is ``MAGIC`` (the interpreter's bytecode magic number), the SHA-256 of the module's source, the
    SHA-256 of the marshalled code, then that code. ``load`` returns the code only when all three match and
    the file and its directory are ``_private``; ``store`` writes a new entry to a temporary file in the
    directory and renames it over the old one, so a reader sees a whole entry or none.
    """

    def __init__(self, directory, write=True):
        from importlib.util import MAGIC_NUMBER  # novermin pylint: disable=import-outside-toplevel
        self.directory = directory
        self.magic = MAGIC_NUMBER
        self.write = write
        self._trusted = None

    def _entry(self, fullname):
        return os.path.join(self.directory, fullname.rpartition(".")[2] + ".bin")

    def _directory_ok(self):
        """True if the directory is there, a real directory, and ``_private``; decided once a run."""
        if self._trusted is None:
            try:
                status = os.lstat(self.directory)
            except OSError:
                return False  # not there (yet): store() may make it
            self._trusted = stat.S_ISDIR(status.st_mode) and _private(status)
        return self._trusted

    def load(self, fullname, digest, path):
        """The code object of ``fullname`` compiled from the source whose SHA-256 is ``digest``, with ``path`` as
        its file name, or None."""
        if not self._directory_ok():
            return None
        try:
            fd = os.open(self._entry(fullname), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            with os.fdopen(fd, "rb") as handle:
                status = os.fstat(handle.fileno())
                if not (stat.S_ISREG(status.st_mode) and _private(status)):
                    return None
                data = handle.read()
        except OSError:
            return None
        head = len(self.magic) + 64
        if (len(data) <= head or data[:len(self.magic)] != self.magic
                or data[len(self.magic):len(self.magic) + 32] != digest
                or data[len(self.magic) + 32:head] != hashlib.sha256(data[head:]).digest()):
            return None
        try:
            code = marshal.loads(data[head:])
        except (EOFError, ValueError, TypeError):
            return None
        _fix_filename(code, path)
        return code

    def store(self, fullname, digest, code):
        """Keep ``code`` (compiled from the source whose SHA-256 is ``digest``) for the next run; any failure only
        skips the cache."""
        if not self.write:
            return
        try:
            if not os.path.lexists(self.directory):
                os.makedirs(self.directory, 0o700)
        except OSError:
            self.write = False  # no home, a read-only or full file system: no cache this run
            return
        if not self._directory_ok():
            self.write = False  # someone else's, or writable by others: never written into
            return
        try:
            data = marshal.dumps(code)
        except ValueError:
            return
        blob = self.magic + digest + hashlib.sha256(data).digest() + data
        temporary = None
        try:
            fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=self.directory)
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
            os.rename(temporary, self._entry(fullname))
            temporary = None
        except OSError:
            self.write = False  # a full or read-only file system: stop trying for this run
        finally:
            if temporary is not None:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass


def _fix_filename(code, path):
    """Give ``code`` and the code nested in it ``path`` as their file name, as importlib does for a .pyc."""
    try:
        import _imp  # pylint: disable=import-outside-toplevel
        _imp._fix_co_filename(code, path)  # pylint: disable=protected-access
    except (ImportError, AttributeError):
        pass


def compile_each_once(loader=None, environ=None):
    """Install ``CompileOnceFinder`` for this package when it is being imported from a zip; True if it was.

    The finder keeps a ``BytecodeCache`` in ``cache_directory(environ)``; ``sys.dont_write_bytecode``
    (``PYTHONDONTWRITEBYTECODE``, ``python -B``) makes it read the cache but write nothing, as for ``.pyc``.
    """
    loader = __loader__ if loader is None else loader  # noqa: F821 (set by the import system)
    if sys.version_info[0] < 3 or type(loader).__name__ != "zipimporter":
        return False
    if not all(hasattr(loader, name) for name in ("archive", "prefix", "get_data", "get_source", "is_package")):
        return False
    if any(isinstance(finder, CompileOnceFinder) for finder in sys.meta_path):
        return True
    directory = cache_directory(environ)
    cache = BytecodeCache(directory, write=not sys.dont_write_bytecode) if directory else None
    sys.meta_path.insert(0, CompileOnceFinder(loader, cache=cache))
    return True
