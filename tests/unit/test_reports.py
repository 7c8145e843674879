"""The launch package on disk: JSON that round-trips, a Markdown report, and a self-contained HTML report with charts."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from greenroom.core.package import LaunchPackage, fallback_warning
from greenroom.core.schemas import Fallback
from greenroom.interfaces.charts import CHART_KEYS
from greenroom.interfaces.outputs import amount, editor_outcome, money, price
from greenroom.interfaces.reports import render_html, render_markdown, save_package
from greenroom.interfaces.slack import package_fields
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
    assert "No forecast for this brief: the format, podcast, is not a film" in markdown
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
        assert f'<section id="{section}"' in film_html
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
    assert "the format, podcast, is not a film" in forecast
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


INTERNAL_ERROR = "the model's MarketingRationale was invalid after 2 attempts: String should match pattern '^[A-Z0-9]'"


@pytest.fixture(scope="session")
def troubled(fell_back: LaunchPackage) -> LaunchPackage:
    """The worst a package reads like: explanations and content fields written without the model, with parser
    wording in the reasons the API keeps, an editor who ran out of rounds with checks still failing, and a
    caveat that names a list of genres."""
    review = fell_back.review
    failing = [c.model_copy(update={"passed": False, "detail": "cut it to 35 words"}) for c in review.checks[:3]]
    reason = "the model's answers stayed unusable: no answer was valid after 2 attempts (String should match pattern)"
    draft = fell_back.draft.model_copy(update={"fallbacks": [
        Fallback(field="hooks.taglines", reason=reason), Fallback(field="hooks.ad_copy", reason=reason)]})  # fmt: skip
    caveats = ["brief genres Horror and Thriller are rare in the training data", *fell_back.audience.caveats]
    return fell_back.model_copy(update={
        "edit_outcome": "max_rounds",
        "review": review.model_copy(update={"round": 2, "approved": False, "checks": failing + review.checks[3:]}),
        "draft": draft,
        "warnings": [fallback_warning(["hooks.taglines", "hooks.ad_copy"])],
        "audience": fell_back.audience.model_copy(update={"caveats": caveats, "summary_source": "template"}),
        "release_plan": fell_back.release_plan.model_copy(update={"rationale_error": INTERNAL_ERROR}),
        "promotion_plan": fell_back.promotion_plan.model_copy(update={"rationale_error": INTERNAL_ERROR}),
    })  # fmt: skip


def _text(html: str) -> str:
    """What the page shows: tags, styles and entities out."""
    body = re.sub(r"<style>.*?</style>|<svg.*?</svg>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).replace("&#39;", "'").replace("&amp;", "&").split())


def _slack(package: LaunchPackage) -> str:
    return "\n".join(package_fields(package))


INTERNAL_WORDING = ("MarketingRationale", "PricingRationale", "String should match pattern", "invalid after",
                    "validation error", "Traceback", "round cap", "max_rounds", "hooks.taglines", "hooks.ad_copy",
                    "rationale_error", "['", "']", '["')  # fmt: skip


def test_a_troubled_package_reads_in_plain_words_everywhere_and_keeps_the_reasons_for_the_api(
    troubled: LaunchPackage,
) -> None:
    kept = troubled.model_dump_json()
    assert "MarketingRationale was invalid after 2 attempts" in kept  # the detail stays in package.json, for the API
    assert "hooks.taglines" in troubled.warnings[0] and "no answer was valid" in kept
    html, markdown, slack = _text(render_html(troubled)), render_markdown(troubled), _slack(troubled)
    for name, text in (("html", html), ("markdown", markdown), ("slack", slack)):
        for wording in INTERNAL_WORDING:
            assert wording not in text, f"{name} shows {wording!r}"
    for text in (html, markdown):
        assert "[" not in text  # no list syntax, no link markup, no interval notation in a report meant to be read
        assert "This explanation was written from the numbers because the model's answer did not pass the checks." in text
        assert "The taglines and ad copy were written from the brief because the model's answers did not pass the checks" in text
        assert "Horror and Thriller are rare in the training data" in text
    outcome = "The editor did not approve the draft after 2 rounds; 3 checks still fail: "
    for text in (html, markdown, slack):
        assert outcome in text
        assert "The release, promotion and pricing explanations were written from the numbers" in text


def test_the_editor_outcome_names_the_failing_checks(troubled: LaunchPackage, film: LaunchPackage) -> None:
    names = [c.name for c in troubled.review.checks if not c.passed]
    assert editor_outcome(troubled) == (
        f"The editor did not approve the draft after 2 rounds; 3 checks still fail: {names[0]}, {names[1]} and {names[2]}."
    )
    assert editor_outcome(film) == "The draft was approved in round 1 by the editor."


def test_the_summary_comes_first_with_the_decision_and_its_numbers(film: LaunchPackage, film_html: str) -> None:
    markdown, html = render_markdown(film, "awaiting_approval"), _text(render_html(film, "awaiting_approval"))
    reach = film.promotion_plan.allocation.expected_reach
    box_office = film.audience.forecast.box_office if film.audience.forecast else None
    assert box_office is not None
    for text in (markdown, html):
        summary = text[: text.find("Logline")]
        assert film.brief.working_title in summary and "Film" in summary.replace("film", "Film")
        assert "Awaiting your approval" in summary
        assert film.release_plan.chosen.start.strftime("%A %d %B %Y") in summary  # the launch date, in words
        assert "$250K" in summary and "People reached" in summary and "IMDb votes (interest)" in summary
        assert f"${box_office.point / 1e6:.3g}M" in summary and "80% interval" in summary and "million" in summary
        assert "$11.99" in summary and "premium VOD" in summary.replace("Premium VOD", "premium VOD")
        assert "The draft was approved in round 1 by the editor." in summary
        assert "Risks and caveats" in summary
    assert f"{reach.expected:,.0f}" not in markdown  # rounded for reading
    sections = [film_html.find(f'<section id="{name}"') for name in ("summary", "content", "release")]
    assert -1 not in sections and sections == sorted(sections)
    assert film_html.find('<section id="summary"') < film_html.find("<nav")  # the cover before anything else


@pytest.mark.parametrize(("status", "verdict"), [
    ("approved", "Approved by a person"), ("rejected", "Rejected by a person"), ("awaiting_approval", "Awaiting your approval"),
    (None, "Editor's verdict: approved"),
])  # fmt: skip
def test_the_cover_states_the_decision_in_words(film: LaunchPackage, status: str | None, verdict: str) -> None:
    html = unescape(render_html(film, status))
    cover = html[html.find('<section id="summary"') : html.find("</section>")]
    assert f"<strong>{verdict}</strong>" in cover
    assert f"**{verdict}.**" in render_markdown(film, status)


def test_an_unapproved_draft_without_a_person_is_not_approved_on_the_cover(troubled: LaunchPackage) -> None:
    html = render_html(troubled)
    cover = html[html.find('<section id="summary"') : html.find("</section>")]
    assert """<div class="verdict not-approved"><strong>Editor&#39;s verdict: not approved</strong>""" in cover
    assert "**Editor's verdict: not approved.**" in render_markdown(troubled)


