"""Build and boot the Debian VMs that nfdoctor's Molecule scenarios run in.

Two halves, kept apart so the logic can be unit-tested without root or qemu:

* pure functions that decide *what* to run (cache key, mmdebstrap and qemu
  argument lists, the files written into the image, the instance record);
* thin actions that run it (build_image, start_vm, wait_for_ssh, stop_vm).

Images are built with mmdebstrap from Debian's apt mirror only, turned into an
ext4 disk with ``mkfs.ext4 -d`` and booted by qemu directly from the extracted
kernel and initramfs (no bootloader, no partition table). The guest is always
started with ``-snapshot`` so the cached image is never written; a reboot
inside the guest keeps the snapshot overlay for as long as the qemu process
lives, which is what the reboot test relies on.

This file runs on the controller only (Python 3.11).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

# Bump when the build steps change in a way the package list does not show,
# so cached images are rebuilt instead of silently reused.
BUILD_SCRIPT_VERSION = "3"

# What every image needs: an SSH-reachable systemd host with the netfilter
# tooling the incidents involve and a kernel whose initramfs can mount
# /dev/vda (virtio_blk + ext4).
BASE_PACKAGES = (
    "systemd-sysv",
    "dbus",              # networkctl talks to networkd over D-Bus
    "openssh-server",
    "python3",           # ansible modules
    "kmod",
    "iptables",
    "conntrack",
    "iproute2",
    "procps",            # sysctl
    "cron",
    "linux-image-amd64",
    "initramfs-tools",
)

# Suites we build and the extra packages each needs. systemd-networkd is still
# part of the systemd package in bookworm and trixie (257.13-1~deb13u1 has no
# separate systemd-networkd package; apt says "Unable to locate package"), so
# neither needs extras today; a later suite that splits it out lists it here.
SUITES = {
    "bookworm": {"platform": "debian12", "extra_packages": ()},
    "trixie": {"platform": "debian13", "extra_packages": ()},
}
PLATFORM_SUITES = {info["platform"]: suite for suite, info in SUITES.items()}

DEFAULT_MIRROR = "http://deb.debian.org/debian"
# Size of the ext4 disk; the packages take about 600 MB, the rest is room for
# what the scenarios write (logs, backups, initramfs rebuilds).
DISK_SIZE = "2G"
KERNEL_APPEND = "root=/dev/vda rw console=ttyS0 net.ifnames=1"

# Modules the initramfs must carry to mount the root disk under qemu.
INITRAMFS_MODULES = ("virtio_pci", "virtio_blk", "virtio_net", "ext4")

UPLINK_NETWORK_PATH = "/etc/systemd/network/10-uplink.network"
UPLINK_NETWORK = """\
# The qemu user-mode NIC. systemd-networkd manages it so the scenarios can
# reproduce networkd's forwarding behaviour on a link it really manages.
[Match]
Name=en*

[Network]
DHCP=ipv4
"""

FSTAB = "/dev/vda / ext4 rw,errors=remount-ro 0 1\n"


class VmError(Exception):
    """A failure with a message meant for the person running the tests."""


# --------------------------------------------------------------------------
# pure logic


def suite_for(platform_or_suite: str) -> str:
    """Accept 'debian12' or 'bookworm' and return the suite name."""
    if platform_or_suite in SUITES:
        return platform_or_suite
    if platform_or_suite in PLATFORM_SUITES:
        return PLATFORM_SUITES[platform_or_suite]
    known = ", ".join(sorted(list(SUITES) + list(PLATFORM_SUITES)))
    raise VmError(f"unknown Debian suite or platform {platform_or_suite!r}; known: {known}")


def package_list(suite: str) -> list[str]:
    """Packages installed into the image, sorted so the cache key is stable."""
    return sorted(set(BASE_PACKAGES) | set(SUITES[suite]["extra_packages"]))


def cache_key(suite: str, packages: list[str], version: str = BUILD_SCRIPT_VERSION) -> str:
    """Short hash of everything that decides the image's content."""
    material = json.dumps(
        {"suite": suite, "packages": sorted(packages), "build_script_version": version},
        sort_keys=True,
    )
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def cache_root(environ: dict | None = None) -> str:
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME") or os.path.join(environ.get("HOME", "/root"), ".cache")
    return os.path.join(base, "nfdoctor", "vm-images")


