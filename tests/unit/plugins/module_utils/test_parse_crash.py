"""Tests for parse_crash.parse_vmcore_dmesg: vmcore-dmesg, dmesg and crash's bt output.

crash_session_seed001_el6.txt and crash_bt_seed001_el6.txt are cut verbatim
from seed 001 (including the no-break spaces the blog's copy carries);
dmesg_kprobe_seed004_elrepo_4.16.txt verbatim from seed 004.
"""
import os

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_crash as pc

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "crash")


def parse(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return pc.parse_vmcore_dmesg(handle.read())


def test_vmcore_dmesg_seed001_el6():
    result = parse("vmcore-dmesg_seed001_el6_nf_queue.txt")
    assert result["rip"] == "nf_queue+0x98/0x2c0"          # 0x98 == crash's decimal nf_queue+152
    assert result["rip_symbol"] == "nf_queue"
    assert result["panic"] == "BUG: unable to handle kernel NULL pointer dereference at (null)"
    assert result["call_trace"][:3] == ["nf_hook_slow", "ip_rcv_finish", "ip_rcv"]
    assert "ixgbe_poll" in result["call_trace"]
    assert result["signature"] == "nf_queue_gso"
    assert result["release"] == "2.6.32-358.el6.x86_64"


def test_vmcore_dmesg_timestamped_3_14():
    result = parse("vmcore-dmesg_3.14_nf_queue_timestamps.txt")
    assert result["rip"] == "nf_queue+0x152/0x2c0"
    assert result["panic"] == "BUG: unable to handle kernel NULL pointer dereference at 0000000000000008"
    assert result["signature"] == "nf_queue_gso"
    assert result["release"] == "3.14.79"
    # the trace stops at Code:, the end-of-trace marker does not add frames
    assert result["call_trace"][-1] == "common_interrupt"


def test_crash_session_seed001():
    result = parse("crash_session_seed001_el6.txt")
    assert result["rip"] == "nf_queue+152"
    assert result["rip_symbol"] == "nf_queue"
    assert result["panic"] == "BUG: unable to handle kernel NULL pointer dereference at (null)"
    assert result["release"] == "2.6.32-358.el6.x86_64"
    assert result["call_trace"][:2] == ["machine_kexec", "crash_kexec"]
    assert "nf_hook_slow" in result["call_trace"]
    assert result["signature"] == "nf_queue_gso"


def test_crash_bt_alone_page_fault_in_nf_queue():
    result = parse("crash_bt_seed001_el6.txt")
    assert result["panic"] is None
    assert result["rip"] == "nf_queue+152"
    # no BUG line, but bt shows the kernel page-fault path into nf_queue
    assert result["signature"] == "nf_queue_gso"
    # the second exception frame (intel_idle on the IRQ stack) is not the RIP
    assert result["rip_symbol"] == "nf_queue"


def test_seed004_softlockup_netns_cleanup():
    result = parse("vmcore-dmesg_seed004_softlockup_elrepo_4.16.txt")
    assert result["rip_symbol"] == "inet_evict_bucket.isra.8"
    assert result["panic"].startswith("watchdog: BUG: soft lockup - CPU#7 stuck for 22s!")
    assert result["call_trace"][:4] == ["inet_frags_exit_net", "ipv4_frags_exit_net",
                                        "ops_exit_list.isra.6", "cleanup_net"]
    assert result["signature"] == "netns_cleanup"
    assert result["release"] == "4.16.13-1.el7.elrepo.x86_64"


def test_seed004_kprobe_trace():
    result = parse("dmesg_kprobe_seed004_elrepo_4.16.txt")
    assert result["signature"] == "netns_cleanup"
    assert result["release"] == "4.16.13-1.el7.elrepo.x86_64"
    assert "cleanup_net" in result["call_trace"]


def test_negative_tcp_null_deref_with_netfilter_in_trace():
    result = parse("vmcore-dmesg_el7_tcp_null_negative.txt")
    assert result["rip_symbol"] == "tcp_v4_rcv"
    assert "NULL pointer" in result["panic"]
    assert "nf_hook_slow" in result["call_trace"]
    assert result["signature"] is None


def test_negative_sysrq_crash():
    result = parse("crash_bt_sysrq_negative.txt")
    assert result["rip"] == "sysrq_handle_crash+22"
    assert result["signature"] is None


def test_nf_queue_without_fault_evidence_is_not_the_gso_bug():
    text = "general protection fault: 0000 [#1] SMP\nRIP: 0010:nf_queue+0x10/0x2c0\n"
    assert pc.parse_vmcore_dmesg(text)["signature"] is None


def test_fault_inside_gso_called_from_nf_queue():
    text = ("general protection fault: 0000 [#1] SMP\n"
            "RIP: 0010:skb_segment+0x3ea/0x9b0\n"
            "Call Trace:\n"
            " __skb_gso_segment+0x81/0x110\n"
            " __nf_queue+0x1d5/0x2d0\n"
            " nf_queue+0x1d/0x80\n"
            "Code: 00 00\n")
    result = pc.parse_vmcore_dmesg(text)
    assert result["call_trace"] == ["__skb_gso_segment", "__nf_queue", "nf_queue"]
    assert result["signature"] == "nf_queue_gso"


def test_modern_null_deref_wording():
    text = ("[  42.1] BUG: kernel NULL pointer dereference, address: 0000000000000008\n"
            "[  42.1] RIP: 0010:__nf_queue+0x152/0x2c0\n")
    result = pc.parse_vmcore_dmesg(text)
    assert result["rip_symbol"] == "__nf_queue"
    assert result["signature"] == "nf_queue_gso"


def test_frag_functions_without_cleanup_net_are_not_the_netns_hang():
    text = "Call Trace:\n inet_frag_kill+0x10/0x80\n ip_expire+0x20/0x100\nCode: 00\n"
    assert pc.parse_vmcore_dmesg(text)["signature"] is None


def test_only_the_first_trace_counts():
    text = ("Call Trace:\n a_func+0x1/0x2\nCode: 00\n"
            "Call Trace:\n cleanup_net+0x1/0x2\n inet_frags_exit_net+0x1/0x2\n")
    result = pc.parse_vmcore_dmesg(text)
    assert result["call_trace"] == ["a_func"]
    assert result["signature"] is None


@pytest.mark.parametrize("text", ["", "\n\n", "hello\nworld", "Call Trace:\n"])
def test_nothing_found(text):
    assert pc.parse_vmcore_dmesg(text) == {
        "rip_symbol": None, "rip": None, "panic": None, "call_trace": [], "signature": None, "release": None}


# From 3.10 the GSO segmentation of queued packets runs in nfqnl_enqueue_packet
# (net/netfilter/nfnetlink_queue.c): a NULL dereference there is the seed-001 bug on EL7.
# Synthetic trace in the 3.10 oops format; frame names from nfnetlink_queue.c / nf_queue.c.
NFQNL_OOPS = """BUG: unable to handle kernel NULL pointer dereference at 0000000000000008
IP: [<ffffffffa04e1234>] nfqnl_enqueue_packet+0x1b4/0x2f0 [nfnetlink_queue]
Pid: 0, comm: swapper/3 Not tainted 3.10.0-327.el7.x86_64 #1
RIP: 0010:[<ffffffffa04e1234>]  [<ffffffffa04e1234>] nfqnl_enqueue_packet+0x1b4/0x2f0 [nfnetlink_queue]
Call Trace:
 <IRQ>
 [<ffffffff8155a2e1>] nf_queue+0x141/0x1f0
 [<ffffffff81558c10>] nf_hook_slow+0x110/0x120
 [<ffffffff8156a4c4>] ip_rcv+0x2c4/0x400
Code: 48 8b 43 08 48 85 c0
"""


def test_nfqnl_enqueue_packet_null_deref_is_the_nf_queue_gso_crash():
    result = pc.parse_vmcore_dmesg(NFQNL_OOPS)
    assert result["rip_symbol"] == "nfqnl_enqueue_packet"
    assert result["signature"] == "nf_queue_gso"
    assert result["release"] == "3.10.0-327.el7.x86_64"


def test_nfqnl_enqueue_packet_on_the_stack_of_an_unrelated_bug_is_not():
    text = NFQNL_OOPS.replace("BUG: unable to handle kernel NULL pointer dereference at 0000000000000008",
                              "kernel BUG at mm/slub.c:3574!").replace("nfqnl_enqueue_packet+0x1b4", "kfree+0x1b4")
    assert pc.parse_vmcore_dmesg(text)["signature"] is None
