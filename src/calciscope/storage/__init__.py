"""The registry: SQLAlchemy tables, Alembic migrations and the repository."""

from calciscope.storage.registry import (
    Batch,
    BatchWriter,
    ImportSummary,
    Registry,
    fact_from_row,
    normalise_url,
)

__all__ = [
    "Batch",
    "BatchWriter",
    "ImportSummary",
    "Registry",
    "fact_from_row",
    "normalise_url",
]
