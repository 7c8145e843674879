from __future__ import annotations

from greenroom.core.brief import Brief
from greenroom.core.schemas import Draft
from greenroom.tools.draft_checks import check_draft, implied_rating
from tests.drafts import BAD_HOOKS, GOOD_HOOKS, GOOD_OUTLINE, GOOD_PITCH


def _failed(draft: Draft, brief: Brief) -> dict[str, str]:
    return {c.name: c.detail for c in check_draft(draft, brief, outline_wanted=5) if not c.passed}


def test_a_good_draft_passes_every_check(film_brief: Brief) -> None:
    assert _failed(Draft(pitch=GOOD_PITCH, outline=GOOD_OUTLINE, hooks=GOOD_HOOKS), film_brief) == {}


def test_forbidden_topics_repeats_and_rating_are_caught(film_brief: Brief) -> None:
    failed = _failed(Draft(pitch=GOOD_PITCH, outline=GOOD_OUTLINE, hooks=BAD_HOOKS), film_brief)
    assert "suicide" in failed["topics to avoid"]
    assert "Keep the light burning" in failed["no repeated lines"]
    assert "above the brief's PG-13 ceiling" in failed["proposed rating within ceiling"]


def test_missing_elements_and_short_synopsis_become_notes(film_brief: Brief) -> None:
    pitch = {
        **GOOD_PITCH,
        "synopsis": "A keeper and a girl wait out bad weather on a rock, and then the weather clears up for good.",
    }
    failed = _failed(Draft(pitch=pitch, outline=GOOD_OUTLINE, hooks=GOOD_HOOKS), film_brief)
    assert "words; keep it between 40 and 170" in failed["synopsis length"]
    assert "must-include elements" not in failed  # the storm and the salvage crew are still in the outline
    brief = film_brief.model_copy(
        update={"constraints": film_brief.constraints.model_copy(update={"must_include": ["a brass telescope"]})}
    )
    failed = _failed(Draft(pitch=pitch, outline=GOOD_OUTLINE, hooks=GOOD_HOOKS), brief)
    assert "a brass telescope" in failed["must-include elements"]


def test_graphic_wording_implies_a_higher_rating() -> None:
    assert implied_rating("a gory torture scene")[0] == "R"
    assert implied_rating("a murder on the island")[0] == "PG-13"
    assert implied_rating("a lighthouse in the fog")[0] == "G"


def test_an_outline_that_repeats_one_summary_is_sent_back(film_brief: Brief) -> None:
    same = "The storm rages on and the keeper and the girl keep the lamp burning."
    headings = ["The storm arrives", "Lights offshore", "Generator trouble", "The offer", "Dawn"]
    outline = {"outline": [{"heading": heading, "summary": same} for heading in headings]}
    failed = _failed(Draft(pitch=GOOD_PITCH, outline=outline, hooks=GOOD_HOOKS), film_brief)
    assert "The storm rages on" in failed["no repeated outline parts"]
