"""Tests for the kernel release filters (plugins/filter/kernel.py)."""
import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.nfdoctor.netfilter.plugins.filter import kernel as kf

FILTER_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "filter")


def test_filters_are_registered():
    assert set(kf.FilterModule().filters()) == {"kernel_release", "kernel_compare", "kernel_newer"}


@pytest.mark.parametrize("name", ["kernel_release", "kernel_compare", "kernel_newer"])
def test_every_filter_has_complete_docs(name):
    with open(os.path.join(FILTER_DIR, name + ".yml"), encoding="utf-8") as handle:
        docs = yaml.safe_load(handle)
    assert docs["DOCUMENTATION"]["name"] == name
    assert "_input" in docs["DOCUMENTATION"]["options"]
    assert "nfdoctor.netfilter." + name in docs["EXAMPLES"]
    assert "_value" in docs["RETURN"]


def test_kernel_release_parses_and_accepts_facts_dicts():
    parsed = kf.kernel_release("3.10.0-1160.119.1.el7.x86_64")
    assert parsed["flavour"] == "el7" and parsed["distro_release"] == [1160, 119, 1]
    assert kf.kernel_release({"release": "5.15.0-91-generic", "flavour": "ubuntu"})["flavour"] == "ubuntu"


def test_kernel_release_malformed_is_unknown_not_an_error():
    assert kf.kernel_release("not a kernel")["flavour"] == "unknown"


@pytest.mark.parametrize("value", [4.19, 3, None, ["3.10.0"], {"kernel": "3.10.0"}])
def test_non_strings_fail_with_a_clear_message(value):
    with pytest.raises(AnsibleFilterError, match="must be a kernel release string"):
        kf.kernel_release(value)


@pytest.mark.parametrize("a,b,expected", [
    ("3.10.0-1160.el7.x86_64", "3.10.0-514.el7", 1),
    ("3.10.0-514.el7", "3.10.0-1160.el7.x86_64", -1),
    ("3.10.0-514.el7.x86_64", "3.10.0-514.el7", 0),
    ("6.1.0-18-amd64", "6.1.76", None),
    ("junk", "3.10.0-514.el7", None),
])
def test_kernel_compare(a, b, expected):
    assert kf.kernel_compare(a, b) == expected


def test_kernel_compare_argument_type_is_checked():
    with pytest.raises(AnsibleFilterError, match="kernel_compare: the argument"):
        kf.kernel_compare("3.10.0-514.el7", 3.10)


@pytest.mark.parametrize("a,b,expected", [
    ("3.10.0-1160.el7.x86_64", "3.10.0-514.el7", True),
    ("3.10.0-514.el7", "3.10.0-1160.el7.x86_64", False),
    ("3.10.0-1160.el7.x86_64", "3.10.0-1160.el7", False),     # same build is not newer
    ("4.19.10", "4.16.13-1.el7.elrepo.x86_64", True),
    ({"release": "5.15.0-100-generic"}, "5.15.0-91-generic", True),
])
def test_kernel_newer(a, b, expected):
    assert kf.kernel_newer(a, b) is expected


def test_kernel_newer_malformed_names_the_culprit():
    with pytest.raises(AnsibleFilterError, match=r"'garbage' is not a kernel release"):
        kf.kernel_newer("3.10.0-514.el7", "garbage")


@pytest.mark.parametrize("a,b", [
    ("3.10.0-514.el7.x86_64", "3.10.0"),
    ("6.1.0-18-amd64", "6.1.76"),
    ("5.15.0-91-generic", "5.15.0-18-amd64"),
])
def test_kernel_newer_not_comparable_explains_why(a, b):
    with pytest.raises(AnsibleFilterError, match="cannot be ordered") as error:
        kf.kernel_newer(a, b)
    assert a in str(error.value) and b in str(error.value)
    assert "kernel_compare" in str(error.value)
