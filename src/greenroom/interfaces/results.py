"""A running campaign's results: the functions the CLI and the REST API share.

Every call names a tenant, and a run is found only for the tenant that owns it. Results are
imported against the run's plan (its channels and campaign days); an update reads the stored
rows, updates the plan's curves, re-plans the weeks left and writes a new package version
whose report shows what the results showed, what moved and the creative winners.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from greenroom.core.market import ChannelCurve
from greenroom.core.numbers import amount, money
from greenroom.core.package import LaunchPackage
from greenroom.core.plans import MarketingInputs
from greenroom.core.results import ResultsUpdate
from greenroom.core.schemas import CallRecord
from greenroom.interfaces.outputs import render
from greenroom.interfaces.runs import registry
from greenroom.interfaces.settings import Settings
from greenroom.interfaces.viewers import run_package
from greenroom.models.llm import ModelHandle
from greenroom.store.results import ResultsImportReport, ResultStore, import_results
from greenroom.tools.campaign_sim import TrueCampaign
from greenroom.tools.promotion import weekly_reach
from greenroom.tools.results import creative_id, update_results

CHART_FILE = "curves.svg"
RESULTS_FILE = "results.md"


class PlanCurvesError(ValueError):
    """The run's plan names a channel whose curve cannot be found again (curves the brief's inputs gave)."""


def result_store(settings: Settings) -> ResultStore:
    """The campaign results: the shared database when one is set, else `results.sqlite` in the data folder."""
    settings.ensure_dirs()
    return ResultStore(settings.database_url or settings.data_dir / "results.sqlite")


def campaign_days(package: LaunchPackage) -> tuple[dt.date, dt.date]:
    """First and last day of the package's promotion campaign."""
    starts = package.promotion_plan.week_starts
    return starts[0], starts[-1] + dt.timedelta(days=6)


def import_run_results(settings: Settings, run_id: str, tenant: str, path: Path,
                       mapping: dict[str, str] | None = None) -> ResultsImportReport:  # fmt: skip
    """Import a results file for a run `tenant` owns (UnknownRunError otherwise; ImportFileError for an unreadable file)."""
    package = run_package(settings, run_id, tenant)
    first, last = campaign_days(package)
    channels = [c.channel for c in package.promotion_plan.allocation.channels]
    return import_results(path, result_store(settings), tenant=tenant, run_id=run_id, channels=channels, first_day=first,
                          last_day=last, mapping=mapping)  # fmt: skip


def plan_curves(package: LaunchPackage) -> list[ChannelCurve]:
    """The curves the plan was made with, in the allocation's channel order (the prior of every update)."""
    from greenroom.agents.marketer import channel_curves

    found = {c.name: c for c in channel_curves(package.brief, MarketingInputs(), package.audience)}
    names = [c.channel for c in package.promotion_plan.allocation.channels]
    missing = [n for n in names if n not in found]
    if missing:
        raise PlanCurvesError(f"the plan's channel(s) {', '.join(missing)} have no stated curve to update")
    return [found[n] for n in names]


def creative_texts(package: LaunchPackage) -> dict[str, str]:
    """Each ad-copy variant's text by its creative id (`search-1`, ...)."""
    return {creative_id(copy.channel, i): text for copy in package.promotion_plan.ad_copy for i, text in enumerate(copy.variants)}


def update_package(
    package: LaunchPackage, rows_frame: object, *, seed: int = 0, model: ModelHandle | None = None
) -> LaunchPackage:
    """The next package version: the plan as it was, with what the results showed and the re-plan of the weeks left.

    With a model, each stopped test whose winner is one of the package's lines gets a new variant in its direction.
    """
    import pandas as pd

    frame = rows_frame if isinstance(rows_frame, pd.DataFrame) else pd.DataFrame(rows_frame)
    plan = package.promotion_plan
    update = update_results(package.run_id, plan.allocation, plan_curves(package), frame, pd.Timestamp(plan.week_starts[0]),
                            creative_texts=creative_texts(package), seed=seed)  # fmt: skip
    note = f"re-planned after week {update.through_week} of {update.weeks} from the campaign's results"
    calls = list(package.calls)
    if model is not None:
        calls += ask_new_variants(model, package, update)
    return package.model_copy(update={"version": package.version + 1, "results": update, "revision_note": note,
                                      "created_at": dt.datetime.now(dt.UTC), "calls": calls})  # fmt: skip


def ask_new_variants(model: ModelHandle, package: LaunchPackage, update: ResultsUpdate) -> list[CallRecord]:
    """Fill `new_variant` of each stopped test whose winner the package wrote; returns the model calls made."""
    from greenroom.agents.ad_variants import new_variant

    texts = creative_texts(package)
    calls: list[CallRecord] = []
    for test in update.creative_tests:
        winner = texts.get(test.winner or "")
        if not winner:
            continue
        tested = [texts.get(a.creative_id, "") for a in test.arms]
        line, more = new_variant(model, package, test.channel, winner, tested)
        calls += more
        if line:
            test.new_variant, test.new_variant_id = line, creative_id(test.channel, len(tested))
    return calls


