"""greenroom's Python API: a brief in, a launch package out.

    from greenroom import launch
    package = launch("examples/briefs/night-shift-film.yaml")
    print(package.release_plan.chosen.start, package.pricing_plan.tiers[0].recommended.price)

`launch` accepts a path, a mapping or a `Brief`, and settings (default: from
the environment, as the CLI reads them). `alaunch` is its async twin; it runs
the blocking graph in a worker thread so an event loop stays responsive.
Both raise `BriefError` for a bad brief and `LaunchError` when the run ends
without a package (a failed model, a spent cap, a rejection).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from greenroom.core.brief import Brief, BriefError, load_brief, parse_brief
from greenroom.core.package import LaunchPackage
from greenroom.core.vocabulary import status_words

if TYPE_CHECKING:
    from greenroom.interfaces.settings import Settings

__all__ = ["Brief", "BriefError", "LaunchError", "LaunchPackage", "Settings", "alaunch", "launch"]


class LaunchError(RuntimeError):
    """The run ended without a launch package; `status` and the message say why."""

    def __init__(self, run_id: str, status: str, message: str) -> None:
        self.run_id, self.status = run_id, status
        super().__init__(f"run {run_id} ended {status_words(status)}: {message}")


def _brief(brief: Brief | Mapping[str, Any] | str | Path) -> Brief:
    if isinstance(brief, Brief):
        return brief
    if isinstance(brief, Mapping):
        return parse_brief(dict(brief))
    return load_brief(brief)


def launch(brief: Brief | Mapping[str, Any] | str | Path, settings: Settings | None = None) -> LaunchPackage:
    """Run the launch graph on a brief and return its package (also written to the output folder)."""
    from greenroom.interfaces.runs import agent_context, launch_run
    from greenroom.interfaces.settings import Settings

    checked = _brief(brief)
    settings = settings or Settings()
    outcome = launch_run(checked, settings, agent_context(settings))
    if outcome.package is None or outcome.status not in ("done", "approved"):
        raise LaunchError(outcome.run_id, outcome.status, outcome.message)
    return outcome.package  # type: ignore[no-any-return]


async def alaunch(brief: Brief | Mapping[str, Any] | str | Path, settings: Settings | None = None) -> LaunchPackage:
    """`launch` for async code."""
    return await asyncio.to_thread(launch, brief, settings)


def __getattr__(name: str) -> Any:
    # Settings lives with the interfaces; importing it lazily keeps `import greenroom.core...` light.
    if name == "Settings":
        from greenroom.interfaces.settings import Settings

        return Settings
    raise AttributeError(f"module 'greenroom' has no attribute {name!r}")
