#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
---
module: netfilter_facts
short_description: Audit a host's netfilter, conntrack and forwarding state in one pass
version_added: 0.1.0
description:
  - Reads everything the netfilter incidents of the past had to be dug out by hand
    (modprobe.d blacklist and install lines, loaded and built-in modules, conntrack
    counters, per-interface forwarding, bridges and br_netfilter, systemd-networkd
    forwarding settings, NFQUEUE/NAT rules, network namespaces, processes stuck in
    kernel paths, crash dumps, scheduled conntrack flushes, the kernel release) and
    returns it as C(ansible_facts.nfdoctor), with a list of findings that say what is
    wrong, why, with which evidence, and which nfdoctor role fixes it.
  - Read-only. It never loads a module (it does not run C(iptables -t nat -L); it runs
    C(iptables-save) only for tables the kernel already has, C(nft) only when nf_tables
    is loaded and C(conntrack -S) only when nf_conntrack_netlink is loaded), runs every
    command from an argument list with C(LC_ALL=C) and a timeout, and bounds every read. The kernel
    log comes from C(journalctl -k -b -n 50000) or plain C(dmesg), never C(dmesg -c).
  - With O(root) pointing at a captured tree or an extracted sosreport it reads only
    that tree and runs nothing.
  - Without root privileges some sources (process stacks, some /proc files) cannot be
    read; they are listed in RV(ansible_facts.nfdoctor.errors) rather than hidden.
  - Severities follow context, by rules kept as data (C(findings.RULES) holds the
    severity, confidence and source of each rule) - how a module is loaded and which directive
    blocks it, what a bridge is for (judged from its ports, libvirt's network XML and
    C(/etc/docker/daemon.json), never from an interface name), what the kernel's
    conntrack counters mean in its era, whether a crash dump of the running release
    corroborates a kernel match. Each finding carries C(confidence) and the source of
    its rule in C(references); the collection README lists the rules per finding ID.
  - Kernel matches come from the known-bad table, where every range and distribution
    rule names its source (commit, stable changelog, issue thread) and confidence.
    Low-confidence ("possibly") matches are capped at medium.
author:
  - nfdoctor maintainers (@nfdoctor)
