"""Running stages where the workspace is not (Dask's remote-cache mode): the one place that joins
the executor's worker to the remote cache. Above both layers; only `pivot.api.executors` (and
through it the CLI) imports it."""
