#!/usr/bin/env python3
"""Schemathesis with every check against ``coditect serve`` on PostgreSQL; run by hand.

Usage: python bench/schemathesis_all.py [--max-examples 100] [extra schemathesis args]

Creates a throw-away database and a tenant (owner key), serves it with a real uvicorn on
127.0.0.1, runs ``schemathesis run --checks all`` against /openapi.json with the owner key
(/events, an endless stream, excluded), then stops the server and drops the database.
Exit status: schemathesis'. The figures go to docs/benchmarks.md ("schemathesis").
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.pg (database set-up shared with the tests)

from tests.pg import ServerProcess, create_database, drop_database  # noqa: E402
from tests.server.conftest import make_tenant  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=100)
    args, extra = parser.parse_known_args()
    db = asyncio.run(create_database("coditect_fuzz"))
    workdir = Path(tempfile.mkdtemp(prefix="coditect-fuzz-"))
    server: ServerProcess | None = None
    try:
        tenant = asyncio.run(make_tenant(db.app_url, "fuzz", {"vic": "viewer"}))
        server = ServerProcess(db.app_url, workdir)
        cli = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
        command = [
            cli,
            "run",
            f"{server.url}/openapi.json",
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
        if server is not None:
            server.stop()
        asyncio.run(drop_database(db))
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
