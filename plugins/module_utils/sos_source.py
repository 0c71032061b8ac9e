# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fallbacks to what a real sosreport writes, when the file the live path reads is absent.

The gatherer reads a captured tree the way it reads a live host (same paths,
``sos_commands/<plugin>/<command>`` for command outputs). A real sosreport
lacks several of those files (see ``sos_layout.FACT_LOCATIONS``); for each
fact family this class knows the sos files that hold the same answer, reads
them through the same ``HostSource`` (so the same bounds and symlink rules
apply), and records which file each fact came from. Order, per family:

* netfilter_rules: ``iptables-save`` (our capture) -> ``iptables_-t_<table>_-nvL``
  per table, ``iptables_-vnxL`` when no filter listing -> ``nft_list_ruleset``
  / ``nft_-a_list_ruleset`` (read by the gatherer).
* systemd_version: ``systemctl --version`` -> ``systemctl_show_--all``
  ``Version=`` -> installed-rpms -> installed-debs.
* networkd_running: /run/systemd/netif -> ``systemctl_list-units``.
* bridges: /sys/class/net/X/bridge, brif/ -> ``ip_-d_address`` ->
  ``ip_-s_-d_link`` -> ``ip_-d_link`` -> ``ip_link``.
* processes: /proc/PID/stat -> the ``ps axo ... wchan ... lstart`` listing,
  with /proc/PID/stack and status where sos 4.2+ copied them.
* namespaces: /run/netns -> ``ip_netns`` and ``sos_commands/networking/namespaces/``.

What a report cannot hold goes into ``errors`` with the sos version that
would have it, so an empty answer is never mistaken for a healthy one.

Only captured trees need this module: a live audit keeps its provenance with
``provenance.Provenance`` alone and never imports (compiles) this one.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import capture_spec, sos_layout
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.provenance import Provenance

# The parsers this module calls (parse_iptables_listing, parse_ps_listing,
# parse_systemd_state, parse_net, parse_processes) are imported in the methods
# that read captured files: a live audit never does, and AnsiballZ makes it
# compile every module it imports.

# sos plugin directories that exist only when the runtime is installed (the plugin's enablement check).
# (The facts document names docker and containerd only; crio and podman would need a schema change.)
RUNTIME_PLUGINS = (("docker", "docker"), ("containerd", "containerd"))
# The link listings, in reading order: the one list of sources has them (capture_spec.IP_LINK_SOS_NAMES).
IP_LINK_NAMES = capture_spec.IP_LINK_SOS_NAMES
PS_AXO_GLOB = "/sos_commands/process/" + capture_spec.SOS_PS_AXO


