# -*- coding: utf-8 -*-
# Copyright: nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parsers for modprobe.d, the kernel command line and modules-load.d.

The rules below follow kmod (libkmod-config.c, shared/util.c) and
systemd-modules-load, because those are what decide on a real host whether a
module can load:

* modprobe.d directories are searched in the order of ``MODPROBE_DIRS``.  Only
  names ending in ``.conf`` or ``.alias`` are read (kmod's
  ``conf_files_filter_out``); names starting with a dot and sub-directories are
  skipped.  A file name met in an earlier directory hides the same name in a
  later one ("Ignoring duplicate config file").  The surviving files are read
  in the byte order of their file *names*, whatever directory they are in.
* A logical line is built like ``freadline_wrapped``: a backslash before a
  newline joins the next physical line; a backslash before any other
  character is dropped and the character kept.  A logical line whose first
  character is ``#`` is a comment -- including every continuation line that a
  trailing backslash glues onto it.  Leading blanks are allowed before a
  directive, but ``   # text`` is not a comment to kmod: it is a bad line that
  kmod ignores with an error, and we report it in ``problems``.
* Module names are normalised ``-`` -> ``_`` as kmod's ``underscores()`` does.
* ``modprobe.blacklist=a,b`` on the kernel command line adds blacklist
  entries (``kmod_config_parse_kcmdline``); ``module_blacklist=a,b`` is the
  kernel's own list (``kernel/module``), enforced by the kernel for every load.
* ``/etc/modprobe.conf`` is not read by kmod; only module-init-tools (RHEL 6
  and older) read it, before modprobe.d.  Pass ``module_init_tools=True`` for
  such hosts.

Nothing here reads files: callers pass ``{host path: text}``.  Functions never
raise on any input; what they cannot understand goes into ``problems``.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type  # noqa: UP001 - Python 2.7 still runs this file

import posixpath
import re
import shlex

# Where kmod and systemd look: the one list of sources (capture_spec), kept under the names callers use;
# in which order they read what they find there: module_utils.dropins.
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import dropins
# MODPROBE_DIRS and MODULES_LOAD_DIRS are re-exported: callers and tests read pm.MODPROBE_DIRS.
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.capture_spec import (  # pylint: disable=unused-import
    DEBIAN_MODULES_FILE,
    LEGACY_MODPROBE_CONF,
    MODPROBE_DIRS,  # noqa: F401
    MODULES_LOAD_DIRS,  # noqa: F401
)
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import lazy_compile

CMDLINE_SOURCE = "/proc/cmdline"

DIRECTIVES = ("alias", "blacklist", "install", "remove", "options", "softdep")
# kmod still recognises these words but ignores them with a warning.
DEPRECATED_DIRECTIVES = ("include", "config")

# install commands that end successfully without loading anything: the caller
# (the kernel's request_module() loop in seed 000) believes the load worked.
NOOP_COMMANDS = frozenset((
    "/bin/true", "/usr/bin/true", "true", ":", "exit 0", "exit",
    "/bin/echo", "/usr/bin/echo", "echo",
))
# install commands that fail, so the load fails with an error.
FAIL_COMMANDS = frozenset((
    "/bin/false", "/usr/bin/false", "false", "/dev/null", "/bin/null",
))
_LOADERS = ("modprobe", "insmod")
_MODULE_FILE_SUFFIX = lazy_compile(r"\.ko(\.(gz|xz|zst))?$")


def _to_text(value):
    """Return ``value`` as text; bytes are decoded leniently, None is ''."""
    if value is None:
        return u""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    try:
        return u"%s" % (value,)
    except Exception:  # pragma: no cover - objects with a broken __str__
        return u""


def normalise_module_name(name):
    """kmod's ``underscores()``: dashes become underscores outside ``[...]``."""
    out = []
    depth = 0
    for char in _to_text(name):
        if char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
        if char == "-" and not depth:
            char = "_"
        out.append(char)
    return u"".join(out)


