"""The phenopackets of a file: one Phenopacket, a Family or a Cohort (v2); v1 refused.

Split from :mod:`~calciscope.interop.phenopackets.reader` (hardening34).
"""

from __future__ import annotations

from typing import Any

from calciscope.errors import Problem, ValidationError
from calciscope.interop.phenopackets.packet_facts import pointer

__all__ = ["CONTAINER_PARTS", "packet_members"]

#: The top-level fields of a v2 Family and Cohort (phenopacket-schema ``family.proto``,
#: ``cohort.proto``), in both spellings; a Phenopacket has none of the member fields.
_FAMILY = {"id", "proband", "relatives", "consanguinousParents", "consanguinous_parents",
           "pedigree", "files", "metaData", "meta_data"}  # fmt: skip
CONTAINER_PARTS = {
    "pedigree": "family relations (pedigree) are not stored in the registry",
    "files": "not mapped to calciscope facts",
}
_COHORT = {"id", "description", "members", "files", "metaData", "meta_data"}
#: Fields only Phenopacket v1 has (v1.0 ``phenopackets.proto``, ``base.proto``): v2 renamed
#: ``negated`` to ``excluded`` and ``ageOfOnset``/``classOfOnset`` to ``onset``, so reading a
#: v1 packet as v2 would lose its exclusions; it is refused, with what to do.
_V1_FIELDS = ("negated", "ageOfOnset", "classOfOnset", "ageAtCollection", "genes", "variants",
              "htsFiles", "age_of_onset", "class_of_onset", "age_at_collection", "hts_files")  # fmt: skip
_V1 = (
    "a Phenopacket v1 ({why}); calciscope reads v2 (where `negated` became `excluded`): "
    "convert it first, e.g. `phenopacket-tools convert --convert-variants`"
)


def _v1_field(data: Any) -> str | None:
    """Return the first v1-only field name found in a packet (at any depth), else None."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in _V1_FIELDS:
                return str(key)
            found = _v1_field(value)
            if found:
                return found
    elif isinstance(data, list):
        for item in data:
            found = _v1_field(item)
            if found:
                return found
    return None


def packet_members(data: Any, source: str) -> list[tuple[Any, str]]:
    """Return the phenopackets of a file, each with its source (``FILE#/relatives/0``).

    A file holds one Phenopacket, a Family (proband and relatives) or a Cohort (members).

    A Phenopacket v1 file (schema version 1.x, or a v1-only field) is refused.
    """
    if not isinstance(data, dict):
        return [(data, source)]
    meta = data.get("metaData") or data.get("meta_data") or {}
    if not isinstance(meta, dict):  # "metaData": "2.0" (fix11: was an AttributeError)
        field = "metaData" if "metaData" in data else "meta_data"
        raise ValidationError([Problem(source, "$", field, "must be a JSON object")])
    version = meta.get("phenopacketSchemaVersion") or meta.get("phenopacket_schema_version")
    if isinstance(version, str) and version.strip().startswith("1"):
        why = f"metaData.phenopacketSchemaVersion {version!r}"
        raise ValidationError([Problem(source, "#/metaData", "phenopacketSchemaVersion",
                                       _V1.format(why=why))])  # fmt: skip
    v1 = _v1_field({k: v for k, v in data.items() if k not in ("metaData", "meta_data")})
    if v1 is not None:
        raise ValidationError([Problem(source, "$", v1, _V1.format(why=f"field {v1!r}"))])
    if "proband" in data or "relatives" in data:
        kind, allowed = "Family", _FAMILY
        members = [(data.get("proband"), f"{pointer(source)}/proband")] + [
            (m, f"{pointer(source)}/relatives/{i}")
            for i, m in enumerate(_listed(data, "relatives", source))
        ]
    elif "members" in data:
        kind, allowed = "Cohort", _COHORT
        members = [
            (m, f"{pointer(source)}/members/{i}")
            for i, m in enumerate(_listed(data, "members", source))
        ]
    else:
        return [(data, source)]
    unknown = sorted(set(data) - allowed)
    if unknown:
        message = f"not a field of a Phenopacket v2 {kind} (fields: {', '.join(sorted(allowed))})"
        raise ValidationError([Problem(source, "$", k, message) for k in unknown])
    return [(_own_id(m, data.get("id")), s) for m, s in members if m is not None]


def _own_id(member: Any, container_id: Any) -> Any:
    """Return a Family or Cohort member, given ``<container id>:<subject id>`` when it has no id.

    A relative's subject id (``MOTHER``) is a pedigree id, unique only inside its family: read
    alone it would make the mothers of two families one patient.
    """
    if not isinstance(member, dict) or member.get("id") or not isinstance(container_id, str):
        return member
    subject = member.get("subject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    if not isinstance(subject_id, str) or not subject_id.strip() or not container_id.strip():
        return member
    return {**member, "id": f"{container_id.strip()}:{subject_id.strip()}"}


def _listed(data: dict[str, Any], key: str, source: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError([Problem(source, "$", key, "must be a JSON array")])
    return value
