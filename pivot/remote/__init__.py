"""Remote caches: `spec` resolves which remote a command means, `fs` reaches it through fsspec
(names on it: `layout`; retries and errors: `retry`), `transfer` pushes and fetches objects between
it and the local cache (on the task runner of `tasks`; small files in packs: `packformat`, `packs`,
`packfetch`; run-cache entries: `runs`), `pushplan` decides what a push sends, `collect` what gc -r
deletes and in which order."""
