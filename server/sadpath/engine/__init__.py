"""The analysis engine: parse once with ``ast``, one semantic model, one walk."""

from sadpath.engine.analyze import Analysis, analyze, parse

__all__ = ["Analysis", "analyze", "parse"]
