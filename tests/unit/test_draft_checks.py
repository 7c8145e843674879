from __future__ import annotations

from greenroom.core.brief import Brief
from greenroom.core.schemas import Draft
from greenroom.tools.draft_checks import check_draft, hard_failures, implied_rating
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


def _brief(film_brief: Brief, **update: object) -> Brief:
    return film_brief.model_copy(update=update)


def test_instructions_copied_into_the_text_and_garbled_labels_are_debris(film_brief: Brief) -> None:
    copied = {
        **GOOD_PITCH,
        "synopsis": "12 to 30 words, that make the animation and family and preschool clear. " + GOOD_PITCH["synopsis"],
    }
    failed = _failed(Draft(pitch=copied, outline=GOOD_OUTLINE, hooks=GOOD_HOOKS), film_brief)
    assert "12 to 30 words" in failed["plain pitch text"]
    garbled = {**GOOD_PITCH, "logline": "BREEFYING: " + GOOD_PITCH["logline"]}
    failed = _failed(Draft(pitch=garbled, outline=GOOD_OUTLINE, hooks=GOOD_HOOKS), film_brief)
    assert "BREEFYING" in failed["plain pitch text"]
    fields = hard_failures(Draft(pitch=garbled, outline=GOOD_OUTLINE, hooks=GOOD_HOOKS), film_brief, outline_wanted=5)
    assert fields == {"pitch.logline": ["plain pitch text"]}  # the synopsis is untouched
    plain = {**GOOD_PITCH, "logline": "A brief encounter on a storm-bound rock turns a keeper and a runaway into allies."}
    assert "plain pitch text" not in _failed(Draft(pitch=plain, outline=GOOD_OUTLINE, hooks=GOOD_HOOKS), film_brief)
    named = {**GOOD_HOOKS, "content_tags": ["BRIEF_TAGLINE", "survival"]}  # a fence run into a name
    tags = hard_failures(Draft(pitch=GOOD_PITCH, outline=GOOD_OUTLINE, hooks=named), film_brief, outline_wanted=5)
    assert tags == {"hooks.content_tags": ["plain hooks text"]}


def test_a_rating_above_what_the_content_shows_fails_unless_the_genre_carries_it(film_brief: Brief) -> None:
    cozy = _brief(
        film_brief,
        genres=["cozy", "simulation"],
        constraints=film_brief.constraints.model_copy(update={"age_rating_ceiling": "R"}),
    )
    rated_r = Draft(pitch=GOOD_PITCH, outline=GOOD_OUTLINE, hooks={**GOOD_HOOKS, "age_rating": "R"})
    assert "nothing in the draft or its genres goes beyond PG-13" in _failed(rated_r, cozy)["rating fits the content"]
    assert hard_failures(rated_r, cozy, outline_wanted=5) == {"hooks.age_rating": ["rating fits the content"]}
    horror = _brief(cozy, genres=["horror"])
    assert "rating fits the content" not in _failed(rated_r, horror)


def test_hard_checks_are_flagged_and_a_broken_field_does_not_cost_its_neighbours(film_brief: Brief) -> None:
    hooks = {**GOOD_HOOKS, "taglines": ["taglines: first", "Seven nights. One lamp.", "The storm is not the only threat."]}
    draft = Draft(pitch=GOOD_PITCH, outline=GOOD_OUTLINE, hooks=hooks)
    checks = {c.name: c for c in check_draft(draft, film_brief, outline_wanted=5)}
    assert checks["plain hooks text"].hard and not checks["plain hooks text"].passed
    assert not checks["synopsis length"].hard and not checks["must-include elements"].hard
    assert hard_failures(draft, film_brief, outline_wanted=5) == {"hooks.taglines": ["plain hooks text"]}
