"""The study page: run a study file (or the default study), read the report, download the bundle.

Clinicians read the whole report and download the whole bundle. Researchers' runs always write
the pseudonymised export, and researchers download only that export (ids replaced, dates
shifted, small cells suppressed: :mod:`calciscope.report.pseudonymise`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import secrets
import shutil
import zipfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from calciscope import api
from calciscope.errors import NotFoundError, Problem, ValidationError
from calciscope.web.pages import page
from calciscope.web.security import CLINICIANS, READERS, WebRole, WebUser, current_user, guarded

__all__ = ["router"]

router = APIRouter()

#: The largest study file accepted (a study definition is a few kilobytes of YAML).
MAX_STUDY_BYTES = 256 * 1024
_RUN_ID_CHARS = frozenset("0123456789abcdef")


def _runs_dir(request: Request) -> Path:
    folder = Path(request.app.state.settings.runs_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _run_dir(request: Request, run_id: str) -> Path:
    if len(run_id) != 12 or not set(run_id) <= _RUN_ID_CHARS:
        raise NotFoundError([Problem("study", run_id, "run_id", "no such run")])
    folder = _runs_dir(request) / run_id
    if not (folder / "run.json").is_file():
        raise NotFoundError([Problem("study", run_id, "run_id", "no such run")])
    return folder


def _summary(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "run.json").read_text(encoding="utf-8")))


@page(router, "/study", "study.html", roles=READERS, summary="Study runs")
def study(request: Request, user: Annotated[WebUser, Depends(current_user)]) -> dict[str, Any]:
    """List the study runs so far, newest first, and the form to run one."""
    runs = [_summary(f) for f in _runs_dir(request).iterdir() if (f / "run.json").is_file()]
    return {"runs": sorted(runs, key=lambda r: r["at"], reverse=True)}


def _run(request: Request, user: WebUser, text: bytes | None) -> str:
    """Run the study (the uploaded file, else the default study) into a new run folder."""
    state = request.app.state
    run_id = secrets.token_hex(6)
    folder = _runs_dir(request) / run_id
    folder.mkdir()
    study_file = folder / "study.yaml"
    study_file.write_bytes(text or api.init_study_text().encode("utf-8"))
    private = user.role is WebRole.RESEARCHER
    try:
        run = api.run_study(
            study_file,
            state.registry,
            out=folder / "report",
            pseudonymise=True if private else None,
        )
    except Exception as exc:
        # a refused file leaves no folder behind (each upload kept its text on the server),
        # and the answer names the file as the user knows it, not by the server's path
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, ValidationError):
            which = "the uploaded study file" if text else "the default study"
            raise ValidationError(exc.problems, summary=f"invalid study: {which}") from None
        raise
    summary = {
        "run_id": run_id,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "by": user.name,
        "title": run.analysis.study.title,
        "headline": api.headline_lines(run),
        "export_dir": (
            run.bundle.export_dir.relative_to(folder).as_posix() if run.bundle.export_dir else None
        ),
    }
    (folder / "run.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    api.record_audit(
        state.registry,
        actor=user.name,
        action="study_run",
        target=f"study:{run_id}",
        after={"title": summary["title"], "uploaded": text is not None},
    )
    return run_id


async def _upload(study_file: UploadFile | None) -> bytes | None:
    if study_file is None or not study_file.filename:
        return None
    text = await study_file.read(MAX_STUDY_BYTES + 1)
    if len(text) > MAX_STUDY_BYTES:
        raise ValidationError(
            [Problem("study", study_file.filename, "study_file", "larger than 256 KiB")]
        )
    return text


@guarded(router, "POST", "/study/runs", roles=READERS, include_in_schema=False)
async def run_form(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    study_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Run the uploaded study file (or the default study) and show its run."""
    run_id = await run_in_threadpool(_run, request, user, await _upload(study_file))
    return RedirectResponse(f"/study/runs/{run_id}", status_code=303)


@guarded(router, "POST", "/api/study/runs", roles=READERS, summary="Run a study")
async def run_json(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    study_file: Annotated[UploadFile | None, File()] = None,
) -> dict[str, Any]:
    """Run a study file (multipart field ``study_file``; the default study when absent)."""
    run_id = await run_in_threadpool(_run, request, user, await _upload(study_file))
    return _summary(_run_dir(request, run_id))


@page(router, "/study/runs/{run_id}", "study_run.html", roles=READERS, summary="A study run")
def study_run(
    request: Request, user: Annotated[WebUser, Depends(current_user)], run_id: str
) -> dict[str, Any]:
    """Show a run's headline numbers and where to read or download it."""
    summary = _summary(_run_dir(request, run_id))
    return summary | {"full_report": user.role is WebRole.CLINICIAN}


@guarded(
    router,
    "GET",
    "/study/runs/{run_id}/report/{path:path}",
    roles=CLINICIANS,
    include_in_schema=False,
)
def report_file(
    request: Request, user: Annotated[WebUser, Depends(current_user)], run_id: str, path: str
) -> Response:
    """Serve a file of the report bundle (index.html, figures, tables)."""
    root = (_run_dir(request, run_id) / "report").resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise NotFoundError([Problem("study", path, "path", "no such file in the report")])
    return FileResponse(target)


@guarded(router, "GET", "/study/runs/{run_id}/bundle.zip", roles=READERS, summary="Download")
def bundle(
    request: Request, user: Annotated[WebUser, Depends(current_user)], run_id: str
) -> Response:
    """Download the bundle as a zip: all of it for clinicians, the pseudonymised export for researchers."""
    folder = _run_dir(request, run_id)
    summary = _summary(folder)
    if user.role is WebRole.CLINICIAN:
        root = folder / "report"
    elif summary["export_dir"]:
        root = folder / summary["export_dir"]
    else:
        raise ValidationError(
            [Problem("study", run_id, "run_id", "this run has no pseudonymised export")]
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            archive.write(file, file.relative_to(root).as_posix())
    api.record_audit(
        request.app.state.registry,
        actor=user.name,
        action="export",
        target=f"study:{run_id}",
        detail="full bundle" if root.name == "report" else "pseudonymised",
    )
    buffer.seek(0)
    name = f"calciscope-study-{run_id}.zip"
    return StreamingResponse(
        buffer,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
