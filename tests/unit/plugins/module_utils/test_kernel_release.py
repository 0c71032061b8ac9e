"""Tests for kernel_release: distro-aware parsing, comparison and version ranges."""
import doctest

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import kernel_release as kr


def test_docstring_examples():
    failures, _tried = doctest.testmod(kr)
    assert failures == 0


# (release, version, flavour, base_flavour, distro_release, arch, upstream_patch_known)
RELEASES = [
    # RHEL and rebuilds
    ("2.6.32-358.el6.x86_64", [2, 6, 32], "el6", "el6", [358], "x86_64", True),          # seed 001
    ("2.6.32-754.35.1.el6.i686", [2, 6, 32], "el6", "el6", [754, 35, 1], "i686", True),
    ("3.10.0-327.el7.x86_64", [3, 10, 0], "el7", "el7", [327], "x86_64", True),
    ("3.10.0-514.el7", [3, 10, 0], "el7", "el7", [514], None, True),
    ("3.10.0-1160.119.1.el7.x86_64", [3, 10, 0], "el7", "el7", [1160, 119, 1], "x86_64", True),
    ("3.10.0-1160.el7.centos.plus.x86_64", [3, 10, 0], "el7", "el7", [1160], "x86_64", True),
    ("4.18.0-553.el8_10.x86_64", [4, 18, 0], "el8", "el8", [553], "x86_64", True),
    ("4.18.0-372.9.1.rt7.166.el8.x86_64", [4, 18, 0], "el8", "el8", [372, 9, 1], "x86_64", True),
    ("5.14.0-427.13.1.el9_4.x86_64", [5, 14, 0], "el9", "el9", [427, 13, 1], "x86_64", True),
    ("5.14.0-427.13.1.el9_4.aarch64+64k", [5, 14, 0], "el9", "el9", [427, 13, 1], "aarch64", True),
    ("6.12.0-55.9.1.el10_0.x86_64", [6, 12, 0], "el10", "el10", [55, 9, 1], "x86_64", True),
    # ELRepo and Oracle UEK: upstream builds on an el base
    ("4.16.13-1.el7.elrepo.x86_64", [4, 16, 13], "elrepo", "el7", [1], "x86_64", True),   # seed 004
    ("6.6.8-1.el8.elrepo.x86_64", [6, 6, 8], "elrepo", "el8", [1], "x86_64", True),
    ("5.4.17-2136.330.7.el8uek.x86_64", [5, 4, 17], "uek", "el8", [2136, 330, 7], "x86_64", True),
    ("4.1.12-124.48.6.el7uek.x86_64", [4, 1, 12], "uek", "el7", [124, 48, 6], "x86_64", True),
    # Fedora, Amazon Linux, SUSE
    ("6.5.6-300.fc39.x86_64", [6, 5, 6], "fedora", None, [300], "x86_64", True),
    ("4.14.336-257.562.amzn2.x86_64", [4, 14, 336], "amzn", None, [257, 562], "x86_64", True),
    ("5.14.21-150400.24.97-default", [5, 14, 21], "suse", None, [150400, 24, 97], None, True),
    # Ubuntu: the ABI number, never the upstream patch level
    ("4.4.0-142-generic", [4, 4, 0], "ubuntu", None, [142], None, False),
    ("5.15.0-91-generic", [5, 15, 0], "ubuntu", None, [91], None, False),
    ("6.8.0-1008-aws", [6, 8, 0], "ubuntu", None, [1008], None, False),
    ("5.4.0-1100-azure", [5, 4, 0], "ubuntu", None, [1100], None, False),
    ("4.15.0-213-lowlatency", [4, 15, 0], "ubuntu", None, [213], None, False),
    ("6.8.0-40-generic-64k", [6, 8, 0], "ubuntu", None, [40], None, False),
    # Debian: ABI number and architecture flavour
    ("6.1.0-18-amd64", [6, 1, 0], "debian", None, [18], "x86_64", False),
    ("4.19.0-25-amd64", [4, 19, 0], "debian", None, [25], "x86_64", False),
    ("5.10.0-28-cloud-amd64", [5, 10, 0], "debian", None, [28], "x86_64", False),
    ("6.1.0-18-rt-arm64", [6, 1, 0], "debian", None, [18], "aarch64", False),
    ("3.16.0-6-686-pae", [3, 16, 0], "debian", None, [6], "i686", False),
    ("6.1.0-0.deb11.17-amd64", [6, 1, 0], "debian", None, [0, 17], "x86_64", False),   # bullseye-backports
    # RHEL 7 for ARM ("el7a") and CentOS Stream / Rocky respins
    ("4.14.0-115.el7a.aarch64", [4, 14, 0], "el7", "el7", [115], "aarch64", True),
    ("5.14.0-362.8.1.el9_3.0.1.x86_64", [5, 14, 0], "el9", "el9", [362, 8, 1], "x86_64", True),
    ("2.6.39-400.215.10.el6uek.x86_64", [2, 6, 39], "uek", "el6", [400, 215, 10], "x86_64", True),
    ("6.1.72-96.166.amzn2023.x86_64", [6, 1, 72], "amzn", None, [96, 166], "x86_64", True),
    # Proxmox and other vendor builds carry the real patch level: generic
    ("6.8.12-4-pve", [6, 8, 12], "generic", None, [], None, True),
    # Generic: upstream or self-built
    ("4.16.13", [4, 16, 13], "generic", None, [], None, True),
    ("4.2.5-gentoo", [4, 2, 5], "generic", None, [], None, True),                  # seed 003
    ("6.6.0-rc1", [6, 6, 0], "generic", None, [], None, True),
    ("6.6.8-arch1-1", [6, 6, 8], "generic", None, [], None, True),
    ("5.10", [5, 10, 0], "generic", None, [], None, True),
    ("6.18.44-fc-v769", [6, 18, 44], "generic", None, [], None, True),
    # Looks like Debian but patch level is not 0: self-built, not Debian.
    ("5.10.7-1-amd64", [5, 10, 7], "generic", None, [], None, True),
]


