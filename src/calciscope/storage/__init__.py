"""The registry: SQLAlchemy tables, Alembic migrations and the repository."""

from calciscope.storage.registry import Batch, ImportSummary, Registry, normalise_url

__all__ = ["Batch", "ImportSummary", "Registry", "normalise_url"]
