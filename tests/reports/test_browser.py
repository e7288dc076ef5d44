"""Each kind of report page opened in headless Chromium (Debian's ``chromium``): it loads without errors and
every figure decodes (``naturalWidth > 0``). Skipped where no Chromium is installed (``make chromium``).

The pages hold no script, so the check is a copy of the page with a small probe prepended that records
load errors and, on ``load``, writes what it found into a ``data-probe`` attribute; ``--dump-dom`` returns
it. Console output is read from Chromium's log (``--enable-logging=stderr``). A screenshot of each page
is kept (in ``$SCRIMMAGE_REPORT_SCREENSHOTS`` when set) for a person to look at.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from scrimmage.reports.compare import report_compare
from scrimmage.reports.run_report import report_run
from scrimmage.reports.study import report_study

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium here; install it with `make chromium`")

PROBE = """<script>window.__errors=[];
addEventListener('error',e=>__errors.push(String(e.message||(e.target&&(e.target.src||e.target.href))||e.type)),true);
addEventListener('load',()=>{const im=[...document.images];document.body.setAttribute('data-probe',JSON.stringify(
{errors:__errors,images:im.length,decoded:im.filter(i=>i.complete&&i.naturalWidth>0).length,
 widths:im.map(i=>i.naturalWidth),title:document.title}));});</script>"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--hide-scrollbars", "--mute-audio"]


def open_in_chromium(page: Path, tmp_path: Path) -> tuple[dict, list[str]]:
    probed = tmp_path / f"probe-{page.name}"
    probed.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    profile = tmp_path / f"profile-{page.stem}"
    proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                           "--virtual-time-budget=10000", "--dump-dom", probed.as_uri()],
                          capture_output=True, text=True, timeout=120)
    found = re.search(r'data-probe="([^"]*)"', proc.stdout)
    assert found, f"the page did not finish loading in Chromium: {proc.stderr[-2000:]}"
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    shots = Path(os.environ.get("SCRIMMAGE_REPORT_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--window-size=1200,2600",
                    f"--screenshot={shots / (page.stem + '.png')}", page.as_uri()], capture_output=True, timeout=120)
    assert (shots / f"{page.stem}.png").stat().st_size > 10_000
    return json.loads(html.unescape(found.group(1))), console


@pytest.mark.parametrize("kind", ["run-classification", "run-regression", "compare", "study"])
def test_page_loads_without_errors_and_shows_its_figures(runs, tmp_path, kind):
    page = tmp_path / f"{kind}.html"
    if kind == "run-classification":
        expected = len(report_run(runs.workdir, runs.binary, page)["figures"])
    elif kind == "run-regression":
        expected = len(report_run(runs.workdir, runs.regression, page)["figures"])
    elif kind == "compare":
        expected = len(report_compare(runs.workdir, [runs.binary, runs.binary_b, runs.regression], page)["figures"])
    else:
        expected = len(report_study(runs.workdir, runs.study, page, runs.study_storage)["figures"])
    probe, console = open_in_chromium(page, tmp_path)
    assert probe["errors"] == [] and console == []
    assert probe["images"] == expected >= 1
    assert probe["decoded"] == probe["images"] and min(probe["widths"]) > 100
    assert probe["title"].startswith("scrimmage")
