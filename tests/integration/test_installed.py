"""The collection as users get it (make test-installed, issue 13).

`ansible-galaxy collection build` makes the tarball, `ansible-galaxy
collection install --offline` puts it into an empty collections path (its
dependencies, community.general and ansible.posix from galaxy.yml, are found
already installed in the venv's `ansible` package, so nothing is copied or
downloaded), and every run starts in an empty working directory with a HOME of
its own and no ANSIBLE_* variable but the collections path: no ansible.cfg of
ours, Ansible's default callback and result format, and the dependencies where
the `ansible` package put them. The commands are the ones
README.md and docs/installed.md give users.

What is checked is what a user sees: the findings in the reports, the end-of-run
summary as lines (not one string of escaped \\n), the reports where the docs
say, a --check that changes nothing, every ansible-doc page, the same under
ansible-runner, and docs/examples/group_vars loaded from the installed copy.
"""
import configparser
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "targets", "audit_reports"))
import audit_helpers as h  # noqa: E402

sys.path.insert(0, os.path.join(h.REPO, "tests", "unit", "plugins", "module_utils"))
from sos_trees import sosify  # noqa: E402

EXAMPLE_GROUP_VARS = os.path.join("docs", "examples", "group_vars", "all", "nfdoctor.yml")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _version():
    with open(os.path.join(h.REPO, "galaxy.yml")) as handle:
        return yaml.safe_load(handle)["version"]


class Installed:
    def __init__(self, root):
        self.root = root
        self.collections = root / "collections"
        self.tree = self.collections / "ansible_collections" / "nfdoctor" / "netfilter"

    def env(self, home, **extra):
        """A user's environment: none of the checkout's ANSIBLE_* settings, the installed collection first."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "NFDOCTOR_"))}
        env.update({"HOME": str(home), "PATH": h.BIN + os.pathsep + os.environ.get("PATH", ""),
                    # only the path it was installed to: community.general and ansible.posix come from the
                    # ansible package's site-packages, where ansible-core finds them by itself
                    "ANSIBLE_COLLECTIONS_PATH": str(self.collections)})
        env.update(extra)
        return env

    def run(self, tmp_path, *argv, timeout=300, **extra):
        """Run a command from an empty directory; assert that it stays empty."""
        cwd = tmp_path / "cwd"
        home = tmp_path / "home"
        cwd.mkdir(parents=True, exist_ok=True)
        home.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(list(argv), cwd=str(cwd), env=self.env(home, **extra), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)
        assert os.listdir(str(cwd)) == [], "the run wrote into the current directory: %s" % os.listdir(str(cwd))
        return proc, home


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("installed")
    dist = root / "dist"
    build = subprocess.run([os.path.join(h.BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(dist),
                            h.REPO], capture_output=True, text=True, check=False, timeout=120)
    assert build.returncode == 0, build.stdout + build.stderr
    tarball = dist / ("nfdoctor-netfilter-%s.tar.gz" % _version())
    inst = Installed(root)
    inst.collections.mkdir()
    proc, _home = inst.run(root / "install", os.path.join(h.BIN, "ansible-galaxy"), "collection", "install",
                           "--offline", str(tarball), "-p", str(inst.collections))
    assert proc.returncode == 0, proc.stdout
    inst.install_output = proc.stdout
    return inst


def summary_lines(stdout):
    """The summary's lines as printed, or None when it is not printed one line per line of the table."""
    lines = [ANSI.sub("", line) for line in stdout.splitlines()]
    start = [i for i, line in enumerate(lines) if re.search(r"nfdoctor \S+ audit of \d+ host\(s\)", line)]
    if len(start) != 1:
        return None
    first = start[0]
    if "\\n" in lines[first]:
        return None
    block = []
    for line in lines[first:]:
        if line.strip() in ("]", "}"):
            break
        block.append(line.strip().rstrip(",").strip('"'))
    if not any(line.startswith("HOST ") and "STATUS" in line for line in block):
        return None
    return block


