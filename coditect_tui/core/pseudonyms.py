"""Pseudonymous principal ids: what the audit chain names people by (schema 0011).

A principal's id is random (``p_`` and 12 hex digits), never derived from the name, and
kept per tenant beside the name in the store's ``principals`` table. Hashed audit fields
carry the id; readers are given the name (or, once the person is erased, the label
``erased principal #<id>``) in a map beside the event. docs/security.md, "Erasure".
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

#: A pseudonymous principal id, anywhere in a text.
PSEUDONYM = re.compile(r"\bp_[0-9a-f]{12}\b")
_WHOLE = re.compile(r"p_[0-9a-f]{12}")


def new_pseudonym() -> str:
    """A fresh random principal id (``p_`` and 12 hex digits)."""
    return "p_" + secrets.token_hex(6)


def is_pseudonym(value: str) -> bool:
    """Whether ``value`` is exactly a principal id (a member may not be named like one)."""
    return _WHOLE.fullmatch(value) is not None


def erased_label(principal_id: str) -> str:
    """How an erased principal is shown."""
    return f"erased principal #{principal_id}"


def mentioned(values: Iterable[Any]) -> set[str]:
    """The principal ids found in ``values`` (strings, and the strings inside lists and
    dicts, keys included)."""
    found: set[str] = set()
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "p_" in value:
                found.update(PSEUDONYM.findall(value))
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return found


def shown(value: str, names: Mapping[str, str]) -> str:
    """``value`` with every principal id of ``names`` replaced by its name or label."""
    if not names or "p_" not in value:
        return value
    return PSEUDONYM.sub(lambda m: names.get(m.group(0), m.group(0)), value)


#: detail keys that never hold a principal (a member may be named like a role)
_NOT_NAMES = frozenset({"role", "old_role", "method", "action", "feature"})


def scrub_id(value: str | None, ids: Mapping[str, str]) -> str | None:
    """A resource id with each name of ``ids`` (name -> principal id) that stands in it
    as a word of its own (``alma``, ``feature/alma``) replaced by its id."""
    if value is None:
        return None
    for name, pid in ids.items():
        if name and name in value:
            value = re.sub(r"(?<!\w)" + re.escape(name) + r"(?!\w)", pid, value)
    return value


def _quoted(text: str, ids: Mapping[str, str]) -> str:
    # a name quoted in a message ({name!r}): "'alma' is not a member"
    for name, pid in ids.items():
        if name:
            for form in (repr(name), f'"{name}"'):
                if form in text:
                    text = text.replace(form, repr(pid))
    return text


def scrub(value: Any, ids: Mapping[str, str], *, whole: bool = True) -> Any:
    """Details with each name of ``ids`` (name -> principal id) replaced by its id: a
    value that is exactly the name (with ``whole``, outside keys that never hold a name),
    and the name quoted inside a text."""
    if not ids:
        return value
    if isinstance(value, str):
        if whole and value in ids:
            return ids[value]
        return _quoted(value, ids)
    if isinstance(value, dict):
        return {k: scrub(v, ids, whole=whole and k not in _NOT_NAMES) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, ids, whole=whole) for v in value]
    return value
