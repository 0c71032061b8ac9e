"""Unit tests for the pure parts of `make bench-offline` (tools/bench/bench_offline.py).

Nothing here runs ansible-playbook: the trees are copies of the seed trees, the reports are
small JSON documents of the report's shape and the run records have the shape run_playbook returns.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools", "bench"))
import bench_offline  # noqa: E402


def test_trees_are_seed_copies_each_with_its_own_hostname(tmp_path):
    seeds = bench_offline.seed_trees()
    names = bench_offline.make_trees(len(seeds) + 2, str(tmp_path / "t"))
    assert names == ["tree-%04d" % i for i in range(len(seeds) + 2)]
    for index, name in enumerate(names):
        tree = tmp_path / "t" / name
        assert (tree / "etc" / "hostname").read_text() == name + "\n"
        # the rest is the seed's, untouched
        seed = seeds[index % len(seeds)]
        assert sorted(os.listdir(str(tree))) == sorted(os.listdir(seed))
    # the seeds keep their own hostnames
    assert not any(open(os.path.join(s, "etc", "hostname")).read().startswith("tree-") for s in seeds)
    # a second call starts again from nothing
    assert bench_offline.make_trees(1, str(tmp_path / "t")) == ["tree-0000"]
    assert os.listdir(str(tmp_path / "t")) == ["tree-0000"]


def report(path, hosts, clock="2026-12-04T18:00:00Z", **changes):
    doc = {"generated_at": clock, "report_schema_version": 1,
           "hosts": dict((h, {"status": "ok", "findings": [{"id": "X"}],
                              "facts": {"hostname": h, "gathered_at": clock}}) for h in hosts)}
    for host, entry in changes.items():
        doc["hosts"][host].update(entry)
    path.write_text(json.dumps(doc))
    return str(path)


def test_reports_that_differ_only_in_their_clocks_are_the_same(tmp_path):
    first = report(tmp_path / "a.json", ["tree-0000", "tree-0001"])
    second = report(tmp_path / "b.json", ["tree-0000", "tree-0001"], clock="2026-12-04T18:05:00Z")
    assert bench_offline.compare_reports(first, second, ["tree-0000", "tree-0001"]) == "same"


def test_a_missing_finding_a_missing_tree_or_report_is_named(tmp_path):
    hosts = ["tree-0000", "tree-0001"]
    first = report(tmp_path / "a.json", hosts)
    fewer = report(tmp_path / "b.json", hosts, **{"tree-0001": {"findings": []}})
    assert bench_offline.compare_reports(first, fewer, hosts) == "differ on 1 trees (tree-0001 ...)"
    short = report(tmp_path / "c.json", hosts[:1])
    assert bench_offline.compare_reports(first, short, hosts).endswith("lacks 1 trees (tree-0001 ...)")
    assert bench_offline.compare_reports(first, str(tmp_path / "none.json"), hosts).startswith("no report ")
    other = json.loads(open(first).read())
    other["report_schema_version"] = 2
    (tmp_path / "d.json").write_text(json.dumps(other))
    assert bench_offline.compare_reports(first, str(tmp_path / "d.json"), hosts) == \
        "differ outside the hosts (report_schema_version)"


def record(approach, round_no, wall, cpu, rc=0):
    return {"approach": approach, "round": round_no, "wall_s": wall, "cpu_s": cpu, "rc": rc,
            "peak_rss_mb": 90.0, "load1_before": 1.0, "check": "same"}


def test_ratios_are_taken_within_a_round_and_the_median_over_rounds():
    runs = [record("batched", 1, 10.0, 9.0), record("per-tree", 1, 50.0, 90.0),
            # a load burst in round 2 slows both: its ratio stays near the others
            record("per-tree", 2, 100.0, 95.0), record("batched", 2, 20.0, 10.0),
            record("batched", 3, 11.0, 9.5), record("per-tree", 3, 44.0, 100.0)]
    result = bench_offline.summary(runs, 200)
    assert result["rounds"] == 3
    assert result["wall_ratio"] == 5.0  # 5.0, 5.0, 4.0
    assert result["cpu_ratio"] == 10.0  # 10.0, 9.5, 10.53
    assert result["trees_per_s"] == {"batched": 18.2, "per-tree": 4.0}  # 200 / median(10, 20, 11); 200 / 50


def test_a_failed_run_leaves_its_round_out_of_the_ratio():
    runs = [record("batched", 1, 10.0, 9.0), record("per-tree", 1, 50.0, 90.0, rc=2),
            record("batched", 2, 10.0, 9.0), record("per-tree", 2, 40.0, 90.0)]
    result = bench_offline.summary(runs, 100)
    assert result["rounds"] == 1 and result["wall_ratio"] == 4.0
    assert bench_offline.summary([record("batched", 1, 10.0, 9.0, rc=1)], 100)["wall_ratio"] is None
