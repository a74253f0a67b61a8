"""medspaCy's ConText (default rules) on a NegEx test-kit TSV; runs in the medspaCy venv.

Called by ``benchmarks/notes_accuracy.py --medspacy-python PATH``. Writes one line per row:
negation, temporality, experiencer, tab-separated, in the input order. The condition is found
in the sentence ignoring case (the capitalised occurrence when there are several), set as the
only entity, and medspaCy's ConText component (default rules, PyRuSH sentences) is applied.
"""

from __future__ import annotations

import csv
import re
import sys


def _span(doc, condition: str):  # type: ignore[no-untyped-def]
    words = condition.lower().split()
    pattern = r"\s+".join(re.escape(w) for w in words)
    found = [m.span() for m in re.finditer(pattern, doc.text.lower())] if words else []
    capitals = [f for f in found if doc.text[f[0] : f[1]].isupper()]
    start, end = (capitals or found or [(0, len(doc.text))])[0]
    return doc.char_span(start, end, label="CONDITION", alignment_mode="expand")


def main() -> int:
    from loguru import logger

    logger.remove()
    import medspacy

    nlp = medspacy.load(medspacy_enable=["medspacy_pyrush", "medspacy_context"])
    context = nlp.get_pipe("medspacy_context")
    csv.field_size_limit(sys.maxsize)
    with open(sys.argv[1], encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        for row in reader:
            doc = nlp.make_doc(row["sentence"])
            for _, component in nlp.pipeline:
                if component is not context:
                    doc = component(doc)
            span = _span(doc, row["Condition"])
            doc.ents = [span] if span is not None else []
            doc = context(doc)
            ent = doc.ents[0] if doc.ents else None
            negation = "Affirmed"
            temporality, experiencer = "Recent", "Patient"
            if ent is not None:
                negation = (
                    "Negated"
                    if ent._.is_negated
                    else "Possible"
                    if ent._.is_uncertain
                    else "Affirmed"
                )
                temporality = (
                    "Hypothetical"
                    if ent._.is_hypothetical
                    else "Historical"
                    if ent._.is_historical
                    else "Recent"
                )
                experiencer = "Other" if ent._.is_family else "Patient"
            print(f"{negation}\t{temporality}\t{experiencer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
