# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nfdoctor contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read kdump crash evidence: ``vmcore-dmesg.txt`` and the ``crash`` tool's ``bt`` output.

The audit wants to know whether a host already crashed in a path nfdoctor
knows about: the NFQUEUE GSO NULL dereference in ``nf_queue`` (seed 001) or the
netns cleanup loop in ``inet_frags_exit_net`` (seed 004).

Sample input (``vmcore-dmesg.txt`` of a RHEL 6 kernel)::

    <1>BUG: unable to handle kernel NULL pointer dereference at (null)
    <1>IP: [<ffffffff81475718>] nf_queue+0x98/0x2c0
    <4>RIP: 0010:[<ffffffff81475718>]  [<ffffffff81475718>] nf_queue+0x98/0x2c0
    <4>Call Trace:
    <4> <IRQ>
    <4> [<ffffffff81474800>] nf_hook_slow+0x80/0x120

Sample input (``crash> bt``)::

    PID: 0      TASK: ffff882069324080  CPU: 5   COMMAND: "swapper"
     #8 [ffff8800618a3ab0] page_fault at ffffffff815104d5
        [exception RIP: nf_queue+152]
     #9 [ffff8800618a3bd8] nf_hook_slow at ffffffff81474800
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_text import lines_of

SIGNATURES = ('nf_queue_gso', 'netns_cleanup')

# Frames the kernel's own oops and kdump machinery adds above the faulting
# function; the "top" of a trace is the first frame that is not one of them.
OOPS_MACHINERY = frozenset((
    'machine_kexec', 'crash_kexec', '__crash_kexec', 'oops_end', 'no_context', '__bad_area_nosemaphore',
    'bad_area_nosemaphore', '__do_page_fault', 'do_page_fault', 'page_fault', 'do_user_addr_fault',
    'exc_page_fault', 'asm_exc_page_fault', 'page_fault_oops', 'kernelmode_fixup_or_oops', 'die',
    'do_trap', 'do_error_trap', 'do_invalid_op', 'invalid_op', 'do_general_protection',
    'general_protection', 'exc_general_protection', 'asm_exc_general_protection', 'dump_stack',
    'dump_stack_lvl', 'show_stack', 'panic', 'ret_from_intr', 'do_IRQ', 'apic_timer_interrupt',
    'smp_apic_timer_interrupt', 'watchdog_timer_fn', '__die', '__die_body', 'spurious_kernel_fault',
))
# From 3.10 the GSO segmentation of queued packets sits in nfqnl_enqueue_packet
# (net/netfilter/nfnetlink_queue.c), so a crash there is the same bug.
NF_QUEUE_FUNCTIONS = ('nf_queue', '__nf_queue', 'nf_queue_gso_segment', 'nf_queue_entry_get_refs',
                      'nfqnl_enqueue_packet')
GSO_FUNCTIONS = ('skb_gso_segment', '__skb_gso_segment', 'skb_mac_gso_segment', 'skb_segment',
                 'nf_queue_gso_segment')
NETNS_FRAG_FUNCTIONS = ('inet_frags_exit_net', 'inet_evict_bucket', 'ipv4_frags_exit_net',
                        'ipv6_frags_exit_net', 'nf_ct_frags6_exit_net', 'inet_frag_kill')

# Log prefixes that may stand before the message: "<4>", "[  12.345678] ",
# "Jun  2 16:04:34 host kernel: ", "[Tue Jun 2 16:04:34 2020] ".
_PREFIX_RE = re.compile(
    r'^(?:<[0-9]>)?'
    r'(?:[A-Z][a-z]{2}\s+[0-9]{1,2}\s+[0-9:]{8}\s+\S+\s+kernel:\s*)?'
    r'(?:\[\s*[0-9]+\.[0-9]+\]\s?|\[[A-Z][a-z]{2} [A-Z][a-z]{2}\s+[0-9]{1,2} [0-9:]{8} [0-9]{4}\]\s?)?')
_SYMBOL = r'[A-Za-z_.$][A-Za-z0-9_.$]*'
_FRAME_RE = re.compile(
    r'^\s*(?:\[<[0-9a-fA-F]+>\]\s*)?(?P<unreliable>\?\s+)?(?P<symbol>' + _SYMBOL + r')'
    r'\+(?P<offset>0x[0-9a-fA-F]+(?:/0x[0-9a-fA-F]+)?)(?:\s+\[\S+\])?\s*$')
_RIP_RE = re.compile(r'^\s*(?:RIP|EIP|IP|PC is at|pc)(?:\s*:\s*|\s+)(?:[0-9a-fA-F]{4}:)?(?:\[<[0-9a-fA-F]+>\]\s*)*'
                     r'(?P<where>(?P<symbol>' + _SYMBOL + r')\+[0-9a-fA-Fx/]+)')
_CRASH_RIP_RE = re.compile(r'^\s*\[exception RIP: (?P<where>(?P<symbol>' + _SYMBOL + r')(?:\+[0-9a-fA-Fx/]+)?)\]')
_CRASH_FRAME_RE = re.compile(r'^\s*#[0-9]+\s+\[[0-9a-fA-F]+\]\s+(?P<symbol>' + _SYMBOL + r')\s+at\s+[0-9a-fA-F]+')
_PANIC_RE = re.compile(r'^\s*(?:BUG: |kernel BUG at |Kernel panic - not syncing|general protection fault|'
                       r'Unable to handle kernel|watchdog: BUG: soft lockup|BUG: soft lockup|'
                       r'divide error|invalid opcode)')
