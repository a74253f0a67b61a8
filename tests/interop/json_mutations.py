"""Hypothesis helpers for fuzzing real JSON files (FHIR bundles, phenopackets): junk and paths."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

#: Any JSON-ish value to put where a real one was.
JUNK = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=12),
    st.booleans(),
    st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def json_paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Yield the path (keys and indexes) of every value inside a parsed JSON document."""
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in items:
        yield (*prefix, key)
        yield from json_paths(child, (*prefix, key))


def mutate(document: Any, path: tuple[Any, ...], value: Any) -> None:
    """Replace the value at ``path`` in place."""
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
