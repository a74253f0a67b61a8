"""Accuracy against outside material (figures also printed by benchmarks/notes_accuracy.py).

NegEx/ConText test kit (Chapman et al.; ../shared/data/negex/negex_dev.tsv, 1,216 sentences;
the rest of the 2,376 is held out): published NegEx negation precision 0.984, recall 0.978.
The assertions sit just under what calciscope achieves (P 0.991, R 0.983, temporality 0.944,
experiencer 0.998 on 2026-12-04) so that a regression shows. The hand-written documents are
in tests/extract/data/notes_eval (dev: tuned on; test: scored at the end).
"""

import pytest

from calciscope.api import evaluate_demo_notes, evaluate_negex


@pytest.fixture(scope="module")
def negex_scores(shared_data):
    path = shared_data / "negex" / "negex_dev.tsv"
    if not path.is_file():
        pytest.skip(f"NegEx test kit not found at {path}")
    return evaluate_negex(path)


def test_negex_negation_meets_published_negex(negex_scores):
    assert negex_scores.n == 1216
    assert negex_scores.precision >= 0.984
    assert negex_scores.recall >= 0.98
    assert negex_scores.f1 >= 0.985


def test_negex_temporality_and_experiencer(negex_scores):
    assert negex_scores.temporality_accuracy >= 0.935
    assert negex_scores.experiencer_accuracy >= 0.99


def test_demo_cohort_notes_agree_with_answer_key(demo_dir):
    # the default cohort (seed 0), generated once per session (tests/conftest.py)
    scores = evaluate_demo_notes(demo_dir / "notes.jsonl", demo_dir / "answer_key.csv")
    assert scores.n > 100
    assert scores.present[2] >= 0.99
    assert scores.absent[2] >= 0.99
    assert scores.morphology[2] >= 0.99


def _document_scores(shared_name, extractor):
    """Score one evaluation set with the session's extractor (tests/extract/conftest.py)."""
    import json
    from pathlib import Path

    from calciscope.extract.evaluation import score_documents, summarise_document

    path = Path(__file__).resolve().parent / "data" / "notes_eval" / f"{shared_name}.jsonl"
    docs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return score_documents(
        docs,
        [
            summarise_document(extractor.extract(d["text"], report=d["kind"] == "radiology"))
            for d in docs
        ],
    )


