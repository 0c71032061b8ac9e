#!/usr/bin/env bash
# Integration test of the networkd_forwarding role on this machine, safely:
# facts come from captured trees (read by the real netfilter_facts module),
# changes are previewed with --check --diff, and /etc/systemd must be
# byte-for-byte the same afterwards. The real converge runs in VMs (molecule).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
trees="$repo/tests/integration/trees"
fixtures="$repo/tests/unit/fixtures/networkd"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# The yaml callback wraps long lines: search the log as one line.
has() { tr -s '\n ' '  ' < "$2" | grep -Eq -- "$1"; }

# A Debian 13 host as a captured tree: the unit fixture's networkd files plus
# what the module reads to know the links, their forwarding and the version.
tree="$work/debian13"
cp -a "$fixtures/debian13_conf_no" "$tree"
mkdir -p "$tree/sos_commands/systemd" "$tree/run/systemd/netif/links" "$tree/proc/sys/kernel" \
         "$tree/usr/lib/systemd"
echo "systemd 257 (257.9-1~deb13u1)" > "$tree/sos_commands/systemd/systemctl_--version"
: > "$tree/usr/lib/systemd/systemd-networkd"
for link in lo enp1s0 enp2s0; do
    mkdir -p "$tree/sys/class/net/$link" "$tree/proc/sys/net/ipv4/conf/$link"
    : > "$tree/sys/class/net/$link/.keep"
done
echo 1 > "$tree/proc/sys/net/ipv4/ip_forward"
echo 1 > "$tree/proc/sys/net/ipv4/conf/lo/forwarding"
echo 0 > "$tree/proc/sys/net/ipv4/conf/enp1s0/forwarding"   # already reset by networkd
echo 1 > "$tree/proc/sys/net/ipv4/conf/enp2s0/forwarding"
echo 2 > "$tree/run/systemd/netif/links/2"
echo "6.12.48+deb13-amd64" > "$tree/proc/sys/kernel/osrelease"

# A Docker host (the healthy Debian 12 tree) where a catch-all .network file takes docker0 and its
# veth, next to a bridge port veth the admin has networkd create (molecule/default/prepare.yml's files).
catch_all="$work/catch-all"
cp -a "$trees/healthy-debian12-docker" "$catch_all"
cp "$fixtures/vm_netdev_bridge/etc/systemd/network/"* "$catch_all/etc/systemd/network/"
printf '[Match]\nName=*\n\n[Network]\nDHCP=yes\n' > "$catch_all/etc/systemd/network/99-dhcp-all.network"
mkdir -p "$catch_all/sys/class/net/br0/bridge" "$catch_all/sys/class/net/br0/brif/veth-ctr0" \
         "$catch_all/sys/class/net/veth-ctr0" "$catch_all/sys/class/net/ctr0-eth0"
echo 8000.5a1b2c3d4e5f > "$catch_all/sys/class/net/br0/bridge/bridge_id"
echo 1 > "$catch_all/sys/class/net/veth-ctr0/type"
echo 1 > "$catch_all/sys/class/net/ctr0-eth0/type"

snapshot() {
    find /etc/systemd -xdev \( -type f -o -type l \) -print0 2>/dev/null | sort -z \
        | xargs -0 -r sha256sum 2>/dev/null || true
    find /etc/systemd -xdev -type d 2>/dev/null | sort
}

before="$(snapshot)"
ansible-playbook -i "$here/inventory.yml" "$here/check_mode.yml" --check --diff \
    -e "trees=$trees" -e "debian13_tree=$tree" -e "catch_all_tree=$catch_all" | tee "$work/check.log"
[ "$before" == "$(snapshot)" ] || fail "check mode changed /etc/systemd"
grep -q '^+IPForward=ipv4$' "$work/check.log" || fail "the seed-003 diff does not show IPForward=ipv4"
grep -q '^+IPv4Forwarding=yes$' "$work/check.log" || fail "the Debian 13 diff does not show IPv4Forwarding=yes"
has 'check mode: would restart systemd-networkd' "$work/check.log" || fail "no restart preview"
grep -q '^+Name=docker0 veth\* cni\* flannel\* cali\* !veth-ctr0$' "$work/check.log" \
    || fail "the container-link diff does not show the Name= list"
grep -q '^+Unmanaged=yes$' "$work/check.log" || fail "the container-link diff does not show Unmanaged=yes"

ansible-playbook -i "$here/inventory.yml" "$here/no_networkd.yml" -e "trees=$trees" | tee "$work/skip.log"
has 'networkd_forwarding skipped: systemd-networkd is not installed' "$work/skip.log" \
    || fail "no skip message"
grep -Eq 'localhost +: ok=[0-9]+ +changed=0 .*failed=0' "$work/skip.log" || fail "a skipped host reported changes"
[ "$before" == "$(snapshot)" ] || fail "the skipped run changed /etc/systemd"
if ansible-playbook -i "$here/inventory.yml" "$here/captured_guard.yml" -e "trees=$trees" > "$work/guard.log" 2>&1; then
    fail "the role applied a captured tree's plan to this host"
fi
has 'the facts come from a captured tree' "$work/guard.log" || { cat "$work/guard.log"; fail "no captured-tree message"; }
[ "$before" == "$(snapshot)" ] || fail "the refused run changed /etc/systemd"
if [ "$(cat /proc/sys/net/ipv4/conf/lo/forwarding)" = 0 ]; then
    if ansible-playbook -i "$here/inventory.yml" "$here/verify_fails.yml" > "$work/verify.log" 2>&1; then
        fail "verification passed although lo does not forward"
    fi
    has 'net.ipv4.conf.lo.forwarding is 0 2 s after applying' "$work/verify.log" \
        || { cat "$work/verify.log"; fail "no clear verification message"; }
    grep -Eq 'localhost +: ok=[0-9]+ +changed=0 ' "$work/verify.log" || fail "verification run changed something"
else
    echo "SKIP verification failure test: lo forwards on this machine"
fi
[ "$before" == "$(snapshot)" ] || fail "the verification run changed /etc/systemd"
echo "networkd_forwarding: OK"
