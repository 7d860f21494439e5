"""The release of Messenger Gateway (one place: packaging, `--version` and `/health` read it)."""

__version__ = "0.2.0"
