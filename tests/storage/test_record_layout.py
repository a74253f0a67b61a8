"""The registry's columns hold every value the record models accept (one source of lengths)."""

from __future__ import annotations

from enum import Enum
from typing import get_args

import pytest
import sqlalchemy as sa

from calciscope.model import CODE_SYSTEMS, Fact, Image, Note, Patient
from calciscope.model.records import max_length
from calciscope.storage import schema

LAYOUT = [
    (Patient, schema.patients),
    (Fact, schema.facts),
    (Note, schema.notes),
    (Image, schema.images),
]


def _longest_choice(model, name):
    """Return the longest value a field with fixed choices takes (enum or code system), else None."""
    if model is Fact and name == "system":
        return max(map(len, CODE_SYSTEMS))
    annotation = model.model_fields[name].annotation
    for kind in (annotation, *get_args(annotation)):
        if isinstance(kind, type) and issubclass(kind, Enum):
            return max(len(str(member.value)) for member in kind)
    return None


@pytest.mark.parametrize(("model", "table"), LAYOUT, ids=lambda x: getattr(x, "__name__", ""))
def test_every_text_field_fits_its_column(model, table):
    for name in model.model_fields:
        kind = table.c[name].type
        if not isinstance(kind, sa.String) or kind.length is None:
            continue  # Text, a number, a date: no length to exceed
        choice = _longest_choice(model, name)
        if choice is not None:
            assert choice <= kind.length, f"{table.name}.{name}"
        else:
            assert max_length(model, name) == kind.length, f"{table.name}.{name}"


def test_a_bounded_column_takes_its_length_from_the_model():
    assert schema.facts.c.unit.type.length == max_length(Fact, "unit") == 32
    assert schema.patients.c.centre.type.length == max_length(Patient, "centre") == 128
    assert schema.facts.c.fact_id.type.length == max_length(Fact, "fact_id") == 64
