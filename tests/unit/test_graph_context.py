"""The graphs run from JSON alone, as LangGraph's own server hands them a run: a JSON context and a JSON brief."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from greenroom.agents.context import AgentContext, resources
from greenroom.core.brief import Brief, BriefError
from greenroom.graphs.launch import build_launch_graph
from greenroom.graphs.plan import build_plan_graph
from greenroom.graphs.write import build_write_graph


@pytest.fixture
def json_context(tmp_path: Path) -> Any:
    """A run context as LangGraph's server passes it: JSON."""
    return {"model_settings": {"provider": "fake"}, "use_catalog": False, "use_trained_models": False,
            "data_dir": str(tmp_path / "data"), "max_edit_rounds": 1}  # fmt: skip


def test_a_json_context_builds_its_resources_once_and_runs_share_them(json_context: Any) -> None:
    first, second = AgentContext(**json_context), AgentContext(**json_context)
    assert first.model is second.model is resources(first).model
    assert first.model.label == "fake:schema-filler" and first.catalog is None and first.trained is None


def test_handed_in_resources_are_used_as_they_are(scripted: Any) -> None:
    model = scripted()
    context = AgentContext(model=model, approval=True)
    assert context.model is model and context.catalog is None and context.trained is None  # nothing is built
    again = replace(context, max_tokens=10)
    assert again.model is model and again.approval and again.max_tokens == 10


def test_the_published_context_schema_holds_the_settings_only() -> None:
    schema = build_launch_graph().compile().get_context_jsonschema()
    assert schema is not None
    assert {"approval", "max_edit_rounds", "model_settings", "data_dir", "use_catalog"} <= set(schema["properties"])
    assert not {"model", "catalog", "trained"} & set(schema["properties"])


def test_bad_settings_are_rejected_by_name(json_context: Any) -> None:
    with pytest.raises(ValidationError, match="max_edit_rounds"):
        AgentContext(**{**json_context, "max_edit_rounds": 0})


def test_write_and_plan_run_from_a_json_brief(json_context: Any, film_brief: Brief) -> None:
    brief: Any = film_brief.model_dump(mode="json")
    written = build_write_graph().compile().invoke({"brief": brief}, context=json_context)
    assert written["outcome"] in ("approved", "max_rounds") and written["draft"].pitch
    plan_input: Any = {"brief": brief, "marketing": {"campaign_weeks": 4}}  # marketing inputs as JSON too
    planned = build_plan_graph().compile().invoke(plan_input, context=json_context)
    assert planned["pricing_plan"] and planned["promotion_plan"]


def test_a_json_brief_that_does_not_validate_names_every_bad_field(json_context: Any, film_brief: Brief) -> None:
    brief: Any = film_brief.model_dump(mode="json") | {"budget": {"amount": -1}}
    del brief["format"]
    with pytest.raises(BriefError) as caught:
        build_write_graph().compile().invoke({"brief": brief}, context=json_context)
    assert {e.field for e in caught.value.errors} == {"format", "budget.amount"}


def test_a_served_graph_copied_as_langgraphs_server_does_revives_its_artifacts(tmp_path: Path, film_brief: Brief) -> None:
    """LangGraph's server copies each served graph per run and gives it a checkpointer whose strict serializer
    revives LangGraph's own safe types only: the copy runs on the server's settings, and what it checkpointed
    comes back as the project's models, not as plain dicts."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    from greenroom.agents.context import RunSettings, ServedContext, serve_with
    from greenroom.core.schemas import Draft, EditReview
    from greenroom.core.settings import ModelSettings
    from greenroom.graphs.served import served

    serve_with(RunSettings(model_settings=ModelSettings(provider="fake"), data_dir=str(tmp_path / "server"), use_catalog=False))
    try:
        graph = served(build_write_graph())
        assert graph.context_schema is ServedContext and graph.checkpointer is None
        strict = JsonPlusSerializer(allowed_msgpack_modules=None)  # as the server's serializer in strict mode
        copy = graph.copy({"checkpointer": InMemorySaver(serde=strict)})
        config: Any = {"configurable": {"thread_id": "served-1"}}
        copy.invoke({"brief": film_brief.model_dump(mode="json")}, config, context={"max_edit_rounds": 1})
        values = copy.get_state(config).values
        assert isinstance(values["draft"], Draft) and isinstance(values["review"], EditReview)
    finally:
        serve_with(RunSettings())


def test_a_run_is_driven_as_its_own_tenants_whoever_resumes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A terminal chat or a CLI resume hands in a context of the default tenant; the analyst must still score the
    # run's own tenant's viewers.
    from greenroom.core.settings import ModelSettings
    from greenroom.interfaces import runs
    from greenroom.interfaces.settings import Settings

    settings = Settings(_env_file=None, data_dir=tmp_path / "data", output_dir=tmp_path / "out",  # type: ignore[call-arg]
                        model=ModelSettings(provider="fake"))  # fmt: skip
    runs.registry(settings).register("r1", "A film", {}, tenant="acme", job=None)
    seen: list[str] = []

    def fake_graph(name: str, graph_input: Any, run_id: str, settings: Any, context: Any, **_: Any) -> Any:
        seen.append(context.tenant)
        return runs.RunOutcome(run_id=run_id, status="failed", message="stopped for the test")

    monkeypatch.setattr(runs, "run_graph", fake_graph)
    context = runs.agent_context(settings, analyst=False)
    assert context.tenant == "default"
    runs.resume_run("r1", settings, context)
    assert seen == ["acme"]
