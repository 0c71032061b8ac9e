# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parsers for systemd-networkd configuration and its effect on IP forwarding.

Three layers, each a pure function of text (no I/O, never raises):

* ``parse_unit_text`` reads the systemd unit-file syntax of one file.
* ``networkd_facts`` applies networkd's file precedence (same-name masking,
  ``/dev/null`` masks, ``.network.d`` drop-ins, ``networkd.conf.d``) and its
  ``[Match]`` logic to a set of files and the host's live interfaces.
* ``forwarding_effect`` says what the running networkd version does to the
  per-link ``net.ipv4.conf.<link>.forwarding`` sysctl with those settings.

Version facts (see docs and ``../shared/research/facts.md``):

* v219-v227 write ``forwarding=0`` to every link they manage unless the
  ``.network`` file says ``IPForward=yes``/``ipv4`` (or ``IPMasquerade=yes``);
  v221 added ``IPForward=kernel`` (leave the sysctl alone).
* v228-v255 only ever turn forwarding on (and propagate it to the global
  setting); they never write 0.
* v256+ ignore ``IPForward=`` (a warning only) and use ``IPv4Forwarding=`` per
  link, whose default comes from ``[Network] IPv4Forwarding=`` in
  networkd.conf(.d); ``IPMasquerade=`` implies forwarding on the link. So
  ``IPv4Forwarding=no`` (per link or global) brings the reset back.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type  # noqa: UP001 - Python 2.7 still runs this file

import fnmatch
import posixpath

# Where networkd looks (systemd.network(5), networkd.conf(5)): the one list of sources, capture_spec;
# in which order it reads what it finds there: module_utils.dropins.
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import dropins
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.capture_spec import (
    NETWORK_DIRS,
    NETWORKD_CONF_DROPIN_DIRS,
    NETWORKD_CONF_MAIN_PATHS,
)


# The [Network] keys that decide per-link forwarding.
FORWARDING_KEYS = ("IPForward", "IPv4Forwarding", "IPv6Forwarding", "IPMasquerade")

# [Match] keys this module can evaluate against a live interface, and the
# interface-dict field each one needs. Anything else in [Match] (Host=,
# Virtualization=, Path=, Property=, SSID=, ...) cannot be judged from names
# alone, so the file is reported as *possibly* matching.
_MATCH_STRV_KEYS = {
    "Name": "name",
    "OriginalName": "name",
    "Type": "type",
    "Kind": "kind",
    "Driver": "driver",
}
_MATCH_MAC_KEYS = {
    "MACAddress": "mac",
    "PermanentMACAddress": "permanent_mac",
}

# networkd learnt "!" negation in [Match] lists in v233 (systemd PR #4809).
_MATCH_NEGATION_SINCE = 233

_TRUE_WORDS = ("1", "yes", "y", "true", "t", "on")
_FALSE_WORDS = ("0", "no", "n", "false", "f", "off")

# Version boundaries of networkd's forwarding behaviour.
_FIRST_IPFORWARD = 219
_FIRST_IPFORWARD_KERNEL = 221
_FIRST_NO_RESET = 228
_FIRST_PER_LINK_FORWARDING = 256

try:  # Python 2: accept both str and unicode as text
    _TEXT_TYPES = (str, unicode)  # noqa: F821 pylint: disable=undefined-variable
except NameError:
    _TEXT_TYPES = (str,)


def parse_boolean(value):
    """systemd's parse_boolean(): True, False, or None when not a boolean word."""
    if not isinstance(value, _TEXT_TYPES):
        return None
    word = value.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    return None


