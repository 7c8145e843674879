"""The naive baseline every forecaster is measured against: the genre-and-decade median."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd


def decade_genre_keys(frame: pd.DataFrame, genre_columns: Sequence[str], primary_only: bool) -> tuple[pd.Series, pd.Series]:
    """Baseline grouping keys: (genre key + decade, decade). Genre key is the flag set or the first genre."""
    decade = (frame["year"].astype(int) // 10 * 10).astype(str)
    if primary_only:
        genre = frame["genres"].map(lambda gs: gs[0] if gs else "none")
    else:
        genre = frame["genres"].map(lambda gs: "|".join(g for g in genre_columns if g in gs) or "none")
    return genre + "@" + decade, decade


class GenreDecadeMedian:
    """The naive baseline: median target of training films with the same genre key and decade.

    A film from a decade the training films do not reach (a release after the data) takes the
    latest earlier decade they do: the baseline a planner would read off the most recent films.
    """

    def __init__(self, genre_columns: Sequence[str], primary_only: bool) -> None:
        self.genre_columns = list(genre_columns)
        self.primary_only = primary_only
        self._by_key: dict[str, float] = {}
        self._by_decade: dict[str, float] = {}
        self._overall = math.nan

    def fit(self, frame: pd.DataFrame, y: np.ndarray) -> GenreDecadeMedian:
        key, decade = decade_genre_keys(frame, self.genre_columns, self.primary_only)
        data = pd.DataFrame({"key": key.to_numpy(), "decade": decade.to_numpy(), "y": y})
        self._by_key = data.groupby("key")["y"].median().to_dict()
        self._by_decade = data.groupby("decade")["y"].median().to_dict()
        self._overall = float(np.median(y))
        return self

    def _known_decade(self, decade: str) -> str:
        """The decade itself when training films have it, else the latest earlier one (else the earliest)."""
        if decade in self._by_decade:
            return decade
        known = sorted(self._by_decade, key=int)
        earlier = [d for d in known if int(d) < int(decade)]
        return earlier[-1] if earlier else known[0]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        key, decade = decade_genre_keys(frame, self.genre_columns, self.primary_only)
        out = []
        for k, d in zip(key, decade, strict=True):
            known = self._known_decade(d) if self._by_decade else d
            k = k.rsplit("@", 1)[0] + "@" + known
            out.append(self._by_key.get(k, self._by_decade.get(known, self._overall)))
        return np.array(out, dtype=float)
