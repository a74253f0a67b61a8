"""FHIR R4: read bundles of every type (with a mapped/skipped report) and write validated bundles."""

from calciscope.interop.fhir.reader import read_fhir, read_fhir_bundle
from calciscope.interop.fhir.writer import write_fhir_bundle

__all__ = ["read_fhir", "read_fhir_bundle", "write_fhir_bundle"]
