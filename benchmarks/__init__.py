"""Benchmarks run by `make bench`; they write docs/performance.md. Tests never assert timings."""
