"""FHIR DocumentReference / DiagnosticReport → notes (when inline text exists), ImagingStudy → images."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from calciscope.interop.fhir.codes import EXTENSION, as_list, body_site_from
from calciscope.interop.fhir.markup import NotReadAsText, attachment_text, format_rank
from calciscope.interop.fhir.subjects import fhir_date
from calciscope.interop.phenopackets.curie import sanitise_id
from calciscope.model import Image, Modality, Note, NoteType

__all__ = [
    "FILE_REF_SYSTEM",
    "MODALITIES",
    "RECORD_ID_SYSTEM",
    "diagnostic_report_notes",
    "document_notes",
    "imaging_images",
    "inline_binaries",
]

#: DICOM modality codes (http://dicom.nema.org/resources/ontology/DCM) for each image modality.
MODALITIES: dict[str, Modality] = {
    "CR": Modality.RADIOGRAPH,
    "DX": Modality.RADIOGRAPH,
    "RG": Modality.RADIOGRAPH,
    "US": Modality.ULTRASOUND,
    "CT": Modality.CT,
    "MR": Modality.MRI,
    "XC": Modality.PHOTOGRAPH,
}
FILE_REF_SYSTEM = "https://w3id.org/calciscope/file-ref"
#: Identifier system for calciscope note and image ids (FHIR ids allow no ``_`` or ``:``).
RECORD_ID_SYSTEM = "https://w3id.org/calciscope/record-id"


#: Where each resource that maps to a note keeps its attachments (FHIR R4).
_ATTACHMENTS = {"DocumentReference": "content", "DiagnosticReport": "presentedForm"}


def _binary_key(url: str) -> str:
    """Return ``Binary/<id>`` of a reference to a Binary (relative or absolute), else ``url``."""
    _, found, rest = url.rpartition("Binary/")
    return f"Binary/{rest}" if found and rest and "/" not in rest else url


def _inlined(attachment: Any, binaries: dict[str, dict[str, Any]]) -> Any:
    """Return an attachment whose ``url`` names a Binary of the bundle with that Binary's data."""
    url = attachment.get("url") if isinstance(attachment, dict) else None
    if not isinstance(url, str) or "data" in attachment:
        return attachment
    binary = binaries.get(url) or binaries.get(_binary_key(url))
    if binary is None or not isinstance(binary.get("data"), str):
        return attachment
    kind = attachment.get("contentType") or binary.get("contentType") or "text/plain"
    return {**attachment, "data": binary["data"], "contentType": kind}


