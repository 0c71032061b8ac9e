"""modprobe_unblock against temporary trees: plan, check mode, diff, backups, idempotence, refusals."""
import hashlib
import os
import shutil

from module_runner import run_main

from ansible_collections.nfdoctor.netfilter.plugins.modules import modprobe_unblock

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "modprobe")
MARKER = "# disabled by nfdoctor.netfilter.modprobe_unblock:"
CONNTRACK_FAMILY = ["nf_conntrack", "nf_conntrack_ipv4", "nf_nat", "iptable_nat", "br_netfilter"]


def run(capsys, check_mode=False, **args):
    args.setdefault("modules", CONNTRACK_FAMILY)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = True
    return run_main(capsys, modprobe_unblock, args)


def tree(tmp_path, name):
    root = tmp_path / "root"
    shutil.copytree(os.path.join(FIXTURES, name), str(root), symlinks=True)
    (root / "proc").mkdir(exist_ok=True)
    shutil.copy(str(root / "cmdline"), str(root / "proc" / "cmdline"))
    return root


def checksums(root):
    sums = {}
    for directory, dirs, files in os.walk(str(root)):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(directory, d))]:
            path = os.path.join(directory, name)
            if os.path.islink(path):
                sums[path] = "link:" + os.readlink(path)
            else:
                with open(path, "rb") as handle:
                    sums[path] = hashlib.sha256(handle.read()).hexdigest()
                sums[path] += " %o" % os.stat(path).st_mode
    return sums


def test_seed000_line_is_commented_with_backup(tmp_path, capsys):
    root = tree(tmp_path, "centos7_seed000")
    target = root / "etc/modprobe.d/blacklist.conf"
    before = target.read_text()
    os.chmod(str(target), 0o640)
    result = run(capsys, root=str(root))
    assert result["rc"] == 0 and result["changed"] is True
    after = target.read_text()
    assert after == before.replace("blacklist nf_conntrack_ipv4\n", MARKER + " blacklist nf_conntrack_ipv4\n")
    assert oct(os.stat(str(target)).st_mode & 0o777) == oct(0o640)
    assert result["files_changed"] == [str(target)]
    backup = result["backups"][str(target)]
    assert open(backup).read() == before
    assert not backup.endswith(".conf")  # kmod must not read the backup
    assert result["diff"] == [{"before": before, "after": after,
                               "before_header": str(target), "after_header": str(target)}]
    assert [(r["module"], r["kind"], r["line"]) for r in result["disabled_lines_removed"]] == [
        ("nf_conntrack_ipv4", "blacklist", 6)]
    assert result["cmdline_changes_needed"] == []
    # a captured root: the initramfs of this machine is none of our business
    assert result["initramfs_contains_config"] is None


def test_second_run_changes_nothing(tmp_path, capsys):
    root = tree(tmp_path, "ubuntu2204")
    first = run(capsys, root=str(root))
    assert first["changed"] is True
    sums = checksums(root)
    second = run(capsys, root=str(root))
    assert second["changed"] is False
    assert second["diff"] == [] and second["files_changed"] == [] and second["backups"] == {}
    assert checksums(root) == sums


def test_check_mode_writes_nothing_and_shows_the_diff(tmp_path, capsys):
    root = tree(tmp_path, "ubuntu2204")
    sums = checksums(root)
    result = run(capsys, check_mode=True, root=str(root))
    assert checksums(root) == sums
    assert result["changed"] is True and result["backups"] == {}
    target = str(root / "etc/modprobe.d/iptables-hardening.conf")
    assert result["files_changed"] == [target]
    diff = result["diff"][0]
    removed = [line for line in diff["before"].splitlines() if line not in diff["after"].splitlines()]
    assert removed == ["install nf_conntrack /bin/true", "install nf-nat /bin/false",
                       "install br_netfilter \\", "    /bin/true"]
    # dccp and sctp are not ours to re-enable
    assert "\ninstall dccp /bin/true\n" in diff["after"]


def test_check_mode_prediction_equals_real_run(tmp_path, capsys):
    root = tree(tmp_path, "debian12")
    predicted = run(capsys, check_mode=True, root=str(root))
    applied = run(capsys, root=str(root))
    assert predicted["diff"] == applied["diff"]
    for diff in applied["diff"]:
        path = diff["after_header"].split(" (new file")[0]
        assert open(path).read() == diff["after"]


