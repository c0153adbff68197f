"""The project's files against its locks: the I/O handles of one command (`workspace`) and what
it holds (`session`: the project lock, the loaded pipeline), which objects the locks and .pvt
files reference and what gc may delete (`collect`), restoring outputs without losing an edit,
tracked files (`tracking`, `tracker`), and the .gitignore entries for cached outputs.
May import `pivot.storage`, `pivot.declare` and below."""
