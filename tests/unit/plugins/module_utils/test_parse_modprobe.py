"""Tests for parse_modprobe: kmod's directory precedence, line syntax and what disables a module."""
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import parse_modprobe as pm

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "modprobe")


def load_tree(name, dirs):
    """{host path: text} for every entry directly inside ``dirs`` of a fixture tree."""
    root = os.path.join(FIXTURES, name)
    files = {}
    for directory in dirs:
        real = os.path.join(root, directory.lstrip("/"))
        if not os.path.isdir(real):
            continue
        for entry in os.listdir(real):
            path = os.path.join(real, entry)
            if os.path.isfile(path):
                with open(path, "rb") as handle:
                    files[directory + "/" + entry] = handle.read().decode("utf-8", "replace")
    for single in ("/etc/modules", "/etc/modprobe.conf"):
        real = os.path.join(root, single.lstrip("/"))
        if os.path.isfile(real):
            with open(real) as handle:
                files[single] = handle.read()
    return files


def cmdline(name):
    with open(os.path.join(FIXTURES, name, "cmdline")) as handle:
        return handle.read()


def modprobe_tree(name):
    files = {k: v for k, v in load_tree(name, pm.MODPROBE_DIRS).items() if k != "/etc/modules"}
    return pm.modprobe_facts(files, cmdline(name))


def kinds(facts, module):
    return [(d["kind"], d["file"], d["line"]) for d in pm.disabling_directives(facts, module)]


# --- seed 000: CentOS 7 ---------------------------------------------------

def test_seed000_blacklist_found_with_file_and_line():
    facts = modprobe_tree("centos7_seed000")
    assert kinds(facts, "nf_conntrack_ipv4") == [("blacklist", "/etc/modprobe.d/blacklist.conf", 6)]
    item = pm.disabling_directives(facts, "nf_conntrack_ipv4")[0]
    assert item["text"] == "blacklist nf_conntrack_ipv4"


def test_seed000_other_conntrack_modules_not_disabled():
    facts = modprobe_tree("centos7_seed000")
    for module in ("nf_conntrack", "nf_nat", "iptable_nat", "br_netfilter"):
        assert kinds(facts, module) == []


def test_seed000_rpmsave_is_ignored_not_read():
    facts = modprobe_tree("centos7_seed000")
    entry = [f for f in facts["files"] if f["path"].endswith(".rpmsave")][0]
    assert "only names ending in .conf" in entry["ignored"]
    # the rpmsave file blacklists nf_conntrack, which must not count
    assert not [d for d in facts["directives"] if d["file"].endswith(".rpmsave")]


def test_files_are_read_in_name_order_across_directories():
    facts = modprobe_tree("centos7_seed000")
    read = [f["path"] for f in facts["files"] if f["ignored"] is None and f["shadowed_by"] is None]
    assert read == [
        "/etc/modprobe.d/blacklist.conf",
        "/usr/lib/modprobe.d/dist-alsa.conf",
        "/usr/lib/modprobe.d/dist-blacklist.conf",
        "/etc/modprobe.d/lockd.conf",
        "/etc/modprobe.d/tuned.conf",
    ]


def test_names_are_normalised_and_install_wrapper_is_not_disabling():
    facts = modprobe_tree("centos7_seed000")
    assert [d["line"] for d in facts["directives"] if d["module"] == "snd_pcsp"] == [34]
    # install snd-pcm /sbin/modprobe --ignore-install snd-pcm && ...: loads snd_pcm itself
    assert kinds(facts, "snd-pcm") == []
    assert [d["module"] for d in facts["directives"] if d["directive"] == "install"] == ["snd_pcm"]


def test_commented_options_are_not_directives():
    facts = modprobe_tree("centos7_seed000")
    assert not [d for d in facts["directives"] if d["module"] == "lockd"]
    assert [d["args"] for d in facts["directives"] if d["directive"] == "options"] == [
        "modeset=0", "hashsize=65536"]


def test_cmdline_without_blacklist_gives_nothing():
    facts = modprobe_tree("centos7_seed000")
    assert facts["cmdline_blacklist"] == []


# --- Ubuntu 22.04: install /bin/true, shadowed /lib file, cmdline -----------

def test_ubuntu_lib_blacklist_is_shadowed_by_etc():
    facts = modprobe_tree("ubuntu2204")
    entry = [f for f in facts["files"] if f["path"] == "/lib/modprobe.d/blacklist.conf"][0]
    assert entry["shadowed_by"] == "/etc/modprobe.d/blacklist.conf"
    # the shadowed file is the only one that blacklists nf_conntrack: no blacklist kind
    assert [k for k in kinds(facts, "nf_conntrack") if k[0] == "blacklist"] == []


