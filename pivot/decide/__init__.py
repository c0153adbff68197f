"""Deciding what runs: `observe` gathers the facts of a stage (fingerprint, params, dep and output
hashes, run-cache lookups) and `status.decide` turns facts and the lock into one `Decision` with
its reasons, for run, status and explain alike. May import everything below the executor."""
