"""Declaring a pipeline: pivot.yaml, params.yaml and pipeline.py read into `Stage` values (matrix
expanded, params resolved, code fingerprinted, memoized between commands), the graph built from
them, and targets picked out of it. The only package that imports the user's modules. May import
`pivot.base`, `pivot.code`, `pivot.errors` and the public declaration modules (outputs, loaders,
stage_def, pipeline)."""
