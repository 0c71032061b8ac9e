"""The remediation roles under a hostile scratch root, through ansible-playbook (issue 16).

Each case checksums the outside tree before and after, and asserts the play's exact outcome: a clear refusal
naming the path, or success with the user's file kept as a backup. Plays run with a timeout, so a FIFO read by a
role fails the case instead of hanging the suite.
"""
import glob
import os
import re

import pytest
from remediation_helpers import run_role, tree_digest

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(
    os.path.dirname(__file__), "..", "..", "..", ".venv", "bin", "ansible-playbook")), reason="no venv")

USER_SYSCTL = b"# the user's own settings\nnet.ipv4.ip_forward = 1\nvm.swappiness = 10\n"


def bridge_tree(sandbox):
    """A scratch root whose kernel has br_netfilter as a module."""
    sandbox.write("lib/modules/6.1.0-27-amd64/kernel/net/bridge/br_netfilter.ko", "")
    sandbox.write("usr/lib/systemd/systemd-sysctl", "")
    sandbox.write("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-6.1.0-27-amd64 root=UUID=0f3c ro quiet\n")
    sandbox.write("sysctl.d/99-user.conf", USER_SYSCTL, under=sandbox.outside)


def said(text, output):
    """``text`` is in ``output``, whatever line breaks ansible put in it."""
    return " ".join(text.split()) in " ".join(output.split())


def recap(output):
    match = re.search(r"^localhost +: ok=(\d+) +changed=(\d+) +unreachable=\d+ +failed=(\d+)", output, re.M)
    assert match, output[-3000:]
    return {"ok": int(match.group(1)), "changed": int(match.group(2)), "failed": int(match.group(3))}


def task_output(output, name):
    """What ansible printed for the task called ``name`` (up to the next task)."""
    start = output.index(name)
    end = output.find("\nTASK [", start)
    return output[start:end if end != -1 else None]


def test_br_netfilter_refuses_sysctl_d_linked_out_of_the_root(sandbox):
    bridge_tree(sandbox)
    os.makedirs(os.path.join(sandbox.root, "etc"))
    os.symlink(os.path.join(sandbox.outside, "sysctl.d"), os.path.join(sandbox.root, "etc/sysctl.d"))
    before, before_root = sandbox.outside_state(), tree_digest(sandbox.root)
    rc, out = run_role(sandbox.base, "br_netfilter", sandbox.root)
    assert rc == 2 and recap(out)["failed"] == 1 and recap(out)["changed"] == 0, out[-3000:]
    assert said("br_netfilter: %s/etc/sysctl.d is a symbolic link to %s/sysctl.d, where this role writes into a "
                "directory. Links are refused in a scratch tree" % (sandbox.root, sandbox.outside), out)
    assert sandbox.outside_state() == before
    assert tree_digest(sandbox.root) == before_root


def test_br_netfilter_refuses_dotdot_in_a_role_file_path(sandbox):
    bridge_tree(sandbox)
    before = sandbox.outside_state()
    rc, out = run_role(sandbox.base, "br_netfilter", sandbox.root,
                       {"nfdoctor_br_netfilter_sysctl_file": "/etc/../../outside/sysctl.d/99-user.conf"})
    assert rc == 2 and recap(out)["failed"] == 1 and recap(out)["changed"] == 0, out[-3000:]
    assert said("br_netfilter: /etc/../../outside/sysctl.d/99-user.conf must be an absolute path", out)
    assert sandbox.outside_state() == before


def test_br_netfilter_refuses_a_fifo_where_it_writes(sandbox):
    bridge_tree(sandbox)
    os.makedirs(os.path.join(sandbox.root, "etc/sysctl.d"))
    os.mkfifo(os.path.join(sandbox.root, "etc/sysctl.d/99-zz-nfdoctor-bridge.conf"))
    rc, out = run_role(sandbox.base, "br_netfilter", sandbox.root)
    assert rc == 2 and recap(out)["failed"] == 1, out[-3000:]
    assert said("%s/etc/sysctl.d/99-zz-nfdoctor-bridge.conf is a named pipe (FIFO), where this role writes a "
                "regular file." % sandbox.root, out)


