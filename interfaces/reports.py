"""A launch package on disk: JSON, a Markdown report, and one self-contained HTML report with charts.

The HTML file needs nothing but itself: CSS sits in a <style> block, the
charts are inline SVG (see `interfaces.charts`), and there is no script and no
link to anything outside the file, so it opens offline and prints as it shows.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from graphs.package import LaunchPackage
from graphs.plans import RationaleSource

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(["html", "html.j2"], default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _number(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _percent(value: float, digits: int = 0) -> str:
    return f"{value:.{digits}%}"


def _label(value: str) -> str:
    return value.replace("_", " ")


def _source(source: RationaleSource) -> str:
    return "written by the model" if source == "model" else "stated from the numbers (the model's text was not usable)"


def _cell(value: object) -> str:
    """Text safe inside a Markdown table cell: no pipes, no line breaks."""
    return " ".join(str(value).split()).replace("|", "\\|")


def sources(package: LaunchPackage) -> list[str]:
    """Where the package's numbers and words come from: data sets, trained models and generation models, once each."""
    audience, pricing = package.audience, package.pricing_plan
    found = [f"Comparables: catalog source {c.source}" for c in audience.comparables]
    if audience.forecast:
        found.append(f"Forecast: {audience.forecast.source} (model {audience.forecast.model_version})")
    if audience.segments:
        found.append(f"Segments: {audience.segments.source} (model {audience.segments.model_version})")
    if audience.reception:
        found.append(f"Reception: {audience.reception.source}")
    found.append(f"Release seasonality: {package.release_plan.seasonality.source}")
    found.extend(f"Pricing prior ({t.tier.replace('_', ' ')}): {t.prior.source}" for t in pricing.tiers)
    if pricing.churn_model:
        found.append(f"Churn model: {pricing.churn_model.source}")
    found.extend(f"Words: {model}" for model in sorted({c.model for c in package.calls}))
    return list(dict.fromkeys(found))


_TEMPLATES.filters.update(number=_number, percent=_percent, label=_label, source=_source, cell=_cell)
_TEMPLATES.globals.update(sources=sources)


def render_markdown(package: LaunchPackage) -> str:
    """The package as a Markdown report: every section, tables instead of charts."""
    return _TEMPLATES.get_template("report.md.j2").render(p=package)


def render_html(package: LaunchPackage) -> str:
    """The package as one self-contained HTML page with inline SVG charts."""
    from interfaces.charts import package_charts  # matplotlib loads only when a report is drawn

    return _TEMPLATES.get_template("report.html.j2").render(p=package, charts=package_charts(package))


def save_package(package: LaunchPackage, folder: Path) -> dict[str, Path]:
    """Write `package.json`, `report.md` and `report.html` into `folder`; return their paths by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "package.json", "markdown": folder / "report.md", "html": folder / "report.html"}
    paths["json"].write_text(package.model_dump_json(indent=2) + "\n", encoding="utf-8")
    paths["markdown"].write_text(render_markdown(package), encoding="utf-8")
    paths["html"].write_text(render_html(package), encoding="utf-8")
    return paths
