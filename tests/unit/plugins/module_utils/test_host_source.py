"""HostSource on hostile and corrupt captured trees: errors, never a traceback or a hang."""
import os
import socket
import stat
import sys
import time

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import gather as gather_mod
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.host_source import HostSource, json_safe, safe_text


def put(root, path, data):
    full = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as handle:
        handle.write(data if isinstance(data, bytes) else data.encode())
    return full


def link(root, path, target):
    full = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    os.symlink(target, full)


def messages(src):
    return dict((e["source"], e["message"]) for e in src.errors)


def test_reads_a_plain_file(tmp_path):
    put(tmp_path, "/etc/hostname", "web01\n")
    src = HostSource(str(tmp_path))
    assert src.read("/etc/hostname") == "web01\n"
    assert src.errors == []


def test_missing_file_is_quiet_unless_asked(tmp_path):
    src = HostSource(str(tmp_path))
    assert src.read("/proc/modules") is None
    assert src.errors == []
    assert src.read("/proc/modules", quiet_missing=False) is None
    assert messages(src) == {"/proc/modules": "not present"}


def test_absolute_link_stays_inside_the_tree(tmp_path):
    # On this machine /etc/hostname exists; the tree's link must not reach it.
    link(tmp_path, "/etc/hostname", "/etc/hostname-real")
    put(tmp_path, "/etc/hostname-real", "captured\n")
    src = HostSource(str(tmp_path))
    assert src.read("/etc/hostname") == "captured\n"


