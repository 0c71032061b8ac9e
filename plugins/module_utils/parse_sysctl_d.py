# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sysctl: the live values (/proc/sys, ``sysctl -a``) and what the sysctl.d configuration asks for.

The live value of a sysctl says what is; the configuration says what the
administrator wants. The two differ exactly when something (systemd-networkd
with ``IPv4Forwarding=no``, a script) turned forwarding off behind their back,
so the checks need both.

Semantics (sysctl.d(5), systemd-sysctl): files ``*.conf`` in
``/etc/sysctl.d``, ``/run/sysctl.d``, ``/usr/local/lib/sysctl.d``,
``/usr/lib/sysctl.d``, ``/lib/sysctl.d``; a file name in an earlier directory
hides the same name later, a /dev/null link or empty file masks it; the
survivors are applied in lexical order of file name, so a later assignment
wins (the precedence is ``dropins.SYSCTL_D_RULES``). ``/etc/sysctl.conf``
(procps) is applied last. ``key = value`` lines, ``#``/``;`` comments, a leading ``-`` (ignore
failures) is dropped, ``/`` and ``.`` separate key parts alike.

Sample input::

    {"/etc/sysctl.d/99-forward.conf": "net.ipv4.ip_forward = 1\\n"}
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

# sysctl.d(5)'s directories: the one list of sources, capture_spec; their precedence: dropins.
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import dropins
# SYSCTL_DIRS is re-exported under the name callers use.
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.capture_spec import (  # pylint: disable=unused-import
    SYSCTL_CONF,
    SYSCTL_DIRS,  # noqa: F401
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import as_text, lines_of, to_int


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
    files = dict((as_text(p), t) for p, t in files.items())
    dropin_files = dict((p, t) for p, t in files.items() if p != SYSCTL_CONF)
    order = dropins.resolve(dropins.kinds_from_texts(dropin_files), dropins.SYSCTL_D_RULES)["read"]
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


# --------------------------------------------------------------------------
# Live values: /proc/sys and `sysctl -a`
# --------------------------------------------------------------------------

def parse_sysctl_value(text):
    """Return the first integer of a /proc/sys value ("1\\n", "32768\\t60999"), or None."""
    fields = as_text(text).split()
    if not fields:
        return None
    return to_int(fields[0])


def parse_sysctl_a(text):
    """Parse ``sysctl -a`` output (``net.ipv4.conf.eth0.forwarding = 1`` per line).

    Returns ``{key: value_str}``; values keep inner whitespace (tabs in
    ``net.ipv4.ip_local_port_range``) but lose the surrounding blanks.
    Error lines (``sysctl: permission denied on key ...``) are skipped.
    Keys appear as sysctl prints them: an interface ``eth0.100`` shows up as
    ``net.ipv4.conf.eth0/100.forwarding``.
    """
    values = {}
    for line in lines_of(text):
        if ' = ' not in line and not line.rstrip().endswith(' ='):
            continue
        key, _sep, value = line.partition(' =')
        key = key.strip()
        if not key or ' ' in key or key.startswith('sysctl:'):
            continue
        values[key] = value.strip()
    return values