def parse_unit_text(text, path):
    """Parse systemd unit/ini syntax.

    Returns ``{"sections": [{"name", "line", "entries": [{"key", "value", "line"}]}],
    "problems": [str]}``. Handles ``#``/``;`` comments, ``[Section]`` headers,
    ``Key=Value`` (whitespace around key and value stripped), repeated keys
    (every assignment kept, in order; the caller decides whether the last wins
    or a list accumulates), empty values (kept as ``""``: for list settings
    they reset the list), and line continuation: a trailing backslash joins
    the next line with the backslash replaced by a space, and comment lines
    inside a continued value are skipped, as systemd.syntax(7) describes.
    """
    result = {"sections": [], "problems": []}
    where = path if isinstance(path, _TEXT_TYPES) and path else "<text>"
    if text is None:
        return result
    if isinstance(text, bytes):  # py3 bytes, py2 str: decode so comparisons with unicode never raise
        text = text.decode("utf-8", "replace")
    if not isinstance(text, _TEXT_TYPES):
        result["problems"].append("%s: not text (%s), ignored" % (where, type(text).__name__))
        return result
    if text.startswith(u"\ufeff"):
        text = text[1:]

    current = None
    pending = None  # (start line, accumulated text) of a continued line
    # Split on newlines only (not str.splitlines(), which also splits on form
    # feeds and other separators) so line numbers match what an editor shows.
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    for number, raw in enumerate(lines, 1):
        if pending is not None:
            stripped = raw.strip()
            if stripped[:1] in ("#", ";"):
                continue
            start, accumulated = pending
            joined = accumulated + raw
        else:
            stripped = raw.strip()
            if not stripped or stripped[:1] in ("#", ";"):
                continue
            start, joined = number, raw
        if joined.rstrip().endswith("\\") and not joined.rstrip().endswith("\\\\"):
            pending = (start, joined.rstrip()[:-1] + " ")
            if number < len(lines):
                continue
            result["problems"].append(
                "%s:%d: line continuation at end of file" % (where, start))
            joined = pending[1]
        pending = None
        current = _parse_logical_line(joined.strip(), start, where, current, result)
    if pending is not None:  # the file ended in comment lines inside a continued value
        result["problems"].append("%s:%d: line continuation at end of file" % (where, pending[0]))
        _parse_logical_line(pending[1].strip(), pending[0], where, current, result)
    return result


def _parse_logical_line(line, number, where, current, result):
    """Handle one logical (joined) line; returns the section now in effect."""
    if not line:
        return current
    if line.startswith("["):
        if not line.endswith("]") or len(line) < 3:
            result["problems"].append(
                "%s:%d: invalid section header %r; its settings are ignored" % (where, number, line))
            return None
        section = {"name": line[1:-1].strip(), "line": number, "entries": []}
        result["sections"].append(section)
        return section
    if "=" not in line:
        result["problems"].append(
            "%s:%d: missing '=' in %r, ignored" % (where, number, _shorten(line)))
        return current
    key, value = line.split("=", 1)
    key = key.strip()
    if not key:
        result["problems"].append("%s:%d: assignment without a key, ignored" % (where, number))
        return current
    if current is None:
        result["problems"].append(
            "%s:%d: %s= outside of any valid section, ignored" % (where, number, key))
        return current
    current["entries"].append({"key": key, "value": value.strip(), "line": number})
    return current


def _shorten(text, limit=80):
    return text if len(text) <= limit else text[:limit] + "..."


# --------------------------------------------------------------------------
# File precedence
# --------------------------------------------------------------------------

def _resolve(paths, files, rules):
    """dropins.resolve over ``paths`` (None text: a /dev/null link)."""
    return dropins.resolve(dropins.kinds_from_texts(dict((p, files[p]) for p in paths)), rules)


def _is_mask(item, rules):
    return item["kind"] in rules["masks"]


def _classify(path):
    """Which kind of networkd file a host path is, or None."""
    directory, name = posixpath.split(path)
    if path in NETWORKD_CONF_MAIN_PATHS:
        return "conf"
    if directory in NETWORKD_CONF_DROPIN_DIRS and name.endswith(".conf"):
        return "conf_dropin"
    if directory in NETWORK_DIRS and name.endswith(".network"):
        return "network"
    parent, dropin_dir = posixpath.split(directory)
    if parent in NETWORK_DIRS and dropin_dir.endswith(".network.d") and name.endswith(".conf"):
        return "network_dropin"
    return None


def _section_entries(parsed, section_name):
    for section in parsed["sections"]:
        if section["name"] == section_name:
            for entry in section["entries"]:  # noqa: UP028 - no "yield from" on Python 2.7  # pylint: disable=use-yield-from
                yield entry


