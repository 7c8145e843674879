"""Model replies for the writer and editor, as a scripted model would give them."""

from __future__ import annotations

from typing import Any

GOOD_PITCH = {
    "logline": "A stubborn keeper and a runaway girl guard a failing lighthouse through a storm while salvagers close in.",
    "synopsis": (
        "When a week-long storm cuts the island off, retired keeper Maren finds a runaway teenager sheltering in the lamp room. "
        "The storm batters the tower, and the salvage crew anchored offshore wants the lamp dark so a wreck can be stripped. "
        "Through tense nights of failing generators and quiet confessions, the two learn to trust each other. "
        "This thriller drama ends with the lamp still burning and the salvage crew sent away empty-handed."
    ),
}
GOOD_OUTLINE = {
    "outline": [
        {"heading": "The storm arrives", "summary": "The storm cuts the island off and Maren finds the girl in the lamp room."},
        {"heading": "Lights offshore", "summary": "The salvage crew's boat circles the wreck and radios a warning."},
        {"heading": "The generator fails", "summary": "They rebuild the generator by hand while the tower shakes."},
        {"heading": "The offer", "summary": "The crew offers money to let the lamp go dark for one night."},
        {"heading": "Dawn", "summary": "The lamp burns through the last night and the crew leaves."},
    ]
}
GOOD_HOOKS = {
    "taglines": ["Keep the light burning.", "Seven nights. One lamp. No rescue.", "The storm is not the only threat."],
    "ad_copy": [
        "A tense thriller drama about a keeper, a runaway and a storm that will not end.",
        "This autumn, one lighthouse stands between a salvage crew and a fortune.",
        "Salt, wind and a lamp that must not go out. In cinemas this autumn.",
    ],
    "content_tags": ["thriller", "drama", "survival"],
    "age_rating": "PG-13",
}
BAD_HOOKS = {
    **GOOD_HOOKS,
    "age_rating": "R",
    "taglines": ["Keep the light burning.", "Keep the light burning!", "A storm of suicide."],
}
APPROVE = {"fit_to_brief": 4, "voice": 4, "originality": 3, "verdict": "approve", "notes": []}
REVISE = {
    "fit_to_brief": 2,
    "voice": 3,
    "originality": 2,
    "verdict": "revise",
    "notes": ["Make the salvage crew a sharper threat."],
}


def round_replies(hooks: dict[str, Any] = GOOD_HOOKS, judgement: dict[str, Any] = APPROVE) -> list[dict[str, Any]]:
    """The four replies of one writer/editor round: pitch, outline, hooks, judgement."""
    return [GOOD_PITCH, GOOD_OUTLINE, hooks, judgement]
