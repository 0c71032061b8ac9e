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


def payload(tmp_path, name="payload.zip", files=None):
    """A zip laid out as an AnsiballZ payload, with the real payload_imports.py in the package."""
    archive = str(tmp_path / name)
    with zipfile.ZipFile(archive, "w") as handle:
        for member, text in (files or FILES).items():
            handle.writestr(member, text)
        handle.write(SOURCE, "zpkg/mu/payload_imports.py")
    return archive


def run(python, tmp_path, mode, cache="off", name="payload.zip", files=None, **environ):
    """The driver's report of one fresh interpreter importing from the zip; ``cache`` is
    NFDOCTOR_BYTECODE_CACHE (off unless a case is about the cache: no test writes to the real home)."""
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = dict((key, value) for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE")
    env.update(environ, NFDOCTOR_BYTECODE_CACHE=str(cache))
    return json.loads(subprocess.check_output([python, str(driver), payload(tmp_path, name, files), mode],
                                              timeout=120, env=env))


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


# The bytecode cache: a host's second audit reads what its first compiled.


TAKEN = ("alpha.py", "beta.py", "crlf.py", "broken.py")  # the modules the finder loads in the driver


def compiled(result):
    """How often each module the finder takes was compiled in a run (0: it came from the cache)."""
    return dict((name, result["counts"].get(name, 0)) for name in TAKEN)


def cache_of(cache, python):
    """The directory the interpreter keeps its entries in, and the names there."""
    tag = subprocess.check_output([python, "-c", "import sys; print(sys.implementation.cache_tag)"],
                                  universal_newlines=True).strip()
    directory = cache / tag
    return directory, sorted(os.listdir(str(directory))) if directory.is_dir() else None


@pytest.mark.parametrize("version", ["this", "3.6", "3.12", "3.13"])
def test_the_second_run_reads_the_code_the_first_compiled(version, tmp_path):
    python = sys.executable if version == "this" else interpreter(version)
    if python is None:
        pytest.skip("python%s is not installed" % version)
    cache = tmp_path / "cache"
    first = run(python, tmp_path, "install", cache, name="first.zip")
    assert compiled(first) == dict.fromkeys(TAKEN, 1)
    directory, names = cache_of(cache, python)
    assert names == ["alpha.bin", "beta.bin", "broken.bin", "crlf.bin"]
    # Private to the user the module runs as, as Python keeps nothing it executes anywhere else.
    assert directory.stat().st_mode & 0o777 == 0o700
    assert set((directory / name).stat().st_mode & 0o777 for name in names) == {0o600}

    # Another payload (AnsiballZ unpacks each run's zip under a new name): nothing of ours is compiled.
    second = run(python, tmp_path, "install", cache, name="second.zip")
    assert compiled(second) == dict.fromkeys(TAKEN, 0)
    archive = str(tmp_path / "second.zip")
    # The same modules: values, __file__ of this run's zip, and a traceback naming this run's file and line.
    assert second["beta"] == [2, archive + "/zpkg/mu/beta.py", "zpkg.mu.beta", "zpkg.mu"]
    assert second["crlf"] == first["crlf"] == [1, "two"] and second["gamma"] == 3
    assert 'File "%s/zpkg/mu/broken.py", line 2' % archive in second["trace"]
    assert "raise ZeroDivisionError('boom from broken')" in second["trace"]
    assert second["broken_kept"] is False


def test_an_entry_is_used_only_for_the_source_it_was_compiled_from(tmp_path):
    cache = tmp_path / "cache"
    run(sys.executable, tmp_path, "install", cache)
    changed = dict(FILES)
    changed["zpkg/mu/alpha.py"] = "VALUE = 40\n"  # a new collection version on the same host
    result = run(sys.executable, tmp_path, "install", cache, files=changed)
    assert compiled(result) == {"alpha.py": 1, "beta.py": 0, "crlf.py": 0, "broken.py": 0}
    assert result["beta"][0] == 41
    # The new entry replaced the old one: the next run of the new version compiles nothing.
    assert compiled(run(sys.executable, tmp_path, "install", cache, files=changed)) == dict.fromkeys(TAKEN, 0)
    # And going back to the old version compiles alpha again: one entry per module, never two.
    again = run(sys.executable, tmp_path, "install", cache)
    assert compiled(again) == {"alpha.py": 1, "beta.py": 0, "crlf.py": 0, "broken.py": 0} and again["beta"][0] == 2
    assert cache_of(cache, sys.executable)[1] == ["alpha.bin", "beta.bin", "broken.bin", "crlf.bin"]


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "empty", "other magic", "other module"])
def test_a_damaged_entry_is_compiled_again_and_rewritten(damage, tmp_path):
    cache = tmp_path / "cache"
    run(sys.executable, tmp_path, "install", cache)
    directory = cache_of(cache, sys.executable)[0]
    entry = directory / "beta.bin"
    data = entry.read_bytes()
    entry.write_bytes({"flipped byte": data[:-5] + bytes([data[-5] ^ 0x40]) + data[-4:],
                       "truncated": data[:len(data) // 2],
                       "empty": b"",
                       "other magic": bytes([data[0] ^ 1]) + data[1:],
                       "other module": (directory / "alpha.bin").read_bytes()}[damage])
    result = run(sys.executable, tmp_path, "install", cache)
    assert compiled(result) == {"alpha.py": 0, "beta.py": 1, "crlf.py": 0, "broken.py": 0}
    assert result["beta"][0] == 2
    assert entry.read_bytes() == data
    assert [name for name in os.listdir(str(directory)) if name.startswith(".tmp-")] == []


@pytest.mark.parametrize("what", ["directory writable by all", "entry writable by all", "entry a symlink",
                                  "directory a symlink", "entry owned by another user",
                                  "directory owned by another user"])
def test_an_entry_anyone_else_could_have_written_is_never_run(what, tmp_path):
    cache = tmp_path / "cache"
    run(sys.executable, tmp_path, "install", cache)
    directory = cache_of(cache, sys.executable)[0]
    entry = directory / "beta.bin"
    if "another user" in what:
        if os.geteuid() != 0:
            pytest.skip("changing an owner needs root")
        os.chown(str(directory if what.startswith("directory") else entry), 65534, 65534)
    elif what == "directory writable by all":
        directory.chmod(0o777)
    elif what == "entry writable by all":
        entry.chmod(0o666)
    elif what == "entry a symlink":
        (directory / "elsewhere.bin").write_bytes(entry.read_bytes())
        entry.unlink()
        entry.symlink_to(directory / "elsewhere.bin")
    else:
        directory.rename(tmp_path / "real")
        directory.symlink_to(tmp_path / "real")
    result = run(sys.executable, tmp_path, "install", cache)
    expected = dict.fromkeys(TAKEN, 1) if what.startswith("directory") else dict(dict.fromkeys(TAKEN, 0), **{
        "beta.py": 1})
    assert compiled(result) == expected
    assert result["beta"][0] == 2


@pytest.mark.parametrize("where", ["under a file", "read-only directory"])
def test_a_cache_that_cannot_be_written_changes_nothing(where, tmp_path):
    if where == "under a file":
        (tmp_path / "plain").write_text("a file, not a directory\n")
        cache = tmp_path / "plain" / "cache"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into a read-only directory")
        (tmp_path / "ro").mkdir()
        (tmp_path / "ro").chmod(0o500)
        cache = tmp_path / "ro" / "cache"
    without = run(sys.executable, tmp_path, "install")
    result = run(sys.executable, tmp_path, "install", cache)
    assert compiled(result) == dict.fromkeys(TAKEN, 1)
    for key in ("beta", "crlf", "gamma", "missing", "loaders"):
        assert result[key] == without[key]


def test_off_and_dont_write_bytecode(tmp_path):
    cache = tmp_path / "cache"
    for value in ("off", "0", "no", "false", "", "relative/path"):
        assert compiled(run(sys.executable, tmp_path, "install", value)) == dict.fromkeys(TAKEN, 1)
    assert not cache.exists()
    # PYTHONDONTWRITEBYTECODE (python -B): as for .pyc files, what is there is read and nothing is written.
    run(sys.executable, tmp_path, "install", cache, PYTHONDONTWRITEBYTECODE="1")
    assert not cache.exists()
    run(sys.executable, tmp_path, "install", cache)
    directory = cache_of(cache, sys.executable)[0]
    (directory / "alpha.bin").unlink()
    result = run(sys.executable, tmp_path, "install", cache, PYTHONDONTWRITEBYTECODE="1")
    assert compiled(result) == {"alpha.py": 1, "beta.py": 0, "crlf.py": 0, "broken.py": 0}
    assert not (directory / "alpha.bin").exists()


def test_optimized_code_is_kept_apart(tmp_path):
    """Under python -O the asserts are compiled out: that code is never served to a run without -O."""
    cache = tmp_path / "cache"
    files = dict(FILES)
    files["zpkg/mu/alpha.py"] = "try:\n    assert False\n    VALUE = 1\nexcept AssertionError:\n    VALUE = 10\n"
    plain = [run(sys.executable, tmp_path, "install", cache, files=files) for _round in range(2)]
    optimized = [run(sys.executable, tmp_path, "install", cache, files=files, PYTHONOPTIMIZE="1") for _round in range(2)]
    assert [r["beta"][0] for r in plain] == [11, 11] and [r["beta"][0] for r in optimized] == [2, 2]
    assert [compiled(r)["alpha.py"] for r in plain + optimized] == [1, 0, 1, 0]
    tag = sys.implementation.cache_tag
    assert sorted(os.listdir(str(cache))) == [tag, tag + "-opt1"]


def test_python2_writes_no_cache(tmp_path):
    python = interpreter("2.7")
    if python is None:
        pytest.skip("python2.7 is not installed")
    run(python, tmp_path, "install", tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_where_the_cache_is():
    from ansible_collections.nfdoctor.netfilter.plugins.module_utils import payload_imports

    tag = sys.implementation.cache_tag
    home = os.path.expanduser("~")
    assert payload_imports.cache_directory({}) == os.path.join(home, ".cache", "nfdoctor", "bytecode", tag)
    assert payload_imports.cache_directory({"XDG_CACHE_HOME": "/var/cache/me"}) == os.path.join(
        "/var/cache/me", "nfdoctor", "bytecode", tag)
    # A relative XDG_CACHE_HOME is invalid by the XDG base directory specification and ignored.
    assert payload_imports.cache_directory({"XDG_CACHE_HOME": "cache"}).startswith(os.path.join(home, ".cache"))
    assert payload_imports.cache_directory({"NFDOCTOR_BYTECODE_CACHE": "/srv/nfd",
                                            "XDG_CACHE_HOME": "/var/cache/me"}) == os.path.join("/srv/nfd", tag)
    for value in ("off", "OFF ", "0", "no", "false", "", "relative"):
        assert payload_imports.cache_directory({"NFDOCTOR_BYTECODE_CACHE": value}) is None
