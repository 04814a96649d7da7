"""Plugins: third-party observers of the app, the CLI and the server (docs/plugins.md).

``contract`` (the optional base class and the entry point group), ``events`` (the frozen
payloads), ``discovery`` (entry points and settings), ``dispatcher`` (threads, timeouts,
disabling), ``hub`` (the process's installed dispatcher, ``emit``).
"""
