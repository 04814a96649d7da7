"""The tenant API server: FastAPI over the store (PostgreSQL with row-level security, or
one SQLite file for a single node).

``create_app(ServerConfig(db=...))`` builds the ASGI app; ``coditect serve`` runs it with
uvicorn. See docs/server.md.
"""

from coditect_server.app import create_app
from coditect_server.state import ServerConfig, ServerState

__all__ = ["ServerConfig", "ServerState", "create_app"]
