"""Images in the review workspace: thumbnails, a viewer and the per-region reading form.

The viewer (window/level, zoom, pan, a region of interest to measure) gets the image's measured
grey levels as 16-bit pixels (:mod:`calciscope.interop.images.viewer`) and applies window and level in the browser (``static/viewer.js``), so the whole dynamic range
of a radiograph is there to window. A reading from the form goes through
:func:`calciscope.api.record_reading`, the same checks, facts and audit row as
``calciscope images read-import``: a clinician's reading is confirmed as it is entered, any
other reader's facts wait in the review queue as suggestions. A measurement is a suggestion for
the reader, never a diagnosis.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from calciscope import api
from calciscope.errors import NotFoundError, Problem, ValidationError
from calciscope.web.cache import Generation, RecentResults
from calciscope.web.pages import page, render
from calciscope.web.routes.patients import shown_id
from calciscope.web.security import READERS, WebUser, current_user, guarded

__all__ = ["router"]

router = APIRouter()

_LOCK = threading.Lock()
#: The ``saved`` the reading form's redirect sends (facts saved, and their state).
SAVED_PATTERN = r"^[0-9]{1,6}-(confirmed|suggested)$"
#: Region-row fields of the form (besides presence), as in ``readings.csv``.
REGION_FIELDS = ("presence", "florence", "morphology", "area_mm2", "roi", "deposit_mask")


def _decoded(request: Request) -> RecentResults:
    """Return the app's cache of decoded images (a film is decoded once, not per request)."""
    state = request.app.state
    with _LOCK:
        if getattr(state, "decoded_images", None) is None:
            roots = tuple(state.settings.image_roots)
            state.decoded_images = RecentResults(
                lambda image_id: api.load_indexed_image(state.registry, image_id, roots),
                Generation(),
                size=4,
                ttl=600,
            )
        cache: RecentResults = state.decoded_images
        return cache


def _image(request: Request, user: WebUser, image_id: str) -> Any:
    """Return the image's registry row (a clear problem when there is none)."""
    image = api.indexed_image(request.app.state.registry, image_id)
    if image is None:
        raise NotFoundError([Problem("url", image_id, "image_id", "no such image")])
    return image


def _field_name(site: str, side: str, field: str) -> str:
    return f"{field}.{site}.{side}"


def _form_rows(image: Any) -> list[dict[str, Any]]:
    return [
        {
            "site": site.value,
            "side": side.value,
            "label": f"{site.value.replace('_', ' ')}"
            + ("" if side.value == "unspecified" else f", {side.value}"),
            "names": {f: _field_name(site.value, side.value, f) for f in REGION_FIELDS},
        }
        for site, side in api.form_regions(image.body_site)
    ]


def _reading_rows(readings: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "reading_id": r.reading_id,
            "reader": r.reader,
            "reader_role": r.reader_role,
            "reading_date": r.reading_date,
            "blinded": r.blinded,
            "sctc_global_grade": r.sctc_global_grade,
            "regions": [
                {
                    k: reg.get(k)
                    for k in (
                        "body_site",
                        "laterality",
                        "presence",
                        "florence",
                        "morphology",
                        "area_mm2",
                    )
                }
                | {"roi": _roi_text(reg), "outline": reg.get("deposit_mask_png") is not None}
                for reg in r.regions
            ],
        }
        for r in readings
    ]


def _roi_text(region: dict[str, Any]) -> str | None:
    corners = [region.get(k) for k in ("roi_x0", "roi_y0", "roi_x1", "roi_y1")]
    return None if None in corners else ",".join(str(c) for c in corners)


def image_data(request: Request, user: WebUser, image_id: str) -> dict[str, Any]:
    """One image: its index entry, its readings and the reading form's rows."""
    state = request.app.state
    image = _image(request, user, image_id)
    stored = api.indexed_image_file(state.registry, image_id)
    api.record_audit(state.registry, actor=user.name, action="image_read", target=image_id)
    return {
        "image": {
            "image_id": image.image_id,
            "patient_id": shown_id(request, user, image.patient_id),
            "modality": image.modality.value,
            "body_site": image.body_site.value if image.body_site else None,
            "laterality": image.laterality.value if image.laterality else None,
            "date": image.image_date,
            "file_format": stored.get("file_format"),
            "rows": stored.get("rows"),
            "columns": stored.get("columns"),
            "pixel_spacing_mm": stored.get("pixel_spacing_mm"),
            "spacing_source": stored.get("spacing_source"),
            "notes": stored.get("notes"),
        },
        "readings": _reading_rows(api.image_readings(state.registry, image_id)),
        "form": {
            "regions": _form_rows(image),
            "presence": [
                s.value for s in (api.Status.UNKNOWN, api.Status.PRESENT, api.Status.ABSENT)
            ],
            "florence": [f.value for f in api.Florence],
            "morphology": [m.value for m in api.Morphology],
            "grades": [g.value for g in api.SctcGlobalGrade],
            "today": dt.date.today().isoformat(),
            "confirms": user.role.value == "clinician",
        },
    }


@page(
    router, "/images/{image_id}", "image.html", roles=READERS, summary="An image and its readings"
)
def image_page(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    image_id: str,
    saved: Annotated[
        str | None,
        Query(
            pattern=SAVED_PATTERN,
            description="what the reading form saved (its redirect): N-confirmed or N-suggested",
        ),
    ] = None,
) -> dict[str, Any]:
    """Show the viewer, the image's readings and the per-region reading form."""
    # only the form's own redirect: a link of any other text would have the page say it
    return image_data(request, user, image_id) | {"saved": saved}


