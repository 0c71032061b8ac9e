#!/usr/bin/env bash
# br_netfilter on scratch roots: a Debian 12 tree whose vendor file blacklists
# br_netfilter, and a tree whose kernel has no split module (skipped cleanly).
source "$(dirname "$0")/../setup_remediation/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

root=$(make_root debian "$FIXTURES/modprobe/debian12")
mkdir -p "$root/proc" "$root/lib/modules/6.1.0-27-amd64/kernel/net/bridge" "$root/usr/lib/systemd"
: >"$root/lib/modules/6.1.0-27-amd64/kernel/net/bridge/br_netfilter.ko"
: >"$root/usr/lib/systemd/systemd-sysctl"
# no module_blacklist= here: that case is covered by the modprobe_unblock unit tests
printf 'BOOT_IMAGE=/boot/vmlinuz-6.1.0-27-amd64 root=UUID=0f3c ro quiet\n' >"$root/proc/cmdline"
# An admin's own mode on a directory the role writes into stays (it used to be forced to 0755).
chmod 0750 "$root/etc/modules-load.d"
before=$(tree_state "$root")

play check "$HERE/converge.yml" --check --diff -e nfdoctor_test_root="$root"
[ "$(tree_state "$root")" = "$before" ] || fail "--check changed files"
grep -q '^+# disabled by nfdoctor.netfilter.br_netfilter: blacklist br_netfilter' "$LOG" \
    || fail "--diff did not show the override"
grep -q '^+net.bridge.bridge-nf-call-iptables=1' "$LOG" || fail "--diff did not show the sysctl file"
pass "--check --diff changes no file and shows the change"

play converge "$HERE/converge.yml" -e nfdoctor_test_root="$root"
[ "$CHANGED" -gt 0 ] || fail "converge changed nothing"
cmp -s "$FIXTURES/modprobe/debian12/usr/lib/modprobe.d/60-vendor-nf.conf" "$root/usr/lib/modprobe.d/60-vendor-nf.conf" \
    || fail "the vendor file was edited"
grep -q '^# disabled by nfdoctor.netfilter.br_netfilter: blacklist br_netfilter$' "$root/etc/modprobe.d/60-vendor-nf.conf" \
    || fail "no /etc override of the vendor blacklist"
[ "$(grep -v '^#' "$root/etc/modules-load.d/nfdoctor-br_netfilter.conf")" = "br_netfilter" ] || fail "modules-load.d entry"
grep -qx 'net.bridge.bridge-nf-call-ip6tables=1' "$root/etc/sysctl.d/99-zz-nfdoctor-bridge.conf" || fail "sysctl file"
grep -q 'KERNEL=="br_netfilter", RUN+="/usr/lib/systemd/systemd-sysctl --prefix=/net/bridge"' \
    "$root/etc/udev/rules.d/99-zz-nfdoctor-br_netfilter.rules" || fail "udev rule"
# the sysctl file must be applied after every file that could set the keys: last in name order
mkdir -p "$root/usr/lib/sysctl.d"
printf 'net.bridge.bridge-nf-call-iptables = 0\n' >"$root/usr/lib/sysctl.d/99-bridge-off.conf"
ln -s ../sysctl.conf "$root/etc/sysctl.d/99-sysctl.conf"
last=$(find "$root/etc/sysctl.d" "$root/usr/lib/sysctl.d" -name '*.conf' -printf '%f\n' | LC_ALL=C sort | tail -1)
[ "$last" = "99-zz-nfdoctor-bridge.conf" ] || fail "sysctl file does not sort last ($last)"
[ "$(stat -c %a "$root/etc/modules-load.d")" = 750 ] \
    || fail "the admin's 0750 /etc/modules-load.d became $(stat -c %a "$root/etc/modules-load.d")"
for dir in etc/sysctl.d etc/udev/rules.d; do
    [ "$(stat -c '%a %U:%G' "$root/$dir")" = "755 root:root" ] || fail "the missing $dir was not made root:root 0755"
done
pass "converge overrides the vendor blacklist and writes modules-load.d, sysctl.d and udev files"
pass "an existing directory keeps its mode; a missing one is made root:root 0755"

after=$(tree_state "$root")
play idempotence "$HERE/converge.yml" -e nfdoctor_test_root="$root"
[ "$CHANGED" -eq 0 ] || fail "second converge reported changed=$CHANGED"
[ "$(tree_state "$root")" = "$after" ] || fail "second converge changed files"
pass "second converge: changed=0"

# A hypervisor: br0 holds the NIC and a VM tap, and the FORWARD policy is DROP (Docker set it).
# Loading br_netfilter would send every guest frame into FORWARD and drop it (moby#39439).
hv=$(make_root hypervisor "$FIXTURES/modprobe/debian12")
mkdir -p "$hv/proc/sys/kernel" "$hv/lib/modules/6.1.0-27-amd64/kernel/net/bridge" "$hv/sys/class/net/br0/bridge" \
    "$hv/sys/class/net/br0/brif" "$hv/sys/class/net/eno1/device" "$hv/sos_commands/networking"
