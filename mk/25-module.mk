# The audit module for real, under the newest ansible-core that installs here
# (2.19), the oldest we support (2.16, what RHEL 7/8 fleets are audited with),
# and, through 2.16, on the managed-host Pythons of RHEL 7 (2.7) and RHEL 8 (3.6).
.PHONY: test-module test-module-core219 test-module-core216 test-module-old-pythons test-filter-kernel
TEST_TARGETS += test-module

# pyenv on these machines carries the old interpreters; elsewhere they are looked up on PATH.
OLD_PYTHONS := $(foreach v,2.7 3.6,$(firstword $(wildcard $(HOME)/.pyenv/versions/$(v).*/bin/python$(v)) $(shell command -v python$(v))))

test-module-core219: setup system-deps
	$(BIN)/ansible-playbook -i inventory/localhost.yml tests/integration/netfilter_facts.yml
	$(BIN)/pytest -q tests/integration/test_module_payload.py

test-module-core216: setup-core216 system-deps
	$(VENV216)/bin/ansible-playbook -i inventory/localhost.yml tests/integration/netfilter_facts.yml

test-module-old-pythons: setup-core216 system-deps
	@[ -n "$(strip $(OLD_PYTHONS))" ] || { echo "SKIP: no python2.7/python3.6 on this machine"; exit 0; }
	@for py in $(OLD_PYTHONS); do \
	  echo "== netfilter_facts on a $$($$py -V 2>&1) managed host (ansible-core 2.16)"; \
	  $(VENV216)/bin/ansible-playbook -i inventory/localhost.yml -e ansible_python_interpreter=$$py \
	    tests/integration/netfilter_facts.yml || exit 1; \
	done

test-filter-kernel: setup system-deps setup-core216
	BIN=$(BIN) bash tests/integration/targets/filter_kernel/runme.sh
	BIN=$(VENV216)/bin bash tests/integration/targets/filter_kernel/runme.sh

test-module: system-deps test-module-core219 test-module-core216 test-module-old-pythons test-filter-kernel
