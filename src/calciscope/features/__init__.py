"""The feature catalogue: clinical concepts with their codes, and features derived from them."""

from calciscope.features.catalogue import (
    SITE_GROUPS,
    Concept,
    ConceptKind,
    Derivation,
    DerivationKind,
    Feature,
    FeatureCatalogue,
    FeatureType,
    load_catalogue,
)

__all__ = [
    "SITE_GROUPS",
    "Concept",
    "ConceptKind",
    "Derivation",
    "DerivationKind",
    "Feature",
    "FeatureCatalogue",
    "FeatureType",
    "load_catalogue",
]
