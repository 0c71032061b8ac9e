# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where every fact the audit reads lives on a host: the one list of them.

``host_source`` reads these paths and runs these commands on a live host;
``playbooks/capture.yml`` renders its POSIX shell collector from the same
lists, so a captured tree always holds what the module will look for.

Paths are host paths and may contain shell globs. ``{release}`` stands for the
running kernel release. Commands are stored the way sosreport stores them:
``sos_commands/<plugin>/<argv joined by '_'>``.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fnmatch

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.sos_layout import sos_command_name

# Drop-in directories in the order their readers search them (kmod's modprobe.d(5),
# systemd's modules-load.d(5)); the parsers take their precedence from these.
MODPROBE_DIRS = (
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/usr/lib/modprobe.d",
    "/lib/modprobe.d",
)
# Read only by module-init-tools (RHEL 6 and older); kmod ignores it.
LEGACY_MODPROBE_CONF = "/etc/modprobe.conf"
MODPROBE_CONF_GLOBS = tuple(d + "/*.conf" for d in MODPROBE_DIRS) + (LEGACY_MODPROBE_CONF,)

MODULES_LOAD_DIRS = (
    "/etc/modules-load.d",
    "/run/modules-load.d",
    "/usr/local/lib/modules-load.d",
    "/usr/lib/modules-load.d",
    "/lib/modules-load.d",
)
DEBIAN_MODULES_FILE = "/etc/modules"
MODULES_LOAD_GLOBS = tuple(d + "/*.conf" for d in MODULES_LOAD_DIRS) + (DEBIAN_MODULES_FILE,)

# systemd.network(5) search order; networkd.conf(5): the main file is the first of
# NETWORKD_CONF_MAIN_PATHS that exists, then the drop-ins of every directory.
NETWORK_DIRS = (
    "/etc/systemd/network",
    "/run/systemd/network",
    "/usr/local/lib/systemd/network",
    "/usr/lib/systemd/network",
    "/lib/systemd/network",
)
NETWORKD_CONF = "/etc/systemd/networkd.conf"
NETWORKD_CONF_MAIN_PATHS = (
    NETWORKD_CONF,
    "/run/systemd/networkd.conf",
    "/usr/local/lib/systemd/networkd.conf",
    "/usr/lib/systemd/networkd.conf",
)
NETWORKD_CONF_DROPIN_DIRS = (
    "/etc/systemd/networkd.conf.d",
    "/run/systemd/networkd.conf.d",
    "/usr/local/lib/systemd/networkd.conf.d",
    "/usr/lib/systemd/networkd.conf.d",
)
NETWORKD_GLOBS = (
    tuple(d + "/*.network" for d in NETWORK_DIRS)
    + tuple(d + "/*.network.d/*.conf" for d in NETWORK_DIRS)
    + NETWORKD_CONF_MAIN_PATHS
    + tuple(d + "/*.conf" for d in NETWORKD_CONF_DROPIN_DIRS)
)

# The links networkd creates itself (systemd.netdev(5)): same directories and order as .network files.
NETWORKD_NETDEV_GLOBS = (
    tuple(d + "/*.netdev" for d in NETWORK_DIRS)
    + tuple(d + "/*.netdev.d/*.conf" for d in NETWORK_DIRS)
)

# sysctl.d(5), in its search order; /etc/sysctl.conf is read last.
SYSCTL_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d")
SYSCTL_CONF = "/etc/sysctl.conf"
SYSCTL_CONF_GLOBS = tuple(d + "/*.conf" for d in SYSCTL_DIRS) + (SYSCTL_CONF,)

# Where a conntrack flush may be scheduled, and what kind of file that is.
SCHEDULE_GLOBS = (
    ("/etc/crontab", "cron"),
    ("/etc/cron.d/*", "cron"),
    ("/var/spool/cron/*", "cron"),
    ("/var/spool/cron/crontabs/*", "cron"),
    ("/etc/cron.hourly/*", "script"),
    ("/etc/cron.daily/*", "script"),
    ("/etc/cron.weekly/*", "script"),
    ("/etc/cron.monthly/*", "script"),
    ("/etc/rc.local", "rc.local"),
    ("/etc/rc.d/rc.local", "rc.local"),
    ("/etc/systemd/system/*.service", "systemd"),
    ("/etc/systemd/system/*.service.d/*.conf", "systemd"),
    ("/run/systemd/system/*.service", "systemd"),
)


