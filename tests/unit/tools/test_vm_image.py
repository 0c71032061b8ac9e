"""Unit tests for the VM image builder's decisions (tools/vm/nfdoctor_vm.py).

Nothing here needs root, network or qemu: the builder's choices (what goes in
the cache key, what mmdebstrap is asked for, what is written into the guest)
are pure functions, tested here; the build itself runs in `make vm-images`.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools", "vm"))
import nfdoctor_vm as vm  # noqa: E402


def test_suite_for_accepts_platform_and_suite_names():
    assert vm.suite_for("debian12") == "bookworm"
    assert vm.suite_for("bookworm") == "bookworm"
    assert vm.suite_for("debian13") == "trixie"


def test_suite_for_rejects_unknown_names_with_the_known_ones():
    with pytest.raises(vm.VmError, match="unknown Debian suite or platform 'debian11'.*bookworm.*trixie"):
        vm.suite_for("debian11")


def test_package_list_has_what_the_scenarios_need():
    for suite in ("bookworm", "trixie"):
        packages = vm.package_list(suite)
        for needed in ("openssh-server", "python3", "systemd-sysv", "kmod", "iptables", "conntrack",
                       "iproute2", "cron", "linux-image-amd64", "initramfs-tools", "dbus"):
            assert needed in packages, (suite, needed)
        assert packages == sorted(set(packages)), "sorted and unique, so the cache key is stable"


def test_cache_key_is_stable_and_order_independent():
    first = vm.cache_key("bookworm", ["b", "a"])
    assert first == vm.cache_key("bookworm", ["a", "b"])
    assert len(first) == 16 and int(first, 16) >= 0


@pytest.mark.parametrize("change", [
    {"suite": "trixie"},
    {"packages": ["a", "b", "c"]},
    {"version": "999"},
])
def test_cache_key_changes_with_each_input(change):
    base = {"suite": "bookworm", "packages": ["a", "b"], "version": "1"}
    changed = dict(base, **change)
    assert vm.cache_key(**base) != vm.cache_key(**changed)


def test_cache_root_follows_xdg_cache_home_then_home():
    assert vm.cache_root({"XDG_CACHE_HOME": "/x", "HOME": "/h"}) == "/x/nfdoctor/vm-images"
    assert vm.cache_root({"HOME": "/h"}) == "/h/.cache/nfdoctor/vm-images"
    # An empty XDG_CACHE_HOME means "unset" in the XDG spec.
    assert vm.cache_root({"XDG_CACHE_HOME": "", "HOME": "/h"}) == "/h/.cache/nfdoctor/vm-images"


def test_image_paths_are_keyed_per_suite(tmp_path):
    bookworm = vm.image_paths("bookworm", str(tmp_path))
    trixie = vm.image_paths("trixie", str(tmp_path))
    assert bookworm.directory != trixie.directory
    assert os.path.basename(bookworm.directory).startswith("bookworm-")
    assert bookworm.disk.endswith("/disk.ext4")


def test_image_is_complete_only_with_its_manifest(tmp_path):
    paths = vm.image_paths("bookworm", str(tmp_path))
    os.makedirs(paths.directory)
    for name in (paths.disk, paths.kernel, paths.initrd, paths.ssh_key):
        open(name, "w").close()
    assert not paths.complete(), "an interrupted build (no manifest yet) must be rebuilt"
    open(paths.manifest, "w").close()
    assert paths.complete()


def test_mmdebstrap_args():
    args = vm.mmdebstrap_args("trixie", ["kmod", "python3"], "/tmp/root", "http://mirror/debian")
    assert args[0] == "mmdebstrap"
    assert "--mode=root" in args and "--format=directory" in args
    assert "--include=kmod,python3" in args
    assert args[-3:] == ["trixie", "/tmp/root", "http://mirror/debian"]
    hook = [a for a in args if a.startswith("--setup-hook=")]
    assert len(hook) == 1
    # The initramfs must be able to mount the virtio root disk.
    for module in ("virtio_blk", "ext4"):
        assert module in hook[0]


def test_guest_files_give_networkd_the_nic_and_root_the_key():
    files = vm.guest_files("trixie", "ssh-ed25519 AAAA test\n")
    network, mode = files["/etc/systemd/network/10-uplink.network"]
    assert "[Match]\nName=en*" in network and "DHCP=ipv4" in network and mode == 0o644
    keys, mode = files["/root/.ssh/authorized_keys"]
    assert keys == "ssh-ed25519 AAAA test\n" and mode == 0o600
    assert files["/etc/hostname"][0] == "debian13\n"
    assert files["/etc/fstab"][0].startswith("/dev/vda / ext4")


def test_mounts_under_finds_leftover_chroot_mounts():
    mountinfo = (
        "22 1 252:0 / / rw - ext4 /dev/vda rw\n"
        "90 22 0:5 / /cache/build-1/rootfs/proc rw - proc proc rw\n"
        "91 22 0:6 / /cache/build-10/rootfs/sys rw - sysfs sys rw\n"
        "92 22 0:7 / /cache/build\\0401/dev rw - tmpfs x rw\n"
    )
    assert vm.mounts_under("/cache/build-1", mountinfo) == ["/cache/build-1/rootfs/proc"]
    assert vm.mounts_under("/cache/build 1", mountinfo) == ["/cache/build 1/dev"]
    assert vm.mounts_under("/cache/other", mountinfo) == []
