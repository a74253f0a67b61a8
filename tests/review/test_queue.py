"""The review queue: kinds as data, suggested facts with their sentences, patient items."""

from __future__ import annotations

import datetime as dt

import pytest

from calciscope import api
from calciscope.engine.classifier import rule_column
from calciscope.engine.rows import RowEvaluator
from calciscope.errors import ValidationError
from calciscope.model import Fact, Patient
from calciscope.phenotype.review_queue import QueueSource, load_review_queue
from calciscope.storage import Batch

D = dt.date


def test_queue_kinds_are_data_with_reasons():
    kinds = {k.name: k for k in api.queue_kinds()}
    assert list(kinds) == [
        "suggested_fact",
        "suggested_case",
        "unknown_phenotype",
        "subset_contradiction",
        "calcinosis_before_onset",
        "at_risk",
    ]
    assert all(k.reason and k.description and k.label for k in kinds.values())
    assert kinds["suggested_case"].decidable is False
    assert load_review_queue().parameters["target_phenotype"] == "extensive_sheet_like_calcinosis"


def test_demo_queue_holds_suggested_facts_with_their_sentences(reviewed_demo_url):
    with api.open_registry(reviewed_demo_url) as registry:
        items = api.review_queue(registry, kinds=["suggested_fact"])
    assert len(items) > 1000
    calcinosis = [i for i in items if i.fact and i.fact.code == "HP:0003761"]
    assert calcinosis
    # the demo's SYNTHETIC films' measurement suggestions have no sentence: a reading's image
    from_films = [i for i in items if "a reading of image IMG-" in i.reason]
    assert len(from_films) == 27 and all(i.evidence is None for i in from_films)
    film_ids = {i.item_id for i in from_films}
    from_notes = [i for i in items if i.item_id not in film_ids]
    for item in from_notes[:200]:
        ev = item.evidence
        assert item.item_id == f"fact:{item.fact_id}" and item.state == "suggested"
        assert ev is not None and ev.note_id.startswith(item.patient_id)
        assert ev.text_excerpt and ev.text_excerpt in ev.sentence
        assert ev.sentence_start <= ev.start < ev.end <= ev.sentence_start + len(ev.sentence)
        assert "suggested from" in item.reason


def test_demo_queue_has_at_risk_prompts_for_one_patient(reviewed_demo_url):
    with api.open_registry(reviewed_demo_url) as registry:
        prompts = api.review_queue(registry, kinds=["at_risk"])
        assert prompts and all(p.state == "open" and p.version == 0 for p in prompts)
        first = prompts[0]
        assert first.item_id == f"at_risk:{first.patient_id}"
        assert "radiographic assessment" in first.reason
        mine = api.review_queue(registry, patient=first.patient_id)
    assert first.item_id in {i.item_id for i in mine}
    assert {i.patient_id for i in mine} == {first.patient_id}


def test_one_patient_would_be_a_case_only_with_suggested_facts(one_patient):
    items = api.review_queue(one_patient)
    kinds = [i.kind for i in items]
    assert kinds.count("suggested_fact") == 3
    assert "suggested_case" in kinds
    case = next(i for i in items if i.kind == "suggested_case")
    assert "extensive_sheet_like_calcinosis" in case.reason


def test_unknown_kind_names_the_field(one_patient):
    with pytest.raises(ValidationError) as err:
        api.review_queue(one_patient, kinds=["nonsense"])
    assert err.value.problems[0].field == "kind"


@pytest.mark.parametrize(
    ("row", "with_suggested", "expected"),
    [
        ({"subset_mismatch": True, "subset_recorded": "lcssc", "leroy_subset": "dcssc"}, None, {"subset_contradiction"}),
        ({"calcinosis_onset_years_reversed": True}, None, {"calcinosis_before_onset"}),
        ({"calcinosis_onset_years": 2.0, "calcinosis_onset_years_reversed": False}, None, set()),
        ({"calcinosis_any": True, "extensive_sheet_like_calcinosis": None}, None, {"unknown_phenotype"}),
        ({"calcinosis_any": True, "extensive_sheet_like_calcinosis": False}, None, set()),
        ({"extensive_sheet_like_calcinosis": None}, {"extensive_sheet_like_calcinosis": True}, {"suggested_case"}),
        ({"at_risk_prompt": True, "at_risk_prompt_text": "consider"}, None, {"at_risk"}),
    ],
)  # fmt: skip
def test_patient_kinds_read_the_classified_row(row, with_suggested, expected):
    kinds = [k for k in load_review_queue().kinds if k.source is not QueueSource.SUGGESTED_FACTS]
    # the kinds' rules run through the one compiler, as the queue runs them on the cohort
    rules = {k.column: k.when for k in kinds if k.when is not None}
    evaluator = RowEvaluator(
        lambda t: t.mutate(**{name: rule_column(rule, t) for name, rule in rules.items()})
    )
    classified = evaluator.run([{"patient_id": "X", **row}])[0]
    assert {k.name for k in kinds if k.matches(classified, with_suggested)} == expected