def test_vendor_file_is_overridden_not_edited(tmp_path, capsys):
    root = tree(tmp_path, "debian12")
    vendor = root / "usr/lib/modprobe.d/60-vendor-nf.conf"
    vendor_text = vendor.read_text()
    result = run(capsys, root=str(root), modules=["br_netfilter"])
    assert vendor.read_text() == vendor_text
    override = root / "etc/modprobe.d/60-vendor-nf.conf"
    text = override.read_text()
    assert text.startswith("# Overrides /usr/lib/modprobe.d/60-vendor-nf.conf (same file name")
    assert MARKER + " blacklist br_netfilter\n" in text
    # the other vendor line is kept, so only br_netfilter's behaviour changes
    assert "\ninstall nf_conntrack_netlink /bin/false\n" in text
    assert oct(os.stat(str(override)).st_mode & 0o777) == oct(0o644)
    assert result["backups"] == {}  # nothing existed to back up
    diff = result["diff"][0]
    assert diff["before"] == vendor_text and diff["before_header"] == str(vendor)
    assert diff["after"] == text
    assert [r["written_to"] for r in result["disabled_lines_removed"]] == ["/etc/modprobe.d/60-vendor-nf.conf"]
    # module_blacklist= cannot be fixed from modprobe.d: reported instead
    change = result["cmdline_changes_needed"][0]
    assert (change["module"], change["param"], change["new_value"]) == ("br_netfilter", "module_blacklist", None)
    assert run(capsys, root=str(root), modules=["br_netfilter"])["changed"] is False


def test_shadowed_vendor_file_is_left_alone(tmp_path, capsys):
    root = tree(tmp_path, "debian12")
    # /usr/lib/modprobe.d/50-appliance.conf blacklists nf_conntrack, but the /etc copy hides it
    result = run(capsys, root=str(root), modules=["nf_conntrack"])
    assert result["changed"] is False
    assert result["disabled_lines_removed"] == []


def test_cmdline_change_is_reported_with_bootloader_line(tmp_path, capsys):
    root = tree(tmp_path, "ubuntu2204")
    (root / "etc/default").mkdir(parents=True)
    (root / "etc/default/grub").write_text(
        'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet splash modprobe.blacklist=nouveau,nf_conntrack"\n')
    result = run(capsys, root=str(root), modules=["nf_conntrack"])
    change = result["cmdline_changes_needed"][0]
    assert change["new_value"] == "modprobe.blacklist=nouveau"
    assert change["configured_in"] == [{"file": "/etc/default/grub", "line": 2,
                                        "text": 'GRUB_CMDLINE_LINUX_DEFAULT="quiet splash '
                                                'modprobe.blacklist=nouveau,nf_conntrack"'}]
    assert "/etc/default/grub:2" in change["suggestion"]
    # the boot loader file is reported, never edited
    assert "nf_conntrack" in (root / "etc/default/grub").read_text()


def test_healthy_tree_changes_nothing(tmp_path, capsys):
    root = tree(tmp_path, "centos7_seed000")
    (root / "etc/modprobe.d/blacklist.conf").write_text("blacklist nouveau\n")
    sums = checksums(root)
    result = run(capsys, root=str(root))
    assert result["changed"] is False and checksums(root) == sums


def test_binary_file_that_needs_no_edit_is_a_warning(tmp_path, capsys):
    root = tree(tmp_path, "centos7_seed000")
    (root / "etc/modprobe.d/firmware.conf").write_bytes(b"\x7fELF\x00\x01\x02")
    result = run(capsys, root=str(root))
    assert result["rc"] == 0
    assert any("NUL bytes" in w for w in result["warnings_detail"])


def test_directory_where_the_override_must_go_fails_and_changes_nothing(tmp_path, capsys):
    root = tree(tmp_path, "debian12")
    (root / "etc/modprobe.d/60-vendor-nf.conf").mkdir()
    sums = checksums(root)
    result = run(capsys, root=str(root), modules=["br_netfilter"])
    assert result["rc"] == 1 and result["failed"] is True
    assert "is a directory, not a file; left as it was" in result["msg"]
    assert checksums(root) == sums


def test_non_utf8_file_that_must_be_edited_fails_clearly(tmp_path, capsys):
    root = tree(tmp_path, "centos7_seed000")
    target = root / "etc/modprobe.d/blacklist.conf"
    target.write_bytes(b"# Sch\xe4dliche Module\nblacklist nf_conntrack_ipv4\n")
    sums = checksums(root)
    result = run(capsys, root=str(root))
    assert result["failed"] is True
    assert result["msg"].startswith("/etc/modprobe.d/blacklist.conf disables nf_conntrack_ipv4 but cannot be "
                                    "edited safely:")
    assert "is not UTF-8 text" in result["msg"]
    assert checksums(root) == sums


