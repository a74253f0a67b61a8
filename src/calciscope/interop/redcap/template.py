"""The calciscope REDCap project template: a data dictionary and its default mapping.

Built from the feature catalogue (each feature's ``redcap`` field name), so the template, the
mapping and the feature table can never disagree. Instruments: demographics, visits (repeating: one instance per clinic visit), ssc_criteria,
myositis_criteria, autoantibodies, skin (mRSS by site), calcinosis_lesions (enable it as a
repeating instrument in REDCap's project setup: one instance per lesion), radiographs (also
repeating: one instance per radiograph taken), imaging (findings), myositis.
Status fields use ``1, Present | 0, Absent | 9, Unknown``: a blank answer stays unknown.
"""

from __future__ import annotations

from typing import Any

from calciscope.features import DerivationKind, Feature, FeatureCatalogue, load_catalogue
from calciscope.interop.mappings import REDCAP_STATUS_VALUES
from calciscope.interop.redcap.dictionary import DictionaryField
from calciscope.interop.redcap.mapping import ULN_SUFFIX, FieldKind, FieldRule, Mapping
from calciscope.model import (
    BodyRegion,
    Laterality,
    Method,
    Morphology,
    Sex,
)

__all__ = ["FORMS", "redcap_template", "site_field_groups", "template_features"]

#: Instruments in order, with the REDCap field-name prefixes that go to each.
FORMS: dict[str, tuple[str, ...]] = {
    "demographics": ("death",),
    "visits": (),
    "ssc_criteria": (),
    "myositis_criteria": (
        "weakness_",
        "neck_flexor",
        "legs_proximal",
        "heliotrope",
        "gottron",
        "mechanics",
        "dysphagia",
        "finger_flexor",
        "iim_",
        "myositis_onset",
        "muscle_enzymes",
    ),
    "autoantibodies": ("anti_", "ana"),
    "skin": ("mrss_", "skin_"),
    "calcinosis_lesions": (),
    "radiographs": (),
    "imaging": ("acro_osteolysis", "osteoporosis"),
    "myositis": ("ck_", "biopsy_", "muscle_biopsy", "myositis"),
}
_STATUS_CHOICES = {code: status.value.capitalize() for code, status in REDCAP_STATUS_VALUES.items()}
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
            FieldKind.STATUS, system, code, values=REDCAP_STATUS_VALUES, fixed=_fixed(feature)
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
        # the concept's declared values (concepts.yaml) are the only texts an import takes
        choices = {value: value.replace("_", " ") for value in concept.values}
        item = DictionaryField(
            field_type="dropdown" if choices else "text", choices=choices, **common
        )
        return item, FieldRule(FieldKind.TEXT, system, code, text_from="code")
    return None


def _uln_field(
    pair: tuple[DictionaryField, FieldRule], catalogue: FeatureCatalogue
) -> list[DictionaryField]:
    """Return the ``<field>_uln`` field of a laboratory number field (one with a default ULN)."""
    item, rule = pair
    limited = {
        limit.concept
        for feature in catalogue.features.values()
        for limit in feature.derive.above_upper_limit
    }
    if (
        rule.kind is not FieldKind.NUMBER
        or not set(catalogue.concepts_for_code(rule.system, rule.code)) & limited
    ):
        return []
    label = f"{item.label}: the laboratory's upper limit of normal (same unit)"
    return [
        DictionaryField(
            f"{item.name}{ULN_SUFFIX}",
            item.form,
            "text",
            label,
            validation="number",
            minimum="0",
            annotation=f"reference_high of {item.name}",
        )
    ]


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
        DictionaryField(
            "birth_year",
            "demographics",
            "text",
            "Year of birth (when the date is not recorded)",
            validation="integer",
            minimum="1880",
            maximum="2100",
        ),
        DictionaryField("centre", "demographics", "text", "Centre"),
        DictionaryField(
            "synthetic", "demographics", "yesno", "Synthetic (generated) record, not a real patient"
        ),
    ]


def _repeating(form: str, prefix: str, label: str, extra: dict[str, type]) -> list[DictionaryField]:
    fields = [
        DictionaryField(f"{prefix}_date", form, "text", "Date", validation="date_ymd"),
        DictionaryField(
            f"{prefix}_region", form, "dropdown", "Body region", choices=_enum_choices(BodyRegion)
        ),
        DictionaryField(
            f"{prefix}_laterality", form, "dropdown", "Side", choices=_enum_choices(Laterality)
        ),
    ]
    fields += [
        DictionaryField(
            f"{prefix}_{name}",
            form,
            "dropdown",
            name.replace("_", " ").capitalize(),
            choices=_enum_choices(enum),
        )
        for name, enum in extra.items()
    ]
    return [
        *fields,
        DictionaryField(f"{prefix}_status", form, "radio", label, choices=_STATUS_CHOICES),
    ]


