"""Cluster facts: kubectl objects and error text in, answers with evidence out (pure)."""

from __future__ import annotations

from .derive import derive
from .errortext import classify as classify_error
from .model import Answer, Facts, Value
from .nodes import kernel_major_minor

__all__ = ["Answer", "Facts", "Value", "classify_error", "derive", "kernel_major_minor"]