@pytest.mark.parametrize(
    ("name", "status", "morphology", "regions"),
    [
        ("dev", 0.98, 0.97, 0.97),
        ("test", 0.98, 0.97, 0.94),
        ("heldout", 0.98, 0.96, 0.95),
        ("fresh", 0.97, 0.95, 0.95),
        ("fresh2", 0.97, 0.97, 0.95),
        ("fresh3", 0.98, 0.97, 0.95),
        ("fresh4", 0.98, 0.95, 0.95),
        ("fresh5", 0.98, 0.95, 0.95),
        ("fresh6", 0.98, 0.97, 0.97),
        ("fresh7", 0.98, 0.97, 0.97),
        ("fresh8", 0.97, 0.97, 0.95),
        ("fresh9", 0.97, 0.97, 0.95),
        ("fresh10", 0.97, 0.97, 0.95),
        ("fresh11", 0.97, 0.85, 0.88),
        ("fresh12", 0.97, 0.96, 0.96),
        ("fresh13", 0.97, 0.96, 0.88),
        ("fresh14", 0.98, 0.96, 0.98),
        ("fresh15", 0.98, 0.90, 0.90),
    ],
)
def test_hand_written_documents(name, status, morphology, regions, extractor):
    # Figures of 2026-12-05 (docs/notes.md): dev 1.000/1.000/1.000, test 1.000/1.000/0.971,
    # heldout 0.977/0.971/0.928 (untouched 0.922/0.913/0.841), fresh 1.000/0.958/0.958;
    # notesacc6: heldout 0.992/0.971/0.957, fresh2 0.979/1.000/0.962 (untouched 0.938/0.962/0.846).
    # notesacc7: fresh3 0.979/1.000/1.000 after the fixes (untouched 0.979/1.000/0.913).
    # notesacc8: fresh3 1.000/1.000/1.000; fresh4 1.000/0.957/1.000 after the fixes, not
    # independent (untouched 0.936/0.957/0.957).
    # notesacc9: fresh5 1.000/1.000/0.957 after the fixes, not independent (untouched
    # 0.929/0.913/0.913, one false sheet-like).
    # notesacc10: fresh6 1.000/1.000/1.000 after the fixes, not independent (untouched
    # 0.939/0.742/0.871, 9/10 sheet-like, two false sheet-like); heldout 1.000/0.986/0.971,
    # fresh regions 1.000, fresh4 morphology 1.000, fresh5 regions 1.000.
    # notesacc11: fresh7 1.000/1.000/1.000 after the fixes, not independent (untouched
    # 0.979/1.000/0.900, 9/9 sheet-like, none false).
    # notesacc12: fresh8 0.972/1.000/0.958 after the fixes, not independent (untouched
    # 0.972/0.917/0.542, 5/5 sheet-like, none false); heldout regions 0.986.
    # notesacc13: fresh9 1.000/1.000/1.000 after the fixes, not independent (untouched
    # 1.000/1.000/0.897, 9/9 sheet-like, none false); fresh8 1.000/1.000/1.000.
    # notesacc14: fresh10 1.000/1.000/1.000 after the fixes, not independent (untouched
    # 0.936/0.926/0.815, 8/9 sheet-like, none false; written in other styles).
    # notesacc15: fresh11 1.000/0.862/0.897 after the fixes, not independent (untouched
    # 0.978/0.759/0.759, 7/7 sheet-like, none false; paraphrased from published case reports).
    # notesacc17: fresh13 1.000/1.000/0.926 after the fixes, not independent (untouched
    # 0.872/0.926/0.815, 8/8 sheet-like, none false; nurse, surgical, checklist and shorthand
    # styles). notesfix14: 0.979/0.963/0.889 - J23's bare "Ca nodules" (no calcium cue) is no
    # longer counted, as "Ca" there may as well be carcinoma (review item 1).
    # notesacc20: fresh15 1.000/0.919/0.919 after the fixes, not independent (untouched
    # 0.930/0.730/0.703, 7/10 sheet-like, none false; forms, portal, pathology, translations).
    # notesacc26: fresh12 0.978/0.964/0.964, 11/11 sheet-like (was 9/11), fresh14
    # 1.000/0.966/1.000, 11/11 (was 10/11), none false; both development text by now.
    s = _document_scores(name, extractor)
    assert s.n >= 36  # fresh8, aimed at regions, is the smallest set
    assert s.status_accuracy >= status
    assert s.morphology_accuracy >= morphology and s.regions_exact >= regions
    assert s.sheet_false == 0 and s.sheet_found == s.sheet_gold
    assert s.chest_calcinosis_facts == 0


def test_fresh16_after_the_notesacc21_fixes(extractor):
    # notesacc21: 0.957/0.966/0.966, 9/10 sheet-like (S36's plaques have no word of calcium in
    # their own sentence), none false; not independent (untouched 0.872/0.862/0.862, 8/10).
    # notesacc23: 1.000/1.000/1.000, 10/10 (addenda that withdraw the finding, S15 and S44;
    # S36's stony plaques; S23's "turn her wrists"); still not independent.
    s = _document_scores("fresh16", extractor)
    assert s.status_accuracy >= 0.97
    assert s.morphology_accuracy >= 0.97 and s.regions_exact >= 0.97
    assert s.sheet_false == 0 and s.sheet_found == s.sheet_gold
    assert s.chest_calcinosis_facts == 0