options:
  root:
    description:
      - V(/) audits the live host.
      - Any other path is a captured tree, for example made by C(playbooks/capture.yml),
        or an extracted sosreport. Files are read at their host paths under it; command
        outputs are read from C(sos_commands/<plugin>/<command line with spaces
        replaced by underscores>) under any plugin directory.
    type: path
    default: /
  roots:
    description:
      - Captured trees or extracted sosreports to audit in this one module run, instead of O(root).
      - Each is audited as O(root) would audit it, and each result is returned in RV(audits), in
        the order given; a tree that cannot be audited gets a failed entry and the others are still audited.
      - One process for many trees pays the start of Python and the loading of the collection's
        code once, rather than once per tree (C(playbooks/audit_offline.yml) uses it; see
        C(docs/performance.md)).
      - Only captured trees; V(/) (the live host) is audited with O(root).
      - Mutually exclusive with O(root).
    type: list
    elements: path
  sample_interval:
    description:
      - When greater than 0, conntrack counters are sampled twice, this many seconds apart,
        and per-second rates are returned in C(conntrack.rates).
      - Ignored for captured trees.
      - From 0 to 3600; not infinite or NaN.
    type: float
    default: 0
  timeout:
    description:
      - Seconds each command may run before it is killed and reported in errors.
      - More than 0 and at most 3600; not infinite or NaN (either would disarm the watchdog or time out everything).
    type: float
    default: 10
  known_bad_kernels:
    description:
      - Extra entries for the known-bad kernel table, with the same keys as the built-in
        ones (see C(plugins/module_utils/known_bad_kernels.py)).
      - An invalid entry fails the module with a message that says what is wrong with it.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: A short unique name for the bug.
        type: str
        required: true
      finding:
        description: The finding ID to raise, for example V(NETNS_CLEANUP_HANG_KERNEL) or one of your own.
        type: str
        required: true
      affected:
        description:
          - Upstream version ranges, each a dict with C(introduced) (inclusive), C(fixed)
            (exclusive), C(confidence) (V(high), V(medium) or V(low)) and C(source) (the
            commit, changelog or advisory it rests on; shown in the finding's references).
        type: list
        elements: dict
        required: true
      flavours:
        description:
          - Per distribution flavour (V(el7), V(el8), V(ubuntu), ...) rules that override the
            upstream ranges, each with C(affected) (bool), optional C(fixed_release) (a full
            release string), C(confidence) and C(source).
        type: dict
      trigger:
        description: The feature whose use makes the bug bite; raises the severity when in use.
        type: str
        choices: [nfqueue, netns, conntrack_flush, nat, always]
        default: always
      summary:
        description: One sentence on what goes wrong.
        type: str
      fixed_in:
        description: Where it is fixed, for the finding's remediation text.
        type: str
      mitigation:
        description: What to do until the kernel can be upgraded.
        type: str
      references:
        description: Commit or bug links.
        type: list
        elements: str
      severity_in_use:
        description:
          - Severity when the trigger is in use, one of V(info), V(low), V(medium), V(high),
            V(critical). Anything else (a typo such as V(crit)) fails the module.
        type: str
        default: high
      severity_latent:
        description:
          - Severity when it is not; the same names, or V(none) for no finding at all.
        type: str
        default: low
extends_documentation_fragment: []
attributes:
  check_mode:
    support: full
    description: The module never changes the host's configuration or state; it runs the same in check
      mode, bytecode cache included (see the notes).
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
  facts:
    support: full
    description: Returns C(ansible_facts.nfdoctor).
notes:
  - Finding IDs are a stable public contract; see the collection README for the catalogue.
  - The one file the module writes is its own bytecode cache, as Python keeps C(__pycache__) for
    what it imports from a directory. On Python 3 each of the collection's module_utils is compiled
    once and kept in C(~/.cache/nfdoctor/bytecode/<interpreter>/) of the user the module runs as
    (under C($XDG_CACHE_HOME) when set; about 0.7 MB, one file per module, private to that user),
    so later audits of the host skip compiling (about 40 ms of CPU each). An entry runs only when it
    matches the interpreter, the very source shipped in this run and its own checksum, and no other
    user can have written it. Set the environment variable C(NFDOCTOR_BYTECODE_CACHE) to C(off) to keep
    none (or to an absolute path to keep it there); with C(PYTHONDONTWRITEBYTECODE) set it is read
    but not written. A cache that cannot be written is skipped and changes nothing the module reports.
  - Managed hosts need Python 2.7 or 3.6 and later; hosts without Python can be audited
    offline from a tree collected by C(nfdoctor.netfilter.capture).
seealso:
  - name: Facts schema
    description: The full document, key by key, in docs/architecture.md of the collection.
    link: https://example.invalid/nfdoctor/netfilter/docs/architecture.md
"""

EXAMPLES = r"""
- name: Audit the host
  nfdoctor.netfilter.netfilter_facts:

- name: Audit with conntrack rates sampled over 5 seconds
  nfdoctor.netfilter.netfilter_facts:
    sample_interval: 5

- name: Audit an extracted sosreport on the controller
  nfdoctor.netfilter.netfilter_facts:
    root: /srv/cases/04211234/sosreport-web01-2026-11-20
  delegate_to: localhost

- name: Fail when anything high or worse is found
  ansible.builtin.assert:
    that: >-
      ansible_facts.nfdoctor.findings
      | selectattr('severity', 'in', ['high', 'critical']) | list | length == 0
    fail_msg: "{{ ansible_facts.nfdoctor.findings | map(attribute='detail') | list }}"

- name: Add a bug of your own to the known-bad kernel table
  nfdoctor.netfilter.netfilter_facts:
    known_bad_kernels:
      - id: vendor-bz-12345
        finding: VENDOR_KERNEL_BUG
        summary: conntrack helper leak in the vendor 5.4 kernels
        affected:
          - introduced: "5.4"
            fixed: "5.4.200"
            confidence: medium
        trigger: nat
        fixed_in: vendor kernel 5.4.200
"""

RETURN = r"""
audits:
  description:
    - With O(roots), one entry per tree, in the order given; there is then no top-level C(ansible_facts).
    - Each entry has the shape of a single O(root) run's result, so a fleet report can take it as
      that tree's result - C(root), C(failed), C(msg) (when it failed) and C(ansible_facts.nfdoctor)
      (when it did not; the same facts document as RV(ansible_facts.nfdoctor)).
  returned: when O(roots) is given
  type: list
  elements: dict
  sample:
    - root: /srv/cases/04211234/sosreport-web01-2026-11-20
      failed: false
      ansible_facts: {nfdoctor: {schema_version: 1, captured: true, findings: []}}
    - root: /srv/cases/04211235/missing
      failed: true
      msg: root /srv/cases/04211235/missing is not a directory (give a captured tree or extracted sosreport)
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    nfdoctor:
      description: The audit document. docs/architecture.md describes every key.
      returned: always
      type: dict
      contains:
        schema_version:
          description: Version of this document's layout; bumped on incompatible changes.
          type: int
          returned: always
          sample: 1
        root:
          description: What was read (V(/) for the live host).
          type: str
          returned: always
        captured:
          description: Whether O(root) was a captured tree.
          type: bool
          returned: always
        hostname:
          description: The host's name as the host (or tree) states it.
          type: str
          returned: always
        gathered_at:
          description: UTC time of the audit, ISO 8601.
          type: str
          returned: always
        os:
          description: Keys of /etc/os-release, or null.
          type: dict
          returned: always
        kernel:
          description: Release string, upstream C(version) list, C(flavour) (el6, el7, el8, el9, elrepo,
            ubuntu, debian, fedora, uek, generic, unknown), C(distro_release) numbers, C(arch) and C(cmdline).
          type: dict
          returned: always
          sample: {release: 3.10.0-514.el7.x86_64, version: [3, 10, 0], flavour: el7, distro_release: [514]}
        modules:
          description: C(loaded) (name to size, refcount, users, state), C(builtin), C(available) (relevant
            modules present in modules.dep, or null), C(modprobe) (files with shadowing, effective directives
            with file and line, C(cmdline_blacklist)) and C(modules_load) entries.
          type: dict
          returned: always
        conntrack:
          description: C(count), C(max), C(fill_ratio), C(hashsize), C(stats) (C(source), C(columns),
            C(cpus), C(totals) summed over CPUs) and C(rates) (with O(sample_interval)).
          type: dict
          returned: always
        forwarding:
          description: C(ipv4) (net.ipv4.ip_forward), C(ipv6), per-interface C(interfaces) and the
            /proc/net/snmp C(snmp_ip) counters InAddrErrors, OutDiscards, ForwDatagrams, InDiscards.
          type: dict
          returned: always
        interfaces:
          description: Network interface names.
          type: list
          elements: str
          returned: always
        bridges:
          description: Bridge name to C(ports), C(kind), C(guest_ports) and, where sysfs says,
            C(nf_call_iptables) (the bridge's own knob, which the kernel ORs with the global sysctl).
          type: dict
          returned: always
        br_netfilter:
          description: C(loaded), C(module_available), C(split_kernel), C(sysctls) (bridge-nf-call-*),
            C(persisted_in) (modules-load.d entries) and C(blocked_by) (what stops it loading).
          type: dict
          returned: always
        networkd:
          description: C(installed), C(running), C(version), networkd.conf C(conf) settings and
            C(network_files) with drop-ins, [Match], forwarding settings and the interfaces they apply to, and
            C(netdevs), the links networkd creates itself from .netdev files (name, kind, file, line).
          type: dict
          returned: always
        netfilter_rules:
          description: Tables present, sources read, C(nfqueue) rules, C(nat_in_use),
            C(masquerade_in_use), C(conntrack_match_in_use), C(rule_count).
          type: dict
          returned: always
        namespaces:
          description: C(named) (/var/run/netns), C(container) (docker netns) and C(count).
          type: dict
          returned: always
        processes:
          description: C(stuck) processes (D state, or kernel threads running in a known path) with
            C(pid), C(comm), C(state), C(cmdline), C(wchan), parsed C(stack) and C(matched_path)
            (module_request, netns_cleanup, nf_queue or null).
          type: dict
          returned: always
        crash:
          description: C(dumps) under /var/crash with C(files), C(signature) (for example nf_queue_gso) and C(evidence).
          type: dict
          returned: always
        conntrack_flush_jobs:
          description: Cron, systemd, rc.local and script lines that flush the conntrack table (C(file), C(line),
            C(text), C(kind)).
          type: list
          elements: dict
          returned: always
        environment:
          description: C(kubernetes), C(container_runtimes), C(libvirt).
          type: dict
          returned: always
        kernel_log:
          description: What the kernel log says, each message counted once across this boot's journal (or
            dmesg) and the last 16 MiB of kern.log/messages/syslog, with C(sources), C(reference) (the time
            ages are measured to; the end of the log in a captured tree), C(table_full), C(hung_tasks),
            C(soft_lockups) (reports with C(comm), C(pid), C(path), C(frames), C(age_seconds)) and
            C(unregister_netdevice). Null when no log was found.
          type: dict
          returned: always
        routing:
          description: C(rp_filter) (all, default and each interface, from /proc/sys/net/ipv4/conf),
            C(rp_filter_configured) (the sysctl.d lines that set it, with C(file) and C(line)),
            C(rp_filter_drops) (TcpExt IPReversePathFilter), C(interface_types), C(calico) (files and
            link names only Calico creates) and C(networkd_unmanaged) (the winning [Link] Unmanaged= per
            .network file).
          type: dict
          returned: always
        iptables_backends:
          description: C(default) (the variant of plain iptables, nf_tables or legacy), C(legacy) and C(nft)
            (per -save tool, C(rules) counted, C(tables) holding them, the C(first) rule line) and
            C(legacy_tables).
          type: dict
          returned: always
        firewall:
          description: C(forward_drop_table) (the nft table whose forward base chain drops), C(bridge_forward_accepts)
            (per bridge, the ACCEPT rules reachable from FORWARD that take its bridged frames), C(runtime_chains)
            (Docker's and kube-proxy's chains, and whether they live in nf_tables), C(nftables_conf) (the flush lines
            of the nftables.service file and its includes), C(restore_files) (iptables restore files, their tables and
            DOCKER chains), C(units) (firewall and runtime unit states), C(docker_version) and C(docker_containers).
          type: dict
          returned: always
        findings:
          description: What is wrong, worst first.
          type: list
          elements: dict
          returned: always
          contains:
            id:
              description: Stable finding ID, for example V(CONNTRACK_MODULE_DISABLED).
              type: str
            severity:
              description: One of info, low, medium, high, critical.
              type: str
            title:
              description: One line.
              type: str
            detail:
              description: A sentence that cites the evidence values.
              type: str
            evidence:
              description: Items with C(file), C(line) and C(value).
              type: list
              elements: dict
            remediation:
              description: What to do, and which role does it.
              type: str
            role:
              description: The nfdoctor role that fixes it, or null.
              type: str
            references:
              description: Commits, bugs, documentation.
              type: list
              elements: str
            confidence:
              description: For kernel-version findings, high, medium or low.
              type: str
              returned: for kernel-version findings
        errors:
          description: What could not be read or parsed, each with C(source) and C(message).
          type: list
          elements: dict
          returned: always
"""

import math
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.payload_imports import compile_each_once

# Before the collection's other module_utils are imported: each is then compiled once on the host, not twice.
compile_each_once()

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.known_bad_kernels import validate_entry


MAX_SECONDS = 3600


def option_problems(params):
    """Why the numeric options cannot be used, as sentences; [] when they can."""
    problems = []
    for name, low_ok in (("timeout", False), ("sample_interval", True)):
        value = params[name]
        if math.isnan(value) or math.isinf(value):
            problems.append("%s must be a finite number of seconds, not %s" % (name, value))
        elif value < 0 or (value == 0 and not low_ok) or value > MAX_SECONDS:
            problems.append("%s must be %s 0 and at most %d seconds, not %s" % (
                name, "at least" if low_ok else "more than", MAX_SECONDS, value))
    return problems


def audit(root, params, extra):
    """The facts document of one root, its findings included."""
    facts = Gatherer(root, sample_interval=params["sample_interval"], timeout=params["timeout"]).run()
    facts["findings"] = run_checks(facts, extra)
    return facts


def audit_trees(roots, params, extra):
    """One result per captured tree, in order: a tree that cannot be audited fails alone."""
    audits = []
    for root in roots:
        if not os.path.isdir(root):
            problem = "root %s is not a directory (give a captured tree or extracted sosreport)" % root
        elif os.path.realpath(root) == "/":
            problem = "root %s is the live host (/): roots lists captured trees; audit the live host with root=/" % root
        else:
            problem = None
        if problem is None:
            try:
                audits.append({"root": root, "failed": False, "ansible_facts": {"nfdoctor": audit(root, params, extra)}})
                continue
            except Exception as exc:  # pylint: disable=broad-except
                # One unreadable tree must not cost the audit of the others; its reason is kept.
                problem = "audit of %s failed: %s: %s" % (root, type(exc).__name__, exc)
        audits.append({"root": root, "failed": True, "msg": problem})
    return audits


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path", default="/"),
            roots=dict(type="list", elements="path"),
            sample_interval=dict(type="float", default=0),
            timeout=dict(type="float", default=10),
            known_bad_kernels=dict(type="list", elements="dict", default=[], options=dict(
                id=dict(type="str", required=True),
                finding=dict(type="str", required=True),
                affected=dict(type="list", elements="dict", required=True),
                flavours=dict(type="dict"),
                trigger=dict(type="str", default="always",
                             choices=["nfqueue", "netns", "conntrack_flush", "nat", "always"]),
                summary=dict(type="str"),
                fixed_in=dict(type="str"),
                mitigation=dict(type="str"),
                references=dict(type="list", elements="str"),
                severity_in_use=dict(type="str", default="high"),
                severity_latent=dict(type="str", default="low"),
            )),
        ),
        mutually_exclusive=[("root", "roots")],
        supports_check_mode=True,
    )
    root = module.params["root"]
    roots = module.params["roots"]
    if roots is None and not os.path.isdir(root):
        module.fail_json(msg="root %s is not a directory (give / or a captured tree or extracted sosreport)" % root)
    problems = option_problems(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))
    extra = module.params["known_bad_kernels"]
    for index, entry in enumerate(extra):
        problems = validate_entry(entry)
        if problems:
            module.fail_json(msg="known_bad_kernels[%d] (%s): %s" % (
                index, entry.get("id", "no id") if isinstance(entry, dict) else "?", "; ".join(problems)))

    if roots is not None:
        module.exit_json(changed=False, audits=audit_trees(roots, module.params, extra))
    module.exit_json(changed=False, ansible_facts={"nfdoctor": audit(root, module.params, extra)})


if __name__ == "__main__":
    main()
