"""The registry: SQLAlchemy tables, Alembic migrations and the repository."""

from calciscope.storage.integrity import PatientOrigin
from calciscope.storage.registry import Batch, BatchWriter, ImportSummary, Registry, normalise_url

__all__ = ["Batch", "BatchWriter", "ImportSummary", "PatientOrigin", "Registry", "normalise_url"]
