"""HostSource.read_tail: the end of a log, with the same safety as read()."""
import os

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.host_source import HostSource


def put(root, path, text):
    full = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as handle:
        handle.write(text)
    return full


def test_small_file_is_read_whole(tmp_path):
    put(tmp_path, "/var/log/kern.log", "a\nb\n")
    assert HostSource(str(tmp_path)).read_tail("/var/log/kern.log", 1024) == "a\nb\n"


def test_large_file_gives_its_end_from_a_whole_line(tmp_path):
    lines = "".join("line %06d\n" % i for i in range(10000))  # 12 bytes a line
    put(tmp_path, "/var/log/messages", lines)
    src = HostSource(str(tmp_path))
    tail = src.read_tail("/var/log/messages", 1000)
    assert tail.endswith("line 009999\n")
    assert tail.startswith("line ") and len(tail) < 1000 and len(tail) % 12 == 0
    assert src.errors == []


def test_missing_is_quiet_and_a_link_cannot_leave_the_tree(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    put(tmp_path, "/secret.log", "do not read\n" * 1000)
    os.makedirs(str(tree / "var" / "log"))
    os.symlink("../../../secret.log", str(tree / "var" / "log" / "syslog"))
    src = HostSource(str(tree))
    assert src.read_tail("/var/log/kern.log", 100) is None and src.errors == []
    # '..' is clamped at the tree's root (as chroot does): the link names /secret.log inside the tree.
    assert src.read_tail("/var/log/syslog", 100) is None
    put(tree, "/secret.log", "inside\n")
    assert src.read_tail("/var/log/syslog", 100) == "inside\n"


def test_fifo_is_not_read(tmp_path):
    os.makedirs(str(tmp_path / "var" / "log"))
    os.mkfifo(str(tmp_path / "var" / "log" / "messages"))
    assert HostSource(str(tmp_path)).read_tail("/var/log/messages", 100) is None


def test_nul_bytes_are_dropped_from_a_tail(tmp_path):
    full = put(tmp_path, "/var/log/kern.log", "x" * 5000 + "\n")
    with open(full, "ab") as handle:
        handle.write(b"\0\0\0kernel: nf_conntrack: table full, dropping packet\n")
    tail = HostSource(str(tmp_path)).read_tail("/var/log/kern.log", 200)
    assert tail == "kernel: nf_conntrack: table full, dropping packet\n"
