"""Experiments: sweeps of params overrides run beside the workspace (`pivot exp run`), each
recorded in `.pivot/exps/` with its params, metrics and locks. Built on the library: may import
`pivot.api` and every layer below it; `record` alone sits low, so that `pivot gc` can keep what
the records name. Nothing here prints."""
