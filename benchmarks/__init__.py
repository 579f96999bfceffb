"""Benchmarks of the portal at fleet scale, each figure paired with a reference measured in the same run.

`python -m benchmarks` (what `make bench` runs) starts the sandbox itself at each fleet size, runs
one module per row and writes `benchmarks/RESULTS.md` and `benchmarks/results.json`.
"""
