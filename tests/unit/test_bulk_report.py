"""The audit details of a bulk run stay within what the tenant API accepts."""

from __future__ import annotations

import orjson

from coditect_tui.core.bulk import BulkAction, BulkReport, RepoResult


def test_details_of_a_huge_run_fit_one_request() -> None:
    long = "/home/dev/" + "très-long-dossier/" * 20
    results = [
        RepoResult(f"{long}repo{i}", f"repo{i}", "failed" if i % 2 else "ok", "fatal: " + "x" * 300)
        for i in range(6000)
    ]
    details = BulkReport(BulkAction.fetch(), results).audit_details()
    size = len(orjson.dumps(details))
    assert size < 1024 * 1024
    repos = details["repos"]
    assert isinstance(repos, list) and 0 < len(repos) < 6000
    assert details["omitted"] == 6000 - len(repos)
    assert details["counts"] == {"ok": 3000, "failed": 3000, "skipped": 0}
    assert "reason" not in repos[0] and len(repos[1]["reason"]) == 200


def test_details_of_a_small_run_list_every_repo() -> None:
    results = [RepoResult("/w/a", "a\x1b[31m", "skipped", "detached HEAD")]
    details = BulkReport(BulkAction.run(["make"]), results).audit_details()
    assert details["repos"] == [
        {"repo": "a\\u001b[31m", "path": "/w/a", "outcome": "skipped", "reason": "detached HEAD"}
    ]
    assert "omitted" not in details and details["argv"] == ["make"]
