"""Snippets made from a hit's body: stems, phrases, prefixes, diacritics, edges."""

from __future__ import annotations

from coditect_tui.core.memory.snippet import Snippets


def test_a_short_body_has_no_ellipsis_and_marks_every_form_of_the_stem() -> None:
    assert Snippets("hook").of("Hooked: the hooks hook in.") == (
        "\x02Hooked\x03: the \x02hooks\x03 \x02hook\x03 in"  # ends with its last word
    )


def test_no_confirmed_match_is_none_so_the_engine_is_asked() -> None:
    assert Snippets("ledger").of("nothing of the kind here") is None
    assert Snippets('"session export"').of("export the session") is None  # not a phrase
    assert Snippets("-draft").of("a draft") is None  # nothing positive to mark


def test_diacritics_and_case_match_as_the_index_folds_them() -> None:
    assert Snippets("cafe").of("Le Café ouvre") == "Le \x02Café\x03 ouvre"
    # "İ" lower-cases to two characters: offsets still point into the original text
    assert Snippets("istanbul").of("İzmir then İSTANBUL today") == (
        "İzmir then \x02İSTANBUL\x03 today"
    )


def test_a_prefix_matches_past_the_stem_and_the_translated_query_reads_the_same() -> None:
    body = "the configuration was configured"
    assert Snippets("configura").of(body) == "the \x02configuration\x03 was configured"
    assert Snippets('"configura"*').of(body) == "the \x02configuration\x03 was configured"


def test_the_window_takes_the_span_with_the_most_terms_and_two_words_before() -> None:
    body = "alpha " + "filler " * 30 + "one two alpha beta gamma " + "tail " * 30
    made = Snippets("alpha gamma").of(body)
    assert made is not None
    assert made.startswith("…one two \x02alpha\x03 beta \x02gamma\x03 tail")
    assert made.endswith("…") and made.count(" ") == 15  # 16 words


def test_marker_characters_in_a_body_cannot_fake_a_match() -> None:
    assert Snippets("real").of("a real \x02fake\x03 one") == "a \x02real\x03 fake one"
