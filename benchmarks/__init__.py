"""Benchmarks: scripts that print figures; no timing assertions live in the tests."""
