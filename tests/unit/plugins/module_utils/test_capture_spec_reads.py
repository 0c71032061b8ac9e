"""Every read the gatherer makes is in capture_spec, the one list of sources (issue 10).

The data-source layer (host_source.HostSource: read, read_tail, listdir, names,
exists, isdir, is_masked, link_target_name, command; sos_source reads through the same object)
is wrapped so that every path and command gather touches is recorded, while
it gathers every test tree: the seed and healthy trees of
tests/integration/trees, the same seeds rebuilt in the layout each real sos
release writes (sos_trees.sosify), the unit fixture trees, and this machine's
own / (read-only: gather never writes). Each read must be covered by an entry
of capture_spec, judged by capture_spec.listing_for / command_listing: the
matcher the capture script's globs follow (sh(1) semantics per component).
A read nobody listed is a fact a capture made from the spec loses.
"""
import os

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import capture_spec as spec
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import host_source
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.gather import Gatherer

from sos_trees import sosify  # a helper beside this file (pytest puts its directory on sys.path)

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(HERE, "..", "..", "..")
INTEGRATION_TREES = os.path.join(TESTS, "integration", "trees")
FIXTURES = os.path.join(TESTS, "unit", "fixtures")
# Fixture directories laid out as host trees (etc/..., usr/lib/...): see each one's README/test.
FIXTURE_TREES = ["networkd/" + name for name in sorted(os.listdir(os.path.join(FIXTURES, "networkd")))
                 if os.path.isdir(os.path.join(FIXTURES, "networkd", name))]
FIXTURE_TREES += ["modprobe/" + name for name in sorted(os.listdir(os.path.join(FIXTURES, "modprobe")))
                  if os.path.isdir(os.path.join(FIXTURES, "modprobe", name))]
FIXTURE_TREES += ["flush_jobs", "firewall/tree-nftables-includes"]
# Each seed in the layout of the last sos its OS shipped, and a 4.x report (as test_seed_trees_sos).
SOS_VERSIONS = [
    ("seed-000-centos7-conntrack-blacklist", "3.9"),
    ("seed-001-rhel6-nfqueue-crash", "3.2"),
    ("seed-002-sslvpn-conntrack-flush", "3.2"),
    ("seed-003-gentoo-networkd-docker", "4.7.2"),
    ("seed-004-openstack-netns-hang", "3.9"),
    ("seed-004-openstack-netns-hang", "4.5.0"),
    ("healthy-debian12-docker", "4.5.0"),
]
OPERATIONS = {"read": "read", "read_tail": "read", "exists": "exists", "isdir": "exists", "is_masked": "exists",
              "link_target_name": "exists", "listdir": "listdir", "names": "listdir",
              # read_files reads a live host's plain files through it, without read()
              "_read_located": "read"}


class Recorder(object):
    """Wraps HostSource's reads (for one test) and keeps (operation, path or argv, sos names, captured)."""

    def __init__(self, monkeypatch):
        self.reads = []
        self.globbed = []
        for name in OPERATIONS:
            self._wrap_path(monkeypatch, name)
        original = host_source.HostSource.command

        def command(source, argv, sos_names=None, max_bytes=None):
            self.reads.append(("command", tuple(argv), tuple(sos_names or ()), source.captured))
            return original(source, argv, sos_names=sos_names, max_bytes=max_bytes)
        monkeypatch.setattr(host_source.HostSource, "command", command)
        original_glob = host_source.HostSource.glob

        def glob(source, pattern):
            self.globbed.append(pattern)  # its listdir / exists steps are recorded as reads
            return original_glob(source, pattern)
        monkeypatch.setattr(host_source.HostSource, "glob", glob)

    def _wrap_path(self, monkeypatch, name):
        original = getattr(host_source.HostSource, name)
        operation = OPERATIONS[name]

        def wrapped(source, path, *args, **kwargs):
            self.reads.append((operation, path, (), source.captured))
            return original(source, path, *args, **kwargs)
        monkeypatch.setattr(host_source.HostSource, name, wrapped)

    def unlisted(self, release):
        """Each distinct read that no capture_spec entry covers, as a sentence."""
        missing = []
        for operation, target, sos_names, captured in self.reads:
            if operation == "command":
                covered = spec.command_listing(list(target), sos_names, captured=captured)
                what = "command %s%s" % (" ".join(target), " (also tried: %s)" % ", ".join(sos_names)
                                         if sos_names else "")
            else:
                covered = spec.listing_for(operation, target, release)
                what = "%s %s" % (operation, target)
            if covered is None and what not in missing:
                missing.append(what)
        return missing


