"""The analyst: comparables, audience forecast, segments and reception, explained.

Every number comes from a tool — the catalog (`tools.comparables`), the
forecasters (`tools.forecasting`), the segment model (`tools.segments`), VADER and
critic scores (`tools.reception`), the viewer panel (`tools.viewers`: who to
notify and when). The model writes a headline and a summary
of those numbers; a summary that mentions a number the tools did not produce
is rejected (`tools.grounding`), and after a failed repair round the report
states the facts from a template instead.
"""

from __future__ import annotations

import statistics
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from greenroom.agents.context import AgentContext
from greenroom.core.analysis import AudienceForecast, Comparable, CriticScores, ReceptionReport, SegmentReport
from greenroom.core.audience import AnalystSummary, AudienceReport
from greenroom.core.brief import Brief
from greenroom.core.numbers import money
from greenroom.core.viewers import TargetingList
from greenroom.models.candidates import answers_per_request
from greenroom.prompts import render
from greenroom.store.catalog import Catalog
from greenroom.tools.comparables import find_comparables
from greenroom.tools.forecasting.audience import forecast_audience
from greenroom.tools.grounding import explain
from greenroom.tools.reception import reception_report
from greenroom.tools.segments import segment_affinity
from greenroom.tools.viewers import brief_profile, target

COMPARABLES = 8
SUMMARY_MAX_TOKENS = 350
TARGETED_VIEWERS = 100
"""Viewers in the package's targeting list (the CLI and the API give longer lists on demand)."""


def _reception(catalog: Catalog, comparables: list[Comparable]) -> ReceptionReport:
    titles = catalog.get([c.id for c in comparables])
    reviews = {t.title: [t.reviews] for t in titles if t.reviews.strip()}
    critics = [
        CriticScores(title=t.title, year=t.year, rotten_tomatoes=t.rotten_tomatoes, metacritic=t.metacritic) for t in titles
    ]
    return reception_report(reviews, critics)


def facts(brief: Brief, comparables: list[Comparable], forecast: AudienceForecast | None,
          segments: SegmentReport | None, reception: ReceptionReport | None) -> list[str]:  # fmt: skip
    """The tools' findings as sentences: what the model may explain, and the template fallback."""
    out: list[str] = []
    if comparables:
        named = "; ".join(f"{c.title} ({c.year})" for c in comparables[:5])
        out.append(f"The closest comparable titles in the catalog are {named}.")
    if forecast and forecast.votes:
        v = forecast.votes
        if v.basis == "model":
            out.append(
                f"IMDb votes (interest) forecast: about {v.point:,.0f}, {v.coverage:.0%} interval {v.lower:,.0f} to {v.upper:,.0f}."
            )
        else:
            out.append(
                f"IMDb votes (interest): no model forecast, as the model did not beat the genre-and-decade median on later releases; "
                f"that median is {v.point:,.0f} IMDb votes, {v.coverage:.0%} of later films {v.lower:,.0f} to {v.upper:,.0f}."
            )
    if forecast and forecast.rating:
        r = forecast.rating
        if r.basis == "model":
            out.append(f"Rating forecast: {r.point:.1f} out of 10, interval {r.lower:.1f} to {r.upper:.1f}.")
        else:
            out.append(
                f"Rating: no model forecast, as the model did not beat the genre-and-decade median on later releases; "
                f"that median is {r.point:.1f} out of 10, {r.coverage:.0%} of later films {r.lower:.1f} to {r.upper:.1f}."
            )
    if forecast and forecast.box_office:
        b = forecast.box_office
        if b.basis == "model":
            out.append(
                f"Box office forecast: about {money(b.point, 'USD')}, interval {money(b.lower, 'USD')} to {money(b.upper, 'USD')}."
            )
        else:
            out.append(
                f"Box office: no model forecast, as the model did not beat the genre-and-decade median on later "
                f"releases; that median is {money(b.point, 'USD')}, {b.coverage:.0%} of later films {money(b.lower, 'USD')} "
                f"to {money(b.upper, 'USD')}."
            )
            grosses = sorted(c.box_office for c in comparables if c.box_office)
            if grosses:
                out.append(
                    f"The comparables' median box office is {money(statistics.median(grosses), 'USD')} across {len(grosses)} titles."
                )
    if forecast and forecast.out_of_domain:
        out.append("The forecast is outside the models' training domain: " + "; ".join(forecast.ood_reasons) + ".")
    if segments and segments.segments:
        top = segments.segments[0]
        out.append(
            f"The segment most likely to respond is {top.name}: {top.share:.0%} of viewers, affinity {top.affinity:.2f} times the average."
        )
    if reception and reception.critics.rotten_tomatoes.mean is not None:
        rt = reception.critics.rotten_tomatoes
        out.append(f"Comparables average {rt.mean:.0f} on the Tomatometer across {rt.n} titles.")
    if not out:
        out.append(f"No comparable titles or forecasts are available for this {brief.format.value.replace('_', ' ')}.")
    return out


