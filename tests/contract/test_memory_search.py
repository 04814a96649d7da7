"""Memory search as a user meets it, the same on every backend: stems, the last word as
a prefix, ranking (fields, kind, recency), identical content merged, honest totals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coditect_tui.core.backend import Backend
from coditect_tui.core.models import MemoryEntrySpec, MemoryFilter, MemoryKind, ProjectSpec

T0 = datetime(2025, 11, 22, 4, 15, 36, tzinfo=UTC)


def _spec(
    name: str,
    body: str,
    *,
    kind: MemoryKind = "note",
    title: str | None = None,
    when: datetime | None = None,
    sha: str | None = None,
) -> MemoryEntrySpec:
    return MemoryEntrySpec(
        path=f"MEMORY-CONTEXT/{name}",
        kind=kind,
        title=title or name,
        body=body,
        timestamp=when,
        sha256=sha,
        size=len(body),
    )


async def _paths(backend: Backend, query: str) -> list[str]:
    return [
        h.entry.path.removeprefix("MEMORY-CONTEXT/") for h in await backend.search_memory(query)
    ]


async def test_words_match_by_stem_and_the_last_word_as_a_prefix(owner: Backend) -> None:
    await owner.upsert_memory_entries(
        [
            _spec("a.md", "the hooks are installed"),
            _spec("b.md", "one hook was hooked up"),
            _spec("c.md", "ranking of search results"),
            _spec("d.md", "configuration of the rank order"),
            _spec("e.md", "a hookah is not a hook's plural"),
        ]
    )
    assert set(await _paths(owner, "hook ")) == {"a.md", "b.md", "e.md"}
    assert set(await _paths(owner, "hooks ")) == {"a.md", "b.md", "e.md"}
    assert set(await _paths(owner, '"hooked up" ')) == {"b.md"}
    assert set(await _paths(owner, '"hook up" ')) == {"b.md"}  # a phrase of stems
    # typing: the last word is also a prefix, even past the stem (rankin -> rank)
    assert set(await _paths(owner, "rank")) == {"c.md", "d.md"}
    assert set(await _paths(owner, "rankin")) == {"c.md", "d.md"}
    assert set(await _paths(owner, "configura")) == {"d.md"}
    assert set(await _paths(owner, "hook")) == {"a.md", "b.md", "e.md"}  # hookah too
    assert set(await _paths(owner, "hook -hookah")) == {"a.md", "b.md"}
    assert await _paths(owner, "ranki ") == []  # complete words are not prefixes
    assert set(await _paths(owner, "search OR configuration")) == {"c.md", "d.md"}


async def test_ranking_weighs_fields_then_kind_then_recency(owner: Backend) -> None:
    words = "hooks deployment " * 3
    await owner.upsert_memory_entries(
        [
            _spec("dump.json", words, kind="export-json", title="conversation dump"),
            _spec("talk.txt", words, kind="transcript", title="conversation export"),
            _spec(
                "summary.md",
                "# Weekly summary\n\n## Hooks\n\nreviewed the deployment",
                kind="summary",
                title="weekly summary",
            ),
            _spec("title.md", "about the deployment", kind="checkpoint", title="Hooks rollout"),
            _spec("old.md", "hooks note", title="same note", when=T0),
            _spec("new.md", "hooks note", title="same note", when=T0 + timedelta(days=1)),
        ]
    )
    assert await _paths(owner, "hooks ") == [
        "title.md",  # in the title, a checkpoint
        "summary.md",  # in a heading, a summary
        "new.md",  # equal scores: the newer first
        "old.md",
        "talk.txt",  # a transcript above a raw JSON dump with the same text
        "dump.json",
    ]


async def test_identical_content_is_one_hit_with_its_other_files(owner: Backend) -> None:
    same = "identical checkpoint text about symlinks"
    await owner.upsert_memory_entries(
        [
            _spec("exports/x.json", same, kind="export-json", sha="a" * 64),
            _spec("checkpoints/x.md", same, kind="checkpoint", sha="a" * 64),
            _spec("sessions/x.md", same, kind="session", sha="a" * 64),
            _spec("other.json", "symlinks in a raw dump", kind="export-json", sha="b" * 64),
        ]
    )
    result = await owner.search_memory_result("symlinks ")
    assert result.total == 2 and result.total_exact
    first, second = result.hits
    assert first.entry.path == "MEMORY-CONTEXT/checkpoints/x.md"  # the best-ranked copy
    assert first.duplicate_count == 2
    assert first.duplicates == ["MEMORY-CONTEXT/exports/x.json", "MEMORY-CONTEXT/sessions/x.md"]
    assert (second.entry.path, second.duplicate_count, second.duplicates) == (
        "MEMORY-CONTEXT/other.json",
        0,
        [],
    )


async def test_the_total_counts_every_hit_beyond_the_page(owner: Backend) -> None:
    await owner.upsert_memory_entries(
        [_spec(f"n{i:02d}.md", f"counted entry {i}") for i in range(30)]
        + [_spec("other.md", "not this one")]
    )
    result = await owner.search_memory_result("counted ", limit=5)
    assert (len(result.hits), result.total, result.total_exact) == (5, 30, True)
    assert (await owner.search_memory_result("absent ")).total == 0


async def test_copies_that_crowd_the_best_candidates_still_leave_a_full_page(
    owner: Backend,
) -> None:
    # 60 copies of one content rank above everything else (more than the store's first
    # batch of candidates), then 9 distinct entries: the page still holds 5 contents
    crowd = "crowded crowded crowded crowded word"
    await owner.upsert_memory_entries(
        [_spec(f"copy{i:02d}.md", crowd, sha="c" * 64) for i in range(60)]
        + [_spec(f"d{i}.md", f"crowded and {i} other words here") for i in range(9)]
    )
    result = await owner.search_memory_result("crowded ", limit=5)
    assert (len(result.hits), result.total, result.total_exact) == (5, 10, True)
    first, *rest = result.hits
    assert first.duplicate_count == 59 and len(first.duplicates) == 20
    assert all(h.entry.path.startswith("MEMORY-CONTEXT/d") for h in rest)
    # more matches than the candidates taken: counted apart, still exact
    whole = await owner.search_memory_result("crowded ", limit=2)
    assert (len(whole.hits), whole.total) == (2, 10)


async def test_snippets_mark_stems_phrases_and_prefixes_near_the_start(owner: Backend) -> None:
    body = (
        "Opening words of a long note. " * 6
        + "Here the hooks were installed, then the session export ran; "
        + "more closing words follow " * 6
    )
    await owner.upsert_memory_entries([_spec("s.md", body, title="ledger")])

    async def snippet(query: str) -> str:
        (hit,) = await owner.search_memory(query)
        return hit.snippet

    assert await snippet("hook ") == (
        "…Here the \x02hooks\x03 were installed, then the session export ran; "
        "more closing words follow more closing…"
    )
    assert await snippet('"session export" ') == (
        "…then the \x02session\x03 \x02export\x03 ran; more closing words follow "
        "more closing words follow more closing words…"
    )
    assert "\x02installed\x03" in await snippet("instal")  # the last word as a prefix
    assert "\x02" not in await snippet("ledger ")  # a title-only match: the engine's snippet


async def test_the_list_total_counts_every_entry_of_the_filter(owner: Backend) -> None:
    assert (await owner.count_memory_entries()).total == 0
    await owner.upsert_memory_entries(
        [_spec(f"n{i:02d}.md", f"entry {i}", when=T0 + timedelta(days=i)) for i in range(30)]
        + [_spec(f"c{i}.md", "a checkpoint", kind="checkpoint") for i in range(3)]
    )
    page = await owner.list_memory_entries(limit=10)
    assert len(page.items) == 10 and page.next_cursor is not None
    everything = await owner.count_memory_entries()
    assert (everything.total, everything.total_exact) == (33, True)
    assert (await owner.count_memory_entries(MemoryFilter(kinds=["checkpoint"]))).total == 3
    recent = MemoryFilter(since=T0 + timedelta(days=25))
    assert (await owner.count_memory_entries(recent)).total == 5
    assert (await owner.count_memory_entries(MemoryFilter(path_prefix="nowhere/"))).total == 0


async def test_the_files_of_one_checkpoint_come_together(owner: Backend) -> None:
    tag = ["checkpoint:2025-11-22T04-15-36Z"]
    specs = [
        _spec("checkpoints/cp.md", "widgets were rebuilt", kind="checkpoint", title="Widgets"),
        _spec("notes/other.md", "widgets elsewhere", title="a note on widgets"),
        _spec("exports/cp.json", '{"text": "widgets were rebuilt"}', kind="export-json"),
        _spec("sessions/cp.md", "widgets session", kind="session", title="session"),
    ]
    specs = [s.model_copy(update={"tags": tag}) if "cp." in s.path else s for s in specs]
    await owner.upsert_memory_entries(specs)
    assert await _paths(owner, "widgets ") == [
        "checkpoints/cp.md",  # the best of its group: the group takes its place
        "sessions/cp.md",  # then its other files, best first
        "exports/cp.json",
        "notes/other.md",  # ranked above the export and the session on its own
    ]


async def test_a_batch_of_new_and_changed_entries_replaces_the_old_text(owner: Backend) -> None:
    """One batch that creates some entries and changes others (the indexer's batches):
    every entry is found by its new text only, with one audit event each, in order."""
    first = await owner.upsert_memory_entries(
        [_spec(f"{i}.md", f"original wording {i} alpha") for i in range(4)]
    )
    again = await owner.upsert_memory_entries(
        [
            _spec("1.md", "rewritten wording beta"),
            _spec("9.md", "brand new gamma"),
            _spec("3.md", "rewritten wording delta", title="third"),
        ]
    )
    assert [e.path for e in again] == [f"MEMORY-CONTEXT/{n}" for n in ("1.md", "9.md", "3.md")]
    assert again[0].id == first[1].id and again[2].id == first[3].id
    assert again[1].id not in {e.id for e in first} and again[2].title == "third"
    assert set(await _paths(owner, "alpha ")) == {"0.md", "2.md"}
    assert set(await _paths(owner, "rewritten ")) == {"1.md", "3.md"}
    assert set(await _paths(owner, "gamma ")) == {"9.md"}
    assert await _paths(owner, "third ") == ["3.md"]
    assert await owner.get_memory_body(first[1].id) == "rewritten wording beta"
    assert len((await owner.list_memory_entries(limit=100)).items) == 5
    events = (await owner.query_audit(limit=3)).items  # newest first
    assert [(e.action, e.resource_id) for e in reversed(events)] == [
        ("memory.update", first[1].id),
        ("memory.create", again[1].id),
        ("memory.update", first[3].id),
    ]


async def test_a_search_keeps_what_the_same_filter_lists(owner: Backend) -> None:
    """Every entry holds the word searched: for each filter, the search finds exactly the
    entries the listing gives (kinds, project, time window, literal path and id
    prefixes, tags), and its total counts them."""
    project = await owner.upsert_project(ProjectSpec(name="filtered", path="/w/f", kind="master"))
    kinds: list[MemoryKind] = ["note", "checkpoint", "session"]
    names = ["a_b/1.md", "aXb/2.md", "100%/3.md", "1000/4.md", "a_b/5.md", "x/6.md", "x/7.md"]
    specs = [
        MemoryEntrySpec(
            path=f"MEMORY-CONTEXT/{name}",
            kind=kinds[i % 3],
            title=name,
            body=f"filtered entry {i}",
            project_id=project.id if i % 2 else None,
            timestamp=None if i == 6 else T0 + timedelta(days=i),
            tags=[["plan"], ['say "hi"'], ["plan", "x%y"], []][i % 4],
            size=10,
        )
        for i, name in enumerate(names)
    ]
    entries = await owner.upsert_memory_entries(specs)
    filters = [
        MemoryFilter(kinds=["checkpoint"]),
        MemoryFilter(kinds=["note", "session"]),
        MemoryFilter(kinds=[]),
        MemoryFilter(project_id=project.id),
        MemoryFilter(since=T0 + timedelta(days=2)),
        MemoryFilter(until=T0 + timedelta(days=2)),
        MemoryFilter(since=T0 + timedelta(days=1), until=T0 + timedelta(days=4)),
        MemoryFilter(path_prefix="MEMORY-CONTEXT/a_b/"),
        MemoryFilter(path_prefix="MEMORY-CONTEXT/100%"),
        MemoryFilter(path_prefix="memory-context/x/"),
        MemoryFilter(id_prefix=entries[3].id[:6]),
        MemoryFilter(tags=["plan"]),
        MemoryFilter(tags=['say "hi"', "x%y"]),
        MemoryFilter(tags=["x"]),
        MemoryFilter(kinds=["note", "checkpoint"], project_id=project.id, tags=["plan"]),
    ]
    for flt in filters:
        listed = {e.id for e in (await owner.list_memory_entries(flt)).items}
        result = await owner.search_memory_result("filtered", flt)
        assert {h.entry.id for h in result.hits} == listed, flt
        assert result.total == len(listed), flt
