"""Business rules kept as data: YAML files beside the code that uses them, each number with its source or reason.

`load_rules(path, Model)` reads one file and validates it with its pydantic model when the module that uses it
is imported, so a malformed file stops the program at once with an error that names the file and the field,
rather than a wrong number surfacing in a plan later.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from greenroom.core.brief import Format

RulesT = TypeVar("RulesT", bound=BaseModel)


class RulesFileError(ValueError):
    """A rules file that cannot be read or does not hold what its model asks for, named with its field."""


def load_rules(path: Path, model: type[RulesT]) -> RulesT:
    """The rules in `path`, checked against `model`; RulesFileError naming the file and every bad field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" near line {where.line + 1}" if where is not None else ""
        raise RulesFileError(f"{path}: the rules file could not be read as YAML{at}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'the file'}: {_words(e['msg'])}" for e in exc.errors())
        raise RulesFileError(f"{path}: {problems}") from None


def _words(message: str) -> str:
    """pydantic's message without its error-kind prefix, starting lowercase."""
    message = message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def missing_formats(keys: set[Format]) -> str:
    """'' when `keys` cover every format; otherwise the error naming those left out."""
    missing = [f.value for f in Format if f not in keys]
    return f"every format needs an entry; missing: {', '.join(missing)}" if missing else ""
