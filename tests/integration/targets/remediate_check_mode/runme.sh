#!/usr/bin/env bash
# nfdoctor.netfilter.remediate on this machine without changing it:
#  1. without nfdoctor_remediate_confirm and without --check it refuses before auditing;
#  2. a captured tree (nfdoctor_root) is accepted only with --check;
#  3. --check --diff on the live host changes no file, module or sysctl it could touch;
#  4. --check on the seed-003 tree (roles chosen by each finding's role) selects networkd_forwarding and kernel_advisory and
#     previews the drop-in; on seed 000 it selects conntrack_modules (its other findings are info);
#     on seed 002 conntrack_hygiene and kernel_advisory; the previews diff the tree, not this host;
#  5. --tags names a role even without its finding;
#  6. with serial batches a failed host ends the window after its batch (its batch mates
#     finish), unless nfdoctor_max_fail_percentage allows it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
trees="$repo/tests/integration/trees"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
inv="$here/inventory.yml"
play=nfdoctor.netfilter.remediate   # the collection playbook, as users run it

fail() { echo "FAIL: $*" >&2; exit 1; }
# The yaml callback wraps long lines: search the log as one line.
has() { tr -s '\n ' '  ' < "$2" | grep -Eq -- "$1"; }

# Everything a remediation role may write or switch: config dirs, loaded
# modules, the sysctls it sets.
snapshot() {
    for d in /etc/modprobe.d /etc/modules-load.d /etc/modules /etc/sysctl.d /etc/systemd/network \
             /etc/systemd/networkd.conf.d /etc/cron.d /etc/crontab /etc/rc.local /etc/systemd/system; do
        [ -e "$d" ] && find "$d" -xdev \( -type f -o -type l -o -type d \) -print0 2>/dev/null | sort -z \
            | xargs -0 -r stat -c '%n %s %Y %a' 2>/dev/null
    done
    [ -r /proc/modules ] && awk '{print $1}' /proc/modules | sort
    for s in net/ipv4/ip_forward net/bridge/bridge-nf-call-iptables net/bridge/bridge-nf-call-ip6tables \
             net/netfilter/nf_conntrack_max; do
        [ -r "/proc/sys/$s" ] && echo "$s=$(cat "/proc/sys/$s")"
    done
    cat /proc/sys/net/ipv4/conf/*/forwarding 2>/dev/null | tr -d '\n'; echo
}

echo "== 1. confirmation guard"
if ansible-playbook -i "$inv" "$play" > "$work/guard.log" 2>&1; then
    fail "remediate ran without nfdoctor_remediate_confirm=true"
fi
has 'Preview with --check --diff, then run again with' "$work/guard.log" || fail "no clear guard message"
grep -q 'Audit before remediating' "$work/guard.log" && fail "the audit ran before the guard"
if ansible-playbook -i "$inv" "$play" -e nfdoctor_remediate_confirm=false > /dev/null 2>&1; then
    fail "remediate ran with nfdoctor_remediate_confirm=false"
fi

echo "== 2. captured trees are preview-only"
if ansible-playbook -i "$inv" "$play" -e nfdoctor_remediate_confirm=true \
        -e "nfdoctor_root=$trees/seed-003-gentoo-networkd-docker" > "$work/root.log" 2>&1; then
    fail "remediate applied a captured tree's findings to this host"
fi
has 'remediate only previews them' "$work/root.log" || fail "no clear captured-tree message"

echo "== 3. --check --diff on this host changes nothing"
before="$(snapshot)"
ansible-playbook -i "$inv" "$play" --check --diff -e nfdoctor_serial=1 | tee "$work/live.log"
[ "$before" == "$(snapshot)" ] || { diff <(echo "$before") <(snapshot) || true; fail "check mode changed the host"; }
grep -q 'CHECK MODE: nothing was applied' "$work/live.log" || fail "no check-mode summary"

echo "== 4. --check on the seed-003 tree"
ansible-playbook -i "$inv" "$play" --check --diff \
    -e "nfdoctor_root=$trees/seed-003-gentoo-networkd-docker" | tee "$work/seed003.log"
has "roles that would run: networkd_forwarding, kernel_advisory'" "$work/seed003.log" || fail "wrong roles for seed 003"
grep -q '^+IPForward=ipv4$' "$work/seed003.log" || fail "no drop-in diff for seed 003"
has "remaining: [^']*NETWORKD_FORWARDING_RESET \(high\)" "$work/seed003.log" || fail "remaining findings not listed"
[ "$before" == "$(snapshot)" ] || fail "the seed-003 preview changed the host"

echo "== 4b. --check on the seed-000 tree runs the conntrack role as a preview"
ansible-playbook -i "$inv" "$play" --check --diff \
    -e "nfdoctor_root=$trees/seed-000-centos7-conntrack-blacklist" | tee "$work/seed000.log"
# BR_NETFILTER_NOT_LOADED is info there (virbr0 is libvirt's routed NAT network) and runs no role.
has "roles that would run: conntrack_modules'" "$work/seed000.log" \
    || fail "wrong roles for seed 000"
# What-if plans and diffs against the tree, never the controller's own /etc.
grep -q "^+++ after: $trees/seed-000-centos7-conntrack-blacklist/etc/modprobe.d/blacklist.conf\$" "$work/seed000.log" \
    || fail "the seed-000 preview did not diff the tree's blacklist.conf"
grep -q '^+++ after: /etc/' "$work/seed000.log" && fail "the seed-000 preview diffed the controller's /etc"
[ "$before" == "$(snapshot)" ] || fail "the seed-000 preview changed the host"

echo "== 4c. --check on the seed-002 tree (VPN gateway flushing conntrack) selects conntrack_hygiene"
ansible-playbook -i "$inv" "$play" --check --diff -e nfdoctor_remediate_disable_flush_jobs=true \
    -e "nfdoctor_root=$trees/seed-002-sslvpn-conntrack-flush" | tee "$work/seed002.log"
has "roles that would run: conntrack_hygiene, kernel_advisory'" "$work/seed002.log" || fail "wrong roles for seed 002"
[ "$before" == "$(snapshot)" ] || fail "the seed-002 preview changed the host"

echo "== 5. --tags names a role without its finding"
ansible-playbook -i "$inv" "$play" --check --tags networkd_forwarding \
    -e "nfdoctor_root=$trees/seed-000-centos7-conntrack-blacklist" | tee "$work/tags.log"
has 'networkd_forwarding skipped: systemd-networkd is not installed' "$work/tags.log" \
    || fail "--tags networkd_forwarding did not run the role"
has "roles that would run: networkd_forwarding'" "$work/tags.log" || fail "summary does not match --tags"
grep -q 'TASK \[nfdoctor.netfilter.conntrack_modules' "$work/tags.log" && fail "--tags ran another role"
echo "== 6. a failed host ends the window after its batch"
cat > "$work/batch.yml" <<INV
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    nfdoctor_root: $trees/healthy-debian12-docker
  hosts:
    h1: {}
    h2: {nfdoctor_root: /nonexistent/captured/tree}   # its audit fails
    h3: {}
    h4: {}
INV
if ansible-playbook -i "$work/batch.yml" "$play" --check -e nfdoctor_serial=2 > "$work/batch.log" 2>&1; then
    fail "a failed host did not fail the run"
fi
grep -Eq '^h1 +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0' "$work/batch.log" || fail "h1 did not finish its batch"
grep -q 'Print what was fixed' "$work/batch.log" || fail "the batch did not reach its summary"
grep -Eq '^h[34] ' "$work/batch.log" && fail "a batch started after a failure"
has '1 of 4 hosts failed \(h2\)' "$work/batch.log" || fail "no end-of-window message"
ansible-playbook -i "$work/batch.yml" "$play" --check -e nfdoctor_serial=2 -e nfdoctor_max_fail_percentage=50 \
    > "$work/batch50.log" 2>&1 || true
grep -Eq '^h4 +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0' "$work/batch50.log" \
    || fail "nfdoctor_max_fail_percentage=50 still stopped the window"
echo "remediate_check_mode: OK"
