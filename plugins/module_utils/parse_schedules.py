# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find scheduled or scripted conntrack table flushes (cron, systemd units, rc.local).

Flushing the conntrack table while traffic flows makes ``__nf_conntrack_confirm``
drop packets and count ``insert_failed`` (seed 002), so the audit looks for
commands that flush it in the places that run them unattended.

A command counts when ``conntrack`` is the command that runs (possibly behind
``sudo``, ``env``, ``timeout``, ``ip netns exec NS``, ``sh -c '...'``) and it
is given ``-F``/``--flush`` (any table), or ``-D`` with no filter, which
deletes every entry just the same.  Comments, ``conntrack -L``, a targeted
``conntrack -D -s 1.2.3.4`` and ``echo conntrack -F`` do not count.

Sample input (``/etc/cron.d/vpn``)::

    # clear stale VPN entries
    */5 * * * * root /usr/sbin/conntrack -F >/dev/null 2>&1

>>> find_conntrack_flushes('*/5 * * * * root conntrack -F', '/etc/cron.d/vpn', 'cron')[0]['line']
1
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fnmatch

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.capture_spec import SCHEDULE_GLOBS
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import as_text, lazy_compile

KINDS = ('cron', 'systemd', 'rc.local', 'script')

# Commands that run the rest of their arguments as another command: the
# number of positional arguments they take before it, and their options that
# take a separate value ("sudo -u root", "nice -n 5", "timeout -s KILL 60").
_WRAPPERS = {
    'sudo': (0, ('-u', '-g', '-h', '-p', '-C', '-D', '-r', '-t', '-U', '--user', '--group')),
    'doas': (0, ('-u', '-C')),
    'env': (0, ('-u', '-C', '-S', '--unset', '--chdir')),
    'nohup': (0, ()), 'exec': (0, ('-a',)), 'command': (0, ()), 'time': (0, ('-f', '-o')),
    'chronic': (0, ()), 'setsid': (0, ()), 'stdbuf': (0, ('-i', '-o', '-e')),
    'nice': (0, ('-n', '--adjustment')),
    'ionice': (0, ('-c', '-n', '-p', '--class', '--classdata')),
    'runuser': (0, ('-u', '-g', '-G', '--user', '--group')),
    'timeout': (1, ('-s', '-k', '--signal', '--kill-after')),
    'flock': (1, ('-w', '-E', '--timeout', '--conflict-exit-code')),
    'taskset': (1, ()),
    'chrt': (1, ()),
}
# Names cron (cronie and Debian's cron) and run-parts skip in a spool or
# cron.d directory: editor and package-manager leftovers, and the backups our
# own remediation writes next to a file it changed (NAME.PID.DATE~).
_IGNORED_SUFFIXES = ('~', '.rpmsave', '.rpmorig', '.rpmnew', '.swp', '.dpkg-old', '.dpkg-dist', '.dpkg-new',
                     '.dpkg-tmp', '.ucf-old', '.ucf-dist', '.ucf-new')


def cron_ignores(name):
    """True for a file name cron and run-parts never run from cron.d or a cron.* directory.

    The one rule the audit (gather) and the fix (disable_lines) use to skip a
    file found in a directory. ``.bak`` is not in it: cronie runs
    ``/etc/cron.d/job.bak`` (its ``not_a_crontab`` skips only dot names, ``~``,
    ``.rpmsave``, ``.rpmorig``, ``.rpmnew``), so the audit flags such a job and
    the fix must disable it.
    """
    return name.startswith('.') or name.endswith(_IGNORED_SUFFIXES) or '.dpkg-' in name


def schedule_kind(path):
    """How the file at host ``path`` runs commands: the kind capture_spec.SCHEDULE_GLOBS gives it.

    A path outside those globs is a systemd unit when it lies in a systemd
    directory, else a shell script.
    """
    for pattern, kind in SCHEDULE_GLOBS:
        if fnmatch.fnmatchcase(path, pattern):
            return kind
    return 'systemd' if '/systemd/' in path else 'script'


