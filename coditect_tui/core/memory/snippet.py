"""A search hit's snippet: a few words of its body around the query's matches.

SQLite's ``snippet()`` and PostgreSQL's ``ts_headline()`` re-tokenise the whole body of
every hit and score every fragment against every match, which for a word found hundreds of
times in a long file costs milliseconds per hit. This finds candidate words with one
regular-expression scan (C speed), confirms each by its stem exactly as the index matches
it, and tokenises only the few words around the best cluster of matches. Both backends use
it, so a hit's snippet reads the same on both. When it confirms no match in the body (the
query matched the title or headings only, or a word it cannot confirm), it returns None and
the store asks its engine instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.memory.query import parse_query
from coditect_tui.core.memory.stem import fold, stems

#: Snippet match markers (as ``SearchHit.snippet`` carries them).
MATCH_START = "\x02"
MATCH_END = "\x03"
ELLIPSIS = "…"
#: Words in a snippet (as the stores asked their engines for).
WORDS = 16
#: Matches looked at per body: the best cluster is nearly always among the first.
_MAX_MATCHES = 24
#: Candidate words stemmed per body (a short common prefix can start many words).
_MAX_CANDIDATES = 40
#: Words shown before a snippet's first match.
_CONTEXT_WORDS = 2
#: Characters of a body looked at first; a snippet decided there is the one the whole
#: body gives (see ``Snippets.of``), else four times as many are looked at.
FIRST_SPAN = 512
_WORD = re.compile(r"[^\W_]+")
#: The one letter whose lower case is longer than itself ("İ" -> "i̇"): a body holding it
#: is scanned without lower-casing (tests/memory/test_snippet.py checks it is the only one).
MOVES_OFFSETS = "\u0130"
_NOT_WORD = re.compile(r"[\W_]")


@dataclass(frozen=True, slots=True)
class _Token:
    """One word of a query term: its stem, and whether it matches as a prefix."""

    stem: str
    text: str  # as typed (folded, lower case): a prefix matches words that start with it
    prefix: bool
    term: int  # which group of the query's terms it belongs to

    @property
    def head(self) -> str:
        """What every word it matches starts with: a word whose stem is S starts with S
        less its last letter (Porter rewrites endings only: happy -> happi, hoping ->
        hope), and a prefix match starts with what was typed."""
        return _head(_common(self.stem, self.text))


class _Match(NamedTuple):
    start: int
    end: int
    token: _Token


class Snippets:
    """Snippets for the hits of one query.

    Args:
        query: the query in the user syntax or as FTS5 text (the store's translated
            text parses to the same terms).
    """

    def __init__(self, query: str) -> None:
        try:
            groups = parse_query(query).term_groups()
        except InvalidInput:
            groups = []
        #: what a match needs: a window holding one term of each group is the best one
        self._groups = len(groups)
        self._terms: list[list[_Token]] = []  # each term's words (a phrase has several)
        for number, group in enumerate(groups):
            for term in group:
                # a word that folds to nothing (a lone combining mark) is no token of
                # the index either
                words = [w for w in (fold(word) for word in term.tokens()) if w]
                if not words:
                    continue
                prefix = term.prefix or term.partial  # on the last word
                self._terms.append(
                    [
                        _Token(w, w, prefix and i == len(words) - 1, number)
                        for i, w in enumerate(words)
                    ]
                )
        stemmed = stems(t.text for term in self._terms for t in term)
        self._terms = [
            [_Token(stemmed[t.text], t.text, t.prefix, t.term) for t in term]
            for term in self._terms
        ]
        self._tokens = [token for term in self._terms for token in term]
        # a group can be matched in a body only where each word of one of its terms
        # has its head (see the candidates below); each group's terms' heads
        self._group_heads: list[list[set[str]]] = [[] for _ in groups]
        for tokens in self._terms:
            self._group_heads[tokens[0].term].append({t.head for t in tokens})
        # every candidate word starts with its token's head
        self._heads = _shortest({t.head for t in self._tokens})
        self._candidates = (
            re.compile(
                r"(?<![^\W_])(?:" + "|".join(map(re.escape, self._heads)) + r")[^\W_]*",
                re.IGNORECASE,
            )
            if self._heads
            else None
        )
        # scanned word by word: the heads of every term's first word; the later words
        # of a phrase are taken only where they follow it (a common word there would
        # use up its candidates before the phrase, and the phrase go unconfirmed)
        self._scan_heads = _shortest({term[0].head for term in self._terms})
        self._phrases = [
            re.compile(r"[\W_]+".join(re.escape(t.head) + r"[^\W_]*" for t in term))
            for term in self._terms
            if len(term) > 1
        ]
        #: words of the longest phrase (1: none): a phrase the part read ends inside
        #: begins in the last ``_longest - 1`` words of that part
        self._longest = max((len(term) for term in self._terms), default=1)

    def of(self, body: str) -> str | None:
        """The snippet of ``body``: about :data:`WORDS` words with the matches marked.

        The body is read from its start, :data:`FIRST_SPAN` characters first and four
        times as many each time after, until the snippet cannot change: the window
        holds a term of every group of the query (``SearchQuery.term_groups``: the parts
        of its AND), or of every group whose words occur in the body at all, and the
        words the window was chosen from end inside what was read — before its last
        words, where the query has a phrase (a phrase the part ends inside would make
        them its words, not matches of another term). (Candidates and matches are taken
        in body order, so those of the part read are the whole body's first ones.) A
        long body whose match comes early costs no more than a short one. Where nothing
        matched in the part read, reading goes on to the next place a word of the query
        could start; the body is lower-cased only as far as it is read, and one holding
        ``İ`` (the letter whose lower case is two characters) is scanned the slower way
        throughout, as it is read whole.

        Returns:
            The snippet (``…`` where the body goes on before or after it), or None when
            no match of the query is confirmed in ``body``.
        """
        span = FIRST_SPAN
        # body[:len(low)] lower-cased, extended as more is read; None for a body holding
        # the one letter whose lower case is longer (offsets move): it is scanned the
        # slower way throughout, as it would be read whole
        low = None if MOVES_OFFSETS in body else _lower_to(body, "", _word_boundary(body, span))
        possible: int | None = None  # how many groups can match (several groups only)
        if low is not None:  # start at the first head (a body's start is often headers)
            low, at = self._next_head(body, low, 0)
            if at < 0:  # none of the query's words in the body: no match in it
                return None
            span = max(span, at + FIRST_SPAN)
        while True:
            read = _word_boundary(body, span)
            if low is not None:
                low = _lower_to(body, low, read)
            matches = self._matches(body, read, low)
            whole = read == len(body)
            if matches:
                start, end, held, reach = self._window(body, matches)
                if whole:
                    break
                # matches in the last words read may belong to a phrase going on after
                # them: the window is decided only where it ends before those words
                decided = _words_back(body, read, self._longest - 1)
                if reach <= decided and held == self._groups:
                    break
                if reach > decided:
                    span *= 4
                    continue
            elif whole:
                return None
            if self._groups > 1:
                if possible is None:
                    if low is not None:
                        low = _lower_to(body, low, len(body))
                    possible = self._possible(low)
                    if possible == 0:  # no group's words all in the body: no match in it
                        return None
                if matches and held == possible:
                    break
            span *= 4
            if not matches and low is not None:
                # no candidate before the next head: read up to it at once
                low, at = self._next_head(body, low, read)
                if at < 0 and not self._phrases:  # no word in the rest can match (a
                    return None  # phrase begun before ``read`` may go on past it)
                span = max(span, at + FIRST_SPAN)
        marked = [ELLIPSIS] if _WORD.search(body, 0, start) else []
        at = start
        for match in matches:
            if match.start >= start and match.end <= end:
                marked += [_plain(body[at : match.start]), MATCH_START]
                marked += [_plain(body[match.start : match.end]), MATCH_END]
                at = match.end
        marked.append(_plain(body[at:end]))
        if _WORD.search(body, end):
            marked.append(ELLIPSIS)
        return "".join(marked)

    def _possible(self, lowered: str | None) -> int:
        """How many groups could match in the body ``lowered`` (lower-cased whole; None
        where that moves offsets: every group): those with a term each of whose words'
        heads occurs in it. No window holds more, so a window holding that many is the
        whole body's best (its matches being the body's first)."""
        if lowered is None:
            return self._groups
        return sum(
            any(all(head in lowered for head in heads) for heads in group)
            for group in self._group_heads
        )

    def _next_head(self, body: str, low: str, at: int) -> tuple[str, int]:
        """Where the first head of a term's first word occurs at or after ``at`` (a word's
        edge), lower-casing ``body`` further (twice as far each time) until one does.

        Returns:
            ``low`` extended, and the head's place (-1 when none occurs up to the end).
        """
        while True:
            found = [p for head in self._scan_heads if (p := low.find(head, at)) >= 0]
            if found:
                return low, min(found)
            if len(low) == len(body):
                return low, -1
            at = len(low)  # at a word's edge: no head runs across it
            low = _lower_to(body, low, _word_boundary(body, 2 * at + 1))

    def _matches(self, body: str, read: int, lowered: str | None) -> list[_Match]:
        """Confirmed matches in ``body[:read]``, in order; a phrase's words only where the
        whole phrase is (``lowered``: as :meth:`_candidate_words` takes it)."""
        candidates = self._candidate_words(body, read, lowered)
        stemmed = stems(word for _, _, word in candidates)

        def fits(index: int, token: _Token) -> bool:
            word = candidates[index][2]
            return stemmed[word] == token.stem or (
                token.prefix
                and (stemmed[word].startswith(token.stem) or word.startswith(token.text))
            )

        def next_to(index: int) -> bool:  # no other word between it and the one before
            return not _WORD.search(body, candidates[index - 1][1], candidates[index][0])

        found: list[_Match] = []
        taken = -1  # the last candidate a phrase took
        for index, (start, end, _) in enumerate(candidates):
            if index <= taken:
                continue
            for term in self._terms:
                if len(term) == 1:
                    if fits(index, term[0]):
                        found.append(_Match(start, end, term[0]))
                        break
                    continue
                last = index + len(term) - 1
                if last < len(candidates) and all(
                    fits(index + place, token) and (place == 0 or next_to(index + place))
                    for place, token in enumerate(term)
                ):
                    found += [
                        _Match(candidates[index + place][0], candidates[index + place][1], token)
                        for place, token in enumerate(term)
                    ]
                    taken = last
                    break
            if len(found) >= _MAX_MATCHES:
                break
        return found

    def _candidate_words(
        self, body: str, read: int, lowered: str | None
    ) -> list[tuple[int, int, str]]:
        """(start, end, folded lower-case word) of the first words of ``body[:read]``
        that start with a head (``read`` is at a word's end or the body's; ``lowered``:
        at least ``body[:read]`` lower-cased, None where that moves offsets)."""
        if self._candidates is None:
            return []
        found: list[tuple[int, int, str]] = []
        if lowered is None:  # lower-casing moved offsets: the slower scan
            for candidate in self._candidates.finditer(body, 0, read):
                found.append((candidate.start(), candidate.end(), fold(candidate.group().lower())))
                if len(found) >= _MAX_CANDIDATES:
                    break
            return found
        for head in self._scan_heads:  # str.find runs at memory speed, a regex scan not
            at = lowered.find(head, 0, read)
            count = 0
            while at >= 0 and count < _MAX_CANDIDATES:
                if at == 0 or not lowered[at - 1].isalnum():
                    # None: a head of characters no word is made of here (private use)
                    word = _WORD.match(lowered, at)
                    if word is not None:
                        found.append(_candidate(word))
                        count += 1
                at = lowered.find(head, at + 1, read)
        for phrase in self._phrases:  # its words where they stand together
            count = 0
            for shape in phrase.finditer(lowered, 0, read):
                if shape.start() and lowered[shape.start() - 1].isalnum():
                    continue  # not at a word's start
                found += map(_candidate, _WORD.finditer(lowered, shape.start(), shape.end()))
                count += 1
                if count >= _MAX_CANDIDATES:
                    break
        if self._phrases:
            found = list(set(found))  # a phrase's first word is also scanned
        found.sort()
        return found

    def _window(self, body: str, matches: list[_Match]) -> tuple[int, int, int, int]:
        """The span of :data:`WORDS` words holding the most different terms (the first
        such span), with two words before its first match as context.

        Returns:
            Its start and end, how many terms it holds, and where the words counted from
            its first match end (every match looked at lies before that).
        """
        every = len({m.token.term for m in matches})
        # (terms, first match, end of its last, end of the words counted from the first)
        best: tuple[int, int, int, int] = (0, 0, 0, 0)
        for number, anchor in enumerate(matches):
            end = _words_from(body, anchor.start, WORDS)
            terms: set[int] = set()
            last = anchor.end
            for match in matches[number:]:
                if match.end > end:
                    break
                terms.add(match.token.term)
                last = match.end
            if len(terms) > best[0]:
                best = (len(terms), anchor.start, last, end)
            if best[0] == every:
                break
        held, first, last, reach = best
        # a few words of context before the first match, no more: a list row is narrow
        # and cuts the snippet's end, so the matches must come early
        used = len(_WORD.findall(body, first, last))
        start = _back(body, first, min(_CONTEXT_WORDS, (WORDS - used) // 2))
        return start, _words_from(body, start, WORDS), held, reach


def _shortest(heads: set[str]) -> list[str]:
    """``heads`` without those that start with another (a word that starts with a head is
    found by any shorter head it starts with too), sorted."""
    return sorted(h for h in heads if not any(o != h and h.startswith(o) for o in heads))


def _candidate(word: re.Match[str]) -> tuple[int, int, str]:
    """(start, end, folded lower-case text) of a word found in the lower-cased body."""
    text = word.group()
    return word.start(), word.end(), text if text.isascii() else fold(text)


def _lower_to(body: str, low: str, upto: int) -> str:
    """``body`` lower-cased at least up to ``upto``, by extending ``low`` (``body`` up to its
    length lower-cased; a body without :data:`MOVES_OFFSETS`, so every letter keeps its
    length). Lower-casing non-ASCII text costs ~10 times ASCII's, so a body is
    lower-cased only as far as it is read. A capital sigma lower-cases by its neighbours
    (a word's final sigma): then the whole body is lower-cased at once, as it would be
    read whole."""
    if upto <= len(low):
        return low
    part = body[len(low) : upto]
    if not part.isascii() and "\u03a3" in part:
        return body.lower()
    return low + part.lower()


def _word_boundary(body: str, at: int) -> int:
    """The first place at or after ``at`` that is not inside a word (or the body's end)."""
    if at >= len(body):
        return len(body)
    found = _NOT_WORD.search(body, at)
    return found.start() if found else len(body)


def _plain(text: str) -> str:
    """``text`` without the marker characters (a body holding them cannot fake a match)."""
    return text.replace(MATCH_START, "").replace(MATCH_END, "")


def _common(a: str, b: str) -> str:
    """The longest common start of ``a`` and ``b``."""
    size = 0
    while size < min(len(a), len(b)) and a[size] == b[size]:
        size += 1
    return a[:size] or a


def _head(stemmed: str) -> str:
    return stemmed[: max(min(3, len(stemmed)), len(stemmed) - 1)]


def _words_from(body: str, start: int, count: int) -> int:
    """Where the ``count``-th word from ``start`` ends (or the last one before that)."""
    found = _words_pattern(count).match(body, start)
    return found.end() if found else start


@cache
def _words_pattern(count: int) -> re.Pattern[str]:
    """Up to ``count`` words, each after what separates it (one match, not a loop)."""
    return re.compile(r"(?:[\W_]*[^\W_]+){1," + str(count) + "}")


def _words_back(body: str, at: int, count: int) -> int:
    """Where the ``count``-th word before ``at`` (not inside a word) begins: ``at`` for
    none, 0 when fewer words come before it. However far back that is."""
    if count <= 0:
        return at
    reach = 64 * count
    while True:
        low = max(0, at - reach)
        starts = [word.start() for word in _WORD.finditer(body, low, at)]
        # more than ``count``: the first one found may begin before ``low``
        if len(starts) > count or low == 0:
            return starts[-count] if len(starts) >= count else 0
        reach *= 4


def _back(body: str, start: int, count: int) -> int:
    """Where the word ``count`` words before the one at ``start`` begins."""
    if count <= 0:
        return start
    before = list(_WORD.finditer(body, max(0, start - 40 * count), start))
    if not before:
        return start
    return before[-min(count, len(before))].start()
