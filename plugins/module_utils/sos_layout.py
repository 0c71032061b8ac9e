# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where each fact lives: live host, our capture, real sos 3.x and sos 4.x.

All names below were read from the sos source (github.com/sosreport/sos),
plugin files ``sos/plugins/*.py`` (3.x) and ``sos/report/plugins/*.py``
(4.x), at the tags named in each entry. A real sosreport never holds
``iptables-save``, ``systemctl --version``, ``/sys/class/net/X/bridge`` or
``/proc/PID/stat``; the audit must read what sos does write, and say which
file it read, so "no NAT rules" can be told from "not collected".

Pure data and pure functions: nothing here reads a file.

>>> sos_command_name("iptables -t nat -nvL")
'iptables_-t_nat_-nvL'
>>> sos_command_name("ps axo flags,state,uid,pid,ppid,pgid,sid,cls,pri,addr,sz,wchan:20,lstart,tty,time,cmd")
'ps_axo_flags_state_uid_pid_ppid_pgid_sid_cls_pri_addr_sz_wchan_20_lstart_tty_time_cmd'
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import re

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import as_text, lines_of, TEXT_TYPES

# sos's archive name limit: os.pathconf(PC_NAME_MAX) of its temp dir, 255 on
# every Linux file system it runs on (sos/archive.py FileCacheArchive.name_max).
SOS_NAME_MAX = 255


def sos_command_name(command, name_max=SOS_NAME_MAX):
    """The file name sos gives a command's output under sos_commands/<plugin>/.

    Exactly ``_mangle_command`` of sos/report/plugins/__init__.py (identical at
    tags 3.9, 4.0, 4.5.0, 4.6.1 and HEAD 5c7e63ee; 3.x: sos/plugins/__init__.py):
    a leading /bin/, /sbin/, /usr/bin/ or /usr/sbin/ is dropped, each run of
    characters outside ``[\\w\\-./]`` becomes one ``_``, ``/`` becomes ``.``,
    spaces, dots, underscores and dashes are stripped at both ends, and the
    name is cut at ``name_max``. (sos appends ``.1``, ``.2`` on collisions;
    none of the commands the audit reads collide.)
    ``command`` may be a string or an argv list (joined by spaces).
    """
    if isinstance(command, (list, tuple)):
        command = " ".join(as_text(part) for part in command)
    name = re.sub(r"^/(usr/|)(bin|sbin)/", "", as_text(command))
    name = re.sub(r"[^\w\-\./]+", "_", name)
    name = re.sub(r"/", ".", name).strip(" ._-")
    return name[0:name_max]


# ---------------------------------------------------------------- layouts
LIVE = "live"
CAPTURE = "capture"
SOS3 = "sos 3.x"
SOS4 = "sos 4.x"

# iptables tables sos lists when /proc/net/ip_tables_names cannot be read
# (networking.py 3.9, firewall_tables.py 4.1).
SOS_DEFAULT_TABLES = ("nat", "mangle", "filter")
IPTABLES_TABLES = ("raw", "mangle", "nat", "filter", "security")

# One row per fact family: where it lives in each layout, and since which
# sos version. ``sos`` entries are (file under the report root, first sos
# version that writes it, last version or None, note).
FACT_LOCATIONS = {
    "netfilter_rules": {
        LIVE: ["iptables-save -t <table> (tables in /proc/net/ip_tables_names)", "nft list ruleset"],
        CAPTURE: ["sos_commands/networking/iptables-save", "sos_commands/networking/nft_list_ruleset"],
        "sos": [
            ("sos_commands/networking/iptables_-t_<table>_-nvL", "3.0", "4.0",
             "only for tables whose iptable_<table> module is loaded"),
            ("sos_commands/networking/iptables_-vnxL", "3.3", "4.0", "filter table, exact counters"),
            ("sos_commands/firewall_tables/iptables_-t_<table>_-nvL", "4.1", None,
             "from 4.3 only for tables seen in nft output: a legacy-only host may have none"),
            ("sos_commands/firewall_tables/iptables_-vnxL", "4.1", None, "filter table"),
            ("sos_commands/networking/nft_list_ruleset", "3.4", "4.0", ""),
            ("sos_commands/firewall_tables/nft_list_ruleset", "4.1", "4.6.0", ""),
            ("sos_commands/firewall_tables/nft_-a_list_ruleset", "4.6.1", None,
             "commit e74122e3 [firewall_tables] Gather nft rule handle numbers"),
        ],
    },
    "systemd_version": {
        LIVE: ["libsystemd-shared-<version>.so", "systemctl --version", "networkctl --version"],
        CAPTURE: ["sos_commands/systemd/systemctl_--version"],
        "sos": [
            ("sos_commands/systemd/systemctl_show_--all", "3.0", None, "Version=245.4-4ubuntu3.15"),
            ("installed-rpms", "3.0", None, "systemd-219-78.el7.x86_64 (rpm plugin root symlink)"),
            ("installed-debs", "3.0", None, "dpkg -l (dpkg plugin root symlink)"),
        ],
    },
    "networkd_running": {
        LIVE: ["/run/systemd/netif/links/*"],
        CAPTURE: ["/run/systemd/netif/links/*"],
        "sos": [
            ("sos_commands/systemd/systemctl_list-units", "3.0", None, "systemd-networkd.service ... running"),
            ("sos_commands/networking/networkctl_status_-a", "4.2", None, ""),
        ],
    },
    "bridges": {
        LIVE: ["/sys/class/net/<if>/bridge", "/sys/class/net/<if>/brif/*"],
        CAPTURE: ["/sys/class/net/<if>/bridge/bridge_id", "/sys/class/net/<if>/brif/*"],
        "sos": [
            ("sos_commands/networking/ip_-d_address", "3.5", None, "'bridge' detail line, 'master BR'"),
            ("sos_commands/networking/ip_-s_-d_link", "3.5", None, "same, with counters"),
            ("sos_commands/networking/ip_link", "3.0", "3.4", "no kinds: only 'master BR'"),
            ("sos_commands/networking/brctl_show", "3.0", "3.6", ""),
        ],
    },
    "processes": {
        LIVE: ["/proc/<pid>/stat", "/proc/<pid>/stack", "/proc/<pid>/cmdline", "/proc/<pid>/wchan"],
        CAPTURE: ["/proc/<pid>/stat", "/proc/<pid>/stack", "/proc/<pid>/cmdline", "/proc/<pid>/wchan"],
        "sos": [
            ("sos_commands/process/ps_axo_flags_state_uid_pid_ppid_pgid_sid_cls_pri_addr_sz_wchan_stime_tty_time_cmd",
             "3.5", "3.5", "no start date"),
            ("sos_commands/process/ps_axo_flags_state_uid_pid_ppid_pgid_sid_cls_pri_addr_sz_wchan_lstart_tty_time_cmd",
             "3.6", "3.8", ""),
            ("sos_commands/process/ps_axo_flags_state_uid_pid_ppid_pgid_sid_cls_pri_addr_sz_wchan_20_lstart_tty_time_cmd",
             "3.9", "4.7.0", ""),
            ("sos_commands/process/"
             "ps_axo_flags_state_uid_pid_ppid_pgid_sid_cls_pri_psr_addr_sz_wchan_20_lstart_tty_time_cmd",
             "4.7.1", None, "commit 303446bd [process] ps output to collect also psr column"),
            ("/proc/<pid>/status", "4.2", None, "first 2048 processes; also stack, limits, oom_*; never stat, "
             "cmdline or wchan"),
        ],
    },
    "namespaces": {
        LIVE: ["/run/netns", "/var/run/netns"],
        CAPTURE: ["/run/netns", "/var/run/netns"],
        "sos": [
            ("sos_commands/networking/ip_netns", "3.2", None, "'name (id: N)' lines"),
            ("sos_commands/networking/namespaces/<ns>/", "4.3", None, "per-namespace outputs (commit 9118562c)"),
        ],
    },
    "modprobe_vendor_dirs": {
        LIVE: ["/lib/modprobe.d", "/usr/lib/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d"],
        CAPTURE: ["/lib/modprobe.d", "/usr/lib/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d"],
        "sos": [
            ("/etc/modprobe.d", "3.0", None, ""),
            ("/lib/modprobe.d, /run/modprobe.d, /usr/local/lib/modprobe.d", "4.5.0", None, "commit 77b224d2"),
        ],
    },
}

PS_AXO_PREFIX = "ps_axo_flags_state_uid_pid_ppid_pgid_sid_cls_pri_"


def sos_files(family):
    """The sos file names (with ``<table>`` placeholders) a fact family may be read from, newest first."""
    rows = FACT_LOCATIONS.get(family, {}).get("sos", [])
    return [row[0] for row in reversed(rows)]


def first_sos_version(family, name):
    """The sos version that first writes ``name`` for ``family``, or None."""
    for row in FACT_LOCATIONS.get(family, {}).get("sos", []):
        if row[0] == name or row[0].endswith("/" + name):
            return row[1]
    return None


def iptables_listing_names(family, tables):
    """sos_commands file names of ``iptables -t T -nvL`` (and ``-vnxL``) for ``family``, in reading order.

    ``family`` is "ipv4" or "ipv6"; the plugin directory is not part of the
    name: the data source looks a name up in every sos_commands/*/ directory.
    """
    tool = "iptables" if family == "ipv4" else "ip6tables"
    names = [(table, sos_command_name([tool, "-t", table, "-nvL"])) for table in tables]
    names.append(("filter", sos_command_name([tool, "-vnxL"])))
    return names


def _version_key(text):
    return tuple(int(part) for part in re.findall(r"[0-9]+", text or "")[:3])


def version_at_least(version, minimum):
    """True when the sos version string ``version`` is ``minimum`` or later; None when unknown."""
    if not version or not re.match(r"^[0-9]", version):
        return None
    return _version_key(version) >= _version_key(minimum)


def parse_sos_version(version_txt=None, manifest_json=None):
    """The sos version of a report: from sos_reports/manifest.json (4.x) or version.txt.

    version.txt holds ``sosreport: 3.9`` (3.x, sos/sosreport.py) or
    ``sos report: 4.5.0`` (4.x, sos/report/__init__.py); the manifest has
    ``"version": "4.5.0"`` at its top. Returns ``{"version": str|None,
    "source": str|None, "problems": [str]}``; never raises.
    """
    problems = []
    if manifest_json:
        try:
            data = json.loads(as_text(manifest_json))
        except (ValueError, TypeError) as exc:
            problems.append("sos_reports/manifest.json: not JSON (%s)" % exc)
            data = None
        if isinstance(data, dict) and isinstance(data.get("version"), TEXT_TYPES):
            return {"version": data["version"], "source": "sos_reports/manifest.json", "problems": problems}
        if data is not None:
            problems.append("sos_reports/manifest.json: no version field")
    for line in lines_of(version_txt):
        match = re.match(r"^sos(?:report| report):\s*([0-9][0-9A-Za-z.\-+]*)\s*$", line.strip())
        if match:
            return {"version": match.group(1), "source": "version.txt", "problems": problems}
    if version_txt:
        problems.append("version.txt: no 'sosreport:' or 'sos report:' line")
    return {"version": None, "source": None, "problems": problems}
