"""Komitmen's entry points: settings, the CLI, the worker and the embedded servers."""
