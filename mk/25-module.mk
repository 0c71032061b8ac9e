# The audit module for real, under the newest ansible-core that installs here
# (2.19) and the oldest we support (2.16, what RHEL 7/8 fleets are audited with).
.PHONY: test-module test-module-core219 test-module-core216
TEST_TARGETS += test-module

test-module-core219: setup
	$(BIN)/ansible-playbook -i inventory/localhost.yml tests/integration/netfilter_facts.yml

test-module-core216: setup-core216
	$(VENV216)/bin/ansible-playbook -i inventory/localhost.yml tests/integration/netfilter_facts.yml

test-module: test-module-core219 test-module-core216
