"""Who should see a new title, and when: the viewer engine's result models.

A viewer panel is either the MovieLens panel that ships with greenroom or a
tenant's own imported viewing history. Scores are relative: in targeting, an
affinity of 2.0 means twice as likely to watch as the average viewer with about
as much history; in a viewer's list, twice as relevant as their average unseen
title.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

WEEKDAYS: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
"""Weekday names, Monday first (Python's `weekday()` order)."""

DAYPARTS: tuple[tuple[str, int, int], ...] = (
    ("night", 0, 6),
    ("morning", 6, 12),
    ("afternoon", 12, 17),
    ("evening", 17, 22),
    ("night", 22, 24),
)
"""Parts of the day by hour range [start, end): what an hour is called in words."""

DAYPART_ORDER: tuple[str, ...] = ("morning", "afternoon", "evening", "night")
"""Parts of the day in the order a chart shows them."""


def daypart(hour: int) -> str:
    """'morning', 'afternoon', 'evening' or 'night' for an hour 0-23."""
    for name, start, end in DAYPARTS:
        if start <= hour % 24 < end:
            return name
    raise ValueError(f"hour must be 0-23, got {hour}")


ConfidenceLabel = Literal["low", "medium", "high"]
PanelKind = Literal["movielens", "tenant"]


class SendWindow(BaseModel):
    """When to notify one viewer: the hours of the week they are most likely to be watching."""

    weekday: int = Field(..., ge=0, le=6, description="Day of the week, 0 = Monday.")
    start_hour: int = Field(..., ge=0, le=23, description="First hour of the window (viewer's local time where known).")
    hours: int = Field(..., ge=1, le=24, description="Length of the window in hours.")
    label: str = Field(..., description="The window in words, e.g. 'Friday 19:00-22:00'.")
    daypart: str = Field(..., description="Day and part of the day, e.g. 'Friday evening'.")
    share: float = Field(..., ge=0, le=1, description="Share of this viewer's expected viewing sessions that fall in the window.")
    panel_share: float = Field(..., ge=0, le=1, description="Share of the whole panel's sessions in the same window.")
    sessions: int = Field(..., ge=0, description="Viewing sessions in the viewer's own history.")
    basis: Literal["own history", "own history and panel", "panel profile"] = Field(
        ..., description="How much of the estimate is the viewer's own history rather than the panel's profile."
    )
    device: str | None = Field(None, description="The device the viewer uses most, when the history names devices.")
    device_share: float | None = Field(None, ge=0, le=1, description="Share of the viewer's sessions on that device.")


class ScoreParts(BaseModel):
    """The hybrid score's inputs for one viewer, each in standard deviations from the panel's mean."""

    content: float | None = Field(None, description="Similarity of the title's catalog text to the viewer's history.")
    genre: float | None = Field(None, description="Share of the viewer's history in the title's genres.")
    collaborative: float | None = Field(None, description="Predicted liking of the title's comparables (PureSVD).")
    activity: float = Field(..., description="How much the viewer watches (the popularity prior).")
    recency: float = Field(..., description="How recently the viewer watched anything.")
    novelty: float = Field(..., description="How much of what the viewer watches is new on release.")


class ViewerScore(BaseModel):
    """One viewer's cold-start score for a new title, with its reasons and a send window."""

    rank: int = Field(..., ge=1, description="Position in the panel, 1 = most likely to watch.")
    user_id: str = Field(..., description="The viewer's id as imported.")
    affinity: float = Field(
        ...,
        ge=0,
        description="Likelihood to watch relative to the average viewer with about as much history (1.0 = average).",
    )
    percentile: float = Field(..., ge=0, le=100, description="Share of the panel scoring below this viewer, in percent.")
    confidence: float = Field(..., ge=0, le=1, description="How much history the score rests on (0-1).")
    confidence_label: ConfidenceLabel = Field(..., description="low, medium or high.")
    history: int = Field(..., ge=0, description="Titles in the viewer's history.")
    parts: ScoreParts = Field(..., description="The score's inputs.")
    explanation: str = Field(..., description="Why, in words a person can check against the viewer's history.")
    window: SendWindow = Field(..., description="When to notify this viewer.")


class WindowCount(BaseModel):
    """How many high-affinity viewers have their best send window in one part of one day."""

    weekday: int = Field(..., ge=0, le=6, description="Day of the week, 0 = Monday.")
    daypart: str = Field(..., description="morning, afternoon, evening or night.")
    label: str = Field(..., description="e.g. 'Friday evening'.")
    viewers: int = Field(..., ge=0, description="High-affinity viewers whose best window starts there.")


class PanelInfo(BaseModel):
    """Which viewers were scored."""

    kind: PanelKind = Field(..., description="movielens (the bundled panel) or tenant (an imported history).")
    tenant: str = Field(..., description="Tenant whose panel it is ('' for the bundled panel).")
    source: str = Field(..., description="Where the history comes from.")
    viewers: int = Field(..., ge=0, description="Viewers in the panel.")
    titles: int = Field(..., ge=0, description="Distinct titles in their histories.")
    titles_with_text: int = Field(..., ge=0, description="Of those, titles with a catalog embedding (content similarity).")
    events: int = Field(..., ge=0, description="Viewing events (ratings or watches).")
    clock: str = Field(..., description="Which clock the send windows are in.")


class TargetingList(BaseModel):
    """The viewers to notify about a new title, best first, and what the whole panel looks like."""

    title: str = Field(..., description="The new title.")
    panel: PanelInfo = Field(..., description="Who was scored.")
    viewers: list[ViewerScore] = Field(default_factory=list, description="The top viewers, best first.")
    high_affinity_threshold: float = Field(..., description="Affinity at or above which a viewer counts as high-affinity.")
    high_affinity: int = Field(..., ge=0, description="Viewers at or above the threshold: the audience to notify.")
    high_affinity_share: float = Field(..., ge=0, le=1, description="That audience as a share of the panel.")
    send_windows: list[WindowCount] = Field(
        default_factory=list, description="Best send windows of the high-affinity audience, by day and part of the day."
    )
    comparables: list[str] = Field(default_factory=list, description="Panel titles the collaborative signal went through.")
    weights: dict[str, float] = Field(default_factory=dict, description="Weight of each standardised input in the score.")
    method: str = Field(..., description="How the score is computed.")
    notes: list[str] = Field(default_factory=list, description="What was missing or assumed.")
    model_version: str = Field(..., description="Version of the viewer engine.")


class ListItem(BaseModel):
    """One title in a viewer's list."""

    rank: int = Field(..., ge=1, description="Position in the diversified list.")
    title_id: str = Field(..., description="Catalog (or MovieLens) id; empty for the new title.")
    title: str = Field(..., description="Title.")
    year: int | None = Field(None, description="Release year.")
    genres: list[str] = Field(default_factory=list, description="Genres.")
    affinity: float = Field(
        ..., ge=0, description="Relevance to this viewer relative to their average unseen title; the list is in this order."
    )
    new: bool = Field(False, description="True for the new title.")
    explanation: str = Field("", description="Why it is in the list, ending with the same affinity the list shows.")


class ViewerList(BaseModel):
    """A viewer's top titles from the catalog, diversified, with the new title placed where it ranks."""

    user_id: str = Field(..., description="The viewer.")
    title: str | None = Field(None, description="The new title placed in the list, if any.")
    items: list[ListItem] = Field(..., description="The list, first to show first.")
    new_title_position: int | None = Field(
        None, description="Where the new title ranks by relevance alone among every title the viewer has not seen (1 = first)."
    )
    new_title_rank: int | None = Field(None, description="Its position in the diversified list; None when it did not make it.")
    candidates: int = Field(..., ge=0, description="Unseen titles ranked.")
    score: ViewerScore | None = Field(None, description="The viewer's score for the new title, with its explanation.")
    window: SendWindow = Field(..., description="When to notify this viewer.")
    history: list[str] = Field(default_factory=list, description="The viewer's most recent titles, newest first.")
    method: str = Field(..., description="How the list is built.")
