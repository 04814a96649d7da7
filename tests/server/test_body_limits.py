"""Request bodies are bounded before they are read (a real uvicorn, raw sockets): a request
is authenticated before any byte of its body is read, a declared Content-Length above the
route's limit is refused at once, and a chunked body is cut off at the limit. Each check
sends only the start of the body and expects the answer before the rest: the server
never waits for (or buffers) what it refuses."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import orjson
import pytest

from coditect_tui.core.models import utcnow
from tests.pg import run_sync
from tests.server.conftest import ThreadServer, make_tenant

HUGE = 150_000_000  # the hostile run's body
CHUNK = 64 * 1024
#: a failure guard only: a passing test never waits for it
GUARD_SECONDS = 10


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    closed: bool  # the server ended the connection after answering


def _connect(server: ThreadServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=GUARD_SECONDS)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    return sock


def _head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _answer(sock: socket.socket) -> Answer:
    """Read one response (Content-Length framed), then whether the server closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        assert more, f"connection closed before an answer: {data!r}"
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        more = sock.recv(65536)
        assert more, "connection closed inside the answer"
        rest += more
    try:
        closed = sock.recv(1) == b""
    except ConnectionResetError:
        closed = True
    return Answer(int(status_line.split()[1]), headers, rest[:length], closed)


def _send_quietly(sock: socket.socket, data: bytes) -> bool:
    """Send, unless the server has already closed (then False)."""
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


@pytest.fixture
def keys(thread_server: ThreadServer) -> Iterator[dict[str, str]]:
    tenant = run_sync(
        lambda: make_tenant(
            str(thread_server.db),
            "acme",
            {"audrey": "auditor"},
            expires={"audrey": utcnow() + timedelta(days=1)},
        )
    )
    yield tenant.keys


def _problem(answer: Answer, status: int, code: str) -> None:
    assert answer.status == status, answer
    assert answer.headers["content-type"] == "application/problem+json"
    assert orjson.loads(answer.body)["code"] == code


def _start_huge_body(
    server: ThreadServer, method: str, path: str, headers: dict[str, str]
) -> Answer:
    """Announce a HUGE JSON body, send its first CHUNK only, and read the answer."""
    with _connect(server) as sock:
        declared = {"Content-Type": "application/json", "Content-Length": str(HUGE)}
        sock.sendall(_head(method, path, {**headers, **declared}) + b"[" * CHUNK)
        return _answer(sock)


def test_an_unauthenticated_body_is_never_read(thread_server: ThreadServer) -> None:
    answer = _start_huge_body(thread_server, "PUT", "/api/v1/memory/batch", {})
    _problem(answer, 401, "unauthorized")
    assert answer.headers["connection"] == "close" and answer.closed


def test_a_declared_body_over_the_limit_is_refused_unread(
    thread_server: ThreadServer, keys: dict[str, str]
) -> None:
    # the hostile run: a read-only auditor key sending 150 MB
    for method, path in (("PUT", "/api/v1/memory/batch"), ("POST", "/api/v1/memory/list")):
        auditor = {"Authorization": f"Bearer {keys['audrey']}"}
        answer = _start_huge_body(thread_server, method, path, auditor)
        _problem(answer, 413, "invalid_input")
        assert "larger than this route accepts" in orjson.loads(answer.body)["detail"]
        assert answer.headers["connection"] == "close" and answer.closed


def test_a_route_without_a_body_refuses_a_declared_one_before_it_acts(
    thread_server: ThreadServer, keys: dict[str, str]
) -> None:
    with _connect(thread_server) as sock:
        sock.sendall(
            _head(
                "DELETE",
                "/api/v1/members/audrey",
                {"Authorization": f"Bearer {keys['owner']}", "Content-Length": str(HUGE)},
            )
        )
        answer = _answer(sock)
    _problem(answer, 413, "invalid_input")
    with _connect(thread_server) as sock:  # and the member is still there
        sock.sendall(
            _head(
                "GET",
                "/api/v1/members",
                {"Authorization": f"Bearer {keys['owner']}", "Connection": "close"},
            )
        )
        members = orjson.loads(_answer(sock).body)
    assert "audrey" in [m["name"] for m in members]


def _chunked_project_head(key: str, extra: dict[str, str] | None = None) -> bytes:
    return _head(
        "PUT",
        "/api/v1/projects",
        {
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
            **(extra or {}),
        },
    )


def test_a_chunked_body_is_cut_off_at_the_limit(
    thread_server: ThreadServer, keys: dict[str, str]
) -> None:
    with _connect(thread_server) as sock:
        sock.sendall(_chunked_project_head(keys["owner"]))
        chunk = f"{CHUNK:x}\r\n".encode() + b" " * CHUNK + b"\r\n"
        sent = 0
        # 4 MiB, 4 times the route's limit; the last chunk never comes
        while sent < 4 * 1024 * 1024 and _send_quietly(sock, chunk):
            sent += CHUNK
        answer = _answer(sock)
    _problem(answer, 413, "invalid_input")
    assert answer.headers["connection"] == "close" and answer.closed


def test_a_chunked_body_within_the_limit_is_served(
    thread_server: ThreadServer, keys: dict[str, str]
) -> None:
    body = orjson.dumps({"name": "chunked", "description": "x" * 200_000})
    with _connect(thread_server) as sock:
        sock.sendall(_chunked_project_head(keys["owner"], {"Connection": "close"}))
        for start in range(0, len(body), CHUNK):
            part = body[start : start + CHUNK]
            sock.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n")
        sock.sendall(b"0\r\n\r\n")
        answer = _answer(sock)
    assert answer.status == 200, answer
    assert orjson.loads(answer.body)["name"] == "chunked"