def schedule_search_paths(kinds):
    """The SCHEDULE_GLOBS of ``kinds`` as the paths a role searches: ``DIR/*`` becomes the directory DIR
    (disable_lines reads the files of a directory), anything else stays. The conntrack_hygiene role's
    defaults must equal these (tests/unit/roles/test_role_defaults.py), so what the audit calls a flush
    job is where the role looks for it."""
    return [path[:-2] if path.endswith("/*") else path for path, kind in SCHEDULE_GLOBS if kind in kinds]


# The running kernel's module indexes: /lib/modules, or /usr/lib/modules where
# /lib is not merged into /usr (gather reads the first directory that has either).
# sos kernel.py copies only /lib/modules/<release>/modules.dep.
MODULES_DIRS = ("/lib/modules/{release}", "/usr/lib/modules/{release}")
MODULES_INDEX_FILES = tuple(d + "/" + f for d in MODULES_DIRS for f in ("modules.builtin", "modules.dep"))
# A /sys/module/NAME directory is a module in the kernel (loaded or built in); only a
# loadable one has refcnt. The capture recreates every /sys/module/* directory (the walk)
# and copies refcnt, as sos kernel.py copies "/sys/module/*/refcnt" (HEAD 5c7e63ee).
MODULE_SYSFS_FILES = ("/sys/module/*/refcnt", "/sys/module/nf_conntrack/parameters/hashsize")
OS_RELEASE_FILES = ("/etc/os-release", "/usr/lib/os-release")

KERNEL_FILES = (
    "/proc/sys/kernel/osrelease",
    "/proc/sys/kernel/hostname",
    "/proc/cmdline",
    "/proc/uptime",
    "/etc/hostname",
    "/proc/modules",
) + OS_RELEASE_FILES + MODULES_INDEX_FILES + MODULE_SYSFS_FILES

NET_FILES = (
    "/proc/sys/net/netfilter/nf_conntrack_count",
    "/proc/sys/net/netfilter/nf_conntrack_max",
    "/proc/sys/net/nf_conntrack_max",
    "/proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal",
    "/proc/net/stat/nf_conntrack",
    "/proc/sys/net/ipv4/ip_forward",
    "/proc/sys/net/ipv4/conf/*/forwarding",
    "/proc/sys/net/ipv6/conf/*/forwarding",
    "/proc/net/snmp",
    "/proc/sys/net/bridge/bridge-nf-call-iptables",
    "/proc/sys/net/bridge/bridge-nf-call-ip6tables",
    "/proc/sys/net/bridge/bridge-nf-call-arptables",
    "/proc/net/ip_tables_names",
    "/proc/net/ip6_tables_names",
    "/sys/class/net/*/brif/*",
    "/sys/class/net/*/bridge/bridge_id",
    "/run/systemd/netif/links/*",
) + (
    # What systemd-networkd's [Match] keys compare per link (Type=, MACAddress=), from sysfs.
    "/sys/class/net/*/address",
    "/sys/class/net/*/type",
)  # and uevent (DEVTYPE=): INTERFACE_UEVENT_FILES below
# Presence only: a link with a device/ is a NIC, not a virtual link (parse_bridges).
# device/driver is a link to the driver (networkd's [Match] Driver=); the live audit reads its name.
INTERFACE_MARKERS = ("/sys/class/net/*/device", "/sys/class/net/*/device/driver")

# Files whose mere presence says what runs on the host.
ENVIRONMENT_MARKERS = (
    ("kubernetes", "/etc/kubernetes/kubelet.conf"),
    ("kubernetes", "/var/lib/kubelet/config.yaml"),
    ("kubernetes", "/etc/kubernetes/manifests"),
    ("docker", "/var/run/docker.sock"),
    ("docker", "/run/docker.sock"),
    ("docker", "/etc/docker"),
    ("containerd", "/run/containerd/containerd.sock"),
    ("libvirt", "/etc/libvirt"),
    ("networkd", "/lib/systemd/systemd-networkd"),
    ("networkd", "/usr/lib/systemd/systemd-networkd"),
)

