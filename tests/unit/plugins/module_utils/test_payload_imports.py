"""payload_imports: the collection's module_utils are compiled once when imported from a zip, as AnsiballZ ships them.

Python 3's zipimport compiles a source module twice (``get_filename()`` while
the spec is built, ``get_code()`` to run it; python/cpython#141276). Each case
runs a driver in a fresh interpreter: the package sits in a zip on
``sys.path`` (AnsiballZ's layout), ``builtins.compile`` is wrapped to count
the compiles per file, and the driver reports what was imported and how. The
interpreters of RHEL 7 and 8 hosts (2.7, 3.6) and newer ones run it when
installed; a missing one is skipped.
"""
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from test_parse_modprobe_interpreters import interpreter

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
SOURCE = os.path.join(REPO, "plugins", "module_utils", "payload_imports.py")

FILES = {
    "zpkg/__init__.py": "",
    "zpkg/mu/__init__.py": "",
    "zpkg/mu/alpha.py": "VALUE = 1\n",
    "zpkg/mu/beta.py": "from zpkg.mu import alpha\nVALUE = alpha.VALUE + 1\nFILE = __file__\n",
    "zpkg/mu/broken.py": "FIRST = 1\nraise ZeroDivisionError('boom from broken')\n",
    "zpkg/mu/crlf.py": "A = 1\r\nB = 'two'\r\n",
    "zpkg/mu/sub/__init__.py": "",
    "zpkg/mu/sub/gamma.py": "VALUE = 3\n",
}

DRIVER = r'''
import json, sys, traceback
sys.path.insert(0, sys.argv[1])
try:
    import builtins
except ImportError:
    import __builtin__ as builtins
counts = {}
real = builtins.compile


def counting(source, filename, *args, **kwargs):
    name = filename.rpartition("/")[2]
    counts[name] = counts.get(name, 0) + 1
    return real(source, filename, *args, **kwargs)


builtins.compile = counting
from zpkg.mu import payload_imports
installed = payload_imports.compile_each_once() if sys.argv[2] == "install" else None
again = payload_imports.compile_each_once() if sys.argv[2] == "install" else None
from zpkg.mu import beta, crlf
from zpkg.mu.sub import gamma
try:
    from zpkg.mu import broken
    trace = None
except ZeroDivisionError:
    trace = traceback.format_exc()
try:
    from zpkg.mu import missing
    missing = None
except ImportError as exc:
    missing = type(exc).__name__
loaders = dict((name, type(sys.modules["zpkg.mu." + name].__loader__).__name__)
               for name in ("alpha", "beta", "crlf", "sub", "sub.gamma", "payload_imports"))
finders = sum(1 for finder in sys.meta_path if type(finder).__name__ == "CompileOnceFinder")
sys.stdout.write(json.dumps(dict(
    installed=installed, again=again, finders=finders, counts=counts, loaders=loaders, trace=trace,
    missing=missing, beta=[beta.VALUE, beta.FILE, beta.__name__, beta.__package__], crlf=[crlf.A, crlf.B],
    gamma=gamma.VALUE, broken_kept="zpkg.mu.broken" in sys.modules)))
'''


def payload(tmp_path):
    """A zip laid out as an AnsiballZ payload, with the real payload_imports.py in the package."""
    archive = str(tmp_path / "payload.zip")
    with zipfile.ZipFile(archive, "w") as handle:
        for name, text in FILES.items():
            handle.writestr(name, text)
        handle.write(SOURCE, "zpkg/mu/payload_imports.py")
    return archive


def run(python, tmp_path, mode):
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    return json.loads(subprocess.check_output([python, str(driver), payload(tmp_path), mode], timeout=120))


def test_this_python_compiles_each_module_twice_without_it_and_once_with_it(tmp_path):
    without = run(sys.executable, tmp_path, "plain")
    with_it = run(sys.executable, tmp_path, "install")
    # The CPython behaviour the finder exists for (3.11 here): two compiles per module from the zip.
    assert without["counts"]["alpha.py"] == 2 and without["counts"]["beta.py"] == 2
    assert with_it["counts"]["alpha.py"] == 1 and with_it["counts"]["beta.py"] == 1
    assert with_it["counts"]["crlf.py"] == 1
    # What the finder does not take is imported as before: the package itself, a subpackage and its modules.
    assert with_it["counts"]["gamma.py"] == without["counts"]["gamma.py"] == 2
    assert with_it["counts"]["payload_imports.py"] == 2