: >"$hv/lib/modules/6.1.0-27-amd64/kernel/net/bridge/br_netfilter.ko"
printf '6.1.0-27-amd64\n' >"$hv/proc/sys/kernel/osrelease"
printf '8000.525400aabbcc\n' >"$hv/sys/class/net/br0/bridge/bridge_id"
: >"$hv/sys/class/net/br0/brif/eno1"
: >"$hv/sys/class/net/br0/brif/vnet0"
printf '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' \
    >"$hv/sos_commands/networking/iptables-save"
before=$(tree_state "$hv")
play hypervisor "$HERE/converge.yml" -e nfdoctor_test_root="$hv"
[ "$CHANGED" -eq 0 ] && [ "$(tree_state "$hv")" = "$before" ] || fail "a hypervisor behind FORWARD DROP was changed"
grep -q 'br_netfilter skipped: bridge(s) br0 carry guests and the FORWARD policy is' "$LOG" || fail "no refusal message"
pass "hypervisor bridge behind FORWARD DROP: refused with a message, changed=0"
play hypervisor-optin "$HERE/converge.yml" -e nfdoctor_test_root="$hv" -e nfdoctor_br_netfilter_allow_guest_bridges=true
[ "$CHANGED" -gt 0 ] && [ -f "$hv/etc/modules-load.d/nfdoctor-br_netfilter.conf" ] || fail "the opt-in did not apply"
pass "nfdoctor_br_netfilter_allow_guest_bridges=true applies it anyway"

# BRIDGE_FILTER_DROPS_GUESTS: br_netfilter is loaded (dockerd loaded it), bridge-nf-call-iptables = 1,
# Docker's FORWARD DROP, br0 (eno1 + a guest's vnet0) has no ACCEPT rule and its own nf_call_iptables = 0.
ex=$(make_root exempt "$FIXTURES/modprobe/debian12")
mkdir -p "$ex/proc/sys/kernel" "$ex/proc/sys/net/bridge" "$ex/lib/modules/6.1.0-27-amd64/kernel/net/bridge" \
    "$ex/sys/class/net/br0/bridge" "$ex/sys/class/net/br0/brif" "$ex/sys/class/net/eno1/device" \
    "$ex/sys/class/net/docker0/bridge" "$ex/sys/class/net/docker0/brif" "$ex/sos_commands/networking" \
    "$ex/etc/docker" "$ex/usr/lib/systemd"
: >"$ex/lib/modules/6.1.0-27-amd64/kernel/net/bridge/br_netfilter.ko"
: >"$ex/usr/lib/systemd/systemd-sysctl"
printf '6.1.0-27-amd64\n' >"$ex/proc/sys/kernel/osrelease"
printf 'br_netfilter 32768 0 - Live 0xffffffffc0a81000\nbridge 311296 1 br_netfilter, Live 0xffffffffc0a00000\n' \
    >"$ex/proc/modules"
printf '1\n' >"$ex/proc/sys/net/bridge/bridge-nf-call-iptables"
printf '0\n' >"$ex/proc/sys/net/bridge/bridge-nf-call-ip6tables"
printf '8000.525400aabbcc\n' >"$ex/sys/class/net/br0/bridge/bridge_id"
printf '0\n' >"$ex/sys/class/net/br0/bridge/nf_call_iptables"
: >"$ex/sys/class/net/br0/brif/eno1"
: >"$ex/sys/class/net/br0/brif/vnet0"
printf '8000.0242ac110001\n' >"$ex/sys/class/net/docker0/bridge/bridge_id"
: >"$ex/sys/class/net/docker0/brif/veth9a8b7c6"
cp "$FIXTURES/firewall/iptables-save_kvm_docker_24.txt" "$ex/sos_commands/networking/iptables-save"
play exempt-off "$HERE/converge.yml" -e nfdoctor_test_root="$ex"
grep -q 'nfdoctor_br_netfilter_exempt_guest_bridges=true' "$LOG" || fail "the refusal does not name the exemption"
before=$(tree_state "$ex")
play exempt-check "$HERE/converge.yml" --check --diff -e nfdoctor_test_root="$ex" \
    -e nfdoctor_br_netfilter_exempt_guest_bridges=true
[ "$(tree_state "$ex")" = "$before" ] || fail "--check changed files"
grep -q '^+net.bridge.bridge-nf-call-iptables=0' "$LOG" || fail "--diff did not show the global 0"
grep -q '^+ACTION=="add", SUBSYSTEM=="net", KERNEL=="br0"' "$LOG" || fail "--diff did not show the udev rule"
pass "exemption: --check --diff changes no file and shows the sysctl file and the udev rules"
play exempt "$HERE/converge.yml" -e nfdoctor_test_root="$ex" -e nfdoctor_br_netfilter_exempt_guest_bridges=true
[ "$CHANGED" -gt 0 ] || fail "the exemption changed nothing"
rules="$ex/etc/udev/rules.d/99-zz-nfdoctor-bridge-exempt.rules"
grep -q 'KERNEL=="docker0", RUN+=.*echo 1 > /sys/class/net/%k/bridge/nf_call_iptables' "$rules" \
    || fail "docker0 does not keep its filtering"
