"""pivot as a library: open a project, run it, sync it, load its outputs."""
