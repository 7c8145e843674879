"""Send windows: the 3-hour block of the week holding most of a viewer's viewing sessions.

From the viewer's own timestamps (events in one clock hour count once), smoothed over neighbouring hours
and shrunk toward the panel's profile by `SHRINK_SESSIONS` pseudo-sessions, so a thin history gets the
panel's window.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from greenroom.core.viewers import DAYPART_ORDER, WEEKDAYS, SendWindow, WindowCount, daypart
from greenroom.tools.viewers.panel import ViewerPanel

SLOTS = 7 * 24
"""Hours of the week; slot = weekday * 24 + hour, Monday 00:00 first."""
WINDOW_HOURS = 3
"""Length of a send window."""
HOUR_KERNEL = (0.25, 0.5, 0.25)
"""Each session spreads over its hour and the two next to it: people keep habits within an hour or so."""
SHRINK_SESSIONS = 32.0
"""Weight of the panel's profile in a viewer's window, in sessions: with 32 sessions of their own it is half theirs.
Tuned on MovieLens cut-offs before 2009 by the log-likelihood of later sessions (32 and 64 within half a percent;
32 keeps more of a viewer's own habit)."""


def _smooth(counts: np.ndarray) -> np.ndarray:
    """Spread each row's sessions over neighbouring hours of the week (circular)."""
    before, middle, after = HOUR_KERNEL
    return middle * counts + before * np.roll(counts, 1, axis=-1) + after * np.roll(counts, -1, axis=-1)


def window_mass(distribution: np.ndarray) -> np.ndarray:
    """For each start slot, the probability mass of the WINDOW_HOURS slots from it (circular)."""
    return sum(np.roll(distribution, -h, axis=-1) for h in range(WINDOW_HOURS))  # type: ignore[return-value]


def slot_distribution(counts: np.ndarray, panel: np.ndarray, shrink: float = SHRINK_SESSIONS) -> np.ndarray:
    """Each viewer's distribution over the hours of the week: own sessions, smoothed, shrunk toward the panel's."""
    totals = counts.sum(axis=-1, keepdims=True)
    return (_smooth(counts) + shrink * panel) / (totals + shrink)


def panel_profile(counts: np.ndarray) -> np.ndarray:
    """The panel's distribution over the hours of the week: every session of every viewer, smoothed and pooled."""
    pooled = _smooth(counts).sum(axis=0) + 1e-3
    return pooled / pooled.sum()


def _slot_label(start: int) -> tuple[str, str]:
    weekday, hour = divmod(int(start), 24)
    end = (hour + WINDOW_HOURS) % 24
    return f"{WEEKDAYS[weekday]} {hour:02d}:00-{end:02d}:00", f"{WEEKDAYS[weekday]} {daypart(hour)}"


def send_window(panel: ViewerPanel, row: int) -> SendWindow:
    """One viewer's best send window."""
    start = int(panel.best_start[row])
    label, part = _slot_label(start)
    sessions = int(panel.sessions[row])
    own = sessions / (sessions + SHRINK_SESSIONS)
    basis = "own history" if own >= 0.75 else ("own history and panel" if own >= 0.25 else "panel profile")
    panel_share = float(window_mass(panel.panel_slots)[start])
    device = str(panel.device[row]) or None
    return SendWindow(
        weekday=start // 24, start_hour=start % 24, hours=WINDOW_HOURS, label=label, daypart=part,
        share=round(min(float(panel.best_share[row]), 1.0), 4), panel_share=round(min(panel_share, 1.0), 4),
        sessions=sessions, basis=basis, device=device,
        device_share=round(float(panel.device_share[row]), 4) if device else None,
    )  # fmt: skip


def window_counts(panel: ViewerPanel, rows: np.ndarray) -> list[WindowCount]:
    """How many of the given viewers have their best window starting in each day and part of the day."""
    starts = panel.best_start[rows]
    weekdays, hours = starts // 24, starts % 24
    parts = np.array([daypart(int(h)) for h in range(24)])[hours] if len(rows) else np.array([], dtype=str)
    counts: list[WindowCount] = []
    for weekday, name in enumerate(WEEKDAYS):
        for part in DAYPART_ORDER:
            n = int(np.sum((weekdays == weekday) & (parts == part)))
            counts.append(WindowCount(weekday=weekday, daypart=part, label=f"{name} {part}", viewers=n))
    return counts


def genre_habit(panel: ViewerPanel, row: int, genres: Sequence[str]) -> str | None:
    """'on Friday evenings' when the viewer's sessions in these genres cluster on one day and part of the day."""
    cols = [panel.genre_names.index(g) for g in genres if g in panel.genre_names]
    if not cols:
        return None
    items = panel.session_items[row]
    in_genre = np.asarray(panel.item_genre[items][:, cols].sum(axis=1)).ravel() > 0 if len(items) else np.array([], dtype=bool)
    slots = panel.session_slots[row][in_genre]
    if len(slots) < 2:
        return None
    keys = [(int(s) // 24, daypart(int(s) % 24)) for s in slots]
    values, counts = np.unique([f"{d}|{p}" for d, p in keys], return_counts=True)
    best = int(np.argmax(counts))
    if counts[best] < 2 or counts[best] / len(slots) < 0.4:
        return None
    weekday, part = values[best].split("|")
    return f"on {WEEKDAYS[int(weekday)]} {part}s"
