# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The findings catalogue: stable IDs, what each means, which role fixes it.

The IDs are a public contract (reports, alerts and remediate.yml key on
them). Checks fill in the severity, the sentence that cites the evidence and
the evidence itself; everything that does not depend on the host lives here.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

SEVERITIES = ("info", "low", "medium", "high", "critical")

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
        "title": "Conntrack is dropping packets it failed to insert",
        "role": "nfdoctor.netfilter.conntrack_hygiene",
        "remediation": "Stop flushing the conntrack table (role nfdoctor.netfilter.conntrack_hygiene) and, on "
                       "kernels before 5.6 with UDP clashes (DNS), upgrade.",
        "references": ["https://git.kernel.org/linus/b0feacaad13a", "https://git.kernel.org/linus/6a757c07e51f"],
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
        "references": ["https://git.kernel.org/linus/ebaf39e6032f"],
    },
    "NETNS_CLEANUP_STUCK": {
        "title": "Network namespace creation or cleanup is stuck",
        "role": "nfdoctor.netfilter.kernel_advisory",
        "remediation": "Only a reboot clears a spinning cleanup_net; upgrade the kernel before it happens again.",
        "references": ["https://git.kernel.org/linus/ebaf39e6032f"],
    },
    "CONNTRACK_TABLE_FULL_EVENTS": {
        "title": "The kernel log shows the conntrack table full and packets dropped",
        "role": "nfdoctor.netfilter.conntrack_hygiene",
        "remediation": "Raise net.netfilter.nf_conntrack_max and the hash size within your memory limits (role "
                       "nfdoctor.netfilter.conntrack_hygiene), shorten timeouts that keep dead flows, and find "
                       "what opens so many flows (a scan, a DNS storm, a NAT gateway's peak).",
        "references": ["https://docs.kernel.org/networking/nf_conntrack-sysctl.html",
                       "https://access.redhat.com/solutions/8721"],
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
}


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

    ``role=None`` says that no role can fix this instance (remediate.yml
    runs roles by this field only).
    """
    entry = CATALOGUE.get(finding_id, USER_KERNEL_ENTRY)
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


def evidence(file=None, line=None, value=None):
    """One evidence item: where the value was seen and what it was."""
    return {"file": file, "line": line, "value": value}
