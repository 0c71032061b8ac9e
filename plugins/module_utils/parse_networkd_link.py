# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``[Link] Unmanaged=`` setting of a systemd-networkd .network file and its drop-ins.

systemd.network(5): ``Unmanaged=yes`` makes networkd leave every matching
link alone (no addresses, routes, DHCP or sysctls); the last assignment in
the file, then in its drop-ins in lexical order, wins. Section names are
case-sensitive, keys too; values are booleans (yes/true/on/1, no/false/off/0).

Sample input::

    [("/etc/systemd/network/00-veth.network",
      "[Match]\\nName=veth*\\n\\n[Link]\\nUnmanaged=yes\\n")]
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import as_text

TRUE_WORDS = ("yes", "true", "on", "1")
FALSE_WORDS = ("no", "false", "off", "0")


def link_unmanaged(read):
    """``{"value": bool, "file", "line", "text"}`` of the winning Unmanaged= in ``read``, or None.

    ``read`` is a list of (path, text) in the order networkd reads them (the
    file, then its drop-ins). An empty ``Unmanaged=`` resets to the default
    (managed); a value that is no boolean is skipped, as networkd does (it
    logs and ignores the line).
    """
    found = None
    for path, text in read or []:
        section = None
        for number, raw in enumerate(as_text(text).splitlines(), 1):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1].strip()
                continue
            if section != "Link" or "=" not in line:
                continue
            key, value = line.split("=", 1)
            if key.strip() != "Unmanaged":
                continue
            word = value.strip().lower()
            if word == "":
                found = None
            elif word in TRUE_WORDS or word in FALSE_WORDS:
                found = {"value": word in TRUE_WORDS, "file": path, "line": number, "text": line}
    return found
