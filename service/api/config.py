"""The API's part of the settings: what the app factory needs, parsed by the serving layer."""

from __future__ import annotations

from dataclasses import dataclass

from .context import DecisionSink


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """Where the trees are and the request limits; defaults live with the settings."""

    trees_dir: str | None
    overlay_dirs: tuple[str, ...]
    pricing_file: str | None
    max_body_bytes: int
    facts_max_bytes: int
    batch_max_items: int
    # Memory each worker keeps for encoded evaluation bodies (0: none kept).
    body_cache_bytes: int = 0
    decisions: DecisionSink | None = None
    testing: bool = False
