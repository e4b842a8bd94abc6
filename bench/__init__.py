"""Benchmarks of netadvisor against its anchors; run each with `python -m bench.<name>`."""
