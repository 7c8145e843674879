"""One rule matches a title named in someone's data to a catalog title: the importer and the panels share it."""

from __future__ import annotations

from greenroom.core.titles import TitleMatcher
from greenroom.store.catalog import Catalog, Title
from greenroom.tools.viewers import catalog_matches

ENTRIES = [
    ("alien-1979", "Alien", 1979),
    ("moon-2009", "Moon", 2009),
    ("heat-1986", "Heat", 1986),
    ("heat-1995", "Heat", 1995),
    ("matrix-1999", "The Matrix", 1999),
]


def test_exact_title_and_year_match() -> None:
    titles = TitleMatcher(ENTRIES)
    assert titles.match("Alien", 1979) == "alien-1979"
    assert titles.match("Heat", 1995) == "heat-1995"
    assert titles.match("Matrix, The", 1999) == "matrix-1999"  # MovieLens's way of writing it
    assert titles.why_not("Heat", 1995) == ""


def test_missing_year_with_one_candidate_matches_it() -> None:
    titles = TitleMatcher(ENTRIES)
    assert titles.match("Moon", None) == "moon-2009"


def test_missing_year_with_several_candidates_is_unmatched_and_says_so() -> None:
    titles = TitleMatcher(ENTRIES)
    assert titles.match("Heat", None) is None
    reason = titles.why_not("Heat", None)
    assert "matches 2 catalog titles" in reason and "1986, 1995" in reason and "add a year" in reason


def test_different_year_is_unmatched_unless_one_is_a_year_off() -> None:
    titles = TitleMatcher(ENTRIES)
    assert titles.match("Alien", 1980) == "alien-1979"  # sources differ by a year on release dates
    assert titles.match("Alien", 1986) is None
    assert "the catalog has it from 1979" in titles.why_not("Alien", 1986)
    assert titles.match("Heat", 1990) is None
    assert titles.why_not("Nosferatu", 1922) == "no catalog title matches 'Nosferatu' (1922)"


def test_two_titles_of_the_same_year_are_ambiguous() -> None:
    titles = TitleMatcher([*ENTRIES, ("alien-remake", "Alien", 1979)])
    assert titles.match("Alien", 1979) is None
    assert "more than one has that year" in titles.why_not("Alien", 1979)


def test_the_panel_and_the_catalog_match_by_the_same_rule() -> None:
    catalog = Catalog.memory()
    catalog.upsert([Title(source="test", title=t, year=y, genres=["drama"], synopsis="A story.") for _, t, y in ENTRIES])
    ids = {t.title + str(t.year): t.id for t in catalog.get([i for i, _, _ in catalog.index(tenant="")])}
    found = catalog_matches(catalog, [("Heat", None), ("Heat", 1986), ("Moon", None), ("Alien", 1986)])
    assert found == [None, ids["Heat1986"], ids["Moon2009"], None]