_SHELL_KEYWORDS = ('do', 'then', 'else', 'elif', 'if', 'while', 'until', '!', '{', '}', 'time')
_SHELLS = ('sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'busybox')
_ASSIGNMENT_RE = lazy_compile(r'^[A-Za-z_][A-Za-z0-9_]*=')
_CRON_FIELD_RE = lazy_compile(r'^[0-9A-Za-z*/,\-]+$')
_USER_RE = lazy_compile(r'^[a-z_][a-z0-9_.\-]*\$?$')
_SYSTEMD_EXEC_RE = lazy_compile(r'^(Exec(?:Start|StartPre|StartPost|Stop|StopPost|Reload|Condition))\s*=\s*(.*)$')
# Options after which conntrack -D still means "every entry" (they pick the
# table or family, not entries).
_UNFILTERED_OPTIONS = ('-f', '--family', '-z', '--zero', '-o', '--output')
_CONNTRACK_TABLES = ('conntrack', 'expect', 'dying', 'unconfirmed')
_MAX_NESTING = 3


def _split_commands(text):
    """Split shell text into simple commands (lists of words), dropping comments.

    A small lexer, not a shell: it knows quotes, backslashes, ``#`` comments
    and the separators ``; & | ( ) ` $(`` and newlines, which is what it takes
    to tell the command word from its arguments.
    """
    commands = []
    words = []
    word = []
    in_word = False
    redirect_target = [False]   # the next word is a redirection target, not an argument
    position = 0
    length = len(text)

    def end_word():
        if in_word:
            if redirect_target[0]:
                redirect_target[0] = False
            else:
                words.append(u''.join(word))
        del word[:]

    def end_command():
        if words:
            commands.append(list(words))
        del words[:]

    while position < length:
        char = text[position]
        if char in ' \t\r':
            end_word()
            in_word = False
        elif char in ';&|()`\n':
            end_word()
            in_word = False
            end_command()
        elif char in '<>':
            # "2>&1", ">/dev/null", ">>log": drop the fd number and the target.
            if in_word and u''.join(word).isdigit():
                del word[:]
                in_word = False
            end_word()
            in_word = False
            while position + 1 < length and text[position + 1] in '<>&':
                position += 1
            redirect_target[0] = True
            position += 1
            continue
        elif char == '#' and not in_word:
            newline = text.find('\n', position)
            position = length if newline < 0 else newline
            continue
        elif char == "'":
            closing = text.find("'", position + 1)
            closing = length if closing < 0 else closing
            word.append(text[position + 1:closing])
            in_word = True
            position = closing + 1
            continue
        elif char == '"':
            position += 1
            while position < length and text[position] != '"':
                if text[position] == '\\' and position + 1 < length and text[position + 1] in '"\\$`':
                    position += 1
                word.append(text[position])
                position += 1
            in_word = True
        elif char == '\\':
            if position + 1 < length:
                if text[position + 1] != '\n':
                    word.append(text[position + 1])
                    in_word = True
                position += 1
        elif char == '$' and position + 1 < length and text[position + 1] == '(':
            end_word()
            in_word = False
            end_command()
            position += 1
        else:
            word.append(char)
            in_word = True
        position += 1
    end_word()
    end_command()
    return commands


def _basename(word):
    return word.rsplit('/', 1)[-1]


def _command_start(words):
    """Return the index of the word that names the command that runs, skipping wrappers."""
    index = 0
    while index < len(words):
        word = words[index]
        name = _basename(word)
        if _ASSIGNMENT_RE.match(word) or word in _SHELL_KEYWORDS:
            index += 1
        elif name == 'ip' and words[index + 1:index + 3] == ['netns', 'exec'] and index + 3 < len(words):
            index += 4
        elif name in _WRAPPERS:
            index += 1
            positional, options_with_value = _WRAPPERS[name]
            while index < len(words):
                option = words[index]
                if option == '--':
                    index += 1
                    break
                if option.startswith('-') and len(option) > 1:
                    index += 2 if option in options_with_value else 1
                elif name == 'env' and _ASSIGNMENT_RE.match(option):
                    index += 1
                elif positional:
                    positional -= 1
                    index += 1
                else:
                    break
        else:
            return index
    return None


def _conntrack_flush(arguments):
    """Return the flush command ('conntrack -F expect') when ``arguments`` flush a table, else None."""
    for position, argument in enumerate(arguments):
        if argument in ('-F', '--flush') or argument.startswith('--flush='):
            return u' '.join(['conntrack'] + arguments[position:position + 2])
    if arguments and arguments[0] in ('-D', '--delete'):
        rest = arguments[1:]
        index = 0
        while index < len(rest):
            if rest[index] in _CONNTRACK_TABLES:
                index += 1
            elif rest[index] in _UNFILTERED_OPTIONS:
                index += 2 if rest[index] in ('-f', '--family', '-o', '--output') else 1
            else:
                # Any other option (-s, -p, --mark, ...) narrows the delete.
                return None
        return u' '.join(['conntrack'] + arguments)
    return None


def _flush_in_commands(text, depth=0):
    """Return the first conntrack flush command found in shell ``text``, or None."""
    for words in _split_commands(text):
        start = _command_start(words)
        if start is None:
            continue
        name = _basename(words[start])
        arguments = words[start + 1:]
        if name == 'conntrack':
            found = _conntrack_flush(arguments)
            if found:
                return found
        elif name in _SHELLS or name == 'su':
            # sh -c 'conntrack -F' / su -c "..." runs the quoted text.
            if depth < _MAX_NESTING and '-c' in arguments:
                index = arguments.index('-c')
                if index + 1 < len(arguments):
                    found = _flush_in_commands(arguments[index + 1], depth + 1)
                    if found:
                        return found
    return None


def lines_of(text):
    """Physical lines split on "\\n" only, as cron, sh and systemd read them (a trailing "\\r" dropped).

    Not str.splitlines(), which also splits on form feeds and other
    separators: the line numbers must be the ones a fix edits
    (config_edit.comment_out_lines counts the same way).
    """
    lines = [line[:-1] if line.endswith(u'\r') else line for line in as_text(text).split(u'\n')]
    if lines and lines[-1] == u'':
        lines.pop()
    return lines


def _logical_lines(text):
    """Yield (first line number, last line number, joined text) with backslash-newline continuations joined."""
    pending_number = None
    pending = []
    number = 0
    for number, line in enumerate(lines_of(text), 1):
        if pending_number is None:
            pending_number = number
        if line.endswith('\\') and not line.endswith('\\\\'):
            pending.append(line[:-1])
            continue
        pending.append(line)
        yield pending_number, number, u' '.join(pending) if len(pending) > 1 else pending[0]
        pending_number = None
        pending = []
    if pending:
        yield pending_number, number, u' '.join(pending)


def _cron_command(line):
    """Return the command part of a crontab line, or None for comments, variables and junk."""
    fields = line.split(None, 5)
    if not fields or fields[0].startswith('#') or _ASSIGNMENT_RE.match(fields[0]):
        return None
    if fields[0].startswith('@'):
        return line.split(None, 1)[1] if len(fields) > 1 else None
    if len(fields) < 6 or not all(_CRON_FIELD_RE.match(field) for field in fields[:5]):
        return None
    return fields[5]


def find_conntrack_flushes(text, path, kind):
    """Find lines that flush the conntrack table.

    ``text`` is a crontab (``kind`` "cron": system crontabs with a user field
    and user crontabs without), a systemd unit (``kind`` "systemd": only
    ``Exec*=`` lines run anything), or a shell script (``kind`` "rc.local" or
    "script").  Returns a list of ``{"file": path, "line": int, "text": str,
    "kind": kind, "command": str}``; ``line`` is 1-based (the first line of a
    backslash-continued command), ``text`` the stripped line and ``command``
    the flush that was recognised (``conntrack -F``).
    """
    return [dict((k, v) for k, v in item.items() if k != 'end_line') for item in flush_lines(text, path, kind)]


def flush_lines(text, path, kind):
    """:func:`find_conntrack_flushes` with ``end_line``: the last physical line of each command.

    A fix comments out ``line`` to ``end_line``, so a backslash-continued
    command is disabled whole.
    """
    found = []
    kind = kind if kind in KINDS else 'script'
    # cron has no line continuation; shells and systemd join "\\<newline>".
    logical = ((number, number, line) for number, line in enumerate(lines_of(text), 1)) if kind == 'cron' \
        else _logical_lines(text)
    for number, last, line in logical:
        stripped = line.strip()
        # No flush without the word; skipping the rest keeps big files cheap.
        if not stripped or stripped.startswith('#') or 'conntrack' not in stripped:
            continue
        if kind == 'systemd':
            if stripped.startswith(';'):
                continue
            match = _SYSTEMD_EXEC_RE.match(stripped)
            if not match:
                continue
            # Exec prefixes: '-' ignore failure, '@' argv0, '+', '!', '!!', ':'.
            commands = match.group(2).lstrip('-@+!:')
            flush = _flush_in_commands(commands)
        elif kind == 'cron':
            command = _cron_command(stripped)
            if command is None:
                continue
            flush = _flush_in_commands(command)
            if flush is None:
                # /etc/crontab and /etc/cron.d lines carry a user before the command.
                user_and_command = command.split(None, 1)
                if len(user_and_command) == 2 and _USER_RE.match(user_and_command[0]):
                    flush = _flush_in_commands(user_and_command[1])
        else:
            flush = _flush_in_commands(stripped)
        if flush:
            found.append({'file': path, 'line': number, 'end_line': last, 'text': stripped, 'kind': kind,
                          'command': flush})
    return found
