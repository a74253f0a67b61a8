"""The case-series report's radiograph panel and the methods text on how films were read.

The panel shows, for every image of a case that was indexed (so has a thumbnail), the thumbnail
and the readings of it, with the overlay of every measured region a reading kept (the ROI and
its deposits, migration 0009); an image whose readings kept none says so. The methods paragraph says who read the films (readers and their roles),
how (the Florence classification, Bartoli et al. 2016; the SCTC simple grade, Chung et al.
2015), whether blinded, and the inter-reader agreement when two readers read the same films.
The panel goes into the report's own ``index.html`` only: a thumbnail may carry burned-in text,
and the pseudonymised export has no images.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from typing import Any

import pandas as pd

__all__ = ["image_methods", "radiograph_panel"]

FLORENCE_CITATION = (
    "the Florence classification (stone, net, plate on radiographs; mousse clinically; "
    "Bartoli et al., Rheumatology 2016;55:1610–4), mapped to nodular (stone, mousse), "
    "reticular (net) and sheet-like (plate)"
)


def radiograph_panel(images: pd.DataFrame | None, names: dict[str, str]) -> str:
    """Return HTML figures (thumbnail, overlay, readings) for the cases' indexed images, or ''."""
    if images is None or images.empty or "thumbnail_png" not in images:
        return ""
    rows = images[images["patient_id"].isin(list(names)) & images["thumbnail_png"].notna()]
    figures = []
    for row in rows.sort_values(["patient_id", "image_date"]).to_dict("records"):
        figures.append(_figure(row, names[str(row["patient_id"])]))
    return "".join(figures)


def _figure(row: dict[Any, Any], case: str) -> str:
    where = " ".join(str(v) for v in (row["laterality"], row["body_site"]) if isinstance(v, str))
    reading = html.escape(str(row["reading"] or "not read")).replace("\n", "<br>")
    image_id = html.escape(str(row["image_id"]))
    date = row["image_date"] if isinstance(row["image_date"], dt.date) else "undated"
    picture, note = _picture(row, image_id)
    return (
        '<figure class="radiograph">'
        f"{picture}"
        f"<figcaption><b>{html.escape(case)}</b> · {html.escape(str(row['modality']))} "
        f"{html.escape(where)} · {date}<br><code>{image_id}</code><br>{reading}<br>"
        f'<span class="overlay-note">{note}</span></figcaption>'
        "</figure>"
    )


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(bytes(png)).decode("ascii")


def _picture(row: dict[Any, Any], image_id: str) -> tuple[str, str]:
    """Return the thumbnail, with the measured regions drawn over it, and a note on them.

    The overlay is SVG in the file's pixel coordinates: the thumbnail stretched over the
    whole film, each measured ROI as a yellow rectangle and its deposits (the stored
    two-colour PNG, red on transparent) inside it.
    """
    thumbnail = _data_url(row["thumbnail_png"])
    regions = [r for r in (row.get("overlays") or ()) if r.get("roi") is not None]
    size = row.get("image_size")
    if not regions or not size or not all(size):
        plain = f'<img src="{thumbnail}" alt="{image_id}">'
        if size and regions:
            return plain, "Measured region not drawn: the film's size is not indexed."
        return plain, "No measured region stored with the readings: no overlay."
    cols, rows = (int(v) for v in size)
    parts = [f'<image href="{thumbnail}" x="0" y="0" width="{cols}" height="{rows}"/>']
    notes = []
    for region in regions:
        roi = region["roi"]
        box = f'x="{roi.x0}" y="{roi.y0}" width="{roi.x1 - roi.x0}" height="{roi.y1 - roi.y0}"'
        if region.get("deposit_mask_png"):
            parts.append(
                f'<image href="{_data_url(region["deposit_mask_png"])}" {box} '
                'preserveAspectRatio="none" opacity="0.7" style="image-rendering:pixelated"/>'
            )
        stroke = max(2, round(max(cols, rows) / 128))
        parts.append(f'<rect {box} fill="none" stroke="#ffd200" stroke-width="{stroke}"/>')
        kept = "deposits in red" if region.get("deposit_mask_png") else "no deposit outline kept"
        notes.append(f"{html.escape(region['label'])}: ROI {roi} ({kept})")
    shown = 256 / max(cols, rows)  # the thumbnail's size
    svg = (
        f'<svg class="overlay" width="{round(cols * shown)}" height="{round(rows * shown)}" '
        f'viewBox="0 0 {cols} {rows}" role="img" '
        f'aria-label="{image_id} with its measured regions">{"".join(parts)}</svg>'
    )
    return svg, "Measured region(s), a SUGGESTION, not a diagnosis: " + "; ".join(notes) + "."


def image_methods(images: pd.DataFrame | None, agreement: dict[str, Any] | None) -> str:
    """Return the methods paragraph on image readings of the cases' images, or ''."""
    if images is None or images.empty or "readers" not in images:
        return ""
    read = images[images["readers"].map(bool)]
    if read.empty:
        return ""
    readers = sorted({r for group in read["readers"] for r in group})
    blinded = int(read["blinded_readings"].sum())
    total = int(read["readings"].sum())
    text = (
        f"{len(read)} image(s) of the cases were read region by region ({total} reading(s) by "
        f"{', '.join(readers)}; {blinded} of them blinded to the clinical data) with "
        f"{FLORENCE_CITATION}, and, where graded, the SCTC simple radiographic calcinosis score "
        "(mild, moderate, severe; Chung et al., Arthritis Care Res 2015;67:425–30). A reader "
        "with the clinician role confirmed as they read; other readers' findings (including "
        "calciscope-measure, whose Florence type is the suggested pattern of a measurement) are "
        "counted only once a clinician confirmed them."
    )
    if agreement:
        parts = [
            f"{name} {r['method']} {r['estimate']:.2f} (95% CI {r['lower']:.2f} to {r['upper']:.2f}, n={r['n']})"
            for name, r in agreement["results"].items()
        ]
        text += (
            f" Inter-reader agreement ({agreement['readers'][0]} vs {agreement['readers'][1]}, "
            f"{agreement['pairs']} image(s) read by both): {'; '.join(parts)}."
        )
    else:
        text += " No image was read by two readers, so inter-reader agreement was not computed."
    return text