@dataclasses.dataclass(frozen=True)
class ImagePaths:
    """Files of one built image inside the cache."""

    directory: str

    @property
    def disk(self) -> str:
        return os.path.join(self.directory, "disk.ext4")

    @property
    def kernel(self) -> str:
        return os.path.join(self.directory, "vmlinuz")

    @property
    def initrd(self) -> str:
        return os.path.join(self.directory, "initrd.img")

    @property
    def ssh_key(self) -> str:
        return os.path.join(self.directory, "id_ed25519")

    @property
    def manifest(self) -> str:
        return os.path.join(self.directory, "manifest.json")

    def complete(self) -> bool:
        # The manifest is written last: an interrupted build has none and is redone.
        return all(os.path.isfile(p) for p in (self.disk, self.kernel, self.initrd, self.ssh_key, self.manifest))


def image_paths(suite: str, root: str | None = None) -> ImagePaths:
    root = cache_root() if root is None else root
    key = cache_key(suite, package_list(suite))
    return ImagePaths(os.path.join(root, f"{suite}-{key}"))


def mmdebstrap_args(suite: str, packages: list[str], target: str, mirror: str = DEFAULT_MIRROR) -> list[str]:
    """The mmdebstrap command line that builds the root file system into target (a directory)."""
    modules = "\\n".join(INITRAMFS_MODULES)
    return [
        "mmdebstrap",
        "--mode=root",
        "--variant=apt",
        "--format=directory",
        "--include=" + ",".join(packages),
        # Written before any package is installed so the first initramfs
        # generated by linux-image-amd64's postinst already has these modules.
        "--setup-hook=mkdir -p \"$1/usr/share/initramfs-tools/modules.d\" && "
        f"printf '{modules}\\n' > \"$1/usr/share/initramfs-tools/modules.d/nfdoctor-vm\"",
        suite,
        target,
        mirror,
    ]


def guest_files(suite: str, public_key: str) -> dict[str, tuple[str, int]]:
    """Files written into the root file system after mmdebstrap: path -> (content, mode)."""
    hostname = SUITES[suite]["platform"]
    return {
        "/etc/hostname": (hostname + "\n", 0o644),
        "/etc/hosts": (f"127.0.0.1 localhost\n127.0.1.1 {hostname}\n", 0o644),
        "/etc/fstab": (FSTAB, 0o644),
        UPLINK_NETWORK_PATH: (UPLINK_NETWORK, 0o644),
        "/root/.ssh/authorized_keys": (public_key.strip() + "\n", 0o600),
        # No reverse DNS for 10.0.2.2 in qemu's user network: do not wait for it.
        "/etc/ssh/sshd_config.d/10-nfdoctor-vm.conf": ("UseDNS no\nPermitRootLogin prohibit-password\n", 0o644),
    }


# Units enabled in the guest: networkd brings the NIC up, ssh lets ansible in.
GUEST_UNITS = ("systemd-networkd.service", "ssh.service", "cron.service")


def qemu_args(
    paths: ImagePaths,
    ssh_port: int,
    console_log: str,
    pidfile: str,
    memory_mb: int = 1024,
    append: str = KERNEL_APPEND,
) -> list[str]:
    """qemu command line for one throw-away VM reachable on 127.0.0.1:ssh_port."""
    return [
        "qemu-system-x86_64",
        # TCG only: /dev/kvm exists on the CI machines but hangs stock guest
        # kernels, and TCG is predictable everywhere.
        "-accel", "tcg",
        "-m", str(memory_mb),
        "-smp", "1",
        "-kernel", paths.kernel,
        "-initrd", paths.initrd,
        "-append", append,
        "-drive", f"file={paths.disk},format=raw,if=virtio",
        # Writes go to a temporary overlay that dies with the qemu process;
        # the cached image stays pristine and can back several VMs at once.
        "-snapshot",
        "-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{ssh_port}-:22",
        "-device", "virtio-net-pci,netdev=net0",
        "-display", "none",
        "-serial", f"file:{console_log}",
        # The human monitor on a socket next to the console log: lets a
        # person (or stop_vm) inspect a guest that stopped answering SSH.
        "-monitor", f"unix:{os.path.join(os.path.dirname(pidfile), 'monitor.sock')},server,nowait",
        "-pidfile", pidfile,
        "-daemonize",
    ]


def ssh_args(key: str, port: int, command: list[str] | None = None, connect_timeout: int = 30) -> list[str]:
    return [
        "ssh",
        "-i", key,
        "-p", str(port),
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR",
        "-o", f"ConnectTimeout={connect_timeout}",
        "root@127.0.0.1",
    ] + list(command or ["true"])