# What tells a bridge's purpose (parse_bridges): libvirt's network definitions
# (persistent and running), Docker's daemon settings, and unit files whose
# ExecStartPre loads br_netfilter (neutron-openvswitch-agent.service).
LIBVIRT_NETWORK_GLOBS = (
    "/etc/libvirt/qemu/networks/*.xml",
    "/run/libvirt/network/*.xml",
    "/var/run/libvirt/network/*.xml",
)
DOCKER_DAEMON_JSON = "/etc/docker/daemon.json"
SERVICE_UNIT_GLOBS = (
    "/etc/systemd/system/*.service",
    "/etc/systemd/system/*.service.d/*.conf",
    "/run/systemd/system/*.service",
    "/usr/lib/systemd/system/*.service",
    "/lib/systemd/system/*.service",
)
NAMESPACE_DIRS = (
    ("named", "/var/run/netns"),
    ("named", "/run/netns"),
    ("container", "/var/run/docker/netns"),
    ("container", "/run/docker/netns"),
)

CRASH_DIRS = ("/var/crash",)
CRASH_FILES = ("/var/crash/*/vmcore-dmesg.txt", "/var/crash/*/dmesg.*")

# Per process: the collector keeps these for processes in D or R state (the only
# ones the gatherer examines: D, and kernel threads running in a known path).
PROCESS_FILES = ("stat", "status", "stack", "wchan", "cmdline")
PROCESS_GLOBS = tuple("/proc/[0-9]*/" + name for name in PROCESS_FILES)

# Commands, with the sos plugin directory and file name sos itself gives their
# output (sos 4.x at HEAD 5c7e63ee, sos/report/plugins/*.py), so a capture is
# read exactly like a real sosreport: one offline layout.
# None of them loads a module: ``per_table`` commands run once per table named
# in that /proc file (tables the kernel already has; "{table}" is the name),
# nft and conntrack only when their modules are loaded.
CAPTURE_COMMANDS = (
    # systemd.py: "systemctl show --all" (the manager's properties, Version= among them).
    {"plugin": "systemd", "argv": ["systemctl", "show", "--all"]},
    # Ours, not sos's: sos has no "systemctl --version"; its other sources of the version,
    # installed-rpms / installed-debs, are whole package lists. Run only when "show --all"
    # gave no Version= (no running manager: containers, chroots, rescue shells).
    {"plugin": "systemd", "argv": ["systemctl", "--version"],
     "unless": ("systemd", "systemctl_show_--all", "^Version=")},
    # firewall_tables.py (4.1+): "iptables -t <table> -nvL" per table, never iptables-save
    # (sos runs iptables-save only inside named namespaces).
    {"plugin": "firewall_tables", "argv": ["iptables", "-t", "{table}", "-nvL"],
     "per_table": "/proc/net/ip_tables_names"},
    {"plugin": "firewall_tables", "argv": ["ip6tables", "-t", "{table}", "-nvL"],
     "per_table": "/proc/net/ip6_tables_names"},
    # firewall_tables.py 4.6.1+ (commit e74122e3): "nft -a list ruleset".
    {"plugin": "firewall_tables", "argv": ["nft", "-a", "list", "ruleset"], "requires_module": "nf_tables"},
    # conntrack.py: "conntrack -S".
    {"plugin": "conntrack", "argv": ["conntrack", "-S"], "requires_module": "nf_conntrack_netlink"},
    # kernel.py: "uname -a", "lsmod".
    {"plugin": "kernel", "argv": ["uname", "-a"]},
    {"plugin": "kernel", "argv": ["lsmod"]},
    # networking.py (3.5+): "ip -s -d link", "ip -d address", "ip netns".
    {"plugin": "networking", "argv": ["ip", "-s", "-d", "link"]},
    {"plugin": "networking", "argv": ["ip", "-d", "address"]},
    {"plugin": "networking", "argv": ["ip", "netns"]},
    # process.py (3.9 - 4.7.0 column list; 4.7.1 adds psr, the reader takes either).
    {"plugin": "process", "argv": ["ps", "axo", "flags,state,uid,pid,ppid,pgid,sid,cls,pri,addr,sz,"
                                   "wchan:20,lstart,tty,time,cmd"]},
)

CAPTURE_FILES = (
    KERNEL_FILES + NET_FILES + MODPROBE_CONF_GLOBS + MODULES_LOAD_GLOBS
    + NETWORKD_GLOBS + NETWORKD_NETDEV_GLOBS + SYSCTL_CONF_GLOBS + tuple(path for path, _kind in SCHEDULE_GLOBS)
    + CRASH_FILES + LIBVIRT_NETWORK_GLOBS + (DOCKER_DAEMON_JSON,) + SERVICE_UNIT_GLOBS
)


