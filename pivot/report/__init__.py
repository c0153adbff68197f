"""Reports from lock and metric files, now and at git revisions: params and metrics, shown and diffed."""