def logical_lines(text):
    """Split ``text`` into kmod logical lines.

    Yields ``(first_line, last_line, logical_text, original_text)`` with
    1-based physical line numbers.  ``original_text`` is the physical lines as
    written (joined with newlines) so an editor can comment them out.
    """
    text = _to_text(text)
    physical = text.split(u"\n")
    if physical and physical[-1] == u"":
        physical.pop()
    index = 0
    count = len(physical)
    while index < count:
        first = index
        pieces = []
        while True:
            line = physical[index]
            buf = []
            pos = 0
            continued = False
            length = len(line)
            while pos < length:
                char = line[pos]
                if char == u"\\":
                    if pos + 1 == length:
                        # backslash before the newline: glue the next line on
                        continued = True
                        pos += 1
                        continue
                    buf.append(line[pos + 1])
                    pos += 2
                    continue
                buf.append(char)
                pos += 1
            pieces.append(u"".join(buf))
            if continued and index + 1 < count:
                index += 1
                continue
            break
        yield (first + 1, index + 1, u"".join(pieces),
               u"\n".join(physical[first:index + 1]))
        index += 1


def _order_config_files(texts, rules):
    """Apply the tool's drop-in precedence (module_utils.dropins) to ``{path: text}``.

    Returns ``(effective, entries)``: ``effective`` is the list of paths to
    read, in reading order; ``entries`` describes every path given, in the
    order the tool considers them, with ``shadowed_by`` and ``ignored`` (a
    mask is "ignored" with its reason). None texts are unreadable files, not
    masks: the callers read a /dev/null link as "".
    """
    plan = dropins.resolve(dropins.kinds_from_texts(texts, none_is_mask=False), rules)
    entries = [{"path": item["path"], "shadowed_by": item["by"],
                "ignored": item["reason"] if item["status"] in (dropins.IGNORED, dropins.MASKED) else None}
               for item in plan["files"]]
    return plan["read"], entries


def _parse_directive(logical, path, first, last, original, problems):
    """Return a directive dict for one logical line, or None."""
    if logical == u"" or logical.startswith(u"#"):
        return None
    stripped = logical.strip(u" \t\r")
    if stripped == u"":
        return None
    if logical.endswith(u"\r"):
        problems.append("%s:%d: line ends with a carriage return (DOS line end); kmod keeps the "
                        "\\r in the last word, so this line may not act as written" % (path, first))
        logical = logical.rstrip(u"\r")
    # kmod splits on blanks and tabs only; other whitespace is part of a word.
    words = re.split(u"[ \t]+", logical.strip(u" \t"), maxsplit=2)
    command = words[0]
    if command.startswith(u"#"):
        problems.append("%s:%d: '#' after leading blanks is not a comment to kmod; "
                        "the line is ignored as a bad line" % (path, first))
        return None
    if command in DEPRECATED_DIRECTIVES:
        problems.append("%s:%d: command '%s' is deprecated and ignored by kmod" % (path, first, command))
        return None
    if command not in DIRECTIVES:
        problems.append("%s:%d: ignoring bad line starting with '%s'" % (path, first, command[:40]))
        return None
    if len(words) < 2 or words[1] == u"":
        problems.append("%s:%d: '%s' without a module name is ignored" % (path, first, command))
        return None
    module = words[1]
    args = words[2] if len(words) > 2 else u""
    if command == "alias":
        # alias WILDCARD MODULE: the name that matters is the target.
        target = re.split(u"[ \t]+", args.strip(u" \t"))[0] if args.strip(u" \t") else u""
        if not target:
            problems.append("%s:%d: alias without a target module is ignored" % (path, first))
            return None
        args = target
    elif command in ("options", "install", "remove", "softdep") and args.strip(u" \t") == u"":
        problems.append("%s:%d: '%s %s' without arguments is ignored by kmod" % (path, first, command, module))
        return None
    elif command == "blacklist":
        # kmod takes the first word only; the rest of the line is ignored.
        args = args.strip(u" \t")
    return {
        "directive": command,
        "module": normalise_module_name(module),
        "args": args.strip(u" \t"),
        "file": path,
        "line": first,
        "end_line": last,
        "text": original,
    }


