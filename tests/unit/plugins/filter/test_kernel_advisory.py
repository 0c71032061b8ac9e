"""kernel_advisories: minimum fixed kernel per flavour, from the findings and the known-bad table."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.nfdoctor.netfilter.plugins.filter.kernel_advisory import kernel_advisories, kernel_package
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.findings import make_finding


def facts(release, flavour, findings, arch="x86_64"):
    return {"kernel": {"release": release, "flavour": flavour, "arch": arch}, "findings": findings}


def test_seed004_elrepo_netns_hang():
    finding = make_finding("NETNS_CLEANUP_HANG_KERNEL", "high", "Kernel 4.16.13-1.el7.elrepo.x86_64 is in ...",
                           [], confidence="high")
    (advice,) = kernel_advisories(facts("4.16.13-1.el7.elrepo.x86_64", "elrepo", [finding]))
    # 648700f76b03 (v4.17) removed the loop; "4.19.10" was the wrong claim (facts.md, CORRECTED 2026-12-01)
    assert advice["minimum_fixed"].startswith("upstream 4.17")
    assert advice["package"] == "kernel-ml"
    assert "https://git.kernel.org/linus/648700f76b03" in advice["references"]
    assert advice["reason"].startswith("Kernel 4.16.13")


def test_seed001_el6_crash_dump_maps_to_the_gso_fix_with_flavour_note():
    finding = make_finding("KERNEL_CRASH_NF_QUEUE", "critical", "vmcore shows nf_queue+152", [])
    (advice,) = kernel_advisories(facts("2.6.32-358.el6.x86_64", "el6", [finding]))
    assert "3.18" in advice["minimum_fixed"] and "on el6: no confirmed RHEL 6 erratum" in advice["minimum_fixed"]
    assert advice["package"] == "kernel"
    assert "NFQA_CFG_F_GSO" in advice["meanwhile"]


def test_non_kernel_findings_are_ignored():
    finding = make_finding("CONNTRACK_MODULE_DISABLED", "critical", "blacklist", [])
    assert kernel_advisories(facts("3.10.0-514.el7.x86_64", "el7", [finding])) == []
    assert kernel_advisories({"findings": None}) == []


@pytest.mark.parametrize("flavour,arch,package", [
    ("debian", "x86_64", "linux-image-amd64"),
    ("debian", "aarch64", "linux-image-arm64"),
    ("debian", "mips", None),
    ("ubuntu", "x86_64", "linux-image-generic"),
    ("el9", "x86_64", "kernel"),
    ("generic", "x86_64", None),
])
def test_kernel_package(flavour, arch, package):
    assert kernel_package(flavour, arch) == package


def test_bad_input():
    with pytest.raises(AnsibleFilterError, match="facts document"):
        kernel_advisories([])
