"""The case-series report's radiograph panel and the methods text on how films were read.

The panel shows, for every image of a case that was indexed (so has a thumbnail), the thumbnail
and the readings of it. The methods paragraph says who read the films (readers and their roles),
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
    """Return HTML figures (thumbnail and readings) for the cases' indexed images, or ''."""
    if images is None or images.empty or "thumbnail_png" not in images:
        return ""
    rows = images[images["patient_id"].isin(list(names)) & images["thumbnail_png"].notna()]
    figures = []
    for row in rows.sort_values(["patient_id", "image_date"]).to_dict("records"):
        figures.append(_figure(row, names[str(row["patient_id"])]))
    return "".join(figures)


def _figure(row: dict[Any, Any], case: str) -> str:
    picture = base64.b64encode(bytes(row["thumbnail_png"])).decode("ascii")
    where = " ".join(str(v) for v in (row["laterality"], row["body_site"]) if isinstance(v, str))
    reading = html.escape(str(row["reading"] or "not read")).replace("\n", "<br>")
    image_id = html.escape(str(row["image_id"]))
    date = row["image_date"] if isinstance(row["image_date"], dt.date) else "undated"
    return (
        '<figure class="radiograph">'
        f'<img src="data:image/png;base64,{picture}" alt="{image_id}">'
        f"<figcaption><b>{html.escape(case)}</b> · {html.escape(str(row['modality']))} "
        f"{html.escape(where)} · {date}<br><code>{image_id}</code><br>{reading}</figcaption>"
        "</figure>"
    )


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
