"""Ibis connections and the compilation of features (and, beside them, criteria and phenotypes)."""

from calciscope.engine.connection import connect
from calciscope.engine.features import PATIENT_COLUMNS, compute_feature_table

__all__ = ["PATIENT_COLUMNS", "compute_feature_table", "connect"]
