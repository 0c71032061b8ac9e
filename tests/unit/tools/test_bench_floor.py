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


# ------------------------------------------------------------- --baseline REV (FLOOR_BASELINE)
def test_the_two_audits_swap_places_every_round_and_without_a_baseline_nothing_changes():
    assert floor.kinds_of_round(1, None) == floor.kinds_of_round(2, None) == ["ping", "module", "audit"]
    assert floor.kinds_of_round(1, "main") == ["ping", "module", "audit", "baseline"]
    assert floor.kinds_of_round(2, "main") == ["ping", "module", "baseline", "audit"]


def test_baseline_ratios_are_taken_in_the_same_round_as_heads():
    results = [
        run("ping", 1, 20.0, 10.0), run("module", 1, 30.0, 12.0), run("audit", 1, 30.0, 20.0),
        run("baseline", 1, 48.0, 30.0),
        # Round 2 ran under twice the load: every ratio stays what it was.
        run("ping", 2, 40.0, 10.0), run("module", 2, 60.0, 12.0), run("baseline", 2, 96.0, 30.0),
        run("audit", 2, 60.0, 20.0),
        # Round 3: the baseline failed, so no audit/baseline ratio for it.
        run("ping", 3, 20.0, 10.0), run("module", 3, 30.0, 12.0), run("audit", 3, 32.0, 20.0),
        run("baseline", 3, 50.0, 30.0, check="rc=2, see b.log"),
    ]
    summary = floor.summarize(results)
    assert [r.get("baseline") for r in summary["rounds"]] == [2.4, 2.4, None]
    assert [r.get("audit_baseline") for r in summary["rounds"]] == [0.62, 0.62, None]
    assert summary["median"]["audit"] == 1.5 and summary["median"]["baseline"] == 2.4
    assert summary["median"]["baseline_cpu"] == 3.0
    lines = floor.summary_lines(200, summary, "main 101ea01")
    assert lines == [
        "module/ping at 200 hosts: median 1.50x wall over 3 rounds (misses 1.10x), 1.20x CPU",
        "audit(main 101ea01)/ping at 200 hosts: median 2.40x wall over 2 rounds (misses 1.25x), 3.00x CPU",
        "audit(HEAD)/ping at 200 hosts: median 1.50x wall over 3 rounds (misses 1.25x), 2.00x CPU",
        "audit(HEAD)/audit(main 101ea01) at 200 hosts: median 0.62x wall over 2 rounds",
    ]
    table = floor.runs_table([dict(r, order=i % 4) for i, r in enumerate(results)], "main 101ea01")
    # Listed in the order the runs happened, the baseline under its revision's name.
    rows = [line.split(" | ")[1] for line in table.splitlines()[2:6]]
    assert rows == ["ping", "module", "audit(HEAD)", "audit(main 101ea01)"]
    assert table.splitlines()[8].split(" | ")[1] == "audit(main 101ea01)"


def test_without_baseline_runs_no_audit_baseline_ratio_is_claimed():
    summary = floor.summarize([run("ping", 1, 10.0, 8.0), run("audit", 1, 20.0, 16.0)])
    assert "audit_baseline" not in summary["median"] and "baseline" not in summary["median"]
    lines = floor.summary_lines(50, summary, "main 101ea01")
    assert lines[1] == "audit(main 101ea01)/ping at 50 hosts: no round with both runs ok"
    assert lines[3] == "audit(HEAD)/audit(main 101ea01) at 50 hosts: no round with both audits ok"


def test_the_documented_command_names_the_baseline():
    args = floor_args(["--hosts", "200", "--baseline", "main", "--write-docs"])
    assert floor.command_line(args, []) == "make bench-floor HOSTS=200 FLOOR_BASELINE=main"
    args = floor_args(["--hosts", "200", "--write-docs"])
    assert floor.command_line(args, []) == "make bench-floor HOSTS=200"
    args = floor_args(["--hosts", "10", "--baseline", "main"])
    assert floor.command_line(args, ["--hosts", "10", "--baseline", "main"]) == \
        "tools/fleet/floor.py --hosts 10 --baseline main"


def floor_args(argv):
    import argparse
    return argparse.Namespace(hosts=int(argv[argv.index("--hosts") + 1]), write_docs="--write-docs" in argv,
                              baseline=argv[argv.index("--baseline") + 1] if "--baseline" in argv else None)


def test_an_unknown_baseline_is_refused_before_any_fleet_starts(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(floor.fleet, "main", lambda argv: calls.append(argv) or 0)
    with pytest.raises(SystemExit) as raised:
        floor.main(["--hosts", "2", "--priority", "0", "--baseline", "no-such-revision-here"])
    assert raised.value.code == 2
    assert "--baseline no-such-revision-here: not a commit of this repository" in capsys.readouterr().err
    assert calls == []


def _git(repo, *args):
    import subprocess
    return subprocess.run(["git", "-C", str(repo)] + list(args), check=True, capture_output=True,
                          text=True).stdout.strip()


def test_baseline_checkout_is_a_detached_worktree_of_rev_and_is_removed_afterwards(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.invalid")
    _git(repo, "config", "user.name", "t")
    (repo / "ansible.cfg").write_text("[defaults]\n# old\n")
    _git(repo, "add", "ansible.cfg")
    _git(repo, "commit", "-q", "-m", "old")
    old = _git(repo, "rev-parse", "HEAD")
    (repo / "ansible.cfg").write_text("[defaults]\n# new\n")
    _git(repo, "commit", "-q", "-am", "new")
    monkeypatch.setattr(floor, "REPO", str(repo))
    work = tmp_path / "work"

    collections, config, label = floor.baseline_checkout("main~1", str(work))
    assert label == "main~1 %s" % old[:7]
    assert open(config).read() == "[defaults]\n# old\n"          # the revision's own ansible.cfg
    link = os.path.join(collections, "ansible_collections", "nfdoctor", "netfilter")
    assert os.path.realpath(link) == os.path.realpath(os.path.dirname(config))
    assert _git(repo, "branch", "--list") == "* main"             # detached: no branch made or moved
    # A second run replaces the first checkout rather than measuring a stale one.
    _collections, _config, label = floor.baseline_checkout(old, str(work))
    assert label == old[:7]
    assert len(_git(repo, "worktree", "list").splitlines()) == 2

    floor.remove_baseline(str(work))
    assert not work.exists()
    assert len(_git(repo, "worktree", "list").splitlines()) == 1
    with pytest.raises(SystemExit, match="--baseline nope: not a commit of"):
        floor.baseline_checkout("nope", str(work))
