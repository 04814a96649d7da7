"""Test support code shared by tests and benchmarks (generators of real data, no mocks)."""
