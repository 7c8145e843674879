"""The files greenroom writes for people: one jinja2 environment for every output template, one writer.

Templates live in `interfaces/templates/`; `.html` ones are autoescaped, Markdown is not.

This module is also where numbers and outcomes become words a person reads: the reports, the
CLI and the Slack summary round money, counts and prices (`money`, `amount`, `price` and `label`,
defined once in `core.numbers` so the chat, the agents and the CLI share them, and imported from here),
name the forecast estimates and state the editor's outcome through the helpers below, so each
says it the same way. The tools word their own caveats and assumptions for a person where they
produce them: no template repairs text as it renders it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext

from greenroom.core.analysis import Estimate
from greenroom.core.audience import AudienceReport
from greenroom.core.funnel import FunnelStage
from greenroom.core.numbers import amount, label, money, price, sentence
from greenroom.core.package import LaunchPackage
from greenroom.core.plans import RATIONALE_NOT_ASKED, PricingPlan, PromotionPlan, ReleasePlan
from greenroom.core.schemas import Draft, EditReview, WriteResult
from greenroom.core.vocabulary import status_display

# --------------------------------------------------------------------------- numbers


def _number(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _percent(value: float, digits: int = 0) -> str:
    return f"{value:.{digits}%}"


def span(low: float, high: float, coverage: float, unit: str = "", currency: str = "") -> str:
    """An interval for reading: '80% interval $5.1M – $60M' (money when `currency` is given, counts otherwise)."""

    def show(value: float) -> str:
        return money(value, currency) if currency else amount(value, unit)

    return f"{coverage:.0%} interval {show(low)} – {show(high)}"


def estimate_value(key: str, value: float, unit: str = "") -> str:
    """One value of a forecast estimate: box office as money, the rating to one decimal, IMDb votes as a whole count."""
    if key == "box_office":
        return money(value, unit)
    if key == "rating":
        return f"{value:.1f}"
    return amount(round(value)) if math.isfinite(value) else "—"


def estimate_span(key: str, estimate: Estimate) -> str:
    """A forecast estimate's interval: '80% interval $322K – $55.2M'."""
    low, high = (estimate_value(key, v, estimate.unit) for v in (estimate.lower, estimate.upper))
    return f"{estimate.coverage:.0%} interval {low} – {high}"


def stage_value(stage: FunnelStage) -> str:
    """One funnel stage's point: money for revenue, a count of people otherwise."""
    return money(stage.point, stage.unit) if stage.name == "revenue" else amount(stage.point)


def stage_range(stage: FunnelStage) -> str:
    """One funnel stage's interval alone: '3.1M – 8.2M' (the summary's card; the funnel table says what it is)."""
    show = (lambda v: money(v, stage.unit)) if stage.name == "revenue" else amount
    return f"{show(stage.low)} – {show(stage.high)}"


def stage_span(stage: FunnelStage) -> str:
    """One funnel stage's interval, with what it is: '3.1M – 8.2M (90% interval from ...)'."""
    return f"{stage_range(stage)} ({stage.interval})"


def percentile_note(estimate: Estimate) -> str:
    """Where a votes forecast ranks among the same years' releases, and why the count itself does not carry over."""
    if estimate.percentile is None:
        return ""
    low, high = estimate.percentile_lower, estimate.percentile_upper
    return (
        f"percentile {estimate.percentile:.0f} of {estimate.percentile_of} (interval {low:.0f}-{high:.0f}): the unit to "
        "read, as the count is of a 2005 snapshot"
    )


def percentile_short(estimate: Estimate) -> str:
    """The votes forecast's percentile in a few words, for the summary's card (the audience section says of what)."""
    if estimate.percentile is None:
        return ""
    return (f"percentile {estimate.percentile:.0f} ({estimate.percentile_lower:.0f}-{estimate.percentile_upper:.0f}) "
            "among the same years' releases; the count is a 2005 snapshot")  # fmt: skip