def test_summary_lines_tells_a_table_from_one_escaped_string():
    """The readability check can fail: the form issue 13 saw without the checkout's ansible.cfg."""
    escaped = ('ok: [localhost] => {\n    "msg": "nfdoctor 0.1.0 audit of 1 host(s): 1 ok, 0 failed, 0 unreachable;'
               ' worst finding: none\\n\\nHOST       STATUS  WORST\\n---------  ------\\nlocalhost  ok      none"\n}\n')
    as_lines = ('ok: [localhost] => {\n    "msg": [\n        "nfdoctor 0.1.0 audit of 1 host(s): 1 ok, 0 failed, '
                '0 unreachable; worst finding: none",\n        "",\n        "HOST       STATUS  WORST",\n'
                '        "localhost  ok      none"\n    ]\n}\n')
    assert summary_lines(escaped) is None
    assert summary_lines("no summary at all") is None
    assert summary_lines(as_lines) == ["nfdoctor 0.1.0 audit of 1 host(s): 1 ok, 0 failed, 0 unreachable; "
                                       "worst finding: none", "", "HOST       STATUS  WORST", "localhost  ok      none"]


def test_install_puts_only_the_collection_into_the_empty_path(installed):
    assert sorted(os.listdir(str(installed.collections / "ansible_collections"))) == ["nfdoctor"]
    for dependency in ("community.general", "ansible.posix"):
        assert re.search(r"'%s:[0-9.]+' is already installed, skipping" % re.escape(dependency),
                         installed.install_output), installed.install_output
    # what users get holds no checkout tooling, and the docs they are pointed to
    names = set(os.listdir(str(installed.tree)))
    assert {"plugins", "roles", "playbooks", "meta", "docs", "README.md", "LICENSE"} <= names
    assert not names & {"tests", "Makefile", "ansible.cfg", "inventory", ".venv", ".build", "mk"}
    assert (installed.tree / EXAMPLE_GROUP_VARS).is_file()


def _doc_names():
    """What the checkout documents: modules, filters, callbacks, roles and their entry points."""
    modules = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(h.REPO, "plugins", "modules", "*.py")))
    callbacks = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(h.REPO, "plugins", "callback", "*.py")))
    filters = []
    for path in glob.glob(os.path.join(h.REPO, "plugins", "filter", "*.yml")):
        with open(path) as handle:
            filters.append(yaml.safe_load(handle)["DOCUMENTATION"]["name"])
    roles = {}
    for path in glob.glob(os.path.join(h.REPO, "roles", "*", "meta", "argument_specs.yml")):
        with open(path) as handle:
            roles[path.split(os.sep)[-3]] = sorted(yaml.safe_load(handle)["argument_specs"])
    return modules, sorted(filters), callbacks, roles


def test_ansible_doc_renders_every_plugin_and_role_from_the_installed_copy(installed, tmp_path):
    modules, filters, callbacks, roles = _doc_names()
    assert modules and filters and callbacks and roles
    doc = os.path.join(h.BIN, "ansible-doc")
    for kind, names in (("module", modules), ("filter", filters), ("callback", callbacks)):
        listed, _home = installed.run(tmp_path, doc, "-t", kind, "-l", "nfdoctor.netfilter", "-j")
        assert listed.returncode == 0, listed.stdout
        assert sorted(json.loads(listed.stdout)) == ["nfdoctor.netfilter." + n for n in names]
        fqcns = ["nfdoctor.netfilter." + n for n in names]
        shown, _home = installed.run(tmp_path, doc, "-t", kind, "-j", *fqcns)
        assert shown.returncode == 0, shown.stdout
        pages = json.loads(shown.stdout)
        for fqcn in fqcns:
            assert pages[fqcn]["doc"]["short_description"], fqcn
            assert pages[fqcn]["doc"]["filename"].startswith(str(installed.tree)), pages[fqcn]["doc"]["filename"]
        text, _home = installed.run(tmp_path, doc, "-t", kind, *fqcns)
        assert text.returncode == 0 and "ERROR" not in text.stdout, text.stdout[-2000:]
    listed, _home = installed.run(tmp_path, doc, "-t", "role", "-l", "nfdoctor.netfilter", "-j")
    assert listed.returncode == 0, listed.stdout
    entry_points = {name.split(".")[-1]: sorted(value["entry_points"]) for name, value in json.loads(listed.stdout).items()}
    assert entry_points == roles
    shown, _home = installed.run(tmp_path, doc, "-t", "role", *["nfdoctor.netfilter." + r for r in sorted(roles)])
    text = ANSI.sub("", shown.stdout)
    assert shown.returncode == 0, text[-2000:]
    pages = {}
    for page in text.split("> ROLE: ")[1:]:
        pages[page.split()[0]] = page
    assert sorted(pages) == ["nfdoctor.netfilter." + r for r in sorted(roles)]
    for role, points in roles.items():
        page = pages["nfdoctor.netfilter." + role]
        assert page.split("\n", 1)[0].endswith("(%s)" % installed.tree), page[:300]
        assert sorted(re.findall(r"^ENTRY POINT: (\S+) - \S", page, re.M)) == points, page[:2000]


