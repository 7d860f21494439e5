"""Shared building blocks: configuration, clock, JSON, errors and the app factory."""