@pytest.mark.parametrize("release,version,flavour,base,distro_release,arch,patch_known", RELEASES)
def test_parse_kernel_release(release, version, flavour, base, distro_release, arch, patch_known):
    parsed = kr.parse_kernel_release(release)
    assert parsed["release"] == release
    assert parsed["version"] == version
    assert parsed["flavour"] == flavour
    assert parsed["base_flavour"] == base
    assert parsed["distro_release"] == distro_release
    assert parsed["arch"] == arch
    assert parsed["upstream_patch_known"] is patch_known
    assert parsed["flavour"] in kr.FLAVOURS


def test_distro_versions():
    assert kr.parse_kernel_release("4.18.0-553.el8_10.x86_64")["distro_version"] == 8
    assert kr.parse_kernel_release("6.5.6-300.fc39.x86_64")["distro_version"] == 39
    assert kr.parse_kernel_release("5.15.0-91-generic")["distro_version"] is None


@pytest.mark.parametrize("release", [
    "", "   ", "garbage", "linux-3.10", "v4.19", "3", "3.x.0", "Linux host 3.10.0-514.el7.x86_64 #1 SMP",
    "99999.1.1", "3.10.0-" + "9" * 300, None, b"\xff\xfe",
])
def test_malformed_releases(release):
    parsed = kr.parse_kernel_release(release)
    assert parsed["version"] is None
    assert parsed["flavour"] == "unknown"
    assert parsed["distro_release"] == []


def test_surrounding_whitespace_is_stripped():
    assert kr.parse_kernel_release(" 3.10.0-514.el7.x86_64\n")["flavour"] == "el7"


def test_huge_distro_number_does_not_break_parsing():
    parsed = kr.parse_kernel_release("3.10.0-12345678901234567890.el7.x86_64")
    assert parsed["flavour"] == "el7"
    assert parsed["distro_release"] == []


# ---------------------------------------------------------------- compare

