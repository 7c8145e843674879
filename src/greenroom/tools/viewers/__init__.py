"""Who should see a new title, and when: cold-start scores, send windows and per-viewer lists.

One module per job:

- `adapters`: MovieLens ratings and a tenant's imported history as events and titles.
- `panel`: a panel of viewers precomputed for scoring.
- `panels`: building panels, and `ViewerPanels`, the panel each tenant is scored on (a cache per tenant).
- `scoring`: the cold-start hybrid score of a new title for every viewer.
- `windows`: each viewer's send window.
- `lists`: targeting (the viewers for a title) and a viewer's own list, each explained.
- `curves`: owned channels (push, email) sized to a tenant's high-affinity audience.

Everything is vectorised: scoring one title for 100,000 viewers is a few matrix-vector products.
"""

from greenroom.tools.viewers.adapters import EventFrame, Items, catalog_matches, movielens_events, movielens_items
from greenroom.tools.viewers.curves import OWNED_CHANNELS_PATH, owned_channel_curves
from greenroom.tools.viewers.lists import HIGH_AFFINITY, target, viewer_list
from greenroom.tools.viewers.panel import VIEWERS_VERSION, ViewerPanel
from greenroom.tools.viewers.panels import ViewerPanels, build_panel, movielens_panel, tenant_panel
from greenroom.tools.viewers.scoring import (
    DEFAULT_WEIGHTS,
    FEATURES,
    MIN_ANCHOR_VIEWERS,
    TitleProfile,
    affinity,
    brief_profile,
    combine,
    standardise,
    title_inputs,
    title_profile,
    title_scores,
)
from greenroom.tools.viewers.windows import SHRINK_SESSIONS, SLOTS, panel_profile, send_window, slot_distribution, window_mass

__all__ = [
    "DEFAULT_WEIGHTS",
    "FEATURES",
    "HIGH_AFFINITY",
    "MIN_ANCHOR_VIEWERS",
    "OWNED_CHANNELS_PATH",
    "SHRINK_SESSIONS",
    "SLOTS",
    "VIEWERS_VERSION",
    "EventFrame",
    "Items",
    "TitleProfile",
    "ViewerPanel",
    "ViewerPanels",
    "affinity",
    "brief_profile",
    "build_panel",
    "catalog_matches",
    "combine",
    "movielens_events",
    "movielens_items",
    "movielens_panel",
    "owned_channel_curves",
    "panel_profile",
    "send_window",
    "slot_distribution",
    "standardise",
    "target",
    "tenant_panel",
    "title_inputs",
    "title_profile",
    "title_scores",
    "viewer_list",
    "window_mass",
]