def test_reasons_are_filled_from_the_row():
    kind = load_review_queue().kind("subset_contradiction")
    assert kind is not None
    reason = kind.describe({"subset_recorded": "lcssc", "leroy_subset": None})
    assert reason == "recorded subset lcssc contradicts the LeRoy rule (unknown)"


def test_pages_of_suggested_facts_are_slices_of_the_whole_queue(reviewed_demo_url):
    with api.open_registry(reviewed_demo_url) as registry:
        whole = api.review_queue(registry, kinds=["suggested_fact"])
        counts = api.review_queue_counts(registry, kinds=["suggested_fact"])
        assert counts == {"suggested_fact": len(whole)}
        for offset in (0, 137, len(whole) - 5, len(whole) + 10):
            page = api.review_queue(registry, kinds=["suggested_fact"], limit=50, offset=offset)
            assert [i.item_id for i in page] == [i.item_id for i in whole[offset : offset + 50]]
            assert page == whole[offset : offset + 50]  # evidence and all
        patient = whole[0].patient_id
        mine = api.review_queue(registry, kinds=["suggested_fact"], patient=patient, limit=2)
        assert mine == [i for i in whole if i.patient_id == patient][:2]
        assert api.review_queue_counts(registry, kinds=["suggested_fact"], patient=patient) == {
            "suggested_fact": sum(i.patient_id == patient for i in whole)
        }


def test_pages_of_every_kind_and_their_counts(one_patient):
    whole = api.review_queue(one_patient)
    assert api.review_queue(one_patient, limit=2, offset=1) == whole[1:3]
    counts = api.review_queue_counts(one_patient)
    assert set(counts) == {k.name for k in api.queue_kinds()}  # zero counts included
    assert sum(counts.values()) == len(whole)
    assert counts["suggested_fact"] == 3


@pytest.mark.parametrize(("limit", "offset", "field"), [(0, 0, "limit"), (5, -1, "offset")])
def test_bad_page_names_the_field(one_patient, limit, offset, field):
    with pytest.raises(ValidationError) as raised:
        api.review_queue(one_patient, limit=limit, offset=offset)
    assert [p.field for p in raised.value.problems] == [field]


def test_one_item_by_its_id(one_patient):
    for item in api.review_queue(one_patient):
        assert api.review_queue_item(one_patient, item.item_id) == item
    for missing in ("fact:NOPE", "suggested_case:NOPE", "nokind:P1", "fact", "at_risk"):
        with pytest.raises(ValidationError) as raised:
            api.review_queue_item(one_patient, missing)
        assert raised.value.problems[0].field == "item_id"


def test_calcinosis_dated_before_ssc_onset_is_a_queue_item(sqlite_url):
    # a hand-made (SYNTHETIC) patient: SSc onset 2015, calcinosis recorded in 2013
    facts = [
        Fact(patient_id="B1", system="calciscope", code="ssc_onset", effective_date=D(2015, 1, 1)),
        Fact(
            patient_id="B1",
            system="calciscope",
            code="calcinosis",
            morphology="nodular",
            body_site="fingers",
            effective_date=D(2013, 6, 1),
        ),
    ]
    with api.open_registry(sqlite_url) as registry:
        registry.import_batch(
            Batch(
                patients=[Patient(patient_id="B1", sex="female", birth_year=1960, synthetic=True)],
                facts=facts,
            ),
            source="test",
            source_hash="before-onset",
        )
        items = api.review_queue(registry, kinds=["calcinosis_before_onset"])
    assert [(i.item_id, i.patient_id) for i in items] == [("calcinosis_before_onset:B1", "B1")]
    assert items[0].reason == "first calcinosis 2013-06-01 is before SSc onset 2015-01-01"


def test_kept_items_never_outlive_a_write_through_another_connection(sqlite_url, one_patient):
    """Items and records are kept per stored row: a decision elsewhere shows at the next read."""
    first = api.review_queue(one_patient, kinds=["suggested_fact"])
    again = api.review_queue(one_patient, kinds=["suggested_fact"])
    assert [i.item_id for i in again] == [i.item_id for i in first]
    assert again[0] is first[0]  # the same stored fact and note: the item was kept
    with api.open_registry(sqlite_url) as other:  # another connection (another process alike)
        api.review(other, first[0].item_id, "confirm", reviewer="other", reason="in the letter")
    after = api.review_queue(one_patient, kinds=["suggested_fact"])
    assert first[0].item_id not in {i.item_id for i in after}
    assert [i.item_id for i in after] == [i.item_id for i in first[1:]]
    facts = {f.fact_id: f for f in one_patient.facts_for(first[0].patient_id)}
    assert facts[first[0].fact_id].review_state.value == "confirmed"
    with pytest.raises(ValidationError):  # the kept item is gone with its version
        api.review_queue_item(one_patient, first[0].item_id)