def sos_name(argv):
    """The file name sosreport gives a command's output (sos's own mangling, see sos_layout)."""
    return sos_command_name(argv)


# The kernel log: the only offline evidence of hung module requests and netns
# cleanups (a sosreport has no /proc/PID/stack). This boot's messages come from
# the journal (journalctl -k) or the ring buffer (dmesg, never -c); earlier ones
# from the first syslog file that exists, read from its end.
KERNEL_LOG_JOURNAL_ARGV = ["journalctl", "-k", "-b", "--no-pager", "-o", "short-iso", "-n", "50000"]
KERNEL_LOG_DMESG_ARGV = ["dmesg"]
# sosreport's names for the same data, best first: dmesg -T has wall clock times;
# the logs plugin's journal exports are this boot (--boot), with --catalog on sos 3.x.
KERNEL_LOG_SOS_JOURNALS = ("journalctl_--no-pager_--boot", "journalctl_--no-pager_--catalog_--boot",
                           "journalctl_--no-pager")
KERNEL_LOG_SOS_DMESG = ("dmesg_-T", "dmesg")
KERNEL_LOG_FILES = ("/var/log/kern.log", "/var/log/messages", "/var/log/syslog")
KERNEL_LOG_TAIL_BYTES = 16 * 1024 * 1024
# Seconds since boot, to place dmesg's "[ 1234.5]" stamps on the wall clock.
UPTIME_FILE = "/proc/uptime"

CAPTURE_COMMANDS = CAPTURE_COMMANDS + (
    # Ours: sos's logs plugin exports the whole boot's journal (journalctl_--no-pager_--boot),
    # far more than the kernel messages the audit reads; the reader takes either.
    {"plugin": "logs", "argv": KERNEL_LOG_JOURNAL_ARGV},
    # kernel.py: "dmesg".
    {"plugin": "kernel", "argv": KERNEL_LOG_DMESG_ARGV},
)
CAPTURE_FILES = CAPTURE_FILES + (UPTIME_FILE,)

# The routing facts (gather_routing): rp_filter per interface and the counter of
# what it dropped (TcpExt IPReversePathFilter), and the files only Calico writes:
# calico-node's /var/lib/calico/nodename and the CNI installer's network config.
RP_FILTER_FILES = ("/proc/sys/net/ipv4/conf/*/rp_filter",)
NETSTAT_FILE = "/proc/net/netstat"
CALICO_FILES = ("/var/lib/calico/nodename", "/etc/cni/net.d/10-calico.conflist", "/etc/cni/net.d/10-calico.conf")
CAPTURE_FILES = CAPTURE_FILES + RP_FILTER_FILES + (NETSTAT_FILE,) + CALICO_FILES

# Each iptables backend's rules (gather_backends, IPTABLES_BACKEND_MIXED): the legacy
# tools only read the tables /proc/net/ip_tables_names lists; the nft ones need nf_tables.
CAPTURE_COMMANDS = CAPTURE_COMMANDS + (
    {"plugin": "networking", "argv": ["iptables", "--version"]},
    {"plugin": "networking", "argv": ["iptables-legacy-save"], "requires_module": "ip_tables"},
    {"plugin": "networking", "argv": ["ip6tables-legacy-save"], "requires_module": "ip6_tables"},
    {"plugin": "networking", "argv": ["iptables-nft-save"], "requires_module": "nf_tables"},
    {"plugin": "networking", "argv": ["ip6tables-nft-save"], "requires_module": "nf_tables"},
)

