"""A run's input checked at the graph's entry.

greenroom's interfaces hand the graphs validated models; LangGraph's own server
(`langgraph dev`, Studio, the SDK) hands them JSON. Each graph turns what came
as plain data into greenroom's models before a node reads it: a brief that
does not validate stops the run with a BriefError naming every bad field.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from langgraph.runtime import Runtime
from pydantic import BaseModel

from greenroom.agents.context import AgentContext
from greenroom.core.audience import AudienceReport
from greenroom.core.brief import Brief, BriefError, FieldError, parse_brief
from greenroom.core.market import PricingAssumptions
from greenroom.core.plans import MarketingInputs
from greenroom.core.schemas import Draft

# What a caller may add to the brief, by state key.
EXTRA_INPUTS: dict[str, type[BaseModel]] = {
    "draft": Draft,
    "audience": AudienceReport,
    "marketing": MarketingInputs,
    "pricing_assumptions": PricingAssumptions,
}


def checked_brief(raw: Any) -> Brief:
    """The brief as a Brief, from a Brief, a mapping or a JSON object (BriefError names every bad field)."""
    if isinstance(raw, Brief):
        return raw
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise BriefError([FieldError(field="brief", message=f"not valid JSON: {exc}")]) from exc
    return parse_brief(raw)


def checked_inputs(state: Mapping[str, Any]) -> dict[str, Any]:
    """The input keys of `state` that arrived as plain data, as greenroom's models; keys already checked are left out."""
    out: dict[str, Any] = {}
    if "brief" in state and not isinstance(state["brief"], Brief):
        out["brief"] = checked_brief(state["brief"])
    for key, model in EXTRA_INPUTS.items():
        if isinstance(state.get(key), Mapping):
            out[key] = model.model_validate(state[key])
    return out


class Node(Protocol):
    """A node that reads the run's context; LangGraph passes the runtime by keyword, so the name matters."""

    def __call__(self, state: Any, runtime: Runtime[AgentContext]) -> Any: ...


def with_checked_inputs(node: Callable[[Any, Runtime[AgentContext]], Any]) -> Node:
    """Wrap an entry node so that it reads checked inputs (the state keeps what the caller sent)."""

    def run(state: Any, runtime: Runtime[AgentContext]) -> Any:
        return node({**state, **checked_inputs(state)}, runtime)

    run.__name__ = getattr(node, "__name__", "node")
    run.__doc__ = node.__doc__
    return run
