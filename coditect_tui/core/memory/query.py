"""The search box's query syntax, checked and translated for the full-text engines.

Users type a small, forgiving syntax; this module parses it into a tree, rejects what is
malformed with a message that says what to fix (:class:`InvalidInput`), and renders the
tree as SQLite FTS5 ``MATCH`` text (the local store) or as PostgreSQL ``tsquery`` text (the
tenant API), so both back-ends answer the same query the same way.

Syntax:

=====================  ===========================================================
``hooks checkpoint``   every word must match (in any order, title or body)
``"symlink check"``    a phrase: the words next to each other, in this order
``submod*``            a prefix (at least 2 letters or digits before ``*``)
``hooks OR session``   either; ``OR`` binds tighter than the implicit AND, so
                       ``hooks checkpoint OR session`` is hooks AND (checkpoint OR session)
``-draft``             exclude (also ``NOT draft``); needs at least one word to match
``(a OR b) c``         parentheses group
``a AND b``            the same as ``a b``
=====================  ===========================================================

Words match by their English stem (Porter, as SQLite FTS5's ``porter`` tokenizer makes
it): ``hook`` finds ``hooks`` and ``hooked``. As you type, the last word is also matched
as a prefix (``rank`` finds ``ranking``), unless the query ends with a space, the word is
quoted or excluded, or it has fewer than 3 letters or digits. Because the index holds
stems, a prefix that has run into a word's ending (``rankin``, ``configura``) also
matches the stem before that ending (``rank``, ``configur``).

``OR``, ``AND`` and ``NOT`` are operators only in capitals. Words with punctuation
(``coditect-next-generation``, ``session_export.py``, ``2025-11-22T04-15-36Z``) are
searched as phrases of their parts, as the index splits them. Matching ignores case and
diacritics. Everything FTS5 would otherwise interpret (``NEAR``, ``column:``, ``^``,
``+``) is quoted, so no user text reaches the engine as syntax: translating an
already-translated query gives the same text back.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal, cast

from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.memory.stem import stems

#: Longest query accepted (characters).
MAX_QUERY_CHARS = 500
#: Most words and phrases in one query.
MAX_TERMS = 32
#: Fewest letters or digits before a ``*``.
MIN_PREFIX = 2
#: Fewest letters or digits of a last word matched as a prefix while typing.
MIN_PARTIAL = 3
#: Word endings the stemmer removes: a partial last word that ends in the start of one
#: also matches the stem before it (``rankin`` -> ``rank``).
_ENDINGS = (
    "ing", "ings", "ed", "es", "er", "ers", "ation", "ations", "ational", "able", "ible",
    "ance", "ence", "ive", "ize", "ized", "izing", "ization", "ous", "al", "ity", "ities",
    "ies", "ied",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase to match.

    Attributes:
        text: the word or the phrase's text, as typed.
        prefix: the last token is a prefix (``*``).
        quoted: typed in double quotes.
        partial: the query's last word, still being typed: matched whole or as a prefix.
    """

    text: str
    prefix: bool = False
    quoted: bool = False
    partial: bool = False

    def tokens(self) -> list[str]:
        """The index tokens of the text: runs of letters, digits and marks, lower-cased."""
        return tokenize(self.text)


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one of ``options`` must match (``OR``)."""

    options: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every one of ``must`` matches and none of ``must_not`` does."""

    must: tuple[Node, ...]
    must_not: tuple[Node, ...] = ()


Node = Term | AnyOf | AllOf


