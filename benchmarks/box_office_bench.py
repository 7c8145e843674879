"""Box office on the budgeted path, before and after the budgeted model, in one run.

Run: PYTHONPATH=. python benchmarks/box_office_bench.py

Every brief has a production budget and a year after the data. On main the box office
model learned from movies.db grosses to 2014 but from budgets only to 2005 (ggplot2movies),
so its year effect for 2006-2014 was learned on films that all lack a budget and absorbed the
missing-budget offset (and a major studio's flag the big budgets its films do not record); a brief
got both. No offline data records budgets after 2005, so the
forward test rebuilds the same situation inside the years that have budgets:

* forward: train on movies.db films up to an origin year, with budgets hidden for the last
  six training years (as 2006-2014 have none), and forecast the films of the next three years
  whose budget ggplot2movies records, each with its budget, as a brief would. "before" is the
  model as on main; "after" forecasts a film with a budget by a model fitted on the budgeted films only.
  Intervals are calibrated forward inside the training years, as the product does.
* sanity: both models trained on every film, as the product trains them; per budget class, the
  median forecast gross / production budget of generated 2027 briefs beside the same ratio among
  the training films of that class.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from threadpoolctl import threadpool_limits

from greenroom.tools.forecasting.audience import fit_forward
from greenroom.tools.forecasting.calibration import budget_class
from greenroom.tools.forecasting.conformal import IntervalForecaster
from greenroom.tools.forecasting.data import load_box_office_data
from greenroom.tools.forecasting.features import common_genres

HIDDEN_YEARS = 6
"""Training years whose budgets are hidden in the forward test (main: 2006-2014 have none, nine years)."""
ORIGINS = (1996, 1999, 2002)
HORIZON = 3


def factory(genres: list[str], fixed: bool) -> Callable[[], IntervalForecaster]:
    return lambda: IntervalForecaster(
        target="box_office_usd", genre_columns=genres, use_budget=True, transform="log", bounds=(0, math.inf),
        coverage=0.8, additive_budget=True, use_studio=True, primary_genre_baseline=True, budgeted_model=fixed,
    )  # fmt: skip


def forward_table(frame: pd.DataFrame, gross: pd.Series, genres: list[str]) -> Table:
    table = Table(title=f"Box office forward on later films with known budgets (budgets hidden for the last {HIDDEN_YEARS} "
                        "training years, as on main)")  # fmt: skip
    for column in ("model", "test years", "films", "MAE log", "median's MAE", "ratio", "80% coverage", "below", "above",
                   "median error (log)"):  # fmt: skip
        table.add_column(column, justify="left" if column == "model" else "right")
    years = frame["year"].to_numpy()
    y = gross.to_numpy()
    for fixed in (False, True):
        pooled: list[pd.DataFrame] = []
        for origin in ORIGINS:
            train = years <= origin
            masked = frame[train].reset_index(drop=True).copy()
            masked.loc[masked["year"] > origin - HIDDEN_YEARS, "budget_usd"] = np.nan
            test = (years > origin) & (years <= origin + HORIZON) & frame["budget_usd"].notna().to_numpy()
            model, _ = fit_forward(factory(genres, fixed), masked, y[train], horizon=HORIZON, evaluated=1,
                                   calibration_windows=2)  # fmt: skip
            films = frame[test].reset_index(drop=True)
            point, lower, upper = model.predict_space(films)
            z = np.log(y[test])
            base = model.baseline_space(films)
            pooled.append(pd.DataFrame({"err": point - z, "base": base - z, "in": (z >= lower) & (z <= upper),
                                        "below": z < lower, "above": z > upper, "origin": origin}))  # fmt: skip
        for origin in (*ORIGINS, None):
            d = pd.concat(pooled)
            if origin is not None:
                d = d[d["origin"] == origin]
            mae, base_mae = float(d["err"].abs().mean()), float(d["base"].abs().mean())
            table.add_row(
                "after (budgeted model)" if fixed else "before (main)",
                f"{origin + 1}-{origin + HORIZON}" if origin else "pooled", str(len(d)), f"{mae:.3f}", f"{base_mae:.3f}",
                f"{mae / base_mae:.2f}", f"{d['in'].mean():.0%}", f"{d['below'].mean():.0%}", f"{d['above'].mean():.0%}",
                f"{float(d['err'].median()):+.2f}",
            )  # fmt: skip
    table.caption = "ratio = MAE / the genre-and-decade median's MAE; a positive median error means forecasts too high"
    return table


def sanity_table(frame: pd.DataFrame, gross: pd.Series, genres: list[str]) -> Table:
    budgets = {"budget under 1M USD": (2e5, 5e5, 8e5), "budget 1M-20M USD": (2e6, 8e6, 1.5e7),
               "budget over 20M USD": (4e7, 1e8, 2e8)}  # fmt: skip
    combos = [("Action",), ("Comedy",), ("Drama",), ("Horror",), ("Drama", "Romance"), ("Action", "Thriller")]
    rows = [
        {"genres": g, "minutes": 100.0, "budget_usd": b, "year": 2027, "mpaa": "PG-13", "major_studio": s}
        for (cls, bs), g, s in itertools.product(budgets.items(), combos, (0.0, 1.0))
        for b in bs
    ]
    briefs = pd.DataFrame(rows)
    known = frame["budget_usd"].notna()
    training = pd.DataFrame({"class": [budget_class(b) for b in frame["budget_usd"][known]],
                             "ratio": (gross[known] / frame["budget_usd"][known]).to_numpy()})  # fmt: skip
    table = Table(title="Sanity: median forecast gross / production budget of 2027 briefs, per budget class, "
                        "beside the training films of the class")  # fmt: skip
    for column in ("budget class", "training films", "training median", "before (main)", "x training", "after",
                   "x training"):  # fmt: skip
        table.add_column(column, justify="left" if column == "budget class" else "right")
    ratios = {}
    for fixed in (False, True):
        model, _ = fit_forward(factory(genres, fixed), frame, gross.to_numpy(), horizon=HORIZON, evaluated=1,
                               calibration_windows=2)  # fmt: skip
        point = model.from_space(model.point_space(briefs))
        ratios[fixed] = pd.DataFrame({"class": [budget_class(b) for b in briefs["budget_usd"]],
                                      "ratio": point / briefs["budget_usd"].to_numpy()})  # fmt: skip
    for cls in budgets:
        train = training[training["class"] == cls]["ratio"]
        before = float(ratios[False][ratios[False]["class"] == cls]["ratio"].median())
        after = float(ratios[True][ratios[True]["class"] == cls]["ratio"].median())
        med = float(train.median())
        table.add_row(cls, str(len(train)), f"{med:.2f}", f"{before:.2f}", f"{before / med:.1f}x", f"{after:.2f}",
                      f"{after / med:.1f}x")  # fmt: skip
    table.caption = f"{len(briefs)} briefs: 6 genre sets x 3 budgets per class x independent or major studio, 100 min, PG-13"
    return table


def issue_table(frame: pd.DataFrame, gross: pd.Series, genres: list[str]) -> Table:
    """The issue's example: an action thriller of 108 minutes, PG-13, released 2009, by budget and studio."""
    films = pd.DataFrame(
        [
            {"genres": ("Action", "Thriller"), "minutes": 108.0, "budget_usd": b, "year": 2009, "mpaa": "PG-13",
             "major_studio": s}
            for b in (2e6, 2e7, 2e8)
            for s in (0.0, 1.0)
        ]
    )  # fmt: skip
    table = Table(title="Point forecast of US gross: action thriller, 108 min, PG-13, 2009 (the issue's table)")
    for column in ("production budget", "before, no studio", "before, major studio", "after, no studio",
                   "after, major studio"):  # fmt: skip
        table.add_column(column, justify="right")
    points = {}
    for fixed in (False, True):
        model = factory(genres, fixed)().fit(frame, gross.to_numpy())
        points[fixed] = model.from_space(model.point_space(films))
    for i, budget in enumerate((2e6, 2e7, 2e8)):
        table.add_row(f"{budget / 1e6:,.0f}M", *(f"{points[f][2 * i + s] / 1e6:,.1f}M" for f in (False, True) for s in (0, 1)))
    return table


def main() -> None:
    started = time.perf_counter()
    frame, gross = load_box_office_data()
    genres = common_genres(frame["genres"])
    console = Console(width=170)
    with threadpool_limits(limits=1):  # OpenMP threads stall on a busy machine; one thread per fit is steadier
        console.print(forward_table(frame, gross, genres))
        console.print(sanity_table(frame, gross, genres))
        console.print(issue_table(frame, gross, genres))
    console.print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