@guarded(router, "GET", "/images/{image_id}/thumbnail.png", roles=READERS, include_in_schema=False)
def thumbnail(
    request: Request, user: Annotated[WebUser, Depends(current_user)], image_id: str
) -> Response:
    """Send the stored thumbnail (PNG, at most 256 px on the long side)."""
    _image(request, user, image_id)
    png = api.image_thumbnail(request.app.state.registry, image_id)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@guarded(router, "GET", "/api/images/{image_id}/pixels", roles=READERS, summary="Viewer pixels")
def pixels(
    request: Request, user: Annotated[WebUser, Depends(current_user)], image_id: str
) -> Response:
    """Send the image's grey levels (or a photograph's RGB) as little-endian 16-bit values.

    The headers say how to read them (size, scale, value range, starting window, channels).
    """
    _image(request, user, image_id)
    view = api.image_viewer_pixels(_decoded(request).get(image_id))
    headers = {
        "X-Width": str(view.width),
        "X-Height": str(view.height),
        "X-Scale": str(view.scale),
        "X-Value-Low": repr(view.low),
        "X-Value-High": repr(view.high),
        "X-Window-Center": repr(view.window_center),
        "X-Window-Width": repr(view.window_width),
        "X-Channels": str(view.channels),
    }
    return Response(view.data, media_type="application/octet-stream", headers=headers)


class RoiRequest(BaseModel):
    """A region of interest in the file's pixels (``x0 <= x < x1``, ``y0 <= y < y1``)."""

    x0: int = Field(ge=0)
    y0: int = Field(ge=0)
    x1: int = Field(ge=1)
    y1: int = Field(ge=1)


@guarded(router, "POST", "/api/images/{image_id}/measure", roles=READERS, summary="Measure an ROI")
def measure(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    image_id: str,
    roi: RoiRequest,
) -> dict[str, Any]:
    """Measure calcification inside the ROI; the pattern is a SUGGESTION, not a diagnosis."""
    _image(request, user, image_id)
    box = api.Roi(roi.x0, roi.y0, roi.x1, roi.y1)
    result = api.measure_loaded_image(_decoded(request).get(image_id), box, image_id=image_id)
    # the ROI and the deposits go with a reading saved after it (the report's overlay)
    return {
        "image_id": image_id,
        "measurement": result.to_dict(),
        "roi": str(box),
        "deposit_mask": result.deposit_mask_text(),
    }


def _regions_from_form(form: Any) -> list[dict[str, str]]:
    regions = []
    for site in api.BodyRegion:
        for side in ("right", "left", "unspecified"):
            presence = str(form.get(_field_name(site.value, side, "presence"), "")).strip()
            if not presence or presence == "unknown":
                continue
            row = {"body_site": site.value, "laterality": side}
            for field in REGION_FIELDS:
                row[field] = str(form.get(_field_name(site.value, side, field), "")).strip()
            regions.append(row)
    return regions


def _record(
    request: Request,
    user: WebUser,
    image_id: str,
    head: dict[str, str],
    regions: list[dict[str, str]],
) -> Any:
    _image(request, user, image_id)
    done = api.record_reading(
        request.app.state.registry,
        image_id,
        reader=user.name,
        reader_role=user.role.value,
        regions=regions,
        actor=user.name,
        **head,
    )
    request.app.state.generation.bump()  # the queue and the lists show the new facts
    return done


@guarded(router, "POST", "/images/{image_id}/readings", roles=READERS, include_in_schema=False)
async def reading_form(
    request: Request, user: Annotated[WebUser, Depends(current_user)], image_id: str
) -> Response:
    """Record the form's reading; show the form again with every problem named when it fails."""
    from fastapi.concurrency import run_in_threadpool

    form = await request.form()
    head = {
        "reading_date": str(form.get("reading_date", "")).strip(),
        "blinded": str(form.get("blinded", "")).strip(),
        "sctc_global_grade": str(form.get("sctc_global_grade", "")).strip(),
    }
    regions = _regions_from_form(form)
    try:
        done = await run_in_threadpool(_record, request, user, image_id, head, regions)
    except ValidationError as exc:
        context = await run_in_threadpool(image_data, request, user, image_id)
        context |= {
            "saved": None,
            "problems": [f"{p.location}: {p.field}: {p.message}" for p in exc.problems],
            "entered": {k: str(v) for k, v in form.items()},
        }
        return render(request, "image.html", context, 422)
    state = "confirmed" if done.confirmed_facts else "suggested"
    return RedirectResponse(
        f"/images/{image_id}?saved={done.confirmed_facts + done.suggested_facts}-{state}",
        status_code=303,
    )


class RegionIn(BaseModel):
    """One region row of a reading (the columns of ``readings.csv``)."""

    body_site: str
    laterality: str = "unspecified"
    presence: str
    florence: str = ""
    morphology: str = ""
    area_mm2: str = ""
    roi: str = Field("", description="X0,Y0,X1,Y1 of the measurement behind the row")
    deposit_mask: str = Field("", description="its deposits: base64 PNG of the measure reply")


class ReadingIn(BaseModel):
    """A reading of one image by the signed-in user."""

    reading_date: str = Field(description="YYYY-MM-DD")
    blinded: str = Field(description="yes or no")
    sctc_global_grade: str = ""
    regions: list[RegionIn]


@guarded(
    router, "POST", "/api/images/{image_id}/readings", roles=READERS, summary="Record a reading"
)
def reading_json(
    request: Request,
    user: Annotated[WebUser, Depends(current_user)],
    image_id: str,
    reading: ReadingIn,
) -> dict[str, Any]:
    """Record a reading; a clinician's is confirmed, any other reader's facts are suggestions."""
    head = reading.model_dump(exclude={"regions"})
    regions = [r.model_dump() for r in reading.regions]
    done = _record(request, user, image_id, head, regions)
    return {"image_id": image_id, "recorded": vars(done)}
