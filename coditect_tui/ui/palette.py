"""One base for the palette providers that offer a list of entries.

Each entry is (text, callback, help). The text and the help may be untrusted (repo,
group, category and command names): both reach the palette as plain ``Content``
(``ui/plain.py``), never as markup, in the discovery list and in the search hits alike.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from coditect_tui.ui.plain import highlight_plain, plain

#: One palette entry: the text shown and matched, what it runs, its help line (or None).
Entry = tuple[str, Callable[[], object], str | None]


class EntriesProvider(Provider):
    """A provider over :meth:`entries`: all of them when the palette opens, the fuzzy
    matches as the user types."""

    def entries(self) -> list[Entry]:
        """What this provider offers now (the principal's refusals already left out).

        Returns:
            The entries, in the order they are listed.
        """
        raise NotImplementedError

    async def discover(self) -> Hits:
        for text, callback, help_text in self.entries():
            yield DiscoveryHit(
                plain(text),
                callback,
                text=text,
                help=plain(help_text) if help_text else None,  # type: ignore[arg-type]
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self.entries():
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    highlight_plain(matcher, text),
                    callback,
                    text=text,
                    help=plain(help_text) if help_text else None,  # type: ignore[arg-type]
                )
