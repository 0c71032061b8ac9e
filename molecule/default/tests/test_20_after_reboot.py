"""The same VM after a reboot: the fixes are persistent, not just applied live.

Both VMs are rebooted once, together (session fixture `rebooted`). qemu keeps
its -snapshot overlay across a guest reboot, so the converged files survive.
"""
from vm_helpers import CONNTRACK_RULE, MASQUERADE_RULE, active_flush_lines, routing_links, rule_inserts, sysctl_value


def test_br_netfilter_loaded_at_boot(host, rebooted):
    assert host.file("/sys/module/br_netfilter").exists, "br_netfilter did not load at boot"


def test_bridge_sysctls_hold(host, rebooted):
    assert sysctl_value(host, "/proc/sys/net/bridge/bridge-nf-call-iptables") == "1"
    assert sysctl_value(host, "/proc/sys/net/bridge/bridge-nf-call-ip6tables") == "1"


def test_forwarding_holds_after_boot(host, rebooted):
    assert sysctl_value(host, "/proc/sys/net/ipv4/ip_forward") == "1"
    for name in routing_links(host):
        assert sysctl_value(host, f"/proc/sys/net/ipv4/conf/{name}/forwarding") == "1", name


def test_conntrack_and_nat_work_after_boot(host, rebooted):
    assert rule_inserts(host, "filter", CONNTRACK_RULE).rc == 0
    assert rule_inserts(host, "nat", MASQUERADE_RULE).rc == 0


def test_flush_job_stays_disabled(host, rebooted):
    assert active_flush_lines(host) == []
