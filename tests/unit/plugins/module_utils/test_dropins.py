"""dropins: the one drop-in precedence rule, with each tool's differences as data.

Every case names the upstream rule it pins (see the module docstring for the
source files): kmod libkmod-config.c / libkmod.c, systemd conf-files.c,
systemd-sysctl, systemd-networkd network_load/network_load_one.
"""
import doctest
import glob
import os
import shutil
import subprocess

import pytest

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import dropins as d

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def statuses(plan):
    return [(f["path"], f["status"], f["by"]) for f in plan["files"]]


def test_docstring_examples():
    failures, tried = doctest.testmod(d)
    assert tried >= 4 and failures == 0


# --- the common rule --------------------------------------------------------

@pytest.mark.parametrize("rules", [d.MODPROBE_D_RULES, d.SYSCTL_D_RULES, d.MODULES_LOAD_D_RULES])
def test_earlier_directory_hides_same_name_and_names_sort_across_directories(rules):
    first, last = rules["dirs"][0], rules["dirs"][-2]  # /etc and /usr/lib
    plan = d.resolve({last + "/10-vendor.conf": d.REGULAR, first + "/10-vendor.conf": d.REGULAR,
                      last + "/05-early.conf": d.REGULAR, first + "/99-local.conf": d.REGULAR}, rules)
    # read in name order whatever the directory: /usr/lib's 05 before /etc's 10 and 99
    assert plan["read"] == [last + "/05-early.conf", first + "/10-vendor.conf", first + "/99-local.conf"]
    assert (last + "/10-vendor.conf", d.SHADOWED, first + "/10-vendor.conf") in statuses(plan)


def test_rank_not_path_order_decides_the_winner():
    # /run sorts after /lib and /etc as a string; its rank is second all the same
    plan = d.resolve({"/run/sysctl.d/x.conf": d.REGULAR, "/lib/sysctl.d/x.conf": d.REGULAR}, d.SYSCTL_D_RULES)
    assert plan["read"] == ["/run/sysctl.d/x.conf"]
    lone = d.resolve({"/lib/sysctl.d/x.conf": d.REGULAR}, d.SYSCTL_D_RULES)
    assert lone["read"] == ["/lib/sysctl.d/x.conf"]


def test_names_sort_by_code_point_like_strcmp():
    plan = d.resolve({"/etc/sysctl.d/a.conf": d.REGULAR, "/etc/sysctl.d/B.conf": d.REGULAR,
                      "/etc/sysctl.d/10.conf": d.REGULAR}, d.SYSCTL_D_RULES)
    assert [os.path.basename(p) for p in plan["read"]] == ["10.conf", "B.conf", "a.conf"]


def test_hidden_directories_sub_directories_and_outsiders_are_ignored_with_a_reason():
    plan = d.resolve({"/etc/modprobe.d/.hidden.conf": d.REGULAR,
                      "/etc/modprobe.d/old/x.conf": d.REGULAR,
                      "/etc/modprobe.d/dir.conf": d.DIRECTORY,
                      "/home/u/x.conf": d.REGULAR}, d.MODPROBE_D_RULES)
    reasons = dict((f["path"], f["reason"]) for f in plan["files"])
    assert plan["read"] == []
    assert "dot" in reasons["/etc/modprobe.d/.hidden.conf"]
    assert "sub-directory of /etc/modprobe.d" in reasons["/etc/modprobe.d/old/x.conf"]
    assert "directory" in reasons["/etc/modprobe.d/dir.conf"]
    assert reasons["/home/u/x.conf"] == "not in a modprobe.d directory"
    assert all(f["status"] == d.IGNORED for f in plan["files"])


def test_empty_and_bad_input():
    assert d.resolve({}, d.SYSCTL_D_RULES) == {"read": [], "files": []}
    assert d.resolve(None, d.SYSCTL_D_RULES) == {"read": [], "files": []}
    # an unknown kind is a regular file, not a crash
    assert d.resolve({"/etc/sysctl.d/a.conf": "socket?"}, d.SYSCTL_D_RULES)["read"] == ["/etc/sysctl.d/a.conf"]
    assert d.kinds_from_texts({"/a": None, "/b": "", "/c": "x", "/e": 5}) == {
        "/a": d.NULL_LINK, "/b": d.EMPTY, "/c": d.REGULAR, "/e": d.REGULAR}
    assert d.kinds_from_texts({"/a": None}, none_is_mask=False) == {"/a": d.REGULAR}


# --- where the tools differ: the tables -------------------------------------

def test_kmod_reads_a_dev_null_link_as_empty_but_it_still_hides_the_vendor_file():
    # libkmod-config.c has no masks: the entry takes its name and is opened (empty)
    entries = {"/etc/modprobe.d/blacklist.conf": d.NULL_LINK, "/lib/modprobe.d/blacklist.conf": d.REGULAR}
    plan = d.resolve(entries, d.MODPROBE_D_RULES)
    assert plan["read"] == ["/etc/modprobe.d/blacklist.conf"]
    assert statuses(plan)[1] == ("/lib/modprobe.d/blacklist.conf", d.SHADOWED, "/etc/modprobe.d/blacklist.conf")


@pytest.mark.parametrize("rules", [d.SYSCTL_D_RULES, d.MODULES_LOAD_D_RULES, d.NETWORK_RULES])
@pytest.mark.parametrize("kind", [d.NULL_LINK, d.EMPTY])
def test_systemd_masks_with_a_dev_null_link_or_an_empty_file(rules, kind):
    suffix = rules["suffixes"][0]
    first, vendor = rules["dirs"][0] + "/50-x" + suffix, rules["dirs"][3] + "/50-x" + suffix
    plan = d.resolve({first: kind, vendor: d.REGULAR}, rules)
    assert plan["read"] == []
    assert statuses(plan) == [(first, d.MASKED, None), (vendor, d.SHADOWED, first)]


