"""Writes are complete or not done at all, and a partial apply is never hidden (issue 16).

Real file systems: a 64 KiB tmpfs for ENOSPC, a tmpfs remounted read-only for EROFS, an ext4 image with an
immutable file for EPERM. Each case asserts the exact outcome: the task fails, the message names the file and the
reason, the file is byte for byte as it was, and no temporary file is left behind.
"""
import os

from remediation_helpers import fill, run_module

from ansible_collections.nfdoctor.netfilter.plugins.modules import disable_lines, modprobe_unblock

UNBLOCK_MARKER = "# disabled by nfdoctor.netfilter.modprobe_unblock:"


def big_modprobe_conf():
    """About 43 KB of modprobe.d, a security line among them and the blacklist in the middle."""
    lines = ["install usb-storage /bin/true", "install firewire-core /bin/true"]
    lines += ["options snd_hda_intel index=%d model=auto power_save=1 # padding to make the file large" % n
              for n in range(240)]
    lines.append("blacklist nf_conntrack")
    lines += ["options dummy%d numdummies=%d # more padding, so the file is as large as the one in issue 16" % (n, n)
              for n in range(246)]
    text = "\n".join(lines) + "\n"
    assert 40000 < len(text) < 46000
    return text.encode("utf-8")


def make_tree(base, data, name="etc/modprobe.d/local.conf"):
    root = os.path.join(base, "root")
    path = os.path.join(root, name)
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as handle:
        handle.write(data)
    return root, path


def leftovers(directory):
    return [n for n in os.listdir(directory) if n.startswith(".nfdoctor-") or n.endswith("~")]


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def test_enospc_during_the_write_fails_and_leaves_the_file_whole(small_tmpfs, capsys):
    data = big_modprobe_conf()
    root, path = make_tree(small_tmpfs, data)
    fill(small_tmpfs, 16 * 1024)  # room for 16 KiB of the 43 KB rewrite, not for all of it
    result = run_module(capsys, modprobe_unblock, modules=["nf_conntrack"], root=root, backup=False,
                        inspect_initramfs=False)
    assert result["rc"] == 1 and result.get("failed") is True
    assert result["changed"] is False and result["files_changed"] == [] and result["backups"] == {}
    assert result["failed_file"] == path
    assert result["msg"].startswith(path + ": cannot be written (No space left on device")
    assert "nothing was changed" in result["msg"]
    assert read(path) == data
    assert leftovers(os.path.dirname(path)) == []


def test_enospc_for_the_backup_fails_before_the_file_is_touched(small_tmpfs, capsys):
    data = big_modprobe_conf()
    root, path = make_tree(small_tmpfs, data)
    fill(small_tmpfs, 16 * 1024)
    result = run_module(capsys, modprobe_unblock, modules=["nf_conntrack"], root=root, inspect_initramfs=False)
    assert result["rc"] == 1 and result["changed"] is False and result["files_changed"] == []
    assert result["msg"].startswith(path + ": its backup cannot be written (No space left on device")
    assert read(path) == data
    assert leftovers(os.path.dirname(path)) == []


def test_the_same_file_is_rewritten_when_there_is_room(tmpfs_factory, capsys):
    # the negative of the two cases above: the same tree on a tmpfs with room (1 MiB) for the rewrite
    base, _remount_ro = tmpfs_factory
    data = big_modprobe_conf()
    root, path = make_tree(base, data)
    result = run_module(capsys, modprobe_unblock, modules=["nf_conntrack"], root=root, backup=False,
                        inspect_initramfs=False)
    assert result["rc"] == 0 and result["changed"] is True
    assert read(path) == data.replace(b"\nblacklist nf_conntrack\n",
                                      b"\n" + UNBLOCK_MARKER.encode() + b" blacklist nf_conntrack\n")
    assert leftovers(os.path.dirname(path)) == []


def test_enospc_in_disable_lines(small_tmpfs, capsys):
    data = big_modprobe_conf().replace(b"blacklist nf_conntrack", b"*/5 * * * * root /usr/sbin/conntrack -F")
    root, path = make_tree(small_tmpfs, data, "etc/crontab")
    fill(small_tmpfs, 16 * 1024)
    result = run_module(capsys, disable_lines, paths=["/etc/crontab"], match="conntrack_flush", root=root,
                        backup=False)
    assert result["rc"] == 1 and result["changed"] is False and result["files_changed"] == []
    assert result["msg"].startswith(path + ": cannot be written (No space left on device")
    assert read(path) == data
    assert leftovers(os.path.dirname(path)) == []


def test_read_only_file_system(tmpfs_factory, capsys):
    base, remount_ro = tmpfs_factory
    data = b"blacklist nf_conntrack\ninstall usb-storage /bin/true\n"
    root, path = make_tree(base, data)
    remount_ro()
    result = run_module(capsys, modprobe_unblock, modules=["nf_conntrack"], root=root, inspect_initramfs=False)
    assert result["rc"] == 1 and result["changed"] is False and result["files_changed"] == []
    assert "Read-only file system: the file system is mounted read-only" in result["msg"]
    assert result["msg"].startswith(path + ": ")
    assert read(path) == data


def test_immutable_second_file_reports_the_first_as_changed(ext4_image, capsys):
    base, make_immutable = ext4_image
    first_data = b"blacklist nf_conntrack\n"
    second_data = b"install nf_nat /bin/true\n"
    root, first = make_tree(base, first_data, "etc/modprobe.d/a.conf")
    second = os.path.join(root, "etc/modprobe.d/b.conf")
    with open(second, "wb") as handle:
        handle.write(second_data)
    make_immutable(second)
    result = run_module(capsys, modprobe_unblock, modules=["nf_conntrack", "nf_nat"], root=root,
                        inspect_initramfs=False)
    assert result["rc"] == 1 and result["failed"] is True
    # the first file was changed: said so, with its backup, not hidden behind changed=false
    assert result["changed"] is True
    assert result["files_changed"] == [first]
    assert list(result["backups"]) == [first] and read(result["backups"][first]) == first_data
    assert result["failed_file"] == second
    assert result["msg"].startswith(second + ": cannot be written (Operation not permitted")
    assert ("1 file(s) had already been changed: %s (backup %s)" % (first, result["backups"][first])
            in result["msg"])
    assert read(first) == UNBLOCK_MARKER.encode() + b" blacklist nf_conntrack\n"
    assert read(second) == second_data
    # no backup of the file that was not changed, no temporary file
    assert sorted(os.listdir(os.path.dirname(first))) == sorted(["a.conf", "b.conf",
                                                                 os.path.basename(result["backups"][first])])
