"""CLI command `greenroom models fit-promotion HISTORY.csv`: fit channel curves to a user's history.

Registered on the `models` sub-app by `register`; the command only reads the file, calls
`tools.promotion.fit_channel_curves`, prints the table and saves the JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from greenroom.core.numbers import compact
from greenroom.interfaces.settings import Settings

if TYPE_CHECKING:
    from greenroom.core.market import FittedChannels


def fitted_table(fitted: FittedChannels) -> Table:
    """The fitted parameters, their standard errors and the fit quality, one row per channel."""
    table = Table(title=f"Promotion curves fitted on {fitted.source}", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("channel", no_wrap=True)
    for column in ("top/week", "half-sat.", "shape", "decay", "weeks", "R²"):
        table.add_column(column, justify="right", no_wrap=True)
    quality = {d.channel: d for d in fitted.diagnostics}
    for c in fitted.curves:
        u, d = c.uncertainty, quality[c.name]
        table.add_row(
            c.name,
            f"{compact(c.top)}±{u.top:.0%}",
            f"{compact(c.half_saturation)}±{u.half_saturation:.0%}",
            f"{c.shape:.2f}±{u.shape:.2f}",
            f"{c.decay:.2f}±{u.decay:.2f}",
            str(d.n_weeks),
            f"{d.r2:.3f}",
        )
    return table


def register(models_app: typer.Typer) -> None:
    """Add `fit-promotion` to the `models` command group."""

    @models_app.command("fit-promotion")
    def fit_promotion(
        history: Annotated[
            Path, typer.Argument(help="CSV with columns week, channel, spend, response; one row per channel per week.")
        ],
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Where to save the fitted curves (JSON). Default: DATA_DIR/models/promotion.json."),
        ] = None,
    ) -> None:
        """Fit each channel's adstock and saturation curve to your weekly spend and response."""
        from greenroom.tools.promotion import (
            PromotionInputError,
            fit_channel_curves,
            load_promotion_history,
            save_fitted_channels,
        )

        console = Console()
        try:
            fitted = fit_channel_curves(load_promotion_history(history), source=history.name)
        except PromotionInputError as exc:
            Console(stderr=True).print(f"[red]{escape(str(history))}: {escape(str(exc))}[/red]", soft_wrap=True)
            raise typer.Exit(code=2) from exc
        settings = Settings()
        target = out if out is not None else settings.data_dir / "models" / "promotion.json"
        save_fitted_channels(fitted, target)
        console.print(fitted_table(fitted))
        console.print(f"Saved to {target}. ± is one standard error (relative for top and half-saturation).")
