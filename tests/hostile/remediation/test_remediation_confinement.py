"""Nothing outside the scratch root is read into the tree, written or backed up (issue 16).

Every case builds a scratch root beside an ``outside`` directory holding files a careless tool would edit (a
blacklist, a flush job, a stand-in for /etc/shadow), checksums the whole outside tree, runs the module, and
asserts the exact result and that the outside tree is unchanged entry for entry.
"""
import os

import pytest
from remediation_helpers import run_module, tree_digest

from ansible_collections.nfdoctor.netfilter.plugins.modules import disable_lines, modprobe_unblock

UNBLOCK = "# disabled by nfdoctor.netfilter.modprobe_unblock:"
FLUSH = "*/5 * * * * root /usr/sbin/conntrack -F\n"
SECRET = "root:$6$stand-in-for-etc-shadow:19000:0:99999:7:::\nblacklist nf_conntrack\n"


def unblock(capsys, root, **args):
    args.setdefault("modules", ["nf_conntrack"])
    return run_module(capsys, modprobe_unblock, root=root, inspect_initramfs=False, **args)


def flush(capsys, root, paths, **args):
    return run_module(capsys, disable_lines, root=root, paths=paths, match="conntrack_flush", **args)


def outside_victims(sandbox):
    sandbox.write("modprobe.d/blacklist.conf", "blacklist nf_conntrack\n", under=sandbox.outside)
    sandbox.write("cron.d/flush", FLUSH, under=sandbox.outside)
    sandbox.write("crontab", FLUSH, under=sandbox.outside)
    sandbox.write("sysctl.d/99-user.conf", "net.ipv4.ip_forward = 1\n", under=sandbox.outside)
    sandbox.write("shadow", SECRET, under=sandbox.outside)


@pytest.mark.parametrize("link, target", [
    ("etc/modprobe.d", "../../outside/modprobe.d"),
    ("etc", "../outside"),
])
def test_modprobe_d_or_etc_linked_out_of_the_root_is_refused(sandbox, capsys, link, target):
    outside_victims(sandbox)
    sandbox.write("usr/lib/modprobe.d/nf.conf", "blacklist nf_conntrack\n")  # would need an /etc override
    os.makedirs(os.path.dirname(os.path.join(sandbox.root, link)), exist_ok=True)
    os.symlink(target, os.path.join(sandbox.root, link))
    before = sandbox.outside_state()
    result = unblock(capsys, sandbox.root)
    assert result["rc"] == 1 and not result.get("changed")
    assert result["msg"] == ("/etc/modprobe.d leads outside the root %s through a link; refused; nothing was changed"
                             % sandbox.root)
    assert sandbox.outside_state() == before


@pytest.mark.parametrize("link", ["etc/modprobe.d", "etc"])
def test_absolute_link_of_modprobe_d_or_etc_stays_in_the_tree(sandbox, capsys, link):
    # an absolute link means what it meant on the captured host: <root>/<target>, never this host's <target>
    outside_victims(sandbox)
    sandbox.write("usr/lib/modprobe.d/nf.conf", "blacklist nf_conntrack\n")
    target = os.path.join(sandbox.outside, "modprobe.d" if link == "etc/modprobe.d" else "")
    os.makedirs(os.path.dirname(os.path.join(sandbox.root, link)), exist_ok=True)
    os.symlink(target, os.path.join(sandbox.root, link))
    before = sandbox.outside_state()
    result = unblock(capsys, sandbox.root)
    inside = os.path.join(sandbox.root, target.lstrip("/"), "nf.conf" if link == "etc/modprobe.d"
                          else "modprobe.d/nf.conf")
    assert result["rc"] == 0 and result["files_changed"] == [os.path.normpath(inside)]
    assert UNBLOCK + " blacklist nf_conntrack" in open(inside).read()
    assert sandbox.outside_state() == before


def test_absolute_link_inside_the_tree_is_resolved_in_the_tree_not_on_this_host(sandbox, capsys):
    # a captured host's /etc/modprobe.d/shadow.conf -> <outside>/shadow must mean <root><outside>/shadow
    outside_victims(sandbox)
    shadow = os.path.join(sandbox.outside, "shadow")
    sandbox.write("etc/modprobe.d/local.conf", "# nothing here\n")
    os.symlink(shadow, os.path.join(sandbox.root, "etc/modprobe.d/shadow.conf"))
    before_out, before_root = sandbox.outside_state(), tree_digest(sandbox.root)
    result = unblock(capsys, sandbox.root)
    assert result["rc"] == 0 and result["changed"] is False and result["files_changed"] == []
    assert "stand-in-for-etc-shadow" not in repr(result)
    assert sandbox.outside_state() == before_out and tree_digest(sandbox.root) == before_root


def test_absolute_link_to_a_vendor_file_of_the_tree_is_followed_in_the_tree(sandbox, capsys):
    # the negative case: the same kind of link, to a file the tree has, is read from the tree and replaced
    vendor = sandbox.write("usr/lib/modprobe.d/nf.conf", "blacklist nf_conntrack\n")
    os.makedirs(os.path.join(sandbox.root, "etc/modprobe.d"))
    link = os.path.join(sandbox.root, "etc/modprobe.d/nf.conf")
    os.symlink("/usr/lib/modprobe.d/nf.conf", link)
    result = unblock(capsys, sandbox.root)
    assert result["rc"] == 0 and result["files_changed"] == [link]
    assert not os.path.islink(link)
    assert open(link).read() == UNBLOCK + " blacklist nf_conntrack\n"
    assert open(vendor).read() == "blacklist nf_conntrack\n"


