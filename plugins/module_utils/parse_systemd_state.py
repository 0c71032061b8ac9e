# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parsers for what a sosreport says about systemd: its version and its running units.

sos never runs ``systemctl --version``; the version is the ``Version=`` line
of ``systemctl show --all`` (the manager's own properties come first) and
the systemd package in ``installed-rpms`` / ``installed-debs``. Whether
systemd-networkd runs is in ``systemctl list-units`` (sos copies no
/run/systemd/netif).

Sample input (``systemctl show --all``, Ubuntu 20.04)::

    Version=245.4-4ubuntu3.15
    Features=+PAM +AUDIT +SELINUX ...

>>> parse_systemctl_show_version("Version=245.4-4ubuntu3.15\\n")["major"]
245
>>> parse_package_version("systemd-219-78.el7_9.7.x86_64   Tue 01 Mar 2022", "systemd", "rpm")["major"]
219
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import excerpt, lazy_compile, lines_of

_MAJOR_RE = lazy_compile(r'^v?([0-9]{2,4})(?:[.~\-+_]|$)')


def _major(version):
    match = _MAJOR_RE.match(version or '')
    return int(match.group(1)) if match else None


def parse_systemctl_show_version(text):
    """The manager's ``Version=`` from ``systemctl show --all``.

    Returns ``{"version": str|None, "major": int|None, "problems": [str]}``.
    Only the first ``Version=`` counts: later blocks (``systemctl show *service``)
    describe units, which have no such property.
    """
    for line in lines_of(text):
        if line.startswith('Version='):
            version = line[len('Version='):].strip()
            major = _major(version)
            problems = [] if major is not None else ['Version= is not a systemd version: %s' % excerpt(version)]
            return {'version': version or None, 'major': major, 'problems': problems}
    return {'version': None, 'major': None,
            'problems': ['no Version= line (not a systemctl show output?)'] if lines_of(text) else []}


_RPM_RE = lazy_compile(r'^(?P<name>[A-Za-z0-9_.+\-]+?)-(?P<version>[0-9][^-\s]*)-(?P<release>[^\s]+?)'
                       r'(?:\.(?P<arch>x86_64|noarch|i686|aarch64|ppc64le|s390x|ppc64|armv7hl))?(?:\s|$)')


def parse_package_version(text, package, kind):
    """Version of ``package`` in ``installed-rpms`` (kind "rpm") or ``installed-debs`` / ``dpkg -l`` ("deb").

    installed-rpms lines are ``NAME-VERSION-RELEASE.ARCH  install date``;
    dpkg -l lines are ``ii  NAME[:arch]  VERSION  ARCH  description`` and only
    ``ii`` / ``hi`` (installed) rows count. Returns ``{"version": str|None,
    "major": int|None, "problems": [str]}``.
    """
    for line in lines_of(text):
        fields = line.split()
        if not fields:
            continue
        if kind == 'deb':
            if len(fields) < 3 or fields[0] not in ('ii', 'hi', 'iU', 'iF'):
                continue
            if fields[1].split(':', 1)[0] == package:
                return {'version': fields[2], 'major': _major(fields[2].split(':')[-1]), 'problems': []}
            continue
        match = _RPM_RE.match(fields[0] + ' ')
        if match and match.group('name') == package:
            version = '%s-%s' % (match.group('version'), match.group('release'))
            return {'version': version, 'major': _major(match.group('version')), 'problems': []}
    return {'version': None, 'major': None, 'problems': []}


def parse_systemctl_list_units(text):
    """Units of ``systemctl list-units`` -> ``{"units": {name: {"load", "active", "sub"}}, "problems": []}``.

    Lines may start with the ``●`` failed-unit marker; the legend after the
    first blank line and the header are skipped.
    """
    units, problems = {}, []
    for number, line in enumerate(lines_of(text), 1):
        fields = line.replace(u'\u25cf', ' ').replace('*', ' ', 1).split()
        if not fields:
            continue
        if fields[0] == 'UNIT' or fields[0] in ('LOAD', 'ACTIVE', 'SUB') or fields[0].endswith('='):
            continue
        if '.' not in fields[0] or len(fields) < 4:
            if re.match(r'^[0-9]+ loaded units listed', line.strip()):
                break
            continue
        if fields[1] not in ('loaded', 'not-found', 'masked', 'error', 'bad-setting', 'stub', 'merged'):
            problems.append('line %d: not a unit line: %s' % (number, excerpt(line)))
            continue
        units[fields[0]] = {'load': fields[1], 'active': fields[2], 'sub': fields[3]}
    return {'units': units, 'problems': problems}
