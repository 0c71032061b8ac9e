"""The HTML report in headless Chromium: it renders, its script runs, filters work, hostile strings stay inert."""
import html.parser
import json
import os
import shutil
import struct
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "targets", "audit_reports"))
import audit_helpers as h  # noqa: E402

from ansible_collections.nfdoctor.netfilter.plugins.filter import fleet_report as fr  # noqa: E402

CHROMIUM = h.chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (make test-audit installs it through system-deps)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio"]
SCREENSHOT = os.path.join(h.REPO, "docs", "images", "report.png")


def browse(tmp_path, url, *extra):
    profile = tmp_path / ("profile-%d" % len(list(tmp_path.glob("profile-*"))))
    argv = [CHROMIUM] + FLAGS + ["--user-data-dir=%s" % profile] + list(extra) + [url]
    run = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def dom(tmp_path, page, fragment=""):
    return browse(tmp_path, "file://%s%s" % (page, fragment), "--virtual-time-budget=5000", "--dump-dom")


def elements(html_text):
    """(tag, attributes) of every element in a DOM dump."""
    found = []

    class Collector(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collector().feed(html_text)
    return found


def visible_rows(html_text):
    rows = []
    for chunk in html_text.split('<tr class="finding-row"')[1:]:
        tag = chunk.split(">", 1)[0]
        if ' hidden=""' not in tag:
            rows.append(tag.split('data-id="', 1)[1].split('"', 1)[0])
    return rows


@pytest.fixture(scope="module")
def seed_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    run = h.playbook("audit_offline.yml", "-e", "nfdoctor_offline_dir=%s" % h.TREES, "-e", "nfdoctor_report_dir=%s" % out)
    assert run.returncode == 0, run.stdout
    return str(out / "nfdoctor-report.html"), h.report(out)


def test_renders_and_its_script_runs(seed_page, tmp_path):
    page, doc = seed_page
    text = dom(tmp_path, page)
    assert '<html lang="en" data-js="ready">' in text, "the page's script did not run (CSP hash wrong?)"
    total = doc["summary"]["findings_total"]
    assert "%d of %d findings shown" % (total, total) in text
    assert len(visible_rows(text)) == total
    for name in doc["hosts"]:
        assert name in text


def test_filter_by_severity_and_id_from_the_url(seed_page, tmp_path):
    page, doc = seed_page
    critical = [f["id"] for e in doc["hosts"].values() for f in e["findings"] if f["severity"] == "critical"]
    text = dom(tmp_path, page, "#min=5")
    assert sorted(visible_rows(text)) == sorted(critical)
    assert "%d of %d findings shown" % (len(critical), doc["summary"]["findings_total"]) in text
    text = dom(tmp_path, page, "#id=NETNS_CLEANUP_HANG_KERNEL")
    assert set(visible_rows(text)) == {"NETNS_CLEANUP_HANG_KERNEL"}
    assert len(visible_rows(text)) == doc["summary"]["findings_by_id"]["NETNS_CLEANUP_HANG_KERNEL"]["count"]
    text = dom(tmp_path, page, "#q=gentoo-docker")
    assert set(visible_rows(text)) == {f["id"] for f in doc["hosts"]["gentoo-docker"]["findings"]}


def test_sort_by_host_from_the_url(seed_page, tmp_path):
    page, _doc = seed_page
    text = dom(tmp_path, page, "#sort=host")
    hosts = [chunk.split('data-host="', 1)[1].split('"', 1)[0] for chunk in text.split('<tr class="finding-row"')[1:]]
    assert hosts == sorted(hosts) and len(set(hosts)) > 1


def test_hostile_strings_stay_text(tmp_path):
    def load(name):
        with open(os.path.join(h.REPO, "tests", "unit", "fixtures", "fleet_reports", name)) as handle:
            return {"ansible_facts": {"nfdoctor": json.load(handle)}}
    report = fr.fleet_report({'evil"><img src=x onerror=alert(1)>': load("facts_hostile.json"),
                              "kvm-host-07": load("facts_seed000_centos7.json")})
    page = tmp_path / "hostile.html"
    page.write_text(fr.report_html(report))
    text = dom(tmp_path, str(page))
    assert '<html lang="en" data-js="ready">' in text
    assert "<title>nfdoctor audit: 2 host(s), worst critical</title>" in text
    tags = elements(text)
    assert not [t for t, _a in tags if t in ("img", "iframe", "b", "u", "object", "embed")]
    assert [t for t, _a in tags].count("script") == 1
    assert not [a for _t, a in tags if any(k.startswith("on") for k in a)]
    assert not [a for t, a in tags if t == "a" and (a.get("href") or "").lower().startswith("javascript")]
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in text


def test_screenshot(seed_page, tmp_path):
    page, _doc = seed_page
    shot = tmp_path / "report.png"
    browse(tmp_path, "file://%s" % page, "--window-size=1280,2000", "--screenshot=%s" % shot)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)
    assert len(data) > 50000, "a blank page compresses to almost nothing"
    if os.environ.get("NFDOCTOR_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, SCREENSHOT)


# ------------------------------------------------- a 200-host fleet (issue 13)
SCREENSHOT_200 = os.path.join(h.REPO, "docs", "images", "report-200-hosts.png")
SCREENSHOT_600 = os.path.join(h.REPO, "docs", "images", "report-200-hosts-600px.png")


@pytest.fixture(scope="module")
def fleet_page(tmp_path_factory):
    """The HTML report of 200 synthetic hosts made from the seed trees' gathered facts (tools/bench)."""
    import random
    sys.path.insert(0, os.path.join(h.REPO, "tools", "bench"))
    import bench_report
    results = bench_report.synthetic_results(bench_report.seed_facts(), 200, random.Random(200))
    report = fr.fleet_report(results, fail_on="high", generated_at="2026-12-01T22:00:00Z",
                             run_context={"check_mode": False, "become": True, "report_formats": ["json", "html"]})
    page = tmp_path_factory.mktemp("fleet") / "nfdoctor-report.html"
    page.write_text(fr.report_html(report))
    return str(page), report


def test_200_hosts_collapse_and_open_from_a_link(fleet_page, tmp_path):
    page, report = fleet_page
    text = dom(tmp_path, page)
    assert '<html lang="en" data-js="ready">' in text
    details = [a for t, a in elements(text) if t == "details"]
    assert len(details) == 200 and not [a for a in details if "open" in a]
    # A host link (#host-...) opens that host's section and no other.
    name = report["summary"]["hosts_by_worst_severity"]["critical"][0]
    target = [a["id"] for a in details if a["id"].startswith("host-%s" % name[:20].lower())][0]
    opened = [a["id"] for t, a in elements(dom(tmp_path, page, "#" + target)) if t == "details" and "open" in a]
    assert opened == [target]


@pytest.mark.parametrize("width,height,path", [(1280, 1600, SCREENSHOT_200), (600, 1400, SCREENSHOT_600)])
def test_200_host_screenshot(fleet_page, tmp_path, width, height, path):
    page, _report = fleet_page
    shot = tmp_path / ("fleet-%d.png" % width)
    browse(tmp_path, "file://%s" % page, "--window-size=%d,%d" % (width, height), "--screenshot=%s" % shot)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (width, height)
    assert len(data) > 30000, "a blank page compresses to almost nothing"
    if os.environ.get("NFDOCTOR_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, path)
