# The collection as users get it (issue 13): the built tarball installed with
# ansible-galaxy into an empty collections path, run from an empty directory
# with none of the checkout's ansible.cfg or ANSIBLE_* settings: live audit,
# audit_offline of a sosreport tarball and a tree, remediate --check --diff,
# every ansible-doc page, docs/examples/group_vars, ansible-runner, the
# progress callback on six hosts and under ansible-runner (75 s on a quiet
# 2-core machine, 2.5-3 min beside a CI run).
.PHONY: test-installed
TEST_TARGETS += test-installed

test-installed: setup system-deps
	$(BIN)/pytest -q tests/integration/test_installed.py
