"""The default study run once on the default demo registry (session-scoped, read-only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def demo_run(reviewed_demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The default (anchor) study on the SYNTHETIC demo cohort with its notes read (as
    ``calciscope demo`` runs it), with the pseudonymised export."""
    from calciscope import api
    from calciscope.study import OutputFormat, default_study

    study = default_study()
    formats = (*study.outputs.formats, OutputFormat.PDF)
    study = study.model_copy(
        update={"outputs": study.outputs.model_copy(update={"formats": formats})}
    )
    out: Path = tmp_path_factory.mktemp("report") / "calciscope-report"
    with api.open_registry(reviewed_demo_url) as registry:
        return api.run_study(study, registry, out=out, pseudonymise=True)
