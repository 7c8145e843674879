"""Owned channels (push, email) as response curves, sized to a tenant's high-affinity audience."""

from __future__ import annotations

from pathlib import Path

import yaml

from greenroom.core.market import ChannelCurve
from greenroom.core.viewers import TargetingList

OWNED_CHANNELS_PATH = Path(__file__).parent.parent / "data" / "owned_channels.yaml"


def owned_channel_curves(targeting: TargetingList, path: Path = OWNED_CHANNELS_PATH) -> list[ChannelCurve]:
    """Push and email curves sized to the high-affinity audience of a tenant's own panel (none for the bundled one)."""
    if targeting.panel.kind != "tenant" or targeting.high_affinity < 1:
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    source = f"{path.name}: {data['source']}; audience: {targeting.high_affinity:,} high-affinity viewers of {targeting.title}"
    curves: list[ChannelCurve] = []
    for name, spec in data["channels"].items():
        top = targeting.high_affinity * float(spec["reach_rate"])
        if top < 1:
            continue
        half = top * float(spec["cost_per_1000"]) * float(spec["frequency"]) / 1000
        curves.append(
            ChannelCurve(name=name, label=spec["label"], top=round(top, 2), half_saturation=max(round(half, 4), 0.01),
                         shape=spec["shape"], decay=spec["decay"], uncertainty=spec["uncertainty"], source=source)
        )  # fmt: skip
    return curves
