# systemd-networkd forwarding, kernel advisory and the remediation playbook.
# Unit tests (parse_networkd, the plan and advisory filters) run in test-unit;
# these targets run the roles and nfdoctor.netfilter.remediate on this machine
# in check mode against the captured seed trees, and prove nothing changed.
# About 2-4 minutes together on a loaded 2-core machine (each ansible-playbook
# run costs a few seconds). The roles call modinfo (kmod) and systemctl (systemd).
SYSTEM_PACKAGES += kmod procps systemd

.PHONY: test-networkd test-remediate test-kernel-advisory
TEST_TARGETS += test-networkd test-remediate test-kernel-advisory

test-networkd: setup system-deps
	tests/integration/targets/networkd_forwarding/runme.sh

test-remediate: setup system-deps
	tests/integration/targets/remediate_check_mode/runme.sh

test-kernel-advisory: setup system-deps
	tests/integration/targets/remediate_kernel_advisory/runme.sh
