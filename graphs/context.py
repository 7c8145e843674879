"""What the graphs' nodes receive at run time, besides their state.

`interfaces/` builds this once from the settings; nodes read it through
`runtime.context` and never touch the environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.llm import ModelHandle


@dataclass
class AgentContext:
    """Models and limits handed to every node of a run."""

    model: ModelHandle
    """The generation model every agent writes with."""
    max_edit_rounds: int = 2
    """Writer/editor rounds before the draft is returned as it stands."""
