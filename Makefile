# nfdoctor.netfilter: one entry point for setting up, auditing and testing.
#   make audit   set up, audit this machine, print the summary, write the reports
#   make test    set up and run every check (what CI runs)
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON      ?= python3
VENV        := $(CURDIR)/.venv
BIN         := $(VENV)/bin
VENV216     := $(CURDIR)/.venv-core216
# ansible finds the collection through this path: it holds a link named
# ansible_collections/nfdoctor/netfilter that points at this checkout.
COLLECTIONS := $(CURDIR)/.build/collections
COLL_LINK   := $(COLLECTIONS)/ansible_collections/nfdoctor/netfilter
REPORT_DIR  ?= $(CURDIR)/reports

# The venv's site-packages holds community.general and ansible.posix (from the
# ansible package); naming it lets the ansible-core 2.16 venv use them too.
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS):$(firstword $(wildcard $(VENV)/lib/python3*/site-packages) $(VENV)/lib/python3.11/site-packages)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(BIN):$(PATH)

# Each area adds its test targets to TEST_TARGETS in its own mk/*.mk file.
TEST_TARGETS :=

.PHONY: help setup setup-audit setup-core216 audit test lint clean
help:
	@echo "make audit        audit this machine and write reports to $(REPORT_DIR)"
	@echo "make test         run the whole test suite (what CI runs)"
	@echo "make lint         static checks only"

# Two stamps in one venv: `make audit` installs only requirements/audit.txt;
# every test target (setup) adds the dev tools from requirements/dev.txt.
$(VENV)/.stamp-audit: requirements/audit.txt requirements/constraints.txt
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements/audit.txt
	touch $@

$(VENV)/.stamp: requirements/dev.txt requirements/audit.txt $(VENV)/.stamp-audit
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

$(VENV216)/.stamp: requirements/core216.txt
	$(PYTHON) -m venv $(VENV216)
	$(VENV216)/bin/pip install --quiet -r requirements/core216.txt
	touch $@

$(COLL_LINK):
	mkdir -p $(dir $(COLL_LINK))
	ln -sfn $(CURDIR) $(COLL_LINK)

setup-audit: $(VENV)/.stamp-audit $(COLL_LINK)
setup: $(VENV)/.stamp $(COLL_LINK)
setup-core216: $(VENV)/.stamp $(VENV216)/.stamp $(COLL_LINK)

include $(sort $(wildcard mk/*.mk))

# system-deps first: on a fresh machine no target may run before apt has
# installed the tools it calls (modinfo, iptables, ssh, chromium, qemu, ...).
test: system-deps $(TEST_TARGETS)
	@echo "make test: all of $(TEST_TARGETS) passed"

clean:
	rm -rf .build reports tests/output .pytest_cache