def _repeating_rule(
    catalogue: FeatureCatalogue, concept: str, fields: list[DictionaryField]
) -> FieldRule:
    system, code = catalogue.concepts[concept].primary_code
    qualifiers = {"date": fields[0].name, "body_site": fields[1].name, "laterality": fields[2].name}
    qualifiers |= {f.name.split("_", 1)[1]: f.name for f in fields[3:-1]}
    return FieldRule(
        FieldKind.STATUS, system, code, values=REDCAP_STATUS_VALUES, qualifiers=qualifiers
    )


def _repeating_forms(
    catalogue: FeatureCatalogue,
) -> tuple[list[DictionaryField], dict[str, FieldRule]]:
    lesions = _repeating(
        "calcinosis_lesions",
        "lesion",
        "Calcinosis at this site",
        {"morphology": Morphology, "method": Method},
    )
    radiographs = _repeating("radiographs", "radiograph", "Radiograph taken", {})
    visits = [
        DictionaryField("visit_date", "visits", "text", "Date of the visit", validation="date_ymd"),
        DictionaryField("visit_status", "visits", "radio", "Patient seen", choices=_STATUS_CHOICES),
    ]
    system, code = catalogue.concepts["visit"].primary_code
    visit_rule = FieldRule(
        FieldKind.STATUS,
        system,
        code,
        values=REDCAP_STATUS_VALUES,
        qualifiers={"date": "visit_date"},
    )
    rules = {
        "visit_status": visit_rule,
        "visit_date": FieldRule(FieldKind.IGNORE),
        lesions[-1].name: _repeating_rule(catalogue, "calcinosis", lesions),
        radiographs[-1].name: _repeating_rule(catalogue, "radiograph", radiographs),
    }
    rules |= {f.name: FieldRule(FieldKind.IGNORE) for f in lesions[:-1] + radiographs[:-1]}
    return visits + lesions + radiographs, rules


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
    repeating_fields, repeating_rules = _repeating_forms(catalogue)
    order = list(FORMS)
    fields = sorted(
        _demographics()
        + [f for pair in built.values() for f in (pair[0], *_uln_field(pair, catalogue))]
        + repeating_fields,
        key=lambda f: order.index(f.form),
    )
    rules = {name: rule for name, (_, rule) in built.items()} | repeating_rules
    mapping = Mapping(
        record_id="record_id",
        fields=rules,
        patient={
            "sex": "sex",
            "birth_date": "birth_date",
            "birth_year": "birth_year",
            "centre": "centre",
            "synthetic": "synthetic",
        },
        sex_values={s.value: s for s in Sex},
    )
    return fields, mapping


def template_features(mapping: Mapping) -> dict[str, Feature]:
    """Return the feature each field of the mapping stands for (template fields only)."""
    catalogue, found = load_catalogue(), dict[str, Feature]()
    for feature in catalogue.features.values():
        name = feature.redcap or ""
        rule = mapping.fields.get(name)
        if rule is not None and name not in found:
            concepts = catalogue.concepts_for_code(rule.system, rule.code)
            if set(concepts) & set(feature.derive.concepts):
                found[name] = feature
    return found


def site_field_groups(mapping: Mapping) -> list[tuple[str, ...]]:
    """Return the status fields of each concept that is split by body site, one group each.

    The template records skin thickening per site (``skin_fingers`` ... ``skin_feet``). An
    absent fact without a site says absent at every site, so the REDCap export writes it in
    every field of its group; the reader reads a row whose every field of a group says absent
    (and nothing else differs) back as that one absent fact without a site, not one per
    field: a round trip must not invent facts (fixes15). Groups of two fields or more.
    """
    groups: dict[tuple[str, ...], list[str]] = {}
    for name, feature in template_features(mapping).items():
        derive, rule = feature.derive, mapping.fields[name]
        split = derive.sites and not derive.morphology and not rule.qualifiers
        if derive.kind is DerivationKind.STATUS and rule.kind is FieldKind.STATUS and split:
            groups.setdefault(tuple(sorted(derive.concepts)), []).append(name)
    return [tuple(names) for names in groups.values() if len(names) > 1]
