#!/usr/bin/env python3
"""Webhook delivery benchmark (issue [8/8], benchmarks); run by hand, not in CI.

Usage: python bench/bench_webhooks.py [--events 2000] [--rounds 3]

What is measured: deliveries per second from the outbox to a local receiver that
verifies every signature (Standard Webhooks), on PostgreSQL (row-level security, the app
role, ``FOR UPDATE SKIP LOCKED`` claims) and on a SQLite file. The events are queued by
one audit import (one transaction), then the server's worker runs rounds until every
delivery is settled; the receiver counts distinct ids and bad signatures.

Anchor, same run, same receiver: the same number of signed POSTs sent by one httpx client
16 at a time, with no database at all (what the network, signing and the receiver cost).
The ratio says what the outbox (claim, settle, the destination check) costs on top.

The receiver is a uvicorn in a process of its own (so it does not share this process's
GIL). Needs PostgreSQL at 127.0.0.1:5432 (trust auth as postgres); it creates and drops
its own database. Prints one line per figure with its ratio to the anchor.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.pg (database set-up shared with the tests)

from tests.pg import create_database, drop_database, free_port  # noqa: E402

RECEIVER_APP = """
import time

from coditect_tui.core.webhooks import verify

STATE = {"secret": "", "ids": set(), "bad": 0}


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    status = 204
    if scope["path"] == "/secret":
        STATE["secret"], STATE["ids"], STATE["bad"] = body.decode(), set(), 0
    elif scope["path"] == "/stats":
        payload = f'{{"ids": {len(STATE["ids"])}, "bad": {STATE["bad"]}}}'.encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": payload})
        return
    elif verify(STATE["secret"], headers.get("webhook-id", ""),
                headers.get("webhook-timestamp", ""), body,
                headers.get("webhook-signature", ""), now=int(time.time()), tolerance=300):
        STATE["ids"].add(headers["webhook-id"])
    else:
        STATE["bad"] += 1
        status = 400
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b""})
"""


def start_receiver(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The receiver in its own process; its base URL once it answers."""
    (workdir / "receiver_app.py").write_text(RECEIVER_APP)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "receiver_app:app", "--port", str(port),
         "--log-level", "error", "--no-access-log"],
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": f"{workdir}:{REPO}"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url + "/stats", timeout=1)
            return proc, url
        except httpx.HTTPError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("the receiver did not start") from None
            time.sleep(0.1)


async def stats(url: str) -> dict[str, int]:
    async with httpx.AsyncClient() as client:
        answer: dict[str, int] = (await client.get(url + "/stats")).json()
        return answer


async def set_secret(url: str, secret: str) -> None:
    async with httpx.AsyncClient() as client:
        await client.post(url + "/secret", content=secret)


async def anchor(url: str, events: int) -> float:
    """Signed POSTs per second, 16 at a time, without the outbox."""
    from coditect_tui.core.webhooks import new_secret, sign

    secret = new_secret()
    await set_secret(url, secret)
    body = b'{"type":"projects.create","data":{"seq":1}}'
    gate = asyncio.Semaphore(16)
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as client:

        async def one(n: int) -> None:
            async with gate:
                msg_id = f"msg_anchor{n}"
                stamp = int(time.time())
                await client.post(
                    url + "/hook",
                    content=body,
                    headers={
                        "content-type": "application/json",
                        "webhook-id": msg_id,
                        "webhook-timestamp": str(stamp),
                        "webhook-signature": sign(secret, msg_id, stamp, body),
                    },
                )

        began = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(events)))
        elapsed = time.perf_counter() - began
    seen = await stats(url)
    assert seen == {"ids": events, "bad": 0}, seen
    return events / elapsed


async def outbox(db: str, url: str, events: int) -> float:
    """Deliveries per second through the outbox and the server's worker."""
    from coditect_server.state import ServerConfig, ServerState
    from coditect_store.base import Provision
    from coditect_store.engine import is_postgres_url
    from coditect_store.store import SqlStore
    from coditect_tui.core.models import AuditEventSpec, utcnow
    from coditect_tui.core.webhooks import WebhookSpec

    tenant = f"bench-{time.monotonic_ns()}"
    provision = Provision(display_name=tenant, tier="internal", role="owner")
    opener = SqlStore.open_postgres if is_postgres_url(db) else SqlStore.open_sqlite
    store = await opener(db, tenant=tenant, principal="owner", provision=provision)
    try:
        hook = await store.add_webhook(WebhookSpec(url=url + "/hook", events=["bench.*"]))
        await set_secret(url, hook.secret)
        now = utcnow()
        await store.import_audit_events(
            [
                AuditEventSpec(
                    ts=now, actor="bench", action="bench.event", resource_type="projects",
                    resource_id=str(n), source="bench",
                )
                for n in range(events)
            ]
        )  # fmt: skip
    finally:
        await store.close()
    state = ServerState(
        ServerConfig(db=db, webhooks=False, webhook_allow_networks=("127.0.0.1/32",))
    )
    await state.start()
    try:
        began = time.perf_counter()
        done = 0
        while done < events:
            sent = await state.webhooks.run_once()
            if sent == 0:
                raise RuntimeError(f"the outbox ran dry after {done} of {events}")
            done += sent
        elapsed = time.perf_counter() - began
    finally:
        await state.stop()
    seen = await stats(url)
    assert seen == {"ids": events, "bad": 0}, seen
    return events / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pg = await create_database("coditect_bench")
    workdir = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    receiver, url = start_receiver(workdir)
    try:
        figures: dict[str, list[float]] = {"anchor": [], "postgresql": [], "sqlite": []}
        for n in range(args.rounds):
            figures["anchor"].append(await anchor(url, args.events))
            figures["postgresql"].append(await outbox(pg.app_url, url, args.events))
            sqlite = str(workdir / f"server-{n}.db")
            figures["sqlite"].append(await outbox(sqlite, url, args.events))
        base = statistics.median(figures["anchor"])
        print(f"anchor: signed POSTs to the receiver, no outbox: {base:,.0f}/s")
        for name in ("postgresql", "sqlite"):
            rate = statistics.median(figures[name])
            print(
                f"webhook deliveries/s ({name}, {args.events} events, median of "
                f"{args.rounds}): {rate:,.0f}/s = {rate / base:.2f}x the anchor"
            )
    finally:
        receiver.terminate()
        receiver.wait(10)
        await drop_database(pg)


if __name__ == "__main__":
    asyncio.run(main())
