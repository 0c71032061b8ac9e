#!/usr/bin/env python3
"""Closed loop: every fixable finding the audit reports is gone after remediation.

For each case a scratch copy of a tree is made, `nfdoctor.netfilter.remediate`
is applied to it (nfdoctor_remediate_scratch_root=true: the same roles and
plans as on a live host, writing only under the copy), and the playbook's own
before/after audits are compared:

* the case's finding is gone after the first run;
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

# name, base tree, files to add or replace (host path -> text), finding it must clear, extra vars.
CASES = [
    ("seed-000: blacklist nf_conntrack_ipv4", "seed-000-centos7-conntrack-blacklist", {},
     "CONNTRACK_MODULE_DISABLED", {}),
    ("seed-002: cron flushes conntrack", "seed-002-sslvpn-conntrack-flush", {},
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
]


# BRIDGE_FILTER_DROPS_GUESTS has no case: what clears it is the running kernel's
# /proc/sys/net/bridge/bridge-nf-call-iptables and /sys/class/net/BR/bridge/nf_call_iptables, which a
# scratch root never gets written (the role writes only its sysctl.d file and udev rules there; the
# br_netfilter integration target checks those). It is listed below among the IDs a tree cannot clear.


def molecule_expected_findings():
    """The finding IDs the VM scenario injects, audits and remediates (vm_expected_findings)."""
    import yaml
    with open(os.path.join(REPO, "molecule", "default", "molecule.yml")) as handle:
        scenario = yaml.safe_load(handle)
    host_vars = scenario.get("provisioner", {}).get("inventory", {}).get("host_vars", {})
    return set(i for variables in host_vars.values() for i in variables.get("vm_expected_findings", []))


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


def run_case(name, base, files, finding_id, extra_vars, work):
    root = os.path.join(work, "root")
    shutil.copytree(os.path.join(TREES, base), root, symlinks=True)
    for path, text in files.items():
        target = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as handle:
            handle.write(text)
    before, after, changed = remediate(root, extra_vars)
    problems = []
    was, now = worst_by_id(before), worst_by_id(after)
    if finding_id not in was:
        problems.append("the audit did not report %s before remediation (got %s)" % (finding_id, sorted(was)))
    if finding_id in now:
        problems.append("%s survived remediation" % finding_id)
    for other, rank in sorted(now.items()):
        if rank > was.get(other, -1):
            problems.append("%s got worse: %s -> %s" % (
                other, SEVERITIES[was[other]] if other in was else "absent", SEVERITIES[rank]))
    if not changed:
        problems.append("the first run changed nothing")
    _before2, _after2, changed2 = remediate(root, extra_vars)
    if changed2:
        problems.append("the second run reported changed=%d" % changed2)
    print("%s %-60s %s%s" % ("ok  " if not problems else "FAIL", name, finding_id,
                             "" if not problems else ": " + "; ".join(problems)), flush=True)
    return not problems


def main():
    fixable = fixable_ids()
    cleared, failures = set(), 0
    for name, base, files, finding_id, extra_vars in CASES:
        assert finding_id in fixable, finding_id
        work = tempfile.mkdtemp(prefix="nfdoctor-closed-loop-")
        try:
            if run_case(name, base, files, finding_id, extra_vars, work):
                cleared.add(finding_id)
            else:
                failures += 1
        finally:
            shutil.rmtree(work, ignore_errors=True)
    rest = [i for i in fixable if i not in cleared]
    if rest:
        in_vms = molecule_expected_findings()
        print("need the running kernel to clear, so a tree cannot show it: %s" % ", ".join(rest))
        print("  of these, the Molecule VMs (molecule/default) reproduce and clear: %s"
              % (", ".join(i for i in rest if i in in_vms) or "none"))
        print("  reproduced by neither yet: %s" % (", ".join(i for i in rest if i not in in_vms) or "none"))
    print("closed loop: %d of %d fixable finding IDs cleared" % (len(cleared), len(fixable)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
