"""The remote backend: an httpx client of the tenant API.

Not built yet: issue [6/6] delivers it. Until then a profile with ``backend: remote``
is refused with a clear message by coditect_tui.core.factory.
"""