# The datapath facts (gather_datapath, VXLAN_CSUM_OFFLOAD_BUG): which links are
# VXLAN devices (uevent DEVTYPE=vxlan live and in a capture; `ip -d link` kind
# in a sosreport) and their offload features. `ethtool -k DEV` only reads
# (ETHTOOL_GFEATURES) and loads nothing. sos runs it for every entry of
# /sys/class/net (networking.py, add_device_cmd(devices="ethernet"); since
# 2010): sos_commands/networking/ethtool_-k_flannel.1.
INTERFACE_UEVENT_FILES = ("/sys/class/net/*/uevent",)
ETHTOOL_FEATURES_ARGV = ["ethtool", "-k", "{device}"]
DEVICE_PLACEHOLDER = "{device}"
# Device types whose features the capture records (DEVTYPE= in the link's uevent).
ETHTOOL_DEVICE_TYPES = ("vxlan",)
CAPTURE_FILES = CAPTURE_FILES + INTERFACE_UEVENT_FILES
CAPTURE_COMMANDS = CAPTURE_COMMANDS + (
    {"plugin": "networking", "argv": ETHTOOL_FEATURES_ARGV, "per_device": ETHTOOL_DEVICE_TYPES},
)


def ethtool_features_argv(device):
    """``ethtool -k DEVICE`` as an argv (live), whose sos name is ``ethtool_-k_DEVICE``."""
    return [device if word == DEVICE_PLACEHOLDER else word for word in ETHTOOL_FEATURES_ARGV]


# The firewall facts (gather_firewall): each bridge's own nf_call_iptables (ORed with the
# global sysctl), what firewall services load at start or reload, and which of them run.
# sos copies /etc/nftables.conf, /etc/sysconfig/nftables.conf and /etc/nftables/ (firewall_tables.py,
# 4.1+, e0bb65e2), /etc/sysconfig whole (system.py), /etc/firewalld (firewalld.py) and writes
# systemctl_list-unit-files (systemd.py) and docker_version (docker.py); it copies no /sys/class/net/X/bridge
# and no /etc/iptables (Debian's iptables-persistent files).
BRIDGE_NF_CALL_FILES = ("/sys/class/net/*/bridge/nf_call_iptables", "/sys/class/net/*/bridge/nf_call_ip6tables")
NFTABLES_CONF_FILES = ("/etc/nftables.conf", "/etc/sysconfig/nftables.conf")
NFTABLES_INCLUDE_GLOBS = ("/etc/nftables/*", "/etc/nftables.d/*")
# What iptables-restore reads at service start, and the unit that runs it.
IPTABLES_RESTORE_FILES = (
    ("/etc/sysconfig/iptables", "iptables.service"),          # RHEL/Fedora iptables-services
    ("/etc/iptables/rules.v4", "netfilter-persistent.service"),  # Debian/Ubuntu iptables-persistent
    ("/etc/iptables/iptables.rules", "iptables.service"),     # Arch
)
FIREWALL_UNITS = ("nftables.service", "iptables.service", "netfilter-persistent.service", "firewalld.service",
                  "docker.service")
UNIT_DIRS = ("/etc/systemd/system/", "/usr/lib/systemd/system/", "/lib/systemd/system/")
# A live host's enabled units are the links in the .wants/ directories (names only);
# a capture also stores systemctl list-unit-files, which the offline reader takes.
UNIT_WANTS_MARKERS = tuple(d + "*.wants/*" for d in UNIT_DIRS)
UNIT_FILES_ARGV = ["systemctl", "list-unit-files"]
# dockerd --version prints the engine's version and exits; docker version (sos) asks the daemon.
DOCKERD_VERSION_ARGV = ["dockerd", "--version"]
DOCKER_VERSION_SOS = ("docker_version",)
CAPTURE_FILES = CAPTURE_FILES + BRIDGE_NF_CALL_FILES + NFTABLES_CONF_FILES + NFTABLES_INCLUDE_GLOBS + tuple(
    path for path, _unit in IPTABLES_RESTORE_FILES)
CAPTURE_COMMANDS = CAPTURE_COMMANDS + (
    {"plugin": "systemd", "argv": UNIT_FILES_ARGV},
    {"plugin": "docker", "argv": DOCKERD_VERSION_ARGV},
)


# ---------------------------------------------------------------- the rest of what the audit reads
# The journal's directories: the live audit runs journalctl only where one of
# them holds a journal file, and otherwise reads dmesg at once. journalctl reads
# the files named *.journal or *.journal~ at the top of each and in its
# subdirectories named by a 128-bit ID (the machine ID, "<id>.<namespace>" for
# a namespace): systemd src/libsystemd/sd-journal/sd-journal.c,
# add_search_paths(), directory_enumerate(), dirent_is_journal_file() and
# dirent_is_journal_subdir(). Without one it prints "No journal files were
# found." and "-- No entries --" (Debian creates an empty /var/log/journal), a
# process started for nothing. Presence only: the names it lists, one level
# down and two (JOURNAL_MARKERS).
JOURNAL_DIRS = ("/run/log/journal", "/var/log/journal")
JOURNAL_MARKERS = tuple(directory + "/*" for directory in JOURNAL_DIRS) + tuple(
    directory + "/*/*" for directory in JOURNAL_DIRS)
