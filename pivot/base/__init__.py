"""Foundations with no knowledge of pipelines: atomic writes, full-disk errors, YAML reading with
line numbers, import hygiene, wording of counts, sizes and display widths, plain values compared
and merged (`plain`), redaction of secrets, the project's paths, running git (`git`, the only
module that does), the compiled code of pivot's dataclasses kept between commands
(`codecache`), and library patterns compiled on first use (`lazyregex`).
May import only `pivot.errors` and each other."""
