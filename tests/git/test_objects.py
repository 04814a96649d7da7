"""The in-process object reader (objects.py) on well-formed, malformed and hostile databases.

Hand-built databases (tests/git/packs.py) are checked against git itself; hostile ones must
raise ``ObjectError`` (one line) within a bounded amount of memory; hypothesis mutates
loose objects, packs, indexes and deltas and asserts the same contract. More examples:
``CODITECT_FUZZ_EXAMPLES=20000 pytest tests/git/test_objects.py -k fuzz``.
"""

from __future__ import annotations

import os
import struct
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coditect_tui.core.git import objects
from coditect_tui.core.git.objects import ObjectError
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.status import read_many
from coditect_tui.core.git.status.model import StatusTarget
from tests.git import packs
from tests.git.helpers import commit_file, git

_EXAMPLES = os.environ.get("CODITECT_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(_EXAMPLES or 100),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: Fewer examples by default where each one writes a database to disk.
FUZZ_FILES = settings(FUZZ, max_examples=int(_EXAMPLES or 40))
#: Peak Python allocation allowed for one read of a hostile database.
MEMORY_BOUND = 16 * 1024 * 1024


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    """Measure the peak of Python allocations inside the block (result in ``box[0]``)."""
    box = [0]
    tracemalloc.start()
    try:
        yield box
    finally:
        box[0] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def _bare(tmp_path: Path) -> Path:
    repo = tmp_path / "db.git"
    git(tmp_path, "init", "-q", "--bare", str(repo))
    return repo


def _good_database(objects_dir: Path) -> dict[bytes, bytes]:
    """Loose, whole packed, OFS- and REF-delta commits; returns {name: content}."""
    loose = packs.commit_body(b"loose one\n")
    packs.write_loose(objects_dir, b"commit", loose)
    base = packs.COMMIT
    ofs = base + b"and more, by offset\n"
    ref = base + b"and more, by name\n"
    base_sha = packs.object_sha(b"commit", base)
    first = packs.whole(packs.OBJ_COMMIT, base)
    ofs_delta = packs.copy_all_delta(base, ofs)
    ofs_entry = (
        packs.entry_header(packs.OBJ_OFS_DELTA, len(ofs_delta))
        + packs.ofs_distance(len(first))
        + zlib.compress(ofs_delta)
    )
    ref_delta = packs.copy_all_delta(base, ref)
    ref_entry = packs.ref_delta(base_sha, ref_delta)
    packs.write_pack(
        objects_dir,
        [
            (base_sha, first),
            (packs.object_sha(b"commit", ofs), ofs_entry),
            (packs.object_sha(b"commit", ref), ref_entry),
        ],
    )
    return {packs.object_sha(b"commit", body): body for body in (loose, base, ofs, ref)}


def test_hand_built_databases_read_like_git(tmp_path: Path) -> None:
    repo = _bare(tmp_path)
    expected = _good_database(repo / "objects")
    for sha, body in expected.items():
        assert git(repo, "cat-file", "commit", sha.hex()).encode() == body  # git agrees
        assert objects.read_object(repo / "objects", sha.hex()) == (b"commit", body)
        info = objects.read_commit(repo, sha.hex())
        want = objects.parse_log_line(
            git(repo, "log", "-1", f"--format={objects.log_format()}", sha.hex())
        )
        assert info == want
    assert objects.read_object(repo / "objects", "0" * 40) is None


# --- regressions: each failed on the reader as it was -------------------------------------


def test_offset_past_any_file_is_an_object_error(tmp_path: Path) -> None:
    # a 64-bit "large offset" of 2**63 used to reach os.pread as an OverflowError, which
    # escaped read_status and ended the whole multi-repo read
    objects_dir = tmp_path / "objects"
    sha = packs.object_sha(b"commit", packs.COMMIT)
    idx, _ = packs.write_pack(objects_dir, [(sha, packs.whole(packs.OBJ_COMMIT, packs.COMMIT))])
    data = bytearray(idx.read_bytes())
    offsets = 8 + 256 * 4 + 20 + 4
    data[offsets : offsets + 4] = struct.pack(">I", 0x80000000)
    data[offsets + 4 : offsets + 4] = struct.pack(">Q", 2**63 + 5)
    idx.write_bytes(data)
    with pytest.raises(ObjectError, match="outside the pack"):
        objects.read_object(objects_dir, sha.hex())
    assert objects.read_commit(tmp_path, sha.hex()) is None


def test_delta_that_builds_more_than_it_declares_stops_at_once(tmp_path: Path) -> None:
    # declares a 7-byte target, then copies 64 KiB two thousand times: the reader used to
    # build all 128 MiB before comparing sizes (with a 4 MiB delta: 196 GiB)
    objects_dir = tmp_path / "objects"
    base = bytes(range(256)) * 256
    delta = packs.varint(len(base)) + packs.varint(7) + b"\x07commit!" + b"\x80" * 2000
    sha = packs.object_sha(b"commit", b"commit!")
    packs.write_delta_on_blob(objects_dir, base, sha, delta)
    with peak_memory() as peak, pytest.raises(ObjectError, match="more than it declares"):
        objects.read_object(objects_dir, sha.hex())
    assert peak[0] < MEMORY_BOUND


def test_delta_with_too_many_instructions_is_refused(tmp_path: Path) -> None:
    # one instruction per byte: a 1 MiB target took the old reader seconds of Python per
    # delta level (and a chain has 64); a read now runs at most 32,768 instructions
    objects_dir = tmp_path / "objects"
    base = b"x" * 16
    size = 40_000
    delta = packs.varint(len(base)) + packs.varint(size) + b"\x90\x01" * size
    sha = packs.object_sha(b"blob", b"x" * size)
    packs.write_delta_on_blob(objects_dir, base, sha, delta)
    with pytest.raises(ObjectError, match="too many instructions"):
        objects.read_object(objects_dir, sha.hex())
    assert objects.apply_delta(base, delta, max_ops=size) == b"x" * size  # well-formed


def test_fifo_in_the_object_database_is_refused_unread(tmp_path: Path) -> None:
    # a FIFO as a loose object used to be opened and read: the open blocks until a writer
    # comes, the read until it goes (here: for good, the test holds it open); now it is
    # refused unread
    objects_dir = tmp_path / "objects"
    sha = packs.object_sha(b"commit", packs.COMMIT)
    fifo = packs.loose_path(objects_dir, sha)
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    try:
        os.write(fd, b"not zlib")
        with pytest.raises(ObjectError, match="not a regular file"):
            objects.read_object(objects_dir, sha.hex())
        assert os.read(fd, 64) == b"not zlib"  # nobody read it
    finally:
        os.close(fd)
    fifo.unlink()
    fifo.symlink_to("/dev/zero")  # a device is refused the same way
    with pytest.raises(ObjectError, match="not a regular file"):
        objects.read_object(objects_dir, sha.hex())


def test_alternates_are_bounded(tmp_path: Path) -> None:
    # forty object directories chained by alternates: the reader used to follow every one
    # (and each could list thousands more)
    objects_dir = tmp_path / "objects"
    chain = [objects_dir] + [tmp_path / f"alt{i}" / "objects" for i in range(40)]
    for here in chain[:-1]:
        (here / "info").mkdir(parents=True)
        (here / "info" / "alternates").write_text("\n".join(str(p) for p in chain) + "\n")
    sha = packs.write_loose(chain[-1], b"commit", packs.COMMIT)
    with pytest.raises(ObjectError, match="alternate object directories"):
        objects.read_object(objects_dir, sha.hex())


def test_truncated_delta_instruction_is_an_object_error() -> None:
    with pytest.raises(ObjectError, match="truncated delta copy"):
        objects.apply_delta(b"", b"\x00\x01\x81")  # IndexError before
    with pytest.raises(ObjectError, match="truncated delta insert"):
        objects.apply_delta(b"", b"\x00\x05\x05ab")  # built a short result before


def test_commit_with_an_impossible_zone_reads_like_git(tmp_path: Path) -> None:
    repo = _bare(tmp_path)
    body = packs.COMMIT.replace(b"1700000100 -0230", b"1700000100 +9900")
    sha = packs.write_loose(repo / "objects", b"commit", body).hex()
    want = objects.parse_log_line(git(repo, "log", "-1", f"--format={objects.log_format()}", sha))
    assert objects.read_commit(repo, sha) == want


# --- hostile databases: one-line ObjectError, bounded memory ------------------------------


def _corrupt_pack(objects_dir: Path) -> bytes:
    sha = packs.object_sha(b"commit", packs.COMMIT)
    raw = packs.entry_header(packs.OBJ_COMMIT, len(packs.COMMIT)) + b"\x78\x9c junk" * 8
    packs.write_pack(objects_dir, [(sha, raw)])
    return sha


def _ofs_self_cycle(objects_dir: Path) -> bytes:
    sha = packs.object_sha(b"commit", packs.COMMIT)
    delta = b"\x10\x10\x90\x10"
    raw = packs.entry_header(packs.OBJ_OFS_DELTA, len(delta)) + b"\x00" + zlib.compress(delta)
    packs.write_pack(objects_dir, [(sha, raw)])
    return sha


def _ref_cycle(objects_dir: Path) -> bytes:
    sha, other = packs.object_sha(b"commit", packs.COMMIT), b"\x01" * 20
    delta = zlib.compress(b"\x10\x10\x90\x10")
    head = packs.entry_header(packs.OBJ_REF_DELTA, 4)
    packs.write_pack(objects_dir, [(sha, head + other + delta), (other, head + sha + delta)])
    return sha


def _huge_loose(objects_dir: Path) -> bytes:
    return packs.write_loose(objects_dir, b"commit", packs.COMMIT, declared=10**14)


def _huge_packed(objects_dir: Path) -> bytes:
    sha = packs.object_sha(b"commit", packs.COMMIT)
    raw = packs.entry_header(packs.OBJ_COMMIT, 1 << 40) + zlib.compress(packs.COMMIT)
    packs.write_pack(objects_dir, [(sha, raw)])
    return sha


def _bomb_loose(objects_dir: Path) -> bytes:
    # 16 MiB of commit in a ~16 KiB file, header honest
    size = 16 << 20
    sha = packs.object_sha(b"commit", packs.COMMIT)  # the name does not matter to a reader
    comp = zlib.compressobj(9)
    data = comp.compress(b"commit %d\0" % size + packs.COMMIT)
    zeros = b"x" * (1 << 20)
    for _ in range(16):
        data += comp.compress(zeros)
    packs.loose_path(objects_dir, sha).write_bytes(data + comp.flush())
    return sha


def _bomb_packed(objects_dir: Path) -> bytes:
    # declares the commit's size, inflates to 16 MiB
    sha = packs.object_sha(b"commit", packs.COMMIT)
    comp = zlib.compressobj(9)
    data = comp.compress(packs.COMMIT)
    for _ in range(16):
        data += comp.compress(b"x" * (1 << 20))
    raw = packs.entry_header(packs.OBJ_COMMIT, len(packs.COMMIT)) + data + comp.flush()
    packs.write_pack(objects_dir, [(sha, raw)])
    return sha


def _endless_stream(objects_dir: Path) -> bytes:
    # an honest header, then a zlib stream of empty stored blocks that never ends
    sha = packs.object_sha(b"commit", packs.COMMIT)
    raw = packs.entry_header(packs.OBJ_COMMIT, 16) + b"\x78\x01" + b"\x00\x00\x00\xff\xff" * 8000
    packs.write_pack(objects_dir, [(sha, raw)])
    return sha


HOSTILE: dict[str, Callable[[Path], bytes]] = {
    "corrupt pack": _corrupt_pack,
    "OFS delta on itself": _ofs_self_cycle,
    "REF delta cycle": _ref_cycle,
    "huge declared size, loose": _huge_loose,
    "huge declared size, packed": _huge_packed,
    "zip bomb, loose": _bomb_loose,
    "zip bomb, packed": _bomb_packed,
    "endless compressed stream": _endless_stream,
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_database_is_a_bounded_one_line_error(tmp_path: Path, case: str) -> None:
    objects_dir = tmp_path / "objects"
    sha = HOSTILE[case](objects_dir)
    with peak_memory() as peak, pytest.raises(ObjectError) as caught:
        objects.read_object(objects_dir, sha.hex())
    assert "\n" not in str(caught.value) and str(caught.value)
    assert peak[0] < MEMORY_BOUND
    assert objects.read_commit(tmp_path, sha.hex()) is None  # the caller asks git instead


# --- fuzzing ---------------------------------------------------------------------------


def _check(call: Callable[[], object]) -> object:
    """Run ``call``: any exception but ObjectError fails; ObjectError must be one line."""
    try:
        return call()
    except ObjectError as exc:
        assert "\n" not in str(exc)
        return exc


@FUZZ
@given(base=st.binary(max_size=300), delta=st.binary(max_size=300))
def test_fuzz_apply_delta_random_bytes(base: bytes, delta: bytes) -> None:
    result = _check(lambda: objects.apply_delta(base, delta, max_size=4096))
    assert isinstance(result, ObjectError) or len(result) <= 4096  # type: ignore[arg-type]


@FUZZ
@given(
    base=st.binary(min_size=1, max_size=200),
    ops=st.lists(
        st.one_of(
            st.binary(min_size=1, max_size=130).map(lambda b: bytes([min(len(b), 127)]) + b),
            st.tuples(st.integers(0x80, 0xFF), st.binary(max_size=7)).map(
                lambda t: bytes([t[0]]) + t[1]
            ),
        ),
        max_size=20,
    ),
    declared=st.integers(0, 5000),
)
def test_fuzz_apply_delta_instruction_streams(base: bytes, ops: list[bytes], declared: int) -> None:
    delta = packs.varint(len(base)) + packs.varint(declared) + b"".join(ops)
    result = _check(lambda: objects.apply_delta(base, delta, max_size=4096))
    if not isinstance(result, ObjectError):
        assert len(result) == declared  # type: ignore[arg-type]


@FUZZ
@given(
    cuts=st.lists(st.tuples(st.integers(0, len(packs.COMMIT)), st.binary(max_size=12)), max_size=4)
)
def test_fuzz_parse_commit(cuts: list[tuple[int, bytes]]) -> None:
    raw = bytearray(packs.COMMIT)
    for at, junk in cuts:
        raw[at : at + len(junk)] = junk
    result = _check(lambda: objects.parse_commit("a" * 40, bytes(raw)))
    if not isinstance(result, ObjectError):
        assert isinstance(result, objects.CommitInfo)


_MUTATION = st.tuples(
    st.sampled_from(["overwrite", "truncate", "append", "insert"]),
    st.integers(0, 1 << 16),
    st.binary(min_size=1, max_size=16),
)


@FUZZ_FILES
@given(
    target=st.sampled_from(["idx", "pack", "loose"]),
    mutations=st.lists(_MUTATION, min_size=1, max_size=4),
    stamp=st.integers(0, 10**9),
)
def test_fuzz_mutated_object_database(
    tmp_path_factory: pytest.TempPathFactory,
    target: str,
    mutations: list[tuple[str, int, bytes]],
    stamp: int,
) -> None:
    objects_dir = tmp_path_factory.mktemp("fuzz") / "objects"
    names = list(_good_database(objects_dir))
    files = {
        "idx": next((objects_dir / "pack").glob("*.idx")),
        "pack": next((objects_dir / "pack").glob("*.pack")),
        "loose": packs.loose_path(objects_dir, names[0]),
    }
    path = files[target]
    data = bytearray(path.read_bytes())
    for kind, at, junk in mutations:
        at %= len(data) + 1
        if kind == "overwrite":
            data[at : at + len(junk)] = junk
        elif kind == "truncate":
            del data[at:]
        elif kind == "append":
            data += junk * (stamp % 64 + 1)
        else:
            data[at:at] = junk
    path.write_bytes(bytes(data))
    with peak_memory() as peak:
        for sha in names:
            result = _check(lambda sha=sha: objects.read_object(objects_dir, sha.hex()))
            assert result is None or isinstance(result, ObjectError | tuple)
            _check(lambda sha=sha: objects.read_commit(objects_dir.parent, sha.hex()))
    assert peak[0] < MEMORY_BOUND


_NAMES = [bytes([n]) * 20 for n in (0x11, 0x22, 0x33, 0x44)]
_ENTRY = st.tuples(
    st.integers(0, 7),  # type, 0 and 5 invalid
    st.one_of(st.none(), st.integers(0, 1 << 34)),  # declared size (None: the true one)
    st.binary(max_size=64),  # content (a delta's instructions for 6 and 7)
    st.booleans(),  # compressed, or raw bytes
    st.integers(0, 1 << 20),  # OFS distance
    st.integers(0, 4),  # REF base: one of the names, or a missing one
)


@FUZZ_FILES
@given(entries=st.lists(_ENTRY, min_size=1, max_size=4), loose=st.binary(max_size=80))
def test_fuzz_built_packs_and_loose_objects(
    tmp_path_factory: pytest.TempPathFactory,
    entries: list[tuple[int, int | None, bytes, bool, int, int]],
    loose: bytes,
) -> None:
    # pack entries built field by field (types, sizes, distances, bases chosen freely),
    # and a loose object of arbitrary inflated bytes under the last name
    objects_dir = tmp_path_factory.mktemp("built") / "objects"
    rows = []
    for name, (kind, declared, body, deflate, distance, base) in zip(_NAMES, entries, strict=False):
        raw = packs.entry_header(kind, len(body) if declared is None else declared)
        if kind == packs.OBJ_OFS_DELTA:
            raw += packs.ofs_distance(distance)
        elif kind == packs.OBJ_REF_DELTA:
            raw += [*_NAMES, b"\x99" * 20][base]
        rows.append((name, raw + (zlib.compress(body) if deflate else body)))
    packs.write_pack(objects_dir, rows)
    packs.loose_path(objects_dir, _NAMES[-1]).write_bytes(zlib.compress(loose))
    with peak_memory() as peak:
        for name in _NAMES:
            result = _check(lambda name=name: objects.read_object(objects_dir, name.hex()))
            assert result is None or isinstance(result, ObjectError | tuple)
    assert peak[0] < MEMORY_BOUND


# --- the status read: a hostile repo fails alone, on one line -----------------------------


async def test_hostile_repos_fail_alone_in_a_status_run(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    git(good, "init", "-q")
    commit_file(good, "a.txt", "a", "good one")

    corrupt = tmp_path / "corrupt"
    git(tmp_path, "init", "-q", str(corrupt))
    sha = _corrupt_pack(corrupt / ".git" / "objects")
    (corrupt / ".git" / "refs" / "heads" / "main").write_text(sha.hex() + "\n")

    # git reads packs first and our reader loose objects first: a FIFO planted as the
    # loose twin of HEAD's packed commit reaches only our reader (the old one blocked on
    # it for good); the status must still carry git's answer
    fifo = tmp_path / "fifo"
    fifo.mkdir()
    git(fifo, "init", "-q")
    head = commit_file(fifo, "b.txt", "b", "packed head")
    git(fifo, "repack", "-adq")
    os.mkfifo(packs.loose_path(fifo / ".git" / "objects", bytes.fromhex(head)))

    statuses = await read_many(GitRunner(), [StatusTarget(path=p) for p in (good, corrupt, fifo)])
    by_name = {s.name: s for s in statuses}
    assert by_name["good"].error is None
    assert by_name["good"].last_commit is not None
    assert by_name["good"].last_commit.subject == "good one"
    error = by_name["corrupt"].error
    assert error and "\n" not in error  # git's own first line: "error: inflate: ..."
    assert by_name["fifo"].error is None
    assert by_name["fifo"].last_commit is not None
    assert by_name["fifo"].last_commit.subject == "packed head"


async def test_git_itself_on_a_delta_cycle_stops_at_its_memory_limit(tmp_path: Path) -> None:
    # git 2.39 follows a REF_DELTA cycle without end, growing by tens of MB a second until
    # the timeout (3.3 GB in 20 s measured); a read-path git runs under RLIMIT_DATA, lowered
    # here so the test is quick
    repo = tmp_path / "cycle"
    git(tmp_path, "init", "-q", str(repo))
    sha = _ref_cycle(repo / ".git" / "objects")
    (repo / ".git" / "refs" / "heads" / "main").write_text(sha.hex() + "\n")
    runner = GitRunner(memory_limit=48 << 20)
    try:
        (status,) = await read_many(runner, [StatusTarget(path=repo)])
    finally:
        runner.close()
    assert status.error and "\n" not in status.error
    assert "memory" in status.error.lower()
