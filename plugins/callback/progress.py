# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
---
name: progress
type: aggregate
short_description: Prints how many hosts the nfdoctor audit has done, and the slowest hosts at the end
version_added: 0.1.0
description:
  - >-
    For each task that runs the M(nfdoctor.netfilter.netfilter_facts) module (the audit role's
    C(Audit netfilter state), remediate.yml's audit before and after), prints
    C(nfdoctor progress: N of M hosts done) with the percentage, the count of each status and the time
    since the task started, each time another O(percent_step) percent of the hosts are done and when O(seconds)
    have passed since the last such line; then, when every host is done, the O(slowest) slowest hosts
    with their times and status.
  - Failed, unreachable and skipped hosts count as done and are counted apart in each line.
  - It adds lines and changes nothing else, whatever the stdout callback (default, yaml,
    ansible-runner's, AWX's). With thousands of hosts, C(ANSIBLE_DISPLAY_OK_HOSTS=false) leaves these
    lines and the failures readable among the per-host C(ok:) lines.
  - M is the number of hosts the task runs on when it starts (C(ansible_play_batch)); under C(serial)
    each batch is counted on its own.
  - A host's time runs from when its worker starts the task to its result, so it includes the
    connection and the module's transfer; an unreachable host's time is how long the connection
    took to fail.
requirements:
  - Enabled in the configuration, see the examples.
options:
  percent_step:
    description:
      - Print a line each time another this many percent of the hosts are done (V(10) prints ten lines
        for any number of hosts). With few hosts every host can cross a step.
      - From 1 to 100.
    type: int
    default: 10
    env:
      - name: NFDOCTOR_PROGRESS_PERCENT_STEP
    ini:
      - section: callback_nfdoctor_progress
        key: percent_step
  seconds:
    description:
      - Also print a line, at the next host that is done, when this many seconds have passed since the last
        line. V(0) prints by O(percent_step) only.
    type: int
    default: 30
    env:
      - name: NFDOCTOR_PROGRESS_SECONDS
    ini:
      - section: callback_nfdoctor_progress
        key: seconds
  slowest:
    description: How many of the slowest hosts to list when the task is done. V(0) lists none.
    type: int
    default: 5
    env:
      - name: NFDOCTOR_PROGRESS_SLOWEST
    ini:
      - section: callback_nfdoctor_progress
        key: slowest
"""

EXAMPLES = r"""
# ansible.cfg
# [defaults]
# callbacks_enabled = nfdoctor.netfilter.progress
#
# [callback_nfdoctor_progress]
# percent_step = 5
#
# or for one run:
#   ANSIBLE_CALLBACKS_ENABLED=nfdoctor.netfilter.progress ansible-playbook -i fleet nfdoctor.netfilter.audit
#
# prints, among the task's output:
#   nfdoctor progress: 1000 of 10000 hosts done (10%): 996 ok, 3 failed, 1 unreachable; 41.0s
#   ...
#   nfdoctor progress: 10000 of 10000 hosts done (100%): 9990 ok, 7 failed, 3 unreachable; 6m52s
#   nfdoctor progress: the 5 slowest of 10000 hosts:
#     db017   31.0s  unreachable
#     web412  12.4s  ok
#     ...
"""

import time

from ansible.errors import AnsibleOptionsError
from ansible.plugins.callback import CallbackBase

WATCHED_ACTIONS = frozenset(["nfdoctor.netfilter.netfilter_facts"])
# Strategies that start a task only once every host has finished the one before:
# there the next task's start also closes a watched task that some hosts never reported.
LOCKSTEP_STRATEGIES = frozenset(["linear", "ansible.builtin.linear", "debug", "ansible.builtin.debug"])
STATUSES = ("ok", "failed", "unreachable", "skipped")
PREFIX = "nfdoctor progress: "


def duration(seconds):
    """12.3s, 4m10s, 1h02m: short enough to read at a glance in a progress line."""
    if seconds < 60:
        return "%.1fs" % seconds
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return "%dm%02ds" % (minutes, secs)
    hours, minutes = divmod(minutes, 60)
    return "%dh%02dm" % (hours, minutes)


class TaskProgress:
    """One watched task on one batch of hosts: what is done, when to print, who was slowest.

    Pure bookkeeping: times come in as arguments, lines go out as return values.
    """

    def __init__(self, total, started, percent_step, seconds):
        self.total = total
        self.started = started
        self.percent_step = percent_step
        self.seconds = seconds
        self.starts = {}
        self.done = {}   # host -> (seconds or None when its start was not seen, status)
        self.counts = {status: 0 for status in STATUSES}
        self.last_line_at = started
        self.last_step = 0

    def start(self, host, now):
        self.starts.setdefault(host, now)

    def finish(self, host, status, now):
        """Record a host's result; the progress line to print now, or None."""
        if host in self.done:
            return None  # a host is done once: whatever a strategy plugin sends twice is not progress
        began = self.starts.pop(host, None)
        self.done[host] = (None if began is None else now - began, status)
        self.counts[status] += 1
        # more results than hosts counted at the start (hosts added by add_host or a late
        # inventory change): M grows rather than printing "11 of 10"
        self.total = max(self.total, len(self.done))
        step = len(self.done) * 100 // (self.total * self.percent_step)
        due = self.seconds and now - self.last_line_at >= self.seconds
        if step > self.last_step or due or self.complete:
            self.last_step = step
            self.last_line_at = now
            return self.line(now)
        return None

    @property
    def complete(self):
        return len(self.done) >= self.total

    def line(self, now):
        counts = ", ".join("%d %s" % (self.counts[s], s) for s in STATUSES if s != "skipped" or self.counts[s])
        return "%s%d of %d hosts done (%d%%): %s; %s" % (
            PREFIX, len(self.done), self.total, len(self.done) * 100 // self.total, counts,
            duration(now - self.started))

    def slowest_lines(self, how_many):
        timed = sorted(((took, host, status) for host, (took, status) in self.done.items() if took is not None),
                       key=lambda item: (-item[0], item[1]))[:how_many]
        if not timed:
            return []
        width = max(len(host) for _took, host, _status in timed)
        lines = ["%sthe %d slowest of %d hosts:" % (PREFIX, len(timed), len(self.done))]
        for took, host, status in timed:
            lines.append("  %s  %7s  %s" % (host.ljust(width), duration(took), status))
        return lines


def _result_parts(result):
    """(host name, task) of a task result: 2.19 names them host/task, 2.16-2.18 only _host/_task."""
    host = getattr(result, "host", None) or result._host
    task = getattr(result, "task", None) or result._task
    return host.get_name(), task


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "nfdoctor.netfilter.progress"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._clock = time.monotonic
        self._play = None
        self._tasks = {}  # task uuid -> TaskProgress
        # set by set_options, which ansible calls before any event
        self._percent_step = self._seconds = self._slowest = None

    def set_options(self, task_keys=None, var_options=None, direct=None):
        super(CallbackModule, self).set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        self._configure(self.get_option("percent_step"), self.get_option("seconds"), self.get_option("slowest"))

    def _configure(self, percent_step, seconds, slowest):
        for name, value, low, high in (("percent_step", percent_step, 1, 100), ("seconds", seconds, 0, None),
                                       ("slowest", slowest, 0, None)):
            if not isinstance(value, int) or value < low or (high is not None and value > high):
                raise AnsibleOptionsError("%s: %s must be an integer %s, not %r" % (
                    self.CALLBACK_NAME, name, "from %d to %d" % (low, high) if high else "of %d or more" % low, value))
        self._percent_step, self._seconds, self._slowest = percent_step, seconds, slowest

    @staticmethod
    def _watched(task):
        # resolved_action is the FQCN also when the play names the module short (collections: keyword)
        return (getattr(task, "resolved_action", None) or task.action) in WATCHED_ACTIONS

    def _hosts_now(self, task):
        """How many hosts the task starts on, or None with a warning when the play cannot tell."""
        if task.run_once:
            return 1
        try:
            return len(self._play.get_variable_manager().get_vars(play=self._play)["ansible_play_batch"])
        except Exception as error:  # pylint: disable=broad-except  # a progress count never fails a run
            self._display.warning("%s: cannot count the hosts of task %r (%s: %s), no progress shown for it" % (
                self.CALLBACK_NAME, task.get_name(), type(error).__name__, error))
            return None

    def _close(self, uuid):
        """A watched task that ended before every counted host reported: say how far it got."""
        progress = self._tasks.pop(uuid)
        if progress.done:
            self._display.display(progress.line(self._clock()))
            for line in progress.slowest_lines(self._slowest):
                self._display.display(line)

    def _close_all(self):
        for uuid in list(self._tasks):
            self._close(uuid)

    def v2_playbook_on_play_start(self, play):
        self._close_all()
        self._play = play

    def v2_playbook_on_task_start(self, task, is_conditional):
        if self._play is not None and self._play.strategy in LOCKSTEP_STRATEGIES:
            for uuid in [u for u in self._tasks if u != task._uuid]:
                self._close(uuid)
        if self._watched(task) and task._uuid not in self._tasks:
            hosts = self._hosts_now(task)
            if hosts:
                self._tasks[task._uuid] = TaskProgress(hosts, self._clock(), self._percent_step, self._seconds)

    def v2_runner_on_start(self, host, task):
        progress = self._tasks.get(task._uuid)
        if progress is not None:
            progress.start(host.get_name(), self._clock())

    def _finished(self, result, status):
        host, task = _result_parts(result)
        progress = self._tasks.get(task._uuid)
        if progress is None:
            return
        line = progress.finish(host, status, self._clock())
        if line:
            self._display.display(line)
        if progress.complete:
            self._tasks.pop(task._uuid)
            for line in progress.slowest_lines(self._slowest):
                self._display.display(line)

    def v2_runner_on_ok(self, result):
        self._finished(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._finished(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._finished(result, "unreachable")

    def v2_runner_on_skipped(self, result):
        self._finished(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        self._close_all()
