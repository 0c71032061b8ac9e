#!/usr/bin/env bash
# conntrack_hygiene on scratch roots: flush jobs reported, then commented out;
# a 92 % full table raised within the limit; a quiet table left alone.
source "$(dirname "$0")/../setup_remediation/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
PY="$REPO/.venv/bin/python"

# proc_tree ROOT COUNT MAX HASHSIZE: the /proc and /sys files the role reads
proc_tree() {
    mkdir -p "$1/proc/sys/net/netfilter" "$1/sys/module/nf_conntrack/parameters"
    echo "$2" >"$1/proc/sys/net/netfilter/nf_conntrack_count"
    echo "$3" >"$1/proc/sys/net/netfilter/nf_conntrack_max"
    echo "$4" >"$1/sys/module/nf_conntrack/parameters/hashsize"
}

root=$(make_root busy "$FIXTURES/flush_jobs")
proc_tree "$root" 60293 65536 8192
# An admin's own mode on a directory the role writes into stays (it used to be forced to 0755).
mkdir -p "$root/etc/modprobe.d" && chmod 0700 "$root/etc/modprobe.d"
before=$(tree_state "$root")

play report "$HERE/converge.yml" -e nfdoctor_test_root="$root" -e nfdoctor_test_disable=false \
    -e nfdoctor_test_report="$WORK/report.json" --check --diff
[ "$(tree_state "$root")" = "$before" ] || fail "--check changed files"
"$PY" - "$WORK/report.json" <<'PYCHECK' || fail "report-only run: wrong plan or pending actions"
import json, sys
report = json.load(open(sys.argv[1]))
result = report["result"]
assert (result["count"], result["max"], result["new_max"], result["new_hashsize"]) == (60293, 65536, 131072, 32768), result
assert result["raise"] is True and result["fill_ratio"] == 0.92, result
pending = report["pending"]
assert len([p for p in pending if p.endswith("to comment it out")]) == 6, pending
units = [p for p in pending if "systemctl disable --now conntrack-flush.service" in p]
assert len(units) == 1 and "/etc/systemd/system/conntrack-flush.service:6" in units[0], pending
PYCHECK
pass "--check: nothing written; 7 flush jobs reported, max 65536 -> 131072 and hashsize 8192 -> 32768 planned"

play converge "$HERE/converge.yml" -e nfdoctor_test_root="$root" -e nfdoctor_test_report="$WORK/converge.json"
[ "$CHANGED" -gt 0 ] || fail "converge changed nothing"
grep -qx '# disabled by nfdoctor.netfilter.conntrack_hygiene: /usr/sbin/conntrack -F' "$root/etc/rc.d/rc.local" \
    || fail "rc.local flush not commented out"
grep -qx 'ExecStart=/usr/sbin/conntrack -F' "$root/etc/systemd/system/conntrack-flush.service" \
    || fail "a unit's ExecStart= was commented out"
grep -qx 'net.netfilter.nf_conntrack_max=131072' "$root/etc/sysctl.d/99-zz-nfdoctor-conntrack.conf" || fail "sysctl file"
grep -qx 'options nf_conntrack hashsize=32768' "$root/etc/modprobe.d/zz-nfdoctor-conntrack-hashsize.conf" \
    || fail "hashsize file"
grep -q 'KERNEL=="nf_conntrack"' "$root/etc/udev/rules.d/99-zz-nfdoctor-conntrack.rules" || fail "udev rule"
pass "converge comments out the flush jobs and writes the sysctl, modprobe and udev files"
[ "$(stat -c %a "$root/etc/modprobe.d")" = 700 ] \
    || fail "the admin's 0700 /etc/modprobe.d became $(stat -c %a "$root/etc/modprobe.d")"
[ "$(stat -c '%a %U:%G' "$root/etc/udev/rules.d")" = "755 root:root" ] || fail "the missing udev/rules.d was not made 0755"
pass "an existing directory keeps its mode; a missing one is made root:root 0755"

after=$(tree_state "$root")
play idempotence "$HERE/converge.yml" -e nfdoctor_test_root="$root" -e nfdoctor_test_report="$WORK/again.json"
[ "$CHANGED" -eq 0 ] || fail "second converge reported changed=$CHANGED"
[ "$(tree_state "$root")" = "$after" ] || fail "second converge changed files"
pass "second converge: changed=0"

quiet=$(make_root quiet "$FIXTURES/flush_jobs")
rm -rf "$quiet/etc/cron.d" "$quiet/etc/cron.daily" "$quiet/etc/crontab" "$quiet/var" "$quiet/etc/rc.d" \
    "$quiet/etc/rc.local" "$quiet/etc/systemd"
