"""Helpers shared by tests, benchmarks and scripts: a real server on loopback, doc examples."""
