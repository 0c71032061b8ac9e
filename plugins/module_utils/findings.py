# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The findings catalogue: stable IDs, what each means, which role fixes it.

The IDs are a public contract (reports, alerts and remediate.yml key on
them). Checks fill in the severity, the sentence that cites the evidence and
the evidence itself; everything that does not depend on the host lives here.

``outlives_fix`` marks the findings whose evidence is history (a counter since
boot, a log, a snapshot): once the role has removed the cause, the check still
tells the history, but with ``role`` None, so remediate.yml has nothing left
to run for it and the closed loop counts it as fixed. The text says why.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

# the one severity scale (re-exported: checks and tests import it from here)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.severity import SEVERITIES  # noqa: F401

CATALOGUE = {
    "CONNTRACK_MODULE_DISABLED": {
        "title": "A conntrack/NAT module is disabled in modprobe configuration",
        "role": "nfdoctor.netfilter.conntrack_modules",
        "remediation": "Comment out the disabling line (role nfdoctor.netfilter.conntrack_modules does it with a "
                       "backup; a vendor file is overridden from /etc/modprobe.d), then rebuild the initramfs if "
                       "it carries the file.",
        "references": ["https://git.kernel.org/linus/a0ae2562c6c4", "man:modprobe.d(5)"],
    },
    "MODULE_LOAD_STUCK": {
        "title": "Processes are stuck waiting for a kernel module load",
        "role": "nfdoctor.netfilter.conntrack_modules",
        "remediation": "Remove what disables the requested module (role nfdoctor.netfilter.conntrack_modules); "
                       "modprobe re-reads its configuration, so the stuck request completes without a reboot.",
        "references": ["https://git.kernel.org/linus/a0ae2562c6c4"],
        "outlives_fix": "the process listing of a capture or sosreport is taken before the fix, and a request "
                        "that is past the modprobe call does not retry",
    },
    "BR_NETFILTER_NOT_LOADED": {
        "title": "Bridged traffic bypasses iptables: br_netfilter is not loaded",
        "role": "nfdoctor.netfilter.br_netfilter",
        "remediation": "Load br_netfilter, persist it in /etc/modules-load.d and set bridge-nf-call-iptables=1 "
                       "(role nfdoctor.netfilter.br_netfilter).",
        "references": ["https://git.kernel.org/linus/34666d467cbf",
                       "https://kubernetes.io/docs/setup/production-environment/container-runtimes/"],
    },
    "BR_NETFILTER_NOT_PERSISTENT": {
        "title": "br_netfilter will not be loaded after a reboot",
        "role": "nfdoctor.netfilter.br_netfilter",
        "remediation": "List br_netfilter in /etc/modules-load.d and remove any blacklist of it "
                       "(role nfdoctor.netfilter.br_netfilter).",
        "references": ["man:modules-load.d(5)"],
    },
    "BRIDGE_NF_CALL_DISABLED": {
        "title": "Bridge netfilter calls are switched off",
        "role": "nfdoctor.netfilter.br_netfilter",
        "remediation": "Set net.bridge.bridge-nf-call-iptables and -ip6tables to 1 in a sysctl.d file that sorts "
                       "last (role nfdoctor.netfilter.br_netfilter).",
        "references": ["https://docs.kernel.org/networking/ip-sysctl.html"],
    },
    "NETWORKD_FORWARDING_RESET": {
        "title": "systemd-networkd turns forwarding off on links it manages",
        "role": "nfdoctor.netfilter.networkd_forwarding",
        "remediation": "Enable forwarding in the .network files of the links that route (IPForward=yes on "
                       "systemd 219-255, IPv4Forwarding=yes on 256+) and drop IPv4Forwarding=no from "
                       "networkd.conf (role nfdoctor.netfilter.networkd_forwarding).",
        "references": ["https://github.com/systemd/systemd/issues/468",
                       "https://github.com/moby/moby/issues/14185"],
    },
    "NETWORKD_IPFORWARD_IGNORED": {
        "title": "IPForward= is ignored by this systemd-networkd",
        "role": "nfdoctor.netfilter.networkd_forwarding",
        "remediation": "Replace IPForward= with IPv4Forwarding=/IPv6Forwarding= (systemd 256+ ignores "
                       "IPForward=) (role nfdoctor.netfilter.networkd_forwarding).",
        "references": ["https://github.com/systemd/systemd/pull/31423"],
    },
    "INTERFACE_FORWARDING_OFF": {
        "title": "Forwarding is on globally but off on an interface",
        "role": "nfdoctor.netfilter.networkd_forwarding",
        "remediation": "Turn forwarding on for the interface and find what turned it off (systemd-networkd, "
                       "NetworkManager, a script); role nfdoctor.netfilter.networkd_forwarding fixes the "
                       "networkd case.",
        "references": ["https://docs.kernel.org/networking/ip-sysctl.html"],
    },
    "NFQUEUE_GSO_CRASH_RISK": {
        "title": "Kernel can panic on NFQUEUE'd GSO packets",
        "role": "nfdoctor.netfilter.kernel_advisory",
        "remediation": "Upgrade the kernel (role nfdoctor.netfilter.kernel_advisory says to which).",
        "references": ["https://git.kernel.org/linus/330966e501ff"],
    },
    "KERNEL_CRASH_NF_QUEUE": {
        "title": "A kernel crash dump shows a panic in nf_queue",
        "role": "nfdoctor.netfilter.kernel_advisory",
        "remediation": "Upgrade the kernel; until then stop queueing GSO traffic (NFQA_CFG_F_GSO, or ethtool -K "
                       "gro/lro/tso/gso off on the NICs involved).",
        "references": ["https://git.kernel.org/linus/330966e501ff"],
    },
    "CONNTRACK_INSERT_FAILED": {
        "title": "Conntrack failed to insert entries (dropped packets, or on 4.7-5.9 resolved clashes)",
        "role": "nfdoctor.netfilter.conntrack_hygiene",
        "remediation": "Stop flushing the conntrack table (role nfdoctor.netfilter.conntrack_hygiene) and, on "
                       "kernels before 5.6 with UDP clashes (DNS), upgrade.",
        "references": ["https://git.kernel.org/linus/b0feacaad13a", "https://git.kernel.org/linus/6a757c07e51f"],
        "outlives_fix": "insert_failed and drop count since boot; nothing but a reboot sets them back to 0",
    },
    "CONNTRACK_FLUSH_SCHEDULED": {
        "title": "A scheduled job flushes the conntrack table",
        "role": "nfdoctor.netfilter.conntrack_hygiene",
        "remediation": "Disable the flush job or replace it with targeted conntrack -D filters "
                       "(role nfdoctor.netfilter.conntrack_hygiene, with "
                       "nfdoctor_conntrack_hygiene_disable_flush_jobs=true).",
        "references": ["https://git.kernel.org/linus/b0feacaad13a"],
    },
    "CONNTRACK_FLUSH_RACE_KERNEL": {
        "title": "Kernel drops packets of connections being confirmed during a conntrack flush",
        "role": "nfdoctor.netfilter.kernel_advisory",
        "remediation": "Stop flushing the conntrack table, or upgrade to 4.13 or later.",
        "references": ["https://git.kernel.org/linus/b0feacaad13a"],
    },
    "CONNTRACK_TABLE_NEAR_FULL": {
        "title": "The conntrack table is nearly full",
        "role": "nfdoctor.netfilter.conntrack_hygiene",
        "remediation": "Raise net.netfilter.nf_conntrack_max (and the hash size) within your limits "
                       "(role nfdoctor.netfilter.conntrack_hygiene), and look for what opens so many flows.",
        "references": ["https://docs.kernel.org/networking/nf_conntrack-sysctl.html"],
    },
    "NETNS_CLEANUP_HANG_KERNEL": {
        "title": "Kernel can hang network namespace cleanup",
        "role": "nfdoctor.netfilter.kernel_advisory",
        "remediation": "Upgrade the kernel (role nfdoctor.netfilter.kernel_advisory says to which).",
        "references": ["https://git.kernel.org/linus/648700f76b03"],
    },
    "NETNS_CLEANUP_STUCK": {
        "title": "Network namespace creation or cleanup is stuck",
        "role": "nfdoctor.netfilter.kernel_advisory",
        "remediation": "Only a reboot clears a spinning cleanup_net; upgrade the kernel before it happens again.",
        "references": [],
    },
    "CONNTRACK_TABLE_FULL_EVENTS": {
        "title": "The kernel log shows the conntrack table full and packets dropped",
        "role": "nfdoctor.netfilter.conntrack_hygiene",
        "remediation": "Raise net.netfilter.nf_conntrack_max and the hash size within your memory limits (role "
                       "nfdoctor.netfilter.conntrack_hygiene), shorten timeouts that keep dead flows, and find "
                       "what opens so many flows (a scan, a DNS storm, a NAT gateway's peak).",
        "references": ["https://docs.kernel.org/networking/nf_conntrack-sysctl.html",
                       "https://access.redhat.com/solutions/8721"],
        "outlives_fix": "the kernel log keeps the lines the kernel wrote before the maximum was raised",
    },
    "KERNEL_HUNG_TASK_NETFILTER": {
        "title": "The kernel log shows tasks stuck in netfilter or network namespace code",
        "role": None,
        "remediation": "Follow the stuck path: a module request waits for a blocked module "
                       "(CONNTRACK_MODULE_DISABLED); copy_net_ns/cleanup_net waits for net_mutex held by a "
                       "spinning cleanup (NETNS_CLEANUP_HANG_KERNEL, a kernel upgrade and a reboot).",
        "references": ["https://git.kernel.org/linus/ebaf39e6032f", "https://git.kernel.org/linus/a0ae2562c6c4"],
    },
    "NETDEV_UNREGISTER_LEAK": {
        "title": "A network device of a deleted namespace cannot be freed (unregister_netdevice leak)",
        "role": None,
        "remediation": "A kernel reference-count leak (often through conntrack or a socket of a container that "
                       "exited); upgrade the kernel, and reboot the node if namespace operations hang. Moving "
                       "container traffic off the leaking path (e.g. disabling IPv6 or a buggy offload) is a "
                       "workaround some kernels need.",
        "references": ["https://github.com/moby/moby/issues/5618"],
    },
    "IP_FORWARD_DISABLED": {
        "title": "IPv4 forwarding is off on a host that routes",
        "role": None,
        "remediation": "Set net.ipv4.ip_forward = 1 in a sysctl.d file that sorts after the one that sets 0 (a "
                       "hardening benchmark asks for 0 only on hosts that are not routers), then `sysctl --system`; "
                       "on a Kubernetes node kubeadm's preflight requires 1.",
        "references": ["https://github.com/debops/debops/issues/1878",
                       "https://github.com/canonical/microk8s/issues/267", "man:sysctl.d(5)"],
    },
    "RP_FILTER_CONFLICT": {
        "title": "Reverse-path filtering conflicts with how this host routes",
        "role": None,
        "remediation": "The kernel uses the larger of conf/all and conf/IF rp_filter: keep all at the weakest "
                       "value any interface needs and set strict (1) or loose (2) per interface in a sysctl.d file "
                       "that sorts after the one that sets it (systemd 240+ ships 50-default.conf with 2).",
        "references": ["https://docs.kernel.org/networking/ip-sysctl.html",
                       "https://github.com/projectcalico/felix/issues/2082"],
    },
    "CONNTRACK_HASHSIZE_SMALL": {
        "title": "The conntrack hash table is far smaller than the table maximum",
        "role": "nfdoctor.netfilter.conntrack_hygiene",
        "remediation": "Set the hash size to nf_conntrack_max / 4 (/sys/module/nf_conntrack/parameters/hashsize "
                       "now, 'options nf_conntrack hashsize=N' in /etc/modprobe.d for the next load).",
        "references": ["https://docs.kernel.org/networking/nf_conntrack-sysctl.html"],
    },
    "NETWORKD_MANAGES_CONTAINER_LINKS": {
        "title": "systemd-networkd manages links that a container runtime owns",
        "role": "nfdoctor.netfilter.networkd_forwarding",
        "remediation": "Add a .network file that sorts before the one that matches, with [Match] Name= for the "
                       "container links (docker0 veth* cni* flannel* cali*, minus the links networkd creates "
                       "itself from .netdev files) and [Link] Unmanaged=yes, then `networkctl reload`; role "
                       "nfdoctor.netfilter.networkd_forwarding writes "
                       "/etc/systemd/network/00-nfdoctor-container-links.network. Or narrow that file's [Match].",
        "references": ["https://github.com/coreos/bugs/issues/1205", "https://github.com/moby/moby/issues/15630",
                       "man:systemd.network(5)"],
    },
    "IPTABLES_BACKEND_MIXED": {
        "title": "iptables-legacy and iptables-nft both hold rules",
        "role": None,
        "remediation": "Pick one backend for every tool on the host (update-alternatives --set iptables "
                       "/usr/sbin/iptables-nft or -legacy, and the same for ip6tables), move the rules of the other "
                       "into it (iptables-legacy-save | iptables-nft-restore), flush the old backend, and restart "
                       "what writes rules (dockerd, kube-proxy, the firewall service) so each writes to the same one.",
        "references": ["https://github.com/kubernetes/kubernetes/issues/71305",
                       "https://github.com/kubernetes-sigs/iptables-wrappers"],
    },
    "CONNTRACK_INVALID_DROPS": {
        "title": "kube-proxy's rule drops packets conntrack marks INVALID while TCP window tracking is strict",
        "role": "nfdoctor.netfilter.conntrack_hygiene",
        "remediation": "Set net.netfilter.nf_conntrack_tcp_be_liberal = 1 (conntrack then marks only out-of-window "
                       "RSTs INVALID; kube-proxy 1.29+ leaves the DROP rule out once it is set): role "
                       "nfdoctor.netfilter.conntrack_hygiene with nfdoctor_conntrack_hygiene_tcp_be_liberal=true, or "
                       "kube-proxy's conntrack.tcpBeLiberal (1.29+). It relaxes TCP window checks host-wide: decide "
                       "it for the node, not per connection.",
        "references": ["https://github.com/kubernetes/kubernetes/pull/74840",
                       "https://github.com/kubernetes/kubernetes/pull/120412",
                       "https://docs.kernel.org/networking/nf_conntrack-sysctl.html"],
        "outlives_fix": "the DROP rule's packet counter keeps the drops made before be_liberal was set, until the "
                        "rule is replaced",
    },
    "VXLAN_CSUM_OFFLOAD_BUG": {
        "title": "VXLAN packets leave with a corrupt UDP checksum when they are NATed (kernel before the fix)",
        "role": None,
        "remediation": "Upgrade the kernel (5.7+, or 5.6.13, 5.4.41, 4.19.123, 4.14.181 on those stable series). "
                       "Meanwhile turn the transmit checksum offload off on the VXLAN device (`ethtool -K flannel.1 "
                       "tx-checksum-ip-generic off`, made persistent with a udev rule as flannel's troubleshooting "
                       "guide shows; Calico: FelixConfiguration featureDetectOverride ChecksumOffloadBroken=true), "
                       "at some throughput cost.",
        "references": ["https://git.kernel.org/linus/ea64d8d6c675",
                       "https://github.com/kubernetes/kubernetes/issues/88986",
                       "https://github.com/flannel-io/flannel/issues/1279",
                       "https://github.com/projectcalico/calico/issues/3145"],
    },
    "BRIDGE_FILTER_DROPS_GUESTS": {
        "title": "Bridged guest traffic is sent through a FORWARD chain that drops it",
        "role": "nfdoctor.netfilter.br_netfilter",
        "remediation": "Accept the bridge in FORWARD (with Docker: iptables -I DOCKER-USER -i BR -o BR -j ACCEPT, "
                       "Docker's documented place for it), or take bridged frames out of iptables: the per-bridge "
                       "/sys/class/net/BR/bridge/nf_call_iptables is ORed with net.bridge.bridge-nf-call-iptables, so "
                       "it cannot exempt a bridge while the global is 1; set the global to 0 and give the bridges "
                       "that must stay filtered their own nf_call_iptables=1 (role nfdoctor.netfilter.br_netfilter "
                       "with nfdoctor_br_netfilter_exempt_guest_bridges=true does both and persists them).",
        "references": ["https://wiki.libvirt.org/Net.bridge.bridge-nf-call_and_sysctl.conf.html",
                       "https://docs.docker.com/engine/network/packet-filtering-firewalls/",
                       "https://github.com/docker/for-linux/issues/949"],
    },
    "FIREWALL_RELOAD_WIPES_CHAINS": {
        "title": "A firewall reload wipes the chains Docker or kube-proxy created",
        "role": None,
        "remediation": "Keep the firewall service's file from replacing the runtime's tables: in /etc/nftables.conf "
                       "replace 'flush ruleset' with 'table inet filter' + 'flush table inet filter' (only your own "
                       "table); for iptables.service / netfilter-persistent save the rules with Docker running or "
                       "restore with --noflush; with firewalld use Docker 20.10+ (docker zone). After a reload that "
                       "already wiped them, restart dockerd (kube-proxy re-creates its chains at its next sync).",
        "references": ["https://github.com/moby/moby/issues/16137", "https://github.com/moby/moby/issues/35043",
                       "man:nft(8)", "man:iptables-restore(8)"],
    },
}


