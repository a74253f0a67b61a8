"""Every key of the study file is documented in docs/study.md and present in the template."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from calciscope.study import StudyDefinition, study_template

DOCS = Path(__file__).resolve().parents[2] / "docs" / "study.md"


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, info in model.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            keys += _keys(sub, f"{prefix}{name}.")
        else:
            keys.append(f"{prefix}{name}")
    return keys


@pytest.mark.parametrize("key", _keys(StudyDefinition))
def test_key_is_documented_and_in_the_template(key):
    assert f"`{key}`" in DOCS.read_text(encoding="utf-8"), f"{key} missing from docs/study.md"
    node = yaml.safe_load(study_template())
    for part in key.split("."):
        assert part in node, f"{key} missing from the template"
        node = node[part]