proc_tree "$quiet" 1203 262144 65536
before=$(tree_state "$quiet")
play quiet "$HERE/converge.yml" -e nfdoctor_test_root="$quiet" -e nfdoctor_test_report="$WORK/quiet.json"
[ "$CHANGED" -eq 0 ] && [ "$(tree_state "$quiet")" = "$before" ] || fail "a quiet host was changed"
pass "quiet host (0.5 % full, no flush jobs): changed=0"

full=$(make_root full "$FIXTURES/flush_jobs")
proc_tree "$full" 1040000 1048576 262144
play full "$HERE/converge.yml" -e nfdoctor_test_root="$full" -e nfdoctor_test_report="$WORK/full.json"
"$PY" - "$WORK/full.json" <<'PYCHECK' || fail "table at the limit: wrong plan"
import json, sys
report = json.load(open(sys.argv[1]))
assert report["result"]["at_limit"] is True and report["result"]["raise"] is False, report["result"]
assert any("raise nfdoctor_conntrack_hygiene_max_limit" in p for p in report["pending"]), report["pending"]
PYCHECK
[ ! -e "$full/etc/sysctl.d/99-zz-nfdoctor-conntrack.conf" ] || fail "raised past the limit"
pass "table at the limit: not raised, recorded as a pending action"

# The same busy table planned from the audit's facts (what remediate.yml passes), not from files:
# the tree holds no /proc table files at all, so only the facts can give the plan.
factsroot=$(make_root facts "$FIXTURES/flush_jobs")
play facts "$HERE/converge.yml" -e nfdoctor_test_root="$factsroot" -e nfdoctor_test_report="$WORK/facts.json" \
    -e '{"nfdoctor_facts": {"conntrack": {"count": 60293, "max": 65536, "hashsize": 8192}}}' --check
"$PY" - "$WORK/facts.json" <<'PYCHECK' || fail "plan from the facts: wrong plan"
import json, sys
result = json.load(open(sys.argv[1]))["result"]
assert (result["count"], result["max"], result["new_max"], result["new_hashsize"]) == (60293, 65536, 131072, 32768), result
assert result["threshold"] == 0.8, result  # the audit's own near-full ratio
PYCHECK
pass "plan from the audit's facts: the audit's threshold, same figures as from the files"

# A threshold out of range fails with its range, before anything is written.
bad=$(make_root bad "$FIXTURES/flush_jobs")
proc_tree "$bad" 60293 65536 8192
before=$(tree_state "$bad")
if "$PLAYBOOK" -i localhost, -c local -e 'ansible_python_interpreter={{ ansible_playbook_python }}' "$HERE/converge.yml" \
        -e nfdoctor_test_root="$bad" -e nfdoctor_test_report="$WORK/bad.json" \
        -e nfdoctor_conntrack_hygiene_fill_threshold=1.5 >"$WORK/bad.log" 2>&1; then
    fail "fill_threshold=1.5 was accepted"
fi
tr -s '\n ' '  ' <"$WORK/bad.log" | grep -q 'fill_threshold=1.5 must be a fraction above 0 and at most 1' \
    || fail "no clear message for fill_threshold=1.5"
[ "$(tree_state "$bad")" = "$before" ] || fail "a refused threshold still changed files"
pass "fill_threshold=1.5: refused with its range, nothing written"

# CONNTRACK_INVALID_DROPS (liberal.yml): nf_conntrack_tcp_be_liberal=1, planned from the audit's own finding
# (checks.run_checks over an INVALID-drop rule with be_liberal 0, as the audit reports it) and written only when
# the operator opts in, into the role's sysctl.d file beside the raised maximum.
"$PY" - "$REPO/.build/collections" "$WORK/liberal_facts.json" <<'PYFACTS' || fail "could not build the audit's facts"
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.checks import run_checks
rule = {"source": "iptables-save", "table": "filter", "chain": "KUBE-FORWARD", "line": 12,
        "text": "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP", "packets": 4127}
facts = {"netfilter_rules": {"ct_invalid_drop": [rule]},
         "conntrack": {"count": 60293, "max": 65536, "hashsize": 8192, "tcp_be_liberal": 0,
                       "stats": {"source": "/proc/net/stat/nf_conntrack", "cpus": 2, "totals": {"invalid": 4523}}}}
