"""FHIR Bulk Data files: NDJSON (plain or gzip-compressed) and the ``$export`` manifest.

A Bulk Data ``$export`` (https://hl7.org/fhir/uv/bulkdata/STU2/export.html) writes one resource
a line in NDJSON files, one resource type a file, and answers with a *manifest*: a JSON object
with ``transactionTime``, ``request`` and ``output: [{type, url}]`` (and ``error``: the files of
OperationOutcomes). calciscope reads files, it does not download them: a manifest in the import
lists files beside it, by relative path or ``file://`` URL inside its folder.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from calciscope.errors import Problem, ValidationError
from calciscope.interop.jsontext import decode_utf8, parse_json

__all__ = [
    "NDJSON_SUFFIXES",
    "Entry",
    "Listed",
    "is_manifest",
    "is_ndjson",
    "manifest_files",
    "ndjson_entries",
]

#: File name endings read as NDJSON (one resource a line), as FHIR Bulk Data exports write them;
#: ``.gz`` ones are gzip-compressed.
NDJSON_SUFFIXES = (".ndjson", ".jsonl", ".ndjson.gz", ".jsonl.gz")

#: (fullUrl, resource, location, file): the location is ``#/entry/3`` in a bundle, ``line 3``
#: in an NDJSON file.
Entry = tuple[str, Any, str, str]
#: A file a manifest lists, with the resource type the manifest says it holds.
Listed = tuple[Path, str | None]


def is_ndjson(path: Path) -> bool:
    """Return whether a file is read as NDJSON (by its name: ``Patient.000.ndjson.gz``)."""
    return Path(path).name.lower().endswith(NDJSON_SUFFIXES)


def is_manifest(data: Any) -> bool:
    """Return whether parsed JSON is a Bulk Data ``$export`` manifest, not a FHIR resource."""
    return isinstance(data, dict) and "resourceType" not in data and "output" in data


def _raw_text(path: Path) -> str:
    """Return a file's text, uncompressed when its name ends in ``.gz``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationError([Problem(str(path), "$", "", f"cannot read: {exc}")]) from None
    if path.name.lower().endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            message = f"not a readable gzip file ({exc or 'truncated'})"
            raise ValidationError([Problem(str(path), "$", "", message)]) from None
    return decode_utf8(raw, str(path))


def ndjson_entries(path: Path, expected_type: str | None = None) -> list[Entry]:
    """Return the resources of an NDJSON file (FHIR Bulk Data), one a line; blank lines skipped.

    Each resource's fullUrl is ``<resourceType>/<id>``, so references between the files of
    one export (``Patient/123``) resolve. A line that is not a JSON object with a
    resourceType, or (``expected_type``, from a manifest) not of the type the manifest lists
    the file with, is a problem naming the file and the line.
    """
    entries, problems = list[Entry](), list[Problem]()
    for number, line in enumerate(_raw_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            resource = parse_json(line, source=str(path), location=where)
        except ValidationError as exc:
            problems += exc.problems
            continue
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if not isinstance(kind, str) or kind == "Bundle":
            message = "each NDJSON line must be one FHIR resource (not a Bundle)"
            problems.append(Problem(str(path), where, "resourceType", message))
            continue
        if expected_type is not None and kind != expected_type:
            message = f"is {kind}, but the $export manifest lists this file as {expected_type}"
            problems.append(Problem(str(path), where, "resourceType", message))
            continue
        rid = resource.get("id")
        entries.append(
            (f"{kind}/{rid}" if isinstance(rid, str) else "", resource, where, str(path))
        )
    if problems:
        raise ValidationError(problems)
    if not entries:
        message = "no FHIR resource in the file (empty NDJSON)"
        raise ValidationError([Problem(str(path), "$", "", message)])
    return entries


def _listed_path(url: str, folder: Path) -> tuple[Path | None, str]:
    """Return the file a manifest's ``url`` names inside ``folder``, or why it is refused."""
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https"):
        return None, (
            f"{url!r} is a download address: calciscope reads files, it does not download."
            " Download the export's files beside the manifest and list them by relative path"
        )
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            return None, f"{url!r} names a file on another host ({parsed.netloc})"
        path = Path(unquote(parsed.path))
    elif parsed.scheme and len(parsed.scheme) > 1:  # a Windows drive letter is no scheme
        return None, f"{url!r}: only relative paths and file:// URLs are read"
    else:
        path = Path(url)
    target = (folder / path).resolve()
    if not target.is_relative_to(folder.resolve()):
        return None, (
            f"{url!r} is outside the manifest's folder {folder}: a manifest may only list"
            " files in its own folder"
        )
    return target, ""


def manifest_files(path: Path, data: dict[str, Any]) -> tuple[list[Listed], int]:
    """Return the files a Bulk Data manifest lists (with their types) and its error-file count.

    Raises
    ------
    ValidationError
        Naming the manifest, the ``output`` entry and the field: no ``transactionTime``, an
        entry without a ``url``, an http(s) URL, a path outside the manifest's folder, a
        listed file that is missing.
    """
    source, problems, listed = str(path), list[Problem](), list[Listed]()
    if not isinstance(data.get("transactionTime"), str):
        message = "a $export manifest needs its transactionTime (the export's time)"
        problems.append(Problem(source, "$", "transactionTime", message))
    output = data.get("output")
    if not isinstance(output, list):
        problems.append(Problem(source, "$", "output", "expected a list of {type, url}"))
        output = []
    for i, item in enumerate(output):
        where = f"#/output/{i}"
        url = item.get("url") if isinstance(item, dict) else None
        kind = item.get("type") if isinstance(item, dict) else None
        if not isinstance(url, str) or not url.strip():
            problems.append(Problem(source, where, "url", "each output needs a url (text)"))
            continue
        if kind is not None and not isinstance(kind, str):
            problems.append(Problem(source, where, "type", "expected a resource type (text)"))
            continue
        target, refused = _listed_path(url.strip(), path.parent)
        if target is None:
            problems.append(Problem(source, where, "url", refused))
        elif not target.is_file():
            message = f"the listed file {target} is missing (was the export downloaded whole?)"
            problems.append(Problem(source, where, "url", message))
        else:
            listed.append((target, kind))
    if problems:
        raise ValidationError(problems)
    errors = data.get("error")
    return listed, len(errors) if isinstance(errors, list) else 0
