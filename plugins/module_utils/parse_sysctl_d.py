# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the host's sysctl.d configuration asks for, with file and line.

The live value of a sysctl says what is; the configuration says what the
administrator wants. The two differ exactly when something (systemd-networkd
with ``IPv4Forwarding=no``, a script) turned forwarding off behind their back,
so the checks need both.

Semantics (sysctl.d(5), systemd-sysctl): files ``*.conf`` in
``/etc/sysctl.d``, ``/run/sysctl.d``, ``/usr/local/lib/sysctl.d``,
``/usr/lib/sysctl.d``, ``/lib/sysctl.d``; a file name in an earlier directory
hides the same name later; the survivors are applied in lexical order of file
name, so a later assignment wins. ``/etc/sysctl.conf`` (procps) is applied
last. ``key = value`` lines, ``#``/``;`` comments, a leading ``-`` (ignore
failures) is dropped, ``/`` and ``.`` separate key parts alike.

Sample input::

    {"/etc/sysctl.d/99-forward.conf": "net.ipv4.ip_forward = 1\\n"}
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import posixpath

# sysctl.d(5)'s directories: the one list of sources, capture_spec.
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.capture_spec import SYSCTL_CONF, SYSCTL_DIRS
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_proc import as_text


def normalise_key(key):
    """'net/ipv4/ip_forward' and 'net.ipv4.ip_forward' are the same key."""
    key = key.strip()
    if "/" in key and not key.startswith("/"):
        # systemd: with a '/' present, '/' separates and '.' is part of a name
        return ".".join(part for part in key.split("/"))
    return key


def configured_sysctls(files):
    """Effective configured values: ``{"settings": {key: {value, file, line}}, "files": [...], "problems": [...]}``.

    ``files`` maps host paths to text. Paths outside the known directories
    (other than /etc/sysctl.conf) are ignored.
    """
    problems = []
    settings = {}
    if not isinstance(files, dict):
        return {"settings": settings, "files": [], "problems": ["files: expected a mapping of path to text"]}
    by_name = {}
    for path in sorted(as_text(p) for p in files):
        directory, name = posixpath.split(path)
        if directory not in SYSCTL_DIRS or not name.endswith(".conf"):
            continue
        rank = SYSCTL_DIRS.index(directory)
        if name not in by_name or rank < by_name[name][0]:
            by_name[name] = (rank, path)
    order = [by_name[name][1] for name in sorted(by_name)]
    if SYSCTL_CONF in files:
        order.append(SYSCTL_CONF)
    for path in order:
        text = as_text(files.get(path))
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if "=" not in line:
                problems.append("%s:%d: no '=' in '%s'" % (path, number, line[:80]))
                continue
            key, value = line.split("=", 1)
            key = normalise_key(key.lstrip("-"))
            if not key:
                problems.append("%s:%d: empty key" % (path, number))
                continue
            settings[key] = {"value": value.strip(), "file": path, "line": number}
    return {"settings": settings, "files": order, "problems": problems}
