"""Imports flow one way (architecture.md, Layers): a test fails on an import against the flow."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import calciscope

PACKAGE = Path(calciscope.__file__).parent

#: layer of each top-level part of the package; a module may import its own layer or lower ones
LAYERS = {
    "errors": 0,
    # the import switch to the note extractor's Python source (CALCISCOPE_PURE_PYTHON)
    "_pure": 0,
    "model": 1,
    # reading a user's text and YAML files: a UTF-8 check and errors naming file and line, for
    # the readers (interop), the rule files (extract) and the study files (study) alike
    # (rtftext: an RTF note's plain text, for the readers and the registry's note check alike)
    **dict.fromkeys(("textfile", "yamltext", "rtftext"), 1),
    **dict.fromkeys(("features", "criteria", "phenotype", "extract", "imaging", "stats"), 2),
    "study": 2,
    **dict.fromkeys(("storage", "engine", "interop", "report", "datasets"), 3),
    "api": 4,
    **dict.fromkeys(("cli", "web", "__main__"), 5),
}
#: the faces call only the api (and say what went wrong through the errors it raises)
FACES = ("cli", "web", "__main__")
FACE_MAY_IMPORT = ("api", "errors", *FACES)
#: layer-2 parts that must not use a database driver or a web framework
FORBIDDEN_IN_DOMAIN = ("sqlalchemy", "psycopg", "duckdb", "fastapi", "starlette", "typer")


def _part(module_path: Path) -> str:
    rel = module_path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.name != "__init__.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_downward(path):
    part = _part(path)
    if part not in LAYERS:
        pytest.skip(f"{part} is not a layered part")
    mine = LAYERS[part]
    for name in _imports(path):
        if name.startswith("calciscope."):
            other = name.split(".")[1]
            assert LAYERS.get(other, 99) <= mine, (
                f"{path.name} ({part}) imports {name} from a higher layer"
            )
        if mine == 2:
            assert name.split(".")[0] not in FORBIDDEN_IN_DOMAIN, f"{path.name} imports {name}"
        if part in FACES and name.startswith("calciscope."):
            assert name.split(".")[1] in FACE_MAY_IMPORT, (
                f"{path.name} ({part}) imports {name}: the faces call only calciscope.api"
            )


def test_every_part_is_layered():
    parts = {_part(p) for p in MODULES} - {"__init__", "py"}
    assert parts <= set(LAYERS)


def test_api_exports_are_sorted_and_exist():
    from calciscope import api

    def isort_style(name: str) -> tuple[int, str]:  # ruff RUF022: CONSTANTS, Classes, functions
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert list(api.__all__) == sorted(api.__all__, key=isort_style)
    assert len(set(api.__all__)) == len(api.__all__)
    for name in api.__all__:
        assert hasattr(api, name), name