# Severity rules: (finding ID, rule) -> the severity the rule gives, how sure
# it is, and the source it rests on. Checks pick a rule by the host's context;
# the finding then carries the rule's ``confidence`` and its source in
# ``references``, so every severity can be traced to a commit, a man page or a
# thread. README.md's catalogue is written from this table.
_MODPROBE_D = "man:modprobe.d(5) (blacklist ignores a module's aliases only; install replaces every load)"
_L3_LOOP = ("nf_ct_l3proto_try_module_get() retries request_module(\"nf_conntrack-%d\") while the l3proto is "
            "generic (net/netfilter/nf_conntrack_proto.c before a0ae2562c6c4, v4.19); seed 000")
RULES = {
    ("CONNTRACK_MODULE_DISABLED", "l3_loop_stuck"): ("critical", "high", _L3_LOOP),
    ("CONNTRACK_MODULE_DISABLED", "l3_loop_in_use"): ("critical", "high", _L3_LOOP),
    ("CONNTRACK_MODULE_DISABLED", "l3_loop_latent"): ("high", "medium", _L3_LOOP),
    ("CONNTRACK_MODULE_DISABLED", "loaded_next_boot_in_use"): ("high", "medium", _MODPROBE_D),
    ("CONNTRACK_MODULE_DISABLED", "loaded_next_boot_latent"): ("medium", "medium", _MODPROBE_D),
    ("CONNTRACK_MODULE_DISABLED", "module_absent"): (
        "low", "high", "https://git.kernel.org/linus/a0ae2562c6c4 (no nf_conntrack_ipv4/ipv6 from 4.19; RHEL 8.3 "
                       "4.18.0-240.el8: kubespray#6934)"),
    ("CONNTRACK_MODULE_DISABLED", "blacklist_by_name_in_use"): ("low", "high", _MODPROBE_D),
    ("CONNTRACK_MODULE_DISABLED", "blacklist_by_name_latent"): ("info", "high", _MODPROBE_D),
    ("CONNTRACK_MODULE_DISABLED", "blacklist_match_alias"): (
        "medium", "high", "xt_request_find_match() asks for ipt_conntrack, an alias of xt_conntrack "
                          "(net/netfilter/x_tables.c); " + _MODPROBE_D),
    ("CONNTRACK_MODULE_DISABLED", "netlink_blocked"): (
        "medium", "high", "conntrack(8) and conntrackd need nf_conntrack_netlink (requested as nfnetlink-subsys-1)"),
    ("CONNTRACK_MODULE_DISABLED", "load_fails_in_use"): ("critical", "high", _MODPROBE_D),
    ("CONNTRACK_MODULE_DISABLED", "match_fails_in_use"): ("high", "high", _MODPROBE_D),
    ("CONNTRACK_MODULE_DISABLED", "load_fails_latent"): ("medium", "medium", _MODPROBE_D),
    ("MODULE_LOAD_STUCK", "stuck_aged"): (
        "critical", "high", "seed 000 (/proc/PID/stack in __request_module for more than 30 s)"),
    ("MODULE_LOAD_STUCK", "stuck_corroborated"): (
        "critical", "medium", "seed 000: a stack in nf_ct_l3proto_try_module_get plus a line that blocks "
                              "nf_conntrack_ipv4/ipv6 is the endless loop, whatever its age"),
    ("MODULE_LOAD_STUCK", "stuck_age_unknown"): (
        "medium", "low", "one snapshot without a process age can catch a normal module load in flight"),
    ("MODULE_LOAD_STUCK", "stuck_young"): (
        "info", "medium", "a module load younger than 30 s is most likely still in flight"),
    ("NETNS_CLEANUP_STUCK", "frag_loop"): (
        "critical", "high", "https://git.kernel.org/linus/648700f76b03 (the evict_again loop of "
                            "inet_frags_exit_net before v4.17); seed 004"),
    ("NETNS_CLEANUP_STUCK", "netns_mutex"): (
        "critical", "medium", "https://github.com/moby/moby/issues/5618 (unregister_netdevice refcount leak, the "
                              "commoner cause of copy_net_ns waiting on net_mutex)"),
    ("BR_NETFILTER_NOT_LOADED", "bridge_cni"): (
        "high", "high", "https://github.com/kubernetes/kubernetes/pull/123464 (pod -> ClusterIP -> pod on one "
                        "bridge needs bridge-nf-call-iptables)"),
    ("BR_NETFILTER_NOT_LOADED", "kubernetes_bridge"): (
        "medium", "low", "a Kubernetes node with a bridge whose ports are not known to be pod veths"),
    ("BR_NETFILTER_NOT_LOADED", "docker_needs_it"): (
        "medium", "high", "moby bridge driver: bridge-nf-call is needed for icc=false and for hairpin DNAT without "
                          "the userland proxy"),
    ("BR_NETFILTER_NOT_LOADED", "docker_loads_it"): (
        "info", "high", "moby bridge driver runs 'modprobe br_netfilter' when /proc/sys/net/bridge is missing"),
    ("BR_NETFILTER_NOT_LOADED", "libvirt_routed"): (
        "info", "high", "libvirt docs/firewall.rst: NAT/routed networks are filtered at L3 (FORWARD) and need no "
                        "br_netfilter; loading it can black-hole guests (moby#39439)"),
    ("BR_NETFILTER_NOT_LOADED", "hypervisor_bridge"): (
        "info", "medium", "libvirt wiki: filtering bridged guest traffic is generally not desired; with FORWARD "
                          "policy DROP loading br_netfilter black-holes guests (docker/for-linux#949)"),
    ("BR_NETFILTER_NOT_LOADED", "plain_bridge"): (
        "low", "low", "iptables rules exist but bridged frames bypass them; whether they should see them is "
                      "the operator's call"),
    ("BR_NETFILTER_NOT_LOADED", "plain_bridge_no_rules"): (
        "info", "medium", "no rules exist, so nothing is bypassed"),
    ("BR_NETFILTER_NOT_PERSISTENT", "kubernetes"): (
        "high", "high", "kubeadm preflight checks bridge-nf-call-iptables before v1.30 (kubernetes#123464)"),
    ("BR_NETFILTER_NOT_PERSISTENT", "needed"): ("medium", "medium", "man:modules-load.d(5)"),
    ("BRIDGE_NF_CALL_DISABLED", "kubernetes"): (
        "high", "high", "https://github.com/kubernetes/kubernetes/pull/123464"),
    ("BRIDGE_NF_CALL_DISABLED", "container"): ("medium", "medium", "moby bridge driver (icc=false)"),
    ("BRIDGE_NF_CALL_DISABLED", "rules"): ("low", "low", "bridged frames bypass the rules"),
    ("BRIDGE_NF_CALL_DISABLED", "not_needed"): (
        "info", "medium", "no bridge here is known to need bridged filtering (facts.md, which bridges need it)"),
    ("BRIDGE_NF_CALL_DISABLED", "hypervisor"): (
        "info", "high", "libvirt docs/firewall.rst and wiki: not filtering bridged guest traffic is the recommended "
                        "setting on a hypervisor"),
    ("NETWORKD_IPFORWARD_IGNORED", "only_forwarding"): (
        "high", "high", "https://github.com/systemd/systemd/pull/31423 (systemd 256 ignores IPForward=; hosts whose "
                        "only forwarding switch it was stop routing on upgrade)"),
    ("NETWORKD_IPFORWARD_IGNORED", "resets"): ("high", "high", "https://github.com/systemd/systemd/pull/31423"),
    ("NETWORKD_IPFORWARD_IGNORED", "other_source"): (
        "low", "medium", "https://github.com/systemd/systemd/pull/31423 (something else also enables forwarding)"),
    ("NETWORKD_FORWARDING_RESET", "per_link"): (
        "high", "high", "https://github.com/systemd/systemd/issues/468 (v219-227 write forwarding=0 without "
                        "IPForward=yes); systemd 256 IPv4Forwarding=no per link (systemd#31423); seed 003"),
    ("INTERFACE_FORWARDING_OFF", "dropping"): (
        "high", "high", "ip_error() counts InAddrErrors when the input link's forwarding is off (seed 003)"),
    ("INTERFACE_FORWARDING_OFF", "container"): (
        "high", "medium", "moby#15630: container traffic enters on docker0/veths, which must forward"),
    ("INTERFACE_FORWARDING_OFF", "off"): (
        "medium", "medium", "docs.kernel.org ip-sysctl: per-interface forwarding decides for packets arriving there"),
    ("CONNTRACK_FLUSH_SCHEDULED", "with_failures"): (
        "high", "high", "https://git.kernel.org/linus/b0feacaad13a; seed 002 (flush + insert_failed climbing)"),
    ("CONNTRACK_FLUSH_SCHEDULED", "old_kernel"): (
        "high", "medium", "before b0feacaad13a (v4.13) a flush also kills unconfirmed entries"),
    ("CONNTRACK_FLUSH_SCHEDULED", "job"): (
        "medium", "medium", "every flush drops established state; connections then need a new handshake"),
    ("NETWORKD_FORWARDING_RESET", "host_wide_container"): (
        "critical", "high", "systemd src/network/networkd-sysctl.c manager_set_ip_forwarding() (v256, "
                            "systemd#31423): networkd.conf IPv4Forwarding= sets all/default forwarding"),
    ("NETWORKD_FORWARDING_RESET", "host_wide_wanted"): (
        "high", "high", "systemd src/network/networkd-sysctl.c manager_set_ip_forwarding() (v256)"),
    ("NFQUEUE_GSO_CRASH_RISK", "crashed_running_release"): (
        "critical", "high", "a vmcore of the running release shows the nf_queue panic (seed 001)"),
    ("KERNEL_CRASH_NF_QUEUE", "running_release"): (
        "critical", "high", "https://git.kernel.org/linus/330966e501ff; the dump's release is the running one"),
    ("KERNEL_CRASH_NF_QUEUE", "release_unknown"): (
        "high", "medium", "the dump does not name its kernel release"),
    ("KERNEL_CRASH_NF_QUEUE", "older_still_affected"): (
        "medium", "medium", "an older kernel crashed; the running one is still in the affected range"),
    ("KERNEL_CRASH_NF_QUEUE", "history"): (
        "low", "high", "an older kernel crashed; the running one is past the fix"),
    ("CONNTRACK_INSERT_FAILED", "resolved_clashes"): (
        "info", "high", "netfilter-devel '[PATCH nf-next 0/4] revisit conntrack statistics' (F. Westphal, Aug "
                        "2020): on 4.7-5.9 insert_failed counts resolved clashes (71d8c47fc653, v4.7) until "
                        "bc92470413f3 (v5.10) adds clashres; drop=0 means no packet was lost"),
    ("CONNTRACK_INSERT_FAILED", "rising"): ("high", "high", "a rising loss counter is loss happening now"),
    ("CONNTRACK_INSERT_FAILED", "flush_or_many"): (
        "medium", "medium", "https://git.kernel.org/linus/b0feacaad13a (flush vs unconfirmed entries); seed 002"),
    ("CONNTRACK_INSERT_FAILED", "some"): ("low", "medium", "a counter since boot, without a rate"),
    ("CONNTRACK_TABLE_NEAR_FULL", "dropping"): (
        "critical", "high", "'nf_conntrack: table full, dropping packet' (Red Hat KB 8721); early_drop counts "
                            "evictions of a full table (drop also counts clash failures before 5.10, "
                            "bc92470413f3)"),
    ("CONNTRACK_TABLE_NEAR_FULL", "near"): ("high", "high", "docs.kernel.org nf_conntrack-sysctl"),
    ("IP_FORWARD_DISABLED", "kubernetes_off"): (
        "critical", "high", "kubeadm preflight refuses a node whose /proc/sys/net/ipv4/ip_forward is not 1 "
                            "(cmd/kubeadm/app/preflight/checks.go); pod traffic leaving the node is dropped"),
    ("IP_FORWARD_DISABLED", "container_off"): (
        "high", "high", "moby: dockerd sets ip_forward=1 only when it starts (--ip-forward); with 0 containers on "
                        "bridge networks cannot reach past the host (moby#14185)"),
    ("IP_FORWARD_DISABLED", "libvirt_off"): (
        "high", "medium", "libvirt's network driver turns ip_forward on when it starts a NAT/routed network; "
                          "with 0 the guests cannot leave the host"),
    ("IP_FORWARD_DISABLED", "configured_on_off"): (
        "high", "medium", "sysctl.d asks for 1 and the kernel has 0: something turned it off after boot "
                          "(systemd-networkd IPv4Forwarding=no, systemd#31423; a script)"),
    ("IP_FORWARD_DISABLED", "nat_off"): (
        "medium", "medium", "NAT rules translate forwarded traffic, which ip_forward=0 drops before they see it "
                            "(docs.kernel.org ip-sysctl ip_forward)"),
    ("IP_FORWARD_DISABLED", "pending_kubernetes"): (
        "high", "high", "https://github.com/canonical/microk8s/issues/267 and debops#1878: a hardening sysctl.d "
                        "file sets ip_forward=0; systemd-sysctl applies it at boot and on every `sysctl --system`, "
                        "and nothing on a Kubernetes node sets it back"),
    ("IP_FORWARD_DISABLED", "pending_container"): (
        "medium", "high", "https://github.com/debops/debops/issues/1878: dockerd sets ip_forward=1 again only when "
                          "it starts, so a `sysctl --system` while it runs cuts container traffic until it restarts"),
    ("IP_FORWARD_DISABLED", "pending_forwarding"): (
        "medium", "medium", "the host forwards now (NAT rules, ForwDatagrams) and the sysctl.d winner turns it off "
                            "at the next boot (man:sysctl.d(5): later files win)"),
    ("IP_FORWARD_DISABLED", "pending_restored"): (
        "low", "medium", "systemd-networkd with IPForward=yes/IPv4Forwarding=yes turns forwarding on again when it "
                         "starts, after systemd-sysctl: only `sysctl --system` at run time cuts it"),
    ("RP_FILTER_CONFLICT", "calico_loose"): (
        "medium", "medium", "https://github.com/projectcalico/felix/pull/1322 (felix exits when all.rp_filter is 2 "
                            "unless IgnoreLooseRPF), felix#2082 (systemd v240 50-default.conf sets 2, systemd#10971); "
                            "libcalico-go#1181 (Dec 2019) dropped the check for an iptables RPF rule, so newer "
                            "releases start; the release is not known here"),
    ("RP_FILTER_CONFLICT", "calico_loose_pending"): (
        "low", "medium", "felix#2082: systemd's 50-default.conf sets all.rp_filter = 2 again at every boot; only "
                         "felix releases before libcalico-go#1181 (Dec 2019) refuse it"),
    ("RP_FILTER_CONFLICT", "tunnel_strict_dropping"): (
        "medium", "high", "IPReversePathFilter (LINUX_MIB_IPRPFILTER, /proc/net/netstat) counts packets rp_filter "
                          "dropped; docs.kernel.org ip-sysctl rp_filter: the max of conf/all and conf/IF is used, "
                          "loose mode is recommended for asymmetric routing"),
    ("RP_FILTER_CONFLICT", "tunnel_strict"): (
        "low", "low", "docs.kernel.org ip-sysctl rp_filter: strict mode drops a packet whose reverse path is "
                      "another interface; tunnels with symmetric routes pass, overlays and policy routing may not"),
    ("CONNTRACK_HASHSIZE_SMALL", "near_full"): (
        "medium", "medium", "kube-proxy sets hashsize = max/4 (cmd/kube-proxy/app/conntrack.go); a nearly full "
                            "table over a small hash walks long bucket chains on every packet's lookup"),
    ("CONNTRACK_HASHSIZE_SMALL", "filling"): (
        "low", "medium", "more entries per bucket than the max/4 kube-proxy and the kernel intend already"),
    ("CONNTRACK_HASHSIZE_SMALL", "idle"): (
        "info", "high", "the table is nearly empty: the small hash costs nothing until it fills"),
    ("NETWORKD_MANAGES_CONTAINER_LINKS", "managing_now"): (
        "high", "medium", "https://github.com/moby/moby/issues/15630 and coreos/bugs#1205: networkd configuring "
                          "docker0/veths (addresses, DHCP, forwarding=0 on 219-227) cuts container traffic"),
    ("NETWORKD_MANAGES_CONTAINER_LINKS", "matches_pattern"): (
        "medium", "medium", "https://github.com/coreos/bugs/issues/1205: a catch-all [Match] Name= takes every "
                            "veth a container start creates"),
    ("IPTABLES_BACKEND_MIXED", "kubernetes"): (
        "high", "high", "https://github.com/kubernetes/kubernetes/issues/71305 (kube-proxy in one backend, the "
                        "host's rules in the other: both are evaluated and neither sees the other); "
                        "node-problem-detector iptables_mode.sh"),
    ("IPTABLES_BACKEND_MIXED", "container"): (
        "high", "medium", "kubernetes#71305, kube-router#1069: a runtime writes its NAT and FORWARD rules to one "
                          "backend while the other's DROP or policy still applies"),
    ("IPTABLES_BACKEND_MIXED", "both"): (
        "medium", "medium", "kubernetes-sigs/iptables-wrappers: both backends hold rules, so a packet must pass "
                            "both and each tool shows only half of the firewall"),
    ("CONNTRACK_INVALID_DROPS", "dropping_now"): (
        "high", "medium", "kubernetes#74839/#74840 (kube-proxy 1.15+ drops INVALID in KUBE-FORWARD; out-of-window "
                          "retransmits are INVALID with nf_conntrack_tcp_be_liberal=0); the rule's counter is non-zero "
                          "and /proc/net/stat/nf_conntrack invalid is rising now"),
    ("CONNTRACK_INVALID_DROPS", "dropped"): (
        "medium", "medium", "kubernetes#117924 and #94861 (legitimate multi-homed/asymmetric traffic dropped as "
                            "INVALID by KUBE-FORWARD); the rule's packet counter is non-zero"),
    ("CONNTRACK_INVALID_DROPS", "invalid_counted"): (
        "low", "low", "/proc/net/stat/nf_conntrack invalid counts INVALID packets host-wide; without the rule's "
                      "counter it is not known how many KUBE-FORWARD dropped"),
    ("CONNTRACK_INVALID_DROPS", "idle"): (
        "info", "high", "the rule's counter is 0: nothing was dropped as INVALID since it was loaded"),
    ("CONNTRACK_INVALID_DROPS", "liberal"): (
        "info", "high", "nf_conntrack_tcp_be_liberal=1 (docs.kernel.org nf_conntrack-sysctl): only out-of-window "
                        "RSTs are INVALID by window tracking; kube-proxy 1.29+ (kubernetes#120412) would not install "
                        "the rule, so an older kube-proxy or another tool did"),
    ("VXLAN_CSUM_OFFLOAD_BUG", "nat_kubernetes"): (
        "high", "high", "https://git.kernel.org/linus/ea64d8d6c675 (udp_manip_pkt() rewrote the zero outer checksum "
                        "of a NATed VXLAN packet with CHECKSUM_PARTIAL); kubernetes#88986 (kube-proxy's MASQUERADE "
                        "--random-fully NATs the outer packet: 63 s service delays), flannel#1279, calico#3145"),
    ("VXLAN_CSUM_OFFLOAD_BUG", "nat"): (
        "medium", "medium", "ea64d8d6c675: only NATed VXLAN packets are hit; MASQUERADE/SNAT rules are present here"),
    ("VXLAN_CSUM_OFFLOAD_BUG", "latent"): (
        "low", "medium", "ea64d8d6c675: the kernel and the offload are as in the bug, but no NAT rule would rewrite "
                         "the outer UDP header today"),
    ("BRIDGE_FILTER_DROPS_GUESTS", "guests_black_holed"): (
        "high", "high", "libvirt wiki 'Net.bridge.bridge-nf-call and sysctl.conf' (bridged guest traffic sent to "
                        "iptables is blocked by host rules that only account for the host); br_nf_pre_routing() "
                        "(net/bridge/br_netfilter_hooks.c) sends a frame to FORWARD when the global sysctl or the "
                        "bridge's nf_call_iptables is 1; Docker sets FORWARD DROP (moby#14041, docker/for-linux#949)"),
    ("BRIDGE_FILTER_DROPS_GUESTS", "libvirt_network"): (
        "medium", "medium", "libvirt docs/firewall.rst: the LIBVIRT_FWX '-i virbr0 -o virbr0 -j ACCEPT' rule exists "
                            "for guest-to-guest frames once br_netfilter is on; without it they hit the DROP policy"),
    ("BRIDGE_FILTER_DROPS_GUESTS", "no_guest_yet"): (
        "medium", "medium", "the bridge holds a NIC and no guest port yet: the next guest attached to it goes "
                            "dark (libvirt wiki; seapath/ansible#909)"),
    ("FIREWALL_RELOAD_WIPES_CHAINS", "chains_missing"): (
        "high", "medium", "https://github.com/moby/moby/issues/16137: a firewall restart removes Docker's chains and "
                          "containers lose NAT and published ports until dockerd restarts"),
    ("FIREWALL_RELOAD_WIPES_CHAINS", "nft_flush_docker"): (
        "high", "high", "man:nft(8) 'flush ruleset' deletes every table, iptables-nft's ip nat/ip filter included; "
                        "Debian's /etc/nftables.conf starts with it and nftables.service reload runs nft -f on it "
                        "(moby#35043); dockerd writes its chains only at start"),
    ("FIREWALL_RELOAD_WIPES_CHAINS", "nft_flush_kube"): (
        "medium", "medium", "man:nft(8) flush ruleset; kube-proxy re-creates its chains at its next sync "
                            "(--iptables-sync-period, 30 s by default), so Services break until then"),
    ("FIREWALL_RELOAD_WIPES_CHAINS", "nft_flush_legacy"): (
        "low", "medium", "Docker's chains are in iptables-legacy's x_tables, which 'flush ruleset' does not touch; "
                         "a switch of the iptables alternative to nft (Debian 10+ default) puts them in reach"),
    ("FIREWALL_RELOAD_WIPES_CHAINS", "restore_without_docker"): (
        "high", "high", "man:iptables-restore(8): without --noflush every table in the file is flushed first, so "
                        "Docker's chains in it are gone after the service restarts (moby#16137)"),
    ("FIREWALL_RELOAD_WIPES_CHAINS", "restore_unit_off"): (
        "low", "medium", "man:iptables-restore(8); the unit is not enabled, so only a manual restore or re-enabling "
                         "it wipes Docker's chains"),
    ("FIREWALL_RELOAD_WIPES_CHAINS", "firewalld_old_docker"): (
        "medium", "medium", "https://github.com/moby/libnetwork/pull/2548 (moby/moby#41189, Docker 20.10.0): before "
                            "20.10 dockerd put its interfaces in no firewalld zone and only re-added its rules on "
                            "firewalld's Reloaded signal; on the nftables backend (RHEL 8) containers were rejected "
                            "(libnetwork#2496)"),
}