def _is_token_char(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LNM" or category == "Co"


def tokenize(text: str) -> list[str]:
    """Split text as the index does (SQLite's unicode61 tokenizer, near enough).

    Args:
        text: any text.

    Returns:
        Lower-case runs of letters, digits and combining marks.
    """
    tokens: list[str] = []
    current: list[str] = []
    for char in text:
        if _is_token_char(char):
            current.append(char)
        elif current:
            tokens.append("".join(current).lower())
            current = []
    if current:
        tokens.append("".join(current).lower())
    return tokens


TokenKind = Literal["word", "phrase", "(", ")", "OR", "AND", "NOT", "-"]


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: TokenKind
    pos: int
    text: str = ""
    prefix: bool = False
    partial: bool = False


def _mark_partial(toks: list[_Tok], text: str) -> list[_Tok]:
    """Mark the last word as still being typed (see the module docstring)."""
    if not toks or text[-1:].isspace():
        return toks
    last = toks[-1]
    if last.kind != "word" or last.prefix:
        return toks
    if len(toks) > 1 and toks[-2].kind in ("-", "NOT"):
        return toks
    words = tokenize(last.text)
    if not words or len(words[-1]) < MIN_PARTIAL:
        return toks
    return [*toks[:-1], _Tok("word", last.pos, last.text, False, True)]


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise InvalidInput(f'unbalanced quote: the " at position {i + 1} is never closed')
            j = end + 1
            prefix = False
            while j < n and text[j] == "*":
                prefix, j = True, j + 1
            toks.append(_Tok("phrase", i, text[i + 1 : end], prefix))
            i = j
        elif char in "()":
            toks.append(_Tok(cast(TokenKind, char), i))  # "(" or ")"
            i += 1
        elif char == "-":
            following = text[i + 1] if i + 1 < n else ""
            if not following or following.isspace() or following in "-)*":
                raise InvalidInput(
                    f"a '-' at position {i + 1} must be directly followed by "
                    'a word or "phrase" to exclude (e.g. -draft)'
                )
            toks.append(_Tok("-", i))
            i += 1
        elif char == "*":
            raise InvalidInput(
                f"'*' at position {i + 1} must directly follow a word (prefix search, e.g. submod*)"
            )
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '"()':
                j += 1
            word = text[i:j]
            if word in ("OR", "AND", "NOT"):
                toks.append(_Tok(cast(TokenKind, word), i))
            elif word == "NEAR" and j < n and text[j] == "(":
                raise InvalidInput(
                    'NEAR(...) is not supported: search for "a phrase" or for several words'
                )
            else:
                stem = word.rstrip("*")
                if "*" in stem:
                    raise InvalidInput(
                        f"'*' in {word!r} must come at the end of the word "
                        "(prefix search, e.g. submod*)"
                    )
                toks.append(_Tok("word", i, stem, stem != word))
            i = j
    return _mark_partial(toks, text)


class _Parser:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def conj(self) -> AllOf:
        must: list[Node] = []
        must_not: list[Node] = []
        while (tok := self.peek()) is not None and tok.kind != ")":
            if tok.kind == "AND":
                self.take()
                following = self.peek()
                if (
                    not (must or must_not)
                    or following is None
                    or following.kind in (")", "OR", "AND")
                ):
                    raise InvalidInput(
                        f'AND at position {tok.pos + 1} needs a word or "phrase" on each side'
                    )
                continue
            if tok.kind == "OR":
                raise InvalidInput(
                    f'OR at position {tok.pos + 1} needs a word or "phrase" on each side'
                )
            if tok.kind in ("NOT", "-"):
                self.take()
                following = self.peek()
                if following is None or following.kind not in ("word", "phrase", "("):
                    what = "NOT" if tok.kind == "NOT" else "'-'"
                    raise InvalidInput(
                        f"{what} at position {tok.pos + 1} must be followed by "
                        'a word or "phrase" to exclude'
                    )
                must_not.append(self.atom())
                after = self.peek()
                if after is not None and after.kind == "OR":
                    raise InvalidInput(
                        f"OR at position {after.pos + 1} cannot combine an "
                        "exclusion: put -word outside the OR"
                    )
                continue
            must.append(self.alternatives())
        return AllOf(tuple(must), tuple(must_not))

    def alternatives(self) -> Node:
        options = [self.atom()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            following = self.peek()
            if following is None or following.kind in (")", "OR", "AND"):
                raise InvalidInput(
                    f'OR at position {tok.pos + 1} needs a word or "phrase" on each side'
                )
            if following.kind in ("NOT", "-"):
                raise InvalidInput(
                    f"OR at position {tok.pos + 1} cannot combine an "
                    "exclusion: put -word outside the OR"
                )
            options.append(self.atom())
        return options[0] if len(options) == 1 else AnyOf(tuple(options))

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind in ("word", "phrase"):
            return Term(tok.text, tok.prefix, tok.kind == "phrase", tok.partial)
        if tok.kind == "(":
            inner = self.conj()
            close = self.peek()
            if close is None:
                raise InvalidInput(
                    f"unbalanced parenthesis: the ( at position {tok.pos + 1} is never closed"
                )
            self.take()
            if not inner.must and not inner.must_not:
                raise InvalidInput(f"empty parentheses at position {tok.pos + 1}")
            return inner
        if tok.kind == ")":
            raise InvalidInput(
                f"unbalanced parenthesis: the ) at position {tok.pos + 1} has no matching ("
            )
        raise InvalidInput(f"unexpected {tok.kind} at position {tok.pos + 1}")


def _simplify(node: Node) -> Node | None:
    if isinstance(node, Term):
        return node if node.tokens() else None
    if isinstance(node, AnyOf):
        options: list[Node] = []
        for option in node.options:
            simple = _simplify(option)
            if isinstance(simple, AnyOf):
                options += simple.options
            elif simple is not None:
                options.append(simple)
        if not options:
            return None
        return options[0] if len(options) == 1 else AnyOf(tuple(options))
    must: list[Node] = []
    must_not: list[Node] = []
    for item in node.must:
        simple = _simplify(item)
        if isinstance(simple, AllOf):
            must += simple.must
            must_not += simple.must_not
        elif simple is not None:
            must.append(simple)
    for item in node.must_not:
        simple = _simplify(item)
        if simple is not None:
            must_not.append(simple)
    if not must:
        if must_not:
            raise InvalidInput(
                'exclusions (-word, NOT word) need at least one word or "phrase" that must match'
            )
        return None
    if len(must) == 1 and not must_not:
        return must[0]
    return AllOf(tuple(must), tuple(must_not))


def _terms(node: Node, *, positive: bool = True) -> list[Term]:
    if isinstance(node, Term):
        return [node]
    if isinstance(node, AnyOf):
        return [t for option in node.options for t in _terms(option, positive=positive)]
    found = [t for item in node.must for t in _terms(item, positive=positive)]
    if not positive:
        found += [t for item in node.must_not for t in _terms(item, positive=False)]
    return found


def _stem_bases(word: str) -> list[str]:
    """Shorter forms of a partial word that end where a stemmed-away ending begins."""
    return [
        word[:k]
        for k in range(MIN_PARTIAL, len(word))
        if any(ending.startswith(word[k:]) for ending in _ENDINGS)
    ]


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fts_term(term: Term) -> str:
    if term.partial:
        tokens = term.tokens()
        options = [_quoted(term.text) + "*"]
        if len(tokens) == 1:
            options += [_quoted(base) for base in _stem_bases(tokens[0])]
        return options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")"
    return _quoted(term.text) + ("*" if term.prefix else "")


def _fts(node: Node, *, top: bool = False) -> str:
    if isinstance(node, Term):
        return _fts_term(node)
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(_fts(option) for option in node.options) + ")"
    text = " AND ".join(_fts(item) for item in node.must)
    if node.must_not:
        if len(node.must) > 1:
            text = f"({text})"
        text += "".join(f" NOT {_fts(item)}" for item in node.must_not)
    return text if top else f"({text})"


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _ts(node: Node, *, top: bool = False) -> str:
    if isinstance(node, Term):
        tokens = node.tokens()
        stemmed = stems([*tokens, *(_stem_bases(tokens[0]) if node.partial else ())])
        lexemes = [_lexeme(stemmed[t]) for t in tokens]
        if node.prefix or node.partial:
            lexemes[-1] += ":*"
        text = lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"
        if node.partial and len(tokens) == 1:
            bases = [_lexeme(stemmed[base]) for base in _stem_bases(tokens[0])]
            if bases:
                text = "(" + " | ".join([text, *bases]) + ")"
        return text
    if isinstance(node, AnyOf):
        return "(" + " | ".join(_ts(option) for option in node.options) + ")"
    text = " & ".join(_ts(item) for item in node.must)
    text += "".join(f" & !{_ts(item)}" for item in node.must_not)
    return text if top else f"({text})"


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A parsed, valid query.

    Attributes:
        text: what the user typed.
        node: the normalised tree.
    """

    text: str
    node: Node

    def fts5(self) -> str:
        """The SQLite FTS5 ``MATCH`` text (every word quoted; valid by construction)."""
        return _fts(self.node, top=True)

    def tsquery(self) -> str:
        """PostgreSQL ``tsquery`` text for ``to_tsquery('simple', ...)``: words as their
        stems (:mod:`coditect_tui.core.memory.stem`, as FTS5 stems them), phrases as
        ``<->``, prefixes as ``:*``, exclusions as ``& !``."""
        return _ts(self.node, top=True)

    def terms(self) -> list[Term]:
        """The words and phrases that must or may match (for highlighting), in order."""
        return _terms(self.node)

    def term_groups(self) -> list[list[Term]]:
        """:meth:`terms` grouped by what a match needs: one group per part of the
        top-level AND, whose terms are alternatives (the options of an OR, or a partial
        word and its stem); a query without a top-level AND is one group."""
        if isinstance(self.node, AllOf):
            return [found for item in self.node.must if (found := _terms(item))]
        return [_terms(self.node)]


def parse_query(text: str) -> SearchQuery:
    """Parse and check a query typed by a user.

    Args:
        text: the query (syntax in the module docstring).

    Returns:
        The parsed query.

    Raises:
        InvalidInput: empty, too long, or malformed; the message names the problem and
            its position (1-based).
    """
    if not text or not text.strip():
        raise InvalidInput("empty search query")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(
            f"search query too long ({len(text)} characters; at most {MAX_QUERY_CHARS})"
        )
    parser = _Parser(_lex(text))
    tree = parser.conj()
    stray = parser.peek()
    if stray is not None:
        raise InvalidInput(
            f"unbalanced parenthesis: the ) at position {stray.pos + 1} has no matching ("
        )
    node = _simplify(tree)
    if node is None:
        raise InvalidInput("nothing to search for: the query has no letters or digits")
    every = _terms(node, positive=False)
    if len(every) > MAX_TERMS:
        raise InvalidInput(f"too many words in the query ({len(every)}; at most {MAX_TERMS})")
    for term in every:
        if term.prefix and len(term.tokens()[-1]) < MIN_PREFIX:
            shown = f'"{term.text}"*' if term.quoted else f"{term.text}*"
            raise InvalidInput(
                f"prefix {shown} is too short: give at least {MIN_PREFIX} "
                "letters or digits before '*'"
            )
    return SearchQuery(text, node)


def to_fts5(text: str) -> str:
    """Translate a user query into SQLite FTS5 ``MATCH`` text.

    Args:
        text: the query.

    Returns:
        FTS5 query text.

    Raises:
        InvalidInput: the query is malformed (see :func:`parse_query`).
    """
    return parse_query(text).fts5()
