#!/usr/bin/env bash
# conntrack_modules on scratch roots: check mode writes nothing, converge fixes,
# a second converge reports changed=0; a healthy tree is left alone.
source "$(dirname "$0")/../setup_remediation/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
PY="$REPO/.venv/bin/python"

root=$(make_root ubuntu "$FIXTURES/modprobe/ubuntu2204")
mkdir -p "$root/proc" && cp "$root/cmdline" "$root/proc/cmdline"
before=$(tree_state "$root")

play check "$HERE/converge.yml" --check --diff -e nfdoctor_test_root="$root" -e nfdoctor_test_report="$WORK/check.json"
[ "$(tree_state "$root")" = "$before" ] || fail "--check changed files"
[ "$CHANGED" -gt 0 ] || fail "--check reported no change on a broken tree"
grep -q '^-install nf_conntrack /bin/true' "$LOG" || fail "--diff did not show the line being removed"
grep -q '^+# disabled by nfdoctor.netfilter.conntrack_modules: install nf_conntrack /bin/true' "$LOG" \
    || fail "--diff did not show the commented line"
pass "--check --diff changes no file and shows the change"

play converge "$HERE/converge.yml" -e nfdoctor_test_root="$root" -e nfdoctor_test_report="$WORK/converge.json"
[ "$CHANGED" -gt 0 ] || fail "converge changed nothing"
grep -q '^# disabled by nfdoctor.netfilter.conntrack_modules: install nf_conntrack /bin/true$' \
    "$root/etc/modprobe.d/iptables-hardening.conf" || fail "install line not commented out"
grep -q '^install dccp /bin/true$' "$root/etc/modprobe.d/iptables-hardening.conf" \
    || fail "a line about another module was touched"
ls "$root"/etc/modprobe.d/iptables-hardening.conf.*~ >/dev/null 2>&1 || fail "no backup"
"$PY" - "$WORK/converge.json" <<'PYCHECK' || fail "pending actions wrong"
import json, sys
report = json.load(open(sys.argv[1]))
pending = report["pending"]
assert len(pending) == 1 and pending[0].startswith("conntrack_modules: nf_conntrack: replace"), pending
assert "'modprobe.blacklist=nouveau'" in pending[0] and pending[0].endswith("then reboot"), pending
PYCHECK
pass "converge comments out the lines, keeps a backup, records the command line change"

after=$(tree_state "$root")
play idempotence "$HERE/converge.yml" -e nfdoctor_test_root="$root" -e nfdoctor_test_report="$WORK/again.json"
[ "$CHANGED" -eq 0 ] || fail "second converge reported changed=$CHANGED"
[ "$(tree_state "$root")" = "$after" ] || fail "second converge changed files"
pass "second converge: changed=0"

healthy=$(make_root healthy "$FIXTURES/modprobe/centos7_seed000")
sed -i '/nf_conntrack_ipv4/d' "$healthy/etc/modprobe.d/blacklist.conf"
before=$(tree_state "$healthy")
play healthy "$HERE/converge.yml" -e nfdoctor_test_root="$healthy" -e nfdoctor_test_report="$WORK/healthy.json"
[ "$CHANGED" -eq 0 ] && [ "$(tree_state "$healthy")" = "$before" ] || fail "a healthy tree was changed"
pass "healthy tree: changed=0, no file touched"
