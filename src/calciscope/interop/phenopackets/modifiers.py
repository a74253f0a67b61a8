"""Fact qualifiers (laterality, body site, morphology, method) as phenopacket modifiers.

Measurements have no modifiers: their qualifiers go in ``procedure`` (``code`` the method,
``bodySite`` the site); diseases carry the site as ``primarySite`` and the side as
``laterality``; medical-action procedures the site and side as ``bodySite``. Laterality uses the HPO terms (Left HP:0012835, Right HP:0012834, Bilateral HP:0012832);
body site, morphology and method have no single standard term set, so they are written as
``calciscope:body_site.hand``-style classes declared in ``metaData.resources``.
"""

from __future__ import annotations

from typing import Any

from calciscope.interop.mappings import QUALIFIER_ENUMS
from calciscope.model import BodyRegion, Laterality, Method

__all__ = [
    "body_site_class",
    "body_site_fields",
    "disease_site",
    "disease_site_fields",
    "fields_to_modifiers",
    "laterality_class",
    "measurement_procedure",
    "modifiers_to_fields",
    "procedure_to_fields",
]

_LATERALITY = {
    Laterality.LEFT: ("HP:0012835", "Left"),
    Laterality.RIGHT: ("HP:0012834", "Right"),
    Laterality.BILATERAL: ("HP:0012832", "Bilateral"),
}


def modifiers_to_fields(modifiers: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the Fact fields that a feature's modifiers give (unknown modifiers are ignored)."""
    fields: dict[str, Any] = {}
    by_hpo = {hpo_id: side for side, (hpo_id, _) in _LATERALITY.items()}
    for modifier in modifiers:
        curie = modifier.get("id", "")
        if curie in by_hpo:
            fields["laterality"] = by_hpo[curie]
        elif curie.startswith("calciscope:") and "." in curie:
            name, _, value = curie.removeprefix("calciscope:").partition(".")
            enum = QUALIFIER_ENUMS.get(name)
            if enum is not None and value in enum._value2member_map_:
                fields[name] = enum(value)
    return fields


def laterality_class(side: Laterality) -> dict[str, str]:
    """Return the class of a side: the HPO term, or ``calciscope:laterality.unspecified``."""
    if side in _LATERALITY:
        hpo_id, label = _LATERALITY[side]
        return {"id": hpo_id, "label": label}
    return {"id": f"calciscope:laterality.{side.value}", "label": side.value}


def fields_to_modifiers(fact: Any) -> list[dict[str, str]]:
    """Return the modifiers that write a fact's laterality, body site, morphology and method."""
    # laterality first: it is an HPO term where there is one, the others calciscope's own
    modifiers = [laterality_class(fact.laterality)] if fact.laterality is not None else []
    for name in (q for q in QUALIFIER_ENUMS if q != "laterality"):
        value = getattr(fact, name)
        if value is not None:
            modifiers.append(
                {"id": f"calciscope:{name}.{value.value}", "label": value.value.replace("_", " ")}
            )
    return modifiers


def disease_site(fact: Any) -> dict[str, dict[str, str]]:
    """Return a Disease's ``primarySite`` (body site) and ``laterality`` for a fact."""
    site: dict[str, dict[str, str]] = {}
    if fact.body_site is not None:
        region = fact.body_site.value
        site["primarySite"] = {"id": f"calciscope:body_site.{region}", "label": region}
    if fact.laterality is not None:
        site["laterality"] = laterality_class(fact.laterality)
    return site


def disease_site_fields(disease: dict[str, Any]) -> dict[str, Any]:
    """Return the body site and laterality of a Disease (calciscope classes and HPO sides)."""
    fields = body_site_fields(disease.get("primarySite", {}))
    fields.pop("laterality", None)
    side = modifiers_to_fields([disease.get("laterality", {})]).get("laterality")
    return fields | ({"laterality": side} if side is not None else {})


def body_site_class(fact: Any) -> dict[str, str] | None:
    """Return the ``calciscope:body_site.hand.left`` class of a fact's site and side, or None."""
    if fact.body_site is None and fact.laterality is None:
        return None
    site = fact.body_site.value if fact.body_site is not None else "unspecified"
    side = f".{fact.laterality.value}" if fact.laterality is not None else ""
    return {"id": f"calciscope:body_site.{site}{side}", "label": f"{site}{side}".replace(".", " ")}


def body_site_fields(site: dict[str, Any]) -> dict[str, Any]:
    """Return the body site and laterality a :func:`body_site_class` class carries (else none)."""
    fields: dict[str, Any] = {}
    curie = str(site.get("id", ""))
    if curie.startswith("calciscope:body_site."):
        region, _, side = curie.removeprefix("calciscope:body_site.").partition(".")
        if region in BodyRegion._value2member_map_:
            fields["body_site"] = BodyRegion(region)
        if side in Laterality._value2member_map_:
            fields["laterality"] = Laterality(side)
    return fields


def measurement_procedure(fact: Any) -> dict[str, Any] | None:
    """Return a measurement ``procedure`` carrying a fact's method, body site and laterality."""
    site = body_site_class(fact)
    if site is None and fact.method is None:
        return None
    method = fact.method.value if fact.method is not None else "unspecified"
    procedure: dict[str, Any] = {
        "code": {"id": f"calciscope:method.{method}", "label": method.replace("_", " ")}
    }
    if site is not None:
        procedure["bodySite"] = site
    return procedure


def procedure_to_fields(procedure: dict[str, Any]) -> dict[str, Any]:
    """Return the Fact fields a measurement ``procedure`` written by calciscope carries."""
    fields: dict[str, Any] = {}
    method = str(procedure.get("code", {}).get("id", "")).removeprefix("calciscope:method.")
    if method in Method._value2member_map_:
        fields["method"] = Method(method)
    return fields | body_site_fields(procedure.get("bodySite", {}))
