"""API key format: type prefix and checksum make leaked keys recognisable."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from coditect_tui.core import api_keys


def test_keys_are_well_formed_and_distinct() -> None:
    keys = {api_keys.new_key("usr") for _ in range(200)}
    assert len(keys) == 200
    assert all(api_keys.is_well_formed(k) and k.startswith("cdt_usr_") for k in keys)
    assert api_keys.is_well_formed(api_keys.new_key("aud"))


@given(st.integers(8, 43), st.sampled_from(api_keys.ALPHABET))
def test_any_single_character_change_is_detected(position: int, char: str) -> None:
    key = api_keys.new_key("usr")
    changed = key[:position] + char + key[position + 1 :]
    assert api_keys.is_well_formed(changed) == (changed == key)


def test_garbage_is_rejected() -> None:
    for value in (
        "",
        "cdt_",
        "cdt_usr_",
        "ghp_" + "a" * 36,
        "cdt_xyz_" + "a" * 36,
        "cdt_usr_" + "!" * 36,
    ):
        assert not api_keys.is_well_formed(value)


def test_only_a_hash_is_stored() -> None:
    key = api_keys.new_key("usr")
    digest = api_keys.key_hash(key)
    assert len(digest) == 64 and key not in digest
