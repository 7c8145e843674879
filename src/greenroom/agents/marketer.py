"""The marketer: release window, platforms, promotion split, ad copy and target segments.

The numbers come from the engines: `tools.release.plan_release` ranks the
windows, `tools.promotion.allocate` splits the budget across channels and
weeks. The model writes only the ad copy for the best-funded channels and a
rationale of the numbers it is shown; a rationale that mentions a number the
tools did not produce is rejected (`tools.grounding`). When the model's
rationale is unusable the plan keeps its numbers and states them in words
from the facts instead (`rationale_source="template"`).

Stated assumptions (they appear in the plan):
- the whole launch budget of the brief goes to paid promotion media
  (`PROMOTION_SHARE`); release and delivery costs are budgeted elsewhere;
- the campaign runs `CAMPAIGN_WEEKS[format]` weeks, its last week being the
  launch week of the chosen window;
- cinema trailers are a channel for films only;
- push and email reach only a tenant's own high-affinity viewers (the
  analyst's targeting list on the tenant's imported history), with curves
  from `tools/data/owned_channels.yaml`; the bundled MovieLens panel is no
  one's audience, so it adds no owned channel.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict, Field, RootModel, create_model, model_validator

from greenroom.agents.context import AgentContext
from greenroom.core.brief import Brief, Format
from greenroom.core.market import (
    ChannelAllocation,
    ChannelCurve,
    PlatformRecommendation,
    PromotionAllocation,
    ReleaseRecommendation,
    ReleaseWindow,
)
from greenroom.core.numbers import amount, money
from greenroom.core.plans import (
    RATIONALE_NOT_ASKED,
    AdCopy,
    AdCopyLong,
    AdCopySchema,
    AdCopyShort,
    ChannelAdCopy,
    MarketingInputs,
    MarketingRationale,
    PromotionPlan,
    ReleasePlan,
    TargetSegment,
)
from greenroom.core.rules import load_rules, missing_formats
from greenroom.core.schemas import CallRecord, Draft
from greenroom.core.state import PlanState
from greenroom.core.viewers import TargetingList
from greenroom.models.candidates import answers_per_request
from greenroom.models.llm import ModelHandle
from greenroom.models.structured import StructuredOutputError, generate
from greenroom.prompts import render
from greenroom.tools.draft_checks import mentions
from greenroom.tools.funnel import Addressable, addressable_audience, frequency_cap
from greenroom.tools.grounding import echoes_prompt, explain, strip_junk
from greenroom.tools.promotion import allocate, curves_in_audience, load_channel_curves
from greenroom.tools.release import plan_release
from greenroom.tools.viewers import owned_channel_curves

DATA = Path(__file__).parent / "data"
"""The agents' business rules, each with its reason."""
PROMOTION_SHARE = 1.0
"""Share of the brief's launch budget spent on paid promotion (all of it: release costs are budgeted elsewhere)."""


class CampaignLength(BaseModel):
    """How long a format's campaign runs, and why."""

    weeks: int = Field(..., ge=1, le=52, description="Campaign weeks up to and including the launch week.")
    reason: str = Field(..., min_length=1, description="Why that long.")


class CampaignLengths(RootModel[dict[Format, CampaignLength]]):
    """The contents of `data/campaign_weeks.yaml`: one campaign length per format."""

    @model_validator(mode="after")
    def _every_format(self) -> CampaignLengths:
        if problem := missing_formats(set(self.root)):
            raise ValueError(problem)
        return self


CAMPAIGN_LENGTHS: dict[Format, CampaignLength] = load_rules(DATA / "campaign_weeks.yaml", CampaignLengths).root
CAMPAIGN_WEEKS: dict[Format, int] = {fmt: length.weeks for fmt, length in CAMPAIGN_LENGTHS.items()}
"""Campaign weeks up to and including the launch week: longer for titles people plan an outing or a binge around."""

FORMAT_ONLY_CHANNELS: dict[str, frozenset[Format]] = {"cinema_trailers": frozenset({Format.FILM})}
"""Default channels that only make sense for some formats."""

AD_COPY_SCHEMA: dict[str, AdCopySchema] = {
    "search": AdCopy,
    "social_video": AdCopy,
    "ctv": AdCopyLong,
    "podcast_ads": AdCopyLong,
    "influencers": AdCopy,
    "out_of_home": AdCopyShort,
    "cinema_trailers": AdCopyLong,
    "display": AdCopyShort,
}
"""How long a line each channel's format allows (unknown channels get `AdCopy`)."""

