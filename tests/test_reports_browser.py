"""The committed reports, as a reader sees them: every page rendered in headless Chromium.

``reports/index.html`` and every ``reports/NN_name/index.html`` are loaded (through a small
wrapper page that reads the report from an iframe once it has loaded); a page fails on a console
error, an image that did not load, a link from the index to a missing page, or debug output that
leaked into the text a reader sees (a warning class, a Python repr, a traceback, a local path).

Skipped, with the reason, when ``chromium`` is not on PATH (``apt-get install chromium``).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "reports"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PAGES = [REPORTS / "index.html", *sorted(REPORTS.glob("[0-9][0-9]_*/index.html"))]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not on PATH (apt-get install -y chromium): the reports were not rendered",
)

#: Text that must never reach a reader: debug output, reprs, tracebacks, local paths.
LEAKS = {
    "a tqdm warning": re.compile(r"TqdmWarning|IProgress not found"),
    "a Python path repr": re.compile(r"PosixPath\(|WindowsPath\("),
    "a traceback": re.compile(r"Traceback \(most recent call last\)"),
    "a warning class": re.compile(r"\b\w+Warning: "),
    "a dataclass or dict repr": re.compile(r"\w+Config\(\w+=|\{[\"']\w+[\"']: "),
    "a local path": re.compile(r"(?<![\w.])/(?:work|root|tmp|home)/"),
}

WRAPPER = """<!doctype html><html><body>
<iframe id="f" src="{src}" style="width:1280px;height:2000px"></iframe>
<pre id="result"></pre>
<script>
document.getElementById("f").addEventListener("load", function () {{
  var d = this.contentDocument;
  var imgs = Array.from(d.images).map(function (i) {{
    return {{src: i.getAttribute("src"), ok: i.complete && i.naturalWidth > 0}};
  }});
  var links = Array.from(d.querySelectorAll("a[href]")).map(function (a) {{
    return a.getAttribute("href");
  }});
  document.getElementById("result").textContent = JSON.stringify(
    {{text: d.body ? d.body.innerText : "", images: imgs, links: links}});
}});
</script></body></html>
"""


def _render(page: Path, tmp: Path) -> tuple[dict, list[str]]:
    wrapper = tmp / "wrapper.html"
    wrapper.write_text(WRAPPER.format(src=page.as_uri()))
    proc = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--allow-file-access-from-files",
            f"--user-data-dir={tmp / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=15000",
            "--dump-dom",
            wrapper.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    m = re.search(r'<pre id="result">(.*?)</pre>', proc.stdout, flags=re.S)
    assert m and m.group(1), f"{page}: the page did not load in Chromium:\n{proc.stderr[-2000:]}"
    console = [
        ln
        for ln in proc.stderr.splitlines()
        if ":CONSOLE" in ln and ("error" in ln.lower() or "uncaught" in ln.lower())
    ]
    return json.loads(html.unescape(m.group(1))), console


@pytest.mark.parametrize(
    "page", PAGES, ids=[p.parent.name if p.parent != REPORTS else "index" for p in PAGES]
)
def test_report_page_renders_clean(page: Path, tmp_path: Path) -> None:
    assert page.exists(), f"{page} is missing: run make reports"
    result, console = _render(page, tmp_path)
    assert not console, f"{page.relative_to(REPO)}: console errors:\n" + "\n".join(console)
    broken = [i["src"] for i in result["images"] if not i["ok"]]
    assert not broken, f"{page.relative_to(REPO)}: images that did not load: {broken}"
    text = result["text"]
    assert len(text) > 200, f"{page.relative_to(REPO)}: almost no text rendered"
    for what, pattern in LEAKS.items():
        hit = pattern.search(text)
        assert hit is None, (
            f"{page.relative_to(REPO)} shows {what}: "
            f"...{text[max(0, hit.start() - 80) : hit.end() + 80]}..."
        )
    for href in result["links"]:
        if re.match(r"^[a-z]+:", href) or href.startswith("#"):
            continue
        target = (page.parent / href.split("#")[0]).resolve()
        assert target.exists(), f"{page.relative_to(REPO)} links to a missing file: {href}"


def test_index_lists_every_report() -> None:
    index = (REPORTS / "index.html").read_text()
    for page in PAGES[1:]:
        assert f"{page.parent.name}/index.html" in index, (
            f"index.html does not link {page.parent.name}"
        )


def test_no_committed_report_file_is_large() -> None:
    """Figures with thousands of points are rasterised inside their SVGs: no file of the
    committed reports reaches 2 MB (a 3 MB strip-plot SVG once did)."""
    big = {
        str(p.relative_to(REPORTS)): p.stat().st_size
        for p in REPORTS.rglob("*")
        if p.is_file() and p.stat().st_size > 2_000_000
    }
    assert not big, big
