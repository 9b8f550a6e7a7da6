"""Screenshots of a month's report pages with headless Chromium, for review (`make screenshots`,
`workbench screenshots --month YYYY-MM`): what a reader sees, interactive tables included.

Each page (`reports/<month>/index.html` and `NN_*.html`) becomes
`reports/<month>/screenshots/<page>.png`, the full page height (pages taller than Chromium's
largest picture are cut into `<page>-2.png`, `<page>-3.png`…).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

WIDTH = 1200
MAX_HEIGHT = 16_000  # px per picture (Chromium's limit is a little above 16 384)
WAIT_MS = 4000  # virtual time for the page's scripts (interactive tables) before the picture
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = "apt-get install -y chromium"
_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--no-first-run", "--hide-scrollbars",
          f"--virtual-time-budget={WAIT_MS}"]


class ScreenshotError(RuntimeError):
    """Screenshots cannot be taken (no browser, no report for that month)."""


def find_browser() -> str:
    """The path of a headless-capable Chromium, or a ScreenshotError that says how to get one."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise ScreenshotError(
        f"Chromium is not installed (looked for {', '.join(BROWSERS)}): install it with "
        f"`{INSTALL_HINT}` (Debian/Ubuntu), then run `make screenshots` again"
    )


def month_pages(month_dir) -> list[Path]:
    """The month's pages in reading order: the index first, then NN_*.html."""
    month_dir = Path(month_dir)
    if not month_dir.is_dir():
        raise ScreenshotError(f"no report for this month: {month_dir} does not exist "
                              "(run `make report MONTH=YYYY-MM` first)")
    pages = sorted(month_dir.glob("[0-9][0-9]_*.html"))
    index = month_dir / "index.html"
    return ([index] if index.is_file() else []) + pages


_HEIGHT_SCRIPT = ("<script>window.addEventListener('load',()=>setTimeout(()=>{const d=document."
                  "createElement('div');d.id='wb-page-height';d.textContent=String(document."
                  "documentElement.scrollHeight);document.body.appendChild(d)},1000))</script>")


def _with_script(page: Path, script: str, folder: Path) -> Path:
    text = page.read_text(encoding="utf-8")
    cut = text.rfind("</body>")
    text = text[:cut] + script + text[cut:] if cut >= 0 else text + script
    out = folder / page.name
    out.write_text(text, encoding="utf-8")
    return out


def _run(browser: str, args: list[str], timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run([browser, *_FLAGS, *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def page_height(browser: str, page: Path, folder: Path) -> int:
    """The page's full height in CSS pixels at WIDTH, once its scripts have run."""
    probe = _with_script(page, _HEIGHT_SCRIPT, folder)
    done = _run(browser, [f"--window-size={WIDTH},1000", "--dump-dom", probe.as_uri()])
    m = re.search(r'id="wb-page-height">(\d+)<', done.stdout)
    return int(m.group(1)) if m else MAX_HEIGHT


def screenshot_page(browser: str, page: Path, out_dir: Path) -> list[Path]:
    """PNG(s) of one page, full height."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shots = []
    with tempfile.TemporaryDirectory(prefix="wb-shots-") as tmp:
        tmp = Path(tmp)
        height = page_height(browser, page, tmp)
        n_parts = max(1, -(-height // MAX_HEIGHT))
        for k in range(n_parts):
            part_h = min(MAX_HEIGHT, height - k * MAX_HEIGHT) if n_parts > 1 else max(600, height)
            # later parts: the page shifted up by CSS (a scroll script ran after the picture)
            shift = f"<style>body{{position:relative;top:-{k * MAX_HEIGHT}px}}</style>"
            source = _with_script(page, shift, tmp) if k else page
            name = page.stem + (f"-{k + 1}" if k else "") + ".png"
            target = out_dir / name
            done = _run(browser, [f"--window-size={WIDTH},{part_h}", f"--screenshot={target}",
                                  source.as_uri()])
            if not target.is_file():
                raise ScreenshotError(f"Chromium made no picture of {page.name}: "
                                      f"{(done.stderr or '').strip().splitlines()[-1:]}")
            shots.append(target)
    return shots


def screenshot_month(month_dir, browser: str | None = None, log=print) -> list[Path]:
    """Screenshots of every page of a month into `<month_dir>/screenshots/`."""
    month_dir = Path(month_dir)
    pages = month_pages(month_dir)
    if not pages:
        raise ScreenshotError(f"no page to capture in {month_dir} (run the monthly report first)")
    browser = browser or find_browser()
    out_dir = month_dir / "screenshots"
    shots = []
    for page in pages:
        made = screenshot_page(browser, page, out_dir)
        log(f"{page.name} -> {', '.join(p.name for p in made)}")
        shots += made
    return shots