def test_the_cover_lists_at_most_three_risks_most_serious_first(troubled: LaunchPackage, film: LaunchPackage) -> None:
    html = render_html(troubled)
    risks = re.findall(
        r"<li[^>]*>(.*?)</li>", html[html.find('<ol class="risks">') : html.find("</ol>", html.find('<ol class="risks">'))]
    )
    assert len(risks) == 3
    assert risks[0].startswith("The taglines and ad copy were written from the brief")
    assert risks[1].startswith("The editor did not approve the draft after 2 rounds")
    assert risks[2].startswith("The release, promotion and pricing explanations were written from the numbers")
    markdown = render_markdown(film)
    listed = markdown[markdown.find("**Risks and caveats**") : markdown.find("## Content")]
    assert len(re.findall(r"^\d\. ", listed, flags=re.M)) == 3


def test_a_headline_that_repeats_the_summary_is_shown_once(film: LaunchPackage) -> None:
    audience = film.audience.model_copy(update={"headline": "Storm thrillers found a steady adult audience.",
                                                "summary": "Storm thrillers found a steady adult audience! The interval is wide."})  # fmt: skip
    repeated = film.model_copy(update={"audience": audience})
    for text in (render_markdown(repeated), _text(render_html(repeated))):
        assert text.count("Storm thrillers found a steady adult audience") == 1
    assert film.audience.headline in render_markdown(film)  # a headline that says something new stays


def test_numbers_are_rounded_and_votes_and_people_are_named_apart(film: LaunchPackage, film_html: str) -> None:
    markdown, html, slack = render_markdown(film), _text(film_html), _slack(film)
    forecast = film.audience.forecast
    assert forecast is not None and forecast.box_office is not None and forecast.votes is not None
    assert forecast.box_office.point > 1e6
    for text in (markdown, html, slack):
        assert f"{forecast.box_office.point:,.1f}" not in text and f"{forecast.box_office.point:,.0f}" not in text
        assert f"${forecast.box_office.point / 1e6:.3g}M" in text
        assert "IMDb votes (interest)" in text and "People reached" in text  # votes are interest, people are people
        assert "gross reach" not in text and "Reach" not in text  # 'reach' is never a label
        assert re.search(r"\d,\d{3}\.\d\b", text) is None  # no 21,428,092.4-style figures anywhere
    assert "| IMDb votes (interest) |" in markdown  # the forecast row
    forecast_part = markdown[markdown.find("## Audience") : markdown.find("## Release plan")]
    assert re.search(r"\breach\b", forecast_part) is None  # IMDb votes are never called reach
    assert f"| {film.promotion_plan.funded()[0].label} |" in markdown and "people reached |" in markdown