facts["findings"] = run_checks(facts)
assert "CONNTRACK_INVALID_DROPS" in [f["id"] for f in facts["findings"]], facts["findings"]
json.dump({"nfdoctor_facts": facts}, open(sys.argv[2], "w"))
# The same drops on a calm table (0.5 % full): nothing to raise, so liberal.yml writes the file on its own.
facts["conntrack"].update(count=1203, max=262144, hashsize=65536)
facts["findings"] = run_checks(facts)
ids = [f["id"] for f in facts["findings"]]
assert "CONNTRACK_INVALID_DROPS" in ids and "CONNTRACK_TABLE_NEAR_FULL" not in ids, ids
json.dump({"nfdoctor_facts": facts}, open(sys.argv[2].replace(".json", "_calm.json"), "w"))
PYFACTS
SYSCTL_FILE=etc/sysctl.d/99-zz-nfdoctor-conntrack.conf
LIBERAL_LINE=net.netfilter.nf_conntrack_tcp_be_liberal=1

optout=$(make_root liberal-off)
play liberal-off "$HERE/converge.yml" -e nfdoctor_test_root="$optout" -e nfdoctor_test_report="$WORK/liberal-off.json" \
    -e @"$WORK/liberal_facts.json"
grep -qx 'net.netfilter.nf_conntrack_max=131072' "$optout/$SYSCTL_FILE" || fail "opted out: the maximum was not raised"
! grep -q nf_conntrack_tcp_be_liberal "$optout/$SYSCTL_FILE" || fail "be_liberal was set without the opt-in"
"$PY" - "$WORK/liberal-off.json" <<'PYCHECK' || fail "opted out: no pending action naming the opt-in"
import json, sys
pending = json.load(open(sys.argv[1]))["pending"]
assert [p for p in pending if "set nfdoctor_conntrack_hygiene_tcp_be_liberal: true" in p], pending
PYCHECK
pass "tcp_be_liberal without the opt-in: not set, a pending action names the variable"

liberal=$(make_root liberal)
before=$(tree_state "$liberal")
play liberal-check "$HERE/converge.yml" -e nfdoctor_test_root="$liberal" -e nfdoctor_test_report="$WORK/liberal-check.json" \
    -e @"$WORK/liberal_facts.json" -e nfdoctor_conntrack_hygiene_tcp_be_liberal=true --check --diff
[ "$(tree_state "$liberal")" = "$before" ] || fail "tcp_be_liberal --check changed files"
grep -q "+$LIBERAL_LINE" "$WORK/liberal-check.log" || fail "--diff did not show the be_liberal line"
play liberal "$HERE/converge.yml" -e nfdoctor_test_root="$liberal" -e nfdoctor_test_report="$WORK/liberal.json" \
    -e @"$WORK/liberal_facts.json" -e nfdoctor_conntrack_hygiene_tcp_be_liberal=true
[ "$CHANGED" -gt 0 ] || fail "tcp_be_liberal converge changed nothing"
[ "$(grep -cx "$LIBERAL_LINE" "$liberal/$SYSCTL_FILE")" = 1 ] || fail "be_liberal line not written once"
grep -qx 'net.netfilter.nf_conntrack_max=131072' "$liberal/$SYSCTL_FILE" || fail "be_liberal and max not in one file"
head -1 "$liberal/$SYSCTL_FILE" | grep -q '^# Written by the Ansible role nfdoctor.netfilter.conntrack_hygiene' \
    || fail "the role's header is not the file's first line"
grep -q 'KERNEL=="nf_conntrack"' "$liberal/etc/udev/rules.d/99-zz-nfdoctor-conntrack.rules" \
    || fail "no udev rule re-applying be_liberal when nf_conntrack loads"
after=$(tree_state "$liberal")
play liberal-again "$HERE/converge.yml" -e nfdoctor_test_root="$liberal" -e nfdoctor_test_report="$WORK/liberal-again.json" \
    -e @"$WORK/liberal_facts.json" -e nfdoctor_conntrack_hygiene_tcp_be_liberal=true
[ "$CHANGED" -eq 0 ] && [ "$(tree_state "$liberal")" = "$after" ] || fail "second be_liberal converge changed=$CHANGED"
pass "tcp_be_liberal opted in: --check writes nothing and diffs the line; converge writes it once beside the maximum; again: changed=0"

# A calm table: no maximum to raise, so the be_liberal line is liberal.yml's alone, in a file it starts.
calm=$(make_root liberal-calm)
play liberal-calm "$HERE/converge.yml" -e nfdoctor_test_root="$calm" -e nfdoctor_test_report="$WORK/liberal-calm.json" \
    -e @"$WORK/liberal_facts_calm.json" -e nfdoctor_conntrack_hygiene_tcp_be_liberal=true