def test_ubuntu_install_true_and_cmdline():
    facts = modprobe_tree("ubuntu2204")
    assert kinds(facts, "nf_conntrack") == [
        ("install_noop", "/etc/modprobe.d/iptables-hardening.conf", 3),
        ("cmdline", "/proc/cmdline", 1),
    ]
    assert kinds(facts, "nf_nat") == [("install_fail", "/etc/modprobe.d/iptables-hardening.conf", 4)]
    assert facts["cmdline_blacklist"] == [
        {"module": "nouveau", "value": "modprobe.blacklist=nouveau,nf_conntrack", "param": "modprobe.blacklist"},
        {"module": "nf_conntrack", "value": "modprobe.blacklist=nouveau,nf_conntrack", "param": "modprobe.blacklist"},
    ]


def test_continuation_line_keeps_first_line_and_original_text():
    facts = modprobe_tree("ubuntu2204")
    item = pm.disabling_directives(facts, "br_netfilter")[0]
    assert (item["kind"], item["line"], item["end_line"]) == ("install_noop", 7, 8)
    assert item["text"] == "install br_netfilter \\\n    /bin/true"


def test_ubuntu_stock_files_disable_no_netfilter_module():
    files = load_tree("ubuntu2204", pm.MODPROBE_DIRS)
    del files["/etc/modprobe.d/iptables-hardening.conf"]
    facts = pm.modprobe_facts(files, None)
    for module in ("nf_conntrack", "nf_nat", "br_netfilter", "iptable_nat", "xt_conntrack"):
        assert kinds(facts, module) == []
    assert facts["problems"] == []
    # 15 in the /etc blacklist.conf, 15 in the kernel-supplied watchdog list
    assert len([d for d in facts["directives"] if d["directive"] == "blacklist"]) == 15 + 15


# --- Debian 12: vendor override, junk lines, module_blacklist --------------

def test_vendor_file_overridden_by_same_name_etc_file():
    facts = modprobe_tree("debian12")
    entry = [f for f in facts["files"] if f["path"] == "/usr/lib/modprobe.d/50-appliance.conf"][0]
    assert entry["shadowed_by"] == "/etc/modprobe.d/50-appliance.conf"
    assert not [d for d in facts["directives"] if d["file"] == "/usr/lib/modprobe.d/50-appliance.conf"]


def test_vendor_file_that_is_not_shadowed_counts():
    facts = modprobe_tree("debian12")
    assert kinds(facts, "br_netfilter") == [
        ("blacklist", "/usr/lib/modprobe.d/60-vendor-nf.conf", 2),
        ("cmdline_kernel", "/proc/cmdline", 1),
    ]
    assert kinds(facts, "nf_conntrack_netlink") == [("install_fail", "/usr/lib/modprobe.d/60-vendor-nf.conf", 3)]


def test_comment_continuation_swallows_next_line():
    facts = modprobe_tree("debian12")
    # "# comment that continues \" glues "blacklist nf_nat" into the comment
    assert not [d for d in facts["directives"] if d["module"] == "nf_nat"]


def test_junk_lines_become_problems_and_valid_lines_survive():
    facts = modprobe_tree("debian12")
    junk = [p for p in facts["problems"] if "zz-junk.conf" in p]
    assert any("zz-junk.conf:3: ignoring bad line starting with 'blackist'" in p for p in junk)
    assert any("zz-junk.conf:4: 'blacklist' without a module name" in p for p in junk)
    assert any("zz-junk.conf:5: '#' after leading blanks" in p for p in junk)
    assert any("zz-junk.conf:7: command 'include' is deprecated" in p for p in junk)
    options = [d for d in facts["directives"] if d["file"].endswith("zz-junk.conf") and d["directive"] == "options"]
    assert [(o["module"], o["args"], o["line"]) for o in options] == [("nf_conntrack", "hashsize=262144", 6)]


def test_alias_off_and_ignore_install_wrapper():
    facts = modprobe_tree("debian12")
    assert kinds(facts, "nf_conntrack_ipv4") == [("alias_redirect", "/etc/modprobe.d/zz-junk.conf", 8)]
    # install nf_conntrack /sbin/modprobe --ignore-install nf_conntrack ...: loads it
    assert kinds(facts, "nf_conntrack") == []


