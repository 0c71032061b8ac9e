# Unit tests and static checks that need nothing but the venv.
.PHONY: test-unit lint lint-python lint-yaml lint-compat
TEST_TARGETS += lint test-unit

test-unit: setup system-deps
	$(BIN)/pytest -q tests/unit

# Module and module_utils code runs on managed hosts as old as RHEL 7/8.
lint-compat: setup
	$(BIN)/vermin --no-tips --violations -t=2.7- -t=3.6- --eval-annotations \
	    plugins/modules plugins/module_utils

lint-python: setup
	$(BIN)/ruff check plugins tests tools

lint-yaml: setup
	$(BIN)/yamllint -s .

lint: lint-compat lint-python lint-yaml

.PHONY: lint-changelog
lint: lint-changelog
lint-changelog: setup
	$(BIN)/antsibull-changelog lint
