"""How this process ends. The `pivot` program ends with `os._exit` as soon as its command has
(pivot.cli.ending), so what the kernel does at exit need not be done before it: idle workers end
with the zygote after pivot (pivot.executor.forkpool), and the stat memo's connection is closed by
the kernel, not by SQLite's checkpoint (pivot.storage.state)."""

# Set by the `pivot` program (pivot.cli.ending); any other caller (the Python API, tests) ends its
# workers and closes its files as usual.
ends_after_command = False
