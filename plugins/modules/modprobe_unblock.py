#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type  # noqa: UP001 - Python 2.7 still runs this file

DOCUMENTATION = r"""
---
module: modprobe_unblock
short_description: Undo modprobe.d lines that stop netfilter modules from loading
version_added: "0.1.0"
description:
  - Reads every modprobe.d directory the way kmod does (C(/etc), C(/run), C(/usr/local/lib), C(/usr/lib), C(/lib);
    a file name in an earlier directory hides the same name in a later one; only C(*.conf) and C(*.alias) names are read)
    and finds every line that stops one of O(modules) from loading
    (C(blacklist MOD), C(install MOD /bin/true), C(install MOD /bin/false), C(install MOD /dev/null), any other
    C(install MOD CMD) whose command does not load the module itself, and C(alias MOD other)).
  - A line in a file under C(/etc/modprobe.d) is commented out with O(marker) in front of it, never deleted.
  - A file under C(/run), C(/usr/local/lib), C(/usr/lib) or C(/lib) is never edited. Instead a file with the same name
    is written to C(/etc/modprobe.d), holding the vendor file's content with the offending lines commented out; kmod
    then reads it instead of the vendor file.
  - C(modprobe.blacklist=) and C(module_blacklist=) on the running kernel's command line cannot be changed here; they
    are returned in RV(cmdline_changes_needed) with the boot loader files that set them.
  - Reports whether the initramfs of the running kernel carries the files that were (or would be) changed, because
    modules loaded from the initramfs read its copy of modprobe.d, and which command rebuilds it.
  - Plans every change first and writes each file once, atomically, with a backup. A write is complete or not done at
    all (a full disk, a read-only file system or an immutable file fail the task naming the file, which is left byte
    for byte as it was); when a later file fails, the result says which files were already changed, with their
    backups, and C(changed=true).
author:
  - nfdoctor maintainers (@nfdoctor)
options:
  modules:
    description:
      - Module names that must be able to load. Dashes and underscores are equivalent, as for kmod.
      - With O(lines), only cited lines that disable one of these are acted on; without O(modules), every cited line
        that disables a module is.
      - At least one of O(modules) and O(lines) is required.
    type: list
    elements: str
  lines:
    description:
      - The lines to act on, as an audit cited them (the C(evidence) of C(CONNTRACK_MODULE_DISABLED) and
        C(BR_NETFILTER_NOT_PERSISTENT) findings of M(nfdoctor.netfilter.netfilter_facts)). Nothing else is changed.
      - Each line is verified with the audit's own parser (C(parse_modprobe)) and the kmod precedence first; the
        file must still be read by kmod and a directive that disables a module must still start on that line with
        that text. A line that changed since the audit is returned in RV(stale_lines) and left alone.
      - A C(/proc/cmdline) entry is verified against the running kernel's command line and returned in
        RV(cmdline_changes_needed).
      - Entries without a line number (the audit's "no modules-load.d entry") are not lines and are skipped.
    type: list
    elements: dict
    suboptions:
      file:
        description: The file, as a host path.
        type: path
        required: true
      line:
        description: First line of the directive, 1-based.
        type: int
      text:
        description: The directive as the audit saw it (its physical lines).
        type: str
        required: true
        aliases: [value]
  root:
    description:
      - Directory that stands for C(/). Use a scratch tree to test; the initramfs is only inspected when this is C(/)
        (also spelt C(//), C(/tmp/..) or a link to C(/)).
      - Every path is resolved inside the root, as on the host the tree came from - an absolute link in the tree
        points into the tree, never to this machine's files. A modprobe.d directory that is a link leading above the
        root fails the task with nothing read or written; a file that is such a link is not read.
    type: path
    default: /
  backup:
    description:
      - Keep a copy of every existing file before it is changed (C(FILE.PID.DATE~), a name kmod ignores).
    type: bool
    default: true
  marker:
    description:
      - Text put in front of each line that is commented out. Must start with C(#) so kmod reads the line as a comment.
    type: str
    default: "# disabled by nfdoctor.netfilter.modprobe_unblock:"
  inspect_initramfs:
    description:
      - Run C(lsinitrd) (dracut) or C(lsinitramfs) (initramfs-tools) to find out whether the initramfs carries the
        changed files. Read-only; skipped when O(root) is not C(/).
    type: bool
    default: true
notes:
  - Like M(nfdoctor.netfilter.netfilter_facts), it keeps the collection's compiled module_utils in its bytecode cache
    (C(~/.cache/nfdoctor/bytecode/)); C(NFDOCTOR_BYTECODE_CACHE=off) keeps none. See that module's notes.
  - A file in C(/etc/modprobe.d) that is a symbolic link is replaced by a regular file with the edited content; the
    link target is not changed (it may be a vendor file).
  - C(/etc/modprobe.conf) is ignored, as kmod ignores it. Hosts that still use module-init-tools (RHEL 6 and older) are
    not handled.
  - Removing a blacklist takes effect at once for the next C(modprobe); it does not load anything. Use
    M(community.general.modprobe) afterwards.
extends_documentation_fragment:
  - nfdoctor.netfilter.config_edit
seealso:
  - module: community.general.modprobe
  - name: modprobe.d(5)
    description: Configuration directory for modprobe.
    link: https://man7.org/linux/man-pages/man5/modprobe.d.5.html
"""

