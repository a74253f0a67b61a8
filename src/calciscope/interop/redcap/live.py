"""Pull a REDCap project through its API with PyCap (the ``redcap`` extra), in chunks.

Large projects run out of memory when exported in one request (PyCap #267, #80, #328), so the
record ids are fetched first and the records exported ``chunk_size`` at a time, each chunk
appended to ``data.csv`` on disk. The import then streams that file row by row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from calciscope.errors import Problem, ValidationError, require_extra

__all__ = ["pull_project"]


def _refused(url: str, field: str, message: str) -> ValidationError:
    return ValidationError(
        [Problem("REDCap API", url, field, message)], summary="REDCap project not pulled"
    )


def _project(url: str, token: str) -> Any:
    redcap = require_extra("redcap", "redcap", package="PyCap")
    try:
        return redcap.Project(url, token)
    except (AssertionError, ValueError) as exc:  # PyCap checks URL and token with assert
        raise _refused(url, "token", " ".join(map(str, exc.args))) from None


def _record_ids(project: Any) -> list[str]:
    rows = project.export_records(format_type="json", fields=[project.def_field])
    return list(dict.fromkeys(str(row[project.def_field]) for row in rows))


def pull_project(
    url: str,
    token: str,
    out_dir: Path,
    *,
    chunk_size: int = 500,
    project_factory: Callable[[str, str], Any] | None = None,
) -> tuple[Path, Path]:
    """Download ``dictionary.csv`` and ``data.csv`` (raw records) of a REDCap project.

    Parameters
    ----------
    url, token
        The REDCap API URL and a project API token.
    out_dir
        Folder for the two files.
    chunk_size
        Records per API request.
    project_factory
        Builds the PyCap ``Project`` (tests pass a fake).

    Returns
    -------
    tuple
        The paths of the records file and the dictionary.
    """
    project = (project_factory or _project)(url, token)
    try:
        return _download(project, Path(out_dir), chunk_size)
    except OSError as exc:  # requests' connection and HTTP errors are OSErrors
        raise _refused(url, "download", str(exc)) from None


def _download(project: Any, out: Path, chunk_size: int) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    dictionary, records = out / "dictionary.csv", out / "data.csv"
    dictionary.write_text(project.export_metadata(format_type="csv"), encoding="utf-8")
    ids = _record_ids(project)
    with records.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        header: list[str] | None = None
        for start in range(0, len(ids), chunk_size):
            rows = list(
                csv.reader(
                    io.StringIO(
                        project.export_records(
                            format_type="csv", records=ids[start : start + chunk_size]
                        )
                    )
                )
            )
            if not rows:
                continue
            if header is None:
                header = rows[0]
                writer.writerow(header)
            writer.writerows(rows[1:])
    return records, dictionary