def parse_cmdline_blacklist(cmdline):
    """Blacklist entries from kernel command line text.

    Returns a list of ``{"module", "value", "param"}`` where ``param`` is
    ``modprobe.blacklist`` (read by modprobe) or ``module_blacklist`` (enforced
    by the kernel itself).  Quotes around a value are removed.
    """
    entries = []
    text = _to_text(cmdline)
    try:
        tokens = shlex.split(text)
    except Exception:  # unbalanced quotes; Python 2 shlex and non-ASCII text
        tokens = text.split()
    for token in tokens:
        for param in ("modprobe.blacklist=", "module_blacklist="):
            if token.startswith(param):
                value = token[len(param):]
                for name in value.split(","):
                    # the kernel drops the quotes of param="a,b", balanced or not
                    name = name.strip().strip('"')
                    if name:
                        entries.append({
                            "module": normalise_module_name(name),
                            "value": token,
                            "param": param[:-1],
                        })
    return entries


def modprobe_facts(files, cmdline=None, module_init_tools=False):
    """Effective modprobe configuration from ``{host path: text}``.

    ``files`` holds every entry found directly in ``MODPROBE_DIRS`` (and
    ``/etc/modprobe.conf`` when present).  ``cmdline`` is the text of
    /proc/cmdline, or None.  ``module_init_tools`` selects the pre-kmod
    reader (RHEL 6 and older): /etc/modprobe.conf is read first and modprobe.d
    file names need not end in .conf.

    Returns ``{"files", "directives", "cmdline_blacklist", "problems"}``; see
    docs/architecture.md.  Directives come only from files that are read.
    Each directive has ``directive``, ``module`` (normalised), ``args``,
    ``file``, ``line`` and ``end_line`` (first and last physical line) and
    ``text`` (the physical lines as written).  For ``alias`` the ``module`` is
    the alias name and ``args`` the target module; for ``blacklist`` ``args``
    is what kmod ignores after the name.  ``cmdline_blacklist`` items are
    ``{"module", "value", "param"}``.
    """
    problems = []
    if not isinstance(files, dict):
        problems.append("modprobe configuration was not given as a mapping of path to text")
        files = {}
    paths = []
    for path in files:
        text_path = _to_text(path)
        if text_path:
            paths.append(text_path)
    text_by_path = dict((_to_text(k), v) for k, v in files.items())

    legacy_entry = None
    regular = [p for p in paths if p != LEGACY_MODPROBE_CONF]
    if LEGACY_MODPROBE_CONF in text_by_path:
        if module_init_tools:
            legacy_entry = {"path": LEGACY_MODPROBE_CONF, "shadowed_by": None, "ignored": None}
        else:
            legacy_entry = {"path": LEGACY_MODPROBE_CONF, "shadowed_by": None,
                            "ignored": "kmod does not read /etc/modprobe.conf (only module-init-tools did)"}
    effective, entries = _order_config_files(
        dict((p, text_by_path[p]) for p in regular),
        dropins.MODPROBE_D_MODULE_INIT_TOOLS_RULES if module_init_tools else dropins.MODPROBE_D_RULES)
    if legacy_entry is not None:
        entries.insert(0, legacy_entry)
        if legacy_entry["ignored"] is None:
            effective.insert(0, LEGACY_MODPROBE_CONF)

    directives = []
    for path in effective:
        text = text_by_path.get(path)
        if text is None:
            problems.append("%s: no text (unreadable?)" % path)
            continue
        text = _to_text(text)
        if u"\x00" in text:
            problems.append("%s: contains NUL bytes; kmod would stop reading lines at them" % path)
        for first, last, logical, original in logical_lines(text):
            directive = _parse_directive(logical, path, first, last, original, problems)
            if directive is not None:
                directives.append(directive)

    cmdline_entries = [{"module": e["module"], "value": e["value"], "param": e["param"]}
                       for e in parse_cmdline_blacklist(cmdline)] if cmdline else []
    return {
        "files": entries,
        "directives": directives,
        "cmdline_blacklist": cmdline_entries,
        "problems": problems,
    }


