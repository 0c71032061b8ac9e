"""capture.yml with nothing but a shell on the host, then audit_offline.yml of what it captured."""
import os
import re
import sys
import tarfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "targets", "audit_reports"))
import audit_helpers as h  # noqa: E402

INVENTORY = (
    "all:\n  hosts:\n"
    "    localhost: {ansible_connection: local, ansible_python_interpreter: '{{ ansible_playbook_python }}'}\n"
    # No Python at all: every module would fail here, the collector must not.
    "    shell-only: {ansible_connection: local, ansible_python_interpreter: /nonexistent/python}\n")


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    base = tmp_path_factory.mktemp("capture")
    inventory = base / "inventory.yml"
    inventory.write_text(INVENTORY)
    live = base / "live"
    run = h.playbook("audit.yml", "-e", "nfdoctor_report_dir=%s" % live, "-e", "nfdoctor_hosts=localhost",
                     inventory=str(inventory))
    assert run.returncode == 0, run.stdout
    captures = base / "captures"
    run = h.playbook("capture.yml", "-e", "nfdoctor_capture_dir=%s" % captures, inventory=str(inventory))
    assert run.returncode == 0, run.stdout
    offline = base / "offline"
    run_offline = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % captures,
                             "-e", "nfdoctor_report_dir=%s" % offline)
    assert run_offline.returncode == 0, run_offline.stdout
    return base, run, h.report(live), h.report(offline)


def test_one_tarball_per_host_even_without_python(captured):
    base, run, _live, _offline = captured
    assert sorted(os.listdir(base / "captures")) == ["localhost.tar.gz", "shell-only.tar.gz"]
    assert "shell-only.tar.gz" in run.stdout


def test_tarball_is_a_captured_tree(captured):
    base, _run, _live, _offline = captured
    with tarfile.open(base / "captures" / "shell-only.tar.gz") as tar:
        members = tar.getmembers()
    names = {m.name for m in members}
    for expected in ("./proc/sys/kernel/osrelease", "./sos_commands/kernel/uname_-a", "./hostname",
                     "./proc/net/snmp", "./sos_commands/networking/ip_-s_-d_link",
                     "./sos_commands/networking/ip_-d_address"):
        assert expected in names, expected
    # One offline layout: only the names sos itself writes (iptables-save and nft_list_ruleset it never does).
    assert not [n for n in names if n.rsplit("/", 1)[-1] in ("iptables-save", "ip6tables-save", "nft_list_ruleset",
                                                             "ip_-d_link")]
    assert all(re.match(r"^\./sos_commands/firewall_tables/(ip6?tables_-t_[a-z_]+_-nvL|nft_-a_list_ruleset)$", n)
               for n in names if n.startswith("./sos_commands/firewall_tables/")), names
    systemd = {n.rsplit("/", 1)[-1] for n in names if n.startswith("./sos_commands/systemd/")}
    if os.path.exists("/bin/systemctl"):
        # sos's systemctl show --all; our systemctl --version only when it gave no Version= (no running manager);
        # sos's systemctl list-unit-files (the firewall units' states) when systemctl answers it.
        assert systemd - {"systemctl_list-unit-files"} in ({"systemctl_show_--all"}, {"systemctl_--version"}), systemd
    assert not [m for m in members if m.name.startswith("/") or ".." in m.name.split("/")]
    assert not [m for m in members if m.isdev() or m.isfifo()]
    # Environment markers are presence only: no credentials travel.
    assert not [m for m in members if m.name.endswith("kubelet.conf") and m.size > 0]


def _evidence(host_entry, ids):
    return sorted((f["id"], e.get("file"), e.get("line"), str(e.get("value")))
                  for f in host_entry["findings"] if f["id"] in ids for e in f.get("evidence") or [])


def test_offline_audit_of_the_capture_matches_the_live_audit(captured):
    _base, _run, live, offline = captured
    live_facts = live["hosts"]["localhost"]["facts"]
    assert len(offline["hosts"]) == 2
    for name, entry in offline["hosts"].items():
        assert entry["status"] == "ok", (name, entry.get("message"))
        facts = entry["facts"]
        assert facts["captured"] is True
        assert facts["kernel"]["release"] == live_facts["kernel"]["release"] == os.uname().release
        assert facts["networkd"].get("version") == live_facts["networkd"].get("version")
        # What depends on configuration, not on traffic, must agree, down to the evidence (file, line,
        # value): the report keeps findings whole but only a slim part of the facts.
        stable = {"CONNTRACK_MODULE_DISABLED", "NETWORKD_FORWARDING_RESET", "NETWORKD_IPFORWARD_IGNORED",
                  "CONNTRACK_FLUSH_SCHEDULED", "BR_NETFILTER_NOT_PERSISTENT"}
        assert h.ids(entry) & stable == h.ids(live["hosts"]["localhost"]) & stable

        assert _evidence(entry, stable) == _evidence(live["hosts"]["localhost"], stable)


def test_check_mode_runs_nothing_on_the_hosts(tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(INVENTORY)
    run = h.playbook("capture.yml", "--check", "-e", "nfdoctor_capture_dir=%s" % (tmp_path / "c"),
                     inventory=str(inventory))
    assert run.returncode == 0, run.stdout
    assert not (tmp_path / "c").exists() or os.listdir(tmp_path / "c") == []
