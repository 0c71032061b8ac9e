"""Rebuild a captured tree in the layout a real sos release writes (test helper).

What each step drops or renames is what sos really does (sos/report/plugins
at the named tags; plugins/module_utils/sos_layout.py has the table):

* ``iptables-save`` is never written: each table becomes an
  ``iptables -t <table> -nvL`` listing (plugin networking, firewall_tables
  from 4.1), written here in iptables' own ``-L -v -n`` format.
* ``systemctl --version`` is never run: its number goes to the ``Version=``
  line of ``systemctl show --all``.
* ``/sys/class/net/X`` keeps ``flags`` only: bridges and ports go to
  ``ip -d address`` (3.5+; ``ip address`` before).
* ``/proc/PID/stat``, ``cmdline`` and ``wchan`` are never copied: they go to
  the ``ps axo`` listing (3.6+); ``status`` and ``stack`` stay from 4.2 on.
* ``/run/systemd/netif`` and ``/run/netns`` are not copied: ``systemctl
  list-units`` and ``ip netns`` say the same. Binaries (systemd-networkd),
  ``modules.builtin``, ``vmcore`` and, before 4.5.0, vendor modprobe.d
  directories are not copied either.
"""
import os
import shlex
import shutil

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import sos_layout
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_processes import (
    parse_proc_pid_stat,
    parse_proc_status,
)

PS_COLUMNS_39 = "flags,state,uid,pid,ppid,pgid,sid,cls,pri,addr,sz,wchan:20,lstart,tty,time,cmd"
PS_COLUMNS_471 = "flags,state,uid,pid,ppid,pgid,sid,cls,pri,psr,addr,sz,wchan:20,lstart,tty,time,cmd"
BUILTIN_CHAINS = ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING")


def _at_least(version, minimum):
    return sos_layout.version_at_least(version, minimum) is True


def _addr(value):
    if value is None:
        return "0.0.0.0/0"
    negate = value.startswith("!")
    value = value.lstrip("!")
    if "/" not in value:
        value += "/32"
    return ("!" if negate else "") + value


def save_to_listings(text):
    """{table: ``iptables -t table -nvL`` text} for ``iptables-save`` output."""
    tables, order, table = {}, [], None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            table = line[1:]
            tables[table] = {"chains": [], "policies": {}, "rules": {}}
            order.append(table)
        elif line == "COMMIT":
            table = None
        elif line.startswith(":") and table:
            name, policy = line[1:].split()[:2]
            tables[table]["chains"].append(name)
            tables[table]["policies"][name] = policy
            tables[table]["rules"][name] = []
        elif line.startswith("-A") and table:
            tokens = shlex.split(line)
            tables[table]["rules"][tokens[1]].append(_listing_row(tokens[2:]))
    out = {}
    for table in order:
        lines = []
        for chain in tables[table]["chains"]:
            policy = tables[table]["policies"][chain]
            if policy != "-":
                lines.append("Chain %s (policy %s 0 packets, 0 bytes)" % (chain, policy))
            else:
                lines.append("Chain %s (1 references)" % chain)
            lines.append(" pkts bytes target     prot opt in     out     source               destination")
            lines.extend(tables[table]["rules"][chain])
            lines.append("")
        out[table] = "\n".join(lines) + "\n"
    return out


def _listing_row(tokens):
    fields = {"-p": "all", "-i": "*", "-o": "*", "-s": None, "-d": None, "-j": ""}
    extras, negate, position = [], False, 0
    while position < len(tokens):
        token = tokens[position]
        following = tokens[position + 1] if position + 1 < len(tokens) else ""
        if token == "!":
            negate = True
            position += 1
            continue
        if token in fields:
            fields[token] = ("!" if negate else "") + following
            position += 2
        elif token == "-m":
            position += 2  # the module shows through its options below
        elif token == "--ctstate":
            extras.append("ctstate " + following)
            position += 2
        elif token == "--state":
            extras.append("state " + following)
            position += 2
        elif token in ("--dport", "--sport"):
            extras.append("%s %s:%s" % (fields["-p"], "dpt" if token == "--dport" else "spt", following))
            position += 2
        elif token == "--dst-type":
            extras.append("ADDRTYPE match dst-type " + following)
            position += 2
        elif token == "--comment":
            extras.append("/* %s */" % following)
            position += 2
        elif token == "--queue-num":
            extras.append("NFQUEUE num " + following)
            position += 2
        elif token == "--to-destination":
            extras.append("to:" + following)
            position += 2
        else:
            position += 1
        negate = False
    return "    0     0 %-10s %-4s --  %-6s %-6s %-20s %-20s %s" % (
        fields["-j"], fields["-p"], fields["-i"], fields["-o"], _addr(fields["-s"]), _addr(fields["-d"]),
        " ".join(extras))


