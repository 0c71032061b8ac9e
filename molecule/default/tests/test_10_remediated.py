"""The converged VM: every fault prepare.yml injected is gone, checked from outside."""
from vm_helpers import (CONNTRACK_RULE, FLUSH_JOB, MASQUERADE_RULE, active_flush_lines, routing_links,
                        rule_inserts, sysctl_value)


def test_conntrack_rule_inserts(host):
    result = rule_inserts(host, "filter", CONNTRACK_RULE)
    assert result.rc == 0, f"stateful FORWARD rule still fails: {result.stderr}"


def test_masquerade_rule_inserts(host):
    result = rule_inserts(host, "nat", MASQUERADE_RULE)
    assert result.rc == 0, f"container MASQUERADE rule still fails: {result.stderr}"


def test_nothing_disables_nf_conntrack_any_more(host):
    # `modprobe -c` prints the effective configuration after all of modprobe.d.
    effective = host.check_output("modprobe -c")
    offending = [line for line in effective.splitlines()
                 if line.split()[:1] in (["install"], ["blacklist"])
                 and len(line.split()) > 1 and line.split()[1] == "nf_conntrack"]
    assert offending == []


def test_bridge_traffic_goes_through_iptables(host):
    assert host.file("/sys/module/br_netfilter").exists, "br_netfilter is not loaded"
    assert sysctl_value(host, "/proc/sys/net/bridge/bridge-nf-call-iptables") == "1"


def test_forwarding_holds_after_networkctl_reconfigure(host):
    links = routing_links(host)
    for name in links:
        host.run_expect([0], f"networkctl reconfigure {name}")
    # reconfigure returns at once; networkd re-applies per-link sysctls while
    # it configures the link again, so wait for it to finish.
    host.run_expect([0], "sleep 2; /lib/systemd/systemd-networkd-wait-online --timeout=60 "
                    + " ".join(f"-i {name}" for name in links))
    assert sysctl_value(host, "/proc/sys/net/ipv4/ip_forward") == "1"
    for name in links:
        assert sysctl_value(host, f"/proc/sys/net/ipv4/conf/{name}/forwarding") == "1", name


def test_flush_job_is_disabled_not_deleted(host):
    assert active_flush_lines(host) == []
    job = host.file(FLUSH_JOB)
    assert job.exists, "the cron file must be kept (commented), not deleted"
    commented = [line for line in job.content_string.splitlines()
                 if line.lstrip().startswith("#") and "conntrack -F" in line]
    assert commented, f"the flush line should be commented out in {FLUSH_JOB}"
    assert "nfdoctor" in job.content_string, "the comment should carry nfdoctor's marker"


def test_flush_job_was_backed_up(host):
    # A backup keeps the original, active line; ansible-style backups sit next
    # to the file (cron ignores names with dots), others may live elsewhere.
    found = host.run(
        "find / -xdev -type f -name 'vpn-flush*' ! -path " + FLUSH_JOB
        + " -exec grep -lE '^[^#]*conntrack -F' {} +")
    assert found.stdout.strip(), "no backup of the original cron file was found"


def test_directories_the_roles_wrote_into_keep_the_admins_mode(host):
    # prepare.yml gave them modes of their own; the roles' drop-ins went in without resetting them to 0755.
    assert host.file("/etc/modules-load.d/nfdoctor-br_netfilter.conf").exists
    assert host.file("/etc/modules-load.d").mode == 0o750
    conf_d = host.file("/etc/systemd/networkd.conf.d")
    if conf_d.exists:  # Debian 13, where networkd.conf.d turned forwarding off
        assert conf_d.mode == 0o2775
