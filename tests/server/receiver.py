"""A real webhook receiver on 127.0.0.1 that verifies Standard Webhooks signatures.

It runs an HTTP server in a thread of the test process. Every request is checked with
the subscription's secret; deliveries are kept by ``webhook-id`` (duplicates are counted,
not kept twice, as a receiver de-duplicating at-least-once deliveries does). A test can
make it answer with a status of its choosing, or hold requests after the first few
(readiness signal :attr:`holding`) until :meth:`release`. With an SSL context it speaks
HTTPS, and records the server name (SNI) each client asked for.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from coditect_tui.core.webhooks import verify


class Receiver:
    """Collects deliveries; ``close()`` stops the server thread."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.secret = ""
        #: the Host header of each request
        self.hosts: list[str] = []
        #: the server name each TLS client sent (SNI)
        self.server_names: list[str | None] = []
        #: seconds a signature's timestamp may be off (a test's server clock may run ahead)
        self.tolerance = 300
        #: webhook-id -> the decoded body of its first arrival
        self.deliveries: dict[str, dict[str, Any]] = {}
        self.duplicates = 0
        self.bad_signatures = 0
        self.requests = 0
        #: the status to answer (a function of the request count, 1-based)
        self.status: Callable[[int], int] = lambda _n: 204
        self.redirect_to: str | None = None
        #: answer this many requests, then hold the rest until release()
        self.hold_after: int | None = None
        self.holding = threading.Event()
        self._gate = threading.Event()
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver._arrived(self, body)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _ctx: self.server_names.append(name)
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _arrived(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = handler.headers
        msg_id = headers.get("webhook-id", "")
        ok = verify(
            self.secret,
            msg_id,
            headers.get("webhook-timestamp", ""),
            body,
            headers.get("webhook-signature", ""),
            now=int(time.time()),
            tolerance=self.tolerance,
        )
        with self._changed:
            self.requests += 1
            self.hosts.append(headers.get("host", ""))
            number = self.requests
            if not ok:
                self.bad_signatures += 1
        if self.hold_after is not None and number > self.hold_after:
            self.holding.set()
            self._gate.wait()
        status = self.status(number)
        with self._changed:
            if ok and 200 <= status < 300 and self.redirect_to is None:
                if msg_id in self.deliveries:
                    self.duplicates += 1
                else:
                    self.deliveries[msg_id] = orjson.loads(body)
            self._changed.notify_all()
        try:
            if self.redirect_to is not None:
                handler.send_response(307)
                handler.send_header("location", self.redirect_to)
            else:
                handler.send_response(status)
            handler.send_header("content-length", "0")
            handler.end_headers()
        except OSError:
            pass  # the sender is gone (killed mid-delivery)

    def release(self) -> None:
        """Answer the held requests and every later one."""
        self.hold_after = None
        self._gate.set()

    def wait_until(self, done: Callable[[Receiver], bool], timeout: float) -> bool:
        """Block until ``done(self)`` holds after an arrival (False after ``timeout``)."""
        with self._changed:
            return self._changed.wait_for(lambda: done(self), timeout)

    def seqs(self) -> set[int]:
        """The audit seqs of the events received."""
        with self._changed:
            return {int(d["data"]["seq"]) for d in self.deliveries.values()}

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