[ "$CHANGED" -gt 0 ] || fail "calm table: be_liberal converge changed nothing"
[ "$(grep -v '^#' "$calm/$SYSCTL_FILE")" = "$LIBERAL_LINE" ] || fail "calm table: the file is not the be_liberal line alone"
head -1 "$calm/$SYSCTL_FILE" | grep -q '^# Written by the Ansible role' || fail "calm table: no header"
after=$(tree_state "$calm")
play liberal-calm-again "$HERE/converge.yml" -e nfdoctor_test_root="$calm" -e nfdoctor_test_report="$WORK/calm2.json" \
    -e @"$WORK/liberal_facts_calm.json" -e nfdoctor_conntrack_hygiene_tcp_be_liberal=true
[ "$CHANGED" -eq 0 ] && [ "$(tree_state "$calm")" = "$after" ] || fail "calm table: second converge changed=$CHANGED"
! grep -q "was not written by this role" "$WORK/liberal-calm.json" "$WORK/calm2.json" "$WORK/liberal.json" \
    "$WORK/converge.json" "$WORK/again.json" || fail "a file of the role's own was reported as someone else's"
pass "tcp_be_liberal on a calm table: the role's file holds the header and the be_liberal line alone; again: changed=0"

# The variable pointed at an admin's own file: as documented (README, "An existing file the role did not
# write ... is backed up before it is replaced"), --check --diff shows the replacement and writes nothing, and
# the converge keeps the admin's content in a backup before the role's file takes its place.
own=$(make_root liberal-own)
mkdir -p "$own/etc/sysctl.d" && printf 'net.core.somaxconn = 4096\n' >"$own/etc/sysctl.d/90-admin.conf"
own_args=(-e @"$WORK/liberal_facts.json" -e nfdoctor_conntrack_hygiene_tcp_be_liberal=true
          -e nfdoctor_conntrack_hygiene_sysctl_file=/etc/sysctl.d/90-admin.conf)
before=$(tree_state "$own")
play liberal-own-check "$HERE/converge.yml" -e nfdoctor_test_root="$own" -e nfdoctor_test_report="$WORK/own-check.json" \
    "${own_args[@]}" --check --diff
[ "$(tree_state "$own")" = "$before" ] || fail "--check changed the admin's file"
grep -q -- '-net.core.somaxconn = 4096' "$WORK/liberal-own-check.log" || fail "--diff did not show the admin's line going"
"$PY" - "$WORK/own-check.json" "$own" <<'PYCHECK' || fail "--check: no pending action naming the admin's file"
import json, sys
pending = [p for p in json.load(open(sys.argv[1]))["pending"] if "was not written by this role" in p]
assert pending == ["conntrack_hygiene: %s/etc/sysctl.d/90-admin.conf was not written by this role and would be changed "
                   "(backed up first as FILE.PID.DATE~): check that settings of your own in it are still there, or keep "
                   "them in a file of their own" % sys.argv[2]], pending
PYCHECK
play liberal-own "$HERE/converge.yml" -e nfdoctor_test_root="$own" -e nfdoctor_test_report="$WORK/liberal-own.json" \
    "${own_args[@]}"
backups=("$own"/etc/sysctl.d/90-admin.conf.*~)
[ "${#backups[@]}" = 1 ] && [ -f "${backups[0]}" ] || fail "the admin's file was not backed up once: ${backups[*]}"
[ "$(cat "${backups[0]}")" = 'net.core.somaxconn = 4096' ] || fail "the backup is not the admin's file"
grep -qx "$LIBERAL_LINE" "$own/etc/sysctl.d/90-admin.conf" || fail "be_liberal not written"
"$PY" - "$WORK/liberal-own.json" "${backups[0]}" <<'PYCHECK' || fail "converge: no pending action naming the backup"
import json, sys
pending = [p for p in json.load(open(sys.argv[1]))["pending"] if "was not written by this role" in p]
expected = "90-admin.conf was not written by this role and was changed; its earlier content is in %s:" % sys.argv[2]
assert len(pending) == 1 and expected in pending[0], pending
PYCHECK
head -1 "$own/etc/sysctl.d/90-admin.conf" | grep -q '^# Written by the Ansible role' || fail "no header on the new file"
pass "sysctl_file pointed at an admin's file: --check --diff shows it replaced; converge backs it up first and names the backup"
