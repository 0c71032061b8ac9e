"""sysctl.d precedence: what the administrator asked for, with file and line."""
from ansible_collections.nfdoctor.netfilter.plugins.module_utils.parse_sysctl_d import configured_sysctls

DEBIAN13 = {
    # procps' vendor default, then the admin's file that wants routing
    "/usr/lib/sysctl.d/50-default.conf": "# vendor\nnet.ipv4.conf.default.rp_filter = 2\n-net.ipv4.conf.all.rp_filter = 2\n",
    "/etc/sysctl.d/99-nfdoctor-vm-forwarding.conf": "net.ipv4.ip_forward = 1\n",
}


def test_admin_file_sets_forwarding():
    result = configured_sysctls(DEBIAN13)
    assert result["settings"]["net.ipv4.ip_forward"] == {
        "value": "1", "file": "/etc/sysctl.d/99-nfdoctor-vm-forwarding.conf", "line": 1}
    assert result["settings"]["net.ipv4.conf.all.rp_filter"]["value"] == "2"  # leading '-' dropped
    assert result["problems"] == []


def test_same_name_in_etc_hides_the_vendor_file():
    files = {"/usr/lib/sysctl.d/30-fwd.conf": "net.ipv4.ip_forward = 1\n",
             "/etc/sysctl.d/30-fwd.conf": "# masked by the admin\n"}
    assert "net.ipv4.ip_forward" not in configured_sysctls(files)["settings"]


def test_later_file_name_wins_across_directories():
    files = {"/etc/sysctl.d/10-on.conf": "net.ipv4.ip_forward = 1\n",
             "/usr/lib/sysctl.d/90-off.conf": "net.ipv4.ip_forward = 0\n"}
    assert configured_sysctls(files)["settings"]["net.ipv4.ip_forward"]["value"] == "0"


def test_sysctl_conf_is_applied_last_and_slash_keys_are_the_same_key():
    files = {"/etc/sysctl.d/99-z.conf": "net/ipv4/ip_forward = 0\n",
             "/etc/sysctl.conf": "; comment\nnet.ipv4.ip_forward=1\n"}
    setting = configured_sysctls(files)["settings"]["net.ipv4.ip_forward"]
    assert setting == {"value": "1", "file": "/etc/sysctl.conf", "line": 2}


def test_junk_lines_are_problems_and_other_files_are_ignored():
    files = {"/etc/sysctl.d/bad.conf": "just words\n=1\n", "/etc/sysctl.d/notes.txt": "net.ipv4.ip_forward = 1\n",
             "/home/u/sysctl.conf": "net.ipv4.ip_forward = 1\n"}
    result = configured_sysctls(files)
    assert result["settings"] == {}
    assert len(result["problems"]) == 2


def test_no_files_and_bad_input():
    assert configured_sysctls({})["settings"] == {}
    assert configured_sysctls(None)["problems"]


def test_dev_null_link_masks_the_vendor_file_and_hidden_names_are_skipped():
    # sysctl.d(5): a /dev/null link of the same name masks; systemd skips dot names (module_utils.dropins)
    files = {"/usr/lib/sysctl.d/50-default.conf": "net.ipv4.conf.all.rp_filter = 2\n",
             "/etc/sysctl.d/50-default.conf": "",
             "/etc/sysctl.d/.99-editor-swap.conf": "net.ipv4.ip_forward = 0\n"}
    result = configured_sysctls(files)
    assert result["settings"] == {} and result["files"] == []
    unmasked = configured_sysctls({"/usr/lib/sysctl.d/50-default.conf": "net.ipv4.conf.all.rp_filter = 2\n"})
    assert unmasked["settings"]["net.ipv4.conf.all.rp_filter"]["file"] == "/usr/lib/sysctl.d/50-default.conf"
