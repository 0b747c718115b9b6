"""Benchmarks for Komitmen, run on demand: `make bench` or `python -m bench.<name>`."""
