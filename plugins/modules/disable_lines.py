#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type  # noqa: UP001 - Python 2.7 still runs this file

# Why a module and not ansible.builtin.find + slurp + replace: the role must
# report every matching line with file and line number whether or not it acts,
# act on many files found at run time with one backup each, keep some matches
# (a unit's only ExecStart=) for a human, and show one diff per file.  With the
# builtins that is a find, a slurp per file, Jinja to number lines, and a
# replace loop whose regexp must repeat the search; this module does the same
# with the plan/apply code modprobe_unblock uses, and reports what it kept.

DOCUMENTATION = r"""
---
module: disable_lines
short_description: Comment out (or just report) lines that match a pattern in many files
version_added: "0.1.0"
description:
  - Searches the files named by O(paths) (a file, a directory whose regular files are all read, or a glob) for lines
    that match O(regexp) or the O(match) preset, skipping lines that are already comments.
  - Or acts on O(lines), the evidence an audit cited (file, line, text); each cited line is verified to still hold
    that text (with O(match), to still be what the preset finds there) and only then commented out; a line that
    changed since the audit is reported with C(action=stale) and left alone.
  - With O(state=commented) puts O(marker) in front of each matching line, unless the line also matches O(keep_regexp);
    kept lines are reported for a human to decide. With O(state=reported) changes nothing.
  - Plans every change first and writes each file once, atomically, keeping its mode and owner, with a backup. A write
    is complete or not done at all (a full disk, a read-only file system or an immutable file fail the task naming the
    file, which is left byte for byte as it was); when a later file fails, the result says which files were already
    changed, with their backups, and C(changed=true).
  - A file that cannot be read as UTF-8 text is skipped with a warning, or fails the task when it appears to contain a
    match, so a file is never half-understood and rewritten.
notes:
  - Like M(nfdoctor.netfilter.netfilter_facts), it keeps the collection's compiled module_utils in its bytecode cache
    (C(~/.cache/nfdoctor/bytecode/)); C(NFDOCTOR_BYTECODE_CACHE=off) keeps none. See that module's notes.
author:
  - nfdoctor maintainers (@nfdoctor)
options:
  paths:
    description:
      - Files, directories (their regular files, not sub-directories) or glob patterns, as on the host.
      - Paths that do not exist are ignored. Symbolic links are not followed, so a link to a file found elsewhere is
        handled once, at its target.
      - In directories and globs, the names cron and run-parts never run (starting with C(.), ending in C(~),
        C(.rpmsave), C(.rpmorig), C(.rpmnew), C(.swp), C(.dpkg-*) or C(.ucf-*)) are skipped, by the rule the audit uses
        (C(parse_schedules.cron_ignores)). A C(.bak) file is read, because cronie runs it.
      - Exactly one of O(paths) and O(lines) is required.
    type: list
    elements: path
  lines:
    description:
      - The lines to act on, as an audit cited them (the C(evidence) of C(CONNTRACK_FLUSH_SCHEDULED) findings of
        M(nfdoctor.netfilter.netfilter_facts)). Nothing else is searched.
      - Each line is verified first. Without O(match) the physical line must read O(lines[].text) (blanks around it
        aside); with O(match=conntrack_flush) the audit's own parser must still find a flush starting on that line
        with that text, and the whole command (with its backslash continuation lines) is commented out.
      - A link is followed inside O(root), so a line cited through C(/etc/rc.local) and through its target is edited
        once.
    type: list
    elements: dict
    suboptions:
      file:
        description: The file, as a host path.
        type: path
        required: true
      line:
        description: Line number, 1-based.
        type: int
        required: true
      text:
        description: The text the audit saw on that line.
        type: str
        required: true
        aliases: [value]
  regexp:
    description:
      - Python regular expression searched for in each line that does not start with C(#).
      - With O(paths), exactly one of O(regexp) and O(match) is required. Not used with O(lines).
      - An empty regexp, or one that matches an empty line (C(.*), C(x?)), is refused, because it would comment out
        every line.
      - Searching all files may take at most 10 seconds; a regexp that backtracks for longer (nested repeats such as
        V((a+\)+)) fails the task with nothing changed.
    type: str
  match:
    description:
      - Decide with the audit's own code instead of a regexp. C(conntrack_flush) finds what
        M(nfdoctor.netfilter.netfilter_facts) reports as C(CONNTRACK_FLUSH_SCHEDULED), a command that runs
        C(conntrack -F)/C(--flush), or C(conntrack -D) without a filter, in a crontab, a systemd unit's C(Exec*=) line or
        a shell script (the file's kind comes from where it is, as in the audit), also behind C(sudo), C(timeout),
        C(ip netns exec) or C(sh -c). Not C(echo conntrack -F >> log), a comment, C(conntrackd) or
        C(conntrack -D -s ADDR).
    type: str
    choices: [conntrack_flush]
  keep_regexp:
    description:
      - Matching lines that also match this are reported with C(action=kept) (in both states) and never commented
        out, for example C(^\s*ExecStart=) so a unit is not left without its command.
    type: str
  state:
    description:
      - C(commented) comments matching lines out; C(reported) only lists them.
    type: str
    choices: [commented, reported]
    default: commented
  marker:
    description:
      - Text put in front of a line to comment it out. Must start with C(#) and be one line of printable text (no NUL,
        line break or other control character except tab).
    type: str
    default: "# disabled by nfdoctor.netfilter.disable_lines:"
  backup:
    description:
      - Keep a copy of each changed file (C(FILE.PID.DATE~)). Cron ignores such names in C(/etc/cron.d); in a spool
        directory it sees no user of that name.
    type: bool
    default: true
  root:
    description:
      - Directory that stands for C(/); O(paths) are taken below it. Glob characters in the root are literal.
      - Every path is resolved inside the root, as on the host the tree came from - an absolute link in the tree
        points into the tree, never to this machine's files; a link that leads above the root is not followed. A
        path with a C(..) component is refused. C(//), C(/tmp/..) or a link to C(/) are the live root.
    type: path
    default: /
extends_documentation_fragment:
  - nfdoctor.netfilter.config_edit
seealso:
  - module: ansible.builtin.replace
"""

