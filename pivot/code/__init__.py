"""Fingerprints of the user's code: parsed sources, Python's scope rules, and the transitive walk
that hashes a stage function with every project-local helper it reaches. May import `pivot.base`
and `pivot.errors`; never the user's modules except to resolve what a stage already imports."""
