"""The analyst's artifact: who the title is for, what it resembles, how it may do."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.comparables import Comparable
from tools.forecast import AudienceForecast
from tools.reception import ReceptionReport
from tools.segments import SegmentReport


class AnalystSummary(BaseModel):
    """What the model writes: a headline and a summary of the numbers it was given."""

    model_config = ConfigDict(title="AnalystSummary")

    headline: str = Field(..., min_length=10, max_length=160, description="One sentence: the single most useful finding.")
    summary: str = Field(..., min_length=40, max_length=700, description="Three or four sentences explaining the numbers.")


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
    caveats: list[str] = Field(default_factory=list, description="What is out of the models' domain or missing, one item each.")
    headline: str = Field(..., description="The most useful finding in one sentence.")
    summary: str = Field(..., description="The numbers explained in words.")
    summary_source: Literal["model", "template"] = Field(
        ..., description="model, or template when the model's summary was unusable."
    )