def gather_recorded(monkeypatch, root):
    recorder = Recorder(monkeypatch)
    facts = Gatherer(root).run()
    assert [e for e in facts["errors"] if e["source"].startswith("gather:")] == []
    return recorder, facts


def assert_all_listed(recorder, facts, root):
    missing = recorder.unlisted((facts.get("kernel") or {}).get("release"))
    assert not missing, "gather of %s read what capture_spec does not list (a capture would lose it):\n  %s" % (
        root, "\n  ".join(missing))


@pytest.mark.parametrize("tree", sorted(os.listdir(INTEGRATION_TREES)))
def test_integration_tree_reads_are_listed(monkeypatch, tree):
    root = os.path.join(INTEGRATION_TREES, tree)
    recorder, facts = gather_recorded(monkeypatch, root)
    assert len(recorder.reads) > 100  # the wrapping works: a gather reads hundreds of paths
    assert_all_listed(recorder, facts, root)


@pytest.mark.parametrize("tree", FIXTURE_TREES)
def test_fixture_tree_reads_are_listed(monkeypatch, tree):
    root = os.path.join(FIXTURES, tree)
    recorder, facts = gather_recorded(monkeypatch, root)
    assert_all_listed(recorder, facts, root)


@pytest.mark.parametrize("seed, version", SOS_VERSIONS, ids=["%s@sos-%s" % pair for pair in SOS_VERSIONS])
def test_sos_layout_reads_are_listed(monkeypatch, tmp_path, seed, version):
    root = sosify(os.path.join(INTEGRATION_TREES, seed), str(tmp_path / seed), version)
    recorder, facts = gather_recorded(monkeypatch, root)
    assert facts["provenance"]["layout"].startswith("sos")
    assert_all_listed(recorder, facts, root)


def test_live_reads_of_this_machine_are_listed(monkeypatch):
    """This machine's own /, read-only: gather opens files and runs only the read-only commands it always runs."""
    recorder, facts = gather_recorded(monkeypatch, "/")
    assert facts["captured"] is False
    assert any(op == "command" for op, _t, _n, _c in recorder.reads)
    assert_all_listed(recorder, facts, "/")


def test_every_captured_source_is_one_the_audit_reads(monkeypatch):
    """The other direction: nothing the capture copies is dead weight (or a typo the audit never asks for).

    A pattern counts as used when gather globbed it or read or probed a path it
    matches, on some tree or on this machine. What the capture writes for
    others (CAPTURE_METADATA: audit_offline.yml names the host from /hostname)
    and sos-only fallbacks are not captured sources.
    """
    recorder = Recorder(monkeypatch)
    used = set()
    roots = [os.path.join(INTEGRATION_TREES, tree) for tree in sorted(os.listdir(INTEGRATION_TREES))]
    roots += [os.path.join(FIXTURES, tree) for tree in FIXTURE_TREES] + ["/"]
    captured = spec.CAPTURE_FILES + spec.PROCESS_GLOBS + spec.CAPTURE_LOG_FILES + spec.PRESENCE_MARKERS
    for root in roots:
        start_reads, start_globs = len(recorder.reads), len(recorder.globbed)
        release = Gatherer(root).run()["kernel"]["release"]
        for pattern in captured:
            expanded = spec.expand_release(pattern, release)
            if expanded in recorder.globbed[start_globs:] or any(
                    spec.path_matches(pattern, target, release)
                    or (op == "listdir" and spec.leads_through(pattern, target, release, wildcard_next=True))
                    for op, target, _n, _c in recorder.reads[start_reads:] if op != "command"):
                used.add(pattern)
    assert [p for p in captured if p not in used] == []


