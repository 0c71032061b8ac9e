# systemd-networkd forwarding, kernel advisory and the remediation playbook.
# Unit tests (parse_networkd, the plan and advisory filters) run in test-unit;
# these targets run the roles and nfdoctor.netfilter.remediate on this machine
# in check mode against the captured seed trees, and prove nothing changed.
# About 40 s together; no extra Debian packages.
.PHONY: test-networkd test-remediate
TEST_TARGETS += test-networkd test-remediate

test-networkd: setup
	tests/integration/targets/networkd_forwarding/runme.sh

test-remediate: setup
	tests/integration/targets/remediate_check_mode/runme.sh
