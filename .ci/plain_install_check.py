"""Every command of a plain ``pip install .`` (no extras): its ``--help`` and one real call.

Run by ``.ci/run`` with the quick-start virtual environment's Python, in the folder where
``calciscope demo`` has just run (``calciscope.db``, ``calciscope-demo/``)::

    VENV/bin/python .ci/plain_install_check.py VENV/bin/calciscope

The commands are read from the Typer app, so a new command is covered automatically: its
``--help`` must work, and without an entry in ``CALLS`` it is called with no arguments (a usage
message, a clean ``error:`` or success — never a traceback) and a warning asks for a real call.
A call that needs an extra the plain install lacks must exit non-zero with the install hint.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from calciscope.cli.app import app

OK = "ok"
TRACEBACK = "Traceback (most recent call last)"


@dataclass(frozen=True)
class Call:
    """One real call: the command path, its arguments (split like a shell) and what to expect.

    ``ok`` (exit 0), ``extra:X`` (exit != 0 with X's install hint) or ``error:FIELD`` (exit 1
    with a clean ``error:`` naming the field: bad input typed by hand). ``stdin`` is what the
    command reads from standard input (a password given with ``--password-stdin``); without it
    standard input is empty, so a command that prompts cannot wait for a person.
    """

    command: str
    args: str = ""
    expect: str = OK
    stdin: str | None = None


SMALL = "--db sqlite:///small.db"
WHEN = "--index-date 2024-06-30"
#: In order: later calls read what earlier ones wrote. ``demo`` ran in the quick-start step.
CALLS = [
    Call("demo-data", "--out small --patients 30 --seed 1"),
    Call("import demo", f"small {SMALL}"),
    Call("patients list", f"{SMALL} {WHEN} --json"),
    Call("patients show", f"P0001 --explain {WHEN} --json"),
    Call("features", f"--out features.csv {WHEN}"),
    Call("criteria score", "scores-in.csv --out scores.csv"),
    Call("classify", f"{SMALL} {WHEN}"),
    Call("notes extract", SMALL),
    Call("notes extract-file", "letter.txt --out mentions.jsonl"),
    Call("notes assess", "sentences.tsv --out assessed.tsv"),
    Call("notes rtf", SMALL),
    Call("export phenopackets", f"out/phenopackets {SMALL}"),
    Call("export fhir", f"out/bundle.json {SMALL}"),
    Call("export redcap", f"out/redcap {SMALL}"),
    Call("export omop", f"out/omop {SMALL}"),
    Call("export note-nlp", f"out/note_nlp.csv {SMALL}"),
    Call(
        "export omop-cohort",
        f"out/omop --concept-set out/omop/concept_sets --feature calcinosis_any "
        f"--out out/cohort.csv {WHEN}",
    ),
    Call("import phenopackets", "out/phenopackets --db sqlite:///p.db"),
    Call("import fhir", "out/bundle.json --db sqlite:///f.db"),
    Call(
        "import redcap",
        "out/redcap/data.csv --dictionary out/redcap/dictionary.csv "
        "--mapping out/redcap/mapping.yaml --db sqlite:///r.db",
    ),
    Call(
        "import omop",
        "out/omop --concept-set out/omop/concept_sets --patient-ids person_source_value "
        "--db sqlite:///o.db",
    ),
    Call("redcap template", "--mapping-out template-mapping.yaml"),
    Call("redcap mapping", "out/redcap/dictionary.csv"),
    Call("redcap pull", "https://redcap.invalid/api/ --out pulled", "extra:redcap"),
    Call("study init"),
    Call("study run", "study.yaml --out report2"),
    # the review loop in the terminal, on the small registry (notes extract made suggestions)
    Call("review kinds"),
    Call("review list", f"{SMALL} --json --kind suggested_fact"),
    Call(
        "facts add",
        f"--patient P0001 --system HP --code HP:0003761 --status present --date 2024-01-01 "
        f"--reason 'plain install check' {SMALL}",
    ),
    # non-interactive: the password from standard input (a prompt would wait for a person)
    Call(
        "users add", f"cleo --role clinician --password-stdin {SMALL}", stdin="plain-check-1234\n"
    ),
    Call("users add", f"cleo2 --role king --password-stdin {SMALL}", "error:role", "short\n"),
    Call("users list", SMALL),
    Call("users password", f"cleo --password-stdin {SMALL}", stdin="plain-check-5678\n"),
    Call("users password", f"nobody --password-stdin {SMALL}", "error:name", "plain-check-5678\n"),
    Call("users end-sessions", f"cleo {SMALL}"),
    Call("users end-sessions", f"nobody {SMALL}", "error:name"),
    Call("users disable", f"cleo {SMALL}"),
    Call("users disable", f"nobody {SMALL}", "error:name"),
    # ids nobody has: a clean error naming the field, nothing written
    Call("review confirm", f"fact:F0 --reason check {SMALL}", "error:item_id"),
    Call("review reject", f"fact:F0 --reason check {SMALL}", "error:item_id"),
    Call("review acknowledge", f"at_risk:P9999 --reason check {SMALL}", "error:item_id"),
    Call("review dismiss", f"at_risk:P9999 --reason check {SMALL}", "error:item_id"),
    Call("facts history", f"F0 {SMALL}", "error:fact_id"),
    Call("facts correct", f"F0 --status absent --reason check {SMALL}", "error:fact_id"),
    # images: indexing needs the imaging extra; the rest answers without it
    Call("import images", f"small {SMALL}", "extra:imaging"),
    Call("images measure", "photo.png --roi 4,4,60,44 --overlay out/overlay.png", "extra:imaging"),
    Call("images agreement", f"{SMALL} --json"),
    Call("images read-import", f"missing.csv {SMALL}", "error:-"),
    Call("registry set-as-of", f"2024-06-30 {SMALL}"),
    Call("registry as-of", SMALL),
    Call("audit list", f"{SMALL} --json"),
    Call("audit export", f"audit.csv {SMALL}"),
    # the web app needs the web extra: the hint, not a traceback
    Call("serve", SMALL, "extra:web"),
    # PostgreSQL needs the postgres extra: the hint, not a traceback
    Call("patients list", "--db postgresql+psycopg://u@127.0.0.1:1/x", "extra:postgres"),
    # Spark needs the spark extra: the hint, not a traceback
    Call("patients list", "--db spark://local?warehouse=wh", "extra:spark"),
]
#: Commands whose real call is another CI step.
COVERED = {"demo": "the quick-start step (calciscope demo)"}


def commands(group: Any, prefix: str = "") -> list[str]:
    """Return every leaf command of the app (a click group) as ``"group sub"`` paths."""
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}".strip()
        if hasattr(command, "commands"):  # a group (typer may vendor its own click)
            found += commands(command, path)
        else:
            found.append(path)
    return found


def _inputs(work: Path) -> None:
    """Write the small input files the calls read (all SYNTHETIC)."""
    (work / "letter.txt").write_text(
        "SYNTHETIC clinic letter. Extensive sheet-like calcinosis of both thighs. "
        "No digital ulcers.\n",
        encoding="utf-8",
    )
    (work / "sentences.tsv").write_text(
        "Condition\tsentence\ncalcinosis\tThere is no calcinosis of the fingers.\n",
        encoding="utf-8",
    )
    (work / "photo.png").write_bytes(_png(64, 48))
    (work / "scores-in.csv").write_text(
        "patient_id,skin_thickening_proximal_to_mcp,raynaud_phenomenon\nS1,true,yes\n",
        encoding="utf-8",
    )


def _png(width: int, height: int) -> bytes:
    """Return a small 8-bit grey PNG (a bright square on grey), written without Pillow."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + bytes(230 if 16 <= x < 40 and 14 <= y < 34 else 90 for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def run(
    exe: str,
    args: list[str],
    work: Path,
    env_extra: dict[str, str] | None = None,
    stdin: str | None = None,
) -> tuple[int, str]:
    """Run the installed ``calciscope`` with arguments; return the exit code and all output.

    ``stdin`` is written to its standard input; without it standard input is empty.
    """
    env = os.environ | {"COLUMNS": "120", "REDCAP_TOKEN": "not-a-token"} | (env_extra or {})
    proc = subprocess.run(
        [exe, *args], cwd=work, capture_output=True, text=True, timeout=600, env=env,
        input=stdin or "",
    )  # fmt: skip
    return proc.returncode, proc.stdout + proc.stderr


