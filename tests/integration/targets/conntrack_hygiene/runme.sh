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
