from __future__ import annotations

from pathlib import Path

import pytest

from greenroom.agents.writer import OUTLINE_UNIT, outline_count
from greenroom.core.brief import Brief, Format, load_brief
from greenroom.core.schemas import Draft
from greenroom.tools import fallbacks
from greenroom.tools.draft_checks import check_draft, hard_failures, scaffolding
from tests.drafts import GOOD_HOOKS, GOOD_OUTLINE, GOOD_PITCH

BRIEFS = sorted((Path(__file__).resolve().parents[2] / "examples" / "briefs").glob("*.*"))


def _fallback_draft(brief: Brief) -> Draft:
    count = outline_count(brief)
    return Draft(
        pitch=fallbacks.fallback_pitch(brief),
        outline=fallbacks.fallback_outline(brief, count, OUTLINE_UNIT[brief.format]),
        hooks=fallbacks.fallback_hooks(brief),
    )


@pytest.mark.parametrize("path", BRIEFS, ids=lambda p: p.stem)
def test_the_copy_drafted_from_each_example_brief_passes_every_hard_check(path: Path) -> None:
    brief = load_brief(path)
    draft = _fallback_draft(brief)
    assert hard_failures(draft, brief, outline_wanted=outline_count(brief)) == {}
    failed = {c.name for c in check_draft(draft, brief, outline_wanted=outline_count(brief)) if not c.passed}
    assert failed <= {"logline is new writing"}  # the brief's own logline: a person rewrites it
    texts = [draft.pitch.synopsis, *(t for i in draft.outline.outline for t in (i.heading, i.summary)), *draft.hooks.taglines]
    assert not any(scaffolding(t) for t in texts)


def test_outline_beats_come_from_the_logline_the_must_include_elements_and_the_format(film_brief: Brief) -> None:
    outline = fallbacks.fallback_outline(film_brief, 5, "scenes").outline
    summaries = " ".join(i.summary for i in outline)
    assert "the retired lighthouse keeper and the runaway teenager" in summaries  # who, from the logline
    assert "keep the lamp burning through a week-long storm" in summaries  # what they must do
    assert "a salvage crew circles the wreck offshore" in summaries  # what stands in the way
    assert "the salvage crew" in summaries  # a must-include element
    assert outline[0].heading == "Where it begins" and outline[-1].heading == "The final test"
    assert len({i.heading for i in outline}) == 5
    series = film_brief.model_copy(update={"format": Format.SERIES})
    assert fallbacks.fallback_outline(series, 4, "episodes").outline[0].heading == "Pilot"


def test_a_draft_that_still_fails_a_hard_check_ships_the_fallback_marked(film_brief: Brief) -> None:
    repeated = {
        "outline": [{"heading": "The Luminous Ends", "summary": "The keeper keeps the lamp lit as the storm goes on."}] * 5
    }
    hooks = {**GOOD_HOOKS, "age_rating": "R"}  # above the brief's PG-13 ceiling
    draft = fallbacks.gate(
        Draft(pitch=GOOD_PITCH, outline=repeated, hooks=hooks), film_brief, outline_count=5, outline_unit="scenes"
    )
    assert {f.field for f in draft.fallbacks} == {"outline", "hooks.age_rating"}
    reasons = {f.field: f.reason for f in draft.fallbacks}
    assert "no repeated outline parts" in reasons["outline"] and "proposed rating within ceiling" in reasons["hooks.age_rating"]
    assert "The Luminous Ends" not in {i.heading for i in draft.outline.outline}
    assert draft.hooks.age_rating in {"G", "PG", "PG-13"} and draft.hooks.taglines == GOOD_HOOKS["taglines"]
    assert draft.pitch == Draft(pitch=GOOD_PITCH, outline=repeated, hooks=hooks).pitch  # a sound part stays the model's
    assert hard_failures(draft, film_brief, outline_wanted=5) == {}


def test_a_line_that_repeats_a_replaced_logline_is_replaced_too(film_brief: Brief) -> None:
    garbled = {**GOOD_PITCH, "logline": "BREEFYING: " + GOOD_PITCH["logline"]}
    echo = film_brief.logline.rsplit(" ", 3)[0]  # the brief's concept, nearly whole: fine beside the model's logline
    hooks = {**GOOD_HOOKS, "ad_copy": [echo, *GOOD_HOOKS["ad_copy"][1:]]}
    draft = fallbacks.gate(
        Draft(pitch=garbled, outline=GOOD_OUTLINE, hooks=hooks), film_brief, outline_count=5, outline_unit="scenes"
    )
    assert [f.field for f in draft.fallbacks] == ["pitch.logline", "hooks.ad_copy"]  # the second after the first
    assert draft.pitch.logline == fallbacks.fallback_pitch(film_brief).logline and echo not in draft.hooks.ad_copy
    assert hard_failures(draft, film_brief, outline_wanted=5) == {}
