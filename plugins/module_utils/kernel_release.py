# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Distro-aware parsing and comparison of kernel release strings (``uname -r``).

A release string carries two things that matter for known kernel bugs: the
upstream version the kernel is built from, and the distribution's own build
number (the RHEL z-stream, the Ubuntu ABI number), which says how many fixes
were backported.  Only releases of the same distro line can be ordered by the
latter.

Sample input::

    3.10.0-1160.119.1.el7.x86_64
    4.16.13-1.el7.elrepo.x86_64
    5.15.0-91-generic
    6.1.0-18-amd64

>>> parse_kernel_release('3.10.0-1160.119.1.el7.x86_64')['distro_release']
[1160, 119, 1]
>>> compare_kernel_releases('3.10.0-1160.el7.x86_64', '3.10.0-514.el7')
1
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import as_text, lazy_compile

FLAVOURS = ('el6', 'el7', 'el8', 'el9', 'el10', 'elrepo', 'uek', 'fedora', 'amzn', 'suse',
            'ubuntu', 'debian', 'generic', 'unknown')

# RPM architecture suffixes (".x86_64") and Debian architecture flavours
# ("-amd64") with the uname machine name they stand for.
RPM_ARCHES = ('x86_64', 'i686', 'i586', 'i386', 'aarch64', 'ppc64le', 'ppc64', 's390x',
              'armv7hl', 'noarch', 'loongarch64', 'riscv64')
DEBIAN_ARCH_FLAVOURS = {
    'amd64': 'x86_64', 'arm64': 'aarch64', '686': 'i686', '686-pae': 'i686', '486': 'i486',
    'armmp': 'armv7l', 'armmp-lpae': 'armv7l', 'marvell': 'armv5tel', 'rpi': 'armv6l',
    'powerpc64le': 'ppc64le', 'powerpc64': 'ppc64', 's390x': 's390x', 'loong64': 'loongarch64',
    'riscv64': 'riscv64', 'mips64r2el': 'mips64', 'mips32r2el': 'mips', 'octeon': 'mips64',
    'loongson-3': 'mips64', '4kc-malta': 'mips', '5kc-malta': 'mips64', 'm68k': 'm68k',
    'sparc64': 'sparc64', 'parisc': 'parisc', 'parisc64': 'parisc64', 'alpha-generic': 'alpha',
}
# Debian prefixes its cloud and realtime builds: 5.10.0-28-cloud-amd64, 6.1.0-18-rt-amd64.
DEBIAN_VARIANTS = ('cloud', 'rt')
# Ubuntu flavours (the word after the ABI number); the first word decides.
UBUNTU_FLAVOURS = ('generic', 'lowlatency', 'aws', 'azure', 'gcp', 'gke', 'gkeop', 'kvm',
                   'oracle', 'raspi', 'raspi2', 'ibm', 'nvidia', 'oem', 'virtual', 'server',
                   'snapdragon', 'realtime', 'bluefield', 'intel', 'xilinx', 'fips', 'lts',
                   'hwe', 'euclid', 'starfive', 'riscv', 'allwinner', 'laptop', 'mtk')

_VERSION_RE = lazy_compile(r'^(?P<major>[0-9]{1,4})\.(?P<minor>[0-9]{1,4})(?:\.(?P<patch>[0-9]{1,6}))?(?P<rest>.*)$')
_EL_RE = lazy_compile(
    r'^-(?P<build>[0-9][0-9A-Za-z_.]*?)\.el(?P<el>[0-9]{1,2})a?(?:_(?P<minor>[0-9]{1,3}))?'
    r'(?P<uek>uek)?(?P<tail>(?:\.[A-Za-z0-9_]+)*)(?P<variant>\+[A-Za-z0-9_]+)?$')
_FEDORA_RE = lazy_compile(r'^-(?P<build>[0-9][0-9A-Za-z_.]*?)\.fc(?P<dist>[0-9]{1,3})(?P<tail>(?:\.[A-Za-z0-9_]+)*)$')
_AMZN_RE = lazy_compile(r'^-(?P<build>[0-9][0-9A-Za-z_.]*?)\.amzn(?P<dist>[0-9]{1,4})(?P<tail>(?:\.[A-Za-z0-9_]+)*)$')
# RPM distributions whose release is BUILD.<tag>N[.arch]: the flavour, and the pattern whose 'dist' is N.
_RPM_DISTRO_RES = (('fedora', _FEDORA_RE), ('amzn', _AMZN_RE))
# "-18-amd64", "-91-generic", and Debian backports "-0.deb11.17-amd64".
_DEB_UBUNTU_RE = lazy_compile(r'^-(?P<abi>[0-9]{1,6}(?:\.deb[0-9]{1,3}\.[0-9]{1,6})?)-(?P<word>[A-Za-z0-9][A-Za-z0-9_-]*)$')
_SUSE_RE = lazy_compile(r'^-(?P<build>[0-9]+(?:\.[0-9]+)+)-(?P<word>default|azure|rt|kvmsmall|64kb|vanilla|preempt)$')


