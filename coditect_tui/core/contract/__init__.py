"""The Backend contract, one module per resource group.

``coditect_tui.core.backend`` re-exports everything callers need; import from there.

Modules: ``kinds`` (the ``@reads``/``@mutates`` markers and the derivation of the sets),
``abilities`` (lifecycle and optional abilities with defaults, ``NotSupported``),
``tenants``, ``members`` (members and API keys), ``projects`` (projects and repos),
``sessions``, ``memory``, ``status``, ``audit`` (the resource interfaces), ``backend``
(``Backend`` composed of them), ``opening`` (what the factory and the backend packages'
openers agree on).
"""
