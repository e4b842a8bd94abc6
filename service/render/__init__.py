"""Renderers: an evaluation result as text for people and chat tools (no HTTP here)."""
