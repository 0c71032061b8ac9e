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

# Every module, filter and callback must render its documentation.
ansible-doc-check: setup
	@for kind in module filter callback; do \
	  names=$$($(BIN)/ansible-doc -t $$kind -l nfdoctor.netfilter 2>/dev/null | awk '{print $$1}'); \
	  [ -n "$$names" ] || { echo "no $$kind plugins documented"; [ $$kind = filter ] || exit 1; }; \
	  for name in $$names; do \
	    $(BIN)/ansible-doc -t $$kind $$name > /dev/null || { echo "ansible-doc failed for $$name"; exit 1; }; \
	  done; \
	done; echo "ansible-doc renders every module, filter and callback"

# The production profile (what Galaxy / Automation Hub hold collections to), on
# the checkout (.ansible-lint lists what it excludes) and on what users install.
ansible-lint-check: setup collection-tarball
	$(BIN)/ansible-lint --offline -q --profile production
	cd $(DIST_TREE) && $(BIN)/ansible-lint --offline -q --profile production -c $(CURDIR)/.ansible-lint

# The collection as users get it: ansible-galaxy collection build, extracted
# under ansible_collections/<ns>/<name> (tools that copy the collection, like
# antsibull-docs, must not see the checkout's .venv or .build).
DIST_ROOT := $(CURDIR)/.build/dist
DIST_TREE := $(DIST_ROOT)/ansible_collections/nfdoctor/netfilter
.PHONY: collection-tarball docs-lint
collection-tarball: setup
	rm -rf $(DIST_ROOT) && mkdir -p $(DIST_TREE)
	$(BIN)/ansible-galaxy collection build --force --output-path $(DIST_ROOT) $(CURDIR) >/dev/null
	tar -xzf $(DIST_ROOT)/nfdoctor-netfilter-$$(sed -n 's/^version: *//p' galaxy.yml).tar.gz -C $(DIST_TREE)

# O()/RV()/M() references and markup in every plugin's and role's docs (~2 min).
docs-lint: setup collection-tarball
	cd $(DIST_TREE) && ANSIBLE_COLLECTIONS_PATH=$(DIST_ROOT):$(word 2,$(subst :, ,$(ANSIBLE_COLLECTIONS_PATH))) \
	  $(BIN)/antsibull-docs lint-collection-docs --plugin-docs .

sanity: validate-modules ansible-doc-check ansible-lint-check docs-lint sanity-ansible-test

# ansible-test sanity --local, the ecosystem's own check, offline: it needs the
# collection under ansible_collections/<ns>/<name> (a clean export of HEAD, so
# untracked files do not count) and bootstraps pip into its per-test venvs with
# a get-pip.py it cannot download here; tools/sanity/get_pip_offline.py stands
# in for it (ensurepip, then PyPI). About 3-5 minutes.
# no-illegal-filenames is skipped: it crashes (ansible-test 2.19 prints the
# bytes repr of the path, then cannot parse its own output) on
# tests/integration/trees/seed-001-rhel6-nfqueue-crash/var/crash/127.0.0.1-2016-03-14-10:41:52/,
# kdump's real directory name, which the offline audit must read as captured.
# The ':' only matters on Windows, which is not an Ansible controller.
ANSIBLE_TEST_ROOT := $(CURDIR)/.build/ansible-test
ANSIBLE_TEST_TREE := $(ANSIBLE_TEST_ROOT)/ansible_collections/nfdoctor/netfilter
# e.g. make sanity-ansible-test ANSIBLE_TEST_ARGS="--test pylint"
ANSIBLE_TEST_ARGS ?=
.PHONY: sanity-ansible-test
sanity-ansible-test: setup
	@pip=$$(sed -n "s/^ *pip='\([0-9.]*\)',$$/\1/p" $(VENV)/lib/python3.11/site-packages/ansible_test/_internal/python_requirements.py); \
	  [ -n "$$pip" ] || { echo "cannot tell which pip ansible-test bootstraps"; exit 1; }; \
	  mkdir -p $(HOME)/.ansible/test/cache && \
	  cp tools/sanity/get_pip_offline.py $(HOME)/.ansible/test/cache/get_pip_$$(echo $$pip | tr . _).py
	rm -rf $(ANSIBLE_TEST_ROOT) && mkdir -p $(ANSIBLE_TEST_TREE)
	git archive --format=tar HEAD | tar -x -C $(ANSIBLE_TEST_TREE)
	cd $(ANSIBLE_TEST_TREE) && git init -q && git add -A && \
	  ANSIBLE_COLLECTIONS_PATH=$(ANSIBLE_TEST_ROOT):$(word 2,$(subst :, ,$(ANSIBLE_COLLECTIONS_PATH))) \
	  $(BIN)/ansible-test sanity --local --python 3.11 --color no \
	    --skip-test no-illegal-filenames $(ANSIBLE_TEST_ARGS)

# galaxy-importer, what Galaxy runs on an upload, on the built tarball, offline
# (tools/sanity/galaxy-importer.cfg: ansible-doc, ansible-lint, changelog; its
# ansible-test needs a container, sanity-ansible-test covers it). In a venv of
# its own: galaxy-importer pins attrs below what the dev tools use.
# galaxy.yml names no repository (there is no public one), which the importer
# refuses before any other check: tools/sanity/galaxy_importer_check.py allows
# that one error on the real tarball, by name, and runs every other check on a
# copy with a stand-in repository; any other error or warning fails (~1 min).
IMPORTER_VENV := $(CURDIR)/.build/importer-venv
.PHONY: galaxy-importer
TEST_TARGETS += galaxy-importer
$(IMPORTER_VENV)/.stamp: requirements/importer.txt requirements/constraints.txt
	[ -x $(IMPORTER_VENV)/bin/python ] || $(PYTHON) -m venv $(IMPORTER_VENV)
	$(IMPORTER_VENV)/bin/pip install --quiet -r requirements/importer.txt
	touch $@
galaxy-importer: collection-tarball $(IMPORTER_VENV)/.stamp
	rm -rf $(DIST_ROOT)/galaxy-importer
	PATH=$(IMPORTER_VENV)/bin:$$PATH GALAXY_IMPORTER_CONFIG=$(CURDIR)/tools/sanity/galaxy-importer.cfg \
	  $(IMPORTER_VENV)/bin/python tools/sanity/galaxy_importer_check.py \
	    $(DIST_ROOT)/nfdoctor-netfilter-$$(sed -n 's/^version: *//p' galaxy.yml).tar.gz $(DIST_ROOT)/galaxy-importer