def _caveats(forecast: AudienceForecast | None, segments: SegmentReport | None, reception: ReceptionReport | None,
             context: AgentContext) -> list[str]:  # fmt: skip
    caveats: list[str] = []
    if context.catalog is None:
        caveats.append("no catalog was available: no comparables or critic scores")
    if context.trained is None:
        caveats.append("no trained models were available: no forecast or segments")
    if forecast:
        caveats += forecast.ood_reasons + forecast.notes
        for label, estimate in (("reach", forecast.votes), ("rating", forecast.rating), ("box office", forecast.box_office)):
            caveats += [f"{label}: {flag}" for flag in estimate.flags] if estimate else []
    if segments:
        caveats += segments.notes
    if reception:
        caveats += reception.notes[:3]
    return list(dict.fromkeys(caveats))


def _targeting(brief: Brief, comparables: list[Comparable], context: AgentContext) -> TargetingList | None:
    """The run's tenant's viewers (else the bundled panel) most likely to watch, with reasons and send windows."""
    if context.viewers is None:
        return None
    panel = context.viewers.panel(context.tenant)
    embed = context.catalog.embedding if context.catalog is not None else None
    return target(panel, brief_profile(panel, brief, comparables, embed), top=TARGETED_VIEWERS)


def analyse(state: dict[str, Any], runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Build the AudienceReport for the brief."""
    brief: Brief = state["brief"]
    context = runtime.context
    comparables = find_comparables(brief, context.catalog, k=COMPARABLES, tenant=context.tenant) if context.catalog else []
    forecast = forecast_audience(brief, context.trained.forecast) if context.trained else None
    segments = (
        segment_affinity(brief.genres, [(c.title, c.year) for c in comparables], context.trained.segments)
        if context.trained else None
    )  # fmt: skip
    reception = _reception(context.catalog, comparables) if context.catalog and comparables else None
    found = facts(brief, comparables, forecast, segments, reception)
    messages = [
        SystemMessage(render("common/system.j2")),
        HumanMessage(render("analyst/summary.j2", brief=brief, facts=found)),
    ]
    answers = answers_per_request(context.model.structured_mode, context.writer_candidates)
    written, _, calls = explain(context.model, messages, AnalystSummary, found, agent="analyst",
                                max_tokens=SUMMARY_MAX_TOKENS, candidates=answers)  # fmt: skip
    if written is not None:
        headline, summary, source = written.headline, written.summary, "model"
    else:
        headline, summary, source = found[0], " ".join(found), "template"
    report = AudienceReport(
        comparables=comparables, forecast=forecast, segments=segments, reception=reception,
        targeting=_targeting(brief, comparables, context), caveats=_caveats(forecast, segments, reception, context),
        headline=headline, summary=summary, summary_source=source,
    )  # fmt: skip
    return {"audience": report, "calls": calls}
