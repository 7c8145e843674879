"""What each launch step does, in words, for progress displays."""

STEP_LABELS: dict[str, str] = {
    "intake": "brief checked",
    "analyst": "comparables, forecast and segments",
    "writer": "draft written",
    "editor": "draft reviewed",
    "marketer": "release window, promotion split and ad copy",
    "pricing": "price points and offers",
    "assemble": "launch package assembled",
}
