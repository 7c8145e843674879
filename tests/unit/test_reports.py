"""The launch package on disk: JSON that round-trips, a Markdown report, and a self-contained HTML report with charts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graphs.package import LaunchPackage
from interfaces.charts import CHART_KEYS
from interfaces.reports import render_html, render_markdown, save_package
from tests.packages import make_package

MARKDOWN_SECTIONS = (
    *("## Summary", "## Content", "### Logline", "### Synopsis", "### Outline", "### Taglines", "### Ad copy"),
    *("## Editor's review", "## Audience", "### Forecast", "### Comparable titles", "## Release plan"),
    *("## Promotion plan", "### Ad copy per channel", "## Pricing plan", "## Caveats and sources", "## Accounting"),
)
HTML_SECTIONS = ("summary", "content", "review", "audience", "release", "promotion", "pricing", "caveats", "accounting")
SVG_NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the `trained_small` fixture trains into, so the models are trained once per session."""
    return tmp_path_factory.getbasetemp() / "greenroom-data"


@pytest.fixture(scope="session")
def film(data_dir: Path) -> LaunchPackage:
    return make_package("night-shift-film.yaml", data_dir)


@pytest.fixture(scope="session")
def podcast(data_dir: Path) -> LaunchPackage:
    return make_package("deep-dish-podcast.yaml", data_dir)


@pytest.fixture(scope="session")
def film_html(film: LaunchPackage) -> str:
    return render_html(film)


@pytest.fixture(scope="session")
def podcast_html(podcast: LaunchPackage) -> str:
    return render_html(podcast)


def _figure(html: str, key: str) -> str:
    """The <figure> element of one chart, open tag to close tag."""
    match = re.search(rf'<figure id="chart-{key}" data-chart="{key}"[^>]*>.*?</figure>', html, flags=re.S)
    assert match, f"chart-{key} is missing"
    return match.group(0)


def test_save_package_writes_json_markdown_and_html(film: LaunchPackage, tmp_path: Path) -> None:
    paths = save_package(film, tmp_path / "v1")
    assert set(paths) == {"json", "markdown", "html"}
    assert [p.name for p in paths.values()] == ["package.json", "report.md", "report.html"]
    assert all(p.stat().st_size > 0 for p in paths.values())
    assert LaunchPackage.model_validate_json(paths["json"].read_text(encoding="utf-8")) == film


def test_markdown_has_every_section_and_the_plans_numbers(film: LaunchPackage) -> None:
    markdown = render_markdown(film)
    positions = [markdown.find(section) for section in MARKDOWN_SECTIONS]
    assert -1 not in positions, [s for s, at in zip(MARKDOWN_SECTIONS, positions, strict=True) if at == -1]
    assert positions == sorted(positions)
    assert film.draft.logline in markdown and film.audience.headline in markdown
    assert film.release_plan.chosen.start.isoformat() in markdown
    assert f"{film.pricing_plan.tiers[0].recommended.price:.2f}" in markdown
    for copy in film.promotion_plan.ad_copy:
        assert f"**{copy.label}**" in markdown and all(line in markdown for line in copy.variants)
    assert "| **total** |" in markdown and f"| {film.accounting.model_calls} |" in markdown


def test_markdown_says_why_a_podcast_has_no_forecast_and_no_price(podcast: LaunchPackage) -> None:
    markdown = render_markdown(podcast)
    assert "No forecast for this brief: format 'podcast' is not a film" in markdown
    assert "No viewer price:" in markdown


def test_html_references_nothing_outside_the_file(film_html: str) -> None:
    assert "<script" not in film_html.lower() and "<link" not in film_html.lower() and "@import" not in film_html
    for attribute in re.findall(r'\b(?:src|href|xlink:href)\s*=\s*"([^"]*)"', film_html):
        assert attribute.startswith("#"), attribute  # only links within the page
    assert "url(" not in re.sub(r"url\(#[^)]+\)", "", film_html)  # CSS/SVG urls point inside the page only
    stripped = film_html
    for namespace in SVG_NAMESPACES:
        stripped = stripped.replace(namespace, "")
    assert "http://" not in stripped and "https://" not in stripped


def test_html_has_every_section_and_the_content(film: LaunchPackage, film_html: str) -> None:
    for section in HTML_SECTIONS:
        assert f'<section id="{section}">' in film_html
    assert film_html.lstrip().startswith("<!DOCTYPE html>") and "<style>" in film_html
    for text in (film.audience.headline, film.draft.logline, *film.draft.taglines, film.release_plan.platforms[0].platform):
        assert text.replace("'", "&#39;") in film_html
    for copy in film.promotion_plan.ad_copy:
        assert f"<h4>{copy.label}</h4>" in film_html
    for step in film.accounting.steps:
        assert f"<td>{step.step}</td>" in film_html


def test_every_chart_has_an_svg_with_drawn_marks(film_html: str) -> None:
    for key in CHART_KEYS:
        figure = _figure(film_html, key)
        assert "data-chart-empty" not in figure
        assert figure.count("<svg") == 1 and "<?xml" not in figure and "DOCTYPE" not in figure
        assert re.search(r"<(path|rect|use)\b", figure), key


def test_chart_ids_do_not_collide_between_charts(film_html: str) -> None:
    ids = re.findall(r'\bid="([^"]+)"', film_html)
    assert len(ids) == len(set(ids))


def test_charts_without_data_show_a_note_with_the_same_id(podcast_html: str) -> None:
    forecast = _figure(podcast_html, "forecast")
    assert 'data-chart-empty="true"' in forecast and "<svg" not in forecast
    assert "format &#39;podcast&#39; is not a film" in forecast
    price = _figure(podcast_html, "price-revenue")
    assert 'data-chart-empty="true"' in price and "ad-supported" in price
    for key in ("comparables", "budget", "release-windows"):
        assert "<svg" in _figure(podcast_html, key)


def test_a_package_without_trained_models_still_renders(film: LaunchPackage) -> None:
    bare = film.model_copy(update={"audience": film.audience.model_copy(update={"forecast": None, "comparables": []})})
    html = render_html(bare)
    assert "no trained forecast model was available" in _figure(html, "forecast")
    assert 'data-chart-empty="true"' in _figure(html, "comparables")
    assert "No forecast for this brief (no trained model was available)." in render_markdown(bare)


def test_user_text_is_escaped(film: LaunchPackage) -> None:
    hostile = film.model_copy(update={"revision_note": '<script>alert("x")</script>'})
    html = render_html(hostile)
    assert "<script>" not in html and "&lt;script&gt;" in html