JOURNAL_FILE_SUFFIXES = (".journal", ".journal~")
_HEX = frozenset("0123456789abcdefABCDEF")


def is_journal_subdir(name):
    """True when ``name`` is a 128-bit ID (32 hex digits, or a UUID's 36 characters), optionally followed
    by ".<namespace>": a directory journalctl looks into (sd_id128_from_string's two spellings)."""
    ident = name.split(".", 1)[0]
    if len(ident) == 36 and all(ident[i] == "-" for i in (8, 13, 18, 23)):
        ident = ident.replace("-", "")
    return len(ident) == 32 and all(ch in _HEX for ch in ident)


# systemd's private library is named after its version: meson.build names it
# 'systemd-shared-' + shared_lib_tag, the project version unless a distribution
# sets -Dshared-lib-tag (Fedora: libsystemd-shared-255.4-1.fc40.so). It exists
# since v231, in rootlibexecdir (/usr/lib/systemd) until v240 and rootpkglibdir
# after (/usr/lib/systemd, /usr/lib64/systemd, Debian's
# /usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so). The live audit
# reads the version from the name instead of starting systemctl. Presence only.
SYSTEMD_LIBRARY_GLOBS = tuple("%s/systemd/libsystemd-shared-*.so" % base for base in (
    "/usr/lib", "/lib", "/usr/lib64", "/lib64", "/usr/lib/*-linux-*", "/lib/*-linux-*"))

# Presence only (names, never contents): what runs on the host, which namespaces
# and crash dumps exist, which links are NICs, whether there is a journal.
PRESENCE_MARKERS = (
    tuple(path for _kind, path in ENVIRONMENT_MARKERS)
    + tuple(directory + "/*" for _kind, directory in NAMESPACE_DIRS)
    + tuple(directory + "/*" for directory in CRASH_DIRS)
    + tuple(directory + "/*/*" for directory in CRASH_DIRS)
    + INTERFACE_MARKERS + JOURNAL_MARKERS + SYSTEMD_LIBRARY_GLOBS + UNIT_WANTS_MARKERS
)

# Written by the capture script itself: when it ran (the offline reference time of
# year-less syslog stamps), what it could not read, and that it is a capture.
CAPTURE_METADATA = ("/nfdoctor-captured-at", "/nfdoctor-capture-notes.txt", "/nfdoctor-capture-version",
                    "/hostname")

# Files only a sosreport holds (sos/report/__init__.py at HEAD 5c7e63ee, 3.x sos/sosreport.py): its
# version (version.txt; 4.x sos_reports/manifest.json), its log directory, and the root symlinks
# plugins make: rpm.py root_symlink="installed-rpms", dpkg.py "installed-debs", kernel.py "uname".
# networking.py 4.3+ (commit 9118562c) writes per-namespace outputs under namespaces/<ns>/; a
# docker or containerd plugin directory exists only where the runtime is installed.
SOS_REPORT_FILES = (
    "/version.txt", "/sos_reports/manifest.json", "/sos_logs", "/installed-rpms", "/installed-debs", "/uname",
    "/sos_commands/networking/namespaces/*", "/sos_commands/docker/*", "/sos_commands/containerd/*",
)

