"""medspaCy side of benchmarks/notes.py; runs in the medspaCy venv, never imports calciscope.

Usage (called by benchmarks/notes.py)::

    /work/venv-medspacy/bin/python benchmarks/notes_medspacy_worker.py RULES.json NOTES.jsonl \
        [--sentencizer pyrush|spacy]

RULES.json holds calciscope's target rules as medspaCy TargetRule fields (literal, category,
pattern); ConText uses medspaCy's default rules. Prints one JSON
object: documents, bytes, seconds, entities, modified entities, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path


def _build(rules_path: str, sentencizer: str):  # type: ignore[no-untyped-def]
    from loguru import logger

    logger.remove()  # PyRuSH logs every token at DEBUG through loguru's default handler
    import medspacy
    from medspacy.ner import TargetRule

    enable = ["medspacy_target_matcher", "medspacy_context"]
    if sentencizer == "pyrush":
        enable.insert(0, "medspacy_pyrush")
    nlp = medspacy.load(medspacy_enable=enable)
    if sentencizer == "spacy":
        nlp.add_pipe("sentencizer", first=True)
    rules = []
    for raw in json.loads(Path(rules_path).read_text(encoding="utf-8")):
        try:
            rules.append(TargetRule(raw["literal"], raw["category"], pattern=raw.get("pattern")))
        except Exception as exc:  # report and skip any rule medspaCy refuses
            print(f"skipped rule {raw['literal']!r}: {exc}", file=sys.stderr)
    nlp.get_pipe("medspacy_target_matcher").add(rules)
    return nlp


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("rules")
    parser.add_argument("notes")
    parser.add_argument("--sentencizer", choices=("pyrush", "spacy"), default="pyrush")
    parser.add_argument("--limit", type=int, default=0, help="only the first N notes")
    args = parser.parse_args()
    lines = Path(args.notes).read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines]
    nlp = _build(args.rules, args.sentencizer)
    if args.limit:
        texts = texts[: args.limit]
    start, cpu = time.perf_counter(), time.process_time()
    entities = modified = 0
    for doc in nlp.pipe(texts, batch_size=64):
        for ent in doc.ents:
            entities += 1
            modified += bool(ent._.modifiers)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    result = {
        "tool": f"medspaCy ({args.sentencizer} sentences)",
        "documents": len(texts),
        "bytes": sum(len(t.encode("utf-8")) for t in texts),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "entities": entities,
        "modified": modified,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
