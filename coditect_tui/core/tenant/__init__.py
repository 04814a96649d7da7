"""One open tenant, owned by one object: :class:`TenantSession` (UI-free).

The app holds exactly one session at a time. Refresh and tenant switch close the old
session (every task awaited, every handle closed) before the new one opens; panes
subscribe to the open session's events and load their own data from it.

Events live in :mod:`.events`, the session in :mod:`.session` (imported only when a
tenant opens: the first paint does not need it).
"""
