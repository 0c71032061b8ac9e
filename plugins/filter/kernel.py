# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel release filters: parse and compare ``uname -r`` strings per distro line.

``'3.10.0-1160.el7.x86_64' | nfdoctor.netfilter.kernel_newer('3.10.0-514.el7')``
is true because both are el7 builds of the same upstream version and 1160 is
the later z-stream; a plain string or version comparison gets such pairs
wrong.  The rules live in ``plugins/module_utils/kernel_release.py``, shared
with the audit module, so the controller and the hosts judge alike.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.six import string_types

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.kernel_release import (
    compare_kernel_releases,
    parse_kernel_release,
)


def _release_text(value, filter_name, argument):
    """Return the release string of ``value`` (a string, or a facts/parse dict with ``release``)."""
    if isinstance(value, Mapping) and isinstance(value.get('release'), string_types):
        return value['release']
    if isinstance(value, string_types):
        return value
    raise AnsibleFilterError(
        "%s: %s must be a kernel release string such as '3.10.0-1160.el7.x86_64' (or a dict with a "
        "'release' key, like ansible_facts.nfdoctor.kernel), got %s %r; quote versions in YAML so "
        "4.10 does not become the number 4.1" % (filter_name, argument, type(value).__name__, value))


def kernel_release(release):
    """Parse a kernel release string (see parse_kernel_release in module_utils/kernel_release.py)."""
    return parse_kernel_release(_release_text(release, 'kernel_release', 'the input'))


def kernel_compare(a, b):
    """Return -1, 0 or 1 as kernel release ``a`` is older, the same or newer than ``b``; None if not comparable."""
    return compare_kernel_releases(_release_text(a, 'kernel_compare', 'the input'),
                                   _release_text(b, 'kernel_compare', 'the argument'))


def kernel_newer(a, b):
    """Return whether kernel release ``a`` is newer than ``b``; raise when the two cannot be ordered."""
    left = _release_text(a, 'kernel_newer', 'the input')
    right = _release_text(b, 'kernel_newer', 'the argument')
    order = compare_kernel_releases(left, right)
    if order is not None:
        return order > 0
    for text in (left, right):
        if parse_kernel_release(text)['version'] is None:
            raise AnsibleFilterError("kernel_newer: %r is not a kernel release (expected something like "
                                     "'3.10.0-1160.el7.x86_64' or '5.15.0-91-generic')" % (text,))
    parsed_left = parse_kernel_release(left)
    parsed_right = parse_kernel_release(right)
    raise AnsibleFilterError(
        "kernel_newer: %r (%s) and %r (%s) cannot be ordered: they share the upstream version as far as the "
        "release strings tell, and a distribution's build number says nothing about another distribution's "
        "backports (Debian and Ubuntu releases show only major.minor). Use kernel_compare, which returns "
        "None in this case, to handle it yourself."
        % (left, parsed_left['flavour'], right, parsed_right['flavour']))


class FilterModule(object):
    """nfdoctor kernel release filters."""

    def filters(self):
        return {
            'kernel_release': kernel_release,
            'kernel_compare': kernel_compare,
            'kernel_newer': kernel_newer,
        }
