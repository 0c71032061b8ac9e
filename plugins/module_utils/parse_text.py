# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Text helpers every parser shares, and the os-release format.

The parsers take text already decoded by the data source with
``errors="replace"`` (``str`` on Python 3, ``unicode`` on Python 2) and must
never raise, so these helpers turn anything else into text, cut what they echo
back, and read integers no larger than a 64-bit kernel counter.

``lazy_compile`` is ``re.compile`` deferred to the pattern's first use:
AnsiballZ ships no bytecode, so a managed host pays at every run for what a
module does at import, and a host without a source (no conntrack, no crash
dump, no networkd) should not pay for the patterns of its parser.

Sample input (``/etc/os-release``)::

    NAME="Debian GNU/Linux"
    VERSION_ID="12"

>>> parse_os_release('ID=debian\\nVERSION_ID="12"')["VERSION_ID"]
'12'
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re
import shlex


class _LazyPattern(object):
    """A compiled pattern that is compiled when one of its attributes is first used."""

    _METHODS = ('match', 'search', 'sub', 'subn', 'split', 'findall', 'finditer',
                'pattern', 'flags', 'groups', 'groupindex')

    def __init__(self, pattern, flags):
        self._args = (pattern, flags)

    def __getattr__(self, name):
        # Only reached for attributes the instance does not have yet. Dunder
        # names (copy, pickle) and our own must not compile or recurse.
        if name.startswith('__') or name in ('_args', '_compiled'):
            raise AttributeError(name)
        compiled = self.__dict__.get('_compiled')
        if compiled is None:
            compiled = self._compiled = re.compile(*self._args)
            # Later calls find these on the instance and cost what they cost on the pattern itself.
            for attr in self._METHODS:
                setattr(self, attr, getattr(compiled, attr))
        return getattr(compiled, name)


def lazy_compile(pattern, flags=0):
    """``re.compile(pattern, flags)``, compiled on first use (see the module docstring)."""
    return _LazyPattern(pattern, flags)


# Python 2 has no builtin name for the text type; the data source hands us
# unicode there and str on Python 3.
try:
    TEXT_TYPES = (str, unicode)  # noqa: F821 (Python 2 only)
except NameError:
    TEXT_TYPES = (str,)

# Longest text we echo back inside a problem message: a corrupt file must not
# blow up the facts document with its own content.
_EXCERPT = 80

# Kernel counters are at most 64-bit: 20 decimal or 16 hex digits.  Longer
# numbers are corruption, and an int of thousands of digits would make the
# JSON encoder raise when the module returns its result.
_DECIMAL_RE = lazy_compile(r'^[+-]?[0-9]{1,20}$')
HEX_RE = lazy_compile(r'^(?:0[xX])?[0-9a-fA-F]{1,16}$')


def as_text(text):
    """Return ``text`` as a text string: '' for None, bytes decoded with replacement.

    Callers are meant to pass text already, but a parser must not raise when a
    caller slips up, so anything else is turned into text rather than rejected.
    """
    if text is None:
        return u''
    if isinstance(text, TEXT_TYPES):
        return text
    if isinstance(text, (bytes, bytearray)):
        return bytes(text).decode('utf-8', 'replace')
    try:
        return u'%s' % (text,)
    except Exception:  # a hostile __str__; there is nothing to parse then
        return u''


def lines_of(text):
    """Return the lines of ``text`` (any line ending) as a list of text strings."""
    return as_text(text).splitlines()


def excerpt(line):
    """Return ``line`` quoted and shortened for a problem message, control characters escaped.

    Not ``repr()``: Python 2 would prefix u'' and the messages must read the
    same on every interpreter.
    """
    line = as_text(line)
    cut = len(line) > _EXCERPT
    escaped = u''.join(u'\\x%02x' % ord(char) if ord(char) < 32 or ord(char) == 127 else char
                       for char in line[:_EXCERPT])
    return u"'%s'%s" % (escaped, u'...' if cut else u'')


def to_int(value, base=10):
    """Return ``value`` as an int, or None when it is not a plain integer.

    Only ASCII digits are accepted (``int()`` would take other Unicode digits,
    and '²' passes ``isdigit()`` but not ``int()``), and at most 64-bit-sized
    ones (20 decimal, 16 hex digits): longer ones give None.
    """
    value = as_text(value).strip()
    if base == 16:
        if not HEX_RE.match(value):
            return None
    elif not _DECIMAL_RE.match(value):
        return None
    try:
        return int(value, base)
    except (ValueError, OverflowError):
        return None


_SHELL_NAME_RE = lazy_compile(r'^[A-Za-z_][A-Za-z0-9_]*$')


def _unquote(value):
    """Return a shell-quoted os-release value without its quotes."""
    value = value.strip()
    if not any(char in value for char in '\'"\\#'):
        return value
    try:
        parts = shlex.split(value, comments=True)
    except Exception:  # pylint: disable=broad-except
        # Unbalanced quotes give ValueError; Python 2's shlex can also fail on
        # non-ASCII text.  Strip what looks like quoting rather than fail.
        return value.strip('"\'')
    return u' '.join(parts)


def parse_os_release(text):
    """Parse /etc/os-release (``KEY=value``, shell quoting).

    Returns ``{KEY: value}`` with quotes removed; comments and lines that are
    not assignments are skipped.
    """
    result = {}
    for line in lines_of(text):
        line = line.strip()
        if not line or line.startswith('#') or '=' not in line:
            continue
        key, value = line.split('=', 1)
        if not _SHELL_NAME_RE.match(key):
            continue
        result[key] = _unquote(value)
    return result
