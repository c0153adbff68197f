"""Experiments: variants of the pipeline's params, each run and recorded in `.pivot/exps/`, then
shown, compared, applied to the workspace or removed.

May import everything below the executor, and `pivot.report` for the tables it shares with
`params` and `metrics`."""
