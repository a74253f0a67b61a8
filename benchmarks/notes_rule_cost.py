"""Where the regular-expression rules' time goes: each rule's literal prefilter and scan.

Records the windows the extractor hands each matcher's regex rules while it extracts the
SYNTHETIC demo notes (Python source only: a compiled install does not see the recording), then
times each rule alone on them: its ``required_literals`` test (``_may_match``) and its scan
where the test passes. Prints the rules by cost, with how often the test let the scan run and
the literal sets it tested. A rule whose test passes on most windows has weak literals::

    PYTHONPATH=src python benchmarks/notes_rule_cost.py --notes 1000 --top 25
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from notes_callgrind import _demo_texts

from calciscope.extract import NoteExtractor
from calciscope.extract import matcher as matcher_module


def _record(extractor: NoteExtractor, texts: list[str]) -> list[tuple[Any, str]]:
    calls: list[tuple[Any, str]] = []
    original = matcher_module.PhraseMatcher._regex_matches

    def recording(self: Any, low: str, start: int, stop: int) -> Any:
        calls.append((self, low if start == 0 and stop == len(low) else low[start:stop]))
        return original(self, low, start, stop)

    matcher_module.PhraseMatcher._regex_matches = recording  # type: ignore[method-assign]
    try:
        for text in texts:
            extractor.extract(text)
    finally:
        matcher_module.PhraseMatcher._regex_matches = original  # type: ignore[method-assign]
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=1000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    extractor = NoteExtractor()
    calls = _record(extractor, _demo_texts(args.notes, 0))
    names = {id(extractor._targets.layer(x)): "target:" + x for x in extractor._targets.layers}
    names[id(extractor._triggers)] = "context:trigger"
    names[id(extractor._terminators)] = "context:terminate"
    by_matcher: dict[int, tuple[Any, list[str]]] = {}
    for matcher, window in calls:
        by_matcher.setdefault(id(matcher), (matcher, []))[1].append(window)
    rows = []
    for key, (matcher, windows) in by_matcher.items():
        rules = (
            extractor.rules.targets if names[key].startswith("target") else extractor.rules.context
        )
        for indices, regex, needs in matcher._distinct_regexes:
            times = []
            for _ in range(3):  # the least of three runs: a shared machine's noise
                start = time.perf_counter()
                passing = [w for w in windows if matcher_module._may_match(w, needs)]
                tested = time.perf_counter()
                for window in passing:
                    for _match in regex.finditer(window):
                        pass
                times.append((tested - start, time.perf_counter() - tested))
            test, scan = min(t[0] for t in times), min(t[1] for t in times)
            rows.append((test, scan, names[key], rules[indices[0]].literal,
                         len(windows), len(passing), needs))  # fmt: skip
    rows.sort(key=lambda r: -(r[0] + r[1]))
    scale = 1000 / args.notes * 1000  # ms per 1,000 notes
    print(f"{len(rows)} regex rules on {len(calls)} windows of {args.notes} SYNTHETIC demo notes; "
          f"tests {sum(r[0] for r in rows) * scale:.1f} ms, scans {sum(r[1] for r in rows) * scale:.1f}"
          " ms per 1,000 notes")  # fmt: skip
    for test, scan, layer, literal, seen, passed, needs in rows[: args.top]:
        sizes = "/".join(str(len(s)) for s in needs) or "-"
        print(f"{test * scale:7.2f} {scan * scale:7.2f} ms  {passed:5d}/{seen:<5d} "
              f"sets {sizes:9s} {layer} {literal!r}")  # fmt: skip


if __name__ == "__main__":
    main()
