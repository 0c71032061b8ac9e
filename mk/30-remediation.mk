# Remediation modules and roles (modprobe_unblock, disable_lines, conntrack_modules,
# br_netfilter, conntrack_hygiene): ansible-playbook runs on localhost against
# scratch copies of host trees under /tmp, never this machine's /etc.
# About 2 minutes on 2 cores (each ansible-playbook run costs ~5 s).
# modinfo/modprobe (kmod) and sysctl (procps) are what the roles call on a live host.
SYSTEM_PACKAGES += kmod procps

.PHONY: test-remediation-integration test-remediation-syntax
TEST_TARGETS += test-remediation-integration

REMEDIATION_ROLES := conntrack_modules br_netfilter conntrack_hygiene
REMEDIATION_TARGETS := modprobe_unblock disable_lines conntrack_modules br_netfilter conntrack_hygiene

test-remediation-syntax: setup system-deps
	@for role in $(REMEDIATION_ROLES); do \
	  printf -- '- hosts: localhost\n  gather_facts: false\n  roles: [nfdoctor.netfilter.%s]\n' $$role \
	    > .build/syntax-$$role.yml; \
	  $(BIN)/ansible-playbook -i localhost, --syntax-check .build/syntax-$$role.yml >/dev/null || exit 1; \
	  echo "ok   [syntax]: role $$role"; \
	done

test-remediation-integration: setup system-deps test-remediation-syntax
	@for target in $(REMEDIATION_TARGETS); do \
	  tests/integration/targets/$$target/runme.sh || exit 1; \
	done