def test_fresh17_after_the_notesacc22_fixes(extractor):
    # notesacc22: 1.000/0.969/0.906, 13/13 sheet-like, none false; not independent (untouched
    # 0.923/0.906/0.812, 11/13, none false; Australian, Canadian, Indian and Singaporean
    # letters, nurse-led, podiatry and hand-therapy notes, MDT minutes, DEXA comments, trial
    # narratives, triage notes, comparisons with a prior study). Left: U02 (a range's end
    # joints stay sites, the notesacc19 convention), U09, U22 (regions), U18 (morphology).
    # notesacc26: 1.000/0.969/0.938 (U22's hand held up to the camera is no site).
    # notesacc30: U02 fixed (a range is the segment between its ends).
    s = _document_scores("fresh17", extractor)
    assert s.status_accuracy >= 0.98
    assert s.morphology_accuracy >= 0.96 and s.regions_exact >= 0.93
    assert s.sheet_false == 0 and s.sheet_found == s.sheet_gold
    assert s.chest_calcinosis_facts == 0


def test_fresh18_after_the_notesacc24_fixes(extractor):
    # notesacc24: 1.000/0.966/0.931, 14/14 sheet-like, one false; not independent (untouched
    # 0.788/0.724/0.793, 7/14, one false; Spanish, Italian, Polish, Japanese and Brazilian
    # letters, coded notes, operation notes, histopathology, pelvic CT, emails, Y/N proformas).
    # Left: V21 (a teaching sentence's sheet-like pattern is lent to the patient's calcinosis:
    # the one false sheet-like), V15 (a specimen label's site), V48 ("the right arm").
    # notesacc26: 1.000/1.000/1.000, 14/14, none false (V21's teaching sentence lends no
    # pattern, V15's specimen line and V48's "posterior side of the right arm" give the site).
    s = _document_scores("fresh18", extractor)
    assert s.status_accuracy >= 0.98
    assert s.morphology_accuracy >= 0.99 and s.regions_exact >= 0.99
    assert s.sheet_false == 0 and s.sheet_found == s.sheet_gold
    assert s.chest_calcinosis_facts == 0


def test_fresh19_after_the_notesacc25_fixes(extractor):
    # notesacc25: 1.000/1.000/1.000, 12/12 sheet-like, none false, myositis 0.980; not
    # independent (untouched 0.920/0.917/0.944, 12/12, two false; French, Portuguese, Turkish,
    # Chinese, Korean, Greek and Arabic-speaking centres, dictation errors, quoted letters,
    # request forms, photography, OT, anaesthetic and ward-round notes, SNOMED problem lists,
    # trial screening, DECT/US). Left: W29 ("Known DM." read as no myositis: DM is also
    # diabetes mellitus).
    s = _document_scores("fresh19", extractor)
    assert s.status_accuracy >= 0.98
    assert s.morphology_accuracy >= 0.98 and s.regions_exact >= 0.98
    assert s.sheet_false == 0 and s.sheet_found == s.sheet_gold
    assert s.chest_calcinosis_facts == 0


def test_fresh20_after_the_notesacc30_fixes(extractor):
    # notesacc27: 1.000/0.967/0.933, 12/12 sheet-like, none false; not independent (untouched
    # 0.840/0.833/0.800, 10/12, none false; Scandinavian, Eastern European, Latin American,
    # African, Middle-Eastern and South Asian letters, nurse advice lines, podiatry, vascular,
    # plastic, oncology and renal letters, patient emails). notesacc30 fixed the causes of Y02
    # (a range is the segment between its ends), Y12 (a cavity site beside a soft-tissue
    # calcification) and Y14 (papules named sentences before): 1.000/1.000/1.000.
    s = _document_scores("fresh20", extractor)
    assert s.status_accuracy >= 0.98
    assert s.morphology_accuracy >= 0.98 and s.regions_exact >= 0.98
    assert s.sheet_false == 0 and s.sheet_found == s.sheet_gold
    assert s.chest_calcinosis_facts == 0


def test_apart30_held_apart_check(extractor):
    # notesacc30's held-apart check (20 SYNTHETIC notes on its leftovers' phenomena, committed
    # before the extractor saw them): untouched (main) 0.750/0.846/0.615, 2/3 sheet-like; after
    # the fixes (not independent any more) 1.000/0.846/1.000, 2/3. Left: A13 ("a calcified
    # layer ... like a pair of shorts": no sheet word), A16 ("firm papules": not read as a
    # deposit's).
    s = _document_scores("apart30", extractor)
    assert s.status_accuracy >= 0.98
    assert s.morphology_accuracy >= 0.84 and s.regions_exact >= 0.98
    assert s.sheet_false == 0


