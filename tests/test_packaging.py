"""Every data file in the package ships in a wheel (a non-editable install needs them)."""

import fnmatch
import tomllib
from pathlib import Path

import calciscope

PACKAGE = Path(calciscope.__file__).parent
PYPROJECT = PACKAGE.parents[1] / "pyproject.toml"


def test_every_data_file_matches_a_package_data_pattern():
    patterns = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"][
        "calciscope"
    ]
    data_files = [
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    ]
    assert data_files, "expected packaged data files (catalogue, rules, templates)"
    missing = [f for f in data_files if not any(fnmatch.fnmatch(f, pat) for pat in patterns)]
    assert missing == []
