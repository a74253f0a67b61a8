"""Instructions per note for the note extractor, counted by callgrind (load-independent).

Wall time on a shared machine says little about a small speed change; instructions do. This
script re-runs itself under ``valgrind --tool=callgrind --instr-atstart=no``; inside, it builds
the extractor, extracts one warm-up note, switches counting on (``callgrind_control -i on``),
extracts the SYNTHETIC demo notes once, switches counting off and prints the instructions per
note read from callgrind's output (switched in the process itself through callgrind's client
requests when ``valgrind/callgrind.h`` and ``cc`` are there, else by ``callgrind_control``). Only the extraction loop is counted, so no setup run is
subtracted. ``PYTHONHASHSEED=0`` keeps set and dict order, and so the work, the same from run
to run::

    python benchmarks/notes_callgrind.py                 # 1,000 demo notes, seed 0
    python benchmarks/notes_callgrind.py --notes 300 --keep /tmp/cg.out   # keep the profile
    callgrind_annotate /tmp/cg.out | head -40            # where the instructions go

Needs valgrind (``apt-get install valgrind``). Compare two trees by running the script with
each tree's ``src`` on ``PYTHONPATH``.

``--stages`` also prints where the instructions go, stage by stage (speed37): each step of
:meth:`NoteExtractor.extract` and each layer's phrase search, regex rules and literal test is
called through a C function of its own (a small extension compiled with ``cc`` into a
temporary folder), and ``callgrind_annotate --inclusive=yes`` gives each one's instructions
with everything it calls. The figures nest (``find:trigger`` holds ``regex:trigger``, which
holds ``literal test:trigger``) and the wrapping adds about 3 % to the run's total::

    python benchmarks/notes_callgrind.py --notes 300 --stages
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_INSIDE = "CALCISCOPE_NOTES_CALLGRIND_INSIDE"


def _demo_texts(notes: int, seed: int) -> list[str]:
    from calciscope.datasets import generate_demo_cohort

    with tempfile.TemporaryDirectory() as folder:
        generate_demo_cohort(Path(folder), patients=max(100, notes // 2), seed=seed)
        lines = (Path(folder) / "notes.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines[:notes]]
    if len(texts) < notes:
        raise SystemExit(f"the demo cohort gave {len(texts)} notes, fewer than {notes}")
    return texts


_ZONE_C = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define Z(n) __attribute__((noinline)) static PyObject *zone_##n(PyObject *self, \
    PyObject *const *args, Py_ssize_t nargs, PyObject *kw) { \
    return PyObject_Vectorcall(args[0], args + 1, nargs - 1, kw); }
#define M(n) {"z" #n, (PyCFunction)(void (*)(void))zone_##n, METH_FASTCALL | METH_KEYWORDS, NULL},
%(zones)s
static PyMethodDef methods[] = {%(methods)s {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "notes_zones", NULL, -1, methods};
PyMODINIT_FUNC PyInit_notes_zones(void) { return PyModule_Create(&module); }
"""
#: The steps of ``NoteExtractor.extract`` timed by ``--stages`` (module-level functions are
#: the extractor module's names).
_STEPS = (
    "sections", "sentences", "_by_sentence", "_modifiers", "_mentions", "_site_lists",
    "anchor_ranges", "merge_attributes", "group_by_sentence", "mark_labels",
    "link_calcinosis_attributes", "link_clause_sites", "link_restated", "drop_network_elements",
    "link_antibody_results", "read_leaders", "join_line_hyphens", "read_entities",
)  # fmt: skip
_LAYERS = ("finding", "site", "morphology", "tissue", "modality", "trigger", "terminate")
_ZONES = 64


def _build_zones(folder: Path) -> None:
    """Compile the zone extension (``z0`` .. ``z63``, each calling its first argument)."""
    import sysconfig

    zones = " ".join(f"Z({n})" for n in range(_ZONES))
    methods = " ".join(f"M({n})" for n in range(_ZONES))
    source = folder / "notes_zones.c"
    source.write_text(_ZONE_C % {"zones": zones, "methods": methods}, encoding="utf-8")
    target = folder / f"notes_zones{sysconfig.get_config_var('EXT_SUFFIX')}"
    include = sysconfig.get_paths()["include"]
    command = ["cc", "-O1", "-shared", "-fPIC", f"-I{include}", str(source), "-o", str(target)]
    subprocess.run(command, check=True, capture_output=True)


def _zoned(extractor: object, names: dict[int, str]) -> None:
    """Route the extractor's steps and each layer's searches through the zone functions.

    Python source only: a compiled (mypyc) extractor's methods cannot be replaced.
    """
    import importlib

    from calciscope.extract import extractor as module

    zone = importlib.import_module("notes_zones")
    number = iter(range(_ZONES))

    def through(name: str, function: object) -> object:
        z = getattr(zone, f"z{next(number)}")
        names[int(z.__name__[1:])] = name

        def call(*args: object, **kwargs: object) -> object:
            return z(function, *args, **kwargs)

        return call

    for name in _STEPS:
        owner = module.NoteExtractor if hasattr(module.NoteExtractor, name) else module
        setattr(owner, name, through(name, getattr(owner, name)))
    for layered in (extractor._targets, extractor._context):  # type: ignore[attr-defined]
        for layer, phrases in layered._layers.items():
            phrases.find = through(f"find:{layer}", phrases.find)
            phrases._regex_matches = through(f"regex:{layer}", phrases._regex_matches)
            phrases._passing = through(f"literal test:{layer}", phrases._passing)
    sections = extractor._sections  # type: ignore[attr-defined]
    sections.find = through("find:section headers", sections.find)


