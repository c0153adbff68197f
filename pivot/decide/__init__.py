"""Deciding what runs: `observe` gathers the facts of a stage (fingerprint, params, dep and output
hashes) and `status.decide` turns facts and the lock into one `Decision` with its reasons, once per
stage per command, for run, status and explain alike; the run cache (pivot.storage.runcache) is
looked up only for a stage that would run. May import everything below the executor."""