def test_lists_read_as_words(film: LaunchPackage, film_html: str) -> None:
    for text in (render_markdown(film), _text(film_html), _slack(film)):
        assert "['" not in text and "']" not in text
    assert "curves: channels.yaml: stated assumptions" in render_markdown(film)
    assert ", ".join(film.brief.genres) in render_markdown(film)


@pytest.mark.parametrize(("value", "shown"), [
    (21_428_092.4, "$21.4M"), (322_343.2, "$322K"), (250_000, "$250K"), (62_500, "$62.5K"), (999_960, "$1M"),
    (4_321.6, "$4,322"), (139.96, "$140"), (0, "$0"), (1_234_567_890, "$1.23B"), (-15_000, "-$15K"),
])  # fmt: skip
def test_money_is_whole_units_or_three_figures_with_a_suffix(value: float, shown: str) -> None:
    assert money(value, "USD") == shown
    assert money(value, "CAD") == shown.replace("$", "CAD ")


@pytest.mark.parametrize(("value", "shown"), [
    (21_428_092.4, "21.4 million"), (322_343.2, "322,000"), (250_000, "250,000"), (999_960_000, "1 billion"),
    (139.96, "140"), (35.16, "35.2"), (0, "0"), (1_234.5, "1,230"),
])  # fmt: skip
def test_counts_round_to_three_significant_figures(value: float, shown: str) -> None:
    assert amount(value) == shown
    assert amount(value, "people") == f"{shown} people"


def test_prices_keep_their_cents() -> None:
    assert price(11.99, "USD") == "$11.99" and price(4.5, "GBP") == "£4.50" and price(7, "SEK") == "SEK 7.00"


def test_the_page_fits_a_phone_and_prints_cleanly(film_html: str) -> None:
    style = film_html[film_html.find("<style>") : film_html.find("</style>")]
    assert ".scroll { max-width: 100%; overflow-x: auto;" in style
    tables = film_html.count("<table>")
    assert tables > 0 and film_html.count('<div class="scroll"><table>') == tables  # every table scrolls in its own box
    assert "@media (max-width: 40rem)" in style
    printed = style[style.find("@media print") :]
    assert "break-before: page" in printed and "background: #fff" in printed


def test_the_draft_and_plans_markdown_follow_the_same_rules(troubled: LaunchPackage) -> None:
    from greenroom.core.plans import PlanResult
    from greenroom.core.schemas import CallRecord, WriteResult
    from greenroom.interfaces.outputs import render

    call = CallRecord(agent="marketer", model="fake:story", purpose="MarketingRationale", valid=False, error=INTERNAL_ERROR)
    draft = render("draft.md.j2", brief=troubled.brief, result=WriteResult(
        run_id="r", draft=troubled.draft, review=troubled.review, outcome="max_rounds", rounds=2, calls=[call]))  # fmt: skip
    plans = render("plans.md.j2", brief=troubled.brief, result=PlanResult(
        run_id="r", release_plan=troubled.release_plan, promotion_plan=troubled.promotion_plan,
        pricing_plan=troubled.pricing_plan, calls=[call]))  # fmt: skip
    audience = render("audience.md.j2", brief=troubled.brief, report=troubled.audience)
    for text in (draft, plans, audience):
        for wording in INTERNAL_WORDING:
            assert wording not in text, wording
    assert "The editor did not approve the draft after 2 rounds; 3 checks still fail" in draft
    assert "marketing rationale" in plans and "This explanation was written from the numbers" in plans
    assert "$250K" in plans and "people reached" in plans
    assert "| IMDb votes (interest) |" in audience and "Horror and Thriller" in audience


def test_slack_gives_interest_as_a_percentile_of_the_same_years_releases(film: LaunchPackage, trained_small: Any) -> None:
    votes = film.audience.forecast.votes if film.audience.forecast else None
    assert votes is not None and votes.percentile is not None
    line = next(line for line in _slack(film).splitlines() if line.startswith("IMDb"))
    assert f"percentile {votes.percentile:.0f} of {votes.percentile_of}" in line and "2005 snapshot" in line