def test_bad_arguments(tmp_path, capsys):
    root = tree(tmp_path, "centos7_seed000")
    assert "marker must be one line starting with '#'" in run(capsys, root=str(root), marker="disabled:")["msg"]
    assert "not module names" in run(capsys, root=str(root), modules=["nf_conntrack; rm -rf /"])["msg"]
    assert "is not a directory" in run(capsys, root=str(root / "nope"))["msg"]


class FakeInitramfsModule:
    """get_bin_path/run_command of a host with the given tools and listing."""

    def __init__(self, tools, listing, rc=0):
        self.tools = tools
        self.listing = listing
        self.rc = rc
        self.commands = []

    def get_bin_path(self, name):
        return "/usr/bin/" + name if name in self.tools else None

    def run_command(self, argv, environ_update=None):
        self.commands.append(argv)
        return self.rc, self.listing, ""


LSINITRD = """Image: /boot/initramfs-3.10.0-514.el7.x86_64.img: 20M
========================================================================
Version: dracut-033-463.el7

drwxr-xr-x  12 root     root            0 Jun 21 21:00 .
lrwxrwxrwx   1 root     root            7 Jun 21 21:00 lib -> usr/lib
-rw-r--r--   1 root     root          313 Jun 21 21:00 etc/modprobe.d/blacklist.conf
-rw-r--r--   1 root     root          631 Jun 21 21:00 usr/lib/modprobe.d/dist-blacklist.conf
"""


def test_initramfs_listing_from_lsinitrd(monkeypatch):
    monkeypatch.setattr(os.path, "exists", lambda path: False)
    module = FakeInitramfsModule(["lsinitrd", "dracut"], LSINITRD)
    contains, found, rebuild = modprobe_unblock.inspect_initramfs(
        module, ["/etc/modprobe.d/blacklist.conf", "/lib/modprobe.d/dist-blacklist.conf", "/etc/modprobe.d/x.conf"])
    assert contains is True
    # /lib/modprobe.d is listed as usr/lib/modprobe.d in a merged-/usr initramfs
    assert found == ["/etc/modprobe.d/blacklist.conf", "/lib/modprobe.d/dist-blacklist.conf"]
    assert rebuild.startswith("dracut -f --kver ")
    assert module.commands[0][:2] == ["/usr/bin/lsinitrd", "--kver"]


def test_initramfs_listing_from_lsinitramfs(monkeypatch):
    release = os.uname()[2]
    monkeypatch.setattr(os.path, "exists", lambda path: path == "/boot/initrd.img-" + release)
    module = FakeInitramfsModule(["lsinitramfs", "update-initramfs"],
                                 "usr/lib/modprobe.d/aliases.conf\netc/modprobe.d/other.conf\n")
    contains, found, rebuild = modprobe_unblock.inspect_initramfs(module, ["/etc/modprobe.d/blacklist.conf"])
    assert (contains, found) == (False, [])
    assert rebuild == "update-initramfs -u -k " + release
    assert module.commands == [["/usr/bin/lsinitramfs", "/boot/initrd.img-" + release]]


def test_initramfs_unknown_without_tools_or_on_error(monkeypatch):
    monkeypatch.setattr(os.path, "exists", lambda path: False)
    assert modprobe_unblock.inspect_initramfs(FakeInitramfsModule([], ""), ["/etc/modprobe.d/a.conf"]) == (
        None, [], None)
    failing = FakeInitramfsModule(["lsinitrd", "dracut"], "", rc=1)
    contains, found, _rebuild = modprobe_unblock.inspect_initramfs(failing, ["/etc/modprobe.d/a.conf"])
    assert (contains, found) == (None, [])


def test_kernel_cmdline_file_is_found_for_module_blacklist(tmp_path):
    (tmp_path / "etc/kernel").mkdir(parents=True)
    (tmp_path / "etc/kernel/cmdline").write_text("root=/dev/sda1 module_blacklist=br_netfilter,nf_nat quiet\n")
    change = modprobe_unblock.cmdline_change(
        {"module": "nf_nat", "value": "module_blacklist=br_netfilter,nf_nat", "param": "module_blacklist"},
        str(tmp_path))
    assert change["new_value"] == "module_blacklist=br_netfilter"
    assert change["configured_in"][0]["file"] == "/etc/kernel/cmdline"
    assert change["suggestion"].startswith("replace 'module_blacklist=br_netfilter,nf_nat' with "
                                           "'module_blacklist=br_netfilter'")


