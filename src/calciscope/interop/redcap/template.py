"""The calciscope REDCap project template: a data dictionary and its default mapping.

Built from the feature catalogue (each feature's ``redcap`` field name), so the template, the
mapping and the feature table can never disagree. Instruments: demographics, ssc_criteria,
myositis_criteria, autoantibodies, skin (mRSS by site), calcinosis_lesions (enable it as a
repeating instrument in REDCap's project setup: one instance per lesion), imaging, myositis.
Status fields use ``1, Present | 0, Absent | 9, Unknown``: a blank answer stays unknown.
"""

from __future__ import annotations

from typing import Any

from calciscope.features import DerivationKind, Feature, FeatureCatalogue, load_catalogue
from calciscope.interop.redcap.dictionary import DictionaryField
from calciscope.interop.redcap.mapping import FieldKind, FieldRule, Mapping
from calciscope.model import (
    BodyRegion,
    CutaneousSubset,
    Laterality,
    Method,
    Morphology,
    Sex,
    Status,
)

__all__ = ["FORMS", "redcap_template"]

#: Instruments in order, with the REDCap field-name prefixes that go to each.
FORMS: dict[str, tuple[str, ...]] = {
    "demographics": ("death",),
    "ssc_criteria": (),
    "myositis_criteria": ("weakness_", "neck_flexor", "legs_proximal", "heliotrope", "gottron", "mechanics",
                          "dysphagia", "finger_flexor", "iim_", "myositis_onset", "muscle_enzymes"),
    "autoantibodies": ("anti_", "ana"),
    "skin": ("mrss_", "skin_"),
    "calcinosis_lesions": (),
    "imaging": ("acro_osteolysis", "osteoporosis"),
    "myositis": ("ck_", "biopsy_", "muscle_biopsy", "myositis"),
}  # fmt: skip
_STATUS_CHOICES = {"1": "Present", "0": "Absent", "9": "Unknown"}
_STATUS_VALUES = {"1": Status.PRESENT, "0": Status.ABSENT, "9": Status.UNKNOWN}
_UNITS = {"creatine_kinase": "U/L"}


def _form(redcap: str) -> str:
    for form, prefixes in reversed(FORMS.items()):
        if prefixes and redcap.startswith(prefixes):
            return form
    return "ssc_criteria"


def _enum_choices(enum: type) -> dict[str, str]:
    return {member.value: member.value.replace("_", " ") for member in enum}  # type: ignore[attr-defined]


def _fixed(feature: Feature) -> dict[str, str]:
    derive, fixed = feature.derive, {}
    for key, values in (
        ("body_site", derive.sites),
        ("laterality", derive.laterality),
        ("morphology", derive.morphology),
    ):
        if values:
            fixed[key] = values[0].value
    return fixed


def _feature_field(
    feature: Feature, catalogue: FeatureCatalogue
) -> tuple[DictionaryField, FieldRule] | None:
    kind, name = feature.derive.kind, feature.redcap or ""
    concept = catalogue.concepts[feature.derive.concept]
    system, code = concept.primary_code
    common: dict[str, Any] = {
        "name": name,
        "form": _form(name),
        "label": feature.label,
        "annotation": f"calciscope feature {feature.name}",
    }
    if kind is DerivationKind.STATUS:
        item = DictionaryField(field_type="radio", choices=_STATUS_CHOICES, **common)
        return item, FieldRule(
            FieldKind.STATUS, system, code, values=_STATUS_VALUES, fixed=_fixed(feature)
        )
    if kind is DerivationKind.FIRST_DATE:
        item = DictionaryField(field_type="text", validation="date_ymd", **common)
        return item, FieldRule(FieldKind.DATE, system, code)
    if kind in (DerivationKind.LATEST_VALUE, DerivationKind.MAX_VALUE):
        mrss = concept.name == "mrss_site"
        item = DictionaryField(
            field_type="text",
            validation="integer" if mrss else "number",
            minimum="0" if mrss else "",
            maximum="3" if mrss else "",
            **common,
        )
        return item, FieldRule(
            FieldKind.NUMBER, system, code, unit=_UNITS.get(concept.name), fixed=_fixed(feature)
        )
    if kind is DerivationKind.LATEST_TEXT:
        item = DictionaryField(
            field_type="dropdown", choices=_enum_choices(CutaneousSubset), **common
        )
        return item, FieldRule(FieldKind.TEXT, system, code, text_from="code")
    return None


