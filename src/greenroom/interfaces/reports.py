"""A launch package on disk: JSON, a Markdown report, and one self-contained HTML report with charts.

The HTML file needs nothing but itself: CSS sits in a <style> block, the
charts are inline SVG (see `interfaces.charts`), and there is no script and no
link to anything outside the file, so it opens offline and prints as it shows.
"""

from __future__ import annotations

from pathlib import Path

from greenroom.core.compare import compare
from greenroom.core.package import LaunchPackage
from greenroom.interfaces.outputs import label, render
from greenroom.interfaces.targeting import TARGETING_FILE, write_targeting_csv


def sources(package: LaunchPackage) -> list[str]:
    """Where the package's numbers and words come from: data sets, trained models and generation models, once each."""
    audience, pricing = package.audience, package.pricing_plan.recommendation
    found = [f"Comparables: catalog source {c.source}" for c in audience.comparables]
    if audience.forecast:
        found.append(f"Forecast: {audience.forecast.source} (model {audience.forecast.model_version})")
    if audience.segments:
        found.append(f"Segments: {audience.segments.source} (model {audience.segments.model_version})")
    if audience.reception:
        found.append(f"Reception: {audience.reception.source}")
    if audience.targeting:
        found.append(f"Viewer targeting: {audience.targeting.panel.source} (model {audience.targeting.model_version})")
    found.append(f"Release seasonality: {package.release_plan.recommendation.seasonality.source}")
    found.extend(f"Pricing prior ({label(t.tier)}): {t.prior.source}" for t in pricing.tiers)
    if pricing.churn_model:
        found.append(f"Churn model: {pricing.churn_model.source}")
    found.extend(f"Words: {model}" for model in sorted({c.model for c in package.calls}))
    return list(dict.fromkeys(found))


def render_markdown(package: LaunchPackage, status: str | None = None, previous: LaunchPackage | None = None) -> str:
    """The package as a Markdown report: the one-page summary, then every section, tables instead of charts.

    `status` is the run's status where known (approved, rejected, awaiting_approval): the summary states it.
    `previous` is the version before it, shown side by side after the summary.
    """
    changes = compare(previous, package) if previous is not None else []
    return render("report.md.j2", p=package, sources=sources, status=status, changes=changes)


def render_html(package: LaunchPackage, status: str | None = None, previous: LaunchPackage | None = None) -> str:
    """The package as one self-contained HTML page: a cover with the decision and key numbers, then inline SVG charts."""
    from greenroom.interfaces.charts import package_charts  # matplotlib loads only when a report is drawn

    changes = compare(previous, package) if previous is not None else []
    return render("report.html.j2", p=package, charts=package_charts(package), sources=sources, status=status,
                  changes=changes)  # fmt: skip


def previous_version(folder: Path, package: LaunchPackage) -> LaunchPackage | None:
    """The version before `package`, from its sibling folder (`v1` beside `v2`), when it is there and readable."""
    if package.version < 2:
        return None
    try:
        text = (folder.parent / f"v{package.version - 1}" / "package.json").read_text(encoding="utf-8")
        return LaunchPackage.model_validate_json(text)
    except (OSError, ValueError):  # pruned, moved or written by an older greenroom: the report goes without it
        return None


def save_package(package: LaunchPackage, folder: Path, status: str | None = None) -> dict[str, Path]:
    """Write `package.json`, `report.md`, `report.html` (and `targeting.csv`) into `folder`; return their paths by kind.

    A revision's report shows the version before it side by side (read from its sibling folder).
    """
    folder.mkdir(parents=True, exist_ok=True)
    previous = previous_version(folder, package)
    paths = {"json": folder / "package.json", "markdown": folder / "report.md", "html": folder / "report.html"}
    paths["json"].write_text(package.model_dump_json(indent=2) + "\n", encoding="utf-8")
    paths["markdown"].write_text(render_markdown(package, status, previous), encoding="utf-8")
    paths["html"].write_text(render_html(package, status, previous), encoding="utf-8")
    if package.audience.targeting is not None:
        paths["targeting"] = write_targeting_csv(package.audience.targeting, folder / TARGETING_FILE)
    return paths
