"""The analyst's artifact: who the title is for, what it resembles, how it may do."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from greenroom.core.analysis import AudienceForecast, Comparable, ReceptionReport, SegmentReport
from greenroom.core.text import Headline, Summary
from greenroom.core.viewers import TargetingList


class AnalystSummary(BaseModel):
    """What the model writes: a headline and a summary of the numbers it was given."""

    model_config = ConfigDict(title="AnalystSummary")

    headline: Headline = Field(..., description="One sentence: the single most useful finding.")
    summary: Summary = Field(..., description="Three or four sentences explaining the numbers.")


class AudienceReport(BaseModel):
    """Comparables, audience forecast, segments and reception, with the caveats that bound them."""

    comparables: list[Comparable] = Field(
        default_factory=list, description="Similar titles from the catalog, diversified, best first."
    )
    forecast: AudienceForecast | None = Field(
        None, description="Reach, rating and box office with intervals; None when no model was available."
    )
    segments: SegmentReport | None = Field(
        None, description="Audience segments ranked by affinity; None when no model was available."
    )
    reception: ReceptionReport | None = Field(None, description="How the comparables were received.")
    targeting: TargetingList | None = Field(
        None,
        description="The viewers most likely to watch, with reasons and send windows; None when no viewer panel was available.",
    )
    caveats: list[str] = Field(default_factory=list, description="What is out of the models' domain or missing, one item each.")
    headline: str = Field(..., description="The most useful finding in one sentence.")
    summary: str = Field(..., description="The numbers explained in words.")
    summary_source: Literal["model", "template"] = Field(
        ..., description="model, or template when the model's summary was unusable."
    )