def test_an_unlisted_read_is_caught(monkeypatch):
    """The check can fail: reads nobody listed are each named, listed ones are not."""
    root = os.path.join(INTEGRATION_TREES, "seed-000-centos7-conntrack-blacklist")
    recorder = Recorder(monkeypatch)
    source = host_source.HostSource(root)
    source.read("/proc/modules")                        # listed (KERNEL_FILES)
    source.read("/lib/modules/3.10.0-514.21.1.el7.x86_64/modules.dep")  # listed through {release}
    source.listdir("/etc/modprobe.d")                   # listed: a glob's wildcard is right below it
    source.exists("/etc/systemd")                       # a directory on the way to listed files
    source.read("/etc/nfdoctor-unlisted.conf")          # not listed
    source.read("/lib/modules/9.9.9/modules.dep")       # another release than the tree's
    source.listdir("/etc/systemd")                      # its entries are not all kept
    source.read("/proc/1/environ")                      # a /proc/PID file the capture does not keep
    source.read("/sys/class/net/eth0/mtu")              # a sysfs attribute the capture does not copy
    source.command(["ss", "-tan"])                      # a command nobody listed
    source.command(["uname", "-a"], sos_names=["uname_-snrvmpio"])  # a fallback name nobody listed
    missing = recorder.unlisted("3.10.0-514.21.1.el7.x86_64")
    # read() asks first whether the path is a /dev/null link: that probe is named too.
    assert missing == [
        "read /etc/nfdoctor-unlisted.conf", "exists /etc/nfdoctor-unlisted.conf",
        "read /lib/modules/9.9.9/modules.dep", "exists /lib/modules/9.9.9/modules.dep",
        "listdir /etc/systemd",
        "read /proc/1/environ", "exists /proc/1/environ",
        "read /sys/class/net/eth0/mtu", "exists /sys/class/net/eth0/mtu",
        "command ss -tan",
        "command uname -a (also tried: uname_-snrvmpio)",
    ]


def test_live_commands_must_be_captured_or_stand_in():
    assert spec.command_listing(["iptables-save", "-t", "nat"]) is not None   # captured as iptables -t nat -nvL
    assert spec.command_listing(["iptables", "-t", "mangle", "-nvL"]) is not None
    assert spec.command_listing(["iptables-save", "-t", "nat", "-c"]) is None
    assert spec.command_listing(["conntrack", "-L"]) is None
    assert spec.command_listing(["iptables", "-t", "nat", "-nvL"], captured=True) is not None
    assert spec.command_listing(["iptables", "-t", "nat", "-L"], captured=True) is None


@pytest.mark.parametrize("pattern, path, expected", [
    ("/proc/[0-9]*/stack", "/proc/2131/stack", True),
    ("/proc/[0-9]*/stack", "/proc/self/stack", False),
    ("/etc/cron.d/*", "/etc/cron.d/.placeholder", False),   # sh: * never matches a leading dot
    ("/etc/cron.d/*", "/etc/cron.d/sub/file", False),       # nor a slash
    ("/lib/modules/{release}/modules.dep", "/lib/modules/6.1.0-18-amd64/modules.dep", True),
])
def test_path_matches_like_the_shell(pattern, path, expected):
    assert spec.path_matches(pattern, path, "6.1.0-18-amd64" if "6.1" in path else None) is expected


NAMES = ["a.service", "a.service.d", ".hidden.service", "service", ".service", "a.servicex", "x.SERVICE",
         "a\nb.service", "[x].conf", "a]", "a.conf", "a*.conf", "nm\\.conf", "", "."]


@pytest.mark.parametrize("pattern", ["*.service", "*.conf", "*", "*]", "*\\.conf", "*.service.d", "*[.]conf",
                                     "*.*", "a*", "?.conf", ".*", "*a?"])
def test_name_matches_is_fnmatch_without_the_leading_dot(pattern):
    """name_matches answers '*suffix' without fnmatch's regex (issue 15): the answer stays fnmatch's."""
    import fnmatch
    for name in NAMES:
        expected = fnmatch.fnmatchcase(name, pattern) and not (name.startswith(".") and not pattern.startswith("."))
        assert spec.name_matches(pattern, name) is expected, (pattern, name)
