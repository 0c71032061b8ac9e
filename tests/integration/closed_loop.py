#!/usr/bin/env python3
"""Closed loop: every fixable finding the audit reports is gone after remediation.

For each case a scratch copy of a tree is made, `nfdoctor.netfilter.remediate`
is applied to it (nfdoctor_remediate_scratch_root=true: the same roles and
plans as on a live host, writing only under the copy), and the playbook's own
before/after audits are compared:

* the case's findings are gone after the first run, or, for a finding whose
  catalogue entry says its evidence outlives the fix (``outlives_fix``: a
  counter since boot, a process listing taken before the fix), told only as
  history: no role left to run, and no more severe than before;
* no finding appeared and none got more severe;
* a second run reports changed=0 (idempotent).

M, the number of fixable finding IDs, is counted from the catalogue: every ID
whose role is not kernel_advisory (kernel-only findings need a new kernel).
IDs that only clear on a running kernel (a module loaded now, a sysctl now,
counters, processes) cannot clear in a tree; the Molecule VMs prove those,
and this script names them. Its last line is
`closed loop: N of M fixable finding IDs cleared`.

Run with the collection on ANSIBLE_COLLECTIONS_PATH (make test-closed-loop).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
TREES = os.path.join(HERE, "trees")
INVENTORY = os.path.join(HERE, "targets", "remediate_check_mode", "inventory.yml")
SEVERITIES = ("info", "low", "medium", "high", "critical")

sys.path.insert(0, os.path.join(REPO, ".build", "collections"))
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.findings import CATALOGUE  # noqa: E402

KERNEL_ROLE = "nfdoctor.netfilter.kernel_advisory"

# name, base tree, files to add or replace (host path -> text), finding it must clear, extra vars,
# and optionally the files that must come out of remediation byte for byte as they went in.
ECHO_LINE = "0 * * * * root echo conntrack -F >> /var/log/vpn-maintenance.log\n"
CASES = [
    # The sosreport's ps listing keeps the iptables process stuck in the l3proto loop: what the
    # role can do for it is remove the blacklist the loop waits on.
    ("seed-000: blacklist nf_conntrack_ipv4", "seed-000-centos7-conntrack-blacklist", {},
     ("CONNTRACK_MODULE_DISABLED", "MODULE_LOAD_STUCK"), {}),
    # insert_failed counts since boot: the flush job that drove it is what the role removes.
    ("seed-002: cron flushes conntrack", "seed-002-sslvpn-conntrack-flush", {},
     ("CONNTRACK_FLUSH_SCHEDULED", "CONNTRACK_INSERT_FAILED"), {"nfdoctor_remediate_disable_flush_jobs": True}),
    # parse_schedules flags an unfiltered conntrack -D (it deletes every entry); the fix acts on that
    # evidence, and leaves alone a line that only prints the words (in a file of its own, so it is
    # checked byte for byte).
    ("cron: unfiltered conntrack -D, an echo beside it", "healthy-debian12-docker",
     {"/etc/cron.d/vpn-clean": "# clear the VPN's entries after the tunnel is rebuilt\n"
                               "*/5 * * * * root /usr/sbin/conntrack -D >/dev/null 2>&1\n",
      "/etc/cron.d/vpn-log": ECHO_LINE},
     "CONNTRACK_FLUSH_SCHEDULED", {"nfdoctor_remediate_disable_flush_jobs": True}, ["/etc/cron.d/vpn-log"]),
    # cronie runs /etc/cron.d/NAME.bak: audit and fix skip the same names (parse_schedules.cron_ignores).
    ("cron: a .bak job still runs", "healthy-debian12-docker",
     {"/etc/cron.d/sslvpn.bak": "*/10 * * * * root conntrack -F\n"},
     "CONNTRACK_FLUSH_SCHEDULED", {"nfdoctor_remediate_disable_flush_jobs": True}),
    ("seed-003: networkd 225 resets forwarding", "seed-003-gentoo-networkd-docker", {},
     "NETWORKD_FORWARDING_RESET", {}),
    # A Kubernetes node whose bridge CNI (cni0, a pod's veth on it) needs br_netfilter at every boot.
    ("kubernetes node: br_netfilter listed but blacklisted", "healthy-debian12-docker",
     {"/etc/modprobe.d/no-bridge-filter.conf": "# hardening baseline\nblacklist br_netfilter\n",
      "/var/lib/kubelet/config.yaml": "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                                      "cgroupDriver: systemd\n",
      "/sys/class/net/cni0/bridge/bridge_id": "8000.0a580af40001\n",
      "/sys/class/net/cni0/brif/veth3c4d5e6f/port_no": "0x1\n",
      "/sys/class/net/veth3c4d5e6f/type": "1\n"},
     "BR_NETFILTER_NOT_PERSISTENT", {}),
    ("systemd 256 host: IPForward=yes is ignored", "healthy-debian12-docker",
     {"/sos_commands/systemd/systemctl_--version": "systemd 256 (256.7-1)\n+PAM +AUDIT +SELINUX\n",
      "/etc/systemd/network/10-ens3.network": "[Match]\nName=ens3\n\n[Network]\nDHCP=yes\nIPForward=yes\n"},
     "NETWORKD_IPFORWARD_IGNORED", {}),
    # A catch-all .network file (a cloud image's "DHCP on everything") takes docker0 and its veth,
    # next to the admin's own bridge and veth pair that networkd creates from .netdev files
    # (molecule/default/prepare.yml's files): the role's Unmanaged=yes file must take the
    # runtime's links back and leave the admin's own ones managed.
    ("docker host: a catch-all .network takes docker0 and veths", "healthy-debian12-docker",
     {"/etc/systemd/network/99-dhcp-all.network": "[Match]\nName=*\n\n[Network]\nDHCP=yes\n",
      "/etc/systemd/network/20-br0.netdev": "[NetDev]\nName=br0\nKind=bridge\n",
      "/etc/systemd/network/20-br0.network": "[Match]\nName=br0\n\n[Network]\nAddress=172.18.0.1/16\n",
      "/etc/systemd/network/21-veth-ctr0.netdev": "[NetDev]\nName=veth-ctr0\nKind=veth\n\n[Peer]\nName=ctr0-eth0\n",
      "/etc/systemd/network/21-veth-ctr0.network": "[Match]\nName=veth-ctr0\n\n[Network]\nBridge=br0\n",
      "/sys/class/net/br0/bridge/bridge_id": "8000.5a1b2c3d4e5f\n",
      "/sys/class/net/br0/brif/veth-ctr0/port_no": "0x1\n",
      "/sys/class/net/veth-ctr0/type": "1\n",
      "/sys/class/net/ctr0-eth0/type": "1\n"},
     "NETWORKD_MANAGES_CONTAINER_LINKS", {}),
]


# BRIDGE_FILTER_DROPS_GUESTS has no case: what clears it is the running kernel's
# /proc/sys/net/bridge/bridge-nf-call-iptables and /sys/class/net/BR/bridge/nf_call_iptables, which a
# scratch root never gets written (the role writes only its sysctl.d file and udev rules there; the
# br_netfilter integration target checks those). It is listed below among the IDs a tree cannot clear.


def molecule_cleared_findings():
    """The finding IDs the VM scenarios inject, audit and fix: each scenario's
    vm_cleared_findings (or its vm_expected_findings when it clears them all),
    vm_informational_findings (fixed, still told as info without a role) and
    vm_history_findings (fixed, the history still told without a role; only
    IDs whose catalogue entry says their evidence outlives the fix)."""
    import glob
    import yaml
    cleared = set()
    for path in sorted(glob.glob(os.path.join(REPO, "molecule", "*", "molecule.yml"))):
        with open(path) as handle:
            inventory = (yaml.safe_load(handle).get("provisioner") or {}).get("inventory") or {}
        groups = list((inventory.get("group_vars") or {}).values()) + list((inventory.get("host_vars") or {}).values())
        for variables in groups:
            cleared.update(variables.get("vm_cleared_findings", variables.get("vm_expected_findings", [])))
            # fixed, and told afterwards as info with no role (a counter keeps its history)
            cleared.update(variables.get("vm_informational_findings", []))
            cleared.update(i for i in variables.get("vm_history_findings", []) if CATALOGUE[i].get("outlives_fix"))
    return cleared


def fixable_ids():
    return sorted(i for i, entry in CATALOGUE.items() if entry["role"] and entry["role"] != KERNEL_ROLE)


def remediate(root, extra_vars):
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    extra = dict(extra_vars, nfdoctor_root=root, nfdoctor_remediate_scratch_root=True,
                 nfdoctor_remediate_confirm=True, nfdoctor_serial=1)
    proc = subprocess.run(["ansible-playbook", "-i", INVENTORY, "nfdoctor.netfilter.remediate",
                           "-e", json.dumps(extra)], env=env, capture_output=True,
                          text=True, check=False, cwd=REPO)
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        raise SystemExit("remediate did not print JSON (rc %d): %s" % (proc.returncode, proc.stderr[-2000:]))
    results = {}
    for play in doc["plays"]:
        for task in play["tasks"]:
            host = task["hosts"].get("localhost")
            if host is not None:
                results.setdefault(task["task"]["name"], host)
    stats = doc["stats"]["localhost"]
    if proc.returncode != 0 or stats.get("failures") or stats.get("unreachable"):
        failed = [name for name, r in results.items() if r.get("failed")]
        raise SystemExit("remediate failed (rc %d) in %s: %s" % (
            proc.returncode, failed, [results[n].get("msg") for n in failed]))
    before = results["Audit before remediating"]["ansible_facts"]["nfdoctor"]["findings"]
    after = results["Audit again"]["ansible_facts"]["nfdoctor"]["findings"]
    return before, after, stats["changed"]


def worst_by_id(findings):
    worst = {}
    for finding in findings:
        rank = SEVERITIES.index(finding["severity"])
        worst[finding["id"]] = max(rank, worst.get(finding["id"], -1))
    return worst


def run_case(name, base, files, finding_ids, extra_vars, work, unchanged=()):
    """Run one case; return {finding ID: "gone" or "history"} for the IDs it cleared, None if it failed."""
    root = os.path.join(work, "root")
    shutil.copytree(os.path.join(TREES, base), root, symlinks=True)
    for path, text in files.items():
        target = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as handle:
            handle.write(text)
    kept = dict((path, _read(root, path)) for path in unchanged)
    before, after, changed = remediate(root, extra_vars)
    problems = []
    for path, text in sorted(kept.items()):
        if _read(root, path) != text:
            problems.append("%s was edited, but it holds no flush" % path)
    was, now = worst_by_id(before), worst_by_id(after)
    outcome = {}
    for finding_id in finding_ids:
        if finding_id not in was:
            problems.append("the audit did not report %s before remediation (got %s)" % (finding_id, sorted(was)))
        elif finding_id not in now:
            outcome[finding_id] = "gone"
        elif not CATALOGUE[finding_id].get("outlives_fix"):
            problems.append("%s survived remediation" % finding_id)
        else:
            left = [f for f in after if f["id"] == finding_id]
            if any(f.get("role") for f in left):
                problems.append("%s survived remediation with role %s still to run" % (
                    finding_id, sorted(set(f["role"] for f in left if f.get("role")))))
            else:
                outcome[finding_id] = "history"
    for other, rank in sorted(now.items()):
        if rank > was.get(other, -1):
            problems.append("%s got worse: %s -> %s" % (
                other, SEVERITIES[was[other]] if other in was else "absent", SEVERITIES[rank]))
    if not changed:
        problems.append("the first run changed nothing")
    _before2, _after2, changed2 = remediate(root, extra_vars)
    if changed2:
        problems.append("the second run reported changed=%d" % changed2)
    print("%s %-60s %s%s" % ("ok  " if not problems else "FAIL", name,
                             ", ".join("%s%s" % (i, " (history, no role left)" if outcome.get(i) == "history" else "")
                                       for i in finding_ids),
                             "" if not problems else ": " + "; ".join(problems)), flush=True)
    return None if problems else outcome


def _read(root, path):
    with open(os.path.join(root, path.lstrip("/")), "rb") as handle:
        return handle.read()


def main():
    fixable = fixable_ids()
    cleared, failures = {}, 0
    for name, base, files, finding_ids, extra_vars, *unchanged in CASES:
        finding_ids = (finding_ids,) if isinstance(finding_ids, str) else finding_ids
        for finding_id in finding_ids:
            assert finding_id in fixable, finding_id
        work = tempfile.mkdtemp(prefix="nfdoctor-closed-loop-")
        try:
            outcome = run_case(name, base, files, finding_ids, extra_vars, work, *unchanged)
            if outcome is None:
                failures += 1
            else:
                for finding_id, how in outcome.items():
                    # "gone" in any case wins over "history" in another
                    if cleared.get(finding_id) != "gone":
                        cleared[finding_id] = how
        finally:
            shutil.rmtree(work, ignore_errors=True)
    rest = [i for i in fixable if i not in cleared]
    if rest:
        in_vms = molecule_cleared_findings()
        print("need the running kernel to clear, so a tree cannot show it: %s" % ", ".join(rest))
        print("  of these, the Molecule VMs (molecule/*) reproduce and clear: %s"
              % (", ".join(i for i in rest if i in in_vms) or "none"))
        print("  reproduced by neither yet: %s" % (", ".join(i for i in rest if i not in in_vms) or "none"))
    history = sorted(i for i, how in cleared.items() if how == "history")
    if history:
        print("cleared as history (the cause is removed, the evidence outlives the fix, no role is left): %s"
              % ", ".join(history))
    print("closed loop: %d of %d fixable finding IDs cleared" % (len(cleared), len(fixable)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