def _strip_shell_comment(command):
    match = re.search(r"(^|[ \t;])#", command)
    if match:
        command = command[:match.start()]
    return command.strip(u" \t;")


def _command_loads_module(command, module):
    """True when an install command runs modprobe/insmod for ``module``."""
    words = re.split(r"[ \t;&|(){}]+", command)
    loader_seen = False
    for word in words:
        if not word:
            continue
        base = posixpath.basename(word)
        if base in _LOADERS:
            loader_seen = True
            continue
        if not loader_seen or word.startswith("-") or word.startswith("$"):
            continue
        candidate = _MODULE_FILE_SUFFIX.sub("", posixpath.basename(word))
        if normalise_module_name(candidate) == module:
            return True
    return False


def classify_install(command, module):
    """Classify the command of ``install MODULE COMMAND``.

    Returns None when the command loads the module itself (the usual
    ``/sbin/modprobe --ignore-install MODULE $CMDLINE_OPTS`` wrapper), else
    ``install_noop`` (succeeds without loading), ``install_fail`` (fails) or
    ``install_other`` (runs something else; the module is not loaded).
    """
    module = normalise_module_name(module)
    cleaned = _strip_shell_comment(_to_text(command))
    collapsed = u" ".join(cleaned.split())
    if _command_loads_module(cleaned, module):
        return None
    first_word = collapsed.split(u" ", 1)[0] if collapsed else u""
    if collapsed in NOOP_COMMANDS or first_word in ("/bin/echo", "/usr/bin/echo", "echo"):
        return "install_noop"
    if collapsed in FAIL_COMMANDS or first_word in FAIL_COMMANDS:
        return "install_fail"
    if re.match(r"^exit\s+[1-9][0-9]*$", collapsed):
        return "install_fail"
    if first_word in ("/bin/true", "/usr/bin/true", "true"):
        return "install_noop"
    return "install_other"


def disabling_directives(facts, module):
    """Everything in ``facts`` (from :func:`modprobe_facts`) that stops ``module``.

    Each item is the directive (or command-line entry) plus ``kind``:

    ``blacklist``
        ``blacklist MODULE``.  kmod ignores the module's aliases: the kernel's
        ``request_module("nf_conntrack-2")`` and udev modalias loads fail, and
        systemd-modules-load skips it (it probes with
        ``KMOD_PROBE_APPLY_BLACKLIST``).  An explicit ``modprobe MODULE`` and a
        load as another module's dependency still work.
    ``cmdline``
        ``modprobe.blacklist=`` on the kernel command line: kmod adds it to the
        same blacklist, so it acts exactly like ``blacklist``.
    ``cmdline_kernel``
        ``module_blacklist=`` on the kernel command line: the kernel refuses
        every load of the module, explicit or not.
    ``install_noop``
        ``install MODULE /bin/true`` and friends: every load, explicit or as a
        dependency, "succeeds" without loading anything.  Before 4.19 the
        kernel's conntrack l3proto lookup then retries for ever (seed 000).
    ``install_fail``
        ``install MODULE /bin/false`` or ``/dev/null``: every load fails.
    ``install_other``
        ``install MODULE CMD`` where CMD never runs modprobe/insmod for
        MODULE: the module is not loaded.
    ``alias_redirect``
        ``alias MODULE other`` (e.g. ``alias nf_conntrack off``): aliases in
        the configuration override module names, so ``modprobe MODULE``
        loads ``other`` (or fails) instead.

    The ``install_*`` kinds and ``alias_redirect`` block an explicit
    ``modprobe MODULE`` as well; only ``modprobe --ignore-install`` / insmod
    get round the install kinds.
    """
    found = []
    if not isinstance(facts, dict):
        return found
    module = normalise_module_name(module)
    for item in facts.get("directives") or []:
        if not isinstance(item, dict) or item.get("module") != module:
            continue
        directive = item.get("directive")
        kind = None
        if directive == "blacklist":
            kind = "blacklist"
        elif directive == "install":
            kind = classify_install(item.get("args", u""), module)
        elif directive == "alias":
            target = normalise_module_name(item.get("args", u""))
            if target and target != module:
                kind = "alias_redirect"
        if kind:
            entry = dict(item)
            entry["kind"] = kind
            found.append(entry)
    for item in facts.get("cmdline_blacklist") or []:
        if not isinstance(item, dict) or item.get("module") != module:
            continue
        param = item.get("param", "modprobe.blacklist")
        found.append({
            "kind": "cmdline_kernel" if param == "module_blacklist" else "cmdline",
            "directive": "blacklist",
            "module": module,
            "args": u"",
            "file": CMDLINE_SOURCE,
            "line": 1,
            "end_line": 1,
            "text": item.get("value", u""),
            "value": item.get("value", u""),
            "param": param,
        })
    return found