EXAMPLES = r"""
- name: Let the conntrack family load again
  nfdoctor.netfilter.modprobe_unblock:
    modules:
      - nf_conntrack
      - nf_conntrack_ipv4
      - nf_nat
      - iptable_nat
  register: unblock

- name: Preview on a captured tree without touching it
  nfdoctor.netfilter.modprobe_unblock:
    modules: [br_netfilter]
    root: /srv/captures/web01
  check_mode: true
  diff: true

- name: Comment out exactly the lines the audit cited
  nfdoctor.netfilter.modprobe_unblock:
    lines: >-
      {{ ansible_facts.nfdoctor.findings | selectattr('id', 'equalto', 'CONNTRACK_MODULE_DISABLED')
         | map(attribute='evidence') | flatten }}

- name: Say when the kernel command line still blacklists a module
  ansible.builtin.debug:
    msg: "{{ item.module }}: {{ item.suggestion }}"
  loop: "{{ unblock.cmdline_changes_needed }}"
"""

RETURN = r"""
changed:
  description: Whether a file was (or, in check mode, would be) written.
  returned: always
  type: bool
diff:
  description:
    - One Ansible diff per file. For a new override file C(before) is the vendor file's content and C(before_header)
      its path, so the diff shows exactly which lines the override comments out.
  returned: always
  type: list
  elements: dict
  sample:
    - before: "blacklist nf_conntrack_ipv4\n"
      after: "# disabled by nfdoctor.netfilter.modprobe_unblock: blacklist nf_conntrack_ipv4\n"
      before_header: /etc/modprobe.d/blacklist.conf
      after_header: /etc/modprobe.d/blacklist.conf
files_changed:
  description: Paths written (in check mode, the paths that would be written).
  returned: always
  type: list
  elements: str
  sample: [/etc/modprobe.d/blacklist.conf]
backups:
  description: Backup copy of each changed file that existed before; empty in check mode or with O(backup=false).
  returned: always
  type: dict
  sample: {/etc/modprobe.d/blacklist.conf: /etc/modprobe.d/blacklist.conf.4242.2026-11-22@01:02:03~}
failed_file:
  description:
    - The file that could not be written, when writing failed. RV(files_changed) and RV(backups) then hold the files
      already written before it.
  returned: when writing a file failed
  type: str
disabled_lines_removed:
  description: Every line that is (or would be) commented out.
  returned: always
  type: list
  elements: dict
  contains:
    module:
      description: Module the line disabled.
      type: str
    kind:
      description: C(blacklist), C(install_noop), C(install_fail), C(install_other) or C(alias_redirect).
      type: str
    file:
      description: File the line is in.
      type: str
    line:
      description: First line number (1-based).
      type: int
    end_line:
      description: Last line number; differs from C(line) for a directive continued with backslashes.
      type: int
    text:
      description: The line as written.
      type: str
    written_to:
      description: File that now holds the commented line (the same file, or the C(/etc) override of a vendor file).
      type: str
  sample:
    - {module: nf_conntrack_ipv4, kind: blacklist, file: /etc/modprobe.d/blacklist.conf, line: 6, end_line: 6,
       text: blacklist nf_conntrack_ipv4, written_to: /etc/modprobe.d/blacklist.conf}
cmdline_changes_needed:
  description: Kernel command line entries that still block a module; change the boot loader and reboot.
  returned: always
  type: list
  elements: dict
  contains:
    module:
      description: Blocked module.
      type: str
    param:
      description: C(modprobe.blacklist) or C(module_blacklist).
      type: str
    value:
      description: The parameter as on the command line.
      type: str
    new_value:
      description: The parameter without the module, or null when nothing remains.
      type: str
    configured_in:
      description: Lines of C(/etc/default/grub) and C(/etc/kernel/cmdline) that carry the parameter.
      type: list
      elements: dict
    suggestion:
      description: What to change, in words.
      type: str
initramfs_contains_config:
  description:
    - True when the initramfs of the running kernel holds one of the changed files (or of the files this module
      changed on an earlier run); false when it holds none; null when it could not be inspected.
  returned: always
  type: bool
initramfs_files:
  description: The changed files found in the initramfs.
  returned: always
  type: list
  elements: str
initramfs_rebuild_command:
  description: Command that rebuilds the running kernel's initramfs on this host, or null when no known tool exists.
  returned: always
  type: str
  sample: update-initramfs -u
stale_lines:
  description: Lines of O(lines) that no longer hold the cited directive, with the reason; nothing was changed for them.
  returned: always
  type: list
  elements: dict
  sample:
    - {file: /etc/modprobe.d/blacklist.conf, line: 12, text: blacklist nf_conntrack_ipv4,
       reason: "no directive disabling a module starts on that line now"}
warnings_detail:
  description: Files that could not be read and were therefore not considered, with the reason.
  returned: always
  type: list
  elements: str
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.payload_imports import compile_each_once

# Before the collection's other module_utils are imported: each is then compiled once on the host, not twice.
compile_each_once()

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import dropins, parse_modprobe
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.config_edit import (
    FILE_ERRORS, MAX_CONFIG_BYTES, ConfigEditError, EditPlan, apply_plan, comment_out_lines, read_regular_bytes,
    read_text_file)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.root_path import (
    RootPathError, normalise_root, resolve)

# kmod's first directory: a file there hides a vendor file of the same name (module_utils.dropins).
EDITABLE_DIR = dropins.MODPROBE_D_RULES["dirs"][0]
BOOTLOADER_FILES = ("/etc/default/grub", "/etc/kernel/cmdline")
FIXABLE_KINDS = ("blacklist", "install_noop", "install_fail", "install_other", "alias_redirect")


def read_modprobe_tree(root):
    """Read the entries kmod would consider under ``root`` (a real path from normalise_root).

    Returns ``(texts, unreadable, warnings, sources)``: ``texts`` maps host
    paths to text, with a lenient decoding for files that cannot be edited
    safely (so we still see what they disable); ``unreadable`` maps those
    paths to the reason they cannot be edited; ``sources`` maps each host
    path to the real file its text came from (a link followed inside the
    root).  Raises RootPathError when a modprobe.d directory itself leads
    outside the root: then nothing can be judged or written.
    """
    texts = {}
    unreadable = {}
    warnings = []
    sources = {}
    for directory in parse_modprobe.MODPROBE_DIRS:
        real_dir = resolve(root, directory)
        try:
            names = sorted(os.listdir(real_dir))
        except OSError:
            continue
        for name in names:
            path = directory + "/" + name
            link = os.path.join(real_dir, name)
            if os.path.islink(link) and os.readlink(link) == "/dev/null":
                texts[path] = u""  # a masked file: kmod reads it as empty
                continue
            try:
                real = resolve(root, path)
            except RootPathError as exc:
                unreadable[path] = str(exc)
                warnings.append(str(exc))
                texts[path] = None
                continue
            if os.path.isdir(real):
                continue  # kmod skips directories inside modprobe.d
            sources[path] = real
            try:
                texts[path] = read_text_file(real)
            except ConfigEditError as exc:
                unreadable[path] = str(exc)
                warnings.append(str(exc))
                texts[path] = _lenient_text(real)
    return texts, unreadable, warnings, sources


def _lenient_text(path):
    """Best-effort text of a file we will not edit, to see what it disables."""
    try:
        return read_regular_bytes(path, MAX_CONFIG_BYTES).decode("utf-8", "replace")
    except FILE_ERRORS:
        return None


def read_cmdline(root):
    try:
        return read_regular_bytes(resolve(root, "/proc/cmdline"), 65536).decode("utf-8", "replace")
    except (RootPathError,) + FILE_ERRORS:
        return None


def cmdline_change(entry, root):
    """Describe how to drop ``entry['module']`` from its kernel command line parameter."""
    param, _sep, value = entry["value"].partition("=")
    remaining = [name for name in value.strip('"').split(",")
                 if name and parse_modprobe.normalise_module_name(name) != entry["module"]]
    new_value = "%s=%s" % (param, ",".join(remaining)) if remaining else None
    configured_in = []
    for path in BOOTLOADER_FILES:
        try:
            text = read_text_file(resolve(root, path))
        except (ConfigEditError, RootPathError):
            continue
        for number, line in enumerate((text or "").splitlines(), 1):
            if param + "=" in line and not line.lstrip().startswith("#"):
                configured_in.append({"file": path, "line": number, "text": line})
    if new_value:
        action = "replace '%s' with '%s'" % (entry["value"], new_value)
    else:
        action = "remove '%s'" % entry["value"]
    where = ", ".join("%s:%d" % (c["file"], c["line"]) for c in configured_in) or "the boot loader configuration"
    suggestion = ("%s on the kernel command line (%s; grubby --update-kernel=ALL on RHEL, update-grub on Debian), "
                  "then reboot" % (action, where))
    return {
        "module": entry["module"],
        "param": entry.get("param", param),
        "value": entry["value"],
        "new_value": new_value,
        "configured_in": configured_in,
        "suggestion": suggestion,
    }


def _same_text(left, right):
    return u"\n".join(x.strip() for x in (left or u"").split(u"\n")) == \
        u"\n".join(x.strip() for x in (right or u"").split(u"\n"))


def cited_blockers(facts, modules, cited):
    """The disabling directives of ``facts`` that ``cited`` (audit evidence) names, and the stale citations.

    A citation holds when a directive that disables a module (one of
    ``modules``, when given) starts on the cited line of a file kmod reads,
    with the cited text; a /proc/cmdline citation when the entry is on the
    command line. Returns ``(items, stale)``.
    """
    wanted = set(modules or [])
    named = set(d.get("module") for d in facts.get("directives") or []) | \
        set(e.get("module") for e in facts.get("cmdline_blacklist") or [])
    candidates = [item for module in sorted(wanted or named)
                  for item in parse_modprobe.disabling_directives(facts, module)]
    items, stale, seen = [], [], set()
    for entry in cited:
        if entry.get("line") is None:
            continue  # "no modules-load.d entry": not a line to act on
        hits = [item for item in candidates if item["file"] == entry["file"] and item["line"] == entry["line"]]
        matching = [item for item in hits if _same_text(item["text"], entry["text"])]
        if not matching:
            if hits:
                why = "line %d now holds %r, not the cited text" % (entry["line"], hits[0]["text"])
            elif entry["file"] == parse_modprobe.CMDLINE_SOURCE:
                why = "the kernel command line no longer has %s" % entry["text"]
            else:
                why = "no directive disabling %s starts on that line now (edited, or the file is no longer read)" % (
                    " or ".join(sorted(wanted)) if wanted else "a module")
            stale.append(dict(entry, reason=why))
            continue
        for item in matching:
            key = (item["file"], item["line"], item["module"], item["kind"])
            if key not in seen:
                seen.add(key)
                items.append(item)
    return items, stale


def plan_changes(root, modules, marker, files, unreadable, sources=None, cited=None):
    """Return (plan, removed, cmdline_entries, stale) for ``files`` read from ``root``.

    With ``cited`` (audit evidence: file, line, text) only the directives it
    names are acted on, and the citations that no longer hold are ``stale``;
    without it, every directive that disables one of ``modules``.
    Raises ConfigEditError when a line to comment out is in a file listed in
    ``unreadable``: nothing is planned then, so nothing is written; and
    RootPathError when a file to write would be outside ``root``.
    ``sources`` maps host paths to the real files they were read from.
    """
    sources = sources or {}
    facts = parse_modprobe.modprobe_facts(files, read_cmdline(root))
    by_file = {}
    removed = []
    cmdline_entries = []
    stale = []
    if cited is not None:
        blockers, stale = cited_blockers(facts, modules, cited)
    else:
        blockers = [item for module in modules for item in parse_modprobe.disabling_directives(facts, module)]
    for item in blockers:
        if item["kind"] in ("cmdline", "cmdline_kernel"):
            cmdline_entries.append(item)
            continue
        if item["kind"] not in FIXABLE_KINDS:
            continue
        by_file.setdefault(item["file"], []).append(item)

    plan = EditPlan()
    for path in sorted(by_file):
        items = by_file[path]
        directory = os.path.dirname(path)
        source_text = files.get(path)
        if path in unreadable or source_text is None:
            raise ConfigEditError("%s disables %s but cannot be edited safely: %s. Nothing was changed; "
                                  "fix the file by hand" % (path, ", ".join(sorted(set(i["module"] for i in items))),
                                                            unreadable.get(path, "no text")))
        ranges = sorted(set((i["line"], i["end_line"]) for i in items))
        commented = comment_out_lines(source_text, ranges, marker)
        if directory == EDITABLE_DIR:
            target = path
            plan.add(resolve(root, path, follow_last=False), source_text, commented, reason="comment out",
                     source=sources.get(path))
        else:
            target = dropins.override_path(path, dropins.MODPROBE_D_RULES)
            header = ("# Overrides %s (same file name, so kmod reads this file instead).\n"
                      "# Written by nfdoctor.netfilter.modprobe_unblock with the lines that stopped %s from\n"
                      "# loading commented out; compare it with the vendor file after package updates.\n"
                      % (path, ", ".join(sorted(set(i["module"] for i in items)))))
            real_target = resolve(root, target, follow_last=False)
            plan.add(real_target, None, header + commented, mode=0o644, diff_before=source_text,
                     before_header=sources.get(path) or resolve(root, path),
                     after_header="%s (new file overriding %s)" % (real_target, path),
                     reason="override vendor file")
        for item in items:
            removed.append({
                "module": item["module"],
                "kind": item["kind"],
                "file": item["file"],
                "line": item["line"],
                "end_line": item["end_line"],
                "text": item["text"],
                "written_to": target,
            })
    return plan, removed, cmdline_entries, stale


OVERRIDE_HEADER = re.compile(r"^# Overrides (/\S+) \(same file name", re.MULTILINE)


def files_with_marker(files, marker):
    """Host paths an earlier run of this module edited, plus the vendor files its overrides replace.

    The initramfs may still hold the vendor file even after the /etc override
    exists, so both count when deciding whether the initramfs is stale.
    """
    found = []
    for path, text in files.items():
        if path.startswith(EDITABLE_DIR + "/") and text and marker in text:
            found.append(path)
            found.extend(OVERRIDE_HEADER.findall(text))
    return found


def inspect_initramfs(module, paths):
    """(contains, files_found, rebuild_command) for the running kernel's initramfs."""
    release = os.uname()[2]
    lsinitrd = module.get_bin_path("lsinitrd")
    lsinitramfs = module.get_bin_path("lsinitramfs")
    dracut = module.get_bin_path("dracut")
    update_initramfs = module.get_bin_path("update-initramfs")
    rebuild = None
    if update_initramfs:
        rebuild = "update-initramfs -u -k %s" % release
    elif dracut:
        rebuild = "dracut -f --kver %s" % release
    command = None
    if lsinitrd:
        command = [lsinitrd, "--kver", release]
    elif lsinitramfs:
        for candidate in ("/boot/initrd.img-%s" % release, "/boot/initramfs-%s.img" % release):
            if os.path.exists(candidate):
                command = [lsinitramfs, candidate]
                break
    if command is None or not paths:
        return (None if command is None else False), [], rebuild
    rc, out, _err = module.run_command(command, environ_update={"LC_ALL": "C"})
    if rc != 0:
        return None, [], rebuild
    listed = set()
    for line in out.splitlines():
        # lsinitramfs prints bare paths; lsinitrd prints "ls -l" lines ending in the path
        word = line.split()[-1] if line.split() else ""
        if "->" in line:
            word = line.split("->")[0].split()[-1]
        listed.add(word.lstrip("./").lstrip("/"))
    found = sorted(p for p in paths if _initramfs_names(p) & listed)
    return bool(found), found, rebuild


