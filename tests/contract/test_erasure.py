"""Erasure on every backend: audit events name people by pseudonymous id, erasing a person
forgets the name everywhere the backend keeps it while ``verify_audit`` still passes, and
only owners and admins may erase (refused by the backend itself, and audited)."""

from __future__ import annotations

import orjson
import pytest

from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from coditect_tui.core.models import AuditEvent, AuditEventSpec, AuditFilter, utcnow
from coditect_tui.core.pseudonyms import is_pseudonym
from tests.contract.erasure_story import ZELDA, act, make_member
from tests.contract.harness import Harness


async def _events(backend: Backend, **flt: str) -> list[AuditEvent]:
    page = await backend.query_audit(AuditFilter(**flt) if flt else None, limit=500)
    return page.items


async def test_events_name_people_by_pseudonym_and_show_their_names(owner: Backend) -> None:
    await owner.add_member("ed", "editor")
    (created,) = await _events(owner, action="members.create", resource_id="ed")
    # the chain holds ids only; the reader is told who they are
    assert is_pseudonym(created.actor) and is_pseudonym(created.resource_id or "")
    assert created.names == {created.actor: "olivia", created.resource_id: "ed"}
    assert (created.shown(created.actor), created.shown(created.resource_id)) == ("olivia", "ed")
    # filtering by name finds the events that name the person by id
    by_her = await _events(owner, actor="olivia", action="members.create")
    assert created.seq in {e.seq for e in by_her} and {e.actor for e in by_her} == {created.actor}
    assert created.seq in {e.seq for e in await _events(owner, text="ed")}
    me = await owner.whoami()
    assert me.id == created.actor
    # a name shaped like an id is refused: readers would take it for one
    with pytest.raises(InvalidInput, match="pseudonymous"):
        await owner.add_member("p_0123456789ab", "viewer")
    assert (await owner.verify_audit()).ok


async def test_erasing_a_person_forgets_the_name_and_the_chain_verifies(harness: Harness) -> None:
    owner = await harness.open("acme", "olivia", "owner")
    try:
        key_id = await make_member(owner)
        zelda = await harness.open("acme", ZELDA, "editor")
        try:
            acted = await act(zelda, key_id)
        finally:
            await zelda.close()
        assert {e.shown(e.actor) for e in await _events(owner, actor=ZELDA)} == {ZELDA}
        done = await owner.erase_principal(ZELDA)
        pid = done.principal_id
        assert is_pseudonym(pid) and done.was_member and done.chained_events == 0
        assert done.keys_revoked >= 1 and done.sessions_cleared == 1 and done.memory_deleted == 1
        assert done.rows_rewritten >= 4  # project, repo, session, key(s) she made

        assert (await owner.verify_audit()).ok
        assert ZELDA not in {m.name for m in await owner.list_members()}
        keys = {k.id: k for k in await owner.list_api_keys()}
        assert keys[acted.key_id].principal == pid and keys[acted.key_id].revoked_at is not None
        assert (await owner.get_project(acted.project_id)).created_by == pid
        session = await owner.get_session(acted.session_id)
        assert (session.description, session.created_by) == ("", pid)
        with pytest.raises(NotFound):
            await owner.get_memory_entry(acted.memory_id)
        # her events show her as erased; the name filter no longer finds them by name
        hers = [e for e in await _events(owner) if e.actor == pid]
        assert hers and {e.shown(e.actor) for e in hers} == {f"erased principal #{pid}"}
        assert await _events(owner, actor=ZELDA) == []
        (erase,) = await _events(owner, action="members.erase")
        assert erase.resource_id == pid and erase.shown(erase.actor) == "olivia"
        assert erase.details["keys_revoked"] == done.keys_revoked
        # nothing any reader gets names her: the whole tenant export, the audit log
        records = [r.model_dump(mode="json") async for r in owner.export_tenant()]
        dumped = orjson.dumps(records).decode()
        assert ZELDA not in dumped and f"erased principal #{pid}" in dumped
        audit = [e.model_dump(mode="json") async for e in owner.export_audit()]
        assert ZELDA not in orjson.dumps(audit).decode()
        # erased once: nothing is left of her to erase
        with pytest.raises(NotFound):
            await owner.erase_principal(ZELDA)
    finally:
        await owner.close()


async def test_only_owners_and_admins_erase_and_never_themselves(harness: Harness) -> None:
    owner = await harness.open("acme", "olivia", "owner")
    editor = await harness.open("acme", "ed", "editor")
    admin = await harness.open("acme", "ada", "admin")
    try:
        await owner.add_member("vic", "viewer")
        await owner.add_member("oscar", "owner")
        with pytest.raises(PermissionDenied):
            await editor.erase_principal("vic")
        with pytest.raises(PermissionDenied):
            await admin.erase_principal("oscar")  # an owner: members.admin
        with pytest.raises(PermissionDenied, match="nobody erases themselves"):
            await admin.erase_principal("ada")
        with pytest.raises(NotFound):
            await admin.erase_principal("nobody-at-all")
        assert {"vic", "oscar", "ada"} <= {m.name for m in await owner.list_members()}
        denied = await _events(owner, action="members.delete", outcome="denied")
        assert len(denied) == 3 and all(e.details["method"] == "erase_principal" for e in denied)
        assert (await admin.erase_principal("vic")).was_member
        assert (await owner.erase_principal("oscar")).was_member
        assert (await owner.verify_audit()).ok
    finally:
        for backend in (owner, editor, admin):
            await backend.close()


async def test_names_inside_the_chain_refuse_erasure_until_kept(owner: Backend) -> None:
    await owner.add_member("ivy", "viewer")
    # an event that holds her name inside the chain: imported from another system as
    # written there (as events written before pseudonymous ids hold names)
    spec = AuditEventSpec(
        ts=utcnow(), actor="ivy", action="legacy.login", resource_type="members", source="sso"
    )
    assert await owner.import_audit_events([spec]) == 1
    with pytest.raises(Conflict, match="1 audit events hold 'ivy' inside the hash chain"):
        await owner.erase_principal("ivy")
    assert "ivy" in {m.name for m in await owner.list_members()}  # nothing changed
    done = await owner.erase_principal("ivy", keep_chained=True)
    assert done.chained_events == 1 and done.was_member
    (erase,) = await _events(owner, action="members.erase")
    assert erase.details["chained_events"] == 1
    assert (await owner.verify_audit()).ok
