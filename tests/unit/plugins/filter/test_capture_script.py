"""The capture collector is rendered from capture_spec and never does what the audit must not."""
import os
import re
import subprocess

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.nfdoctor.netfilter.plugins.filter import capture_script as cs
from ansible_collections.nfdoctor.netfilter.plugins.module_utils import capture_spec as spec


@pytest.fixture(scope="module")
def script():
    return cs.capture_script()


def test_is_valid_posix_sh(script, tmp_path):
    path = tmp_path / "capture.sh"
    path.write_text(script)
    subprocess.run(["sh", "-n", str(path)], check=True)
    if os.path.exists("/bin/dash"):
        subprocess.run(["/bin/dash", "-n", str(path)], check=True)


def test_every_spec_file_and_command_is_collected(script):
    for pattern in spec.CAPTURE_FILES:
        assert cs._shell_pattern(pattern) in script, pattern
    for command in spec.CAPTURE_COMMANDS:
        if command.get("per_table"):
            head, tail = spec.sos_name([a if a != "{table}" else "T" for a in command["argv"]]).split("_T_")
            assert "'%s' '%s_'\"$table\"'_%s'" % (command["plugin"], head, tail) in script, command
        elif command.get("per_device"):
            head = spec.sos_name([a if a != "{device}" else "D" for a in command["argv"]]).rsplit("_D", 1)[0]
            assert "'%s' '%s_'\"$name\"" % (command["plugin"], head) in script, command
            for kind in command["per_device"]:
                assert "'DEVTYPE=%s'" % kind in script
        else:
            assert "'%s' '%s'" % (command["plugin"], spec.sos_name(command["argv"])) in script, command
    for _kind, path in spec.ENVIRONMENT_MARKERS:
        assert "mark %s" % cs._shell_pattern(path) in script
    for proc_file in spec.PROCESS_FILES:
        assert "'%s'" % proc_file in script


def test_never_loads_a_module(script):
    # Listing a table by name loads its module (iptables -t nat -L loads iptable_nat).
    assert not re.search(r"iptables\S* (-t|--table) \w+ -(L|S|n)", script)
    assert not re.search(r"(^|[;&|(]\s*|then\s+)(modprobe|insmod)\b", script, re.M)
    assert not re.search(r"'(modprobe|insmod)'", script)
    # `iptables --version` (which backend plain iptables is) touches no table
    dump_lines = [line for line in script.splitlines() if ("'iptables'" in line or "'ip6tables'" in line)
                  and "'--version'" not in line]
    assert len(dump_lines) == 2 and all(line.startswith("for table in $(cat '/proc/net/ip") for line in dump_lines)
    assert "iptables-save" not in script  # sos never writes it (firewall_tables lists each table with -nvL)
    for command in spec.CAPTURE_COMMANDS:
        if command.get("requires_module"):
            line = [x for x in script.splitlines() if "'%s'" % spec.sos_name(command["argv"]) in x][0]
            assert line.startswith("if module_loaded '%s'; then" % command["requires_module"])


def test_commands_run_with_timeout_and_bounds(script):
    assert 'T="timeout 10"' in script and 'T="timeout -t 10"' in script
    assert '$T "$@"' in script
    assert 'head -c "$MAX"' in script
    assert "MAX=%d" % cs.DEFAULTS["max_file_bytes"] in script


def test_options(script):
    custom = cs.capture_script({"timeout": 3, "max_file_bytes": 4096, "work_dir": "/var/tmp"})
    assert 'T="timeout 3"' in custom and "MAX=4096" in custom and "mktemp -d '/var/tmp/nfdoctor-capture" in custom
    assert cs.capture_script(None) == script == cs.capture_script({"timeout": None})


@pytest.mark.parametrize("options,message", [
    ("fast", "dict of options"),
    ({"speed": 1}, "unknown option"),
    ({"timeout": "ten"}, "whole numbers"),
    ({"timeout": 0}, ">= 1"),
    ({"work_dir": "tmp"}, "absolute path"),
    ({"work_dir": "/tmp/it's"}, "absolute path"),
])
def test_bad_options(options, message):
    with pytest.raises(AnsibleFilterError, match=message):
        cs.capture_script(options)


def test_shell_pattern_keeps_globs_and_quotes_literals(tmp_path):
    base = tmp_path / "it's here"
    (base / "a.d").mkdir(parents=True)
    for name in ("x.conf", "y.conf", "z.txt"):
        (base / "a.d" / name).write_text(name)
    pattern = cs._shell_pattern(str(base) + "/a.d/*.conf")
    out = subprocess.run(["sh", "-c", 'for f in %s; do echo "$f"; done' % pattern], capture_output=True,
                         text=True, check=True).stdout.split("\n")
    assert out[:2] == [str(base / "a.d" / "x.conf"), str(base / "a.d" / "y.conf")]
    release = cs._shell_pattern("/lib/modules/{release}/modules.dep")
    assert release == "'/lib/modules/'\"$release\"'/modules.dep'"


def test_walked_directories_and_literal_prefix():
    assert cs._walked_dirs("/sys/class/net/*/brif/*") == ["/sys/class/net/*"]
    assert cs._walked_dirs("/etc/modprobe.d/*.conf") == []
    assert cs._literal_prefix("/sys/class/net/*/brif/*") == "/sys/class/net"
    assert cs._literal_prefix("/sys/module/bridge/refcnt") == "/sys/module/bridge/refcnt"


def test_payload_is_marked(script):
    assert 'echo "%s $format"' % cs.CAPTURE_BEGIN in script
    assert 'echo "%s"' % cs.CAPTURE_END in script
    assert 'exec 2>>"$work/stderr"' in script
    assert "trap 'rm -rf \"$work\"' 0" in script


def _per_table_loop(script, tool):
    return [line for line in script.splitlines() if "'%s'" % tool in line and line.startswith("for table")][0]


@pytest.mark.parametrize("tables, expected", [
    ("nat\nfilter\n", ["iptables_-t_filter_-nvL", "iptables_-t_nat_-nvL"]),
    ("", []),                                   # no legacy table loaded: nothing runs, nothing loads
    ("nat\n../../x\n$(id)\n", ["iptables_-t_nat_-nvL"]),  # not a table name: never run, never a path
])
def test_per_table_listings_get_sos_names(script, tmp_path, tables, expected):
    """The loop, run with a fake iptables and a fake table list: one sos-named listing per kernel table."""
    names = tmp_path / "ip_tables_names"
    names.write_text(tables)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "iptables"
    fake.write_text("#!/bin/sh\necho \"Chain FORWARD (policy DROP 0 packets, 0 bytes) $*\"\n")
    fake.chmod(0o755)
    loop = _per_table_loop(script, "iptables").replace("'/proc/net/ip_tables_names'", "'%s'" % names)
    runner = 'tree=%s/tree; notes=%s/notes; T=; MAX=65536\n%s\n%s\n' % (
        tmp_path, tmp_path, re.search(r"(?ms)^run\(\) \{.*?^\}", script).group(0), loop)
    subprocess.run(["sh", "-c", runner], check=True, env={"PATH": "%s:/usr/bin:/bin" % bin_dir})
    out = tmp_path / "tree" / "sos_commands" / "firewall_tables"
    found = sorted(os.listdir(out)) if out.exists() else []
    assert found == expected
    for name in found:
        table = name.split("_")[2]
        assert (out / name).read_text() == "Chain FORWARD (policy DROP 0 packets, 0 bytes) -t %s -nvL\n" % table