def test_relative_link_out_of_the_tree_is_refused(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    put(tmp_path, "/secret", "do not read\n")
    link(tree, "/etc/passwd", "../../secret")
    src = HostSource(str(tree))
    text = src.read("/etc/passwd")
    assert text != "do not read\n"
    # '..' is clamped at the tree's root, the way chroot resolves it: the link
    # points at /secret inside the tree, which does not exist.
    assert text is None


def test_link_to_dev_zero_is_not_read(tmp_path):
    link(tmp_path, "/proc/modules", "/dev/zero")
    os.makedirs(os.path.join(str(tmp_path), "dev"))
    os.mknod(os.path.join(str(tmp_path), "dev", "zero"), stat.S_IFCHR | 0o666, os.makedev(1, 5))
    src = HostSource(str(tmp_path))
    started = time.time()
    assert src.read("/proc/modules") is None
    assert time.time() - started < 2
    assert "not a regular file" in messages(src)["/proc/modules"]


def test_dev_null_link_reads_as_masked(tmp_path):
    link(tmp_path, "/etc/systemd/network/10-eth0.network", "/dev/null")
    src = HostSource(str(tmp_path))
    assert src.is_masked("/etc/systemd/network/10-eth0.network")
    assert src.read("/etc/systemd/network/10-eth0.network") == ""


@pytest.mark.parametrize("target", [
    "../../../dev/null",            # relative, as `ln -s ../../../dev/null` writes it
    "../../../../../../dev/null",   # more '..' than the depth: clamped at the root, still /dev/null
    "/dev/./null",
])
def test_relative_and_unnormalised_links_to_dev_null_are_masks(tmp_path, target):
    # systemd tells a mask by what the link resolves to (null_or_empty), not by its text
    link(tmp_path, "/etc/systemd/network/10-eth0.network", target)
    src = HostSource(str(tmp_path))
    assert src.is_masked("/etc/systemd/network/10-eth0.network")
    assert src.read("/etc/systemd/network/10-eth0.network") == ""


def test_a_link_to_a_link_to_dev_null_is_a_mask(tmp_path):
    link(tmp_path, "/etc/sysctl.d/masks/null", "/dev/null")
    link(tmp_path, "/etc/sysctl.d/50-pid-max.conf", "masks/null")
    assert HostSource(str(tmp_path)).is_masked("/etc/sysctl.d/50-pid-max.conf")


@pytest.mark.parametrize("target", [
    "../dev/null",        # resolves to /etc/dev/null, not /dev/null
    "/dev/nullx",
    "/dev/zero",
    "50-other.conf",      # a link to a real file
])
def test_links_that_do_not_end_at_dev_null_are_not_masks(tmp_path, target):
    put(tmp_path, "/etc/sysctl.d/50-other.conf", "kernel.pid_max = 65536\n")
    link(tmp_path, "/etc/sysctl.d/50-pid-max.conf", target)
    assert not HostSource(str(tmp_path)).is_masked("/etc/sysctl.d/50-pid-max.conf")


def test_a_link_cycle_is_not_a_mask_and_ends(tmp_path):
    link(tmp_path, "/etc/sysctl.d/a.conf", "b.conf")
    link(tmp_path, "/etc/sysctl.d/b.conf", "a.conf")
    started = time.time()
    assert not HostSource(str(tmp_path)).is_masked("/etc/sysctl.d/a.conf")
    assert time.time() - started < 2


def test_read_files_keeps_every_mask(tmp_path):
    # Every mask resolves to the one /dev/null: the same-file rule (read a
    # merged /usr's vendor file once) dropped the second one.
    link(tmp_path, "/etc/sysctl.d/50-default.conf", "/dev/null")
    link(tmp_path, "/etc/sysctl.d/60-forward.conf", "../../dev/null")
    put(tmp_path, "/etc/sysctl.d/70-user.conf", "kernel.pid_max = 65536\n")
    src = HostSource(str(tmp_path))
    files = src.read_files(["/etc/sysctl.d/*.conf"])
    assert files == {"/etc/sysctl.d/50-default.conf": "", "/etc/sysctl.d/60-forward.conf": "",
                     "/etc/sysctl.d/70-user.conf": "kernel.pid_max = 65536\n"}
    assert src.read_files(["/etc/sysctl.d/*.conf"], mask=None)["/etc/sysctl.d/60-forward.conf"] is None


def test_a_merged_usr_lists_a_vendor_file_once_but_masks_stay(tmp_path):
    # negative of the above: the same-file rule still holds for real files
    put(tmp_path, "/usr/lib/sysctl.d/50-default.conf", "net.ipv4.ip_forward = 0\n")
    link(tmp_path, "/lib", "usr/lib")
    files = HostSource(str(tmp_path)).read_files(["/usr/lib/sysctl.d/*.conf", "/lib/sysctl.d/*.conf"])
    assert list(files) == ["/usr/lib/sysctl.d/50-default.conf"]


def test_two_masks_hide_both_vendor_files_from_the_audit(tmp_path):
    # What the dropped second mask cost: the vendor file it hides counted as
    # configured, and a pending ip_forward=0 was reported that sysctl --system
    # never applies.
    put(tmp_path, "/usr/lib/sysctl.d/50-default.conf", "net.ipv4.conf.all.forwarding = 0\n")
    put(tmp_path, "/usr/lib/sysctl.d/60-forward.conf", "net.ipv4.ip_forward = 0\n")
    link(tmp_path, "/etc/sysctl.d/50-default.conf", "/dev/null")
    link(tmp_path, "/etc/sysctl.d/60-forward.conf", "../../dev/null")
    configured = Gatherer(str(tmp_path)).run()["forwarding"]["configured"]
    assert configured == {}
    # negative: with one mask removed, its vendor file counts again
    os.remove(os.path.join(str(tmp_path), "etc/sysctl.d/60-forward.conf"))
    configured = Gatherer(str(tmp_path)).run()["forwarding"]["configured"]
    assert list(configured) == ["net.ipv4.ip_forward"]
    assert configured["net.ipv4.ip_forward"]["file"] == "/usr/lib/sysctl.d/60-forward.conf"


def test_fifo_does_not_hang(tmp_path):
    os.makedirs(os.path.join(str(tmp_path), "proc"))
    os.mkfifo(os.path.join(str(tmp_path), "proc", "cmdline"))
    src = HostSource(str(tmp_path))
    started = time.time()
    assert src.read("/proc/cmdline") is None
    assert time.time() - started < 2


def test_socket_is_not_read(tmp_path):
    path = os.path.join(str(tmp_path), "run.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    try:
        src = HostSource(str(tmp_path))
        assert src.read("/run.sock") is None
        assert "not a regular file" in messages(src)["/run.sock"]
    finally:
        server.close()


def test_huge_file_is_truncated_and_said(tmp_path):
    put(tmp_path, "/etc/modprobe.d/huge.conf", b"blacklist floppy\n" * 100000)
    src = HostSource(str(tmp_path), max_bytes=4096)
    text = src.read("/etc/modprobe.d/huge.conf")
    assert len(text) == 4096
    assert "only the start was read" in messages(src)["/etc/modprobe.d/huge.conf"]


def test_binary_junk_is_refused_where_text_is_expected(tmp_path):
    put(tmp_path, "/etc/modprobe.d/junk.conf", b"\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe")
    src = HostSource(str(tmp_path))
    assert src.read("/etc/modprobe.d/junk.conf") is None
    assert "binary content" in messages(src)["/etc/modprobe.d/junk.conf"]
    assert src.read("/etc/modprobe.d/junk.conf", binary_ok=True) is not None


def test_link_loop_is_an_error(tmp_path):
    link(tmp_path, "/etc/a", "/etc/b")
    link(tmp_path, "/etc/b", "/etc/a")
    src = HostSource(str(tmp_path))
    assert src.read("/etc/a") is None
    assert "symbolic links" in messages(src)["/etc/a"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_an_error(tmp_path):
    path = put(tmp_path, "/proc/1/stack", "x")
    os.chmod(path, 0)
    src = HostSource(str(tmp_path))
    assert src.read("/proc/1/stack") is None
    assert "cannot open" in messages(src)["/proc/1/stack"]


def test_sos_command_found_under_any_plugin(tmp_path):
    put(tmp_path, "/sos_commands/systemd/systemctl_--version", "systemd 252 (252.22-1~deb12u1)\n")
    src = HostSource(str(tmp_path))
    assert src.command(["systemctl", "--version"]).startswith("systemd 252")
    assert src.command(["iptables-save"]) is None


def test_live_command_timeout_is_reported(monkeypatch):
    src = HostSource("/", timeout=0.5)
    monkeypatch.setattr(src, "which", lambda name: sys.executable if name == "python" else None)
    started = time.time()
    assert src.command(["python", "-c", "import time; time.sleep(30)"]) is None
    assert time.time() - started < 5
    assert "timed out" in src.errors[0]["message"]


def test_live_command_leads_a_session_of_its_own(monkeypatch):
    """A command is the leader of a new session (so a timeout can kill the group), not of ours."""
    src = HostSource("/")
    monkeypatch.setattr(src, "which", lambda name: sys.executable)
    out = src.command(["python", "-c", "import os; print('%d %d %d' % (os.getpid(), os.getsid(0), os.getpgrp()))"])
    pid, sid, pgrp = [int(word) for word in out.split()]
    assert sid == pid == pgrp
    assert sid != os.getsid(0)


def test_a_timeout_kills_the_commands_children_too(monkeypatch, tmp_path):
    src = HostSource("/", timeout=0.5)
    monkeypatch.setattr(src, "which", lambda name: sys.executable)
    pid_file = tmp_path / "child.pid"
    script = ("import subprocess, sys, time\n"
              "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
              "open(%r, 'w').write(str(child.pid))\n"
              "time.sleep(60)\n" % str(pid_file))
    started = time.time()
    assert src.command(["python", "-c", script]) is None
    assert time.time() - started < 5  # the child holds the output pipe: alive, it would hold the audit too
    assert "timed out" in src.errors[0]["message"]
    child = int(pid_file.read_text())
    for _attempt in range(50):  # SIGKILL is sent; the child's parent is gone, init reaps it
        try:
            with open("/proc/%d/stat" % child) as handle:
                gone = handle.read().split(") ", 1)[1].startswith("Z")
        except OSError:
            gone = True
        if gone:
            break
        time.sleep(0.1)
    assert gone


def test_live_command_runs_in_the_c_locale(monkeypatch):
    src = HostSource("/")
    monkeypatch.setattr(src, "which", lambda name: sys.executable)
    out = src.command(["python", "-c", "import os; print(os.environ['LC_ALL'])"])
    assert out.strip() == "C"


def test_failed_command_is_an_error_with_its_message(monkeypatch):
    src = HostSource("/")
    monkeypatch.setattr(src, "which", lambda name: sys.executable)
    assert src.command(["python", "-c", "import sys; sys.stderr.write('boom\\n'); sys.exit(3)"]) is None
    assert src.errors[0]["message"] == "exit code 3: boom"


def test_hostile_tree_audits_without_traceback(tmp_path):
    """Everything at once: the audit completes and lists what it could not read."""
    put(tmp_path, "/proc/sys/kernel/osrelease", "3.10.0-\xff\xfe-garbage\n")
    put(tmp_path, "/proc/modules", b"\x00\x01\x02" * 1000)
    put(tmp_path, "/proc/net/stat/nf_conntrack", "entries insert_failed\nzz 99999999999999999999999\n")
    put(tmp_path, "/proc/sys/net/netfilter/nf_conntrack_count", "-12abc\n")
    put(tmp_path, "/proc/sys/net/netfilter/nf_conntrack_max", "0\n")
    link(tmp_path, "/etc/modprobe.d/evil.conf", "/dev/zero")
    link(tmp_path, "/etc/modprobe.d/out.conf", "../../../../../../etc/shadow")
    put(tmp_path, "/etc/cron.d/flush", b"* * * * * root conntrack -F\n\xff\xfe\x00")
    os.makedirs(os.path.join(str(tmp_path), "sys", "class", "net", "eth0"))
    put(tmp_path, "/proc/sys/net/ipv4/conf/eth0/forwarding", "yes please\n")
    put(tmp_path, "/sos_commands/networking/iptables-save", "*nat\n-A POSTROUTING -j MASQUERADE --bogus \"unterminated\n")
    os.makedirs(os.path.join(str(tmp_path), "var", "crash", "x"))
    put(tmp_path, "/var/crash/x/vmcore-dmesg.txt", "\n".join("RIP: %d" % i for i in range(10000)))
    facts = Gatherer(str(tmp_path)).run()
    facts["findings"] = run_checks(facts)
    assert [e for e in facts["errors"] if e["source"].startswith("gather:")] == []
    sources = [e["source"] for e in facts["errors"]]
    assert "/proc/modules" in sources
    assert facts["conntrack"]["fill_ratio"] is None  # max 0 is no ratio


def test_rc_local_through_rhels_link_is_one_flush_job(tmp_path):
    # RHEL 7/8 ship /etc/rc.local -> rc.d/rc.local: the same script under two names was two jobs.
    put(tmp_path, "/etc/rc.d/rc.local", "#!/bin/bash\ntouch /var/lock/subsys/local\nconntrack -F\n")
    link(tmp_path, "/etc/rc.local", "rc.d/rc.local")
    jobs = Gatherer(str(tmp_path)).run()["conntrack_flush_jobs"]
    assert [(j["file"], j["line"]) for j in jobs] == [("/etc/rc.local", 3)]


def test_two_rc_local_files_that_differ_are_two_jobs(tmp_path):
    # negative: two real files (a copy, not a link) both run on some hosts; both are cited
    put(tmp_path, "/etc/rc.d/rc.local", "#!/bin/bash\nconntrack -F\n")
    put(tmp_path, "/etc/rc.local", "#!/bin/bash\nconntrack -F\n")
    jobs = Gatherer(str(tmp_path)).run()["conntrack_flush_jobs"]
    assert sorted(j["file"] for j in jobs) == ["/etc/rc.d/rc.local", "/etc/rc.local"]


def test_cron_backups_and_leftovers_are_not_flush_jobs(tmp_path):
    """cron never runs NAME.PID.DATE~ (our own backups) or package leftovers."""
    line = "*/5 * * * * root conntrack -F >/dev/null 2>&1\n"
    put(tmp_path, "/etc/cron.d/vpn-flush", "# disabled by nfdoctor.netfilter.conntrack_hygiene: " + line)
    put(tmp_path, "/etc/cron.d/vpn-flush.919.2026-11-22@02:01:46~", line)
    put(tmp_path, "/etc/cron.d/vpn-flush.rpmsave", line)
    put(tmp_path, "/etc/cron.d/.vpn-flush.swp", line)
    assert Gatherer(str(tmp_path)).run()["conntrack_flush_jobs"] == []
    put(tmp_path, "/etc/cron.d/vpn-flush-2", line)
    jobs = Gatherer(str(tmp_path)).run()["conntrack_flush_jobs"]
    assert [job["file"] for job in jobs] == ["/etc/cron.d/vpn-flush-2"]


def test_vendor_networkd_conf_is_read_when_etc_has_none(tmp_path):
    """networkd.conf(5) takes the first main file that exists; /usr/lib's is one of them (issue 10)."""
    put(tmp_path, "/etc/systemd/network/10-eth0.network", "[Match]\nName=eth0\n")
    put(tmp_path, "/usr/lib/systemd/networkd.conf", "[Network]\nIPv4Forwarding=no\n")
    conf = Gatherer(str(tmp_path)).run()["networkd"]["conf"]
    assert [f["path"] for f in conf["files"]] == ["/usr/lib/systemd/networkd.conf"]
    assert conf["settings"]["IPv4Forwarding"]["value"] == "no"


def test_etc_networkd_conf_shadows_the_vendor_one(tmp_path):
    put(tmp_path, "/etc/systemd/network/10-eth0.network", "[Match]\nName=eth0\n")
    put(tmp_path, "/etc/systemd/networkd.conf", "[Network]\n")
    put(tmp_path, "/usr/lib/systemd/networkd.conf", "[Network]\nIPv4Forwarding=no\n")
    conf = Gatherer(str(tmp_path)).run()["networkd"]["conf"]
    assert "IPv4Forwarding" not in conf["settings"]
    assert {f["path"]: f["shadowed_by"] for f in conf["files"]}["/usr/lib/systemd/networkd.conf"] \
        == "/etc/systemd/networkd.conf"


@pytest.mark.parametrize("value,expected", [
    ("plain", "plain"), ("caf\u00e9", "caf\u00e9"), (b"bytes\xff", "bytes\ufffd"),
    (os.fsdecode(b"bl\xffck.conf"), "bl\ufffdck.conf"), ("\ud800 lone", "? lone")])
def test_safe_text_always_encodes_as_utf8(value, expected):
    assert safe_text(value) == expected
    safe_text(value).encode("utf-8")


def test_json_safe_walks_keys_and_values_and_keeps_other_types():
    doc = {os.fsdecode(b"k\xfe"): [os.fsdecode(b"v\xfd"), 1, None, 2.5, True, {"x": ("t",)}]}
    assert json_safe(doc) == {"k\ufffd": ["v\ufffd", 1, None, 2.5, True, {"x": ["t"]}]}


def test_errors_are_kept_once_and_bounded(tmp_path):
    src = HostSource(str(tmp_path))
    for index in range(1500):
        src.error("s%d" % index, "m")
        src.error("s%d" % index, "m")
    assert len(src.errors) == 1001 and src.errors[-1] == {
        "source": "errors", "message": "more than 1000 errors; the rest were not kept"}


def test_bounded_cuts_lists_dicts_and_strings_and_says_where():
    cut = []
    doc = gather_mod._bounded({"a": list(range(6000)), "b": dict((str(i), i) for i in range(5001)), "c": "x" * 9000,
                               "d": ["ok"], "e": "short"}, "top", cut)
    assert len(doc["a"]) == 5000 and len(doc["b"]) == 5000 and len(doc["c"]) == 8192
    assert doc["d"] == ["ok"] and doc["e"] == "short"
    assert sorted(cut) == [("top.a", "6000 items; only the first 5000 kept"),
                           ("top.b", "5001 entries; only the first 5000 kept"),
                           ("top.c", "a string of 9000 characters; only the first 8192 kept")]


def test_error_text_is_bounded(tmp_path):
    src = HostSource(str(tmp_path))
    src.error("s" * 5000, "m" * 5000)
    assert src.errors == [{"source": "s" * 2000, "message": "m" * 2000}]


def test_link_target_name_is_the_driver_a_sysfs_link_names_and_stays_in_the_tree(tmp_path):
    # sysfs: /sys/class/net/ens3/device -> the virtio device, whose driver -> .../bus/virtio/drivers/virtio_net
    device = tmp_path / "sys/devices/pci0000:00/0000:00:03.0/virtio0"
    (tmp_path / "sys/bus/virtio/drivers/virtio_net").mkdir(parents=True)
    device.mkdir(parents=True)
    os.symlink("../../../../bus/virtio/drivers/virtio_net", str(device / "driver"))
    (tmp_path / "sys/class/net/ens3").mkdir(parents=True)
    # absolute: resolved inside the tree
    os.symlink("/sys/devices/pci0000:00/0000:00:03.0/virtio0", str(tmp_path / "sys/class/net/ens3/device"))
    (tmp_path / "sys/class/net/lo").mkdir()
    os.symlink("/etc/passwd", str(tmp_path / "sys/class/net/lo/escape"))
    source = HostSource(str(tmp_path))
    assert source.link_target_name("/sys/class/net/ens3/device/driver") == "virtio_net"
    assert source.link_target_name("/sys/class/net/lo/device/driver") == ""  # no device: a virtual link
    assert source.link_target_name("/sys/class/net/lo") == ""  # a directory, not a link
    # an absolute link names a path in the tree (TREE/etc/passwd, absent here): only the name is
    # taken, and this machine's /etc/passwd is never opened
    assert source.link_target_name("/sys/class/net/lo/escape") == "passwd"
