"""After a creative test: a new ad-copy variant in the winner's direction, for the next test on that channel.

The marketer's own ad-copy request writes it (`agents.marketer.write_ad_copy`), with the winning line
as the line to build on, so the new line gets the same checks as every other: the channel's length in
the schema, debris stripped, echoes of the prompt, duplicates and the brief's avoided topics dropped.
A line that only repeats one already tested is not new; when none is left, there is no new variant.
"""

from __future__ import annotations

from collections.abc import Sequence

from greenroom.agents.marketer import write_ad_copy
from greenroom.core.package import LaunchPackage
from greenroom.core.schemas import CallRecord
from greenroom.models.llm import ModelHandle


def new_variant(model: ModelHandle, package: LaunchPackage, channel: str, winner: str,
                tested: Sequence[str]) -> tuple[str, list[CallRecord]]:  # fmt: skip
    """A new line for `channel` in the direction of the `winner` line ("" when the model gave no usable new one)."""
    plan = package.promotion_plan
    allocation = next(c for c in plan.allocation.channels if c.channel == channel)
    platform = package.release_plan.recommendation.platforms
    copies, calls = write_ad_copy(
        model, package.brief, [allocation], seeds=[winner], segments=plan.target_segments,
        launch=package.release_plan.chosen.start, platform=platform[0].platform if platform else "its platforms",
    )  # fmt: skip
    seen = {" ".join(t.lower().split()) for t in tested}
    fresh = [v for v in copies[0].variants if copies[0].source == "model" and " ".join(v.lower().split()) not in seen]
    return (fresh[0] if fresh else ""), calls
