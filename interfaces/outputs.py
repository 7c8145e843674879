"""The files greenroom writes for people: one jinja2 environment for every output template, one writer.

Templates live in `interfaces/templates/`; `.html` ones are autoescaped, Markdown is not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from graphs.plans import RationaleSource


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


TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(["html", "html.j2"], default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters.update(number=_number, percent=_percent, label=_label, source=_source, cell=_cell)


def render(name: str, /, **variables: Any) -> str:
    """Render one output template."""
    return TEMPLATES.get_template(name).render(**variables)


def save_json_and_markdown(folder: Path, stem: str, payload: dict[str, Any], template: str, **variables: Any) -> dict[str, Path]:
    """Write `<stem>.json` (the payload) and `<stem>.md` (the template) into `folder`; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / f"{stem}.json", "markdown": folder / f"{stem}.md"}
    paths["json"].write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["markdown"].write_text(render(template, **variables), encoding="utf-8")
    return paths