def test_symlinked_file_is_replaced_and_its_target_kept(tmp_path, capsys):
    root = tree(tmp_path, "centos7_seed000")
    shared = root / "usr/share/hardening/netfilter.conf"
    shared.parent.mkdir(parents=True)
    shared.write_text("blacklist nf_nat\n")
    link = root / "etc/modprobe.d/netfilter.conf"
    os.symlink("../../usr/share/hardening/netfilter.conf", str(link))
    (root / "etc/modprobe.d/masked.conf").symlink_to("/dev/null")
    result = run(capsys, root=str(root), modules=["nf_nat"])
    assert result["warnings_detail"] == []  # the /dev/null mask reads as an empty file, as kmod reads it
    assert not os.path.islink(str(link))
    assert link.read_text() == MARKER + " blacklist nf_nat\n"
    assert shared.read_text() == "blacklist nf_nat\n"
    assert open(result["backups"][str(link)]).read() == "blacklist nf_nat\n"
    assert os.readlink(str(root / "etc/modprobe.d/masked.conf")) == "/dev/null"


# --- acting on the audit's evidence (issue 10) --------------------------------
# The evidence items are what checks.check_conntrack_modules cites for seed 000
# (file, line and the directive as written, under the key "value").

SEED000_EVIDENCE = [{"file": "/etc/modprobe.d/blacklist.conf", "line": 6, "value": "blacklist nf_conntrack_ipv4"}]


def test_cited_line_is_commented_and_nothing_else(tmp_path, capsys):
    root = tree(tmp_path, "centos7_seed000")
    extra = root / "etc/modprobe.d/zz-local.conf"
    extra.write_text("blacklist nf_nat\n")  # disables a module too, but the audit did not cite it
    result = run(capsys, root=str(root), lines=SEED000_EVIDENCE)
    assert result["changed"] is True and result["stale_lines"] == []
    assert [(r["file"], r["line"], r["module"]) for r in result["disabled_lines_removed"]] == [
        ("/etc/modprobe.d/blacklist.conf", 6, "nf_conntrack_ipv4")]
    assert MARKER + " blacklist nf_conntrack_ipv4\n" in (root / "etc/modprobe.d/blacklist.conf").read_text()
    assert extra.read_text() == "blacklist nf_nat\n"
    # the evidence is now stale: a second run changes nothing and says why
    again = run(capsys, root=str(root), lines=SEED000_EVIDENCE)
    assert again["changed"] is False and "no directive" in again["stale_lines"][0]["reason"]


def test_cited_line_that_changed_or_is_no_longer_read_is_left_alone(tmp_path, capsys):
    root = tree(tmp_path, "centos7_seed000")
    before = checksums(root)
    lines = [{"file": "/etc/modprobe.d/blacklist.conf", "line": 6, "text": "blacklist nf_conntrack"},
             # a backup kmod does not read: the audit would never cite it; a stale report must not edit it
             {"file": "/etc/modprobe.d/blacklist.conf.rpmsave", "line": 1, "text": "blacklist nf_conntrack"},
             {"file": "/proc/cmdline", "line": 1, "text": "modprobe.blacklist=nf_conntrack_ipv4"},
             {"file": "/etc/modules-load.d", "line": None, "text": "no entry for br_netfilter"}]
    preview = run(capsys, check_mode=True, root=str(root), lines=lines)
    assert preview["changed"] is False and checksums(root) == before
    reasons = [s["reason"] for s in preview["stale_lines"]]
    assert len(reasons) == 3 and "not the cited text" in reasons[0]
    assert "no directive" in reasons[1] and "command line no longer has" in reasons[2]


def test_cited_lines_limited_to_the_modules_given_and_cmdline_evidence_is_reported(tmp_path, capsys):
    root = tree(tmp_path, "centos7_seed000")
    (root / "proc/cmdline").write_text("ro quiet modprobe.blacklist=nf_conntrack_ipv4,floppy\n")
    lines = SEED000_EVIDENCE + [{"file": "/proc/cmdline", "line": 1,
                                 "text": "modprobe.blacklist=nf_conntrack_ipv4,floppy"}]
    limited = run(capsys, check_mode=True, root=str(root), lines=lines, modules=["br_netfilter"])
    assert limited["changed"] is False and len(limited["stale_lines"]) == 2
    result = run(capsys, check_mode=True, root=str(root), lines=lines, modules=["nf_conntrack_ipv4"])
    assert result["changed"] is True and result["stale_lines"] == []
    assert [c["new_value"] for c in result["cmdline_changes_needed"]] == ["modprobe.blacklist=floppy"]


def test_lines_or_modules_is_required(tmp_path, capsys):
    root = tree(tmp_path, "centos7_seed000")
    result = run_main(capsys, modprobe_unblock, {"root": str(root), "_ansible_check_mode": True})
    assert result["rc"] == 1 and "one of the following is required: modules, lines" in result["msg"]
