"""The administration screen (owners and admins), one module per tab's share:
``screen`` (the screen, its tabs, loading and changes), ``common`` (cells and dates),
``members`` (members and API keys), ``invites`` (invitations), ``flags`` (feature flag
overrides), ``usage`` (usage against the tier, webhooks)."""

from coditect_tui.ui.screens.admin.screen import AdminScreen

__all__ = ["AdminScreen"]
