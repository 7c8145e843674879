"""The launch graph's agents, each declared once: what runs, after what, on which brief fields, in which words,
and where its result goes.

`build_launch_graph` reads everything from these declarations: the edges (a step runs after the steps it
names in `after`; steps with nothing between them run in parallel), the revision rules (which brief fields
re-run a step, and which steps re-run with it), the progress labels, and the launch package's sections.
Adding an agent is one `AgentStep` in `LAUNCH_STEPS`, or one passed to `build_launch_graph`: an agent whose
result is not one of the package's own sections lands in the package's `extras` under its name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from greenroom.agents.analyst import analyse
from greenroom.agents.context import AgentContext
from greenroom.agents.editor import review_draft
from greenroom.agents.marketer import market
from greenroom.agents.pricing import price
from greenroom.agents.writer import write
from greenroom.graphs.write import writing_done


@dataclass(frozen=True)
class Reviewer:
    """A step that reviews another step's result and sends it back until `done` says the loop ends."""

    name: str
    """The reviewing node's name."""
    node: Callable[..., Any]
    """`(state, runtime) -> dict`, like any step's node."""
    label: str
    """What the review does, in words, for progress displays."""
    who: str
    """Who reviews, for progress a person reads."""
    done: Callable[[Any, AgentContext], bool]
    """`(state, context) -> bool`: whether the loop ends after this review."""
    sections: tuple[str, ...] = ()
    """The state keys it sets that the launch package carries as sections of the same name."""


@dataclass(frozen=True)
class AgentStep:
    """One agent of the launch graph, declared in one place."""

    name: str
    """The node's name: in the graph, the accounting and the progress display."""
    node: Callable[..., Any]
    """`(state, runtime) -> dict` or `(state) -> dict`, returning only the keys it changed (and its `calls`)."""
    label: str
    """What the step does, in words, for progress displays."""
    who: str
    """Who does it, for progress a person reads."""
    brief_fields: frozenset[str]
    """The top-level brief fields it reads: a revision that changes one re-runs it."""
    after: tuple[str, ...] = ()
    """The steps it runs after. Steps with no order between them run at the same time."""
    reads: tuple[str, ...] = ()
    """The steps whose results it reads: re-running one of them re-runs this one too."""
    sections: tuple[str, ...] = ()
    """The state keys it sets that the launch package carries as sections of the same name. None: what the node
    returns (less its `calls`) goes into the package's `extras` under the step's name."""
    on_note: bool = False
    """Whether a change asked for in words (a revision note) re-runs it."""
    fresh: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """State it starts again from when a revision re-runs it."""
    reviewer: Reviewer | None = None
    """A step that reviews its result and sends it back, in a loop, before the next steps run."""


def _draft_settled(state: Any, context: AgentContext) -> bool:
    return writing_done(state, context.max_edit_rounds)


LAUNCH_STEPS: tuple[AgentStep, ...] = (
    AgentStep(
        name="analyst",
        node=analyse,
        label="comparables, forecast and segments",
        who="Audience analyst",
        brief_fields=frozenset(
            {
                "logline",
                "genres",
                "format",
                "audience",
                "length",
                "budget",
                "business_model",
                "constraints",
                "release",
                "territories",
                "studio",
            }
        ),  # the forecast reads the release year, the US share, the studio
        sections=("audience",),
    ),
    AgentStep(
        name="writer",
        node=write,
        label="draft written",
        who="Writer",
        brief_fields=frozenset({"working_title", "logline", "genres", "format", "audience", "tone", "length", "constraints"}),
        after=("analyst",),
        sections=("draft",),
        on_note=True,
        fresh=MappingProxyType({"round": 0, "review": None}),  # a fresh writing pass with its own round cap
        reviewer=Reviewer(
            name="editor", node=review_draft, label="draft reviewed", who="Editor", done=_draft_settled, sections=("review",)
        ),
    ),
    AgentStep(
        name="marketer",
        node=market,
        label="release window, promotion split and ad copy",
        who="Marketer",
        brief_fields=frozenset({"budget", "release", "business_model", "territories", "format", "audience", "genres"}),
        after=("writer",),
        reads=("analyst", "writer"),  # the analyst's segments steer the targeting; the draft seeds the ad copy
        sections=("release_plan", "promotion_plan"),
    ),
    AgentStep(
        name="pricing",
        node=price,
        label="price points and offers",
        who="Pricing",
        brief_fields=frozenset({"business_model", "budget", "territories", "format"}),
        after=("writer",),
        sections=("pricing_plan",),
    ),
)
"""The launch graph's agents, in the order a first run starts them."""


def step_labels(steps: Iterable[AgentStep] = LAUNCH_STEPS) -> dict[str, str]:
    """What each launch step does, in words, for progress displays."""
    labels = {"intake": "brief checked"}
    for step in steps:
        labels[step.name] = step.label
        if step.reviewer:
            labels[step.reviewer.name] = step.reviewer.label
    return labels | {"assemble": "launch package assembled"}


def step_names(steps: Iterable[AgentStep] = LAUNCH_STEPS) -> dict[str, str]:
    """Who does each launch step, for progress a person reads."""
    names = {"intake": "Intake"}
    for step in steps:
        names[step.name] = step.who
        if step.reviewer:
            names[step.reviewer.name] = step.reviewer.who
    return names | {"assemble": "Assembly", "approval": "Approval"}


STEP_LABELS = step_labels()
"""What each step of the launch graph does, in words, for progress displays."""
STEP_NAMES = step_names()
"""Who does each step of the launch graph, for progress a person reads."""
