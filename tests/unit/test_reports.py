"""The launch package on disk: JSON that round-trips, a Markdown report, and a self-contained HTML report with charts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from greenroom.core.package import LaunchPackage
from greenroom.interfaces.charts import CHART_KEYS
from greenroom.interfaces.reports import render_html, render_markdown, save_package
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
    assert film.draft.pitch.logline in markdown and film.audience.headline in markdown
    assert film.release_plan.chosen.start.isoformat() in markdown
    assert f"{film.pricing_plan.recommendation.tiers[0].recommended.price:.2f}" in markdown
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
    draft, platform = film.draft, film.release_plan.recommendation.platforms[0].platform
    for text in (film.audience.headline, draft.pitch.logline, *draft.hooks.taglines, platform):
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


# --- what a person reads: plain words, consistent names, rounded numbers, a summary up front -------------------


@pytest.fixture(scope="session")
def fell_back(data_dir: Path) -> LaunchPackage:
    """The film package where the model's release, promotion and pricing explanations were never usable."""
    return make_package("night-shift-film.yaml", data_dir, unusable=("MarketingRationale", "PricingRationale"))


def _text(html: str) -> str:
    """What the page shows: tags, styles and entities out."""
    body = re.sub(r"<style>.*?</style>|<svg.*?</svg>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).replace("&#39;", "'").replace("&amp;", "&").split())


INTERNAL_WORDING = ("MarketingRationale", "PricingRationale", "String should match pattern", "invalid after",
                    "validation error", "Traceback", "round cap", "['", '["')  # fmt: skip


def test_a_fallen_back_rationale_is_explained_in_plain_words_and_kept_for_the_api(fell_back: LaunchPackage) -> None:
    release, pricing = fell_back.release_plan, fell_back.pricing_plan
    assert release.rationale_source == "template" and release.rationale_error  # the reason stays in the package
    assert pricing.rationale_source == "template" and pricing.rationale_error
    assert "rationale_error" in fell_back.model_dump_json()
    markdown, html = render_markdown(fell_back), _text(render_html(fell_back))
    for text in (markdown, html):
        for wording in INTERNAL_WORDING:
            assert wording not in text, wording
        assert release.rationale_error not in text and pricing.rationale_error not in text
        assert "The release explanation is stated from the numbers: the model's explanation was not usable." in text
        assert "Rationale stated from the numbers (the model's explanation was not usable)." in text


def test_the_summary_comes_first_with_the_decision_and_its_numbers(film: LaunchPackage, film_html: str) -> None:
    markdown, html = render_markdown(film), _text(film_html)
    reach = film.promotion_plan.allocation.expected_reach
    for text in (markdown, html):
        summary = text[text.find("Summary") : text.find("Logline")]
        assert film.release_plan.chosen.start.strftime("%A %d %B %Y") in summary  # the launch date, in words
        assert "250,000 USD" in summary and "People reached (gross)" in summary
        assert "million" in summary and "interval" in summary
        assert "11.99 USD" in summary and "premium VOD" in summary.replace("Premium VOD", "premium VOD")
        assert "approved in round 1" in summary
        assert "Risks and caveats" in summary and film.audience.caveats[0] in summary
    assert f"{reach.expected:,.0f}" not in markdown  # rounded for reading, not to the person
    sections = [film_html.find(f'<section id="{name}">') for name in ("summary", "content", "release")]
    assert -1 not in sections and sections == sorted(sections)


def test_numbers_are_rounded_and_reach_is_named_by_what_it_counts(film: LaunchPackage) -> None:
    markdown = render_markdown(film)
    box_office = film.audience.forecast.box_office if film.audience.forecast else None
    assert box_office is not None and box_office.point > 1e6
    assert f"{box_office.point:,.1f}" not in markdown
    assert f"{box_office.point / 1e6:.3g} million USD" in markdown
    assert "IMDb votes (a proxy for audience interest)" in markdown  # never plain "reach"
    assert "| reach |" not in markdown and "gross reach" not in markdown
    assert "people reached" in markdown.lower()
    assert re.search(r"\d,\d{3}\.\d\b", markdown) is None  # no 21,428,092.4-style figures anywhere


def test_lists_read_as_words(film: LaunchPackage, film_html: str) -> None:
    for text in (render_markdown(film), _text(film_html)):
        assert "['" not in text and "']" not in text
    assert "curves: channels.yaml: stated assumptions" in render_markdown(film)


def test_an_unapproved_draft_is_said_in_plain_words(film: LaunchPackage) -> None:
    capped = film.model_copy(update={"edit_outcome": "max_rounds"})
    markdown, html = render_markdown(capped), _text(render_html(capped))
    for text in (markdown, html):
        assert "round cap" not in text
        assert "the editor still had open notes after 1 round, the most allowed" in text


@pytest.mark.parametrize("value, shown", [
    (21_428_092.4, "21.4 million"), (322_343.2, "322,000"), (250_000, "250,000"), (999_960_000, "1 billion"),
    (139.96, "140"), (35.16, "35.2"), (0, "0"), (1_234.5, "1,230"),
])  # fmt: skip
def test_amounts_round_to_three_significant_figures(value: float, shown: str) -> None:
    from greenroom.interfaces.outputs import amount

    assert amount(value) == shown
    assert amount(value, "USD") == f"{shown} USD"


def test_the_page_fits_a_phone_and_prints_cleanly(film_html: str) -> None:
    style = film_html[film_html.find("<style>") : film_html.find("</style>")]
    assert ".scroll { max-width: 100%; overflow-x: auto;" in style
    tables = film_html.count("<table>")
    assert tables > 0 and film_html.count('<div class="scroll"><table>') == tables  # every table scrolls in its own box
    assert "@media (max-width: 40rem)" in style
    printed = style[style.find("@media print") :]
    assert "break-before: page" in printed and "background: #fff" in printed
