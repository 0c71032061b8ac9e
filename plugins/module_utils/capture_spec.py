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

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.sos_layout import sos_command_name

MODPROBE_CONF_GLOBS = (
    "/etc/modprobe.d/*.conf",
    "/run/modprobe.d/*.conf",
    "/usr/local/lib/modprobe.d/*.conf",
    "/usr/lib/modprobe.d/*.conf",
    "/lib/modprobe.d/*.conf",
    "/etc/modprobe.conf",
)

MODULES_LOAD_GLOBS = (
    "/etc/modules-load.d/*.conf",
    "/run/modules-load.d/*.conf",
    "/usr/local/lib/modules-load.d/*.conf",
    "/usr/lib/modules-load.d/*.conf",
    "/lib/modules-load.d/*.conf",
    "/etc/modules",
)

NETWORKD_GLOBS = (
    "/etc/systemd/network/*.network",
    "/run/systemd/network/*.network",
    "/usr/local/lib/systemd/network/*.network",
    "/usr/lib/systemd/network/*.network",
    "/lib/systemd/network/*.network",
    "/etc/systemd/network/*.network.d/*.conf",
    "/run/systemd/network/*.network.d/*.conf",
    "/usr/local/lib/systemd/network/*.network.d/*.conf",
    "/usr/lib/systemd/network/*.network.d/*.conf",
    "/lib/systemd/network/*.network.d/*.conf",
    # networkd.conf(5): the main file is the first of these that exists
    "/etc/systemd/networkd.conf",
    "/run/systemd/networkd.conf",
    "/usr/local/lib/systemd/networkd.conf",
    "/usr/lib/systemd/networkd.conf",
    "/etc/systemd/networkd.conf.d/*.conf",
    "/run/systemd/networkd.conf.d/*.conf",
    "/usr/local/lib/systemd/networkd.conf.d/*.conf",
    "/usr/lib/systemd/networkd.conf.d/*.conf",
)

SYSCTL_CONF_GLOBS = (
    "/etc/sysctl.d/*.conf",
    "/run/sysctl.d/*.conf",
    "/usr/local/lib/sysctl.d/*.conf",
    "/usr/lib/sysctl.d/*.conf",
    "/lib/sysctl.d/*.conf",
    "/etc/sysctl.conf",
)

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

KERNEL_FILES = (
    "/proc/sys/kernel/osrelease",
    "/proc/sys/kernel/hostname",
    "/proc/cmdline",
    "/proc/uptime",
    "/etc/os-release",
    "/etc/hostname",
    "/proc/modules",
    "/lib/modules/{release}/modules.builtin",
    "/lib/modules/{release}/modules.dep",
    "/sys/module/bridge/refcnt",
    "/sys/module/br_netfilter/refcnt",
    "/sys/module/nf_conntrack/refcnt",
    "/sys/module/nf_conntrack/parameters/hashsize",
)

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
)

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

# Per process: the collector keeps these for processes in D state and for
# kernel threads whose stack is in a path the checks know.
PROCESS_FILES = ("stat", "status", "stack", "wchan", "cmdline")

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
    + NETWORKD_GLOBS + SYSCTL_CONF_GLOBS + tuple(path for path, _kind in SCHEDULE_GLOBS)
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