def _apply_scalar_settings(settings, parsed, path, section_name, keys=None):
    """Last assignment wins; an empty value resets the key to its default."""
    for entry in _section_entries(parsed, section_name):
        if keys is not None and entry["key"] not in keys:
            continue
        if entry["value"] == "":
            settings[entry["key"]] = None
        else:
            settings[entry["key"]] = {"value": entry["value"], "file": path, "line": entry["line"]}


# --------------------------------------------------------------------------
# [Match]
# --------------------------------------------------------------------------

def _split_words(value):
    words = []
    for word in value.split():
        if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
            word = word[1:-1]
        if word:
            words.append(word)
    return words


def _collect_match(parsed_files):
    """Merge [Match] of the main file and its drop-ins (in read order).

    Returns (match, assigned): ``match`` maps key -> list of patterns (every
    [Match] key is a list that accumulates; an empty assignment resets it, as
    a drop-in may do), ``assigned`` tells whether any [Match] line was seen.
    """
    match = {}
    assigned = False
    for _path, parsed in parsed_files:
        for entry in _section_entries(parsed, "Match"):
            key, value = entry["key"], entry["value"]
            assigned = True
            if value == "":
                match[key] = []
                continue
            if key in _MATCH_MAC_KEYS:
                match.setdefault(key, []).extend(w.lower() for w in _split_words(value))
            else:
                match.setdefault(key, []).extend(_split_words(value))
    return match, assigned


def _test_patterns(patterns, values, negation_supported):
    """systemd's net_condition_test_strv() over one or more candidate values.

    Any negative pattern ("!glob") that matches fails the test; when positive
    patterns exist at least one must match. Before v233 "!" had no meaning and
    is taken literally (it can never match an interface name).
    """
    if not patterns:
        return True
    matched = False
    has_positive = False
    for pattern in patterns:
        invert = pattern.startswith("!") and negation_supported
        glob = pattern[1:] if invert else pattern
        if not invert:
            has_positive = True
        hit = any(fnmatch.fnmatchcase(value, glob) for value in values if value)
        if hit and invert:
            return False
        if hit:
            matched = True
    return matched if has_positive else True


def _match_interface(match, iface, negation_supported):
    """"yes", "no" or "maybe" (a key cannot be checked) for one interface."""
    outcome = "yes"
    for key, patterns in match.items():
        if not patterns:
            continue
        if key in _MATCH_STRV_KEYS:
            field = _MATCH_STRV_KEYS[key]
            value = iface.get(field)
            if not isinstance(value, _TEXT_TYPES):
                outcome = "maybe"
                continue
            values = [value]
            if key == "Name":
                # Name= also matches alternative names (systemd.network(5)).
                altnames = iface.get("altnames")
                if isinstance(altnames, (list, tuple)):
                    values.extend(a for a in altnames if isinstance(a, _TEXT_TYPES))
            if not _test_patterns(patterns, values, negation_supported):
                return "no"
        elif key in _MATCH_MAC_KEYS:
            value = iface.get(_MATCH_MAC_KEYS[key])
            if not isinstance(value, _TEXT_TYPES):
                outcome = "maybe"
                continue
            if value.lower() not in patterns:
                return "no"
        else:
            outcome = "maybe"
    return outcome


def _normalise_interfaces(interfaces, problems):
    result = []
    if not isinstance(interfaces, (list, tuple)):
        if interfaces is not None:
            problems.append("interfaces: expected a list, got %s; no interface matched" % type(interfaces).__name__)
        return result
    for item in interfaces:
        if isinstance(item, _TEXT_TYPES):
            result.append({"name": item})
        elif isinstance(item, dict) and isinstance(item.get("name"), _TEXT_TYPES):
            result.append(item)
        else:
            problems.append("interfaces: ignored entry %r (needs a name)" % (item,))
    return result


# --------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------

def _parse_file(path, text, problems):
    parsed = parse_unit_text(text, path)
    problems.extend(parsed["problems"])
    return parsed


def _conf_facts(conf_paths, dropin_paths, files, problems):
    conf = {"settings": {}, "files": []}
    read_order = []
    for rules, paths in ((dropins.NETWORKD_CONF_RULES, conf_paths), (dropins.NETWORKD_CONF_D_RULES, dropin_paths)):
        plan = _resolve(paths, files, rules)
        conf["files"].extend({"path": item["path"], "shadowed_by": item["by"], "masked": _is_mask(item, rules)}
                             for item in plan["files"] if item["status"] != dropins.IGNORED)
        read_order.extend(plan["read"])
    settings = {}
    for path in read_order:
        _apply_scalar_settings(settings, _parse_file(path, files[path], problems), path, "Network")
    conf["settings"] = dict((k, v) for k, v in settings.items() if v is not None)
    return conf


