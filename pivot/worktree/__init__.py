"""The project's files against its locks: the I/O handles of one command (`workspace`), which
objects the locks and .pvt files reference, restoring outputs without losing an edit, tracked
files, and the .gitignore entries for cached outputs. May import `pivot.storage`, `pivot.declare`
and below."""