EXAMPLES = r"""
- name: Stop cron jobs and rc.local from flushing the conntrack table
  nfdoctor.netfilter.disable_lines:
    paths:
      - /etc/crontab
      - /etc/cron.d
      - /var/spool/cron
      - /var/spool/cron/crontabs
      - /etc/rc.local
      - /etc/rc.d/rc.local
    match: conntrack_flush

- name: Comment out exactly the flush jobs the audit cited
  nfdoctor.netfilter.disable_lines:
    lines: >-
      {{ ansible_facts.nfdoctor.findings | selectattr('id', 'equalto', 'CONNTRACK_FLUSH_SCHEDULED')
         | map(attribute='evidence') | flatten }}
    match: conntrack_flush

- name: Only report flushes in systemd units, keeping ExecStart= lines for a human
  nfdoctor.netfilter.disable_lines:
    paths: ["/etc/systemd/system/*.service", "/etc/systemd/system/*.service.d/*.conf"]
    match: conntrack_flush
    keep_regexp: '^\s*ExecStart='
    state: reported
"""

RETURN = r"""
matches:
  description: Every matching line found, in file and line order.
  returned: always
  type: list
  elements: dict
  contains:
    file:
      description: The file, as a host path (without O(root)).
      type: str
    line:
      description: Line number, 1-based.
      type: int
    text:
      description: The line as it was.
      type: str
    action:
      description:
        - C(commented) (done or, in check mode, planned), C(kept) (matched O(keep_regexp)), C(reported), or
          C(stale) (a line of O(lines) that no longer holds the cited text; left alone).
      type: str
    reason:
      description: Why a C(stale) line was left alone.
      type: str
      returned: when action is C(stale)
  sample:
    - {file: /etc/cron.d/vpn-reset, line: 3, text: "*/5 * * * * root /usr/sbin/conntrack -F", action: commented}
diff:
  description: One Ansible diff (before, after, before_header, after_header) per file that changes.
  returned: always
  type: list
  elements: dict
files_changed:
  description: Files written (in check mode, that would be written).
  returned: always
  type: list
  elements: str
backups:
  description: Backup copy of each changed file.
  returned: always
  type: dict
failed_file:
  description:
    - The file that could not be written, when writing failed. RV(files_changed) and RV(backups) then hold the files
      already written before it.
  returned: when writing a file failed
  type: str
files_searched:
  description: Number of files read.
  returned: always
  type: int
warnings_detail:
  description: Files skipped because they are not UTF-8 text or could not be read.
  returned: always
  type: list
  elements: str
"""