@pytest.mark.parametrize("a,b,expected", [
    ("3.10.0-1160.el7.x86_64", "3.10.0-514.el7", 1),                 # the brief's example
    ("3.10.0-514.el7", "3.10.0-1160.el7.x86_64", -1),
    ("3.10.0-1160.119.1.el7.x86_64", "3.10.0-1160.el7.x86_64", 1),
    ("3.10.0-1160.el7.x86_64", "3.10.0-1160.el7.x86_64", 0),
    ("3.10.0-1160.el7.x86_64", "3.10.0-1160.el7", 0),                # arch does not matter
    ("4.18.0-553.el8_10.x86_64", "4.18.0-80.el8.x86_64", 1),
    ("5.15.0-91-generic", "5.15.0-100-generic", -1),
    ("6.1.0-18-amd64", "6.1.0-9-amd64", 1),
    ("6.1.0-18-amd64", "6.1.0-0.deb11.17-amd64", 1),                  # bookworm after bullseye-backports
    ("4.19.10", "4.19.9", 1),
    ("4.16.13-1.el7.elrepo.x86_64", "4.19.10", -1),                   # seed 004 vs the fix
    ("4.16.13-1.el7.elrepo.x86_64", "3.10.0-1160.el7.x86_64", 1),     # upstream decides first
    ("3.10.0-514.el7.x86_64", "4.4.0-142-generic", -1),
    # equal upstream, different distro lines: a build number says nothing across distros
    ("3.10.0-514.el7.x86_64", "3.10.0", None),
    ("4.16.13-1.el7.elrepo.x86_64", "4.16.13-1.el8.elrepo.x86_64", None),
    # Debian/Ubuntu vs others: only major.minor is known
    ("6.1.0-18-amd64", "6.1.76", None),
    ("6.1.0-18-amd64", "6.2.1", -1),
    ("5.15.0-91-generic", "5.4.17-2136.330.7.el8uek.x86_64", 1),
    ("5.15.0-91-generic", "5.15.0-18-amd64", None),
    # generic builds: -rcN before the release, unrelated suffixes unordered
    ("6.6.0-rc1", "6.6.0", -1),
    ("6.6.0-rc7", "6.6.0-rc1", 1),
    ("6.6.0", "6.6.0-rc7", 1),
    ("4.19.10", "4.19.10", 0),
    ("4.2.5-gentoo", "4.2.5-gentoo", 0),
    ("4.2.5-gentoo", "4.2.5", None),
    ("6.6.8-arch1-1", "6.6.8-gentoo", None),
    # malformed
    ("garbage", "3.10.0-514.el7", None),
    ("3.10.0-514.el7", "", None),
])
def test_compare_kernel_releases(a, b, expected):
    assert kr.compare_kernel_releases(a, b) == expected


def test_compare_is_antisymmetric():
    releases = [release for release, *_rest in RELEASES]
    for a in releases:
        for b in releases:
            forward = kr.compare_kernel_releases(a, b)
            backward = kr.compare_kernel_releases(b, a)
            if forward is None:
                assert backward is None
            else:
                assert forward == -backward


# ---------------------------------------------------------------- ranges

@pytest.mark.parametrize("version,introduced,fixed,expected", [
    ([4, 16, 13], [4, 2, 0], [4, 19, 10], True),     # seed 004: in the netns window
    ([4, 19, 10], [4, 2, 0], [4, 19, 10], False),    # fixed is exclusive
    ([4, 2, 0], [4, 2, 0], [4, 19, 10], True),       # introduced is inclusive
    ([4, 1, 99], [4, 2, 0], [4, 19, 10], False),
    ([2, 6, 32], None, [3, 18, 0], True),            # open start
    ([6, 1, 0], [4, 2], None, True),                 # open end, short bound padded
    ([3, 18], None, [3, 18, 0], False),
    (None, [1, 0, 0], None, None),
    ([3, "10", 0], None, None, None),
    ([3, 10, 0], "4.2", None, None),
    ([True, 1, 0], None, None, None),
])
def test_version_in_range(version, introduced, fixed, expected):
    assert kr.version_in_range(version, introduced, fixed) is expected
