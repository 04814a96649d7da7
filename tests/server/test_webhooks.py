"""Webhook delivery in one process: signing, backoff with jitter on an injected clock,
disabling a subscription that keeps failing, refused destinations (at subscription and at
delivery time), redirects not followed, and the worker's resources closed.

The server state runs on a SQLite file with its worker loop off; each test drives rounds
with ``run_once()`` and moves a fake clock, so nothing waits on the wall clock. The
receiver is real (an HTTP server on 127.0.0.1 verifying signatures).
"""

from __future__ import annotations

import ipaddress
import os
import random
import re
import ssl
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from coditect_server.outbound import IPAddress
from coditect_server.state import ServerConfig, ServerState
from coditect_server.webhooks import WebhookWorker
from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.models import ProjectSpec, utcnow
from coditect_tui.core.webhooks import MAX_ATTEMPTS, WebhookSpec, retry_delay, sign
from tests.server.receiver import Receiver
from tests.server.webhook_rig import Rig, deliver_one, make_rig


@pytest.fixture
async def rig(tmp_path: Path, receiver: Receiver) -> AsyncIterator[Rig]:
    made = await make_rig(tmp_path, receiver, allow=("127.0.0.1/32",))
    try:
        yield made
    finally:
        await made.client.close()


def test_signature_matches_the_standard_webhooks_vector() -> None:
    # the example of the Standard Webhooks reference libraries
    assert (
        sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    assert [retry_delay(n, 0.0) for n in (1, 2, 3)] == [15.0, 30.0, 60.0]
    assert [retry_delay(n, 0.999999) for n in (1, 2)] == pytest.approx([30.0, 60.0])
    assert retry_delay(30, 0.999999) == pytest.approx(3600.0)
    # the whole schedule spans hours before a delivery is given up
    assert sum(retry_delay(n, 0.0) for n in range(1, MAX_ATTEMPTS)) > 4 * 3600


async def test_failures_back_off_then_disable_with_a_reason(rig: Rig) -> None:
    fds_before = len(os.listdir("/proc/self/fd"))
    threads_before = threading.active_count()
    receiver, client, worker = rig.receiver, rig.client, rig.state.webhooks
    receiver.status = lambda n: 500
    new = await client.add_webhook(WebhookSpec(url=receiver.url, events=["projects.*"]))
    receiver.secret = new.secret
    await client.upsert_project(ProjectSpec(name="p1"))

    rng = random.Random(rig.rng_seed)
    for attempt in (1, 2, 3):
        assert await worker.run_once() == 1
        assert await worker.run_once() == 0  # not due again until the backoff has passed
        (delivery,) = await client.list_webhook_deliveries(new.info.id)
        assert (delivery.attempts, delivery.last_status) == (attempt, 500)
        wait = retry_delay(attempt, rng.random())
        if attempt < 3:
            assert delivery.state == "pending"
            assert delivery.next_attempt_at == rig.clock.now + timedelta(seconds=wait)
        rig.clock.advance(timedelta(seconds=wait))
    assert receiver.requests == 3 and receiver.bad_signatures == 0
    (hook,) = await client.list_webhooks()
    assert not hook.enabled and hook.failures == 3
    assert hook.disabled_reason is not None
    assert "3 failed deliveries in a row" in hook.disabled_reason
    assert "HTTP 500" in hook.disabled_reason
    (delivery,) = await client.list_webhook_deliveries()
    assert (delivery.state, delivery.next_attempt_at) == ("failed", None)
    assert delivery.last_error == "not sent: the subscription was disabled"
    # a disabled subscription queues nothing and sends nothing
    await client.upsert_project(ProjectSpec(name="p2"))
    assert len(await client.list_webhook_deliveries()) == 1
    assert await worker.run_once() == 0
    await rig.state.webhooks.stop()
    assert len(os.listdir("/proc/self/fd")) <= fds_before
    assert threading.active_count() <= threads_before


async def test_success_resets_failures_and_signs_every_attempt(rig: Rig) -> None:
    receiver, client, worker = rig.receiver, rig.client, rig.state.webhooks
    receiver.status = lambda n: 503 if n == 1 else 200
    receiver.tolerance = 2 * 3600  # the server's clock is moved an hour ahead below
    new = await client.add_webhook(WebhookSpec(url=receiver.url, events=["projects.create"]))
    receiver.secret = new.secret
    project = await client.upsert_project(ProjectSpec(name="p1"))
    assert await worker.run_once() == 1
    # due since the event (real clock); the server's clock started a minute ahead of it
    lag = re.search(
        rb"^coditect_webhook_outbox_lag_seconds ([0-9.e+]+)$", rig.state.metrics.render(), re.M
    )
    assert lag is not None and 0 < float(lag.group(1)) <= 60
    rig.clock.advance(timedelta(hours=1))
    assert await worker.run_once() == 1
    (delivery,) = await client.list_webhook_deliveries()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 2, 200)
    assert list(receiver.deliveries) == [delivery.id]
    body = receiver.deliveries[delivery.id]
    assert body["type"] == "projects.create"
    assert body["data"]["resource_id"] == project.id
    data = body["data"]  # the actor by pseudonymous id, and who that is
    assert (data["outcome"], data["names"][data["actor"]]) == ("ok", "owner")
    assert receiver.bad_signatures == 0
    (hook,) = await client.list_webhooks()
    assert hook.enabled and hook.failures == 0