def budget_assumption(package: LaunchPackage) -> str:
    """The production budget the box office forecast assumed, in words; empty when it assumed none."""
    forecast = package.audience.forecast
    if forecast is None or forecast.inputs is None:
        return ""
    return next((a for a in forecast.inputs.assumptions if a.startswith("Production budget")), "")


def budget_short(package: LaunchPackage) -> str:
    """The production budget the box office forecast assumed, in a few words for the summary's card."""
    text = budget_assumption(package)
    found = re.search(r"(?:->|→)\s*([^;]+)", text)
    return f"assumes a production budget of {found.group(1).strip()} (the launch budget / 0.5)" if found else text


# --------------------------------------------------------------------------- names

ESTIMATE_NAMES = {
    "votes": "IMDb votes (interest)",
    "rating": "rating",
    "box_office": "box office",
}
"""What each forecast estimate is called wherever a person reads it. IMDb votes measure interest among film fans,
never people: 'people reached' is kept for the promotion plan's reach, and plain 'reach' is used for neither."""

ESTIMATE_NOTES = {
    "votes": "IMDb votes stand in for audience interest: how many film fans rated comparable films online, "
    "not how many people will watch.",
    "rating": "The rating is the IMDb user rating, out of 10.",
}
"""A line explaining an estimate's name, shown once where the estimates are listed."""

REACH_NAME = "people reached"
"""What the promotion plan's expected reach is called: gross impressions on people, across channels."""

FIELD_NAMES = {
    "pitch.logline": "logline", "pitch.synopsis": "synopsis", "outline": "outline",
    "hooks.taglines": "taglines", "hooks.ad_copy": "ad copy", "hooks.content_tags": "content tags",
    "hooks.age_rating": "age rating",
}  # fmt: skip
"""A draft field's dotted path (as the API and `Draft.fallbacks` name it) in words."""


def field_name(path: str) -> str:
    """A draft field in words: 'hooks.ad_copy' → 'ad copy'."""
    return FIELD_NAMES.get(path, label(path.rsplit(".", 1)[-1]))


def joined(items: Iterable[object], last: str = "and") -> str:
    """Items as a phrase: 'a', 'a and b', 'a, b and c'."""
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def purpose(value: str) -> str:
    """What a model call wrote, in words: 'MarketingRationale' → 'marketing rationale', 'AdCopyShort' → 'ad copy short'."""
    return " ".join(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", value).replace("_", " ").lower().split())


def _cell(value: object) -> str:
    """Text safe inside a Markdown table cell: `markdown_text` of it (no pipes, no line breaks)."""
    return markdown_text(value)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|~!])")
_HTML_SPECIAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def markdown_text(value: object) -> str:
    """Any text as literal Markdown: one line, what CommonMark reads as markup backslash-escaped, and `&`, `<`, `>`
    as HTML entities, so no backslash trick (`\\<img …>`, `\\\\<img …>`) can leave a live tag or a link.

    The one escaping function of every Markdown template (the `md` and `cell` filters); CommonMark shows the
    text exactly as given.
    """
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))
    text = _BLOCK_START.sub(r"\1\\\2", text)  # a list item, a setext underline or a numbered item where the text starts
    return re.sub(r"[&<>]", lambda m: _HTML_SPECIAL[m.group()], text)


_BLOCK_START = re.compile(r"^(\d*)([-+=.)])")


# --------------------------------------------------------------------------- what happened, in words
# The packages keep the detailed reasons (`rationale_error`, `Fallback.reason`, `warnings`) for the API;
# a person reads only these sentences.

MODEL_ANSWER_FAILED = "the model's answer did not pass the checks"


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


NOT_ASKED_REASON = "this model's written explanations did not hold up in testing, so none was asked for"


def rationale_note(plan: ReleasePlan | PromotionPlan | PricingPlan) -> str:
    """The line under an explanation saying who wrote it."""
    if plan.rationale_source == "model":
        return "Written by the model from the numbers above."
    if plan.rationale_error == RATIONALE_NOT_ASKED:
        return f"This explanation states the numbers as they are: {NOT_ASKED_REASON}."
    return f"This explanation was written from the numbers because {MODEL_ANSWER_FAILED}."


