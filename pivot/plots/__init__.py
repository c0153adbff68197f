"""Plots: what a Plot output draws (`model`), its data at any revision, and the pages and
comment blocks that show it."""
