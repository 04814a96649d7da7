"""Refusing a change on this machine only (the config file, clones) in read-only mode.

Such a change has no backend operation (``Change(resource=None)`` in
``core/tenant/refusal.py``): read-only mode (``--read-only``, ``CODITECT_READ_ONLY``,
``read_only: true``) and a read-only role (the auditor) refuse it, every other role may.
The app says the same line for its keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coditect_tui.commands.context import CliContext
    from coditect_tui.core.settings import TenantProfile


def refuse_local_change(ctx: CliContext, profile: TenantProfile, phrase: str) -> None:
    """Raise ReadOnly when this run may not make the change ``phrase`` names.

    Args:
        ctx: the run (its read-only flag and settings).
        profile: the tenant acted in (its role and tier).
        phrase: what the user wanted, after "you can't" (e.g. ``change groups``).

    Raises:
        ReadOnly: ``Read-only: you can't <phrase> in this tenant (<why>).``
    """
    from coditect_tui.core.errors import ReadOnly
    from coditect_tui.core.settings import env_read_only
    from coditect_tui.core.tenant.refusal import Change, refusal

    reason = None
    if ctx.read_only_flag:
        reason = "--read-only"
    elif env_read_only():
        reason = "CODITECT_READ_ONLY is set"
    elif ctx.loaded.settings.read_only:
        reason = "read_only: true in the config"
    why = refusal(Change(phrase), role=profile.role, tier=profile.tier, read_only=reason)
    if why:
        raise ReadOnly(why)