def fallback_mark(draft: Draft, field: str) -> str:
    """' (written from the brief: …)' after the heading of a field the model could not write; '' otherwise."""
    return " (written from the brief: the model's answers did not pass the checks)" if draft.source(field) == "fallback" else ""


def content_note(draft: Draft) -> str:
    """The draft fields written from the brief, as one plain sentence ('' when the model wrote every field).

    `LaunchPackage.warnings` keeps the same fact with the fields' dotted paths, for the API.
    """
    fields = list(dict.fromkeys(field_name(f.field) for f in draft.fallbacks))
    if not fields:
        return ""
    were, them = _plural(len(fields), "was", "were"), _plural(len(fields), "it", "them")
    return (f"The {joined(fields)} {were} written from the brief because the model's answers did not pass "
            f"the checks; rewrite {them} before use.")  # fmt: skip


def fallback_notes(package: LaunchPackage) -> list[str]:
    """What was written from the brief or the numbers instead of by the model, one plain sentence per kind."""
    notes = [content_note(package.draft)] if package.draft.fallbacks else []
    plans: dict[str, ReleasePlan | PromotionPlan | PricingPlan] = {
        "release": package.release_plan, "promotion": package.promotion_plan, "pricing": package.pricing_plan,
    }  # fmt: skip
    if not package.pricing_plan.recommendation.tiers:
        del plans["pricing"]  # no viewer price: nothing to explain
    template = [part for part, plan in plans.items() if plan.rationale_source != "model"]
    failed = [part for part in template if plans[part].rationale_error != RATIONALE_NOT_ASKED]
    not_asked = [part for part in template if part not in failed]
    if failed:
        were = _plural(len(failed), "explanation was", "explanations were")
        notes.append(f"The {joined(failed)} {were} written from the numbers because {MODEL_ANSWER_FAILED}.")
    if not_asked:
        state = _plural(len(not_asked), "explanation states", "explanations state")
        notes.append(f"The {joined(not_asked)} {state} the numbers as they are: {NOT_ASKED_REASON}.")
    if package.audience.summary_source != "model":
        notes.append(f"The audience summary was written from the numbers because {MODEL_ANSWER_FAILED}.")
    return notes


def editor_outcome(result: LaunchPackage | WriteResult) -> str:
    """How the editor's review ended, as a sentence a producer reads."""
    review: EditReview = result.review
    approved = (result.edit_outcome if isinstance(result, LaunchPackage) else result.outcome) == "approved"
    rounds = review.round if isinstance(result, LaunchPackage) else result.rounds
    if approved:
        return f"The draft was approved in round {rounds} by the editor."
    text = f"The editor did not approve the draft after {rounds} {_plural(rounds, 'round', 'rounds')}"
    failing = list(dict.fromkeys(c.name for c in review.checks if not c.passed))
    if failing:
        count = len(failing)
        text += f"; {count} {_plural(count, 'check still fails', 'checks still fail')}: {joined(failing)}"
    elif review.notes:
        text += "; the editor's notes are still open"
    return text + "."


def decision(package: LaunchPackage, status: str | None = None) -> tuple[str, str, str]:
    """Where the package stands, for its cover: (a css key, a short verdict, one sentence why).

    A person's decision comes from the run's status (`core.vocabulary.STATUS_DISPLAY`: approved, rejected, awaiting
    your approval); without one the cover states the editor's verdict on the draft, worded as the editor's.
    """
    shown = status_display(status) if status else None
    if shown and shown.decision:
        return shown.tone, shown.decision, shown.meaning
    if package.edit_outcome == "approved":
        return "approved", "Editor's verdict: approved", "The editor approved the draft; no sign-off by a person was asked for."
    return "not-approved", "Editor's verdict: not approved", "The editor did not approve the draft: review it before use."