def modules_load_facts(files):
    """Modules loaded at boot from modules-load.d and Debian's /etc/modules.

    ``files`` is ``{host path: text}``.  systemd-modules-load strips blanks,
    skips empty lines and lines starting with ``#`` or ``;``, and takes the
    whole remaining line as one module name.  /etc/modules is read the same
    way (Debian links it as /etc/modules-load.d/modules.conf); a line there with
    parameters after the name worked with the old init script only.

    Returns ``{"entries": [{"module", "file", "line"}], "files", "problems"}``.
    """
    problems = []
    if not isinstance(files, dict):
        problems.append("modules-load configuration was not given as a mapping of path to text")
        files = {}
    text_by_path = dict((_to_text(k), v) for k, v in files.items() if _to_text(k))
    regular = [p for p in text_by_path if p != DEBIAN_MODULES_FILE]
    effective, entries = _order_config_files(
        dict((p, text_by_path[p]) for p in regular), dropins.MODULES_LOAD_D_RULES)
    if DEBIAN_MODULES_FILE in text_by_path:
        linked = "/etc/modules-load.d/modules.conf"
        if linked in effective and _to_text(text_by_path.get(linked)) == _to_text(text_by_path[DEBIAN_MODULES_FILE]):
            entries.append({"path": DEBIAN_MODULES_FILE, "shadowed_by": None,
                            "ignored": "same content as %s (Debian links one to the other); counted once" % linked})
        else:
            entries.append({"path": DEBIAN_MODULES_FILE, "shadowed_by": None, "ignored": None})
            effective.append(DEBIAN_MODULES_FILE)

    found = []
    for path in effective:
        text = text_by_path.get(path)
        if text is None:
            problems.append("%s: no text (unreadable?)" % path)
            continue
        for number, raw in enumerate(_to_text(text).split(u"\n"), 1):
            line = raw.strip()
            if not line or line[0] in u"#;":
                continue
            if u"\x00" in line:
                problems.append("%s:%d: NUL byte in a module name; ignored" % (path, number))
                continue
            words = line.split()
            if len(words) > 1:
                problems.append("%s:%d: '%s' has words after the module name; systemd-modules-load "
                                "looks up the whole line as one name and fails" % (path, number, line[:80]))
                if path != DEBIAN_MODULES_FILE:
                    continue
            found.append({"module": normalise_module_name(words[0]), "file": path, "line": number})
    return {"entries": found, "files": entries, "problems": problems}