def test_fresh21_after_the_notesacc29_fixes(extractor):
    # notesacc29: 1.000/0.931/0.897, 13/13 sheet-like, none false; not independent (untouched
    # 0.940/0.793/0.828, 10/13, none false; Scottish, Welsh, Irish, Australian, New Zealand and
    # Canadian letters, nurse-specialist notes, wound charts, MDT minutes, proformas, limb and
    # pelvis radiology). Left: Z02 (a range's end joint stays a site, the notesacc19
    # convention), Z07 (papules and site two sentences before the calcinosis), Z08 (a wound
    # chart's site line three lines before), Z12 (punctate elements of a cobweb-like network).
    # notesacc34: regions 0.966 (Z08's wound chart "Site:" line above the wound bed).
    s = _document_scores("fresh21", extractor)
    assert s.status_accuracy >= 0.98
    assert s.morphology_accuracy >= 0.93 and s.regions_exact >= 0.96
    assert s.sheet_false == 0 and s.sheet_found == s.sheet_gold
    assert s.subset_correct == s.n and s.myositis_correct == s.n
    assert s.chest_calcinosis_facts == 0


def test_fresh22_after_the_notesacc31_fixes(extractor):
    # notesacc31: 1.000/0.963/0.926, 12/12 sheet-like, none false; not independent (untouched
    # 0.920/0.852/0.852, 10/12, 1 false sheet-like (band keratopathy); US problem-oriented
    # letters, German, Japanese, Korean, Spanish, Italian, Dutch and French letters in English,
    # dictation with spoken punctuation, portal messages, teledermatology, von Kossa
    # dermatopathology, dental, eye, dietetic, physiotherapy and OT notes, pipe tables). Left:
    # AA08 (a biopsy's specimen line above a "Clinical:" line), AA14 (papules in the photo
    # description before the impression's calcinosis), AA48 (a pipe table's wrist row).
    # notesacc34: regions 0.963 (AA08's specimen line lent however far below it).
    s = _document_scores("fresh22", extractor)
    assert s.status_accuracy >= 0.98
    assert s.morphology_accuracy >= 0.96 and s.regions_exact >= 0.96
    assert s.sheet_false == 0 and s.sheet_found == s.sheet_gold
    assert s.subset_correct == s.n and s.myositis_correct == s.n
    assert s.chest_calcinosis_facts == 0


def test_fresh23_after_the_notesacc34_fixes(extractor):
    # notesacc34: 1.000/0.964/1.000, 15/15 sheet-like, none false; not independent (untouched
    # 1.000/0.786/0.893, 11/15, none false; Indian, South African, Nigerian, Singaporean,
    # Brazilian and Egyptian letters, OCR'd scans, EHR exports with HTML entities, SBAR
    # handovers, podiatry, wound-clinic and operation notes, histology, ultrasound, trial CRFs,
    # medication lists, look-alikes). Left: AB19 (nodular from the indication's "lump": an
    # annotation slip against the "lumps are nodular" convention, kept as annotated).
    s = _document_scores("fresh23", extractor)
    assert s.status_accuracy >= 0.98
    assert s.morphology_accuracy >= 0.96 and s.regions_exact >= 0.98
    assert s.sheet_false == 0 and s.sheet_found == s.sheet_gold
    assert s.subset_correct == s.n and s.myositis_correct == s.n
    assert s.chest_calcinosis_facts == 0


