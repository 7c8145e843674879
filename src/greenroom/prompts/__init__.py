"""Prompt templates, one folder per agent, rendered by one helper.

Templates run in jinja2's sandbox with `StrictUndefined`: a missing variable
fails loudly, and text a user supplied (a brief, a revision request) is data
to the template, never template code. `user_text` fences such text so the
model can tell instructions from material.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_DIR = Path(__file__).parent


def user_text(value: object, limit: int = 2000) -> str:
    """Fence user-supplied text: cut to `limit`, and strip anything that could close the fence."""
    text = str(value).replace("<<<", "«").replace(">>>", "»")
    return text[:limit]


@cache
def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,  # prompts are plain text, not HTML
    )
    env.filters["user"] = user_text
    return env


def render(name: str, /, **variables: Any) -> str:
    """Render `prompts/<name>` with the given variables."""
    return _environment().get_template(name).render(**variables).strip()


def template_names() -> list[str]:
    """Every template under prompts/, for tests and tooling."""
    return sorted(str(p.relative_to(TEMPLATE_DIR)) for p in TEMPLATE_DIR.rglob("*.j2"))
