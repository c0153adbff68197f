"""pivot: typed Python pipelines with parallel runs, a content-addressed cache and explanations."""

__version__ = "0.1.0"
