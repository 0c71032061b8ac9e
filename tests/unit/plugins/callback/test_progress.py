"""The progress callback driven with fake plays, tasks and results, on a fake clock.

The fakes have the attributes the callback reads from ansible-core's objects: a play's strategy and
get_variable_manager().get_vars(play=...)["ansible_play_batch"], a task's action / resolved_action /
_uuid / run_once, a result's host and task (2.19) or _host and _task (2.16-2.18).
"""
import re

import pytest
from ansible.errors import AnsibleOptionsError

from ansible_collections.nfdoctor.netfilter.plugins.callback.progress import CallbackModule, duration

AUDIT = "nfdoctor.netfilter.netfilter_facts"


class Host:
    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name


class Task:
    def __init__(self, uuid, action=AUDIT, resolved_action=None, run_once=False):
        self._uuid, self.action, self.resolved_action, self.run_once = uuid, action, resolved_action, run_once

    def get_name(self):
        return "Audit netfilter state"


class Result:
    """2.19's CallbackTaskResult: host and task."""

    def __init__(self, host, task):
        self.host, self.task = Host(host), task


class LegacyResult:
    """2.16-2.18's TaskResult: only _host and _task."""

    def __init__(self, host, task):
        self._host, self._task = Host(host), task


class Play:
    def __init__(self, hosts, strategy="linear", broken=False):
        self.hosts, self.strategy, self.broken = hosts, strategy, broken

    def get_variable_manager(self):
        return self

    def get_vars(self, play):
        assert play is self
        if self.broken:
            raise KeyError("ansible_play_batch")
        return {"ansible_play_batch": list(self.hosts), "ansible_play_hosts_all": list(self.hosts)}


class Display:
    verbosity = 0  # CallbackBase reads it

    def __init__(self):
        self.lines = []
        self.warnings = []

    def display(self, msg, **_kwargs):
        self.lines.append(msg)

    def warning(self, msg, **_kwargs):
        self.warnings.append(msg)


class Run:
    """A callback with a display that records and a clock the test moves."""

    def __init__(self, percent_step=10, seconds=0, slowest=5):
        self.display = Display()
        self.now = 1000.0
        self.cb = CallbackModule(display=self.display)
        self.cb._clock = lambda: self.now
        self.cb._configure(percent_step, seconds, slowest)

    def play(self, hosts, **kwargs):
        self.cb.v2_playbook_on_play_start(Play(hosts, **kwargs))

    def task(self, task):
        self.cb.v2_playbook_on_task_start(task, is_conditional=False)

    def host(self, name, task, status="ok", took=1.0, result=Result):
        self.cb.v2_runner_on_start(Host(name), task)
        self.now += took
        event = {"ok": self.cb.v2_runner_on_ok, "failed": self.cb.v2_runner_on_failed,
                 "unreachable": self.cb.v2_runner_on_unreachable, "skipped": self.cb.v2_runner_on_skipped}[status]
        event(result(name, task))

    def progress(self):
        return [line for line in self.display.lines if re.match(r"nfdoctor progress: \d+ of", line)]


def done_counts(lines):
    return [tuple(int(n) for n in re.match(r"nfdoctor progress: (\d+) of (\d+) hosts", line).groups())
            for line in lines]


def test_a_line_every_ten_percent_of_a_hundred_hosts_and_none_in_between():
    run = Run(percent_step=10)
    hosts = ["web%03d" % i for i in range(100)]
    run.play(hosts)
    audit = Task("u1")
    run.task(audit)
    for name in hosts[:9]:
        run.host(name, audit)
    assert run.progress() == []  # 9 % is no step yet
    for name in hosts[9:]:
        run.host(name, audit)
    assert done_counts(run.progress()) == [(n, 100) for n in range(10, 101, 10)]
    assert run.progress()[0] == "nfdoctor progress: 10 of 100 hosts done (10%): 10 ok, 0 failed, 0 unreachable; 10.0s"


def test_ten_thousand_hosts_print_ten_lines_not_one_per_host():
    run = Run(percent_step=10, slowest=3)
    hosts = ["h%05d" % i for i in range(10000)]
    run.play(hosts)
    audit = Task("u1")
    run.task(audit)
    for name in hosts:
        run.host(name, audit, took=0.01)
    assert len(run.progress()) == 10
    assert len(run.display.lines) == 10 + 1 + 3  # the lines, the slowest header, three hosts


