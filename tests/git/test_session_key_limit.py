"""A session file whose session_id the backend cannot keep (longer than its column) is a
one-line SessionFileError when read, not a validation traceback later."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coditect_tui.core import limits
from coditect_tui.core.git.sessions import SESSION_FILE, SessionError, read_session


def _session(session_id: str) -> str:
    return json.dumps(
        {
            "session_id": session_id,
            "description": "d",
            "branch": "session/x",
            "started_at": "2025-01-01T01:01:01",
        }
    )


def test_a_session_id_longer_than_the_backend_keeps_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / SESSION_FILE
    path.write_text(_session("1" * limits.SESSION_KEY))
    state = read_session(tmp_path)
    assert state is not None and state.session_id == "1" * limits.SESSION_KEY
    path.write_text(_session("1" * (limits.SESSION_KEY + 1)))
    with pytest.raises(SessionError) as refused:
        read_session(tmp_path)
    assert "'session_id' is longer than 40 characters" in str(refused.value)
    assert "\n" not in str(refused.value)
