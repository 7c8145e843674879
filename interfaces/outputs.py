"""The files greenroom writes for people: one jinja2 environment for every output template, one writer.

Templates live in `interfaces/templates/`; `.html` ones are autoescaped, Markdown is not.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext

from greenroom.core.package import LaunchPackage
from greenroom.core.plans import RationaleSource
from greenroom.core.schemas import Draft


def _number(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def amount(value: float, unit: str = "") -> str:
    """A large amount or count rounded for reading: 21,428,092.4 → '21.4 million', 322,343.2 → '322,000', 12.5 → '12.5'.

    Three significant figures; millions and billions in words. `unit` follows after a space.
    """
    if value and math.isfinite(value):
        value = round(value, 2 - math.floor(math.log10(abs(value))))
    size = abs(value)
    if size >= 1e9:
        text = f"{value / 1e9:.3g} billion"
    elif size >= 1e6:
        text = f"{value / 1e6:.3g} million"
    elif size >= 100:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}" if unit else text


ESTIMATE_NAMES = {
    "votes": "IMDb votes (a proxy for audience interest)",
    "rating": "IMDb rating",
    "box_office": "box office",
}
"""What each forecast estimate is called wherever a person reads it; 'people reached' is kept for promotion reach."""


def _percent(value: float, digits: int = 0) -> str:
    return f"{value:.{digits}%}"


_ABBREVIATIONS = {"vod": "VOD", "svod": "SVOD", "avod": "AVOD", "tvod": "TVOD", "ott": "OTT", "imdb": "IMDb"}


def label(value: str) -> str:
    """A vocabulary name as words: 'premium_vod' → 'premium VOD'."""
    return " ".join(_ABBREVIATIONS.get(word, word) for word in value.replace("_", " ").split(" "))


def _sentence(value: str) -> str:
    """The text with its first letter capitalised and the rest untouched (unlike jinja's `capitalize`)."""
    return value[:1].upper() + value[1:]


def _source(source: RationaleSource) -> str:
    return "written by the model" if source == "model" else "stated from the numbers (the model's explanation was not usable)"


def _cell(value: object) -> str:
    """Text safe inside a Markdown table cell: no pipes, no line breaks."""
    return " ".join(str(value).split()).replace("|", "\\|")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def _md(value: object) -> str:
    """Untrusted text (a tenant's titles, viewer ids) safe in Markdown: one line, every special character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


@pass_eval_context
def _finalize(context: EvalContext, value: Any) -> Any:
    """In Markdown (not autoescaped) a value's bare `<` and `>` become entities, so user text never becomes live HTML.

    Those the `md` filter already escaped with a backslash are left as they are.
    """
    if context.autoescape or not isinstance(value, str):
        return value
    return _BARE_LT.sub("&lt;", _BARE_GT.sub("&gt;", value))


_BARE_LT, _BARE_GT = re.compile(r"(?<!\\)<"), re.compile(r"(?<!\\)>")


TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(["html", "html.j2"], default_for_string=False),
    finalize=_finalize,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters.update(
    number=_number, amount=amount, percent=_percent, label=label, sentence=_sentence, source=_source, cell=_cell, md=_md
)
TEMPLATES.globals["ESTIMATE_NAMES"] = ESTIMATE_NAMES


def _fallback_mark(draft: Draft, field: str) -> str:
    """' (written from the brief: why)' after a heading whose field the model could not write; '' otherwise."""
    reasons = [f.reason for f in draft.fallbacks if f.field == field]
    return f" (written from the brief: {reasons[0]})" if reasons else ""


TEMPLATES.globals["fallback_mark"] = _fallback_mark


def editor_outcome(package: LaunchPackage) -> str:
    """How the editor's review ended, in words a producer reads."""
    rounds = package.review.round
    if package.edit_outcome == "approved":
        return f"approved in round {rounds}"
    plural = "s" if rounds != 1 else ""
    return f"not approved: the editor still had open notes after {rounds} round{plural}, the most allowed (see the review)"


TEMPLATES.globals["editor_outcome"] = editor_outcome


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
