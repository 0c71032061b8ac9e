"""require_commands: a missing host tool is named with its package, never a raw [Errno 2]."""
import os
import stat

from module_runner import run_main

from ansible_collections.nfdoctor.netfilter.plugins.module_utils import host_tools
from ansible_collections.nfdoctor.netfilter.plugins.modules import require_commands


def run(capsys, monkeypatch, path_dirs, **args):
    monkeypatch.setenv("PATH", os.pathsep.join(str(d) for d in path_dirs))
    # the sbin directories of the machine running the test must not answer for the fake PATH
    monkeypatch.setattr(host_tools, "EXTRA_DIRS", [])
    return run_main(capsys, require_commands, args)


def make_tool(directory, name):
    path = directory / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_present_commands_are_found_with_their_paths(capsys, monkeypatch, tmp_path):
    modinfo = make_tool(tmp_path, "modinfo")
    result = run(capsys, monkeypatch, [tmp_path], commands=["modinfo"])
    assert result["rc"] == 0 and not result.get("failed")
    assert result["paths"] == {"modinfo": modinfo}
    assert result["missing"] == [] and result["changed"] is False


def test_a_missing_command_names_its_package(capsys, monkeypatch, tmp_path):
    make_tool(tmp_path, "modprobe")
    result = run(capsys, monkeypatch, [tmp_path], commands=["modinfo", "modprobe", "sysctl"],
                 purpose="find and load the conntrack modules")
    assert result["failed"] is True and result["rc"] == 1
    assert result["missing"] == ["modinfo", "sysctl"]
    assert result["msg"] == ("modinfo not found: install kmod; sysctl not found: install procps (Debian/Ubuntu) "
                             "or procps-ng (RHEL/Fedora) (needed to find and load the conntrack modules)")
    assert "Errno" not in result["msg"]


def test_a_non_executable_file_does_not_count(capsys, monkeypatch, tmp_path):
    (tmp_path / "modinfo").write_text("not a program")
    result = run(capsys, monkeypatch, [tmp_path], commands=["modinfo"])
    assert result["failed"] is True and result["missing"] == ["modinfo"]


def test_a_path_is_not_a_command_name(capsys, monkeypatch, tmp_path):
    result = run(capsys, monkeypatch, [tmp_path], commands=["/sbin/modinfo"])
    assert result["failed"] is True and "is not a command name" in result["msg"]


def test_unknown_commands_get_a_generic_hint():
    assert host_tools.missing_message(["frobnicate"]) == \
        "frobnicate not found: install the package that provides it"


def test_every_command_a_role_needs_has_a_package():
    for command in ("modinfo", "modprobe", "sysctl", "systemctl"):
        assert command in host_tools.PACKAGES
