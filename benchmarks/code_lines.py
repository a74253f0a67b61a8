"""Count calciscope's code lines at git revisions, by top-level part of the package.

A code line is a line of a ``.py`` file under ``src/calciscope`` that holds a Python token
other than a comment, and lies outside every docstring (the string that opens a module, class
or function). Blank lines, comment lines and docstrings do not count; a line of code with a
trailing comment does. Files are read from git, so the working tree's state does not matter.

Usage::

    python benchmarks/code_lines.py REV [REV ...]     # e.g. b026987 HEAD
"""

from __future__ import annotations

import argparse
import ast
import io
import subprocess
import tokenize
from collections import Counter

_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}


def code_lines(source: str) -> int:
    """Return the number of code lines of one Python source (see the module docstring)."""
    tree = ast.parse(source)
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = node.body[0] if node.body else None
        value = first.value if isinstance(first, ast.Expr) else None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            docstrings.update(range(value.lineno, (value.end_lineno or value.lineno) + 1))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in _SKIP and token.type != tokenize.ENDMARKER:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstrings)


def count(rev: str) -> Counter[str]:
    """Return code lines per top-level part of ``src/calciscope`` at ``rev``."""
    names = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", rev, "src/calciscope"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    parts: Counter[str] = Counter()
    for name in (n for n in names if n.endswith(".py")):
        source = subprocess.run(
            ["git", "show", f"{rev}:{name}"], check=True, capture_output=True, text=True
        ).stdout
        parts[name.split("/")[2].removesuffix(".py")] += code_lines(source)
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revs", nargs="+")
    revs = parser.parse_args().revs
    counts = [count(rev) for rev in revs]
    parts = sorted(set().union(*counts))
    print(f"{'part':<12}" + "".join(f"{rev[:12]:>14}" for rev in revs))
    for part in parts:
        print(f"{part:<12}" + "".join(f"{c.get(part, 0):>14,}" for c in counts))
    print(f"{'total':<12}" + "".join(f"{sum(c.values()):>14,}" for c in counts))


if __name__ == "__main__":
    main()
