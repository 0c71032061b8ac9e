"""Which Sphinx warnings fail `make docsite` (tools/sanity/docsite_warnings.py). The lines are Sphinx 9's own,
from the first offline build of this collection's docsite."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools", "sanity"))
import docsite_warnings  # noqa: E402

RST = "/x/.build/docsite/rst/collections/nfdoctor/netfilter/"
EXTERNAL = [
    RST + "br_netfilter_role.rst:57: WARNING: undefined label: 'ansible_collections.community.general.modprobe_module'"
          " [ref.ref]",
    RST + "br_netfilter_role.rst:57: WARNING: undefined label: 'ansible_collections.ansible.posix.sysctl_module' [ref.ref]",
    RST + "disable_lines_module.rst:776: WARNING: undefined label: 'common_return_values' [ref.ref]",
    RST + "modprobe_unblock_module.rst:669: WARNING: undefined label: 'common_return_values' [ref.ref]",
]
OWN_BROKEN = (RST + "bridge_exemption_plan_filter.rst:52: WARNING: undefined label: 'ansible_collections.nfdoctor."
              "netfilter.bridge_exemption_plan_filter__parameter-nfdoctor_br_netfilter_exempt_guest_bridges' [ref.ref]")


def test_references_outside_the_collection_are_counted_not_failed():
    external, failing = docsite_warnings.classify("\n".join(EXTERNAL) + "\n")
    assert failing == []
    assert external == {"ansible_collections.community.general.modprobe_module": 1,
                        "ansible_collections.ansible.posix.sysctl_module": 1, "common_return_values": 2}


def test_a_broken_reference_inside_the_collection_fails():
    external, failing = docsite_warnings.classify("\n".join(EXTERNAL[:1] + [OWN_BROKEN]))
    assert failing == [OWN_BROKEN] and sum(external.values()) == 1


def test_any_other_warning_fails_with_its_continuation_lines():
    markup = (RST + "audit_role.rst:12: ERROR: Unknown interpreted text role \"ansopt\".\n"
              "    more detail\n" + RST + "index.rst: WARNING: document isn't included in any toctree [toc.not_included]")
    external, failing = docsite_warnings.classify(markup)
    assert not external
    assert failing == [RST + "audit_role.rst:12: ERROR: Unknown interpreted text role \"ansopt\".\n    more detail",
                       RST + "index.rst: WARNING: document isn't included in any toctree [toc.not_included]"]


def test_main_fails_only_on_failing_warnings(tmp_path, capsys):
    log = tmp_path / "w.log"
    log.write_text("\n".join(EXTERNAL))
    assert docsite_warnings.main(str(log)) == 0
    log.write_text("\n".join(EXTERNAL + [OWN_BROKEN]))
    assert docsite_warnings.main(str(log)) == 1
    out = capsys.readouterr().out
    assert "docsite: FAILS: " + OWN_BROKEN in out and "docsite: 1 warning(s) that fail the build" in out
    log.write_text("")
    assert docsite_warnings.main(str(log)) == 0