# Command outputs only a sosreport (or a capture of an earlier nfdoctor) holds, by the
# command sos runs; the gatherer falls back to them when the capture's own outputs are absent.
# (plugin, command, where sos runs it; sos/report/plugins/*.py, 3.x sos/plugins/*.py)
SOS_ONLY_COMMANDS = (
    ("systemd", "systemctl list-units", "systemd.py 3.0+"),
    ("systemd", "systemctl list-units --all", "systemd.py 3.0+"),
    ("networking", "ip link", "networking.py 3.0 - 3.4"),
    ("networking", "ip address", "networking.py 3.0 - 3.4"),
    ("networking", "brctl show", "networking.py 3.0 - 3.6"),
    ("networking", "iptables -vnxL", "networking.py 3.3 - 4.0, firewall_tables.py 4.1+"),
    ("networking", "ip6tables -vnxL", "networking.py 3.3 - 4.0, firewall_tables.py 4.1+"),
    ("networking", "nft list ruleset", "networking.py 3.4 - 4.0, firewall_tables.py 4.1 - 4.6.0"),
    ("kernel", "sysctl -a", "kernel.py"),
    ("kernel", "dmesg -T", "kernel.py"),
    ("date", "date", "date.py"),
    ("dpkg", "dpkg -l", "dpkg.py (root symlink installed-debs)"),
    ("logs", "journalctl --no-pager --boot", "logs.py 4.x"),
    ("logs", "journalctl --no-pager --catalog --boot", "logs.py 3.x"),
    ("logs", "journalctl --no-pager", "logs.py, no journal of this boot"),
    # docker.py runs "docker %s" for its subcommands, ps and version among them (sos HEAD 5c7e63ee)
    ("docker", "docker version", "docker.py"),
    ("docker", "docker ps", "docker.py"),
)
# process.py's "ps axo ..." listing under each version's column list (sos_layout.FACT_LOCATIONS).
SOS_PS_AXO = "ps_axo_flags_state_uid_pid_ppid_pgid_sid_cls_pri_*"
# Captures of nfdoctor before its commands took sos's names wrote these (commit aaa64df):
# the offline reader still takes them, first.
EARLIER_CAPTURE_COMMANDS = (
    ["iptables-save"], ["ip6tables-save"], ["nft", "list", "ruleset"], ["ip", "-d", "link"],
)
# The listings of links and bridges, in the order the offline reader takes them:
# networking.py 3.5+ "ip -d address" / "ip -s -d link", an earlier capture's "ip -d link",
# networking.py 3.0 - 3.4 "ip link" / "ip address".
IP_LINK_SOS_NAMES = ("ip_-d_address", "ip_-s_-d_link", "ip_-d_link", "ip_link", "ip_address")

# Commands the live audit runs whose answer a capture stores under another command:
# (live argv, the CAPTURE_COMMANDS argv that stands for it). "{table}" is one table
# of /proc/net/ip*_tables_names.
LIVE_COMMANDS = (
    (["iptables-save", "-t", "{table}"], ["iptables", "-t", "{table}", "-nvL"]),
    (["ip6tables-save", "-t", "{table}"], ["ip6tables", "-t", "{table}", "-nvL"]),
    (["nft", "list", "ruleset"], ["nft", "-a", "list", "ruleset"]),
    (["ip", "-d", "link"], ["ip", "-d", "address"]),
    (["brctl", "show"], ["ip", "-d", "address"]),
    (["uname", "-r"], ["uname", "-a"]),
    # The live audit's second choice when systemctl prints nothing; systemctl and networkctl come
    # from the same systemd build, so the capture's systemctl outputs say the same.
    (["networkctl", "--version"], ["systemctl", "--version"]),
)

# The kernel log files: the capture keeps the end of the first that is not empty, as the
# gatherer reads it (KERNEL_LOG_TAIL_BYTES from its end).
CAPTURE_LOG_FILES = KERNEL_LOG_FILES


# In a command's argv: one table of /proc/net/ip*_tables_names, one link of /sys/class/net.
PLACEHOLDERS = ("{table}", DEVICE_PLACEHOLDER)


def _command_name_patterns():
    names = []
    for command in CAPTURE_COMMANDS:
        # sos would mangle a "*" into "_": name a placeholder, then make it the wildcard.
        names.append(sos_name(["NFDOCTORWORD" if a in PLACEHOLDERS else a for a in command["argv"]])
                     .replace("NFDOCTORWORD", "*"))
    names.extend(sos_name(argv) for argv in EARLIER_CAPTURE_COMMANDS)
    names.extend(sos_name(command) for _plugin, command, _where in SOS_ONLY_COMMANDS)
    names.append(SOS_PS_AXO)
    names.extend(IP_LINK_SOS_NAMES)
    out = []
    for name in names:
        if name not in out:
            out.append(name)
    return tuple(out)


# Every command output a captured tree or a sosreport may answer from: a file
# sos_commands/<any plugin>/<name> (the reader looks in every plugin directory).
SOS_COMMAND_NAMES = _command_name_patterns()
SOS_COMMAND_GLOBS = tuple("/sos_commands/*/" + name for name in SOS_COMMAND_NAMES)

