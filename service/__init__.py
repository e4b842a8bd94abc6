"""netadvisor: Kubernetes networking advice from versioned decision trees."""

from __future__ import annotations

__version__ = "0.1.0"
