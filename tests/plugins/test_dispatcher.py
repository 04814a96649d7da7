"""The plugin dispatcher in-process: hooks off the caller's thread, a raising, a hanging
and an unimportable plugin each disabled and reported once, nothing left running."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from importlib.metadata import EntryPoint

import pytest

from coditect_tui.core.plugins import hub
from coditect_tui.core.plugins.discovery import PluginEntry
from coditect_tui.core.plugins.dispatcher import PluginDispatcher, PluginFailure
from coditect_tui.core.plugins.events import AuditAppended, ProjectCreated
from tests.support import plugins as support


def _entry(name: str, target: str, state: str = "enabled") -> PluginEntry:
    ep = EntryPoint(name, target, "coditect.plugins")
    return PluginEntry(name, target, ep.module, None, None, state, ep)  # type: ignore[arg-type]


def _audit(seq: int) -> AuditAppended:
    ts = "2026-01-01T00:00:00Z"
    return AuditAppended(seq, ts, "ann", "repos.create", "repos", None, "ok", tenant="acme")


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    support.RECORDED.clear()
    support.RELEASE.clear()
    support.HANGING.clear()
    support.Raiser.calls = support.Hanger.calls = 0
    yield
    support.RELEASE.set()  # even after a failure, no hung plugin outlives its test
    for thread in threading.enumerate():
        if thread.name.startswith("coditect-plugin"):
            thread.join(30)


def _wait_recorded(count: int) -> None:
    with support.RECORDED_MORE:
        assert support.RECORDED_MORE.wait_for(lambda: len(support.RECORDED) >= count, 30)


def test_bad_plugins_are_disabled_once_and_the_rest_goes_on() -> None:
    baseline = set(threading.enumerate())
    failures: list[PluginFailure] = []
    reported = threading.Condition()

    def report(failure: PluginFailure) -> None:
        with reported:
            failures.append(failure)
            reported.notify_all()

    dispatcher = PluginDispatcher(
        [
            _entry("recorder", "tests.support.plugins:Recorder"),
            _entry("raiser", "tests.support.plugins:Raiser"),
            _entry("hanger", "tests.support.plugins:Hanger"),
            _entry("broken", "tests.support.broken_plugin:Plugin"),
            _entry("switched-off", "tests.support.plugins:Recorder", state="disabled"),
        ],
        timeout=1,
        report=report,
    )
    assert set(threading.enumerate()) == baseline  # nothing starts before an event
    with hub.installed(dispatcher):
        assert hub.wants("audit_appended")
        hub.emit("audit_appended", _audit(1))
        hub.emit("project_created", lambda: ProjectCreated("acme", "p1", "alpha", "ann"))
        assert support.HANGING.wait(30)  # hung: the events below are queued all the same
        with reported:  # raiser, broken and (after its timeout) hanger
            assert reported.wait_for(lambda: len(failures) >= 3, 30)
        for seq in range(2, 5):
            hub.emit("audit_appended", _audit(seq))
        _wait_recorded(5)
        assert not hub.wants("session_started")  # the recorder does not implement it
    assert hub._active is None
    by_name = {f.plugin: f for f in failures}
    assert len(failures) == 3 and set(by_name) == {"raiser", "hanger", "broken"}
    assert by_name["raiser"].hook == "audit_appended"
    assert by_name["raiser"].reason == "raised RuntimeError: boom on repos.create"
    assert by_name["hanger"].reason == "did not return within 1 s"
    assert by_name["broken"].hook == "load" and "ImportError" in by_name["broken"].reason
    assert "disabled for this session" in by_name["hanger"].message()
    assert support.Raiser.calls == 1 and support.Hanger.calls == 1  # later events skip them
    hooks = [hook for hook, _ in support.RECORDED]
    assert hooks == ["audit_appended", "project_created", *["audit_appended"] * 3]
    assert [e.seq for h, e in support.RECORDED if h == "audit_appended"] == [1, 2, 3, 4]
    assert sorted(dispatcher.failed()) == ["broken", "hanger", "raiser"]
    # closed: only the hung plugin's daemon thread is left, and it ends once released
    left = set(threading.enumerate()) - baseline
    assert [t.name for t in left] == ["coditect-plugin-hanger"] and all(t.daemon for t in left)
    support.RELEASE.set()
    for thread in left:
        thread.join(30)
    assert set(threading.enumerate()) == baseline
    hub.emit("audit_appended", _audit(9))  # nothing installed: nothing happens
    assert len(support.RECORDED) == 5


def test_close_delivers_what_is_queued_and_bounds_a_hang() -> None:
    baseline = set(threading.enumerate())
    failures: list[PluginFailure] = []
    dispatcher = PluginDispatcher(
        [
            _entry("recorder", "tests.support.plugins:Recorder"),
            _entry("hanger", "tests.support.plugins:Hanger"),
        ],
        timeout=1,
        report=failures.append,
    )
    for seq in range(1, 51):
        dispatcher.dispatch("audit_appended", _audit(seq))
    dispatcher.close()  # the recorder gets all 50; the hanger is cut off by its timeout
    assert [e.seq for _, e in support.RECORDED] == list(range(1, 51))
    assert [(f.plugin, f.reason) for f in failures] == [("hanger", "did not return within 1 s")]
    dispatcher.dispatch("audit_appended", _audit(51))  # closed: dropped
    dispatcher.close()  # idempotent
    assert len(support.RECORDED) == 50
    support.RELEASE.set()
    for thread in set(threading.enumerate()) - baseline:
        thread.join(30)
    assert set(threading.enumerate()) == baseline