def instance_record(name: str, port: int, key: str, state_dir: str) -> dict:
    """What molecule's default driver needs to reach the VM (its instance_config entry)."""
    return {
        "instance": name,
        "address": "127.0.0.1",
        "user": "root",
        "port": port,
        "identity_file": key,
        "state_dir": state_dir,
    }


def tail(path: str, lines: int = 25) -> str:
    try:
        with open(path, errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except OSError:
        return f"(no console log at {path})"


# --------------------------------------------------------------------------
# actions


def require_tools(names: list[str]) -> None:
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        raise VmError(
            "missing program(s): " + ", ".join(missing)
            + ". Install them with `make system-deps` (Debian packages qemu-system-x86, "
            "qemu-utils, mmdebstrap, e2fsprogs, openssh-client)."
        )


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, check=True, **kwargs)
    except subprocess.CalledProcessError as exc:
        raise VmError(f"command failed with exit code {exc.returncode}: {' '.join(cmd[:6])} ...") from None


def _write_guest_file(root: str, path: str, content: str, mode: int) -> None:
    full = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as handle:
        handle.write(content)
    os.chmod(full, mode)


def _single(root: str, pattern_prefix: str) -> str:
    boot = os.path.join(root, "boot")
    found = sorted(f for f in os.listdir(boot) if f.startswith(pattern_prefix))
    if len(found) != 1:
        raise VmError(f"expected exactly one {pattern_prefix}* in {boot}, found {found}")
    return os.path.join(boot, found[0])


def mounts_under(directory: str, mountinfo: str | None = None) -> list[str]:
    """Mount points at or below directory (from /proc/self/mountinfo text)."""
    if mountinfo is None:
        with open("/proc/self/mountinfo") as handle:
            mountinfo = handle.read()
    prefix = directory.rstrip("/") + "/"
    points = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) > 4:
            # mountinfo escapes blanks in paths as \040
            point = fields[4].replace("\\040", " ")
            if point == directory.rstrip("/") or point.startswith(prefix):
                points.append(point)
    return points


def _remove_build_dir(work: str, log) -> None:
    # An interrupted mmdebstrap can leave the host's /proc, /sys and /dev/pts
    # mounted inside the chroot; deleting through them would damage the host.
    leftover = mounts_under(work)
    if leftover:
        log(f"not removing {work}: still mounted there: {', '.join(leftover)} (umount them, then delete it)")
        return
    shutil.rmtree(work, ignore_errors=True)


