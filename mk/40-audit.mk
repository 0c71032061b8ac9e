# Fleet audit and its reports.
#   make audit         audit this machine (inventory/localhost.yml), print the
#                      summary, write the reports to $(REPORT_DIR). Works
#                      without root (what could not be read is listed).
#                      Extra ansible-playbook arguments: make audit AUDIT_ARGS='-e nfdoctor_fail_on=high'
#   make test-audit    integration tests: live and offline audits, fail_on,
#                      capture -> offline, a capture of each seed tree (chroot, busybox) against
#                      the audit of the tree, the HTML report in headless Chromium (~2 min)
#   make bench-audit   one module task against the seeds' manual commands as
#                      separate tasks, on this host (~1 min)
# busybox-static: test_capture_spec_tree.py runs the capture script in a chroot with busybox only.
SYSTEM_PACKAGES += chromium tar gzip openssh-client busybox-static

.PHONY: audit test-audit test-audit-filters bench-audit
TEST_TARGETS += test-audit

AUDIT_ARGS ?=

audit: setup-audit
	@mkdir -p "$(REPORT_DIR)"
	$(BIN)/ansible-playbook playbooks/audit.yml -e nfdoctor_report_dir="$(REPORT_DIR)" $(AUDIT_ARGS)
	@echo "nfdoctor: reports written to $(REPORT_DIR)/ (open $(REPORT_DIR)/nfdoctor-report.html in a browser)"

test-audit-filters: setup system-deps
	tests/integration/targets/filter_fleet_report/runme.sh

test-audit: setup system-deps test-audit-filters
	$(BIN)/pytest -q tests/integration/test_audit_live.py tests/integration/test_audit_offline.py \
	    tests/integration/test_audit_capture.py tests/integration/test_capture_spec_tree.py \
	    tests/integration/test_audit_html.py tests/integration/test_audit_runner.py

bench-audit: setup-audit
	$(BIN)/python tests/integration/bench_single_host.py

# Re-take docs/images/report.png from the seed trees' report (headless Chromium).
.PHONY: screenshot-report
screenshot-report: setup system-deps
	NFDOCTOR_UPDATE_SCREENSHOT=1 $(BIN)/pytest -q tests/integration/test_audit_html.py -k screenshot
