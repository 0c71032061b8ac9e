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
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import sys

PACKAGE = __name__.rpartition(".")[0]


class CompileOnceFinder(object):
    """Finds and loads ``PACKAGE``'s plain modules from ``importer``'s zip, compiling each source once."""

    def __init__(self, importer, package=PACKAGE):
        self.importer = importer
        self.package = package
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
        return compile(source.replace(b"\r\n", b"\n").replace(b"\r", b"\n"), self._path(fullname), "exec",
                       dont_inherit=True)

    def get_source(self, fullname):
        """The module's source, for tracebacks (linecache asks the loader)."""
        return self.importer.get_source(fullname)

    def get_filename(self, fullname):
        return self._path(fullname)

    def is_package(self, fullname):  # pylint: disable=unused-argument
        return False


def compile_each_once(loader=None):
    """Install ``CompileOnceFinder`` for this package when it is being imported from a zip; True if it was."""
    loader = __loader__ if loader is None else loader  # noqa: F821 (set by the import system)
    if sys.version_info[0] < 3 or type(loader).__name__ != "zipimporter":
        return False
    if not all(hasattr(loader, name) for name in ("archive", "prefix", "get_data", "get_source", "is_package")):
        return False
    if any(isinstance(finder, CompileOnceFinder) for finder in sys.meta_path):
        return True
    sys.meta_path.insert(0, CompileOnceFinder(loader))
    return True
