"""A panel of viewers with their histories, precomputed for scoring (built by `tools.viewers.panels`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from greenroom.core.titles import TitleMatcher
from greenroom.core.viewers import PanelInfo
from greenroom.tools.viewers.adapters import Items

VIEWERS_VERSION = "viewers-1.1"
"""Bump when panels, features or weights change; cached panels of another version are rebuilt."""


@dataclass
class ViewerPanel:
    """Viewers, their histories and everything scoring needs, precomputed."""

    info: PanelInfo
    user_ids: np.ndarray
    items: Items
    watched: sp.csr_matrix
    """viewers x titles, 1 where the viewer watched or rated the title."""
    preference: sp.csr_matrix
    """viewers x titles, 0-1 (ratings scaled, or watch share), same cells as `watched`."""
    last_at: sp.csr_matrix
    """viewers x titles, Unix time of the latest event."""
    item_factors: np.ndarray | None
    user_factors: np.ndarray | None
    content: np.ndarray
    """viewers x dim: unit profile of each viewer's titles' embeddings (zero rows for none)."""
    content_titles: np.ndarray
    genre_names: list[str]
    item_genre: sp.csr_matrix
    genre_share: np.ndarray
    activity: np.ndarray
    recency_days: np.ndarray
    novelty: np.ndarray
    """Share of each viewer's dated titles watched within a year of their release (NaN when none is dated)."""
    session_slots: list[np.ndarray]
    """Per viewer, the slot of each viewing session (for genre-specific habits in explanations)."""
    session_items: list[np.ndarray]
    sessions: np.ndarray
    panel_slots: np.ndarray
    best_start: np.ndarray
    best_share: np.ndarray
    device: np.ndarray
    device_share: np.ndarray
    item_viewers: np.ndarray
    scales: dict[str, tuple[float, float]]
    weights: dict[str, float]
    version: str = VIEWERS_VERSION
    _user_index: dict[str, int] = field(default_factory=dict, repr=False)
    _item_index: dict[str, int] = field(default_factory=dict, repr=False)
    _titles: TitleMatcher[int] = field(default_factory=lambda: TitleMatcher([]), repr=False)

    def __post_init__(self) -> None:
        self._user_index = {str(u): i for i, u in enumerate(self.user_ids)}
        self._item_index = {t: i for i, t in enumerate(self.items.ids)}
        self._titles = TitleMatcher(zip(range(len(self.items.ids)), self.items.titles, self.items.years, strict=True))

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    def user(self, user_id: str) -> int:
        """Row of a viewer; KeyError when the panel has no such viewer."""
        try:
            return self._user_index[str(user_id)]
        except KeyError:
            raise KeyError(f"no viewer {user_id!r} in the {self.info.kind} panel") from None

    def item(self, title_id: str, title: str = "", year: int | None = None) -> int | None:
        """Column of a title by id, else by title and year (`TitleMatcher`'s rule; None when ambiguous)."""
        if title_id in self._item_index:
            return self._item_index[title_id]
        return self._titles.match(title, year) if title else None
