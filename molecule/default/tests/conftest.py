"""Fixtures for the VM verify step (testinfra, run by `molecule verify`).

The test files run in name order and each states the VM state it expects:
test_10 the converged VM, test_20 the same VM after a reboot, test_30 a final
audit. Controller-side actions (reboot, audit) go through ansible against
molecule's own inventory, so they use the same connection details as converge.
"""
import json
import os

import pytest
from vm_helpers import run_ansible


@pytest.fixture(scope="session")
def rebooted(request):
    """Reboot every VM once, all at the same time, and wait until each is back."""
    output, seconds = run_ansible(request.config, [
        "ansible", "vms", "-m", "ansible.builtin.reboot", "-a", "reboot_timeout=600",
    ], timeout=900)
    print(f"rebooted all VMs in {seconds} s")
    return output


@pytest.fixture(scope="session")
def final_audit(request, tmp_path_factory):
    """Audit every VM with the collection's audit playbook; returns the JSON report."""
    report_dir = str(tmp_path_factory.mktemp("final-audit"))
    run_ansible(request.config, [
        "ansible-playbook", "nfdoctor.netfilter.audit", "-e", f"nfdoctor_report_dir={report_dir}",
    ], timeout=900)
    with open(os.path.join(report_dir, "nfdoctor-report.json")) as handle:
        return json.load(handle)