import os
import re
import signal

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.payload_imports import compile_each_once

# Before the collection's other module_utils are imported: each is then compiled once on the host, not twice.
compile_each_once()

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.config_edit import (
    FILE_ERRORS, MAX_CONFIG_BYTES, ConfigEditError, EditPlan, apply_plan, comment_out_lines, read_regular_bytes,
    read_text_file)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_schedules import (
    cron_ignores, flush_lines, schedule_kind)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.root_path import (
    RootPathError, check_host_path, confined_glob, kind, normalise_root, resolve)

# What O(match) decides with: the audit's own parsers, never a second regexp.
# Each returns [(first line, last line, text)] for a file's text and host path.
MATCHERS = {
    "conntrack_flush": lambda text, shown: [(f["line"], f["end_line"], f["text"])
                                            for f in flush_lines(text, shown, schedule_kind(shown))],
}


def expand_paths(root, patterns, skipped=None):
    """Regular files named by ``patterns``, as (host path, real path), sorted, without duplicates.

    ``root`` is a real path from normalise_root.  Every directory on the way
    is resolved inside the root (root_path.confined_glob), so a link never
    leads this module out of it; links in the last place are not followed.
    A path named without a glob that is neither a file nor a directory (a
    FIFO, device, socket or link) is added to the list ``skipped`` with why.
    """
    found = {}
    for pattern in patterns:
        magic = re.search(r"[*?[]", pattern) is not None
        for shown, candidate in confined_glob(root, pattern):
            what = kind(candidate)
            if what == "directory":
                try:
                    names = os.listdir(candidate)
                except OSError:
                    continue
                for name in names:
                    child = os.path.join(candidate, name)
                    # our own backups (NAME.PID.DATE~) are among the names skipped
                    if not cron_ignores(name) and kind(child) == "file":
                        found[child] = shown.rstrip("/") + "/" + name
            elif what == "file" and (not magic or not cron_ignores(os.path.basename(candidate))):
                found[candidate] = shown  # a file named explicitly is read whatever its name
            elif not magic and skipped is not None:
                skipped.append("%s is a %s, not a regular file; not read (links are not followed)"
                               % (candidate, "symbolic link" if what == "link" else what))
    return sorted(((shown, real) for real, shown in found.items()), key=lambda pair: pair[1])


def physical_lines(text):
    """(line number, line) of every line, split on "\\n" only as cron and systemd do (comment_out_lines counts the same)."""
    return [(number, line.rstrip(u"\r")) for number, line in enumerate(text.split(u"\n"), 1)]


def matching_lines(text, shown, pattern):
    """(first line, last line, text) of each line ``pattern`` (a regexp or a MATCHERS function) finds.

    A regexp is searched in each line that is not a comment.
    """
    if callable(pattern):
        return pattern(text, shown)
    return [(number, number, line) for number, line in physical_lines(text)
            if not line.lstrip().startswith("#") and pattern.search(line)]


def lenient_text(path):
    try:
        return read_regular_bytes(path, MAX_CONFIG_BYTES).decode("utf-8", "replace")
    except FILE_ERRORS:
        return u""


# All matching in one run together; a regexp that backtracks for longer than
# this is refused rather than left to hang the play.
MATCH_SECONDS = 10


class MatchTimeout(Exception):
    pass


