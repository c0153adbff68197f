"""Remote caches: `spec` resolves which remote a command means, `fs` reaches it through fsspec,
`transfer` pushes and fetches objects between it and the local cache, `pushplan` decides what a
push sends, `collect` what gc -r deletes and in which order."""
