# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the kernel log for netfilter failures, with when and how often they happened.

A sosreport has no ``/proc/PID/stack``: the kernel log is the only offline
evidence that a host hung in a module request (seed 000), in network
namespace setup or cleanup (seed 004), filled its conntrack table, or leaked
a device reference. This module recognises those messages in any of the
forms a log reaches us in, and keeps their timestamps so that "how recent"
and "how often" are facts rather than guesses.

Timestamp forms (a line may carry two; the wall clock one wins):

* ``dmesg``: ``[ 1234.567890] msg`` (seconds since boot, "mono");
* ``dmesg -T`` (sosreport ``dmesg_-T``): ``[Tue Jun  2 16:03:10 2020] msg``;
* syslog (``/var/log/messages``, ``kern.log``, journalctl's default output):
  ``Jun  2 16:03:10 host kernel: msg`` (no year: it is inferred from a
  reference time and from month roll-over inside the log);
* ISO (``journalctl -o short-iso``, rsyslog RFC 3339):
  ``2020-06-02T16:03:10+0800 host kernel: msg``.

Wall clock times are kept as seconds in the host's own local time, as a
naive calendar (``calendar.timegm`` of the printed fields): the offset is
dropped so that syslog's, dmesg -T's and journald's times compare.

Sample input (moby/moby#9605, a hung task through copy_net_ns)::

    Mar  5 03:41:22 node1 kernel: [732240.608081] INFO: task docker:71063 blocked for more than 120 seconds.
    Mar  5 03:41:22 node1 kernel: [732240.608700] Call Trace:
    Mar  5 03:41:22 node1 kernel: [732240.608714]  [<ffffffff81442fea>] ? copy_net_ns+0x9a/0x160

Everything is bounded: lines are cut at 4096 characters, at most
``max_lines`` lines are read (the newest, when a log is longer), parsing
stops after ``max_seconds``, and only the first and last events plus a
bounded sample are kept. Nothing here raises; what could not be read is in
``problems``.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import calendar
import re
import time

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import lazy_compile

MAX_LINE = 4096
DEFAULT_MAX_LINES = 1000000
DEFAULT_MAX_SECONDS = 10.0
# How many timestamps of one kind are kept for the "how many in the last hour/day" counts.
MAX_STAMPS = 5000
# Hung-task and soft-lockup reports kept in full (the rest are only counted).
MAX_REPORTS = 20
MAX_FRAMES = 48
# A trace ends at most this many lines after its header.
TRACE_WINDOW = 120

MONTHS = {"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9,
          "Oct": 10, "Nov": 11, "Dec": 12}

# Kernel paths a trace can run through, most specific first. A stack in any
# of these is "in netfilter or netns"; anything else is another subsystem's hang.
TRACE_PATHS = (
    ("module_request", frozenset((
        "__request_module", "request_module", "call_usermodehelper_exec", "call_usermodehelper",
        "nf_ct_l3proto_try_module_get", "nf_ct_netns_get", "nf_ct_l3proto_module_put",
        "request_module_nowait"))),
    ("netns_frag", frozenset((
        "inet_evict_bucket", "inet_frags_exit_net", "ipv4_frags_exit_net", "ipv6_frags_exit_net",
        "nf_ct_frags6_exit_net", "inet_frag_kill", "inet_frags_free_cb"))),
    ("netns", frozenset((
        "copy_net_ns", "cleanup_net", "setup_net", "net_drop_ns", "ops_exit_list", "ops_init",
        "register_pernet_subsys", "unregister_pernet_subsys", "register_pernet_device",
        "unregister_pernet_device", "rtnl_net_dumpid", "default_device_exit_batch", "put_net"))),
)
NETNS_LOCKS = ("net_mutex", "pernet_ops_rwsem")
NETFILTER_PREFIXES = ("nf_", "nft_", "nfnl", "nfnetlink", "xt_", "ipt_", "ip6t_", "arpt_", "ebt_",
                      "do_ipt_", "do_ip6t_", "do_arpt_", "do_ebt_", "ipt_do_table", "ip6t_do_table",
                      "iptable_", "ip6table_", "ebtable_", "translate_table", "conntrack_mt", "nf_setsockopt",
                      "nf_getsockopt", "nf_hook", "br_nf_")
NETFILTER_MODULES = ("ip_tables", "ip6_tables", "x_tables", "nf_", "nft_", "xt_", "ipt_", "ip6t_",
                     "iptable_", "ip6table_", "ebt", "arp_tables", "nfnetlink", "br_netfilter")
# Frames the scheduler and lock code add above the interesting one.
SCHEDULER_FRAMES = frozenset((
    "__schedule", "schedule", "schedule_timeout", "schedule_preempt_disabled", "__mutex_lock_slowpath",
    "__mutex_lock", "__mutex_lock_common", "mutex_lock", "wait_for_completion", "wait_for_common",
    "__switch_to", "io_schedule", "rwsem_down_write_slowpath", "rwsem_down_read_slowpath", "down_write",
    "down_read", "call_rwsem_down_write_failed", "rwsem_down_write_failed", "__wait_for_common",
    "schedule_timeout_uninterruptible", "msleep", "preempt_schedule_common", "_cond_resched"))

_WS = lazy_compile(r"\s+")
_MONO = r"\[\s*(?P<mono>[0-9]{1,10}\.[0-9]{1,9})\]\s?"
_CTIME = (r"\[(?:[A-Z][a-z]{2}) (?P<cmon>[A-Z][a-z]{2}) +(?P<cday>[0-9]{1,2}) "
          r"(?P<ctime>[0-9]{2}:[0-9]{2}:[0-9]{2}) (?P<cyear>[0-9]{4})\]\s?")
_SYSLOG = (r"(?P<smon>[A-Z][a-z]{2}) +(?P<sday>[0-9]{1,2}) (?P<stime>[0-9]{2}:[0-9]{2}:[0-9]{2})"
           r"(?:\.[0-9]+)?\s+\S+\s+(?P<sprog>[^\s:\[]{1,64})(?:\[[0-9]+\])?:\s?")
_ISO = (r"(?P<iyear>[0-9]{4})-(?P<imon>[0-9]{2})-(?P<iday>[0-9]{2})[T ](?P<itime>[0-9]{2}:[0-9]{2}:[0-9]{2})"
        r"(?:[.,][0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?\s+\S+\s+(?P<iprog>[^\s:\[]{1,64})(?:\[[0-9]+\])?:\s?")
# Optional "<4>" priority, then an outer syslog/ISO/ctime stamp, then an inner dmesg stamp.
_PREFIX_RE = lazy_compile(
    r"^(?:<[0-9]{1,3}>)?(?:" + _SYSLOG + r"|" + _ISO + r"|" + _CTIME + r")?(?:" + _MONO + r")?")

# Cheap first test: only lines containing one of these go through the full parse.
_KEYWORDS_RE = lazy_compile(r"table full|callbacks suppressed|blocked for more than|soft lockup|unregister_netdevice")
_TABLE_FULL_RE = lazy_compile(r"^(?:nf_conntrack|ip_conntrack): (?:nf_conntrack: )?table full, dropping packet",
                              re.I)
_SUPPRESSED_RE = lazy_compile(r"^(?:(?P<who>[\w.]+): )?(?P<count>[0-9]{1,12}) callbacks suppressed")
_HUNG_RE = lazy_compile(r"^INFO: task (?P<comm>.{1,64}?):(?P<pid>[0-9]{1,10}) blocked for more than "
                        r"(?P<seconds>[0-9]{1,10}) seconds")
_LOCKUP_RE = lazy_compile(r"^(?:watchdog: )?BUG: soft lockup - CPU#(?P<cpu>[0-9]{1,5}) stuck for "
                          r"(?P<seconds>[0-9]{1,10})s! \[(?P<comm>.{1,64}?):(?P<pid>[0-9]{1,10})\]")
_UNREGISTER_RE = lazy_compile(r"^unregister_netdevice: waiting for (?P<device>\S{1,64}) to become free\. "
                              r"Usage count = (?P<usage>-?[0-9]{1,10})")
_SYMBOL = r"[A-Za-z_.$][A-Za-z0-9_.$]{0,127}"
_FRAME_RE = lazy_compile(
    r"^\s*(?:\[<[0-9a-fA-F]{1,16}>\]\s*)?(?P<unreliable>\?\s+)?(?P<symbol>" + _SYMBOL + r")"
    r"\+0x[0-9a-fA-F]{1,16}(?:/0x[0-9a-fA-F]{1,16})?(?:\s+\[(?P<module>[\w-]{1,64})\])?\s*$")
_RIP_RE = lazy_compile(r"^\s*RIP: [0-9a-fA-F]{4}:(?:\[<[0-9a-fA-F]+>\]\s*){0,2}(?P<symbol>" + _SYMBOL + r")\+0x")
_WORKQUEUE_RE = lazy_compile(r"^Workqueue: (?P<workqueue>.{1,128})$")
# Lines inside a trace that are neither frames nor the end of it.
_TRACE_CONTEXT_RE = lazy_compile(
    r"^\s*(?:</?[A-Z]{2,5}>|R[A-Z0-9]{2}: |Call Trace:|Call trace:|Code: |Tainted:|Not tainted|"
    r"\"echo 0 > |task:|CPU: |Hardware name:|Workqueue:|Modules linked in:|RIP: |RSP: |FS: |CS: |CR2: |DR[0-9]: |"
    r"[0-9a-f]{16}|Showing|[0-9]+ locks? held by|#[0-9]+: |[\w/:.-]+ +D +[0-9a-f]|irq event stamp|hardirqs|softirqs)")
_SYMBOL_SUFFIX_RE = lazy_compile(r"\.(?:isra|constprop|part|cold|clone|lto_priv)(?:\.[0-9]+)*$|\.[0-9]+$")


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if value is not None else u""


def base_symbol(symbol):
    """``inet_evict_bucket.isra.8`` -> ``inet_evict_bucket``: what the source calls the function."""
    previous = None
    while previous != symbol:
        previous = symbol
        symbol = _SYMBOL_SUFFIX_RE.sub("", symbol)
    return symbol


def classify_trace(frames, context=()):
    """The kernel path a trace runs through: module_request, netns_frag, netns, netfilter or None.

    ``frames`` are dicts with ``symbol`` (and optionally ``module``);
    ``context`` are other lines of the report (lockdep's "held by" lines
    name ``net_mutex``).
    """
    symbols = set(base_symbol(f.get("symbol") or "") for f in frames)
    for name, markers in TRACE_PATHS:
        if symbols & markers:
            return name
    if any(lock in line for line in context for lock in NETNS_LOCKS):
        return "netns"
    for frame in frames:
        symbol = base_symbol(frame.get("symbol") or "")
        if symbol.startswith(NETFILTER_PREFIXES) or (frame.get("module") or "").startswith(NETFILTER_MODULES):
            return "netfilter"
    return None


def _stamp_of(match, state):
    """(wall, mono, text) of a prefix match; wall in naive local seconds or None."""
    groups = match.groupdict()
    wall = None
    label = None
    try:
        if groups.get("iyear"):
            fields = [int(groups["iyear"]), int(groups["imon"]), int(groups["iday"])]
            hms = [int(x) for x in groups["itime"].split(":")]
            wall = calendar.timegm(tuple(fields + hms + [0, 0, 0]))
            label = "%s-%s-%sT%s" % (groups["iyear"], groups["imon"], groups["iday"], groups["itime"])
        elif groups.get("cyear"):
            hms = [int(x) for x in groups["ctime"].split(":")]
            wall = calendar.timegm((int(groups["cyear"]), MONTHS[groups["cmon"]], int(groups["cday"]),
                                    hms[0], hms[1], hms[2], 0, 0, 0))
            label = "%s-%02d-%02dT%s" % (groups["cyear"], MONTHS[groups["cmon"]], int(groups["cday"]),
                                         groups["ctime"])
        elif groups.get("smon"):
            month = MONTHS.get(groups["smon"])
            if month:
                wall, label = _syslog_wall(month, int(groups["sday"]), groups["stime"], state)
    except (ValueError, KeyError, OverflowError, TypeError):
        wall = None
        label = None
    mono = None
    if groups.get("mono"):
        try:
            mono = float(groups["mono"])
        except ValueError:
            mono = None
    return wall, mono, label


def _syslog_wall(month, day, hms_text, state):
    """Seconds for a year-less syslog stamp: the year comes from the reference and roll-over."""
    if state["year"] is None:
        reference = state["reference"]
        try:
            ref = time.gmtime(reference) if reference is not None else None
        except (ValueError, OverflowError, OSError, TypeError):
            ref = None
        if ref is not None:
            # A log that starts after the reference's day began last year.
            state["year"] = ref.tm_year if (month, day) <= (ref.tm_mon, ref.tm_mday + 1) else ref.tm_year - 1
        else:
            state["year"] = 2000  # a leap year, so Feb 29 parses; only differences mean anything then
            state["yearless"] = True
    elif state["last_month"] is not None and month < state["last_month"] - 6:
        state["year"] += 1  # December -> January inside the log
    state["last_month"] = month
    hms = [int(x) for x in hms_text.split(":")]
    wall = calendar.timegm((state["year"], month, day, hms[0], hms[1], hms[2], 0, 0, 0))
    label = ("%04d-%02d-%02dT%s" % (state["year"], month, day, hms_text)) if not state.get("yearless") else (
        "%02d-%02dT%s" % (month, day, hms_text))
    return wall, label


def _iso(seconds):
    """'2020-06-02T16:03:10' for naive seconds, or None when the platform cannot show that year."""
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    except (ValueError, OverflowError, OSError, TypeError):
        return None


def _event(source, number, message, wall, mono, label):
    return {"file": source, "line": number, "text": message[:300], "wall": wall, "mono": mono, "time": label}


class _Counter(object):
    """Count, first, last and the newest ``MAX_STAMPS`` times of one kind of message."""

    def __init__(self):
        self.count = 0
        self.first = None
        self.last = None
        self.stamps = []

    def add(self, event):
        self.count += 1
        if self.first is None:
            self.first = event
        self.last = event
        self.stamps.append((event["wall"], event["mono"]))
        if len(self.stamps) > 2 * MAX_STAMPS:
            del self.stamps[:-MAX_STAMPS]

    def as_dict(self):
        return {"count": self.count, "first": self.first, "last": self.last, "stamps": self.stamps[-MAX_STAMPS:]}


def parse_kernel_log(text, source=None, reference=None, max_lines=DEFAULT_MAX_LINES,
                     max_seconds=DEFAULT_MAX_SECONDS):
    """The netfilter-relevant kernel messages in ``text``, with their times.

    ``source`` names the file or command for the evidence; ``reference`` is
    "now" in the host's local wall clock (naive seconds), used only to give
    year-less syslog stamps a year. Returns::

        {"source", "lines": lines read, "skipped_lines": older lines not read,
         "format": "dmesg" | "dmesg -T" | "syslog" | "iso" | "mixed" | "unknown",
         "first", "last": {"wall", "mono", "time", "line"} of the first/last line,
         "table_full": {"count", "first", "last", "stamps"},
         "suppressed": number of rate-limited messages after table-full lines,
         "hung_tasks": [report], "hung_task_count": n,
         "soft_lockups": [report], "soft_lockup_count": n,
         "unregister_netdevice": {"count", "first", "last", "stamps", "devices": {dev: {"count", "max_usage"}}},
         "timed_out": bool, "problems": [str]}

    An event (first, last) is ``{"file", "line", "text", "wall", "mono",
    "time"}``; ``stamps`` are the ``(wall, mono)`` pairs of the newest
    events. A report is an event plus ``{"kind": "hung_task" |
    "soft_lockup", "comm", "pid", "seconds", "cpu", "workqueue", "path",
    "frames": [{"symbol", "module", "unreliable"}]}``, ``path`` as
    ``classify_trace`` names it.
    """
    started = time.time()
    result = {"source": source, "lines": 0, "skipped_lines": 0, "format": "unknown",
              "first": None, "last": None, "suppressed": 0, "hung_tasks": [], "hung_task_count": 0,
              "soft_lockups": [], "soft_lockup_count": 0, "timed_out": False, "problems": []}
    table_full = _Counter()
    unregister = _Counter()
    devices = {}
    try:
        lines = _text(text).splitlines()
    except (AttributeError, TypeError, ValueError):
        result["problems"].append("kernel log is not text; not parsed")
        lines = []
    offset = 0
    if max_lines is not None and len(lines) > max_lines:
        offset = len(lines) - max_lines
        result["skipped_lines"] = offset
        result["problems"].append("%d lines; only the newest %d were read" % (len(lines), max_lines))
        lines = lines[offset:]
    state = {"year": None, "last_month": None, "reference": reference, "yearless": False}
    formats = set()
    trace = None  # the hung-task / soft-lockup report whose frames are being read
    last_full_line = None
    last_index = None
    for index, raw in enumerate(lines):
        if index & 4095 == 0 and index and time.time() - started > max_seconds:
            result["timed_out"] = True
            result["problems"].append("stopped after %.0f s at line %d of %d" % (
                max_seconds, index + offset, len(lines) + offset))
            break
        result["lines"] += 1
        last_index = index
        line = raw[:MAX_LINE]
        first_line = result["first"] is None
        if not (trace is not None or first_line or _KEYWORDS_RE.search(line)):
            continue
        number = index + offset + 1
        prefix = _PREFIX_RE.match(line)
        wall, mono, label = _stamp_of(prefix, state)
        if first_line and (wall is not None or mono is not None):
            # Banners ("-- Logs begin at ...", "-- No entries --") carry no stamp: the span starts after them.
            result["first"] = {"wall": wall, "mono": mono, "time": label, "line": number}
            formats.add(_format_of(prefix))
        program = prefix.group("sprog") or prefix.group("iprog")
        if program is not None and program != "kernel":
            continue  # another program's syslog line
        stripped = line[prefix.end():].replace(u"\xa0", u" ").strip()
        if trace is not None:
            if number - trace["line"] > TRACE_WINDOW or _is_header(stripped):
                _close_trace(trace, result)
                trace = None
            else:
                _trace_line(trace, stripped)
                if trace.pop("ended", False):
                    _close_trace(trace, result)
                    trace = None
                continue
        if not _KEYWORDS_RE.search(stripped):
            continue
        event = _event(source, number, stripped, wall, mono, label)
        if _TABLE_FULL_RE.match(stripped):
            table_full.add(event)
            last_full_line = number
            continue
        suppressed = _SUPPRESSED_RE.match(stripped)
        if suppressed:
            who = suppressed.group("who") or ""
            if who.startswith("nf_conntrack") or (last_full_line is not None and number - last_full_line <= 20):
                result["suppressed"] += int(suppressed.group("count"))
            continue
        hung = _HUNG_RE.match(stripped)
        lockup = None if hung else _LOCKUP_RE.match(stripped)
        if hung or lockup:
            match = hung or lockup
            kind = "hung_task" if hung else "soft_lockup"
            result[kind + "_count"] += 1
            trace = dict(event, kind=kind, comm=match.group("comm"), pid=int(match.group("pid")),
                         seconds=int(match.group("seconds")), cpu=int(lockup.group("cpu")) if lockup else None,
                         frames=[], workqueue=None, context=[])
            continue
        unreg = _UNREGISTER_RE.match(stripped)
        if unreg:
            unregister.add(event)
            device = devices.setdefault(unreg.group("device"), {"count": 0, "max_usage": None})
            device["count"] += 1
            usage = int(unreg.group("usage"))
            if device["max_usage"] is None or usage > device["max_usage"]:
                device["max_usage"] = usage
    if trace is not None:
        _close_trace(trace, result)
    # The newest stamped line ends the span (a trailing banner or a cut line has no stamp).
    for index in range(last_index if last_index is not None else -1, max(-1, (last_index or 0) - 64), -1):
        prefix = _PREFIX_RE.match(lines[index][:MAX_LINE])
        wall, mono, label = _stamp_of(prefix, state)
        if wall is not None or mono is not None:
            result["last"] = {"wall": wall, "mono": mono, "time": label, "line": index + offset + 1}
            formats.add(_format_of(prefix))
            break
    formats.discard(None)
    result["format"] = formats.pop() if len(formats) == 1 else ("mixed" if formats else "unknown")
    result["table_full"] = table_full.as_dict()
    result["unregister_netdevice"] = dict(unregister.as_dict(), devices=devices)
    return result


def _format_of(prefix):
    groups = prefix.groupdict()
    if groups.get("iyear"):
        return "iso"
    if groups.get("smon"):
        return "syslog"
    if groups.get("cyear"):
        return "dmesg -T"
    if groups.get("mono"):
        return "dmesg"
    return None


def _is_header(message):
    return bool(_HUNG_RE.match(message) or _LOCKUP_RE.match(message) or _TABLE_FULL_RE.match(message)
                or _UNREGISTER_RE.match(message))


def _trace_line(trace, message):
    frame = _FRAME_RE.match(message)
    if frame:
        if len(trace["frames"]) < MAX_FRAMES:
            trace["frames"].append({"symbol": frame.group("symbol"), "module": frame.group("module"),
                                    "unreliable": bool(frame.group("unreliable"))})
        return
    rip = _RIP_RE.match(message)
    if rip and not trace["frames"]:
        trace["frames"].append({"symbol": rip.group("symbol"), "module": None, "unreliable": False})
        return
    workqueue = _WORKQUEUE_RE.match(message)
    if workqueue:
        trace["workqueue"] = workqueue.group("workqueue").strip()
        return
    if message.startswith("---[ end trace") or message.startswith("Kernel panic"):
        trace["ended"] = True
        return
    if len(trace["context"]) < 16 and any(lock in message for lock in NETNS_LOCKS):
        trace["context"].append(message[:200])
    if trace["frames"] and message and not _TRACE_CONTEXT_RE.match(message):
        # The first line after the frames that is not part of a report ends it.
        trace["ended"] = True


def _close_trace(trace, result):
    trace.pop("ended", None)
    context = trace.pop("context", [])
    if trace.get("workqueue") and "cleanup_net" in trace["workqueue"]:
        context.append("Workqueue: %s" % trace["workqueue"])
    trace["path"] = classify_trace(trace["frames"], context)
    if trace["path"] is None and trace.get("workqueue") and "cleanup_net" in trace["workqueue"]:
        trace["path"] = "netns"
    key = "hung_tasks" if trace["kind"] == "hung_task" else "soft_lockups"
    reports = result[key]
    # Keep the first reports of each path: a flood of one unrelated hang must not hide a netfilter one.
    same_path = [r for r in reports if r["path"] == trace["path"]]
    if len(reports) < MAX_REPORTS or (trace["path"] is not None and len(same_path) < 3):
        reports.append(trace)
    elif trace["path"] is not None:
        same_path[-1]["repeats"] = same_path[-1].get("repeats", 0) + 1
        same_path[-1]["last_time"] = trace.get("time")


def _as_wall(stamp, boot_wall):
    """Wall seconds of a (wall, mono) pair, or None."""
    wall, mono = stamp
    if wall is not None:
        return wall
    if mono is not None and boot_wall is not None:
        return boot_wall + mono
    return None


def _age(stamp, reference, boot_wall, uptime, last_mono):
    """Seconds between an event and the reference ("now" or the end of the log), or None."""
    when = _as_wall(stamp, boot_wall)
    if when is not None and reference is not None:
        return max(0.0, reference - when)
    mono = stamp[1]
    if mono is not None:
        if uptime is not None:
            return max(0.0, uptime - mono)
        if last_mono is not None:
            return max(0.0, last_mono - mono)
    return None


def _span(parsed, boot_wall):
    """(start, end) wall seconds a parsed source covers, or None when it has no wall clock."""
    first, last = parsed.get("first"), parsed.get("last")
    if not first or not last:
        return None
    start = _as_wall((first.get("wall"), first.get("mono")), boot_wall)
    end = _as_wall((last.get("wall"), last.get("mono")), boot_wall)
    if start is None or end is None:
        return None
    return (start, end)


def _covered(stamp, spans, boot_wall):
    when = _as_wall(stamp, boot_wall)
    if when is None:
        return False
    return any(start - 2 <= when <= end + 2 for start, end in spans)


def _timed_event(event, reference, boot_wall, uptime, last_mono):
    if event is None:
        return None
    out = dict(event)
    out["age_seconds"] = _age((event.get("wall"), event.get("mono")), reference, boot_wall, uptime, last_mono)
    wall = _as_wall((event.get("wall"), event.get("mono")), boot_wall)
    if out.get("time") is None and wall is not None:
        out["time"] = _iso(wall)
    return out


def summarise_kernel_logs(parsed_sources, now=None, uptime=None):
    """One view of several parsed logs of the same host, each message counted once.

    ``parsed_sources`` are ``parse_kernel_log`` results, best first (this
    boot's journal or dmesg, then the persistent syslog files). A later
    source's event is dropped when an earlier source with a wall clock covers
    its time (/var/log/kern.log repeats what journalctl -k showed), and a
    source without a wall clock (plain dmesg of a captured tree) only counts
    a kind of message no source with a wall clock has. ``now`` is the host's
    local wall clock time (live) and ``uptime`` its /proc/uptime; without
    ``now``, ages are measured to the end of the log.

    Returns ``{"sources": [{"source", "format", "lines", "skipped_lines",
    "timed_out"}], "reference": {"time", "basis"}, "table_full": None |
    {"count", "suppressed", "first", "last", "last_hour", "last_day",
    "at_least"}, "unregister_netdevice": None | {"count", "first", "last",
    "last_hour", "last_day", "at_least", "devices"}, "hung_tasks": [report],
    "hung_task_count", "soft_lockups": [report], "soft_lockup_count",
    "problems"}``; events and reports carry ``age_seconds``.
    """
    sources = [p for p in parsed_sources or [] if isinstance(p, dict)]
    boot_wall = now - uptime if now is not None and uptime is not None else None
    spans_of = [_span(p, boot_wall) for p in sources]
    ends = [span[1] for span in spans_of if span]
    if now is not None:
        reference, basis = now, "now"
    elif ends:
        reference, basis = max(ends), "end of log"
    else:
        reference, basis = None, "end of log (seconds since boot)"
    last_monos = [p["last"]["mono"] for p in sources if p.get("last") and p["last"].get("mono") is not None]
    last_mono = max(last_monos) if last_monos else None
    timing = (reference, boot_wall, uptime, last_mono)
    summary = {"sources": [], "reference": {"time": None, "basis": basis},
               "table_full": None, "unregister_netdevice": None, "hung_tasks": [], "hung_task_count": 0,
               "soft_lockups": [], "soft_lockup_count": 0, "problems": []}
    if reference is not None:
        summary["reference"]["time"] = _iso(reference)
    aligned_kinds = set()
    for parsed, span in zip(sources, spans_of):
        for kind in ("table_full", "unregister_netdevice", "hung_tasks", "soft_lockups"):
            if span is not None and _has(parsed, kind):
                aligned_kinds.add(kind)
    spans = []
    merged = {}
    for parsed, span in zip(sources, spans_of):
        summary["sources"].append(dict((k, parsed.get(k)) for k in ("source", "format", "lines", "skipped_lines",
                                                                    "timed_out")))
        for problem in parsed.get("problems") or []:
            summary["problems"].append("%s: %s" % (parsed.get("source"), problem))
        for kind in ("table_full", "unregister_netdevice", "hung_tasks", "soft_lockups"):
            if span is None and kind in aligned_kinds:
                continue  # the same messages, better timed, come from another source
            if kind in ("hung_tasks", "soft_lockups"):
                _merge_reports(summary, parsed, kind, spans, timing)
            else:
                _merge_counts(merged, parsed, kind, spans, boot_wall)
        if span is not None:
            spans.append(span)
    for kind, block in merged.items():
        ages = [_age(s, *timing) for s in block["stamps"]]
        known = [a for a in ages if a is not None]
        out = {
            "count": block["count"],
            "first": _timed_event(block["first"], *timing),
            "last": _timed_event(block["last"], *timing),
            "last_hour": len([a for a in known if a <= 3600]) if known else None,
            "last_day": len([a for a in known if a <= 86400]) if known else None,
            # Only the newest MAX_STAMPS times are kept: the windows are lower bounds in a flood.
            "at_least": block["count"] > len(block["stamps"]),
        }
        if kind == "table_full":
            out["suppressed"] = block["suppressed"]
        else:
            out["devices"] = block["devices"]
        summary[kind] = out
    return summary


def _has(parsed, kind):
    if kind in ("hung_tasks", "soft_lockups"):
        return bool(parsed.get(kind))
    return bool((parsed.get(kind) or {}).get("count"))


def _merge_counts(merged, parsed, kind, spans, boot_wall):
    block = parsed.get(kind) or {}
    stamps = block.get("stamps") or []
    kept = [s for s in stamps if not _covered(s, spans, boot_wall)]
    if not kept:
        return
    into = merged.setdefault(kind, {"count": 0, "stamps": [], "first": None, "last": None, "suppressed": 0,
                                    "devices": {}})
    # Events beyond the kept stamps (a flood) are older than them: counted when the source is new here.
    unstamped = max(0, (block.get("count") or 0) - len(stamps)) if len(kept) == len(stamps) else 0
    into["count"] += len(kept) + unstamped
    into["stamps"].extend(kept)
    into["stamps"] = into["stamps"][-MAX_STAMPS:]
    for candidate in (block.get("first"), block.get("last")):
        if not candidate or _covered((candidate.get("wall"), candidate.get("mono")), spans, boot_wall):
            continue
        if into["first"] is None or _before(candidate, into["first"], boot_wall):
            into["first"] = candidate
        if into["last"] is None or not _before(candidate, into["last"], boot_wall):
            into["last"] = candidate
    if kind == "table_full":
        into["suppressed"] += parsed.get("suppressed") or 0
    for name, info in (block.get("devices") or {}).items():
        entry = into["devices"].setdefault(name, {"count": 0, "max_usage": None})
        entry["count"] += info.get("count") or 0
        usage = info.get("max_usage")
        if usage is not None and (entry["max_usage"] is None or usage > entry["max_usage"]):
            entry["max_usage"] = usage


def _before(event, other, boot_wall):
    if not event or not other:
        return False
    a = _as_wall((event.get("wall"), event.get("mono")), boot_wall)
    b = _as_wall((other.get("wall"), other.get("mono")), boot_wall)
    return a is not None and b is not None and a < b


def _merge_reports(summary, parsed, kind, spans, timing):
    reports = parsed.get(kind) or []
    boot_wall = timing[1]
    fresh = [r for r in reports if not _covered((r.get("wall"), r.get("mono")), spans, boot_wall)]
    count_key = "hung_task_count" if kind == "hung_tasks" else "soft_lockup_count"
    if len(fresh) == len(reports):
        summary[count_key] += parsed.get(count_key) or len(reports)
    else:
        summary[count_key] += len(fresh)
    for report in fresh:
        if len(summary[kind]) < MAX_REPORTS:
            summary[kind].append(_timed_event(report, *timing))
