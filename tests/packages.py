"""Launch packages built offline from the real engines, for tests of what consumes a package.

`make_package(brief_name, data_dir)` runs the whole launch graph (intake, analyst,
writer ⇄ editor, marketer, pricing, assemble) with a scripted model that answers by
schema title: the writer's and editor's replies from `tests.drafts`, readable ad
copy and rationales, and a schema-filled instance for anything else. The catalog
is in memory (a few titles with critics' scores and box office) and the analyst's
models are the small test configuration, trained once into `data_dir`. Packages
are cached per (brief, data folder) for the whole session: treat them as read-only.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage

from greenroom.agents.context import AgentContext
from greenroom.core.brief import load_brief
from greenroom.core.package import LaunchPackage
from greenroom.graphs.launch import build_launch_graph
from greenroom.models.fake_model import ScriptedChatModel, fill_schema
from greenroom.models.llm import ModelHandle
from greenroom.store.catalog import Catalog, Title
from greenroom.tools.training import TrainingConfig, load_or_train
from tests.drafts import APPROVE, GOOD_HOOKS, GOOD_OUTLINE, GOOD_PITCH

BRIEFS = Path(__file__).resolve().parent.parent / "examples" / "briefs"

CATALOG = [
    {"title": "Storm Light", "year": 2009, "genres": ["thriller", "drama"], "rotten_tomatoes": 81, "box_office": 42_000_000,
     "synopsis": "A lighthouse keeper shelters a runaway during a storm while salvagers circle a wreck."},
    {"title": "The Keeper's Daughter", "year": 1998, "genres": ["drama"], "rotten_tomatoes": 64, "box_office": 12_500_000,
     "synopsis": "A girl grows up on a lighthouse island and keeps the lamp lit.", "reviews": "A moving, beautiful film."},
    {"title": "Tide Watch", "year": 2012, "genres": ["thriller"], "metacritic": 58,
     "synopsis": "A coast guard officer and a smuggler are stranded on a rock as the tide rises."},
    {"title": "Laser Knights", "year": 2011, "genres": ["sci-fi", "action"], "rotten_tomatoes": 30, "box_office": 95_000_000,
     "synopsis": "Knights with lasers fight robots on a space station."},
    {"title": "Slice of Chicago", "year": 2008, "genres": ["documentary", "history"], "rotten_tomatoes": 88,
     "synopsis": "Three generations of a pizzeria family tell the story of their neighbourhood."},
    {"title": "Pasta Love", "year": 2005, "genres": ["romance", "comedy"], "synopsis": "Two chefs fall in love in Rome."},
]  # fmt: skip

REPLIES: dict[str, dict[str, Any]] = {
    "Pitch": GOOD_PITCH,
    "Outline": GOOD_OUTLINE,
    "Hooks": GOOD_HOOKS,
    "EditorJudgement": APPROVE,
    "AnalystSummary": {
        "headline": "Close comparables are mid-budget thrillers that reached a steady adult audience.",
        "summary": "The nearest titles in the catalog are storm-bound thrillers and dramas. The forecast interval is wide, "
        "so the launch should plan for the middle of it rather than the top.",
    },
    "MarketingRationale": {
        "release": "The chosen window has the strongest viewing demand among the candidates and little same-genre competition.",
        "promotion": "Spend goes first to the channels that add the most people per dollar and tapers as each one saturates.",
    },
    "PricingRationale": {"rationale": "Each recommended price sits where expected revenue peaks on its tier's curve."},
    "AdCopyShort": {"variants": ["Keep the light burning", "One lamp. One storm."]},
    "AdCopy": {"variants": ["A keeper, a runaway and a storm that will not end.", "One lighthouse against a salvage crew."]},
    "AdCopyLong": {"variants": ["One lighthouse stands against a salvage crew.", "Salt, wind and a lamp that must not go out."]},
}
"""Replies by requested schema title; any other schema is filled with `fill_schema`."""


LINE_SCHEMAS = {60: "AdCopyShort", 120: "AdCopy", 200: "AdCopyLong"}
"""The ad-line schema title for each line length a channel allows (agents.marketer.AD_COPY_SCHEMA)."""


def by_channel(schema: dict[str, Any], reply_for: Callable[[str], Any]) -> Any:
    """The reply to the marketer's one ad-copy request for several channels, made of the per-format replies that
    `reply_for` gives by schema title ({"variants": [...]}); a reply that is not a dict (raw text) stands for all."""
    found: dict[str, Any] = {}
    for key, spec in schema["properties"].items():
        reply = reply_for(LINE_SCHEMAS[int(spec["items"]["maxLength"])])
        if not isinstance(reply, dict):
            return reply
        found[key] = reply["variants"]
    return found


def _answerer(replies: dict[str, dict[str, Any]]) -> Any:
    def answer(messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        schema = (kwargs.get("extra_body") or {}).get("response_format", {}).get("schema")
        if not schema:
            return "An offline answer from the scripted model."
        title = str(schema.get("title", ""))
        reply = by_channel(schema, lambda t: replies.get(t)) if title == "AdCopyByChannel" else replies.get(title)
        return json.dumps(reply if reply is not None else fill_schema(schema))

    return answer


def story_model(calls: int = 200, replies: dict[str, dict[str, Any]] | None = None) -> ModelHandle:
    """A scripted model with readable content for every agent, good for `calls` model calls.

    `replies` replaces the answers for the schemas it names (by schema title, as in REPLIES).
    """
    chat = ScriptedChatModel(replies=[_answerer({**REPLIES, **(replies or {})})] * calls)
    return ModelHandle(
        chat=chat, label="fake:story", structured_mode="llamacpp", max_tokens=300, llamacpp_params={"max_tokens": 300}
    )


def small_catalog() -> Catalog:
    """An in-memory catalog of the titles above."""
    catalog = Catalog.memory()
    catalog.upsert([Title(source="test", **row) for row in CATALOG])
    return catalog


@functools.cache
def make_package(
    brief_name: str = "night-shift-film.yaml", data_dir: Path | None = None, unusable: tuple[str, ...] = ()
) -> LaunchPackage:
    """The launch package the graph assembles for an example brief (cached; do not mutate it).

    `data_dir` holds the small trained models; pass the same folder as the
    `trained_small` fixture (`tmp_path_factory.getbasetemp() / "greenroom-data"`)
    so they are trained once per session. None leaves the models out, so the
    package has no forecast or segments. `unusable` names schema titles (e.g.
    "MarketingRationale") the model answers with an empty object every time, so
    their text falls back to the one stated from the numbers.
    """
    trained = load_or_train(data_dir, config=TrainingConfig.small()) if data_dir is not None else None
    model = story_model(replies={title: {} for title in unusable})
    # One answer per request, so the scripted model is asked for the rationales too (on a llama.cpp model the
    # default asks for none of them: models.candidates.LLAMACPP_RATIONALE_CANDIDATES).
    context = AgentContext(model=model, max_edit_rounds=1, catalog=small_catalog(), trained=trained, writer_candidates=1)
    state = build_launch_graph().compile().invoke({"brief": load_brief(BRIEFS / brief_name)}, context=context)
    package: LaunchPackage = state["package"]
    return package.model_copy(update={"run_id": f"test-{Path(brief_name).stem}"})
