"""Unit tests for the pure parts of `make bench-floor` (tools/fleet/floor.py) and the
docs block rewrite it shares with `make bench-fleet` (tools/fleet/bench.py).

Nothing here starts a fleet: the run records below have the shape floor.run_one
returns (wall_s, cpu_s, peak_rss_mb, load1_before, kind, hosts, round, check);
the wall times are of the order measured by the first 50-host run (docs/performance.md).
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools", "fleet"))
import bench  # noqa: E402
import floor  # noqa: E402


def run(kind, round_no, wall, cpu, check="ok", hosts=50):
    return {"kind": kind, "round": round_no, "hosts": hosts, "wall_s": wall, "cpu_s": cpu,
            "peak_rss_mb": 60.0, "load1_before": 1.0, "check": check, "log": "x.log"}


def test_ratios_are_taken_within_a_round_and_the_median_over_rounds():
    results = [
        run("ping", 1, 10.0, 8.0), run("module", 1, 12.0, 10.0), run("audit", 1, 20.0, 16.0),
        # A load burst in round 2 slows all three: its ratios stay near the others.
        run("ping", 2, 20.0, 9.0), run("module", 2, 22.0, 11.0), run("audit", 2, 30.0, 18.0),
        run("ping", 3, 10.0, 8.0), run("module", 3, 11.0, 9.0), run("audit", 3, 25.0, 20.0),
    ]
    summary = floor.summarize(results)
    assert [r["module"] for r in summary["rounds"]] == [1.2, 1.1, 1.1]
    assert [r["audit"] for r in summary["rounds"]] == [2.0, 1.5, 2.5]
    assert summary["median"]["module"] == 1.1
    assert summary["median"]["audit"] == 2.0
    assert summary["median"]["audit_cpu"] == 2.0
    assert summary["wall_median"] == {"ping": 10.0, "module": 12.0, "audit": 25.0}
    assert summary["cpu_median"]["module"] == 10.0


def test_a_failed_run_or_missing_ping_leaves_its_round_out():
    results = [
        run("ping", 1, 10.0, 8.0), run("module", 1, 30.0, 10.0, check="rc=4, see x.log"),
        run("audit", 1, 20.0, 16.0),
        run("module", 2, 11.0, 9.0), run("audit", 2, 15.0, 12.0),          # no ping in round 2
        run("ping", 3, 10.0, 8.0, check="rc=2, see y.log"), run("module", 3, 11.0, 9.0),
    ]
    summary = floor.summarize(results)
    assert summary["rounds"] == [{"round": 1, "audit": 2.0, "audit_cpu": 2.0}]
    assert "module" not in summary["median"]
    assert summary["median"]["audit"] == 2.0
    assert summary["wall_median"]["module"] == 11.0   # only runs that succeeded
    lines = floor.summary_lines(50, summary)
    assert lines[0] == "module/ping at 50 hosts: no round with both runs ok"
    assert lines[1].startswith("audit/ping at 50 hosts: median 2.00x wall over 1 rounds (misses 1.25x)")


def test_verdict_against_the_goals():
    assert floor.verdict(1.1, floor.GOALS["module"]) == "meets 1.10x"
    assert floor.verdict(1.11, floor.GOALS["module"]) == "misses 1.10x"
    assert floor.verdict(1.25, floor.GOALS["audit"]) == "meets 1.25x"


def test_commands_use_the_same_hosts_and_fresh_report_dirs():
    ping = floor.command_for("ping", 50, "/r/inventory.yml", "/r/audit")
    module = floor.command_for("module", 50, "/r/inventory.yml", "/r/audit")
    audit = floor.command_for("audit", 50, "/r/inventory.yml", "/r/audit")
    assert ping[-3:] == ["nfd_fleet[0:49]", "-m", "ansible.builtin.ping"]
    assert module[-3:] == ["nfd_fleet[0:49]", "-m", "nfdoctor.netfilter.netfilter_facts"]
    assert audit[audit.index("--limit") + 1] == "nfd_fleet[0:49],localhost"
    assert "nfdoctor.netfilter.audit" in audit and "nfdoctor_report_dir=/r/audit" in audit
    with pytest.raises(ValueError, match="unknown kind 'setup'"):
        floor.command_for("setup", 50, "/r/inventory.yml", "/r/audit")


def test_replace_block_rewrites_only_between_the_markers():
    text = "head\n<!-- a:begin -->\nold\n<!-- a:end -->\ntail\n<!-- b:begin -->\nkeep\n<!-- b:end -->\n"
    out = bench.replace_block(text, "<!-- a:begin -->", "<!-- a:end -->", "<!-- a:begin -->\nnew\n<!-- a:end -->")
    assert out == "head\n<!-- a:begin -->\nnew\n<!-- a:end -->\ntail\n<!-- b:begin -->\nkeep\n<!-- b:end -->\n"


@pytest.mark.parametrize("text", ["no markers at all\n", "<!-- a:begin -->\nonly the start\n",
                                  "<!-- a:end -->\nend before begin\n<!-- a:begin -->\n"])
def test_replace_block_refuses_missing_or_misordered_markers(text):
    with pytest.raises(ValueError, match="no <!-- a:begin --> ... <!-- a:end --> block"):
        bench.replace_block(text, "<!-- a:begin -->", "<!-- a:end -->", "x")


def test_rewrite_block_leaves_the_file_alone_on_missing_markers(tmp_path):
    page = tmp_path / "performance.md"
    page.write_text("nothing to replace\n")
    with pytest.raises(SystemExit, match="performance.md: no"):
        bench.rewrite_block(str(page), "<!-- a:begin -->", "<!-- a:end -->", "x")
    assert page.read_text() == "nothing to replace\n"


def test_doc_block_carries_both_markers_every_size_and_the_machine():
    machine = {"cpu": "AMD EPYC", "cores": 2, "memory_gb": 7.8, "os": "Debian", "kernel": "6.1",
               "ansible": "ansible [core 2.19.14]", "ssh": "OpenSSH_9.2", "python": "3.11.7", "nice": -10}
    sections = []
    for hosts in (50, 200):
        results = [run("ping", 1, 10.0, 8.0, hosts=hosts), run("module", 1, 13.0, 10.0, hosts=hosts),
                   run("audit", 1, 20.0, 16.0, hosts=hosts)]
        sections.append({"started": "2026-12-02 19:50 UTC", "command": "make bench-floor HOSTS=%d" % hosts,
                         "load": "1.00 / 1.00 / 1.00", "hosts": hosts, "results": results,
                         "summary": floor.summarize(results)})
    block = floor.doc_block(sections, machine, "make bench-floor")
    assert block.startswith(floor.BEGIN) and block.endswith(floor.END)
    assert "module/ping at 50 hosts: median 1.30x wall over 1 rounds (misses 1.10x)" in block
    assert "audit/ping at 200 hosts: median 2.00x wall" in block
    assert "AMD EPYC, 2 cores" in block
    # The block fits back into the page it came from.
    page = "x\n" + floor.BEGIN + "\nold\n" + floor.END + "\ny\n"
    assert bench.replace_block(page, floor.BEGIN, floor.END, block) == "x\n" + block + "\ny\n"