def _dropins_for(name, dropin_paths, files):
    """Effective drop-ins of ``name``.network from every directory, in read order."""
    mine = [p for p in dropin_paths if posixpath.basename(posixpath.dirname(p)) == name + ".d"]
    return _resolve(mine, files, dropins.dropin_rules(dropins.NETWORK_RULES, name))["read"]


def networkd_facts(files, interfaces, version=None):
    """Build the ``networkd`` part of the facts document.

    ``files`` maps host paths to text (``None`` for a ``/dev/null`` mask) and
    should hold every ``*.network`` file in NETWORK_DIRS, every
    ``*.network.d/*.conf`` drop-in, networkd.conf and its drop-ins.
    ``interfaces`` lists live interface names, or dicts with ``name`` and
    optionally ``altnames``, ``type``, ``kind``, ``driver``, ``mac``,
    ``permanent_mac`` for the matching [Match] keys.
    ``version`` is the systemd version number (int) when known.
    """
    problems = []
    result = {"conf": {"settings": {}, "files": []}, "network_files": [], "problems": problems}
    if not isinstance(files, dict):
        problems.append("files: expected a mapping of path to text, got %s" % type(files).__name__)
        return result
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        problems.append("version %r is not a number; treated as unknown" % (version,))
        version = None
    ifaces = _normalise_interfaces(interfaces, problems)
    negation_supported = version is None or version >= _MATCH_NEGATION_SINCE

    kinds = {"conf": [], "conf_dropin": [], "network": [], "network_dropin": []}
    for path in sorted(p for p in files if isinstance(p, _TEXT_TYPES)):
        kind = _classify(path)
        if kind is None:
            problems.append("%s: not a networkd configuration path, ignored" % path)
            continue
        text = files[path]
        if text is not None and not isinstance(text, _TEXT_TYPES):
            problems.append("%s: content is not text, treated as unreadable" % path)
            continue
        kinds[kind].append(path)

    result["conf"] = _conf_facts(kinds["conf"], kinds["conf_dropin"], files, problems)
    conf_settings = result["conf"]["settings"]

    claim = dict((iface["name"], "free") for iface in ifaces)  # free | maybe | taken
    for item in _resolve(kinds["network"], files, dropins.NETWORK_RULES)["files"]:
        if item["status"] == dropins.SHADOWED:
            result["network_files"].append({
                "path": item["path"], "shadowed_by": item["by"], "masked": False, "dropins": [],
                "match": {}, "unverified_match_keys": [], "settings": dict((k, None) for k in FORWARDING_KEYS),
                "interfaces": [], "possible_interfaces": [], "forwarding": None,
            })
            continue
        if item["status"] == dropins.IGNORED:  # _classify let only *.network names through
            continue
        entry = _network_file_facts(item["path"], item["name"], item["status"] == dropins.MASKED, files,
                                    kinds["network_dropin"], problems)
        if entry["masked"]:
            entry["match"] = {}
        else:
            _assign_interfaces(entry, ifaces, claim, negation_supported, version, problems)
            entry["forwarding"] = forwarding_effect(version, entry["settings"], conf_settings)
        result["network_files"].append(entry)
    return result


def _network_file_facts(path, name, masked, files, dropin_paths, problems):
    entry = {"path": path, "shadowed_by": None, "masked": masked,
             "dropins": [], "match": {}, "unverified_match_keys": [],
             "settings": dict((k, None) for k in FORWARDING_KEYS),
             "interfaces": [], "possible_interfaces": [], "forwarding": None}
    if entry["masked"]:
        return entry
    read = [(path, _parse_file(path, files[path], problems))]
    for dropin in _dropins_for(name, dropin_paths, files):
        entry["dropins"].append(dropin)
        read.append((dropin, _parse_file(dropin, files[dropin], problems)))
    settings = {}
    for source, parsed in read:
        _apply_scalar_settings(settings, parsed, source, "Network", FORWARDING_KEYS)
    for key in FORWARDING_KEYS:
        entry["settings"][key] = settings.get(key)
    entry["_parsed"] = read
    return entry