def test_hidden_and_non_conf_files_are_ignored():
    facts = modprobe_tree("debian12")
    ignored = {f["path"]: f["ignored"] for f in facts["files"] if f["ignored"]}
    assert "dot" in ignored["/etc/modprobe.d/.hidden.conf"]
    assert ".conf" in ignored["/etc/modprobe.d/README"]


def test_quoted_cmdline_parameter():
    facts = modprobe_tree("debian12")
    assert [(e["module"], e["param"]) for e in facts["cmdline_blacklist"]] == [
        ("br_netfilter", "module_blacklist"), ("nf_nat_ftp", "modprobe.blacklist")]


# --- install command classification (CIS-style file) ----------------------

@pytest.mark.parametrize("module, expected", [
    ("cramfs", ["install_fail", "blacklist"]),
    ("usb_storage", ["install_fail"]),
    ("sctp", ["install_noop"]),
    ("nf_conntrack_ipv4", ["install_fail"]),
    ("nf_conntrack_ipv6", ["install_noop"]),
    ("xt_conntrack", ["install_other"]),
    ("iptable_nat", ["install_other"]),
    ("nf_nat", []),
])
def test_cis_install_kinds(module, expected):
    facts = modprobe_tree_no_cmdline("hardened")
    assert [k[0] for k in kinds(facts, module)] == expected


def modprobe_tree_no_cmdline(name):
    return pm.modprobe_facts(load_tree(name, pm.MODPROBE_DIRS), None)


@pytest.mark.parametrize("command, kind", [
    ("/bin/true", "install_noop"),
    ("/bin/true # hardening", "install_noop"),
    (":", "install_noop"),
    ("/bin/echo nf_conntrack disabled", "install_noop"),
    ("/bin/false", "install_fail"),
    ("exit 1", "install_fail"),
    ("/dev/null", "install_fail"),
    ("/sbin/modprobe --ignore-install nf_conntrack $CMDLINE_OPTS", None),
    ("/sbin/modprobe -i nf-conntrack; /sbin/sysctl -p", None),
    ("/sbin/insmod /lib/modules/6.1.0/kernel/net/netfilter/nf_conntrack.ko.xz", None),
    ("/sbin/modprobe --ignore-install nf_conntrack_ipv4", "install_other"),
    ("/usr/local/sbin/ct-guard", "install_other"),
])
def test_classify_install(command, kind):
    assert pm.classify_install(command, "nf_conntrack") == kind


# --- /etc/modprobe.conf ----------------------------------------------------

def test_modprobe_conf_ignored_by_kmod_read_by_module_init_tools():
    files = {"/etc/modprobe.conf": "blacklist nf_conntrack_ipv4\n",
             "/etc/modprobe.d/local": "install nf_nat /bin/true\n"}
    kmod = pm.modprobe_facts(files)
    assert kmod["directives"] == []
    assert [f["ignored"] is not None for f in kmod["files"]] == [True, True]
    old = pm.modprobe_facts(files, module_init_tools=True)
    assert [(d["module"], d["file"]) for d in old["directives"]] == [
        ("nf_conntrack_ipv4", "/etc/modprobe.conf"), ("nf_nat", "/etc/modprobe.d/local")]


def test_subdirectory_and_foreign_paths_are_ignored():
    facts = pm.modprobe_facts({"/etc/modprobe.d/old/x.conf": "blacklist nf_nat\n",
                               "/tmp/x.conf": "blacklist nf_nat\n"})
    assert facts["directives"] == []
    reasons = {f["path"]: f["ignored"] for f in facts["files"]}
    assert "sub-directory" in reasons["/etc/modprobe.d/old/x.conf"]
    assert "not in a modprobe.d directory" in reasons["/tmp/x.conf"]


def test_run_directory_shadows_usr_lib_but_not_etc():
    facts = pm.modprobe_facts({
        "/etc/modprobe.d/a.conf": "blacklist one\n",
        "/run/modprobe.d/a.conf": "blacklist two\n",
        "/run/modprobe.d/b.conf": "blacklist three\n",
        "/usr/lib/modprobe.d/b.conf": "blacklist four\n",
    })
    assert [d["module"] for d in facts["directives"]] == ["one", "three"]


def test_crlf_line_is_reported():
    facts = pm.modprobe_facts({"/etc/modprobe.d/win.conf": "blacklist nf_conntrack\r\n"})
    assert facts["directives"][0]["module"] == "nf_conntrack"
    assert "carriage return" in facts["problems"][0]


