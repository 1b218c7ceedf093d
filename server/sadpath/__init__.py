"""sadpath: finds and fixes missing or wrong failure handling in Python backend code."""

__version__ = "0.1.0"