def _readable(proc):
    lines = summary_lines(proc.stdout)
    assert lines is not None, "summary not printed line by line:\n" + proc.stdout[-3000:]
    assert "discovered Python interpreter" not in proc.stdout
    return lines


def test_live_audit_of_the_controller(installed, tmp_path):
    """README: ansible-playbook nfdoctor.netfilter.audit -e nfdoctor_hosts=localhost (no inventory)."""
    proc, home = installed.run(tmp_path, os.path.join(h.BIN, "ansible-playbook"), "nfdoctor.netfilter.audit",
                               "-e", "nfdoctor_hosts=localhost")
    assert proc.returncode == 0, proc.stdout[-3000:]
    lines = _readable(proc)
    assert lines[0].startswith("nfdoctor %s audit of 1 host(s): 1 ok, 0 failed, 0 unreachable" % _version())
    assert any(re.match(r"localhost\s+ok\s", line) for line in lines), lines
    reports = home / "nfdoctor-reports"  # the documented default of an installed collection
    assert sorted(os.listdir(str(reports))) == ["nfdoctor-report.html", "nfdoctor-report.json", "nfdoctor-report.md"]
    assert "  %s" % (reports / "nfdoctor-report.json") in lines
    assert "nfdoctor progress" not in proc.stdout  # the progress callback only runs when enabled
    doc = h.report(str(reports))
    assert doc["hosts"]["localhost"]["status"] == "ok"
    assert doc["hosts"]["localhost"]["facts"]["root"] == "/"


def test_example_group_vars_load_from_the_installed_copy(installed, tmp_path):
    """docs/examples/group_vars copied into an inventory as docs/installed.md says: Ansible reads every value."""
    inventory = tmp_path / "inventory"
    shutil.copytree(str(installed.tree / "docs" / "examples" / "group_vars"), str(inventory / "group_vars"))
    # the controller itself, with the interpreter that runs Ansible (host vars win over the group's auto_silent)
    (inventory / "hosts.yml").write_text(
        "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
        "      ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n")
    with open(str(installed.tree / EXAMPLE_GROUP_VARS)) as handle:
        example = yaml.safe_load(handle)
    listed, _home = installed.run(tmp_path, os.path.join(h.BIN, "ansible-inventory"), "-i", str(inventory),
                                  "--host", "localhost")
    assert listed.returncode == 0, listed.stdout
    hostvars = json.loads(listed.stdout)
    for name, value in example.items():
        if name != "ansible_python_interpreter":
            assert hostvars[name] == value, name
    reports = tmp_path / "reports"
    proc, _home = installed.run(tmp_path, os.path.join(h.BIN, "ansible-playbook"), "-i", str(inventory),
                                "nfdoctor.netfilter.audit", "-e", "nfdoctor_report_dir=%s" % reports)
    assert proc.returncode == 0, proc.stdout[-3000:]
    _readable(proc)
    # the example's formats, not the role's default three
    assert sorted(os.listdir(str(reports))) == sorted(
        "nfdoctor-report.%s" % ext for ext in ("html", "json", "md", "junit.xml")) + ["nfdoctor.prom"]
    assert h.junit(str(reports)).tag == "testsuites"


PROGRESS_INVENTORY = """\
all:
  hosts:
    alpha: {}
    bravo: {}
    charlie: {}
    delta: {}
    dead:
      ansible_connection: ssh
      ansible_host: 127.0.0.1
      ansible_port: 9
    broken:
      ansible_python_interpreter: /nonexistent/python3
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
"""


