#!/usr/bin/env bash
# kernel_advisory on captured seed trees, applied for real (not --check): it
# must advise, gate upgrades by severity, refuse to upgrade for a captured
# tree, and install nothing (the dpkg/rpm database is compared before/after).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
has() { tr -s '\n ' '  ' < "$2" | grep -Eq -- "$1"; }
packages() { { dpkg-query -W -f='${Package} ${Version}\n' 2>/dev/null || rpm -qa 2>/dev/null || true; } | sort; }

before="$(packages)"
ansible-playbook -i "$here/inventory.yml" "$here/advisory.yml" -e "trees=$repo/tests/integration/trees" \
    | tee "$work/run.log"
has 'Minimum fixed kernel: upstream 4.17' "$work/run.log" || fail "no minimum fixed kernel in the advice"
has 'the facts come from a captured tree, not from localhost; the upgrade is not applied here' "$work/run.log" \
    || fail "no captured-tree refusal"
has 'no kernel finding is at or above nfdoctor_kernel_upgrade_min_severity \(medium\)' "$work/run.log" \
    || fail "no severity-gate message"
has 'no kernel in a known-bad range on this host; nothing to do' "$work/run.log" || fail "no healthy-host message"
grep -Eq 'localhost +: ok=[0-9]+ +changed=0 ' "$work/run.log" || fail "the role changed something"
[ "$before" == "$(packages)" ] || fail "packages changed"
echo "remediate_kernel_advisory: OK"