async def test_redirects_are_not_followed(rig: Rig) -> None:
    receiver, client, worker = rig.receiver, rig.client, rig.state.webhooks
    receiver.redirect_to = "http://169.254.169.254/latest/meta-data/"
    new = await client.add_webhook(WebhookSpec(url=receiver.url, events=["projects.*"]))
    receiver.secret = new.secret
    await client.upsert_project(ProjectSpec(name="p1"))
    assert await worker.run_once() == 1
    (delivery,) = await client.list_webhook_deliveries()
    assert (delivery.state, delivery.last_status) == ("pending", 307)
    assert delivery.last_error == "redirect not followed"
    assert receiver.requests == 1


REFUSED = (
    "http://127.0.0.1:9/hook",
    "http://localhost/hook",
    "http://10.1.2.3/hook",
    "http://192.168.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[fe80::1]/hook",
    "http://224.0.0.1/hook",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
)


async def test_private_destinations_are_refused_without_an_allowance(
    tmp_path: Path, receiver: Receiver
) -> None:
    rig = await make_rig(tmp_path, receiver, allow=())
    try:
        for url in REFUSED:
            with pytest.raises(InvalidInput, match="loopback"):
                await rig.client.add_webhook(WebhookSpec(url=url))
        assert await rig.client.list_webhooks() == []
    finally:
        await rig.client.close()


async def test_the_destination_is_checked_again_before_each_attempt(
    tmp_path: Path, receiver: Receiver
) -> None:
    """Allowed when subscribed, not when sent (what a DNS rebinding amounts to): the
    attempt is refused and nothing reaches the address."""
    rig = await make_rig(tmp_path, receiver, allow=("127.0.0.1/32",))
    try:
        new = await rig.client.add_webhook(WebhookSpec(url=receiver.url, events=["projects.*"]))
        receiver.secret = new.secret
        await rig.client.upsert_project(ProjectSpec(name="p1"))
        strict = ServerState(ServerConfig(db=rig.state.config.db), clock=rig.clock)
        strict.engine = rig.state.engine
        worker = WebhookWorker(strict)
        try:
            assert await worker.run_once() == 1
        finally:
            await worker.stop()
        (delivery,) = await rig.client.list_webhook_deliveries()
        assert delivery.state == "pending" and delivery.last_status is None
        assert delivery.last_error is not None and delivery.last_error.startswith("refused:")
        assert receiver.requests == 0
    finally:
        await rig.client.close()


class Answers:
    """A resolver (the worker's seam) answering ``first`` for the first ``times`` lookups
    and ``later`` for every one after: a name re-pointed between two lookups."""

    def __init__(self, first: str, later: str, *, times: int) -> None:
        self.first, self.later, self.times = first, later, times
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.lookups.append(host)
        answer = self.first if len(self.lookups) <= self.times else self.later
        return [ipaddress.ip_address(answer)]


