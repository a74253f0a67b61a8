"""Reading rule files: the packaged ``calciscope/extract/rules/*.yaml`` and files given instead.

The packaged files are parsed once per process (:func:`packaged`), and the rules, word lists
(:mod:`~calciscope.extract.word_lists`) and the plain values read here share that parse: the
sections that describe what was found (:func:`load_section_kinds`), the reaches of the
cross-sentence rules (:func:`load_reach`) and the field attribute labels
(:func:`load_field_attribute_labels`).
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from calciscope.errors import CatalogueError, ValidationError

__all__ = [
    "load_field_attribute_labels",
    "load_reach",
    "load_section_kinds",
    "packaged",
    "read_rule_file",
]


class _RuleLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML loader where only ``true``/``false`` are booleans: ``no``, ``on``, ``yes`` are words."""


_RuleLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_RuleLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@cache
def packaged(name: str) -> dict[str, Any]:
    """Parse a packaged rule file once per process (the extractor and the word lists share it)."""
    text = resources.files("calciscope.extract").joinpath("rules", name).read_text("utf-8")
    return yaml.load(text, Loader=_RuleLoader) or {}


def packaged_data(name: str) -> dict[str, Any]:
    """Return a packaged rule file's parse (read only: no copy), or a clear error."""
    try:
        return packaged(name)
    except OSError as exc:
        raise CatalogueError(f"cannot read the packaged {name}: {exc}") from exc


#: How an error names a packaged rule file (a file given instead is named by its path).
PACKAGED_FILE = "the packaged calciscope/extract/rules/{}"


def read_rule_file(path: Path | None, packaged_name: str) -> tuple[dict[str, Any], str, str]:
    """Return a rule file's data, the source its rule ids start with, and the file's name.

    The source is the file's stem (``targets``: rule ids, recorded in provenance, stay the
    same whatever folder the file is read from); errors name the file by its path.
    """
    try:
        if path is None:  # a copy: the rules built from it must not share the cached lists
            data = copy.deepcopy(packaged(packaged_name))
            return data, Path(packaged_name).stem, PACKAGED_FILE.format(packaged_name)
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CatalogueError(f"cannot read rule file {path}: {exc}") from exc
    # not UTF-8, not YAML (or JSON): the file, the line and what is wrong there, never the
    # codec's or parser's own message or a traceback (hardening24). Imported here: only a
    # file given by the user comes through, and the extractor imports no reader otherwise.
    from calciscope.textfile import check_utf8_bytes
    from calciscope.yamltext import parse_yaml

    try:
        text = check_utf8_bytes(raw, str(path))
        if str(path).endswith(".json"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise CatalogueError(
                    f"rule file {path}, line {exc.lineno}: not JSON: {exc.msg} (column {exc.colno})"
                ) from None
        else:
            data = parse_yaml(text, source=str(path), loader=_RuleLoader)
    except ValidationError as exc:
        raise CatalogueError(f"rule file {'; '.join(map(str, exc.problems))}") from None
    return data or {}, Path(path).stem, str(path)


@cache
def load_section_kinds(name: str) -> frozenset[str]:
    """Return a list of section categories of the packaged ``sections.yaml`` (read once).

    ``name`` is the list's key, e.g. ``"found_sections"`` (the sections that describe what was
    found; restate/restated_pattern.py).
    """
    kinds = packaged_data("sections.yaml").get(name)
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise CatalogueError(f"sections.yaml: {name!r} is not a list of section categories")
    return frozenset(kinds)


#: the packaged reaches (how many sentences back a rule of extract/restate/ looks), by key
#: in ``targets.yaml`` (notesacc30, moved from code)
_REACHES = ("wound_base_reach", "outer_pattern_reach")  # fix37


@cache
def load_reach(name: str) -> int:
    """Return a reach of the packaged ``targets.yaml``: a number of sentences (read once).

    ``name`` is its key, e.g. ``"wound_base_reach"`` (how many sentences before a wound's base
    the sentence naming the wound may be; restate/wound_base.py) or ``"outer_pattern_reach"``
    (characters; linking.py).
    """
    if name not in _REACHES:
        raise CatalogueError(f"unknown reach {name!r}")
    reach = packaged_data("targets.yaml").get(name)
    if not isinstance(reach, int) or isinstance(reach, bool) or reach < 1:
        raise CatalogueError(f"targets.yaml: {name!r} must be a whole number >= 1")
    return reach


def field_attribute_labels(items: Any, file: str) -> tuple[str, ...]:
    """Return a sections file's field attribute labels (the packaged ones when it has none)."""
    if items is None:  # a sections file written before the list moved to rule data (fixes21)
        return load_field_attribute_labels()
    if not isinstance(items, list):
        raise CatalogueError(f"{file}: field_attribute_labels must be a list of lower-case words")
    for word in items:
        if not (isinstance(word, str) and re.fullmatch(r"[a-z][a-z ]*", word)):
            raise CatalogueError(
                f"{file}: field_attribute_labels must be a list of lower-case words; got {word!r}"
            )
    return tuple(items)


@cache
def load_field_attribute_labels() -> tuple[str, ...]:
    """Return the packaged ``sections.yaml``'s field attribute labels (read once per process)."""
    data = packaged_data("sections.yaml")
    return field_attribute_labels(
        data.get("field_attribute_labels", []), PACKAGED_FILE.format("sections.yaml")
    )
