#!/usr/bin/env bash
# modprobe_unblock through ansible-playbook: check/diff, apply, idempotence, refusal.
source "$(dirname "$0")/../setup_remediation/lib.sh"

root=$(make_root ubuntu "$FIXTURES/modprobe/ubuntu2204")
mkdir -p "$root/proc" && cp "$root/cmdline" "$root/proc/cmdline"
broken=$(make_root broken "$FIXTURES/modprobe/debian12")
mkdir -p "$broken/etc/modprobe.d/60-vendor-nf.conf"
before=$(tree_state "$broken")

cat >"$WORK/play.yml" <<PLAY
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.include_tasks: $(cd "$(dirname "$0")" && pwd)/tasks/main.yml
PLAY
play run "$WORK/play.yml" -e nfdoctor_test_root="$root" -e nfdoctor_test_broken_root="$broken"
[ "$(tree_state "$broken")" = "$before" ] || fail "the refused tree was modified"
pass "check mode, diff, apply, idempotence and refusal"
