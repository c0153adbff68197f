"""Foundations with no knowledge of pipelines: atomic writes, full-disk errors, YAML reading with
line numbers, import hygiene, wording of counts, redaction of secrets, and the project's paths.
May import only `pivot.errors` and each other."""