def test_bad_inputs_never_raise():
    assert pm.modprobe_facts(None)["problems"]
    assert pm.modprobe_facts({"/etc/modprobe.d/x.conf": None})["problems"] == [
        "/etc/modprobe.d/x.conf: no text (unreadable?)"]
    assert pm.modprobe_facts({"/etc/modprobe.d/x.conf": b"blacklist \xff\x00nf\n"})["problems"]
    assert pm.disabling_directives(None, "nf_conntrack") == []
    # an unbalanced quote: the kernel drops it and keeps the names
    assert [e["module"] for e in pm.parse_cmdline_blacklist('modprobe.blacklist="a,b')] == ["a", "b"]


# --- modules-load.d --------------------------------------------------------

def test_modules_load_debian_tree():
    files = load_tree("debian12", pm.MODULES_LOAD_DIRS)
    facts = pm.modules_load_facts(files)
    assert [(e["module"], e["file"], e["line"]) for e in facts["entries"]] == [
        ("fuse", "/usr/lib/modules-load.d/fuse.conf", 2),
        ("overlay", "/etc/modules-load.d/k8s.conf", 2),
        ("br_netfilter", "/etc/modules-load.d/modules.conf", 7),
    ]
    status = {f["path"]: (f["shadowed_by"], f["ignored"]) for f in facts["files"]}
    assert status["/usr/lib/modules-load.d/k8s.conf"][0] == "/etc/modules-load.d/k8s.conf"
    assert "counted once" in status["/etc/modules"][1]
    assert ".conf" in status["/etc/modules-load.d/conntrack.conf.disabled"][1]


def test_modules_load_etc_modules_alone_and_words_after_name():
    facts = pm.modules_load_facts({"/etc/modules": "# comment\nloop\nbonding max_bonds=2\n"})
    assert [(e["module"], e["line"]) for e in facts["entries"]] == [("loop", 2), ("bonding", 3)]
    assert "whole line as one name" in facts["problems"][0]


def test_modules_load_words_after_name_in_conf_is_not_an_entry():
    facts = pm.modules_load_facts(load_tree("centos7_seed000", pm.MODULES_LOAD_DIRS))
    assert [e["module"] for e in facts["entries"]] == ["br_netfilter", "nf_conntrack_ipv4"]
    assert "vhost_net tx_flush=1" in facts["problems"][0]


def test_modules_load_bad_input():
    assert pm.modules_load_facts([])["problems"]
    assert pm.modules_load_facts({"/etc/modules-load.d/x.conf": None})["problems"]


# --- never raise on arbitrary input ---------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([
    "/etc/modprobe.d/a.conf", "/lib/modprobe.d/a.conf", "/etc/modprobe.d/b",
    "/etc/modprobe.conf", "/run/modprobe.d/c.conf"]),
    st.one_of(st.text(), st.binary(), st.none())), st.one_of(st.text(), st.none()), st.text())
def test_parsers_never_raise(files, command_line, module):
    facts = pm.modprobe_facts(files, command_line)
    pm.disabling_directives(facts, module)
    pm.modules_load_facts({k.replace("modprobe", "modules-load"): v for k, v in files.items()})
    for directive in facts["directives"]:
        assert directive["line"] <= directive["end_line"]


def test_alias_suffix_is_read_and_other_directives_parse():
    facts = pm.modprobe_facts({
        "/lib/modprobe.d/nvidia.alias": "alias pci:v000010DEd*sv*sd*bc03sc*i* nvidia\n",
        "/etc/modprobe.d/deps.conf": "softdep nf_nat pre: nf_conntrack post: nf_nat_ftp\n"
                                     "remove nf_conntrack /sbin/modprobe -r --ignore-remove nf_conntrack\n",
        "/etc/modprobe.d/nf.conf.bak": "blacklist nf_nat\n",
    })
    assert [(d["directive"], d["module"], d["args"]) for d in facts["directives"]] == [
        ("softdep", "nf_nat", "pre: nf_conntrack post: nf_nat_ftp"),
        ("remove", "nf_conntrack", "/sbin/modprobe -r --ignore-remove nf_conntrack"),
        ("alias", "pci:v000010DEd*sv*sd*bc03sc*i*", "nvidia"),
    ]
    # softdep and remove never stop a module from loading
    assert pm.disabling_directives(facts, "nf_nat") == []
    assert pm.disabling_directives(facts, "nf_conntrack") == []