@pytest.mark.parametrize("version", ["this", "3.6", "3.12", "3.13"])
def test_modules_import_as_from_zipimport(version, tmp_path):
    python = sys.executable if version == "this" else interpreter(version)
    if python is None:
        pytest.skip("python%s is not installed" % version)
    archive = str(tmp_path / "payload.zip")
    without = run(python, tmp_path, "plain")
    result = run(python, tmp_path, "install")
    assert result["installed"] is True and result["again"] is True and result["finders"] == 1
    assert result["loaders"] == {"alpha": "CompileOnceFinder", "beta": "CompileOnceFinder", "crlf": "CompileOnceFinder",
                                 "sub": "zipimporter", "sub.gamma": "zipimporter", "payload_imports": "zipimporter"}
    assert without["loaders"]["alpha"] == "zipimporter"
    # Same module: value, __file__ (the path zipimport gives), name, package; CR LF read as zipimport reads it.
    assert result["beta"] == without["beta"] == [2, archive + "/zpkg/mu/beta.py", "zpkg.mu.beta", "zpkg.mu"]
    assert result["crlf"] == without["crlf"] == [1, "two"]
    assert result["gamma"] == 3
    # An error in a module's code is raised as before, with its file, line and source line in the traceback,
    # and the half-run module is not left in sys.modules.
    for trace in (result["trace"], without["trace"]):
        assert 'File "%s/zpkg/mu/broken.py", line 2' % archive in trace
        assert "raise ZeroDivisionError('boom from broken')" in trace
        assert "ZeroDivisionError: boom from broken" in trace
    assert result["broken_kept"] is False
    # A name the zip does not hold is still an ImportError.
    assert result["missing"] == without["missing"] and result["missing"] in ("ImportError", "ModuleNotFoundError")
    if version == "3.6":
        # 3.6's zipimport is C: its compiles are not seen by the wrapper; the finder's are, once per module.
        assert result["counts"]["alpha.py"] == 1 and "alpha.py" not in without["counts"]
    else:
        # zipimport in Python (3.8+) compiles each module twice; the finder once.
        assert (without["counts"]["alpha.py"], result["counts"]["alpha.py"]) == (2, 1)


def test_python2_leaves_the_import_system_alone(tmp_path):
    python = interpreter("2.7")
    if python is None:
        pytest.skip("python2.7 is not installed")
    result = run(python, tmp_path, "install")
    # Python 2's zipimport compiles once; nothing is installed and every module imports as before.
    assert result["installed"] is False and result["finders"] == 0
    assert set(result["loaders"].values()) == {"zipimporter"}
    assert result["beta"][0] == 2 and result["crlf"] == [1, "two"]
    assert "/zpkg/mu/broken.py\", line 2" in result["trace"] and "boom from broken" in result["trace"]


def test_outside_a_zip_nothing_is_installed(tmp_path):
    package = tmp_path / "tree" / "zpkg" / "mu"
    package.mkdir(parents=True)
    for name in ("zpkg/__init__.py", "zpkg/mu/__init__.py"):
        (tmp_path / "tree" / name).write_text("")
    shutil.copy(SOURCE, str(package / "payload_imports.py"))
    probe = ("import sys; sys.path.insert(0, %r)\n"
             "from zpkg.mu import payload_imports\n"
             "print(payload_imports.compile_each_once(), "
             "sum(1 for f in sys.meta_path if type(f).__name__ == 'CompileOnceFinder'))" % str(tmp_path / "tree"))
    assert subprocess.check_output([sys.executable, "-c", probe], text=True).split() == ["False", "0"]


def test_a_loader_without_the_zipimporter_interface_is_left_alone():
    from ansible_collections.nfdoctor.netfilter.plugins.module_utils import payload_imports

    class zipimporter(object):  # pylint: disable=invalid-name,too-few-public-methods
        """Named like zipimport's, lacking its interface."""

    before = list(sys.meta_path)
    assert payload_imports.compile_each_once(zipimporter()) is False
    assert sys.meta_path == before


def test_a_broken_importer_falls_back_to_the_import_system():
    from ansible_collections.nfdoctor.netfilter.plugins.module_utils import payload_imports

    class Exploding(object):  # pylint: disable=too-few-public-methods
        archive, prefix = "/nowhere.zip", "pkg/"

        def is_package(self, fullname):
            raise RuntimeError("unexpected")

    finder = payload_imports.CompileOnceFinder(Exploding(), package="pkg")
    assert finder.find_spec("pkg.name") is None
    assert finder.find_spec("other.name") is None
