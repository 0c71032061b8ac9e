# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel advice for a host, from its nfdoctor facts (runs on the controller).

Used by the role ``nfdoctor.netfilter.kernel_advisory``: for every kernel
finding on the host it states the first fixed kernel for the host's flavour,
why, what to do meanwhile, and which package carries a newer kernel. The
version facts come from the known-bad table in module_utils, not from here.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.known_bad_kernels import KNOWN_BAD_KERNELS

# Findings about a kernel that are not themselves table entries, and the entry
# whose fix they need: a crash dump in nf_queue, a namespace cleanup stuck now.
RELATED_ENTRY = {
    "KERNEL_CRASH_NF_QUEUE": "NFQUEUE_GSO_CRASH_RISK",
    "NETNS_CLEANUP_STUCK": "NETNS_CLEANUP_HANG_KERNEL",
}

# The package that pulls in the newest kernel of each flavour.
PACKAGE_BY_FLAVOUR = {
    "el6": "kernel", "el7": "kernel", "el8": "kernel", "el9": "kernel", "fedora": "kernel",
    # elrepo ships kernel-ml (mainline) and kernel-lt (long-term) from the disabled-by-default
    # elrepo-kernel repository; mainline is what seed 004's 4.16 was.
    "elrepo": "kernel-ml",
    "ubuntu": "linux-image-generic",
}
DEBIAN_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "armmp", "ppc64le": "powerpc64le",
               "s390x": "s390x", "i686": "686-pae"}

ROLE = "nfdoctor.netfilter.kernel_advisory"


def kernel_package(flavour, arch=None):
    """Name of the package that brings the newest kernel, or None when unknown."""
    if flavour == "debian":
        suffix = DEBIAN_ARCH.get(arch or "x86_64")
        return "linux-image-%s" % suffix if suffix else None
    return PACKAGE_BY_FLAVOUR.get(flavour)


def _entry_for(finding_id):
    wanted = RELATED_ENTRY.get(finding_id, finding_id)
    for entry in KNOWN_BAD_KERNELS:
        if entry.get("finding") == wanted:
            return entry
    return None


def kernel_advisories(facts):
    """One advisory per kernel finding (those whose role is kernel_advisory)."""
    if not isinstance(facts, dict):
        raise AnsibleFilterError("kernel_advisories: expected the nfdoctor facts document (a dict), got %s"
                                 % type(facts).__name__)
    kernel = facts.get("kernel") or {}
    flavour = kernel.get("flavour") or "generic"
    advisories = []
    for finding in facts.get("findings") or []:
        if not isinstance(finding, dict) or finding.get("role") != ROLE:
            continue
        entry = _entry_for(finding.get("id"))
        flavour_rule = ((entry or {}).get("flavours") or {}).get(flavour) or {}
        minimum = (entry or {}).get("fixed_in") or "see the references"
        if flavour_rule.get("note"):
            minimum += "; on %s: %s" % (flavour, flavour_rule["note"])
        advisories.append({
            "id": finding.get("id"),
            "severity": finding.get("severity"),
            "confidence": finding.get("confidence"),
            "running_kernel": kernel.get("release"),
            "flavour": flavour,
            "minimum_fixed": minimum,
            "reason": finding.get("detail") or (entry or {}).get("summary") or finding.get("title"),
            "meanwhile": (entry or {}).get("mitigation") or finding.get("remediation"),
            "references": finding.get("references") or (entry or {}).get("references") or [],
            "package": kernel_package(flavour, kernel.get("arch")),
        })
    return advisories


class FilterModule(object):
    def filters(self):
        return {"kernel_advisories": kernel_advisories, "kernel_package": kernel_package}
