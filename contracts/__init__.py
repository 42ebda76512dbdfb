"""Interface contracts: extract, lock, compare, recommend semver, find who breaks (see README.md)."""
