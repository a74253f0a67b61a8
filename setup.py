"""Build hook: compile the note extractor's hot modules with mypyc, or install them as source.

Everything else about the package is in ``pyproject.toml``. A wheel build (``pip install .``)
compiles the modules listed in ``src/calciscope/extract/compiled.py`` when mypy (mypyc) and a C
compiler are available; if either is missing or anything in the compilation fails, it prints a
warning and the same modules are installed as Python source only (they are always installed as
source too). An editable install (``pip install -e .``) is never compiled, so edits take effect
at once. ``CALCISCOPE_COMPILE=0`` turns compilation off. See docs/notes.md ("notesspeed20").
"""

from __future__ import annotations

import ast
import os
import shutil
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
_LIST = ROOT / "src" / "calciscope" / "extract" / "compiled.py"
# A stand-in so that setuptools runs build_ext; the real extensions come from mypycify, late,
# so that an sdist, metadata or editable build never runs mypy.
_PLACEHOLDER = Extension("calciscope.extract._mypyc_placeholder", sources=[])


def _module_paths() -> list[str]:
    """Source paths of ``COMPILED_MODULES``, read from compiled.py without importing it."""
    tree = ast.parse(_LIST.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "COMPILED_MODULES":
            names = ast.literal_eval(node.value) if node.value is not None else ()
            break
    else:
        raise RuntimeError(f"{_LIST}: no COMPILED_MODULES")
    paths = []
    for name in names:
        base = Path("src", *name.split("."))
        paths.append(str(base / "__init__.py") if base.is_dir() else f"{base}.py")
    return paths


def _warn(message: str) -> None:
    print(
        f"calciscope: {message}; the note extractor is installed as Python source", file=sys.stderr
    )


class OptionalMypycBuild(build_ext):
    """``build_ext`` that compiles with mypyc when it can and never fails the install."""

    def run(self) -> None:
        """Compile with mypyc unless editable or turned off; on any failure, build nothing."""
        if getattr(self, "editable_mode", False) or self.inplace:
            self.extensions = []
            return
        if os.environ.get("CALCISCOPE_COMPILE", "1") == "0":
            self.extensions = []
            _warn("CALCISCOPE_COMPILE=0")
            return
        try:
            self.extensions = self._mypyc_extensions()
            super().run()
        except (Exception, SystemExit) as error:  # any failure: source only
            self._discard_outputs()
            self.extensions = []
            _warn(f"mypyc compilation unavailable or failed ({type(error).__name__}: {error})")

    def _mypyc_extensions(self) -> list[Extension]:
        os.chdir(ROOT)
        from mypyc.build import mypycify  # mypy is a build requirement; may still be missing

        flags = ["--follow-imports=silent", "--no-warn-unused-ignores", "--ignore-missing-imports"]
        extensions = mypycify(
            [*flags, *_module_paths()], opt_level="3", group_name="calciscope_native"
        )
        self.distribution.ext_modules = extensions
        self.check_extensions_list(extensions)
        for extension in extensions:  # what setuptools' finalize_options sets on each one
            name = self.get_ext_fullname(extension.name)
            extension._full_name = name  # type: ignore[attr-defined]
            extension._links_to_dynamic = False  # type: ignore[attr-defined]
            extension._needs_stub = False  # type: ignore[attr-defined]
            extension._file_name = self.get_ext_filename(name)  # type: ignore[attr-defined]
            self.ext_map[name] = extension
        return extensions

    def _discard_outputs(self) -> None:
        """Remove compiled files of a half-finished build so none is packed into the wheel."""
        for extension in self.extensions or []:
            if isinstance(extension, Extension) and extension is not _PLACEHOLDER:
                path = Path(self.get_ext_fullpath(extension.name))
                if path.exists():
                    path.unlink()
        shutil.rmtree(Path(self.build_temp), ignore_errors=True)
        self.distribution.ext_modules = []

    def get_outputs(self) -> list[str]:
        """Only the compiled files that exist (none after a fallback)."""
        return [path for path in super().get_outputs() if Path(path).exists()]


setup(ext_modules=[_PLACEHOLDER], cmdclass={"build_ext": OptionalMypycBuild})
