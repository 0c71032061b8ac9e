"""What a live audit reads from a file instead of starting a process: the systemd version.

The library names are the ones distributions ship (Debian 12 systemd 252.22-1~deb12u1,
Fedora 40 systemd-255.4-1.fc40, Arch/Frugalware systemd 255, RHEL 8 systemd-239); the
command output is `systemctl --version` of Debian 12.
"""
import fnmatch

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import gather

DEBIAN12 = "/usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so"
FEDORA40 = "/usr/lib64/systemd/libsystemd-shared-255.4-1.fc40.so"
ARCH = "/usr/lib/systemd/libsystemd-shared-255.so"
RHEL8 = "/usr/lib64/systemd/libsystemd-shared-239.so"


def live_gatherer(monkeypatch, libraries, systemctl="systemd 252 (252.22-1~deb12u1)\n+PAM +AUDIT\n"):
    """A live Gatherer whose library globs find ``libraries`` and whose systemctl prints ``systemctl``."""
    found = gather.Gatherer("/")
    ran = []

    def fake_glob(pattern):
        # HostSource.glob's rule: wildcards match within one path component
        parts = pattern.split("/")
        return sorted(p for p in libraries if len(p.split("/")) == len(parts) and
                      all(fnmatch.fnmatchcase(name, part) for name, part in zip(p.split("/"), parts)))

    def fake_command(argv, sos_names=None, max_bytes=None):
        ran.append(" ".join(argv))
        return systemctl if argv[0] == "systemctl" else None

    monkeypatch.setattr(found.src, "glob", fake_glob)
    monkeypatch.setattr(found.src, "command", fake_command)
    return found, ran


@pytest.mark.parametrize("libraries, version", [
    ([DEBIAN12], 252),
    ([FEDORA40], 255),
    ([ARCH, "/lib/systemd/libsystemd-shared-255.so"], 255),  # /lib is /usr/lib on a merged-/usr host
    ([RHEL8], 239),
])
def test_version_from_the_library_name_without_systemctl(monkeypatch, libraries, version):
    found, ran = live_gatherer(monkeypatch, libraries)
    assert found._systemd_version() == version
    assert ran == []
    assert found.sos.provenance()["systemd_version"] == [libraries[0]]


@pytest.mark.parametrize("libraries", [
    [],  # before v231 (RHEL 7's 219): no private library
    [DEBIAN12, "/usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-247.so"],  # two versions: which one runs?
    ["/usr/lib/systemd/libsystemd-shared-git.so"],  # a name that does not start with the version
])
def test_systemctl_decides_when_the_library_does_not(monkeypatch, libraries):
    found, ran = live_gatherer(monkeypatch, libraries)
    assert found._systemd_version() == 252
    assert ran == ["systemctl --version"]
    assert found.sos.provenance()["systemd_version"] == ["systemctl --version"]


def test_leading_int_takes_ascii_digits_only():
    assert gather._leading_int("252") == 252
    assert gather._leading_int("255.4-1.fc40.so") == 255
    assert gather._leading_int("219-78.el7") == 219
    assert gather._leading_int("git.so") is None
    assert gather._leading_int("") is None
    assert gather._leading_int(u"\u00b2\u00b2") is None  # isdigit() but not int()
