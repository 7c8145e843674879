"""`greenroom doctor`: check that everything greenroom needs here is installed and working."""

from __future__ import annotations

import typer
from rich.markup import escape

from greenroom.interfaces.cli.common import console, out
from greenroom.interfaces.settings import Settings

MARKS = {"ok": "[green]✔[/green]", "warn": "[yellow]![/yellow]", "fail": "[red]✘[/red]"}


def doctor() -> None:
    """Check Python, the data folder, the model (it decodes a short answer and reports its speed), the catalog,
    the trained models, and any configured queue broker, PostgreSQL or Chroma server. Exits 1 when something is broken."""
    from greenroom.interfaces.doctor import run_checks

    settings = Settings()
    failed = 0
    console.print("greenroom doctor: checking this setup (the model check loads the model: a few seconds)")
    for check in run_checks(settings):
        out.print(f"{MARKS[check.outcome]} [bold]{check.name}[/bold]: {escape(check.found)}", soft_wrap=True)
        if check.fix:
            out.print(f"    fix: {escape(check.fix)}", soft_wrap=True)
        failed += check.outcome == "fail"
    if failed:
        out.print(
            f"[red]{failed} check{'s' if failed > 1 else ''} failed[/red]: fix {'them' if failed > 1 else 'it'} and run greenroom doctor again"
        )
        raise typer.Exit(1)
    out.print("[green]everything greenroom needs is working[/green]")


def register(app: typer.Typer) -> None:
    """Add `doctor` to the main command."""
    app.command()(doctor)