def _key_checkable(key, ifaces):
    """A [Match] key can be judged when every interface carries the field it needs."""
    field = _MATCH_STRV_KEYS.get(key) or _MATCH_MAC_KEYS.get(key)
    if field is None:
        return False
    return all(isinstance(iface.get(field), _TEXT_TYPES) for iface in ifaces)


def _assign_interfaces(entry, ifaces, claim, negation_supported, version, problems):
    """networkd applies the FIRST file (lexical order) whose [Match] matches."""
    read = entry.pop("_parsed")
    match, assigned = _collect_match(read)
    entry["match"] = match
    entry["unverified_match_keys"] = sorted(
        k for k, v in match.items() if v and not _key_checkable(k, ifaces))
    if not any(match.values()):
        problems.append(
            "%s: no usable [Match] setting%s; networkd applies such a file to every "
            "interface (and warns)" % (entry["path"], " (all were reset)" if assigned else ""))
    if not negation_supported and any(p.startswith("!") for v in match.values() for p in v):
        problems.append(
            "%s: [Match] uses '!' but systemd %s predates negation (v%d); the pattern is "
            "taken literally and never matches" % (entry["path"], version, _MATCH_NEGATION_SINCE))
    # Keys we cannot judge are a caveat of this file, kept in the entry
    # (unverified_match_keys, possible_interfaces), not a failure to read it.
    for iface in ifaces:
        state = claim[iface["name"]]
        if state == "taken":
            continue
        outcome = _match_interface(match, iface, negation_supported)
        if outcome == "yes" and state == "free":
            entry["interfaces"].append(iface["name"])
            claim[iface["name"]] = "taken"
        elif outcome == "yes":
            # An earlier file possibly took it; if it did not, this one does.
            entry["possible_interfaces"].append(iface["name"])
            claim[iface["name"]] = "taken"
        elif outcome == "maybe":
            entry["possible_interfaces"].append(iface["name"])
            claim[iface["name"]] = "maybe"


# --------------------------------------------------------------------------
# Effect on forwarding
# --------------------------------------------------------------------------

def _value(setting):
    if isinstance(setting, dict):
        value = setting.get("value")
        return value.strip().lower() if isinstance(value, _TEXT_TYPES) else None
    return None


def _where(setting):
    if isinstance(setting, dict) and setting.get("file"):
        return " (%s:%s)" % (setting.get("file"), setting.get("line"))
    return ""


def _masquerade_ipv4(setting):
    """IPMasquerade= covers IPv4: yes/true (== ipv4 since v248), ipv4, both."""
    value = _value(setting)
    return value is not None and (parse_boolean(value) is True or value in ("ipv4", "both"))


def _ipforward_ipv4(value):
    """IPForward= value enables IPv4 forwarding: a true boolean, ipv4, or both."""
    return value is not None and (parse_boolean(value) is True or value in ("ipv4", "both"))


def forwarding_effect(version, network_file_settings, conf_settings):
    """What networkd does to ``net.ipv4.conf.<link>.forwarding`` for one .network file.

    ``network_file_settings``: the file's ``settings`` (key -> {value, file, line} or None).
    ``conf_settings``: networkd.conf(.d) ``[Network]`` settings in the same form.
    Returns ``{"resets_forwarding", "ipforward_ignored", "effective_ipv4_forwarding",
    "reason"}``; ``effective_ipv4_forwarding`` is "yes" (networkd sets 1), "no"
    (networkd writes 0), "kernel" (networkd leaves the sysctl alone), or None
    when the version is unknown.
    """
    settings = network_file_settings if isinstance(network_file_settings, dict) else {}
    conf = conf_settings if isinstance(conf_settings, dict) else {}
    ipforward = settings.get("IPForward")
    masquerade = settings.get("IPMasquerade")
    ipforward_value = _value(ipforward)
    result = {"resets_forwarding": False, "ipforward_ignored": False,
              "effective_ipv4_forwarding": None, "reason": ""}

    if version is None or isinstance(version, bool) or not isinstance(version, int):
        result["reason"] = (
            "systemd version unknown: cannot tell whether networkd resets forwarding "
            "(v219-227 reset it without IPForward=yes, v256+ follow IPv4Forwarding=)")
        if ipforward_value is not None:
            result["reason"] += "; IPForward=%s%s is set" % (ipforward_value, _where(ipforward))
        return result

    if version < _FIRST_IPFORWARD:
        result["effective_ipv4_forwarding"] = "kernel"
        result["reason"] = "systemd %d predates IPForward= (v219): networkd does not touch forwarding" % version
        return result

    if version < _FIRST_PER_LINK_FORWARDING:
        return _effect_ipforward_era(version, ipforward, ipforward_value, masquerade, result)
    return _effect_per_link_era(version, settings, conf, ipforward, ipforward_value, masquerade, result)


