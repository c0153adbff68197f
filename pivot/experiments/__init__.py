"""Experiments: sweeps of params overrides run beside the workspace (`pivot exp run`), each
recorded in `.pivot/exps/` with its params, metrics and locks, then shown, compared, applied to
the workspace or removed. Nothing here prints.

May import everything below the executor, and `pivot.report` (the tables it shares with `params`
and `metrics`). The modules of `exp run` (plan, sweep, scratch, runner, children, child) sit above
the library they drive; `record` sits low, so that `pivot gc` can keep what the records name."""
