"""Helpers shared by the tests: an HTTP client for the running server, the seed shapes, services."""
