"""Foundations with no knowledge of pipelines: atomic writes, full-disk errors, YAML reading with
line numbers, import hygiene, wording of counts, sizes and display widths, plain values compared
and merged (`plain`), redaction of secrets, the project's paths, and running git (`git`, the only
module that does).
May import only `pivot.errors` and each other."""