def test_fresh24_after_the_notesacc35_fixes(extractor):
    # notesacc35: 1.000/0.966/0.931, 13/14 sheet-like, none false; not independent (untouched
    # 0.900/0.586/0.862, 3/14, one false; South-East Asian, African, Middle-Eastern,
    # Latin-American, Portuguese, Austrian and Swiss letters, nurse infusion and biologic notes,
    # tele-rehabilitation, handovers, whole-body, PET and low-dose CT, DXA, addenda, registry
    # exports, Y/N/unknown tables). Left: AC26 (an addendum's corrected site "not at the knee"),
    # AC30 (a CRF's "Sites" and "Pattern" lines below "Calcinosis present? Yes").
    s = _document_scores("fresh24", extractor)
    assert s.status_accuracy >= 0.98
    assert s.morphology_accuracy >= 0.96 and s.regions_exact >= 0.93
    assert s.sheet_false == 0 and s.sheet_found >= s.sheet_gold - 1
    assert s.subset_correct == s.n and s.myositis_correct == s.n
    assert s.chest_calcinosis_facts == 0


def test_fresh25_after_the_notesacc36_fixes(extractor):
    # notesacc36: 1.000/1.000/0.938, 14/14 sheet-like, none false; not independent (untouched
    # 0.940/0.812/0.812, 10/14, one false; Korean, Japanese, Hong Kong, Polish, Greek, Turkish,
    # Iranian, Pakistani, Kenyan, Mexican, Argentine, Quebec, Irish and Scottish letters, OT hand
    # assessments, hand-surgery pre-op notes, dermoscopy, photo captions, MRI/CT/US, MDT minutes,
    # portal messages, trial AE narratives, Y/N/?/blank tables). Left: AD11 ("limits the flexion
    # of knees": the knee as a site), AD36 ("thighs ... across both legs": the lay leg as the
    # lower leg).
    s = _document_scores("fresh25", extractor)
    assert s.status_accuracy >= 0.98
    assert s.morphology_accuracy >= 0.98 and s.regions_exact >= 0.93
    assert s.sheet_false == 0 and s.sheet_found == s.sheet_gold
    assert s.subset_correct == s.n and s.myositis_correct == s.n
    assert s.chest_calcinosis_facts == 0


def test_fresh26_after_the_notesacc37_fixes(extractor):
    # notesacc37: 1.000/1.000/1.000, 14/14 sheet-like, none false; not independent (untouched
    # 0.920/0.793/0.931, 12/14, one false; Jamaican, Trinidadian, East and Southern African,
    # Nepali, Indonesian, Taiwanese, Ukrainian, Balkan, Maltese, Jordanian, North African,
    # Uruguayan and Icelandic letters, GP referrals, nursing, physiotherapy and wound notes,
    # structured templates, speech-recognition dictation, tables with one column per site,
    # addenda that move, re-pattern or withdraw the finding). AE30 ("limited come tenuous", a
    # speech-recognition error) gives lcssc since notesacc38.
    s = _document_scores("fresh26", extractor)
    assert s.status_accuracy >= 0.98
    assert s.morphology_accuracy >= 0.98 and s.regions_exact >= 0.98
    assert s.sheet_false == 0 and s.sheet_found == s.sheet_gold
    assert s.subset_correct == s.n and s.myositis_correct == s.n
    assert s.chest_calcinosis_facts == 0


def test_fresh27_after_the_notesacc38_fixes(extractor):
    # notesacc38: 0.980/1.000/0.897, 14/14 sheet-like, none false; not independent (untouched
    # 0.880/0.897/0.897, 12/14, none false; US community notes, smart phrases with "***",
    # copy-forward notes, numbered dictated radiology, orthopaedic and hand-surgery letters,
    # dermatopathology, registry free text, Welsh/English and Spanish/English letters, trainees'
    # hedging, nurse triage, photo captions, ticked-box questionnaires). Left: AF23 ("asks if
    # these could be calcinosis": read as hypothetical), AF11 (the biopsy specimen's site), AF25
    # (the photo caption's site before the label), AF26 ("If yes, where?" answered on its line).
    s = _document_scores("fresh27", extractor)
    assert s.status_accuracy >= 0.98
    assert s.morphology_accuracy >= 0.98 and s.regions_exact >= 0.89
    assert s.sheet_false == 0 and s.sheet_found == s.sheet_gold
    assert s.subset_correct == s.n and s.myositis_correct == s.n
    assert s.chest_calcinosis_facts == 0
