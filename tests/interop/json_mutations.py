"""Helpers for fuzzing real files: Hypothesis junk and JSON paths, and seeded byte, JSON and CSV mutators."""

from __future__ import annotations

import copy
import csv
import io
import random
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


# Seeded (random.Random) mutators for the file fuzz tests, which run hundreds of cases through
# the CLI and need them cheap and reproducible without Hypothesis' shrinking.

#: Byte strings inserted into files: structure characters, bad encodings, numbers Python cannot
#: hold, and text no registry can store.
BYTE_INSERTS: tuple[bytes, ...] = (
    b"{", b"}", b"[", b"]", b'"', b",", b":", b"\n", b"\t", b";", b"\x00", b"\xff\xfe",
    b"\xc3", b"NaN", b"Infinity", b"-1", b"1e999", b"9" * 4400, b"[" * 5000, b"null",
    b"2020-02-30", b"\r\n", b"\\u0000", b"\xef\xbb\xbf",
)  # fmt: skip

#: Values put where a real one was: wrong types, wrong nesting, impossible numbers and dates.
JUNK_VALUES: tuple[Any, ...] = (
    None, True, 0, -1, 2**70, 1.5, float("nan"), float("inf"), "", "x", "abc", "\x00",
    "2020-02-30", "not-a-date", "banana", [], {}, [1, "a"], {"a": {"b": [None]}},
    [[[[[[[[[[[]]]]]]]]]]],
)  # fmt: skip

#: Cell texts put into CSV files.
JUNK_CELLS: tuple[str, ...] = (
    "", "abc", "-1", "1e999", "NaN", "2020-02-30", "\x00", "9" * 5000, "1.5", "yes", '"',
    "a,b", "\t", "=cmd()", "0x10", "∞",
)  # fmt: skip


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Return ``data`` truncated, with bytes flipped, inserted, deleted or repeated."""
    if not data:
        return rng.choice(BYTE_INSERTS)
    at = rng.randrange(len(data))
    match rng.randrange(5):
        case 0:
            return data[:at]
        case 1:
            flipped = bytearray(data)
            for i in rng.sample(range(len(data)), min(len(data), rng.randint(1, 8))):
                flipped[i] ^= 1 << rng.randrange(8)
            return bytes(flipped)
        case 2:
            return data[:at] + rng.choice(BYTE_INSERTS) + data[at:]
        case 3:
            return data[:at] + data[at + rng.randint(1, 64) :]
        case _:
            end = min(len(data), at + rng.randint(1, 256))
            return data[:end] + data[at:end] * rng.randint(1, 3) + data[end:]


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    node = document
    for key in path[:-1]:
        node = node[key]
    return node


def mutate_json(document: Any, rng: random.Random) -> Any:
    """Return a changed copy: a value replaced by junk, wrapped, unwrapped or removed."""
    document = copy.deepcopy(document)
    paths = list(json_paths(document))
    if not paths:
        return rng.choice(JUNK_VALUES)
    path = rng.choice(paths)
    parent, key = _parent(document, path), path[-1]
    value = parent[key]
    match rng.randrange(5):
        case 0 | 1:
            parent[key] = copy.deepcopy(rng.choice(JUNK_VALUES))
        case 2:
            parent[key] = [value]
        case 3:
            parent[key] = {"value": value}
        case _:
            del parent[key]
    return document


def mutate_csv(text: str, rng: random.Random) -> str:
    """Return CSV text with a cell, a column, a row or the delimiter changed."""
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2 or not rows[0]:
        return text + rng.choice(JUNK_CELLS)
    r, c = rng.randrange(len(rows)), rng.randrange(len(rows[0]))
    match rng.randrange(6):
        case 0 | 1:
            if c < len(rows[r]):
                rows[r][c] = rng.choice(JUNK_CELLS)
        case 2:
            rows = [row[:c] + row[c + 1 :] for row in rows]
        case 3:
            rows[r] = [*rows[r], rng.choice(JUNK_CELLS)]
        case 4:
            rows = rows[:1] + [rows[r]] * rng.randint(2, 3) + rows[1:]
        case _:
            rows[0] = rng.sample(rows[0], len(rows[0]))
    out = io.StringIO()
    csv.writer(out, delimiter=rng.choice(",,,,\t;"), lineterminator="\n").writerows(rows)
    return out.getvalue()
