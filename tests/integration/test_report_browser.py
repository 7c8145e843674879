"""The HTML report in a real browser: headless Chromium loads it from disk, offline, and draws every chart.

Needs /usr/bin/chromium (Debian: `apt-get install -y chromium`); skipped without it. With
GREENROOM_SCREENSHOTS=<folder> set, the summary test also saves the report's first screen at desktop and
phone size there (`report-desktop.png`, `report-phone.png`; the docs' copies come from this).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from greenroom.interfaces.charts import CHART_KEYS, PALETTE
from greenroom.interfaces.reports import save_package
from tests.packages import make_package

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars")  # fmt: skip

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs headless Chromium at /usr/bin/chromium (apt-get install -y chromium)"
    ),
]


def _chromium(url: str, profile: Path, *args: str) -> str:
    """Run headless Chromium on a file URL with its own profile folder; return what it printed to stdout."""
    command = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """report.html for the film and the podcast, as the runner writes them."""
    data_dir = tmp_path_factory.getbasetemp() / "greenroom-data"
    out = tmp_path_factory.mktemp("reports")
    return {name: save_package(make_package(f"{name}.yaml", data_dir), out / name)["html"]
            for name in ("night-shift-film", "deep-dish-podcast")}  # fmt: skip


def _figure(dom: str, key: str) -> str:
    match = re.search(rf'<figure\b[^>]*\bid="chart-{key}"[^>]*>.*?</figure>', dom, flags=re.S)
    assert match, f"chart-{key} is not in the rendered page"
    return match.group(0)


def test_every_chart_is_in_the_rendered_page_with_drawn_marks(reports: dict[str, Path], tmp_path: Path) -> None:
    dom = _chromium(reports["night-shift-film"].as_uri(), tmp_path / "profile", "--dump-dom")
    assert "<h1>Night Shift at the Lighthouse</h1>" in dom
    for key in CHART_KEYS:
        figure = _figure(dom, key)
        assert f'data-chart="{key}"' in figure and "data-chart-empty" not in figure
        svg = re.search(r"<svg\b.*?</svg>", figure, flags=re.S)
        assert svg, f"chart-{key} has no <svg>"
        marks = re.findall(r"<(?:path|rect|use)\b", svg.group(0))
        assert len(marks) >= 20, f"chart-{key} draws only {len(marks)} marks"


def test_charts_without_data_render_their_note(reports: dict[str, Path], tmp_path: Path) -> None:
    dom = _chromium(reports["deep-dish-podcast"].as_uri(), tmp_path / "profile", "--dump-dom")
    for key in ("forecast", "price-revenue"):
        figure = _figure(dom, key)
        assert 'data-chart-empty="true"' in figure and "<svg" not in figure and 'class="note"' in figure
    for key in ("comparables", "budget", "release-windows"):
        assert "<svg" in _figure(dom, key)


def _share_near(pixels: np.ndarray, colour: str, tolerance: int = 12) -> float:
    """Share of pixels within `tolerance` of a #rrggbb colour on every channel."""
    target = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    return float((np.abs(pixels.astype(int) - target) <= tolerance).all(axis=-1).mean())


def test_the_screenshot_shows_the_report_and_its_charts(reports: dict[str, Path], tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    _chromium(reports["night-shift-film"].as_uri(), tmp_path / "profile", f"--screenshot={shot}", "--window-size=1000,8000")
    assert shot.stat().st_size > 50_000
    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("RGB"))
    inked = float((pixels.astype(int).sum(axis=-1) < 600).mean())
    assert inked > 0.03, f"the page is (nearly) blank: {inked:.1%} of pixels inked"
    # The second palette colour appears only in the charts: the SVG was painted, not just parsed.
    assert _share_near(pixels, PALETTE[1]) > 0.002


def _screenshot(page: Any, name: str) -> None:
    """The first screen of the page into $GREENROOM_SCREENSHOTS/<name>, when that folder is set (for the docs)."""
    folder = os.environ.get("GREENROOM_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name))


FIRST_SECTION = "document.querySelector('body > section, body > nav, body > header').id"
"""The id of the first block of the page."""


def test_the_summary_comes_first_the_page_fits_a_phone_and_prints_in_sections(reports: dict[str, Path]) -> None:
    """At 1366 px the one-page summary fills the first screen; at 390 px the page is no wider than the phone and
    wide tables scroll inside their own box; printed, each section starts a page on a white background."""
    sync_api = pytest.importorskip("playwright.sync_api")
    url = reports["night-shift-film"].as_uri()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=list(FLAGS))
        try:
            desktop = browser.new_page(viewport={"width": 1366, "height": 900})
            desktop.goto(url)
            assert desktop.evaluate(FIRST_SECTION) == "summary"
            summary = desktop.locator("#summary")
            assert summary.locator("h1").inner_text() == "Night Shift at the Lighthouse"
            for selector in ("#summary .verdict", "#summary .decision", "#summary .keys"):
                box = desktop.locator(selector).bounding_box()
                assert box is not None and box["y"] + box["height"] < 900, (selector, box)  # on the first screen
            assert "Launch on" in desktop.locator("#summary .decision").inner_text()
            keys = desktop.locator("#summary .keys").inner_text()
            for name in ("RELEASE DATE", "IMDB VOTES (INTEREST)", "BOX OFFICE", "PEOPLE REACHED", "PROMOTION BUDGET", "EDITOR"):
                assert name in keys.upper(), name
            assert "interval" in keys and "$" in keys
            assert 1 <= desktop.locator("#summary .risks li").count() <= 3
            _screenshot(desktop, "report-desktop.png")

            phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
            phone.goto(url)
            assert phone.evaluate(FIRST_SECTION) == "summary"
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390
            assert phone.evaluate("document.body.scrollWidth") <= 390
            too_wide = phone.evaluate(
                "[...document.querySelectorAll('body *')].filter(e => !e.closest('.scroll'))"
                ".filter(e => e.getBoundingClientRect().right > 390.5).map(e => e.tagName + '.' + e.className)"
            )
            assert too_wide == [], too_wide  # nothing outside a scrolling box sticks out of the phone
            widths = phone.evaluate("[...document.querySelectorAll('.scroll')].map(e => e.getBoundingClientRect().right)")
            assert widths and max(widths) <= 390, widths
            overflowing = phone.evaluate(
                "[...document.querySelectorAll('.scroll')].filter(e => e.scrollWidth > e.clientWidth).length"
            )
            assert overflowing >= 1  # the weekly spend table is wider than a phone: it scrolls inside its box
            box = phone.locator("#summary h1").bounding_box()
            assert box is not None and box["y"] < 200  # the title is the first thing a phone shows
            _screenshot(phone, "report-phone.png")

            phone.emulate_media(media="print")
            style = "(s) => [getComputedStyle(s).breakBefore, getComputedStyle(document.body).backgroundColor]"
            for section in ("content", "release", "promotion", "pricing"):
                assert phone.locator(f"#{section}").evaluate(style) == ["page", "rgb(255, 255, 255)"], section
            assert phone.locator("#summary").evaluate(style)[0] != "page"
            backgrounds = phone.evaluate(
                "[...document.querySelectorAll('body *')].map(e => getComputedStyle(e).backgroundColor)"
                ".filter(c => c !== 'rgba(0, 0, 0, 0)' && c !== 'rgb(255, 255, 255)')"
            )
            assert backgrounds == [], sorted(set(backgrounds))  # printed, nothing sits on a tinted or dark background
        finally:
            browser.close()
