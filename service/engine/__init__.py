"""The decision engine: load, check, compile and evaluate decision trees (no HTTP here)."""

from __future__ import annotations

from .audit import audit
from .catalog import Catalog, bundled_trees_dir
from .errors import (
    EngineError,
    InvalidAnswers,
    InvalidInput,
    InvalidPricing,
    Problem,
    TreeCheckError,
    UnknownTree,
    UnknownVersion,
)
from .evaluate import Result
from .model import Tree

__all__ = [
    "Catalog",
    "EngineError",
    "InvalidAnswers",
    "InvalidInput",
    "InvalidPricing",
    "Problem",
    "Result",
    "Tree",
    "TreeCheckError",
    "UnknownTree",
    "UnknownVersion",
    "audit",
    "bundled_trees_dir",
]