def test_a_mask_in_a_later_directory_does_not_mask_the_earlier_file():
    plan = d.resolve({"/etc/sysctl.d/50-x.conf": d.REGULAR, "/usr/lib/sysctl.d/50-x.conf": d.NULL_LINK},
                     d.SYSCTL_D_RULES)
    assert plan["read"] == ["/etc/sysctl.d/50-x.conf"]


def test_suffixes_per_tool():
    names = ["a.conf", "b.alias", "c.network", "d.netdev", "e"]

    def read(rules):
        return [os.path.basename(p) for p in d.resolve(
            dict((rules["dirs"][0] + "/" + n, d.REGULAR) for n in names), rules)["read"]]
    assert read(d.MODPROBE_D_RULES) == ["a.conf", "b.alias"]       # kmod < 33 still reads .alias
    assert read(d.MODPROBE_D_MODULE_INIT_TOOLS_RULES) == names      # module-init-tools: any name
    assert read(d.SYSCTL_D_RULES) == ["a.conf"]
    assert read(d.MODULES_LOAD_D_RULES) == ["a.conf"]
    assert read(d.NETWORK_RULES) == ["c.network"]


def test_directories_per_tool():
    assert d.MODPROBE_D_RULES["dirs"] == ("/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
                                          "/usr/lib/modprobe.d", "/lib/modprobe.d")
    assert d.SYSCTL_D_RULES["dirs"][-1] == "/lib/sysctl.d"
    assert d.NETWORK_RULES["dirs"] == ("/etc/systemd/network", "/run/systemd/network",
                                       "/usr/local/lib/systemd/network", "/usr/lib/systemd/network",
                                       "/lib/systemd/network")
    # networkd.conf(5) lists no /lib location for networkd.conf and networkd.conf.d
    assert d.NETWORKD_CONF_D_RULES["dirs"][-1] == "/usr/lib/systemd/networkd.conf.d"


def test_networkd_conf_first_existing_main_file_wins():
    plan = d.resolve({"/usr/lib/systemd/networkd.conf": d.REGULAR, "/etc/systemd/networkd.conf": d.REGULAR,
                      "/etc/systemd/resolved.conf": d.REGULAR}, d.NETWORKD_CONF_RULES)
    assert plan["read"] == ["/etc/systemd/networkd.conf"]
    assert ("/etc/systemd/resolved.conf", d.IGNORED, None) in statuses(plan)


def test_network_dropin_directories_merge_by_name_across_directories():
    rules = d.dropin_rules(d.NETWORK_RULES, "10-eth0.network")
    plan = d.resolve({
        "/usr/lib/systemd/network/10-eth0.network.d/20-vendor.conf": d.REGULAR,
        "/etc/systemd/network/10-eth0.network.d/30-local.conf": d.REGULAR,
        "/etc/systemd/network/10-eth0.network.d/40-off.conf": d.NULL_LINK,
        "/run/systemd/network/10-eth0.network.d/40-off.conf": d.REGULAR,
        "/etc/systemd/network/10-eth0.network.d/notes.txt": d.REGULAR,
        "/etc/systemd/network/99-other.network.d/50-x.conf": d.REGULAR,
    }, rules)
    assert plan["read"] == ["/usr/lib/systemd/network/10-eth0.network.d/20-vendor.conf",
                            "/etc/systemd/network/10-eth0.network.d/30-local.conf"]
    status = dict((f["path"], f["status"]) for f in plan["files"])
    assert status["/run/systemd/network/10-eth0.network.d/40-off.conf"] == d.SHADOWED
    assert status["/etc/systemd/network/10-eth0.network.d/notes.txt"] == d.IGNORED
    assert status["/etc/systemd/network/99-other.network.d/50-x.conf"] == d.IGNORED


def test_override_path_is_the_same_name_in_the_first_directory():
    assert d.override_path("/usr/lib/modprobe.d/50-blacklist.conf", d.MODPROBE_D_RULES) == \
        "/etc/modprobe.d/50-blacklist.conf"


# --- Python 2.7 and 3.6 (managed hosts) -------------------------------------

def _interpreter(version):
    for candidate in sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/%s*/bin/python%s" % (version, version)))):
        return candidate
    return None


@pytest.mark.parametrize("version", ["2.7", "3.6"])
def test_doctests_pass_on_old_interpreters(version, tmp_path):
    python = _interpreter(version)
    if python is None:
        pytest.skip("no Python %s" % version)
    # laid out as AnsiballZ ships module_utils: dropins takes its directories from capture_spec
    package = tmp_path / "ansible_collections" / "nfdoctor" / "netfilter" / "plugins" / "module_utils"
    package.mkdir(parents=True)
    directory = package
    while directory != tmp_path:
        (directory / "__init__.py").write_text("")
        directory = directory.parent
    for name in ("dropins", "capture_spec", "sos_layout", "parse_text"):
        shutil.copy(os.path.join(REPO, "plugins", "module_utils", name + ".py"), str(package))
    driver = ("import doctest, sys\n"
              "from ansible_collections.nfdoctor.netfilter.plugins.module_utils import dropins\n"
              "failures, tried = doctest.testmod(dropins)\n"
              "sys.exit(1 if failures or tried < 4 else 0)\n")
    proc = subprocess.run([python, "-c", driver], cwd=str(tmp_path), capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