def _effect_ipforward_era(version, ipforward, ipforward_value, masquerade, result):
    if _ipforward_ipv4(ipforward_value):
        result["effective_ipv4_forwarding"] = "yes"
        result["reason"] = "systemd %d: IPForward=%s%s turns IPv4 forwarding on for the link" % (
            version, ipforward_value, _where(ipforward))
        return result
    if _masquerade_ipv4(masquerade):
        result["effective_ipv4_forwarding"] = "yes"
        result["reason"] = "systemd %d: IPMasquerade=%s%s implies IPForward=ipv4" % (
            version, _value(masquerade), _where(masquerade))
        return result
    if version < _FIRST_NO_RESET:
        if ipforward_value == "kernel" and version >= _FIRST_IPFORWARD_KERNEL:
            result["effective_ipv4_forwarding"] = "kernel"
            result["reason"] = "IPForward=kernel%s: systemd %d leaves the sysctl alone" % (_where(ipforward), version)
            return result
        result["resets_forwarding"] = True
        result["effective_ipv4_forwarding"] = "no"
        if ipforward_value is None:
            why = "no IPForward= is set"
        elif ipforward_value == "kernel":
            why = "IPForward=kernel%s is not understood before v221" % _where(ipforward)
        else:
            why = "IPForward=%s%s does not enable IPv4" % (ipforward_value, _where(ipforward))
        result["reason"] = (
            "systemd %d (v219-227) writes forwarding=0 to every link it manages unless "
            "IPForward=yes/ipv4 or IPMasquerade=yes; %s" % (version, why))
        return result
    result["effective_ipv4_forwarding"] = "kernel"
    result["reason"] = (
        "systemd %d (v228-255) only turns forwarding on, never off; without IPForward=yes "
        "it leaves the sysctl alone" % version)
    return result


def _effect_per_link_era(version, settings, conf, ipforward, ipforward_value, masquerade, result):
    if ipforward_value is not None:
        result["ipforward_ignored"] = True
    ignored_note = ""
    if result["ipforward_ignored"]:
        ignored_note = "; IPForward=%s%s is deprecated and ignored since v256" % (ipforward_value, _where(ipforward))
    link_setting = settings.get("IPv4Forwarding")
    link_value = parse_boolean(_value(link_setting)) if link_setting else None
    global_setting = conf.get("IPv4Forwarding")
    global_value = parse_boolean(_value(global_setting)) if global_setting else None

    if link_value is not None:
        source = "IPv4Forwarding=%s%s in the .network file" % (_value(link_setting), _where(link_setting))
        chosen = link_value
    elif _masquerade_ipv4(masquerade):
        source = "IPMasquerade=%s%s implies IPv4Forwarding=yes" % (_value(masquerade), _where(masquerade))
        chosen = True
    elif global_value is not None:
        source = ("networkd.conf [Network] IPv4Forwarding=%s%s is host-wide (all and default forwarding) "
                  "and so the value for every link" % (_value(global_setting), _where(global_setting)))
        chosen = global_value
    else:
        result["effective_ipv4_forwarding"] = "kernel"
        result["reason"] = ("systemd %d: IPv4Forwarding= is unset per link and in networkd.conf, "
                            "so networkd leaves the sysctl alone%s" % (version, ignored_note))
        if link_setting is not None or global_setting is not None:
            result["reason"] += " (an IPv4Forwarding= value is not a boolean and is ignored)"
        return result
    result["effective_ipv4_forwarding"] = "yes" if chosen else "no"
    result["resets_forwarding"] = not chosen
    result["reason"] = "systemd %d: %s%s" % (version, source, ignored_note)
    if not chosen:
        result["reason"] += "; networkd writes forwarding=0 to the link"
    return result


