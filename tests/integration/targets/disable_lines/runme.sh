#!/usr/bin/env bash
# disable_lines through ansible-playbook: report, check/diff, apply, idempotence.
source "$(dirname "$0")/../setup_remediation/lib.sh"

root=$(make_root flush "$FIXTURES/flush_jobs")
cat >"$WORK/play.yml" <<PLAY
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.include_tasks: $(cd "$(dirname "$0")" && pwd)/tasks/main.yml
PLAY
play run "$WORK/play.yml" -e nfdoctor_test_root="$root"
grep -q 'disabled by nfdoctor.netfilter.disable_lines: \*/10 \* \* \* \* root /usr/sbin/conntrack -F' \
    "$root/etc/cron.d/sslvpn-maintenance" || fail "cron.d flush job not commented out"
pass "report, check mode, diff, apply and idempotence"