class SosFallbacks(Provenance):
    """Reads sos's own files for a captured tree; the provenance bookkeeping is ``Provenance``'s."""

    def __init__(self, src):
        super(SosFallbacks, self).__init__(src)
        # The ipv4 filter table's FORWARD policy from an iptables -nvL listing, once one is read.
        self.forward_policy = None
        # Chain names of the listings read (an empty "Chain DOCKER (0 references)" holds no rule).
        self.listing_chains = []

    # ------------------------------------------------------------ netfilter rules
    def _nft_tables(self, family):
        """Names of the nft tables of ``family`` (ip / ip6) in the report's nft ruleset."""
        _path, text = self._read_first(["nft_-a_list_ruleset", "nft_list_ruleset"])
        keyword = "ip" if family == "ipv4" else "ip6"
        return set(re.findall(r"(?m)^table\s+%s\s+(\S+)" % keyword, text or ""))

    def iptables_listings(self, family, kernel_tables):
        """Rules of every ``iptables -t T -nvL`` listing of ``family`` in the report.

        Returns (rules, [sources read]). ``kernel_tables`` is the content of
        /proc/net/ip_tables_names when the tree holds it (None when not):
        the live path reads only those legacy tables, and so does this. A
        table the nft ruleset also holds is skipped: with iptables-nft the
        listing and the ruleset are the same rules (sos 4.3+ lists exactly
        those tables), and the gatherer reads the ruleset.
        """
        from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_iptables_listing import (
            parse_iptables_listing,
        )
        tables = list(sos_layout.IPTABLES_TABLES) if kernel_tables is None else list(kernel_tables)
        in_nft = self._nft_tables(family)
        rules, read, have_filter = [], [], False
        for table, name in sos_layout.iptables_listing_names(family, tables):
            if table in in_nft:
                continue
            if table == "filter" and name.endswith("-vnxL") and (have_filter or "filter" not in tables):
                continue  # the exact-counter copy of the filter listing already read, or no filter table
            path, text = self._read_first([name])
            if text is None:
                continue
            parsed = parse_iptables_listing(text, table, source=name)
            self._problems(path, parsed)
            if family == "ipv4" and table == "filter" and self.forward_policy is None:
                # "Chain FORWARD (policy DROP ...)": what iptables-save's ":FORWARD DROP" says.
                self.forward_policy = (parsed.get("policies") or {}).get("filter", {}).get("FORWARD")
            rules.extend(parsed["rules"])
            self.listing_chains.extend(name for names in parsed["chains"].values() for name in names)
            read.append(path.lstrip("/"))
            self.record("netfilter_rules", path.lstrip("/"))
            have_filter = have_filter or table == "filter"
        return rules, read

    def note_missing(self, family, found):
        """On a captured tree, say so in errors when no file of ``family`` exists at all."""
        if not self.src.captured or found:
            return
        if family == "netfilter_rules":
            names = ["iptables-save", "ip6tables-save", "nft_list_ruleset", "nft_-a_list_ruleset"]
            names += [n for _t, n in sos_layout.iptables_listing_names("ipv4", sos_layout.IPTABLES_TABLES)]
            if any(self._find(name) for name in names):
                self.record(family, "empty output")
                return
            self._missing(family, "no iptables-save, iptables -nvL listing or nft ruleset in the tree: rule facts "
                                  "(NAT, NFQUEUE, conntrack matches) are not collected, not absent; sos writes "
                                  "iptables_-t_<table>_-nvL only for loaded iptable_<table> modules (4.3+: tables "
                                  "seen in nft output)")

    # ------------------------------------------------------------ systemd
    def systemd_version(self):
        """Major systemd version from systemctl_show_--all, installed-rpms or installed-debs; None if absent."""
        from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_systemd_state import (
            parse_package_version,
            parse_systemctl_show_version,
        )
        path, text = self._read_first(["systemctl_show_--all"])
        if text is not None:
            parsed = parse_systemctl_show_version(text)
            self._problems(path, parsed)
            if parsed["major"] is not None:
                self.record("systemd_version", path.lstrip("/"))
                return parsed["major"]
        for kind, names in (("rpm", ["/installed-rpms"]), ("deb", ["/installed-debs", "dpkg_-l"])):
            path, text = self._read_first(names, max_bytes=16 * 1024 * 1024)
            if text is None:
                continue
            parsed = parse_package_version(text, "systemd", kind)
            if parsed["major"] is not None:
                self.record("systemd_version", path.lstrip("/"))
                return parsed["major"]
        self._missing("systemd_version", "systemd version not found (no systemctl --version, Version= in "
                                         "systemctl_show_--all, or systemd package in installed-rpms/-debs)")
        return None

    def networkd_unit(self):
        """systemd-networkd.service's list-units row: {} when the list lacks it, None without a list."""
        from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_systemd_state import (
            parse_systemctl_list_units,
        )
        path, text = self._read_first(["systemctl_list-units", "systemctl_list-units_--all"])
        if text is None:
            return None
        parsed = parse_systemctl_list_units(text)
        self._problems(path, parsed)
        self.record("networkd_running", path.lstrip("/"))
        return parsed["units"].get("systemd-networkd.service", {})

    # ------------------------------------------------------------ bridges
    def bridges_from_ip(self, interfaces, bridges):
        """Add bridges and ports from ``ip -d address``-style output when sysfs shows no bridge directory.

        sos copies /sys/class/net/X only as flags, statistics/ and
        device/numa_node: the directory list is never empty, but bridge/ and
        brif/ are never there. Mutates ``bridges``; returns the interface names.
        """
        if bridges or any(self.src.exists("/sys/class/net/%s/bridge" % name) for name in interfaces):
            self.record("bridges", "/sys/class/net")
            return interfaces
        from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_net import parse_brctl_show, parse_ip_link
        path, text = self._read_first(list(IP_LINK_NAMES))
        # sos 3.0-3.6 also ran brctl show; before 3.5 it is the only source of bridge kinds.
        brctl_path, brctl_text = self._read_first(["brctl_show"])
        if text is None and brctl_text is None:
            self.record("bridges", "/sys/class/net")
            if self.is_sos():
                self._missing("bridges", "no ip_-d_address or ip_-s_-d_link output (sos >= 3.5 writes them): "
                                         "bridges are not collected, not absent")
            return interfaces
        links = {}
        if text is not None:
            parsed = parse_ip_link(text)
            self._problems(path, parsed)
            self.record("bridges", path.lstrip("/"))
            links = parsed["interfaces"]
        for name, info in links.items():
            if info.get("kind") == "bridge":
                bridges.setdefault(name, {"ports": []})
        if brctl_text is not None:
            self.record("bridges", brctl_path.lstrip("/"))
            for name, ports in parse_brctl_show(brctl_text).items():
                bridges.setdefault(name, {"ports": []})
                bridges[name]["ports"] = sorted(set(bridges[name]["ports"]) | set(ports))
        for name, info in sorted(links.items()):
            if info.get("master") in bridges and name not in bridges[info["master"]]["ports"]:
                bridges[info["master"]]["ports"].append(name)
        for bridge in bridges.values():
            bridge["ports"].sort()
        return sorted(set(interfaces) | set(links) | set(bridges))

    # ------------------------------------------------------------ namespaces
    def namespace_names(self):
        """Named network namespaces from ip_netns and sos 4.3+'s namespaces/<ns>/ directories."""
        from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_ps_listing import parse_ip_netns
        names = []
        path, text = self._read_first(["ip_netns"])
        if text is not None:
            parsed = parse_ip_netns(text)
            self._problems(path, parsed)
            names.extend(parsed["names"])
            self.record("namespaces", path.lstrip("/"))
        per_ns = self.src.listdir("/sos_commands/networking/namespaces")
        if per_ns:
            self.record("namespaces", "sos_commands/networking/namespaces")
        for name in per_ns:
            if name not in names:
                names.append(name)
        if text is None and not per_ns and self.is_sos():
            self._missing("namespaces", "no ip_netns output: named network namespaces are not collected")
        return names

    # ------------------------------------------------------------ processes
    def _report_time(self):
        from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_ps_listing import parse_lstart
        _path, text = self._read_first(["date"])
        return parse_lstart(text.strip().splitlines()[0]) if text and text.strip() else None

    def stuck_processes(self, stack_paths, limit):
        """Processes in D state (and kernel workers on a known stack) from the ps listing and /proc/PID/status.

        Same entries as the live path, plus ``wchan`` from the listing,
        ``started`` / ``age_seconds`` (against sos_commands/date/date) and
        ``matched_by`` ("stack" or "wchan": sos 3.x copies no stack, and the
        listing's wait channel is cut at 20 characters).
        """
        from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_processes import (
            parse_proc_stack,
            parse_proc_status,
        )
        from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_ps_listing import parse_ps_axo
        listing_paths = self.src.glob(PS_AXO_GLOB)
        candidates = {}
        listing = None
        for path in listing_paths:
            text = self.src.read(path, max_bytes=32 * 1024 * 1024)
            if text is None:
                continue
            parsed = parse_ps_axo(text)
            self._problems(path, parsed)
            listing = path
            for proc in parsed["processes"]:
                candidates[proc["pid"]] = proc
            break
        status_pids = [pid for pid in self.src.listdir("/proc") if pid.isdigit()]
        for pid in status_pids:
            text = self.src.read("/proc/%s/status" % pid, max_bytes=65536)
            if not text:
                continue
            status = parse_proc_status(text)
            entry = candidates.setdefault(int(pid), {"pid": int(pid), "cmd": None, "wchan": None, "started": None})
            entry["state"] = status.get("State") or entry.get("state")
            entry.setdefault("comm", status.get("Name"))
            entry["status_file"] = True
        if listing:
            self.record("processes", listing.lstrip("/"))
        if any(c.get("status_file") for c in candidates.values()):
            self.record("processes", "/proc/PID/status")
        if not candidates:
            if not self.is_sos():
                return []  # our capture keeps /proc/PID only for candidates: none means none
            self._missing("processes", "no ps axo listing and no /proc/PID/status: process states are not "
                                       "collected")
            return []
        if self.is_sos() and not any(c.get("status_file") for c in candidates.values()):
            self._missing("processes", "no /proc/PID/stack in this report (sos >= 4.2 copies status and stack): "
                                       "stuck processes are judged from the ps wait channel only")
        now = self._report_time()
        stuck = []
        for pid in sorted(candidates):
            proc = candidates[pid]
            state, comm = proc.get("state"), proc.get("comm") or ""
            if state not in ("D", "R"):
                continue
            if state == "R" and not comm.startswith(("kworker", "netns")):
                continue
            if len(stuck) >= limit:
                self.src.error("processes", "more than %d candidate processes; the rest were not read" % limit)
                break
            stack_text = self.src.read("/proc/%s/stack" % pid)
            frames = parse_proc_stack(stack_text)["frames"] if stack_text else []
            matched, matched_by = _match_path(frames, proc.get("wchan"), stack_paths)
            if state == "R" and matched is None:
                continue
            started = proc.get("started")
            stuck.append({
                "pid": pid,
                "comm": comm or None,
                "state": state,
                "cmdline": proc.get("cmd") or None,
                "wchan": proc.get("wchan"),
                "stack": frames,
                "matched_path": matched,
                "matched_by": matched_by,
                "started": started,
                "age_seconds": (now - started) if now is not None and started is not None and now >= started
                else None,
            })
        return stuck

    # ------------------------------------------------------------ what a report version cannot hold
    def note_modprobe_dirs(self):
        """sos before 4.5.0 copies only /etc/modprobe.d: vendor files are not collected, not absent."""
        if not self.is_sos():
            return
        version = self.layout()["sos_version"]
        if version_at_least_or_none(version, "4.5.0"):
            return
        self._missing("modprobe.d", "only /etc/modprobe.d is in this report; /lib, /run and /usr/local/lib "
                                    "modprobe.d (copied from sos 4.5.0, commit 77b224d2) are not collected, so a "
                                    "vendor blacklist or a shadowed file cannot be seen")

    def container_runtimes(self):
        """Runtimes whose sos plugin ran (sos_commands/docker, sos_commands/containerd); sockets are never copied."""
        found = []
        for plugin, runtime in RUNTIME_PLUGINS:
            if self.src.listdir("/sos_commands/" + plugin):
                found.append(runtime)
                self.record("container_runtimes", "sos_commands/" + plugin)
        return found


def _match_path(frames, wchan, stack_paths):
    """(path name, "stack"|"wchan") of the first known path the stack or the wait channel is in."""
    symbols = [f.get("symbol") for f in frames]
    for path_name, markers in stack_paths:
        if any(sym in markers for sym in symbols):
            return path_name, "stack"
    if wchan:
        for path_name, markers in stack_paths:
            # ps cuts the wait channel to the column width (20 with wchan:20).
            if any(m == wchan or (len(wchan) >= 20 and m.startswith(wchan)) for m in markers):
                return path_name, "wchan"
    return None, None


def version_at_least_or_none(version, minimum):
    """True only when ``version`` is known and at least ``minimum``."""
    return sos_layout.version_at_least(version, minimum) is True