class time_bound:
    """Raise MatchTimeout in the block after ``seconds`` (SIGALRM; not bounded outside the main thread)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.previous = None
        self.armed = False

    def __enter__(self):
        def expired(_signum, _frame):
            raise MatchTimeout()
        try:
            self.previous = signal.signal(signal.SIGALRM, expired)
        except (ValueError, AttributeError):
            return self  # not the main thread: no bound, as before
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *_exc):
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


def check_marker(marker):
    """None when ``marker`` can prefix a line, else the reason it cannot."""
    if not marker.startswith("#"):
        return "marker must be one line starting with '#', or the line would not become a comment"
    bad = [c for c in marker if c in "\r\n\x00" or (ord(c) < 32 and c != "\t") or ord(c) == 127]
    if bad:
        return ("marker must be one line of printable text starting with '#' (it contains %s): a NUL byte or line break would "
                "leave the file binary or add a line of its own" % ", ".join(sorted(set(repr(c) for c in bad))))
    return None


def compile_patterns(params):
    """(pattern, keep): a compiled regexp or a MATCHERS function (None with neither), or raise ValueError."""
    regexp = params["regexp"]
    if regexp is not None and regexp.strip() == "":
        raise ValueError("regexp is empty: it would match every line")
    try:
        keep = re.compile(params["keep_regexp"]) if params["keep_regexp"] else None
        if regexp is None:
            return (MATCHERS[params["match"]] if params["match"] else None), keep
        pattern = re.compile(regexp)
    except (re.error, OverflowError, RuntimeError) as exc:  # RecursionError is a RuntimeError
        raise ValueError("invalid regular expression: %s" % exc)
    if pattern.search(u"") is not None:
        raise ValueError("regexp %r matches an empty line, so it would comment out every line of every file"
                         % regexp)
    return pattern, keep


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="path"),
            lines=dict(type="list", elements="dict", options=dict(
                file=dict(type="path", required=True),
                line=dict(type="int", required=True),
                text=dict(type="str", required=True, aliases=["value"]),
            )),
            regexp=dict(type="str"),
            match=dict(type="str", choices=sorted(MATCHERS)),
            keep_regexp=dict(type="str"),
            state=dict(type="str", choices=["commented", "reported"], default="commented"),
            marker=dict(type="str", default="# disabled by nfdoctor.netfilter.disable_lines:"),
            backup=dict(type="bool", default=True),
            root=dict(type="path", default="/"),
        ),
        required_one_of=[("paths", "lines")],
        mutually_exclusive=[("paths", "lines"), ("regexp", "match"), ("regexp", "lines")],
        supports_check_mode=True,
    )
    params = module.params
    if params["paths"] is not None and params["regexp"] is None and params["match"] is None:
        module.fail_json(msg="paths needs one of regexp or match: what to look for in them")
    marker = params["marker"]
    problem = check_marker(marker)
    if problem:
        module.fail_json(msg=problem)
    try:
        pattern, keep = compile_patterns(params)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    try:
        root, _live = normalise_root(params["root"])
        for path in params["paths"] or []:
            check_host_path(path, "paths entry")
        for cited in params["lines"] or []:
            check_host_path(cited["file"], "lines entry")
            if cited["line"] < 1:
                raise RootPathError("lines entry %s:%d: line numbers start at 1" % (cited["file"], cited["line"]))
    except RootPathError as exc:
        module.fail_json(msg="%s; nothing was changed" % exc)

    try:
        with time_bound(MATCH_SECONDS):
            if params["lines"] is not None:
                plan, matches, warnings, files = plan_cited(module, root, params, pattern, keep, marker)
            else:
                plan, matches, warnings, files = search(module, root, params, pattern, keep, marker)
    except MatchTimeout:
        module.fail_json(msg="regexp %r took more than %d seconds to search the files (it backtracks "
                         "catastrophically, e.g. nested repeats like (a+)+); simplify it. Nothing was changed"
                         % (params["regexp"], MATCH_SECONDS))

    for message in warnings:
        module.warn(message)
    result = dict(
        changed=plan.changed,
        diff=plan.diffs(),
        files_changed=plan.paths,
        backups={},
        matches=matches,
        files_searched=len(files),
        warnings_detail=warnings,
    )
    if plan.changed and not module.check_mode:
        result["files_changed"], result["backups"] = apply_plan(module, plan, backup=params["backup"])
    module.exit_json(**result)


def _action(params, keep, line):
    if keep is not None and keep.search(line):
        return "kept"
    return "reported" if params["state"] == "reported" else "commented"


def search(module, root, params, pattern, keep, marker):
    """Find the matching lines and plan the edits: (plan, matches, warnings, files)."""
    plan = EditPlan()
    matches = []
    warnings = []
    files = expand_paths(root, params["paths"], warnings)
    for shown, real in files:
        try:
            text = read_text_file(real)
        except ConfigEditError as exc:
            if matching_lines(lenient_text(real), shown, pattern):
                module.fail_json(msg="%s appears to contain a matching line but cannot be edited safely: %s"
                                 % (shown, exc), matches=matches)
            warnings.append(str(exc))
            continue
        if text is None:
            continue
        ranges = []
        for first, last, line in matching_lines(text, shown, pattern):
            action = _action(params, keep, line)
            if action == "commented":
                ranges.append((first, last))
            matches.append({"file": shown, "line": first, "text": line, "action": action})
        if ranges:
            plan.add(real, text, comment_out_lines(text, ranges, marker))

    return plan, matches, warnings, files


def verify_cited(text, shown, number, cited, pattern):
    """(first, last) to comment out when line ``number`` of ``text`` still holds ``cited``, else (None, why)."""
    if pattern is not None:
        for first, last, line in matching_lines(text, shown, pattern):
            if first == number:
                if line.strip() == cited.strip():
                    return (first, last), None
                return None, "line %d now reads %r, not the cited %r" % (number, line.strip(), cited.strip())
        physical = dict(physical_lines(text))
        if number not in physical:
            return None, "the file has fewer than %d lines now" % number
        return None, "line %d (%r) is no longer what the audit reports there" % (number, physical[number].strip())
    physical = dict(physical_lines(text))
    if number not in physical:
        return None, "the file has fewer than %d lines now" % number
    line = physical[number].strip()
    if line != cited.strip():
        return None, "line %d now reads %r, not the cited %r" % (number, line, cited.strip())
    if line.startswith("#"):
        return None, "line %d is a comment already" % number
    return (number, number), None


def plan_cited(module, root, params, pattern, keep, marker):
    """Verify the lines of O(lines) and plan their edits: (plan, matches, warnings, files)."""
    plan = EditPlan()
    matches = []
    warnings = []
    texts = {}     # real path -> text
    ranges = {}    # real path -> [(first, last)]
    done = set()
    for cited in params["lines"]:
        shown, number, wanted = cited["file"], cited["line"], cited["text"]
        entry = {"file": shown, "line": number, "text": wanted}
        try:
            real = resolve(root, shown)
        except RootPathError as exc:
            matches.append(dict(entry, action="stale", reason=str(exc)))
            continue
        what = kind(real)
        if what != "file":
            matches.append(dict(entry, action="stale", reason="the file is gone" if what == "absent"
                                else "%s is a %s now, not a regular file" % (shown, what)))
            continue
        if real not in texts:
            try:
                texts[real] = read_text_file(real)
            except ConfigEditError as exc:
                module.fail_json(msg="%s:%d is cited but the file cannot be edited safely: %s; nothing was changed"
                                 % (shown, number, exc), matches=matches)
        span, why = verify_cited(texts[real] or u"", shown, number, wanted, pattern)
        if span is None:
            matches.append(dict(entry, action="stale", reason=why))
            continue
        if (real, span) in done:
            continue  # the same line cited again, or through a link to the same file
        done.add((real, span))
        action = _action(params, keep, wanted)
        if action == "commented":
            ranges.setdefault(real, []).append(span)
        matches.append(dict(entry, action=action))
    for real in sorted(ranges):
        plan.add(real, texts[real], comment_out_lines(texts[real], ranges[real], marker))
    return plan, matches, warnings, sorted(texts)


def main():
    run_module()


if __name__ == "__main__":
    main()
