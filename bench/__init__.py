"""Benchmarks of the sync engine, the 24SO client, the admin and the API (`make bench`)."""
