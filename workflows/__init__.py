"""Temporal orchestration only: no I/O, no settings, no templates."""