OWNED_CHANNELS = frozenset({"push", "email"})
"""Channels that reach the tenant's own viewers, sized by the analyst's high-affinity audience."""
AD_COPY_CHANNELS = 3
"""Ad copy is written for this many of the best-funded channels."""
TOP_SEGMENTS = 3
MAX_TOKENS = {"ad_copy": 260, "rationale": 420}


# --------------------------------------------------------------------------- numbers


def channel_curves(
    brief: Brief, inputs: MarketingInputs, audience: object | None = None, addressable: Addressable | None = None
) -> list[ChannelCurve]:
    """The user's curves if given; else the default curves that suit the brief's format, sized to the brief's
    addressable audience (who each channel reaches, by age band), and owned channels sized to the tenant's
    high-affinity audience when the analyst scored the tenant's own viewers."""
    return channel_plan(brief, inputs, audience, addressable)[0]


def channel_plan(
    brief: Brief, inputs: MarketingInputs, audience: object | None = None, addressable: Addressable | None = None
) -> tuple[list[ChannelCurve], list[str]]:
    """`channel_curves` and the default channels left out, each with the reason."""
    if inputs.channel_curves is not None:
        return list(inputs.channel_curves), []
    defaults = [c for c in load_channel_curves() if brief.format in FORMAT_ONLY_CHANNELS.get(c.name, frozenset(Format))]
    left_out: list[str] = []
    found = addressable or addressable_audience(brief)
    if found.people > 0:
        defaults, left_out = curves_in_audience(found.population, found.interest[1], brief.format.value, defaults)
    return defaults + owned_curves(audience), left_out


def owned_curves(audience: object | None) -> list[ChannelCurve]:
    """Push and email curves from the analyst's targeting list (none without one, or on the bundled panel)."""
    targeting = _field(audience, "targeting") if audience is not None else None
    if targeting is None:
        return []
    return owned_channel_curves(targeting if isinstance(targeting, TargetingList) else TargetingList.model_validate(targeting))