def build_image(suite: str, root: str | None = None, mirror: str = DEFAULT_MIRROR,
                force: bool = False, log=print) -> tuple[ImagePaths, bool]:
    """Build (or reuse) the image for suite. Returns (paths, built_now)."""
    suite = suite_for(suite)
    paths = image_paths(suite, root)
    if paths.complete() and not force:
        log(f"{suite}: cached image {paths.directory}")
        return paths, False
    if os.geteuid() != 0:
        raise VmError("building an image needs root (mmdebstrap --mode=root, mkfs.ext4 -d with root-owned files)")
    require_tools(["mmdebstrap", "mkfs.ext4", "ssh-keygen"])
    packages = package_list(suite)
    started = time.monotonic()
    os.makedirs(os.path.dirname(paths.directory), exist_ok=True)
    work = tempfile.mkdtemp(prefix=f"{suite}-build-", dir=os.path.dirname(paths.directory))
    try:
        rootfs = os.path.join(work, "rootfs")
        log(f"{suite}: mmdebstrap {len(packages)} packages from {mirror}")
        _run(mmdebstrap_args(suite, packages, rootfs, mirror))
        key = os.path.join(work, "id_ed25519")
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"nfdoctor-vm-{suite}", "-f", key])
        with open(key + ".pub") as handle:
            public_key = handle.read()
        for path, (content, mode) in guest_files(suite, public_key).items():
            _write_guest_file(rootfs, path, content, mode)
        os.chmod(os.path.join(rootfs, "root/.ssh"), 0o700)
        _run(["chroot", rootfs, "systemctl", "enable", *GUEST_UNITS], stdout=subprocess.DEVNULL)
        kernel = _single(rootfs, "vmlinuz-")
        initrd = _single(rootfs, "initrd.img-")
        # lsinitramfs comes with initramfs-tools, which the image has and the host may not.
        listing = _run(["chroot", rootfs, "lsinitramfs", "/boot/" + os.path.basename(initrd)],
                       stdout=subprocess.PIPE, text=True).stdout
        for module in ("virtio_blk", "ext4"):
            if f"/{module}.ko" not in listing:
                raise VmError(f"{suite}: initramfs {initrd} lacks {module}.ko; the VM could not mount its root disk")
        os.makedirs(os.path.join(work, "out"))
        out = ImagePaths(os.path.join(work, "out"))
        shutil.copyfile(kernel, out.kernel)
        shutil.copyfile(initrd, out.initrd)
        shutil.move(key, out.ssh_key)
        shutil.move(key + ".pub", out.ssh_key + ".pub")
        log(f"{suite}: mkfs.ext4 -d ({DISK_SIZE})")
        _run(["mkfs.ext4", "-q", "-F", "-L", "nfdoctor-root", "-d", rootfs, out.disk, DISK_SIZE])
        versions = _run(["chroot", rootfs, "dpkg-query", "-W", "-f", "${Package} ${Version}\\n",
                         "systemd", "linux-image-amd64"], stdout=subprocess.PIPE, text=True).stdout
        manifest = {
            "suite": suite,
            "platform": SUITES[suite]["platform"],
            "packages": packages,
            "cache_key": cache_key(suite, packages),
            "build_script_version": BUILD_SCRIPT_VERSION,
            "kernel": os.path.basename(kernel),
            "versions": dict(line.split(" ", 1) for line in versions.splitlines() if " " in line),
            "build_seconds": round(time.monotonic() - started, 1),
        }
        with open(out.manifest, "w") as handle:
            json.dump(manifest, handle, indent=2)
        if os.path.isdir(paths.directory):
            shutil.rmtree(paths.directory)
        os.rename(out.directory, paths.directory)
        log(f"{suite}: built {paths.directory} in {manifest['build_seconds']} s")
        return paths, True
    finally:
        _remove_build_dir(work, log)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (qemu binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_vm(name: str, suite: str, state_dir: str, root: str | None = None, memory_mb: int = 1024) -> dict:
    """Start one VM in the background; returns its instance record (not yet reachable)."""
    require_tools(["qemu-system-x86_64", "ssh"])
    suite = suite_for(suite)
    paths = image_paths(suite, root)
    if not paths.complete():
        raise VmError(
            f"no VM image for {suite} in {paths.directory}; build it first with "
            f"`tools/vm/build-image {suite}` (as root) or `make vm-images`"
        )
    os.makedirs(state_dir, exist_ok=True)
    console_log = os.path.join(state_dir, "console.log")
    pidfile = os.path.join(state_dir, "qemu.pid")
    for stale in (console_log, pidfile):
        if os.path.exists(stale):
            os.unlink(stale)
    port = free_port()
    result = subprocess.run(qemu_args(paths, port, console_log, pidfile, memory_mb),
                            check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise VmError(f"qemu failed to start {name}: {result.stdout.strip()}")
    record = instance_record(name, port, paths.ssh_key, state_dir)
    record["started_at"] = time.time()
    record["suite"] = suite
    with open(os.path.join(state_dir, "instance.json"), "w") as handle:
        json.dump(record, handle, indent=2)
    return record


def read_pid(state_dir: str) -> int | None:
    try:
        with open(os.path.join(state_dir, "qemu.pid")) as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_ssh(record: dict, timeout: float = 300, interval: float = 3) -> float:
    """Wait until the VM answers SSH; returns seconds since it was started."""
    deadline = time.monotonic() + timeout
    state_dir = record["state_dir"]
    console_log = os.path.join(state_dir, "console.log")
    while True:
        if not pid_alive(read_pid(state_dir)):
            raise VmError(f"{record['instance']}: qemu exited before SSH came up; "
                          f"console log tail:\n{tail(console_log)}")
        probe = subprocess.run(ssh_args(record["identity_file"], record["port"]),
                               check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        if probe.returncode == 0:
            return round(time.time() - record.get("started_at", time.time()), 1)
        if time.monotonic() >= deadline:
            raise VmError(
                f"{record['instance']}: no SSH on 127.0.0.1:{record['port']} after {timeout:.0f} s; "
                f"console log {console_log} ends with:\n{tail(console_log)}"
            )
        time.sleep(interval)


def stop_vm(state_dir: str, grace: float = 10) -> bool:
    """Stop the VM whose qemu pid is in state_dir. Returns True if one was running."""
    pid = read_pid(state_dir)
    if not pid_alive(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    return True


def main_error(exc: VmError) -> int:
    print(f"error: {exc}", file=sys.stderr)
    return 2
