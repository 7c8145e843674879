"""CLI command `greenroom plan BRIEF`: release, promotion and pricing plans for a brief.

Registered on the main app by `register(app)`. The command reads the brief and
the optional files, runs the plan graph on a checkpointed thread through
`interfaces.plans.run_plan`, and writes `plans.json` and `plans.md`. Bad input
(a brief field, a calendar or history row, a spend bound) exits 2 with the
field or row; a model that cannot be reached exits 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.markup import escape

from greenroom.core.brief import in_words
from greenroom.core.numbers import label, price
from greenroom.interfaces.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_MODEL_FAILED,
    Tenant,
    checked_tenant,
    console,
    fail_model,
    load,
    out,
)
from greenroom.interfaces.settings import Settings

if TYPE_CHECKING:  # the engines load when the command runs, so `greenroom --help` stays quick
    from greenroom.core.market import ChannelCurve, CompetingRelease


def engine_input_errors() -> tuple[type[Exception], ...]:
    """The engines' bad-input errors (imported on use: they load the engines)."""
    from greenroom.tools.pricing import PricingInputError
    from greenroom.tools.promotion import PromotionInputError
    from greenroom.tools.release import ReleaseInputError

    return (ReleaseInputError, PromotionInputError, PricingInputError)


def _bad_input(message: str) -> typer.Exit:
    console.print(f"[red]✘[/red] {escape(message)}", soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def parse_bounds(values: list[str], option: str) -> dict[str, float]:
    """`CHANNEL=AMOUNT` pairs into a mapping, naming the option and the pair that is wrong."""
    bounds: dict[str, float] = {}
    for value in values:
        name, sep, amount = value.partition("=")
        try:
            number = float(amount)
        except ValueError:
            number = float("nan")
        if not sep or not name.strip() or number != number:
            raise _bad_input(f"{option}: '{value}' is not CHANNEL=AMOUNT (e.g. search=5000)")
        bounds[name.strip()] = number
    return bounds


def _curves(history: Path | None, curves: Path | None) -> list[ChannelCurve] | None:
    from greenroom.tools.promotion import PromotionInputError, fit_channel_curves, load_channel_curves, load_promotion_history

    if history and curves:
        raise _bad_input("--history and --curves: give one or the other")
    try:
        if history:
            return fit_channel_curves(load_promotion_history(history), source=history.name).curves
        if curves:
            return load_channel_curves(curves)
    except PromotionInputError as exc:
        raise _bad_input(f"{history}: {exc}") from exc
    except ValidationError as exc:  # a curve outside the shared limits, named by field in words
        raise _bad_input(f"--curves: {curves}: {in_words(exc)}") from None
    except OSError as exc:
        raise _bad_input(f"--curves: cannot read {curves}: {exc.strerror}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise _bad_input(f"--curves: {curves} is not a channel-curve file (YAML defaults or JSON from fit-promotion)") from exc
    return None


def _competitors(calendar: Path | None) -> list[CompetingRelease]:
    from greenroom.tools.release import ReleaseInputError, load_release_calendar

    if calendar is None:
        return []
    try:
        return load_release_calendar(calendar)
    except ReleaseInputError as exc:
        raise _bad_input(f"{calendar}: {exc}") from exc


def _describe(node: str, changes: dict[str, Any]) -> str:
    calls = changes.get("calls", [])
    tokens, seconds = sum(c.output_tokens for c in calls), sum(c.seconds for c in calls)
    model = f"{len(calls)} model calls, {tokens} tokens in {seconds:.1f} s"
    if node == "marketer":
        release, promo = changes["release_plan"], changes["promotion_plan"]
        copy = sum(c.source == "model" for c in promo.ad_copy)
        funded = f"{len(promo.funded())} of {len(promo.allocation.channels)} channels funded"
        return (
            f"  [cyan]marketer[/cyan] launch {release.chosen.start.isoformat()} · {funded} · ad copy by the model for "
            f"{copy} of {len(promo.ad_copy)} · rationale {release.rationale_source} · {model}"
        )
    if node == "pricing":
        plan = changes["pricing_plan"]
        prices = (
            ", ".join(f"{label(t.tier)} {price(t.recommended.price, t.currency)}" for t in plan.recommendation.tiers)
            or "no viewer price"
        )
        return f"  [magenta]pricing[/magenta]  {prices} · rationale {plan.rationale_source} · {model}"
    return f"  {node}"


def register(app: typer.Typer) -> None:
    """Add the `plan` command to the main app."""

    @app.command("plan")
    def plan(
        brief: Annotated[Path, typer.Argument(help="A brief in YAML or JSON.")],
        output: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the plans (default: out/<run id>).")] = None,
        calendar: Annotated[
            Path | None, typer.Option("--calendar", help="Competing releases: CSV with title, date (YYYY-MM-DD), genres.")
        ] = None,
        history: Annotated[
            Path | None,
            typer.Option(
                "--history",
                help="Your weekly promotion history (CSV: week, channel, spend, response) to fit the channel curves on.",
            ),
        ] = None,
        curves: Annotated[
            Path | None, typer.Option("--curves", help="Channel curves saved by `models fit-promotion` (JSON).")
        ] = None,
        min_spend: Annotated[
            list[str] | None, typer.Option("--min-spend", help="Least total spend on a channel: CHANNEL=AMOUNT (repeatable).")
        ] = None,
        max_spend: Annotated[
            list[str] | None, typer.Option("--max-spend", help="Most total spend on a channel: CHANNEL=AMOUNT (repeatable).")
        ] = None,
        weeks: Annotated[
            int | None, typer.Option("--campaign-weeks", min=1, max=52, help="Campaign length in weeks (default by format).")
        ] = None,
        tenant: Tenant = "default",
    ) -> None:
        """Plan the release, the promotion and the pricing for a brief: numbers from the tools, words from the model."""
        from greenroom.core.plans import MarketingInputs
        from greenroom.interfaces.plans import run_plan, save_plan_result
        from greenroom.interfaces.runs import model_for, new_run_id
        from greenroom.interfaces.viewers import tenant_audience
        from greenroom.models.llm import ModelUnavailableError
        from greenroom.models.structured import StructuredOutputError

        loaded = load(brief)
        marketing = MarketingInputs(
            competitors=_competitors(calendar),
            channel_curves=_curves(history, curves),
            min_spend=parse_bounds(min_spend or [], "--min-spend"),
            max_spend=parse_bounds(max_spend or [], "--max-spend"),
            campaign_weeks=weeks,
        )
        settings = Settings()
        run_id = new_run_id()
        try:
            with console.status(f"starting the {settings.model.provider} model…"):
                model = model_for(settings)
            console.print(f"run [bold]{run_id}[/bold] · model {model.label}")
            with console.status("marketer and pricing: planning…"):
                tenant = checked_tenant(tenant)
                result = run_plan(
                    loaded, settings, model=model, run_id=run_id, marketing=marketing, tenant=tenant,
                    audience=tenant_audience(settings, loaded, tenant),
                    on_step=lambda node, changes: console.print(_describe(node, changes)),
                )  # fmt: skip
        except engine_input_errors() as exc:
            raise _bad_input(f"{brief}: {exc}") from exc
        except ModelUnavailableError as exc:
            fail_model(exc)
        except StructuredOutputError as exc:
            console.print(f"[red]✘[/red] {escape(str(exc))}")
            console.print(f"  the run's checkpoints are kept in {settings.checkpoint_location} (thread {run_id})")
            raise typer.Exit(EXIT_MODEL_FAILED) from exc
        folder = output or settings.output_dir / run_id
        paths = save_plan_result(result, loaded, folder)
        console.print("[green]✔[/green] plans written")
        out.print(str(folder))
        console.print(f"  {paths['json'].name}, {paths['markdown'].name}")