_CRASH_PANIC_RE = re.compile(r'^\s*PANIC:\s+')
# printk lines are at most 1024 characters; cutting longer ones keeps every
# regex here linear on hostile input.
_MAX_LINE = 4096
_RELEASE_RES = (
    re.compile(r'(?:Not tainted|Tainted: [A-Z ]*?)\s+(?P<release>[0-9]+\.[0-9]+\S*)\s+#'),
    re.compile(r'^\s*RELEASE:\s+(?P<release>\S+)'),
)
_TRACE_END_RE = re.compile(r'^\s*(?:Code: |---\[ end trace|RIP\s+\[<|Kernel panic|CR2: )')


def _strip_prefix(line):
    return _PREFIX_RE.sub('', line, count=1)


def _top_frame(call_trace):
    """Return the first frame that is not oops or kdump machinery, or None."""
    for symbol in call_trace:
        if symbol not in OOPS_MACHINERY:
            return symbol
    return None


def _signature(rip_symbol, call_trace, panic, lines_text):
    """Return the known crash signature for this evidence, or None."""
    top = rip_symbol or _top_frame(call_trace)
    in_trace = set(call_trace)
    # crash's bt shows the page-fault path instead of the BUG line when only
    # the backtrace was saved; a kernel-mode page fault in nf_queue is the
    # same bad dereference.
    page_fault = bool(in_trace.intersection(('no_context', 'page_fault_oops', '__bad_area_nosemaphore')))
    null_deref = (bool(panic) and 'NULL pointer' in panic) or page_fault
    if top in NF_QUEUE_FUNCTIONS and (null_deref or in_trace.intersection(GSO_FUNCTIONS)):
        return 'nf_queue_gso'
    if top in GSO_FUNCTIONS and in_trace.intersection(NF_QUEUE_FUNCTIONS):
        return 'nf_queue_gso'
    frag_loop = (top in NETNS_FRAG_FUNCTIONS or bool(in_trace.intersection(NETNS_FRAG_FUNCTIONS)))
    if frag_loop and ('cleanup_net' in in_trace or 'Workqueue: netns cleanup_net' in lines_text):
        return 'netns_cleanup'
    return None


def parse_vmcore_dmesg(text):
    """Parse a kernel oops log (``vmcore-dmesg.txt``, dmesg) or ``crash`` ``bt``/``sys`` output.

    Returns ``{"rip_symbol": str|None, "rip": str|None, "panic": str|None,
    "call_trace": [str], "signature": "nf_queue_gso"|"netns_cleanup"|None,
    "release": str|None}``, describing the first oops in the text:
    ``rip`` is where it faulted (``nf_queue+0x98/0x2c0``, or crash's decimal
    ``nf_queue+152``), ``panic`` the BUG/panic message, ``call_trace`` the
    frame symbols innermost first (unreliable ``?`` frames included),
    ``release`` the kernel release the log names.  ``signature`` is
    ``nf_queue_gso`` when the fault is in nf_queue/__nf_queue after a NULL
    dereference (or a kernel page fault, as crash's bt shows it) or with GSO segmentation in the trace (or in the GSO code
    called from nf_queue), ``netns_cleanup`` when ``cleanup_net`` is stuck in
    the fragment teardown (``inet_frags_exit_net``/``inet_evict_bucket``).
    """
    result = {'rip_symbol': None, 'rip': None, 'panic': None, 'call_trace': [], 'signature': None,
              'release': None}
    in_trace = False
    trace_done = False
    kept = []
    for raw in lines_of(text):
        # Logs pasted through web pages and ticket systems carry no-break
        # spaces where the kernel printed plain ones.
        line = _strip_prefix(raw[:_MAX_LINE].replace(u'\xa0', u' '))
        kept.append(line)
        if result['release'] is None:
            for release_re in _RELEASE_RES:
                release = release_re.search(line)
                if release:
                    result['release'] = release.group('release')
                    break
        if result['panic'] is None:
            crash_panic = _CRASH_PANIC_RE.match(line)
            if crash_panic:
                # crash's sys output: PANIC: "BUG: unable to handle ..."
                message = line[crash_panic.end():].strip().strip('"').strip()
            elif _PANIC_RE.match(line):
                message = line.strip()
            else:
                message = None
            if message:
                result['panic'] = message
                continue
        if result['rip'] is None:
            rip = _CRASH_RIP_RE.match(line) or _RIP_RE.match(line)
            if rip:
                result['rip'] = rip.group('where')
                result['rip_symbol'] = rip.group('symbol')
                continue
        if trace_done:
            continue
        if line.startswith('PID: ') and result['call_trace']:
            # "bt -a" prints one backtrace per task; the first is the panic.
            trace_done = True
            continue
        crash_frame = _CRASH_FRAME_RE.match(line)
        if crash_frame:
            result['call_trace'].append(crash_frame.group('symbol'))
            continue
        if line.strip() in ('Call Trace:', 'Call trace:'):
            if result['call_trace']:
                trace_done = True
            in_trace = True
            continue
        if not in_trace:
            continue
        if _TRACE_END_RE.match(line):
            in_trace = False
            trace_done = True
            continue
        frame = _FRAME_RE.match(line)
        if frame:
            result['call_trace'].append(frame.group('symbol'))
        # Other lines inside a trace (<IRQ>, <EOI>, register dumps in newer
        # kernels) are context, not frames.
    result['signature'] = _signature(result['rip_symbol'], result['call_trace'], result['panic'],
                                     u'\n'.join(kept[:2000]))
    return result