def _write(root, path, text):
    full = os.path.join(root, path.lstrip("/"))
    if not os.path.isdir(os.path.dirname(full)):
        os.makedirs(os.path.dirname(full))
    with open(full, "w") as handle:
        handle.write(text)


def _read(root, path):
    full = os.path.join(root, path.lstrip("/"))
    if not os.path.isfile(full):
        return None
    with open(full, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def _remove(root, path):
    full = os.path.join(root, path.lstrip("/"))
    if os.path.isdir(full) and not os.path.islink(full):
        shutil.rmtree(full)
    elif os.path.lexists(full):
        os.remove(full)


def sosify(source, target, version):
    """Copy the captured tree ``source`` to ``target`` as sos ``version`` would have written it."""
    shutil.copytree(source, target, symlinks=True)
    rules_plugin = "firewall_tables" if _at_least(version, "4.1") else "networking"
    _write(target, "/version.txt", ("sosreport: %s\n" if version.startswith("3.") else "sos report: %s\n")
           % version)
    for tool, listing in (("iptables-save", "iptables"), ("ip6tables-save", "ip6tables")):
        text = _read(target, "/sos_commands/networking/" + tool)
        if text is None:
            continue
        _remove(target, "/sos_commands/networking/" + tool)
        for table, listed in save_to_listings(text).items():
            name = sos_layout.sos_command_name([listing, "-t", table, "-nvL"])
            _write(target, "/sos_commands/%s/%s" % (rules_plugin, name), listed)
    nft = _read(target, "/sos_commands/networking/nft_list_ruleset")
    if nft is not None:
        _remove(target, "/sos_commands/networking/nft_list_ruleset")
        name = "nft_-a_list_ruleset" if _at_least(version, "4.6.1") else "nft_list_ruleset"
        _write(target, "/sos_commands/%s/%s" % (rules_plugin, name), nft)
    systemd = _read(target, "/sos_commands/systemd/systemctl_--version")
    if systemd is not None:
        _remove(target, "/sos_commands/systemd/systemctl_--version")
        _write(target, "/sos_commands/systemd/systemctl_show_--all",
               "Version=%s\nFeatures=%s\n" % (systemd.split()[1], " ".join(systemd.split()[2:])))
    _links(target, version)
    _processes(target, version)
    units = []
    if os.path.isdir(os.path.join(target, "run/systemd/netif/links")):
        units.append("  systemd-networkd.service loaded active running Network Service")
    _remove(target, "/run/systemd/netif")
    for binary in ("/usr/lib/systemd/systemd-networkd", "/lib/systemd/systemd-networkd"):
        if os.path.lexists(os.path.join(target, binary.lstrip("/"))):
            _remove(target, binary)
            units.append("  systemd-networkd.service loaded inactive dead Network Service")
    if units:
        _write(target, "/sos_commands/systemd/systemctl_list-units",
               "  UNIT                     LOAD   ACTIVE SUB     DESCRIPTION\n" + units[0] + "\n")
    names = []
    for directory in ("/var/run/netns", "/run/netns"):
        full = os.path.join(target, directory.lstrip("/"))
        if os.path.isdir(full):
            names.extend(sorted(n for n in os.listdir(full) if not n.startswith(".")))
            _remove(target, directory)
    if names:
        _write(target, "/sos_commands/networking/ip_netns",
               "".join("%s (id: %d)\n" % (name, number) for number, name in enumerate(names)))
    if os.path.isdir(os.path.join(target, "var/run/docker")) or os.path.isdir(os.path.join(target, "etc/docker")):
        _remove(target, "/var/run/docker")
        _write(target, "/sos_commands/docker/docker_ps",
               "CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS   PORTS   NAMES\n")
    for crash in _glob_dirs(target, "/var/crash"):
        _remove(target, crash + "/vmcore")
    for modules in _glob_dirs(target, "/lib/modules"):
        _remove(target, modules + "/modules.builtin")
    if not _at_least(version, "4.5.0"):
        for directory in ("/lib/modprobe.d", "/usr/lib/modprobe.d", "/run/modprobe.d",
                          "/usr/local/lib/modprobe.d"):
            _remove(target, directory)
    else:
        _remove(target, "/usr/lib/modprobe.d")  # 4.5.0 adds /lib, /run, /usr/local/lib only
    return target


def _glob_dirs(root, directory):
    full = os.path.join(root, directory.lstrip("/"))
    if not os.path.isdir(full):
        return []
    return [directory + "/" + name for name in sorted(os.listdir(full))]


def _links(root, version):
    base = os.path.join(root, "sys/class/net")
    if not os.path.isdir(base):
        return
    names = sorted(os.listdir(base))
    bridges = dict((n, sorted(os.listdir(os.path.join(base, n, "brif"))) if os.path.isdir(
        os.path.join(base, n, "brif")) else []) for n in names if os.path.isdir(os.path.join(base, n, "bridge")))
    master = dict((port, bridge) for bridge, ports in bridges.items() for port in ports)
    lines = []
    for index, name in enumerate(names, 1):
        lines.append("%d: %s: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue %sstate UP group default"
                     % (index, name, "master %s " % master[name] if name in master else ""))
        lines.append("    link/ether 52:54:00:00:00:%02x brd ff:ff:ff:ff:ff:ff promiscuity 0" % index)
        if name in bridges and _at_least(version, "3.5"):
            lines.append("    bridge forward_delay 1500 hello_time 200 max_age 2000 stp_state 0 priority 32768")
        if name in master and _at_least(version, "3.5"):
            lines.append("    bridge_slave state forwarding priority 32 cost 2 hairpin off guard off")
        _remove(root, "/sys/class/net/" + name)
        _write(root, "/sys/class/net/%s/flags" % name, "0x1003\n")
    name = "ip_-d_address" if _at_least(version, "3.5") else "ip_address"
    _write(root, "/sos_commands/networking/" + name, "\n".join(lines) + "\n")
    if not _at_least(version, "3.7"):  # brctl show: sos 3.0-3.6
        rows = ["bridge name\tbridge id\t\tSTP enabled\tinterfaces"]
        for bridge, ports in sorted(bridges.items()):
            rows.append("%s\t\t8000.525400000001\tno\t\t%s" % (bridge, ports[0] if ports else ""))
            rows.extend("\t\t\t\t\t\t\t%s" % port for port in ports[1:])
        _write(root, "/sos_commands/networking/brctl_show", "\n".join(rows) + "\n")


def _processes(root, version):
    base = os.path.join(root, "proc")
    pids = sorted((n for n in os.listdir(base) if n.isdigit()), key=int) if os.path.isdir(base) else []
    if not pids:
        return
    psr = _at_least(version, "4.7.1")
    columns = PS_COLUMNS_471 if psr else PS_COLUMNS_39
    header = "F S   UID     PID    PPID    PGID     SID CLS PRI %sADDR    SZ WCHAN                 " \
             "                STARTED TT           TIME CMD" % ("PSR " if psr else "")
    rows = [header]
    for pid in pids:
        stat = parse_proc_pid_stat(_read(root, "/proc/%s/stat" % pid) or "")
        status = parse_proc_status(_read(root, "/proc/%s/status" % pid) or "")
        cmdline = (_read(root, "/proc/%s/cmdline" % pid) or "").replace("\0", " ").strip()
        wchan = (_read(root, "/proc/%s/wchan" % pid) or "").strip()
        state = stat.get("state") or status.get("State") or "S"
        comm = stat.get("comm") or status.get("Name") or "?"
        rows.append("0 %s     0 %7s %7s %7s %7s  TS  19 %s   -  1024 %-20s Mon Mar  4 09:00:00 2024 ?        "
                    "00:00:00 %s" % (state, pid, stat.get("ppid") or 1, pid, pid, "  1 " if psr else "",
                                     (wchan if wchan not in ("", "0") else "-")[:20],
                                     cmdline or "[%s]" % comm))
        for name in ("stat", "cmdline", "wchan"):
            _remove(root, "/proc/%s/%s" % (pid, name))
        if not _at_least(version, "4.2"):
            _remove(root, "/proc/" + pid)
    if _at_least(version, "3.6"):
        name = sos_layout.sos_command_name("ps axo " + columns)
        _write(root, "/sos_commands/process/" + name, "\n".join(rows) + "\n")
