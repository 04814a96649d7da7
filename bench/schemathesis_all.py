#!/usr/bin/env python3
"""Schemathesis with every check against ``coditect serve`` on PostgreSQL; run by hand.

Usage: python bench/schemathesis_all.py [--max-examples 100] [extra schemathesis args]

Creates a throw-away database and a tenant (owner key), serves it with a real uvicorn on
127.0.0.1, runs ``schemathesis run --checks all`` against /openapi.json with the owner key
(/events, an endless stream, excluded), then stops the server and drops the database.
The failed-authentication limit per address is lifted for the run (``--auth-limit`` keeps
it): schemathesis' own auth checks fail authentication hundreds of times from one
address, and the limiter then answers 429 to everything, by design.
Exit status: schemathesis'. The figures go to docs/benchmarks.md ("schemathesis").
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import uvicorn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.pg (database set-up shared with the tests)

from coditect_server.app import create_app  # noqa: E402
from coditect_server.state import ServerConfig  # noqa: E402
from tests.pg import Uvicorn, create_database, drop_database, listening_socket  # noqa: E402
from tests.server.conftest import make_tenant  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--auth-limit", action="store_true", help="keep the failed-auth limit")
    args, extra = parser.parse_known_args()
    db = asyncio.run(create_database("coditect_fuzz"))
    workdir = Path(tempfile.mkdtemp(prefix="coditect-fuzz-"))
    sock = listening_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    lifted: dict[str, int] = {} if args.auth_limit else {"auth_failure_burst": 10**9}
    config = ServerConfig(db=db.app_url, **lifted)
    server = Uvicorn(uvicorn.Config(create_app(config), log_level="error", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    try:
        tenant = asyncio.run(make_tenant(db.app_url, "fuzz", {"vic": "viewer"}))
        thread.start()
        server.startup_over.wait(60)
        if not server.started:
            raise SystemExit("uvicorn did not start")
        cli = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
        command = [
            cli,
            "run",
            f"{url}/openapi.json",
            "--checks",
            "all",
            "--exclude-path",
            "/api/v1/events",
            "--max-examples",
            str(args.max_examples),
            "--seed",
            "1",
            "-H",
            f"Authorization: Bearer {tenant.keys['owner']}",
            "--suppress-health-check",
            "all",
            "--request-timeout",
            "30",
            *extra,
        ]
        # in the temporary directory: schemathesis keeps its cache (.schemathesis/) there
        return subprocess.run(command, check=False, cwd=workdir).returncode
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        asyncio.run(drop_database(db))
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