_TOGGLE_C = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <valgrind/callgrind.h>
static PyObject *on(PyObject *self, PyObject *args) {
    CALLGRIND_START_INSTRUMENTATION; Py_RETURN_NONE; }
static PyObject *off(PyObject *self, PyObject *args) {
    CALLGRIND_STOP_INSTRUMENTATION; Py_RETURN_NONE; }
static PyMethodDef methods[] = {{"on", on, METH_NOARGS, NULL}, {"off", off, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "notes_toggle", NULL, -1, methods};
PyMODINIT_FUNC PyInit_notes_toggle(void) { return PyModule_Create(&module); }
"""


def _build_toggle(folder: Path) -> bool:
    """Compile ``notes_toggle`` (``on()``, ``off()``: callgrind's client requests); False if not.

    Counting is then switched at the very call (speed38): ``callgrind_control`` reaches the
    process a moment later, and on a loaded machine the count moved by up to 0.6 % from run
    to run. Needs ``valgrind/callgrind.h`` (Debian's valgrind package) and ``cc``.
    """
    import sysconfig

    source = folder / "notes_toggle.c"
    source.write_text(_TOGGLE_C, encoding="utf-8")
    target = folder / f"notes_toggle{sysconfig.get_config_var('EXT_SUFFIX')}"
    include = sysconfig.get_paths()["include"]
    command = ["cc", "-O1", "-shared", "-fPIC", f"-I{include}", str(source), "-o", str(target)]
    return subprocess.run(command, capture_output=True).returncode == 0


def _counting(on: bool, toggle: str | None) -> None:
    """Switch callgrind's counting on or off: in process when ``toggle`` holds the module."""
    if toggle:
        import importlib

        sys.path.insert(0, toggle)
        module = importlib.import_module("notes_toggle")
        (module.on if on else module.off)()
        return
    state = "on" if on else "off"
    subprocess.run(
        ["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True
    )


def _inside(notes: int, seed: int, stages: str | None = None, toggle: str | None = None) -> None:
    """Run under callgrind: set up, then count only the extraction loop."""
    from calciscope.extract import NoteExtractor

    texts = _demo_texts(notes, seed)
    extractor = NoteExtractor()
    if stages:
        sys.path.insert(0, stages)
        names: dict[int, str] = {}
        _zoned(extractor, names)
        (Path(stages) / "zones.json").write_text(json.dumps(names), encoding="utf-8")
    extractor.extract(texts[0])  # warm-up: lazy compilation and caches
    _counting(True, toggle)
    mentions = 0
    for text in texts:
        mentions += len(extractor.extract(text))
    _counting(False, toggle)
    print(json.dumps({"notes": len(texts), "mentions": mentions}))


def _total_instructions(profile: Path) -> int:
    # "totals:" sums the cost lines; "summary:" can read 0 when counting starts switched off
    for line in profile.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise SystemExit(f"{profile}: no 'totals:' line in callgrind's output")


def _stage_figures(profile: Path, folder: Path, notes: int) -> list[tuple[str, float]]:
    """Return ``(stage, instructions per note)`` read from the zones' inclusive costs."""
    names = json.loads((folder / "zones.json").read_text(encoding="utf-8"))
    command = ["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(profile)]
    report = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found: dict[str, int] = {}
    for line in report.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\S*:zone_(\d+)\b", line)
        if m and m.group(2) in names:
            name = names[m.group(2)]
            found[name] = max(found.get(name, 0), int(m.group(1).replace(",", "")))
    return sorted(((k, v / notes) for k, v in found.items()), key=lambda x: -x[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=1000, help="demo notes to extract")
    parser.add_argument("--seed", type=int, default=0, help="demo cohort seed")
    parser.add_argument("--keep", type=Path, default=None, help="keep callgrind's output here")
    parser.add_argument("--stages", action="store_true", help="also print instructions by stage")
    parser.add_argument("--zones", default=None, help=argparse.SUPPRESS)  # set for the inside
    parser.add_argument("--toggle", default=None, help=argparse.SUPPRESS)  # set for the inside
    args = parser.parse_args(argv)
    if os.environ.get(_INSIDE):
        _inside(args.notes, args.seed, args.zones, args.toggle)
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        profile = args.keep or Path(folder) / "callgrind.out"
        env = dict(os.environ, PYTHONHASHSEED="0", **{_INSIDE: "1"})
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={profile}", sys.executable, __file__,
            "--notes", str(args.notes), "--seed", str(args.seed),
        ]  # fmt: skip
        if args.stages:
            _build_zones(Path(folder))
            command += ["--zones", folder]
        if _build_toggle(Path(folder)):
            command += ["--toggle", folder]
        run = subprocess.run(command, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stderr[-3000:], file=sys.stderr)
            return run.returncode
        counts = json.loads([x for x in run.stdout.splitlines() if x.startswith("{")][-1])
        total = _total_instructions(profile)
        stages = _stage_figures(profile, Path(folder), counts["notes"]) if args.stages else []
    per_note = total / counts["notes"]
    version = re.sub(r"\s+", " ", sys.version.split()[0])
    print(
        f"notes {counts['notes']} (SYNTHETIC demo, seed {args.seed}), mentions "
        f"{counts['mentions']}, instructions {total:,}, per note {per_note:,.0f} "
        f"(Python {version}, PYTHONHASHSEED=0)"
    )
    if stages:
        print("instructions per note by stage (inclusive: a stage holds what it calls)")
    for name, figure in stages:
        print(f"  {name:34s} {figure:>12,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