_WEAK = ("weak signal", "no model forecast", "not a model forecast", "below", "above", "outside")
_MINOR = ("no movielens match",)


def _caveat_weight(caveat: str) -> int:
    """0 for a caveat that weakens a key number, 2 for one about a single comparable, 1 otherwise."""
    text = caveat.lower()
    return 0 if any(w in text for w in _WEAK) else 2 if any(w in text for w in _MINOR) else 1


def _full_sentence(text: str) -> str:
    text = sentence(text.strip())
    return text if text.endswith((".", "!", "?")) else f"{text}."


def risks(package: LaunchPackage, limit: int = 3) -> list[str]:
    """The first risks and caveats a person should read, as sentences: content the model could not write, an editor
    who did not approve, explanations written from the numbers, then the analyst's caveats, those that weaken a key
    number first."""
    found = fallback_notes(package)
    if package.edit_outcome != "approved":  # after the content written from the brief, before the explanations
        found.insert(1 if package.draft.fallbacks else 0, editor_outcome(package))
    found += [_full_sentence(c) for c in sorted(package.audience.caveats, key=_caveat_weight)]
    return list(dict.fromkeys(found))[:limit]


_WORD = re.compile(r"[a-z0-9]+")


def headline(audience: AudienceReport) -> str:
    """The analyst's headline, or '' when the summary already says it (the same sentence, or nearly)."""
    head = _WORD.findall(audience.headline.lower())
    if not head:
        return ""
    body = " ".join(_WORD.findall(audience.summary.lower()))
    if " ".join(head) in body:
        return ""
    first = set(_WORD.findall(re.split(r"(?<=[.!?])\s", audience.summary.strip(), maxsplit=1)[0].lower()))
    overlap = len(set(head) & first) / len(set(head) | first) if first else 0.0
    return "" if overlap >= 0.8 else audience.headline


# --------------------------------------------------------------------------- templates


@pass_eval_context
def _finalize(context: EvalContext, value: Any) -> Any:
    """In Markdown (not autoescaped) every `<` and `>` of a value becomes an entity, whatever precedes it, so text
    a template shows without the `md` filter never becomes live HTML (`markdown_text` leaves none to find)."""
    if context.autoescape or not isinstance(value, str):
        return value
    return value.replace("<", "&lt;").replace(">", "&gt;")


TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(["html", "html.j2"], default_for_string=False),
    finalize=_finalize,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters.update(
    number=_number, amount=amount, money=money, price=price, percent=_percent, label=label, sentence=sentence,
    cell=_cell, md=markdown_text, purpose=purpose, field_name=field_name, rationale_note=rationale_note,
)  # fmt: skip
TEMPLATES.globals.update(
    ESTIMATE_NAMES=ESTIMATE_NAMES, ESTIMATE_NOTES=ESTIMATE_NOTES, REACH_NAME=REACH_NAME, span=span, joined=joined,
    estimate_value=estimate_value, estimate_span=estimate_span, stage_value=stage_value, stage_span=stage_span, stage_range=stage_range, percentile_short=percentile_short, budget_short=budget_short,
    budget_assumption=budget_assumption, percentile_note=percentile_note, fallback_mark=fallback_mark, fallback_notes=fallback_notes, editor_outcome=editor_outcome, decision=decision,
    risks=risks, headline=headline,
)  # fmt: skip


def render(name: str, /, **variables: Any) -> str:
    """Render one output template."""
    return TEMPLATES.get_template(name).render(**variables)


def save_json_and_markdown(folder: Path, stem: str, payload: dict[str, Any], template: str, **variables: Any) -> dict[str, Path]:
    """Write `<stem>.json` (the payload) and `<stem>.md` (the template) into `folder`; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / f"{stem}.json", "markdown": folder / f"{stem}.md"}
    paths["json"].write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["markdown"].write_text(render(template, **variables), encoding="utf-8")
    return paths