def test_two_threads_classify_the_queue_at_once(one_patient):
    # the web app serves two queue pages at once (two kinds, or two patients) from one
    # registry: after a write both ran its classifier, one DuckDB connection, which refused
    # the second caller ("connection is busy with another call"): a server error
    import threading

    kinds = (["suggested_case"], ["at_risk"])
    errors: list[Exception] = []
    for fact in api.review_queue(one_patient, kinds=["suggested_fact"]):
        # a decision changes the registry: each round classifies the cohort again
        api.review(one_patient, fact.item_id, "confirm", reviewer="t", reason="in the letter")
        start = threading.Barrier(len(kinds))

        def ask(chosen: list[str], start: threading.Barrier = start) -> None:
            start.wait()
            try:
                api.review_queue(one_patient, kinds=chosen)
            except Exception as exc:  # the failure is what the test reports
                errors.append(exc)

        threads = [threading.Thread(target=ask, args=(k,)) for k in kinds]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    cases = api.review_queue(one_patient, kinds=["suggested_case"])
    assert cases == []  # every suggested fact decided: no case waits on one


def test_the_queue_evaluates_prompts_at_the_registrys_as_of_date(sqlite_url):
    """fixes17: the registry's as-of date, today when none is set (was the shipped study's)."""
    registry = api.open_registry(sqlite_url)
    assert api.queue_index_date(registry) == D.today() == api.default_index_date(registry)
    api.set_registry_as_of(registry, D(2026, 6, 30))
    assert api.queue_index_date(registry) == D(2026, 6, 30) == api.default_index_date(registry)


@pytest.mark.slow
def test_the_queues_at_risk_prompts_are_the_demo_studys(demo_copy, demo_run):
    """Evaluated at the same date, the queue prompts whom the study counts (7 on the demo).

    ``demo_run`` is the demo's study on the same registry, run once per session (conftest.py).
    """
    run = demo_run
    # as ``calciscope demo`` does (api.run_demo): the registry is evaluated at the study's date
    api.set_registry_as_of(demo_copy, run.headline.index_date)
    prompts = api.review_queue(demo_copy, kinds=["at_risk"])
    assert len(prompts) == run.headline.at_risk_prompts == 7
    assert {p.patient_id for p in prompts} == set(run.analysis.at_risk["patient_id"])
    counts = api.review_queue_counts(demo_copy, kinds=["at_risk"])
    assert counts == {"at_risk": 7}


#: A SYNTHETIC template line: the "| Site:" field describes the finding before it.
FIELD_LETTER = "Review.\nCalcinosis: yes | Site: left elbow | Ulcers: none.\nPlan: review."


def test_evidence_is_the_sentence_the_extractor_read(sqlite_url):
    """notesfix28 (review 23): the evidence is the sentence extraction read the match in.

    The template line's "| Site:" field joins the finding's sentence ("Calcinosis: yes |
    Site: left elbow"), not a split at the bar; the queue and one item show that sentence.
    """
    from calciscope.extract import NoteExtractor
    from calciscope.model import Note

    with api.open_registry(sqlite_url) as registry:
        registry.import_batch(
            Batch(
                patients=[Patient(patient_id="F1", sex="female", birth_year=1970, synthetic=True)],
                notes=[
                    Note(
                        note_id="F1-L1",
                        patient_id="F1",
                        note_date=D(2024, 5, 1),
                        text=FIELD_LETTER,
                        synthetic=True,
                    )
                ],
            ),
            source="test",
            source_hash="field-letter",
        )
        api.extract_notes(registry)
        items = api.review_queue(registry, kinds=["suggested_fact"])
        calcinosis = FIELD_LETTER.index("Calcinosis")
        found = [i for i in items if i.evidence and i.evidence.start == calcinosis]
        assert found
        one = api.review_queue_item(registry, found[0].item_id)
    read = next(m for m in NoteExtractor().extract(FIELD_LETTER) if m.start == calcinosis)
    first, last = read.sentence
    assert {i.evidence.sentence for i in [*found, one]} == {FIELD_LETTER[first:last]}
    assert {i.evidence.sentence_start for i in [*found, one]} == {first}
    assert FIELD_LETTER[first:last].startswith("Calcinosis: yes | Site: left elbow")