def _leading_numbers(dotted):
    """Return the leading run of dot-separated integers: '1160.119.1' -> [1160, 119, 1], '372.9.1.rt7' -> [372, 9, 1]."""
    numbers = []
    for part in dotted.split('.'):
        if not re.match(r'^[0-9]{1,9}$', part):
            break
        numbers.append(int(part))
    return numbers


def _unknown(release):
    return {'release': release, 'version': None, 'flavour': 'unknown', 'base_flavour': None,
            'distro_release': [], 'distro_version': None, 'arch': None,
            'upstream_patch_known': False, 'extra': ''}


def _rpm_tail(result, tail):
    """Record arch and elrepo marker from an RPM tail like '.elrepo.x86_64' or '.centos.plus.x86_64'."""
    parts = [part for part in tail.split('.') if part]
    if parts and parts[-1] in RPM_ARCHES:
        result['arch'] = parts.pop()
    return parts


def parse_kernel_release(release):
    """Parse a kernel release string as ``uname -r`` prints it.

    Returns ``{"release": str, "version": [major, minor, patch] | None,
    "flavour": str, "base_flavour": str | None, "distro_release": [int],
    "distro_version": int | None, "arch": str | None,
    "upstream_patch_known": bool, "extra": str}``.

    ``flavour`` is one of ``FLAVOURS``: ``el6``..``el10`` (RHEL and rebuilds,
    ``.elN`` or ``.elN_M``), ``elrepo`` and ``uek`` (``base_flavour`` then holds
    the elN they are built for), ``fedora``, ``amzn``, ``suse``, ``ubuntu``,
    ``debian``, ``generic`` (anything else with a version, e.g. ``4.2.5-gentoo``),
    ``unknown`` (not a release string; ``version`` is None).
    ``distro_release`` holds the distribution's build numbers (RHEL z-stream
    ``[1160, 119, 1]``, Ubuntu/Debian ABI ``[142]``), ``[]`` when there are none.
    ``upstream_patch_known`` is False for Debian and Ubuntu, whose release
    string always says ``X.Y.0`` whatever upstream patch level was packaged.
    """
    release = as_text(release).strip()
    if not release or len(release) > 200 or any(char.isspace() for char in release):
        return _unknown(release[:200])
    match = _VERSION_RE.match(release)
    if not match:
        return _unknown(release)
    result = _unknown(release)
    result['version'] = [int(match.group('major')), int(match.group('minor')), int(match.group('patch') or 0)]
    result['flavour'] = 'generic'
    result['upstream_patch_known'] = True
    rest = match.group('rest')
    result['extra'] = rest

    el = _EL_RE.match(rest)
    if el:
        base = 'el%s' % el.group('el')
        result['distro_release'] = _leading_numbers(el.group('build'))
        result['distro_version'] = int(el.group('el'))
        tail = _rpm_tail(result, el.group('tail'))
        if el.group('uek'):
            result['flavour'], result['base_flavour'] = 'uek', base
        elif 'elrepo' in tail:
            result['flavour'], result['base_flavour'] = 'elrepo', base
        else:
            result['flavour'], result['base_flavour'] = base, base
        return result

    for flavour, pattern in _RPM_DISTRO_RES:
        rpm = pattern.match(rest)
        if rpm:
            result['flavour'] = flavour
            result['distro_release'] = _leading_numbers(rpm.group('build'))
            result['distro_version'] = int(rpm.group('dist'))
            _rpm_tail(result, rpm.group('tail'))
            return result

    suse = _SUSE_RE.match(rest)
    if suse:
        result['flavour'] = 'suse'
        result['distro_release'] = _leading_numbers(suse.group('build'))
        return result

    deb = _DEB_UBUNTU_RE.match(rest)
    if deb and result['version'][2] == 0:
        word = deb.group('word')
        variant, _sep, arch_word = word.partition('-')
        if word in DEBIAN_ARCH_FLAVOURS or (variant in DEBIAN_VARIANTS and arch_word in DEBIAN_ARCH_FLAVOURS):
            result['flavour'] = 'debian'
            result['arch'] = DEBIAN_ARCH_FLAVOURS[word if word in DEBIAN_ARCH_FLAVOURS else arch_word]
        elif word.split('-')[0] in UBUNTU_FLAVOURS:
            result['flavour'] = 'ubuntu'
        else:
            return result
        # Backports: 0.deb11.17 -> [0, 17]; the "deb11" names the target release.
        result['distro_release'] = [int(part) for part in deb.group('abi').split('.') if part.isdigit()]
        result['upstream_patch_known'] = False
        return result

    # Generic builds may still end in an RPM arch ("5.10.0.x86_64").
    tail = rest.rsplit('.', 1)
    if len(tail) == 2 and tail[1] in RPM_ARCHES:
        result['arch'] = tail[1]
    return result


