"""What the graphs' nodes receive at run time, besides their state.

`interfaces/` builds this once from the settings; nodes read it through
`runtime.context` and never touch the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tools.llm import ModelHandle

if TYPE_CHECKING:
    from store.catalog import Catalog
    from tools.training import TrainedModels


@dataclass
class AgentContext:
    """Models, stores and limits handed to every node of a run."""

    model: ModelHandle
    """The generation model every agent writes with."""
    max_edit_rounds: int = 2
    """Writer/editor rounds before the draft is returned as it stands."""
    catalog: Catalog | None = None
    """The title catalog the analyst searches; None leaves comparables out (and says so)."""
    trained: TrainedModels | None = None
    """The analyst's trained predictors; None leaves forecasts and segments out (and says so)."""
    approval: bool = False
    """Pause after assembly until a person accepts, edits, responds or rejects."""
    max_tokens: int = 0
    """Stop the run cleanly before a step once this many tokens are spent; 0 means no cap."""
    max_cost: float = 0.0
    """Stop the run cleanly before a step once this much (USD, estimated) is spent; 0 means no cap."""
