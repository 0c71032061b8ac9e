"""tree_batches / tree_batch_results: the offline audit's trees cut into module runs and given their results back."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.nfdoctor.netfilter.plugins.filter.tree_batches import tree_batch_results, tree_batches


def arguments(count, **overrides):
    """host_arguments' shape for ``count`` tree hosts t0, t1, ...; overrides: {host: {option: value}}."""
    args = {}
    for index in range(count):
        host = "t%d" % index
        args[host] = {"nfdoctor_root": "/cases/%s" % host, "nfdoctor_sample_interval": 0.0,
                      "nfdoctor_command_timeout": None, "nfdoctor_known_bad_kernels": [], "nfdoctor_fail_on": "none"}
        args[host].update(overrides.get(host, {}))
    return args


def hosts(count):
    return ["t%d" % i for i in range(count)]


def test_runs_of_at_most_size_in_play_order():
    batches = tree_batches(arguments(7), hosts(7), 3)
    assert [b["hosts"] for b in batches] == [["t0", "t1", "t2"], ["t3", "t4", "t5"], ["t6"]]
    assert batches[0]["roots"] == ["/cases/t0", "/cases/t1", "/cases/t2"]
    assert batches[0]["known_bad_kernels"] == [] and batches[0]["timeout"] is None
    assert batches[0]["sample_interval"] == 0.0


def test_one_run_when_size_covers_every_tree():
    assert [b["hosts"] for b in tree_batches(arguments(5), hosts(5), "100")] == [hosts(5)]


def test_hosts_with_their_own_options_never_share_a_run():
    own = [{"id": "v1", "finding": "V", "affected": []}]
    args = arguments(5, t1={"nfdoctor_known_bad_kernels": own}, t3={"nfdoctor_known_bad_kernels": own},
                     t4={"nfdoctor_command_timeout": 3.0})
    batches = tree_batches(args, hosts(5), 10)
    assert [b["hosts"] for b in batches] == [["t0", "t2"], ["t1", "t3"], ["t4"]]
    assert batches[1]["known_bad_kernels"] == own and batches[2]["timeout"] == 3.0
    # an option the module does not take (fail_on) does not split a run
    args = arguments(3, t1={"nfdoctor_fail_on": "high"})
    assert len(tree_batches(args, hosts(3), 10)) == 1


def test_only_the_play_hosts_are_batched():
    assert [b["hosts"] for b in tree_batches(arguments(4), ["t2", "t0"], 10)] == [["t2", "t0"]]


@pytest.mark.parametrize("size", [0, -1, "0", "x", "2.5", 2.5, True, None, [], ""])
def test_a_bad_size_is_refused_by_name(size):
    with pytest.raises(AnsibleFilterError, match="nfdoctor_offline_batch_size must be a whole number of trees, 1 or more"):
        tree_batches(arguments(2), hosts(2), size)


def test_a_host_without_a_tree_is_refused():
    args = arguments(2, t1={"nfdoctor_root": ""})
    with pytest.raises(AnsibleFilterError, match="t1 has no nfdoctor_root"):
        tree_batches(args, hosts(2), 10)
    with pytest.raises(AnsibleFilterError, match="hosts must be a list"):
        tree_batches(arguments(2), "t0", 10)


def facts(host):
    return {"nfdoctor": {"hostname": host, "findings": []}}


def registered(*runs):
    return {"results": list(runs), "changed": False, "msg": "All items completed"}


def test_each_tree_gets_the_result_its_own_run_would_have_registered():
    batch = {"hosts": ["a", "b"], "roots": ["/a", "/b"]}
    runs = registered(
        {"item": batch, "changed": False, "audits": [
            {"root": "/a", "failed": False, "ansible_facts": facts("a")},
            {"root": "/b", "failed": True, "msg": "root /b is not a directory"}]},
        {"item": {"hosts": ["c"], "roots": ["/c"]}, "changed": False,
         "audits": [{"root": "/c", "failed": False, "ansible_facts": facts("c")}]})
    results = tree_batch_results(runs, ["a", "b", "c", "d"])
    assert results["a"] == {"changed": False, "failed": False, "ansible_facts": facts("a")}
    assert results["b"] == {"changed": False, "failed": True, "msg": "root /b is not a directory"}
    assert results["c"]["ansible_facts"] == facts("c")
    # a host no run covered never ran the audit
    assert results["d"] is None


def test_a_run_that_failed_as_a_whole_fails_each_of_its_trees():
    runs = registered(
        {"item": {"hosts": ["a", "b"], "roots": ["/a", "/b"]}, "failed": True,
         "msg": "MODULE FAILURE: killed"},
        {"item": {"hosts": ["c"], "roots": ["/c"]}, "unreachable": True, "msg": "no local python"},
        {"item": {"hosts": ["d", "e"], "roots": ["/d", "/e"]}, "audits": [{"root": "/d", "failed": False}]})
    results = tree_batch_results(runs, ["a", "b", "c", "d", "e"])
    for host in ("a", "b"):
        assert results[host] == {"changed": False, "failed": True,
                                 "msg": "the module run that audited 2 trees with this one failed: MODULE FAILURE: killed"}
    assert results["c"]["unreachable"] is True and "failed" not in results["c"]
    assert results["d"]["msg"].endswith("netfilter_facts returned 1 audits for 2 trees")


@pytest.mark.parametrize("value", [None, {}, {"results": "x"}, {"results": [{"audits": []}]}, {"results": [{"item": "a"}]}])
def test_anything_but_the_looped_task_is_refused(value):
    with pytest.raises(AnsibleFilterError, match="tree_batch_results"):
        tree_batch_results(value, ["a"])