grep -q 'KERNEL=="br0", RUN+=.*echo 0 > /sys/class/net/%k/bridge/nf_call_iptables' "$rules" || fail "br0 rule"
grep -q 'KERNEL=="br_netfilter", RUN+="/usr/lib/systemd/systemd-sysctl --prefix=/net/bridge"' "$rules" \
    || fail "no rule applying the global 0 when br_netfilter loads late"
grep -qx 'net.bridge.bridge-nf-call-iptables=0' "$ex/etc/sysctl.d/99-zz-nfdoctor-bridge.conf" || fail "sysctl file"
grep -qx 'net.bridge.bridge-nf-call-ip6tables=0' "$ex/etc/sysctl.d/99-zz-nfdoctor-bridge.conf" \
    || fail "ip6tables did not keep its audited 0"
[ ! -e "$ex/etc/modules-load.d/nfdoctor-br_netfilter.conf" ] || fail "the exemption ran the load path too"
[ "$(cat "$ex/proc/sys/net/bridge/bridge-nf-call-iptables")" = 1 ] || fail "a scratch root's /proc was written"
pass "exemption: udev rules per bridge (docker0 kept at 1, br0 0), sysctl file with the global 0, no /proc write"
after=$(tree_state "$ex")
play exempt-again "$HERE/converge.yml" -e nfdoctor_test_root="$ex" -e nfdoctor_br_netfilter_exempt_guest_bridges=true
[ "$CHANGED" -eq 0 ] && [ "$(tree_state "$ex")" = "$after" ] || fail "second exemption run changed=$CHANGED"
pass "exemption: second run changed=0"

old=$(make_root old "$FIXTURES/modprobe/centos7_seed000")
mkdir -p "$old/lib/modules/3.10.0-327.el7.x86_64/kernel/net/bridge"
: >"$old/lib/modules/3.10.0-327.el7.x86_64/kernel/net/bridge/bridge.ko"
before=$(tree_state "$old")
play old "$HERE/converge.yml" -e nfdoctor_test_root="$old"
[ "$CHANGED" -eq 0 ] && [ "$(tree_state "$old")" = "$before" ] || fail "a kernel without br_netfilter was changed"
grep -q 'br_netfilter skipped: this kernel has no separate br_netfilter module' "$LOG" || fail "no skip message"
pass "kernel without the split module: skipped with a message, changed=0"

# modules_load_file pointed at an admin's own file: backed up before the role's content replaces it, and a
# pending action names the file and its backup (the admin's vhost_net now loads from neither, until moved).
own=$(make_root own "$FIXTURES/modprobe/debian12")
mkdir -p "$own/proc" "$own/lib/modules/6.1.0-27-amd64/kernel/net/bridge"
: >"$own/lib/modules/6.1.0-27-amd64/kernel/net/bridge/br_netfilter.ko"
printf 'BOOT_IMAGE=/boot/vmlinuz-6.1.0-27-amd64 root=UUID=0f3c ro quiet\n' >"$own/proc/cmdline"
printf 'vhost_net\n' >"$own/etc/modules-load.d/admin.conf"
before=$(tree_state "$own")
play own-check "$HERE/converge.yml" --check -e nfdoctor_test_root="$own" -e nfdoctor_test_report="$WORK/own-check.json" \
    -e nfdoctor_br_netfilter_modules_load_file=/etc/modules-load.d/admin.conf
[ "$(tree_state "$own")" = "$before" ] || fail "--check changed the admin's file"
grep -q "/etc/modules-load.d/admin.conf was not written by this role and would be changed" "$WORK/own-check.json" \
    || fail "--check: no pending action naming the admin's file"
play own "$HERE/converge.yml" -e nfdoctor_test_root="$own" -e nfdoctor_test_report="$WORK/own.json" \
    -e nfdoctor_br_netfilter_modules_load_file=/etc/modules-load.d/admin.conf
backups=("$own"/etc/modules-load.d/admin.conf.*~)
[ "${#backups[@]}" = 1 ] && [ "$(cat "${backups[0]}")" = vhost_net ] || fail "the admin's file was not backed up once"
grep -qx br_netfilter "$own/etc/modules-load.d/admin.conf" || fail "br_netfilter not written"
grep -q "admin.conf was not written by this role and was changed; its earlier content is in ${backups[0]}:" "$WORK/own.json" \
    || fail "converge: no pending action naming the backup"
[ "$(grep -c "was not written by this role" "$WORK/own.json")" = 1 ] || fail "files of the role's own reported as someone else's"
pass "modules_load_file pointed at an admin's file: backed up, and the pending action names the file and its backup"
