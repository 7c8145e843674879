"""Keep a model's explanation to the numbers it was given.

The agents hand the model a list of facts (sentences holding the tools'
numbers) and ask it to explain them. `grounded(schema, facts)` returns a
subclass of a structured-output schema whose text fields may only mention
numbers that appear in those facts, and may not echo the prompt; an answer that does fails
validation, so another answer is drawn (or, where only one is drawn,
`models.structured.generate` shows the model the offending numbers in its
repair round), and when none is usable the caller falls back to a template.
The JSON schema sent to the model does not change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeVar

from langchain_core.messages import BaseMessage
from pydantic import BaseModel, ConfigDict, model_validator

from greenroom.core.schemas import CallRecord
from greenroom.models.candidates import sample
from greenroom.models.llm import ModelHandle
from greenroom.models.structured import StructuredOutputError, generate

T = TypeVar("T", bound=BaseModel)

_ECHO = re.compile(
    r"BRIEF|<<<|>>>|\b(?:Title|Format|Concept|Genres|Audience|Tone and voice|Length|Rating ceiling|Facts about)\s*:"
    r"|\d{4}-\d{2}-\d{2}T\d|sentences on why|\b(?:first|second|third) (?:line|ad) is\b|\bJSON\b"
    r"|most useful finding|Facts from the analysis|sentences that explain these facts",
    re.IGNORECASE,
)
_JUNK_START = "[]{}(),:;.-*_\"'` \n\t"
_NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?")
FREE_INTEGERS = 12
"""Whole numbers up to this need no support: counts, weeks, months ("three channels", "week 2")."""


def numbers_in(text: str) -> list[float]:
    """Every number written in `text` (thousands separators allowed), as floats."""
    return [float(m.replace(",", "")) for m in _NUMBER.findall(text)]


def _supported(written: str, allowed: set[float]) -> bool:
    """A written number is supported when it is a fact's number rounded to the precision written."""
    value = float(written.replace(",", ""))
    if value.is_integer() and "." not in written and value <= FREE_INTEGERS:
        return True
    decimals = len(written.split(".", 1)[1]) if "." in written else 0
    tolerance = 0.5 * 10**-decimals + 1e-9
    return any(abs(value - a) <= tolerance for a in allowed)


def unsupported_numbers(text: str, facts: Iterable[str]) -> list[str]:
    """Numbers in `text` that no fact contains (a fact's number rounded to fewer digits counts as contained)."""
    allowed = {n for fact in facts for n in numbers_in(fact)}
    return [m for m in dict.fromkeys(_NUMBER.findall(text)) if not _supported(m, allowed)]


def strip_junk(text: str) -> str:
    """Text without the JSON debris a small model leaves at its start (`] } `), whitespace collapsed."""
    return " ".join(text.lstrip(_JUNK_START).split())


def echoes_prompt(text: str) -> bool:
    """Whether `text` repeats the prompt's scaffolding (the brief's labels, the instructions) instead of answering."""
    return _ECHO.search(text) is not None


def grounded(schema: type[T], facts: Iterable[str]) -> type[T]:
    """A subclass of `schema` whose string fields may only mention numbers found in `facts`."""
    facts = list(facts)

    class Grounded(schema):  # type: ignore[valid-type,misc]
        model_config = ConfigDict(title=schema.model_config.get("title") or schema.__name__)

        @model_validator(mode="after")
        def _numbers_come_from_the_facts(self) -> Any:
            problems = []
            for name, value in self:
                if not isinstance(value, str):
                    continue
                if value.lstrip()[:1] in set(_JUNK_START) or echoes_prompt(value):
                    problems.append(f"{name} repeats the prompt or JSON symbols instead of plain sentences")
                elif bad := unsupported_numbers(value, facts):
                    problems.append(f"{name} mentions {', '.join(bad)}, which the facts do not contain")
            if problems:
                raise ValueError("; ".join(problems) + ". Write plain sentences, using only the numbers in the facts, or none.")
            return self

    Grounded.__name__ = Grounded.__qualname__ = schema.__name__
    return Grounded


def explain(
    model: ModelHandle,
    messages: list[BaseMessage],
    schema: type[T],
    facts: list[str],
    *,
    agent: str,
    max_tokens: int,
    candidates: int = 1,
) -> tuple[T | None, str, list[CallRecord]]:
    """The model's grounded explanation of `facts`; None and the reason when every answer stayed unusable.

    Up to `candidates` answers are drawn, each with its own seed, until one is grounded and plain.
    """
    checked = grounded(schema, facts)

    def ask(index: int) -> tuple[T, list[CallRecord]]:
        # With several candidates a failed answer is followed by a fresh one (same cached prompt), not a repair round.
        return generate(model, messages, checked, agent=agent, max_tokens=max_tokens, seed_offset=index,
                        repair=candidates == 1)  # fmt: skip

    sampling = sample(ask, lambda _: [], lambda _: [], query="", candidates=candidates, errors=(StructuredOutputError,))
    if sampling.best is not None:
        return sampling.best.answer, "", sampling.calls
    return None, (sampling.errors[-1] if sampling.errors else "no answer")[:500], sampling.calls
