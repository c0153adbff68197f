"""Content addressing: xxh3-128 hashes of files and directories, the stat memo, the cache, and the
run cache (`runcache`: the one module that keys, looks up, records and restores recorded runs)."""
