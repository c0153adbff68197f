"""Content addressing: xxh3-128 hashes of files and directories, the stat memo, and the cache."""
