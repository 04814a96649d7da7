"""Pseudonymous principal ids: their shape, finding them in an event, writing names as
ids (and never a role or a longer word), and showing them as names again."""

from __future__ import annotations

from coditect_tui.core.pseudonyms import (
    erased_label,
    is_pseudonym,
    mentioned,
    new_pseudonym,
    scrub,
    scrub_id,
    shown,
)

PID = "p_0123456789ab"


def test_ids_are_random_and_recognised() -> None:
    made = {new_pseudonym() for _ in range(200)}
    assert len(made) == 200 and all(is_pseudonym(p) for p in made)
    assert not is_pseudonym("p_0123456789abc") and not is_pseudonym("alma")
    assert mentioned(["x", {"k": [f"by {PID}."]}, None, 3]) == {PID}


def test_scrub_writes_the_names_it_is_given_and_nothing_else() -> None:
    ids = {"owner": PID}
    details = {
        "role": "owner",  # a role, not the member named "owner"
        "principal": "owner",
        "reason": "'owner' is not a member; owners stay",
        "nested": [{"invited_by": "owner"}],
    }
    assert scrub(details, ids) == {
        "role": "owner",
        "principal": PID,
        "reason": f"'{PID}' is not a member; owners stay",
        "nested": [{"invited_by": PID}],
    }
    # the actor's own name only where it is quoted in a message
    assert scrub({"path": "owner", "why": "'owner' expired"}, ids, whole=False) == {
        "path": "owner",
        "why": f"'{PID}' expired",
    }
    assert scrub_id("memory/owner", ids) == f"memory/{PID}"
    assert scrub_id("owners", ids) == "owners"


def test_shown_replaces_known_ids_only() -> None:
    other = "p_ffffffffffff"
    names = {PID: "alma", other: erased_label(other)}
    assert shown(f"{PID} and {other} and p_000000000000", names) == (
        f"alma and erased principal #{other} and p_000000000000"
    )
    assert shown("plain", {}) == "plain"