def judge(call: Call, code: int, output: str) -> str | None:
    """Return what is wrong with a call's outcome, or None."""
    if TRACEBACK in output:
        return "printed a traceback"
    if call.expect == OK:
        return None if code == 0 else f"exit {code}"
    if call.expect.startswith("error:"):
        field = call.expect.removeprefix("error:")
        clean = code == 1 and "error:" in output and f"field {field!r}" in output
        return None if clean else f"expected exit 1 with an error naming field {field!r}"
    extra = call.expect.removeprefix("extra:")
    hint = f"pip install 'calciscope[{extra}]'"
    if code == 0 or hint not in output:
        return f"expected exit != 0 with the hint {hint!r}; got exit {code}"
    return None


def _fallback(exe: str, command: str, work: Path) -> str | None:
    code, output = run(exe, command.split(), work)
    if TRACEBACK in output:
        return "printed a traceback when called without arguments"
    if code not in (0, 1, 2) or (code == 1 and "error:" not in output):
        return f"exit {code} without a clean error when called without arguments"
    print(f"  WARNING: no real call for {command!r}: add one to .ci/plain_install_check.py")
    return None


def main(exe: str) -> int:
    """Check every command; return the number of failures."""
    work = Path.cwd()
    _inputs(work)
    (work / "study.yaml").write_text(run(exe, ["-q", "study", "init"], work)[1], encoding="utf-8")
    every = commands(typer.main.get_command(app))
    failures = []
    helper = CliRunner()  # --help in this process: the installed app, without 30 start-ups
    for command in ["", *every]:
        result = helper.invoke(app, [*command.split(), "--help"])
        if result.exit_code != 0 or result.exception is not None:
            failures.append(f"{command} --help: exit {result.exit_code}\n{result.output}")
    called = {call.command for call in CALLS}
    for call in CALLS:
        start = time.monotonic()
        args = [*call.command.split(), *shlex.split(call.args)]
        code, output = run(exe, args, work, stdin=call.stdin)
        problem = judge(call, code, output)
        print(f"  {call.command} {call.args}: exit {code} ({time.monotonic() - start:.1f} s)")
        if problem:
            failures.append(f"{call.command} {call.args}: {problem}\n{output}")
    for command in every:
        if command in called or command in COVERED:
            continue
        problem = _fallback(exe, command, work)
        if problem:
            failures.append(f"{command}: {problem}")
    print(f"{len(every)} commands: --help for each, {len(CALLS)} real calls")
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return len(failures)


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1]) else 0)
