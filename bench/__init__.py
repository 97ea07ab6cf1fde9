"""Benchmarks for Storyhouse, run with `make bench` (`python -m bench`); never part of the tests."""
