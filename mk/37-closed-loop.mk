# Closed loop (issue 10): for every fixable finding, remediate.yml applied to a
# scratch copy of a tree that shows it, then audited again: the finding is
# gone, nothing got worse, a second run changes nothing. Findings that need the
# running kernel to clear are named and proven in the Molecule VMs (test-vm).
# About 2 minutes (two ansible-playbook runs per case).
.PHONY: test-closed-loop
TEST_TARGETS += test-closed-loop

test-closed-loop: setup system-deps
	$(BIN)/python tests/integration/closed_loop.py
