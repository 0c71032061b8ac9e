# The README's two commands on a really fresh Debian 12 system (issue 9):
# a throwaway mmdebstrap root with only python3, venv, pip, gcc, git, make and
# ca-certificates, a clean clone of HEAD, ../shared beside it, then `make audit`
# and `make test` inside it as root (chroot, private mount namespace).
# About 30-40 minutes; NOT part of `make test` (it runs all of it). Needs root;
# installs mmdebstrap on this host if missing. See docs/testing-fresh.md.
.PHONY: test-fresh test-fresh-unit
FRESH_ARGS ?=

test-fresh:
	/usr/bin/python3 tools/fresh/fresh_root.py $(FRESH_ARGS)

# The fresh-root tool's own logic (cache key, mounts, reading make's trace).
test-fresh-unit: setup system-deps
	$(BIN)/pytest -q tests/unit/tools/test_fresh_root.py
