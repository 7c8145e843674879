"""What flows through the graphs: input, internal state, output."""

from __future__ import annotations

import operator
from typing import Annotated, Literal

from typing_extensions import TypedDict

from graphs.brief import Brief
from graphs.schemas import CallRecord, Draft, EditReview


class WriteInput(TypedDict):
    """What the writer/editor loop starts from."""

    brief: Brief
    """The validated brief."""


class WriteState(WriteInput, total=False):
    """The writer/editor loop's working state."""

    draft: Draft | None
    """The latest draft."""
    review: EditReview | None
    """The editor's latest review."""
    reviews: Annotated[list[EditReview], operator.add]
    """Every review so far, oldest first."""
    round: int
    """How many writer rounds have run."""
    calls: Annotated[list[CallRecord], operator.add]
    """Every model call, for accounting."""
    outcome: Literal["approved", "max_rounds"]
    """How the loop ended."""