def _initramfs_names(path):
    """Names ``path`` may have in an initramfs listing.

    On merged-/usr systems the initramfs holds lib -> usr/lib, so a file under
    /lib/modprobe.d is listed as usr/lib/modprobe.d and the other way round.
    """
    name = path.lstrip("/")
    names = set([name])
    if name.startswith("lib/"):
        names.add("usr/" + name)
    elif name.startswith("usr/lib/"):
        names.add(name[len("usr/"):])
    return names


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            modules=dict(type="list", elements="str"),
            lines=dict(type="list", elements="dict", options=dict(
                file=dict(type="path", required=True),
                line=dict(type="int"),
                text=dict(type="str", required=True, aliases=["value"]),
            )),
            root=dict(type="path", default="/"),
            backup=dict(type="bool", default=True),
            marker=dict(type="str", default="# disabled by nfdoctor.netfilter.modprobe_unblock:"),
            inspect_initramfs=dict(type="bool", default=True),
        ),
        required_one_of=[("modules", "lines")],
        supports_check_mode=True,
    )
    root = module.params["root"]
    marker = module.params["marker"]
    cited = module.params["lines"]
    modules = [parse_modprobe.normalise_module_name(m.strip()) for m in module.params["modules"] or [] if m.strip()]
    if not marker.startswith("#") or "\n" in marker or "\r" in marker:
        module.fail_json(msg="marker must be one line starting with '#', or kmod would not read it as a comment")
    if not modules and cited is None:
        module.fail_json(msg="modules is empty: name at least one module")
    bad = [m for m in modules if not re.match(r"^[A-Za-z0-9_]+$", m)]
    if bad:
        module.fail_json(msg="not module names: %s" % ", ".join(bad))
    if "\x00" in marker:
        module.fail_json(msg="marker contains a NUL byte; kmod and later audits would read the file as binary")
    try:
        root, live = normalise_root(root)
        files, unreadable, warnings, sources = read_modprobe_tree(root)
    except RootPathError as exc:
        module.fail_json(msg="%s; nothing was changed" % exc)
    try:
        plan, removed, cmdline_entries, stale = plan_changes(root, modules, marker, files, unreadable, sources,
                                                             cited)
    except (ConfigEditError, RootPathError) as exc:
        module.fail_json(msg="%s; nothing was changed" % exc if isinstance(exc, RootPathError) else str(exc),
                         warnings_detail=warnings)

    result = dict(
        changed=plan.changed,
        diff=plan.diffs(),
        files_changed=plan.paths,
        backups={},
        disabled_lines_removed=removed,
        cmdline_changes_needed=[cmdline_change(e, root) for e in cmdline_entries],
        initramfs_contains_config=None,
        initramfs_files=[],
        initramfs_rebuild_command=None,
        stale_lines=stale,
        warnings_detail=warnings,
    )
    for message in warnings:
        module.warn(message)

    if plan.changed and not module.check_mode:
        changed_paths, backups = apply_plan(module, plan, backup=module.params["backup"])
        result["files_changed"] = changed_paths
        result["backups"] = backups

    if module.params["inspect_initramfs"] and live:
        touched = set(p for p in plan.paths)
        touched.update(files_with_marker(files, marker))
        # a vendor file we override is also what the initramfs copied
        touched.update(item["file"] for item in removed)
        contains, found, rebuild = inspect_initramfs(module, sorted(touched))
        result["initramfs_contains_config"] = contains
        result["initramfs_files"] = found
        result["initramfs_rebuild_command"] = rebuild
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