def test_disable_lines_paths_with_dotdot_are_refused(sandbox, capsys):
    outside_victims(sandbox)
    sandbox.write("etc/crontab", FLUSH)
    before = sandbox.outside_state()
    result = flush(capsys, sandbox.root, ["/etc/crontab", "/../outside/crontab"])
    assert result["rc"] == 1
    assert result["msg"] == ("paths entry /../outside/crontab contains '..'; refused, so that nothing outside the "
                             "root is touched; nothing was changed")
    assert open(os.path.join(sandbox.root, "etc/crontab")).read() == FLUSH
    assert sandbox.outside_state() == before


def test_disable_lines_does_not_follow_a_cron_dir_linked_out(sandbox, capsys):
    outside_victims(sandbox)
    os.makedirs(os.path.join(sandbox.root, "etc"))
    os.symlink(os.path.join(sandbox.outside, "cron.d"), os.path.join(sandbox.root, "etc/cron.d"))
    os.symlink("../../outside/crontab", os.path.join(sandbox.root, "etc/crontab"))
    before = sandbox.outside_state()
    result = flush(capsys, sandbox.root, ["/etc/cron.d", "/etc/crontab", "/etc/cron.d/*"])
    assert result["rc"] == 0 and result["changed"] is False
    assert result["matches"] == [] and result["files_searched"] == 0
    assert sandbox.outside_state() == before


def test_glob_characters_in_the_root_are_not_expanded(tmp_path, capsys):
    # root "tree[1]" is a literal name; as a glob it would match the sibling "tree1"
    sibling = tmp_path / "tree1" / "etc"
    sibling.mkdir(parents=True)
    (sibling / "crontab").write_text(FLUSH)
    root = tmp_path / "tree[1]"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "crontab").write_text(FLUSH)
    before = tree_digest(str(tmp_path / "tree1"))
    result = flush(capsys, str(root), ["/etc/crontab", "/etc/cron*"])
    assert result["rc"] == 0 and result["files_changed"] == [str(root / "etc" / "crontab")]
    assert [m["file"] for m in result["matches"]] == ["/etc/crontab"]
    assert tree_digest(str(tmp_path / "tree1")) == before


def test_fifo_and_dev_zero_in_a_scratch_root_neither_hang_nor_balloon(sandbox, capsys):
    sandbox.write("etc/crontab", FLUSH)
    os.makedirs(os.path.join(sandbox.root, "etc/cron.d"))
    os.mkfifo(os.path.join(sandbox.root, "etc/cron.d/pipe"))
    os.symlink("/dev/zero", os.path.join(sandbox.root, "etc/cron.d/zero"))
    os.mkfifo(os.path.join(sandbox.root, "etc/rc.local"))
    result = flush(capsys, sandbox.root, ["/etc/crontab", "/etc/cron.d", "/etc/rc.local"])
    assert result["rc"] == 0 and [m["file"] for m in result["matches"]] == ["/etc/crontab"]
    assert result["files_searched"] == 1  # the FIFOs and the link are not read at all

    os.makedirs(os.path.join(sandbox.root, "etc/modprobe.d"))
    os.mkfifo(os.path.join(sandbox.root, "etc/modprobe.d/pipe.conf"))
    os.symlink("/dev/zero", os.path.join(sandbox.root, "etc/modprobe.d/zero.conf"))
    os.makedirs(os.path.join(sandbox.root, "proc"))
    os.mkfifo(os.path.join(sandbox.root, "proc/cmdline"))
    result = unblock(capsys, sandbox.root)
    assert result["rc"] == 0 and result["changed"] is False
    assert any("pipe.conf is not a regular file" in w for w in result["warnings_detail"])


def test_fifo_named_as_a_file_is_reported_not_read(sandbox, capsys):
    # kmod's view: /etc/modprobe.d/nf.conf (a FIFO) hides the vendor file of the same name
    vendor = sandbox.write("usr/lib/modprobe.d/nf.conf", "blacklist nf_conntrack\n")
    os.makedirs(os.path.join(sandbox.root, "etc/modprobe.d"))
    fifo = os.path.join(sandbox.root, "etc/modprobe.d/nf.conf")
    os.mkfifo(fifo)
    result = unblock(capsys, sandbox.root)
    assert result["rc"] == 0 and result["changed"] is False
    assert result["warnings_detail"] == ["%s is not a regular file (device, socket or pipe); left as it was" % fifo]
    assert open(vendor).read() == "blacklist nf_conntrack\n"

    os.mkfifo(os.path.join(sandbox.root, "etc/rc.local"))
    result = flush(capsys, sandbox.root, ["/etc/rc.local"])
    assert result["rc"] == 0 and result["files_searched"] == 0
    assert result["warnings_detail"] == ["%s/etc/rc.local is a named pipe (FIFO), not a regular file; not read "
                                         "(links are not followed)" % sandbox.root]


@pytest.mark.parametrize("spelling", ["//", "/tmp/..", "link"])
def test_other_spellings_of_slash_are_the_live_root(tmp_path, spelling):
    from ansible_collections.nfdoctor.netfilter.plugins.module_utils.root_path import normalise_root
    if spelling == "link":
        os.symlink("/", str(tmp_path / "slash"))
        spelling = str(tmp_path / "slash")
    assert normalise_root(spelling) == ("/", True)
    assert normalise_root(str(tmp_path)) == (str(tmp_path), False)
