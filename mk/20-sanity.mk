# What `ansible-test sanity` would check, run from the venv because
# ansible-test downloads its own tooling and fails offline.
.PHONY: sanity validate-modules ansible-doc-check ansible-lint-check
TEST_TARGETS += sanity

VALIDATE_MODULES := $(VENV)/lib/python3.11/site-packages/ansible_test/_util/controller/sanity/validate-modules

validate-modules: setup
	cd $(COLL_LINK) && PYTHONPATH=$(VALIDATE_MODULES):$(COLLECTIONS) \
	  $(BIN)/python $(VALIDATE_MODULES)/validate.py --arg-spec \
	    --collection ansible_collections/nfdoctor/netfilter --collection-version \
	    $$(sed -n 's/^version: *//p' galaxy.yml) plugins/modules/*.py

# Every module and filter must render its documentation.
ansible-doc-check: setup
	@for kind in module filter; do \
	  names=$$($(BIN)/ansible-doc -t $$kind -l nfdoctor.netfilter 2>/dev/null | awk '{print $$1}'); \
	  [ -n "$$names" ] || { echo "no $$kind plugins documented"; [ $$kind = filter ] || exit 1; }; \
	  for name in $$names; do \
	    $(BIN)/ansible-doc -t $$kind $$name > /dev/null || { echo "ansible-doc failed for $$name"; exit 1; }; \
	  done; \
	done; echo "ansible-doc renders every module and filter"

ansible-lint-check: setup
	$(BIN)/ansible-lint --offline -q roles playbooks

sanity: validate-modules ansible-doc-check ansible-lint-check
