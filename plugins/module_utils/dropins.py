# -*- coding: utf-8 -*-
# Copyright: nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which drop-in files a tool reads, in which order: the precedence rule, written once.

kmod (modprobe.d), systemd-sysctl (sysctl.d), systemd-modules-load
(modules-load.d) and systemd-networkd (``*.network``, ``*.netdev``,
``NAME.network.d/``, ``networkd.conf.d``) all follow one rule:

* the configuration directories are searched in rank order;
* only names that pass the tool's name filter count (a suffix such as
  ``.conf``; names starting with a dot are skipped; directories are skipped);
* a file name met in an earlier directory hides the same name in every later
  one, whatever the later file holds;
* a mask (a link to ``/dev/null``, or an empty file) takes its name and is not
  read, so it hides the later files of that name too;
* the files left are read in the lexical (byte) order of their *names*,
  across all directories, so ``/usr/lib/x.d/90-b.conf`` is read after
  ``/etc/x.d/10-a.conf`` and its assignments win.

What differs between the tools is data, in the ``*_RULES`` tables below:
the directories, the suffixes, and which kinds of file mask. Sources:

* kmod ``libkmod/libkmod.c`` ``default_config_paths`` (``/etc``, ``/run``,
  ``/usr/local/lib``, ``/usr/lib``, ``/lib`` + ``/modprobe.d``) and
  ``libkmod/libkmod-config.c`` ``conf_files_filter_out`` (skips names with a
  leading dot, names not ending in ``.conf`` and directories) and
  ``conf_files_insert_sorted`` ("Ignoring duplicate config file": the first
  directory wins, the list is sorted with ``strcmp`` on the name). kmod has no
  masks: a ``/dev/null`` link or an empty file is opened and read as empty, which
  hides later files of its name just the same. ``.alias`` names were read too
  until kmod 33 (commit 29cc8c2e "kmod: remove .alias config files for
  modprobe.d", July 2024); Debian 12 ships kmod 30, so they are still accepted.
* systemd ``src/basic/conf-files.c`` ``files_add`` (suffix filter, "Skipping
  overridden file", "is masked by previous entry") and
  ``conf_file_chase_and_verify`` (``CONF_FILES_FILTER_MASKED_BY_SYMLINK``: a
  link to /dev/null; ``..._BY_EMPTY``: an empty file). ``FOREACH_DIRENT`` skips
  hidden and backup names. systemd-sysctl lists ``sysctl.d`` with
  ``CONF_FILES_REGULAR|CONF_FILES_FILTER_MASKED`` (sysctl.d(5): "/dev/null"
  masks); systemd-modules-load likewise (modules-load.d(5)).
* systemd-networkd ``network_load`` lists ``*.network`` with no flags and
  ``network_load_one`` skips a file that is ``null_or_empty`` ("Skipping empty
  file"): the same masking, done one step later (systemd.network(5): "an empty
  file ... or symlink ... pointing to /dev/null disables the configuration file
  entirely"). Drop-ins ``NAME.network.d/*.conf`` are looked for in every network
  directory and merged by the same rule (``conf_files_list_dropins``).

Nothing here reads files: callers pass ``{host path: kind}`` (see
:func:`kinds_from_texts` for the ``{host path: text}`` maps the parsers get,
where ``None`` stands for a /dev/null link and ``""`` for an empty file).

>>> plan = resolve({"/usr/lib/sysctl.d/50-default.conf": REGULAR,
...                 "/etc/sysctl.d/50-default.conf": NULL_LINK,
...                 "/etc/sysctl.d/99-fwd.conf": REGULAR}, SYSCTL_D_RULES)
>>> plan["read"]
['/etc/sysctl.d/99-fwd.conf']
>>> [(f["path"], f["status"], f["by"]) for f in plan["files"]][:2]
[('/etc/sysctl.d/50-default.conf', 'masked', None), ('/usr/lib/sysctl.d/50-default.conf', 'shadowed', '/etc/sysctl.d/50-default.conf')]
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type  # noqa: UP001 - Python 2.7 still runs this file

import posixpath

# Where each tool looks is the one list of sources; this module says in which order it reads it.
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.capture_spec import (
    MODPROBE_DIRS,
    MODULES_LOAD_DIRS,
    NETWORK_DIRS,
    NETWORKD_CONF_DROPIN_DIRS,
    NETWORKD_CONF_MAIN_PATHS,
    SYSCTL_DIRS,
)

REGULAR = "regular"
NULL_LINK = "null_link"   # a symbolic link to /dev/null
EMPTY = "empty"           # a regular file of size 0
DIRECTORY = "directory"
KINDS = (REGULAR, NULL_LINK, EMPTY, DIRECTORY)

READ = "read"
MASKED = "masked"
SHADOWED = "shadowed"
IGNORED = "ignored"


def make_rules(tool, dirs, suffixes=None, names=None, masks=(NULL_LINK, EMPTY), skip_hidden=True,
               outside_reason=None, suffix_reason=None):
    """A precedence table for one tool.

    ``dirs`` in rank order; ``suffixes`` a name must end in one of (None: any
    name), or ``names`` it must be one of; ``masks`` the kinds of file that
    mask instead of being read; ``outside_reason`` / ``suffix_reason`` say in
    the tool's words why a path is not read.
    """
    return {
        "tool": tool,
        "dirs": tuple(dirs),
        "suffixes": tuple(suffixes) if suffixes is not None else None,
        "names": tuple(names) if names is not None else None,
        "masks": tuple(masks),
        "skip_hidden": skip_hidden,
        "outside_reason": outside_reason or "not in a %s directory" % tool,
        "suffix_reason": suffix_reason,
    }


MODPROBE_D_RULES = make_rules(
    "kmod", MODPROBE_DIRS, suffixes=(".conf", ".alias"), masks=(),
    outside_reason="not in a modprobe.d directory",
    suffix_reason="kmod reads only names ending in .conf (or .alias); this file is ignored")
# module-init-tools (RHEL 6 and older) read every name in modprobe.d, with a warning.
MODPROBE_D_MODULE_INIT_TOOLS_RULES = dict(MODPROBE_D_RULES, suffixes=None, tool="module-init-tools")
MODULES_LOAD_D_RULES = make_rules(
    "systemd-modules-load", MODULES_LOAD_DIRS, suffixes=(".conf",),
    outside_reason="not in a modules-load.d directory",
    suffix_reason="systemd-modules-load reads only names ending in .conf; this file is ignored")
SYSCTL_D_RULES = make_rules(
    "systemd-sysctl", SYSCTL_DIRS, suffixes=(".conf",),
    outside_reason="not in a sysctl.d directory",
    suffix_reason="systemd-sysctl reads only names ending in .conf; this file is ignored")
NETWORK_RULES = make_rules(
    "systemd-networkd", NETWORK_DIRS, suffixes=(".network",),
    outside_reason="not in a systemd network directory",
    suffix_reason="not a .network file")
# systemd.netdev(5): the same directories, order and masks as .network files.
NETDEV_RULES = dict(NETWORK_RULES, suffixes=(".netdev",), suffix_reason="not a .netdev file")
# networkd.conf(5): the main file is the first of these that exists (no /lib).
NETWORKD_CONF_RULES = make_rules(
    "systemd-networkd", tuple(posixpath.dirname(p) for p in NETWORKD_CONF_MAIN_PATHS), names=("networkd.conf",),
    outside_reason="not a networkd.conf location")
NETWORKD_CONF_D_RULES = make_rules(
    "systemd-networkd", NETWORKD_CONF_DROPIN_DIRS, suffixes=(".conf",),
    outside_reason="not in a networkd.conf.d directory",
    suffix_reason="networkd reads only names ending in .conf in networkd.conf.d")


def dropin_rules(rules, unit_name, suffix=".conf"):
    """The rules of ``UNIT_NAME.d/`` drop-in directories next to each of ``rules``' directories.

    >>> dropin_rules(NETWORK_RULES, "10-eth0.network")["dirs"][0]
    '/etc/systemd/network/10-eth0.network.d'
    """
    return dict(rules, dirs=tuple("%s/%s.d" % (d, unit_name) for d in rules["dirs"]), suffixes=(suffix,),
                names=None, outside_reason="not a drop-in of %s" % unit_name,
                suffix_reason="drop-ins are read only from names ending in %s" % suffix)


def kinds_from_texts(files, none_is_mask=True):
    """``{path: kind}`` for a ``{path: text}`` map: "" is an empty file, None a /dev/null link.

    With ``none_is_mask=False`` None is a file that could not be read: it
    still takes its name (the tool would try to read it) and the caller
    reports it.
    """
    kinds = {}
    for path, text in (files or {}).items():
        if text is None:
            kinds[path] = NULL_LINK if none_is_mask else REGULAR
        elif hasattr(text, "__len__") and len(text) == 0:
            kinds[path] = EMPTY
        else:
            kinds[path] = REGULAR
    return kinds


def _name_problem(name, kind, rules):
    if not name:
        return "not a file name"
    if rules["skip_hidden"] and name.startswith("."):
        return "hidden file: %s skips names starting with a dot" % rules["tool"]
    if kind == DIRECTORY:
        return "a directory; %s reads only files" % rules["tool"]
    if rules["names"] is not None:
        if name not in rules["names"]:
            return rules["suffix_reason"] or "%s reads only %s" % (rules["tool"], ", ".join(rules["names"]))
        return None
    if rules["suffixes"] is not None and not any(name.endswith(s) for s in rules["suffixes"]):
        return rules["suffix_reason"] or "%s reads only names ending in %s" % (
            rules["tool"], " or ".join(rules["suffixes"]))
    return None


def resolve(entries, rules):
    """Apply ``rules`` to ``entries`` (``{host path: kind}``).

    Returns ``{"read": [...], "files": [...]}``. ``read`` is the paths the tool
    reads, in reading order. ``files`` describes every path given, in the order
    the tool considers them (each winning name in name order, followed by the
    paths it hides; then the paths that are not read at all, by path), each as
    ``{"path", "name", "rank", "kind", "status", "by", "reason"}``: ``status``
    is ``read``, ``masked`` (a mask that wins its name), ``shadowed`` (hidden by
    the path in ``by``) or ``ignored`` (``reason`` says why).
    """
    rank_of = dict((d, i) for i, d in enumerate(rules["dirs"]))
    candidates = []
    ignored = []
    for path in sorted(entries or {}):
        kind = entries[path]
        if kind not in KINDS:
            kind = REGULAR
        directory, name = posixpath.split(path)
        if directory not in rank_of:
            parent = None
            for known in rules["dirs"]:
                if directory.startswith(known + "/"):
                    parent = known
                    break
            reason = ("in a sub-directory of %s; sub-directories are not read" % parent) if parent \
                else rules["outside_reason"]
            ignored.append(_entry(path, name, None, kind, IGNORED, None, reason))
            continue
        problem = _name_problem(name, kind, rules)
        if problem:
            ignored.append(_entry(path, name, rank_of[directory], kind, IGNORED, None, problem))
            continue
        candidates.append((rank_of[directory], name, path, kind))
    candidates.sort()
    winners = {}
    hidden = {}
    for rank, name, path, kind in candidates:
        if name in winners:
            hidden.setdefault(name, []).append((rank, path, kind))
        else:
            winners[name] = (rank, path, kind)
    files = []
    read = []
    for name in sorted(winners):
        rank, path, kind = winners[name]
        if kind in rules["masks"]:
            files.append(_entry(path, name, rank, kind, MASKED, None,
                                "a mask (%s): hides every later %s" % (
                                    "link to /dev/null" if kind == NULL_LINK else "empty file", name)))
        else:
            read.append(path)
            files.append(_entry(path, name, rank, kind, READ, None, None))
        for other_rank, other, other_kind in hidden.get(name, []):
            files.append(_entry(other, name, other_rank, other_kind, SHADOWED, path,
                                "%s has the same name in an earlier directory" % path))
    return {"read": read, "files": files + ignored}


def _entry(path, name, rank, kind, status, by, reason):
    return {"path": path, "name": name, "rank": rank, "kind": kind, "status": status, "by": by, "reason": reason}


def override_path(path, rules):
    """Where a file of the same name hides ``path``: the same name in the first directory.

    A fix that must not edit a vendor file writes its edited copy there.
    """
    return posixpath.join(rules["dirs"][0], posixpath.basename(path))