def _demographics() -> list[DictionaryField]:
    return [
        DictionaryField("record_id", "demographics", "text", "Pseudonymous patient id"),
        DictionaryField("sex", "demographics", "radio", "Sex", choices=_enum_choices(Sex)),
        DictionaryField(
            "birth_date",
            "demographics",
            "text",
            "Date of birth",
            validation="date_ymd",
            identifier=True,
        ),
        DictionaryField("centre", "demographics", "text", "Centre"),
    ]


def _lesions(catalogue: FeatureCatalogue) -> tuple[list[DictionaryField], FieldRule]:
    form = "calcinosis_lesions"
    fields = [
        DictionaryField("lesion_date", form, "text", "Date the lesion was seen", validation="date_ymd"),
        DictionaryField("lesion_region", form, "dropdown", "Body region", choices=_enum_choices(BodyRegion)),
        DictionaryField("lesion_laterality", form, "dropdown", "Side", choices=_enum_choices(Laterality)),
        DictionaryField("lesion_morphology", form, "dropdown", "Morphology", choices=_enum_choices(Morphology)),
        DictionaryField("lesion_detection", form, "dropdown", "How it was detected", choices=_enum_choices(Method)),
        DictionaryField("lesion_status", form, "radio", "Calcinosis at this site", choices=_STATUS_CHOICES),
    ]  # fmt: skip
    system, code = catalogue.concepts["calcinosis"].primary_code
    qualifiers = {
        "date": "lesion_date",
        "body_site": "lesion_region",
        "laterality": "lesion_laterality",
        "morphology": "lesion_morphology",
        "method": "lesion_detection",
    }
    return fields, FieldRule(
        FieldKind.STATUS, system, code, values=_STATUS_VALUES, qualifiers=qualifiers
    )


def redcap_template(
    catalogue: FeatureCatalogue | None = None,
) -> tuple[list[DictionaryField], Mapping]:
    """Return the calciscope REDCap data dictionary and the mapping that imports it.

    Parameters
    ----------
    catalogue
        The feature catalogue (the packaged one by default).
    """
    catalogue = catalogue or load_catalogue()
    built: dict[str, tuple[DictionaryField, FieldRule]] = {}
    for feature in catalogue.features.values():
        if (
            feature.redcap
            and feature.redcap not in built
            and feature.derive.concept != "calcinosis"
        ):
            pair = _feature_field(feature, catalogue)
            if pair is not None:
                built[feature.redcap] = pair
    lesion_fields, lesion_rule = _lesions(catalogue)
    order = list(FORMS)
    items = sorted((pair[0] for pair in built.values()), key=lambda f: order.index(f.form))
    fields = _demographics() + items
    fields = (
        [f for f in fields if f.form != "imaging"]
        + lesion_fields
        + [f for f in fields if f.form == "imaging"]
    )
    fields = sorted(fields, key=lambda f: order.index(f.form))
    rules = {name: rule for name, (_, rule) in built.items()} | {"lesion_status": lesion_rule}
    rules |= {
        f.name: FieldRule(FieldKind.IGNORE) for f in lesion_fields if f.name != "lesion_status"
    }
    mapping = Mapping(
        record_id="record_id",
        fields=rules,
        patient={"sex": "sex", "birth_date": "birth_date", "centre": "centre"},
        sex_values={s.value: s for s in Sex},
    )
    return fields, mapping
