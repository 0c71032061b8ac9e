"""parse_networkd.netdev_links: the links systemd-networkd creates itself from .netdev files.

Fixture: tests/unit/fixtures/networkd/vm_netdev_bridge (the VM scenario's own
files, see its README); the other cases are systemd.netdev(5)'s rules on
precedence, masks and drop-ins, each beside its negative.
"""
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_networkd import netdev_links

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "networkd", "vm_netdev_bridge")
NET = "/etc/systemd/network"


def vm_files():
    files = {}
    for name in sorted(os.listdir(os.path.join(FIXTURE, NET.lstrip("/")))):
        with open(os.path.join(FIXTURE, NET.lstrip("/"), name), encoding="utf-8") as handle:
            files["%s/%s" % (NET, name)] = handle.read()
    return files


def names(result):
    return [(link["name"], link["role"]) for link in result["links"]]


def test_vm_bridge_and_veth_pair_with_file_and_line():
    netdevs = {path: text for path, text in vm_files().items() if path.endswith(".netdev")}
    result = netdev_links(netdevs)
    assert result["problems"] == []
    assert result["links"] == [
        {"name": "br0", "kind": "bridge", "file": NET + "/20-br0.netdev", "line": 2, "role": "netdev",
         "conditions": []},
        {"name": "veth-ctr0", "kind": "veth", "file": NET + "/21-veth-ctr0.netdev", "line": 3, "role": "netdev",
         "conditions": []},
        {"name": "ctr0-eth0", "kind": "veth", "file": NET + "/21-veth-ctr0.netdev", "line": 7, "role": "peer",
         "conditions": []},
    ]


def test_network_files_are_not_netdevs():
    # the gatherer only passes .netdev globs; a .network path that slips in is named, never parsed as one
    result = netdev_links({NET + "/20-br0.network": "[Match]\nName=br0\n"})
    assert result["links"] == [] and "not a .netdev path" in result["problems"][0]


def test_peer_only_counts_for_veth():
    result = netdev_links({NET + "/30-vx.netdev": "[NetDev]\nName=vx0\nKind=vxlan\n\n[Peer]\nName=ignored\n"})
    assert names(result) == [("vx0", "netdev")]


def test_etc_overrides_same_name_and_a_mask_creates_nothing():
    vendor = "/usr/lib/systemd/network/25-br9.netdev"
    result = netdev_links({vendor: "[NetDev]\nName=br9\nKind=bridge\n",
                           NET + "/25-br9.netdev": "[NetDev]\nName=br10\nKind=bridge\n"})
    assert names(result) == [("br10", "netdev")] and result["links"][0]["file"] == NET + "/25-br9.netdev"
    assert netdev_links({vendor: "[NetDev]\nName=br9\nKind=bridge\n", NET + "/25-br9.netdev": None})["links"] == []
    assert netdev_links({vendor: "[NetDev]\nName=br9\nKind=bridge\n", NET + "/25-br9.netdev": ""})["links"] == []
    assert names(netdev_links({vendor: "[NetDev]\nName=br9\nKind=bridge\n"})) == [("br9", "netdev")]


def test_dropin_renames_and_its_file_and_line_are_kept():
    files = {NET + "/21-veth-ctr0.netdev": "[NetDev]\nName=veth-ctr0\nKind=veth\n[Peer]\nName=ctr0-eth0\n",
             NET + "/21-veth-ctr0.netdev.d/10-peer.conf": "# rename the container end\n[Peer]\nName=ctr0-lan\n"}
    peer = netdev_links(files)["links"][1]
    assert peer == {"name": "ctr0-lan", "kind": "veth", "file": NET + "/21-veth-ctr0.netdev.d/10-peer.conf",
                    "line": 3, "role": "peer", "conditions": []}
    files[NET + "/21-veth-ctr0.netdev.d/10-peer.conf"] = None  # a masked drop-in changes nothing
    assert netdev_links(files)["links"][1]["name"] == "ctr0-eth0"


def test_match_conditions_are_kept_and_missing_name_or_kind_is_a_problem():
    result = netdev_links({NET + "/40-br1.netdev": "[Match]\nHost=node7\n\n[NetDev]\nName=br1\nKind=bridge\n"})
    assert result["links"][0]["conditions"] == ["Host"]
    result = netdev_links({NET + "/41-x.netdev": "[NetDev]\nName=x0\n", NET + "/42-y.netdev": "[NetDev]\nKind=dummy\n"})
    assert result["links"] == []
    assert result["problems"] == [NET + "/41-x.netdev: no Kind= in [NetDev]; networkd creates nothing from it",
                                  NET + "/42-y.netdev: no Name= in [NetDev]; networkd creates nothing from it"]
    # an empty assignment resets: the later Name= wins, then the reset leaves none
    assert netdev_links({NET + "/43-z.netdev": "[NetDev]\nName=z0\nKind=dummy\nName=\n"})["links"] == []


def test_bad_inputs_are_problems():
    assert netdev_links(None)["problems"] == ["files: expected a mapping of path to text, got NoneType"]
    result = netdev_links({NET + "/50-b.netdev": b"\x00", 7: "x"})
    assert result["links"] == [] and "not text" in result["problems"][0]


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from([NET + "/a.netdev", NET + "/a.netdev.d/x.conf", "/run/systemd/network/a.netdev",
                                        "/tmp/x"]),
                       st.one_of(st.none(), st.text(max_size=200)), max_size=4))
def test_never_raises(files):
    result = netdev_links(files)
    assert isinstance(result["links"], list) and isinstance(result["problems"], list)