def test_seconds_print_a_line_between_steps_at_the_next_host_done():
    run = Run(percent_step=50, seconds=30)
    hosts = ["a", "b", "c", "d", "e", "f"]
    run.play(hosts)
    audit = Task("u1")
    run.task(audit)
    run.host("a", audit, took=10)   # t=10: neither a step nor 30 s
    assert run.progress() == []
    run.host("b", audit, took=25)   # t=35: 30 s since the task started
    run.host("c", audit, took=5)    # t=40: the 50 % step
    run.host("d", audit, took=5)    # t=45: nothing due
    run.host("e", audit, took=40)   # t=85: 45 s since the last line
    run.host("f", audit, took=1)    # t=86: done
    assert done_counts(run.progress()) == [(2, 6), (3, 6), (5, 6), (6, 6)]
    assert run.progress()[-1].endswith("; 1m26s")


def test_failed_unreachable_and_skipped_hosts_are_done_and_counted_apart():
    run = Run(percent_step=100)
    run.play(["a", "b", "c", "d"])
    audit = Task("u1")
    run.task(audit)
    run.host("a", audit, "failed")
    run.host("b", audit, "unreachable")
    run.host("c", audit, "ok")
    assert run.progress() == []
    run.host("d", audit, "skipped")
    assert run.progress() == ["nfdoctor progress: 4 of 4 hosts done (100%): 1 ok, 1 failed, 1 unreachable, "
                              "1 skipped; 4.0s"]


def test_the_slowest_hosts_longest_first_with_their_status():
    run = Run(percent_step=100, slowest=3)
    run.play(["fast", "slow", "dead", "mid", "tie"])
    audit = Task("u1")
    run.task(audit)
    run.host("fast", audit, took=0.2)
    run.host("dead", audit, "unreachable", took=31.0)
    run.host("slow", audit, took=12.4)
    run.host("tie", audit, "failed", took=12.4)
    run.host("mid", audit, took=3.0)
    assert run.display.lines[-4:] == [
        "nfdoctor progress: the 3 slowest of 5 hosts:",
        "  dead    31.0s  unreachable",
        "  slow    12.4s  ok",
        "  tie     12.4s  failed",
    ]


def test_no_slowest_list_when_set_to_zero_and_no_time_for_a_host_whose_start_was_not_seen():
    run = Run(percent_step=100, slowest=0)
    run.play(["a"])
    audit = Task("u1")
    run.task(audit)
    run.host("a", audit)
    assert not any("slowest" in line for line in run.display.lines)
    run = Run(percent_step=100, slowest=5)
    run.play(["a", "b"])
    run.task(audit)
    run.host("a", audit, took=2.0)
    run.cb.v2_runner_on_ok(Result("b", audit))  # no v2_runner_on_start for b
    assert run.display.lines[-2:] == ["nfdoctor progress: the 1 slowest of 2 hosts:", "  a     2.0s  ok"]


def test_other_tasks_print_nothing():
    run = Run(percent_step=10)
    run.play(["a", "b"])
    for task in (Task("u1", action="ansible.builtin.debug"), Task("u2", action="nfdoctor.netfilter.modprobe_unblock")):
        run.task(task)
        run.host("a", task)
        run.host("b", task)
    run.cb.v2_playbook_on_stats(None)
    assert run.display.lines == []


def test_a_short_module_name_is_watched_through_its_resolved_fqcn():
    run = Run(percent_step=100)
    run.play(["a"])
    audit = Task("u1", action="netfilter_facts", resolved_action=AUDIT)
    run.task(audit)
    run.host("a", audit)
    assert done_counts(run.progress()) == [(1, 1)]
    run = Run(percent_step=100)
    run.play(["a"])
    other = Task("u2", action="netfilter_facts", resolved_action="someone.else.netfilter_facts")
    run.task(other)
    run.host("a", other)
    assert run.display.lines == []


def test_pre_2_19_results_are_read_through_host_and_task():
    run = Run(percent_step=100)
    run.play(["a", "b"])
    audit = Task("u1")
    run.task(audit)
    run.host("a", audit, result=LegacyResult)
    run.host("b", audit, "unreachable", result=LegacyResult)
    assert run.progress() == ["nfdoctor progress: 2 of 2 hosts done (100%): 1 ok, 0 failed, 1 unreachable; 2.0s"]