# What a captured tree's reader may open, and what it may only ask about.
CONTENT_PATTERNS = (CAPTURE_FILES + PROCESS_GLOBS + CAPTURE_LOG_FILES + CAPTURE_METADATA + SOS_REPORT_FILES
                    + SOS_COMMAND_GLOBS)
LISTED_PATTERNS = CONTENT_PATTERNS + PRESENCE_MARKERS


# ---------------------------------------------------------------- the matcher
def _parts(path):
    return [part for part in path.split("/") if part not in ("", ".")]


def name_matches(pattern, name):
    """One path component against one pattern component, as sh(1) globs it: a
    wildcard matches within a component and never a leading dot the pattern lacks."""
    if not any(ch in pattern for ch in "*?["):
        return pattern == name
    if name.startswith(".") and not pattern.startswith("."):
        return False
    if pattern[0] == "*" and not any(ch in pattern[1:] for ch in "*?["):
        return name.endswith(pattern[1:])  # '*.service', the most common; fnmatch's answer, without its regex
    return fnmatch.fnmatchcase(name, pattern)


def expand_release(pattern, release):
    """``pattern`` with ``{release}`` replaced by the kernel release (any one component when unknown)."""
    return pattern.replace("{release}", release if release else "*")


def path_matches(pattern, path, release=None):
    """True when host path ``path`` is matched by spec pattern ``pattern`` (component by component)."""
    pattern_parts = _parts(expand_release(pattern, release))
    path_parts = _parts(path)
    return len(pattern_parts) == len(path_parts) and all(
        name_matches(p, n) for p, n in zip(pattern_parts, path_parts))


def leads_through(pattern, path, release, wildcard_next=False):
    """``path`` is a proper directory prefix of ``pattern``; with ``wildcard_next``, one whose next component
    is a wildcard, so that the capture keeps every entry the audit may list there."""
    pattern_parts = _parts(expand_release(pattern, release))
    path_parts = _parts(path)
    if len(path_parts) >= len(pattern_parts):
        return False
    if not all(name_matches(p, n) for p, n in zip(pattern_parts, path_parts)):
        return False
    return not wildcard_next or any(ch in pattern_parts[len(path_parts)] for ch in "*?[")


def listing_for(operation, path, release=None):
    """The spec pattern that covers one read of the audit, or None.

    ``operation`` is what the data source was asked: ``read`` (contents: a
    file the capture copies, or a command output it stores), ``exists`` (also
    ``isdir``, ``is_masked``: a listed path, a presence marker, or a directory
    on the way to one, which the capture recreates), or ``listdir`` (a
    directory whose entries the capture keeps: a pattern has a wildcard right
    below it).
    """
    if operation == "read":
        candidates = CONTENT_PATTERNS
    else:
        candidates = LISTED_PATTERNS
    for pattern in candidates:
        if operation != "listdir" and path_matches(pattern, path, release):
            return pattern
    for pattern in candidates:
        if operation == "exists" and leads_through(pattern, path, release):
            return pattern
        if operation == "listdir" and leads_through(pattern, path, release, wildcard_next=True):
            return pattern
    return None


def command_listing(argv, sos_names=(), captured=False):
    """The spec entry that covers one command of the audit (its argv and fallback names), or None.

    A live command must be one the capture runs (CAPTURE_COMMANDS) or one it
    stores under another command (LIVE_COMMANDS); on a captured tree every name
    the reader tries must be a name the spec knows (SOS_COMMAND_NAMES).
    """
    names = [sos_name(argv)] + list(sos_names or ())
    if captured:
        for name in names:
            if not any(name_matches(pattern, name) for pattern in SOS_COMMAND_NAMES):
                return None
        return "sos_commands/*/" + names[0]
    for command in CAPTURE_COMMANDS:
        if _argv_matches(command["argv"], argv):
            return " ".join(command["argv"])
    for live, captured_as in LIVE_COMMANDS:
        if _argv_matches(live, argv):
            return "%s (captured as %s)" % (" ".join(live), " ".join(captured_as))
    return None


def _argv_matches(pattern, argv):
    return len(pattern) == len(argv) and all(p in PLACEHOLDERS or p == a for p, a in zip(pattern, argv))
