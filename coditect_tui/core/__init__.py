"""UI-free core: models, the Backend contract, policy, settings, git engine, reports.

Nothing in this package imports Textual (enforced by tests/unit/test_import_hygiene.py).
"""
