"""One helper for counts in words, and the review item id built from the model's id (hardening35).

Before, the review page said "1 open items", and ``api.queue`` wrote the shape of a patient id
a second time beside ``model.records``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from calciscope import api
from calciscope.api.queue import item_id_problem
from calciscope.model import IDENTIFIER_PATTERN, Patient
from calciscope.web.pages import TEMPLATES


@pytest.mark.parametrize(
    ("number", "noun", "plural", "said"),
    [
        (0, "open item", None, "0 open items"),
        (1, "open item", None, "1 open item"),
        (2, "open item", None, "2 open items"),
        (1, "study", "studies", "1 study"),
        (3, "study", "studies", "3 studies"),
    ],
)
def test_counted(number, noun, plural, said):
    assert api.counted(number, noun, plural) == said


@pytest.mark.parametrize(("n", "said"), [(1, "1 open item"), (4, "4 open items")])
def test_the_pages_count_through_the_one_helper(n, said):
    assert TEMPLATES.from_string('{{ n|counted("open item") }}').render(n=n) == said


def test_no_template_writes_a_plural_after_a_bare_number():
    # a count followed by a plural noun is written with |counted, never "{{ n }} items"
    folder = TEMPLATES.loader.searchpath[0]  # type: ignore[union-attr]
    bare = re.compile(r"\{\{ *[\w.|]+ *\}\} (items|rows|patients|facts|notes)\b")
    found = [
        f"{path.name}: {m.group()}"
        for path in sorted(Path(folder).glob("*.html"))
        for m in bare.finditer(path.read_text("utf-8"))
    ]
    assert found == []


@pytest.mark.parametrize(
    ("item_id", "shape_ok"),
    [
        ("suggested_fact:P-0001", True),
        ("possible_case:a.b_c:d", True),
        ("Fabc123", True),
        ("fact:Fabc", True),
        ("possible_case:-P1", False),  # a patient id starts with a letter or digit
        ("possible_case:", False),
        ("Possible:P1", False),
    ],
)
def test_a_review_item_id_takes_the_patient_ids_the_model_takes(item_id, shape_ok):
    assert (item_id_problem(item_id) is None) is shape_ok
    patient = item_id.partition(":")[2]
    if ":" in item_id and item_id[0].islower() and patient:
        # the same answer as the model gives the patient id itself
        valid = re.fullmatch(IDENTIFIER_PATTERN, patient) is not None
        assert valid is shape_ok
        if valid:
            assert Patient(patient_id=patient).patient_id == patient
