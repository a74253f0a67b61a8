"""The compiled note extractor (mypyc, ``setup.py``) and its Python source give the same output.

In a developer's tree (``PYTHONPATH=src`` or ``pip install -e .``) nothing is compiled and the
comparison is skipped; it runs against a wheel install (``pip install .``) that compiled the
modules. ``CALCISCOPE_PURE_PYTHON=1`` loads the source in a second process.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from calciscope.extract.compiled import COMPILED_MODULES, compiled_modules

_DUMP = """
import json, sys, tempfile
from pathlib import Path
from calciscope.datasets import generate_demo_cohort
from calciscope.extract import NoteExtractor
from calciscope.extract.compiled import compiled_modules
with tempfile.TemporaryDirectory() as folder:
    generate_demo_cohort(Path(folder), patients=100, seed=3)
    lines = (Path(folder) / "notes.jsonl").read_text(encoding="utf-8").splitlines()
extractor = NoteExtractor()
out = {"compiled": list(compiled_modules()), "notes": []}
for line in lines[:150]:
    text = json.loads(line)["text"]
    out["notes"].append([
        [m.to_dict() for m in extractor.extract(text)],
        [m.to_dict() for m in extractor.extract(text, report=True)],
    ])
json.dump(out, sys.stdout, sort_keys=True, default=str)
"""


def _dump(pure: bool) -> dict[str, object]:
    env = dict(os.environ, CALCISCOPE_PURE_PYTHON="1" if pure else "0")
    run = subprocess.run(
        [sys.executable, "-c", _DUMP], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(run.stdout)


def test_every_compiled_module_has_its_python_source():
    import calciscope

    root = Path(calciscope.__file__).parent.parent
    for name in COMPILED_MODULES:
        base = root.joinpath(*name.split("."))
        assert (base / "__init__.py").is_file() or base.with_suffix(".py").is_file(), name


def test_pure_python_switch_loads_no_compiled_module():
    env = dict(os.environ, CALCISCOPE_PURE_PYTHON="1")
    code = "from calciscope.extract.compiled import compiled_modules; print(compiled_modules())"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "()"


def test_compiled_and_python_source_give_the_same_mentions_on_demo_notes():
    if not compiled_modules():
        pytest.skip("no compiled extractor module installed (source tree or editable install)")
    compiled, pure = _dump(pure=False), _dump(pure=True)
    assert compiled["compiled"] and not pure["compiled"]
    assert sum(len(pair[0]) for pair in compiled["notes"]) > 500  # the notes have mentions
    assert compiled["notes"] == pure["notes"]


def test_main_names_each_module():
    run = subprocess.run(
        [sys.executable, "-m", "calciscope.extract.compiled"], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("calciscope note extractor: ")
    assert all(name in run.stdout for name in COMPILED_MODULES)
