# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parser for ``ethtool -k DEV`` (``--show-features``) output.

ethtool 3.4+ (ETHTOOL_GFEATURES) prints every feature of the kernel's
``netdev_features_strings`` table, sub-features indented (a tab; some builds
and copies show spaces), with ``[fixed]`` for a feature the driver cannot
change and ``[requested on]`` when the user asked for it but a dependency
keeps it off. Older ethtool printed only the grouped names
(``tx-checksumming: on``); then ``tx-checksum-ip-generic`` is absent and the
reader says so rather than guessing.

Sample input (a flannel.1 VXLAN device, kernel 3.10)::

    Features for flannel.1:
    rx-checksumming: on
    tx-checksumming: on
            tx-checksum-ipv4: off [fixed]
            tx-checksum-ip-generic: on
    tcp-segmentation-offload: off
            tx-tcp-segmentation: off [requested on]

>>> parse_ethtool_features("Features for flannel.1:\\ntx-checksumming: on\\n\\ttx-checksum-ip-generic: on")["features"][
...     "tx-checksum-ip-generic"]["state"]
'on'
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import excerpt, lazy_compile, lines_of

_HEADER_RE = lazy_compile(r'^Features for (?P<device>\S+?):\s*$')
_FEATURE_RE = lazy_compile(r'^(?P<indent>\s*)(?P<name>[a-z0-9][a-z0-9_-]*):\s+(?P<state>on|off)'
                           r'(?:\s+\[(?P<note>[^\]]*)\])?\s*$')
# What older ethtool and unsupported ioctls print instead of a feature line.
_SKIPPED_RE = lazy_compile(r'^(Cannot get|Offload parameters for|no offload info available)', re.IGNORECASE)
MAX_FEATURES = 256


def parse_ethtool_features(text):
    """Parse ``ethtool -k DEV``.

    Returns ``{"device": str|None, "features": {name: {"state": "on"|"off",
    "fixed": bool, "requested": "on"|"off"|None, "line": int, "text": str,
    "parent": str|None}}, "problems": [str]}``. ``parent`` names the group a
    sub-feature is listed under (``tx-checksumming`` for
    ``tx-checksum-ip-generic``). Never raises; lines it does not know become
    ``problems``.
    """
    device, features, problems = None, {}, []
    parent = None
    for number, raw in enumerate(lines_of(text), 1):
        line = raw.rstrip()
        if not line.strip():
            continue
        header = _HEADER_RE.match(line.strip())
        if header:
            if device is None:
                device = header.group('device')
            else:
                problems.append('line %d: a second device (%s); only %s is read' % (
                    number, header.group('device'), device))
                break
            continue
        if _SKIPPED_RE.match(line.strip()):
            continue
        match = _FEATURE_RE.match(line)
        if not match:
            problems.append('line %d: not a feature line: %s' % (number, excerpt(line)))
            continue
        if len(features) >= MAX_FEATURES:
            problems.append('more than %d features; the rest is not read' % MAX_FEATURES)
            break
        note = match.group('note') or ''
        indented = bool(match.group('indent'))
        if not indented:
            parent = match.group('name')
        requested = note.split()[-1] if note.startswith('requested') and note.split()[-1] in ('on', 'off') else None
        features[match.group('name')] = {
            'state': match.group('state'), 'fixed': note == 'fixed', 'requested': requested,
            'line': number, 'text': line.strip(), 'parent': parent if indented else None}
    if device is None and not features:
        problems.append('no "Features for DEV:" header and no feature lines')
    return {'device': device, 'features': features, 'problems': problems}