def test_progress_callback_counts_the_audited_hosts_and_names_the_slowest(installed, tmp_path):
    """docs/installed.md: ANSIBLE_CALLBACKS_ENABLED=nfdoctor.netfilter.progress, on six hosts: four audits of this
    machine, one refused ssh connection (unreachable) and one Python that does not exist (failed)."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(PROGRESS_INVENTORY)
    proc, _home = installed.run(tmp_path, os.path.join(h.BIN, "ansible-playbook"), "-i", str(inventory),
                                "nfdoctor.netfilter.audit", "-e", "nfdoctor_report_dir=%s" % (tmp_path / "reports"),
                                ANSIBLE_CALLBACKS_ENABLED="nfdoctor.netfilter.progress",
                                NFDOCTOR_PROGRESS_PERCENT_STEP="50", NFDOCTOR_PROGRESS_SECONDS="0",
                                NFDOCTOR_PROGRESS_SLOWEST="3")
    out = ANSI.sub("", proc.stdout)
    assert proc.returncode == 2, out[-3000:]  # the two hosts that could not be audited fail at the end
    lines = out.splitlines()
    audit_start = lines.index(next(line for line in lines if line.startswith("TASK [nfdoctor.netfilter.audit : Audit netfilter state]")))
    next_task = next(i for i in range(audit_start + 1, len(lines)) if lines[i].startswith("TASK ["))
    ours = [i for i, line in enumerate(lines) if line.startswith("nfdoctor progress: ")]
    # every line in the audit task's output, none elsewhere
    assert ours and all(audit_start < i < next_task for i in ours), (ours, audit_start, next_task)
    progress = [lines[i] for i in ours]
    assert len(progress) == 3, progress  # percent_step 50: at 3 and at 6 hosts, then the slowest
    # which three hosts finish first is up to the workers; the counts must add up to 3
    first = re.match(r"nfdoctor progress: 3 of 6 hosts done \(50%\): (\d) ok, (\d) failed, (\d) unreachable; "
                     r"[0-9.]+s$", progress[0])
    assert first and sum(int(n) for n in first.groups()) == 3, progress
    assert re.match(r"nfdoctor progress: 6 of 6 hosts done \(100%\): 4 ok, 1 failed, 1 unreachable; [0-9.ms]+$",
                    progress[1]), progress
    assert progress[2] == "nfdoctor progress: the 3 slowest of 6 hosts:"
    slowest = [lines[i].split() for i in range(ours[2] + 1, ours[2] + 4)]
    statuses = {"alpha": "ok", "bravo": "ok", "charlie": "ok", "delta": "ok", "dead": "unreachable", "broken": "failed"}
    for host, _took, status in slowest:
        assert statuses[host] == status, slowest
    # 12.3s, or 1m02s on a machine busy enough
    times = [sum(float(n) * unit for n, unit in zip(re.findall(r"[0-9.]+", took)[::-1], (1, 60)))
             for _host, took, _status in slowest]
    assert times == sorted(times, reverse=True), slowest


def test_progress_callback_refuses_a_bad_option_by_name_and_the_run_goes_on(installed, tmp_path):
    playbook = tmp_path / "noop.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n    - ansible.builtin.meta: noop\n")
    proc, _home = installed.run(tmp_path, os.path.join(h.BIN, "ansible-playbook"), str(playbook),
                                ANSIBLE_CALLBACKS_ENABLED="nfdoctor.netfilter.progress",
                                NFDOCTOR_PROGRESS_PERCENT_STEP="0", ANSIBLE_LOCALHOST_WARNING="false",
                                ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    out = " ".join(ANSI.sub("", proc.stdout).split())
    assert proc.returncode == 0, out[-3000:]
    assert "nfdoctor.netfilter.progress: percent_step must be an integer from 1 to 100, not 0" in out, out[-3000:]
    assert "Traceback" not in out


def test_example_connection_tuning_matches_the_checkout_config():
    """One set of values: the example's ssh settings are the checkout's ansible.cfg ones."""
    with open(os.path.join(h.REPO, EXAMPLE_GROUP_VARS)) as handle:
        example = yaml.safe_load(handle)
    config = configparser.ConfigParser()
    config.read(os.path.join(h.REPO, "ansible.cfg"))
    assert config.getboolean("ssh_connection", "pipelining") is example["ansible_pipelining"]
    assert config.get("ssh_connection", "ssh_args") == example["ansible_ssh_args"]
    assert config.get("defaults", "interpreter_python") == example["ansible_python_interpreter"]


def _sosreport(directory, seed, host):
    """The seed tree as sos 4.5 writes it, in the tarball sos names (top folder, .sha256 beside it)."""
    top = "sosreport-%s-2026-12-01-qpkxdid" % host
    root = sosify(os.path.join(h.TREES, seed), str(directory / "build" / top), "4.5.0")
    tarball = directory / "cases" / (top + ".tar.xz")
    tarball.parent.mkdir(parents=True)
    with tarfile.open(str(tarball), "w:xz") as tar:
        tar.add(root, arcname=top)
    (tarball.parent / (tarball.name + ".sha256")).write_text(hashlib.sha256(tarball.read_bytes()).hexdigest() + "\n")
    return tarball


def test_offline_audit_of_a_sosreport_and_a_captured_tree(installed, tmp_path):
    """README: ansible-playbook -i localhost, nfdoctor.netfilter.audit_offline -e nfdoctor_offline_dir=..."""
    seed_sos, seed_tree = "seed-000-centos7-conntrack-blacklist", "seed-002-sslvpn-conntrack-flush"
    tarball = _sosreport(tmp_path, seed_sos, "server")
    shutil.copytree(os.path.join(h.TREES, seed_tree), str(tarball.parent / seed_tree), symlinks=True)
    before = tarball.read_bytes()
    proc, home = installed.run(tmp_path, os.path.join(h.BIN, "ansible-playbook"), "-i", "localhost,",
                               "nfdoctor.netfilter.audit_offline", "-e", "nfdoctor_offline_dir=%s" % tarball.parent)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "No inventory was parsed" not in proc.stdout and "provided hosts list is empty" not in proc.stdout
    lines = _readable(proc)
    assert lines[0].startswith("nfdoctor %s audit of 2 host(s): 2 ok" % _version()), lines[0]
    doc = h.report(str(home / "nfdoctor-reports"))
    by_tree = {}
    for name, entry in doc["hosts"].items():
        assert entry["status"] == "ok", (name, entry)
        by_tree[entry["facts"]["provenance"]["layout"]] = entry
    assert sorted(by_tree) == ["capture", "sos 4.x"]
    assert h.SEED_EXPECTATIONS[seed_sos] <= h.ids(by_tree["sos 4.x"])
    assert h.SEED_EXPECTATIONS[seed_tree] <= h.ids(by_tree["capture"])
    for finding in h.SEED_EXPECTATIONS[seed_sos] | h.SEED_EXPECTATIONS[seed_tree]:
        assert any(line.startswith(finding + " ") for line in lines), (finding, lines)
    assert tarball.read_bytes() == before


def _snapshot(tree):
    """Every path under tree with its type, mode, mtime and content digest."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(str(tree)):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = None
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
            state[os.path.relpath(path, str(tree))] = (st.st_mode, st.st_mtime_ns, digest)
    return state


