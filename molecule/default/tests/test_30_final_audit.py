"""A final audit of the remediated, rebooted VMs reports nothing above low."""
from vm_helpers import SEVERITY_ORDER

ACCEPTABLE = {"info", "low"}


def test_final_audit_has_nothing_above_low(host, rebooted, final_audit):
    name = host.ansible.get_variables()["inventory_hostname"]
    assert name in final_audit["hosts"], f"{name} missing from the audit report"
    findings = final_audit["hosts"][name]["findings"]
    serious = [f"{f['id']} ({f['severity']})" for f in findings if f.get("severity") not in ACCEPTABLE]
    assert serious == [], f"{name} still has: {', '.join(serious)}"
    assert all(f.get("severity") in SEVERITY_ORDER for f in findings)