def inline_binaries(
    resource: dict[str, Any], binaries: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Return a DocumentReference or DiagnosticReport with its Binary attachments inlined.

    An attachment may give its content as a ``url`` to a Binary resource rather than inline
    ``data`` (FHIR R4 Attachment.url; a Binary in the same bundle, by its ``fullUrl`` or as
    ``Binary/<id>``, relative or absolute): that Binary's ``data`` is read as the attachment's,
    with the attachment's ``contentType``, else the Binary's (hardening35: such a document was
    skipped as "only URLs"). A URL to no Binary of the bundle stays unread: nothing is fetched.
    """
    key = _ATTACHMENTS.get(str(resource.get("resourceType")), "")
    items = resource.get(key) if key else None
    if not binaries or not isinstance(items, list):
        return resource
    if key == "content":
        inlined = [
            {**c, "attachment": _inlined(c.get("attachment"), binaries)}
            if isinstance(c, dict)
            else c
            for c in items
        ]
    else:
        inlined = [_inlined(a, binaries) for a in items]
    return {**resource, key: inlined}


def _text(attachment: Any) -> str | None:
    if not isinstance(attachment, dict) or not isinstance(attachment.get("data"), str):
        return None
    try:
        data = base64.b64decode(attachment["data"], validate=True)
    except (binascii.Error, ValueError):
        return None
    return attachment_text(str(attachment.get("contentType", "text/plain")), data)


def _best_text(attachments: list[Any]) -> tuple[str | None, str]:
    """Return the text of the best format among attachments of one document, and why none.

    Formats are tried best first (plain, HTML, ...), the next only when one gives no text, so
    only the attachment chosen is read (fix35: every one was parsed). The second item says why
    an attachment was not read (HTML over ``MARKUP_LIMIT``, RTF), "" otherwise.
    """
    ranked = sorted(
        (format_rank(str(a.get("contentType", "text/plain"))), i, a)
        for i, a in enumerate(attachments)
        if isinstance(a, dict)
    )
    why = ""
    for _rank, _i, attachment in ranked:
        try:
            text = _text(attachment)
        except NotReadAsText as exc:
            why = f"; {exc}"
            continue
        if text:
            return text, ""
    return None, why


def _note_id(resource: dict[str, Any], full_url: str, text: str) -> str:
    raw = (
        _identifier(resource, RECORD_ID_SYSTEM)
        or resource.get("id")
        or full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    )
    return (
        sanitise_id(raw)
        if isinstance(raw, str) and raw.strip()
        else "N" + hashlib.sha1(text.encode()).hexdigest()[:16]
    )


def _note_type(resource: dict[str, Any], default: NoteType) -> NoteType:
    for ext in resource.get("extension", []) if isinstance(resource.get("extension"), list) else []:
        if isinstance(ext, dict) and ext.get("url") == EXTENSION["note-type"]:
            return NoteType._value2member_map_.get(ext.get("valueCode"), default)  # type: ignore[return-value]
    return default


def document_notes(resource: dict[str, Any], patient_id: str, full_url: str) -> list[Note] | str:
    """Map a DocumentReference with an inline text attachment to a note."""
    contents = as_list(resource.get("content"))
    text, why = _best_text([c.get("attachment") for c in contents if isinstance(c, dict)])
    if text is None:
        return (
            "no inline text attachment (only URLs, or content that is not text, HTML or XHTML)"
            + why
        )
    return [
        Note(
            note_id=_note_id(resource, full_url, text),
            patient_id=patient_id,
            note_type=_note_type(resource, NoteType.OTHER),
            note_date=fhir_date(resource.get("date")),
            text=text,
        )
    ]


def _is_radiology(resource: dict[str, Any]) -> bool:
    categories = as_list(resource.get("category"))
    codes = {
        c.get("code")
        for cat in categories
        if isinstance(cat, dict)
        for c in cat.get("coding", [])
        if isinstance(c, dict)
    }
    return bool(codes & {"RAD", "LP29684-5", "CT", "RX", "US", "NMR"})


def diagnostic_report_notes(
    resource: dict[str, Any], patient_id: str, full_url: str
) -> list[Note] | str:
    """Map a DiagnosticReport with a text (or HTML) presentedForm or a conclusion to a note."""
    forms = as_list(resource.get("presentedForm"))
    text, why = _best_text(forms)
    if (
        text is None
        and isinstance(resource.get("conclusion"), str)
        and resource["conclusion"].strip()
    ):
        text = resource["conclusion"]
    if text is None:
        return (
            "no inline text (no text, HTML or XHTML presentedForm and no conclusion); "
            "its results are separate Observations" + why
        )
    default = NoteType.RADIOLOGY_REPORT if _is_radiology(resource) else NoteType.OTHER
    when = fhir_date(resource.get("effectiveDateTime")) or fhir_date(resource.get("issued"))
    return [
        Note(
            note_id=_note_id(resource, full_url, text),
            patient_id=patient_id,
            note_type=_note_type(resource, default),
            note_date=when,
            text=text,
        )
    ]


def _identifier(resource: dict[str, Any], system: str) -> str | None:
    for ident in (
        resource.get("identifier", []) if isinstance(resource.get("identifier"), list) else []
    ):
        if (
            isinstance(ident, dict)
            and ident.get("system") == system
            and isinstance(ident.get("value"), str)
        ):
            return str(ident["value"])
    return None


def imaging_images(resource: dict[str, Any], patient_id: str, full_url: str) -> list[Image] | str:
    """Map an ImagingStudy to one image per series of a supported modality."""
    series = as_list(resource.get("series"))
    study_id = _note_id(resource, full_url, repr(resource)[:200])
    images = []
    for i, item in enumerate(series):
        code = (item.get("modality") or {}).get("code") if isinstance(item, dict) else None
        if code not in MODALITIES:
            continue
        site = item.get("bodySite")
        region, side = body_site_from(
            {"coding": [site]} if isinstance(site, dict) and "code" in site else site
        )
        image_id = study_id if len(series) == 1 else sanitise_id(f"{study_id}.{i}")
        images.append(
            Image(
                image_id=image_id,
                patient_id=patient_id,
                modality=MODALITIES[code],
                body_site=region,
                laterality=side,
                image_date=fhir_date(item.get("started") or resource.get("started")),
                file_ref=_identifier(resource, FILE_REF_SYSTEM),
            )
        )
    return images or "no series of a supported modality (CR, DX, RG, US, CT, MR, XC)"
