"""CODITECT TUI: a terminal workspace for many projects, tenants and repos."""

__version__ = "0.1.0"