def campaign_week_starts(launch: dt.date, weeks: int) -> list[dt.date]:
    """Start of each campaign week; the last one is the launch date."""
    return [launch - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def promotion_assumptions(
    brief: Brief, allocation: PromotionAllocation, launch: dt.date, left_out: Sequence[str] = ()
) -> list[str]:
    """The marketer's own assumptions; the engine's stay in the allocation."""
    notes = [
        *(f"left out: {reason}" for reason in left_out),
        f"promotion budget: {PROMOTION_SHARE:.0%} of the brief's launch budget goes to paid media; "
        "release and delivery costs are budgeted elsewhere",
        f"campaign: {allocation.weeks} weeks ending with the launch week that starts {launch.isoformat()}",
    ]
    if brief.budget.currency != "USD":
        notes.append(f"channel costs are stated in USD and applied to {brief.budget.currency} amounts without conversion")
    owned = [c.label for c in allocation.channels if c.channel in OWNED_CHANNELS]
    if owned:
        notes.append(f"{' and '.join(owned)} reach only the tenant's own high-affinity viewers from the analyst's targeting "
                     "list; their curves are stated assumptions (in the owned channels file)")  # fmt: skip
    return notes


# --------------------------------------------------------------------------- segments


def _field(obj: object, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def target_segments(brief: Brief, audience: object | None) -> list[TargetSegment]:
    """The analyst's top segments when its report has named segments; otherwise the brief's audience."""
    found = [s for s in (_field(audience, "segments") or []) if isinstance(_field(s, "name"), str)] if audience else []
    if found:
        return [
            TargetSegment(name=str(_field(s, "name"))[:160], source="analyst", detail=_segment_detail(s))
            for s in found[:TOP_SEGMENTS]
        ]
    a = brief.audience
    where = f" ({', '.join(a.regions)})" if a.regions else ""
    base = f"ages {a.age_min}-{a.age_max}{where}"
    if not a.interests:
        return [TargetSegment(name=base[:160], source="brief", detail="the brief's stated audience")]
    return [
        TargetSegment(name=f"{base} into {interest}"[:160], source="brief", detail="an interest the brief's audience shares")
        for interest in a.interests[:TOP_SEGMENTS]
    ]


def _segment_detail(segment: object) -> str:
    explanation, affinity = _field(segment, "explanation"), _field(segment, "affinity")
    if isinstance(explanation, str) and explanation:
        return explanation[:300]
    if isinstance(affinity, int | float):
        return f"affinity {affinity:.2f} (1.00 = the average viewer)"
    return "a segment from the analyst's report"


# --------------------------------------------------------------------------- facts


def _people(count: float) -> str:
    return amount(count, "people")


def _day(date: dt.date) -> str:
    return f"{date:%A} {date.day} {date:%B %Y}"


def release_facts(recommendation: ReleaseRecommendation, chosen: ReleaseWindow) -> list[str]:
    """The release numbers in sentences, for the model's prompt and the template rationale."""
    days = (chosen.end - chosen.start).days + 1
    facts = [
        f"Best window: launch on {_day(chosen.start)}, running {days // 7} weeks to {_day(chosen.end)}.",
        f"Its score is {chosen.score:.2f}: viewing demand {chosen.demand:.2f} (1.00 is an average day), "
        f"business-model factor {chosen.business_factor:.2f}, genre-season factor {chosen.season_factor:.2f}, "
        f"competition {chosen.competition:.2f}"
        + (f" (from {', '.join(chosen.competing_titles[:3])})." if chosen.competing_titles else "."),
    ]
    for window in recommendation.windows[1:3]:
        facts.append(f"Next best: launch on {_day(window.start)}, score {window.score:.2f}.")
    if len(recommendation.windows) > 3:
        worst = recommendation.windows[-1]
        facts.append(f"Weakest of {len(recommendation.windows)} candidates: {_day(worst.start)}, score {worst.score:.2f}.")
    facts.append(f"Why this date: {chosen.explanation}")
    facts.append(f"Business rule: {recommendation.business_rule.note}")
    facts.append("Platforms: " + _platforms(recommendation.platforms) + ".")
    return facts


def _platforms(platforms: Sequence[PlatformRecommendation]) -> str:
    primary = [p.platform for p in platforms if p.role == "primary"]
    secondary = [p.platform for p in platforms if p.role != "primary"]
    text = "first " + ", ".join(primary) if primary else ""
    if secondary:
        text += ("; then " if text else "") + ", ".join(secondary)
    return text


def promotion_facts(allocation: PromotionAllocation) -> list[str]:
    """The promotion numbers in sentences, for the model's prompt and the template rationale."""
    cur = allocation.currency
    funded = sorted((c for c in allocation.channels if c.total > 0), key=lambda c: -c.total)
    facts = [f"Budget: {money(allocation.budget, cur)} over {allocation.weeks} weeks, the last being the launch week."]
    for c in funded[:4]:
        facts.append(
            f"{c.label}: {money(c.total, cur)} ({c.share:.0%}), reaching {_people(c.expected_reach)}; "
            f"the next {money(1000, cur)} would add {amount(c.marginal_reach_per_1000, 'people')}."
        )
    unfunded = [c.label for c in allocation.channels if c.total <= 0]
    if unfunded:
        facts.append(f"No money for: {', '.join(unfunded)} (less reach per {cur} at this budget).")
    r, e = allocation.expected_reach, allocation.equal_split_reach
    if allocation.audience is not None and allocation.unique_reach is not None:
        facts.append(
            f"In all the plan reaches {_people(allocation.unique_reach)} of an addressable audience of "
            f"{_people(allocation.audience)}, each counted once; {amount(allocation.gross_impressions)} gross impressions, "
            f"{allocation.gross_impressions / max(allocation.unique_reach, 1):.1f} per person reached."
        )
        facts.append(
            f"Weighted by attention it reaches {_people(r.expected)} ({r.interval:.0%} interval {_people(r.low)} "
            f"to {_people(r.high)})."
        )
        if allocation.unspent:
            facts.append(f"{money(allocation.unspent, cur)} is left unspent: it would buy repeats, not people.")
    else:
        facts.append(
            f"In all the plan is expected to reach {_people(r.expected)}, counting a person once per channel that reaches "
            f"them ({r.interval:.0%} interval {_people(r.low)} to {_people(r.high)})."
        )
    facts.append(
        f"An equal split across channels would reach {_people(e.expected)}; this plan reaches "
        f"{allocation.uplift_vs_equal_split:.0%} more, and does better in {allocation.prob_beats_equal_split:.0%} of simulations."
    )
    return facts


# --------------------------------------------------------------------------- ad copy


def _fit(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0].rstrip(",;:-–— ")
    return cut or text[:limit]


def seed_lines(brief: Brief, draft: Draft | None) -> list[str]:
    """The writer's ad lines and taglines, or the brief's logline when there is no draft yet."""
    if draft is not None:
        return [*draft.hooks.ad_copy, *draft.hooks.taglines]
    return [brief.logline]


def fallback_copy(brief: Brief, seeds: Sequence[str], launch: dt.date, limit: int) -> list[str]:
    """Up to three lines from the seeds (shortest fitting first), and the title with its launch date."""
    fitting = sorted((s for s in seeds if len(s) <= limit), key=len) or [_fit(s, limit) for s in seeds]
    lines = [*fitting[:2], _fit(f"{brief.working_title}: from {launch.day} {launch:%B}", limit)]
    return list(dict.fromkeys(line for line in lines if line))[:3]


def clean_variants(variants: Sequence[str], avoid: Sequence[str], min_chars: int = 8) -> list[str]:
    """The usable lines: JSON debris stripped; echoes of the prompt, duplicates and avoided topics dropped."""
    unique = dict.fromkeys(strip_junk(v) for v in variants)
    return [
        v for v in unique
        if len(v) >= min_chars and not echoes_prompt(v) and not any(mentions(v, topic) for topic in avoid)
    ]  # fmt: skip


def ad_copy_fields(channels: Sequence[ChannelAllocation]) -> list[str]:
    """The answer's field name for each channel: `for_` and the channel key in lowercase words (a user's curve may
    name its channel anything), numbered where two would be the same."""
    names: list[str] = []
    for index, channel in enumerate(channels):
        name = "for_" + ("_".join(re.findall(r"[a-z0-9]+", channel.channel.lower()))[:40] or "channel")
        names.append(name if name not in names else f"{name}_{index + 1}")
    return names


def ad_copy_schema(channels: Sequence[ChannelAllocation], names: Sequence[str]) -> type[BaseModel]:
    """One request's schema for the ad copy of several channels: a list of lines per channel (field names from
    `ad_copy_fields`), each line as long as the channel's format allows (AD_COPY_SCHEMA)."""
    fields: dict[str, Any] = {}
    for channel, name in zip(channels, names, strict=True):
        variants = AD_COPY_SCHEMA.get(channel.channel, AdCopy).model_fields["variants"]
        fields[name] = (variants.annotation, Field(..., min_length=2, max_length=3, description="Different ad lines."))
    return create_model("AdCopyByChannel", __config__=ConfigDict(title="AdCopyByChannel"), **fields)


def line_limit(channel: str) -> int:
    """The longest ad line a channel's format allows, in characters."""
    schema = AD_COPY_SCHEMA.get(channel, AdCopy).model_json_schema()
    return int(schema["properties"]["variants"]["items"]["maxLength"])


def write_ad_copy(
    model: ModelHandle,
    brief: Brief,
    channels: Sequence[ChannelAllocation],
    *,
    seeds: Sequence[str],
    segments: Sequence[TargetSegment],
    launch: dt.date,
    platform: str,
) -> tuple[list[ChannelAdCopy], list[CallRecord]]:
    """Ad copy variants for each channel, in one request; a channel's lines are the seeds cut to fit when the
    model's answer for it is unusable.

    One request rather than one per channel: each request repeats the brief, the writer's lines and the
    audience (about 550 prompt tokens on the embedded model), while the lines themselves cost the same.
    """
    if not channels:
        return [], []
    names = ad_copy_fields(channels)
    schema = ad_copy_schema(channels, names)
    limits = [line_limit(c.channel) for c in channels]
    wanted = [
        {"key": name, "channel": c.channel, "label": c.label, "max_chars": n}
        for c, name, n in zip(channels, names, limits, strict=True)
    ]  # fmt: skip
    messages: list[BaseMessage] = [
        SystemMessage(render("common/system.j2")),
        HumanMessage(
            render(
                "marketer/ad_copy.j2", brief=brief, seeds=list(seeds)[:4], segments=[s.name for s in segments],
                launch=_day(launch), platform=platform, channels=wanted, variant_count=3,
            )
        ),
    ]  # fmt: skip
    try:
        answer, calls = generate(model, messages, schema, agent="marketer", max_tokens=MAX_TOKENS["ad_copy"] * len(channels))
    except StructuredOutputError as exc:
        answer, calls = None, exc.calls
    copies: list[ChannelAdCopy] = []
    for channel, name, limit in zip(channels, names, limits, strict=True):
        lines = getattr(answer, name) if answer is not None else []
        variants = clean_variants(lines, brief.constraints.avoid_topics)
        source: Literal["model", "fallback"] = "model"
        if not variants:
            variants, source = fallback_copy(brief, seeds, launch, limit), "fallback"
        copies.append(ChannelAdCopy(channel=channel.channel, label=channel.label, max_chars=limit,
                                    variants=variants, source=source))  # fmt: skip
    return copies, calls


# --------------------------------------------------------------------------- rationale


def write_rationale(
    model: ModelHandle, brief: Brief, release: list[str], promotion: list[str], candidates: int = 1
) -> tuple[MarketingRationale | None, str, list[CallRecord]]:
    """The model's explanation of the facts, or None and the reason when it stayed unusable."""
    messages: list[BaseMessage] = [
        SystemMessage(render("common/system.j2")),
        HumanMessage(render("marketer/rationale.j2", brief=brief, release_facts=release, promotion_facts=promotion)),
    ]
    return explain(model, messages, MarketingRationale, release + promotion, agent="marketer",
                   max_tokens=MAX_TOKENS["rationale"], candidates=candidates)  # fmt: skip


# --------------------------------------------------------------------------- node


def market(state: PlanState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Plan the release and the promotion from the engines, then have the model write ad copy and the rationale."""
    brief: Brief = state["brief"]
    inputs: MarketingInputs = state.get("marketing") or MarketingInputs()
    recommendation = plan_release(brief, inputs.competitors)
    chosen = recommendation.windows[0]
    weeks = inputs.campaign_weeks or CAMPAIGN_WEEKS[brief.format]
    addressable = addressable_audience(brief)
    curves, left_out = channel_plan(brief, inputs, state.get("audience"), addressable)
    allocation = allocate(
        round(brief.budget.amount * PROMOTION_SHARE, 2), weeks, curves,
        min_spend=inputs.min_spend, max_spend=inputs.max_spend, currency=brief.budget.currency,
        audience=addressable.people if addressable.people > 0 else None, frequency_cap=frequency_cap(),
    )  # fmt: skip
    segments = target_segments(brief, state.get("audience"))
    seeds = seed_lines(brief, state.get("draft"))
    platform = recommendation.platforms[0].platform if recommendation.platforms else "its platforms"
    model = runtime.context.model

    calls: list[CallRecord] = []
    funded = sorted((c for c in allocation.channels if c.total > 0), key=lambda c: -c.total)
    ad_copy, more = write_ad_copy(model, brief, funded[:AD_COPY_CHANNELS], seeds=seeds, segments=segments,
                                  launch=chosen.start, platform=platform)  # fmt: skip
    calls += more

    release_text, promotion_text = release_facts(recommendation, chosen), promotion_facts(allocation)
    answers = answers_per_request(model.structured_mode, runtime.context.writer_candidates, rationale=True)
    rationale, error, more = (
        write_rationale(model, brief, release_text, promotion_text, answers) if answers else (None, RATIONALE_NOT_ASKED, [])
    )
    calls += more
    source = "model" if rationale else "template"
    release_plan = ReleasePlan(
        recommendation=recommendation,
        competitors=list(inputs.competitors),
        rationale=rationale.release if rationale else " ".join(release_text),
        rationale_source=source,
        rationale_error=error,
    )
    promotion_plan = PromotionPlan(
        allocation=allocation,
        share_of_brief_budget=PROMOTION_SHARE,
        week_starts=campaign_week_starts(chosen.start, allocation.weeks),
        ad_copy=ad_copy,
        target_segments=segments,
        added_assumptions=promotion_assumptions(brief, allocation, chosen.start, left_out),
        rationale=rationale.promotion if rationale else " ".join(promotion_text),
        rationale_source=source,
        rationale_error=error,
    )
    return {"release_plan": release_plan, "promotion_plan": promotion_plan, "calls": calls}
