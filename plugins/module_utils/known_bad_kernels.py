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

CONFIDENCE_ORDER = ("low", "medium", "high")
TRIGGERS = ("nfqueue", "netns", "conntrack_flush", "nat", "always")

KNOWN_BAD_KERNELS = (
    {
        "id": "nfqueue-gso-null-deref",
        "finding": "NFQUEUE_GSO_CRASH_RISK",
        "summary": "nf_queue dereferences NULL when skb_gso_segment() fails for a queued GSO packet; the host panics",
        "affected": [{"introduced": "2.6.19", "fixed": "3.18", "confidence": "medium"}],
        "flavours": {
            # RHEL 6 errata that carry 330966e501ff are not confirmed: treat every el6 kernel as possibly affected.
            "el6": {"affected": True, "confidence": "low",
                    "note": "no confirmed RHEL 6 erratum carries the fix"},
            "el7": {"affected": True, "confidence": "low",
                    "note": "3.10-based; whether RHEL 7 backported 330966e501ff is unconfirmed"},
        },
        "trigger": "nfqueue",
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
        "summary": "cleanup_net holds net_mutex while inet_frags_exit_net spins on a frag memory underflow; "
                   "'ip netns add' and every namespace creation hang",
        "affected": [
            {"introduced": "4.2", "fixed": "4.14", "confidence": "high"},
            # 4.14.y carries a backport at a z-version nobody has confirmed.
            {"introduced": "4.14", "fixed": "4.15", "confidence": "low"},
            {"introduced": "4.15", "fixed": "4.19.10", "confidence": "high"},
        ],
        "flavours": {
            "el6": {"affected": False},
            "el7": {"affected": False},
            "el8": {"affected": True, "confidence": "low",
                    "note": "4.18-based; whether RHEL 8 carries ebaf39e6032f is unconfirmed"},
        },
        "trigger": "netns",
        "fixed_in": "upstream 4.19.10 / 4.20 (ebaf39e6032f)",
        "references": [
            "https://git.kernel.org/linus/ebaf39e6032f",
            "https://git.kernel.org/linus/5719b296fb81",
        ],
        "mitigation": "upgrade to 4.19.10 or later (elrepo kernel-ml/kernel-lt on EL7)",
    },
    {
        "id": "conntrack-flush-unconfirmed-race",
        "finding": "CONNTRACK_FLUSH_RACE_KERNEL",
        "summary": "a conntrack flush kills unconfirmed entries and __nf_conntrack_confirm drops their packets "
                   "(insert_failed); applications see EPERM on send",
        "affected": [{"introduced": "2.6.0", "fixed": "4.13", "confidence": "medium"}],
        "flavours": {
            "el6": {"affected": True, "confidence": "low", "note": "backport status unconfirmed"},
            "el7": {"affected": True, "confidence": "low", "note": "backport status unconfirmed"},
        },
        "trigger": "conntrack_flush",
        # Without a flush the race never fires: worth knowing, not worth a ticket.
        "severity_latent": "info",
        "fixed_in": "upstream 4.13 (b0feacaad13a)",
        "references": ["https://git.kernel.org/linus/b0feacaad13a"],
        "mitigation": "stop flushing the table (delete only the entries you mean with conntrack -D filters), "
                      "or upgrade the kernel",
    },
)

KERNEL_FEATURES = {
    # br_netfilter became its own module in 3.18 (34666d467cbf); before that bridge.ko
    # filtered by itself. RHEL 7 backported the split, probably in 7.3.
    "br_netfilter_split": {
        "since": "3.18",
        "flavours": {"el7": {"since_release": "3.10.0-514.el7", "confidence": "low"},
                     "el6": {"affected": False}},
        "references": ["https://git.kernel.org/linus/34666d467cbf"],
    },
    # nf_conntrack_ipv4/ipv6 were merged into nf_conntrack in 4.19 (a0ae2562c6c4); RHEL 8's
    # 4.18.0 still has them.
    "conntrack_l3proto_merged": {
        "since": "4.19",
        "flavours": {},
        "references": ["https://git.kernel.org/linus/a0ae2562c6c4"],
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


def validate_entry(entry):
    """Return a list of problems with a user-supplied table entry ([] if fine)."""
    problems = []
    if not isinstance(entry, dict):
        return ["entry is not a mapping"]
    for key in ("id", "finding", "affected"):
        if key not in entry:
            problems.append("missing key %r" % key)
    if not isinstance(entry.get("affected", []), list):
        problems.append("'affected' must be a list of {introduced, fixed, confidence}")
    else:
        for rng in entry.get("affected", []):
            if not isinstance(rng, dict):
                problems.append("an 'affected' item is not a mapping")
                continue
            for bound in ("introduced", "fixed"):
                if rng.get(bound) is not None and parse_version(rng[bound]) is None:
                    problems.append("%s %r is not a version like 4.19.10" % (bound, rng[bound]))
    if (entry.get("trigger") or "always") not in TRIGGERS:
        problems.append("trigger must be one of %s" % ", ".join(TRIGGERS))
    if not isinstance(entry.get("flavours") or {}, dict):
        problems.append("'flavours' must be a mapping")
    return problems


def match_entry(kernel, entry):
    """Does ``kernel`` (a parse_kernel_release() dict) fall in ``entry``?

    Returns None when it does not, else ``{"confidence", "basis"}`` where
    ``basis`` says why, for the finding's detail.
    """
    flavour = kernel.get("flavour")
    rules = entry.get("flavours") or {}
    # elrepo kernels are upstream builds: their version is the truth, not the el7 base.
    rule = rules.get(flavour) if flavour != "elrepo" else None
    if rule is not None:
        if not rule.get("affected", True):
            return None
        fixed_release = rule.get("fixed_release")
        if fixed_release:
            order = compare_kernel_releases(kernel.get("release"), fixed_release)
            if order is None or order >= 0:
                return None
            return {"confidence": rule.get("confidence", "medium"),
                    "basis": "%s kernels before %s" % (flavour, fixed_release)}
        return {"confidence": rule.get("confidence", "low"),
                "basis": "%s kernel: %s" % (flavour, rule.get("note", "listed as affected"))}
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
            return {"confidence": confidence, "basis": basis}
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
