# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers of the kernel module lists: /proc/modules, lsmod, modules.builtin, modules.dep.

Pure functions of text (docs/architecture.md, "Parser conventions"); module
names are kept as the kernel prints them, ``module_name`` normalises them the
way kmod compares them.

Sample input (``/proc/modules``)::

    nf_conntrack 139224 7 nf_nat,xt_conntrack, Live 0xffffffffa0470000
    bridge 151336 1 br_netfilter, Live 0xffffffffa0432000

>>> parse_proc_modules("nf_nat 26583 1 iptable_nat, Live 0xffffffffa0460000")["modules"]["nf_nat"]["users"]
['iptable_nat']
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import (
    as_text,
    excerpt,
    lazy_compile,
    lines_of,
    to_int,
)


_MODULE_NAME_RE = lazy_compile(r'^[A-Za-z0-9_\-]+$')


def module_name(name):
    """Return a module name normalised the way kmod compares them ('-' == '_')."""
    return as_text(name).replace('-', '_')


# --------------------------------------------------------------------------
# Loaded, built-in and available modules
# --------------------------------------------------------------------------

def _users_from_field(field):
    """Return the module names in a users field ('-', 'a,b,', '[permanent],')."""
    if field in ('-', ''):
        return []
    users = []
    for user in field.split(','):
        user = user.strip()
        # "[permanent]" marks a module with init but no exit; it is not a user.
        if user and _MODULE_NAME_RE.match(user):
            users.append(user)
    return users


def parse_proc_modules(text):
    """Parse /proc/modules.

    Returns ``{"modules": {name: {"size": int, "refcount": int|None,
    "users": [str], "state": str|None}}, "problems": [str]}``.  ``refcount`` is
    None when the kernel prints ``-`` (built without CONFIG_MODULE_UNLOAD).
    """
    modules = {}
    problems = []
    for number, line in enumerate(lines_of(text), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 3 or not _MODULE_NAME_RE.match(fields[0]):
            problems.append('line %d: not a /proc/modules entry: %s' % (number, excerpt(line)))
            continue
        size = to_int(fields[1])
        if size is None:
            problems.append('line %d: module size is not a number: %s' % (number, excerpt(line)))
            continue
        refcount = None if fields[2] == '-' else to_int(fields[2])
        if refcount is None and fields[2] != '-':
            problems.append('line %d: module refcount is not a number: %s' % (number, excerpt(line)))
            continue
        users = _users_from_field(fields[3]) if len(fields) > 3 else []
        state = fields[4] if len(fields) > 4 else None
        modules[fields[0]] = {'size': size, 'refcount': refcount, 'users': users, 'state': state}
    return {'modules': modules, 'problems': problems}


def parse_lsmod(text):
    """Parse ``lsmod`` output (the ``Module Size Used by`` table).

    Returns the same shape as :func:`parse_proc_modules`, with ``state`` None
    because lsmod does not print it.
    """
    modules = {}
    problems = []
    for number, line in enumerate(lines_of(text), 1):
        fields = line.split()
        if not fields:
            continue
        if fields[:2] == ['Module', 'Size']:
            continue
        if len(fields) < 3 or not _MODULE_NAME_RE.match(fields[0]):
            problems.append('line %d: not an lsmod entry: %s' % (number, excerpt(line)))
            continue
        size = to_int(fields[1])
        refcount = None if fields[2] == '-' else to_int(fields[2])
        if size is None or (refcount is None and fields[2] != '-'):
            problems.append('line %d: size or use count is not a number: %s' % (number, excerpt(line)))
            continue
        users = _users_from_field(fields[3]) if len(fields) > 3 else []
        modules[fields[0]] = {'size': size, 'refcount': refcount, 'users': users, 'state': None}
    return {'modules': modules, 'problems': problems}


_KO_SUFFIX_RE = lazy_compile(r'\.ko(?:\.(?:xz|gz|zst|bz2))?$')


def _module_from_path(path):
    """Return the normalised module name of a ``.ko[.xz|.gz|.zst]`` path, or None."""
    path = path.strip()
    if not _KO_SUFFIX_RE.search(path):
        return None
    base = _KO_SUFFIX_RE.sub('', path.rsplit('/', 1)[-1])
    if not base or not _MODULE_NAME_RE.match(base):
        return None
    return module_name(base)


def parse_modules_builtin(text):
    """Parse ``modules.builtin`` (``kernel/net/bridge/bridge.ko`` per line).

    Returns a sorted list of unique module names, ``-`` normalised to ``_``.
    """
    names = set()
    for line in lines_of(text):
        name = _module_from_path(line)
        if name:
            names.add(name)
    return sorted(names)


def parse_modules_dep(text):
    """Parse ``modules.dep`` (``path.ko[.xz]: dependency paths``).

    Returns a sorted list of unique names of the modules the file describes
    (the part before the colon; dependencies have their own lines).
    """
    names = set()
    for line in lines_of(text):
        if ':' not in line:
            continue
        name = _module_from_path(line.split(':', 1)[0])
        if name:
            names.add(name)
    return sorted(names)
