"""One module per benchmark workload, each named after its `--only` name (`bigfile` and
`manyfiles` share bigoutputs.py; `remote` keeps its S3 server in s3server.py).

A workload builds its projects from scratch under benchmarks/.work/, times the tools through
benchmarks/tools.py and the harness (benchmarks/harness.py), checks that the work was really
done, and returns its table rows. Workloads import the harness and the tools, never each other,
except that `remote` reuses the generator of bigoutputs.py.
"""
