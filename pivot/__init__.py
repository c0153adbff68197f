"""pivot: typed Python pipelines with parallel runs, a content-addressed cache and explanations."""

from pivot.base import codecache as _codecache

__version__ = "0.1.0"

_codecache.install()  # before any of pivot's dataclasses is made
