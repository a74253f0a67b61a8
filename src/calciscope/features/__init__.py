"""The feature catalogue: clinical concepts with their codes, and features derived from them."""

from calciscope.features.catalogue import (
    MIDLINE_GROUPS,
    SITE_GROUPS,
    AgeBand,
    Concept,
    ConceptKind,
    Derivation,
    DerivationKind,
    Feature,
    FeatureCatalogue,
    FeatureType,
    UpperLimit,
    load_catalogue,
)

__all__ = [
    "MIDLINE_GROUPS",
    "SITE_GROUPS",
    "AgeBand",
    "Concept",
    "ConceptKind",
    "Derivation",
    "DerivationKind",
    "Feature",
    "FeatureCatalogue",
    "FeatureType",
    "UpperLimit",
    "load_catalogue",
]