def test_a_second_result_for_a_host_is_not_progress():
    run = Run(percent_step=50)
    run.play(["a", "b"])
    audit = Task("u1")
    run.task(audit)
    run.host("a", audit)
    run.host("a", audit, "failed")
    assert done_counts(run.progress()) == [(1, 2)]
    assert "0 failed" in run.progress()[0]


def test_linear_next_task_closes_an_unfinished_audit_and_says_how_far_it_got():
    run = Run(percent_step=100)
    run.play(["a", "b", "c"])
    audit = Task("u1")
    run.task(audit)
    run.host("a", audit)
    run.host("b", audit)
    assert run.progress() == []
    run.task(Task("u2", action="ansible.builtin.set_fact"))
    assert run.progress() == ["nfdoctor progress: 2 of 3 hosts done (66%): 2 ok, 0 failed, 0 unreachable; 2.0s"]
    assert run.display.lines[-3:] == ["nfdoctor progress: the 2 slowest of 2 hosts:", "  a     1.0s  ok", "  b     1.0s  ok"]


def test_free_strategy_keeps_counting_across_other_tasks_until_the_stats():
    run = Run(percent_step=100)
    run.play(["a", "b", "c"], strategy="free")
    audit = Task("u1")
    run.task(audit)
    run.host("a", audit)
    run.task(Task("u2", action="ansible.builtin.set_fact"))  # host a moved on; b and c still audit
    run.task(audit)  # free announces a task again: still the same count
    run.host("b", audit)
    assert run.progress() == []
    run.cb.v2_playbook_on_stats(None)
    assert done_counts(run.progress()) == [(2, 3)]


def test_each_batch_is_counted_on_its_own():
    run = Run(percent_step=100, slowest=0)
    audit = Task("u1")
    for batch in (["a", "b"], ["c"]):
        run.play(batch)  # ansible starts the play again for each serial batch
        run.task(audit)
        for name in batch:
            run.host(name, audit)
    assert done_counts(run.progress()) == [(2, 2), (1, 1)]


def test_run_once_counts_one_host():
    run = Run(percent_step=100, slowest=0)
    run.play(["a", "b", "c"])
    once = Task("u1", run_once=True)
    run.task(once)
    run.host("a", once)
    assert done_counts(run.progress()) == [(1, 1)]


def test_a_play_that_cannot_count_its_hosts_gets_a_warning_and_no_made_up_progress():
    run = Run(percent_step=50, slowest=0)
    run.play(["a", "b"], broken=True)
    audit = Task("u1")
    run.task(audit)
    run.host("a", audit)
    run.host("b", audit)
    run.cb.v2_playbook_on_stats(None)
    assert run.progress() == []
    assert run.display.warnings == ["nfdoctor.netfilter.progress: cannot count the hosts of task 'Audit netfilter "
                                    "state' (KeyError: 'ansible_play_batch'), no progress shown for it"]


@pytest.mark.parametrize("options, message", [
    ((0, 30, 5), "percent_step must be an integer from 1 to 100, not 0"),
    ((101, 30, 5), "percent_step must be an integer from 1 to 100, not 101"),
    (("10", 30, 5), "percent_step must be an integer from 1 to 100, not '10'"),
    ((10, -1, 5), "seconds must be an integer of 0 or more, not -1"),
    ((10, 30, -2), "slowest must be an integer of 0 or more, not -2"),
])
def test_bad_options_are_refused_with_their_name_and_range(options, message):
    with pytest.raises(AnsibleOptionsError, match=re.escape("nfdoctor.netfilter.progress: " + message)):
        Run(*options)


def test_good_edge_options_are_taken():
    run = Run(percent_step=1, seconds=0, slowest=0)
    assert (run.cb._percent_step, run.cb._seconds, run.cb._slowest) == (1, 0, 0)
    Run(percent_step=100)


@pytest.mark.parametrize("seconds, shown", [
    (0.04, "0.0s"), (12.34, "12.3s"), (59.9, "59.9s"), (61, "1m01s"), (250, "4m10s"), (3720, "1h02m")])
def test_duration(seconds, shown):
    assert duration(seconds) == shown