def rule(finding_id, name):
    """``{"severity", "confidence", "source"}`` of a severity rule; KeyError names the missing pair."""
    severity, confidence, source = RULES[(finding_id, name)]
    return {"severity": severity, "confidence": confidence, "source": source, "name": name}


# What a finding ID from a user's own known_bad_kernels entry gets.
USER_KERNEL_ENTRY = {
    "title": "Kernel is in a known-bad range listed by the user",
    "role": "nfdoctor.netfilter.kernel_advisory",
    "remediation": "Upgrade the kernel (role nfdoctor.netfilter.kernel_advisory).",
    "references": [],
}


def severity_rank(severity):
    """0 for info up to 4 for critical; -1 for anything else."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        return -1


_CATALOGUE_ROLE = object()


def make_finding(finding_id, severity, detail, evidence, remediation=None, references=None,
                 confidence=None, title=None, role=_CATALOGUE_ROLE):
    """One finding, with the catalogue's title, role, remediation and references.

    ``severity`` is a name of ``SEVERITIES`` or a :func:`rule` dict, whose
    severity, confidence and source the finding then carries.
    ``role=None`` says that no role can fix this instance (remediate.yml
    runs roles by this field only).
    """
    entry = CATALOGUE.get(finding_id, USER_KERNEL_ENTRY)
    if isinstance(severity, dict):
        references = list(references or []) + [severity["source"]]
        confidence = confidence or severity["confidence"]
        severity = severity["severity"]
    if severity not in SEVERITIES:
        raise ValueError("severity %r of %s is not one of %s" % (severity, finding_id, ", ".join(SEVERITIES)))
    finding = {
        "id": finding_id,
        "severity": severity,
        "title": title or entry["title"],
        "detail": detail,
        "evidence": [dict(item) for item in evidence],
        "remediation": remediation or entry["remediation"],
        "role": entry["role"] if role is _CATALOGUE_ROLE else role,
        "references": list(entry["references"]) + [r for r in (references or []) if r not in entry["references"]],
    }
    if confidence is not None:
        finding["confidence"] = confidence
    return finding


def fact(facts, *keys):
    """facts[k1][k2]... or None when any level is missing or not a dict (checks read facts through this)."""
    value = facts
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def evidence(file=None, line=None, value=None):
    """One evidence item: where the value was seen and what it was."""
    return {"file": file, "line": line, "value": value}
