"""Counts on the pages read 12,345, not 12345: one filter, ``|number``, over ``api.number`` (web38)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from calciscope import api
from calciscope.web.pages import TEMPLATES


@pytest.mark.parametrize(
    ("value", "said"),
    [(0, "0"), (999, "999"), (1000, "1,000"), (12345, "12,345"), (-4321, "-4,321"), (None, "None")],
)
def test_number(value, said) -> None:
    assert api.number(value) == said
    assert TEMPLATES.from_string("{{ n|number }}").render(n=value) == said


def test_a_count_with_its_noun_has_the_separators_too() -> None:
    assert api.counted(12345, "patient") == "12,345 patients"
    assert api.counted(1, "patient") == "1 patient"


CLINICIAN = SimpleNamespace(name="cleo", role=SimpleNamespace(value="clinician"))


def test_the_dashboard_writes_its_counts_with_separators() -> None:
    html = TEMPLATES.get_template("dashboard.html").render(
        user=CLINICIAN, csrf="t", counts={"patients": 12345, "facts": 1234567},
        queue={"suggested_fact": 23456}, overview=None, overview_fresh=True, as_of="as of today",
    )  # fmt: skip
    assert '<span class="n">12,345</span> patients' in html
    assert '<span class="n">1,234,567</span> facts' in html
    assert 'data-queue="suggested_fact">23,456</td>' in html


def test_the_review_page_writes_its_counts_with_separators() -> None:
    item = {
        "item_id": "fact:F1",
        "patient_id": "P0001",
        "kind": "k",
        "kind_label": "K",
        "reason": "r",
    }
    html = TEMPLATES.get_template("review.html").render(
        user=CLINICIAN, csrf="t", kind="all", kinds=[], patient="", index_date="2024-01-01",
        index_date_chosen=False, total=12345, by_kind={"k": 12000}, kind_labels={"k": "K"},
        as_of="as of 2024-01-01", items=[item] * 100, offset=1000, page_size=100,
    )  # fmt: skip
    assert "12,345 open items · K 12,000." in html
    assert "Items 1,001–1,100 of 12,345." in html


#: A count shown bare: a variable the templates name a count by (``n``, ``total``, anything
#: ``*count*``, ``*cases*``, ``*_after``, a length), without ``|number``. Names only: a count
#: under another name is not found (``{{ limit }}``, an input's value, must stay bare).
_BARE = re.compile(
    r"\{\{ *(?:n|total|matching|pages|[\w.]*count\w*|[\w.]*cases\w*|\w+_after|[\w.]+\|length)"
    r" *\}\}"
)


def test_the_pattern_finds_the_counts_it_names() -> None:
    for bare in ("{{ n }}", "{{ facts_after }}", "{{ step.count }}", "{{ x|length }}"):
        assert _BARE.search(bare), bare
    for shown in ("{{ facts_after|number }}", "{{ limit }}", "{{ patient.id }}"):
        assert not _BARE.search(shown), shown


def test_the_patient_page_counts_facts_after_the_index_date_with_separators() -> None:
    folder = Path(TEMPLATES.loader.searchpath[0])  # type: ignore[union-attr]
    (line,) = [
        line
        for line in (folder / "patient_body.html").read_text("utf-8").splitlines()
        if "facts_after" in line
    ]  # the page's sentence alone: the rest of the page needs a whole patient
    html = TEMPLATES.from_string(line).render(
        facts_after=12345, born_after=False, index_date="2024-01-01"
    )
    assert "12,345 of this patient's facts are dated after it" in html


def test_no_template_shows_a_count_without_number() -> None:
    folder = TEMPLATES.loader.searchpath[0]  # type: ignore[union-attr]
    found = [
        f"{path.name}: {m.group()}"
        for path in sorted(Path(folder).glob("*.html"))
        for m in _BARE.finditer(path.read_text("utf-8"))
    ]
    assert found == []


def test_numpy_and_pyarrow_integers_are_counts_too() -> None:
    import numpy as np
    import pyarrow as pa

    assert api.number(np.int64(12345)) == "12,345"
    assert api.number(pa.scalar(12345)) == "12,345"
    assert api.number(pa.array([12345])[0]) == "12,345"
    assert api.number(True) == "True" and api.number(1.5) == "1.5"
