# The collection's docsite as antsibull-docs builds it (what docs.ansible.com
# and a collection's own Pages site run), from the built tarball (DIST_TREE),
# offline: `antsibull-docs sphinx-init` writes the site's conf.py and build.sh;
# intersphinx is turned off in conf.py (its inventories are downloads), and
# build.sh's `-W` becomes a warning file that tools/sanity/docsite_warnings.py
# reads: references to pages outside the collection (ansible-core's docs,
# community.general, ...) are what intersphinx resolves online and are
# counted, every other warning (a broken reference inside the collection, bad
# markup) fails. In a venv of its own (requirements/docsite.txt): Sphinx and
# its theme are not dev tools. The site: .build/docsite/build/html/index.html.
DOCSITE_VENV := $(CURDIR)/.build/docsite-venv
DOCSITE_DIR := $(CURDIR)/.build/docsite
.PHONY: docsite
TEST_TARGETS += docsite
$(DOCSITE_VENV)/.stamp: requirements/docsite.txt requirements/constraints.txt
	[ -x $(DOCSITE_VENV)/bin/python ] || $(PYTHON) -m venv $(DOCSITE_VENV)
	$(DOCSITE_VENV)/bin/pip install --quiet -r requirements/docsite.txt
	touch $@
DOCSITE_ENV := PATH=$(DOCSITE_VENV)/bin:$$PATH \
  ANSIBLE_COLLECTIONS_PATH=$(DIST_ROOT):$(word 2,$(subst :, ,$(ANSIBLE_COLLECTIONS_PATH)))
docsite: collection-tarball $(DOCSITE_VENV)/.stamp
	rm -rf $(DOCSITE_DIR) && mkdir -p -m 700 $(DOCSITE_DIR)
	$(DOCSITE_ENV) antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir $(DOCSITE_DIR) \
	  --project nfdoctor.netfilter --title nfdoctor.netfilter nfdoctor.netfilter > /dev/null
	printf '%s\n' '' '# make docsite: offline, no intersphinx inventories to download' \
	  "extensions = [name for name in extensions if name != 'sphinx.ext.intersphinx']" \
	  'intersphinx_mapping = {}' >> $(DOCSITE_DIR)/conf.py
	@grep -q -- ' -W --keep-going$$' $(DOCSITE_DIR)/build.sh || \
	  { echo "build.sh no longer ends its sphinx-build with -W --keep-going: update mk/22-docsite.mk"; exit 1; }
	sed -i 's/ -W --keep-going$$/ --keep-going -w sphinx-warnings.log/' $(DOCSITE_DIR)/build.sh
	$(DOCSITE_ENV) $(DOCSITE_DIR)/build.sh > $(DOCSITE_DIR)/build.log 2>&1 || { tail -30 $(DOCSITE_DIR)/build.log; exit 1; }
	$(BIN)/python tools/sanity/docsite_warnings.py $(DOCSITE_DIR)/sphinx-warnings.log
	@echo "docsite: $(DOCSITE_DIR)/build/html/index.html ($$(find $(DOCSITE_DIR)/build/html/collections -name '*.html' | wc -l) collection pages)"
