"""The remote backend: an httpx client of the tenant API (coditect_server).

``RemoteBackend`` implements the Backend contract over ``/api/v1``; ``open_remote``
builds one from a ``backend: {kind: remote, ...}`` profile (token from an environment
variable, the OS keyring or a 0600 file). See docs/server.md for timeouts and retries.
"""

from coditect_remote.client import RemoteBackend, open_remote

__all__ = ["RemoteBackend", "open_remote"]
