# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What we know about kernel versions, as data.

Two tables, both sourced in ``research/facts.md``:

``KNOWN_BAD_KERNELS``
    Kernel bugs that took hosts down in the incidents. Each entry names the
    finding it raises, the upstream ranges it affects (``introduced``
    inclusive, ``fixed`` exclusive, ``confidence`` per range), overrides for
    distribution kernels whose release string hides backports (``flavours``),
    and the feature whose use makes the bug bite (``trigger``), which the
    checks turn into severity. Users add entries with the module option
    ``known_bad_kernels`` (same keys; validated by ``validate_entry``).

``KERNEL_FEATURES``
    Versions at which the kernel changed in ways the checks must know
    (br_netfilter split out of bridge.ko, nf_conntrack_ipv4 merged).
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.kernel_release import (
    compare_kernel_releases,
    version_in_range,
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.severity import SEVERITY_CHOICES

CONFIDENCE_ORDER = ("low", "medium", "high")
TRIGGERS = ("nfqueue", "netns", "conntrack_flush", "nat", "always")
CHECKED_BY = ("checks_datapath",)
# SEVERITY_CHOICES has "none" for severity_latent: the bug cannot bite without its trigger, so say nothing.

# Every range and every flavour rule names its ``source`` (commit, changelog,
# issue thread) and ``confidence``; the finding shows both, so a reader can
# check the claim instead of trusting it.
KNOWN_BAD_KERNELS = (
    {
        "id": "nfqueue-gso-null-deref",
        "finding": "NFQUEUE_GSO_CRASH_RISK",
        "summary": "nf_queue dereferences NULL when skb_gso_segment() fails for a queued GSO packet; the host panics",
        "affected": [{"introduced": "2.6.19", "fixed": "3.18", "confidence": "medium",
                      "source": "fix 330966e501ff 'net: make skb_gso_segment error handling more robust' "
                                "(first release v3.18, inferred); GSO segmentation in nf_queue since ~2.6.19"}],
        "flavours": {
            "el6": {"affected": True, "confidence": "low",
                    "note": "no confirmed RHEL 6 erratum carries the fix",
                    "source": "no RHEL 6 erratum found that carries 330966e501ff (facts.md, UNCONFIRMED)"},
            "el7": {"affected": True, "confidence": "low",
                    "note": "3.10-based; whether RHEL 7 backported 330966e501ff is unconfirmed",
                    "source": "RHEL 7 backport of 330966e501ff not confirmed (facts.md, UNCONFIRMED)"},
        },
        "trigger": "nfqueue",
        # The crash path is reachable only through NFQUEUE: without a queue rule there is nothing to report.
        "severity_latent": "none",
        # A vmcore of the running release showing this panic turns "possibly" into "it crashed, it will again".
        "corroborated_by": "nf_queue_gso",
        "fixed_in": "upstream 3.18 (330966e501ff)",
        "references": [
            "https://git.kernel.org/linus/330966e501ff",
        ],
        "mitigation": "upgrade the kernel; until then set NFQA_CFG_F_GSO in the queue program, or turn off "
                      "GRO/LRO (ingress) and TSO/GSO (egress) with ethtool -K on the NICs whose traffic is queued",
    },
    {
        "id": "netns-frag-exit-spin",
        "finding": "NETNS_CLEANUP_HANG_KERNEL",
        "summary": "cleanup_net holds net_mutex while the pre-rhashtable inet_frags_exit_net() repeats its "
                   "evict_again loop on a leaked frag memory count; 'ip netns add' and every namespace creation hang",
        "affected": [
            # Start of the window unconfirmed: the percpu frag-memory wait is 3.17+ era code.
            {"introduced": "3.17", "fixed": "4.2", "confidence": "low",
             "source": "start of the window UNCONFIRMED: openvswitch compat inet_fragment.c mirrors the loop "
                       "under HAVE_INET_FRAGS_WITH_FRAGS_WORK (>= 3.17)"},
            {"introduced": "4.2", "fixed": "4.4", "confidence": "medium",
             "source": "5719b296fb81 (v4.2) as the earlier guess; loop removed by 648700f76b03 (v4.17)"},
            # 4.4.y got the rhashtable rework with the FragmentSmack fixes in 4.4.174.
            {"introduced": "4.4", "fixed": "4.4.174", "confidence": "medium",
             "source": "'Changes in 4.4.174: inet: frags: use rhashtables for reassembly units' "
                       "(android kernel/common 'Merge 4.4.174 into android-4.4'; openSUSE-2019-274)"},
            {"introduced": "4.5", "fixed": "4.9", "confidence": "medium",
             "source": "648700f76b03 (v4.17) removed the loop; 4.5-4.8 went EOL before it"},
            # 4.9.y and 4.14.y got the backport too, at z-versions not pinned from sources.
            {"introduced": "4.9", "fixed": "4.10", "confidence": "low",
             "source": "4.9.y rhashtable backport (CVE-2018-5391 series) exists; z-version UNCONFIRMED"},
            {"introduced": "4.10", "fixed": "4.14", "confidence": "medium",
             "source": "648700f76b03 (v4.17) removed the loop; 4.10-4.13 went EOL before it"},
            {"introduced": "4.14", "fixed": "4.15", "confidence": "low",
             "source": "4.14.y rhashtable backport (CVE-2018-5391 series) exists; z-version UNCONFIRMED"},
            {"introduced": "4.15", "fixed": "4.17", "confidence": "high",
             "source": "648700f76b03 'inet: frags: use rhashtables for reassembly units' (v4.17) removed the "
                       "evict_again loop; 4.15.y/4.16.y went EOL without it (seed 004: 4.16.13)"},
        ],
        "flavours": {
            "el6": {"affected": False, "source": "2.6.32 predates the 3.17-era fragment code"},
            "el7": {"affected": False,
                    "source": "3.10 base; whether it carries the 3.17-era fragment code is UNCONFIRMED, so "
                              "nothing is reported (at most 'possibly', which every EL7 host would get)"},
            "el8": {"affected": False,
                    "source": "4.18 base is after 648700f76b03 (v4.17), which removed the loop"},
            # Ubuntu's CVE-2018-5391 updates of 4.4/4.15 may carry the rework: say "possibly".
            "ubuntu": {"mode": "cap", "confidence": "low",
                       "note": "Ubuntu's FragmentSmack (CVE-2018-5391) updates may carry the rhashtable rework",
                       "source": "Ubuntu backport of 648700f76b03 not pinned to an ABI number"},
        },
        "trigger": "netns",
        "fixed_in": "upstream 4.17 (648700f76b03), 4.4.174 on 4.4.y",
        "references": [
            "https://git.kernel.org/linus/648700f76b03",
            "https://git.kernel.org/linus/ebaf39e6032f",
        ],
        "mitigation": "upgrade to a kernel with the rhashtable frag code (4.17 or later, 4.4.174 or later on "
                      "4.4.y; elrepo kernel-ml/kernel-lt on EL7)",
    },
    {
        "id": "conntrack-flush-unconfirmed-race",
        "finding": "CONNTRACK_FLUSH_RACE_KERNEL",
        "summary": "a conntrack flush kills unconfirmed entries and __nf_conntrack_confirm drops their packets "
                   "(insert_failed); applications see EPERM on send",
        "affected": [{"introduced": "2.6.0", "fixed": "4.13", "confidence": "medium",
                      "source": "b0feacaad13a 'don't call iter for non-confirmed conntracks' (v4.13)"}],
        "flavours": {
            "el6": {"affected": True, "confidence": "low", "note": "backport status unconfirmed",
                    "source": "RHEL 6 backport of b0feacaad13a not confirmed"},
            "el7": {"affected": True, "confidence": "low", "note": "backport status unconfirmed",
                    "source": "RHEL 7 backport of b0feacaad13a not confirmed"},
        },
        "trigger": "conntrack_flush",
        # Without a flush the race never fires: worth knowing, not worth a ticket.
        "severity_latent": "info",
        "fixed_in": "upstream 4.13 (b0feacaad13a)",
        "references": ["https://git.kernel.org/linus/b0feacaad13a"],
        "mitigation": "stop flushing the table (delete only the entries you mean with conntrack -D filters), "
                      "or upgrade the kernel",
    },
    {
        "id": "vxlan-nat-udp-zero-csum",
        "finding": "VXLAN_CSUM_OFFLOAD_BUG",
        "summary": "udp_manip_pkt() updates the zero (disabled) outer UDP checksum of a NATed VXLAN packet whose inner "
                   "checksum is offloaded (CHECKSUM_PARTIAL); the receiver drops it as 'UDP: bad checksum'",
        # The stable backports, from the stable review series of May 2020 ("[PATCH 4.19 44/48] netfilter: nat:
        # never update the UDP checksum when its 0", "[PATCH 5.4 81/90]", "[PATCH 5.6 107/118]" on 13 May,
        # "[PATCH 4.14 034/114]" on 18 May; the 4.19.123 and 4.14.181 review cycles have 48 and 114 patches).
        "affected": [
            {"introduced": "3.7", "fixed": "4.14.181", "confidence": "medium",
             "source": "ea64d8d6c675 'netfilter: nat: never update the UDP checksum when it's 0' (v5.7; Fixes: "
                       "5b1158e909ec, the bug is as old as nf_nat; VXLAN's UDP tunnel offload makes it visible, "
                       "so the window starts with vxlan.ko in 3.7); 4.14.181 backport"},
            {"introduced": "4.15", "fixed": "4.19.123", "confidence": "medium",
             "source": "ea64d8d6c675 backported in 4.19.123 ([PATCH 4.19 44/48], 13 May 2020); 4.15-4.18 EOL before"},
            {"introduced": "4.20", "fixed": "5.4.41", "confidence": "medium",
             "source": "ea64d8d6c675 backported in 5.4.41 ([PATCH 5.4 81/90], 13 May 2020); 4.20-5.3 EOL before"},
            {"introduced": "5.5", "fixed": "5.6.13", "confidence": "medium",
             "source": "ea64d8d6c675 backported in 5.6.13 ([PATCH 5.6 107/118], 13 May 2020); 5.5 EOL before"},
        ],
        "flavours": {
            # felix#2811 disables the offload on every kernel < 5.7, and a RHEL 8 reporter says 8.x has the fix
            # (felix#2811 comments); which erratum carries it is not pinned: "possibly".
            "el7": {"affected": True, "confidence": "low",
                    "note": "3.10 base; flannel#1279 reports it on RHEL 7 nodes, the fixing erratum is not known",
                    "source": "flannel#1279 (RHEL 7, k8s 1.17); no RHEL 7 erratum with ea64d8d6c675 found"},
            "el8": {"affected": True, "confidence": "low",
                    "note": "4.18 base; said to be fixed in RHEL 8.x (felix#2811 discussion), erratum not pinned",
                    "source": "projectcalico/felix#2811 comment (RHEL/CentOS 8.x 'supposed to be fixed')"},
            "ubuntu": {"mode": "cap", "confidence": "low",
                       "note": "Ubuntu kernels carry stable backports at ABI numbers not pinned here; calico#4865 "
                               "reports the symptom again on Ubuntu 20.04's 5.8",
                       "source": "projectcalico/calico#4865 (Ubuntu 20.04, 5.8), calico#6842"},
        },
        # Raised by checks_datapath.check_vxlan_csum_offload, which needs the device and its offload state
        # (ethtool -k) as evidence; the generic kernel check skips entries with checked_by.
        "checked_by": "checks_datapath",
        "trigger": "nat",
        "fixed_in": "upstream 5.7 (ea64d8d6c675); 5.6.13, 5.4.41, 4.19.123, 4.14.181",
        "references": ["https://git.kernel.org/linus/ea64d8d6c675"],
        "mitigation": "ethtool -K DEV tx-checksum-ip-generic off on the VXLAN device (flannel troubleshooting "
                      "guide: a udev rule makes it persistent), or the CNI's own switch (Calico "
                      "ChecksumOffloadBroken=true)",
    },
)

KERNEL_FEATURES = {
    # br_netfilter became its own module in 3.18 (34666d467cbf); before that bridge.ko
    # filtered by itself. RHEL 7 backported the split, probably in 7.3.
    "br_netfilter_split": {
        "since": "3.18",
        "flavours": {"el7": {"since_release": "3.10.0-514.el7", "confidence": "low",
                             "source": "3.10.0-327.el7 says 'Module br_netfilter not found'; 7.3 assumed"},
                     "el6": {"affected": False}},
        "references": ["https://git.kernel.org/linus/34666d467cbf"],
    },
    # nf_conntrack_ipv4/ipv6 were merged into nf_conntrack in 4.19 (a0ae2562c6c4); RHEL 8.3
    # (4.18.0-240.el8) carries the merge, RHEL 8.0-8.2 (up to -193) still have the modules.
    "conntrack_l3proto_merged": {
        "since": "4.19",
        "flavours": {"el8": {"since_release": "4.18.0-240.el8", "confidence": "high",
                             "source": "kubespray#6934 (nf_conntrack_ipv4 not found on 4.18.0-240.1.1.el8_3), "
                                       "kubernetes#97052 (RHEL 8.3 release notes), kURL#1470 (OL 8.3)"}},
        "references": ["https://git.kernel.org/linus/a0ae2562c6c4",
                       "https://github.com/kubernetes-sigs/kubespray/issues/6934"],
    },
}


def parse_version(text):
    """'4.19.10' -> [4, 19, 10]; None for anything else."""
    if isinstance(text, (list, tuple)):
        text = ".".join(str(part) for part in text)
    try:
        parts = [int(part) for part in str(text).split(".")]
    except ValueError:
        return None
    if not 1 <= len(parts) <= 3 or any(part < 0 for part in parts):
        return None
    return parts + [0] * (3 - len(parts))


def _check_choice(problems, where, value, choices):
    if value is not None and value not in choices:
        problems.append("%s %r is not one of %s" % (where, value, ", ".join(choices)))


def validate_entry(entry):
    """Return a list of problems with a table entry ([] if fine).

    Built-in and user-supplied entries go through the same checks: a typo
    such as severity ``crit`` or confidence ``hi`` is refused here, because a
    severity the scale does not know would rank as info and slip past
    ``nfdoctor_fail_on``.
    """
    problems = []
    if not isinstance(entry, dict):
        return ["entry is not a mapping"]
    for key in ("id", "finding", "affected"):
        if key not in entry:
            problems.append("missing key %r" % key)
    finding = entry.get("finding")
    if finding is not None and not (isinstance(finding, str) and finding.replace("_", "").isalnum()
                                    and finding.upper() == finding):
        problems.append("finding %r must be an ID in capitals like NETNS_CLEANUP_HANG_KERNEL" % (finding,))
    if not isinstance(entry.get("affected", []), list):
        problems.append("'affected' must be a list of {introduced, fixed, confidence, source}")
    else:
        for index, rng in enumerate(entry.get("affected", [])):
            if not isinstance(rng, dict):
                problems.append("affected[%d] is not a mapping" % index)
                continue
            for bound in ("introduced", "fixed"):
                if rng.get(bound) is not None and parse_version(rng[bound]) is None:
                    problems.append("affected[%d].%s %r is not a version like 4.19.10" % (index, bound, rng[bound]))
            _check_choice(problems, "affected[%d].confidence" % index, rng.get("confidence"), CONFIDENCE_ORDER)
    for key in ("severity_in_use", "severity_latent"):
        _check_choice(problems, key, entry.get(key), SEVERITY_CHOICES)
    _check_choice(problems, "trigger", entry.get("trigger") or "always", TRIGGERS)
    # An entry whose finding needs more evidence than the kernel release has a check of its own.
    _check_choice(problems, "checked_by", entry.get("checked_by"), CHECKED_BY)
    flavours = entry.get("flavours") or {}
    if not isinstance(flavours, dict):
        problems.append("'flavours' must be a mapping")
    else:
        for name, rule in sorted(flavours.items()):
            if not isinstance(rule, dict):
                problems.append("flavours.%s is not a mapping" % name)
                continue
            _check_choice(problems, "flavours.%s.confidence" % name, rule.get("confidence"), CONFIDENCE_ORDER)
            if rule.get("affected", True) not in (True, False):
                problems.append("flavours.%s.affected must be true or false" % name)
    if entry.get("references") is not None and not isinstance(entry.get("references"), list):
        problems.append("'references' must be a list of strings")
    return problems


def _lower(confidence, cap):
    """The lower of two confidence names."""
    ranks = [CONFIDENCE_ORDER.index(c) if c in CONFIDENCE_ORDER else 0 for c in (confidence, cap)]
    return CONFIDENCE_ORDER[min(ranks)]


def match_entry(kernel, entry):
    """Does ``kernel`` (a parse_kernel_release() dict) fall in ``entry``?

    Returns None when it does not, else ``{"confidence", "basis", "source"}``:
    ``basis`` says why for the finding's detail, ``source`` which commit,
    changelog or thread the matching range or flavour rule rests on.
    A flavour rule either decides alone (``affected`` false, a
    ``fixed_release``, or neither: the whole flavour is affected) or, with
    ``"mode": "cap"``, lets the upstream ranges decide and caps their
    confidence (a distribution whose backports are not pinned down).
    """
    flavour = kernel.get("flavour")
    rules = entry.get("flavours") or {}
    # elrepo kernels are upstream builds: their version is the truth, not the el7 base.
    rule = rules.get(flavour) if flavour != "elrepo" else None
    cap = None
    if rule is not None and rule.get("mode") == "cap":
        cap, rule = rule, None
    if rule is not None:
        if not rule.get("affected", True):
            return None
        fixed_release = rule.get("fixed_release")
        if fixed_release:
            order = compare_kernel_releases(kernel.get("release"), fixed_release)
            if order is None or order >= 0:
                return None
            return {"confidence": rule.get("confidence", "medium"),
                    "basis": "%s kernels before %s" % (flavour, fixed_release),
                    "source": rule.get("source")}
        return {"confidence": rule.get("confidence", "low"),
                "basis": "%s kernel: %s" % (flavour, rule.get("note", "listed as affected")),
                "source": rule.get("source")}
    version = kernel.get("version")
    if version is None:
        return None
    for rng in entry.get("affected") or []:
        low = parse_version(rng["introduced"]) if rng.get("introduced") is not None else None
        high = parse_version(rng["fixed"]) if rng.get("fixed") is not None else None
        if version_in_range(version, low, high):
            confidence = rng.get("confidence", "medium")
            basis = "upstream %s in [%s, %s)" % (
                ".".join(str(v) for v in version), rng.get("introduced") or "-", rng.get("fixed") or "-")
            if not kernel.get("upstream_patch_known", True) and high is not None and version[:2] == high[:2]:
                # Debian/Ubuntu say 4.19.0 for every 4.19.y: the patch level that
                # decides this range is unknown.
                confidence = "low"
                basis += "; the %s release string does not show the upstream patch level" % flavour
            if cap is not None:
                confidence = _lower(confidence, cap.get("confidence", "low"))
                basis += "; %s: %s" % (flavour, cap.get("note") or "backports not pinned down")
            return {"confidence": confidence, "basis": basis, "source": rng.get("source")}
    return None


def has_feature(kernel, feature):
    """True, False or None (unknown) for a KERNEL_FEATURES name."""
    spec = KERNEL_FEATURES[feature]
    flavour = kernel.get("flavour")
    rule = spec["flavours"].get(flavour)
    if rule is not None:
        if rule.get("affected") is False:
            return False
        since_release = rule.get("since_release")
        if since_release:
            order = compare_kernel_releases(kernel.get("release"), since_release)
            return None if order is None else order >= 0
    version = kernel.get("version")
    if version is None:
        return None
    return version_in_range(version, parse_version(spec["since"]), None)
