# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the facts document (docs/architecture.md) from one HostSource.

Every file and command is read once, here, and handed to a pure parser. The
order matters only where a later section needs an earlier one (the kernel
release names the modules directory; loaded modules decide which commands are
safe to run). A section that fails unexpectedly becomes an entry in
``errors`` and the rest of the document is still built: an audit that dies on
one odd file helps nobody.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import calendar
import copy
import os
import re
import time

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import capture_spec as spec
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.host_source import TEXT_TYPES, HostSource, json_safe
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.kernel_release import parse_kernel_release
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.known_bad_kernels import has_feature
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_bridges import (
    classify_bridge,
    find_br_netfilter_loaders,
    guest_ports,
    parse_docker_daemon_json,
    parse_libvirt_network_xml,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_firewall import nft_forward_policy
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_iptables_backends import binary_variant
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_modprobe import (
    disabling_directives,
    modprobe_facts,
    modules_load_facts,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_netfilter_rules import (
    parse_iptables_save,
    parse_nft_ruleset,
    summarise_rules,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_networkd import netdev_links, networkd_facts
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_schedules import (
    cron_ignores,
    find_conntrack_flushes,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_sysctl_d import (
    configured_sysctls,
    parse_sysctl_a,
    parse_sysctl_value,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import parse_os_release
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.provenance import Provenance

# The parsers of one source (parse_kmod, parse_conntrack, parse_processes,
# parse_net, parse_kernel_log, parse_crash) are imported in the section that
# reads the source, once it has found it: AnsiballZ ships no bytecode, so every
# imported module is compiled from source at every run, and a host without
# conntrack statistics, a kernel log or a crash dump should not pay for their
# parsers. They stay `from ansible_collections... import` statements: those are
# what Ansible's module_utils finder looks for when it packs the payload.

SCHEMA_VERSION = 1

# Modules whose presence, absence or state the checks reason about.
RELEVANT_MODULES = (
    "nf_conntrack", "nf_conntrack_ipv4", "nf_conntrack_ipv6", "nf_nat", "nf_nat_ipv4", "nf_nat_ipv6",
    "nf_defrag_ipv4", "nf_defrag_ipv6", "iptable_nat", "ip6table_nat", "xt_conntrack", "xt_state",
    "nf_conntrack_netlink", "nft_ct", "nft_nat", "nft_chain_nat", "nf_tables", "ip_tables",
    "iptable_filter", "iptable_mangle", "nfnetlink_queue", "xt_NFQUEUE", "bridge", "br_netfilter",
    "xt_MASQUERADE", "nf_nat_masquerade_ipv4", "ipt_MASQUERADE",
)
# ARPHRD_* numbers (/sys/class/net/X/type) as networkd's Type= names them.
ARPHRD_TYPES = {1: "ether", 772: "loopback", 776: "sit", 768: "ipip", 778: "gre", 65534: "none", 801: "wlan",
                32: "infiniband", 823: "ip6gre", 769: "tunnel6"}
BR_NF_SYSCTLS = ("bridge-nf-call-iptables", "bridge-nf-call-ip6tables", "bridge-nf-call-arptables")

# Kernel stack symbols that put a stuck process on a path the checks know.
STACK_PATHS = (
    ("module_request", ("__request_module", "call_usermodehelper_exec", "nf_ct_l3proto_try_module_get",
                        "request_module", "nf_ct_netns_get", "nf_ct_l3proto_module_put")),
    ("netns_cleanup", ("cleanup_net", "inet_frags_exit_net", "copy_net_ns", "setup_net", "net_drop_ns",
                       "ops_exit_list", "rtnl_net_dumpid", "unregister_pernet_subsys")),
    ("nf_queue", ("nf_queue", "__nf_queue", "nfqnl_enqueue_packet")),
)
STACK_READ_LIMIT = 64

# Sections in gathering order, each with the facts it sets and what they are
# when the section fails: shaped like the real thing, so the sections after it
# (and the checks) read "unknown" instead of failing in turn.
SECTIONS = (
    ("identity", {"hostname": None, "os": None}),
    ("kernel", {"kernel": {"release": None, "version": None, "flavour": "unknown", "distro_release": [],
                           "cmdline": None}}),
    ("modules", {"modules": {"loaded": None, "builtin": [], "available": None,
                             "modprobe": {"files": [], "directives": [], "cmdline_blacklist": []},
                             "modules_load": []}}),
    ("rules", {"netfilter_rules": None}),
    ("conntrack", {"conntrack": None}),
    ("interfaces", {"interfaces": [], "bridges": {}}),
    ("forwarding", {"forwarding": None}),
    ("br_netfilter", {"br_netfilter": None}),
    ("networkd", {"networkd": None}),
    ("namespaces", {"namespaces": None}),
    ("processes", {"processes": None}),
    ("crash", {"crash": None}),
    ("schedules", {"conntrack_flush_jobs": []}),
    ("environment", {"environment": None}),
    ("kernel_log", {"kernel_log": None}),
    ("routing", {"routing": None}),
    ("iptables_backends", {"iptables_backends": None}),
    ("datapath", {"datapath": None}),
    ("firewall", {"firewall": None}),
)
# kube-proxy writes one INVALID DROP rule per family; more is another firewall's.
MAX_INVALID_DROP_RULES = 20
# What the facts document keeps of one list or string: a hostile tree of a
# million directive lines must not become a 140 MB report.
MAX_KEPT_ITEMS = 5000
MAX_KEPT_CHARS = 8192


def _bounded(value, where, cut):
    """``value`` with long lists, dicts and strings cut; ``cut`` collects (where, what) notes."""
    if isinstance(value, dict):
        items = list(value.items())
        if len(items) > MAX_KEPT_ITEMS:
            cut.append((where, "%d entries; only the first %d kept" % (len(items), MAX_KEPT_ITEMS)))
            items = items[:MAX_KEPT_ITEMS]
        return dict((k, _bounded(v, "%s.%s" % (where, k), cut)) for k, v in items)
    if isinstance(value, list):
        if len(value) > MAX_KEPT_ITEMS:
            cut.append((where, "%d items; only the first %d kept" % (len(value), MAX_KEPT_ITEMS)))
            value = value[:MAX_KEPT_ITEMS]
        return [_bounded(v, where + "[]", cut) for v in value]
    if isinstance(value, TEXT_TYPES) and len(value) > MAX_KEPT_CHARS:
        cut.append((where, "a string of %d characters; only the first %d kept" % (len(value), MAX_KEPT_CHARS)))
        return value[:MAX_KEPT_CHARS]
    return value


def _forward_policy(iptables_save):
    """The policy of the filter table's FORWARD chain in iptables-save output, or None."""
    table = None
    for line in iptables_save.splitlines():
        line = line.strip()
        if line.startswith("*"):
            table = line[1:].strip()
        elif table == "filter" and line.startswith(":FORWARD "):
            fields = line.split()
            return fields[1] if len(fields) > 1 and fields[1] != "-" else None
    return None


def _sysctl_path(key):
    return "/proc/sys/" + key.replace(".", "/")


class Gatherer(object):
    """Collects the facts of one host. ``run()`` returns the document."""

    def __init__(self, root="/", sample_interval=0.0, timeout=10.0, max_bytes=None):
        kwargs = {"timeout": timeout}
        if max_bytes:
            kwargs["max_bytes"] = max_bytes
        self.src = HostSource(root, **kwargs)
        self.sample_interval = max(0.0, float(sample_interval or 0))
        self._sysctl_a = None
        if self.src.captured:
            # The readers of sos's own files: a live host has no use for them (and would compile them).
            from ansible_collections.nfdoctor.netfilter.plugins.module_utils.sos_source import SosFallbacks
            self.sos = SosFallbacks(self.src)
        else:
            self.sos = Provenance(self.src)
        self.facts = {
            "schema_version": SCHEMA_VERSION,
            "root": self.src.root,
            "captured": self.src.captured,
            "gathered_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }

    # ------------------------------------------------------------ plumbing
    def run(self):
        self._interface_details = []
        self._rules = []
        self._chains = []
        self._forward_drop_table = None
        for name, fallback in SECTIONS:
            try:
                getattr(self, "_gather_" + name)()
            except Exception as exc:  # a bug or an odd tree must not cost the operator the whole audit
                import traceback  # only on this path: it costs 15 ms to import
                self.src.error("gather:%s" % name, "internal error %s: %s (%s)" % (
                    type(exc).__name__, exc, traceback.format_exc().strip().splitlines()[-2].strip()))
                for key, value in fallback.items():
                    if key not in self.facts:  # what the section set before it failed is kept
                        self.facts[key] = copy.deepcopy(value)
        self.facts["provenance"] = self.sos.provenance()
        cut = []
        for _name, fallback in SECTIONS:
            for key in fallback:
                self.facts[key] = _bounded(self.facts.get(key), key, cut)
        for where, what in cut[:50]:
            self.src.error(where, what)
        self.facts["errors"] = self.src.errors
        return json_safe(self.facts)

    def _problems(self, source, result):
        for problem in (result or {}).get("problems", []) if isinstance(result, dict) else []:
            self.src.error(source, problem)

    def sysctl(self, key, path=None):
        """Integer value of a sysctl: /proc/sys first, then a captured `sysctl -a`.

        ``path`` names the /proc/sys file when the key alone cannot: an
        interface ``flannel.1`` is ``conf/flannel.1/`` there but
        ``conf.flannel/1.`` in the key ``sysctl -a`` prints.
        """
        text = self.src.read(path or _sysctl_path(key))
        if text is not None:
            return parse_sysctl_value(text)
        if self.src.captured:
            if self._sysctl_a is None:
                output = self.src.command(["sysctl", "-a"])
                self._sysctl_a = parse_sysctl_a(output) if output else {}
            if key in self._sysctl_a:
                return parse_sysctl_value(self._sysctl_a[key])
        return None

    # ------------------------------------------------------------ sections
    def _gather_identity(self):
        text = self.src.read("/etc/hostname") or self.src.read("/proc/sys/kernel/hostname")
        hostname = text.strip().splitlines()[0] if text and text.strip() else None
        if hostname is None and self.src.captured:
            hostname = os.path.basename(self.src.root.rstrip("/"))
        self.facts["hostname"] = hostname
        release = None
        for path in spec.OS_RELEASE_FILES:
            release = release or self.src.read(path)
        self.facts["os"] = parse_os_release(release) if release else None

    def _kernel_release(self):
        text = self.src.read("/proc/sys/kernel/osrelease")
        if text and text.strip():
            return text.strip()
        uname = self.src.command(["uname", "-a"])
        if uname is None and self.src.captured:
            uname = self.src.read("/uname")
        fields = uname.split() if uname else []
        if len(fields) >= 3:
            return fields[2]
        # uname -r is a live fallback only: a capture and a sosreport store uname -a.
        uname_r = None if self.src.captured else self.src.command(["uname", "-r"])
        return uname_r.strip() if uname_r and uname_r.strip() else None

    def _gather_kernel(self):
        release = self._kernel_release()
        if release is None:
            self.src.error("kernel", "kernel release not found (/proc/sys/kernel/osrelease, uname -a)")
            kernel = {"release": None, "version": None, "flavour": "unknown", "distro_release": []}
        else:
            kernel = parse_kernel_release(release)
        cmdline = self.src.read("/proc/cmdline")
        kernel["cmdline"] = cmdline.strip() if cmdline else None
        self.facts["kernel"] = kernel

    def _gather_modules(self):
        from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_kmod import (
            parse_lsmod,
            parse_modules_builtin,
            parse_modules_dep,
            parse_proc_modules,
        )
        text = self.src.read("/proc/modules")
        if text is not None:
            loaded = parse_proc_modules(text)
            self._problems("/proc/modules", loaded)
        else:
            # lsmod only prints /proc/modules: worth reading from a sosreport, not running.
            lsmod = self.src.command(["lsmod"]) if self.src.captured else None
            loaded = parse_lsmod(lsmod) if lsmod is not None else None
            if loaded is None:
                self.src.error("/proc/modules", "loaded modules unknown (no /proc/modules, no lsmod output)")
        release = self.facts["kernel"].get("release")
        builtin, available = set(), None
        if release:
            for base in (spec.expand_release(d, release) for d in spec.MODULES_DIRS):
                text = self.src.read(base + "/modules.builtin")
                if text is not None:
                    builtin.update(parse_modules_builtin(text))
                dep = self.src.read(base + "/modules.dep", max_bytes=16 * 1024 * 1024)
                if dep is not None:
                    available = set(parse_modules_dep(dep))
                if text is not None or dep is not None:
                    break
        for name in RELEVANT_MODULES:
            # A /sys/module entry without refcnt is a built-in module.
            if self.src.isdir("/sys/module/" + name) and not self.src.exists("/sys/module/%s/refcnt" % name):
                builtin.add(name)
        modprobe_files = self.src.read_files(spec.MODPROBE_CONF_GLOBS)
        if self.src.captured:
            self.sos.note_modprobe_dirs()
        modprobe = modprobe_facts(modprobe_files, self.facts["kernel"].get("cmdline"),
                                  module_init_tools=self.facts["kernel"].get("flavour") in ("el5", "el6"))
        self._problems("modprobe.d", modprobe)
        load = modules_load_facts(self.src.read_files(spec.MODULES_LOAD_GLOBS))
        self._problems("modules-load.d", load)
        self.facts["modules"] = {
            "loaded": loaded["modules"] if loaded else None,
            "builtin": sorted(builtin),
            "available": sorted(n for n in RELEVANT_MODULES if n in available) if available is not None else None,
            "modprobe": {k: modprobe[k] for k in ("files", "directives", "cmdline_blacklist")},
            "modules_load": load["entries"],
        }

    def module_loaded(self, name):
        mods = self.facts.get("modules") or {}
        return name in (mods.get("loaded") or {}) or name in (mods.get("builtin") or [])

    def _save_tool_reads_nf_tables(self, tool):
        """Whether the live ``tool`` (iptables-save, ip6tables-save) is iptables-nft's and nf_tables is loaded.

        Read from where the command's links lead (Debian's alternatives, xtables-nft-multi), never by
        running it: a build that does not say so keeps the per-table reads of the legacy tables.
        """
        return self.module_loaded("nf_tables") and binary_variant(self.src.command_target(tool)) == "nf_tables"

    def _gather_rules(self):
        rules, sources, chains = [], [], []
        tables = {}
        forward_policy = None
        self._forward_drop_table = None
        for family, path, tool in (("ipv4", "/proc/net/ip_tables_names", "iptables-save"),
                                   ("ipv6", "/proc/net/ip6_tables_names", "ip6tables-save")):
            text = self.src.read(path)
            names = [line.strip() for line in (text or "").splitlines() if line.strip()]
            tables[family] = names
            if self.src.captured:
                output = self.src.command([tool])
            elif self._save_tool_reads_nf_tables(tool):
                # iptables-nft keeps its tables in nf_tables, which /proc/net/ip_tables_names (x_tables)
                # never lists: a Debian 10+ host without the nftables package showed no rule at all.
                # It asks the loaded nf_tables over netlink, so nothing is loaded.
                output = self.src.command([tool, "-c"])
            elif names:
                # Only the tables the kernel already has: naming another would load its module.
                # -c: the packet counters (how many packets kube-proxy's INVALID DROP rule took).
                chunks = [self.src.command([tool, "-c", "-t", name]) for name in names]
                output = "\n".join(c for c in chunks if c)
            else:
                output = None
            if output:
                parsed = parse_iptables_save(output, source=tool)
                self._problems(tool, parsed)
                if family == "ipv4":
                    forward_policy = forward_policy or _forward_policy(output)
                rules.extend(parsed["rules"])
                chains.extend((tool, name) for names in parsed["chains"].values() for name in names)
                sources.append(tool)
                self.sos.record("netfilter_rules", self.sos.found_name([tool], []))
            elif self.src.captured:
                listed, read = self.sos.iptables_listings(family, names if text is not None else None)
                chains.extend(("listing", name) for name in self.sos.listing_chains)
                forward_policy = forward_policy or self.sos.forward_policy
                rules.extend(listed)
                sources.extend(read)
        # nft talks netlink; asking for the ruleset would load nf_tables if it were absent.
        if self.src.captured or self.module_loaded("nf_tables"):
            output = self.src.command(["nft", "list", "ruleset"], sos_names=["nft_-a_list_ruleset"])
            if output:
                self.sos.record("netfilter_rules", self.sos.found_name(["nft", "list", "ruleset"],
                                                                       ["nft_-a_list_ruleset"]))
                parsed = parse_nft_ruleset(output)
                self._problems("nft list ruleset", parsed)
                rules.extend(parsed["rules"])
                chains.extend(("nft", name) for names in parsed["chains"].values() for name in names)
                sources.append("nft list ruleset")
                # Every base chain at the forward hook must accept: an nft chain's drop policy drops as
                # surely as iptables' (and sos skips the -nvL listing of a table the ruleset holds).
                nft_policy = nft_forward_policy(output)
                if nft_policy and (forward_policy is None or nft_policy["policy"] == "DROP"):
                    forward_policy = nft_policy["policy"]
                    self._forward_drop_table = nft_policy["table"]
        self._rules = rules
        self._chains = chains
        summary = summarise_rules(rules)
        if self.src.captured:
            self.sos.note_missing("netfilter_rules", bool(sources))
        self.facts["netfilter_rules"] = {
            "iptables_tables": tables["ipv4"],
            "ip6tables_tables": tables["ipv6"],
            "sources": sources,
            "nfqueue": summary["nfqueue"],
            "nat_in_use": summary["nat_in_use"],
            "masquerade_in_use": summary["masquerade_in_use"],
            "conntrack_match_in_use": summary["conntrack_match_in_use"],
            "rule_count": summary["rule_count"],
            # Rules that drop conntrack INVALID packets (kube-proxy's KUBE-FORWARD rule), with counters.
            "ct_invalid_drop": summary["ct_invalid_drop"][:MAX_INVALID_DROP_RULES],
            # iptables filter FORWARD policy: with DROP, loading br_netfilter sends bridged guests into it.
            "forward_policy": forward_policy,
        }

    def _conntrack_stats(self):
        text = self.src.read("/proc/net/stat/nf_conntrack")
        if text is not None:
            from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_conntrack import (
                parse_conntrack_stat_table,
            )
            stats = parse_conntrack_stat_table(text)
            stats["source"] = "/proc/net/stat/nf_conntrack"
        elif self.src.captured or self.module_loaded("nf_conntrack_netlink"):
            output = self.src.command(["conntrack", "-S"])
            if output is None:
                return None
            from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_conntrack import parse_conntrack_S
            stats = parse_conntrack_S(output)
            stats["source"] = "conntrack -S"
        else:
            if self.module_loaded("nf_conntrack"):
                self.src.error("/proc/net/stat/nf_conntrack",
                               "not present (CONFIG_NF_CONNTRACK_PROCFS off?); conntrack -S not run because it "
                               "would load nf_conntrack_netlink")
            return None
        self._problems(stats["source"], stats)
        return stats

    def _gather_conntrack(self):
        count = self.sysctl("net.netfilter.nf_conntrack_count")
        maximum = self.sysctl("net.netfilter.nf_conntrack_max")
        if maximum is None:
            maximum = self.sysctl("net.nf_conntrack_max")
        hashsize = self.src.read("/sys/module/nf_conntrack/parameters/hashsize")
        stats = self._conntrack_stats()
        rates = None
        if stats and self.sample_interval > 0 and not self.src.captured:
            started = time.time()
            time.sleep(self.sample_interval)
            second = self._conntrack_stats()
            elapsed = max(time.time() - started, 1e-6)
            if second:
                rates = {"interval": round(elapsed, 3), "per_second": {}}
                for key, value in second["totals"].items():
                    if key != "entries" and key in stats["totals"]:
                        rates["per_second"][key] = round((value - stats["totals"][key]) / elapsed, 3)
                stats = second
        if stats:
            stats = {k: stats[k] for k in ("source", "layout", "columns", "cpus", "totals") if k in stats}
        self.facts["conntrack"] = {
            "count": count,
            "max": maximum,
            "fill_ratio": round(float(count) / maximum, 4) if count is not None and maximum else None,
            "hashsize": parse_sysctl_value(hashsize) if hashsize else None,
            # 1: TCP window tracking marks only out-of-window RSTs INVALID (nf_conntrack-sysctl docs).
            "tcp_be_liberal": self.sysctl("net.netfilter.nf_conntrack_tcp_be_liberal"),
            "stats": stats,
            "rates": rates,
        }

    def _gather_interfaces(self):
        interfaces, bridges = [], {}
        names = self.src.listdir("/sys/class/net")
        if names:
            interfaces = names
            for name in names:
                if self.src.isdir("/sys/class/net/%s/bridge" % name):
                    bridges[name] = {"ports": self.src.listdir("/sys/class/net/%s/brif" % name)}
                    # Per bridge, ORed with net.bridge.bridge-nf-call-iptables (br_nf_pre_routing): it can add
                    # filtering to one bridge, never take it away. Absent where sysfs does not say (sos).
                    for key in ("nf_call_iptables", "nf_call_ip6tables"):
                        value = self.src.read("/sys/class/net/%s/bridge/%s" % (name, key))
                        if value:
                            bridges[name][key] = parse_sysctl_value(value)
        else:
            from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_net import (
                parse_brctl_show,
                parse_ip_link,
            )
            link = self.src.command(["ip", "-d", "link"], sos_names=spec.IP_LINK_SOS_NAMES)
            if link:
                parsed = parse_ip_link(link)
                interfaces = sorted(parsed["interfaces"])
                for name, info in parsed["interfaces"].items():
                    if info.get("kind") == "bridge":
                        bridges.setdefault(name, {"ports": []})
                for name, info in parsed["interfaces"].items():
                    if info.get("master") in bridges:
                        bridges[info["master"]]["ports"].append(name)
            brctl = self.src.command(["brctl", "show"])
            if brctl:
                for name, ports in parse_brctl_show(brctl).items():
                    bridges.setdefault(name, {"ports": []})
                    bridges[name]["ports"] = sorted(set(bridges[name]["ports"]) | set(ports))
            interfaces = sorted(set(interfaces) | set(bridges))
        if names and self.src.captured:
            interfaces = self.sos.bridges_from_ip(interfaces, bridges)
        self.facts["interfaces"] = interfaces
        self.facts["bridges"] = bridges
        self._interface_details = [self._interface_detail(name) for name in interfaces] if names else interfaces

    def _interface_detail(self, name):
        """What systemd-networkd's [Match] keys look at, from sysfs."""
        base = "/sys/class/net/%s" % name
        detail = {"name": name}
        uevent = self.src.read(base + "/uevent") or ""
        devtype = [line.split("=", 1)[1].strip() for line in uevent.splitlines() if line.startswith("DEVTYPE=")]
        arphrd = parse_sysctl_value(self.src.read(base + "/type") or "")
        if devtype:
            detail["type"] = devtype[0]
        elif arphrd in ARPHRD_TYPES:
            detail["type"] = ARPHRD_TYPES[arphrd]
        address = (self.src.read(base + "/address") or "").strip().lower()
        if address:
            detail["mac"] = address
        if not self.src.captured:
            # Virtual links have no device: no driver can match them.
            detail["driver"] = self.src.link_target_name(base + "/device/driver")
        return detail

    def _gather_forwarding(self):
        per_if = {}
        for name in self.facts["interfaces"]:
            key_name = name.replace(".", "/")  # sysctl(8) writes the dots of a name as slashes
            v4 = self.sysctl("net.ipv4.conf.%s.forwarding" % key_name, "/proc/sys/net/ipv4/conf/%s/forwarding" % name)
            v6 = self.sysctl("net.ipv6.conf.%s.forwarding" % key_name, "/proc/sys/net/ipv6/conf/%s/forwarding" % name)
            if v4 is not None or v6 is not None:
                per_if[name] = {"ipv4": v4, "ipv6": v6}
        snmp_text = self.src.read("/proc/net/snmp")
        if snmp_text is not None:
            from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_net import parse_snmp
            snmp = parse_snmp(snmp_text)
        else:
            snmp = {}
        ip = snmp.get("Ip") or {}
        configured = configured_sysctls(self.src.read_files(spec.SYSCTL_CONF_GLOBS))
        self._problems("sysctl.d", configured)
        self.facts["forwarding"] = {
            "ipv4": self.sysctl("net.ipv4.ip_forward"),
            "ipv6": self.sysctl("net.ipv6.conf.all.forwarding"),
            # What sysctl.d asks for: differs from the live value when something switched it off.
            "configured": dict((key, value) for key, value in configured["settings"].items()
                               if key.endswith("forwarding") or key == "net.ipv4.ip_forward"),
            "interfaces": per_if,
            "snmp_ip": {k: ip[k] for k in ("InAddrErrors", "OutDiscards", "ForwDatagrams", "InDiscards")
                        if k in ip} or None,
        }

    def _gather_br_netfilter(self):
        modules = self.facts["modules"]
        kernel = self.facts["kernel"]
        available = modules.get("available")
        module_available = None if available is None else ("br_netfilter" in available
                                                           or "br_netfilter" in modules["builtin"])
        split = has_feature(kernel, "br_netfilter_split") if kernel.get("version") else None
        if module_available:
            split = True
        sysctls = {}
        for name in BR_NF_SYSCTLS:
            sysctls[name] = self.sysctl("net.bridge." + name)
        blocked = disabling_directives(modules["modprobe"], "br_netfilter")
        self.facts["br_netfilter"] = {
            "loaded": self.module_loaded("br_netfilter"),
            "module_available": module_available,
            "split_kernel": split,
            "sysctls": sysctls,
            "persisted_in": [e for e in modules["modules_load"] if e.get("module") == "br_netfilter"],
            "blocked_by": blocked,
            # Units that run 'modprobe br_netfilter' at start persist it as surely as modules-load.d.
            "loaded_by_services": find_br_netfilter_loaders(self.src.read_files(spec.SERVICE_UNIT_GLOBS)),
        }

    def _systemd_version(self):
        if not self.src.captured:
            found = self._systemd_library_version()
            if found is not None:
                self.sos.record("systemd_version", found[1])
                return found[0]
        output = self.src.command(["systemctl", "--version"])
        if not output and not self.src.captured:  # a capture stores systemctl's answer only (capture_spec)
            output = self.src.command(["networkctl", "--version"])
        if not output:
            return self.sos.systemd_version() if self.src.captured else None
        self.sos.record("systemd_version", "systemctl --version")
        first = output.strip().splitlines()[0].split() if output.strip() else []
        if len(first) >= 2 and first[0] == "systemd" and _leading_int(first[1]) is not None:
            return _leading_int(first[1])
        self.src.error("systemctl --version", "unexpected output: %r" % output[:80])
        return None

    def _systemd_library_version(self):
        """(version, path) from the name of systemd's private library, or None when there is not exactly one."""
        versions = {}
        for pattern in spec.SYSTEMD_LIBRARY_GLOBS:
            for path in self.src.glob(pattern):
                name = os.path.basename(path)
                version = _leading_int(name[len("libsystemd-shared-"):])
                if version is None:
                    return None  # a name this code does not know: let systemctl say
                versions.setdefault(version, path)
        if len(versions) != 1:
            return None  # none (before v231), or two installs: only systemctl knows which one runs
        return list(versions.items())[0]

    def _gather_networkd(self):
        files = self.src.read_files(spec.NETWORKD_GLOBS, mask=None)
        installed = any(self.src.exists(p) for kind, p in spec.ENVIRONMENT_MARKERS if kind == "networkd")
        links = self.src.listdir("/run/systemd/netif/links")
        unit = self.sos.networkd_unit() if self.src.captured and not self.src.exists("/run/systemd/netif") else None
        installed = installed or bool(unit)
        version = self._systemd_version() if (installed or files) else None
        parsed = networkd_facts(files, self._interface_details, version)
        self._problems("systemd-networkd", parsed)
        netdevs = netdev_links(self.src.read_files(spec.NETWORKD_NETDEV_GLOBS, mask=None))
        self._problems("systemd-networkd", netdevs)
        self.facts["networkd"] = {
            "installed": installed or bool(files),
            "running": (unit.get("sub") == "running" if unit is not None else
                        bool(links) if (self.src.exists("/run/systemd") or not self.src.captured) else None),
            "version": version,
            "conf": parsed["conf"],
            "network_files": parsed["network_files"],
            "netdevs": netdevs["links"],
        }

    def _gather_namespaces(self):
        named, container = [], []
        for kind, directory in spec.NAMESPACE_DIRS:
            for name in self.src.listdir(directory):
                target = named if kind == "named" else container
                if name not in target:
                    target.append(name)
        if self.src.captured:
            named.extend(n for n in self.sos.namespace_names() if n not in named)
        self.facts["namespaces"] = {"named": sorted(named), "container": sorted(container),
                                    "count": len(named) + len(container)}

    def _gather_processes(self):
        from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_processes import (
            parse_proc_pid_stat,
            parse_proc_stack,
        )
        stuck = []
        denied = 0
        uptime_text = self.src.read("/proc/uptime")
        try:
            uptime = float(uptime_text.split()[0]) if uptime_text else None
        except (ValueError, IndexError):
            uptime = None
        for pid in self.src.listdir("/proc"):
            if not pid.isdigit():
                continue
            stat_text = self.src.read("/proc/%s/stat" % pid)
            if not stat_text:
                continue
            stat = parse_proc_pid_stat(stat_text)
            if not stat or stat.get("state") not in ("D", "R"):
                continue
            if stat["state"] == "R" and not (stat.get("comm") or "").startswith(("kworker", "netns")):
                continue
            if len(stuck) >= STACK_READ_LIMIT:
                self.src.error("/proc", "more than %d candidate processes; the rest were not read" % STACK_READ_LIMIT)
                break
            before = len(self.src.errors)
            stack_text = self.src.read("/proc/%s/stack" % pid)
            if stack_text is None and len(self.src.errors) > before:
                denied += 1
                del self.src.errors[before:]
            frames = parse_proc_stack(stack_text)["frames"] if stack_text else []
            symbols = [f.get("symbol") for f in frames]
            matched = None
            for path_name, markers in STACK_PATHS:
                if any(sym in markers for sym in symbols):
                    matched = path_name
                    break
            if stat["state"] == "R" and matched is None:
                continue
            cmdline = self.src.read("/proc/%s/cmdline" % pid, binary_ok=True, max_bytes=4096)
            wchan = self.src.read("/proc/%s/wchan" % pid, max_bytes=256)
            stuck.append({
                "pid": int(pid),
                "comm": stat.get("comm"),
                "state": stat.get("state"),
                "cmdline": cmdline.replace("\0", " ").strip() if cmdline else None,
                "wchan": wchan.strip() if wchan and wchan.strip() not in ("", "0") else None,
                "stack": frames,
                "matched_path": matched,
                # USER_HZ is 100 on every Linux architecture nfdoctor meets; proc(5) field 22.
                "age_seconds": int(uptime - stat["starttime"] / 100.0)
                if uptime is not None and stat.get("starttime") is not None else None,
            })
        if denied:
            self.src.error("/proc/PID/stack", "%d stack(s) not readable (run as root / with become)" % denied)
        if self.src.captured and not stuck and not self._any_pid_stat():
            stuck = self.sos.stuck_processes(STACK_PATHS, STACK_READ_LIMIT)
        elif stuck:
            self.sos.record("processes", "/proc/PID/stat")
        self.facts["processes"] = {"stuck": stuck}

    def _any_pid_stat(self):
        return any(pid.isdigit() and self.src.exists("/proc/%s/stat" % pid) for pid in self.src.listdir("/proc"))

    def _gather_crash(self):
        dumps = []
        for directory in spec.CRASH_DIRS:
            for name in self.src.listdir(directory):
                path = "%s/%s" % (directory, name)
                if not self.src.isdir(path):
                    continue
                files = self.src.listdir(path)
                entry = {"path": path, "files": files, "signature": None, "evidence": None}
                for candidate in ("vmcore-dmesg.txt",) + tuple(f for f in files if f.startswith("dmesg.")):
                    if candidate not in files:
                        continue
                    text = self.src.read("%s/%s" % (path, candidate), max_bytes=8 * 1024 * 1024)
                    if not text:
                        continue
                    # Imported here: most hosts have no dump, and its patterns cost a live audit to compile.
                    from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_crash import (
                        parse_vmcore_dmesg,
                    )
                    parsed = parse_vmcore_dmesg(text)
                    entry["signature"] = parsed.get("signature")
                    entry["evidence"] = parsed.get("rip") or parsed.get("panic")
                    entry["release"] = parsed.get("release")
                    entry["evidence_file"] = "%s/%s" % (path, candidate)
                    break
                dumps.append(entry)
        self.facts["crash"] = {"dumps": dumps}

    def _gather_schedules(self):
        jobs = []
        # RHEL's /etc/rc.local is a link to /etc/rc.d/rc.local: one job, cited once (by the first name).
        seen = set()
        for pattern, kind in spec.SCHEDULE_GLOBS:
            for path in self.src.glob(pattern):
                if self.src.isdir(path) or self.src.same_file_seen(path, seen):
                    continue
                if pattern.endswith("/*") and cron_ignores(os.path.basename(path)):
                    continue  # a backup or leftover that cron never runs
                text = self.src.read(path, max_bytes=1024 * 1024)
                if text:
                    jobs.extend(find_conntrack_flushes(text, path, kind))
        self.facts["conntrack_flush_jobs"] = jobs

    def _gather_environment(self):
        found = set()
        for kind, path in spec.ENVIRONMENT_MARKERS:
            if self.src.exists(path):
                found.add(kind)
        interfaces = self.facts.get("interfaces") or []
        # docker0 and virbr0 are the names dockerd and libvirtd give the bridges they create; Kubernetes is
        # judged only from kubelet's own files, because a name like flannel0 or cni0 proves nothing.
        if "docker0" in interfaces:
            found.add("docker")
        if "virbr0" in interfaces:
            found.add("libvirt")
        if self.src.captured:
            found.update(self.sos.container_runtimes())
        self.facts["environment"] = {
            "kubernetes": "kubernetes" in found,
            "container_runtimes": sorted(found & set(["docker", "containerd"])),
            "libvirt": "libvirt" in found,
        }
        self._classify_bridges(found)

    def _classify_bridges(self, found):
        """Give each bridge a kind from its ports, libvirt's networks and Docker's settings."""
        networks = {}
        for _path, text in sorted(self.src.read_files(spec.LIBVIRT_NETWORK_GLOBS).items()):
            if text:
                parsed = parse_libvirt_network_xml(text)
                if parsed["bridge"]:
                    networks[parsed["bridge"]] = parsed["forward_mode"]
        daemon_text = self.src.read(spec.DOCKER_DAEMON_JSON)
        docker = {"daemon_json": None, "icc": None, "userland_proxy": None, "iptables": None}
        if daemon_text is not None:
            parsed = parse_docker_daemon_json(daemon_text)
            self._problems(spec.DOCKER_DAEMON_JSON, parsed)
            docker = {"daemon_json": spec.DOCKER_DAEMON_JSON, "icc": parsed["icc"],
                      "userland_proxy": parsed["userland_proxy"], "iptables": parsed["iptables"]}
        self.facts["docker"] = docker
        bridges = self.facts.get("bridges") or {}
        ports = set(p for b in bridges.values() for p in (b or {}).get("ports") or [])
        context = {
            "libvirt_networks": networks,
            "libvirt": "libvirt" in found,
            "docker": "docker" in found or daemon_text is not None,
            "kubernetes": "kubernetes" in found,
            # A port with a device directory is a NIC, not a virtual link.
            "physical_ports": set(p for p in ports if self.src.exists("/sys/class/net/%s/device" % p)),
        }
        for name, bridge in bridges.items():
            kind, why = classify_bridge(name, (bridge or {}).get("ports"), context)
            bridge["kind"], bridge["kind_evidence"] = kind, why
            # What br_netfilter would push through FORWARD: the br_netfilter role checks these first.
            bridge["guest_ports"] = guest_ports((bridge or {}).get("ports"), context["physical_ports"]) \
                if kind in ("hypervisor", "libvirt_network") else []
            if name in networks:
                bridge["mode"] = networks[name]

    # ------------------------------------------------------------ kernel log
    def _captured_time(self):
        """When a captured tree was taken (naive seconds, for year-less syslog stamps), or None."""
        text = self.src.read("/nfdoctor-captured-at", max_bytes=256) or self.src.command(["date"]) or ""
        found = re.search(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})", text)
        if found:
            return calendar.timegm(tuple(int(x) for x in found.groups()) + (0, 0, 0))
        found = re.search(r"([A-Z][a-z]{2}) +([0-9]{1,2}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) (?:\S+ )?([0-9]{4})", text)
        months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
        if found and found.group(1) in months:
            month, day, hour, minute, second, year = found.groups()
            return calendar.timegm((int(year), months.index(month) + 1, int(day), int(hour), int(minute),
                                    int(second), 0, 0, 0))
        return None

    def _captured_log(self, names):
        """(text, host path) of the first sosreport command output among ``names``: its end, not its start."""
        for name in names:
            for path in self.src.glob("/sos_commands/*/" + name):
                text = self.src.read_tail(path, spec.KERNEL_LOG_TAIL_BYTES)
                if text:
                    return text, path
        return None, None

    def _gather_kernel_log(self):
        uptime_text = self.src.read(spec.UPTIME_FILE, max_bytes=256)
        uptime = None
        if uptime_text and uptime_text.split():
            try:
                uptime = float(uptime_text.split()[0])
            except ValueError:
                self.src.error(spec.UPTIME_FILE, "unexpected content: %r" % uptime_text[:40])
        if self.src.captured:
            now, reference = None, self._captured_time()
        else:
            # Logs print the host's local time; compare in that frame.
            now = reference = calendar.timegm(time.localtime())
        boot = []
        if self.src.captured:
            text, label = self._captured_log([spec.sos_name(spec.KERNEL_LOG_JOURNAL_ARGV)]
                                             + list(spec.KERNEL_LOG_SOS_JOURNALS))
            if not _has_log_lines(text):
                text, label = self._captured_log(list(spec.KERNEL_LOG_SOS_DMESG))
            if _has_log_lines(text):
                boot.append((text, label))
        else:
            text = self.src.command(spec.KERNEL_LOG_JOURNAL_ARGV, max_bytes=spec.KERNEL_LOG_TAIL_BYTES) \
                if self._journal_has_files() else None
            label = " ".join(spec.KERNEL_LOG_JOURNAL_ARGV)
            if not _has_log_lines(text):
                # An empty or volatile-only journal prints "-- No entries --" and exits 0.
                # dmesg only reads the ring buffer (never -c); with kernel.dmesg_restrict=1 it needs root,
                # and its failure is an entry in errors.
                text = self.src.command(spec.KERNEL_LOG_DMESG_ARGV, max_bytes=spec.KERNEL_LOG_TAIL_BYTES)
                label = "dmesg"
            if _has_log_lines(text):
                boot.append((text, label))
        for path in spec.KERNEL_LOG_FILES:
            text = self.src.read_tail(path, spec.KERNEL_LOG_TAIL_BYTES)
            if text:
                boot.append((text, path))
                break  # kern.log, messages and syslog repeat each other's kernel lines
        if not boot:
            self.src.error("kernel log", "no kernel log found (journal, dmesg, /var/log/{kern.log,messages,"
                                         "syslog}); kernel-log findings were not checked")
            self.facts["kernel_log"] = None
            return
        from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_kernel_log import (
            parse_kernel_log,
            summarise_kernel_logs,
        )
        parsed = [parse_kernel_log(text, source=label, reference=reference, max_seconds=5.0)
                  for text, label in boot]
        summary = summarise_kernel_logs(parsed, now=now, uptime=uptime)
        for problem in summary.pop("problems"):
            self.src.error("kernel log", problem)
        summary["uptime"] = uptime
        self.facts["kernel_log"] = summary

    def _journal_has_files(self):
        """True when journalctl would find a journal file to read (capture_spec.JOURNAL_DIRS), or when a
        directory that could hold one cannot be listed: then journalctl is asked as before."""
        for directory in spec.JOURNAL_DIRS:
            names = self.src.names(directory)
            if names is None:
                return True
            for name in names:
                if name.endswith(spec.JOURNAL_FILE_SUFFIXES):
                    return True
                if spec.is_journal_subdir(name):
                    inner = self.src.names("%s/%s" % (directory, name))
                    if inner is None or any(n.endswith(spec.JOURNAL_FILE_SUFFIXES) for n in inner):
                        return True
        return False

    # ------------------------------------------------------------ routing
    def _gather_routing(self):
        # rp_filter, Calico, networkd Unmanaged=: gather_routing.py (imported here, when needed).
        from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather_routing import gather_routing
        self.facts["routing"] = gather_routing(self)

    def _gather_iptables_backends(self):
        # Rules per iptables backend (legacy, nft): gather_backends.py, imported when needed.
        from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather_backends import (
            gather_iptables_backends,
        )
        self.facts["iptables_backends"] = gather_iptables_backends(self)

    def _gather_datapath(self):
        # VXLAN devices and their checksum offload: gather_datapath.py, imported when needed.
        from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather_datapath import gather_datapath
        self.facts["datapath"] = gather_datapath(self)

    def _gather_firewall(self):
        # FORWARD accepts per bridge, the chains runtimes created, what firewall services restore:
        # gather_firewall.py, imported when needed.
        from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather_firewall import gather_firewall
        self.facts["firewall"] = gather_firewall(self)


def _leading_int(text):
    """The number that ``text`` starts with ("252", "255.4-1.fc40", "219-78.el7"), or None."""
    digits = ""
    for ch in text:
        if ch not in "0123456789":  # ASCII only: '²'.isdigit() is True, int('²') raises
            break
        digits += ch
    return int(digits) if digits else None


def _has_log_lines(text):
    """True when a log holds a line that is not journalctl's "-- No entries --" / "-- Boot ... --" banner."""
    for line in (text or "").splitlines():
        if line.strip() and not line.startswith("-- "):
            return True
    return False


def gather_facts(root="/", sample_interval=0.0, timeout=10.0):
    """The facts document for the host at ``root``, without findings."""
    return Gatherer(root, sample_interval=sample_interval, timeout=timeout).run()