async def test_the_connection_goes_to_the_checked_address_not_a_second_answer(
    tmp_path: Path, receiver: Receiver
) -> None:
    """DNS rebinding between the check and the connect: the name's first answers are
    allowed (127.0.0.2, where nothing listens), any later one is the receiver on
    127.0.0.1, which is not allowed. The subscription resolves once, the delivery once,
    and connects to what that lookup checked: the receiver is never reached. (Resolving
    again to connect, as httpx does by itself, would reach it: ``localhost`` is the
    receiver's address to the system's resolver.)"""
    answers = Answers("127.0.0.2", "127.0.0.1", times=2)
    rig = await make_rig(tmp_path, receiver, allow=("127.0.0.2/32",), resolver=answers)
    try:
        _, delivery = await deliver_one(rig, f"http://localhost:{receiver.port}/hook")
        assert receiver.requests == 0
        assert answers.lookups == ["localhost", "localhost"]  # subscribing, connecting
        assert delivery.state == "pending" and delivery.last_status is None
        assert delivery.last_error is not None and "ConnectError" in delivery.last_error
        # the next attempt resolves again, meets the receiver's address and refuses it
        rig.clock.advance(timedelta(hours=1))
        assert await rig.state.webhooks.run_once() == 1
        (delivery,) = await rig.client.list_webhook_deliveries()
        assert delivery.last_error is not None and delivery.last_error.startswith("refused:")
        assert receiver.requests == 0
    finally:
        await rig.client.close()


async def test_a_name_is_delivered_to_its_checked_address_with_its_host_header(
    tmp_path: Path, receiver: Receiver
) -> None:
    """A name only the worker's resolver knows reaches the allowed receiver, the Host
    header still the name, and the signature verifies."""
    answers = Answers("127.0.0.1", "127.0.0.1", times=1)
    rig = await make_rig(tmp_path, receiver, allow=("127.0.0.1/32",), resolver=answers)
    try:
        url = f"http://receiver.hooks.test:{receiver.port}/hook"
        _, delivery = await deliver_one(rig, url)
        assert delivery.state == "delivered", delivery.last_error
        assert list(receiver.deliveries) == [delivery.id] and receiver.bad_signatures == 0
        assert receiver.hosts == [f"receiver.hooks.test:{receiver.port}"]
    finally:
        await rig.client.close()


def _tls_files(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """A test CA (PEM), and a certificate it signed for ``name`` with its key (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = utcnow()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "coditect test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


async def test_tls_verifies_the_certificate_of_the_name_not_the_address(tmp_path: Path) -> None:
    """Over HTTPS the pinned connection still sends the name as SNI and verifies the
    receiver's certificate for the name: a certificate for hooks.test (from a test CA the
    worker trusts) is accepted for hooks.test, and refused for another name that
    resolves to the same address."""
    ca_file, cert_file, key_file = _tls_files(tmp_path, "hooks.test")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    receiver = Receiver(tls)
    answers = Answers("127.0.0.1", "127.0.0.1", times=1)
    try:
        rig = await make_rig(
            tmp_path, receiver, allow=("127.0.0.1/32",), resolver=answers, ca_file=str(ca_file)
        )
        try:
            good, delivery = await deliver_one(rig, f"https://hooks.test:{receiver.port}/hook")
            assert delivery.state == "delivered", delivery.last_error
            assert list(receiver.deliveries) == [delivery.id] and receiver.bad_signatures == 0
            assert receiver.server_names == ["hooks.test"]
            assert receiver.hosts == [f"hooks.test:{receiver.port}"]

            await rig.client.remove_webhook(good.info.id)
            url = f"https://other.test:{receiver.port}/hook"
            _, delivery = await deliver_one(rig, url, "p2")
            assert delivery.state == "pending" and delivery.last_status is None
            assert delivery.last_error is not None
            assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
            assert receiver.requests == 1  # the second never got past the handshake
        finally:
            await rig.client.close()
    finally:
        receiver.close()