def test_remediate_check_diff_on_a_tree_changes_nothing(installed, tmp_path):
    """README: ansible-playbook nfdoctor.netfilter.remediate -e nfdoctor_hosts=localhost --check --diff -e nfdoctor_root=TREE"""
    tree = tmp_path / "web01"
    shutil.copytree(os.path.join(h.TREES, "seed-000-centos7-conntrack-blacklist"), str(tree), symlinks=True)
    before = _snapshot(tree)
    proc, home = installed.run(tmp_path, os.path.join(h.BIN, "ansible-playbook"), "nfdoctor.netfilter.remediate",
                               "-e", "nfdoctor_hosts=localhost", "--check", "--diff", "-e", "nfdoctor_root=%s" % tree)
    assert proc.returncode == 0, proc.stdout[-3000:]
    out = ANSI.sub("", proc.stdout)
    # the plan is shown as a diff of the tree's own file ...
    assert "--- before: %s/etc/modprobe.d/blacklist.conf" % tree in out, out[-3000:]
    assert re.search(r"^-blacklist nf_conntrack_ipv4$", out, re.M)
    assert re.search(r"^\+# disabled by nfdoctor\.netfilter\.conntrack_modules: blacklist nf_conntrack_ipv4$", out, re.M)
    # ... the closing summary is lines, and says nothing was applied ...
    assert '"CHECK MODE: nothing was applied; the roles listed would run",' in out
    assert '"roles that would run: conntrack_modules",' in out
    # ... and nothing under the tree (content, mode, mtime, new files, backups) changed
    assert _snapshot(tree) == before
    assert not (home / "nfdoctor-reports").exists() or os.listdir(str(home / "nfdoctor-reports")) == []


