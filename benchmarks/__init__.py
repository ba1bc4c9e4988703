"""Benchmarks run by `make bench`: each module has a `main(argv) -> int` that prints its figures."""