def test_br_netfilter_backs_up_a_user_file_it_is_pointed_at(sandbox):
    bridge_tree(sandbox)
    user = sandbox.write("etc/sysctl.d/99-user.conf", USER_SYSCTL)
    variables = {"nfdoctor_br_netfilter_sysctl_file": "/etc/sysctl.d/99-user.conf",
                 "nfdoctor_br_netfilter_backup": False}
    rc, out = run_role(sandbox.base, "br_netfilter", sandbox.root, variables)
    assert rc == 0 and recap(out)["failed"] == 0, out[-3000:]
    assert open(user, "rb").read().startswith(b"# Written by the Ansible role nfdoctor.netfilter.br_netfilter")
    backups = glob.glob(user + ".*~")
    assert len(backups) == 1 and open(backups[0], "rb").read() == USER_SYSCTL
    # the negative: now the file is the role's own, and with backup false a change leaves no second backup
    variables["nfdoctor_br_netfilter_call_ip6tables"] = 0
    rc, out = run_role(sandbox.base, "br_netfilter", sandbox.root, variables)
    assert rc == 0 and recap(out)["changed"] >= 1, out[-3000:]
    assert b"net.bridge.bridge-nf-call-ip6tables=0" in open(user, "rb").read()
    assert glob.glob(user + ".*~") == backups


def test_conntrack_hygiene_does_not_hang_on_a_fifo_or_balloon_on_dev_zero(sandbox):
    os.makedirs(os.path.join(sandbox.root, "proc/sys/net/netfilter"))
    os.mkfifo(os.path.join(sandbox.root, "proc/sys/net/netfilter/nf_conntrack_count"))
    os.symlink("/dev/zero", os.path.join(sandbox.root, "proc/sys/net/netfilter/nf_conntrack_max"))
    rc, out = run_role(sandbox.base, "conntrack_hygiene", sandbox.root)
    assert rc == 0 and recap(out)["failed"] == 0 and recap(out)["changed"] == 0, out[-3000:]
    assert said("%s/proc/sys/net/netfilter/nf_conntrack_count is not a small regular file (a named pipe); "
                "not read" % sandbox.root, out)
    assert said("%s/proc/sys/net/netfilter/nf_conntrack_max is not a small regular file (a link to /dev/zero); "
                "not read" % sandbox.root, out)
    assert said("nf_conntrack is not loaded", out)


def test_conntrack_hygiene_refuses_a_role_file_linked_out(sandbox):
    # a full table makes the role write; its modprobe.d file is a link to a user's file outside the root
    sandbox.write("proc/sys/net/netfilter/nf_conntrack_count", "65000\n")
    sandbox.write("proc/sys/net/netfilter/nf_conntrack_max", "65536\n")
    sandbox.write("modprobe.d/user.conf", "options nf_conntrack hashsize=1024\n", under=sandbox.outside)
    os.makedirs(os.path.join(sandbox.root, "etc/modprobe.d"))
    os.symlink(os.path.join(sandbox.outside, "modprobe.d/user.conf"),
               os.path.join(sandbox.root, "etc/modprobe.d/zz-nfdoctor-conntrack-hashsize.conf"))
    sandbox.write("sys/module/nf_conntrack/parameters/hashsize", "1024\n")
    before = sandbox.outside_state()
    rc, out = run_role(sandbox.base, "conntrack_hygiene", sandbox.root)
    assert rc == 2 and recap(out)["failed"] == 1 and recap(out)["changed"] == 0, out[-3000:]
    assert said("zz-nfdoctor-conntrack-hashsize.conf is a symbolic link to %s/modprobe.d/user.conf"
                % sandbox.outside, out)
    assert sandbox.outside_state() == before


@pytest.mark.parametrize("spelling", ["link", "scratch"])
def test_conntrack_modules_treats_a_link_to_slash_as_the_live_host(sandbox, spelling):
    # check mode, no module to load: on the live host this only reads (modinfo, /etc/modprobe.d)
    if spelling == "link":
        root = os.path.join(sandbox.base, "slash")
        os.symlink("/", root)
    else:
        root = sandbox.root
    live_etc = tree_digest("/etc/modprobe.d")
    rc, out = run_role(sandbox.base, "conntrack_modules", root,
                       {"nfdoctor_conntrack_modules_load": [], "nfdoctor_conntrack_modules_modules": ["nf_conntrack"]},
                       check=True)
    assert rc == 0 and recap(out)["failed"] == 0, out[-3000:]
    modinfo = task_output(out, "Find which of the modules exist for the running kernel")
    if spelling == "link":
        assert "skipping" not in modinfo and "ok: [localhost]" in modinfo
    else:
        assert "skipping: [localhost]" in modinfo and "ok: [localhost]" not in modinfo
    assert tree_digest("/etc/modprobe.d") == live_etc
