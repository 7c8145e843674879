"""The `greenroom` command line: one module per command group, each added here by its `register`.

The order below is the order of `greenroom --help`: commands first, then the
groups (runs, catalog, models, keys).
"""

from __future__ import annotations

from greenroom.interfaces.cli import (
    api,
    brief,
    catalog,
    chat,
    doctor,
    launch,
    models,
    plan,
    pool,
    promotion,
    results,
    slack,
    viewers,
)
from greenroom.interfaces.cli.common import EXIT_BAD_INPUT, EXIT_CAP, EXIT_MODEL_FAILED, app

__all__ = ["EXIT_BAD_INPUT", "EXIT_CAP", "EXIT_MODEL_FAILED", "app", "main"]

brief.register(app)
launch.register(app)
pool.register(app)
catalog.register(app)
viewers.register(app)
results.register(app)
promotion.register(models.models_app)
models.register(app)
plan.register(app)
api.register(app)
slack.register(app)
chat.register(app)
doctor.register(app)


def main() -> None:
    """Entry point of the `greenroom` console script."""
    app(prog_name="greenroom")
