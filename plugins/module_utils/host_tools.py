# -*- coding: utf-8 -*-
# Copyright: nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which package brings each command the remediation roles run on a managed host.

One table, used by the ``require_commands`` module that every role calls
first on a live host, so a missing tool reads "modinfo not found: install
kmod" instead of Ansible's raw ``[Errno 2] No such file or directory``.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type  # noqa: UP001 - Python 2.7 still runs this file

import os

# command -> (Debian/Ubuntu package, RHEL/Fedora/SUSE package)
PACKAGES = {
    "modinfo": ("kmod", "kmod"),
    "modprobe": ("kmod", "kmod"),
    "lsmod": ("kmod", "kmod"),
    "sysctl": ("procps", "procps-ng"),
    "ip": ("iproute2", "iproute"),
    "iptables": ("iptables", "iptables"),
    "iptables-save": ("iptables", "iptables"),
    "conntrack": ("conntrack", "conntrack-tools"),
    "systemctl": ("systemd", "systemd"),
    "networkctl": ("systemd (systemd-networkd on Debian 13+)", "systemd-networkd"),
    "udevadm": ("udev", "systemd-udev"),
}

# Besides PATH: where these tools live on hosts whose non-login PATH lacks sbin (RHEL 7 sudo, cron).
EXTRA_DIRS = ["/sbin", "/usr/sbin", "/usr/local/sbin", "/bin", "/usr/bin"]


def find_command(command, path_env=None, extra_dirs=None):
    """Full path of the executable ``command`` on ``path_env`` then ``extra_dirs``, or None."""
    if path_env is None:
        path_env = os.environ.get("PATH", "")
    directories = [d for d in path_env.split(os.pathsep) if d]
    directories += [d for d in (EXTRA_DIRS if extra_dirs is None else extra_dirs) if d not in directories]
    for directory in directories:
        candidate = os.path.join(directory, command)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def install_hint(command):
    """How to get ``command``, for an error message."""
    debian, rhel = PACKAGES.get(command, (None, None))
    if debian is None:
        return "install the package that provides it"
    if debian == rhel:
        return "install %s" % debian
    return "install %s (Debian/Ubuntu) or %s (RHEL/Fedora)" % (debian, rhel)


def missing_message(missing, purpose=None):
    """One sentence naming every missing command and the package that brings it."""
    parts = ["%s not found: %s" % (command, install_hint(command)) for command in missing]
    message = "; ".join(parts)
    if purpose:
        message = "%s (needed to %s)" % (message, purpose)
    return message