# --------------------------------------------------------------------------
# .netdev files: the links systemd-networkd creates itself
# --------------------------------------------------------------------------

# systemd.netdev(5): the same directories, order and same-name override as
# .network files, and a foo.netdev.d/*.conf drop-in directory.
def _classify_netdev(path):
    directory, name = posixpath.split(path)
    if directory in NETWORK_DIRS and name.endswith(".netdev"):
        return "netdev"
    parent, dropin_dir = posixpath.split(directory)
    if parent in NETWORK_DIRS and dropin_dir.endswith(".netdev.d") and name.endswith(".conf"):
        return "netdev_dropin"
    return None


def netdev_links(files):
    """The links systemd-networkd creates from its ``.netdev`` files.

    ``files`` maps host paths of ``*.netdev`` and ``*.netdev.d/*.conf`` files
    to text (``None`` for a ``/dev/null`` mask). Returns ``{"links": [...],
    "problems": [...]}``; each link is ``{"name", "kind", "file", "line",
    "role", "conditions"}`` with ``role`` ``netdev`` for ``[NetDev] Name=``
    and ``peer`` for a veth's ``[Peer] Name=`` (networkd creates both ends),
    ``file``/``line`` where the name was set (a drop-in may set it), and
    ``conditions`` the ``[Match]`` keys (Host=, Virtualization=, ...) that
    make the creation conditional. A file without ``Name=`` or ``Kind=``
    creates nothing (networkd refuses it) and is named in ``problems``.

    Sample input::

        {"/etc/systemd/network/21-veth-ctr0.netdev":
         "[NetDev]\\nName=veth-ctr0\\nKind=veth\\n\\n[Peer]\\nName=ctr0-eth0\\n"}
    """
    problems = []
    result = {"links": [], "problems": problems}
    if not isinstance(files, dict):
        problems.append("files: expected a mapping of path to text, got %s" % type(files).__name__)
        return result
    mains, dropin_paths = [], []
    for path in sorted(p for p in files if isinstance(p, _TEXT_TYPES)):
        kind = _classify_netdev(path)
        text = files[path]
        if kind is None:
            problems.append("%s: not a .netdev path, ignored" % path)
        elif text is not None and not isinstance(text, _TEXT_TYPES):
            problems.append("%s: content is not text, treated as unreadable" % path)
        else:
            (mains if kind == "netdev" else dropin_paths).append(path)
    for winner in _resolve(mains, files, dropins.NETDEV_RULES)["read"]:
        name = posixpath.basename(winner)
        read = [(winner, _parse_file(winner, files[winner], problems))]
        mine = [p for p in dropin_paths if posixpath.basename(posixpath.dirname(p)) == name + ".d"]
        for dropin in _resolve(mine, files, dropins.dropin_rules(dropins.NETDEV_RULES, name))["read"]:
            read.append((dropin, _parse_file(dropin, files[dropin], problems)))
        settings = {}
        peer = {}
        conditions = []
        for source, parsed in read:
            _apply_scalar_settings(settings, parsed, source, "NetDev", ("Name", "Kind"))
            _apply_scalar_settings(peer, parsed, source, "Peer", ("Name",))
            conditions.extend(entry["key"] for entry in _section_entries(parsed, "Match")
                              if entry["value"] and entry["key"] not in conditions)
        link_name, kind = settings.get("Name"), settings.get("Kind")
        if not link_name or not kind:
            problems.append("%s: no %s in [NetDev]; networkd creates nothing from it" % (
                winner, "Name=" if not link_name else "Kind="))
            continue
        kind_value = kind["value"]
        result["links"].append({"name": link_name["value"], "kind": kind_value, "file": link_name["file"],
                                "line": link_name["line"], "role": "netdev", "conditions": conditions})
        if kind_value == "veth" and peer.get("Name"):
            result["links"].append({"name": peer["Name"]["value"], "kind": "veth", "file": peer["Name"]["file"],
                                    "line": peer["Name"]["line"], "role": "peer", "conditions": conditions})
    return result