def _cmp(a, b):
    return (a > b) - (a < b)


def compare_kernel_releases(a, b):
    """Compare two kernel release strings.

    Returns -1 if ``a`` is older than ``b``, 0 if they are the same build, 1
    if ``a`` is newer, or None when they cannot be ordered.

    The rule: upstream versions are compared first.  When either side is a
    Debian/Ubuntu release (its ``.0`` says nothing about the upstream patch
    level) and the flavours differ, only major.minor is compared.  When the
    upstream versions are equal, releases of the same flavour (and the same
    base, e.g. two el7 kernels) are ordered by their distro build numbers
    (``3.10.0-1160.el7`` is newer than ``3.10.0-514.el7``); different flavours
    then give None, because a distro build number says nothing about another
    distro's backports.  Two generic builds of one upstream version are equal
    only with the same suffix; ``-rcN`` comes before the release; other
    suffixes give None.  A malformed release gives None.
    """
    left = parse_kernel_release(a)
    right = parse_kernel_release(b)
    if left['version'] is None or right['version'] is None:
        return None
    same_line = (left['flavour'] == right['flavour'] and left['base_flavour'] == right['base_flavour'])
    if not same_line and not (left['upstream_patch_known'] and right['upstream_patch_known']):
        upstream = _cmp(left['version'][:2], right['version'][:2])
        return upstream or None
    upstream = _cmp(left['version'], right['version'])
    if upstream:
        return upstream
    if not same_line:
        return None
    if left['flavour'] == 'generic':
        return _compare_generic_builds(left['extra'], right['extra'])
    return _cmp(left['distro_release'], right['distro_release'])


_RC_RE = lazy_compile(r'^-rc([0-9]{1,4})$')


def _compare_generic_builds(left_extra, right_extra):
    """Order two generic builds of one upstream version by their suffixes.

    ``-rcN`` is a release candidate, older than the release and ordered by N;
    the same suffix is the same build; any other pair of suffixes
    ("-gentoo" and "-arch1-1") comes from different builders and gives None.
    """
    if left_extra == right_extra:
        return 0
    left_rc = _RC_RE.match(left_extra)
    right_rc = _RC_RE.match(right_extra)
    if left_rc and right_rc:
        return _cmp(int(left_rc.group(1)), int(right_rc.group(1)))
    if left_rc and not right_extra:
        return -1
    if right_rc and not left_extra:
        return 1
    return None


def _as_version(value):
    """Return ``value`` as a [major, minor, patch] list of ints, or None."""
    if isinstance(value, (list, tuple)) and 1 <= len(value) <= 3:
        if all(isinstance(part, int) and not isinstance(part, bool) for part in value):
            return list(value) + [0] * (3 - len(value))
    return None


def version_in_range(version, introduced, fixed):
    """Return whether upstream ``version`` lies in [``introduced``, ``fixed``).

    All three are [major, minor, patch] lists (shorter lists are padded with
    zeros).  ``introduced`` is inclusive, ``fixed`` exclusive; either may be
    None for an open end.  Returns None when ``version`` or a given bound is
    not such a list.
    """
    current = _as_version(version)
    if current is None:
        return None
    low = _as_version(introduced) if introduced is not None else None
    high = _as_version(fixed) if fixed is not None else None
    if (introduced is not None and low is None) or (fixed is not None and high is None):
        return None
    if low is not None and current < low:
        return False
    if high is not None and current >= high:
        return False
    return True
