"""The Flags tab: the tenant's stored feature flag overrides, setting one (on or off, for
the whole tenant or one member) and clearing one. The backend validates and audits
(``members.flag_set``, ``members.flag_clear``) as for ``coditect flags``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from coditect_tui.core.safe_text import safe_text
from coditect_tui.ui.screens.admin.common import Row, cells, day

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend

#: The tenant's own switch for remote_api is refused by the backend (it would lock the
#: tenant out of the API that switches it back): not offered.
_NOT_OFFERED = frozenset({"remote_api"})


async def flag_rows(backend: Backend) -> list[Row]:
    """Feature, for whom, state, who set it and when."""
    return [
        (
            (f.feature, f.stakeholder),
            cells(
                f.feature,
                f.stakeholder or "(whole tenant)",
                "on" if f.enabled else "off",
                f.updated_by,
                day(f.updated_at),
            ),
        )
        for f in await backend.list_flags()
    ]


class FlagsTab:
    """The AdminScreen's flag actions (a mixin of the screen)."""

    app: Any
    _apply: Callable[..., Any]
    _selected: Callable[[str], tuple[str, str | None] | None]

    def action_set_flag(self) -> None:
        """Ask for the feature (the one under the cursor first), on or off, and for whom."""
        from coditect_tui.core.policy import KNOWN_FEATURES
        from coditect_tui.ui.screens.dialogs import ChoiceDialog, TextPrompt

        selected = self._selected("admin-flags")
        features = sorted(KNOWN_FEATURES - _NOT_OFFERED)
        if selected is not None and selected[0] in features:
            features.remove(selected[0])
            features.insert(0, selected[0])
        current = (selected[1] or "") if selected is not None else ""

        def whom(feature: str, enabled: bool) -> None:
            prompt = TextPrompt(
                "Feature flag",
                f"Switch {feature} {'on' if enabled else 'off'} for which member "
                "(empty for the whole tenant)?",
                value=current,
                allow_empty=True,
            )

            def given(value: str | None) -> None:
                if value is not None:
                    self._apply(set_flag(feature, enabled, value or None))

            self.app.push_screen(prompt, given)

        def state(feature: str | None) -> None:
            if feature:
                self.app.push_screen(
                    ChoiceDialog(
                        "Feature flag",
                        f"{feature}: only below what the tier and flags.yaml allow.",
                        [("off", "off"), ("on", "on")],
                    ),
                    lambda value: whom(feature, value == "on") if value else None,
                )

        self.app.push_screen(
            ChoiceDialog("Feature flag", "Which feature?", [(f, f) for f in features]),
            state,
        )


def set_flag(feature: str, enabled: bool, stakeholder: str | None) -> Callable[[Backend], Any]:
    """The change that stores an override."""

    async def change(backend: Backend) -> str:
        await backend.set_flag(feature, enabled, stakeholder=stakeholder)
        who = f" for {safe_text(stakeholder)}" if stakeholder else " for the whole tenant"
        return f"{feature} is switched {'on' if enabled else 'off'}{who}."

    return change


def clear_flag(feature: str, stakeholder: str | None) -> Callable[[Backend], Any]:
    """The change that removes an override."""

    async def change(backend: Backend) -> str:
        await backend.clear_flag(feature, stakeholder=stakeholder)
        return f"Cleared the override of {feature}."

    return change
