"""Unit tests for the VM boot logic (tools/vm/nfdoctor_vm.py): qemu and ssh argument
building, the instance record molecule reads, and the errors people see."""
import json
import os
import socket
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools", "vm"))
import nfdoctor_vm as vm  # noqa: E402


def option(args, flag):
    """Every value given to a repeated qemu flag."""
    return [args[i + 1] for i, a in enumerate(args) if a == flag]


def test_qemu_args_boot_the_image_under_tcg_with_snapshot():
    paths = vm.ImagePaths("/img")
    args = vm.qemu_args(paths, 2222, "/state/console.log", "/state/qemu.pid")
    assert args[0] == "qemu-system-x86_64"
    assert option(args, "-accel") == ["tcg"], "KVM hangs stock guest kernels here"
    assert "-enable-kvm" not in args
    assert "-snapshot" in args, "the cached image must never be written"
    assert option(args, "-kernel") == ["/img/vmlinuz"]
    assert option(args, "-initrd") == ["/img/initrd.img"]
    assert option(args, "-append") == ["root=/dev/vda rw console=ttyS0 net.ifnames=1"]
    assert option(args, "-drive") == ["file=/img/disk.ext4,format=raw,if=virtio"]
    assert option(args, "-serial") == ["file:/state/console.log"]
    assert option(args, "-pidfile") == ["/state/qemu.pid"]
    assert option(args, "-monitor") == ["unix:/state/monitor.sock,server,nowait"]
    assert "-daemonize" in args


def test_qemu_forwards_ssh_on_loopback_only():
    args = vm.qemu_args(vm.ImagePaths("/img"), 40022, "/c", "/p")
    (netdev,) = option(args, "-netdev")
    assert "hostfwd=tcp:127.0.0.1:40022-:22" in netdev
    assert netdev.startswith("user,")


def test_ssh_args_use_the_image_key_and_never_prompt():
    args = vm.ssh_args("/img/id_ed25519", 40022, ["uname", "-r"])
    assert args[:5] == ["ssh", "-i", "/img/id_ed25519", "-p", "40022"]
    assert "BatchMode=yes" in args and "StrictHostKeyChecking=no" in args
    assert args[-3:] == ["root@127.0.0.1", "uname", "-r"]
    assert vm.ssh_args("/k", 1)[-1] == "true"


def test_instance_record_is_what_molecule_default_driver_reads():
    record = vm.instance_record("debian12", 40022, "/img/id_ed25519", "/state")
    for key, value in {"instance": "debian12", "address": "127.0.0.1", "user": "root",
                       "port": 40022, "identity_file": "/img/id_ed25519"}.items():
        assert record[key] == value
    json.dumps(record)


def test_free_port_is_bindable():
    port = vm.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_start_vm_without_image_says_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setattr(vm.shutil, "which", lambda name: "/usr/bin/" + name)
    with pytest.raises(vm.VmError, match=r"no VM image for trixie .*tools/vm/build-image trixie"):
        vm.start_vm("debian13", "debian13", str(tmp_path / "state"), root=str(tmp_path / "cache"))


def test_missing_qemu_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(vm.shutil, "which", lambda name: None if name.startswith("qemu") else "/bin/" + name)
    with pytest.raises(vm.VmError, match="missing program.*qemu-system-x86_64.*make system-deps"):
        vm.start_vm("debian12", "debian12", "/nonexistent")


def test_wait_for_ssh_reports_a_dead_qemu_with_the_console_tail(tmp_path):
    (tmp_path / "console.log").write_text("early boot\nKernel panic - not syncing: VFS: Unable to mount root fs\n")
    record = vm.instance_record("debian12", 1, "/k", str(tmp_path))
    with pytest.raises(vm.VmError, match=r"(?s)qemu exited before SSH came up.*Kernel panic"):
        vm.wait_for_ssh(record, timeout=5)


def test_stop_vm_without_a_running_qemu_is_a_no_op(tmp_path):
    assert vm.stop_vm(str(tmp_path)) is False
    (tmp_path / "qemu.pid").write_text("not a pid\n")
    assert vm.stop_vm(str(tmp_path)) is False


def test_tail_of_a_missing_log_says_so(tmp_path):
    assert "no console log" in vm.tail(str(tmp_path / "nope.log"))