RUNNER = os.path.join(h.BIN, "ansible-runner")


def _runner_job(installed, tmp_path, **envvars):
    """ansible-runner run on an AWX-style private data dir; the job's artifacts directory and the reports'."""
    pdd = tmp_path / "job"
    for sub in ("project", "inventory", "env"):
        (pdd / sub).mkdir(parents=True)
    (pdd / "project" / "audit.yml").write_text("- name: nfdoctor audit\n  import_playbook: nfdoctor.netfilter.audit\n")
    (pdd / "inventory" / "hosts").write_text(
        "localhost ansible_connection=local ansible_python_interpreter=%s\n" % os.path.join(h.BIN, "python"))
    reports = pdd / "reports"
    (pdd / "env" / "extravars").write_text(json.dumps({"nfdoctor_report_dir": str(reports)}))
    envvars["ANSIBLE_COLLECTIONS_PATH"] = str(installed.collections)
    (pdd / "env" / "envvars").write_text(json.dumps(envvars))
    proc, _home = installed.run(tmp_path, RUNNER, "run", str(pdd), "-p", "audit.yml", "--ident", "job1",
                                timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]
    return pdd / "artifacts" / "job1", reports


@pytest.mark.skipif(not os.path.exists(RUNNER), reason="ansible-runner is not in the venv (requirements/dev.txt)")
def test_audit_under_ansible_runner_with_its_default_settings(installed, tmp_path):
    """An AWX-style private data dir; ansible-runner's own callback and settings, none of ours."""
    artifacts, reports = _runner_job(installed, tmp_path)
    stdout = (artifacts / "stdout").read_text()
    _readable(subprocess.CompletedProcess([], 0, stdout=stdout))
    assert "nfdoctor progress" not in stdout
    stats = []
    for name in sorted(os.listdir(str(artifacts / "job_events"))):
        with open(str(artifacts / "job_events" / name)) as handle:
            event = json.load(handle)
        if event.get("event") == "playbook_on_stats":
            stats.append(event["event_data"]["artifact_data"]["nfdoctor"])
    assert len(stats) == 1
    assert stats[0]["hosts_by_status"]["ok"] == ["localhost"]
    written = ("nfdoctor-report.json", "nfdoctor-report.md", "nfdoctor-report.html")
    assert stats[0]["reports"] == [str(reports / name) for name in written]
    assert h.report(str(reports))["hosts"]["localhost"]["status"] == "ok"


@pytest.mark.skipif(not os.path.exists(RUNNER), reason="ansible-runner is not in the venv (requirements/dev.txt)")
def test_progress_callback_beside_ansible_runners_own_stdout_callback(installed, tmp_path):
    """As an AWX job enables it (an environment variable): the lines are in the job's stdout, the summary too."""
    artifacts, _reports = _runner_job(installed, tmp_path, ANSIBLE_CALLBACKS_ENABLED="nfdoctor.netfilter.progress")
    stdout = ANSI.sub("", (artifacts / "stdout").read_text())
    _readable(subprocess.CompletedProcess([], 0, stdout=stdout))
    assert re.search(r"^nfdoctor progress: 1 of 1 hosts done \(100%\): 1 ok, 0 failed, 0 unreachable; [0-9.ms]+$",
                     stdout, re.M), stdout[-3000:]
    assert re.search(r"^nfdoctor progress: the 1 slowest of 1 hosts:\n  localhost +[0-9.ms]+  ok$", stdout, re.M)
