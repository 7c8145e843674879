"""Matching a title named in someone's data (a title and maybe a year) to one title of a list, by one rule.

Titles are compared by `title_key` (case, accents, punctuation, a leading or trailing article and
bracketed alternate titles do not count). Then:

- **with a year**: the one title of that key and that year; when there is none, the one title released a
  year before or after (release years differ by a year between sources). Two or more at the deciding
  step is ambiguous.
- **without a year**: the one title of that key, whatever its year. Two or more is ambiguous.
- **ambiguous or no title** is unmatched: nothing is guessed, and `why_not` says which it was in words.

Both the history importer (`store.viewers`) and the viewer panels (`tools.viewers`) use this class, so a
row matched on import is matched the same way when a panel is built.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

from greenroom.core.vocabulary import title_key

Id = TypeVar("Id", bound=Hashable)

NEAR_YEARS = 1
"""How far a release year may be off when no title has the exact year."""


class TitleMatcher(Generic[Id]):
    """Ids by title key and year, from (id, title, year) entries."""

    def __init__(self, entries: Iterable[tuple[Id, str, int | None]]) -> None:
        self.ids: set[Id] = set()
        self.by_key: dict[str, list[tuple[Id, int | None]]] = {}
        for ident, title, year in entries:
            self.ids.add(ident)
            self.by_key.setdefault(title_key(title), []).append((ident, year))

    def candidates(self, title: str, year: int | None) -> list[tuple[Id, int | None]]:
        """The entries the rule decides between (one: matched; several: ambiguous; none: no such title)."""
        found = self.by_key.get(title_key(title), [])
        if year is None:
            return found
        exact: list[tuple[Id, int | None]] = [(i, y) for i, y in found if y == year]
        if exact:
            return exact
        return [(i, y) for i, y in found if y is not None and abs(y - year) <= NEAR_YEARS]

    def match(self, title: str, year: int | None) -> Id | None:
        """The one matching id, else None (no such title, or several: ambiguous)."""
        found = self.candidates(title, year)
        return found[0][0] if len(found) == 1 else None

    def why_not(self, title: str, year: int | None) -> str:
        """Why `match` found nothing, in words (empty when it found one)."""
        label = f"{title!r}" + (f" ({year})" if year is not None else "")
        found = self.candidates(title, year)
        if len(found) == 1:
            return ""
        if len(found) > 1:
            years = ", ".join(str(y) for y in sorted({y for _, y in found if y is not None})[:6])
            return (
                f"{label} matches {len(found)} catalog titles"
                + (f" (years {years})" if years else "")
                + ("; add a year column to choose" if year is None else "; more than one has that year")
            )
        same_name = self.by_key.get(title_key(title), [])
        if same_name:
            years = ", ".join(str(y) for y in sorted({y for _, y in same_name if y is not None})[:6])
            return f"no catalog title matches {label}: the catalog has it from {years}"
        return f"no catalog title matches {label}"
