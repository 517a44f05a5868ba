"""Benchmarks: `python -m benchmarks` prints the results table."""