def update_run(settings: Settings, run_id: str, tenant: str, *,
               model: ModelHandle | None = None) -> tuple[LaunchPackage, dict[str, Path]]:  # fmt: skip
    """Update a run `tenant` owns from its stored results; the new version is saved and becomes the run's latest.

    With a model, the stopped tests get a new variant in the winner's direction (`ask_new_variants`).
    """
    from greenroom.interfaces.reports import save_package

    package = run_package(settings, run_id, tenant)
    rows = result_store(settings).rows(tenant, run_id)
    updated = update_package(package, rows, model=model)
    folder = settings.output_dir / run_id / f"v{updated.version}"
    paths = save_package(updated, folder)
    assert updated.results is not None
    paths.update(save_update(updated.results, folder))
    registry(settings).update(run_id, version=updated.version, output_dir=str(folder))
    return updated, paths


def results_lines(update: ResultsUpdate) -> list[str]:
    """What the results showed in a few lines, for a chat or Slack reply: reach, what moved, the creative tests."""
    lines = [f"Through week {update.through_week} of {update.weeks}: spent {money(update.spent, update.currency)}, "
             f"reached {amount(update.observed_reach.expected)} (gross)."]  # fmt: skip
    if update.replan_reach_left and update.plan_reach_left:
        lines.append(f"Weeks left: the plan reaches {amount(update.plan_reach_left.expected)}, the re-plan "
                     f"{amount(update.replan_reach_left.expected)} (better in {update.prob_replan_better:.0%} of draws).")  # fmt: skip
    for move in sorted(update.moves, key=lambda m: m.moved):
        if abs(move.moved) >= 0.01 * max(update.budget, 1):
            lines.append(f"{move.label}: {'+' if move.moved > 0 else ''}{money(move.moved, update.currency)}")
    for test in update.creative_tests:
        state = f"winner {test.winner}" if test.winner else f"leader {test.leader} ({test.arms[0].prob_best:.0%}), running"
        lines.append(f"Creatives on {test.channel}: {state}")
        if test.new_variant:
            lines.append(f"Next to test on {test.channel}, {test.new_variant_id}: {test.new_variant}")
    return lines


def save_update(update: ResultsUpdate, folder: Path) -> dict[str, Path]:
    """Write the results section on its own (`results.md`) with its chart (`curves.svg`) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    chart = folder / CHART_FILE
    chart.write_text(curve_chart_svg(update), encoding="utf-8")
    markdown = folder / RESULTS_FILE
    markdown.write_text(render("results.md.j2", r=update, chart=CHART_FILE), encoding="utf-8")
    return {"results": markdown, "chart": chart}


def simulated_truth(campaign: TrueCampaign, update: ResultsUpdate) -> str:
    """For a simulated campaign: the hidden curves and click rates beside the plan's and the update's, in Markdown."""
    lines = [
        f"# Hidden truth of the simulated campaign (results through week {update.through_week})",
        "",
        "| channel | true top | plan's top | updated top | true half-saturation | plan's | updated |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for true, u in zip(campaign.curves, update.curves, strict=True):
        lines.append(f"| {u.label} | {amount(true.top)} | {amount(u.prior.top)} | {amount(u.posterior.top)} | "
                     f"{money(true.half_saturation)} | {money(u.prior.half_saturation)} | {money(u.posterior.half_saturation)} |")  # fmt: skip
    lines += ["", "| channel | true click rates | truly best | test says |", "|---|---|---|---|"]
    for test in update.creative_tests:
        rates = ", ".join(f"{creative_id(test.channel, i)} {r:.2%}" for i, r in enumerate(campaign.click_rates[test.channel]))
        says = f"winner {test.winner}" if test.winner else f"leader {test.leader} ({test.arms[0].prob_best:.0%}), running"
        lines.append(f"| {test.channel} | {rates} | {campaign.best_creative(test.channel)} | {says} |")
    return "\n".join(lines) + "\n"


def curve_chart_svg(update: ResultsUpdate) -> str:
    """Prior against updated curve per channel (steady weekly spend, no carryover), observed weeks as points; SVG."""
    import io

    from matplotlib.figure import Figure

    cols = 4
    rows = max(1, -(-len(update.curves) // cols))
    fig = Figure(figsize=(cols * 2.6, rows * 2.2))
    for i, u in enumerate(update.curves):
        ax = fig.add_subplot(rows, cols, i + 1)
        seen = [o for o in u.observed if o.spend > 0]
        top_spend = max([o.spend for o in seen] + [u.prior.half_saturation * 2.5, u.posterior.half_saturation * 2.5])
        grid = np.linspace(0, top_spend, 60)
        for curve, style, name in ((u.prior, "--", "prior"), (u.posterior, "-", "updated")):
            steady = curve.model_copy(update={"decay": 0.0})
            ax.plot(grid / 1e3, weekly_reach([steady], grid[None, :])[0] / 1e6, style, label=name, linewidth=1.2)
        if seen:
            ax.plot([o.spend / 1e3 for o in seen], [o.reach / 1e6 for o in seen], "o", markersize=3, label="weeks seen")
        ax.set_title(u.label, fontsize=8)
        ax.tick_params(labelsize=6)
        if i % cols == 0:
            ax.set_ylabel("people a week (M)", fontsize=6)
        if i >= len(update.curves) - cols:
            ax.set_xlabel(f"spend a week (K {update.currency})", fontsize=6)
        if i == 0:
            ax.legend(fontsize=5, frameon=False)
    fig.suptitle("Prior (dashed) and updated curve per channel: reach of a steady weekly spend; points are the weeks "
                 "seen, carryover included", fontsize=7)  # fmt: skip
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
