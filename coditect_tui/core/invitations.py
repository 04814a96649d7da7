"""Invitations: a one-time token that makes its holder a member of a tenant.

UI-free: the token's format, its hash (the same sha256 as API keys: only the hash is
stored) and the models the Backend contract returns. A token reads
``cdt_inv_<43 URL-safe random characters>`` and is shown once, when it is made.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from coditect_tui.core import api_keys
from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.models import Model, NewApiKey, Tenant
from coditect_tui.core.wording import plural

TOKEN_PREFIX = "cdt_inv_"
#: how long an invitation may be accepted, unless the inviter says otherwise
DEFAULT_VALIDITY = timedelta(days=7)
#: the longest an invitation may stay open
MAX_VALIDITY = timedelta(days=90)
#: the one refusal of a token that cannot be used: unknown, used, revoked and expired
#: tokens are told apart nowhere a caller can see (a token cannot be probed)
INVALID_TOKEN = "this invitation is not valid (unknown, already used, revoked or expired)"


def new_token() -> str:
    """A fresh invitation token (256 random bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored for a token: its sha256 as hex (as for API keys)."""
    return api_keys.key_hash(token)


def display_prefix(token: str) -> str:
    """The part of a token shown in listings (type prefix and 4 random characters)."""
    return token[: len(TOKEN_PREFIX) + 4]


def check_validity(valid_for: timedelta) -> None:
    """Whether an invitation may stay open for ``valid_for``.

    Raises:
        InvalidInput: not positive, or longer than ``MAX_VALIDITY``.
    """
    if valid_for <= timedelta(0):
        raise InvalidInput("an invitation must stay valid for some time")
    if valid_for > MAX_VALIDITY:
        raise InvalidInput(
            f"an invitation stays valid for at most {plural(MAX_VALIDITY.days, 'day')}"
        )


class Invitation(Model):
    """A pending (or spent) invitation as listed: never the token, only its prefix.

    Attributes:
        id: the invitation's id.
        name: the principal it makes a member.
        role: the role of that membership.
        expires_at: when that membership ends (None: it does not).
        valid_until: until when the token may be accepted.
        prefix: the token's recognisable beginning.
        created_by: who invited.
        created_at: when.
    """

    id: str
    name: str
    role: str
    expires_at: datetime | None = None
    valid_until: datetime
    prefix: str
    created_by: str
    created_at: datetime


class NewInvitation(Model):
    """A freshly made invitation. ``token`` is shown once and never stored."""

    info: Invitation
    token: str


class Joined(Model):
    """What accepting an invitation gives: the tenant, the membership and its first API
    key (whose secret is shown once)."""

    tenant: Tenant
    principal: str
    role: str
    expires_at: datetime | None = None
    key: NewApiKey
